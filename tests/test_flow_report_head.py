"""SPEC 4 E12f ( seed 004 section 1 step 7): what the unit cannot resolve
is reported "kepada Kepala Unit". Over the suite's Dovecot and SMTP: staff reply
`#lapor-kepala` to a ticket's notice; the heads receive the whole case as `#koordinator`
sends it to the coordinators; a head's reply comes back to staff as a recommendation and
onto the ticket, never to the requester; the same words in a new mail from the head's
address (citing nothing mailbot sent) run nothing."""

from __future__ import annotations

import json

import pytest

from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"


@pytest.fixture
def reported(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(REQUESTER, "Kontrak belum bisa ditandatangani",
                     "Selamat siang,\nadendum kontrak paket 10012345000 tidak bisa diunggah.")
    mf.deliver(servers, config, raw)
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#lapor-kepala\nSudah tiga hari belum ada jawaban LKPP; "
                                "batas kontrak tinggal seminggu.")
    mf.deliver(servers, config, raw)
    return servers, config


def _events(config) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    store = mf.store_of(config)
    try:
        (ticket,) = store.search.tickets()
        return [(e["kind"], json.loads(e["detail"]) if e["detail"] else {}) for e in store.history.events_of(ticket.id)]
    finally:
        store.close()


def test_the_heads_receive_the_whole_case_and_the_requester_nothing(reported):
    servers, config = reported
    case = mf.latest(servers, mf.HEAD, "head_case")
    body = mf.text_of(case)
    assert "paket 10012345000" in body and "batas kontrak tinggal seminggu" in body  # the problem and the note
    assert "[LPSE-T #2026-00001]" in str(case["Subject"]) and "Kepala Unit" in str(case["Subject"]), case["Subject"]
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack"]
    assert mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "coordinator_case") == []  # the heads', not theirs
    assert "head_report_requested" in [kind for kind, _ in _events(config)]


def test_a_heads_reply_comes_back_to_staff_as_a_recommendation(reported):
    servers, config = reported
    case = mf.latest(servers, mf.HEAD, "head_case")
    advice = "Segera koordinasikan dengan Pokja; kabari pengguna bahwa kasus ini kami pantau."
    raw, _ = mf.reply_as_client(case, mf.HEAD, advice)
    mf.deliver(servers, config, raw)
    passed = mf.latest(servers, mf.STAFF[0], "staff_direction")
    assert advice in " ".join(mf.text_of(passed).split())
    assert ("recommendation", ) == tuple(k for k, _ in _events(config) if k == "recommendation")
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack"]  # internal

    forged, _ = mf.mail(mf.HEAD, str(case["Subject"]), "#jawab\nKasus Anda sudah selesai.")  # cites nothing of ours
    mf.deliver(servers, config, forged)
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack"]


# --- the direction asked for is timed ---------------------------------

WIB = __import__("zoneinfo").ZoneInfo("Asia/Jakarta")


def _at(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def _sweep(config, moment) -> None:  # type: ignore[no-untyped-def]
    from mailbot.cli import main as cli

    assert cli.main(["--config", str(config), "sweep", "--now", moment.isoformat()]) == 0


@pytest.mark.parametrize(("command", "asked", "kind"), [("#koordinator", mf.COORDINATOR, "coordinator_case"),
                                                        ("#lapor-kepala", mf.HEAD, "head_case")])
def test_direction_not_given_within_a_working_day_is_reminded_once_and_staff_told(
        fresh_mailboxes, tmp_path, command, asked, kind):
    """SPEC 6 `coordinator_direction`: asked on Monday 10:00 WIB, no word by Tuesday 10:00: those
    asked get one reminder and staff a copy of it; a reply to it is their direction and passes to staff."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, timezone="Asia/Jakarta")
    monday = _at("2026-11-23T10:00")
    servers.append(mf.UNIT, mf.mail(REQUESTER, "Kontrak belum bisa ditandatangani", "Adendum tidak bisa diunggah.",
                                    date=monday)[0], msg_time=monday)
    mf.handle_at(config, monday)
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], f"{command}\nMohon arahan.")[0], msg_time=monday)
    mf.handle_at(config, monday)
    assert len(mf.of_kind(mf.inbox(servers, asked), kind)) == 1
    _sweep(config, _at("2026-11-23T16:00"))  # within the working day: nothing yet
    assert mf.of_kind(mf.inbox(servers, asked), "direction_reminder") == []
    _sweep(config, _at("2026-11-24T10:05"))
    [reminder] = mf.of_kind(mf.inbox(servers, asked), "direction_reminder")
    [copy] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "direction_reminder")  # staff told
    assert copy["Message-ID"] != reminder["Message-ID"]  # by a copy of their own
    _sweep(config, _at("2026-11-25T10:05"))
    assert len(mf.of_kind(mf.inbox(servers, asked), "direction_reminder")) == 1  # once
    word = "Hubungi Pokja hari ini juga."
    servers.append(mf.UNIT, mf.reply_as_client(reminder, asked, word)[0], msg_time=_at("2026-11-25T11:00"))
    mf.handle_at(config, _at("2026-11-25T11:00"))
    assert word in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_direction"))

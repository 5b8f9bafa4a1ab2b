"""Issue 48 point 2 (SPEC 4 E12f; seed 004 section 1 step 7): what the unit cannot resolve
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
        (ticket,) = store.tickets()
        return [(e["kind"], json.loads(e["detail"]) if e["detail"] else {}) for e in store.events_of(ticket.id)]
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

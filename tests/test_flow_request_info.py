"""SPEC 4 E12g ( SPEC 6 `resolution`; seed 002: the 3x24-hour standard
holds "dengan syarat kelengkapan dokumen pendukung terpenuhi"). Over the suite's Dovecot and
SMTP, with the clock an argument: staff reply `#minta-data` to a ticket's notice; the
requester receives the request in the unit's name; the ticket waits for them
(`awaiting_info`) and the 3x24h clock stands still, so no coordinator hears of a breach
while it waits; the requester's answer (with its file) reaches staff, not LKPP, the ticket
is `open` again and the wait is on record (`tickets --json`). Unanswered, the requester
is reminded and the ticket closed in the unit's words, never LKPP's."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"
WIB = ZoneInfo("Asia/Jakarta")
ASKED = "Mohon kirimkan scan NIB dan surat kuasa direktur agar kami dapat memeriksa akun Anda."


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def _arrive(servers, config, raw: bytes, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    servers.append(mf.UNIT, raw, msg_time=moment)
    mf.handle_at(config, moment)


def _shown(config, capsys) -> dict:  # type: ignore[no-untyped-def,type-arg]
    from mailbot.cli import main as cli

    capsys.readouterr()
    assert cli.main(["--config", str(config), "tickets", "--json"]) == 0
    (shown,) = json.loads(capsys.readouterr().out)
    return shown  # type: ignore[no-any-return]


@pytest.fixture
def asked(fresh_mailboxes, tmp_path):  # type: ignore[no-untyped-def]
    """Opened Monday 23 November 2026 09:00 WIB; staff ask for documents at 10:00."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, timezone="Asia/Jakarta")
    opened = _at("2026-11-23T09:00")
    _arrive(servers, config, mf.mail(REQUESTER, "Akun penyedia terkunci", "Akun saya terkunci sejak kemarin.",
                                     date=opened)[0], opened)
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    _arrive(servers, config, mf.reply_as_client(notice, mf.STAFF[0], f"#minta-data\n{ASKED}")[0],
            _at("2026-11-23T10:00"))
    return servers, config


def test_the_request_reaches_the_requester_in_the_units_name_and_the_ticket_waits(asked, capsys):
    servers, config = asked
    request = mf.latest(servers, REQUESTER, "request_info")
    body = " ".join(mf.text_of(request).split())
    assert ASKED in body and "LKPP" not in body and "3x24" in body
    assert "[LPSE-T #2026-00001]" in str(request["Subject"]) and mf.UNIT in str(request["From"])
    assert mf.inbox(servers, mf.LKPP) == []
    shown = _shown(config, capsys)
    assert (shown["state"], shown["info_asked_by"]) == ("awaiting_info", "unit")
    assert shown["waiting_since"].startswith("2026-11-23T10:00")


def test_the_answer_goes_to_staff_and_the_clock_runs_again_later_by_the_wait(asked, capsys):
    """Answered Tuesday 21:00, after the office closed: the wait is 35 hours of the clock (as
    the standard counts), so the standard runs out Friday 20:00, not Thursday 09:00."""
    servers, config = asked
    request = mf.latest(servers, REQUESTER, "request_info")
    answer, _ = mf.mail(REQUESTER, "Re: " + str(request["Subject"]), "Berikut NIB dan surat kuasa.",
                        in_reply_to=str(request["Message-ID"]).strip("<>"),
                        attachments=(("NIB.pdf", "application/pdf", mf.PDF),), date=_at("2026-11-24T21:00"))
    _arrive(servers, config, answer, _at("2026-11-24T21:00"))
    seen = mf.latest(servers, mf.STAFF[0])
    assert "Berikut NIB dan surat kuasa." in mf.text_of(seen)
    assert "NIB.pdf" in [p.get_filename() for p in seen.iter_attachments()]
    assert mf.inbox(servers, mf.LKPP) == []  # the unit asked: nothing goes on to LKPP
    shown = _shown(config, capsys)
    assert (shown["state"], shown["waiting_since"], shown["waited_hours"]) == ("open", None, 35.0)
    mf.sweep(config, _at("2026-11-27T10:00"))  # Friday: past Thursday 09:00, within Friday 20:00
    assert mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "overdue_staff") == []
    mf.sweep(config, _at("2026-11-27T20:30"))
    assert len(mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "overdue_staff")) == 1


def test_unanswered_the_requester_is_reminded_and_the_ticket_closed_in_the_units_words(asked, capsys):
    servers, config = asked
    mf.sweep(config, _at("2026-11-25T10:05"))  # two working days after the request
    [reminder] = mf.of_kind(mf.inbox(servers, REQUESTER), "remind_user")
    assert "LKPP" not in mf.text_of(reminder) and "2026-00001" in mf.text_of(reminder)
    mf.sweep(config, _at("2026-11-26T10:00"))  # Thursday, past the 72 hours: it waits, no breach
    assert mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "overdue_staff") == []
    mf.sweep(config, _at("2026-11-30T10:05"))  # five working days after the request
    [closed] = mf.of_kind(mf.inbox(servers, REQUESTER), "closed")
    assert "LKPP" not in mf.text_of(closed)
    shown = _shown(config, capsys)
    assert (shown["state"], shown["waiting_since"][:16]) == ("closed", "2026-11-23T10:00")
    assert mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "overdue_staff") == []

"""Red-team probes of the SOP-015 escalation over time, over real Dovecot and SMTP.

The clock is an argument (`handle_at`, `sweep --now`), as in tests/test_flow_deadlines.py.
LKPP's desk here is the kind SPEC 3 describes: an OTRS-style system that acknowledges with
its own `[Ticket#...]` number and whose agents then write citing only that number, so
their mail cannot prove itself (SPEC 9) and staff vouch for it by answering the alert.
Its acknowledgement cites nothing mailbot sent (no In-Reply-To): the number is recorded,
but it is no reference learned from LKPP's verified mail, which would vouch for the
agents' later mail (tests/test_counterpart.py).
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from mailbot.core.plan import lkpp_spoke
from mailbot.core.trust import Citation, Trust
from mailbot.model import Role, State
from tests import mailfactory as mf
from tests.test_flow_deadlines import REQUESTER, at, kinds, open_and_escalate, ticket

LKPP_NUMBER = "2026112310000045"


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def arrive(servers, config, raw: bytes, moment: datetime) -> None:
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, moment)


def latest_of(servers, user, kind):
    return [m for m in map(mf.parse, servers.fetch(user)) if m["X-Mailbot-Kind"] == kind][-1]


def otrs_escalation(servers, config):
    """Escalated Monday 23 Nov 2026 10:00 WIB; LKPP's desk acknowledges with its number,
    citing nothing mailbot sent."""
    escalation = open_and_escalate(servers, config, at("2026-11-23T09:00"), at("2026-11-23T10:00"))
    ack, _ = mf.mail(mf.LKPP, f"[Ticket#{LKPP_NUMBER}] {escalation['Subject']}",
                     f"Email Anda telah kami terima dengan nomor tiket [Ticket#{LKPP_NUMBER}].\n"
                     "Mohon tidak membalas email otomatis ini.\n",
                     headers={"Auto-Submitted": "auto-replied"})
    arrive(servers, config, ack, at("2026-11-23T10:05"))
    assert ticket(config).lkpp_ticket == LKPP_NUMBER


def agent_writes(servers, config, text: str, moment: datetime):
    """An LKPP agent answers from LKPP's system: its number only; staff get the alert."""
    raw, _ = mf.mail(mf.LKPP, f"[Ticket#{LKPP_NUMBER}] Tanggapan Helpdesk LKPP", text)
    arrive(servers, config, raw, moment)
    return latest_of(servers, mf.STAFF[0], "unverified")


def test_a_status_staff_relayed_from_lkpps_desk_is_not_chased_as_missing(env):
    """SOP-015 step 12: LKPP gave its status on Tuesday, staff relayed it (#teruskan).
    Wednesday 10:00, 2 working days after the escalation, LKPP must not be told "kami belum
    menerima informasi tersebut" with the coordinators in copy, nor the requester told a
    status was asked for; LKPP's next progress report is due a working day after its status."""
    servers, config = env
    otrs_escalation(servers, config)
    alert = agent_writes(servers, config, "Permasalahan sedang kami proses oleh tim teknis.", at("2026-11-24T09:00"))
    raw, _ = mf.reply_as_client(alert, mf.STAFF[0], "#teruskan")
    arrive(servers, config, raw, at("2026-11-24T09:30"))
    assert "sedang kami proses" in mf.text_of(latest_of(servers, REQUESTER, "relay"))

    mf.sweep(config, at("2026-11-25T09:29"))
    mf.sweep(config, at("2026-11-25T10:01"))
    assert "overdue_lkpp" not in kinds(servers, mf.LKPP)
    assert "status_user" not in kinds(servers, REQUESTER)
    assert kinds(servers, mf.LKPP) == ["escalate", "remind_lkpp"]  # one working day after the status
    reminder = latest_of(servers, mf.LKPP, "remind_lkpp")
    assert f"[Ticket#{LKPP_NUMBER}]" in str(reminder["Subject"])


def test_a_data_request_staff_relayed_from_lkpps_desk_is_an_answer_from_lkpp(env):
    """SOP-015 steps 5-9: LKPP asked for data (via its desk, relayed by #permintaan-data), the
    requester sent it; LKPP answered within 2 working days, so no status request follows."""
    servers, config = env
    otrs_escalation(servers, config)
    alert = agent_writes(servers, config, "Mohon dikirimkan screenshot pesan error dan kode tender.",
                         at("2026-11-24T09:00"))
    raw, _ = mf.reply_as_client(alert, mf.STAFF[0], "#permintaan-data")
    arrive(servers, config, raw, at("2026-11-24T09:30"))
    assert ticket(config).state is State.AWAITING_INFO
    request = latest_of(servers, REQUESTER, "need_info")

    raw, _ = mf.reply_as_client(request, REQUESTER, "Kode tender 10012345000, screenshot terlampir.")
    answer = mf.parse(raw)
    answer.add_attachment(mf.PDF, maintype="application", subtype="pdf", filename="screenshot.pdf")
    arrive(servers, config, answer.as_bytes(), at("2026-11-24T11:00"))
    assert ticket(config).state is State.ESCALATED
    forwarded = latest_of(servers, mf.LKPP, "forward_info")
    assert [p.get_filename() for p in forwarded.iter_attachments()] == ["screenshot.pdf"]

    mf.sweep(config, at("2026-11-25T10:01"))
    assert "overdue_lkpp" not in kinds(servers, mf.LKPP)
    assert "status_user" not in kinds(servers, REQUESTER)


def test_lkpp_is_not_chased_for_progress_minutes_after_it_received_the_data_it_asked_for(env):
    """SOP-015 steps 9-14: LKPP asked for data Monday 10:00 and waited for the requester;
    the data reached LKPP Tuesday 09:50. A reminder at 10:00 ("kami belum menerima
    perkembangan penanganan sejak informasi terakhir") ten minutes later asks LKPP for
    progress on data it has just received; its day to report runs from the data."""
    servers, config = env
    escalation = open_and_escalate(servers, config, at("2026-11-23T09:00"), at("2026-11-23T09:30"))
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "Mohon dilengkapi screenshot pesan error dan kode tender.",
                                to=mf.UNIT)
    arrive(servers, config, raw, at("2026-11-23T10:00"))
    assert ticket(config).state is State.AWAITING_INFO
    request = latest_of(servers, REQUESTER, "need_info")
    raw, _ = mf.reply_as_client(request, REQUESTER, "Kode tender 10012345000, screenshot terlampir.")
    arrive(servers, config, raw, at("2026-11-24T09:50"))
    assert kinds(servers, mf.LKPP) == ["escalate", "forward_info"]

    mf.sweep(config, at("2026-11-24T10:01"))
    mf.sweep(config, at("2026-11-24T16:00"))
    assert kinds(servers, mf.LKPP) == ["escalate", "forward_info"]
    mf.sweep(config, at("2026-11-25T09:51"))
    assert kinds(servers, mf.LKPP) == ["escalate", "forward_info", "remind_lkpp"]


# --- the rule itself, pure -------------------------------------------------------------------


@pytest.mark.parametrize(("role", "authenticated", "automatic", "label", "cited", "spoke"), [
    (Role.LKPP, True, False, "lkpp_replied", "escalate", True),
    (Role.LKPP, False, False, "unverified_note", "", False),  # unproven mail moves no timer by itself
    (Role.LKPP, True, True, "automatic_recorded", "escalate", False),  # LKPP's desk's auto-ack
    (Role.STAFF, True, False, "command_relay", "unverified", True),  # #teruskan vouching for it
    (Role.STAFF, True, False, "command_need_info", "unverified", True),  # #permintaan-data vouching for it
    (Role.STAFF, True, False, "command_relay", "staff_lkpp", False),  # LKPP's mail already counted
    (Role.STAFF, True, False, "note", "unverified", False),  # a #catatan on the alert says nothing of LKPP
])
def test_what_counts_as_word_from_lkpp_for_its_timers(role, authenticated, automatic, label, cited, spoke):
    facts = SimpleNamespace(role=role, message=SimpleNamespace(is_automatic=automatic))
    citations = [Citation("2026-00001", frozenset("s"), cited)] if cited else []
    assert lkpp_spoke(facts, Trust(authenticated, ""), label, citations) is spoke

"""SOP-015 with LKPP's desk on five other ticket systems, over real Dovecot and SMTP
(issue 32): OTRS/Znuny, Zammad, osTicket, Jira Service Management and Freshdesk, their
mail as each writes it (tests/data/desks/, see its README). For each: the desk's
acknowledgement teaches mailbot its reference, exactly as written; the agent's data
request reaches the requester; the requester's data goes to LKPP with that reference in
the subject; the agent's solution reaches the requester; the desk's status notice goes to
no requester and alerts no one; YA 5 closes. Request Tracker runs for real in
tests/test_rt_desk.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.config import load_config
from mailbot.core.model import State
from mailbot.io.store import Store
from tests.mailfactory import (
    LKPP,
    STAFF,
    UNIT,
    deliver,
    inbox,
    latest,
    mail,
    of_kind,
    reply_as_client,
    text_of,
    write_config,
)

DESKS = Path(__file__).parent / "data" / "desks"
REQUESTER = "budi@vendor.test"
COORDINATOR = "koordinator@lpse.test"

# system -> the reference as its subjects write it (tests/data/desks/README.md)
REFERENCES = {
    "otrs": "[Ticket#2026112410000017]",
    "zammad": "[Ticket#31001]",
    "osticket": "[#658214]",
    "jsm": "(SD-123)",
    "freshdesk": "#4521",
}


def desk_mail(system: str, name: str, escalation, last_id: str = "") -> bytes:
    template = (DESKS / system / f"{name}.eml").read_text(encoding="utf-8")
    filled = (template.replace("{{ESC_ID}}", str(escalation["Message-ID"]))
              .replace("{{LAST_ID}}", last_id).replace("{{ESC_SUBJECT}}", str(escalation["Subject"])))
    return filled.replace("\n", "\r\n").encode("utf-8")


def unverified_alerts(servers) -> int:
    return sum(len(of_kind(inbox(servers, person), "unverified")) for person in (*STAFF, COORDINATOR))


@pytest.mark.parametrize("system", sorted(REFERENCES))
def test_sop_015_with_lkpps_desk_on(system, fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    raw, _ = mail(REQUESTER, "Tidak bisa reset akun penyedia",
                  "Selamat siang,\nakun saya terkunci dan reset password tidak berhasil.\n\nBudi Santoso\nPT Maju Jaya",
                  name="Budi Santoso")
    deliver(servers, config, raw)
    raw, _ = reply_as_client(latest(servers, STAFF[0]), STAFF[0], "#eskalasi\nMohon bantuan reset akun penyedia.")
    deliver(servers, config, raw)
    escalation = latest(servers, LKPP)
    requester_mail = len(inbox(servers, REQUESTER))

    deliver(servers, config, desk_mail(system, "ack", escalation))
    ticket = Store(load_config(config).database).tickets()[0]
    assert ticket.state is State.ESCALATED
    assert ticket.lkpp_ref == REFERENCES[system]
    assert len(inbox(servers, REQUESTER)) == requester_mail

    deliver(servers, config, desk_mail(system, "ask", escalation))
    assert Store(load_config(config).database).tickets()[0].state is State.AWAITING_INFO
    request = latest(servers, REQUESTER)
    assert request["X-Mailbot-Kind"] == "need_info"
    assert "ditandatangani PA/KPA" in text_of(request)

    raw, _ = reply_as_client(request, REQUESTER, "Berikut NIP saya 198701012010011001, surat menyusul hari ini.")
    deliver(servers, config, raw)
    forwarded = latest(servers, LKPP)
    assert forwarded["X-Mailbot-Kind"] == "forward_info"
    assert REFERENCES[system] in str(forwarded["Subject"]) and "198701012010011001" in text_of(forwarded)

    deliver(servers, config, desk_mail(system, "solve", escalation, str(forwarded["Message-ID"])))
    assert Store(load_config(config).database).tickets()[0].state is State.RESOLVED
    solution = latest(servers, REQUESTER)
    assert "sudah kami reset" in text_of(solution)

    if (DESKS / system / "notice.eml").exists():
        before = len(inbox(servers, REQUESTER))
        deliver(servers, config, desk_mail(system, "notice", escalation))
        assert len(inbox(servers, REQUESTER)) == before
        assert Store(load_config(config).database).tickets()[0].state is State.RESOLVED
    assert unverified_alerts(servers) == 0

    raw, _ = reply_as_client(solution, REQUESTER, "YA 5\nTerima kasih.")
    deliver(servers, config, raw)
    ticket = Store(load_config(config).database).tickets()[0]
    assert ticket.state is State.CLOSED and ticket.rating == 5
    assert servers.fetch(UNIT) == []  # every message was handled and moved out of the INBOX


def test_the_chaser_to_lkpp_carries_the_desks_reference_exactly(fresh_mailboxes, tmp_path):
    """SOP-015 step 12: the status request that goes to LKPP after 2 working days carries the
    reference its desk's auto-reply gave ("[lkpp.test #5]", Request Tracker's form), so the
    desk adds it to the same case instead of opening another."""
    from tests.mailfactory import handle_at, parse, sweep
    from tests.test_flow_deadlines import at, open_and_escalate

    servers, config = fresh_mailboxes, write_config(fresh_mailboxes, tmp_path)
    escalation = open_and_escalate(servers, config, at("2026-11-20T14:00"), at("2026-11-20T15:30"))
    ack, _ = mail(LKPP, f"[lkpp.test #5] AutoReply: {escalation['Subject']}",
                  "This message has been automatically generated in response to the creation of a trouble "
                  "ticket.\nYour ticket has been assigned an ID of [lkpp.test #5].\n",
                  in_reply_to=str(escalation["Message-ID"]).strip("<>"),
                  headers={"Auto-Submitted": "auto-replied", "Precedence": "bulk",
                           "References": f"<RT-Ticket-5@lkpp.test> {escalation['Message-ID']}"})
    servers.append(UNIT, ack)
    handle_at(config, at("2026-11-20T15:35"))
    sweep(config, at("2026-11-24T15:31"))
    chaser = parse(servers.fetch(LKPP)[-1])
    assert chaser["X-Mailbot-Kind"] == "overdue_lkpp"
    assert str(chaser["Subject"]).startswith("[LPSE-T #2026-00001] [lkpp.test #5] ")

"""SOP-015 with LKPP's desk on five other ticket systems, over real Dovecot and SMTP
: OTRS/Znuny, Zammad, osTicket, Jira Service Management and Freshdesk, their
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

from mailbot.config.load import load_config
from mailbot.io.store import Store
from mailbot.model import State
from tests import mailfactory as mf

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
    return sum(len(mf.of_kind(mf.inbox(servers, person), "unverified")) for person in (*mf.STAFF, COORDINATOR))


@pytest.mark.parametrize("system", sorted(REFERENCES))
def test_sop_015_with_lkpps_desk_on(system, fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(REQUESTER, "Tidak bisa reset akun penyedia",
                     "Selamat siang,\nakun saya terkunci dan reset password tidak berhasil.\n\n"
                     "Budi Santoso\nPT Maju Jaya",
                     name="Budi Santoso")
    mf.deliver(servers, config, raw)
    raw, _ = mf.reply_as_client(mf.latest(servers, mf.STAFF[0]), mf.STAFF[0],
                                "#eskalasi\nMohon bantuan reset akun penyedia.")
    mf.deliver(servers, config, raw)
    escalation = mf.latest(servers, mf.LKPP)
    requester_mail = len(mf.inbox(servers, REQUESTER))

    mf.deliver(servers, config, desk_mail(system, "ack", escalation))
    ticket = Store(load_config(config).database).search.tickets()[0]
    assert ticket.state is State.ESCALATED
    assert ticket.lkpp_ref == REFERENCES[system]
    assert len(mf.inbox(servers, REQUESTER)) == requester_mail

    mf.deliver(servers, config, desk_mail(system, "ask", escalation))
    assert Store(load_config(config).database).search.tickets()[0].state is State.AWAITING_INFO
    request = mf.latest(servers, REQUESTER)
    assert request["X-Mailbot-Kind"] == "need_info"
    assert "ditandatangani PA/KPA" in mf.text_of(request)

    raw, _ = mf.reply_as_client(request, REQUESTER, "Berikut NIP saya 198701012010011001, surat menyusul hari ini.")
    mf.deliver(servers, config, raw)
    forwarded = mf.latest(servers, mf.LKPP)
    assert forwarded["X-Mailbot-Kind"] == "forward_info"
    assert REFERENCES[system] in str(forwarded["Subject"]) and "198701012010011001" in mf.text_of(forwarded)

    mf.deliver(servers, config, desk_mail(system, "solve", escalation, str(forwarded["Message-ID"])))
    assert Store(load_config(config).database).search.tickets()[0].state is State.RESOLVED
    solution = mf.latest(servers, REQUESTER)
    assert "sudah kami reset" in mf.text_of(solution)

    if (DESKS / system / "notice.eml").exists():
        before = len(mf.inbox(servers, REQUESTER))
        mf.deliver(servers, config, desk_mail(system, "notice", escalation))
        assert len(mf.inbox(servers, REQUESTER)) == before
        assert Store(load_config(config).database).search.tickets()[0].state is State.RESOLVED
    assert unverified_alerts(servers) == 0

    raw, _ = mf.reply_as_client(solution, REQUESTER, "YA 5\nTerima kasih.")
    mf.deliver(servers, config, raw)
    ticket = Store(load_config(config).database).search.tickets()[0]
    assert ticket.state is State.CLOSED and ticket.rating == 5
    assert servers.fetch(mf.UNIT) == []  # every message was handled and moved out of the INBOX


def test_the_chaser_to_lkpp_carries_the_desks_reference_exactly(fresh_mailboxes, tmp_path):
    """SOP-015 step 12: the status request that goes to LKPP after 2 working days carries the
    reference its desk's auto-reply gave ("[lkpp.test #5]", Request Tracker's form), so the
    desk adds it to the same case instead of opening another."""
    from tests.mailfactory import handle_at, parse, sweep
    from tests.test_flow_deadlines import at, open_and_escalate

    servers, config = fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)
    escalation = open_and_escalate(servers, config, at("2026-11-20T14:00"), at("2026-11-20T15:30"))
    ack, _ = mf.mail(mf.LKPP, f"[lkpp.test #5] AutoReply: {escalation['Subject']}",
                     "This message has been automatically generated in response to the creation of a trouble "
                     "ticket.\nYour ticket has been assigned an ID of [lkpp.test #5].\n",
                     in_reply_to=str(escalation["Message-ID"]).strip("<>"),
                     headers={"Auto-Submitted": "auto-replied", "Precedence": "bulk",
                              "References": f"<RT-Ticket-5@lkpp.test> {escalation['Message-ID']}"})
    servers.append(mf.UNIT, ack)
    handle_at(config, at("2026-11-20T15:35"))
    sweep(config, at("2026-11-24T15:31"))
    chaser = parse(servers.fetch(mf.LKPP)[-1])
    assert chaser["X-Mailbot-Kind"] == "overdue_lkpp"
    assert str(chaser["Subject"]).startswith("[LPSE-T #2026-00001] [lkpp.test #5] ")

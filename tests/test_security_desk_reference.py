"""A desk's reference is a counter, not a secret, over real Dovecot and SMTP.

LKPP's ticket systems number consecutively (`[Ticket#2026112410000017]`, `[lkpp.test #5]`).
A requester who saw their own case's reference guesses the neighbour's and writes as LKPP's
desk with it: no In-Reply-To, a "solution" that asks for the SPSE password at an outside
address. Nothing of that may reach the other requester From the unit, nor move their ticket
(SPEC 3, 9): the mail waits for staff. LKPP's own desk, answering from its command line with
no In-Reply-To, still reaches the requester without staff, through the escalation key that
mailbot put in the subject of its mail to LKPP alone and the desk carries back.
"""

from __future__ import annotations

import re

import pytest

from mailbot.config.load import load_config
from mailbot.io.store import Store
from mailbot.model import State
from tests import mailfactory as mf

VICTIM = "budi@vendor.test"
ATTACKER = "sari@dinas.test"
PHISH = "Untuk menyelesaikan reset, kirim user ID dan password SPSE Anda ke verifikasi.lkpp@gmail.com hari ini."
KEY = re.compile(r"\[ref:[a-z2-7]{10}\]")


def _escalated(servers, config, requester: str, subject: str, passed: bool = False) -> object:
    """A requester's case, escalated by staff from their notice: LKPP's copy of the escalation.
    `passed`: the unit's server vouches for the staff member (`auth.mode: authres`)."""
    raw, _ = mf.mail(requester, subject, "Selamat pagi,\nakun saya terkunci sejak kemarin.\n\nSiti", name="Siti")
    mf.deliver(servers, config, raw)
    notice = [m for m in mf.inbox(servers, mf.STAFF[0]) if requester in mf.text_of(m)][-1]
    raw, _ = mf.mail(mf.STAFF[0], f"Re: {notice['Subject']}", "#eskalasi\nMohon bantuan reset akun.",
                     in_reply_to=str(notice["Message-ID"]).strip("<>"),
                     headers=mf.vouched(mf.STAFF[0]) if passed else None)
    mf.deliver(servers, config, raw)
    return mf.latest(servers, mf.LKPP, "escalate")


def _desk_ack(servers, config, escalation, reference: str, passed: bool = False) -> None:
    """The desk's auto-reply to the escalation, as OTRS writes it: it teaches the reference."""
    raw, _ = mf.mail(mf.LKPP, f"{reference} RE: {escalation['Subject']}", "Tiket Anda telah kami terima.",
                     in_reply_to=str(escalation["Message-ID"]).strip("<>"),
                     headers={"Auto-Submitted": "auto-replied", "X-OTRS-Loop": "yes", "Precedence": "bulk",
                              **(mf.vouched(mf.LKPP) if passed else {})})
    mf.deliver(servers, config, raw)


def _ticket(config, number: str):
    return Store(load_config(config).database).tickets.ticket_by_number("t", number)


@pytest.mark.parametrize("mode", ["token", "authres"])
def test_a_guessed_desk_reference_makes_no_solution_from_the_unit(fresh_mailboxes, tmp_path, mode):
    """Attack 1 as the attacker writes it: the neighbour's OTRS number, LKPP's display name
    and address, no In-Reply-To, our tag of the other ticket guessed too. In `authres` mode the
    forged mail carries no pass of the unit's server; both modes keep it for staff."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, **({"auth": mf.AUTHRES} if mode == "authres" else {}))
    passed = mode == "authres"
    victim_case = _escalated(servers, config, VICTIM, "Akun penyedia terkunci", passed)
    _desk_ack(servers, config, victim_case, "[Ticket#2026112410000017]", passed)
    attacker_case = _escalated(servers, config, ATTACKER, "Tidak bisa unggah dokumen", passed)
    _desk_ack(servers, config, attacker_case, "[Ticket#2026112410000018]", passed)
    assert _ticket(config, "2026-00001").lkpp_ref == "[Ticket#2026112410000017]"
    before = len(mf.inbox(servers, VICTIM))

    forged, _ = mf.mail(mf.LKPP, "[Ticket#2026112410000017] RE: [LPSE-T #2026-00001] Akun penyedia terkunci",
                        f"Yth. Bapak/Ibu,\n\nAkun sudah kami reset. {PHISH}\n\nSalam,\nHelpdesk LKPP",
                        name="Helpdesk LKPP")
    mf.deliver(servers, config, forged)

    assert len(mf.inbox(servers, VICTIM)) == before
    assert all("verifikasi.lkpp" not in mf.text_of(m) for m in mf.inbox(servers, VICTIM))
    assert _ticket(config, "2026-00001").state is State.ESCALATED
    alerts = [m for person in mf.STAFF for m in mf.of_kind(mf.inbox(servers, person), "unverified")]
    assert alerts and "verifikasi.lkpp" in mf.text_of(alerts[-1])  # staff see it, and decide
    assert servers.fetch(mf.UNIT) == []


def test_the_desks_command_line_answer_reaches_the_requester_through_the_escalation_key(fresh_mailboxes, tmp_path):
    """An RT agent answering from the CLI: the desk's reference and the subject it kept from
    our escalation, which carries the key; no In-Reply-To. It is LKPP's, in token mode, with
    no staff step; the key never reaches the requester."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    escalation = _escalated(servers, config, VICTIM, "Akun penyedia terkunci")
    subject = str(escalation["Subject"])
    assert KEY.search(subject), subject
    raw, _ = mf.mail(mf.LKPP, f"[lkpp.test #5] {subject}", "Akun sudah kami reset, silakan login kembali.",
                     headers={"Precedence": "bulk", "References": "<RT-Ticket-5@lkpp.test>"})
    mf.deliver(servers, config, raw)

    assert _ticket(config, "2026-00001").state is State.RESOLVED
    solution = mf.latest(servers, VICTIM)
    assert "sudah kami reset" in mf.text_of(solution)
    assert all(not KEY.search(str(m["Subject"])) and not KEY.search(mf.text_of(m)) for m in mf.inbox(servers, VICTIM))
    assert mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "unverified") == []


def test_a_desk_answer_with_only_its_reference_waits_for_staff_who_relay_it(fresh_mailboxes, tmp_path):
    """The genuine desk's mail that lost the key (an agent who retyped the subject): staff
    decide; their #teruskan on the alert passes it on (SPEC 9: where the evidence is missing,
    staff decide)."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    escalation = _escalated(servers, config, VICTIM, "Akun penyedia terkunci")
    _desk_ack(servers, config, escalation, "[Ticket#2026112410000017]")
    raw, _ = mf.mail(mf.LKPP, "[Ticket#2026112410000017] Akun penyedia",
                     "Mohon dikirimkan surat permohonan reset yang ditandatangani PA/KPA.")
    mf.deliver(servers, config, raw)
    assert _ticket(config, "2026-00001").state is State.ESCALATED
    alert = mf.latest(servers, mf.STAFF[0], "unverified")

    raw, _ = mf.reply_as_client(alert, mf.STAFF[0], "#permintaan-data")
    mf.deliver(servers, config, raw)
    assert _ticket(config, "2026-00001").state is State.AWAITING_INFO
    assert "ditandatangani PA/KPA" in mf.text_of(mf.latest(servers, VICTIM))

"""Red team, threading (SPEC 3, 4): how requesters' real mail finds its ticket, over real
Dovecot and SMTP, read back as mail clients would."""

from __future__ import annotations

import pytest

from mailbot.config import load_config
from mailbot.io.store import Store
from tests.mailfactory import UNIT, inbox, mail, of_kind, run_once, write_config

REQUESTER = "budi@vendor.test"
BOSS = "atasan@vendor.test"  # the requester's supervisor (PPK), reached through the catch-all


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, write_config(fresh_mailboxes, tmp_path)


def store_of(config) -> Store:
    return Store(load_config(config).database)


def references(msg) -> tuple[str, ...]:
    return tuple(r.strip("<>") for r in f"{msg.get('References', '')} {msg['Message-ID']}".split())


def test_a_supervisor_the_requester_wrote_to_is_heard_on_the_ticket(env):
    """SPEC 3: a tag or reference is honoured for "an address already seen on it". A requester
    writes To the unit and to their supervisor; the supervisor answers all ("mohon segera").
    They got a second ticket and an ack of their own; their word now joins the first ticket."""
    servers, config = env
    raw, first = mail(REQUESTER, "Akun terkunci", "Mohon bantu, akun saya terkunci.", to=f"{UNIT}, {BOSS}")
    servers.append(UNIT, raw)
    run_once(config)
    raw, _ = mail(BOSS, "Re: Akun terkunci", "Mohon segera ditindaklanjuti, tender tutup besok.",
                  to=REQUESTER, cc=(UNIT,), in_reply_to=first)
    servers.append(UNIT, raw)
    run_once(config)
    [ticket] = store_of(config).tickets()
    assert [m["sender"] for m in store_of(config).messages_of(ticket.id) if m["direction"] == "in"] == [REQUESTER, BOSS]
    assert [m["X-Mailbot-Kind"] for m in inbox(servers, "catchall@lpse.test") if m["X-Mailbot-Kind"]] == []


def test_a_colleague_copied_on_a_later_reply_is_heard_on_the_ticket(env):
    """The requester answers the ack and adds their supervisor in Cc; the supervisor's
    reply-all (tag in the subject) is added to the ticket, not opened as a duplicate."""
    servers, config = env
    raw, _ = mail(REQUESTER, "Akun terkunci", "Mohon bantu, akun saya terkunci.")
    servers.append(UNIT, raw)
    run_once(config)
    [ack] = inbox(servers, REQUESTER)
    raw, second = mail(REQUESTER, "Re: " + ack["Subject"], "Saya tambahkan atasan saya di Cc.", cc=(BOSS,),
                       in_reply_to=ack["Message-ID"].strip("<>"), references=references(ack)[:-1])
    servers.append(UNIT, raw)
    run_once(config)
    raw, _ = mail(BOSS, "Re: " + ack["Subject"], "Mohon segera ditindaklanjuti.", to=REQUESTER, cc=(UNIT,),
                  in_reply_to=second)
    servers.append(UNIT, raw)
    run_once(config)
    [ticket] = store_of(config).tickets()
    assert [m["sender"] for m in store_of(config).messages_of(ticket.id) if m["direction"] == "in"] == \
        [REQUESTER, REQUESTER, BOSS]
    assert of_kind(inbox(servers, "catchall@lpse.test"), "ack") == []

"""A ticket nobody can touch, over real Dovecot and SMTP: a reply to a staff notice from an
address outside the unit (SPEC 9).

A staff notice's Message-ID proves staff because it went to staff alone. When a reply to it
comes from elsewhere (the host's root account, a personal address the notice was forwarded
to), that key is in outside hands: from then on a reply to it proves no one. Before, the
outsider's reply opened a new ticket, acked to them, and every staff reply to the notice was
refused as replying "only to mail the requester received too", which was untrue, with no
word of how to work the ticket. Now the outsider's reply is recorded on the ticket it
answers, staff and the coordinators are told once with a fresh notice whose reply works,
and a reply to the old notice is refused saying what happened, in a mail that works too.
"""

from __future__ import annotations

import pytest

from mailbot.model import State
from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"
OUTSIDER = "root@lpse.test"  # the host's root account: no staff, no participant; its mail goes to the catch-all


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_reply_from_outside_to_a_staff_notice_leaves_the_ticket_workable(env):
    servers, config = env
    mf.deliver(servers, config, mf.mail(REQUESTER, "Gagal upload dokumen penawaran",
                                        "Upload dokumen penawaran selalu gagal.", name="Budi Santoso")[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    acks = len(mf.inbox(servers, REQUESTER))

    # the notice reached root's mailbox (a forward), and root's mail client answered it
    mf.deliver(servers, config, mf.reply_as_client(notice, OUTSIDER, "Server penuh, mohon dicek.")[0])
    store = mf.store_of(config)
    [ticket] = store.search.tickets()  # no new ticket for the outsider
    assert ticket.state is State.OPEN
    assert any(e["kind"] == "outside_reply" and OUTSIDER in e["detail"] for e in store.history.events_of(ticket.id))
    assert mf.inbox(servers, "catchall@lpse.test") == []  # nothing went to the outsider: no ack
    assert len(mf.inbox(servers, REQUESTER)) == acks
    # the coordinators are told once, with what the outsider wrote; staff get the same fresh notice
    [told] = mf.inbox(servers, mf.COORDINATOR)
    assert told["X-Mailbot-Kind"] == "staff_alert"
    said = flat(mf.text_of(told))
    assert OUTSIDER in said and "Server penuh, mohon dicek." in said
    fresh = mf.latest(servers, mf.STAFF[0], "staff_alert")
    assert "MEMBALAS EMAIL INI" in flat(mf.text_of(fresh))

    # a reply to the fresh notice works: the requester gets it
    mf.deliver(servers, config, mf.reply_as_client(fresh, mf.STAFF[0], "Silakan coba unggah kembali sekarang.")[0])
    answer = mf.latest(servers, REQUESTER)
    assert "Silakan coba unggah kembali sekarang." in flat(mf.text_of(answer))
    assert mf.store_of(config).search.tickets()[0].state is State.ANSWERED

    # a reply to the old notice is refused with the true reason, in a mail whose reply works
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[1], "#catatan Sudah ditelepon.")[0])
    refused = mf.latest(servers, mf.STAFF[1], "not_run")
    why = flat(mf.text_of(refused))
    assert "sampai ke pihak di luar unit" in why and "BALAS EMAIL INI" in why
    assert "juga diterima pengguna" not in why
    mf.deliver(servers, config, mf.reply_as_client(refused, mf.STAFF[1], "#catatan Sudah ditelepon.")[0])
    assert mf.latest(servers, mf.STAFF[1])["X-Mailbot-Kind"] == "command_ok"
    assert len(mf.inbox(servers, REQUESTER)) == acks + 1  # the answer alone
    assert mf.inbox(servers, "catchall@lpse.test") == []

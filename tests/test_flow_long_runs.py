"""A requester's mail with a long run in it (thousands of blank lines, one endless word) is
answered like any other mail (SPEC 3, SPEC 9).

What reads the requester's words (their identity's fields, the autoresponder's repeats) must
cost a scan of the text, not a scan of the rest of it from every line: with patterns that
let `^\\s*` run over the blank lines below a line start, or `\\S*\\d\\S*` try every letter of a
word without a digit, a 16 KB run of blank lines or a 100 KB word took a request past its
30 s (`limits.message_seconds`, the default here) and into Quarantine, the mailbox stalled
meanwhile. Real servers on loopback; the ack and the staff's update are read back over IMAP.
"""

from __future__ import annotations

import pytest

from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests import mailfactory as mf

RUNS = {
    "blank lines": "\n" * 20_000,
    "blank lines with spaces": " \n" * 20_000,
    "one endless word": "a" * 100_000,
}
REQUEST = "Selamat pagi, akun SPSE kami terkunci sejak kemarin sore, mohon dibantu dibuka kembali.\n"
MORE = ("Berikut kami tambahkan data perusahaan kami untuk tiket ini, mohon diperiksa kembali oleh "
        "Bapak dan Ibu di helpdesk LPSE.\n")
SIGNATURE = "\nSalam,\nBudi Santoso\nCV Maju Jaya\nTelp. 0778-123456\n"


@pytest.mark.parametrize("run", RUNS)
def test_a_request_and_its_reply_with_a_long_run_in_them_are_answered(fresh_mailboxes, tmp_path, run):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail("budi@vendor.test", "Akun terkunci", REQUEST + RUNS[run] + SIGNATURE)
    mf.deliver(servers, config, raw)
    ack = mf.latest(servers, "budi@vendor.test", "ack")
    reply, reply_id = mf.reply_as_client(ack, "budi@vendor.test", MORE + RUNS[run] + SIGNATURE)
    mf.deliver(servers, config, reply)

    assert servers.fetch(mf.UNIT, "Quarantine") == []
    assert len(servers.fetch(mf.UNIT, "Processed")) == 2
    update = mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_update"))
    assert "Berikut kami tambahkan data perusahaan" in update
    store = Store.of(load_config(config))
    try:
        [ticket] = store.search.tickets()
        assert reply_id in {m.message_id for m in store.messages.thread_of(ticket.id)}
        assert ticket.requester.addr == "budi@vendor.test"
    finally:
        store.close()

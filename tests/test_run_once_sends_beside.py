"""`run --once` sends while it takes mail in.

A backlog of requests (senders the unit's server vouches for), several fetch batches long,
in the unit's INBOX; one `run --once` over the real Dovecot and SMTP: the first ack is
accepted by the SMTP server before the last request has its ticket (before, nothing was
sent until the whole backlog was in), and at the end every requester has exactly one ack,
read back over IMAP.
"""

from __future__ import annotations

from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests.mailfactory import mail, run_once, write_config
from tests.test_security_ack_flood import TOKEN, acks_to, result

BACKLOG = 160  # more than three fetch batches (imap.FETCH_BATCH is 50)


def test_the_first_acks_leave_before_the_backlog_is_taken_in(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, auth=TOKEN)
    senders = [f"penyedia{n}@asal{n}.test" for n in range(BACKLOG)]
    with servers.imap("lpse@lpse.test") as client:
        for n, sender in enumerate(senders):
            # the unit's own server vouches for each sender: no ack waits for the hour's budget
            client.append("INBOX", mail(sender, f"Kendala akun nomor {n}", f"Akun nomor {n} tidak bisa login.",
                                        headers=result(sender, "pass"))[0])
    run_once(config)
    store = Store(load_config(config).database)
    [(first_sent,)] = store.db.execute("select min(sent_at) from outbox where kind = 'ack'").fetchall()
    [(last_ticket,)] = store.db.execute("select max(created_at) from tickets").fetchall()
    assert first_sent < last_ticket
    assert [acks_to(servers, s) for s in senders] == [1] * BACKLOG

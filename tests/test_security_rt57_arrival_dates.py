"""A red team (SPEC 5, `limits.acks_per_hour`): an ack is counted in the
hour its mail reached the mailbox (its INTERNALDATE), so that a backlog read after a night
down is no flood. Over the suite's Dovecot and SMTP in the default `auth.mode: token`.

An INTERNALDATE is whatever the server was given: an APPEND (an import, a migration, a
fetcher that keeps the Date header) may date a new message days back. A hundred and twenty
strangers' mails that reach the INBOX after mailbot last read it, each dated 25 minutes before
the one before, were each counted in an hour of its own and all acked in one pass: the hour's
budget (60) never held. Mail that was not there when mailbot last read the folder came after
that read, whatever date it carries; a forged Date header was never read as the arrival.
"""

from __future__ import annotations

from datetime import timedelta

from tests import mailfactory as mf
from tests.test_security_ack_flood import TOKEN, acks_to, at, result

BUDGET = 60  # limits.acks_per_hour's default (SPEC 5)


def _flood(servers, dated) -> list[str]:  # type: ignore[no-untyped-def]
    senders = [f"info@domain{n}.test" for n in range(2 * BUDGET)]
    for n, sender in enumerate(senders):
        raw = mf.mail(sender, f"Penawaran kerja sama {n}", f"Kami menawarkan produk nomor {n} seharga {n * 7}.",
                      headers=result(sender, "none"), date=dated(n))[0]
        servers.append(mf.UNIT, raw, msg_time=dated(n))
    return senders


def test_mail_dated_before_the_last_read_is_counted_from_that_read(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    mf.handle_at(config, at("2026-11-23T10:00"))  # the folder read: nothing new
    senders = _flood(servers, lambda n: at("2026-11-23T09:59") - timedelta(minutes=25 * n))
    mf.handle_at(config, at("2026-11-23T10:05"))
    assert sum(acks_to(servers, s) for s in senders) == BUDGET
    mf.handle_at(config, at("2026-11-23T11:06"))  # the held half goes by itself when the hour frees
    assert sum(acks_to(servers, s) for s in senders) == 2 * BUDGET


def test_a_backlog_that_came_while_mailbot_was_down_is_still_counted_as_it_came(fresh_mailboxes, tmp_path):
    """A backlog: read at 10:00 on Monday, down until Wednesday; 120 mails came over
    those two days, 25 minutes apart. Each hour held at most 60, so all are acked at once."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN)
    mf.handle_at(config, at("2026-11-23T10:00"))
    senders = _flood(servers, lambda n: at("2026-11-23T10:01") + timedelta(minutes=25 * n))
    mf.handle_at(config, at("2026-11-25T12:00"))
    assert sum(acks_to(servers, s) for s in senders) == 2 * BUDGET

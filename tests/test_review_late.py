"""Late review: regressions of 9fd4386..HEAD, each proved by running it."""

from __future__ import annotations

import pytest

from tests.rawsmtp import Clock, RawSmtp, flush_for, make_app, new_ticket, rows


@pytest.fixture
def raw_smtp(fresh_mailboxes):
    with RawSmtp() as server:
        yield fresh_mailboxes, server


def test_a_healthy_mail_is_not_starved_behind_a_slow_one_to_the_same_domain(raw_smtp, tmp_path):
    """One address whose RCPT always times out (a tarpitted unknown mailbox, a callout
    that never answers) must not keep every other mail to its domain from ever being tried:
    the skipped mail is backed off in step with the slow one, so it is due in the very pass
    the slow one is, and skipped again, until max_retry_hours marks it failed untried."""
    servers, smtp = raw_smtp
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock, timeout=1, max_retry_hours=2)
    smtp.script.rcpt_delay["salah@vendor.test"] = 2.0
    new_ticket(servers, "salah@vendor.test", "Akun terkunci")
    new_ticket(servers, "budi@vendor.test", "Jadwal tender tidak bisa diubah")
    app.poll_all()
    flush_for(app, clock, 150, step=5)
    print([(r["kind"], r["rcpt"], r["status"], r["attempts"], (r["last_error"] or "")[:50]) for r in rows(app)])
    tried = [c for c in smtp.script.commands if c.lower().startswith("rcpt to:<budi@vendor.test")]
    assert tried, "budi's ack was never even tried"
    assert smtp.script.copies("budi@vendor.test", "ack")

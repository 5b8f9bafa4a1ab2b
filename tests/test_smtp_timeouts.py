"""A reply that does not come within `smtp.timeout` is a temporary failure of that mail
(SPEC 5), tried again with backoff, not at once on a new session, and the destination's
other mail waits for the next pass: a relay that answers one destination's RCPT slowly (a
callout) would otherwise cost every mail to it the time-out, twice, while the rest of the
outbox waits behind it."""

from __future__ import annotations

import time

import pytest

from tests.rawsmtp import Clock, RawSmtp, flush_for, make_app, new_ticket, rows


@pytest.fixture
def raw_smtp(fresh_mailboxes):
    with RawSmtp() as server:
        yield fresh_mailboxes, server


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "stepwise"])
def test_a_slow_rcpt_is_waited_for_once_per_pass(raw_smtp, tmp_path, pipelining):
    servers, smtp = raw_smtp
    if not pipelining:
        smtp.script.extensions = ["8BITMIME"]
    app = make_app(servers, smtp, tmp_path, Clock(), timeout=1)
    slow = ("user0@lambat.test", "user1@lambat.test")
    for address in slow:
        smtp.script.rcpt_delay[address] = 1.5
        new_ticket(servers, address, f"Masalah dari {address}")
    app.poll_all()
    new_ticket(servers, "sari@dinas.test", "Jadwal tender tidak bisa diubah")
    app.poll_all()
    started = time.monotonic()
    app.flush_outbox()
    waited = time.monotonic() - started
    tried = [c.lower() for c in smtp.script.commands if c.upper().startswith("RCPT TO:")]
    # one time-out for the destination in this pass: its second mail waits for the next
    assert [sum(c == f"rcpt to:<{a}>" for c in tried) for a in slow] == [1, 0]
    assert waited < 1.5 + 1.5
    assert len(smtp.script.copies("sari@dinas.test", "ack")) == 1
    acks = [r for r in rows(app) if r["kind"] == "ack" and "lambat" in r["rcpt"]]
    # the second was not tried: no attempt counted, due again on the next pass
    assert [(r["status"], r["attempts"]) for r in acks] == [("pending", 1), ("pending", 0)]
    assert "Timed out" in acks[0]["last_error"] and "timed out earlier in this pass" in acks[1]["last_error"]


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

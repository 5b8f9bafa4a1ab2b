"""The reply to DATA's final dot may take RFC 5321's 10 minutes (4.5.3.2.6).

A relay that scans content (Exchange, a Postfix with a milter) answers the final dot
late. A client that gives up sooner has already handed the mail over: every try
delivers one more copy, and the row ends as failed, with staff told, while the
recipient holds many copies.
"""

from __future__ import annotations

import pytest

from tests.mailfactory import STAFF
from tests.rawsmtp import REQUESTER, Clock, RawSmtp, make_app, new_ticket, rows


@pytest.fixture
def raw_smtp(fresh_mailboxes):
    with RawSmtp() as server:
        yield fresh_mailboxes, server


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "stepwise"])
def test_a_late_reply_to_the_final_dot_is_waited_for_and_the_mail_goes_once(raw_smtp, tmp_path, pipelining):
    """`timeout` 1 s, the 250 after the dot 1.5 s late each time, for four simulated hours."""
    servers, smtp = raw_smtp
    if not pipelining:
        smtp.script.extensions = ["8BITMIME"]
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock, timeout=1, max_retry_hours=3)
    smtp.script.dot_kind["ack"] = ["stall:1.5"] * 100
    new_ticket(servers)
    app.poll_all()
    for _ in range(4 * 4):  # a pass every 15 minutes
        app.flush_outbox()
        clock.advance(minutes=15)
    assert len(smtp.script.copies(REQUESTER, "ack")) == 1
    assert {r["status"] for r in rows(app)} == {"sent"}
    assert smtp.script.copies(STAFF[0], "delivery_failed") == []

"""The intake lock: one process reads a mailbox's INBOX at a time (two daemons on one
config would MOVE one message twice at once, and the server would keep both copies)."""

from __future__ import annotations

import time

from mailbot.io.locks import intake_lock


def never() -> bool:
    return False


def test_a_pass_under_way_keeps_a_second_reader_of_that_mailbox_out(tmp_path):
    database = tmp_path / "mailbot.db"
    with intake_lock(database, "lpse", never) as first:
        assert first
        started = time.monotonic()
        with intake_lock(database, "lpse", never, wait=0.3) as second:
            assert not second
        assert time.monotonic() - started >= 0.3  # it waited for the pass before leaving it the mail
        with intake_lock(database, "ulp", never, wait=0) as other_mailbox:
            assert other_mailbox
    with intake_lock(database, "lpse", never, wait=0) as after:
        assert after


def test_a_reader_waiting_for_the_lock_stops_when_told(tmp_path):
    database = tmp_path / "mailbot.db"
    with intake_lock(database, "lpse", never) as first:
        assert first
        started = time.monotonic()
        with intake_lock(database, "lpse", lambda: True, wait=30) as second:
            assert not second
        assert time.monotonic() - started < 5

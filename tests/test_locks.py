"""The intake lock: one process reads a mailbox's INBOX at a time (two daemons on one
config would MOVE one message twice at once, and the server would keep both copies)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from mailbot.io.locks import intake_lock


def never() -> bool:
    return False


def second_reader(database: Path, should_stop: Callable[[], bool], wait: float) -> tuple[bool, float]:
    """While a first reader makes a pass over "lpse": whether a second reader of it may
    make one, and how long it took to know."""
    with intake_lock(database, "lpse", never) as first:
        assert first
        started = time.monotonic()
        with intake_lock(database, "lpse", should_stop, wait=wait) as second:
            return second, time.monotonic() - started


def test_a_pass_under_way_keeps_a_second_reader_of_that_mailbox_out(tmp_path):
    database = tmp_path / "mailbot.db"
    second, took = second_reader(database, never, wait=0.3)
    assert not second
    assert took >= 0.3  # it waited for the pass before leaving it the mail
    with intake_lock(database, "lpse", never, wait=0) as after:
        assert after


def test_a_pass_over_one_mailbox_leaves_another_free(tmp_path):
    database = tmp_path / "mailbot.db"
    with intake_lock(database, "lpse", never) as first, intake_lock(database, "ulp", never, wait=0) as other:
        assert first
        assert other


def test_a_reader_waiting_for_the_lock_stops_when_told(tmp_path):
    second, took = second_reader(tmp_path / "mailbot.db", lambda: True, wait=30)
    assert not second
    assert took < 5

"""FetchAhead: the next batch is fetched while the caller handles the current one, and
the IMAP session is never used by two threads at once (pure logic, no server)."""

import threading
import time

import pytest

from mailbot.errors import TransientError
from mailbot.io.imap import FetchAhead


def test_batches_come_in_order_and_the_next_is_fetched_while_the_current_is_handled():
    second_asked = threading.Event()

    def batches():
        yield ["a"]
        second_asked.set()
        yield ["b"]
        yield ["c"]

    seen, overlapped = [], []
    with FetchAhead(iter(batches())) as fetching:
        while (batch := fetching.next()) is not None:
            if batch == ["a"]:
                overlapped.append(second_asked.wait(5))  # fetched while "a" is being handled
            fetching.quiet()
            seen.append(batch)
    assert seen == [["a"], ["b"], ["c"]] and overlapped == [True]


def slow_second(done: threading.Event):
    """Batch "a", then a fetch of "b" that takes 0.2 s and says when it is done."""
    yield ["a"]
    time.sleep(0.2)
    done.set()
    yield ["b"]


def test_quiet_returns_only_when_the_fetch_in_flight_is_done():
    done = threading.Event()
    with FetchAhead(slow_second(done)) as fetching:
        assert fetching.next() == ["a"]
        fetching.quiet()
        assert done.is_set()  # the session is free: a MOVE now cannot cross the FETCH


def test_a_failed_fetch_of_the_next_batch_surfaces_after_the_current_one_is_settled():
    def batches():
        yield ["a"]
        raise TransientError("IMAP fetch failed: connection reset")

    settled = []
    with FetchAhead(iter(batches())) as fetching:
        assert fetching.next() == ["a"]
        fetching.quiet()  # does not raise: batch "a" is still moved
        settled.append("a")
        with pytest.raises(TransientError, match="connection reset"):
            fetching.next()
    assert settled == ["a"]


def test_one_batch_to_come_is_fetched_by_the_caller_itself():
    threads = []

    def batches():
        threads.append(threading.current_thread())
        yield ["a"]

    with FetchAhead(iter(batches()), ahead=False) as fetching:
        assert fetching.next() == ["a"] and fetching.next() is None
    assert threads == [threading.current_thread()]


def test_leaving_early_waits_for_the_fetch_in_flight():
    done = threading.Event()
    with FetchAhead(slow_second(done)) as fetching:
        fetching.next()
    assert done.is_set()


def test_a_fetch_ahead_runs_on_a_daemon_thread_that_never_holds_up_the_exit():
    daemonic = []

    def batches():
        yield ["a"]
        daemonic.append(threading.current_thread().daemon)
        yield ["b"]

    with FetchAhead(iter(batches())) as fetching:
        while fetching.next() is not None:
            fetching.quiet()
    assert daemonic == [True]

"""A database that comes back is used at once (daemon/database_wait.py): a pause ends once
the server, away, answers again; a server that answers all along (failing otherwise) keeps
the whole pause, so nothing is tried every second against it; one look a second serves
every watcher of the process. Time is the test's: a clock that the pause's sleeps move.
(tests/test_ops_pg_outage.py measures it on a real PostgreSQL stopped and started.)"""

from __future__ import annotations

import pytest

from mailbot.daemon import database_wait
from mailbot.daemon.database_wait import Return, paused


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    made = Clock()
    monkeypatch.setattr(database_wait.time, "monotonic", made.monotonic)
    return made


def server(answers_from: float | None, clock: Clock, looks: list[float]) -> Return:
    """A server that answers from `answers_from` on (None: never), its looks counted."""
    def look(url: str) -> bool:
        looks.append(clock.now)
        return answers_from is not None and clock.now >= answers_from
    return Return("postgresql://mailbot@db.test/mailbot", look)


def test_a_pause_ends_within_a_second_of_the_servers_return(clock: Clock) -> None:
    looks: list[float] = []
    back = server(clock.now + 7.5, clock, looks)
    started = clock.now
    assert paused(30, lambda: False, clock.sleep, back, away=True) is True
    assert 7.5 <= clock.now - started <= 8.5


def test_the_return_seen_by_the_first_look_counts_when_the_try_found_it_away(clock: Clock) -> None:
    back = server(clock.now + 0.2, clock, [])
    started = clock.now
    assert paused(16, lambda: False, clock.sleep, back, away=True) is True
    assert clock.now - started <= 1.0


def test_a_server_that_answers_all_along_keeps_the_whole_pause(clock: Clock) -> None:
    looks: list[float] = []
    back = server(clock.now - 1, clock, looks)  # up, but the pass failed for another reason
    started = clock.now
    assert paused(60, lambda: False, clock.sleep, back) is False
    assert clock.now - started == 60
    assert len(looks) <= 61


def test_a_server_that_goes_away_and_comes_back_during_the_pause_ends_it(clock: Clock) -> None:
    down, up = clock.now + 3, clock.now + 10
    looks: list[float] = []

    def look(url: str) -> bool:
        looks.append(clock.now)
        return not down <= clock.now < up
    started = clock.now
    assert paused(60, lambda: False, clock.sleep, Return("postgresql://db.test/x", look)) is True
    assert 10 <= clock.now - started <= 11


def test_one_look_a_second_serves_every_watcher(clock: Clock) -> None:
    looks: list[float] = []
    back = server(None, clock, looks)
    for _ in range(600):  # 600 mailboxes' watchers asking in the same second
        back.answers()
    clock.sleep(1.0)
    back.answers()
    assert len(looks) == 2


def test_without_a_server_to_look_at_the_pause_is_whole(clock: Clock) -> None:
    started = clock.now
    assert paused(5, lambda: False, clock.sleep, None, away=True) is False
    assert clock.now - started == 5


def test_a_stop_ends_the_pause(clock: Clock) -> None:
    started = clock.now
    paused(60, lambda: clock.now - started >= 3, clock.sleep, server(None, clock, []))
    assert clock.now - started == 3

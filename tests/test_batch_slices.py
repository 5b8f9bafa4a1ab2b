"""One mailbox's backlog does not hold the daemon's main thread for a whole batch while
another watcher's step waits for it: a batch is handled in slices, each a step of its own on
the main thread, and each slice gives the thread back once another step waits. What a batch
decides is the same whichever way it is sliced; and a turn of the main thread's serving ends
once its time is spent, however many steps keep coming. No server: the real intake
(`Passes.handle_batch`) on a SQLite store, the main thread stood in for by a recorder, and the
real `Service.serve`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mailbot.config.load import load_config
from mailbot.daemon import passes
from mailbot.daemon.wiring import App
from mailbot.flow.pipeline import Status
from mailbot.io.imap import Fetched
from tests.mailfactory import mail
from tests.test_tickets_search import write_config

AT = datetime(2026, 3, 19, 3, 0, tzinfo=UTC)


class Recorder:
    """The main thread: runs each step at once, counts them; `waiting` says whether another
    watcher's step waits now."""

    def __init__(self, waiting: Callable[[], bool]) -> None:
        self.steps, self.waiting = 0, waiting

    def on_main(self, step: Callable[[], Any]) -> Any:
        self.steps += 1
        return step()


def _batch(n: int) -> list[Fetched]:
    return [Fetched(uid=i + 1, raw=mail(f"pengguna{i}@vendor{i}.test", f"Kendala unggah dokumen {i}",
                                        "Selamat pagi, dokumen penawaran gagal diunggah.")[0],
                    internal_date=AT + timedelta(minutes=i)) for i in range(n)]


def _handled(tmp_path, monkeypatch, waiting: Callable[[], bool]):  # type: ignore[no-untyped-def]
    tmp_path.mkdir(exist_ok=True)
    cfg = load_config(write_config(tmp_path, monkeypatch))
    app = App(cfg, clock=lambda: AT + timedelta(hours=1))
    recorder = Recorder(waiting)
    app.main_thread.attach(recorder.on_main, recorder.waiting)
    outcomes = app.passes.handle_batch(cfg.mailboxes[0], 7, _batch(6))
    tickets = [number for (number,) in app.store.db.execute("select number from tickets order by id")]
    app.store.close()
    return outcomes, tickets, recorder.steps


def test_a_batch_gives_the_main_thread_back_between_messages_while_another_step_waits(tmp_path, monkeypatch):
    """Another watcher's step waits the whole time, and a slice's time is spent after each
    message (`BATCH_SLICE_SECONDS` 0): each of the six messages is a step of its own, and each is
    handled once, in the batch's order, as when nothing waits."""
    monkeypatch.setattr(passes, "BATCH_SLICE_SECONDS", 0.0)
    outcomes, tickets, steps = _handled(tmp_path / "waiting", monkeypatch, lambda: True)
    alone, alone_tickets, alone_steps = _handled(tmp_path / "alone", monkeypatch, lambda: False)
    assert steps == 6
    assert alone_steps == 1  # nothing waits: one step and one group commit for the whole batch
    assert [o.status for o in outcomes] == [o.status for o in alone] == [Status.PROCESSED] * 6
    assert [o.ticket for o in outcomes] == tickets == [o.ticket for o in alone] == alone_tickets
    assert len(set(tickets)) == 6


def test_a_slice_keeps_the_main_thread_until_its_time_is_spent(tmp_path, monkeypatch):
    """Another step waits, but the slice's time is not spent: the batch stays one step (its
    messages share one sync), so a backlog with a neighbour pays a sync per slice, not per mail."""
    monkeypatch.setattr(passes, "BATCH_SLICE_SECONDS", 3600.0)
    outcomes, tickets, steps = _handled(tmp_path, monkeypatch, lambda: True)
    assert steps == 1 and len(outcomes) == 6 and len(set(tickets)) == 6


@pytest.mark.parametrize("waiting", [True, False])
def test_a_stop_between_two_messages_ends_the_batch_there(tmp_path, monkeypatch, waiting):
    """The daemon stops after the second message: the batch's outcomes are the two handled,
    sliced or not; the rest stay in the INBOX for the next start."""
    monkeypatch.setattr(passes, "BATCH_SLICE_SECONDS", 0.0)
    cfg = load_config(write_config(tmp_path, monkeypatch))
    app = App(cfg, clock=lambda: AT + timedelta(hours=1))
    recorder = Recorder(lambda: waiting)
    app.main_thread.attach(recorder.on_main, recorder.waiting)
    tickets = lambda: app.store.db.execute("select count(*) from tickets").fetchone()[0]
    outcomes = app.passes.handle_batch(cfg.mailboxes[0], 7, _batch(6), should_stop=lambda: tickets() >= 2)
    count = tickets()
    app.store.close()
    assert len(outcomes) == count == 2
    assert [o.status for o in outcomes] == [Status.PROCESSED] * 2


def test_watchers_that_keep_the_main_thread_fed_do_not_hold_its_other_duties_back(tmp_path, monkeypatch):
    """Steps that keep coming (several mailboxes' backlogs, each batch a slice at a time): one
    turn of serving ends once its time is spent, so the main thread's loop reaches the sweep,
    a reload and its own watch between turns, not only once the backlogs are done."""
    from mailbot.daemon.service import Service

    app = App(load_config(write_config(tmp_path, monkeypatch)), clock=lambda: AT)
    service = Service(app, threading.Event(), lambda _: None)
    feeding = threading.Event()
    feeding.set()
    ran = []

    def step() -> None:  # a watcher's next slice is queued while this one runs
        ran.append(time.monotonic())
        time.sleep(0.01)
        if feeding.is_set():
            service.queue(step, later=True)

    service.queue(step, later=True)
    turn = threading.Thread(target=service.serve, args=(0.05,), daemon=True)
    started = time.monotonic()
    turn.start()
    turn.join(10)
    ended = not turn.is_alive()
    feeding.clear()
    turn.join(10)
    app.store.close()
    assert ended, f"one turn ran {len(ran)} steps in {time.monotonic() - started:.1f} s and went on"
    assert len(ran) >= 2  # it ran what waited until its time was spent


def test_a_short_step_goes_before_the_slices_of_batches_already_waiting(tmp_path, monkeypatch):
    """Slices of two mailboxes' backlogs wait, then a short step comes (a look at a mailbox a
    host may take over, a quiet mailbox's pass opening): the main thread runs it first, then
    the slices in the order they came."""
    from mailbot.daemon.service import Service

    app = App(load_config(write_config(tmp_path, monkeypatch)), clock=lambda: AT)
    service = Service(app, threading.Event(), lambda _: None)
    ran: list[str] = []
    futures = [service.queue(lambda name=name: ran.append(name), later=True) for name in ("a1", "b1", "a2")]
    futures.append(service.queue(lambda: ran.append("look")))
    service.serve(1.0)
    app.store.close()
    assert all(f.done() for f in futures)
    assert ran == ["look", "a1", "b1", "a2"]

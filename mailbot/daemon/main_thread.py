"""How a step of a pass reaches the store's thread.

The store's connection belongs to one thread (the daemon's main thread; the only thread
of `run --once`). Watchers, the audit and a pass ask that thread to run a step
(`OnMain`); a single-threaded caller runs it at once (`run_here`). The wiring hands
each part that hops one `MainThread`, which the service points at its main thread when it
runs; a method marked `on_main_thread` always runs there. These are what the daemon's
parts, the audit and the service share, so they live apart from all three.

A long step (a batch of mail) asks `others_waiting` between its parts and gives the thread
back when another watcher's step waits: one mailbox's backlog then never holds another
mailbox's new mail, or a host's taking over of a mailbox, behind a whole batch.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Concatenate, ParamSpec, Protocol, TypeVar

T = TypeVar("T")
P = ParamSpec("P")


class OnMain(Protocol):
    """Runs a step on the thread that owns the store and returns its result."""

    def __call__(self, step: Callable[[], T], /) -> T: ...


def run_here(step: Callable[[], T]) -> T:
    """`OnMain` for a single thread (`run --once`, tests): run the step at once."""
    return step()


def nobody_waits() -> bool:
    """`others_waiting` for a single thread: no other step ever waits."""
    return False


class MainThread:
    """Where store work runs: at once until the service attaches its main thread
    (`Service.on_main`); a watcher's call then waits for the main thread to run it. Made
    at wiring and handed to each part that hops, like `flow/signals.Signals`."""

    def __init__(self, on_main: OnMain = run_here) -> None:
        self._on_main: OnMain = on_main
        self._later: OnMain = on_main
        self._waiting: Callable[[], bool] = nobody_waits

    def attach(self, on_main: OnMain, waiting: Callable[[], bool] = nobody_waits,
               later: OnMain | None = None) -> None:
        """`waiting`: whether another thread's step waits for the main thread now; `later`:
        how a long step gets there, after the short ones waiting (`on_main` when None)."""
        self._on_main, self._waiting, self._later = on_main, waiting, later or on_main

    def run(self, step: Callable[[], T]) -> T:
        return self._on_main(step)

    def run_later(self, step: Callable[[], T]) -> T:
        """A long step (a slice of a batch): run after the short steps waiting, so that
        those (a look at a mailbox, a pass's opening) never queue behind a backlog."""
        return self._later(step)

    def others_waiting(self) -> bool:
        return self._waiting()


class OnMainThread(Protocol):
    """What a method marked `on_main_thread` needs of its object."""

    @property
    def main_thread(self) -> MainThread: ...


S = TypeVar("S", bound=OnMainThread)


def on_main_thread(method: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
    """The method always runs on the thread that owns the store (`self.main_thread`), from
    whichever thread it is called: its callers read as plain calls."""

    @wraps(method)
    def hop(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self.main_thread.run(partial(method, self, *args, **kwargs))

    return hop

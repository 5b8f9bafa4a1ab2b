"""Where a process's status lines and its progress go: systemd's STATUS= and the watchdog's
beat, or nowhere. The wiring makes one `Signals` and hands it to each part that reports (the
passes, the alerts, the timekeeper); the service attaches systemd's when it starts, the sender
process its own pipe to the daemon.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Progress:
    """STATUS= lines while a long pass runs ("btm: 120/400 messages"), one a second at most."""

    def __init__(self, name: str, total: int, notify: Callable[[str], None], beat: Callable[[], None]) -> None:
        self.name, self.total, self.notify, self.beat = name, total, notify, beat
        self.done = 0
        self.shown = 0.0

    def step(self) -> None:
        self.done += 1
        self.beat()
        now = time.monotonic()
        if self.total > 1 and (now - self.shown >= 1.0 or self.done == self.total):
            self.notify(f"STATUS={self.name}: {self.done}/{self.total} messages")
            self.shown = now


class Signals:
    """Where the daemon's status lines (systemd's STATUS=) and its progress (the watchdog's
    beat) go: nowhere until the one who runs it says where. The wiring makes one and hands
    it to each part that reports; the service attaches systemd's when it starts, the sender
    process its own pipe to the daemon. No part reaches into another to set a hook."""

    def __init__(self, notify: Callable[[str], None] | None = None, beat: Callable[[], None] | None = None) -> None:
        self._notify = notify or _nowhere
        self._beat = beat or _nothing

    def attach(self, notify: Callable[[str], None], beat: Callable[[], None] | None = None) -> None:
        self._notify = notify
        self._beat = beat or _nothing

    def notify(self, line: str) -> None:
        self._notify(line)

    def beat(self) -> None:
        self._beat()


def _nowhere(line: str) -> None:
    """Status lines of a process nobody watches."""


def _nothing() -> None:
    """Progress of a process no watchdog watches."""

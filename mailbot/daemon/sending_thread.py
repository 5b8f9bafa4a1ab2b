"""`run --once` sends while it takes mail in: an outbox drained on a thread.

`mailbot run` sends from a process of its own (`mailbot.daemon.sender`) while intake goes on.
`run --once` sent nothing until the whole backlog was taken in: a thousand requesters
waited for the last one's turn before the first ack left. Here the mail queued by each
committed batch goes out while the next is handled, from an outbox on its own database
connection (as the sender process's, `App.sender_outbox`). The thread only sends and
records its marks through that outbox; what the results mean for the unit (alerts, the
health of each server) is for the main thread to take in after (`results`, `failures`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from mailbot.errors import StorageError
from mailbot.io.outbox_drain import FlushResult, OutboxDrain
from mailbot.io.store import database_errors
from mailbot.io.store.postgres import LeaseLost

LOOK_SECONDS = 0.25  # how often the thread looks for mail the main thread queued meanwhile


class SendingThread:
    """A thread that flushes `outbox` every `LOOK_SECONDS` until the block ends."""

    def __init__(self, outbox: OutboxDrain) -> None:
        self.outbox = outbox
        self.results: list[FlushResult] = []
        self.failures: list[BaseException] = []  # the store failed while it sent: for the main thread to report
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="send-beside", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.results.append(self.outbox.flush(self._stop.is_set))
            except LeaseLost:
                return
            except database_errors(StorageError, OSError) as exc:
                self.failures.append(exc)
                return
            self._stop.wait(LOOK_SECONDS)

    @contextmanager
    def running(self) -> Iterator[SendingThread]:
        """Sends while the block runs; after it, the mail in flight is finished, the rest is
        left for the caller's own last flush."""
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
            self.outbox.store.close()

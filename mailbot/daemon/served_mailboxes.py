"""Which mailboxes this daemon serves: all of them on a SQLite file (one host), its fair
share of them when several daemons on several hosts share one PostgreSQL store.

A mailbox is served under a standing session lock (`serve:NAME`): one daemon holds it at a
time, keeps its IMAP session and its IDLE on that mailbox, and loses it with its session
(killed, or stopped past `lease_seconds`). The others hold no connection to it and look
again every two seconds. So 600 mailboxes across three daemons are 600 IMAP sessions, not
1,800, and a daemon's failure has its mailboxes served again within the lease.

Every method runs on the thread that owns the store (`Service.on_main`).
"""

from __future__ import annotations

import time
from typing import Any

from mailbot.core.shares import may_take, should_give
from mailbot.io.locks import DAEMONS

LOOK_AGAIN_SECONDS = 2.0
COUNT_SECONDS = 1.0


def serve_lock(mailbox: str) -> str:
    return f"serve:{mailbox}"


class ServedMailboxes:
    def __init__(self, database: Any, mailboxes: list[str], lease_seconds: float, log: Any) -> None:
        self.database, self.names, self.log = database, set(mailboxes), log
        self.mailboxes = len(mailboxes)
        self.shared = database.dialect != "sqlite"
        # how often a mailbox not served here is looked at, and the daemons counted: a mailbox
        # whose daemon died is served again within its lease and these few seconds
        self.look_again = min(LOOK_AGAIN_SECONDS, lease_seconds / 4)
        self._count_for = COUNT_SECONDS
        self._counted: tuple[float, int] = (-1e9, 1)

    def start(self) -> None:
        """Be counted among the daemons (taken again on every new session)."""
        if not self.shared:
            return
        self.database.join(DAEMONS)
        for name in sorted(self.database.held):  # a mailbox a reload took out of the config
            if name.startswith("serve:") and name.removeprefix("serve:") not in self.names:
                self.database.unlock(name)

    def daemons(self) -> int:
        """The daemons on the store now, counted at most once a second."""
        at, count = self._counted
        if time.monotonic() - at >= self._count_for:
            count = max(1, self.database.members(DAEMONS))
            self._counted = (time.monotonic(), count)
        return count

    def serving(self) -> int:
        return sum(1 for name in self.database.held if name.startswith("serve:"))

    def ours(self, mailbox: str) -> bool:
        """Whether this daemon serves `mailbox` now: it does, or it may take it and took it.
        (On one SQLite file every mailbox is this daemon's: the watchers do not ask.)"""
        if not self.shared:
            return True
        name = serve_lock(mailbox)
        if name in self.database.held:
            return True
        if not may_take(self.serving(), self.mailboxes, self.daemons()):
            return False
        if not self.database.try_lock(name, standing=True):
            return False
        self.log.info("mailbox_taken", mailbox=mailbox, serving=self.serving(), daemons=self.daemons())
        return True

    def still_ours(self, mailbox: str) -> bool:
        """Asked before each pass: not when the session ended (the lock went with it)."""
        return not self.shared or serve_lock(mailbox) in self.database.held

    def give_back(self, mailbox: str) -> bool:
        """After a wait: whether this daemon gives `mailbox` back (it serves more than its
        share since another daemon came); released here, taken by another."""
        if not self.shared or not should_give(self.serving(), self.mailboxes, self.daemons()):
            return False
        self.database.unlock(serve_lock(mailbox))
        self.log.info("mailbox_given_back", mailbox=mailbox, serving=self.serving(), daemons=self.daemons())
        return True

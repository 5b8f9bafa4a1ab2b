"""What the daemon knows of its own state: what fails, since when and why.

Kept by the daemon's parts (a pass, the outbox, the watch) and read by the alerts, by
`run --once` for its exit code and by `mailbot check`'s caller. One value of its own, so
no part sets another part's fields: each failure is recorded and cleared here, by key
("imap:NAME", "move:NAME", "smtp:NAME", "storage:NAME").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from mailbot.errors import TransientError

_CHANGING = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+", re.IGNORECASE)


def same_failure(said: str, now: str) -> bool:
    """Whether two failures' texts tell the same reason: alike but for numbers and GUIDs
    (a server's time stamp, a trace id, a port), which change from one try to the next."""
    return _CHANGING.sub("#", said) == _CHANGING.sub("#", now)


@dataclass
class Health:
    """Failures since start; what `run --once` turns into its exit code."""

    failing_since: dict[str, datetime] = field(default_factory=dict)
    failing_why: dict[str, str] = field(default_factory=dict)  # the latest error of a failure, for its alert
    failing_folder: dict[str, str] = field(default_factory=dict)  # the folder a failing MOVE goes to
    unreadable: dict[str, TransientError] = field(default_factory=dict)  # a mailbox's server failure, last pass
    # a mailbox's SMTP server that cannot be used as configured (`smtp.no_auth`): 78 for `run`
    misconfigured: dict[str, str] = field(default_factory=dict)
    storage_failures: int = 0  # what could not be stored (`run --once` exits 75)
    waiting_mail: set[int] = field(default_factory=set)  # outbox rows deferred and not sent since (75 too)
    alerted_outages: set[str] = field(default_factory=set)  # storage outages the coordinators were told of
    intake_elsewhere: set[str] = field(default_factory=set)  # mailboxes whose pass another process made

    def failing(self, key: str, now: datetime, why: str | None = None, folder: str | None = None) -> datetime:
        """A failure seen now: since when it lasts (its first sighting is kept)."""
        since = self.failing_since.setdefault(key, now)
        if why is not None:
            self.failing_why[key] = why
        if folder is not None:
            self.failing_folder[key] = folder
        return since

    def known(self, key: str, why: str) -> bool:
        """Whether `key` fails already, for the same reason as `why` (`same_failure`): a
        repeat, not news."""
        said = self.failing_why.get(key)
        return key in self.failing_since and said is not None and same_failure(said, why)

    def recovered(self, key: str) -> datetime | None:
        """A failure over: since when it had lasted (None: it was not failing)."""
        self.alerted_outages.discard(key)
        return self.failing_since.pop(key, None)

    def mail_deferred(self, deferred: set[int], finished: set[int]) -> None:
        """A flush's outcome: the rows it deferred now wait, those it finished no longer do
        (a mail deferred by the pass that sent beside intake may go in the last one)."""
        self.waiting_mail = (self.waiting_mail | deferred) - finished

    @property
    def deferred_mail(self) -> int:
        """The mails deferred since start that are not sent yet."""
        return len(self.waiting_mail)

    def storage_failed(self) -> None:
        self.storage_failures += 1

    def mailbox_read(self, name: str, error: TransientError | None = None) -> None:
        """The last pass over a mailbox: read (None), or its server's failure."""
        if error is None:
            self.unreadable.pop(name, None)
        else:
            self.unreadable[name] = error

    def smtp_misconfigured(self, found: dict[str, str], delivered: set[str] | frozenset[str]) -> dict[str, str]:
        """The servers found unusable as configured in a flush, and those that took mail
        again; what is newly unusable (for the log)."""
        new = {name: why for name, why in found.items() if self.misconfigured.get(name) != why}
        self.misconfigured.update(found)
        for name in delivered:
            self.misconfigured.pop(name, None)
        return new

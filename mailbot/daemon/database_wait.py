"""The daemon's start while its PostgreSQL store cannot be reached.

A power cut brings the hosts back in any order: when the database host boots after
mailbot's, the daemon used to stop at once with 78, "configuration error", which the
unit does not restart into, and the helpdesk stayed down until a person acted. A
database that cannot be reached is a server that is down, as an IMAP server is: the
daemon waits for it and tries again, doubling the pause up to `WAIT_MAX_SECONDS`, and
says why: in the log (`database_unreachable` as an error, once and again when the reason
changes; each retry `database_still_unreachable` at info; `database_reachable` when it
opens) and in systemd's status (READY=1 at once, as the unit says a start never waits
for the network; STATUS= says what it waits for; the watchdog is fed meanwhile).

The coordinators are told once `alert_after_minutes` have passed. Not through the
outbox: it is in the database that cannot be reached. The alert goes straight through
SMTP, rendered without the store, as a storage outage of a running daemon does
(`Alerts.direct`); where SMTP fails too, the log and systemd's status are all that say it.

A refused login (77) or a URL naming no usable database (78) is not waited out: the
operator must mend it, and the start stops with that status.

A database that comes back is used at once, not at the next try: every pause looks each
second whether the server takes connections again (libpq's ping, no login; `Return`), and
ends once it does after it did not. The same look shortens a running daemon's wait after
a failed pass (`paused`), so mail that came during an outage is handled within seconds of
the database's return instead of at the mailbox's next poll.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar, cast

from mailbot.errors import DatabaseUnreachableError
from mailbot.flow.health import same_failure
from mailbot.settings import Config

if TYPE_CHECKING:
    from mailbot.io.store import Store

T = TypeVar("T")
WAIT_MAX_SECONDS = 30.0  # the longest pause between two tries: one connection attempt, cheap
SLICE_SECONDS = 1.0  # how often a pause looks at the stop flag, feeds the watchdog and looks for the database


class Return:
    """Whether a PostgreSQL server answers now: one look a second at most for the whole
    process, however many mailboxes' watchers ask (600 watchers pinging each second would be
    600 connections a second to a server that is back)."""

    def __init__(self, url: str, look: Callable[[str], bool] | None = None) -> None:
        from mailbot.io.store.postgres import answers

        self.url = url
        self.look = look or answers
        self.lock = threading.Lock()
        self.at = -SLICE_SECONDS  # when it was last looked at (monotonic)
        self.last = False

    def answers(self) -> bool:
        with self.lock:
            now = time.monotonic()
            if now - self.at >= SLICE_SECONDS:
                self.last, self.at = self.look(self.url), now
            return self.last


def database_return(cfg: Config) -> Return | None:
    """The look for the store's server coming back; None for SQLite (a file: nothing to look at)."""
    return Return(cfg.database_url) if cfg.database_url else None


def paused(seconds: float, stopped: Callable[[], bool], sleep: Callable[[float], object], back: Return | None,
           beat: Callable[[], None] = lambda: None, *, away: bool | None = None) -> bool:
    """Wait `seconds` in slices (each fed to `beat`) until `stopped`; ended early (True) once
    the database, away, answers again. `away`: whether it was away when the pause began (a
    try that just found it unreachable); None: looked at now. A server that answers all along
    but fails otherwise keeps the whole pause; only its going away and coming back ends it."""
    end = time.monotonic() + seconds
    if away is None:
        away = back is not None and not back.answers()
    while not stopped() and (left := end - time.monotonic()) > 0:
        sleep(min(left, SLICE_SECONDS))
        beat()
        if back is None or stopped():
            continue
        if not back.answers():
            away = True
        elif away:
            return True
    return False


class StoreWait:
    """Tries to open the daemon's parts until the database can be reached, or the daemon is stopped."""

    def __init__(self, cfg: Config, notify: Callable[[str], None], beat: Callable[[], None],
                 stopped: Callable[[], bool], log: Any, clock: Callable[[], datetime] | None = None) -> None:
        self.cfg, self.notify, self.beat, self.stopped, self.log = cfg, notify, beat, stopped, log
        self.clock = clock or (lambda: datetime.now(UTC))
        self.since: datetime | None = None  # the first failure of this outage
        self.said = ""  # the reason last logged as an error
        self.alerted = False
        self.back = database_return(cfg)
        self.back_early = False  # the last pause ended as the server answered (and the try after it failed)

    def open(self, opening: Callable[[], T]) -> T | None:
        """What `opening` returns once the database can be reached; None when the daemon was
        stopped while it waited. Any other failure of `opening` is raised as it was."""
        failures = 0
        while not self.stopped():
            try:
                opened = opening()
            except DatabaseUnreachableError as exc:
                failures += 1
                pause = min(2.0 ** failures, WAIT_MAX_SECONDS)
                self.unreachable(exc, failures, pause)
                self.pause(pause)
                continue
            if self.since is not None:
                self.log.info("database_reachable", unreachable_since=self.since.isoformat(),
                              minutes=round((self.clock() - self.since).total_seconds() / 60, 1))
            return opened
        return None

    def unreachable(self, exc: DatabaseUnreachableError, failures: int, pause: float) -> None:
        """One failed try: logged (an error when the reason is new), shown to systemd, and the
        coordinators told once the outage lasts `alert_after_minutes`."""
        now, why = self.clock(), str(exc)
        if self.since is None:
            self.since = now
            self.notify("READY=1")  # started: what it waits for is in STATUS=, as for a mail server down
        if same_failure(self.said, why):
            self.log.info("database_still_unreachable", error=why, failures=failures, retry_seconds=pause)
        else:
            self.said = why
            self.log.error("database_unreachable", error=why, since=self.since.isoformat(), retry_seconds=pause,
                           why="mailbot waits for the database and starts serving once it can be reached")
        self.notify(f"STATUS=waiting for the database since {self.since.isoformat()}: {why}"[:400])
        if not self.alerted and now - self.since >= timedelta(minutes=self.cfg.alert_after_minutes):
            self.alerted = True  # once per outage: a failed send is said in the log, not tried every pause
            self.alert(now, why)

    def pause(self, seconds: float) -> None:
        """Wait `seconds`, feeding the watchdog, until stopped or the database is back."""
        # The try that failed found the server away, unless the pause before ended as the
        # server answered: then only its going away and coming back ends this one early.
        self.back_early = paused(seconds, self.stopped, time.sleep, self.back, self.beat, away=not self.back_early)

    def alert(self, now: datetime, why: str) -> None:
        """Each mailbox's coordinators told straight through SMTP (the outbox is in the database)."""
        from mailbot.core.plan_inputs import Setup
        from mailbot.core.worktime import build_calendar
        from mailbot.flow.alerts import system_alert
        from mailbot.flow.notices import Notifier
        from mailbot.io import smtp
        from mailbot.io.archive import Archive
        from mailbot.io.compose import Composer
        from mailbot.io.render import Renderer
        from mailbot.rules import load_rules

        cfg = self.cfg
        since = cast(datetime, self.since).astimezone(cfg.timezone).strftime("%Y-%m-%d %H:%M")
        alert = {"alert": "storage_failing", "since": since, "error": why}
        try:
            rules, calendar = load_rules(cfg.rules_dir), build_calendar(cfg)
            # A detached mail is rendered, never queued: neither reads the store for it
            # (`Notifier.detached`), and there is none to give while the database is away.
            nowhere = cast("Store", None)
            composer = Composer(nowhere, Renderer(cfg.templates_dir), Archive(cfg.archive_dir, cfg.limits),
                                passing_key(cfg), self.log)
            mailer = Notifier(composer, nowhere, {box.name: Setup(cfg, box, rules, calendar) for box in cfg.mailboxes})
            for box in cfg.mailboxes:
                results: list[smtp.Delivery] = []
                smtp.deliver(box.smtp, iter([mailer.detached(box, system_alert(alert), now)]), results.append,
                             timeout=box.smtp.timeout)
                self.log.warning("coordinators_alerted_directly", mailbox=box.name, alert="storage_failing",
                                 delivered=bool(results and results[0].accepted))
        except Exception:  # the wait goes on; the log and the status still say it
            self.log.exception("direct_alert_failed", alert="storage_failing")



def passing_key(cfg: Config) -> bytes:
    """The key the direct alert's Message-ID is signed with: this host's, or a passing one. It
    is never made here: on a database of several hosts, a key this host made while the
    database was away would not be the one the others sign with (`keys.agreed_key`)."""
    import secrets

    from mailbot.io.keys import read_key

    return read_key(cfg.secret_key_file) or secrets.token_hex(32).encode()

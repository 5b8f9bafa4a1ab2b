"""The running daemon: one watcher thread per mailbox, one main thread, one sender process.

Every mailbox keeps its own IMAP connection open and waits on it with IDLE (polling
only where the server lacks IDLE), so one mailbox's slow or broken server never
delays another's mail, and the connection that waits is the one that fetches: nothing
that arrives between a pass and the next wait is missed. The watchers only talk IMAP;
what touches the store (handling a batch, the stored position) runs on the main thread
(`on_main`), which alone owns the store's connection and also fires timers, sends the
digest and watches itself. The sender (`mailbot.daemon.sender`, a process of its own so that it
runs on another core, not in turns under the interpreter lock) drains the outbox over
its own connection to the database and its own SMTP sessions, concurrently with
intake, woken when mail is queued.

systemd (Type=notify): READY=1 once running, STATUS= lines with what it is doing,
WATCHDOG=1 as long as the main thread makes progress (per message during a long
pass), STOPPING=1 on SIGTERM; a pass in progress ends after its current message and
unsent mail stays in the outbox for the next start.

The process's life is here too (`serve`, the end of this module): the daemon's App opened
once its data locations and database can be used, the stop signals, SIGHUP's reload (the
same process started again by `os.execve` on the config as it reads now) and `sd_notify`.
"""

from __future__ import annotations

import itertools
import os
import queue
import resource
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mailbot.daemon.database_wait import StoreWait, database_return, paused
from mailbot.daemon.idle_length import IdleLength
from mailbot.daemon.sender import SenderProcess, stop_signals
from mailbot.daemon.served_mailboxes import ServedMailboxes
from mailbot.errors import (
    ConfigError,
    LoginRefusedError,
    MailbotError,
    StorageError,
    TransientError,
    UnreachableError,
)
from mailbot.io import imap
from mailbot.io.locations import refuse_unusable
from mailbot.io.logs import get as get_log
from mailbot.io.store.database import database_errors
from mailbot.io.store.postgres import LeaseLost
from mailbot.io.terminal import shown_line
from mailbot.settings import Config, MailboxConfig
from mailbot.version import current

if TYPE_CHECKING:
    from mailbot.daemon.wiring import App

T = TypeVar("T")
WATCH_SECONDS = 10.0  # how often the daemon looks at itself (unreadable mailboxes, quarantine)
SERVE_SLICE_SECONDS = 0.25  # how long the main thread waits for work before its other duties
STOP_GRACE_SECONDS = 3.0  # how long watchers get to finish their current step after SIGTERM
RECONNECT_SECONDS = 1.0  # the pause before a dropped session is opened again
RETRY_MAX_SECONDS = 600  # the longest wait between two tries of a failing mailbox
FIRST_READ_WAIT_SECONDS = 300.0  # the longest the first sweep waits for every mailbox's first read


class Stopped(Exception):
    """The main thread is gone: a watcher's request for it will not be served."""


def retry_delay(exc: TransientError, failures: int, poll_seconds: float) -> float:
    """Seconds before a mailbox that failed `failures` times in a row is tried again, doubling
    up to 10 minutes. A server that cannot be reached (refused, timed out: a restart, a
    network outage) is tried again from 2 s on, so mail that comes once it is back is not
    held for minutes; a refused login or a missing folder, which the operator must mend,
    from 2 x poll_seconds on (a burst of failed logins gets a host banned by fail2ban)."""
    unreachable = isinstance(exc, UnreachableError) and not isinstance(exc, LoginRefusedError)
    base = RECONNECT_SECONDS if unreachable else poll_seconds
    return min(base * (1 << min(failures, 10)), RETRY_MAX_SECONDS)


def descriptors_for(mailboxes: int, log: Any) -> None:
    """Room for one kept IMAP connection per mailbox: raise the soft limit on open files
    towards the hard one where allowed (the unit sets LimitNOFILE), else say what fits."""
    needed = 2 * mailboxes + 64  # the connections, the database, the archive, SMTP
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(needed, 4096), hard), hard))
        except (OSError, ValueError):
            log.warning("too_few_descriptors", mailboxes=mailboxes, needed=needed, limit=soft,
                        hint="raise LimitNOFILE in the unit, or split the mailboxes over more processes")


class Watchdog:
    """WATCHDOG=1 to systemd while the main thread makes progress (`beat`), a third of
    WatchdogSec apart; a main thread that hangs stops the pings and systemd restarts it."""

    def __init__(self, notify: Callable[[str], None], usec: str | None = None) -> None:
        self.notify = notify
        self.interval = int(usec) / 1e6 / 3 if usec and usec.isdigit() and int(usec) > 0 else None
        self.last = 0.0

    def beat(self) -> None:
        if self.interval is None:
            return
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.notify("WATCHDOG=1")
            self.last = now


@dataclass(frozen=True)
class Reload:
    """SIGHUP between `run` and the service: `run` sets `requested` and gives `check`, the
    check of the config as it reads now (the names of its mailboxes, or a ConfigError); the
    service asks for it between its steps and ends with `reload_accepted` for `run` to
    start anew."""

    requested: threading.Event
    check: Callable[[], list[str]]


class Service:
    """`mailbot run`: the threads above, until `stop` is set. What ended it, for `run`:
    `fatal` (a configuration error found while running: 78) or `reload_accepted`."""

    def __init__(self, app: App, stop: threading.Event, notify: Callable[[str], None],
                 reload: Reload | None = None) -> None:
        self.app, self.stop, self.notify, self.reloading = app, stop, notify, reload
        self.fatal = ""
        self.reload_accepted = False
        # the watchers' steps waiting for the main thread: the short ones first (a look at a
        # mailbox, a position, a pass's opening), then the slices of batches, each in the order
        # it came; so a mailbox taken over, or a mail to a quiet one, waits for no backlog's turn
        self.jobs: queue.PriorityQueue[tuple[int, int, Callable[[], Any], Future[Any]]] = queue.PriorityQueue()
        self._order = itertools.count()
        self.closed = threading.Event()
        self.sender = SenderProcess(app.cfg.path, app.log, notify, self.config_refused, self.copies_due)
        self.watchdog = Watchdog(notify, os.environ.get("WATCHDOG_USEC"))
        self.main = threading.current_thread()
        self.watchers: list[MailboxWatcher] = []
        self.turns = ServedMailboxes(app.store.database, [box.name for box in app.cfg.mailboxes],
                                     app.cfg.lease_seconds, app.log)
        self.database_back = database_return(app.cfg)  # a watcher's pause ends once the database is back

    def config_refused(self, why: str) -> None:
        """The sender met a configuration its server cannot serve (`smtp.no_auth`): the
        daemon stops with 78, which systemd does not restart into; the operator mends it."""
        self.fatal = why
        self.app.log.error("configuration_refused", problem=why)
        self.notify(f"STATUS=stopping: configuration error: {why}"[:400])
        self.stop.set()

    def copies_due(self, names: list[str]) -> None:
        """The sender's mail of these mailboxes went: their watchers wake (from IDLE or a
        pause) to append the copies to the sent folder."""
        for watcher in self.watchers:
            if watcher.box.name in names:
                watcher.copies.set()

    def on_main(self, step: Callable[[], T], later: bool = False) -> T:
        """Run `step` on the main thread and wait for its result (watcher threads); `later`: a
        long step (a slice of a batch), run after the short ones waiting."""
        if threading.current_thread() is self.main:
            return step()
        future = self.queue(step, later)
        while True:
            try:
                return future.result(timeout=SERVE_SLICE_SECONDS)
            except TimeoutError:
                if self.closed.is_set():
                    raise Stopped from None

    def on_main_later(self, step: Callable[[], T]) -> T:
        return self.on_main(step, later=True)

    def queue(self, step: Callable[[], T], later: bool = False) -> Future[T]:
        """`step` queued for the main thread; its result (or exception) in the future returned."""
        future: Future[T] = Future()
        self.jobs.put((1 if later else 0, next(self._order), step, future))
        return future

    def steps_waiting(self) -> bool:
        """Whether a watcher's step waits for the main thread (a batch in hand gives it back)."""
        return not self.jobs.empty()

    def run(self) -> None:
        app = self.app
        app.signals.attach(self.notify, self.watchdog.beat)
        # the watchers' store work runs here from now on
        app.main_thread.attach(self.on_main, self.steps_waiting, self.on_main_later)
        self.turns.start()
        self.watchers = [MailboxWatcher(self, box) for box in app.cfg.mailboxes]
        threads = [threading.Thread(target=w.run, name=f"imap-{w.box.name}", daemon=True) for w in self.watchers]
        descriptors_for(len(app.cfg.mailboxes), app.log)
        self.notify("READY=1")
        self.notify(f"STATUS=watching {len(app.cfg.mailboxes)} mailbox(es)")
        self.sender.start()
        for thread in threads:
            thread.start()
        try:
            self.duties(time.monotonic() + FIRST_READ_WAIT_SECONDS)
        finally:
            self.notify("STOPPING=1")
            self.wind_down(threads)

    def duties(self, first_read_by: float) -> None:
        """The main thread's loop: serve the watchers, fire timers, watch itself.

        The first sweep waits until every mailbox was read once (or failed to be, or until
        `first_read_by`): mail that came while the daemon was down, such as the data LKPP asked
        for sent an hour before the ticket would close without it, is handled before the
        deadlines it beat are fired."""
        app = self.app
        next_sweep: float | None = None
        next_watch = time.monotonic() + WATCH_SECONDS
        while not self.stop.is_set():
            self.serve(SERVE_SLICE_SECONDS)
            self.watchdog.beat()
            if self.reloading is not None and self.reloading.requested.is_set():
                self.reloading.requested.clear()
                self.reload()
            now = time.monotonic()
            if self.sweep_due(now, next_sweep, first_read_by):
                app.guarded("sweep", app.sweep)
                self.sender.wake()
                next_sweep = now + app.sweep_seconds
            if now >= next_watch:
                app.guarded("watch", app.watch)
                next_watch = now + WATCH_SECONDS

    def reload(self) -> None:
        """SIGHUP: the config file read and checked as a start checks it; a valid one ends this
        service for `run` to start again with it in the same process (new mailboxes, limits,
        templates, the sender started anew), an invalid one is logged and alerted while this
        one serves on."""
        app = self.app
        if self.reloading is None:
            return
        self.notify("RELOADING=1")
        try:
            mailboxes = self.reloading.check()
        except (MailbotError, OSError, ValueError) as exc:
            why = str(exc) or type(exc).__name__
            app.log.error("reload_refused", problem=why)
            app.alerts.reload_refused(why)
            self.sender.wake()
            # the reason first: whoever sees READY=1 (systemctl, a test) finds it in the status already
            self.notify(f"STATUS=reload refused, the previous config stays: {why}"[:400])
            self.notify("READY=1")
            return
        app.log.info("reload_accepted", mailboxes=mailboxes)
        self.reload_accepted = True
        self.stop.set()

    def sweep_due(self, now: float, next_sweep: float | None, first_read_by: float) -> bool:
        """Whether the timers are due a sweep: the first once every mailbox was read once."""
        if next_sweep is not None:
            return now >= next_sweep
        return now >= first_read_by or all(w.read_once.is_set() for w in self.watchers)

    def serve(self, timeout: float) -> None:
        """Run the watchers' store steps waiting now (at least one, or until `timeout`), for
        `timeout` at most once the first ran: watchers that keep it fed (a backlog in several
        mailboxes, each batch a slice at a time) do not hold the sweep and a reload back."""
        try:
            _, _, step, future = self.jobs.get(timeout=timeout)
        except queue.Empty:
            return
        until = time.monotonic() + timeout
        while True:
            self._run(step, future)
            if time.monotonic() >= until:
                return
            try:
                _, _, step, future = self.jobs.get_nowait()
            except queue.Empty:
                return

    def _run(self, step: Callable[[], Any], future: Future[Any]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(step())
        except Exception as exc:  # noqa: BLE001 - handed to the watcher that asked: its own boundary
            future.set_exception(exc)
        self.sender.wake()
        self.watchdog.beat()

    def wind_down(self, threads: list[threading.Thread]) -> None:
        """After SIGTERM: watchers finish the step they are in (the main thread still serves
        them), then whatever is still waiting is refused."""
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        self.sender.terminate()
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            self.serve(0.05)
        self.closed.set()
        while True:
            try:
                *_, future = self.jobs.get_nowait()
            except queue.Empty:
                break
            future.cancel()
        self.sender.stop(max(0.5, deadline - time.monotonic()))


class MailboxWatcher:
    """One mailbox on its own kept IMAP connection: a pass, then IDLE (or a pause), again."""

    def __init__(self, service: Service, box: MailboxConfig) -> None:
        self.service, self.box = service, box
        self.app = service.app
        self.failures = 0
        self.working = False  # the current session has served a pass: a failure now is a dropped session
        self.read_once = threading.Event()  # a first pass was made, or failed: the timers may run
        self.copies = threading.Event()  # the sender's mail went: a pass appends its copies
        self.idle = IdleLength()  # shortened by a server that ends idle sessions early

    def run(self) -> None:
        stop, turns = self.service.stop, self.service.turns
        while not stop.is_set():
            try:
                if turns.shared and not self.service.on_main(partial(turns.ours, self.box.name)):
                    self.served_elsewhere()
                    stop.wait(turns.look_again)
                    continue
                self.session()
            except Stopped:
                return
            except LeaseLost as exc:  # stopped past its lease: another host reads this mailbox now
                self.read_once.set()
                self.app.log.info("mailbox_turn_lost", mailbox=self.box.name, reason=str(exc))
                stop.wait(1)  # the acts in flight end their own way first (`PostgresDatabase._alive`)
            except database_errors(StorageError, OSError) as exc:  # before TransientError: StorageError is one too
                self.read_once.set()
                self.pause(self.storage_failed, exc)
            except TransientError as exc:
                self.read_once.set()
                self.unavailable(exc)
            except Exception:  # a bug must not stop the other mailboxes or the daemon
                self.read_once.set()
                self.app.log.exception("mailbox_pass_failed", mailbox=self.box.name)
                stop.wait(self.box.imap.poll_seconds)

    def session(self) -> None:
        """Passes and waits on one connection, until it fails or the daemon stops."""
        stop, app, box, turns = self.service.stop, self.app, self.box, self.service.turns
        with imap.Mailbox(box.imap) as session:
            while not stop.is_set() and turns.still_ours(box.name):
                self.copies.clear()  # the pass appends what is due now; mail that goes during it wakes the next
                app.poll(box, session, stop.is_set)
                if box.name in app.sent_folder.behind:  # copies left: the next pass at once
                    self.copies.set()
                self.read_once.set()
                app.passes.mailbox_ok(box)
                self.audit(session)
                self.failures, self.working = 0, True
                self.wait(session)
                if turns.shared and self.service.on_main(partial(turns.give_back, box.name)):
                    return

    def served_elsewhere(self) -> None:
        """Another daemon on the shared store serves this mailbox: nothing to
        wait for before the timers run; said once in the log."""
        self.read_once.set()
        health = self.app.passes.health
        if self.box.name not in health.intake_elsewhere:
            health.intake_elsewhere.add(self.box.name)
            self.app.log.info("mailbox_served_elsewhere", mailbox=self.box.name,
                              why="another mailbot daemon on this database serves this mailbox")

    def audit(self, session: imap.Mailbox) -> None:
        """The daily audit of this mailbox, on this session (`App.daily_audit`); a server
        failure is the session's, anything else is logged and tried again tomorrow."""
        try:
            self.app.daily_audit(self.box, session)
        except database_errors(StorageError, OSError):
            raise
        except TransientError:
            raise
        except Exception:
            self.app.log.exception("audit_failed", mailbox=self.box.name)

    def wait(self, session: imap.Mailbox) -> None:
        """Until the next pass is due: IDLE (or a pause where the server lacks it), ended early
        by a stop or by copies of sent mail to append."""
        seconds = self.box.imap.poll_seconds
        if self.box.name in self.app.passes.elsewhere:
            # another process reads this mailbox now: look again within half a lease, so the
            # mailbox is served again soon after that process dies or is stopped past its
            # lease, not only at the next poll or mail
            seconds = min(seconds, max(1, int(self.app.cfg.lease_seconds / 2)))
        if session.supports_idle:
            self.idle_wait(session, seconds)
            return
        stop, deadline = self.service.stop, time.monotonic() + seconds
        while not stop.is_set() and not self.copies.is_set() and (left := deadline - time.monotonic()) > 0:
            stop.wait(min(left, SERVE_SLICE_SECONDS))

    def idle_wait(self, session: imap.Mailbox, seconds: float) -> None:
        """IDLE, renewed at least every poll_seconds (a pass then also catches anything a server
        failed to announce), and shortened where the server ends idle sessions early."""
        stop = self.service.stop
        self.app.log.debug("idle_waiting", mailbox=self.box.name)
        started = time.monotonic()
        if self.idle.try_whole(started):
            self.app.log.info("idle_lengthened", mailbox=self.box.name, seconds=round(self.idle.renew, 1),
                              why="an hour after it was shortened, the whole length is tried again")
        lasting = min(max(seconds, 1), self.idle.renew)
        try:
            woke = session.idle(lasting, lambda: stop.is_set() or self.copies.is_set())
        except TransientError:
            ended_after = time.monotonic() - started
            renewal = self.idle.ended(ended_after, lasting, time.monotonic())
            if renewal is not None:
                self.app.log.info("idle_shortened", mailbox=self.box.name, seconds=round(renewal, 1),
                                  why=f"the server ended two idle sessions after {ended_after:.0f} s")
            raise
        if time.monotonic() - started >= lasting - 1:  # it lasted (not woken early): an ending was something else
            self.idle.lasted()
        if woke:
            self.app.log.debug("idle_woke", mailbox=self.box.name)

    def unavailable(self, exc: TransientError) -> None:
        """The server is down or refuses us: back off (doubling, at most 10 minutes) and retry.

        A session that worked and then dropped (a server, NAT or load balancer ends idle
        connections routinely) is reconnected at once; only failing again backs off."""
        if self.working:
            self.working = False
            self.app.log.info("connection_lost", mailbox=self.box.name, error=str(exc))
            self.service.stop.wait(RECONNECT_SECONDS)
            return
        self.failures += 1
        self.service.on_main(partial(self.app.passes.mailbox_failed, self.box, exc))
        delay = retry_delay(exc, self.failures, self.box.imap.poll_seconds)
        self.app.log.info("retrying_later", mailbox=self.box.name, seconds=delay, failures=self.failures)
        self.service.stop.wait(delay)

    def storage_failed(self, exc: BaseException) -> None:
        self.app.alerts.storage_failed(self.box, exc)

    def pause(self, report: Callable[[BaseException], None], exc: BaseException) -> None:
        """After a failed pass: told, then tried again after `poll_seconds`, or once the
        database that went away answers again."""
        self.service.on_main(partial(report, exc))
        stop = self.service.stop
        paused(self.box.imap.poll_seconds, stop.is_set, stop.wait, self.service.database_back)


# --- the process's life: opened, signalled, reloaded, told to systemd ---------------------------

RELOADED = "MAILBOT_RELOADED"  # set for the process a reload starts: it logs config_reloaded


def serve(cfg: Config) -> None:
    """`mailbot run`: the service until a stop signal; SIGHUP reloads the configuration. A
    configuration error met while running is raised once the process has wound down: `run`
    ends with 78 (`cli.main`), which systemd does not restart into."""
    received = _Received()
    # SIGHUP ("reload", systemd's ExecReload=): the config is read again and checked as a
    # start checks it; a valid one takes effect without a stop of the process, an invalid
    # one is refused (logged, alerted) while the old one serves on. Left at Python's default
    # it died on the spot. Started under `nohup` (SIGHUP ignored) it keeps ignoring it: the
    # hang-up of the operator's logout is no reload.
    for signum in stop_signals():
        signal.signal(signum, received.signalled)
    app = _opened_when_reachable(cfg, received)
    if app is None:  # stopped while the database could not be reached
        return
    reloaded = os.environ.pop(RELOADED, None)
    app.log.info("config_reloaded" if reloaded else "daemon_started", version=current(),
                 mailboxes=[b.name for b in cfg.mailboxes])
    service = Service(app, received.stop, sd_notify, Reload(received.hangup, partial(_checked, cfg.path)))
    service.run()  # every mailbox on IDLE, the outbox, the timers, until stopped
    if service.reload_accepted and not received.stops and not service.fatal:
        app.store.close()
        start_again(cfg)
    app.log.info("stop_requested", signal=received.first)
    app.store.close()
    app.log.info("daemon_stopped")
    if service.fatal:
        raise ConfigError(service.fatal)


def opened_app(cfg: Config) -> App:
    """The daemon's App, its store opened (migrated or mended, which is logged), after the
    data locations were found usable (`run` and `run --once`)."""
    from mailbot.daemon.wiring import App
    from mailbot.io.migrations import SCHEMA_VERSION

    # A data location the service's user cannot use is the operator's to mend: 78, which
    # systemd does not restart into (a 70 was retried every 30 s, each start failing alike).
    refuse_unusable(cfg)
    app = App(cfg)
    for mended in app.store.mended:  # a known drift of an older landed state's schema, mended at opening
        app.log.warning("schema_mended", what=mended)
    if app.store.migrated_from:
        app.log.warning("schema_migrated", old=app.store.migrated_from[0], new=SCHEMA_VERSION,
                        backup=str(app.store.migrated_from[1]))
    return app


@dataclass
class _Received:
    """What the signals asked for: `stop` set by SIGTERM and SIGINT (their names in `stops`),
    `hangup` by SIGHUP (a reload)."""

    stops: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    hangup: threading.Event = field(default_factory=threading.Event)

    def signalled(self, signum: int, frame: object) -> None:
        # Only set the flags: logging here could deadlock on the logger's lock if the
        # signal arrives while the main thread is writing a log line.
        name = signal.Signals(signum).name
        if name == "SIGHUP":
            self.hangup.set()
            return
        self.stops.append(name)
        self.stop.set()

    @property
    def first(self) -> str | None:
        """The stop signal received first, if any (what the log says stopped the daemon)."""
        return self.stops[0] if self.stops else None


def _opened_when_reachable(cfg: Config, received: _Received) -> App | None:
    """The daemon's App once its database can be reached (`store_wait`: a PostgreSQL host that
    boots later is waited for); None when stopped meanwhile. A reload (SIGHUP)
    meanwhile starts the process again on the config as it reads now."""
    watchdog = Watchdog(sd_notify, os.environ.get("WATCHDOG_USEC"))
    waiting = StoreWait(cfg, sd_notify, watchdog.beat, lambda: received.stop.is_set() or received.hangup.is_set(),
                        get_log())
    app = waiting.open(partial(opened_app, cfg))
    if app is None:
        if received.hangup.is_set() and not received.stops:
            start_again(cfg)
        get_log().info("daemon_stopped", signal=received.first, waiting_for="the database")
    return app


def _checked(path: Path) -> list[str]:
    """The config as it reads now, checked as a start checks it (an App made of it): the names
    of its mailboxes, or a ConfigError (`Service.reload`)."""
    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App

    new = load_config(path)
    refuse_unusable(new)
    App(new).store.close()
    return [b.name for b in new.mailboxes]


def start_again(cfg: Config) -> None:
    """The same process (its PID, systemd's MAINPID) started again on the config as it reads
    now: a fresh interpreter, so no thread, connection or cache of the old config lives on."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "mailbot", "--config", str(cfg.path), "run"],
              {**os.environ, RELOADED: "1"})


def sd_notify(state: str) -> None:
    """Tell systemd (Type=notify, WatchdogSec) how we are; a no-op outside systemd.

    Never waits: a notification socket that nobody reads (its queue full) drops the
    message instead of stopping the mail handling that sends it. A STATUS= may quote a
    server's answer or a config value: it is sent as one line, its controls shown (issue
    58): `systemctl status` prints it on the operator's terminal, and a newline in it would
    be a notification of its own (`READY=1`, `WATCHDOG=1`).
    """
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(shown_line(state).encode(), socket.MSG_DONTWAIT, address)
    except OSError:
        pass

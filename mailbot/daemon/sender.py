"""The sender process: the outbox drained beside intake, on a core of its own.

`mailbot run` starts it (`python -m mailbot.cli.sender_process CONFIG`, the child's command
line) with the same configuration file. Sending (SMTP sessions, each answer recorded at
once) used to be a thread of the daemon and took turns with parsing and deciding under one
interpreter lock; as a process it runs at the same time. The database is shared as before: the
sender has always had its own connection (see `App.sender_outbox`).

Each SMTP server (the mailboxes sending through it) has a sending loop of its own, on a
thread with its own database connection and outbox: a server that takes the connection
and never greets holds up its own mailboxes' mail for its time-out, never another unit's
(SPEC 1). A row belongs to one mailbox and so to one loop; no two loops send it.

The daemon wakes every loop with a byte on its stdin whenever mail was queued; each also
looks for due mail (retries, held mail) every `SEND_WAKE_SECONDS`. It stops after the mail
in flight on SIGTERM or SIGINT, or when its stdin ends: the daemon is gone, even by
kill -9. An exclusive lock on `<database>.sender.lock` keeps one sender per database,
so a successor started while a predecessor finishes its last mail waits for it
instead of sending the same row twice (for as long as its own daemon lives). Lines it
writes to stdout starting with `STATUS=` are passed on to systemd by the daemon
(NotifyAccess=main); its log lines go on to the daemon's stdout, the journal.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mailbot.errors import StorageError
from mailbot.exit_codes import EX_CONFIG, EX_TEMPFAIL
from mailbot.io.outbox_drain import sending_lock, server_groups
from mailbot.io.store.database import database_errors
from mailbot.io.store.postgres import LeaseLost

if TYPE_CHECKING:
    from mailbot.daemon.wiring import App
    from mailbot.io.outbox_drain import OutboxDrain
    from mailbot.settings import MailboxConfig

SEND_WAKE_SECONDS = 2.0  # due mail (retries, held mail) is looked for at least this often
TICK_SECONDS = 0.25  # how long a wait lasts before the stop flag is looked at again
UNSENDABLE_EVERY_SECONDS = 10.0  # how often a lasting SMTP failure is logged again
RESTART_MAX_SECONDS = 60.0  # the longest pause before a sender that died is started again
CONFIG_ERROR = "CONFIG_ERROR="  # its last line then says what to mend
SENT = "SENT="  # a line naming the mailboxes whose mail went: their readers append the copies


def stop_signals() -> tuple[signal.Signals, ...]:
    """The signals that stop `run` (and its sender): SIGTERM, SIGINT, and SIGHUP unless the
    process was started with it ignored (`nohup mailbot run &`, as nohup asks)."""
    hangup = () if signal.getsignal(signal.SIGHUP) is signal.SIG_IGN else (signal.SIGHUP,)
    return (signal.SIGTERM, signal.SIGINT, *hangup)


# --- the child ------------------------------------------------------------------------------


def serve(app: App, wake_fd: int, should_stop: Callable[[], bool]) -> None:
    """One sending loop per SMTP server, so a server that stalls (takes the connection and
    never greets) holds up only its own mailboxes' mail. This thread passes the daemon's
    wake-ups on to every loop until told to stop, then waits for the mail in flight."""
    done = threading.Event()

    def stopped() -> bool:
        return done.is_set() or should_stop() or bool(app.misconfigured)

    loops: list[SendingLoop] = []
    try:
        for _server, boxes in server_groups(app.cfg.mailboxes):
            loops.append(SendingLoop(app, app.sender_outbox([b.name for b in boxes]), stopped))
        for loop in loops:
            loop.thread.start()
        relay_wakeups(wake_fd, loops, stopped)
    finally:
        done.set()
        for loop in loops:
            loop.woken.set()
        for loop in loops:
            loop.finish()


class SendingLoop:
    """The mail of one SMTP server's mailboxes, on a thread of its own with an outbox (and
    database connection) of its own: flush, wait for a wake-up or the next look for due
    mail, again. Rows belong to one mailbox, so no two loops ever send the same row."""

    def __init__(self, app: App, outbox: OutboxDrain, stopped: Callable[[], bool]) -> None:
        self.app, self.outbox, self.stopped = app, outbox, stopped
        self.woken = threading.Event()
        self.names = [b.name for b in outbox.boxes]
        self.store_key = f"sender-store:{','.join(self.names)}"  # its outages in the process's `Health`
        self.thread = threading.Thread(target=self.run, name=f"send:{','.join(self.names)}")

    def run(self) -> None:
        shown = 0.0  # when the mail that cannot be sent was last told of
        while not self.stopped():
            self.woken.clear()  # a wake-up during the pass below brings another pass
            try:
                shown = self.one_pass(shown)
            except LeaseLost as exc:  # asked for its turn after the session ended: as in `flush_outbox`
                self.app.log.info("sending_turn_lost", reason=str(exc))
            except database_errors(StorageError) as exc:
                self.storage_away(exc)
                self.woken.wait(SEND_WAKE_SECONDS)
                continue
            except Exception:  # one failing pass never ends the loop
                self.app.log.exception("step_failed", step="outbox")
            if self.app.health.recovered(self.store_key) is not None:
                self.app.log.info("sender_storage_back", mailboxes=self.names)
            self.woken.wait(SEND_WAKE_SECONDS)

    def storage_away(self, exc: BaseException) -> None:
        """A pass that met the database away (a PostgreSQL host restarting): logged once, with
        its traceback, when it starts or its reason changes (`Health.known`), not at every
        look (every `SEND_WAKE_SECONDS`, a traceback each, for the whole outage). The daemon
        tells the coordinators of the outage (`Alerts.storage_failed`); its end is logged too."""
        why = str(exc) or type(exc).__name__
        if not self.app.health.known(self.store_key, why):
            self.app.log.warning("sender_storage_unavailable", mailboxes=self.names, error=why, exc_info=exc,
                                 again_in_seconds=SEND_WAKE_SECONDS)
        self.app.health.failing(self.store_key, self.app.clock(), why)

    def one_pass(self, shown: float) -> float:
        """The outbox flushed when it is this loop's turn, the watchers told of copies to append,
        (every `UNSENDABLE_EVERY_SECONDS`) the mail that cannot be sent told of, and the pass's
        marks made durable: when the unsendable mail was last told of."""
        if not self.our_turn():
            return shown
        sent, _ = self.app.flush_outbox(self.stopped_or_lost, self.outbox)
        if sent and (copied := [b.name for b in self.outbox.boxes if b.imap.sent_folder]):
            status(SENT + ",".join(copied))
        if time.monotonic() - shown >= UNSENDABLE_EVERY_SECONDS:
            shown = time.monotonic() if unsendable(self.app, self.outbox.boxes) else shown
        self.synced()
        return shown

    def synced(self) -> None:
        """The marks committed since the last sync, on SQLite under NORMAL and without copying
        the log back (`Database`), made durable by one sync: those of a pass that sent mail,
        and of one a storage error ended half-way, or a sync that failed (the next pass's
        catches up). PostgreSQL's are as durable as its server makes each commit."""
        self.outbox.store.database.sync_changes()

    def our_turn(self) -> bool:
        """Whether this loop sends its mailboxes' mail now. On one SQLite file the process's
        sender lock says so already; on a PostgreSQL store several hosts share, one loop of
        one host at a time holds the lock of these mailboxes' mail, on its own store's
        session, asked again before every pass: a loop whose process was stopped past its
        lease finds it lost (`LeaseLost`) and sends nothing more."""
        database = self.outbox.store.database
        if database.dialect == "sqlite":
            return True
        name = sending_lock(self.outbox.boxes)
        return (name in database.held and database.holds(name)) or database.try_lock(name, standing=True)

    def stopped_or_lost(self) -> bool:
        """Asked before each mail: told to stop, or (PostgreSQL) no longer this loop's turn.
        A loop whose process was stopped past its lease sends no further mail when it wakes:
        the one in the middle of its SMTP transaction at the stop is all it may finish."""
        if self.stopped():
            return True
        database = self.outbox.store.database
        if database.dialect == "sqlite":
            return False
        try:
            return not database.holds(sending_lock(self.outbox.boxes))
        except StorageError:  # the session ended (LeaseLost)
            return True
        except database_errors():  # the database is away
            return True

    def finish(self) -> None:
        """After the mail in flight (a thread never started has none)."""
        if self.thread.ident is not None:
            self.thread.join()
        self.outbox.store.close()


def relay_wakeups(fd: int, loops: list[SendingLoop], should_stop: Callable[[], bool]) -> None:
    """Every byte the daemon writes wakes every loop; returns when told to stop or when
    stdin ends (the daemon is gone)."""
    while not should_stop():
        ready, _, _ = select.select([fd], [], [], TICK_SECONDS)
        if not ready:
            continue
        if not os.read(fd, 4096):
            return
        for loop in loops:
            loop.woken.set()


def status(line: str) -> None:
    """A STATUS= line for the daemon to pass on to systemd."""
    try:
        sys.stdout.write(line.replace("\n", " ") + "\n")
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


def unsendable(app: App, boxes: list[MailboxConfig]) -> bool:
    """SPEC 6: an outbox that stays unsendable is logged and shown in systemd's status."""
    now = app.clock()
    shown = [app.alerts.unsendable(box, now) for box in boxes]  # every box, no short cut
    return any(shown)


# --- the daemon's side ------------------------------------------------------------------------


class SenderProcess:
    """The daemon's handle on the sender: start, wake, restart when it dies, stop."""

    def __init__(self, config: Path, log: Any, notify: Callable[[str], None],
                 on_config_error: Callable[[str], None] = lambda why: None,
                 on_sent: Callable[[list[str]], None] = lambda names: None) -> None:
        self.config, self.log, self.notify = config.resolve(), log, notify
        self.on_config_error = on_config_error  # the sender ended with 78: the daemon stops with it
        self.on_sent = on_sent  # mail of these mailboxes went: their copies are due
        self.config_error = ""  # what the sender said to mend, from its CONFIG_ERROR= line
        self.proc: subprocess.Popen[bytes] | None = None
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.supervise, name="sender", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def spawn(self) -> subprocess.Popen[bytes] | None:
        """A new sender, or None once the daemon stops. Started and recorded under `lock`, which
        `terminate` takes too: a restart racing the stop used to start a sender after
        `terminate` had looked, one that nobody signalled and `stop` never waited for."""
        from mailbot.io.logs import JOURNAL_CHILD, to_journal

        env = {**os.environ, JOURNAL_CHILD: "1"} if to_journal() else None  # its lines reach the journal via ours
        with self.lock:
            if self.stopping.is_set():
                return None
            proc = subprocess.Popen([sys.executable, "-m", "mailbot.cli.sender_process", str(self.config)],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True, env=env)
            assert proc.stdin is not None
            os.set_blocking(proc.stdin.fileno(), False)
            self.proc = proc
        return proc

    def supervise(self) -> None:
        """Run the sender; pass its STATUS lines on; start it again if it dies."""
        pause = 1.0
        while not self.stopping.is_set():
            started = time.monotonic()
            proc = self.spawn()
            if proc is None:
                return
            self.relay(proc.stdout)
            code = proc.wait()
            if self.stopping.is_set():
                return
            # 75: the store could not be opened, which the daemon meets and says itself
            (self.log.info if code == EX_TEMPFAIL else self.log.error)("sender_exited", code=code)
            if code == EX_CONFIG:  # restarting it would meet the same configuration
                self.on_config_error(self.config_error or "the sender refused the configuration")
                return
            pause = 1.0 if time.monotonic() - started > RESTART_MAX_SECONDS else min(pause * 2, RESTART_MAX_SECONDS)
            self.stopping.wait(pause)

    def relay(self, out: IO[bytes] | None) -> None:
        """The sender's STATUS lines to systemd, its log lines to our stdout (the journal):
        what it sent, deferred or gave up is the operator's to read."""
        if out is None:
            return
        from mailbot.io.logs import write_line

        for line in out:
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if text.startswith("STATUS="):
                self.notify(text[:400])
            elif text.startswith(CONFIG_ERROR):
                self.config_error = text[len(CONFIG_ERROR):]
            elif text.startswith(SENT):
                self.on_sent(text[len(SENT):].split(","))
            elif text.strip():
                try:
                    write_line(text)  # never inside a line of the daemon's own
                except (OSError, ValueError):
                    pass

    def wake(self) -> None:
        """New mail is in the outbox (never blocks: a full pipe already means "wake up")."""
        with self.lock:
            proc = self.proc
        if proc is None or proc.stdin is None:
            return
        try:
            os.write(proc.stdin.fileno(), b".")
        except (BlockingIOError, BrokenPipeError, ValueError, OSError):
            pass

    def terminate(self) -> None:
        """SIGTERM: the sender stops after the mail in flight; not started again."""
        with self.lock:
            self.stopping.set()
            proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    def stop(self, grace: float) -> None:
        """`terminate`, then make sure the sender is gone within `grace` seconds."""
        self.terminate()
        with self.lock:
            proc = self.proc
        if proc is None:
            return
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass


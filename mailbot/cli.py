"""Command line (SPEC section 10); the only place errors become exit codes.

Exit status: 0 success, 1 no such ticket, 2 usage error, 64 an unknown `--mailbox`
(naming the configured ones), 78 configuration error
(also a data location that cannot be written), 69 a server unreachable, 77 a login
refused, 70 an internal error (said in one line; MAILBOT_DEBUG=1 shows the traceback);
75 `run` stopped by SIGHUP, to be started again with the config read anew.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.core.intake_form import CHANNELS
from mailbot.errors import (
    ConfigError,
    LoginRefusedError,
    MailbotError,
    MissingFolderError,
    TransientError,
    UnreachableError,
)
from mailbot.io.terminal import as_json, guarded, say, shown_line
from mailbot.reports.values import Month

if TYPE_CHECKING:
    from mailbot.core.intake_form import HeldForm
    from mailbot.core.model import Ticket
    from mailbot.core.settings import Config, MailboxConfig, ServerConfig
    from mailbot.daemon import App, RunOnce
    from mailbot.io.store import Store

# The rest is imported by the commands that use it: `mailbot --help` and a usage error
# answer at once, without loading the IMAP, SMTP, SQLite and logging libraries.

EX_OK, EX_NOT_FOUND, EX_USAGE, EX_UNAVAILABLE, EX_SOFTWARE, EX_NOPERM, EX_CONFIG = 0, 1, 2, 69, 70, 77, 78
EX_BAD_MAILBOX = 64  # sysexits' EX_USAGE: `--mailbox` names no mailbox the config or the database knows
EX_FOUND = 1  # `audit`: the mailbox and the records do not agree
EX_TEMPFAIL = 75  # `run --once`: mail waits (not stored, not sent); the next run tries again


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailbot", description="Email helpdesk and SOP-015 escalation bot.")
    parser.add_argument("--config", type=Path, default=None,
                        help="config file (default: $MAILBOT_CONFIG or ./config.yaml)")
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="the daemon (or one pass with --once)")
    run.add_argument("--once", action="store_true", help="handle pending mail, send the outbox, exit")
    sub.add_parser("check", help="validate config, log in to IMAP and SMTP")
    migrate = sub.add_parser("migrate", help="migrate the database to this version's schema (after a backup beside "
                             "it); --to URL copies the SQLite history into an empty PostgreSQL database")
    migrate.add_argument("--to", metavar="URL", help="postgresql://... : an empty PostgreSQL database to copy into "
                         "(its password from libpq's PGPASSFILE or PGPASSWORD); the SQLite file is left as it is")
    backup = sub.add_parser("backup", help="copy the database (online, consistent), the key and the archive to DEST")
    backup.add_argument("dest", type=Path, help="a new or empty folder")
    backup.add_argument("--archive", action="store_true", help="copy the archive of raw mail too")
    restore = sub.add_parser("restore", help="put a backup back (the daemon stopped); numbers continue past it, and "
                                 "the daemon's first pass handles the mail handled since the backup once")
    restore.add_argument("src", type=Path, help="a folder made by 'mailbot backup'")
    tickets = sub.add_parser("tickets", help="list tickets")
    tickets.add_argument("--state", choices=["open", "answered", "escalated", "awaiting_info", "resolved", "closed",
                                             "held"],
                         help="a ticket's state; held: a call or visit form waiting for its sender's #buka")
    tickets.add_argument("--mailbox")
    tickets.add_argument("--category", choices=["pengaduan", "pertanyaan", "konsultasi"])
    tickets.add_argument("--requester", help="part of the requester's address or name")
    tickets.add_argument("--channel", choices=CHANNELS, help="how it came in: e-mail, a phone call, a visit")
    tickets.add_argument("--since", type=_day, help="opened on or after this day (YYYY-MM-DD, the unit's time)")
    tickets.add_argument("--until", type=_day, help="opened on or before this day (YYYY-MM-DD, the unit's time)")
    tickets.add_argument("--search", metavar="TEXT", help="words in the subject, requester or any message's text")
    shown = tickets.add_mutually_exclusive_group()
    shown.add_argument("--limit", type=_count, default=None,
                       help=f"show the newest N (default {TICKETS_SHOWN}; --json: all)")
    shown.add_argument("--all", action="store_true", help="show every ticket that matches")
    tickets.add_argument("--overdue", action="store_true", help="only overdue tickets, with why")
    tickets.add_argument("--json", action="store_true", help="JSON for scripts")
    sweep = sub.add_parser("sweep", help="run the deadline timers as of now or --now, send the outbox")
    sweep.add_argument("--now", type=_instant, default=None,
                       help="ISO-8601 instant with offset, e.g. 2026-11-24T15:31+07:00")
    ticket = sub.add_parser("ticket", help="show one ticket with its history")
    ticket.add_argument("number")
    ticket.add_argument("--mailbox")
    ticket.add_argument("--full", action="store_true", help="whole texts, with quoted history")
    ticket.add_argument("--json", action="store_true", help="JSON for scripts")
    audit = sub.add_parser("audit", help="do the mailbox folders, the archive and the records agree? (exit 1: no)")
    audit.add_argument("--mailbox", help="one mailbox (default: all)")
    audit.add_argument("--repair", action="store_true",
                       help="move each unrecorded message back to the INBOX, for the next pass to handle once")
    audit.add_argument("--full", action="store_true", help="look at everything again, not only what is new since "
                                                          "the last audit")
    replay = sub.add_parser("replay", help="handle a saved message as if it had arrived")
    replay.add_argument("file", type=Path)
    replay.add_argument("--mailbox")
    replay.add_argument("--dry-run", action="store_true")
    _report_parsers(sub)
    sub.add_parser("web", help="the window (SPEC 13): read-only pages for staff, coordinators, heads and requesters")
    return parser


def _report_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`report rekap|tamu|summary`: the month's reports for the head of unit; the recap and
    the guest book are tables, written alike (`_table_report`)."""
    oauth_cmd = sub.add_parser("oauth", help="OAuth2 for a mailbox's server logins (issue 49)")
    oauth_kinds = oauth_cmd.add_subparsers(dest="oauth", required=True)
    login = oauth_kinds.add_parser("login", help="sign in once on a headless host (device code) and keep the "
                                                 "refresh token in oauth2.refresh_token_file")
    login.add_argument("--mailbox", required=True, help="the mailbox whose imap (else smtp) oauth2 block to use")
    login.add_argument("--smtp", action="store_true", help="the smtp block's oauth2, when it has its own")
    report = sub.add_parser("report", help="monthly reports for the head of unit")
    kinds = report.add_subparsers(dest="report", required=True)
    rekap = _table_report(kinds, "rekap", '"Rekap Penanganan Permasalahan": one row per ticket opened in the month')
    rekap.add_argument("--channel", choices=CHANNELS,
                       help="one channel's recap, titled for it (seed 003's phone log: telepon)")
    rekap.add_argument("--paper", choices=["a4", "f4"], default="a4", help="XLSX: the paper it prints on")
    _table_report(kinds, "tamu", "the guest book of walk-ins (seed 000): one row per visit in the month")
    summary = kinds.add_parser("summary", help="monthly summary as a self-contained HTML page, or mailed with --send")
    summary.add_argument("--month", type=_month, required=True, help="YYYY-MM, in the unit's timezone")
    summary.add_argument("--mailbox", help="one mailbox (default: all; --send mails each its own)")
    summary.add_argument("--output", type=Path, default=None, help="HTML file to write (default: standard output)")
    summary.add_argument("--send", action="store_true", help="mail it to the heads and coordinators now")


def _table_report(kinds: argparse._SubParsersAction[argparse.ArgumentParser], name: str,
                  about: str) -> argparse.ArgumentParser:
    """A monthly table report: its month and mailbox, CSV or XLSX, to a file or standard output."""
    table = kinds.add_parser(name, help=about)
    table.add_argument("--month", type=_month, required=True, help="YYYY-MM, in the unit's timezone")
    table.add_argument("--mailbox", help="one mailbox (default: all)")
    table.add_argument("--format", choices=["csv", "xlsx"], default=None,
                       help="default: xlsx for an --output ending in .xlsx, else csv")
    table.add_argument("--excel", action="store_true",
                       help="CSV for Excel with Indonesian regional settings: semicolon-separated")
    table.add_argument("--output", type=Path, default=None, help="file to write (default: standard output)")
    return table


class _Version(argparse.Action):
    """`--version`: the version is looked up only when asked (it may ask git, `mailbot.version`)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        from mailbot.version import current

        say(f"mailbot {current()}")
        parser.exit()


YEARS = range(1970, 9999)  # deadlines and month bounds are counted past the given time: not up to year 9999


def _month(text: str) -> Month:
    try:
        month = Month.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if month.year not in YEARS:
        raise argparse.ArgumentTypeError(f"a month from {YEARS.start} to {YEARS.stop - 1}, got {text!r}")
    return month


TICKETS_SHOWN = 50  # `tickets` shows a screenful or two, newest first: staff look for a recent case


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a day as YYYY-MM-DD, got {text!r}") from None
    if day.year not in YEARS:
        raise argparse.ArgumentTypeError(f"a day from {YEARS.start} to {YEARS.stop - 1}, got {text!r}")
    return day


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number from 1, got {text!r}")
    return int(text)


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {text!r}") from None
    if moment.tzinfo is None:
        example = moment.isoformat(timespec="minutes") if "T" in text or " " in text else f"{text}T08:00"
        raise argparse.ArgumentTypeError(f"give a UTC offset, e.g. {example}+07:00")
    if moment.year not in YEARS:
        raise argparse.ArgumentTypeError(f"an instant from {YEARS.start} to {YEARS.stop - 1}, got {text!r}")
    return moment


def config_path(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    return Path(os.environ.get("MAILBOT_CONFIG", "config.yaml"))


@guarded  # every output to the operator's terminal shows control characters (issue 58)
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EX_USAGE if exc.code not in (0, None) else EX_OK
    from mailbot.config import load_config
    from mailbot.io import logs

    reads_only = (args.command in ("tickets", "ticket", "web")  # web: the SMTP password if readable, no IMAP one
                  or (args.command == "report" and not getattr(args, "send", False)))
    try:
        cfg = load_config(config_path(args.config), secrets=not reads_only)
    except ConfigError as exc:
        say(f"mailbot: configuration error: {exc}", file=sys.stderr)
        return EX_CONFIG
    logs.configure(cfg.log.format, cfg.log.level)
    names = [b.name for b in cfg.mailboxes]
    if getattr(args, "mailbox", None) and args.mailbox not in names and not _held(cfg, args):
        say(f"mailbot: no mailbox {args.mailbox!r}; the config has {', '.join(names)}", file=sys.stderr)
        return EX_BAD_MAILBOX  # a typo on the command line, not the config's fault (issue 34)
    try:
        return COMMANDS[args.command](cfg, args)
    except ConfigError as exc:
        say(f"mailbot: configuration error: {exc}", file=sys.stderr)
        return EX_CONFIG
    except LoginRefusedError as exc:
        say(f"mailbot: {exc}", file=sys.stderr)
        return EX_NOPERM
    except UnreachableError as exc:
        say(f"mailbot: {exc}", file=sys.stderr)
        return EX_UNAVAILABLE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `mailbot tickets | head`, or a pager quit early: the reader is gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return 128 + signal.SIGPIPE
    except (MailbotError, OSError, sqlite3.Error, RuntimeError) as exc:
        # Never a raw traceback for an operator: one line saying what failed.
        if os.environ.get("MAILBOT_DEBUG"):
            raise
        say(f"mailbot: {args.command} failed: {_describe(exc)} (MAILBOT_DEBUG=1 shows the traceback)",
            file=sys.stderr)
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
            return EX_TEMPFAIL  # another writer held the database past the busy timeout: try again later
        return EX_SOFTWARE


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, sqlite3.Error):
        return f"database: {exc}"
    return str(exc) or type(exc).__name__


RELOADED = "MAILBOT_RELOADED"  # set for the process a reload starts: it logs config_reloaded


def cmd_run(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.io.memory import return_freed_memory

    return_freed_memory()
    return _run_once(_opened(cfg)) if args.once else _serve(cfg)


def _opened(cfg: Config) -> App:
    """The daemon's App, its store opened (migrated or mended, which is logged), after the
    data locations were found usable."""
    from mailbot.daemon import App

    # A data location the service's user cannot use is the operator's to mend: 78, which
    # systemd does not restart into (a 70 was retried every 30 s, each start failing alike).
    problems = [f"{key}: {problem}" for key, _, problem in data_locations(cfg) if problem]
    if problems:
        raise ConfigError("; ".join(problems))
    app = App(cfg)
    for mended in app.store.mended:  # a known drift of an older landed state's schema, mended at opening
        app.log.warning("schema_mended", what=mended)
    if app.store.migrated_from:
        from mailbot.io.migrations import SCHEMA_VERSION

        app.log.warning("schema_migrated", old=app.store.migrated_from[0], new=SCHEMA_VERSION,
                        backup=str(app.store.migrated_from[1]))
    return app


def _run_once(app: App) -> int:
    """`run --once`: one pass, its counts printed, its exit code what waits or failed."""
    result = app.run_once()
    print(as_json(result.as_json()))
    return once_exit_code(result)


def once_exit_code(result: RunOnce) -> int:
    """The exit code of a `run --once` (the one place its outcome becomes a code)."""
    if result.misconfigured:  # a server that cannot be used as configured: the operator's to mend
        for why in result.misconfigured:
            say(f"mailbot: configuration error: {why}", file=sys.stderr)
        return EX_CONFIG
    code = server_status(result.unreadable)  # the other mailboxes were handled all the same
    if code:
        return code
    # Mail that waits (a message that could not be stored stays in the INBOX; mail that
    # could not be sent stays in the outbox): 75, "try again later", never a silent 0.
    # A mail refused for good is not waiting: it is recorded and its sender told.
    if result.storage_failures or result.failed_passes or result.deferred_mail:
        say(f"mailbot: mail waits: {result.storage_failures} storage failure(s), mailbox pass(es) failed: "
            f"{', '.join(result.failed_passes) or 'none'}, {result.deferred_mail} mail(s) not sent yet",
            file=sys.stderr)
        return EX_TEMPFAIL
    return EX_OK


def _opened_when_reachable(cfg: Config, stop: threading.Event, hangup: threading.Event,
                           received: list[str]) -> App | None:
    """The daemon's App once its database can be reached (`store_wait`: a PostgreSQL host that
    boots later is waited for, issue 57); None when stopped meanwhile. A reload (SIGHUP)
    meanwhile starts the process again on the config as it reads now."""
    from mailbot.io.logs import get as get_log
    from mailbot.service import Watchdog
    from mailbot.store_wait import StoreWait

    watchdog = Watchdog(sd_notify, os.environ.get("WATCHDOG_USEC"))
    waiting = StoreWait(cfg, sd_notify, watchdog.beat, lambda: stop.is_set() or hangup.is_set(), get_log())
    app = waiting.open(partial(_opened, cfg))
    if app is None:
        if hangup.is_set() and not received:
            _start_again(cfg)
        get_log().info("daemon_stopped", signal=received[0] if received else None, waiting_for="the database")
    return app


def _serve(cfg: Config) -> int:
    """`run`: the service until a stop signal; SIGHUP reloads the configuration."""
    from mailbot.config import load_config
    from mailbot.daemon import App
    from mailbot.sender import stop_signals
    from mailbot.service import Reload, Service

    received: list[str] = []
    running = [threading.Event()]  # the stop of the service that runs now (one per config read)
    hangup = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        # Only set the flags: logging here could deadlock on the logger's lock if the
        # signal arrives while the main thread is writing a log line.
        name = signal.Signals(signum).name
        if name == "SIGHUP":
            hangup.set()
            return
        received.append(name)
        running[0].set()

    # SIGHUP ("reload", systemd's ExecReload=): the config is read again and checked as a
    # start checks it; a valid one takes effect without a stop of the process, an invalid
    # one is refused (logged, alerted) while the old one serves on. Left at Python's default
    # it died on the spot. Started under `nohup` (SIGHUP ignored) it keeps ignoring it: the
    # hang-up of the operator's logout is no reload.
    for signum in stop_signals():
        signal.signal(signum, on_signal)
    from mailbot.version import current

    def checked() -> list[str]:
        """The config as it reads now, checked as a start checks it (an App made of it)."""
        new = load_config(cfg.path)
        problems = [f"{key}: {problem}" for key, _, problem in data_locations(new) if problem]
        if problems:
            raise ConfigError("; ".join(problems))
        App(new).store.close()
        return [b.name for b in new.mailboxes]

    app = _opened_when_reachable(cfg, running[0], hangup, received)
    if app is None:  # stopped while the database could not be reached
        return EX_OK
    reloaded = os.environ.pop(RELOADED, None)
    app.log.info("config_reloaded" if reloaded else "daemon_started", version=current(),
                 mailboxes=[b.name for b in cfg.mailboxes])
    service = Service(app, running[0], sd_notify, Reload(hangup, checked))
    service.run()  # every mailbox on IDLE, the outbox, the timers, until stopped
    if service.reload_accepted and not received and not service.fatal:
        app.store.close()
        _start_again(cfg)
    app.log.info("stop_requested", signal=received[0] if received else None)
    app.store.close()
    app.log.info("daemon_stopped")
    if service.fatal:
        say(f"mailbot: configuration error: {service.fatal}", file=sys.stderr)
        return EX_CONFIG
    return EX_OK


def _start_again(cfg: Config) -> None:
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


def _database_fits(cfg: Config) -> bool:
    """The database is of this mailbot's schema or older (not migrated here: an older daemon
    may still run on it) and no configured mailbox is a renamed one; prints what is not, and
    warns of work left for mailboxes removed from the config."""
    from mailbot.daemon import renamed_mailboxes, unserved_mailboxes
    from mailbot.io.migrations import SCHEMA_VERSION
    from mailbot.io.store import DATABASE_ERRORS, Store

    try:
        store = Store.of(cfg, readonly=True, inspect=True)
    except ConfigError as exc:  # newer than this mailbot, not the shape it expects, not a database
        say(f"database: FAILED: {exc}")
        return False
    except DATABASE_ERRORS as exc:  # locked past the busy timeout, or unreadable: the other checks go on
        say(f"database: FAILED: {cfg.store_location}: {exc}")
        return False
    try:
        if store.schema_version() < SCHEMA_VERSION:
            say(f"database: schema {store.schema_version()}, older than this mailbot's ({SCHEMA_VERSION}): "
                "'mailbot migrate' or the daemon's start migrates it")
        for difference in store.differences():  # a refused shape raised above: these can be mended
            say(f"database: note: {difference}; the migration adds it")
        renamed = renamed_mailboxes(cfg, store)
        for left in unserved_mailboxes(cfg, store):
            say(f"warning: {left}")
    except DATABASE_ERRORS as exc:  # a table the rows live in is gone, a page damaged
        say(f"database: FAILED: {cfg.store_location}: {exc}")
        return False
    finally:
        store.close()
    for problem in renamed:
        say(f"FAILED: {problem}")
    return not renamed


def cmd_check(cfg: Config, args: argparse.Namespace) -> int:
    """Report every problem; the exit status says the gravest kind.

    78 when a data location cannot be written (or the rules are bad), else 69 when a
    server cannot be reached (a refused certificate included), else 77 when a server
    refused the login; 0 when all is well. A bad rule or words file does not stop the
    other checks: the servers are still tried, so one run shows everything to mend.
    """
    from mailbot.io import oauth

    say(f"config {cfg.path}: ok ({len(cfg.mailboxes)} mailbox(es))")
    with oauth.fresh():  # a kept token would hide a provider that refuses the client now
        codes = _check_local(cfg) | _check_postgresql(cfg) | _check_servers(cfg)
    for code in (EX_CONFIG, EX_UNAVAILABLE, EX_NOPERM):
        if code in codes:
            return code
    return EX_OK


def _check_local(cfg: Config) -> set[int]:
    """Rules, calendar, templates and the data locations: 78 for each that is broken."""
    from mailbot.core.worktime import build_calendar
    from mailbot.io.render import Renderer
    from mailbot.rules import load_rules

    codes: set[int] = set()
    try:
        load_rules(cfg.rules_dir)  # a ConfigError names file, rule and field
        say(f"rules: ok ({cfg.rules_dir or 'defaults'})")
    except ConfigError as exc:
        say(f"rules: FAILED: {exc}")
        codes.add(EX_CONFIG)
    try:  # the week's hours and the periods, as the timers will count them (issue 48)
        say(f"calendar: ok ({cfg.timezone}; {build_calendar(cfg).describe()})")
    except ConfigError as exc:
        say(f"calendar: FAILED: {exc}")
        codes.add(EX_CONFIG)
    if cfg.templates_dir is not None and not cfg.templates_dir.is_dir():
        say(f"templates_dir: FAILED: {cfg.templates_dir} is not a folder")
        codes.add(EX_CONFIG)
    try:
        for broken in Renderer(cfg.templates_dir).problems():
            say(f"templates: FAILED: {broken}")
            codes.add(EX_CONFIG)
    except ConfigError as exc:  # a words.yaml of the wrong shape
        say(f"templates: FAILED: {exc}")
        codes.add(EX_CONFIG)
    if cfg.auth.mode == "off":
        say("warning: auth.mode is off: any sender claiming a staff address can run commands")
    if not cfg.auth.trusted_authserv_id:  # issue 44: the ack budget tells no sender from another
        say("warning: auth.trusted_authserv_id is not set: the unit's mail server's verdicts (dmarc, dkim, spf) "
            "are not read, so no requester can be told from a forger and every new requester's acknowledgement "
            "counts against limits.acks_per_hour")
    if not cfg.escalation.address:
        say("warning: escalation.address is not set: #eskalasi cannot reach LKPP")
    read_later = False  # an existing database is ok once its contents are read, not before
    for key, path, problem in data_locations(cfg):
        if problem:
            say(f"{key}: FAILED: {problem}")
            codes.add(EX_CONFIG)
        elif key == "database" and path.exists():
            read_later = True
        else:
            say(f"{key}: ok ({path})")
    for folder in sorted({s.oauth2.cache_dir for b in cfg.mailboxes for s in (b.imap, b.smtp)
                          if s.oauth2 is not None and s.oauth2.cache_dir is not None}):
        problem = location_problem(folder, "folder")
        if problem:  # the tokens are kept for the next process only: each start asks the provider anew
            say(f"warning: oauth2.token_cache_dir: {problem} (each start then asks the provider for a new token)")
    if read_later:
        if _database_fits(cfg):
            say(f"database: ok ({cfg.store_location})")
        else:
            codes.add(EX_CONFIG)
    return codes


def _check_postgresql(cfg: Config) -> set[int]:
    """A `postgresql://` store reached, logged in to and its schema compared, as the daemon's
    start would find it (issue 57): 69 unreachable, 77 the login refused, 78 a URL naming no
    usable database or a schema the daemon refuses; nothing for a SQLite store (`_check_local`)."""
    from mailbot.io.store.pg_access import unmade
    from mailbot.io.store.postgres import PostgresDatabase

    if not cfg.database_url:
        return set()
    password = cfg.database_password.value if cfg.database_password else None
    try:
        database = PostgresDatabase(cfg.database_url, password, lease_seconds=cfg.lease_seconds)
        try:
            empty = unmade(database)
        finally:
            database.close()
    except (ConfigError, LoginRefusedError, UnreachableError) as exc:
        say(f"database: FAILED: {exc}")
        return {server_status([exc]) if isinstance(exc, UnreachableError) else EX_CONFIG}
    if empty is None and not _database_fits(cfg):
        return {EX_CONFIG}
    say(f"database: ok ({cfg.store_location}{f'; {empty}' if empty else ''})")
    return set()


def _check_servers(cfg: Config) -> set[int]:
    """Each mailbox's IMAP and SMTP login: 78 a missing folder, 69 unreachable, 77 refused."""
    from mailbot.io import imap, smtp

    codes: set[int] = set()
    for box in cfg.mailboxes:
        for name, server in (("imap", box.imap), ("smtp", box.smtp)):
            codes |= _check_secret(box.name, name, server, datetime.now(cfg.timezone).date())
        checks: list[tuple[str, Callable[[], str]]] = [
            ("imap", partial(imap.probe, box.imap)), ("smtp", partial(smtp.probe, box.smtp))]
        for name, probe in checks:
            try:
                say(f"{box.name}: {probe()}")
            except (MissingFolderError, ConfigError) as exc:  # ConfigError: a login the server does not offer
                say(f"{box.name}: {name} FAILED: {exc}")
                codes.add(EX_CONFIG)
            except LoginRefusedError as exc:
                say(f"{box.name}: {name} FAILED: {exc}")
                codes.add(EX_NOPERM)
            except UnreachableError as exc:
                say(f"{box.name}: {name} FAILED: {exc}")
                codes.add(EX_UNAVAILABLE)
    return codes


def _check_secret(box: str, name: str, server: ServerConfig, today: date) -> set[int]:
    """An OAuth2 client secret past its end (77), or ending within 14 days (a warning):
    the provider then refuses every token, and the mail stops (issue 49)."""
    from mailbot.core.settings import secret_days_left

    left = secret_days_left(server, today)
    oauth2 = server.oauth2
    if left is None or oauth2 is None or oauth2.secret_expires is None:
        return set()
    expires, credential = oauth2.secret_expires.isoformat(), oauth2.credential
    if left < 0:
        mend = ("upload a new certificate to the app registration and put it, with its key, in "
                "client_certificate_file") if oauth2.certificate else \
            "put a new secret in client_secret_file and its end in client_secret_expires"
        say(f"{box}: {name} FAILED: oauth2 {credential} expired on {expires}: {mend}")
        return {EX_NOPERM}
    say(f"warning: {box}: {name} oauth2 {credential} expires on {expires}, in {left} day(s): "
        "make a new one in the provider's portal before then")
    return set()


def server_status(failures: Iterable[BaseException]) -> int:
    """The gravest of the servers' failures, ranked as `check` ranks them: 78 a missing folder,
    69 a server unreachable, 77 a login refused; 0 when there were none."""
    codes = {EX_CONFIG if isinstance(exc, MissingFolderError) else EX_NOPERM if isinstance(exc, LoginRefusedError)
             else EX_UNAVAILABLE for exc in failures}
    return next((code for code in (EX_CONFIG, EX_UNAVAILABLE, EX_NOPERM) if code in codes), EX_OK)


def data_locations(cfg: Config) -> list[tuple[str, Path, str | None]]:
    """The database, archive and key locations: key, path, and why mailbot cannot use it (or None)."""
    return [(key, path, location_problem(path, kind))
            for key, path, kind in (("database", cfg.database, "file"), ("archive_dir", cfg.archive_dir, "folder"),
                                    ("secret_key_file", cfg.secret_key_file, "key"))
            if not (key == "database" and cfg.database_url)]  # a PostgreSQL store is checked by opening it


def location_problem(path: Path, kind: str) -> str | None:
    """Why mailbot could not write `path` (a file, a folder, or the key it creates), or None.

    Tries for real (a temporary file in the deepest existing folder), so a read-only
    file system or a folder owned by another user is found, not only missing modes.
    A folder above it that mailbot's user may not enter is a problem too, not a crash.
    """
    try:
        return _location_problem(path, kind)
    except OSError as exc:
        return (f"cannot reach {path}: {exc.strerror or exc} "
                "(mailbot's user must be able to enter every folder above it)")


def _location_problem(path: Path, kind: str) -> str | None:
    if kind == "key" and path.exists():
        if not os.access(path, os.R_OK):
            return f"{path} exists but cannot be read"
        size = len(path.read_bytes().strip())
        return None if size >= 32 else f"{path} holds {size} bytes, fewer than 32 (remove it: a new key is made)"
    if kind == "file" and path.exists() and not os.access(path, os.W_OK):
        return f"{path} exists but cannot be written"
    folder = path if kind == "folder" else path.parent
    probe = folder
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        return f"cannot create {folder}: {probe} is not a folder"
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        what = f"cannot write in {probe}" if probe == folder else f"cannot create {folder} (in {probe})"
        return f"{what}: {exc.strerror}"
    return None


def _store_for_writing(cfg: Config) -> Store:
    """The database for a command that writes but does not migrate (`sweep`, `replay`): an
    older schema is refused with what to start, as an older daemon may still run on it."""
    from mailbot.io.store import Store

    return Store.of(cfg, migrate=False)


def _copy_to(cfg: Config, url: str) -> int:
    """`migrate --to URL`: the SQLite history into an empty PostgreSQL database, counted."""
    from mailbot.io.engine_copy import copy_to
    from mailbot.io.store.postgres import display

    if not url.lower().startswith(("postgresql://", "postgres://")):
        say(f"mailbot: migrate --to: {display(url)} is not a postgresql:// URL", file=sys.stderr)
        return EX_USAGE
    if cfg.database_url:
        say("mailbot: migrate --to: the configured database is PostgreSQL already; --to copies a SQLite file",
            file=sys.stderr)
        return EX_USAGE
    password = cfg.database_password.value if cfg.database_password else None  # as `run` logs in
    counted = copy_to(cfg.database, "postgresql://" + url.split("://", 1)[1], password)
    for name, rows in counted.items():
        say(f"{name}: {rows} rows")
    say(f"database {cfg.database} copied to {display(url)}: {sum(counted.values())} rows, each table counted on "
        "both sides; the SQLite file is unchanged. Set database: to the URL (and database_password_file) to use it.")
    return EX_OK


def cmd_migrate(cfg: Config, args: argparse.Namespace) -> int:
    """`mailbot migrate`: bring the database to this mailbot's schema and shape, after a
    backup beside it, as the daemon's start does; says what it did."""
    from mailbot.io.migrations import SCHEMA_VERSION
    from mailbot.io.store import Store

    if getattr(args, "to", None):
        return _copy_to(cfg, args.to)
    where = cfg.store_location
    if not cfg.database_url and not cfg.database.exists():
        say(f"database {where}: none yet; the daemon's start creates it")
        return EX_OK
    store = Store.of(cfg)
    try:
        for mended in store.mended:
            say(f"database {where}: {mended}")
        if store.migrated_from is None:
            say(f"database {where}: schema {SCHEMA_VERSION}, already this mailbot's; nothing to do")
        else:
            version, backup = store.migrated_from
            say(f"database {where}: schema {version} -> {SCHEMA_VERSION}; the database as it was: {backup}")
    finally:
        store.close()
    return EX_OK


def cmd_backup(cfg: Config, args: argparse.Namespace) -> int:
    """`mailbot backup DEST [--archive]`: safe while the daemon runs (SQLite's online backup)."""
    from mailbot.io import backup

    print(as_json(backup.take(cfg, args.dest, with_archive=args.archive, now=datetime.now(UTC)), indent=2))
    return EX_OK


def cmd_restore(cfg: Config, args: argparse.Namespace) -> int:
    """`mailbot restore SRC`: refused while a daemon runs on the database; what came after
    the backup is made good by the daemon's first pass (`mailbot.recovery`)."""
    from mailbot.io import backup

    print(as_json(backup.restore(cfg, args.src, now=datetime.now(UTC)), indent=2))
    return EX_OK


def cmd_sweep(cfg: Config, args: argparse.Namespace) -> int:
    """Run the timers as of an instant: the same code `run` calls on its schedule."""
    from mailbot.daemon import App

    now = args.now.astimezone(UTC) if args.now else None
    app = App(cfg, _store_for_writing(cfg), clock=(lambda: now) if now else None)
    swept = app.sweep()
    print(json.dumps({**swept, **app.send_here(), "now": app.clock().isoformat()}))
    return EX_OK


def _width() -> int:
    from mailbot import views

    return shutil.get_terminal_size((views.MIN_WIDTH, 24)).columns


def cmd_tickets(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot import views
    from mailbot.io.store import Store

    if _no_database(cfg):
        say("[]" if args.json else "0 overdue" if args.overdue else "0 ticket(s)")
        return EX_OK
    if args.overdue:
        return _overdue(cfg, args)
    from mailbot.core.search_query import fts_query

    search = fts_query(args.search) if args.search is not None else None
    if args.search is not None and search is None:
        say(f"mailbot: --search {args.search!r} holds no word to look for", file=sys.stderr)
        return EX_USAGE
    store = Store.of(cfg, readonly=True)
    since = _local_midnight(args.since, cfg.timezone)
    until = _local_midnight(args.until + timedelta(days=1), cfg.timezone) if args.until else None
    rows, more = _ticket_rows(store, args, since, until, search)
    held = _held_listed(cfg, store, args, since, until, search)
    if args.json:
        print(as_json([*(views.ticket_summary(t, cfg.timezone) for t in rows),
                       *(views.held_summary(name, form, cfg.timezone) for name, form in held)], indent=2))
        return EX_OK
    several = len(cfg.mailboxes) > 1 or len({t.mailbox for t in rows}) > 1  # a removed unit's tickets too
    for line in views.ticket_list(rows, cfg.timezone, _width(), with_mailbox=several, more=more, held=held):
        say(line)
    return EX_OK


def _ticket_rows(store: Store, args: argparse.Namespace, since: datetime | None, until: datetime | None,
                 search: str | None) -> tuple[list[Ticket], bool]:
    """The tickets `mailbot tickets` lists, in the order they came (the newest last: right
    above the prompt), and whether more match than it shows."""
    limit = None if args.all or (args.json and args.limit is None) else (args.limit or TICKETS_SHOWN)
    rows = [] if args.state == "held" else store.find_tickets(
        mailbox=args.mailbox, state=args.state, category=args.category, requester=args.requester,
        since=since, search=search, until=until, channel=args.channel,
        limit=None if limit is None else limit + 1)  # one more: to say that more match
    more = limit is not None and len(rows) > limit
    return rows[:limit][::-1], more


def _held_listed(cfg: Config, store: Store, args: argparse.Namespace, since: datetime | None,
                 until: datetime | None, search: str | None) -> list[tuple[str, HeldForm]]:
    """SPEC 3 (issue 45): a call or visit held for its sender's #buka is listed, never lost;
    only where the filters could match a form (no category, requester or words asked for)."""
    if args.state not in (None, "held") or args.category or args.requester or search:
        return []
    return [(box.name, form) for box in cfg.mailboxes if args.mailbox in (None, box.name)
            for form in store.held_forms(box.name, since, until) if args.channel in (None, form.intake.channel)]


def _local_midnight(day: date | None, zone: tzinfo) -> datetime | None:
    """The start of `day` in the unit's time zone, as the instant it is."""
    return None if day is None else datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _overdue(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot import views
    from mailbot.daemon import App
    from mailbot.io.store import Store
    from mailbot.io.words import words

    app = App(cfg, Store.of(cfg, readonly=True))
    now = app.clock()
    boxes = [cfg.mailbox(args.mailbox)] if args.mailbox else list(cfg.mailboxes)
    found = [(ticket, item) for box in boxes for ticket, item in app.overdue(box, now)
             if not args.state or ticket.state == args.state]
    said = words(cfg.language, cfg.templates_dir)
    if args.json:
        print(as_json(views.overdue_json(found, cfg.timezone, said, app.calendar.day_length), indent=2))
        return EX_OK
    for line in views.overdue_list(found, cfg.timezone, said, app.calendar.day_length, _width(),
                                   with_mailbox=len(cfg.mailboxes) > 1):
        say(line)
    return EX_OK


def cmd_ticket(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot import views
    from mailbot.io.store import Store

    if _no_database(cfg):
        say(f"mailbot: no ticket {args.number}", file=sys.stderr)
        return EX_NOT_FOUND
    store = Store.of(cfg, readonly=True)
    number, found = _tickets_named(cfg, store, args.number, args.mailbox)
    if len(found) > 1:
        names = ", ".join(name for name, _ in found)
        prefixes = _tag_prefixes(cfg, store)[found[0][0]]
        example = f", e.g. \"[{prefixes[0]} #{number}]\"" if prefixes else ""
        say(f"mailbot: ticket {number} is in mailboxes {names}: give --mailbox NAME or the tag{example}",
            file=sys.stderr)
        return EX_USAGE
    for _name, ticket in found:
        assert ticket.id is not None
        events, messages = store.events_of(ticket.id), store.messages_of(ticket.id)
        if args.json:
            print(as_json(views.ticket_json(ticket, events, messages, cfg.timezone, full=args.full,
                                            archive_dir=cfg.archive_dir), indent=2))
        else:
            for line in views.ticket_detail(ticket, events, messages, cfg.timezone, full=args.full,
                                              width=_width(), archive_dir=cfg.archive_dir):
                say(line)
        return EX_OK
    held = [(box.name, form) for box in cfg.mailboxes if args.mailbox in (None, box.name)
            for form in store.held_forms(box.name) if form.number == number]
    if held:  # SPEC 3 (issue 45): no ticket yet, but not lost
        name, form = held[0]
        say(f"mailbot: {number} is a {'call' if form.intake.channel == 'telepon' else 'visit'} form held in "
            f"{name} since {views.when(form.held_at, cfg.timezone)}, taken by {form.intake.staff}: no ticket until "
            "its sender replies #buka to the request to confirm it (tickets --state held)", file=sys.stderr)
        return EX_NOT_FOUND
    say(f"mailbot: no ticket {args.number}", file=sys.stderr)
    return EX_NOT_FOUND


def _tickets_named(cfg: Config, store: Store, reference: str,
                   mailbox: str | None) -> tuple[str, list[tuple[str, Ticket]]]:
    """The number a reference names and the tickets of that number it may mean, each with
    its mailbox: of the mailbox given, or whose tag prefix (now or before) the reference
    carries, or that it names as `tickets --overdue` and the monthly summary write it
    (`btm/2026-00042`), among every mailbox configured or still holding tickets (a unit
    removed from the config keeps its history, and its tag never names another unit's ticket)."""
    known = _tag_prefixes(cfg, store)
    named = _BOX_NUMBER.fullmatch(reference.strip())
    if named and named[1] in known and mailbox in (None, named[1]):  # `btm/2026-00042`, as reports list it
        mailbox, reference = named[1], named[2]
    number, prefix = _ticket_reference(reference)
    if not any(p.lower() == (prefix or "").lower() for prefixes in known.values() for p in prefixes):
        prefix = None  # "tiket 2026-00042": a word, not a mailbox's tag
    names = [name for name, prefixes in known.items() if (not mailbox or name == mailbox)
             and (not prefix or prefix.lower() in {p.lower() for p in prefixes})]
    return number, [(name, t) for name in names
                    if (t := store.ticket_by_number(name, number)) is not None and t.id is not None]


def _tag_prefixes(cfg: Config, store: Store) -> dict[str, tuple[str, ...]]:
    """Every mailbox the config or the database knows, with its tag prefixes: the one
    configured first, then those it had before, newest first."""
    known = {b.name: (b.tag_prefix, *reversed(store.tag_prefixes(b.name))) for b in cfg.mailboxes}
    for name in (*store.mailbox_addresses(), *store.ticket_mailboxes()):
        known.setdefault(name, tuple(reversed(store.tag_prefixes(name))))
    return known


def _held(cfg: Config, args: argparse.Namespace) -> bool:
    """Whether `--mailbox` of `ticket` or `tickets` names a mailbox the config no longer has
    but whose tickets the database holds: its history stays readable."""
    from mailbot.io.store import Store

    if args.command not in ("ticket", "tickets") or getattr(args, "overdue", False) or _no_file(cfg):
        return False
    store = Store.of(cfg, readonly=True)
    try:
        return args.mailbox in store.ticket_mailboxes()
    finally:
        store.close()


def _no_file(cfg: Config) -> bool:
    """Whether the store is a SQLite file not there yet (a PostgreSQL store is always there to ask)."""
    return cfg.database_url is None and not cfg.database.exists()


def _no_database(cfg: Config) -> bool:
    """Whether the database is not there: said once, and not made by a command that only reads
    (run without the service's config or data folder, it would leave an empty one behind)."""
    if not _no_file(cfg):
        return False
    say(f"mailbot: no database at {cfg.database} yet: no mail handled with this config "
        "(is it the one the service uses? the installed `mailbot` wrapper runs with it)", file=sys.stderr)
    return True


def _ticket_reference(text: str) -> tuple[str, str | None]:
    """The number and tag prefix of `2026-00042`, `#2026-00042` or `[LPSE-BTM #2026-00042]`
    (as copied from a subject); the text itself when it holds no number."""
    match = _REFERENCE.search(text)
    if match is None:
        return text.strip(), None
    return match.group(2), match.group(1)


_BOX_NUMBER = re.compile(r"([A-Za-z0-9_-]{1,32})/(\d{4}-\d{5})")
_REFERENCE = re.compile(r"(?:([A-Za-z0-9][\w.-]*)\s*)?#?\s*(\d{4}-\d{5})\b")


def cmd_replay(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.daemon import App

    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        say(f"mailbot: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EX_USAGE
    box = cfg.mailbox(args.mailbox) if args.mailbox else cfg.mailboxes[0]
    app = App(cfg, _store_for_writing(cfg))
    outcome = app.handle(box, raw, dry_run=args.dry_run)
    print(as_json({"status": outcome.status, "label": outcome.label, "ticket": outcome.ticket,
                   "mail": list(outcome.sent), "dry_run": args.dry_run}))
    if not args.dry_run:
        app.send_here()
    return EX_OK


def cmd_audit(cfg: Config, args: argparse.Namespace) -> int:
    """One line per finding on standard output; exit 0 when everything agrees, 1 when not."""
    from mailbot.io import imap
    from mailbot.io.logs import get as get_log
    from mailbot.io.store import Store
    from mailbot.mailbox_audit import Auditor

    store = Store.of(cfg)
    auditor = Auditor(cfg, store, lambda: datetime.now(UTC), get_log())
    found = 0
    try:
        for box in cfg.mailboxes:
            if args.mailbox and box.name != args.mailbox:
                continue
            with imap.Mailbox(box.imap) as session:
                findings = auditor.mailbox(box, session, repair=args.repair, full=args.full)
            for finding in findings:
                say(f"{box.name}: {finding.line()}")
            found += len(findings)
    except (LoginRefusedError, UnreachableError):
        raise  # 77, 69 as for every command
    except MissingFolderError as exc:  # imap.folder names no folder: the config's to mend
        say(f"mailbot: configuration error: {exc}", file=sys.stderr)
        return EX_CONFIG
    except TransientError as exc:  # the server failed during the audit
        say(f"mailbot: {exc}", file=sys.stderr)
        return EX_UNAVAILABLE
    finally:
        store.close()
    if found and args.repair:
        say(f"mailbot: {found} finding(s); unrecorded messages are back in the INBOX for the next pass",
            file=sys.stderr)
    return EX_FOUND if found else EX_OK


def cmd_report(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.reports import outputs

    if args.report in ("rekap", "tamu"):
        fmt = args.format or ("xlsx" if args.output and args.output.suffix.lower() == ".xlsx" else "csv")
        if args.excel and fmt == "xlsx":
            say("mailbot: --excel is the CSV for Excel; an XLSX opens in Excel as it is", file=sys.stderr)
            return EX_USAGE
        fmt = "excel" if args.excel else fmt
        if args.report == "rekap":
            return outputs.run_rekap(cfg, args.month, args.mailbox, fmt, args.output, paper=args.paper,
                                     channel=args.channel)
        return outputs.run_guestbook(cfg, args.month, args.mailbox, fmt, args.output)
    now = datetime.now(UTC)
    return outputs.run_summary(cfg, args.month, args.mailbox, args.output, args.send, now,
                               send_to=partial(send_summaries, cfg, args.month, now))


def send_summaries(cfg: Config, month: Month, now: datetime, targets: list[MailboxConfig]) -> str:
    """`report summary --send`: each mailbox's summary queued with the daemon's mailer and
    sent at once, by the running daemon's sender when there is one (sending beside it sent
    its rows twice); what became of the sending, for the operator."""
    from mailbot.daemon import App
    from mailbot.io.store import Store
    from mailbot.reports.outputs import summary_send

    app = App(cfg, Store.of(cfg, migrate=False), clock=lambda: now)  # migrates only by the daemon
    try:
        for target in targets:
            mail = summary_send(app.store, cfg, app.rules, app.calendar, target, month, now)
            with app.store.unit_of_work():
                app.mailer.enqueue(target, mail, None, None, now)
                app.store.add_event(target.name, None, now, "mailbot", "monthly_summary_queued",
                                    month=str(month), by="command")
        sending = app.send_here()
    finally:
        app.store.close()
    return str(sending.get("sending") or f"outbox sent {sending['sent']}, failed {sending['failed']}")


def cmd_oauth(cfg: Config, args: argparse.Namespace) -> int:
    """`mailbot oauth login --mailbox NAME`: the device code sign-in (issue 49), whose refresh
    token the daemon then refreshes its access tokens with (`io/oauth.py`)."""
    from mailbot.io import oauth

    box = cfg.mailbox(args.mailbox)
    server = box.smtp if args.smtp or box.imap.oauth2 is None else box.imap
    if server.oauth2 is None:
        say(f"mailbot: mailbox {box.name}: neither its imap nor its smtp block has an oauth2 block", file=sys.stderr)
        return EX_CONFIG
    oauth.device_login(server.oauth2, f"{server.host}:{server.port}", say)
    return EX_OK


def cmd_web(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.web.serve import cmd_web as serve  # Starlette and uvicorn only for `mailbot web`

    return serve(cfg, args)


COMMANDS = {
    "oauth": cmd_oauth,
    "run": cmd_run,
    "sweep": cmd_sweep,
    "check": cmd_check,
    "migrate": cmd_migrate,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "tickets": cmd_tickets,
    "ticket": cmd_ticket,
    "replay": cmd_replay,
    "audit": cmd_audit,
    "report": cmd_report,
    "web": cmd_web,
}


if __name__ == "__main__":
    sys.exit(main())

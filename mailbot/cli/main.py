"""Command line (SPEC section 10): the words `mailbot` takes, and the only place errors
become exit codes. What each command does is in `mailbot/cli/`.

Exit status: 0 success, 1 no such ticket, 2 usage error, 64 an unknown `--mailbox`
(naming the configured ones), 78 configuration error
(also a data location that cannot be written), 69 a server unreachable, 77 a login
refused, 70 an internal error (said in one line; MAILBOT_DEBUG=1 shows the traceback);
75 `run` stopped by SIGHUP, to be started again with the config read anew.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.cli.checks import cmd_check
from mailbot.cli.oauth_login import cmd_oauth
from mailbot.cli.reading import (
    TICKETS_SHOWN,
    cmd_report,
    cmd_ticket,
    cmd_tickets,
    cmd_web,
    keeps_history_of,
)
from mailbot.cli.running import cmd_replay, cmd_run, cmd_sweep
from mailbot.cli.shadow import cmd_shadow
from mailbot.cli.store_care import cmd_audit, cmd_backup, cmd_migrate, cmd_restore
from mailbot.core.intake_form import CHANNELS
from mailbot.errors import ConfigError, LoginRefusedError, MailbotError, UnreachableError
from mailbot.exit_codes import (
    EX_BAD_MAILBOX,
    EX_CONFIG,
    EX_NOPERM,
    EX_OK,
    EX_SOFTWARE,
    EX_TEMPFAIL,
    EX_UNAVAILABLE,
    EX_USAGE,
)
from mailbot.io.terminal import guarded, say
from mailbot.reports.values import Month

if TYPE_CHECKING:
    from mailbot.settings import Config

# The commands import what they use when they run: `mailbot --help` and a usage error
# answer at once, without loading the IMAP, SMTP, SQLite and logging libraries.

COMMANDS: dict[str, Callable[[Config, argparse.Namespace], int]] = {
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
    "shadow": cmd_shadow,
    "audit": cmd_audit,
    "report": cmd_report,
    "web": cmd_web,
}
READS_ONLY = ("tickets", "ticket", "web", "shadow")  # web: the SMTP password if readable, no IMAP one


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
    _tickets_parser(sub)
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
    _shadow_parser(sub)
    _report_parsers(sub)
    sub.add_parser("web", help="the window: read-only pages for staff, coordinators, heads and requesters")
    return parser


def _tickets_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`tickets`: the list an operator filters by the same facts the window does."""
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


def _shadow_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`shadow`: a period's archived mail handled again by a candidate, nothing sent."""
    shadow = sub.add_parser("shadow", help="handle the period's archived mail again with this version and a candidate "
                            "config on a scratch store, nothing sent, and list what it decides otherwise than was "
                            "recorded (exit 1: something differs)")
    shadow.add_argument("--since", type=_day, help="from this day (YYYY-MM-DD, the unit's time; default: 30 days "
                        "before --until)")
    shadow.add_argument("--until", type=_day, help="to the end of this day (default: now)")
    shadow.add_argument("--candidate", type=Path, metavar="CONFIG",
                        help="the config to try, its rules and templates with it (default: the current one)")
    shadow.add_argument("--report", type=Path, metavar="FILE",
                        help="where the differences go: FILE.jsonl and FILE.txt (default: mailbot-shadow-TIME here)")


def _report_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`report rekap|tamu|summary`: the month's reports for the head of unit; the recap and
    the guest book are tables, written alike (`_table_report`)."""
    oauth_cmd = sub.add_parser("oauth", help="OAuth2 for a mailbox's server logins")
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


@guarded  # every output to the operator's terminal shows control characters
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EX_USAGE if exc.code not in (0, None) else EX_OK
    from mailbot.config.load import load_config
    from mailbot.io import logs

    try:
        cfg = load_config(config_path(args.config), secrets=not _reads_only(args),
                          web_problem_kept=args.command == "check",  # check says it in its own row
                          window=args.command == "web")  # its own login: not the daemon's password
    except ConfigError as exc:
        return exit_status(args.command, exc)
    logs.configure(cfg.log.format, cfg.log.level)
    if _unknown_mailbox(cfg, args):
        return EX_BAD_MAILBOX  # a typo on the command line, not the config's fault
    try:
        return COMMANDS[args.command](cfg, args)
    except _SAID_KINDS + _FAILURES as exc:
        if os.environ.get("MAILBOT_DEBUG") and not isinstance(exc, _SAID_KINDS):
            raise
        return exit_status(args.command, exc)


def _reads_only(args: argparse.Namespace) -> bool:
    """A command that only reads the database: a server password it cannot read is left out
    (`load_config(secrets=False)`) instead of stopping it."""
    return args.command in READS_ONLY or (args.command == "report" and not getattr(args, "send", False))


def _unknown_mailbox(cfg: Config, args: argparse.Namespace) -> bool:
    """`--mailbox` names no mailbox of the config, nor one whose tickets the database keeps
    (`ticket`, `tickets`: a removed unit's history stays readable); said with the names."""
    names = [b.name for b in cfg.mailboxes]
    if not getattr(args, "mailbox", None) or args.mailbox in names or keeps_history_of(cfg, args):
        return False
    say(f"mailbot: no mailbox {args.mailbox!r}; the config has {', '.join(names)}", file=sys.stderr)
    return True


# What an error a command raised becomes: the first row of its kind says its line on standard
# error and gives the status (the kinds of MailbotError before it; LoginRefusedError before
# UnreachableError, of which it is one).
_SAID: tuple[tuple[type[BaseException], int, str], ...] = (
    (ConfigError, EX_CONFIG, "mailbot: configuration error: {exc}"),
    (LoginRefusedError, EX_NOPERM, "mailbot: {exc}"),
    (UnreachableError, EX_UNAVAILABLE, "mailbot: {exc}"),
    (KeyboardInterrupt, 130, ""),
    (BrokenPipeError, 128 + signal.SIGPIPE, ""),  # `mailbot tickets | head`, or a pager quit early
)
_SAID_KINDS = tuple(kind for kind, _, _ in _SAID)
# Anything else a command may meet: never a raw traceback for an operator, one line saying what failed.
_FAILURES: tuple[type[BaseException], ...] = (MailbotError, OSError, sqlite3.Error, RuntimeError)


def exit_status(command: str, exc: BaseException) -> int:
    """The exit status of a command that raised `exc`, its one line said on standard error."""
    for kind, status, line in _SAID:
        if isinstance(exc, kind):
            if line:
                say(line.format(exc=exc), file=sys.stderr)
            if kind is BrokenPipeError:  # the reader is gone: nothing more to flush at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return status
    say(f"mailbot: {command} failed: {_describe(exc)} (MAILBOT_DEBUG=1 shows the traceback)", file=sys.stderr)
    if isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc)):
        return EX_TEMPFAIL  # another writer held the database past the busy timeout: try again later
    return EX_SOFTWARE


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror}"
    if isinstance(exc, sqlite3.Error):
        return f"database: {exc}"
    return str(exc) or type(exc).__name__


"""Command line (SPEC section 10); the only place errors become exit codes.

Exit status: 0 success, 2 usage error, 78 configuration error, 69 a server
unreachable.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from mailbot import imap, logs, smtp
from mailbot.config import Config, load_config
from mailbot.errors import ConfigError, UnreachableError
from mailbot.reports.model import Month

EX_OK, EX_USAGE, EX_UNAVAILABLE, EX_CONFIG = 0, 2, 69, 78


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailbot", description="Email helpdesk and SOP-015 escalation bot.")
    parser.add_argument("--config", type=Path, default=None,
                        help="config file (default: $MAILBOT_CONFIG or ./config.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="the daemon (or one pass with --once)")
    run.add_argument("--once", action="store_true", help="handle pending mail, send the outbox, exit")
    sub.add_parser("check", help="validate config, log in to IMAP and SMTP")
    tickets = sub.add_parser("tickets", help="list tickets")
    tickets.add_argument("--state", choices=["open", "answered", "escalated", "awaiting_info", "resolved", "closed"])
    tickets.add_argument("--mailbox")
    tickets.add_argument("--overdue", action="store_true", help="only overdue tickets, with why")
    sweep = sub.add_parser("sweep", help="run the deadline timers as of now or --now, send the outbox")
    sweep.add_argument("--now", type=_instant, default=None, help="ISO-8601 instant with offset, e.g. 2026-11-24T15:31+07:00")
    ticket = sub.add_parser("ticket", help="show one ticket with its history")
    ticket.add_argument("number")
    ticket.add_argument("--mailbox")
    replay = sub.add_parser("replay", help="handle a saved message as if it had arrived")
    replay.add_argument("file", type=Path)
    replay.add_argument("--mailbox")
    replay.add_argument("--dry-run", action="store_true")
    report = sub.add_parser("report", help="monthly reports for the head of unit")
    kinds = report.add_subparsers(dest="report", required=True)
    rekap = kinds.add_parser("rekap", help='"Rekap Penanganan Permasalahan": one row per ticket opened in the month')
    rekap.add_argument("--month", type=_month, required=True, help="YYYY-MM, in the unit's timezone")
    rekap.add_argument("--mailbox", help="one mailbox (default: all)")
    rekap.add_argument("--format", choices=["csv", "xlsx"], default=None,
                       help="default: xlsx for an --output ending in .xlsx, else csv")
    rekap.add_argument("--output", type=Path, default=None, help="file to write (default: standard output)")
    summary = kinds.add_parser("summary", help="monthly summary as a self-contained HTML page, or mailed with --send")
    summary.add_argument("--month", type=_month, required=True, help="YYYY-MM, in the unit's timezone")
    summary.add_argument("--mailbox", help="one mailbox (default: all; --send mails each its own)")
    summary.add_argument("--output", type=Path, default=None, help="HTML file to write (default: standard output)")
    summary.add_argument("--send", action="store_true", help="mail it to the heads and coordinators now")
    return parser


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 instant: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a UTC offset, e.g. {text}+07:00")
    return moment


def config_path(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    return Path(os.environ.get("MAILBOT_CONFIG", "config.yaml"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EX_USAGE if exc.code not in (0, None) else EX_OK
    try:
        cfg = load_config(config_path(args.config))
    except ConfigError as exc:
        print(f"mailbot: configuration error: {exc}", file=sys.stderr)
        return EX_CONFIG
    logs.configure(cfg.log.format, cfg.log.level)
    try:
        return COMMANDS[args.command](cfg, args)
    except ConfigError as exc:
        print(f"mailbot: configuration error: {exc}", file=sys.stderr)
        return EX_CONFIG
    except UnreachableError as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        return EX_UNAVAILABLE


def cmd_run(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.daemon import App

    app = App(cfg)
    if args.once:
        result = app.run_once()
        print(json.dumps(result, ensure_ascii=False))
        return EX_OK
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        app.log.info("stop_requested", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    app.log.info("daemon_started", mailboxes=[b.name for b in cfg.mailboxes])
    app.run_forever(stop, notify=sd_notify)
    app.store.close()
    app.log.info("daemon_stopped")
    return EX_OK


def sd_notify(state: str) -> None:
    """Tell systemd (Type=notify, WatchdogSec) how we are; a no-op outside systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError:
        pass


def cmd_check(cfg: Config, args: argparse.Namespace) -> int:
    """Report every problem; exit 69 when a server cannot be reached."""
    from mailbot.daemon import build_calendar
    from mailbot.rules import load_rules

    problems = 0
    print(f"config {cfg.path}: ok ({len(cfg.mailboxes)} mailbox(es))")
    load_rules(cfg.rules_dir)  # a ConfigError here names file, rule and field (exit 78)
    build_calendar(cfg)
    print(f"rules: ok ({cfg.rules_dir or 'defaults'}), calendar: ok ({cfg.timezone})")
    if cfg.auth.mode == "off":
        print("warning: auth.mode is off: any sender claiming a staff address can run commands")
    if not cfg.escalation.address:
        print("warning: escalation.address is not set: #eskalasi cannot reach LKPP")
    for box in cfg.mailboxes:
        checks: list[tuple[str, Callable[[], str]]] = [
            ("imap", partial(imap.probe, box.imap)), ("smtp", partial(smtp.probe, box.smtp))]
        for name, probe in checks:
            try:
                print(f"{box.name}: {probe()}")
            except UnreachableError as exc:
                print(f"{box.name}: {name} FAILED: {exc}")
                problems += 1
    return EX_UNAVAILABLE if problems else EX_OK


def cmd_sweep(cfg: Config, args: argparse.Namespace) -> int:
    """Run the timers as of an instant: the same code `run` calls on its schedule."""
    from mailbot.daemon import App

    now = args.now.astimezone(UTC) if args.now else None
    app = App(cfg, clock=(lambda: now) if now else None)
    swept = app.sweep()
    sent, failed = app.flush_outbox()
    print(json.dumps({**swept, "sent": sent, "failed": failed, "now": app.clock().isoformat()}))
    return EX_OK


def cmd_tickets(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.store import Store

    if args.overdue:
        return _overdue(cfg, args)
    store = Store(cfg.database)
    rows = store.tickets(args.mailbox, args.state)
    print(f"{'NUMBER':<12} {'MAILBOX':<8} {'STATE':<14} {'CREATED (UTC)':<17} {'REQUESTER':<30} SUBJECT")
    for t in rows:
        print(f"{t.number:<12} {t.mailbox:<8} {t.state:<14} {t.created_at:%Y-%m-%d %H:%M} "
              f"{t.requester.addr:<30} {t.subject[:60]}")
    print(f"{len(rows)} ticket(s)")
    return EX_OK


def _overdue(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.daemon import App

    app = App(cfg)
    now = app.clock()
    boxes = [cfg.mailbox(args.mailbox)] if args.mailbox else list(cfg.mailboxes)
    found = [item for box in boxes for item in app.overdue(box, now)]
    print(f"{'NUMBER':<12} {'STATE':<14} {'TIMER':<15} {'DUE (local)':<17} {'WAITED':<22} {'ON':<12} WHY")
    for ticket, item in found:
        if args.state and ticket.state != args.state:
            continue
        due = item.due_at.astimezone(cfg.timezone)
        print(f"{item.number:<12} {item.state:<14} {item.kind:<15} {due:%Y-%m-%d %H:%M} "
              f"{item.waited:<22} {item.on_whom:<12} {item.reason}")
    print(f"{len(found)} overdue")
    return EX_OK


def cmd_ticket(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.store import Store

    store = Store(cfg.database)
    boxes = [args.mailbox] if args.mailbox else [b.name for b in cfg.mailboxes]
    for name in boxes:
        ticket = store.ticket_by_number(name, args.number)
        if ticket is None or ticket.id is None:
            continue
        print(f"Ticket {ticket.number} ({ticket.mailbox}): {ticket.subject}")
        print(f"  state: {ticket.state}   requester: {ticket.requester.name} <{ticket.requester.addr}>")
        print(f"  category: {ticket.category or '-'}   priority: {ticket.priority or '-'}   "
              f"assignee: {ticket.assignee or '-'}   rating: {ticket.rating or '-'}")
        print(f"  created: {ticket.created_at:%Y-%m-%d %H:%M:%S} UTC   first response: "
              f"{ticket.first_response_at or '-'}   closed: {ticket.closed_at or '-'}")
        print("History:")
        for event in store.events_of(ticket.id):
            detail = json.loads(event["detail"] or "{}")
            detail.pop("message_id", None)
            extra = " ".join(f"{k}={v}" for k, v in sorted(detail.items()) if v not in (None, "", []))
            print(f"  {event['at'][:19]}  {event['actor']:<28} {event['kind']:<20} {extra}")
        print("Messages:")
        for row in store.messages_of(ticket.id):
            arrow = "<-" if row["direction"] == "in" else "->"
            who = row["sender"] if row["direction"] == "in" else row["recipients"]
            print(f"  {row['at'][:19]}  {arrow} {row['kind'] or '':<18} {who:<40} {row['subject']}")
        return EX_OK
    print(f"mailbot: no ticket {args.number}", file=sys.stderr)
    return 1


def cmd_replay(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.daemon import App

    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        print(f"mailbot: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EX_USAGE
    box = cfg.mailbox(args.mailbox) if args.mailbox else cfg.mailboxes[0]
    app = App(cfg)
    outcome = app.handle(box, raw, dry_run=args.dry_run)
    print(json.dumps({"status": outcome.status, "label": outcome.label, "ticket": outcome.ticket,
                      "mail": list(outcome.sent), "dry_run": args.dry_run}, ensure_ascii=False))
    if not args.dry_run:
        app.flush_outbox()
    return EX_OK


def cmd_report(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.reports import service

    if args.report == "rekap":
        fmt = args.format or ("xlsx" if args.output and args.output.suffix.lower() == ".xlsx" else "csv")
        return service.run_rekap(cfg, args.month, args.mailbox, fmt, args.output)
    return service.run_summary(cfg, args.month, args.mailbox, args.output, args.send, datetime.now(UTC))


COMMANDS = {
    "run": cmd_run,
    "sweep": cmd_sweep,
    "check": cmd_check,
    "tickets": cmd_tickets,
    "ticket": cmd_ticket,
    "replay": cmd_replay,
    "report": cmd_report,
}


if __name__ == "__main__":
    sys.exit(main())

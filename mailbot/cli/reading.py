"""The commands that read what mailbot keeps: `tickets` (a list, or the overdue ones),
`ticket` (one with its history), `report` (the month's recap, guest book and summary for the
head of unit) and `web` (the window, SPEC 13). Each opens the store read-only, but `report
summary --send`, which queues the summaries; what they print is `io/ticket_views.py`'s."""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import partial
from typing import TYPE_CHECKING

from mailbot.exit_codes import EX_CONFIG, EX_NOT_FOUND, EX_OK, EX_USAGE
from mailbot.io.terminal import as_json, say

if TYPE_CHECKING:
    from mailbot.core.intake_form import HeldForm
    from mailbot.io.store import Store
    from mailbot.model import Ticket
    from mailbot.reports.values import Month
    from mailbot.settings import Config, MailboxConfig

TICKETS_SHOWN = 50  # `tickets` shows a screenful or two, newest first: staff look for a recent case


def _width() -> int:
    from mailbot.io import ticket_views

    return shutil.get_terminal_size((ticket_views.MIN_WIDTH, 24)).columns


def cmd_tickets(cfg: Config, args: argparse.Namespace) -> int:
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
    _list_tickets(cfg, args, search)
    return EX_OK


def _list_tickets(cfg: Config, args: argparse.Namespace, search: str | None) -> None:
    """The tickets (and the held forms) the filters match, as a list or as JSON."""
    from mailbot.io import ticket_views
    from mailbot.io.store import Store

    store = Store.of(cfg, readonly=True)
    since = _local_midnight(args.since, cfg.timezone)
    until = _local_midnight(args.until + timedelta(days=1), cfg.timezone) if args.until else None
    rows, more = _ticket_rows(store, args, since, until, search)
    held = _held_listed(cfg, store, args, since, until, search)
    if args.json:
        print(as_json([*(ticket_views.ticket_summary(t, cfg.timezone) for t in rows),
                       *(ticket_views.held_summary(name, form, cfg.timezone) for name, form in held)], indent=2))
        return
    several = len(cfg.mailboxes) > 1 or len({t.mailbox for t in rows}) > 1  # a removed unit's tickets too
    for line in ticket_views.ticket_list(rows, cfg.timezone, _width(), with_mailbox=several, more=more, held=held):
        say(line)


def _ticket_rows(store: Store, args: argparse.Namespace, since: datetime | None, until: datetime | None,
                 search: str | None) -> tuple[list[Ticket], bool]:
    """The tickets `mailbot tickets` lists, in the order they came (the newest last: right
    above the prompt), and whether more match than it shows."""
    limit = None if args.all or (args.json and args.limit is None) else (args.limit or TICKETS_SHOWN)
    rows = [] if args.state == "held" else store.search.find_tickets(
        mailbox=args.mailbox, state=args.state, category=args.category, requester=args.requester,
        since=since, search=search, until=until, channel=args.channel,
        limit=None if limit is None else limit + 1)  # one more: to say that more match
    more = limit is not None and len(rows) > limit
    return rows[:limit][::-1], more


def _held_listed(cfg: Config, store: Store, args: argparse.Namespace, since: datetime | None,
                 until: datetime | None, search: str | None) -> list[tuple[str, HeldForm]]:
    """SPEC 3: a call or visit held for its sender's #buka is listed, never lost;
    only where the filters could match a form (no category, requester or words asked for)."""
    if args.state not in (None, "held") or args.category or args.requester or search:
        return []
    return [(box.name, form) for box in cfg.mailboxes if args.mailbox in (None, box.name)
            for form in store.intake.held_forms(box.name, since, until) if args.channel in (None, form.intake.channel)]


def _local_midnight(day: date | None, zone: tzinfo) -> datetime | None:
    """The start of `day` in the unit's time zone, as the instant it is."""
    return None if day is None else datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _overdue(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.daemon.wiring import App
    from mailbot.io import ticket_views
    from mailbot.io.store import Store
    from mailbot.io.words import words

    app = App(cfg, Store.of(cfg, readonly=True))
    now = app.clock()
    boxes = [cfg.mailbox(args.mailbox)] if args.mailbox else list(cfg.mailboxes)
    found = [(ticket, item) for box in boxes for ticket, item in app.overdue(box, now)
             if not args.state or ticket.state == args.state]
    said = words(cfg.language, cfg.templates_dir)
    if args.json:
        print(as_json(ticket_views.overdue_json(found, cfg.timezone, said, app.calendar.day_length), indent=2))
        return EX_OK
    for line in ticket_views.overdue_list(found, cfg.timezone, said, app.calendar.day_length, _width(),
                                   with_mailbox=len(cfg.mailboxes) > 1):
        say(line)
    return EX_OK


def cmd_ticket(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.io.store import Store

    if _no_database(cfg):
        say(f"mailbot: no ticket {args.number}", file=sys.stderr)
        return EX_NOT_FOUND
    store = Store.of(cfg, readonly=True)
    number, found = _tickets_named(cfg, store, args.number, args.mailbox)
    if len(found) > 1:
        _say_ambiguous(cfg, store, number, found)
        return EX_USAGE
    if found:
        _show_ticket(cfg, store, found[0][1], args)
        return EX_OK
    _say_not_found(cfg, store, number, args)
    return EX_NOT_FOUND


def _say_ambiguous(cfg: Config, store: Store, number: str, found: list[tuple[str, Ticket]]) -> None:
    """A number that several mailboxes' tickets bear: which, and how to name one."""
    names = ", ".join(name for name, _ in found)
    prefixes = _tag_prefixes(cfg, store)[found[0][0]]
    example = f", e.g. \"[{prefixes[0]} #{number}]\"" if prefixes else ""
    say(f"mailbot: ticket {number} is in mailboxes {names}: give --mailbox NAME or the tag{example}",
        file=sys.stderr)


def _show_ticket(cfg: Config, store: Store, ticket: Ticket, args: argparse.Namespace) -> None:
    """One ticket with its history, as text for a terminal or as JSON."""
    from mailbot.io import ticket_views

    assert ticket.id is not None
    events, messages = store.history.events_of(ticket.id), store.messages.messages_of(ticket.id)
    if args.json:
        print(as_json(ticket_views.ticket_json(ticket, events, messages, cfg.timezone, full=args.full,
                                        archive_dir=cfg.archive_dir), indent=2))
        return
    for line in ticket_views.ticket_detail(ticket, events, messages, cfg.timezone, full=args.full,
                                    width=_width(), archive_dir=cfg.archive_dir):
        say(line)


def _say_not_found(cfg: Config, store: Store, number: str, args: argparse.Namespace) -> None:
    """No ticket of that number; a call or visit form held under it is said (SPEC 3, issue
    45: no ticket yet, but not lost)."""
    from mailbot.io import ticket_views

    held = [(box.name, form) for box in cfg.mailboxes if args.mailbox in (None, box.name)
            for form in store.intake.held_forms(box.name) if form.number == number]
    if not held:
        say(f"mailbot: no ticket {args.number}", file=sys.stderr)
        return
    name, form = held[0]
    say(f"mailbot: {number} is a {'call' if form.intake.channel == 'telepon' else 'visit'} form held in "
        f"{name} since {ticket_views.when(form.held_at, cfg.timezone)}, taken by {form.intake.staff}: no ticket until "
        "its sender replies #buka to the request to confirm it (tickets --state held)", file=sys.stderr)


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
    return number, [(name, t) for name in _mailboxes_meant(known, mailbox, prefix)
                    if (t := store.tickets.ticket_by_number(name, number)) is not None and t.id is not None]


def _mailboxes_meant(known: dict[str, tuple[str, ...]], mailbox: str | None, prefix: str | None) -> list[str]:
    """The mailboxes a reference may mean: the one given, and those whose tag prefix it carries."""
    tags = {name: {p.lower() for p in prefixes} for name, prefixes in known.items()}
    tag = _a_tag((prefix or "").lower(), tags)
    return [name for name, lowered in tags.items() if mailbox in (None, "", name) and tag in (None, *lowered)]


def _a_tag(word: str, tags: dict[str, set[str]]) -> str | None:
    """The word before a number if some mailbox's tag it is (now or before); None for a word
    that is no tag ("tiket 2026-00042"), which then names no mailbox."""
    return word if any(word in lowered for lowered in tags.values()) else None


def _tag_prefixes(cfg: Config, store: Store) -> dict[str, tuple[str, ...]]:
    """Every mailbox the config or the database knows, with its tag prefixes: the one
    configured first, then those it had before, newest first."""
    known = {b.name: (b.tag_prefix, *reversed(store.mailboxes.tag_prefixes(b.name))) for b in cfg.mailboxes}
    for name in (*store.mailboxes.mailbox_addresses(), *store.mailboxes.ticket_mailboxes()):
        known.setdefault(name, tuple(reversed(store.mailboxes.tag_prefixes(name))))
    return known


def keeps_history_of(cfg: Config, args: argparse.Namespace) -> bool:
    """Whether `--mailbox` of `ticket` or `tickets` names a mailbox the config no longer has
    but whose tickets the database holds: its history stays readable."""
    from mailbot.io.store import Store

    if args.command not in ("ticket", "tickets") or getattr(args, "overdue", False) or _no_file(cfg):
        return False
    store = Store.of(cfg, readonly=True)
    try:
        return args.mailbox in store.mailboxes.ticket_mailboxes()
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


def cmd_report(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.reports import outputs

    if args.report in ("rekap", "tamu"):
        return _report_file(cfg, args)
    now = datetime.now(UTC)
    read = outputs.run_summary(cfg, args.month, args.mailbox, args.output, args.send, now,
                               send_to=partial(send_summaries, cfg, args.month, now))
    return EX_OK if read else EX_CONFIG


def _report_file(cfg: Config, args: argparse.Namespace) -> int:
    """`report rekap` and `report tamu`: a CSV (for Excel with --excel) or an XLSX file."""
    from mailbot.reports import outputs

    fmt = _file_format(args)
    if fmt is None:
        return EX_USAGE
    if args.report == "rekap":
        outputs.run_rekap(cfg, args.month, args.mailbox, fmt, args.output, paper=args.paper, channel=args.channel)
    else:
        outputs.run_guestbook(cfg, args.month, args.mailbox, fmt, args.output)
    return EX_OK


def _file_format(args: argparse.Namespace) -> str | None:
    """csv, excel (the CSV for Excel) or xlsx, as asked or as --output's name says; None (and
    why, said) when the request cannot be met."""
    fmt = args.format or ("xlsx" if args.output and args.output.suffix.lower() == ".xlsx" else "csv")
    if args.excel and fmt == "xlsx":
        say("mailbot: --excel is the CSV for Excel; an XLSX opens in Excel as it is", file=sys.stderr)
        return None
    if fmt == "xlsx" and args.output is None and sys.stdout.isatty():
        say("mailbot: an XLSX file does not belong on a terminal: give --output FILE.xlsx", file=sys.stderr)
        return None
    return "excel" if args.excel else fmt


def send_summaries(cfg: Config, month: Month, now: datetime, targets: list[MailboxConfig]) -> str:
    """`report summary --send`: each mailbox's summary queued with the daemon's mailer and
    sent at once, by the running daemon's sender when there is one (sending beside it sent
    its rows twice); what became of the sending, for the operator."""
    from mailbot.daemon.wiring import App
    from mailbot.io.store import Store
    from mailbot.reports.outputs import summary_send

    app = App(cfg, Store.of(cfg, migrate=False), clock=lambda: now)  # migrates only by the daemon
    try:
        for target in targets:
            mail = summary_send(app.store, cfg, app.rules, app.calendar, target, month, now)
            with app.store.unit_of_work():
                app.mailer.enqueue(target, mail, None, None, now)
                app.store.history.add_event(target.name, None, now, "mailbot", "monthly_summary_queued",
                                            month=str(month), by="command")
        sending = app.send_here()
    finally:
        app.store.close()
    return str(sending.get("sending") or f"outbox sent {sending['sent']}, failed {sending['failed']}")


def cmd_web(cfg: Config, args: argparse.Namespace) -> int:
    from mailbot.web.serve import cmd_web as serve  # Starlette and uvicorn only for `mailbot web`

    serve(cfg, args)
    return EX_OK

"""What staff, coordinators and heads see once signed in (SPEC 13): the open tickets as the
digest groups them, one ticket's story, and the requests for direction still waiting.

Read through what the digest, `mailbot tickets` and `mailbot ticket` read already: the
overdue tickets with why (`timekeeper.overdue_of`, `core.overdue.digest_context`, worded
by `timekeeper.worded_digest`), the list with `tickets`' filters (`Search.find_tickets`, the
search through `core.search_query.fts_query`), a ticket as `ticket --json` has it
(`views.ticket_json`). Each function returns the context of one page; nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from mailbot.core.intake_form import CHANNELS
from mailbot.core.overdue import digest_context
from mailbot.core.search_query import fts_query
from mailbot.core.tokens import escalation_code
from mailbot.core.worktime import WorkCalendar
from mailbot.flow.timekeeper import overdue_of, worded_digest
from mailbot.io.store import Store
from mailbot.io.store.timers import Timers
from mailbot.io.ticket_story import story
from mailbot.io.ticket_views import local, ticket_json
from mailbot.io.words import Words
from mailbot.model import State, Ticket
from mailbot.rules import Rules
from mailbot.settings import Config, MailboxConfig

LISTED = 100  # tickets a page lists; more are named, the filter narrows them
STATES = tuple(str(s) for s in State)
CATEGORIES = ("pengaduan", "pertanyaan", "konsultasi")
UNCLOSED = "unclosed"  # the list's default: every state but closed
# Whom a ticket in each state waits on (the holder of a ticket nobody was assigned)
# The digest's "on whom" codes as the words' `roles` name them
_ROLE = {"coordinators": "coordinator", "heads": "head", "lkpp": "lkpp", "staff": "staff", "requester": "requester"}
_HOLDER = {"open": "staff", "answered": "requester", "escalated": "lkpp", "awaiting_info": "requester",
           "resolved": "requester"}


@dataclass(frozen=True)
class Filters:
    """`mailbot tickets`' filters, as the overview's form sends them (unknown values are dropped)."""

    mailbox: str | None = None
    state: str = UNCLOSED
    category: str | None = None
    channel: str | None = None
    requester: str | None = None
    since: date | None = None
    until: date | None = None
    search: str | None = None
    overdue: bool = False

    @classmethod
    def of(cls, query: Mapping[str, str], boxes: Sequence[MailboxConfig]) -> Filters:
        def pick(name: str, allowed: Sequence[str]) -> str | None:
            value = query.get(name, "")
            return value if value in allowed else None

        state = query.get("status", UNCLOSED)  # "": every state
        return cls(mailbox=pick("kotak", [b.name for b in boxes]),
                   state=state if state in (*STATES, "", UNCLOSED) else UNCLOSED, category=pick("kategori", CATEGORIES),
                   channel=pick("saluran", CHANNELS), requester=(query.get("pengguna") or "").strip()[:100] or None,
                   since=_day(query.get("sejak")), until=_day(query.get("sampai")),
                   search=(query.get("cari") or "").strip()[:200] or None, overdue=query.get("terlambat") == "1")


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _midnight(day: date | None, tz: tzinfo) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def overview(store: Store, cfg: Config, rules: Rules, cal: WorkCalendar, said: Words, boxes: Sequence[MailboxConfig],
             filters: Filters, now: datetime) -> dict[str, Any]:
    """The overview's context: per mailbox, the counts by state, the overdue tickets as the
    digest lists them (longest past its deadline first), then the tickets the filters find."""
    shown = [b for b in boxes if filters.mailbox in (None, b.name)]
    return {"filters": filters, "boxes": [_box(store, cfg, rules, cal, said, box, filters, now) for box in shown],
            "states": STATES, "categories": CATEGORIES, "channels": CHANNELS, "all_boxes": boxes}


def _box(store: Store, cfg: Config, rules: Rules, cal: WorkCalendar, said: Words, box: MailboxConfig,
         filters: Filters, now: datetime) -> dict[str, Any]:
    overdue = overdue_of(store, rules, cal, box.name, now)
    digest = worded_digest(digest_context(store.search.state_counts(box.name), [o for _, o in overdue], now, cal),
                           said, cal)
    late = {t.number for t, _ in overdue}
    found, more = _listed(store, cfg, box, filters)
    if filters.overdue:
        found = [t for t in found if t.number in late]
    rows = [{**row, "on_whom": _ROLE.get(str(row["on_whom"]).lower(), row["on_whom"])} for row in digest["tickets"]]
    return {"name": box.name, "display_name": box.display_name, "counts": digest["counts"],
            "overdue": rows, "overdue_count": digest["overdue_count"], "more": more,
            "tickets": [_row(store, t, cfg.timezone, said, now, t.number in late) for t in found]}


def _listed(store: Store, cfg: Config, box: MailboxConfig, filters: Filters) -> tuple[list[Ticket], bool]:
    """The tickets the filters find, newest first, at most `LISTED` (and whether more match)."""
    search = fts_query(filters.search) if filters.search else None
    if filters.search and search is None:
        return [], False
    until = filters.until + timedelta(days=1) if filters.until else None
    state = None if filters.state in ("", UNCLOSED) else filters.state
    found = store.search.find_tickets(mailbox=box.name, state=state, category=filters.category,
                                      requester=filters.requester, since=_midnight(filters.since, cfg.timezone),
                                      until=_midnight(until, cfg.timezone), search=search, channel=filters.channel,
                                      unclosed=filters.state == UNCLOSED, limit=LISTED + 1)
    return found[:LISTED], len(found) > LISTED


def _row(store: Store, ticket: Ticket, tz: tzinfo, said: Words, now: datetime, late: bool) -> dict[str, Any]:
    assert ticket.id is not None
    timers = sorted(store.timers.active_timers(ticket.id), key=lambda t: t.timer.due_at)
    created = local(ticket.created_at, tz)
    return {"number": ticket.number, "mailbox": ticket.mailbox, "subject": ticket.subject, "state": str(ticket.state),
            "opened": f"{created:%d-%m-%Y %H:%M}" if created else "", "late": late,
            "waiting": said.late(now - ticket.updated_at) if ticket.state is not State.CLOSED else "",
            "next": _next(timers[0].timer.due_at, tz) if timers else "",
            "next_kind": str(timers[0].kind) if timers else "",
            "holder": ticket.assignee if ticket.assignee and str(ticket.state) == "open"
            else _HOLDER.get(str(ticket.state), ""),
            "channel": ticket.channel, "category": ticket.category or ""}


def _next(due: datetime, tz: tzinfo) -> str:
    return f"{due.astimezone(tz):%d-%m-%Y %H:%M}"


def ticket_page(store: Store, cfg: Config, key: bytes, ticket: Ticket, said: Words, now: datetime) -> dict[str, Any]:
    """One ticket's story as the staff member who sends `#riwayat` reads it (`io/story`: who
    wrote what and when, what mailbot sent, how the state moved, in the unit's language and
    its time zone), then every mail with its new text, as `mailbot ticket --json` has them;
    the ticket's escalation key masked: it went to LKPP alone (issue 44). The codes of the
    full record (`ticket_opened`, `value=...`) stay in `mailbot ticket N --full`."""
    assert ticket.id is not None
    events, messages = store.history.events_of(ticket.id), store.messages.messages_of(ticket.id)
    record = ticket_json(ticket, events, messages, cfg.timezone, archive_dir=cfg.archive_dir)
    shown = {**record, "story": story(events, messages, cfg.timezone, said, now.year)}
    for field in ("created_at", "first_response_at", "resolved_at", "closed_at"):
        shown[field] = _moment(record.get(field), cfg.timezone, said, now.year)
    shown["messages"] = [{**m, "at": _moment(m["at"], cfg.timezone, said, now.year)} for m in record["messages"]]
    code = escalation_code(key, ticket.mailbox, ticket.number)
    masked: dict[str, Any] = _masked(shown, code)
    return masked


def _moment(at: str | None, tz: tzinfo, said: Words, year: int) -> str | None:
    """A moment of the record (ISO) as the mail words it, in the unit's time zone."""
    moment = local(at, tz) if at else None
    return said.short_moment(moment, year) if moment is not None else None


def _masked(value: Any, code: str) -> Any:
    if isinstance(value, str):
        return re.sub(re.escape(code), "*" * len(code), value, flags=re.IGNORECASE)
    if isinstance(value, list):
        return [_masked(v, code) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v, code) for k, v in value.items()}
    return value


def directions(timers: Timers, cfg: Config, boxes: Sequence[MailboxConfig]) -> list[dict[str, Any]]:
    """The requests for direction still waiting (SPEC 6 `coordinator_direction`,
    `head_direction`), per mailbox and audience, with who that audience is."""
    found = []
    for box in boxes:
        waiting = timers.waiting_directions(box.name)
        for kind, audience, members in (("coordinator_direction", "coordinators", box.coordinators),
                                        ("head_direction", "heads", box.heads)):
            found.append({"mailbox": box.display_name, "audience": audience, "members": members,
                          "tickets": [{**row, "asked": _next(row["asked"], cfg.timezone),
                                       "due": _next(row["due"], cfg.timezone)}
                                      for row in waiting if row["kind"] == kind]})
    return found

"""The window's list of tickets (SPEC 13): one row per ticket with its most urgent lateness,
every filter applied before any cut, sorted by any column, paged with its total, and the
same list as a file.

The filters are `mailbot tickets`' (mailbox, state, category, channel, requester, dates,
the full-text search) with the late ones (`terlambat`) and who holds them (`petugas`); all
of them are conditions of one query (`io/store/desk.py`), the late tickets' ids among them,
so nothing is cut before it is filtered. A column of the store sorts there and the page is
cut there (its total counted beside it); lateness is not a column, so a list sorted by it
is the query's ids sorted here by the kept breaches (`web/lateness.py`), and the page's
rows read by id.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from mailbot.core.intake_form import CHANNELS
from mailbot.core.search_query import fts_query
from mailbot.io.store import Store, parse_ts
from mailbot.io.store.lists import DeskQuery
from mailbot.io.words import Words
from mailbot.model import State
from mailbot.reports.rekap import STAFF_ACTIONS
from mailbot.settings import MailboxConfig
from mailbot.web.lateness import Late, Lateness

PAGE_ROWS = 50  # rows a page shows; the pager names the rest
EXPORT_ROWS = 20_000  # rows a file holds at most; its last row says how many more matched
STATES = tuple(str(s) for s in State)
CATEGORIES = ("pengaduan", "pertanyaan", "konsultasi")
UNCLOSED = "unclosed"  # the list's default state: every state but closed
# The columns a list sorts by, by their name in the address; the way each goes when first
# asked for (True: the largest, newest or longest first); "late" is the kept lateness.
SORTS = {"nomor": ("number", True), "subjek": ("subject", False), "status": ("state", False),
         "dibuka": ("opened", True), "menunggu": ("waiting", True), "tenggat": ("next", False),
         "lewat": ("late", True), "petugas": ("holder", False), "saluran": ("channel", False),
         "kategori": ("category", False)}
DEFAULT_SORT = "lewat"


@dataclass(frozen=True)
class Filters:
    """What a list asks for, as the page's form and links send it (unknown values dropped)."""

    mailbox: str | None = None
    state: str = UNCLOSED
    category: str | None = None
    channel: str | None = None
    requester: str | None = None
    since: date | None = None
    until: date | None = None
    search: str | None = None
    overdue: bool = False
    holder: str | None = None
    sort: str = DEFAULT_SORT
    descending: bool = True
    page: int = 1

    @classmethod
    def of(cls, query: Mapping[str, str], boxes: Sequence[MailboxConfig]) -> Filters:
        def pick(name: str, allowed: Sequence[str]) -> str | None:
            value = query.get(name, "")
            return value if value in allowed else None

        def text(name: str, most: int) -> str | None:
            return (query.get(name) or "").strip()[:most] or None

        state = query.get("status", UNCLOSED)  # "": every state
        sort = pick("urut", list(SORTS)) or DEFAULT_SORT
        way = pick("arah", ("naik", "turun"))
        return cls(mailbox=pick("kotak", [b.name for b in boxes]),
                   state=state if state in (*STATES, "", UNCLOSED) else UNCLOSED, category=pick("kategori", CATEGORIES),
                   channel=pick("saluran", CHANNELS), requester=text("pengguna", 100), since=_day(query.get("sejak")),
                   until=_day(query.get("sampai")), search=text("cari", 200), overdue=query.get("terlambat") == "1",
                   holder=(text("petugas", 254) or "").lower() or None, sort=sort,
                   descending=SORTS[sort][1] if way is None else way == "turun", page=_number(query.get("halaman")))

    def query(self, **changed: Any) -> str:
        """These filters (changed as given) as the address's query, what is as by default left out."""
        shown = replace(self, **changed)
        default = (shown.sort, shown.descending) == (DEFAULT_SORT, SORTS[DEFAULT_SORT][1])
        pairs = [("kotak", shown.mailbox), ("status", None if shown.state == UNCLOSED else shown.state),
                 ("kategori", shown.category), ("saluran", shown.channel), ("pengguna", shown.requester),
                 ("sejak", _iso(shown.since)), ("sampai", _iso(shown.until)), ("cari", shown.search),
                 ("terlambat", "1" if shown.overdue else None), ("petugas", shown.holder),
                 ("urut", None if default else shown.sort),
                 ("arah", None if default else "turun" if shown.descending else "naik"),
                 ("halaman", str(shown.page) if shown.page > 1 else None)]
        return urllib.parse.urlencode([(k, v) for k, v in pairs if v is not None])

    def sorted_by(self, column: str) -> str:
        """The query that sorts by `column`: its first way, or the other way when it is the sort already."""
        way = not self.descending if column == self.sort else SORTS[column][1]
        return self.query(sort=column, descending=way, page=1)


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def page_of(query: Mapping[str, str]) -> int:
    """The page a list is asked for (`halaman`), the first unless a number is given."""
    return _number(query.get("halaman"))


def _number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and len(text) < 7 else 1


def _midnight(day: date | None, tz: tzinfo) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Reader:
    """What one request's list reads: the store, the kept lateness, the unit's zone and words, now."""

    store: Store
    key: bytes  # the unit's key: each ticket's escalation key, which went to LKPP alone, is masked by it
    lateness: Lateness
    tz: ZoneInfo
    said: Words
    day_length: timedelta
    now: datetime

    def late(self, boxes: Sequence[MailboxConfig]) -> dict[int, Late]:
        return {i: late for box in boxes for i, late in self.lateness.late(self.store, box.name, self.now).items()}


def store_query(filters: Filters, boxes: Sequence[MailboxConfig], tz: tzinfo,
                late: Mapping[int, Late]) -> DeskQuery | None:
    """The store's query of these filters; None when the search holds no word to look for."""
    search = fts_query(filters.search) if filters.search else None
    if filters.search and search is None:
        return None
    until = filters.until + timedelta(days=1) if filters.until else None
    return DeskQuery(tuple(b.name for b in boxes if filters.mailbox in (None, b.name)),
                     state=None if filters.state in ("", UNCLOSED) else filters.state,
                     unclosed=filters.state == UNCLOSED, category=filters.category, channel=filters.channel,
                     requester=filters.requester, since=_midnight(filters.since, tz), until=_midnight(until, tz),
                     search=search, holder=filters.holder, ids=list(late) if filters.overdue else None)


def listing(desk: Reader, boxes: Sequence[MailboxConfig], filters: Filters) -> dict[str, Any]:
    """One page of the list: its rows, the total, the pages, and the sort of each column."""
    late = desk.late(boxes)
    query = store_query(filters, boxes, desk.tz, late)
    rows, total = _found(desk, query, filters, late, (filters.page - 1) * PAGE_ROWS, PAGE_ROWS)
    pages = max(1, -(-total // PAGE_ROWS))
    if filters.page > pages:  # past the end (the list shrank): the last page
        filters = replace(filters, page=pages)
        rows, total = _found(desk, query, filters, late, (pages - 1) * PAGE_ROWS, PAGE_ROWS)
    named = {b.name: b for b in boxes}
    return {**paged(total, filters.page, len(rows), lambda n: filters.query(page=n)),
            "rows": [_row(desk, named, row, late.get(row["id"])) for row in rows],
            "sorts": {column: filters.sorted_by(column) for column in SORTS}, "export": filters.query(page=1)}


def paged(total: int, page: int, shown: int, query: Callable[[int], str]) -> dict[str, Any]:
    """Where a page of a list stands: its number of how many, which rows of the total it
    shows, and the queries of the pages before and after it."""
    pages = max(1, -(-total // PAGE_ROWS))
    return {"total": total, "page": page, "pages": pages, "first": (page - 1) * PAGE_ROWS + 1 if shown else 0,
            "last": (page - 1) * PAGE_ROWS + shown, "previous": query(page - 1) if page > 1 else None,
            "next": query(page + 1) if page < pages else None}


def _found(desk: Reader, query: DeskQuery | None, filters: Filters, late: Mapping[int, Late], offset: int,
           limit: int) -> tuple[list[dict[str, Any]], int]:
    """The rows of one stretch of the list, and how many it has in all."""
    if query is None:
        return [], 0
    store = desk.store
    if SORTS[filters.sort][0] != "late":
        column, descending = SORTS[filters.sort][0], filters.descending
        if column == "waiting":  # the longest wait is the oldest change
            descending = not descending
        return (store.lists.page(query, STAFF_ACTIONS, column, descending, offset, limit),
                store.lists.count(query, STAFF_ACTIONS))
    ids = store.lists.ids(query, STAFF_ACTIONS)
    due = {i: d for box in query.mailboxes for i, d in desk.lateness.next_due(box).items()}

    def urgency(ticket_id: int) -> tuple[int, float | str, int]:
        found = late.get(ticket_id)
        if found is not None:
            return 0, found.start.timestamp(), -ticket_id
        return (1, due[ticket_id], -ticket_id) if ticket_id in due else (2, "", -ticket_id)

    ids.sort(key=urgency, reverse=not filters.descending)
    return store.lists.rows(ids[offset:offset + limit], STAFF_ACTIONS), len(ids)


def _row(desk: Reader, boxes: Mapping[str, MailboxConfig], row: Mapping[str, Any],
         late: Late | None) -> dict[str, Any]:
    """One ticket as the list shows it."""
    changed, due = parse_ts(row["updated_at"]), parse_ts(row["next_due"])
    holder = row["holder"] or ""
    box = boxes.get(row["mailbox"])
    return {
        "id": row["id"], "number": row["number"], "mailbox": row["mailbox"], "subject": row["subject"] or "",
        "state": row["state"], "opened": _when(parse_ts(row["created_at"]), desk.tz),
        "waiting": desk.said.late(desk.now - changed) if row["state"] != "closed" and changed else "",
        "next": _when(due, desk.tz), "holder": box.staff_name(holder) if box and holder else holder,
        "holder_address": holder.lower(), "channel": row["channel"], "category": row["category"] or "",
        "requester": row["requester"], "lkpp_ticket": row["lkpp_ticket"] or "",
        "late": _lateness(desk, late) if late is not None else None,
    }


def _lateness(desk: Reader, late: Late) -> dict[str, Any]:
    """A late ticket's lateness as its row tells it: how long in working time, why, on whom it
    waits since when, and how many other deadlines it passed."""
    entry = desk.lateness.entry(late, desk.now)
    since = desk.said.short_moment(entry.since.astimezone(desk.tz), desk.now.year) if entry.since else ""
    return {"waited": desk.said.waited(entry.waited, desk.day_length),
            "reason": desk.said.overdue(entry.kind, entry.span, entry.reopened), "on_whom": entry.on_whom,
            "since": since, "more": late.passed - 1}


def _when(moment: datetime | None, tz: tzinfo) -> str:
    return f"{moment.astimezone(tz):%d-%m-%Y %H:%M}" if moment is not None else ""


# --- the list as a file ------------------------------------------------------------------

# The file's columns, by their word in the page's `web:` words, and their widths in Excel.
EXPORT_COLUMNS = (("number", 14), ("mailbox", 10), ("subject", 40), ("requester", 28), ("state", 16),
                  ("opened", 16), ("past_deadline", 18), ("why", 40), ("next_deadline", 16), ("assignee", 22),
                  ("channel", 10), ("category", 12), ("lkpp_ticket", 14))


def export_header(words: Mapping[str, Any]) -> tuple[list[str], list[float]]:
    """The file's header in the unit's words, and its columns' widths."""
    return [str(words["web"][name]) for name, _width in EXPORT_COLUMNS], [width for _name, width in EXPORT_COLUMNS]


def export_rows(desk: Reader, boxes: Sequence[MailboxConfig], filters: Filters,
                words: Mapping[str, Any]) -> list[list[Any]]:
    """Every row of the filtered list in its order (at most `EXPORT_ROWS`, then a row saying
    how many more matched), in the unit's words (the reports' states, channels, categories)."""
    late = desk.late(boxes)
    query = store_query(filters, boxes, desk.tz, late)
    rows, total = _found(desk, query, filters, late, 0, EXPORT_ROWS)
    named = {b.name: b for b in boxes}
    labels = words["report"]
    found: list[list[Any]] = []
    for row in rows:
        shown = _row(desk, named, row, late.get(row["id"]))
        lateness = shown["late"] or {}
        found.append([shown["number"], shown["mailbox"], shown["subject"], shown["requester"],
                      labels["states"].get(shown["state"], shown["state"]), shown["opened"],
                      lateness.get("waited", ""), lateness.get("reason", ""), shown["next"], shown["holder"],
                      labels["channels"].get(shown["channel"], shown["channel"]),
                      labels["categories"].get(shown["category"], shown["category"]), shown["lkpp_ticket"]])
    if total > len(rows):
        found.append([str(words["web"]["export_more"]).format(count=total - len(rows))])
    return found

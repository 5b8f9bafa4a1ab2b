"""One ticket's page in the window (SPEC 13): its facts, its deadlines and how late it is,
its story as `#riwayat` tells it with repeated reminders folded into one line and their
count, every mail with what it said (an automatic one's whole text, read back from the
archive, so a head sees what the requester was told), and the files the mail carried, each
downloadable (`attachment`), never shown in the page.

The escalation key is masked everywhere on the page: it went to LKPP alone. The codes of
the full record (`ticket_opened`, `value=...`) stay in `mailbot ticket N --full`.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from mailbot.core.shown_deadlines import ShownDeadline
from mailbot.core.tokens import escalation_code
from mailbot.io.store import Store
from mailbot.io.ticket_story import story
from mailbot.io.ticket_views import files_of, local, sent_text, ticket_json
from mailbot.io.words import Words
from mailbot.model import Attachment, Ticket
from mailbot.settings import Config
from mailbot.web.lateness import Lateness


def ticket_page(store: Store, cfg: Config, key: bytes, ticket: Ticket, said: Words, lateness: Lateness,
                now: datetime) -> dict[str, Any]:
    """What the ticket's page shows."""
    assert ticket.id is not None
    tz = cfg.timezone
    events, messages = store.history.events_of(ticket.id), store.messages.messages_of(ticket.id)
    record = ticket_json(ticket, events, messages, tz, archive_dir=cfg.archive_dir)
    shown = {**record, "story": folded_story(story(events, messages, tz, said, now.year))}
    for field in ("created_at", "first_response_at", "resolved_at", "closed_at"):
        shown[field] = _moment(record.get(field), tz, said, now.year)
    mails = [{**m, "id": row["id"], "at": _moment(m["at"], tz, said, now.year), "text": _said(row, m, cfg.archive_dir),
              "files": _files(row, cfg.archive_dir)} for row, m in zip(messages, record["messages"], strict=True)]
    shown["messages"] = folded_mails(mails)
    shown["deadlines"] = deadlines(lateness.shown(store, ticket.mailbox, ticket.id, now), tz, said, now)
    shown["late"] = [{"reason": said.overdue(o.kind, o.span, o.reopened),
                      "waited": said.waited(o.waited, lateness.calendar.day_length)}
                     for o in lateness.entries(store, ticket.mailbox, ticket.id, now)]
    found: dict[str, Any] = masked(shown, escalation_code(key, ticket.mailbox, ticket.number))
    return found


def deadlines(shown: Sequence[ShownDeadline], tz: tzinfo, said: Words, now: datetime) -> list[dict[str, Any]]:
    """The ticket's deadlines as every page reads them (`core.shown_deadlines`, through the
    window's kept reading): each one's running out, or what is left of a stopped clock."""
    return [{"kind": str(e.kind), "at": _moment(e.at.isoformat(), tz, said, now.year) if e.at else "",
             "past": e.past, "left": said.unit(round((e.left or timedelta(0)) / timedelta(hours=1)), "hour")
             if e.stopped and not e.past else ""} for e in shown]


def _said(row: Mapping[str, Any], mail: Mapping[str, Any], archive_dir: Path) -> str:
    """What a mail said: an inbound one's new text; an outbound one's whole text as it went
    (from the archive, or the outbox while queued), else the text it relayed."""
    if row["direction"] == "in":
        return str(mail["text"] or "")
    return sent_text(archive_dir, row.get("archive_path"), row.get("queued_raw")) or str(row.get("body") or "")


def _files(row: Mapping[str, Any], archive_dir: Path) -> list[dict[str, Any]]:
    """The files of a mail that has any: their names and sizes, in the mail's order."""
    if not row.get("attachments"):
        return []
    return [{"index": n, "name": f.filename, "size": _size(f.size)}
            for n, f in enumerate(files_of(archive_dir, row.get("archive_path"), row.get("queued_raw")))]


def attachment(store: Store, cfg: Config, ticket: Ticket, message_id: int, index: int) -> Attachment | None:
    """One file of one of the ticket's mails, or None when the ticket has no such mail or file."""
    assert ticket.id is not None
    row = next((m for m in store.messages.messages_of(ticket.id) if m["id"] == message_id), None)
    if row is None:
        return None
    files = files_of(cfg.archive_dir, row.get("archive_path"), row.get("queued_raw"))
    return files[index] if 0 <= index < len(files) else None


def disposition(name: str) -> str:
    """`Content-Disposition` of a download: always an attachment, its name already safe
    (`parsers.names.safe_filename`), as ASCII for old browsers and whole as UTF-8 (RFC 6266)."""
    plain = re.sub(r'[^A-Za-z0-9._ ()-]', "_", name) or "lampiran"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{urllib.parse.quote(name, safe='')}"


def _size(count: int) -> str:
    return f"{count} B" if count < 1024 else f"{count / 1024:.0f} KB" if count < 1024 * 1024 \
        else f"{count / 1024 / 1024:.1f} MB"


# --- folding what repeats ------------------------------------------------------------------


def folded_story(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The story with each run of mail mailbot sent in a row folded by kind and recipients:
    a reminder sent each working day for weeks is one line with its count and its last time."""
    found: list[dict[str, Any]] = []
    run: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        if item["kind"] != "out":
            run = {}
            found.append(item)
            continue
        key = (str(item["mail"]), str(item["to"]))
        if key in run:
            run[key]["count"] += 1
            run[key]["last"] = item["at"]
        else:
            run[key] = {**item, "count": 1, "last": item["at"]}
            found.append(run[key])
    return found


def folded_mails(mails: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mails with each run of one automatic kind to the same recipients folded into its
    latest, with how many went and since when."""
    found: list[dict[str, Any]] = []
    for mail in mails:
        last = found[-1] if found else None
        if (last is not None and mail["direction"] == "out" and last["direction"] == "out"
                and (mail["kind"], mail["recipients"]) == (last["kind"], last["recipients"]) and not mail["files"]):
            found[-1] = {**mail, "count": last["count"] + 1, "first": last["first"]}
        else:
            found.append({**mail, "count": 1, "first": mail["at"]})
    return found


def _moment(at: str | None, tz: tzinfo, said: Words, year: int) -> str | None:
    """A moment of the record (ISO) as the mail words it, in the unit's time zone."""
    moment = local(at, tz) if at else None
    return said.short_moment(moment, year) if moment is not None else None


def masked(value: Any, code: str) -> Any:
    """A page's value with a ticket's escalation key written as stars wherever it stands."""
    if isinstance(value, str):
        return re.sub(re.escape(code), "*" * len(code), value, flags=re.IGNORECASE)
    if isinstance(value, list):
        return [masked(v, code) for v in value]
    if isinstance(value, dict):
        return {k: masked(v, code) for k, v in value.items()}
    return value

"""Every message in and out, as recorded (`messages`): what is known of a Message-ID, a
ticket's thread and history views, what mailbot sent to whom, and which Message-IDs
reached an audience beyond their own (`exposed`, `trust.exposed`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mailbot.io.store.database import Database
from mailbot.io.store.times import parse_ts, ts
from mailbot.model import Seen, ThreadMessage


class Messages:
    """Recorded messages, their threads, and where their Message-IDs reached."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record_message(self, /, **row: Any) -> int:
        return self.db.insert("messages", row)

    def message_seen(self, mailbox: str, message_id: str) -> Seen | None:
        """What is known of a Message-ID in this mailbox: handled (in or out) or quarantined,
        in one statement (a new message is in neither)."""
        for row in self.db.query(
                "select 0 as quarantined, case when direction = 'out' then 0 else 1 end as incoming, direction, "
                "content_hash, sender, subject, full_text, attachments, ticket_id from messages "
                "where mailbox = ? and message_id = ? union all "
                "select 1, 1, 'in', content_hash, null, null, null, null, null from quarantine "
                "where mailbox = ? and message_id = ? order by 1, 2 limit 1",
                [mailbox, message_id, mailbox, message_id]):
            if row["quarantined"]:
                return Seen("quarantined", "in", row["content_hash"])
            return Seen("handled", row["direction"], row["content_hash"], row["sender"] or "", row["subject"] or "",
                        row["full_text"], row["attachments"] or 0, row["ticket_id"])
        return None

    def tickets_citing(self, mailbox: str, message_ids: tuple[str, ...]) -> list[int]:
        """Ticket ids of stored messages with these Message-IDs, in the order cited."""
        found: list[int] = []
        for mid in message_ids:
            for row in self.db.query(
                "select ticket_id from messages where mailbox = ? and message_id = ? and ticket_id is not null",
                [mailbox, mid],
            ):
                if row["ticket_id"] not in found:
                    found.append(row["ticket_id"])
        return found

    def thread_of(self, ticket_id: int) -> list[ThreadMessage]:
        """A ticket's messages in order, as values: who wrote, the Message-ID, the new text."""
        rows = self.db.query("select direction, role, message_id, body, archive_path, attachments, kind, at "
                             "from messages where ticket_id = ? order by at, id", [ticket_id])
        return [ThreadMessage(r["direction"], r["role"] or "", r["message_id"], r["body"] or "", r["archive_path"],
                              bool(r["attachments"]), r["kind"] or "", r["at"] or "") for r in rows]

    def messages_of(self, ticket_id: int) -> list[dict[str, Any]]:
        """Every stored column of a ticket's messages, for the history views (`ticket N`);
        `queued_raw`: the bytes of an outbound mail not yet archived (still in the outbox)."""
        return list(self.db.query(
            "select m.*, o.raw as queued_raw from messages m left join outbox o on m.direction = 'out' and "
            "o.ticket_id = m.ticket_id and o.message_id = m.message_id and length(o.raw) > 0 "
            "where m.ticket_id = ? order by m.at, m.id", [ticket_id]))

    def sent_texts(self, ticket_id: int, role: str) -> list[str]:
        """What mailbot sent to this role on a ticket: each mail's text as it went out (kept
        for mail to LKPP), else the text it relayed."""
        rows = self.db.query("select body, full_text from messages where ticket_id = ? and direction = 'out' "
                             "and role = ? order by at, id", [ticket_id, role])
        return [text for r in rows if (text := r["full_text"] or r["body"])]

    def sent_recipients(self, mailbox: str, message_id: str) -> tuple[str, ...]:
        """The recipients of a mail mailbot sent, as the outbox recorded them."""
        rows = list(self.db.query("select recipients from messages where mailbox = ? and direction = 'out' "
                                  "and message_id = ?", [mailbox, message_id]))
        return tuple(a for a in (rows[0]["recipients"] or "").split(",") if a) if rows else ()

    def sent_any(self, mailbox: str, message_ids: tuple[str, ...], since: datetime | None = None) -> bool:
        """Whether mailbot sent a mail with one of these Message-IDs from this mailbox (queued
        from `since` on, when given)."""
        if not message_ids:
            return False
        marks = ",".join("?" * len(message_ids))
        when = "" if since is None else " and at >= ?"
        rows = self.db.query("select 1 from messages where mailbox = ? and direction = 'out' "
                             f"and message_id in ({marks}){when} limit 1",
                             [mailbox, *message_ids, *([] if since is None else [ts(since)])])
        return any(True for _ in rows)

    def mailed_on(self, mailbox: str, number: str, since: datetime) -> bool:
        """Whether mailbot queued mail on this mailbox's ticket `number` from `since` on."""
        rows = self.db.query("select 1 from messages m join tickets t on t.id = m.ticket_id where t.mailbox = ? "
                             "and t.number = ? and m.direction = 'out' and m.at >= ? limit 1",
                             [mailbox, number, ts(since)])
        return any(True for _ in rows)

    def sent_body(self, mailbox: str, message_id: str, kind: str) -> str | None:
        """The text a mail of this kind that mailbot sent carried (a preview's answer)."""
        row = self.db.execute("select body from messages where mailbox = ? and direction = 'out' and "
                              "message_id = ? and kind = ?", [mailbox, message_id, kind]).fetchone()
        return str(row[0]) if row and row[0] else None

    def waiting_openings(self, mailbox: str, requester: str, since: datetime) -> list[dict[str, Any]]:
        """The mail that opened each of this requester's tickets still waiting on the unit or
        LKPP (open, answered, escalated) opened from `since` on, newest first: ticket id,
        subject, full text, arrival, attachment count and archive path, and when the first
        mail to the requester on that ticket was sent (None: none yet).

        The requester's tickets are found by their index and then weighed by age
        (`created_at || ''` is no column an index holds): SQLite's planner, without statistics,
        took every ticket of the mailbox opened since then by age and read each one's
        requester, all of a backlog's hour for each request of it."""
        rows = self.db.query(
            "select t.id as ticket_id, m.subject, m.full_text, m.received_at, m.attachments, m.archive_path, "
            "(select min(o.sent_at) from outbox o where o.ticket_id = t.id and o.audience = 'requester' "
            "and o.sent_at is not null) as answered_at "
            "from tickets t join messages m on m.id = (select min(id) from messages where ticket_id = t.id "
            "and direction = 'in') where t.mailbox = ? and t.requester = ? and t.created_at || '' >= ? "
            "and t.state in ('open', 'answered', 'escalated') order by t.id desc limit 5",
            [mailbox, requester.lower(), ts(since)])
        return [dict(r) for r in rows]

    def mail_on_tickets(self, ticket_ids: Sequence[int], sender: str, since: datetime) -> list[dict[str, Any]]:
        """This sender's mail on these tickets that reached the mailbox from `since` on, newest
        first, as `waiting_openings` gives it; `answered_at`: the first mail to the requester on
        its ticket sent after it was handled (None: none yet)."""
        if not ticket_ids:
            return []
        marks = ",".join("?" * len(ticket_ids))
        rows = self.db.query(
            "select m.ticket_id, m.subject, m.full_text, m.received_at, m.attachments, m.archive_path, "
            "(select min(o.sent_at) from outbox o where o.ticket_id = m.ticket_id and o.audience = 'requester' "
            "and o.sent_at >= m.at) as answered_at "
            f"from messages m where m.ticket_id in ({marks}) and m.direction = 'in' and m.sender = ? "
            "and m.received_at >= ? order by m.id desc limit 5", [*ticket_ids, sender.lower(), ts(since)])
        return [dict(r) for r in rows]

    def said_by(self, mailbox: str, sender: str, since: datetime, other_than: Sequence[int] = ()) -> list[str]:
        """The new texts `sender` sent the mailbox from `since` on, newest first, but those on the
        tickets `other_than` (what a responder repeats across our mail)."""
        rows = self.db.query(
            "select body, ticket_id from messages where mailbox = ? and direction = 'in' and at >= ? and sender = ? "
            "order by id desc limit 50", [mailbox, ts(since), sender.lower()])
        return [str(r["body"]) for r in rows if r["body"] and r["ticket_id"] not in other_than]

    def earlier_texts(self, mailbox: str, sender: str, since: datetime, limit: int = 5) -> list[str]:
        """The whole text of this sender's latest mails to the mailbox from `since` on, newest
        first: a staff member's own signature repeats at their end (`core.own_signature`)."""
        rows = self.db.query(
            "select full_text from messages where id in (select id from messages where mailbox = ? and "
            "direction = 'in' and sender = ? and at >= ? order by at desc limit ?) order by at desc",
            [mailbox, sender.lower(), ts(since), limit])
        return [r["full_text"] for r in rows if r["full_text"]]

    def received_from_domain(self, mailbox: str, domain: str, since: datetime) -> list[tuple[str, str, str]]:
        """(sender, subject, new text) of the mail received from `domain` since then."""
        rows = self.db.execute(
            "select sender, subject, body from messages where mailbox = ? and direction = 'in' and at >= ? "
            "and lower(sender) like ? escape '\\' limit 500",
            [mailbox, ts(since), _domain_pattern(domain)]).fetchall()
        return [(str(r[0] or ""), str(r[1] or ""), str(r[2] or "")) for r in rows]

    def arrivals_from_domain(self, mailbox: str, domain: str,
                             since: datetime) -> list[tuple[str, str, datetime | None, int | None, str]]:
        """(sender, new text, when it reached the mailbox, ticket id, how it was recorded) of the
        mail received from `domain` and recorded since then, the latest 500 (a responder's
        rounds, `loops.rotating`)."""
        rows = self.db.execute(
            "select sender, body, received_at, ticket_id, kind from messages where mailbox = ? and direction = 'in' "
            "and at >= ? and lower(sender) like ? escape '\\' order by at desc, id desc limit 500",
            [mailbox, ts(since), _domain_pattern(domain)]).fetchall()
        return [(str(r[0] or ""), str(r[1] or ""), parse_ts(r[2]), r[3], str(r[4] or "")) for r in rows]

    def expose(self, mailbox: str, exposures: Sequence[tuple[str, frozenset[str]]], at: datetime) -> None:
        """Note that these Message-IDs reached these role letters too (`trust.exposed`)."""
        for message_id, letters in exposures:
            self.db.execute(
                "insert into exposed (mailbox, message_id, audience, at) values (?, ?, ?, ?) on conflict "
                "(mailbox, message_id) do update set audience = audience || excluded.audience",
                [mailbox, message_id, "".join(sorted(letters)), ts(at)])

    def exposure(self, mailbox: str, message_ids: Sequence[str]) -> dict[str, frozenset[str]]:
        """The role letters outside their audience that these Message-IDs reached (`expose`)."""
        if not message_ids:
            return {}
        marks = ",".join("?" * len(message_ids))
        rows = self.db.execute(f"select message_id, audience from exposed where mailbox = ? and message_id "
                               f"in ({marks})", [mailbox, *message_ids])
        return {mid: frozenset(letters) for mid, letters in rows}


def _domain_pattern(domain: str) -> str:
    """A LIKE pattern for the addresses of `domain` (its wildcards escaped)."""
    return "%@" + domain.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

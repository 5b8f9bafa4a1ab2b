"""What the store says was done with each message of a period, for `mailbot shadow`: read
alike from the real store (what was recorded) and from the shadow's scratch store (what the
candidate did), so that the two differ only where the decisions do (`core/shadow_compare.py`).

A message's handling is its row (`messages`, `quarantine`, or the `duplicate_received`
event of a copy), and what was written at the same moment in the same mailbox: the mailbot
clock is read once per message (`Pipeline.handle`), so the events and the mail it caused carry
its very `at`. Mail written at a moment no message was handled is a timer's, the digest's or
the monthly summary's, and those moments are when the daemon swept.

The scratch store is seeded with what keeps the shadow's numbers the record's: each message
that opened a ticket is filed under its number (`restored`, as a restore files a request that
comes back), and each year's counter starts past every number the record gave, so a ticket
only the candidate opens never takes a number a later reply names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from mailbot.core.shadow_compare import COMMAND_EVENTS, SAID_BY_MAILS, Handling, MailSent, TimerMail
from mailbot.io.store.database import Database
from mailbot.io.store.times import moment, parse_ts, ts

Words = Callable[[str], str]  # a sent mail's words, by its archive path, as a digest
GUESSED = frozenset({"category_guessed", "priority_guessed"})
OUTAGE = timedelta(hours=1)  # a timer fired later than this past its due time: the daemon was not running


class Handlings:
    """The period's handlings and the mail no message caused, read; a scratch store seeded."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- read ---------------------------------------------------------------------------

    def handled(self, since: datetime, until: datetime, words: Words | None = None) -> list[Handling]:
        """Every message handled from `since` to `until` (processed, quarantined with an
        archived copy, a duplicate), in the order mailbot handled them. `words`: a digest of
        a sent mail's words by its archive path ("" where it cannot be read)."""
        span = [ts(since), ts(until)]
        events, mails = self._written(span, words or _unknown)
        found = [self._processed(row, events, mails) for row in self.db.query(
            "select m.mailbox, m.message_id, m.role, m.kind, m.at, m.archive_path, m.received_at, t.number, "
            "t.created_at from messages m left join tickets t on t.id = m.ticket_id "
            "where m.direction = 'in' and m.at >= ? and m.at < ?", span)]
        found += [Handling(r["mailbox"], r["message_id"], moment(r["at"]), "quarantined",
                           archive_path=r["archive_path"], reason=r["reason"])
                  for r in self.db.query("select mailbox, message_id, reason, at, archive_path from quarantine "
                                         "where at >= ? and at < ? and archive_path is not null", span)]
        found += [self._duplicate(row, events, mails) for row in self.db.query(
            "select e.mailbox, e.at, e.detail, t.number from events e left join tickets t on t.id = e.ticket_id "
            "where e.kind = 'duplicate_received' and e.at >= ? and e.at < ?", span)]
        return sorted(found, key=lambda h: (h.at, h.mailbox, h.message_id))

    def unreplayable(self, since: datetime, until: datetime) -> int:
        """Messages of the period recorded without a copy to handle again (the server would
        not return them)."""
        row = self.db.execute("select count(*) from quarantine where at >= ? and at < ? and archive_path is null",
                              [ts(since), ts(until)]).fetchone()
        return int(row[0])

    def timer_mails(self, since: datetime, until: datetime, tz: tzinfo,
                    handled: Iterable[Handling]) -> list[TimerMail]:
        """The period's mail written at a moment no message was handled, but an operator's
        command (`report summary --send`)."""
        moments = {(h.mailbox, ts(h.at)) for h in handled} | self._commanded(since, until)
        return [TimerMail(r["mailbox"], r["number"], MailSent.of(r["kind"], (r["recipients"] or "").split(",")),
                          moment(r["at"]).astimezone(tz).date().isoformat())
                for r in self._out(ts(since), ts(until)) if (r["mailbox"], r["at"]) not in moments]

    def sweep_moments(self, since: datetime, until: datetime, handled: Iterable[Handling]) -> list[datetime]:
        """When the daemon swept and something came of it (a mail, a history event) at a moment
        no message was handled and no operator's command ran."""
        moments = {(h.mailbox, ts(h.at)) for h in handled} | self._commanded(since, until)
        rows = self.db.execute("select distinct mailbox, at from events where at >= ? and at < ? union "
                               "select distinct mailbox, at from messages where direction = 'out' and at >= ? "
                               "and at < ?", [ts(since), ts(until)] * 2).fetchall()
        return sorted({moment(at) for box, at in rows if (box, at) not in moments})

    def _commanded(self, since: datetime, until: datetime) -> set[tuple[str, str]]:
        """(mailbox, moment) of what an operator's command did (its event says `by: command`):
        what the shadow does not play, as no message and no timer caused it."""
        return {(r["mailbox"], r["at"]) for r in self.db.query(
            "select mailbox, at, detail from events where at >= ? and at < ? and detail like '%\"by\": \"command\"%'",
            [ts(since), ts(until)]) if json.loads(r["detail"] or "{}").get("by") == "command"}

    def opened_before(self, since: datetime) -> set[tuple[str, str]]:
        """(mailbox, number) of the tickets opened before `since`: a message on one of them
        found a ticket the shadow, starting empty, does not have."""
        return {(r[0], r[1]) for r in self.db.execute("select mailbox, number from tickets where created_at < ?",
                                                      [ts(since)]).fetchall()}

    def numbers_filed(self, since: datetime, until: datetime) -> list[tuple[str, str, str]]:
        """(mailbox, Message-ID, number) of each message of the period that opened a ticket or
        was held under a reserved number (a call or visit form waiting for its `#buka`)."""
        rows = self.db.execute(
            "select m.mailbox, m.message_id, t.number from messages m join tickets t on t.id = m.ticket_id "
            "where m.direction = 'in' and m.at = t.created_at and m.at >= ? and m.at < ?",
            [ts(since), ts(until)]).fetchall()
        held = [(r["mailbox"], json.loads(r["detail"] or "{}")) for r in self.db.query(
            "select mailbox, detail from events where kind = 'intake_held' and at >= ? and at < ?",
            [ts(since), ts(until)])]
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows] + [
            (box, str(d["message_id"]), str(d["number"])) for box, d in held if d.get("message_id") and d.get("number")]

    def counters(self) -> list[tuple[str, int, int]]:
        """Each mailbox's and year's last ticket number."""
        return [(str(r[0]), int(r[1]), int(r[2])) for r in
                self.db.execute("select mailbox, year, last from counters").fetchall()]

    def sent_ids(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        """The Message-ID of each mail of the period, with what names it: mailbox, moment,
        kind, ticket number, recipients."""
        return [{"mailbox": r["mailbox"], "at": r["at"], "kind": r["kind"], "number": r["number"],
                 "recipients": MailSent.of(r["kind"], (r["recipients"] or "").split(",")).to,
                 "message_id": r["message_id"]} for r in self._out(ts(since), ts(until))]

    def fired_timers(self, since: datetime, until: datetime) -> tuple[dict[tuple[str, str, str, int], list[datetime]],
                                                                    timedelta]:
        """When each timer fired, by (mailbox, ticket number, timer, step), and the longest a
        timer waited past its due time for the sweep that fired it, an outage's waits of more
        than `OUTAGE` aside: how often the daemon swept."""
        fired: dict[tuple[str, str, str, int], list[datetime]] = {}
        lag = timedelta(0)
        for row in self.db.query("select e.mailbox, e.at, e.detail, t.number from events e join tickets t on "
                                 "t.id = e.ticket_id where e.kind = 'timer_fired' and e.at >= ? and e.at < ? "
                                 "order by e.at", [ts(since), ts(until)]):
            detail = json.loads(row["detail"] or "{}")
            key = (row["mailbox"], row["number"], str(detail.get("timer")), int(detail.get("step") or 0))
            fired.setdefault(key, []).append(moment(row["at"]))
            waited = moment(row["at"]) - datetime.fromisoformat(str(detail["due"])) if detail.get("due") else lag
            lag = max(lag, waited) if waited <= OUTAGE else lag
        return fired, lag

    # --- the scratch store --------------------------------------------------------------

    def seed(self, numbers: Sequence[tuple[str, str, str]], counters: Sequence[tuple[str, int, int]]) -> None:
        """The record's numbers kept: each opening message filed under its number, each
        counter past the record's last."""
        with self.db.unit_of_work():
            for mailbox, message_id, number in numbers:
                self.db.execute("insert into restored (mailbox, direction, message_id, number) "
                                "values (?, 'in', ?, ?) on conflict (mailbox, direction, message_id) do nothing",
                                [mailbox, message_id, number])
            for mailbox, year, last in counters:
                self.db.execute("insert into counters (mailbox, year, last) values (?, ?, ?) on conflict "
                                "(mailbox, year) do update set last = excluded.last", [mailbox, year, last])

    # --- the rows a handling is made of -------------------------------------------------

    def _out(self, since: str, until: str) -> list[dict[str, Any]]:
        return list(self.db.query(
            "select m.mailbox, m.at, m.kind, m.recipients, m.message_id, m.archive_path, t.number from messages m "
            "left join tickets t on t.id = m.ticket_id where m.direction = 'out' and m.at >= ? and m.at < ?",
            [since, until]))

    def _written(self, span: list[str], words: Words) -> tuple[dict[tuple[str, str], list[dict[str, Any]]],
                                                               dict[tuple[str, str], list[MailSent]]]:
        """The period's events and mail, by (mailbox, moment)."""
        events: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in self.db.query("select mailbox, at, kind, detail from events where at >= ? and at < ? "
                                 "order by id", span):
            events.setdefault((row["mailbox"], row["at"]), []).append(row)
        mails: dict[tuple[str, str], list[MailSent]] = {}
        for row in self._out(*span):
            mails.setdefault((row["mailbox"], row["at"]), []).append(
                MailSent.of(row["kind"], (row["recipients"] or "").split(","),
                        words(row["archive_path"]) if row["archive_path"] else ""))
        return events, mails

    def _processed(self, row: dict[str, Any], events: dict[tuple[str, str], list[dict[str, Any]]],
                   mails: dict[tuple[str, str], list[MailSent]]) -> Handling:
        at = row["at"]
        written = events.get((row["mailbox"], at), [])
        return Handling(row["mailbox"], row["message_id"], moment(at), "processed", archive_path=row["archive_path"],
                        received_at=parse_ts(row["received_at"]), ticket=row["number"],
                        new_ticket=row["created_at"] == at, role=row["role"], event=row["kind"],
                        category=_category(written), commands=_commands(written), states=_states(written),
                        history=_history(written),
                        mails=tuple(sorted(mails.get((row["mailbox"], at), []))))

    def _duplicate(self, row: dict[str, Any], events: dict[tuple[str, str], list[dict[str, Any]]],
                   mails: dict[tuple[str, str], list[MailSent]]) -> Handling:
        detail = json.loads(row["detail"] or "{}")
        message_id = str(detail.get("message_id") or "")
        first = self.db.execute("select archive_path from messages where mailbox = ? and message_id = ? "
                                "and archive_path is not null order by id limit 1",
                                [row["mailbox"], message_id]).fetchone()
        written = [e for e in events.get((row["mailbox"], row["at"]), []) if e["kind"] != "duplicate_received"]
        return Handling(row["mailbox"], message_id, moment(row["at"]), "duplicate",
                        archive_path=first[0] if first else None, ticket=row["number"], history=_history(written),
                        mails=tuple(sorted(mails.get((row["mailbox"], row["at"]), []))))


def _unknown(path: str) -> str:
    return ""


def _category(events: list[dict[str, Any]]) -> tuple[str, ...]:
    """What the message made the ticket's category and priority."""
    return tuple(sorted(f"{e['kind'].removesuffix('_guessed')}: {json.loads(e['detail'] or '{}').get('value')}"
                        for e in events if e["kind"] in GUESSED))


def _commands(events: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(sorted(e["kind"] for e in events if e["kind"].startswith("command_") or e["kind"] in COMMAND_EVENTS))


def _states(events: list[dict[str, Any]]) -> tuple[str, ...]:
    moved = []
    for event in events:
        if event["kind"] == "state_changed":
            detail = json.loads(event["detail"] or "{}")
            moved.append(f"{detail.get('from') or '-'} -> {detail.get('to') or '-'}")
    return tuple(moved)


def _history(events: list[dict[str, Any]]) -> tuple[str, ...]:
    """The other events, by kind, with the class a reader gave (LKPP's answer: status, ...)."""
    return tuple(sorted(_said(e) for e in events if e["kind"] not in SAID_BY_MAILS and e["kind"] != "state_changed"
                        and e["kind"] not in GUESSED and not e["kind"].startswith("command_")
                        and e["kind"] not in COMMAND_EVENTS))


def _said(event: dict[str, Any]) -> str:
    kind = str(event["kind"])
    read = json.loads(event["detail"] or "{}").get("class")
    return f"{kind}: {read}" if read else kind

"""What changed since the window last looked, and which month's figures it touches
(`reports.queries.changes_since`, which the window's kept summaries are dropped by), on
SQLite and on PostgreSQL: a new ticket, a message or a history event on a ticket, a mail
queued and its delivery, a call held for its sender's `#buka` and its cancelling name the
month the ticket was opened (or the call made) in; what touches no ticket names none.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from mailbot.io.store import Store, ts
from mailbot.reports import queries
from mailbot.reports.values import Month

WIB = ZoneInfo("Asia/Jakarta")
OCTOBER = datetime(2026, 10, 31, 23, 30, tzinfo=WIB)  # 16:30 UTC: October in the unit's zone
NOVEMBER = datetime(2026, 11, 20, 9, 0, tzinfo=WIB)
CALLED = datetime(2026, 9, 30, 10, 0, tzinfo=WIB)


def _ticket(store: Store, number: str, created: datetime) -> int:
    return store.database.insert("tickets", {"mailbox": "t", "number": number, "state": "open",
                                             "requester": "a@vendor.test", "created_at": ts(created),
                                             "updated_at": ts(created)})


def _months(touched: list[tuple[str, datetime]]) -> list[tuple[str, str]]:
    return sorted({(mailbox, str(Month.of(moment, WIB))) for mailbox, moment in touched})


def test_each_change_names_the_month_it_touches(store_location):
    store = Store(store_location)
    try:
        october = _ticket(store, "2026-00001", OCTOBER)
        november = _ticket(store, "2026-00002", NOVEMBER)
        marks = queries.marks_now(store)
        marks, touched = queries.changes_since(store, marks)
        assert touched == []

        store.database.insert("messages", {"mailbox": "t", "message_id": "m1@vendor.test", "direction": "in",
                                           "role": "requester", "ticket_id": october, "at": ts(NOVEMBER)})
        marks, touched = queries.changes_since(store, marks)
        assert _months(touched) == [("t", "2026-10")]  # a message on October's ticket, written in November

        store.database.insert("events", {"mailbox": "t", "ticket_id": november, "at": ts(NOVEMBER),
                                         "actor": "mailbot", "kind": "state_changed", "detail": "{}"})
        store.database.insert("events", {"mailbox": "t", "ticket_id": None, "at": ts(NOVEMBER), "actor": "mailbot",
                                         "kind": "rate_limit_alerted", "detail": "{}"})  # no ticket's
        marks, touched = queries.changes_since(store, marks)
        assert _months(touched) == [("t", "2026-11")]

        queued = store.database.insert("outbox", {
            "mailbox": "t", "ticket_id": october, "message_id": "o1@lpse.test", "kind": "ack",
            "mail_from": "lpse@lpse.test", "rcpt": "[]", "raw": b"x", "created_at": ts(NOVEMBER), "status": "pending"})
        marks, touched = queries.changes_since(store, marks)
        assert _months(touched) == [("t", "2026-10")] and marks.pending == frozenset({queued})
        marks, touched = queries.changes_since(store, marks)
        assert touched == []  # still pending: nothing new
        store.database.execute("update outbox set status = 'sent', sent_at = ? where id = ?", [ts(NOVEMBER), queued])
        marks, touched = queries.changes_since(store, marks)
        assert _months(touched) == [("t", "2026-10")] and marks.pending == frozenset()  # delivered: a figure

        _ticket(store, "2026-00003", NOVEMBER)
        marks, touched = queries.changes_since(store, marks)
        assert _months(touched) == [("t", "2026-11")]

        held = {"number": "2026-00004", "channel": "telepon", "called_at": CALLED.isoformat()}
        store.database.insert("events", {"mailbox": "t", "ticket_id": None, "at": ts(NOVEMBER), "actor": "staff",
                                         "kind": "intake_held", "detail": json.dumps(held)})
        marks, touched = queries.changes_since(store, marks)
        assert _months(touched) == [("t", "2026-09")]  # the call's month
        store.database.insert("events", {"mailbox": "t", "ticket_id": None, "at": ts(NOVEMBER), "actor": "staff",
                                         "kind": "intake_cancelled", "detail": json.dumps({"number": "2026-00004"})})
        marks, touched = queries.changes_since(store, marks)
        assert _months(touched) == [("t", "2026-09")]
    finally:
        store.close()

"""Write tickets, messages, outbox rows and history straight into a store, as the daemon
records them, for report tests with exact times.

The daemon records a message, the mail it causes and their history in one unit of
work at one instant; `Book` does the same when given one `at`.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta

from mailbot.io.store import Store, ts

_ids = itertools.count(1)


class Book:
    def __init__(self, store: Store, mailbox: str = "t") -> None:
        self.store = store
        self.mailbox = mailbox

    def ticket(self, number: str, opened: datetime, state: str, *, requester: str = "user@vendor.test",
               name: str = "", category: str | None = None, priority: str | None = "normal",
               rating: int | None = None, resolved_at: datetime | None = None, closed_at: datetime | None = None,
               lkpp_ticket: str | None = None, contact_name: str | None = None, contact_org: str | None = None,
               subject: str = "Permasalahan SPSE", mailbox: str | None = None,
               waiting_since: datetime | None = None, waited: timedelta | None = None) -> int:
        return self.store.database.insert("tickets", {
            "mailbox": mailbox or self.mailbox, "number": number, "state": state, "requester": requester,
            "requester_name": name, "subject": subject, "category": category, "priority": priority,
            "language": "id", "created_at": ts(opened), "updated_at": ts(opened),
            "resolved_at": ts(resolved_at) if resolved_at else None,
            "closed_at": ts(closed_at) if closed_at else None, "rating": rating, "lkpp_ticket": lkpp_ticket,
            "contact_name": contact_name, "contact_org": contact_org,
            "waiting_since": ts(waiting_since) if waiting_since else None,
            "waited_seconds": waited.total_seconds() if waited else None,
        })

    def inbound(self, ticket_id: int, role: str, label: str, *, received: datetime, at: datetime | None = None,
                body: str = "", sender: str = "x@vendor.test") -> None:
        """A message that reached the mailbox at `received`, handled at `at` (default: the same);
        its words in the search index as the pipeline puts them there."""
        row = self.store.messages.record_message(
            mailbox=self.mailbox, message_id=f"in-{next(_ids)}@test", direction="in", role=role,
            ticket_id=ticket_id, kind=label, sender=sender, recipients="lpse@lpse.test", subject="s",
            at=ts(at or received), archive_path="", size=1, attachments=0, body=body, full_text=body,
            received_at=ts(received))
        self.store.search.index(None, ticket_id, row, body)

    def outbound(self, ticket_id: int, audience: str, kind: str, *, at: datetime, sent: datetime | None,
                 body: str | None = None, to: str = "someone@test") -> None:
        """A mail to `to` queued at `at` and accepted by the SMTP server at `sent` (None: not yet)."""
        message_id = f"out-{next(_ids)}@lpse.test"
        self.store.messages.record_message(
            mailbox=self.mailbox, message_id=message_id, direction="out", role=audience, ticket_id=ticket_id,
            kind=kind, sender="lpse@lpse.test", recipients=to, subject="s", at=ts(at),
            archive_path="", size=1, attachments=0, body=body)
        self.store.database.insert("outbox", {
            "mailbox": self.mailbox, "ticket_id": ticket_id, "message_id": message_id, "kind": kind,
            "mail_from": "lpse@lpse.test", "rcpt": json.dumps([to]), "raw": b"x", "auto": 0,
            "created_at": ts(at), "status": "sent" if sent else "pending", "attempts": 0,
            "next_attempt_at": ts(at), "sent_at": ts(sent) if sent else None, "audience": audience,
        })

    def event(self, ticket_id: int, at: datetime, actor: str, kind: str, **detail: object) -> None:
        self.store.history.add_event(self.mailbox, ticket_id, at, actor, kind, **detail)

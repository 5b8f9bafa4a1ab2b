"""Outgoing mail: from a lifecycle `Send` to a rendered row in the outbox.

Resolves audiences to addresses, applies the sending limits of SPEC section 5,
builds the template context (with staff addresses redacted from anything a
requester reads), picks the attachments and threads the mail into its audience's
conversation. It writes to the store inside the caller's transaction and never
talks SMTP: `smtp.py` drains the outbox.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import replace
from datetime import datetime
from typing import Any

import structlog

from mailbot.core.identity import identify
from mailbot.core.limits import DAY, HOUR, Schedule, address_limit, ticket_slot
from mailbot.core.matching import audience_of, tag
from mailbot.core.model import (
    AUTO_GENERATED,
    Attachment,
    Audience,
    InboundMessage,
    OutboxRow,
    Send,
    Ticket,
)
from mailbot.core.settings import Config, MailboxConfig
from mailbot.core.tokens import make_message_id
from mailbot.io.archive import Archive
from mailbot.io.render import Outgoing, Renderer, deliverable
from mailbot.io.store import Store, ts
from mailbot.rules import Rules

TZ_LABELS = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
DAY_NAMES = {"id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
             "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def redact(text: str, addresses: tuple[str, ...], replacement: str) -> str:
    """Requesters never see staff members' personal addresses (SPEC section 2)."""
    for address in addresses:
        if address:
            text = re.sub(re.escape(address), replacement, text, flags=re.IGNORECASE)
    return text


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


class Mailer:
    """Puts rendered mail in the outbox for one configuration."""

    def __init__(self, cfg: Config, store: Store, renderer: Renderer, rules: Rules, archive: Archive, key: bytes,
                 log: structlog.typing.FilteringBoundLogger) -> None:
        self.cfg = cfg
        self.store = store
        self.renderer = renderer
        self.rules = rules
        self.archive = archive
        self.key = key
        self.log = log

    def audience(self, box: MailboxConfig, audience: Audience, ticket: Ticket | None,
                 msg: InboundMessage | None) -> tuple[str, ...]:
        if audience is Audience.REQUESTER:
            return (ticket.requester.addr,) if ticket else ()
        if audience is Audience.STAFF:
            return box.notify_addresses
        if audience is Audience.SENDER:
            return (msg.from_addr.addr,) if msg else ()
        if audience is Audience.COORDINATORS:
            return box.coordinators or box.notify_addresses
        if audience is Audience.LKPP:
            return (self.cfg.escalation.address,) if self.cfg.escalation.address else ()
        if audience is Audience.HEADS:
            return box.heads or box.coordinators
        raise ValueError(audience)

    def enqueue(self, box: MailboxConfig, send: Send, ticket: Ticket | None, msg: InboundMessage | None,
                now: datetime, *, exempt: bool = False) -> list[str]:
        """Render one Send into the outbox, within the caller's transaction; kinds queued.

        `exempt`: the mail was caused by an authenticated staff or LKPP message, so
        the loop limits never hold it (SPEC section 5).
        """
        wanted = self.audience(box, send.to, ticket, msg)
        to = tuple(a for a in wanted if deliverable(a))
        cc = tuple(a for aud in send.cc for a in self.audience(box, aud, ticket, msg) if a not in to and deliverable(a))
        ticket_id = ticket.id if ticket else None
        if not to:
            reason = f"address {', '.join(wanted)} cannot be written to" if wanted else f"no address for {send.to}"
            self.store.add_event(box.name, ticket_id, now, "mailbot", "send_skipped", mail=send.kind, reason=reason)
            self.log.warning("mail_skipped", mailbox=box.name, kind=send.kind, reason=reason)
            return []
        limited = send.auto is not None and not exempt
        when = self.schedule(box, send, (*to, *cc), ticket, now) if limited else Schedule(now)
        if when.cause:
            self.limit_reached(box, send, ticket, when, now)
        if when.send_at is None:
            return []
        out, attachments, body = self.render(box, send, ticket, msg, when.send_at)
        path = self.archive.write(box.name, "out", out.raw, now)
        message_id = out.message_id
        self.store.enqueue(mailbox=box.name, ticket_id=ticket_id, message_id=message_id, kind=send.kind,
                           mail_from=box.address, rcpt=out.rcpt, raw=out.raw, auto=limited, now=now,
                           audience=str(send.to), slot_at=when.send_at, held=when.held)
        self.store.record_message(
            mailbox=box.name, message_id=message_id, direction="out", role=str(send.to), ticket_id=ticket_id,
            kind=send.kind, sender=box.address, recipients=",".join(out.rcpt), subject=out.subject, at=ts(now),
            archive_path=path, size=len(out.raw), attachments=len(attachments), body=body,
        )
        detail: dict[str, Any] = {"mail": send.kind, "to": list(out.rcpt), "message_id": message_id}
        if when.held:
            detail["held_until"] = ts(when.send_at)
        self.store.add_event(box.name, ticket_id, now, "mailbot", "mail_queued", **detail)
        return [send.kind]

    def render(self, box: MailboxConfig, send: Send, ticket: Ticket | None, msg: InboundMessage | None,
               date: datetime) -> tuple[Outgoing, list[Attachment], str | None]:
        """The finished message, its attachments and the text it carries."""
        to = tuple(a for a in self.audience(box, send.to, ticket, msg) if deliverable(a))
        cc = tuple(a for aud in send.cc for a in self.audience(box, aud, ticket, msg) if a not in to and deliverable(a))
        language = ticket.language if ticket else self.cfg.language
        if not self.renderer.has(send.kind, language):
            language = "id"
        attachments = [*self.attachments(send, ticket, msg), *send.files]
        context = self.context(box, send, ticket, msg, attachments)
        in_reply_to, references = self.thread_ids(box, ticket, str(send.to), msg)
        title = send.title or (ticket.subject if ticket else (msg.subject if msg else ""))
        subject = self.renderer.subject(send.kind, language, tag(box.tag_prefix, ticket.number) if ticket else None,
                                        title)
        audience = audience_of((*to, *cc), box, self.cfg.escalation.senders)
        message_id = make_message_id(self.key, box.name, ticket.number if ticket else None, send.kind,
                                     box.address.split("@", 1)[1], audience)
        out = self.renderer.build(
            kind=send.kind, language=language, context=context, from_name=box.display_name, from_addr=box.address,
            to=to, cc=cc, subject=subject, message_id=message_id, in_reply_to=in_reply_to, references=references,
            date=date, auto=send.auto, attachments=attachments, inline=send.inline,
            extra_headers={"X-Mailbot-Ticket": ticket.number} if ticket else None,
        )
        return out, attachments, context.get("text") or None

    def render_detached(self, box: MailboxConfig, send: Send, now: datetime) -> OutboxRow:
        """A mail for SMTP that never touches the store (alerts about the store itself)."""
        out, _, _ = self.render(box, send, None, None, now)
        return OutboxRow(0, box.name, None, out.message_id, send.kind, box.address, out.rcpt, out.raw, 0, now,
                         str(send.to))

    def internal(self, box: MailboxConfig, address: str) -> bool:
        """The unit's own people, its own address and LKPP: never counted by the loop limits."""
        address = address.lower()
        return (address == box.address or address in box.staff or address == box.staff_notify
                or address in box.coordinators or address in box.heads
                or address == self.cfg.escalation.address
                or any(fnmatch.fnmatchcase(address, p) for p in self.cfg.escalation.senders))

    def schedule(self, box: MailboxConfig, send: Send, rcpt: tuple[str, ...], ticket: Ticket | None,
                 now: datetime) -> Schedule:
        """SPEC section 5: when an automatic mail may go, if at all."""
        for address in (a for a in rcpt if not self.internal(box, a)):
            reason = address_limit(address, self.store.auto_sent_to(address, now - HOUR),
                                   self.store.auto_sent_to(address, now - DAY), self.cfg.autoreply_limit)
            if reason:
                return Schedule(None, reason=reason, cause=f"address:{address}")
        if send.to is Audience.REQUESTER and ticket is not None and ticket.id is not None:
            cap = self.cfg.limits.ticket_mails_per_hour
            slot = ticket_slot(now, self.store.limited_slots(ticket.id, str(Audience.REQUESTER), now - HOUR), cap)
            if slot > now:
                return Schedule(slot, held=True, cause=f"ticket:{ticket.number}",
                                reason=f"limit of {cap} automatic mails per hour to the requester of this ticket")
        return Schedule(now)

    def limit_reached(self, box: MailboxConfig, send: Send, ticket: Ticket | None, when: Schedule,
                      now: datetime) -> None:
        """Record a held or unsent mail on the ticket; alert coordinators once a day per cause."""
        ticket_id = ticket.id if ticket else None
        kind = "send_held" if when.held else "send_suppressed"
        detail: dict[str, Any] = {"mail": send.kind, "reason": when.reason}
        if when.held and when.send_at is not None:
            detail["until"] = ts(when.send_at)
        self.store.add_event(box.name, ticket_id, now, "mailbot", kind, **detail)
        self.log.warning("mail_" + ("held" if when.held else "suppressed"), mailbox=box.name, kind=send.kind,
                         reason=when.reason)
        if self.store.event_exists(box.name, "rate_limit_alerted", now - DAY, key=when.cause):
            return
        self.store.add_event(box.name, ticket_id, now, "mailbot", "rate_limit_alerted", key=when.cause)
        until = when.send_at.astimezone(self.cfg.timezone).strftime("%Y-%m-%d %H:%M") if when.held and when.send_at else ""
        alert = Send("rate_limited", Audience.COORDINATORS, auto=AUTO_GENERATED,
                     context={"reason": when.reason, "held": when.held, "until": until,
                              "address": when.cause.partition(":")[2] if when.cause.startswith("address:") else ""})
        # Detached from the ticket's own thread counts; the coordinators are internal, never limited.
        self.enqueue(box, alert, replace(ticket, id=None) if ticket else None, None, now)

    def context(self, box: MailboxConfig, send: Send, ticket: Ticket | None, msg: InboundMessage | None,
                attachments: list[Attachment]) -> dict[str, Any]:
        cal = self.cfg.calendar
        language = ticket.language if ticket else self.cfg.language
        days = [WEEKDAYS.index(d) for d in cal.workdays]
        names = DAY_NAMES.get(language, DAY_NAMES["id"])
        text = send.text or ""
        if send.to is Audience.REQUESTER:
            text = redact(text, (*box.staff, *box.coordinators, *box.heads), box.address)
        requester = ticket.requester if ticket else None
        context: dict[str, Any] = {
            "unit": box.display_name,
            "unit_address": box.address,
            "number": ticket.number if ticket else "-",
            "tag": tag(box.tag_prefix, ticket.number) if ticket else "",
            "subject": ticket.subject if ticket else (msg.subject if msg else ""),
            "state": str(ticket.state) if ticket else "",
            "requester_name": requester.name if requester else "",
            "requester": requester.addr if requester else "",
            "requester_label": (f"{requester.name} <{requester.addr}>" if requester and requester.name
                                else (requester.addr if requester else "")),
            "sender": msg.from_addr.addr if msg else "",
            "text": text,
            "attachment_names": [a.filename for a in attachments],
            "first_response_hours": 4,
            "working_hours": f"{names[days[0]]}-{names[days[-1]]} {cal.hours}",
            "tz_label": TZ_LABELS.get(str(self.cfg.timezone), str(self.cfg.timezone)),
            "previous": None,
            "cited": None,
            "errors": [],
            "commands": [],
            "reason": "",
            "alert": "",
            "event": "",
            "rating": ticket.rating if ticket else None,
            "lkpp_ticket": ticket.lkpp_ticket if ticket else None,
            "note": text,
            "identity": {},
            "confirmed": False,
            "due": "",
            "timer": "",
            "reopen_days": self.cfg.reopen_days,
            "items": [],
        }
        deadlines = self.rules.deadlines(ticket.priority if ticket else None)
        context["first_response_hours"] = _number(deadlines.first_response)
        context["confirm_days"] = _number(deadlines.confirm_close)
        context["close_days"] = _number(deadlines.awaiting_info_close)
        if send.kind == "escalate" and ticket is not None:
            # SOP-015 step 1: the problem as the requester wrote it, then the staff note.
            problem = self.requester_messages(ticket)
            context["identity"] = identify(problem).as_dict()
            context["text"] = "\n\n".join((m.new_text or m.text).strip() for m in problem)
            context["note"] = text
        if send.attach == "lkpp" and ticket is not None:
            latest = self.latest_lkpp(ticket)
            if latest is not None:
                context["text"] = redact(latest.new_text or latest.text, (*box.staff, *box.coordinators, *box.heads),
                                         box.address)
        context.update(send.context)
        return context

    def requester_messages(self, ticket: Ticket) -> list[InboundMessage]:
        """The requester's messages on a ticket, re-read from the archive (escalation, SOP-015 step 1)."""
        found = []
        if ticket.id is not None:
            for row in self.store.messages_of(ticket.id):
                if row["direction"] == "in" and row["role"] == "requester":
                    archived = self.archive.load(row["archive_path"])
                    if archived:
                        found.append(archived)
        return found

    def latest_lkpp(self, ticket: Ticket) -> InboundMessage | None:
        if ticket.id is None:
            return None
        rows = [r for r in self.store.messages_of(ticket.id) if r["direction"] == "in" and r["role"] == "lkpp"]
        return self.archive.load(rows[-1]["archive_path"]) if rows else None

    def attachments(self, send: Send, ticket: Ticket | None, msg: InboundMessage | None) -> list[Attachment]:
        if send.attach == "inbound" and msg is not None:
            return list(msg.attachments)
        if send.attach == "lkpp" and ticket is not None:
            latest = self.latest_lkpp(ticket)
            return list(latest.attachments) if latest else []
        if send.attach == "ticket" and ticket is not None:
            # SOP-015 step 1: every attachment the requester sent on this ticket.
            return [a for m in self.requester_messages(ticket) for a in m.attachments]
        return []

    def thread_ids(self, box: MailboxConfig, ticket: Ticket | None, thread: str,
                  msg: InboundMessage | None) -> tuple[str | None, list[str]]:
        """In-Reply-To the latest mail of this audience's thread; References from its start."""
        if ticket is None or ticket.id is None:
            if msg is None:
                return None, []
            return msg.message_id, [*msg.references, msg.message_id]
        roles = {"requester": ("requester",), "staff": ("staff", "coordinator", "head"), "lkpp": ("lkpp",)}
        wanted = roles.get(thread)
        if wanted is None:
            return (msg.message_id, [*msg.references, msg.message_id]) if msg else (None, [])
        rows = [r for r in self.store.messages_of(ticket.id) if r["role"] in wanted]
        if msg is not None and thread == "staff" and not any(r["role"] in wanted for r in rows):
            rows = self.store.messages_of(ticket.id)[:1]  # the staff thread starts from the requester's mail
        ids = [r["message_id"] for r in rows]
        if not ids:
            return None, []
        return ids[-1], [ids[0], *ids[-9:]]

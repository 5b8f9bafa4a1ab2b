"""The ticket lifecycle: facts in, a decision out (SPEC section 4). Pure.

`decide()` takes the matched ticket (or none), the classified inbound message, the
policy and `now`, and returns the new ticket snapshot, the history events and the
mails to send, named by audience. It never reads the clock, a database or a server:
the daemon gathers the facts and applies the decision in one transaction.

The state machine is the `TRANSITIONS` table below: one row per event, one column
per state it is allowed in. A missing cell means the event is refused in that state.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from mailbot.core.commands import Command, ParsedCommands
from mailbot.core.model import (
    AUTO_GENERATED,
    AUTO_REPLIED,
    Audience,
    Contact,
    HistoryEvent,
    InboundMessage,
    Role,
    Send,
    State,
    Ticket,
)


class Event(enum.StrEnum):
    """Classified inbound events; the E-numbers are those of SPEC section 4."""

    REQUESTER_MAIL = "requester_mail"  # E2, E3 on awaiting_info, E5 on closed
    REQUESTER_CONFIRM = "requester_confirm"  # E4, confirmation
    REQUESTER_REJECT = "requester_reject"  # E4, anything else
    STAFF_REPLY = "staff_reply"  # E6
    STAFF_NOTE = "staff_note"  # E7
    STAFF_ESCALATE = "staff_escalate"  # E8
    STAFF_RESOLVE = "staff_resolve"  # E9
    STAFF_CLOSE = "staff_close"  # E10
    STAFF_META = "staff_meta"  # E11 alone
    STAFF_RELAY = "staff_relay"  # E12
    LKPP_NEED_INFO = "lkpp_need_info"  # E13
    LKPP_RESOLVED = "lkpp_resolved"  # E14
    LKPP_RETURNED = "lkpp_returned"  # E15
    LKPP_STATUS = "lkpp_status"  # E16
    LKPP_OTHER = "lkpp_other"  # E17


O, A, E, I, R, C = (State.OPEN, State.ANSWERED, State.ESCALATED, State.AWAITING_INFO, State.RESOLVED,
                    State.CLOSED)
_ALL = (O, A, E, I, R, C)

# event -> {state it may happen in: state it leads to}
TRANSITIONS: dict[Event, dict[State, State]] = {
    Event.REQUESTER_MAIL:    {O: O, A: O, E: E, I: E, R: O, C: O},
    Event.REQUESTER_CONFIRM: {R: C},
    Event.REQUESTER_REJECT:  {R: O},
    Event.STAFF_REPLY:       {O: A, A: A, E: E, I: I, R: R, C: A},
    Event.STAFF_NOTE:        {s: s for s in _ALL},
    Event.STAFF_META:        {s: s for s in _ALL},
    Event.STAFF_ESCALATE:    {O: E, A: E, R: E},
    Event.STAFF_RESOLVE:     {O: R, A: R, E: R, I: R},
    Event.STAFF_CLOSE:       {O: C, A: C, E: C, I: C, R: C},
    Event.STAFF_RELAY:       {O: O, A: A, E: E, I: I, R: R},
    Event.LKPP_NEED_INFO:    {E: I, I: I},
    Event.LKPP_RESOLVED:     {E: R, I: R},
    Event.LKPP_RETURNED:     {E: O, I: O},
    Event.LKPP_STATUS:       {E: E, I: I},
    Event.LKPP_OTHER:        {s: s for s in _ALL},
}

COMMAND_EVENTS = {
    "escalate": Event.STAFF_ESCALATE,
    "resolve": Event.STAFF_RESOLVE,
    "close": Event.STAFF_CLOSE,
    "relay": Event.STAFF_RELAY,
}


@dataclass(frozen=True)
class Decision:
    """What one inbound message changes. `ticket` is None when no ticket is touched."""

    ticket: Ticket | None
    new_ticket: bool = False
    events: tuple[HistoryEvent, ...] = ()
    sends: tuple[Send, ...] = ()
    label: str = ""  # short name of what happened, for logs and the message record


@dataclass(frozen=True)
class Policy:
    reopen_days: int = 14
    ack_max_age_hours: float = 72
    language: str = "id"
    relay_status: bool = True
    confirm_words: tuple[str, ...] = ("ya", "tutup", "selesai", "close", "yes", "ok")


@dataclass(frozen=True)
class Facts:
    """Everything the daemon learned about one inbound message before deciding."""

    message: InboundMessage
    role: Role
    ticket: Ticket | None
    via: str | None  # how the ticket was matched: "tag" | "reference" | None
    cited: Ticket | None  # a ticket whose tag a non-participant cited
    authenticated: bool
    auth_reason: str
    received_at: datetime  # when the message reached the mailbox
    title: str = ""  # the subject without reply prefixes and foreign tags
    commands: ParsedCommands | None = None
    lkpp_class: str | None = None  # need_info | resolved | returned | status | None
    lkpp_rule: str | None = None
    lkpp_ticket: str | None = None  # LKPP's own ticket number, when its mail carries one
    confirmation: tuple[bool, int | None] | None = None  # from the closing rules; None: built-in words
    category: tuple[str, str] | None = None  # (guessed category, rule) for a new ticket
    priority: tuple[str, str] | None = None  # (guessed priority, rule) for a new ticket
    contact: Contact = field(default_factory=Contact)  # consultation-form fields this requester message states
    content_hash: str | None = None  # what the message says (`parsers.content_hash`)
    reused_id: str | None = None  # the known Message-ID this different message reused


_RATING = re.compile(r"^\s*([a-z]+)[\s,.:;!-]*([1-5])?\b", re.IGNORECASE)


def read_confirmation(text: str, policy: Policy) -> tuple[bool, int | None]:
    """SPEC E4: the first line says YA/TUTUP/SELESAI/CLOSE, optionally with a rating 1-5."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    match = _RATING.match(first)
    if not match or match.group(1).lower() not in policy.confirm_words:
        return False, None
    rest = first[match.end():].strip(" .!,")
    if rest and not match.group(2) and len(rest.split()) > 3:
        return False, None  # "ya, tapi masih error ..." is not a confirmation
    return True, int(match.group(2)) if match.group(2) else None


def decide(facts: Facts, policy: Policy, now: datetime) -> Decision:
    """The effect of one inbound message (SPEC section 4)."""
    msg = facts.message
    if msg.is_automatic:
        return _automatic(facts)
    if facts.role in (Role.STAFF, Role.COORDINATOR, Role.HEAD):
        return _from_staff(facts, now)
    if facts.role is Role.LKPP:
        return _from_lkpp(facts, policy, now)
    return _from_requester(facts, policy, now)


# --- requester ---------------------------------------------------------------------------


def _open_ticket(facts: Facts, policy: Policy, now: datetime, reopened_from: Ticket | None = None) -> Decision:
    """E1: a new ticket, its acknowledgement and the staff notification (SOP-003 step 8)."""
    msg = facts.message
    ticket = Ticket(
        id=None,
        mailbox="",
        number="",  # the daemon allocates the number inside the transaction
        state=State.OPEN,
        requester=msg.from_addr,
        subject=facts.title or msg.subject,
        created_at=now,
        updated_at=now,
        language=policy.language,
        reopened_from=reopened_from.id if reopened_from else None,
        participants=frozenset({msg.from_addr.addr} | {a.addr for a in msg.cc}),
        contact=facts.contact,
    )
    if facts.category:
        ticket = replace(ticket, category=facts.category[0])
    if facts.priority:
        ticket = replace(ticket, priority=facts.priority[0])
    events = [HistoryEvent("ticket_opened", msg.from_addr.addr, {"subject": msg.subject})]
    for name, guess in (("category", facts.category), ("priority", facts.priority)):
        if guess:
            events.append(HistoryEvent(f"{name}_guessed", "mailbot", {"value": guess[0], "rule": guess[1]}))
    context: dict[str, object] = {}
    if reopened_from is not None:
        events.append(HistoryEvent("cites_ticket", "mailbot", {"number": reopened_from.number}))
        context["previous"] = reopened_from.number
    if facts.cited is not None:
        events.append(HistoryEvent("cites_ticket", "mailbot", {"number": facts.cited.number, "by": msg.from_addr.addr}))
        context["cited"] = facts.cited.number
    sends = []
    if now - facts.received_at <= timedelta(hours=policy.ack_max_age_hours):
        sends.append(Send("ack", Audience.REQUESTER, auto=AUTO_REPLIED, context=context))
    else:
        events.append(HistoryEvent("ack_skipped", "mailbot", {"reason": "older than ack_max_age_hours"}))
    sends.append(Send("staff_new", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=msg.new_text or msg.text,
                      context=context))
    return Decision(ticket, new_ticket=True, events=tuple(events), sends=tuple(sends), label="ticket_opened")


def _from_requester(facts: Facts, policy: Policy, now: datetime) -> Decision:
    ticket, msg = facts.ticket, facts.message
    if ticket is None:
        return _open_ticket(facts, policy, now)
    if ticket.state is State.CLOSED:
        closed_at = ticket.closed_at or ticket.updated_at
        if now - closed_at > timedelta(days=policy.reopen_days):
            return _open_ticket(facts, policy, now, reopened_from=ticket)  # E5, too late to reopen
    if ticket.state is State.RESOLVED:
        confirmed, rating = facts.confirmation or read_confirmation(msg.new_text, policy)
        if confirmed:  # E4, SOP-002 step 12: the requester confirms, the ticket closes
            new = _move(ticket, Event.REQUESTER_CONFIRM, now, closed_at=now, rating=rating)
            return Decision(
                new,
                events=(_state_event(ticket, new, msg.from_addr.addr), HistoryEvent(
                    "closing_confirmed", msg.from_addr.addr, {"rating": rating})),
                sends=(Send("closed", Audience.REQUESTER, auto=AUTO_REPLIED, context={"confirmed": True}),
                       Send("staff_update", Audience.STAFF, auto=AUTO_GENERATED, text=msg.new_text or msg.text,
                            context={"event": "confirmed", "rating": rating})),
                label="closing_confirmed",
            )
        new = _move(ticket, Event.REQUESTER_REJECT, now, assignee=ticket.resolved_by or ticket.assignee)
        return Decision(
            new,
            events=(_state_event(ticket, new, msg.from_addr.addr), HistoryEvent("closing_rejected", msg.from_addr.addr)),
            sends=(Send("staff_update", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=msg.new_text or msg.text,
                        context={"event": "rejected"}),),
            label="closing_rejected",
        )
    new = _move(ticket, Event.REQUESTER_MAIL, now)
    new = replace(new, participants=new.participants | {msg.from_addr.addr},
                  contact=ticket.contact.merged(facts.contact))
    events = [HistoryEvent("message_appended", msg.from_addr.addr, {"via": facts.via})]
    if new.state != ticket.state:
        events.append(_state_event(ticket, new, msg.from_addr.addr))
    sends = [Send("staff_update", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=msg.new_text or msg.text,
                  context={"event": "reopened" if ticket.state is State.CLOSED else "requester"})]
    if ticket.state is State.AWAITING_INFO:
        # SOP-015 step 9: the requester's additional data goes to LKPP at once.
        sends.insert(0, Send("forward_info", Audience.LKPP, attach="inbound", text=msg.new_text or msg.text))
        events.append(HistoryEvent("info_forwarded", "mailbot"))
    return Decision(new, events=tuple(events), sends=tuple(sends), label="message_appended")


# --- staff -------------------------------------------------------------------------------


def _from_staff(facts: Facts, now: datetime) -> Decision:
    ticket, msg = facts.ticket, facts.message
    actor = msg.from_addr.addr
    if ticket is None:
        return Decision(None, sends=(Send("staff_no_ticket", Audience.SENDER, auto=AUTO_REPLIED),),
                        events=(HistoryEvent("staff_mail_unmatched", actor),), label="staff_unmatched")
    if not facts.authenticated:
        # E19 / SPEC section 9: kept as an unverified note, coordinators alerted, nothing runs.
        return Decision(
            ticket,
            events=(HistoryEvent("unverified_note", actor, {"reason": facts.auth_reason}),),
            sends=(Send("unverified", Audience.COORDINATORS, auto=AUTO_GENERATED, text=msg.new_text or msg.text,
                        context={"reason": facts.auth_reason, "sender": actor}),),
            label="unverified_note",
        )
    parsed = facts.commands
    assert parsed is not None
    if parsed.errors:
        return _command_error(ticket, actor, parsed.errors)
    state_command = parsed.state_command
    if state_command is None:
        if parsed.has("note"):
            new = replace(ticket, updated_at=now)
            new = _apply_meta(new, parsed.commands)
            return Decision(new, events=(HistoryEvent("note", actor, {"text": parsed.body}), *_meta_events(
                ticket, parsed.commands, actor)), sends=_confirm(parsed.commands), label="note")
        if parsed.commands:  # metadata only
            new = _apply_meta(replace(ticket, updated_at=now), parsed.commands)
            return Decision(new, events=_meta_events(ticket, parsed.commands, actor), sends=_confirm(parsed.commands),
                            label="metadata_changed")
        return _staff_reply(facts, ticket, parsed, now)
    event = COMMAND_EVENTS[state_command.name]
    if ticket.state not in TRANSITIONS[event]:
        return _command_error(ticket, actor, (f"#{state_command.name} is not possible while the ticket is {ticket.state}",))
    return _state_command(facts, ticket, parsed, state_command, event, now)


def _staff_reply(facts: Facts, ticket: Ticket, parsed: ParsedCommands, now: datetime) -> Decision:
    """E6: the new text goes to the requester From the unit; first response recorded."""
    actor = facts.message.from_addr.addr
    if not parsed.body.strip() and not facts.message.attachments:
        return Decision(ticket, events=(HistoryEvent("empty_staff_reply", actor),), label="empty_staff_reply")
    new = _move(ticket, Event.STAFF_REPLY, now, first_response_at=ticket.first_response_at or now)
    events = [HistoryEvent("staff_replied", actor)]
    if new.state != ticket.state:
        events.append(_state_event(ticket, new, actor))
    return Decision(new, events=tuple(events),
                    sends=(Send("staff_reply", Audience.REQUESTER, attach="inbound", text=parsed.body),),
                    label="staff_replied")


def _state_command(facts: Facts, ticket: Ticket, parsed: ParsedCommands, command: Command, event: Event,
                   now: datetime) -> Decision:
    actor = facts.message.from_addr.addr
    base = _apply_meta(ticket, parsed.commands)
    sends: list[Send] = []
    changes: dict[str, object] = {}
    if event is Event.STAFF_ESCALATE:
        # SOP-015 step 1: the whole problem goes to the LKPP helpdesk.
        sends += [Send("escalate", Audience.LKPP, attach="ticket", text=parsed.body),
                  Send("escalated_user", Audience.REQUESTER, auto=AUTO_REPLIED)]
        changes = {"first_response_at": ticket.first_response_at or now}  # the requester has been answered
    elif event is Event.STAFF_RESOLVE:
        sends.append(Send("resolved", Audience.REQUESTER, attach="inbound", text=parsed.body))
        changes = {"resolved_at": now, "resolved_by": actor,
                   "first_response_at": ticket.first_response_at or now}
    elif event is Event.STAFF_CLOSE:
        changes = {"closed_at": now}
        if command.arg != "silent":
            sends.append(Send("closed", Audience.REQUESTER, auto=AUTO_REPLIED))
    elif event is Event.STAFF_RELAY:
        sends.append(Send("relay", Audience.REQUESTER, attach="lkpp"))
    new = _move(base, event, now, **changes)
    events = [HistoryEvent(f"command_{command.name}", actor, {"note": parsed.body} if parsed.body else {}),
              *_meta_events(ticket, parsed.commands, actor)]
    if new.state != ticket.state:
        events.append(_state_event(ticket, new, actor))
    sends.extend(_confirm(parsed.commands))
    return Decision(new, events=tuple(events), sends=tuple(sends), label=f"command_{command.name}")


def _command_error(ticket: Ticket | None, actor: str, errors: tuple[str, ...]) -> Decision:
    """E18: only the sender hears about it; nothing else happens."""
    return Decision(ticket, events=(HistoryEvent("command_rejected", actor, {"errors": list(errors)}),),
                    sends=(Send("command_error", Audience.SENDER, auto=AUTO_REPLIED, context={"errors": list(errors)}),),
                    label="command_rejected")


def _confirm(commands: tuple[Command, ...]) -> tuple[Send, ...]:
    """Each executed command is confirmed to its sender in one short mail."""
    if not commands:
        return ()
    return (Send("command_ok", Audience.SENDER, auto=AUTO_REPLIED,
                 context={"commands": [(c.name, c.arg) for c in commands]}),)


def _apply_meta(ticket: Ticket, commands: tuple[Command, ...]) -> Ticket:
    for command in commands:
        if command.name == "priority":
            ticket = replace(ticket, priority=command.arg)
        elif command.name == "category":
            ticket = replace(ticket, category=command.arg)
        elif command.name == "assign":
            ticket = replace(ticket, assignee=command.arg)
    return ticket


def _meta_events(ticket: Ticket, commands: tuple[Command, ...], actor: str) -> tuple[HistoryEvent, ...]:
    fields = {"priority": ticket.priority, "category": ticket.category, "assign": ticket.assignee}
    return tuple(
        HistoryEvent(f"{c.name}_changed", actor, {"from": fields[c.name], "to": c.arg})
        for c in commands if c.name in fields
    )


# --- LKPP --------------------------------------------------------------------------------

LKPP_EVENTS = {
    "need_info": Event.LKPP_NEED_INFO,
    "resolved": Event.LKPP_RESOLVED,
    "returned": Event.LKPP_RETURNED,
    "status": Event.LKPP_STATUS,
}


def _from_lkpp(facts: Facts, policy: Policy, now: datetime) -> Decision:
    ticket, msg = facts.ticket, facts.message
    actor = msg.from_addr.addr
    if ticket is None:
        return Decision(None, events=(HistoryEvent("lkpp_unmatched", actor),),
                        sends=(Send("staff_unmatched", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound",
                                    text=msg.new_text or msg.text),), label="lkpp_unmatched")
    if not facts.authenticated:
        return Decision(ticket, events=(HistoryEvent("unverified_note", actor, {"reason": facts.auth_reason}),),
                        sends=(Send("unverified", Audience.STAFF, cc=(Audience.COORDINATORS,), auto=AUTO_GENERATED,
                                    text=msg.new_text or msg.text, context={"reason": facts.auth_reason, "sender": actor}),),
                        label="unverified_note")
    event = LKPP_EVENTS.get(facts.lkpp_class or "", Event.LKPP_OTHER)
    if ticket.state not in TRANSITIONS[event]:
        event = Event.LKPP_OTHER
    new = _move(ticket, event, now)
    events = [HistoryEvent("lkpp_replied", actor, {"class": facts.lkpp_class, "rule": facts.lkpp_rule})]
    if facts.lkpp_ticket and facts.lkpp_ticket != ticket.lkpp_ticket:
        new = replace(new, lkpp_ticket=facts.lkpp_ticket)
        events.append(HistoryEvent("lkpp_ticket_recorded", actor, {"lkpp_ticket": facts.lkpp_ticket}))
    if new.state != ticket.state:
        events.append(_state_event(ticket, new, actor))
    text = msg.new_text or msg.text
    staff = Send("staff_lkpp", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=text,
                 context={"event": str(event)})
    sends: list[Send] = []
    if event is Event.LKPP_NEED_INFO:  # SOP-015 step 7: the request goes on to the requester
        sends.append(Send("need_info", Audience.REQUESTER, attach="inbound", text=text))
    elif event is Event.LKPP_RESOLVED:  # SOP-015 step 13
        new = replace(new, resolved_at=now, resolved_by=actor)
        sends.append(Send("resolved_lkpp", Audience.REQUESTER, attach="inbound", text=text))
    elif event is Event.LKPP_STATUS and policy.relay_status:  # SOP-015 steps 12 and 14
        sends.append(Send("status_user", Audience.REQUESTER, auto=AUTO_GENERATED, text=text))
    sends.append(staff)
    return Decision(new, events=tuple(events), sends=tuple(sends), label=str(event))


# --- automatic mail ----------------------------------------------------------------------


def _automatic(facts: Facts) -> Decision:
    """SPEC section 5: recorded, never answered; a bounce of our mail alerts staff."""
    msg = facts.message
    detail = {"reason": msg.auto_reason}
    if facts.ticket is None:
        return Decision(None, events=(HistoryEvent("automatic_unmatched", msg.from_addr.addr, detail),),
                        label="automatic_unmatched")
    if msg.is_bounce:
        return Decision(facts.ticket, events=(HistoryEvent("bounce_received", msg.from_addr.addr, detail),),
                        sends=(Send("staff_alert", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound",
                                    text=msg.text, context={"alert": "bounce", "reason": msg.auto_reason}),),
                        label="bounce_received")
    return Decision(facts.ticket, events=(HistoryEvent("automatic_recorded", msg.from_addr.addr, detail),),
                    label="automatic_recorded")


# --- helpers -----------------------------------------------------------------------------


def _move(ticket: Ticket, event: Event, now: datetime, **changes: object) -> Ticket:
    target = TRANSITIONS[event][ticket.state]
    if target is not State.CLOSED and ticket.state is State.CLOSED:
        changes.setdefault("closed_at", None)
    return replace(ticket, state=target, updated_at=now, **changes)  # type: ignore[arg-type]


def _state_event(old: Ticket, new: Ticket, actor: str) -> HistoryEvent:
    return HistoryEvent("state_changed", actor, {"from": str(old.state), "to": str(new.state)})


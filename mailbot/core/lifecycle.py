"""The ticket lifecycle as one table (SPEC section 4): facts in, a decision out. Pure.

Each row of `TABLE` says, for an event and the states it may happen in, the state it
leads to and the effects it has, and cites the SOP step it implements. Effects are
names: `EFFECTS` maps each name to a small function that changes the ticket, records
history or asks for a mail (`Send`). `decide()` only looks the row up and runs its
effects, so what a message does is read in the table, not in branches.

An event the table does not allow in the ticket's state is `refused`: a staff command
answers the sender with `command_error`, an LKPP reply is passed to staff as
unclassified (E17). A message that claims a role it cannot prove is `UNVERIFIED`
(E19), whatever it says: `_UNPROVEN` holds that rule and the others of SPEC 9, a row
each, read before the table.

The effects of calls and visits live in `intake_effects`, those of asking the coordinators
and the heads for their word in `directions`; the values decided on and the decision being
built, in `facts` and `step`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from mailbot.core.commands import READ_ONLY, Command
from mailbot.core.counterpart import LPSE_SUPPORT, Reference
from mailbot.core.directions import DIRECTION_EFFECTS
from mailbot.core.facts import Event, Facts, Policy
from mailbot.core.intake_effects import INTAKE_EFFECTS, held_ticket, intake_context, remind_held
from mailbot.core.model import (
    AUTO_GENERATED,
    AUTO_REPLIED,
    Audience,
    InboundMessage,
    Refusal,
    Role,
    State,
    ThreadMessage,
    Ticket,
    has_mailbox,
)
from mailbot.core.reuse import REUSE_EFFECTS
from mailbot.core.step import Decision, Effect, Step
from mailbot.core.trust import Citation, Trust

# `Event`, `Facts`, `Policy` (`facts`), `Decision` (`step`) and the held forms' helpers
# (`intake_effects`) are imported from here too: this module is the lifecycle's front.
# `__all__` lists only these re-exports (mypy's explicit re-export), as in `daemon`.
__all__ = ["Decision", "Event", "Facts", "Policy", "held_ticket", "intake_context", "remind_held"]


@dataclass(frozen=True)
class Row:
    """One line of the table: where an event leads from a state, what it does, and why."""

    to: State | None  # None: the ticket stays in its state (or there is no ticket)
    effects: tuple[str, ...]
    sop: str


NONE = None  # the "state" of a message that matches no ticket
_STATES = {"-": NONE, "O": State.OPEN, "A": State.ANSWERED, "E": State.ESCALATED, "I": State.AWAITING_INFO,
           "R": State.RESOLVED, "C": State.CLOSED}
# what every staff command also does: `#data`, E11's metadata and E12h's history ride along with any command
_STAFF_CMD = ("set_contact", "apply_meta", "send_ack", "confirm_commands", "send_history", "answer_direction")

# event                   from        to   effects                                                     SOP / SPEC
_ROWS: tuple[tuple[Event, str, str, tuple[str, ...], str], ...] = (
    (Event.REQUESTER_NEW, "-", "O", ("open_ticket", "acknowledge", "notify_new"), "E1; SOP-003 step 8"),
    (Event.REQUESTER_MAIL, "O A", "O", ("append", "notify_requester"), "E2"),
    (Event.REQUESTER_MAIL, "E", "E", ("append", "notify_requester"), "E2"),
    (Event.REQUESTER_MAIL, "I", "E", ("append", "forward_info", "notify_requester"), "E3; SOP-015 step 9"),
    (Event.REQUESTER_DATA, "I", "O", ("append", "notify_requester"),
     "E12g: the documents the unit asked for, to staff; the 3x24h clock runs again"),
    (Event.REQUESTER_MAIL, "C", "O", ("append", "reopen", "notify_reopened"), "E5"),
    (Event.REQUESTER_AGAIN, "O A E", "", ("append",), "SPEC 3: mail that arrives twice adds, no new ticket"),
    (Event.REQUESTER_EMPTY, "I E", "", ("append", "notify_requester"), "E3: nothing to pass on to LKPP; staff see it"),
    (Event.REQUESTER_MORE_INFO, "E", "E", ("append", "forward_info", "notify_requester"), "E3; SOP-015 step 9"),
    (Event.REQUESTER_CONFIRM, "R", "C", ("confirm_closing", "tell_closed", "notify_confirmed"),
     "E4; SOP-002 step 12"),
    (Event.REQUESTER_REJECT, "R", "O", ("assign_back", "notify_rejected"), "E4; SOP-002 step 5"),
    (Event.REQUESTER_SILENT, "R", "R", ("note_silent", "notify_silent"), "E4"),
    (Event.REQUESTER_SILENT, "C", "", ("append", "note_silent"), "E5: nothing new, no reopening"),
    (Event.REQUESTER_LATE_CONFIRM, "C", "", ("append", "rate_late", "notify_late_confirmed"),
     "E5: a thanks or a rating after closing, no reopening; SOP-002 step 12"),
    (Event.STAFF_REPLY, "O A C", "A", ("relay_reply", "first_response", *_STAFF_CMD), "E6"),
    (Event.STAFF_REPLY, "E I R", "", ("relay_reply", "first_response", *_STAFF_CMD), "E6"),
    (Event.STAFF_EMPTY, "O A E I R C", "", ("tell_empty",), "E6"),
    (Event.STAFF_NOTE, "O A E I R C", "", ("note", *_STAFF_CMD), "E7"),
    (Event.STAFF_META, "O A E I R C", "", ("keep_text", *_STAFF_CMD), "E11"),
    (Event.STAFF_DATA, "O A E I R C", "", ("keep_text", *_STAFF_CMD), "E12c; SOP-003"),
    (Event.STAFF_HISTORY, "O A E I R C", "", ("keep_text", *_STAFF_CMD), "E12h: read only, to its asker alone"),
    (Event.STAFF_ESCALATE, "O A R", "E", ("escalate", "tell_escalated", "first_response", *_STAFF_CMD),
     "E8; SOP-015 step 1"),
    (Event.STAFF_LPSE_SUPPORT, "O A R", "E", ("file_lpse_support", "tell_escalated", "first_response", *_STAFF_CMD),
     "E12e; SOP-004 section 2, section 3 step 7: escalated through LPSE Support, by hand"),
    (Event.STAFF_LPSE_SUPPORT, "E I", "", ("file_lpse_support", *_STAFF_CMD),
     "E12e: a case already with LKPP filed in LPSE Support too: its number recorded"),
    (Event.STAFF_RESOLVE, "O A E I", "R", ("relay_solution", "mark_resolved", "first_response", *_STAFF_CMD),
     "E9"),
    (Event.STAFF_ANSWER_PREVIEW, "O A E I", "", ("preview_answer", "set_contact", "apply_meta", "send_ack"),
     "E9; issue 59: a solved case's answer is shown to staff before it goes to another requester"),
    (Event.STAFF_CLOSE, "O A E I R", "C", ("mark_closed", "tell_closed", *_STAFF_CMD), "E10"),
    (Event.STAFF_RELAY, "O A E I R", "", ("relay_lkpp", *_STAFF_CMD), "E12"),
    (Event.STAFF_NEED_INFO, "E I", "I", ("relay_lkpp_request", *_STAFF_CMD), "E12a; SOP-015 steps 7-9"),
    (Event.STAFF_REQUEST_INFO, "O A", "I", ("request_info", "first_response", *_STAFF_CMD),
     "E12g; seed 002: 3x24 hours counts once the supporting documents are complete"),
    (Event.STAFF_COORDINATOR, "O A E I R", "", ("ask_coordinators", *_STAFF_CMD),
     "E12b; SOP-002 step 3, SOP-004 steps 5-6"),
    (Event.STAFF_REPORT_HEAD, "O A E I R", "", ("report_to_heads", *_STAFF_CMD),
     "E12f; SOP-004 section 1 step 7: what the unit could not resolve, reported to the head of unit"),
    (Event.DIRECTION, "O A E I R C", "", ("record_direction", "pass_direction", "answer_direction"),
     "E12d; SOP-004 steps 5, 8"),
    (Event.LKPP_NEED_INFO, "E I", "I", ("lkpp_reply", "relay_request", "notify_lkpp"), "E13; SOP-015 steps 5-7"),
    (Event.LKPP_RESOLVED, "E I", "R", ("lkpp_reply", "mark_resolved", "relay_lkpp_solution", "notify_lkpp"),
     "E14; SOP-015 step 13"),
    (Event.LKPP_RETURNED, "E I", "O", ("lkpp_reply", "notify_lkpp"), "E15; SOP-015 steps 3-4"),
    (Event.LKPP_STATUS, "E I", "", ("lkpp_reply", "tell_status", "notify_lkpp"), "E16; SOP-015 steps 12, 14"),
    (Event.LKPP_OTHER, "O A E I R C", "", ("lkpp_reply", "notify_lkpp"), "E17"),
    (Event.LKPP_ACK, "O A E I R C", "", ("lkpp_reply", "notify_lkpp"), "SPEC 3: LKPP's ticket number"),
    (Event.COMMAND_ERROR, "- O A E I R C", "", ("reject_command",), "E18"),
    (Event.UNVERIFIED, "O A E I R C", "", ("unverified_note", "alert_unverified"), "E19; SPEC 9"),
    (Event.STAFF_UNMATCHED, "-", "-", ("tell_no_ticket",), "SPEC 3"),
    (Event.STAFF_INTAKE, "-", "O", ("open_intake", "apply_meta", "acknowledge_caller", "tell_intake"),
     "SPEC 3; SOP-003 step 8: the number to the caller and to staff within 10 minutes"),
    (Event.STAFF_INTAKE_ANSWERED, "-", "R",
     ("open_intake", "apply_meta", "mark_resolved", "relay_intake_answer", "tell_intake"),
     "SPEC 3; SOP-003 steps 6-7: the answer given on the spot, kept as the solution"),
    (Event.STAFF_INTAKE_HELD, "-", "-", ("hold_intake",), "SPEC 3, 9: a new mail proves no sender; it confirms"),
    (Event.STAFF_INTAKE_CANCELLED, "-", "-", ("cancel_intake",),
     "SPEC 3, 9: only `#buka` opens a held form; any other answer cancels it, coordinators told"),
    (Event.INTAKE_NOT_STAFF, "-", "-", ("refuse_intake",), "SPEC 3, 9: only the unit's staff write down calls"),
    (Event.DIRECTION_GENERAL, "-", "-", ("record_general_direction", "pass_direction"), "E12d; SOP-004 step 8"),
    (Event.LKPP_UNMATCHED, "-", "-", ("pass_unmatched",), "SPEC 3"),
    (Event.AUTOMATIC, "- O A E I R C", "", ("record_automatic",), "SPEC 5"),
    (Event.BOUNCE, "O A E I R C", "", ("record_bounce", "alert_bounce"), "SPEC 5"),
    (Event.ESCALATION_BOUNCED, "E", "O", ("record_bounce", "alert_lkpp_bounce"),
     "SOP-015 step 1: LKPP never had the case; staff decide"),
    (Event.ESCALATION_BOUNCED, "O A I R C", "", ("record_bounce", "alert_lkpp_bounce"), "SOP-015 step 1"),
    (Event.INFO_BOUNCED, "E", "I", ("record_bounce", "alert_lkpp_bounce"),
     "SOP-015 step 9: LKPP still waits for the data"),
    (Event.INFO_BOUNCED, "O A I R C", "", ("record_bounce", "alert_lkpp_bounce"), "SOP-015 step 9"),
    (Event.DELIVERY_NOTICE, "O A E I R C", "", ("record_delivery",), "SPEC 5: a delay is no failure"),
)


def _build(rows: tuple[tuple[Event, str, str, tuple[str, ...], str], ...]) -> dict[tuple[Event, State | None], Row]:
    table: dict[tuple[Event, State | None], Row] = {}
    for event, sources, target, effects, sop in rows:
        for letter in sources.split():
            state = _STATES[letter]
            table[(event, state)] = Row(_STATES[target] if target else state, effects, sop)
    return table


TABLE: dict[tuple[Event, State | None], Row] = _build(_ROWS)

# Staff commands the table refuses in a state answer only their sender; LKPP replies
# whose class does not fit the state are passed to staff as unclassified.
STAFF_COMMANDS = frozenset({Event.STAFF_ESCALATE, Event.STAFF_RESOLVE, Event.STAFF_CLOSE, Event.STAFF_RELAY,
                            Event.STAFF_NEED_INFO, Event.STAFF_COORDINATOR, Event.STAFF_NOTE, Event.STAFF_META,
                            Event.STAFF_DATA, Event.STAFF_HISTORY, Event.STAFF_REPLY, Event.STAFF_EMPTY,
                            Event.STAFF_LPSE_SUPPORT, Event.STAFF_REPORT_HEAD, Event.STAFF_REQUEST_INFO,
                            Event.STAFF_ANSWER_PREVIEW})
LKPP_CLASSES = {"need_info": Event.LKPP_NEED_INFO, "resolved": Event.LKPP_RESOLVED,
                "returned": Event.LKPP_RETURNED, "status": Event.LKPP_STATUS}
NEEDS_TRUST = frozenset({Role.STAFF, Role.COORDINATOR, Role.HEAD, Role.LKPP})
INTAKES = frozenset({Event.STAFF_INTAKE, Event.STAFF_INTAKE_ANSWERED})  # a call or visit opening a ticket
UNVERIFIED_LABEL = "unverified_note"
AUTOMATIC_UNMATCHED = "automatic_unmatched"  # the label of automatic mail that matches no ticket
COPY_LABEL = "copy_appended"  # the label of a requester's copy of the mail that opened its ticket (SPEC 3)
# What a ticket's next staff notice shows from the machine mail before it, which sent no
# notice of its own: a delay warning, a delivery report, LKPP's desk's auto-reply or status
# notice (SPEC 5: recorded, never answered, yet staff see it).
UNSHOWN_KINDS = ("delivery_reported", "automatic_recorded", "lkpp_notice")


def vouches(citations: Iterable[Citation]) -> bool:
    """Whether a staff message answers an `unverified` alert: staff who read the LKPP mail
    that failed authentication and relay it (`#teruskan`, `#permintaan-data`) vouch for it,
    as for LKPP's own ticket system whose agents cite only its number (SPEC 9)."""
    return any(c.kind == "unverified" for c in citations)


def alerts_answered(citations: Iterable[Citation]) -> frozenset[str]:
    """The Message-IDs of the `unverified` alerts a staff message answers (`vouches`)."""
    return frozenset(c.message_id for c in citations if c.kind == "unverified" and c.message_id)


def lkpp_answers(thread: Iterable[ThreadMessage], alerts: frozenset[str]) -> list[ThreadMessage]:
    """A ticket's inbound LKPP messages that staff may pass on, oldest first: no automatic
    mail, and an unverified one only when `alerts` holds the alert that showed it (SPEC 9:
    staff vouch for what they read, never for a later message nobody checked). An alert is
    queued in the unit of work of the message it is about, so it follows that message in
    the thread with nothing inbound between them."""
    thread = list(thread)
    shown = _shown_by(thread, alerts)
    never = not_an_answer(False)
    return [m for m in thread if m.direction == "in" and m.role == "lkpp"
            and (m.kind not in never or (m.kind == UNVERIFIED_LABEL and m.message_id in shown))]


def _shown_by(thread: list[ThreadMessage], alerts: frozenset[str]) -> frozenset[str]:
    """The Message-IDs of the inbound messages the `alerts` showed: each alert's inbound one before it."""
    shown: set[str] = set()
    last_in = ""
    for m in thread:
        if m.direction == "in":
            last_in = m.message_id
        elif m.message_id in alerts and last_in:
            shown.add(last_in)
    return frozenset(shown)


def lkpp_spoke(facts: Facts, trust: Trust, label: str, citations: Iterable[Citation]) -> bool:
    """Whether the message is word from LKPP for its timers (SOP-015 steps 12, 14): an
    authenticated LKPP message, or staff relaying (`#teruskan`, `#permintaan-data`) an LKPP
    message they vouch for by answering its `unverified` alert, as for LKPP's own ticket
    system: LKPP answered, so it is not asked again for a status it gave."""
    if facts.role is Role.LKPP:
        return trust.authenticated and not facts.message.is_automatic
    return label in _RELAYS and vouches(citations)


def not_an_answer(vouched: bool) -> frozenset[str]:
    """The kinds of inbound LKPP mail never relayed; unverified mail only when vouched for."""
    return NOT_AN_ANSWER if vouched else NOT_AN_ANSWER | {UNVERIFIED_LABEL}


# How a decision is named in logs, `replay` and the message record.
LABELS = {Event.REQUESTER_NEW: "ticket_opened", Event.REQUESTER_MAIL: "message_appended",
          Event.REQUESTER_MORE_INFO: "message_appended", Event.REQUESTER_AGAIN: COPY_LABEL,
          Event.REQUESTER_EMPTY: "nothing_for_lkpp",
          Event.REQUESTER_CONFIRM: "closing_confirmed", Event.REQUESTER_REJECT: "closing_rejected",
          Event.REQUESTER_LATE_CONFIRM: "confirmed_after_closing",
          Event.STAFF_REPLY: "staff_replied", Event.STAFF_EMPTY: "empty_staff_reply", Event.STAFF_NOTE: "note",
          Event.STAFF_META: "metadata_changed", Event.STAFF_ESCALATE: "command_escalate",
          Event.STAFF_RESOLVE: "command_resolve", Event.STAFF_CLOSE: "command_close",
          Event.STAFF_RELAY: "command_relay", Event.STAFF_NEED_INFO: "command_need_info",
          Event.STAFF_COORDINATOR: "command_coordinator", Event.STAFF_DATA: "contact_changed",
          Event.STAFF_HISTORY: "history_requested", Event.STAFF_LPSE_SUPPORT: "command_lpse_support",
          Event.STAFF_REPORT_HEAD: "command_report_head", Event.STAFF_REQUEST_INFO: "command_request_info",
          Event.REQUESTER_DATA: "message_appended", Event.STAFF_ANSWER_PREVIEW: "answer_previewed",
          Event.COMMAND_ERROR: "command_rejected", Event.UNVERIFIED: UNVERIFIED_LABEL,
          Event.AUTOMATIC: "automatic_recorded", Event.BOUNCE: "bounce_received",
          Event.ESCALATION_BOUNCED: "bounce_received", Event.INFO_BOUNCED: "bounce_received",
          Event.DELIVERY_NOTICE: "delivery_reported",
          Event.STAFF_INTAKE: "intake_opened", Event.STAFF_INTAKE_ANSWERED: "intake_answered",
          Event.STAFF_INTAKE_HELD: "intake_held", Event.STAFF_INTAKE_CANCELLED: "intake_cancelled",
          Event.INTAKE_NOT_STAFF: "intake_not_staff"}
# What an inbound LKPP message was decided to be when it is nobody's answer: `#teruskan`
# and `#permintaan-data` never pass it to the requester (SPEC 5: automatic mail is
# recorded, never acted on). An unverified one (UNVERIFIED_LABEL) is passed on only by
# staff who answer the `unverified` alert that showed it to them (SPEC 9: they decide).
_RELAYS = frozenset({LABELS[Event.STAFF_RELAY], LABELS[Event.STAFF_NEED_INFO]})
NOT_AN_ANSWER = frozenset({LABELS[Event.AUTOMATIC], AUTOMATIC_UNMATCHED, LABELS[Event.BOUNCE], str(Event.LKPP_ACK),
                           LABELS[Event.DELIVERY_NOTICE]})


def escalation_refused(ticket: Ticket, at: datetime) -> Ticket | None:
    """LKPP's server refused the escalation for good (a final SMTP failure, SPEC 5): LKPP
    never had the case, so it is the unit's again (`open`, waiting for staff) rather than
    `escalated`, with status requests chasing LKPP about mail it never received. None when
    the ticket has left `escalated` meanwhile (LKPP answered some other way, staff acted)."""
    return ticket.moved(State.OPEN, at) if ticket.state is State.ESCALATED else None


def info_refused(ticket: Ticket, at: datetime) -> Ticket | None:
    """LKPP's server refused for good the requester's data sent on to it (`forward_info`,
    SOP-015 step 9): LKPP still waits for that data, so the ticket waits for the requester
    again (`awaiting_info`: LKPP's timers pause, the requester is reminded, their next mail
    goes on to LKPP at once) rather than `escalated`, with LKPP chased for progress on data
    it never received. None when the ticket has left `escalated` meanwhile."""
    return ticket.moved(State.AWAITING_INFO, at) if ticket.state is State.ESCALATED else None


def row_for(event: Event, state: State | None) -> tuple[Event, Row]:
    """The table's row for `event` in `state`, after the refusals of the module docstring."""
    if (event, state) in TABLE:
        return event, TABLE[(event, state)]
    if event in LKPP_CLASSES.values() and (Event.LKPP_OTHER, state) in TABLE:
        return Event.LKPP_OTHER, TABLE[(Event.LKPP_OTHER, state)]
    return Event.COMMAND_ERROR, TABLE[(Event.COMMAND_ERROR, state)]


@dataclass(frozen=True)
class Unproven:
    """SPEC 9, as a row: what a message whose sender proved nothing (`Trust.authenticated`
    false) becomes instead of its classified event. `refusal`: the code its sender is told."""

    name: str
    applies: Callable[[Facts], bool]
    becomes: Event
    spec: str
    refusal: str | None = None


def _new_form(facts: Facts) -> bool:
    """A call or visit written down in a new mail, not the reply that confirms a held one."""
    assert facts.intake is not None
    return facts.intake.number is None


# Read top to bottom, the first row that applies decides. Each row reads the role, the
# event and what the message is; none reads a number its sender could count (a ticket's,
# a desk's): those only ever match mail to a ticket, and matching proves nothing.
_UNPROVEN: tuple[Unproven, ...] = (
    # issue 58: a claim of a resolution (or a command) is worth the same alert whatever its
    # headers: a forger who adds `Auto-Submitted` or `Precedence: bulk` gains nothing by it
    Unproven("a claim not proven on a ticket, automatic or not",
             lambda f: f.role in NEEDS_TRUST and f.ticket is not None and f.claims is not None,
             Event.UNVERIFIED, "E19; SPEC 9: whatever its headers, staff decide"),
    Unproven("role not proven on a ticket",
             lambda f: f.role in NEEDS_TRUST and f.ticket is not None and not f.message.is_automatic,
             Event.UNVERIFIED, "E19; SPEC 9: whatever it says, staff decide"),
    Unproven("direction about no ticket", lambda f: f.event is Event.DIRECTION_GENERAL,
             Event.STAFF_UNMATCHED, "E12d; SPEC 9: no proof of the role, only its sender is answered"),
    Unproven("answer to a held form", lambda f: f.event is Event.STAFF_INTAKE_CANCELLED,
             Event.COMMAND_ERROR, "SPEC 3, 9: it cancels nothing", refusal="intake_unverified"),
    Unproven("new call or visit", lambda f: f.event in INTAKES and _new_form(f),
             Event.STAFF_INTAKE_HELD, "SPEC 3, 9: a new mail proves no sender; its sender confirms it by replying"),
    Unproven("confirmation of a held form", lambda f: f.event in INTAKES,
             Event.COMMAND_ERROR, "SPEC 3, 9: it opens nothing and says why", refusal="intake_unverified"),
    Unproven("LKPP's reference alone", lambda f: f.event is Event.LKPP_ACK and not f.lkpp_ticket,
             Event.AUTOMATIC, "SPEC 9: a counterpart reference counts only from LKPP's verified mail"),
)


def unproven(facts: Facts, trust: Trust) -> tuple[Event, Facts]:
    """The event the table looks up, and the facts it runs on, after `_UNPROVEN`."""
    if trust.authenticated:
        return facts.event, facts
    rule = next((r for r in _UNPROVEN if r.applies(facts)), None)
    if rule is None:
        return facts.event, facts
    if rule.refusal is not None:
        facts = replace(facts, errors=(Refusal(rule.refusal, value=trust.reason),))
    return rule.becomes, facts


def decide(facts: Facts, trust: Trust, policy: Policy, now: datetime) -> Decision:
    """The effect of one classified, authenticated (or not) message (SPEC section 4)."""
    event, facts = unproven(facts, trust)
    state = facts.ticket.state if facts.ticket else None
    event, row = row_for(event, state)
    step = Step(facts, trust, policy, now, event, facts.ticket)
    for name in row.effects:
        EFFECTS[name](step)
    ticket = _moved(step, row.to)
    exempt = trust.authenticated and facts.role in NEEDS_TRUST and not facts.message.is_automatic
    label = AUTOMATIC_UNMATCHED if event is Event.AUTOMATIC and ticket is None else LABELS.get(event, str(event))
    return Decision(ticket, step.opened, tuple(step.events), tuple(step.sends), label, exempt, row.sop,
                    tuple(step.elsewhere), step.held, step.adopt, tuple(step.passed_on))


def _moved(step: Step, to: State | None) -> Ticket | None:
    """The ticket once its row's effects ran, in the row's target state (recorded), touched at `now`."""
    ticket = step.ticket
    if to is State.RESOLVED and ticket is not None and not has_mailbox(ticket.requester.addr):
        # SPEC 3 (issue 45): a caller or visitor who gave no e-mail can never confirm with YA:
        # their answered case is closed, not left waiting for nobody
        to = State.CLOSED
        ticket = replace(ticket, closed_at=step.now)
        step.record("closed_without_mailbox", {})
    if ticket is not None and to is not None and ticket.state is not to:
        step.record("state_changed", {"from": str(ticket.state), "to": str(to)})
        # a wait for the requester's documents runs from the mail that asked to the mail
        # that answered, as they reached the mailbox (SPEC 6 `resolution`: wall-clock time)
        asked_by = "unit" if step.event is Event.STAFF_REQUEST_INFO else "lkpp"
        ticket = replace(ticket.moved(to, opened_at(step.facts, step.now), asked_by),
                         closed_at=ticket.closed_at if to is State.CLOSED else None)
    if ticket is not None and ticket != step.facts.ticket:
        ticket = replace(ticket, updated_at=step.now)
    return ticket


# --- requester -------------------------------------------------------------------------


def _open_ticket(s: Step) -> None:
    """E1: a new ticket; one too late to reopen (E5) or cited by a stranger is noted."""
    f, msg = s.facts, s.facts.message
    s.ticket = Ticket(
        id=None, mailbox="", number="", state=State.OPEN, requester=msg.from_addr,
        subject=f.title or msg.subject, created_at=opened_at(f, s.now), updated_at=s.now, language=s.policy.language,
        category=f.category[0] if f.category else None, priority=f.priority[0] if f.priority else None,
        reopened_from=f.previous.id if f.previous else None,
        participants=addressed(msg), contact=f.contact)
    s.opened = True
    s.record("ticket_opened", {"subject": msg.subject})
    for name, guess in (("category", f.category), ("priority", f.priority)):
        if guess:
            s.record(f"{name}_guessed", {"value": guess[0], "rule": guess[1]}, actor="mailbot")
    if f.previous is not None:
        s.record("cites_ticket", {"number": f.previous.number}, actor="mailbot")
    if f.cited is not None:
        s.record("cites_ticket", {"number": f.cited.number, "by": msg.from_addr.addr}, actor="mailbot")


def opened_at(facts: Facts, now: datetime) -> datetime:
    """When a new ticket opens, and so when its first response and 3x24h standard start
    (SPEC 6): when its mail reached the mailbox (the server's INTERNALDATE, never the Date
    its sender wrote), so mail that came in while the daemon was down is due from its
    arrival, not from the daemon's return. That date is believed only between mailbot's
    previous read of the mailbox and now: one before it (a mail moved back into the INBOX
    keeps its old date) or in the future (a server clock ahead) is no arrival mailbot
    missed, nor is any mail on a first start (never read: a backlog, SPEC 5); those
    tickets open when they are handled."""
    arrived, read = facts.received_at, facts.read_before
    return arrived if read is not None and read < arrived <= now else now


def addressed(msg: InboundMessage) -> frozenset[str]:
    """The people a requester's message is from and to (To and Cc): an address the requester
    wrote to is "already seen" on the ticket (SPEC 3), so a colleague answering all is heard."""
    return frozenset(a.addr.lower() for a in (msg.from_addr, *msg.to, *msg.cc) if a.addr)


def _cited_context(s: Step) -> dict[str, object]:
    f = s.facts
    return {"previous": f.previous.number if f.previous else None, "cited": f.cited.number if f.cited else None}


def _acknowledge(s: Step) -> None:
    """SOP-003 step 8: the ticket number to the requester, unless the mail is an old backlog
    or looks automatic (SPEC 5: never answered, yet staff read it on its ticket)."""
    if s.facts.message.is_automatic:
        s.record("ack_skipped", {"reason": s.facts.message.auto_reason}, actor="mailbot")
    elif (s.now - s.facts.received_at).total_seconds() <= s.policy.ack_max_age_hours * 3600:
        s.send("ack", Audience.REQUESTER, auto=AUTO_REPLIED, context=_cited_context(s))
    else:
        s.record("ack_skipped", {"reason": "older than ack_max_age_hours"}, actor="mailbot")


def _notify_new(s: Step) -> None:
    s.send("staff_new", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=s.text,
           context=_cited_context(s))


def _append(s: Step) -> None:
    assert s.ticket is not None
    s.change(participants=s.ticket.participants | addressed(s.facts.message),
             contact=s.ticket.contact.merged(s.facts.contact))
    s.record("message_appended", {"via": s.facts.via})


def _reopen(s: Step) -> None:
    s.record("ticket_reopened", {})


def _notify(event: str, attach: bool = True) -> Effect:
    def effect(s: Step) -> None:
        # issue 59: staff read that the requester's data went on to LKPP (E3) and need not pass it on
        forwarded = any(sent.kind == "forward_info" for sent in s.sends)
        s.send("staff_update", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound" if attach else None,
               text=s.text, context={"event": event, "rating": s.facts.rating, "forwarded": forwarded})
    return effect


def _note_silent(s: Step) -> None:
    s.record("reply_without_text", {})


def _forward_info(s: Step) -> None:
    """SOP-015 step 9: the requester's additional data goes to LKPP at once."""
    s.send("forward_info", Audience.LKPP, attach="inbound", text=s.text)
    s.record("info_forwarded", {}, actor="mailbot")


def _confirm_closing(s: Step) -> None:
    """SOP-002 step 12: the requester confirms; the rating is kept."""
    s.change(closed_at=s.now, rating=s.facts.rating)
    s.record("closing_confirmed", {"rating": s.facts.rating})


def _rate_late(s: Step) -> None:
    """A rating given after the ticket closed (the automatic close came first) is kept,
    unless the requester rated it already."""
    assert s.ticket is not None
    if s.facts.rating is not None and s.ticket.rating is None:
        s.change(rating=s.facts.rating)
    s.record("confirmed_after_closing", {"rating": s.facts.rating})


def _tell_closed(s: Step) -> None:
    command = s.facts.commands.state_command if s.facts.commands else None
    if command is not None and command.arg == "silent":
        return
    confirmed = s.event is Event.REQUESTER_CONFIRM
    s.send("closed", Audience.REQUESTER, auto=AUTO_REPLIED, context={"confirmed": confirmed})


def _assign_back(s: Step) -> None:
    assert s.ticket is not None
    s.change(assignee=s.ticket.resolved_by or s.ticket.assignee)
    s.record("closing_rejected", {})


# --- staff -----------------------------------------------------------------------------


def _relay_reply(s: Step) -> None:
    """E6: only the new text goes to the requester, From the unit (SPEC 2)."""
    s.send("staff_reply", Audience.REQUESTER, attach="inbound", text=s.body)
    s.record("staff_replied", {})


def _first_response(s: Step) -> None:
    assert s.ticket is not None
    s.change(first_response_at=s.ticket.first_response_at or s.now)


def _tell_empty(s: Step) -> None:
    """A reply with no new text is never dropped in silence: its sender hears so."""
    s.record("empty_staff_reply", {})
    s.send("command_error", Audience.SENDER, auto=AUTO_REPLIED, context={"errors": [Refusal("empty_reply")]})


def _note(s: Step) -> None:
    s.record("note", {"text": s.body})


def _keep_text(s: Step) -> None:
    """Text under `#prioritas`, `#kategori`, `#tugaskan` or `#data` alone is no answer to the
    requester (it may be a remark for colleagues): it is kept on the ticket as a note, never
    dropped, and the sender is told so (`command_ok`)."""
    if s.body.strip():
        s.record("note", {"text": s.body})


def _apply_meta(s: Step) -> None:
    """E11: priority, category and assignee, combinable with one state command."""
    assert s.ticket is not None and s.facts.commands is not None
    fields = {"priority": "priority", "category": "category", "assign": "assignee"}
    for command in s.facts.commands.commands:
        if command.name in fields:
            s.record(f"{command.name}_changed", {"from": getattr(s.ticket, fields[command.name]), "to": command.arg})
            s.change(**{fields[command.name]: command.arg})
            if command.name == "assign":
                s.send("assigned", Audience.ASSIGNEE, auto=AUTO_GENERATED, attach="ticket",
                       context={"by": s.actor, "note": s.body})


def _send_ack(s: Step) -> None:
    """`#kirim-tanda-terima` (issue 37): the ack that the unit-wide ack rate (or the unit's
    own server's dmarc/spf fail) kept from the requester goes now, at authenticated staff's
    word (never limited: `exempt`); it is the neutral ack, as staff's mail proves nothing of
    the requester."""
    assert s.facts.commands is not None
    if s.facts.commands.has("send_ack"):
        s.send("ack", Audience.REQUESTER, auto=AUTO_REPLIED, context={"released": True})


def _set_contact(s: Step) -> None:
    """E12c: `#data nama|instansi|alamat|telepon VALUE` sets a consultation-form field."""
    assert s.ticket is not None and s.facts.commands is not None
    for command in s.facts.commands.commands:
        if command.name == "data" and command.arg:
            key, _, value = command.arg.partition("=")
            s.change(contact=replace(s.ticket.contact, **{key: value}))
            s.record("contact_changed", {"field": key, "value": value})


def _confirm_commands(s: Step) -> None:
    """The sender hears what ran (`command_ok`); a coordinator's or head's commands go to staff
    too. A command that only reads the ticket (`#riwayat`) alone, with no words under it, is
    answered by its own mail and is nothing for staff to follow: neither goes."""
    parsed = s.facts.commands
    if parsed is None:
        return
    if parsed.state_command is not None:
        s.record(f"command_{parsed.state_command.name}", {"note": s.body} if s.body else {})
    if not parsed.commands or (all(c.name in READ_ONLY for c in parsed.commands) and not s.body.strip()):
        return
    _tell_ran(s, parsed.commands)


def _tell_ran(s: Step, commands: tuple[Command, ...]) -> None:
    """`command_ok` to the sender; a coordinator's or head's commands to staff too (E12b)."""
    kept = s.event in (Event.STAFF_META, Event.STAFF_DATA, Event.STAFF_HISTORY) and bool(s.body.strip())
    s.send("command_ok", Audience.SENDER, auto=AUTO_REPLIED,
           context={"commands": [(c.shown.lstrip("#"), c.arg) for c in commands],  # as staff typed it
                    "kept_as_note": kept})
    if s.facts.role in (Role.COORDINATOR, Role.HEAD):
        # E12b: a coordinator's (or head's) reply to the case goes to staff, a command included;
        # one that answered the requester (`#jawab`, `#selesai`) says so, in its subject too (issue 59)
        answered = any(c.name in _ANSWERS for c in commands)
        s.send("staff_direction", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=s.body,
               context={"role": str(s.facts.role), "tickets": [], "ran": [(c.shown, c.arg) for c in commands],
                        "answered": answered, "subject_case": f"answered_{s.facts.role}" if answered else ""})


# The commands whose text goes to the requester as the unit's answer (E6, E9; `#jawab-seperti` is `#selesai`).
_ANSWERS = frozenset({"answer", "resolve"})


def _send_history(s: Step) -> None:
    """E12h (issue 45, point 9): `#riwayat` / `#history` mails the ticket's history, as
    `mailbot ticket N --full` shows it, to the staff member who asked and to no one else (it
    holds the requester's personal data and the internal notes): at the address the
    configuration lists, which is the From that gave the role, never a Reply-To, as `not_run`
    and `command_error` go. It changes nothing; the request is recorded. The lines are the
    shell's to write when it composes the mail (`io/compose`), from the store, with this
    message and what it caused already on the ticket."""
    assert s.facts.commands is not None
    if s.facts.commands.has("history"):
        s.record("history_requested", {})
        s.send("history", Audience.SENDER, auto=AUTO_GENERATED)


def _escalate(s: Step) -> None:
    """SOP-015 step 1: the whole case to LKPP (problem, identity, attachments, staff note).
    A new escalation is a new case for LKPP's system: it goes without the reference of an
    earlier one, and the reference LKPP's answer to it brings is the one its mail carries."""
    assert s.ticket is not None
    if s.ticket.lkpp_ref is not None:  # its number came with it: neither names the new case
        s.change(lkpp_ref=None, lkpp_ref_form=None, lkpp_ticket=None)
    s.send("escalate", Audience.LKPP, attach="ticket", text=s.body)


def _file_lpse_support(s: Step) -> None:
    """E12e (SOP-004 section 2, section 3 step 7): staff filed the case in LKPP's LPSE Support
    by hand. Its number is LKPP's reference from now on: next to our tag in every later mail
    to LKPP, and LKPP's mail naming it (in our subject as `[LPSE Support #N]`, as
    `[Ticket#N]`, `#N`, or in its text) is matched by it. Like any reference it proves
    nothing about who writes (SPEC 9)."""
    assert s.ticket is not None and s.facts.commands is not None
    command = s.facts.commands.state_command
    assert command is not None and command.arg
    number = command.arg
    ref = Reference(f"[LPSE Support #{number}]", "tag", number)
    s.change(lkpp_ref=ref.text, lkpp_ref_form=LPSE_SUPPORT, lkpp_ticket=number)
    s.record("lpse_support_filed", {"number": number, "note": s.body})
    for key in dict.fromkeys((ref.key, Reference(number, "number", number).key, f"hash:{number.upper()}",
                              f"osticket:{number.upper()}")):
        s.record("lkpp_ref_recorded", {"ref": ref.text, "form": LPSE_SUPPORT, "key": key, "number": number})


def _tell_escalated(s: Step) -> None:
    s.send("escalated_user", Audience.REQUESTER, auto=AUTO_REPLIED)


def _relay_solution(s: Step) -> None:
    s.send("resolved", Audience.REQUESTER, attach="inbound", text=s.body)


def _mark_resolved(s: Step) -> None:
    """`resolved_by` is whom a rejected solution goes back to: staff, never LKPP's address
    (LKPP's solution rejected is the unit's staff's case again, E4)."""
    assert s.ticket is not None
    s.change(resolved_at=s.now, resolved_by=s.ticket.assignee if s.facts.role is Role.LKPP else s.actor)


def _mark_closed(s: Step) -> None:
    s.change(closed_at=s.now)


def _relay_lkpp(s: Step) -> None:
    """E12: the latest LKPP message goes to the requester, as staff decided."""
    s.send("relay", Audience.REQUESTER, attach="lkpp")


def _relay_lkpp_request(s: Step) -> None:
    """E12a: staff say the latest LKPP message asks for data: it goes on as a data request."""
    s.send("need_info", Audience.REQUESTER, attach="lkpp")


def _request_info(s: Step) -> None:
    """E12g (seed 002): the unit asks the requester for the data or documents it needs, in its
    own name; the ticket waits for them (`awaiting_info`), which the 3x24h standard leaves out."""
    s.send("request_info", Audience.REQUESTER, attach="inbound", text=s.body)
    s.record("info_requested", {"note": s.body})


def _reject_command(s: Step) -> None:
    """E18: only the sender hears why; nothing else happens."""
    errors = list(s.facts.errors) or [_refusal(s)]
    s.record("command_rejected", {"errors": [str(e) for e in errors]})  # the history keeps the English
    intake = any(e.code.startswith("intake_") for e in errors)  # a call's form: the form to copy, not the commands
    s.send("command_error", Audience.SENDER, auto=AUTO_REPLIED, context={"errors": errors, "intake": intake})


def _refusal(s: Step) -> Refusal:
    """A state command at the wrong time: the command as its sender typed it, the state."""
    command = s.facts.commands.state_command if s.facts.commands else None
    state = str(s.ticket.state) if s.ticket else "missing"
    if command is None:
        return Refusal("reply_not_in_state", value=state)
    return Refusal("not_in_state", command=command.shown, value=state, name=command.name)


# --- calls and visits (SPEC 3; seeds 000, 003, 004 section 1) -------------------------------


def _tell_no_ticket(s: Step) -> None:
    s.record("staff_mail_unmatched", {})
    s.send("staff_no_ticket", Audience.SENDER, auto=AUTO_REPLIED)


# --- LKPP ------------------------------------------------------------------------------


def _lkpp_reply(s: Step) -> None:
    assert s.ticket is not None
    s.record("lkpp_replied", {"class": s.facts.lkpp_class, "rule": s.facts.lkpp_rule})
    if s.facts.role is Role.LKPP and s.trust.authenticated:
        _learn_references(s)
    number = s.facts.lkpp_ticket
    if number and number != s.ticket.lkpp_ticket and s.ticket.lkpp_ref is None:
        s.change(lkpp_ticket=number)
        s.record("lkpp_ticket_recorded", {"lkpp_ticket": number})


def _learn_references(s: Step) -> None:
    """Issue 32: the counterpart's references from LKPP's verified mail, each recorded to match
    its later mail by; the first one written in a subject since the escalation is the one every
    later mail to LKPP on the ticket carries, exactly as LKPP's system wrote it, so that system
    adds our mail to the same ticket (one counterpart ticket per escalation)."""
    assert s.ticket is not None
    for ref in s.facts.counterpart:
        s.record("lkpp_ref_recorded", {"ref": ref.text, "form": ref.form, "key": ref.key, "number": ref.number})
        if s.ticket.lkpp_ref is None and ref.in_subject:
            s.change(lkpp_ref=ref.text, lkpp_ref_form=ref.form, lkpp_ticket=ref.number)
            s.record("lkpp_ticket_recorded", {"lkpp_ticket": ref.number, "ref": ref.text, "form": ref.form})


def _relay_request(s: Step) -> None:
    """SOP-015 step 7: LKPP's data request goes on to the requester."""
    s.send("need_info", Audience.REQUESTER, attach="inbound", text=s.text)


def _relay_lkpp_solution(s: Step) -> None:
    """SOP-015 step 13."""
    s.send("resolved_lkpp", Audience.REQUESTER, attach="inbound", text=s.text)


def _tell_status(s: Step) -> None:
    """SOP-015 steps 12, 14: the requester hears of LKPP's progress (escalation.relay_status)."""
    if s.policy.relay_status:
        s.send("status_user", Audience.REQUESTER, auto=AUTO_GENERATED, text=s.text)


def _notify_lkpp(s: Step) -> None:
    s.send("staff_lkpp", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=s.text,
           context={"event": str(s.event)})


def _pass_unmatched(s: Step) -> None:
    s.record("lkpp_unmatched", {})
    s.send("staff_unmatched", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=s.text)


# --- trust and automatic mail ----------------------------------------------------------


def _unverified_note(s: Step) -> None:
    s.record("unverified_note", {"reason": s.trust.reason})


def _alert_unverified(s: Step) -> None:
    """E19: the coordinators (for LKPP mail, staff too) hear who tried what, and why it failed;
    a staff member, coordinator or head is told too that their mail was not run, why, and what
    to do (issue 45): at the address the configuration lists, which is the From that gave the
    role (never a Reply-To). Where the From was forged, the real owner learns of it."""
    to, cc = (Audience.STAFF, (Audience.COORDINATORS,)) if s.facts.role is Role.LKPP else (Audience.COORDINATORS, ())
    s.send("unverified", to, cc=cc, auto=AUTO_GENERATED, text=s.text,
           context={"reason": s.trust.why or s.trust.reason, "sender": s.actor,
                    "from_lkpp": s.facts.role is Role.LKPP})  # staff who read it pass it on (issue 59)
    if s.facts.role in (Role.STAFF, Role.COORDINATOR, Role.HEAD):
        s.send("not_run", Audience.SENDER, auto=AUTO_REPLIED, text=s.text,
               context={"reason": s.trust.why or s.trust.reason})


def _record_automatic(s: Step) -> None:
    kind = LABELS[Event.AUTOMATIC] if s.ticket is not None else AUTOMATIC_UNMATCHED
    msg = s.facts.message
    s.record(kind, {"reason": msg.auto_reason, "subject": msg.subject[:200], "role": str(s.facts.role)})


def _delivery(s: Step) -> dict[str, object]:
    """What a delivery report says, for the history: the mail it is about, its action, status,
    addresses and the server's words."""
    report = s.facts.message.delivery
    kind, mid = s.facts.bounced or ("", "")
    detail: dict[str, object] = {"reason": s.facts.message.auto_reason}
    if kind:
        detail.update(mail=kind, returned=mid)
    if report is not None:
        detail.update(action=report.action, status=report.status, to=list(report.recipients),
                      answer=report.diagnostic)
    return detail


def _record_bounce(s: Step) -> None:
    s.record("bounce_received", _delivery(s))


def _record_delivery(s: Step) -> None:
    """A delay warning ("THIS IS A WARNING ONLY") or a delivery report: recorded, shown to
    staff in their next notice on the ticket; the mail system goes on trying (SPEC 5)."""
    s.record("delivery_reported", _delivery(s))


def _alert_lkpp_bounce(s: Step) -> None:
    """SOP-015 steps 1, 9: the escalation (or the requester's data) did not reach LKPP. Staff
    and coordinators hear so with the address and the server's reason; an escalation's
    ticket is back with staff (`open`) for their decision, the data's waits for the
    requester again (`awaiting_info`)."""
    report = s.facts.message.delivery
    kind = s.facts.bounced[0] if s.facts.bounced else ""
    reason = " ".join(x for x in (report.status, report.diagnostic) if x) if report else ""
    moved = s.ticket is not None and s.ticket.state is State.ESCALATED
    s.send("staff_alert", Audience.STAFF, cc=(Audience.COORDINATORS,), auto=AUTO_GENERATED, attach="inbound",
           text=s.facts.message.text,
           context={"alert": "lkpp_bounce", "failed_kind": kind, "reason": reason or s.facts.message.auto_reason,
                    "failed_to": list(report.recipients) if report else [], "moved": moved})


# Our mail that only ever answered whoever was in From: its bounce says the address was made up.
_FIRST_ANSWERS = frozenset({"ack", "message_refused"})


def _alert_bounce(s: Step) -> None:
    """SPEC 5: staff hear that mail of a ticket did not arrive. A bounced ack is what forged
    senders cause by the hundred (issue 37): those are one alert a day (`burst`), each bounce
    recorded on its ticket."""
    kind = s.facts.bounced[0] if s.facts.bounced else ""
    burst = {"burst": "ack_bounces", "alert": "ack_bounces"} if kind in _FIRST_ANSWERS else {"alert": "bounce"}
    s.send("staff_alert", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=s.facts.message.text,
           context={**burst, "reason": s.facts.message.auto_reason})


EFFECTS: dict[str, Effect] = {
    "open_ticket": _open_ticket, "acknowledge": _acknowledge, "notify_new": _notify_new, "append": _append,
    "reopen": _reopen, "notify_requester": _notify("requester"), "notify_reopened": _notify("reopened"),
    "notify_confirmed": _notify("confirmed", attach=False), "notify_rejected": _notify("rejected"),
    "notify_silent": _notify("silent", attach=False), "rate_late": _rate_late,
    "notify_late_confirmed": _notify("confirmed_late", attach=False), "note_silent": _note_silent,
    "forward_info": _forward_info,
    "confirm_closing": _confirm_closing, "tell_closed": _tell_closed, "assign_back": _assign_back,
    "relay_reply": _relay_reply, "first_response": _first_response, "tell_empty": _tell_empty, "note": _note,
    "keep_text": _keep_text,
    "apply_meta": _apply_meta, "set_contact": _set_contact, "confirm_commands": _confirm_commands,
    "escalate": _escalate, "file_lpse_support": _file_lpse_support, "tell_escalated": _tell_escalated,
    "relay_solution": _relay_solution,
    "mark_resolved": _mark_resolved, "mark_closed": _mark_closed, "relay_lkpp": _relay_lkpp,
    "relay_lkpp_request": _relay_lkpp_request, "request_info": _request_info, "reject_command": _reject_command,
    "tell_no_ticket": _tell_no_ticket,
    "lkpp_reply": _lkpp_reply, "relay_request": _relay_request,
    "relay_lkpp_solution": _relay_lkpp_solution, "tell_status": _tell_status, "notify_lkpp": _notify_lkpp,
    "pass_unmatched": _pass_unmatched, "unverified_note": _unverified_note, "alert_unverified": _alert_unverified,
    "send_ack": _send_ack, "send_history": _send_history, "record_automatic": _record_automatic,
    "record_bounce": _record_bounce, "alert_bounce": _alert_bounce,
    "record_delivery": _record_delivery, "alert_lkpp_bounce": _alert_lkpp_bounce,
    **INTAKE_EFFECTS, **DIRECTION_EFFECTS, **REUSE_EFFECTS,
}

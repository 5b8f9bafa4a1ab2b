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

The effects live in `effects` (`EFFECTS` gathers them: those of calls and visits come from
`intake_effects`, of asking the coordinators and the heads for their word from
`directions`); the values decided on and how each event is named (`LABELS`) in `facts`;
the decision being built in `decision`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from mailbot.core.decision import Decision, Draft
from mailbot.core.effects import EFFECTS, opened_at
from mailbot.core.facts import AUTOMATIC_UNMATCHED, LABELS, UNVERIFIED_LABEL, Event, Facts, Policy
from mailbot.core.intake_effects import held_ticket, intake_context, remind_held
from mailbot.core.trust import Citation, Trust
from mailbot.model import Refusal, Role, State, ThreadMessage, Ticket, has_mailbox

# `Event`, `Facts`, `Policy` (`facts`), `Decision` (`decision`), when a ticket opens (`effects`)
# and the held forms' helpers (`intake_effects`) are imported from here too: this module is
# the lifecycle's front. `__all__` lists only these re-exports (mypy's explicit re-export),
# as in `daemon`.
__all__ = ["Decision", "Event", "Facts", "Policy", "held_ticket", "intake_context", "opened_at", "remind_held"]


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
     "E9; a solved case's answer is shown to staff before it goes to another requester"),
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
    (Event.OUTSIDE_REPLY, "O A E I R C", "", ("note_outside_reply", "alert_outside_reply"),
     "SPEC 9: the key of mail that reached an outsider proves no one; staff get a fresh one at once"),
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

# LKPP replies whose class does not fit the state are passed to staff as unclassified (a staff
# command the table refuses in a state answers only its sender: `row_for`).
LKPP_CLASSES = {"need_info": Event.LKPP_NEED_INFO, "resolved": Event.LKPP_RESOLVED,
                "returned": Event.LKPP_RETURNED, "status": Event.LKPP_STATUS}
NEEDS_TRUST = frozenset({Role.STAFF, Role.COORDINATOR, Role.HEAD, Role.LKPP})
INTAKES = frozenset({Event.STAFF_INTAKE, Event.STAFF_INTAKE_ANSWERED})  # a call or visit opening a ticket
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


def not_an_answer(vouched: bool) -> frozenset[str]:
    """The kinds of inbound LKPP mail never relayed; unverified mail only when vouched for."""
    return NOT_AN_ANSWER if vouched else NOT_AN_ANSWER | {UNVERIFIED_LABEL}


# What an inbound LKPP message was decided to be when it is nobody's answer: `#teruskan`
# and `#permintaan-data` never pass it to the requester (SPEC 5: automatic mail is
# recorded, never acted on). An unverified one (UNVERIFIED_LABEL) is passed on only by
# staff who answer the `unverified` alert that showed it to them (SPEC 9: they decide). An
# outsider's reply to the unit's internal mail is nobody's answer either, nor the requester's
# words (the recap's question, an escalation's problem).
RELAYS = frozenset({LABELS[Event.STAFF_RELAY], LABELS[Event.STAFF_NEED_INFO]})
NOT_AN_ANSWER = frozenset({LABELS[Event.AUTOMATIC], AUTOMATIC_UNMATCHED, LABELS[Event.BOUNCE], str(Event.LKPP_ACK),
                           LABELS[Event.DELIVERY_NOTICE], LABELS[Event.OUTSIDE_REPLY]})


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
    # a claim of a resolution (or a command) is worth the same alert whatever its
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
    draft = Draft(facts, trust, policy, now, event, facts.ticket)
    for name in row.effects:
        EFFECTS[name](draft)
    ticket = _moved(draft, row.to)
    exempt = trust.authenticated and facts.role in NEEDS_TRUST and not facts.message.is_automatic
    label = AUTOMATIC_UNMATCHED if event is Event.AUTOMATIC and ticket is None else LABELS.get(event, str(event))
    return Decision(ticket, draft.opened, tuple(draft.events), tuple(draft.sends), label, exempt, row.sop,
                    tuple(draft.elsewhere), draft.held, draft.adopt, tuple(draft.passed_on))


def _moved(draft: Draft, to: State | None) -> Ticket | None:
    """The ticket once its row's effects ran, in the row's target state (recorded), touched at `now`."""
    ticket = draft.ticket
    if ticket is None:
        return None
    ticket, to = _without_mailbox(draft, ticket, to)
    if to is not None and ticket.state is not to:
        draft.record("state_changed", {"from": str(ticket.state), "to": str(to)})
        # a wait for the requester's documents runs from the mail that asked to the mail
        # that answered, as they reached the mailbox (SPEC 6 `resolution`: wall-clock time)
        asked_by = "unit" if draft.event is Event.STAFF_REQUEST_INFO else "lkpp"
        ticket = replace(ticket.moved(to, opened_at(draft.facts, draft.now), asked_by),
                         closed_at=ticket.closed_at if to is State.CLOSED else None)
    return replace(ticket, updated_at=draft.now) if ticket != draft.facts.ticket else ticket


def _without_mailbox(draft: Draft, ticket: Ticket, to: State | None) -> tuple[Ticket, State | None]:
    """SPEC 3: a caller or visitor who gave no e-mail can never confirm with YA:
    their answered case is closed, not left waiting for nobody."""
    if to is not State.RESOLVED or has_mailbox(ticket.requester.addr):
        return ticket, to
    draft.record("closed_without_mailbox", {})
    return replace(ticket, closed_at=draft.now), State.CLOSED

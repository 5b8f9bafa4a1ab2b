"""Asking the coordinators and the heads for their word, and whose word ends the wait
(SOP-004 section 1 steps 5-8; SPEC 4 E12b, E12d, E12f; SPEC 6 `coordinator_direction`).
Pure.

`#koordinator` sends a case to the coordinators and `#lapor-kepala` reports it to the heads
of unit; each audience then owes its own word, and the unit waits a working day for it
before reminding them. Seed 004 section 1 steps 7-8: the head monitors and recommends, so
only the head's own word ends the head's wait, and only the coordinators' own word ends
theirs.

A word is an answer to the request itself: a reply that cites the signed Message-ID of the
case mailbot sent to that audience on that ticket, or of its reminder, from an address of
that audience. Whether the reply proves its sender (SPEC 9) and whether a person wrote it
(`autoreplies`) the lifecycle asks besides. Everything else coordinators and heads write
about a ticket stays what E12d says it is, a recommendation recorded and passed to staff:
their answer to the morning digest that names the ticket, to an `unverified` alert about a
forgery on it, to an overdue notice, or the other audience's answer to its own request.
Those ask them nothing about the reported case, and none ends anyone's wait.

The lifecycle's effects of asking and of answering are here too (`DIRECTION_EFFECTS`,
named by `lifecycle._ROWS`), as those of calls and visits are in `intake_effects`.
"""

from __future__ import annotations

from collections.abc import Iterable

from mailbot.core.commands import READ_ONLY
from mailbot.core.decision import Draft, Effect
from mailbot.core.trust import Citation
from mailbot.model import AUTO_GENERATED, Audience, HistoryEvent, Role, Send
from mailbot.settings import MailboxConfig

COORDINATORS = "coordinators"
HEADS = "heads"
# The history events that start a wait (`lifecycle._ask_coordinators`, `_report_to_heads`),
# with the audience they ask, and those that end one, one per audience: the timers
# (`deadlines`) and the monthly summary (`reports.figures`) pair each request with its own
# audience's answer.
ASKED = {"direction_requested": COORDINATORS, "head_report_requested": HEADS}
ANSWERED = {COORDINATORS: "coordinators_answered", HEADS: "heads_answered"}
ANSWERED_KINDS = {kind: audience for audience, kind in ANSWERED.items()}
# The mail that asks each audience for its word on one case, and the reminder of it (SPEC 6),
# which goes to the audience with staff in copy: its Message-ID names the audience's letter.
_REQUESTS = {"coordinator_case": COORDINATORS, "head_case": HEADS}
_REMINDER = "direction_reminder"
_LETTERS = {COORDINATORS: "c", HEADS: "h"}


def members(box: MailboxConfig, audience: str) -> tuple[str, ...]:
    """The addresses of an audience in this mailbox's configuration."""
    return box.coordinators if audience == COORDINATORS else box.heads


def requests_answered(citations: Iterable[Citation], ticket: str | None, sender: str,
                      box: MailboxConfig) -> frozenset[str]:
    """The audiences whose request for direction on `ticket` this reply answers: it cites the
    case sent to them (or its reminder) on that ticket, and `sender` is one of them. A
    staff member, a requester, LKPP or the other audience citing the same mail (a forward, a
    reply-all, a quote) answers no one's request; nor does a reply to mail about no one
    ticket (the digest) or to any other mail of the ticket (an alert, an overdue notice)."""
    if ticket is None:
        return frozenset()
    sender = sender.lower()
    found: set[str] = set()
    for cited in citations:
        if cited.ticket != ticket:
            continue
        if cited.kind in _REQUESTS:
            asked = {_REQUESTS[cited.kind]}
        elif cited.kind == _REMINDER:  # the audience its letters name: a head on the coordinators' list holds both
            asked = {a for a, letter in _LETTERS.items() if letter in cited.audience}
        else:
            continue
        found |= {audience for audience in asked if sender in members(box, audience)}
    return frozenset(found)


# --- the lifecycle's effects of asking and answering (`lifecycle._ROWS` names them) -----


def _ask_coordinators(s: Draft) -> None:
    """SOP-002 step 3 / SOP-004 steps 5-6: the case goes to the coordinators for direction."""
    s.send("coordinator_case", Audience.COORDINATORS, auto=AUTO_GENERATED, attach="ticket", text=s.body,
           context={"by": s.actor})
    s.record("direction_requested", {"note": s.body})


def _report_to_heads(s: Draft) -> None:
    """SOP-004 section 1 step 7: a case the unit has not resolved, reported to the heads of
    unit as `#koordinator` sends it; their reply comes back to staff as a recommendation (E12d)."""
    s.send("head_case", Audience.HEADS, auto=AUTO_GENERATED, attach="ticket", text=s.body, context={"by": s.actor})
    s.record("head_report_requested", {"note": s.body})


def _record_direction(s: Draft) -> None:
    """SOP-004 step 8: a head's recommendation (a coordinator's direction) goes on every ticket it names."""
    assert s.ticket is not None
    kind = "recommendation" if s.facts.role is Role.HEAD else "direction"
    detail: dict[str, object] = {"text": s.text, "tickets": list(s.facts.mentioned)}
    if s.facts.autoresponder is not None:
        detail["autoresponder"] = s.facts.autoresponder  # passed on, but it ends no wait
    s.record(kind, detail)
    for number in s.facts.mentioned:
        if number != s.ticket.number:
            s.elsewhere.append((number, HistoryEvent(kind, s.actor, {**detail, "passed_on": s.ticket.number})))


def _answer_direction(s: Draft) -> None:
    """Seed 004 section 1 steps 7-8: the reply answers the request for direction
    sent to its sender's audience (`directions.requests_answered`), so that audience's wait
    ends: a sentence or a direction command (`#jawab`), from a sender the reply proves (SPEC
    9). A command that only reads the ticket (`#riwayat`) with no words is no answer."""
    f = s.facts
    if not f.answers or not s.trust.authenticated or f.autoresponder is not None:
        return  # an out-of-office with no header is recorded and passed on, but no one's word
    parsed = f.commands
    if parsed is not None and parsed.commands and all(c.name in READ_ONLY for c in parsed.commands) \
            and not s.body.strip():
        return
    for audience in sorted(f.answers):
        s.record(ANSWERED[audience], {"role": str(f.role)})


def _record_general_direction(s: Draft) -> None:
    """A recommendation about no one ticket ("all overdue tickets today"): the unit's record."""
    s.record("recommendation" if s.facts.role is Role.HEAD else "direction", {"text": s.text, "tickets": []})


def _pass_direction(s: Draft) -> None:
    """SOP-004 steps 5, 8: internal; to staff, never to the requester. Word that names several
    tickets (a reply to the digest) reaches staff once per ticket, each under its own ticket's
    tag, so that a reply to it acts on that ticket."""
    send = Send("staff_direction", Audience.STAFF, auto=AUTO_GENERATED, attach="inbound", text=s.text,
                context={"role": str(s.facts.role), "tickets": list(s.facts.mentioned)})
    s.sends.append(send)
    s.passed_on += [(number, send) for number in s.facts.mentioned if s.ticket is None or number != s.ticket.number]


DIRECTION_EFFECTS: dict[str, Effect] = {
    "ask_coordinators": _ask_coordinators, "report_to_heads": _report_to_heads,
    "record_direction": _record_direction, "record_general_direction": _record_general_direction,
    "pass_direction": _pass_direction, "answer_direction": _answer_direction,
}

"""Whose word ends a wait for direction (SOP-004 section 1 steps 5-8; SPEC 4 E12b, E12d,
E12f; SPEC 6 `coordinator_direction`; issue 58). Pure.

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
"""

from __future__ import annotations

from collections.abc import Iterable

from mailbot.core.settings import MailboxConfig
from mailbot.core.trust import Citation

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
    found = set()
    for cited in citations:
        if cited.ticket != ticket:
            continue
        audience = _REQUESTS.get(cited.kind)
        if audience is None and cited.kind == _REMINDER:
            audience = next((a for a, letter in _LETTERS.items() if letter in cited.audience), None)
        if audience is not None and sender in members(box, audience):
            found.add(audience)
    return frozenset(found)

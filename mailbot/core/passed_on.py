"""What of LKPP's answers went on to the requester, and when (SOP-015 steps 7, 12-14). Pure.

LKPP's request for data, its status reports and its solution go to the requester by
themselves (E13, E16, E14), and staff pass on what the rules left to them (`#teruskan`,
`#permintaan-data`: E12, E12a). So that no requester reads the same words twice, a notice
says which mail carried LKPP's answer to the requester and when, offers those two commands
only for an answer that did not go, and a command that would send it again is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mailbot.core.events import Event
from mailbot.core.facts import LABELS
from mailbot.model import ThreadMessage

# The mails that carry LKPP's words to the requester.
LKPP_WORDS = frozenset({"resolved_lkpp", "need_info", "status_user", "relay"})
# What mailbot decided an LKPP message was, when it is an answer staff may pass on: what
# the rules read in it, and what they could not read (E13-E17).
LKPP_ANSWERS = frozenset(LABELS.get(e, str(e)) for e in (Event.LKPP_NEED_INFO, Event.LKPP_RESOLVED,
                                                           Event.LKPP_RETURNED, Event.LKPP_STATUS, Event.LKPP_OTHER))


@dataclass(frozen=True)
class PassedOn:
    """The mail that carried an answer of LKPP's to the requester."""

    kind: str  # one of LKPP_WORDS
    at: str  # when it was recorded: the store's UTC timestamp, or the unit's local minute once worded


def passed_on(thread: Iterable[ThreadMessage], answer_id: str) -> PassedOn | None:
    """The mail that passed LKPP's answer `answer_id` on to the requester: the first after it
    in the ticket's thread that went to the requester with LKPP's words (the status mail a
    timer sends the requester while LKPP is silent carries none); None when none did."""
    after = False
    for m in thread:
        if m.direction == "in" and m.message_id == answer_id:
            after = True
        elif after and m.direction == "out" and m.role == "requester" and m.kind in LKPP_WORDS \
                and (m.body.strip() or m.kind != "status_user"):
            return PassedOn(m.kind, m.at)
    return None

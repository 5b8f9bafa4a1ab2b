"""What LKPP's mail, and automatic mail of the unit's own people, claim (SPEC 4 E13-E17,
SPEC 9). Pure.

LKPP's words are read without the desk's sign-off and signature (`unsigned`): "Salam, Agen
Helpdesk LKPP" under every answer says nothing about the case. Automatic mail is recorded and
never acted on (SPEC 5), yet what it claims still matters when nothing proves its sender: a
forger who writes LKPP's desk notice "[Ticket#N] Resolved: ..." adds the headers a ticket
system puts on its notices as easily as the desk's number (`claims`), and such a claim is
worth the same alert whatever its headers (`lifecycle._UNPROVEN`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailbot.core.commands import parse_commands
from mailbot.core.facts import Facts
from mailbot.core.identity import unsigned
from mailbot.core.matching import STAFF_ROLES
from mailbot.model import Role

if TYPE_CHECKING:
    from mailbot.rules import Rules

# The LKPP rules' names and words that `claims` reads: a desk's state notice ("Resolved: ..."),
# and a solution the trained second opinion held (`rules.tables.RuleSet.lkpp_verdict`).
_STATE_NOTICE = "lkpp-notice-state"
_HELD_SOLUTION = "the rules read resolved"


def claims(facts: Facts, rules: Rules) -> str | None:
    """What automatic mail of a role that needs proof claims on its ticket: LKPP's
    desk says the case is resolved or closed (a ticket system's state notice, its claim anywhere
    in the subject or the text in any system's words (`rules.lkpp_claim`), or the words the LKPP
    rules read as a solution, held by the second opinion or not); staff, coordinators or
    heads write commands. None for anything else, and for delivery reports."""
    msg = facts.message
    if facts.ticket is None or msg.is_bounce or msg.delivery is not None:
        return None
    if facts.role is Role.LKPP:
        said = unsigned(msg.new_text or msg.text, msg.from_addr.name)
        if rules.lkpp_notice(msg.subject, "") == _STATE_NOTICE or rules.lkpp_claim(msg.subject, said) is not None:
            return "a ticket system's state notice"
        verdict = rules.lkpp_verdict(msg.subject, said)
        if verdict is not None and (verdict.value == "resolved" or _HELD_SOLUTION in verdict.reason):
            return "a solution"
        return None
    if facts.role in STAFF_ROLES and parse_commands(msg.new_text).commands:
        return "commands"
    return None

"""Which ticket a message belongs to and who sent it (SPEC sections 1, 3 and 9). Pure."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from mailbot.config import MailboxConfig
from mailbot.model import Role, Ticket

# Reply and forward prefixes of common clients, Indonesian ones included.
_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|fw|fwd|tr|bls|balas|trs|antw|wg|rif|res)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)
_NUMBER = r"(\d{4}-\d{5})"


def tag_pattern(prefix: str) -> re.Pattern[str]:
    return re.compile(r"\[\s*" + re.escape(prefix) + r"\s*#\s*" + _NUMBER + r"\s*\]", re.IGNORECASE)


def tag(prefix: str, number: str) -> str:
    return f"[{prefix} #{number}]"


def find_tag(subject: str, prefix: str) -> str | None:
    """The ticket number a subject's tag names, wherever it stands."""
    match = tag_pattern(prefix).search(subject)
    return match.group(1) if match else None


def base_subject(subject: str, prefix: str) -> str:
    """The subject without reply prefixes and ticket tags, for a new ticket's title."""
    text = tag_pattern(prefix).sub(" ", subject)
    previous = None
    while previous != text:
        previous = text
        text = _PREFIX.sub("", text).strip()
    return re.sub(r"\s+", " ", text).strip()


def role_of(address: str, box: MailboxConfig, lkpp_senders: tuple[str, ...]) -> Role:
    """A sender's role for this mailbox; staff lists win over LKPP patterns."""
    address = address.lower()
    if address == box.address:
        return Role.SELF
    if address in box.staff or (box.staff_notify and address == box.staff_notify):
        return Role.STAFF
    if address in box.coordinators:
        return Role.COORDINATOR
    if address in box.heads:
        return Role.HEAD
    if any(fnmatch.fnmatchcase(address, pattern) for pattern in lkpp_senders):
        return Role.LKPP
    return Role.REQUESTER


STAFF_ROLES = frozenset({Role.STAFF, Role.COORDINATOR, Role.HEAD})


@dataclass(frozen=True)
class Match:
    """The ticket a message belongs to, how it was found, and a ticket it cited in vain."""

    ticket: Ticket | None
    via: str | None  # "tag" | "reference" | None
    cited: Ticket | None = None  # a ticket whose tag a non-participant cited


def is_participant(ticket: Ticket, sender: str, role: Role) -> bool:
    return role in STAFF_ROLES or role is Role.LKPP or sender.lower() in ticket.participants or (
        sender.lower() == ticket.requester.addr
    )


def resolve(sender: str, role: Role, tagged: Ticket | None, referenced: tuple[Ticket, ...]) -> Match:
    """SPEC section 3: the tag first (participants only), then In-Reply-To/References."""
    if tagged is not None and is_participant(tagged, sender, role):
        return Match(tagged, "tag")
    if referenced:
        return Match(referenced[0], "reference")
    return Match(None, None, cited=tagged)

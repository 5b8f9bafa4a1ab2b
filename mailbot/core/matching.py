"""Which ticket a message belongs to and who sent it (SPEC sections 1, 3 and 9): its role,
and the person a form or a group wrote for when its From is not the person (`on_behalf`). Pure."""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass, replace

from mailbot.core.tokens import AUDIENCE_LETTERS, without_escalation_keys
from mailbot.model import REUSED_ID_MARK, InboundMessage, Role, Seen, Ticket
from mailbot.parsers.auto import DISCUSSION_LIST, DISCUSSION_LIST_AS_LIST, is_list_reason, noreply_address
from mailbot.settings import MailboxConfig

# Reply and forward prefixes of common clients, Indonesian ones included.
_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|fw|fwd|tr|bls|balas|trs|antw|wg|rif|res)\s*(?:\[\d+\])?\s*[:：]\s*)+",
                     re.IGNORECASE)
_NUMBER = r"(\d{4}-\d{5})"
# What mail gateways put before a subject: "[EXTERNAL]" (Microsoft 365 and others, the unit's
# own among them), "[SPAM?]", "*** SPAM ***" (SpamAssassin). Never the problem's title.
_GATEWAY = re.compile(r"^\s*(?:\[\s*(?:external|ext|eksternal|(?:suspected |possible )?spam\??)\s*\]|"
                      r"\*{2,3}\s*spam\s*\*{2,3})\s*", re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def tag_pattern(prefix: str) -> re.Pattern[str]:
    """`[PREFIX #YYYY-NNNNN]`, spacing and case aside; the brackets may be missing (a
    subject cut short by a client, a tag typed by hand): the prefix is the unit's own."""
    return re.compile(r"(?<![\w-])\[?\s*" + re.escape(prefix) + r"\s*#\s*" + _NUMBER + r"(?!\d)(?:\s*\])?",
                      re.IGNORECASE)


def tag(prefix: str, number: str) -> str:
    return f"[{prefix} #{number}]"


def find_tag(subject: str, prefix: str) -> str | None:
    """The ticket number a subject's tag names, wherever it stands."""
    match = tag_pattern(prefix).search(subject)
    return match.group(1) if match else None


def base_subject(subject: str, prefix: str) -> str:
    """The subject without reply prefixes and ticket tags, for a new ticket's title."""
    text = without_escalation_keys(tag_pattern(prefix).sub(" ", subject))
    previous = None
    while previous != text:
        previous = text
        text = _PREFIX.sub("", _GATEWAY.sub("", text)).strip()
    return re.sub(r"\s+", " ", text).strip()


def retitled(title: str, earlier: Ticket | None) -> str:
    """A new ticket opened by a reply to mailbot's own mail about an earlier ticket (a late
    reply to "Tiket ditutup: Akun terkunci") is titled as the earlier one, not with the label
    mailbot put before its title; anything else the sender wrote stays as written."""
    if earlier is None or not earlier.subject or len(title) <= len(earlier.subject):
        return title
    head = title[:len(title) - len(earlier.subject)]
    if title[len(head):].lower() == earlier.subject.lower() and head.rstrip().endswith(":") and len(head) <= 60:
        return earlier.subject
    return title


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
# Mail that asks the coordinators or heads for their word: the case sent for direction
# (E12b), the case reported to the heads (E12f), the digest (E12d) and the alert about an
# unverified message (E19).
ASKS_LEADERS = frozenset({"coordinator_case", "head_case", "direction_reminder", "digest", "unverified"})


def roles_of(address: str, box: MailboxConfig, lkpp_senders: tuple[str, ...]) -> tuple[Role, ...]:
    """Every role an address holds for this mailbox, `role_of`'s first: a small unit's
    coordinator is often on the staff list too, and its head on the coordinators' (the mail
    that asks the heads then carries the head's letter too: a red team)."""
    first = role_of(address, box, lkpp_senders)
    if first not in (Role.STAFF, Role.COORDINATOR):
        return (first,)
    address = address.lower()
    return (first, *(role for role, members in ((Role.COORDINATOR, box.coordinators), (Role.HEAD, box.heads))
                     if role is not first and address in members))


def answering_as(address: str, box: MailboxConfig, lkpp_senders: tuple[str, ...], kinds: tuple[str, ...]) -> Role:
    """The role a sender writes in: a staff member who is a coordinator or head too answers
    the mail that asked them as such (`ASKS_LEADERS`) in that role, so that their direction
    stays internal (SPEC 1, E12b); anything else they answer as staff."""
    held = roles_of(address, box, lkpp_senders)
    return held[1] if len(held) > 1 and any(kind in ASKS_LEADERS for kind in kinds) else held[0]


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


def resolve(sender: str, role: Role, tagged: Ticket | None, referenced: tuple[Ticket, ...], *,
            bounce: bool = False) -> Match:
    """SPEC section 3 and 9: the tag first, then In-Reply-To/References, for participants only.

    Anyone else citing a ticket, by its tag or by a Message-ID (which every Cc'd party
    learns), opens a new ticket that cites it: they can never confirm, reject, rate or
    reopen another's ticket. A bounce is the exception: it reports on our own mail and
    never acts, so it is attached to the ticket its Message-IDs name.
    """
    if tagged is not None and is_participant(tagged, sender, role):
        return Match(tagged, "tag")
    for ticket in referenced:
        if bounce or is_participant(ticket, sender, role):
            return Match(ticket, "reference")
    return Match(None, None, cited=tagged or (referenced[0] if referenced else None))


def audience_of(recipients: tuple[str, ...], box: MailboxConfig, lkpp_senders: tuple[str, ...]) -> frozenset[str]:
    """The role letters (`tokens.AUDIENCE_LETTERS`) of the people a mail went to."""
    letters = {AUDIENCE_LETTERS.get(str(role)) for a in recipients for role in roles_of(a, box, lkpp_senders)}
    return frozenset(x for x in letters if x)


# A mailing list's subject tag ("[helpdesk-lpse]"): a bracketed name, never a ticket tag.
_LIST_TAG = re.compile(r"\[[\w.+-]{1,40}\]")
# What a list footer opens with, as quote stripping cuts it too: an underscore rule
# (Mailman) or a signature delimiter (Google Groups), so a footer never holds new text.
_FOOTER_RULE = re.compile(r"^(?:_{20,}|-- ?)$")
_FOOTER_MAX_LINES = 12
_FOOTER_MAX_CHARS = 1200


def same_or_reused(msg: InboundMessage, seen: Seen | None, digest: str) -> tuple[InboundMessage, str | None]:
    """A different message under a Message-ID already known, received or sent by mailbot (a
    broken client, a phone that sends a new mail under the id of the ack it answers, or an
    attempt to make mail vanish as a "duplicate"), is handled as the new message it is, under
    its own id; the same mail again (a second delivery, mailbot's own mail come back) and a
    copy of the same post through a mailing list are the same message. A known id whose
    content was not kept (rows from before hashes were) counts as the same only when received.
    `seen`: what is recorded under its Message-ID; `digest`: its `content_hash`."""
    if seen is None or (seen.content_hash is None and seen.direction == "in"):
        return msg, None
    if seen.content_hash == digest or (seen.direction == "in" and list_copy(msg, seen)):
        return msg, None
    return replace(msg, message_id=f"{msg.message_id}{REUSED_ID_MARK}{digest[:16]}"), msg.message_id


def list_copy(msg: InboundMessage, seen: Seen) -> bool:
    """Whether `msg`, under a Message-ID already handled with other bytes, is the same post
    as that one, once more through a mailing list the mailbox is on (SPEC 3: mail that
    arrives twice adds once): same author, same attachments, the subject but for the
    list's tag, the text but for a list footer (an underscore rule or `-- ` and a few
    lines) at the end of one copy, and a sign of the list on one of them (its headers on
    this one, its tag or footer on either). Anything else under a known id is a different
    message (SPEC 9), handled as the new one it is: the same words with another file
    attached are not a list's copy."""
    if seen.direction != "in" or seen.text is None or not _same_post(msg, seen):
        return False
    mine, theirs = _lines(msg.text), _lines(seen.text)
    if len(mine) > len(theirs) and not is_list_reason(msg.auto_reason):
        return False  # the copy with a footer is the one a list sent
    if not (is_list_reason(msg.auto_reason) or msg.subject != seen.subject or len(mine) != len(theirs)):
        return False  # nothing a list does (its headers, tag or footer): the bytes differ elsewhere, an attachment
    shorter, longer = sorted((mine, theirs), key=len)
    return longer[:len(shorter)] == shorter and _is_list_footer(longer[len(shorter):])


def _same_post(msg: InboundMessage, seen: Seen) -> bool:
    """Same author, as many attachments, and the same subject but for a list's tag."""
    return msg.from_addr.addr.lower() == seen.sender.lower() and len(msg.attachments) == seen.attachments \
        and _list_subject(msg.subject) == _list_subject(seen.subject)


def _list_subject(subject: str) -> str:
    return " ".join(_LIST_TAG.sub(" ", subject).split()).lower()


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _is_list_footer(tail: list[str]) -> bool:
    body = [line for line in tail if line.strip()]
    if not body:
        return True
    return (bool(_FOOTER_RULE.match(body[0].strip())) and len(body) <= _FOOTER_MAX_LINES
            and sum(map(len, body)) <= _FOOTER_MAX_CHARS)


# --- who wrote it when its From is not the person: a form or a group on someone's behalf ------

ON_BEHALF = "noreply sender, on behalf of its Reply-To"


def on_behalf(msg: InboundMessage, box: MailboxConfig, lkpp_senders: tuple[str, ...]) -> InboundMessage:
    """A web form's mail: sent from a no-reply address on behalf of the person in its
    one Reply-To. That person is the sender (staff answer them; SPEC 5 still forbids an
    automatic answer). A Reply-To naming staff, LKPP or the unit changes nothing: it
    proves no role. So is a group's post whose From the group rewrote to its own address
    (DMARC): the author in Reply-To is the sender, not every member of the group."""
    on_behalf_of = {"noreply sender": ON_BEHALF, DISCUSSION_LIST_AS_LIST: DISCUSSION_LIST}
    if len(msg.reply_to) != 1:
        return msg
    person = msg.reply_to[0]
    if "@" not in person.addr or noreply_address(person.addr) or person.addr == msg.from_addr.addr \
            or role_of(person.addr, box, lkpp_senders) is not Role.REQUESTER:
        return msg
    if msg.auto_reason in on_behalf_of:
        return replace(msg, from_addr=person, auto_reason=on_behalf_of[msg.auto_reason], relay=msg.from_addr.addr)
    if _relayed(msg, box, lkpp_senders):
        return replace(msg, from_addr=person, relay=msg.from_addr.addr)
    return msg


def _relayed(msg: InboundMessage, box: MailboxConfig, lkpp_senders: tuple[str, ...]) -> bool:
    """A new request a web form's relay sends from its own (readable) address, the person
    who filled the form in its one Reply-To: the person is the requester, acked and answered
    at the address they asked answers to go to (RFC 5322). Without this every form of the
    day had the relay as its requester: acks went to the relay, past `autoreply_limit` none
    at all, and staff answers never reached the people (second red team). Only a
    person's new mail (no sign of a machine, citing nothing, from an outside address) is so
    read: a reply keeps the sender its ticket knows, and a Reply-To never gives a role.

    Anyone may write so, From their own address with a stranger in Reply-To: the person
    named there is answered, never vouched for (`relay`: whatever vouched for the From
    says nothing of its Reply-To), so that ack stays inside the budget of addresses nobody
    vouches for, under the From's domain (`schedule`)."""
    return msg.auto_reason is None and not msg.in_reply_to and not msg.references \
        and role_of(msg.from_addr.addr, box, lkpp_senders) is Role.REQUESTER

"""Signed Message-IDs (SPEC sections 3 and 9).

Every Message-ID mailbot generates names its mailbox, ticket, mail kind and audience
and carries an HMAC of them, so a reply that cites it is matched even when the subject
was rewritten, and a forged reply cannot claim it. The audience is the set of roles
the mail went to, one letter each (`AUDIENCE_LETTERS`): a Message-ID sent to the
requester never vouches for a staff or LKPP message. Checking is constant-time.

Message-IDs of the first format (no audience) still verify; their audience is not
in them, and the daemon reads it from the recipients the outbox recorded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

NO_TICKET = "none"
# One letter per role a mail can go to: requester, staff, coordinators, heads, LKPP.
AUDIENCE_LETTERS = {"requester": "r", "staff": "s", "coordinator": "c", "head": "h", "lkpp": "l"}
_ID = re.compile(
    r"^mb\.(?P<mailbox>[A-Za-z0-9_-]+)\.(?P<ticket>\d{4}-\d{5}|none)\.(?P<kind>[a-z_]+)"
    r"(?:\.a(?P<audience>[chlrs]{1,5}))?"
    r"\.(?P<nonce>[0-9a-f]{10})\.(?P<sig>[a-z2-7]{16})@(?P<domain>[^@\s]+)$"
)


@dataclass(frozen=True)
class Token:
    """What a verified mailbot Message-ID says about itself."""

    mailbox: str
    ticket: str | None
    kind: str
    audience: frozenset[str] | None  # role letters; None for a Message-ID of the first format


def _sign(key: bytes, mailbox: str, ticket: str, kind: str, nonce: str, audience: str | None) -> str:
    fields = [mailbox, ticket, kind, nonce] if audience is None else [mailbox, ticket, kind, audience, nonce]
    mac = hmac.new(key, "\0".join(fields).encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:10]).decode().lower()  # 80 bits: 16 characters


def make_message_id(key: bytes, mailbox: str, ticket: str | None, kind: str, domain: str,
                    audience: frozenset[str]) -> str:
    """A fresh signed Message-ID, without angle brackets, bound to the roles it goes to."""
    ticket = ticket or NO_TICKET
    letters = "".join(sorted(audience)) or "r"
    nonce = secrets.token_hex(5)
    return (f"mb.{mailbox}.{ticket}.{kind}.a{letters}.{nonce}."
            f"{_sign(key, mailbox, ticket, kind, nonce, letters)}@{domain}")


def verify(key: bytes, message_id: str) -> Token | None:
    """The token's claims when its signature is valid, else None."""
    match = _ID.match(message_id)
    if not match:
        return None
    letters = match["audience"]
    expected = _sign(key, match["mailbox"], match["ticket"], match["kind"], match["nonce"], letters)
    if not hmac.compare_digest(expected, match["sig"]):
        return None
    ticket = None if match["ticket"] == NO_TICKET else match["ticket"]
    return Token(match["mailbox"], ticket, match["kind"], frozenset(letters) if letters else None)


# --- the escalation key ------------------------------------------------------
# LKPP's desk answers from its ticket system, often with no In-Reply-To (an RT agent
# answering from its command line, Jira's and Freshdesk's notifications): only the subject
# of the case comes back, and the desk's own reference in it is a counter anyone can guess.
# So every mail to LKPP carries a short keyed code next to our tag, which the desks carry
# into their replies with the rest of the subject: it is sent to LKPP alone, a forger can
# neither count nor compute it, and it authenticates LKPP's mail on that ticket as a
# signed Message-ID does (SPEC 9).
_ESCALATION_KEY = re.compile(r"\[\s*ref\s*:\s*(?P<code>[a-z2-7]{10})\s*\]", re.IGNORECASE)


def escalation_code(key: bytes, mailbox: str, ticket: str) -> str:
    """The ticket's escalation key: 50 bits of an HMAC of the mailbox and ticket, so it
    needs no storage and survives a restore; lower-case base32, as desks keep it."""
    mac = hmac.new(key, f"escalation\x00{mailbox}\x00{ticket}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:10]).decode().lower()[:10]


def escalation_mark(key: bytes, mailbox: str, ticket: str) -> str:
    """The key as it stands in a subject: `[ref:k7q2m9xab3]`."""
    return f"[ref:{escalation_code(key, mailbox, ticket)}]"


def escalation_keys(subject: str) -> tuple[str, ...]:
    """The escalation keys a subject carries, lower-cased, in order."""
    return tuple(dict.fromkeys(m["code"].lower() for m in _ESCALATION_KEY.finditer(subject)))


def escalation_key_valid(key: bytes, mailbox: str, ticket: str, codes: tuple[str, ...]) -> bool:
    """Whether one of `codes` is this ticket's escalation key (constant time per code)."""
    expected = escalation_code(key, mailbox, ticket)
    return any(hmac.compare_digest(expected, code) for code in codes)


def key_id(ticket: str) -> str:
    """The pseudo Message-ID a ticket's escalation key is cited and its exposure recorded under."""
    return f"escalation-key.{ticket}"


def without_escalation_keys(text: str) -> str:
    """`text` with every escalation key taken out (a title, a relayed text)."""
    return " ".join(_ESCALATION_KEY.sub(" ", text).split()) if _ESCALATION_KEY.search(text) else text

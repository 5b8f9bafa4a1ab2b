"""What the window's links and cookies carry, signed with the key of `secret_key_file`
(SPEC 13), as `tokens` signs Message-IDs: an HMAC of everything a link stands for,
checked in constant time. Pure: the key, the values and `now` are arguments.

- A requester's **status link** names its mailbox and ticket and is signed for that
  ticket *and its requester*: nothing countable opens a page (a number without the
  signature, an address), and a new key revokes every link ever mailed.
- A **sign-in link** names the address it was mailed to, when it ends and a nonce (what
  makes it single use), and is signed for the browser that asked for it: the value of
  that browser's own cookie is in the signature, never in the link, so the link opened in
  another browser, or by a mail scanner, signs nobody in.
- A **session** names the address and when it ends, signed for the same browser.

Each kind signs under its own label, so a value of one kind is never taken for another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

SIGNIN_MINUTES = 15  # SPEC 13: a sign-in link is valid 15 minutes
# Matched whole (`\Z`, never `$`, which also matches before a final newline: a valid token
# with "%0A" after it opened its page).
_STATUS = re.compile(r"^(?P<mailbox>[A-Za-z0-9_-]{1,64})\.(?P<number>\d{4}-\d{5})\.(?P<sig>[a-z2-7]{26})\Z")
_SIGNED = re.compile(r"^(?P<who>[A-Za-z0-9_-]{4,400})\.(?P<ends>\d{1,12})(?:\.(?P<nonce>[0-9a-f]{20}))?"
                     r"\.(?P<sig>[a-z2-7]{26})\Z")


def _mac(key: bytes, label: str, *fields: str) -> str:
    """128 bits of an HMAC-SHA256 of the label and the fields, as 26 lower-case base32 letters."""
    mac = hmac.new(key, "\0".join((label, *fields)).encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:16]).decode().rstrip("=").lower()


# --- a requester's status link ---------------------------------------------------------


@dataclass(frozen=True)
class StatusClaim:
    """What a status link names; it proves nothing until `status_valid` says so."""

    mailbox: str
    number: str
    sig: str


def status_token(key: bytes, mailbox: str, number: str, requester: str) -> str:
    """The token of a ticket's status page, for its requester: `btm.2026-00042.<signature>`."""
    return f"{mailbox}.{number}.{_mac(key, 'status', mailbox, number, requester.lower())}"


def status_claim(token: str) -> StatusClaim | None:
    """What a token names, or None when it is not the shape of one."""
    match = _STATUS.match(token)
    return StatusClaim(match["mailbox"], match["number"], match["sig"]) if match else None


def status_valid(key: bytes, claim: StatusClaim, requester: str) -> bool:
    """Whether the claim is signed for its ticket and this requester (constant time)."""
    return hmac.compare_digest(_mac(key, "status", claim.mailbox, claim.number, requester.lower()), claim.sig)


def status_expired(closed_at: datetime | None, now: datetime, days: int) -> bool:
    """SPEC 13: a status link works until `days` after its ticket closed (an open ticket's works)."""
    return closed_at is not None and now >= closed_at + timedelta(days=days)


# --- sign-in links and sessions ---------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """A verified sign-in link or session: whose, until when, and (a link's) its nonce."""

    address: str
    ends: datetime
    nonce: str | None = None


def _name(address: str) -> str:
    return base64.urlsafe_b64encode(address.lower().encode()).decode().rstrip("=")


def _unname(text: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def signin_token(key: bytes, address: str, browser: str, now: datetime, nonce: str | None = None) -> str:
    """A sign-in link's token for `address`, valid `SIGNIN_MINUTES` from `now`, for the browser
    whose cookie is `browser`."""
    nonce = nonce or secrets.token_hex(10)
    ends = str(_epoch(now + timedelta(minutes=SIGNIN_MINUTES)))
    return f"{_name(address)}.{ends}.{nonce}.{_mac(key, 'signin', address.lower(), ends, nonce, browser)}"


def signin_verified(key: bytes, token: str, browser: str, now: datetime) -> Signed | None:
    """The sign-in a token grants this browser now, or None (forged, of another browser, ended)."""
    return _verified(key, "signin", token, browser, now, with_nonce=True)


def session_token(key: bytes, address: str, browser: str, ends: datetime) -> str:
    """A session cookie's value: `address` signed in on this browser until `ends`."""
    until = str(_epoch(ends))
    return f"{_name(address)}.{until}.{_mac(key, 'session', address.lower(), until, browser)}"


def session_verified(key: bytes, token: str, browser: str, now: datetime) -> Signed | None:
    """Who a session cookie signs in on this browser now, or None."""
    return _verified(key, "session", token, browser, now, with_nonce=False)


def _verified(key: bytes, label: str, token: str, browser: str, now: datetime, *, with_nonce: bool) -> Signed | None:
    match = _SIGNED.match(token)
    if match is None or (match["nonce"] is not None) != with_nonce or not browser:
        return None
    address = _unname(match["who"])
    if address is None:
        return None
    fields = (address, match["ends"], match["nonce"]) if with_nonce else (address, match["ends"])
    if not hmac.compare_digest(_mac(key, label, *fields, browser), match["sig"]):
        return None
    ends = datetime.fromtimestamp(int(match["ends"]), UTC)
    return Signed(address, ends, match["nonce"]) if now < ends else None


def form_token(key: bytes, browser: str) -> str:
    """The hidden value of the sign-in form, for this browser: a request for a link that a
    page of another site makes this browser send carries none (cross-site request forgery)."""
    return _mac(key, "form", browser)


def form_valid(key: bytes, browser: str, value: str) -> bool:
    return bool(browser) and hmac.compare_digest(form_token(key, browser), value)

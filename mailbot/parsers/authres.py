"""Authentication-Results (RFC 8601) for `auth.mode: authres` (SPEC section 9). Pure.

Only the topmost header counts, and only when the unit's own server wrote it (its
authserv-id): a sender can put any number of forged copies further down, but the
receiving server always prepends its own above them. The header is read by the
`authres` library, a strict RFC 8601 parser: quoted strings and comments cannot
smuggle a result in (`smtp.mailfrom="a;dmarc=pass"@evil.test` is one value).

A result counts only when it is aligned with the From domain as DMARC means it:
`dmarc=pass` with `header.from` equal to the From domain, or `dkim=pass` /
`spf=pass` whose domain is the From domain or a parent of it that is not a public
suffix.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import authres

# Suffixes under which anyone may register a domain: never an organisational domain.
_PUBLIC_SUFFIXES = frozenset({
    "id", "go.id", "co.id", "ac.id", "or.id", "web.id", "sch.id", "net.id", "my.id", "biz.id",
    "mil.id", "desa.id", "ponpes.id", "com", "net", "org", "info", "biz", "io", "co", "gov", "edu",
})


def organisation_of(domain: str) -> str:
    """The registered domain a host name belongs to: its last two labels, or three under a
    listed public suffix ("batam.go.id"): "s1.attacker.test" is "attacker.test"."""
    labels = domain.lower().strip(".").split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in _PUBLIC_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _domain(value: str) -> str:
    return value.rpartition("@")[2].strip().strip('"').lower().strip(".")


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed DMARC alignment: the same domain, or a parent that is not a public suffix."""
    domain, from_domain = domain.lower().strip("."), from_domain.lower().strip(".")
    if not domain or not from_domain:
        return False
    if domain == from_domain:
        return True
    return from_domain.endswith("." + domain) and domain not in _PUBLIC_SUFFIXES and "." in domain


def authres_passes(values: tuple[str, ...], authserv_id: str, from_addr: str) -> tuple[bool, str]:
    """(passed, reason) for the topmost Authentication-Results header."""
    header, why = _own_header(values, authserv_id)
    if header is None:
        return False, why
    from_domain = _domain(from_addr)
    for result in header.results:
        reason = _aligned_pass(result, from_domain)
        if reason is not None:
            return True, reason
    return False, f"no aligned dmarc, dkim or spf pass for {from_domain}"


def _own_header(values: tuple[str, ...], authserv_id: str) -> tuple[Any, str]:
    """The topmost Authentication-Results, parsed, when the unit's own server (`authserv_id`)
    wrote it; else None and why not."""
    if not values:
        return None, "no Authentication-Results header"
    header, why = _parsed(values[0])
    if header is None:
        return None, why
    server = header.authserv_id or ""
    if server.lower() != authserv_id.lower():
        return None, f"topmost Authentication-Results is from {server or '?'!r}, not {authserv_id!r}"
    return header, ""


@lru_cache(maxsize=256)
def _parsed(value: str) -> tuple[Any, str]:
    """One header value parsed, or None and why not. Remembered: each message asks of its
    topmost header up to four times (vouched, disowned, the ack, trust), and authres parses
    with a regular expression per token (a tenth of the plan). The parsed header is
    only read, never changed."""
    try:
        return authres.AuthenticationResultsHeader.parse_value(value), ""
    except authres.AuthResError as exc:
        return None, f"topmost Authentication-Results cannot be read: {exc}"
    except RecursionError:  # authres reads nested comments by recursion: "(" a few hundred times
        return None, "topmost Authentication-Results cannot be read: comments nested too deep"


def _aligned_pass(result: Any, from_domain: str) -> str | None:
    """Why one result is a pass aligned with the From domain (`_ALIGNED`), or None."""
    if (result.result or "").lower() != "pass":
        return None
    props = {(p.type.lower(), p.name.lower()): p.value or "" for p in result.properties}
    found = _ALIGNED.get((result.method or "").lower())
    if found is None:
        return None
    is_aligned, reason = found
    return reason.format(from_domain) if is_aligned(props, from_domain) else None


Properties = dict[tuple[str, str], str]  # a result's properties: (type, name) -> value


def _dmarc_aligned(props: Properties, from_domain: str) -> bool:
    return _domain(props.get(("header", "from"), "")) == from_domain


def _dkim_aligned(props: Properties, from_domain: str) -> bool:
    return aligned(_domain(props.get(("header", "d"), "") or props.get(("header", "i"), "")), from_domain)


def _spf_aligned(props: Properties, from_domain: str) -> bool:
    return aligned(_domain(props.get(("smtp", "mailfrom"), "")), from_domain)


# A passing method -> whether its domain is the From domain's (DMARC: the same; DKIM's
# signing domain and SPF's envelope sender: relaxed alignment), and the reason it gives.
_ALIGNED: dict[str, tuple[Callable[[Properties, str], bool], str]] = {
    "dmarc": (_dmarc_aligned, "dmarc=pass for {}"),
    "dkim": (_dkim_aligned, "dkim=pass aligned with {}"),
    "spf": (_spf_aligned, "spf=pass aligned with {}"),
}


def authres_fails(values: tuple[str, ...], authserv_id: str, from_addr: str) -> str | None:
    """Why the unit's own server (the topmost Authentication-Results, of `authserv_id`) says
    the sender is not who From names, or None: `dmarc=fail` or `spf=fail` with no aligned
    pass beside it (a list or forwarder breaks SPF, yet its DKIM still passes). Mail so
    marked still opens a ticket, but is answered by nobody (no backscatter)."""
    if not values or authres_passes(values, authserv_id, from_addr)[0]:
        return None
    header, _ = _own_header(values, authserv_id)
    if header is None:
        return None
    for result in header.results:
        method, verdict = (result.method or "").lower(), (result.result or "").lower()
        if method in ("dmarc", "spf") and verdict == "fail":
            return f"{method}=fail by {authserv_id}"
    return None

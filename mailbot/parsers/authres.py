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
    if not values:
        return False, "no Authentication-Results header"
    try:
        header = authres.AuthenticationResultsHeader.parse_value(values[0])
    except authres.AuthResError as exc:
        return False, f"topmost Authentication-Results cannot be read: {exc}"
    server = header.authserv_id or ""
    if server.lower() != authserv_id.lower():
        return False, f"topmost Authentication-Results is from {server or '?'!r}, not {authserv_id!r}"
    from_domain = _domain(from_addr)
    for result in header.results:
        if (result.result or "").lower() != "pass":
            continue
        method = (result.method or "").lower()
        props = {(p.type.lower(), p.name.lower()): p.value or "" for p in result.properties}
        if method == "dmarc" and _domain(props.get(("header", "from"), "")) == from_domain:
            return True, f"dmarc=pass for {from_domain}"
        if method == "dkim" and aligned(_domain(props.get(("header", "d"), "") or props.get(("header", "i"), "")),
                                        from_domain):
            return True, f"dkim=pass aligned with {from_domain}"
        if method == "spf" and aligned(_domain(props.get(("smtp", "mailfrom"), "")), from_domain):
            return True, f"spf=pass aligned with {from_domain}"
    return False, f"no aligned dmarc, dkim or spf pass for {from_domain}"


def authres_fails(values: tuple[str, ...], authserv_id: str, from_addr: str) -> str | None:
    """Why the unit's own server (the topmost Authentication-Results, of `authserv_id`) says
    the sender is not who From names, or None: `dmarc=fail` or `spf=fail` with no aligned
    pass beside it (a list or forwarder breaks SPF, yet its DKIM still passes). Mail so
    marked still opens a ticket, but is answered by nobody (issue 37: no backscatter)."""
    if not values or authres_passes(values, authserv_id, from_addr)[0]:
        return None
    try:
        header = authres.AuthenticationResultsHeader.parse_value(values[0])
    except authres.AuthResError:
        return None
    if (header.authserv_id or "").lower() != authserv_id.lower():
        return None
    for result in header.results:
        method, verdict = (result.method or "").lower(), (result.result or "").lower()
        if method in ("dmarc", "spf") and verdict == "fail":
            return f"{method}=fail by {authserv_id}"
    return None

"""Authentication-Results (RFC 8601) for `auth.mode: authres` (SPEC section 9). Pure.

Only the topmost header counts, and only when the unit's own server wrote it (its
authserv-id): a sender can put any number of forged copies further down, but the
receiving server always prepends its own above them.
"""

from __future__ import annotations

import re

_RESULT = re.compile(r"\b(dkim|spf|dmarc)\s*=\s*([a-z]+)\b([^;]*)", re.IGNORECASE)
_PROP = re.compile(r"\b(header\.d|header\.i|header\.from|smtp\.mailfrom|smtp\.helo)\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)
_COMMENT = re.compile(r"\([^()]*\)")


def _aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment: the same organisational domain, approximated by suffix."""
    domain, from_domain = domain.lower().strip("."), from_domain.lower().strip(".")
    return domain == from_domain or from_domain.endswith("." + domain) or domain.endswith("." + from_domain)


def authres_passes(values: tuple[str, ...], authserv_id: str, from_addr: str) -> tuple[bool, str]:
    """(passed, reason) for the topmost Authentication-Results header."""
    if not values:
        return False, "no Authentication-Results header"
    top = _COMMENT.sub(" ", values[0])
    server = top.split(";", 1)[0].strip().split()[0] if top.strip() else ""
    if server.lower() != authserv_id.lower():
        return False, f"topmost Authentication-Results is from {server or '?'!r}, not {authserv_id!r}"
    from_domain = from_addr.rpartition("@")[2]
    for method, result, props in _RESULT.findall(top):
        if result.lower() != "pass":
            continue
        method = method.lower()
        if method == "dmarc":
            return True, "dmarc=pass"
        for name, value in _PROP.findall(props):
            domain = value.rpartition("@")[2]
            if method == "dkim" and name.lower() in ("header.d", "header.i") and _aligned(domain, from_domain):
                return True, f"dkim=pass aligned with {from_domain}"
            if method == "spf" and name.lower() == "smtp.mailfrom" and _aligned(domain, from_domain):
                return True, f"spf=pass aligned with {from_domain}"
    return False, "no dmarc=pass and no aligned dkim=pass or spf=pass"

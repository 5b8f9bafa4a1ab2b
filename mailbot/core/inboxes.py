"""One inbox, however its address is spelled. Pure.

The loop limits and the unit-wide ack rate count mail to an inbox, not to a spelling:
`Target+0@example.test`, `target+29@example.test` and `TARGET@example.test` reach one
person, as `t.a.r.g.e.t@gmail.com` and `target@googlemail.com` reach one Gmail account.
The key is the address lower-cased, without a `+tag` (subaddressing, RFC 5233, which the
large providers and Postfix's default `recipient_delimiter` honour), and for the providers
that ignore dots in the local part, without dots, under the provider's one domain. The
key only counts: mail still goes to the address as written.
"""

from __future__ import annotations

# Providers that deliver a local part with or without its dots to one mailbox, and the
# domain each is known by (Gmail's own help: "Dots don't matter in Gmail addresses").
DOTLESS_DOMAINS: dict[str, str] = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
SUBADDRESS_DELIMITER = "+"


def inbox_key(address: str) -> str:
    """The key every spelling of one inbox shares."""
    local, at, domain = address.strip().lower().rpartition("@")
    if not at or not local:
        return address.strip().lower()
    domain = domain.rstrip(".")
    if local.startswith('"') and local.endswith('"') and len(local) > 1:
        local = local[1:-1]
    base = local.split(SUBADDRESS_DELIMITER, 1)[0] or local
    if domain in DOTLESS_DOMAINS:
        base, domain = base.replace(".", ""), DOTLESS_DOMAINS[domain]
    return f"{base}@{domain}"

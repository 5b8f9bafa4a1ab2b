"""Who a mail goes to: each audience's addresses, and which of them can be written to. Pure.

An audience (`model.Audience`) is a role, not an address: this mailbox's configuration
and the ticket say who it is today (`addresses`). An address goes into To or Cc only in a
shape SMTP without SMTPUTF8 carries and the renderer writes as it is (`deliverable`,
`ascii_domain`). The unit's own people, its own address and LKPP are `internal`: the loop
limits never count mail to them, and a requester never sees their personal addresses.
"""

from __future__ import annotations

import email.errors
import fnmatch
import functools
import re
from collections.abc import Callable
from email.headerregistry import Address as HeaderAddress

from mailbot.model import Audience, InboundMessage, Ticket, has_mailbox
from mailbot.settings import Config, MailboxConfig


def addresses(audience: Audience, box: MailboxConfig, cfg: Config, ticket: Ticket | None,
              msg: InboundMessage | None) -> tuple[str, ...]:
    """The addresses of an audience for this mailbox."""
    found = _AUDIENCES.get(audience)
    return found(box, cfg, ticket, msg) if found is not None else ()


def _requester(box: MailboxConfig, cfg: Config, ticket: Ticket | None, msg: InboundMessage | None) -> tuple[str, ...]:
    """A caller who gave no e-mail has a placeholder that never receives mail."""
    return (ticket.requester.addr,) if ticket and has_mailbox(ticket.requester.addr) else ()


def _sender(box: MailboxConfig, cfg: Config, ticket: Ticket | None, msg: InboundMessage | None) -> tuple[str, ...]:
    """With no message (a timer's): the staff member who wrote a held form down."""
    if msg:
        return (msg.from_addr.addr,)
    return (ticket.taken_by,) if ticket and ticket.taken_by else ()


def _lkpp(box: MailboxConfig, cfg: Config, ticket: Ticket | None, msg: InboundMessage | None) -> tuple[str, ...]:
    return (cfg.escalation.address,) if cfg.escalation.address else ()


def _assignee(box: MailboxConfig, cfg: Config, ticket: Ticket | None, msg: InboundMessage | None) -> tuple[str, ...]:
    return (ticket.assignee,) if ticket and ticket.assignee else ()


_Addresses = Callable[[MailboxConfig, Config, "Ticket | None", "InboundMessage | None"], tuple[str, ...]]

# Who each audience is; coordinators fall back to the staff addresses, heads to the coordinators.
_AUDIENCES: dict[Audience, _Addresses] = {
    Audience.REQUESTER: _requester,
    Audience.STAFF: lambda box, cfg, ticket, msg: box.notify_addresses,
    Audience.SENDER: _sender,
    Audience.COORDINATORS: lambda box, cfg, ticket, msg: box.coordinators or box.notify_addresses,
    Audience.LKPP: _lkpp,
    Audience.HEADS: lambda box, cfg, ticket, msg: box.heads or box.coordinators,
    Audience.ASSIGNEE: _assignee,
}


def internal(box: MailboxConfig, cfg: Config, address: str) -> bool:
    """The unit's own people, its own address and LKPP: never counted by the loop limits."""
    address = address.lower()
    return (box.own(address) or address == cfg.escalation.address
            or any(fnmatch.fnmatchcase(address, p) for p in cfg.escalation.senders))


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")


@functools.lru_cache(maxsize=4096)
def ascii_domain(address: str) -> str:
    """The address with an internationalised domain in its ASCII form (`bücher.id` is
    `xn--bcher-kva.id`), as SMTP without SMTPUTF8 carries it; else as it is."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address


def deliverable(address: str) -> bool:
    """Whether we can write this address into To/Cc and send to it (ASCII addr-spec)."""
    if not _writable(address):
        return False
    if _PLAIN_ADDRESS.fullmatch(address):  # the common shape, without the full parser
        return True
    return _parses(address)


def _writable(address: str) -> bool:
    """One ASCII mailbox the renderer can write as it is."""
    if not address or not address.isascii() or address.count("@") != 1 or not has_mailbox(address):
        return False  # `.invalid` (RFC 2606) never resolves: a placeholder, never a recipient
    # the renderer writes no quoted local part: such an address is skipped, not a crash
    return not any(c in address for c in ' <>,;"') and address.isprintable()


def _parses(address: str) -> bool:
    """What the header parser makes of an address of an unusual shape."""
    try:
        parsed = HeaderAddress(addr_spec=address)
    except (ValueError, IndexError, email.errors.HeaderParseError, email.errors.HeaderDefect):
        return False
    local, _, domain = parsed.addr_spec.rpartition("@")
    return bool(local) and ("." in domain or domain == "localhost") and not domain.startswith(".")

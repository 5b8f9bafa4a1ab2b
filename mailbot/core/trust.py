"""Who may act in which role (SPEC section 9). Pure.

The From header proves nothing. A staff, coordinator, head or LKPP message acts (runs
commands, is relayed to a requester, changes state) only when it cites a Message-ID
that mailbot sent on that same ticket **to that role**: mailbot's Message-IDs are
signed with the roles they went to (`tokens`), so the acknowledgement a requester
received never vouches for a message claiming to come from staff or LKPP. With
`auth.mode: authres` the unit's own mail server must vouch for the From domain too;
with `off`, From alone decides (closed test setups only).

A coordinator or head who answers the daily digest (or another mail about no one
ticket) names the tickets in the text; such a reply is matched by that mention, and
the digest's signed Message-ID, sent to that role, is the proof: the digest is about
every ticket it lists. Such mail only ever becomes direction passed to staff, and so
does an answer to the digest that names no ticket ("all overdue tickets today").

A Message-ID proves only what its least trusted recipient could not write: the
status request that goes to LKPP with staff and coordinators in copy (SOP-015 step 12)
is in LKPP's mailbox too, so citing it proves an LKPP message but not a staff one, and
mail that also went to a requester proves no role at all. With `auth.mode: authres`
the unit's own server proves the From domain, which no outside recipient can forge,
and such a shared Message-ID counts again.

A requester needs no proof: what a requester can do is bounded by the ticket they
are a participant of (`matching`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from mailbot.core.tokens import AUDIENCE_LETTERS
from mailbot.model import InboundMessage, Refusal, Role, Ticket
from mailbot.parsers.authres import authres_fails, authres_passes
from mailbot.settings import AuthConfig

# The letter a cited Message-ID's audience must hold for a message of each role.
NEEDED = {Role.STAFF: "s", Role.COORDINATOR: "c", Role.HEAD: "h", Role.LKPP: "l"}
_NAMES = {letter: role for role, letter in AUDIENCE_LETTERS.items()}
# The recipients who could write as anyone of a role holding the letter if they held its
# Message-ID: outside parties (the requester, LKPP) for the unit's own people, the requester for LKPP.
_OUTSIDE = frozenset("lr")  # the requester and LKPP: no one of the unit
_OUTSIDERS = {"s": _OUTSIDE, "c": _OUTSIDE, "h": _OUTSIDE, "l": frozenset("r")}


@dataclass(frozen=True)
class Citation:
    """A Message-ID that mailbot sent and this message cites: its ticket and its audience."""

    ticket: str | None  # None: a mail about no one ticket (the digest, a system alert)
    audience: frozenset[str]  # role letters of `tokens.AUDIENCE_LETTERS`: whom it went to, and who holds it since
    kind: str = ""  # the mail kind it was (`need_info`, `ack`, ...)
    message_id: str = ""
    leaked: frozenset[str] = frozenset()  # of `audience`, the outsiders it reached after it went (`exposed`)

    @property
    def internal(self) -> bool:
        """It went to the unit's own people alone (no requester, no LKPP), whoever holds it since."""
        sent_to = self.audience - self.leaked
        return bool(sent_to) and not sent_to & _OUTSIDE


def exposed(citations: Iterable[Citation], holders: frozenset[str]) -> tuple[tuple[str, frozenset[str]], ...]:
    """The cited Message-IDs this message puts in outside hands, with the role letters that
    now hold them: a staff reply to mailbot's staff notice with LKPP in Cc gives LKPP the
    notice's Message-ID, and LKPP's answer that quotes it shows LKPP has it. `holders`: the
    letters of the message's sender and recipients. Only outsiders count (`_OUTSIDERS`):
    from then on that Message-ID proves no role they could write as (SPEC 9)."""
    outside = holders & _OUTSIDE
    return tuple((c.message_id, outside - c.audience) for c in citations
                 if c.message_id and outside - c.audience)


def sender_vouched(msg: InboundMessage, auth: AuthConfig) -> bool:
    """Whether a server the unit trusts vouched for the From address of an outside sender
   : `authres` and the unit's own server's aligned dmarc, dkim or spf pass;
    under `token` nobody outside the unit can prove an address, and `off` is for closed
    test setups, where From alone counts."""
    return _vouched(auth, server_verdict(msg, auth))


def server_verdict(msg: InboundMessage, auth: AuthConfig) -> tuple[bool, str] | None:
    """The unit's own server's verdict on the From of `msg` (its topmost Authentication-Results),
    read in `authres` mode only: whether it passed, and why; None in the other modes. A
    message whose From was not the person it is from (`InboundMessage.relay`, a Reply-To
    taken as the sender) has no pass: the server vouched for the relay's domain, not for
    whoever the relay named."""
    if auth.mode != "authres":
        return None
    if msg.relay:
        return False, f"sent by {msg.relay} on behalf of its Reply-To: nothing vouches for that address"
    return authres_passes(msg.auth_results, auth.trusted_authserv_id or "", msg.from_addr.addr)


def _vouched(auth: AuthConfig, verdict: tuple[bool, str] | None) -> bool:
    """`sender_vouched` from the server's verdict (`server_verdict`) already read."""
    if auth.mode == "off":
        return True
    return bool(auth.trusted_authserv_id) and verdict is not None and verdict[0]


def sender_disowned(msg: InboundMessage, auth: AuthConfig) -> str | None:
    """Why the unit's own server says this mail's From is forged (`dmarc=fail`, `spf=fail`),
    or None; read wherever `auth.trusted_authserv_id` names that server."""
    if auth.mode == "off" or not auth.trusted_authserv_id:
        return None
    return authres_fails(msg.auth_results, auth.trusted_authserv_id, msg.from_addr.addr)


@dataclass(frozen=True)
class Trust:
    """Whether the message may act in its sender's role, and why (kept on the ticket)."""

    authenticated: bool
    reason: str
    why: Refusal | None = None  # a refusal's code and values, for mail in the mailbox's language
    vouched: bool = False  # a server the unit trusts vouched for the From (`sender_vouched`; `trust_of` sets it)


def _refused(code: str, value: str = "", name: str = "") -> Trust:
    why = Refusal(code, value=value, name=name)
    return Trust(False, str(why), why)


def authenticate(role: Role, ticket: Ticket | None, citations: Iterable[Citation], mode: str,
                 authres: tuple[bool, str] | None = None, *, mentioned: bool = False,
                 reserved: str | None = None, counterpart: bool = False) -> Trust:
    """SPEC 9: the verdict for a message of `role` matched to `ticket`.

    `authres` is the verdict on the topmost Authentication-Results of the unit's own
    server, needed only in `authres` mode. `mentioned`: the ticket was found by its
    number in a coordinator's or head's text, so a citation of mail about no one
    ticket (the digest) counts too; with no ticket at all, that citation is the only
    proof a coordinator's or head's general direction can have. `reserved`: with no
    ticket, the number a held call or visit reserved (SPEC 3): a reply to the mail that
    went to staff under it proves a staff member as a reply on a ticket does.
    """
    letter = NEEDED.get(role)
    if letter is None:
        return Trust(True, "not needed")
    if mode == "off":
        return Trust(True, "auth.mode is off")
    general = role in (Role.COORDINATOR, Role.HEAD)  # mail about no one ticket went to these roles
    number = ticket.number if ticket is not None else reserved
    if number is None and not general:
        return _refused("no_ticket")
    verdict = _by_citations(letter, ticket, number, list(citations), mode, authres, general=general,
                            mentioned=mentioned)
    if verdict.authenticated or not (counterpart and role is Role.LKPP and ticket is not None):
        return verdict
    # LKPP's mail that cites only its desk's own reference (`[Ticket#2026112410000017]`,
    # `[lkpp.test #5]`) is matched by it, but proves nothing: desks number consecutively, so a
    # requester who saw their own reference can count to the neighbour's. Its mail waits for
    # staff to decide (`#teruskan`, `#permintaan-data`, `#selesai`); a desk's agent answering
    # from its command line carries the escalation key in the subject, a citation like any other.
    return _refused("reference_only")


@dataclass(frozen=True)
class _Evidence:
    """What a message shows for a role: the signed Message-IDs it cites that vouch for its
    ticket (`on_ticket`), those of them that went to the role (`sent_to`), the `auth.mode`
    and, in `authres` mode, the unit's own server's verdict on its From."""

    letter: str
    on_ticket: tuple[Citation, ...]
    sent_to: tuple[Citation, ...]
    mode: str
    authres: tuple[bool, str]


@dataclass(frozen=True)
class _Proof:
    """A row of `_PROOF`: evidence a message must show, and the refusal when it does not."""

    name: str
    lacking: Callable[[_Evidence], bool]
    refusal: Callable[[_Evidence], Trust]
    spec: str


def _no_outsider_lacks(e: _Evidence) -> bool:
    """Under `token`, every cited mail of the role also reached someone who could have written it."""
    return e.mode != "authres" and all(c.audience & _OUTSIDERS[e.letter] for c in e.sent_to)


def _wrong_audience(e: _Evidence) -> Trust:
    seen = sorted({_NAMES.get(x, x) for c in e.on_ticket for x in c.audience})
    return _refused("wrong_audience", value=", ".join(seen), name=_NAMES[e.letter])


# Read top to bottom: a message acts in its role only when it shows every row's evidence.
# What counts is mailbot's signed Message-IDs and the unit's own server's verdict: no row
# reads a number its sender could count (a ticket's, a desk's) or write (a From, a subject).
_PROOF: tuple[_Proof, ...] = (
    _Proof("cites mailbot's mail on its ticket (or, for coordinators and heads, about no one ticket)",
           lambda e: not e.on_ticket, lambda e: _refused("not_a_reply"), "SPEC 9"),
    _Proof("that mail went to the role", lambda e: not e.sent_to, _wrong_audience, "SPEC 9"),
    _Proof("token: that mail went to no one outside who could write as the role", _no_outsider_lacks,
           lambda e: _shared(e.letter, list(e.sent_to)), "SPEC 9: a Message-ID proves what its least trusted "
           "recipient could not write"),
    _Proof("authres: the unit's own server vouches for the From", lambda e: e.mode == "authres" and not e.authres[0],
           lambda e: _refused("authres", value=e.authres[1]), "SPEC 9"),
)


def _by_citations(letter: str, ticket: Ticket | None, number: str | None, citations: list[Citation], mode: str,
                  authres: tuple[bool, str] | None, *, general: bool, mentioned: bool) -> Trust:
    """The verdict of the signed Message-IDs the message cites (`_PROOF`)."""

    def vouches(cited: Citation) -> bool:
        if cited.ticket is None:  # the digest, an alert: proof of the role, for no ticket or a named one
            return general and (mentioned or ticket is None)
        return number is not None and cited.ticket == number

    on_ticket = tuple(c for c in citations if vouches(c))
    evidence = _Evidence(letter, on_ticket, tuple(c for c in on_ticket if letter in c.audience), mode,
                         authres or (False, "no Authentication-Results verdict"))
    lacking = next((row for row in _PROOF if row.lacking(evidence)), None)
    if lacking is not None:
        return lacking.refusal(evidence)
    if mode == "authres":
        return Trust(True, f"signed reference to {_NAMES[letter]} and {evidence.authres[1]}")
    return Trust(True, f"signed reference to {_NAMES[letter]}")


def _shared(letter: str, sent_to: list[Citation]) -> Trust:
    """Every mail the message cites also reached someone who could have written it: when it
    went (`shared_audience`), or only since (`leaked`: a reply to it came from outside, or
    staff sent it on to LKPP), which its sender is told as it is."""
    outsiders = sorted({_NAMES[x] for c in sent_to for x in c.audience & _OUTSIDERS[letter]})
    since = all(not (c.audience - c.leaked) & _OUTSIDERS[letter] for c in sent_to)
    return _refused("leaked" if since else "shared_audience", value=", ".join(outsiders), name=_NAMES[letter])


def trust_of(msg: InboundMessage, role: Role, ticket: Ticket | None, citations: Iterable[Citation],
             auth: AuthConfig, *, via: str | None = None, opening: bool = False,
             reserved: str | None = None, counterpart: bool = False) -> Trust:
    """The SPEC 9 verdict for one classified message under the configured `auth` mode, with
    whether a server the unit trusts vouched for its From (`Trust.vouched`): the message is
    asked once (`server_verdict`), and the rest is read from that answer (`_verdict_of`)."""
    return _verdict_of(role, ticket, citations, auth, server_verdict(msg, auth), via=via, opening=opening,
                      reserved=reserved, counterpart=counterpart)


def _verdict_of(role: Role, ticket: Ticket | None, citations: Iterable[Citation], auth: AuthConfig,
               server: tuple[bool, str] | None, *, via: str | None = None, opening: bool = False,
               reserved: str | None = None, counterpart: bool = False) -> Trust:
    """`trust_of` once the unit's own server's verdict on the From (`server`) is read.

    `opening`: a new staff mail that opens a ticket for a call or a visit (SPEC 3); it cites
    no mail of ours, so in `token` mode nothing proves its sender (its sender confirms it by
    replying to the mail the held call sends them, `reserved` then names its number); in
    `authres` mode the unit's own mail server does, as for any staff message there."""
    vouched = _vouched(auth, server)
    if opening and NEEDED.get(role) is not None:
        if auth.mode == "off":
            return Trust(True, "auth.mode is off", vouched=vouched)
        if auth.mode == "authres":
            ok, why = server or (False, "no Authentication-Results verdict")
            return replace(Trust(True, f"new mail and {why}") if ok else _refused("authres", value=why),
                           vouched=vouched)
        return replace(_refused("new_mail"), vouched=vouched)
    return replace(authenticate(role, ticket, citations, auth.mode, server, mentioned=via == "mention",
                                reserved=reserved, counterpart=counterpart), vouched=vouched)

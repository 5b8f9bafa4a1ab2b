"""SPEC section 9, written out by hand: who may act in which role (pure).

The expected verdicts come from SPEC 9's words, not from `mailbot.core.trust`'s tables:
a staff, coordinator, head or LKPP message acts only when it cites a Message-ID that
mailbot sent on that same ticket to that audience; `auth.mode: authres` needs the unit's
own server to vouch for the From domain as well; `auth.mode: off` trusts From alone.
A message that fails is kept as an unverified note and "staff or coordinators are told
why": the refusal must name what the cited mail went to and the role claimed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from mailbot.core.trust import Citation, authenticate, trust_of
from mailbot.model import Address, Role, State, Ticket
from mailbot.parsers import parse_message
from mailbot.settings import AuthConfig

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
SERVER = "mail.batam.go.id"  # the unit's own mail server (auth.trusted_authserv_id)
# What a mail went to, by role: r requester, s staff, c coordinators, h heads, l LKPP
# (the audience a signed Message-ID carries, SPEC 9).
TO_REQUESTER, TO_STAFF, TO_LEADERS, TO_LKPP = frozenset("r"), frozenset("s"), frozenset("ch"), frozenset("l")
STATUS_REQUEST = frozenset("lsc")  # SOP-015 step 12: to LKPP, staff and coordinators in copy


def ticket(number: str = "2026-00042") -> Ticket:
    return Ticket(None, "btm", number, State.ESCALATED, Address("budi@vendor.co.id", "Budi"), "Akun terkunci",
                  NOW, NOW, participants=frozenset({"budi@vendor.co.id"}))


def staff_mail(*auth_results: str, sender: str = "helpdesk1@batam.go.id") -> EmailMessage:
    msg = EmailMessage()
    for value in auth_results:
        msg["Authentication-Results"] = value
    msg["From"] = sender
    msg["To"] = "lpse@batam.go.id"
    msg["Subject"] = "Re: [LPSE-BTM #2026-00042] Akun terkunci"
    msg["Message-ID"] = "<balasan-1@batam.go.id>"
    msg.set_content("#selesai\nAkun sudah dibuka kembali.")
    return msg


@pytest.mark.parametrize("role", [Role.STAFF, Role.COORDINATOR, Role.HEAD, Role.LKPP])
def test_auth_mode_off_trusts_from_alone(role: Role) -> None:
    """SPEC 9, `auth.mode: off`: From alone decides, even with no Message-ID cited."""
    assert authenticate(role, ticket(), (), "off").authenticated


def test_a_message_id_of_another_ticket_proves_nothing_here() -> None:
    """SPEC 9: the cited Message-ID must have been sent "on that same ticket". A staff member's
    genuine notice about ticket 41 does not let a message act on ticket 42."""
    other = (Citation("2026-00041", TO_STAFF, "staff_new", "n41@batam.go.id"),)
    trust = authenticate(Role.STAFF, ticket("2026-00042"), other, "token")
    assert not trust.authenticated
    assert trust.why is not None and trust.why.code == "not_a_reply"


def test_authres_mode_without_a_verdict_is_refused() -> None:
    """SPEC 9, `auth.mode: authres`: the signed reference *and* the unit's server's verdict;
    a message with no Authentication-Results verdict at all does not act."""
    t = ticket()
    trust = authenticate(Role.STAFF, t, (Citation(t.number, TO_STAFF),), "authres", None)
    assert not trust.authenticated


def test_a_refusal_for_the_wrong_audience_names_both_roles() -> None:
    """SPEC 9: staff "are told why". A From: staff message citing only the requester's ack
    is refused, and the reason says the mail it answers went to the requester, not to staff."""
    t = ticket()
    trust = authenticate(Role.STAFF, t, (Citation(t.number, TO_REQUESTER, "ack"),), "token")
    assert not trust.authenticated and trust.why is not None
    assert (trust.why.code, trust.why.value, trust.why.name) == ("wrong_audience", str(Role.REQUESTER), str(Role.STAFF))
    assert "requester" in trust.reason and "staff" in trust.reason


def test_a_refusal_for_a_shared_message_id_names_only_the_outsider_who_had_it() -> None:
    """SPEC 9: the status request went to LKPP with staff and coordinators in copy, so LKPP
    holds its Message-ID; a From: staff message citing only it is refused, naming LKPP (who
    could have written it) and nobody who never received it (the requester)."""
    t = ticket()
    trust = authenticate(Role.STAFF, t, (Citation(t.number, STATUS_REQUEST, "lkpp_status"),), "token")
    assert not trust.authenticated and trust.why is not None
    assert (trust.why.code, trust.why.value, trust.why.name) == ("shared_audience", str(Role.LKPP), str(Role.STAFF))
    assert "requester" not in trust.reason and "lkpp" in trust.reason and "staff" in trust.reason


def test_a_staff_notice_that_reached_an_outsider_since_is_refused_saying_so() -> None:
    """SPEC 9: a notice that went to staff alone, whose Message-ID an outsider's reply showed
    in outside hands since, proves no staff member any more; the refusal says it reached
    someone outside after it went, not that the requester received it."""
    t = ticket()
    leaked = Citation(t.number, frozenset("sr"), "staff_new", "n1@x", leaked=frozenset("r"))
    trust = authenticate(Role.STAFF, t, (leaked,), "token")
    assert not trust.authenticated and trust.why is not None
    assert (trust.why.code, trust.why.value, trust.why.name) == ("leaked", str(Role.REQUESTER), str(Role.STAFF))
    assert "after it was sent" in trust.reason
    # the same letters from the mail's own audience are the requester's copy, as before
    shared = authenticate(Role.STAFF, t, (Citation(t.number, frozenset("sr"), "staff_new", "n1@x"),), "token")
    assert shared.why is not None and shared.why.code == "shared_audience"


def test_an_outsiders_reply_to_internal_mail_is_a_leak_and_to_an_ack_a_new_ticket() -> None:
    """SPEC 9 and 3: an address that is neither the unit's nor the ticket's, citing a notice that
    went to staff alone, is recorded on that ticket (no new ticket, no ack); citing mail the
    requester received (anyone they forward it to may write), it opens a new ticket citing it."""
    from mailbot.core.classify import Known, classify
    from mailbot.core.events import Event
    from tests.test_lifecycle import BOX, CFG, RULES, message
    from tests.test_lifecycle import ticket as open_ticket

    t = open_ticket(State.OPEN)
    outsider = Address("root@lpse.test", "root")
    for cited, event in ((Citation(t.number, TO_STAFF, "staff_new", "n1@x"), Event.OUTSIDE_REPLY),
                         (Citation(t.number, TO_REQUESTER, "ack", "a1@x"), Event.REQUESTER_NEW)):
        facts = classify(message(outsider, "Server penuh."), Known(referenced=(t,), citations=(cited,)), BOX, CFG,
                         RULES, NOW, NOW)
        assert facts.event is event
        assert (facts.ticket is t) == (event is Event.OUTSIDE_REPLY)


def test_an_authres_refusal_says_what_the_server_found() -> None:
    """SPEC 9: coordinators are told why; with `authres` that is the server's verdict."""
    t = ticket()
    trust = authenticate(Role.STAFF, t, (Citation(t.number, TO_STAFF),), "authres", (False, "dmarc=fail"))
    assert not trust.authenticated and trust.why is not None
    assert trust.why.code == "authres" and "dmarc=fail" in trust.why.value and "dmarc=fail" in trust.reason


@pytest.mark.parametrize(("header", "cited", "proven"), [
    # the unit's own server vouches for the From domain: the staff notice proves staff
    (f"{SERVER}; dmarc=pass header.from=batam.go.id", TO_STAFF, True),
    # ... and a reply-all to the status request, which LKPP cannot forge under batam.go.id
    (f"{SERVER}; dmarc=pass header.from=batam.go.id", STATUS_REQUEST, True),
    # the server says the From domain failed: nothing acts, whatever it cites
    (f"{SERVER}; dmarc=fail header.from=batam.go.id", TO_STAFF, False),
    # another server's pass counts for nothing
    ("mx.evil.example; dmarc=pass header.from=batam.go.id", TO_STAFF, False),
    # a pass does not replace the signed reference to staff
    (f"{SERVER}; dmarc=pass header.from=batam.go.id", TO_REQUESTER, False),
])
def test_trust_of_in_authres_mode_reads_the_units_server(header: str, cited: frozenset[str], proven: bool) -> None:
    """SPEC 9, `auth.mode: authres`: a staff message acts only with a signed reference to
    staff and the topmost Authentication-Results of `auth.trusted_authserv_id` passing for
    the From domain."""
    t = ticket()
    msg = parse_message(staff_mail(header).as_bytes())
    auth = AuthConfig(mode="authres", trusted_authserv_id=SERVER)
    trust = trust_of(msg, Role.STAFF, t, (Citation(t.number, cited),), auth)
    assert trust.authenticated is proven


def test_trust_of_in_token_mode_ignores_authentication_results() -> None:
    """SPEC 9, `auth.mode: token` (the default): the signed reference decides; a failing
    Authentication-Results header does not stop a staff reply to the staff notice."""
    t = ticket()
    msg = parse_message(staff_mail(f"{SERVER}; dmarc=fail header.from=batam.go.id").as_bytes())
    trust = trust_of(msg, Role.STAFF, t, (Citation(t.number, TO_STAFF),), AuthConfig(mode="token"))
    assert trust.authenticated

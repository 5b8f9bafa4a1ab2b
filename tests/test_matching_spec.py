"""SPEC sections 1 and 3, written out by hand: who a sender is and which ticket a message joins (pure).

The expected values come from the SPEC's words, not from `mailbot.core.matching`'s code:
section 1's roles (anyone not listed is a requester; coordinators and heads are internal,
E12b/E12d: their direction goes to staff), section 3's matching (the tag, then
In-Reply-To/References, for participants only; anyone else opens a new ticket that cites
the old one; mail that arrives twice adds once) and section 9's audiences (a Message-ID sent to the requester never
authenticates anyone else).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.config.load import parse_config
from mailbot.core.matching import (
    answering_as,
    audience_of,
    base_subject,
    list_copy,
    resolve,
    retitled,
    role_of,
    roles_of,
)
from mailbot.core.trust import Citation, authenticate
from mailbot.model import Address, InboundMessage, Role, Seen, State, Ticket
from mailbot.parsers import parse_message
from mailbot.settings import MailboxConfig

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
LKPP_SENDERS = ("*@lkpp.go.id",)
STAFF = "helpdesk1@batam.go.id"
ADMIN = "admin@batam.go.id"  # a small unit: the coordinator (Admin LPSE) is on the staff list too
KABID = "kabid@batam.go.id"  # the head answers helpdesk mail as well
COORDINATOR = "koordinator@batam.go.id"
REQUESTER = "budi@vendor.co.id"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> MailboxConfig:
    path: Path = tmp_path_factory.mktemp("cfg") / "config.yaml"
    cfg = parse_config({
        "smtp": {"host": "127.0.0.1", "security": "none"},
        "escalation": {"address": "helpdesk-lpse@lkpp.go.id", "senders": list(LKPP_SENDERS)},
        "mailboxes": [{"name": "btm", "address": "lpse@batam.go.id", "imap": {"host": "imap.batam.go.id"},
                       "staff": [STAFF, ADMIN, KABID], "staff_notify": "helpdesk-list@batam.go.id",
                       "coordinators": [ADMIN, COORDINATOR], "heads": [KABID, "kepala@batam.go.id"]}],
    }, path)
    return cfg.mailboxes[0]


def ticket(**kw: object) -> Ticket:
    base: dict[str, object] = {
        "id": 42, "mailbox": "btm", "number": "2026-00042", "state": State.OPEN,
        "requester": Address(REQUESTER, "Budi"), "subject": "Akun terkunci", "created_at": NOW,
        "updated_at": NOW, "participants": frozenset({REQUESTER})}
    base.update(kw)
    return Ticket(**base)  # type: ignore[arg-type]


def test_a_requester_stays_a_requester_when_staff_notifications_go_to_a_list(box: MailboxConfig) -> None:
    """SPEC 1: a requester is "any sender not in the lists"; a unit that sends its notices
    to a list address (`staff_notify`) does not make every outside sender staff."""
    assert role_of(REQUESTER, box, LKPP_SENDERS) is Role.REQUESTER
    assert role_of("Budi@Vendor.co.id", box, LKPP_SENDERS) is Role.REQUESTER
    assert role_of(STAFF, box, LKPP_SENDERS) is Role.STAFF


@pytest.mark.parametrize(("address", "roles"), [
    (STAFF, (Role.STAFF,)),
    ("Admin@Batam.go.id", (Role.STAFF, Role.COORDINATOR)),
    (KABID, (Role.STAFF, Role.HEAD)),
    (COORDINATOR, (Role.COORDINATOR,)),
    (REQUESTER, (Role.REQUESTER,)),
])
def test_every_role_an_address_holds(box: MailboxConfig, address: str, roles: tuple[Role, ...]) -> None:
    """SPEC 1: an address on the staff list and the coordinators' (or heads') list holds both
    roles, staff first; one list, one role."""
    assert roles_of(address, box, LKPP_SENDERS) == roles


@pytest.mark.parametrize(("address", "kinds", "role"), [
    (ADMIN, ("coordinator_case",), Role.COORDINATOR),  # E12b: the case sent for direction
    (ADMIN, ("staff_new", "coordinator_case"), Role.COORDINATOR),  # the same thread, earlier notice cited too
    (ADMIN, ("digest",), Role.COORDINATOR),  # E12d: a reply to the digest
    (KABID, ("digest",), Role.HEAD),  # E12d
    (ADMIN, ("staff_new",), Role.STAFF),  # E6: answering the staff notice is a staff reply
    (ADMIN, (), Role.STAFF),
    (STAFF, ("coordinator_case",), Role.STAFF),  # a staff member answering a forwarded case stays staff
    (COORDINATOR, ("staff_new",), Role.COORDINATOR),
])
def test_a_staff_member_who_leads_answers_the_leaders_mail_as_a_leader(
        box: MailboxConfig, address: str, kinds: tuple[str, ...], role: Role) -> None:
    """SPEC 1 and E12b/E12d: what a coordinator or head writes is internal, passed to staff,
    never relayed to the requester. A coordinator who is on the staff list too and answers
    the case sent for direction (or the digest) writes as coordinator; answering the staff
    notice they write as staff, whose reply reaches the requester (E6)."""
    assert answering_as(address, box, LKPP_SENDERS, kinds) is role


@pytest.mark.parametrize(("recipients", "role", "proven"), [
    ((REQUESTER,), Role.STAFF, False),  # the ack: sent to the requester, never proof of staff
    (("helpdesk-list@batam.go.id",), Role.STAFF, True),  # a staff notice, sent to `staff_notify`
    ((STAFF, KABID), Role.STAFF, True),
    ((ADMIN,), Role.COORDINATOR, True),  # the case for direction, sent to the coordinator on the staff list
    ((ADMIN,), Role.STAFF, True),
    ((COORDINATOR,), Role.STAFF, False),
    (("helpdesk-lpse@lkpp.go.id",), Role.LKPP, True),  # the escalation
    (("helpdesk-lpse@lkpp.go.id", REQUESTER), Role.LKPP, False),  # the requester got it too
])
def test_the_recipients_of_an_old_message_id_decide_whom_it_proves(
        box: MailboxConfig, recipients: tuple[str, ...], role: Role, proven: bool) -> None:
    """SPEC 9: a Message-ID authenticates only the audience it was sent to. For Message-IDs
    of the first format (no audience inside) that audience is read from the recipients the
    outbox recorded."""
    t = ticket()
    cited = Citation(t.number, audience_of(recipients, box, LKPP_SENDERS))
    assert authenticate(role, t, (cited,), "token").authenticated is proven


def test_a_stranger_who_only_cites_a_message_id_opens_a_new_ticket() -> None:
    """SPEC 3 and 9: a sender who is not a participant and matches a ticket only through
    In-Reply-To/References is treated like a stranger citing the tag: a new ticket, and the
    old one is noted as cited."""
    t = ticket()
    match = resolve("orang@lain.co.id", Role.REQUESTER, None, (t,))
    assert match.ticket is None and match.cited == t


@pytest.mark.parametrize(("sender", "role"), [(STAFF, Role.STAFF), ("helpdesk-lpse@lkpp.go.id", Role.LKPP),
                                              (REQUESTER, Role.REQUESTER)])
def test_staff_and_lkpp_are_matched_by_references_when_the_tag_is_lost(sender: str, role: Role) -> None:
    """SPEC 3 (2): a staff or LKPP reply whose client dropped the tag belongs to the ticket
    its In-Reply-To/References name; staff and LKPP are participants of every ticket."""
    t = ticket()
    match = resolve(sender, role, None, (t,))
    assert match.ticket == t and match.via == "reference"


def test_a_bounce_is_attached_to_the_ticket_its_message_ids_name() -> None:
    """SPEC 3/5: a bounce reports on mailbot's own mail, so MAILER-DAEMON, no participant,
    is attached to the ticket the bounced Message-ID names instead of opening one."""
    t = ticket()
    match = resolve("mailer-daemon@vendor.co.id", Role.REQUESTER, None, (t,), bounce=True)
    assert match.ticket == t


@pytest.mark.parametrize("subject", [
    "[EXTERNAL] Re: Akun terkunci",  # Microsoft 365's tag on outside mail
    "[SPAM?] Akun terkunci",
    "*** SPAM *** RE: Akun terkunci",  # SpamAssassin
])
def test_a_mail_gateways_label_is_not_part_of_the_title(subject: str) -> None:
    """A new ticket's title is the requester's subject, not what a gateway put before it."""
    assert base_subject(subject, "LPSE-BTM") == "Akun terkunci"


@pytest.mark.parametrize(("title", "earlier_subject", "expected"), [
    ("Tiket ditutup: Akun terkunci", "Akun terkunci", "Akun terkunci"),  # the label mailbot put before it
    ("TIKET DITUTUP: AKUN TERKUNCI", "Akun terkunci", "Akun terkunci"),
    ("Mohon info: Jadwal lelang", "Akun terkunci", "Mohon info: Jadwal lelang"),  # another problem
    ("Lupa kata sandi SPSE", "Akun terkunci", "Lupa kata sandi SPSE"),
    ("Akun terkunci kembali", "Akun terkunci", "Akun terkunci kembali"),  # the sender's own words stay
    ("Pertanyaan:", "", "Pertanyaan:"),  # an earlier ticket with no subject
])
def test_a_new_ticket_opened_from_mailbots_mail_keeps_the_problems_title(
        title: str, earlier_subject: str, expected: str) -> None:
    """SPEC 3/E5: a late reply to mailbot's mail about an earlier ticket opens a new ticket;
    its title is the problem (the earlier ticket's subject), not mailbot's label before it;
    anything else the sender wrote stays as written."""
    assert retitled(title, ticket(subject=earlier_subject)) == expected
    assert retitled(title, None) == title


POST = "Akun sudah dibuka kembali, silakan login ulang.\n\nSalam,\nAndi"


def _post(subject: str, *, listed: bool) -> InboundMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = STAFF, "lpse@batam.go.id", subject, "<p1@batam.go.id>"
    if listed:  # what every mailing list adds (RFC 2919)
        msg["List-Id"] = "Helpdesk LPSE <helpdesk-lpse.lists.batam.go.id>"
    msg.set_content(POST)
    return parse_message(msg.as_bytes())


def _handled(subject: str) -> Seen:
    return Seen("handled", "in", "hash-of-the-first-copy", STAFF, subject, POST + "\n", 0)


SUBJECT = "Re: [LPSE-BTM #2026-00042] Akun terkunci"


def test_a_list_that_adds_only_its_headers_delivers_the_same_post() -> None:
    """SPEC 3: mail that arrives twice adds once. A list that leaves subject and text alone
    (no tag, no footer) still marks its copy with List-Id: the same post, not a new one."""
    assert list_copy(_post(SUBJECT, listed=True), _handled(SUBJECT))


def test_the_direct_copy_after_a_list_copy_that_only_tagged_the_subject() -> None:
    """SPEC 3: the list's copy (subject tag, no footer) came first; the direct copy with the
    same Message-ID, subject and text is the same post."""
    assert list_copy(_post(SUBJECT, listed=False), _handled("[helpdesk-lpse] " + SUBJECT))

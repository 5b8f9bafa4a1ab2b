"""What a message is: its sender's role, its ticket and its event (SPEC sections 1, 3, 4). Pure.

`classify` reads the parsed message and what the store knew of it (`Known`, one read
before), and names the event that the lifecycle table looks up. Whether the sender
may act in their role is the next step's question (`trust`), not this one's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Generic, TypeVar

from mailbot.core.autoreplies import DECIDED_BY_REPLY, as_automatic, not_a_person
from mailbot.core.claims import claims
from mailbot.core.closing import after_closing, closing
from mailbot.core.command_table import BY_NAME
from mailbot.core.commands import FORM_ANSWERS, Command, ParsedCommands, parse_commands
from mailbot.core.counterpart import Reference
from mailbot.core.directions import requests_answered
from mailbot.core.identity import identify, unsigned
from mailbot.core.intake_form import Consultation, Form, opening, read_form, title_of
from mailbot.core.internal import without_internal
from mailbot.core.lifecycle import LKPP_CLASSES, Event, Facts, opened_at
from mailbot.core.loops import ROTATING, Rotation
from mailbot.core.matching import (
    ON_BEHALF,
    STAFF_ROLES,
    answering_as,
    base_subject,
    resolve,
    retitled,
    role_of,
)
from mailbot.core.own_signature import writer_of
from mailbot.core.passed_on import PassedOn
from mailbot.core.repeats import Opening, Repeat, repeat_of
from mailbot.core.similar import PastCase
from mailbot.core.staff_events import staff_event
from mailbot.core.trust import Citation
from mailbot.model import (
    Contact,
    InboundMessage,
    Refusal,
    Role,
    Seen,
    State,
    Ticket,
    has_mailbox,
)
from mailbot.parsers.auto import (
    DISCUSSION_LIST,
    DISCUSSION_LIST_AS_LIST,
    auto_reply_subject,
)
from mailbot.parsers.quotes import is_forward, only_quoted, without_our_mail
from mailbot.settings import Config, MailboxConfig

if TYPE_CHECKING:
    from mailbot.rules import Rules

# Signs of automatic mail that a person's own mail can show too: an autoresponder's
# subject, and delivery-status lines pasted into a complaint ("email saya ditolak:").
# Such mail that matches no ticket opens one (staff read it) without an answer (SPEC 5);
# so does a person's mail through a discussion list (a Dinas's Google Group).
WEAK_EVIDENCE = frozenset({"subject: auto-reply", "bounce: DSN fields", DISCUSSION_LIST, DISCUSSION_LIST_AS_LIST,
                           ON_BEHALF})
_LEADERS = frozenset({Role.COORDINATOR, Role.HEAD})  # those asked for direction (E12b, E12f)


@dataclass(frozen=True)
class Known:
    """What the store knew about one message, read in one step before it is classified."""

    seen: Seen | None = None  # its Message-ID, if already handled or quarantined
    tagged: Ticket | None = None  # the ticket its subject's tag names
    referenced: tuple[Ticket, ...] = ()  # tickets of the Message-IDs it cites, mailbot's own first
    citations: tuple[Citation, ...] = ()  # mailbot's signed Message-IDs it cites, with their audiences
    by_lkpp_number: Ticket | None = None  # the ticket LKPP's own ticket number names
    counterpart: tuple[Reference, ...] = ()  # LKPP mail: the counterpart references it carries
    by_counterpart: Ticket | None = None  # the ticket a reference recorded from LKPP's verified mail names
    counterpart_keys: frozenset[str] = frozenset()  # of `counterpart`: the keys recorded on any ticket
    quotes_ours: bool = False  # a Message-ID it quotes (bounce-like mail) is one mailbot sent
    mentioned: tuple[Ticket, ...] = ()  # tickets whose numbers its text names
    lkpp_answered: frozenset[int] = frozenset()  # of those tickets: the ones with an LKPP reply to relay
    lkpp_passed_on: Mapping[int, PassedOn] = field(default_factory=dict)  # of those: the reply's relay, if it went
    said_to_lkpp: tuple[str, ...] = ()  # LKPP mail: what the unit wrote to LKPP on those tickets
    # a requester's mail: what opened their waiting tickets (a new mail), or their mail on the
    # tickets it names, of the last hour, newest first (`repeats`)
    openings: tuple[Opening, ...] = ()
    held: Consultation | None = None  # a staff reply: the held call or visit it confirms (SPEC 9)
    answer_like: PastCase | None = None  # a staff reply's `#jawab-seperti NUMBER`: that solved case
    said_before: tuple[str, ...] = ()  # a reply that may decide: its sender's texts on other tickets
    rotation: Rotation | None = None  # a round of a responder answering our acks from rotating addresses


@dataclass(frozen=True)
class _Mail:
    """One message being classified: its facts so far, and everything its rules read."""

    facts: Facts
    known: Known
    box: MailboxConfig
    cfg: Config
    rules: Rules
    now: datetime
    repeat: Repeat | None = None


_In = TypeVar("_In")
_Out = TypeVar("_Out")


@dataclass(frozen=True)
class _Row(Generic[_In, _Out]):
    """A row of this module's tables (`_BY_SENDER`, `_STAFF_MAIL`, `_STAFF_REPLY`, `_HEARD`):
    its name, when it applies, what it gives, and the SPEC section it implements. Each table
    is read top to bottom; where a row gives None, it does not decide after all and the
    next one is read."""

    name: str
    applies: Callable[[_In], bool]
    then: Callable[[_In], _Out]
    spec: str


def classify(msg: InboundMessage, known: Known, box: MailboxConfig, cfg: Config, rules: Rules,
             received_at: datetime, now: datetime) -> Facts:
    """The facts the lifecycle decides on: role, ticket and event of one message."""
    role = answering_as(msg.from_addr.addr, box, cfg.escalation.senders, tuple(c.kind for c in known.citations))
    return classify_as(msg, role, known, box, cfg, rules, received_at, now)


def classify_as(msg: InboundMessage, role: Role, known: Known, box: MailboxConfig, cfg: Config, rules: Rules,
                received_at: datetime, now: datetime) -> Facts:
    """`classify` for a caller that asked `matching.answering_as` already: the pipeline asks
    matching who writes (and to whom) once, and hands the role in."""
    msg = _as_it_is(msg, role, known, rules)
    facts, repeat = _matched(msg, role, known, box, rules, received_at)
    mail = _Mail(facts, known, box, cfg, rules, now, repeat)
    for rule in _BY_SENDER:
        if rule.applies(mail):
            found = rule.then(mail)
            if found is not None:
                return found
    raise AssertionError("the last row of _BY_SENDER decides every message")


def _matched(msg: InboundMessage, role: Role, known: Known, box: MailboxConfig, rules: Rules,
             received_at: datetime) -> tuple[Facts, Repeat | None]:
    """The message's ticket (SPEC 3), before its event is named: `Event.AUTOMATIC` stands in."""
    lkpp = role is Role.LKPP
    lkpp_number = rules.lkpp_ticket(msg.subject, msg.new_text) if lkpp else None
    referenced = _referenced(known, role, lkpp_number)
    repeat = _repeat(msg, role, known, received_at, referenced)
    rounds = known.rotation.tickets[:1] if known.rotation is not None and msg.auto_reason == ROTATING else ()
    # a responder's stopped round goes onto its first round's ticket, as a bounce onto ours: it acts on nothing
    match = resolve(msg.from_addr.addr, role, known.tagged, rounds or ((repeat.ticket,) if repeat else referenced),
                    bounce=msg.is_bounce or bool(rounds))
    facts = Facts(message=msg, role=role, event=Event.AUTOMATIC, ticket=match.ticket, received_at=received_at,
                  rotation=known.rotation if msg.auto_reason == ROTATING else None,
                  via="repeat" if repeat else match.via, cited=match.cited,
                  title=retitled(base_subject(msg.subject, box.tag_prefix), match.cited) or "(tanpa subjek)",
                  lkpp_ticket=_own_number(lkpp_number, match.ticket, known.by_lkpp_number),
                  counterpart=_to_learn(known, match.ticket) if lkpp else (),
                  counterpart_known=lkpp and _counterpart_names(known, match.ticket),
                  mentioned=tuple(t.number for t in known.mentioned),
                  answers=requests_answered(known.citations, match.ticket.number if match.ticket else None,
                                            msg.from_addr.addr, box) if role in _LEADERS else frozenset(),
                  autoresponder=not_a_person(msg, known.said_before) if role in _LEADERS else None)
    return facts, repeat


def _referenced(known: Known, role: Role, lkpp_number: str | None) -> tuple[Ticket, ...]:
    """The tickets the message's Message-IDs name; for LKPP mail citing only LKPP's own
    reference (RT's agent answering from its CLI), the ticket that reference names (SPEC 3)."""
    if known.tagged is not None or known.referenced or role is not Role.LKPP:
        return known.referenced
    named = known.by_counterpart or (known.by_lkpp_number if lkpp_number else None)
    return (named,) if named is not None else ()


def _counterpart_names(known: Known, ticket: Ticket | None) -> bool:
    """Whether the mail carries a reference recorded from LKPP's verified mail on `ticket`."""
    return ticket is not None and known.by_counterpart is not None and known.by_counterpart.id == ticket.id


def _to_lkpp(mail: _Mail) -> bool:
    """Whether the message is itself addressed to Helpdesk LKPP (`_from_staff`)."""
    box, cfg, msg = mail.box, mail.cfg, mail.facts.message
    lkpp = (cfg.escalation.address or "").lower()
    return any(role_of(a.addr, box, cfg.escalation.senders) is Role.LKPP or a.addr.lower() == lkpp != ""
               for a in (*msg.to, *msg.cc))


def _assignable(box: MailboxConfig) -> tuple[str, ...]:
    """Whom a ticket may be assigned to: the unit's staff, coordinators and heads."""
    return (*box.staff, *box.coordinators, *box.heads)


def _sent_by_itself(facts: Facts) -> Facts:
    return replace(facts, message=replace(facts.message, auto_reason="sent by this mailbox itself"))


def _requester_writes_down_a_call(mail: _Mail) -> bool:
    facts = mail.facts
    return facts.role is Role.REQUESTER and facts.ticket is None \
        and opening(facts.message.new_text, mail.rules.intake) is not None


def _outside_reply(mail: _Mail) -> bool:
    """Someone who is neither the unit's nor a participant of the ticket replies to mail that
    went to the unit's staff, coordinators or heads alone: that mail reached them (a
    forward, a list, a personal address), it is no requester's new problem."""
    facts = mail.facts
    return facts.role is Role.REQUESTER and facts.ticket is None and bool(_internal_mail(mail.known))


def _internal_mail(known: Known) -> list[tuple[Citation, Ticket]]:
    """The unit's internal mail a message cites (`Citation.internal`), with its ticket."""
    tickets = {t.number: t for t in known.referenced}
    return [(c, tickets[c.ticket]) for c in known.citations if c.internal and c.ticket in tickets]


def _leaked(mail: _Mail) -> Facts:
    """An outsider's reply, on the ticket of the internal mail it cites first (`OUTSIDE_REPLY`)."""
    cited = _internal_mail(mail.known)
    return replace(mail.facts, event=Event.OUTSIDE_REPLY, ticket=cited[0][1], via="outside", cited=None,
                   leaked=tuple(dict.fromkeys(c.kind for c, _ in cited)))


def _from_anyone_else(mail: _Mail) -> Facts:
    box, facts = mail.box, mail.facts
    event = _from_requester(facts, mail.known, mail.rules, mail.cfg.reopen_days, mail.now,
                            ours=(box.address, box.display_name))
    return _again(event, mail.repeat, mail.known)


# Who sent it, and what kind of mail it is: read top to bottom, the first row that decides
# names the event. The role is the sender's as the configuration lists it (`answering_as`);
# whether they may act in it is `trust`'s question, asked after this one.
_BY_SENDER: tuple[_Row[_Mail, Facts | None], ...] = (
    _Row("automatic mail", lambda m: m.facts.message.is_automatic,
          lambda m: _automatic(replace(m.facts, claims=claims(m.facts, m.rules)), m.known),
          "SPEC 5: recorded, never answered"),
    _Row("a call or visit staff write down", lambda m: m.facts.role is Role.STAFF,
          lambda m: _intake(m.facts, m.known, m.box, m.cfg, m.rules, m.now), "SPEC 3, 9 (None: no form)"),
    _Row("staff, coordinators and heads", lambda m: m.facts.role in STAFF_ROLES,
          lambda m: _from_staff(m.facts, m.known, _to_lkpp(m), assignable=_assignable(m.box)),
          "SPEC 1, 4: E6-E12d, E18"),
    _Row("LKPP", lambda m: m.facts.role is Role.LKPP,
          lambda m: _from_lkpp(m.facts, m.rules, m.known.said_to_lkpp), "SPEC 4: E13-E17"),
    _Row("this mailbox itself", lambda m: m.facts.role is Role.SELF,
          lambda m: _sent_by_itself(m.facts), "SPEC 5"),
    _Row("a call written down by a requester", _requester_writes_down_a_call,
          lambda m: replace(m.facts, event=Event.INTAKE_NOT_STAFF), "SPEC 3, 9: a call only staff write down"),
    _Row("an outsider's reply to the unit's internal mail", _outside_reply, _leaked,
          "SPEC 9: a leak of that mail's key, not a requester's new problem"),
    _Row("a requester", lambda m: True, _from_anyone_else, "SPEC 4: E1-E5"),
)


_AGAIN_STATES = frozenset({State.OPEN, State.ANSWERED, State.ESCALATED})
_AGAIN_EVENTS = frozenset({Event.REQUESTER_MAIL, Event.REQUESTER_MORE_INFO})


def _repeat(msg: InboundMessage, role: Role, known: Known, received_at: datetime,
            referenced: tuple[Ticket, ...]) -> Repeat | None:
    """SPEC 3: a requester's mail sent twice under a new Message-ID belongs to the ticket
    the first copy opened (`repeats`); one that names a ticket, or automatic mail, is none."""
    if role is not Role.REQUESTER or msg.is_automatic or known.tagged is not None or referenced:
        return None
    return repeat_of(msg, received_at, known.openings)


def _again(facts: Facts, repeat: Repeat | None, known: Known) -> Facts:
    """A copy with nothing new (its files too) is recorded on its ticket, and no one is told:
    of the mail that opened it, or of the requester's mail on it (a reply with the data LKPP
    asked for, sent twice, goes on to LKPP once)."""
    ticket = facts.ticket
    if ticket is None or ticket.state not in _AGAIN_STATES or facts.event not in _AGAIN_EVENTS:
        return facts
    if repeat is None and facts.via != "repeat":
        repeat = repeat_of(facts.message, facts.received_at,
                           tuple(o for o in known.openings if o.ticket.id == ticket.id))
    return replace(facts, event=Event.REQUESTER_AGAIN) if repeat is not None and repeat.exact else facts


@dataclass(frozen=True)
class _Heard:
    """A message as the parser read it, with what correcting its automatic-mail verdict reads."""

    msg: InboundMessage
    role: Role
    known: Known
    rules: Rules

    @property
    def lkpp_on_our_case(self) -> bool:
        return self.role is Role.LKPP and _names_a_ticket(self.known)


def _as_it_is(msg: InboundMessage, role: Role, known: Known, rules: Rules) -> InboundMessage:
    """The corrections of the parser's automatic-mail verdict that need to know the sender (`_HEARD`)."""
    heard = _Heard(msg, role, known, rules)
    for row in _HEARD:
        if row.applies(heard):
            corrected = row.then(heard)
            if corrected is not None:
                return corrected
    return msg


def _through_a_list(h: _Heard) -> bool:
    reason = h.msg.auto_reason
    return reason is not None and (reason.startswith("list") or reason == "precedence: list")


def _ticket_notice(h: _Heard) -> InboundMessage | None:
    notice = h.rules.lkpp_notice(h.msg.subject, h.msg.new_text)
    return replace(h.msg, auto_reason=f"ticket system notice ({notice})") if notice is not None else None


def _as_a_person(h: _Heard) -> InboundMessage:
    return replace(h.msg, auto_reason=None)


# The parser's verdict, corrected by who sent it: the first row that gives a message decides.
_HEARD: tuple[_Row[_Heard, InboundMessage | None], ...] = (
    # a staff reply that came back through the staff_notify list
    _Row("a staff reply through a list", lambda h: h.role in STAFF_ROLES and _through_a_list(h),
         _as_a_person, "SPEC 5"),
    # A ticket system's status notice ("Resolved: ...") is recorded, never relayed
    _Row("a ticket system's notice on our case", lambda h: h.lkpp_on_our_case and (
        h.msg.precedence_only or not h.msg.is_automatic or h.msg.auto_reason == "noreply sender"),
         _ticket_notice, "SPEC 5"),
    # its agents' answers carry the system's Precedence: bulk (RT) or list headers too, and on
    # our case that alone makes no machine of a person. An auto-reply's subject still does.
    _Row("an agent's answer with a ticket system's headers", lambda h: h.lkpp_on_our_case
         and h.msg.precedence_only and not auto_reply_subject(h.msg.subject), _as_a_person, "SPEC 5"),
    # A ticket desk sends its agents' answers on our case from a no-reply address: the address
    # alone proves no auto-reply (SPEC 5 is about answering; LKPP's sender never is).
    # "Balasan otomatis: ..." in the subject is one: its words are no news for the requester.
    _Row("an agent's answer from a no-reply address", lambda h: h.lkpp_on_our_case
         and h.msg.auto_reason == "noreply sender" and not auto_reply_subject(h.msg.subject),
         _as_a_person, "SPEC 5"),
    # a round of a responder answering each of our acks from a new address (`loops.rotating`)
    _Row("a responder's round", lambda h: h.role is Role.REQUESTER and h.known.rotation is not None
         and h.known.rotation.stopped, lambda h: replace(h.msg, auto_reason=ROTATING), "SPEC 5"),
    # a bounce-like subject counts only with evidence; quoting our own mail is
    _Row("a bounce that quotes our mail", lambda h: not h.msg.is_automatic and bool(h.msg.bounced_ids)
         and h.known.quotes_ours,
         lambda h: replace(h.msg, auto_reason="bounce: quotes a message mailbot sent", is_bounce=True), "SPEC 5"),
)


def _own_number(number: str | None, ticket: Ticket | None, holder: Ticket | None) -> str | None:
    """LKPP's number to record on `ticket`: not one that another ticket already recorded
    (LKPP citing an earlier case, "sama dengan nomor tiket ..."); one number names one
    case, and taking it would send that ticket's later LKPP mail here (SPEC 3)."""
    if number and holder is not None and ticket is not None and holder.id != ticket.id:
        return None
    return number


def _to_learn(known: Known, ticket: Ticket | None) -> tuple[Reference, ...]:
    """The counterpart references of LKPP's mail to record on `ticket`: not one our own
    subject already held (the requester's words, which LKPP's system repeats), nor one
    another ticket recorded (one reference names one case)."""
    if ticket is None:
        return ()
    # a key recorded anywhere is known: on this ticket already, or another's case
    return tuple(r for r in known.counterpart if r.text.lower() not in ticket.subject.lower()
                 and r.key not in known.counterpart_keys)


def _names_a_ticket(known: Known) -> bool:
    return known.tagged is not None or bool(known.referenced) or known.by_lkpp_number is not None \
        or known.by_counterpart is not None


# The mail to LKPP whose bounce is no requester's matter: LKPP never had it (SOP-015 steps 1, 9).
_TO_LKPP_BOUNCES = {"escalate": Event.ESCALATION_BOUNCED, "forward_info": Event.INFO_BOUNCED}


def bounced_mail(msg: InboundMessage, citations: tuple[Citation, ...]) -> tuple[str, str] | None:
    """(kind, Message-ID) of mailbot's own mail a bounce returns: the signed Message-ID of
    the returned copy, else any of ours it cites."""
    returned = [c for c in citations if c.message_id in msg.bounced_ids and c.ticket]
    found = returned or [c for c in citations if c.ticket and c.message_id and c.kind != "escalation_key"]
    return (found[0].kind, found[0].message_id) if found else None


def _automatic(facts: Facts, known: Known) -> Facts:
    msg = facts.message
    if facts.role is Role.LKPP and (facts.lkpp_ticket or facts.counterpart) and facts.ticket is not None:
        return replace(facts, event=Event.LKPP_ACK)  # a ticket desk's acknowledgement: its reference
    if msg.is_bounce and facts.ticket is not None:
        return _bounce(facts, known)
    if facts.ticket is None and facts.role is Role.REQUESTER and msg.auto_reason in WEAK_EVIDENCE:
        return replace(facts, event=Event.REQUESTER_NEW)  # a ticket for staff, never an answer
    return replace(facts, event=Event.AUTOMATIC)


def _bounce(facts: Facts, known: Known) -> Facts:
    """SPEC 5: a bounce of a ticket's mail, with the mail of ours it returns; the escalation's
    or the requester's data's is LKPP's matter (`_TO_LKPP_BOUNCES`), a delay warning none."""
    msg = facts.message
    bounced = bounced_mail(msg, known.citations)
    facts = replace(facts, bounced=bounced)
    if msg.delivery is not None and not msg.delivery.failed:
        return replace(facts, event=Event.DELIVERY_NOTICE)  # "THIS IS A WARNING ONLY": no failure
    return replace(facts, event=_TO_LKPP_BOUNCES.get(bounced[0] if bounced else "", Event.BOUNCE))


def _from_staff(facts: Facts, known: Known, to_lkpp: bool = False, assignable: tuple[str, ...] = ()) -> Facts:
    """Staff, coordinators and heads: commands, replies, direction (E6-E12d, E18).

    `to_lkpp`: the message is itself addressed to Helpdesk LKPP (a reply-all to the
    escalation or to a status request); without a command it is written to LKPP, who
    gets it directly, not an answer to relay to the requester: it is kept as a note.
    `assignable`: the unit's staff, coordinators and heads; a ticket (its internal notes and
    the requester's data) is assigned only to one of them, who can then act on it by mail."""
    staff = _StaffMail(_by_mention(facts, known), known, parse_commands(facts.message.new_text), to_lkpp, assignable)
    return next(rule.then(staff) for rule in _STAFF_MAIL if rule.applies(staff))


@dataclass(frozen=True)
class _StaffMail:
    """A staff, coordinator's or head's message being classified, with its commands."""

    facts: Facts
    known: Known
    parsed: ParsedCommands
    to_lkpp: bool
    assignable: tuple[str, ...]

    @property
    def said(self) -> bool:
        """Whether it says anything: new words or a file."""
        return bool(self.facts.message.new_text.strip() or self.facts.message.attachments)

    def refused(self, *errors: Refusal) -> Facts:
        return replace(self.facts, event=Event.COMMAND_ERROR, commands=self.parsed, errors=errors)


def _by_mention(facts: Facts, known: Known) -> Facts:
    """A coordinator's or head's reply to the digest naming tickets: matched by the first it names."""
    if facts.ticket is None and facts.role is not Role.STAFF and known.mentioned:
        return replace(facts, ticket=known.mentioned[0], via="mention")
    return facts


def _no_ticket(staff: _StaffMail) -> Facts:
    """Direction about no one ticket ("all overdue tickets today", on the digest) from a
    coordinator or head; any other staff mail that matches no ticket is answered so."""
    facts, msg = staff.facts, staff.facts.message
    general = facts.role is not Role.STAFF and msg.new_text.strip() and any(
        c.ticket is None for c in staff.known.citations)
    return replace(facts, event=Event.DIRECTION_GENERAL if general else Event.STAFF_UNMATCHED, commands=staff.parsed)


def _command_errors(staff: _StaffMail) -> tuple[Refusal, ...]:
    """Why its commands cannot run: as written, an assignee outside the unit, a held form's answer."""
    parsed = staff.parsed
    return (*parsed.errors, *_outside_assignees(parsed, staff.assignable),
            *(Refusal("form_answer_elsewhere", command=c.shown) for c in parsed.commands if c.name in FORM_ANSWERS))


def _is_answer_like(staff: _StaffMail) -> bool:
    command = staff.parsed.state_command
    return command is not None and command.name == "answer_like"


def _answer_like(staff: _StaffMail) -> Facts:
    """`#jawab-seperti NUMBER` answers with a solved case's solution, the staff member's
    text above it; refused when that solution may not go to another requester. Staff
    see it first. The command mails them a preview of what the requester would receive (the
    solution without its old greeting and signature, `core/reuse`); the same command in answer
    to that preview resolves as `#selesai` does, with the text the preview showed."""
    command, past = staff.parsed.state_command, staff.known.answer_like
    assert command is not None
    refusal = _not_reusable(command, past)
    if refusal is not None:
        return staff.refused(refusal)
    assert past is not None and past.solution is not None
    parsed = staff.parsed
    said = parsed.body.strip()
    if past.previewed is None or past.previewed_on != _ticket_of(staff).number:
        preview = ParsedCommands(parsed.commands, "\n\n".join(t for t in (said, past.reused) if t), ())
        return replace(staff.facts, event=Event.STAFF_ANSWER_PREVIEW, commands=preview, answer_like=past)
    parsed = ParsedCommands(tuple(Command("resolve", command.arg, typed=command.typed) if c is command else c
                                  for c in parsed.commands),
                            "\n\n".join(t for t in (said, past.previewed.strip()) if t), ())
    return _staff_reply(replace(staff, parsed=parsed))


def _staff_reply(staff: _StaffMail) -> Facts:
    """The event its commands and words make (`staff_events.staff_event`), then `_STAFF_REPLY`'s corrections."""
    event = staff_event(staff.facts.role, staff.parsed, bool(staff.facts.message.attachments))
    staff = replace(staff, facts=replace(staff.facts, event=event, commands=staff.parsed))
    return next(rule.then(staff) for rule in _STAFF_REPLY if rule.applies(staff))


def _answered_by_phone(staff: _StaffMail) -> bool:
    """`#jawab` on a caller's ticket: the answer given them by phone (the recap's Isi Jawaban)."""
    command = staff.parsed.state_command
    return command is not None and command.name == "answer"


def _nothing_to_relay(staff: _StaffMail) -> Facts:
    command = staff.parsed.state_command
    assert command is not None
    return staff.refused(Refusal(f"{command.name}_without_lkpp", command=command.shown, name=command.name))


def _passed_on_already(staff: _StaffMail) -> Facts:
    """`#teruskan` / `#permintaan-data` on LKPP's answer that already went to the requester: the
    words would reach them twice, so nothing is sent and staff read when it went."""
    command = staff.parsed.state_command
    assert command is not None
    ticket_id = _ticket_of(staff).id
    assert ticket_id is not None
    went = staff.known.lkpp_passed_on[ticket_id]
    return staff.refused(Refusal("lkpp_passed_on", command=command.shown, value=went.at, name=command.name))


def _needs(staff: _StaffMail, situation: str) -> bool:
    """Whether its state command needs that situation (`StaffCommand.needs`)."""
    command = staff.parsed.state_command
    return command is not None and BY_NAME[command.name].needs == situation


def _ticket_of(staff: _StaffMail) -> Ticket:
    assert staff.facts.ticket is not None
    return staff.facts.ticket


def _noted(staff: _StaffMail) -> Facts:
    return replace(staff.facts, event=Event.STAFF_NOTE)


# A staff, coordinator's or head's message: read top to bottom, the first row that applies decides.
_STAFF_MAIL: tuple[_Row[_StaffMail, Facts], ...] = (
    _Row("no ticket", lambda s: s.facts.ticket is None, _no_ticket, "SPEC 3; E12d"),
    # a reply to mail about no one ticket (the digest) proves the role, not a wish to act
    # on each ticket it names: direction passed to staff, and no command runs
    _Row("a reply to the digest", lambda s: s.facts.via == "mention" and s.said,
               lambda s: replace(s.facts, event=Event.DIRECTION, commands=s.parsed), "E12d"),
    _Row("commands that cannot run", lambda s: bool(_command_errors(s)),
               lambda s: s.refused(*_command_errors(s)), "E18"),
    _Row("the answer of a solved case", _is_answer_like, _answer_like, "E9"),
    _Row("commands and words", lambda s: True, _staff_reply, "E6-E12h"),
)

# What its commands and words name, corrected by where it went and what it answers.
_STAFF_REPLY: tuple[_Row[_StaffMail, Facts], ...] = (
    # written to LKPP, who gets it directly: no answer to relay to the requester
    _Row("a reply addressed to LKPP", lambda s: s.facts.event is Event.STAFF_REPLY and s.to_lkpp,
               _noted, "E7; SOP-015"),
    # a caller who gave no e-mail: what staff write is their record of the case, sent to no one
    # (SPEC 3), unless `#jawab` says it is the answer given them by phone
    _Row("a reply on a caller's ticket",
               lambda s: s.facts.event is Event.STAFF_REPLY and not has_mailbox(_ticket_of(s).requester.addr)
               and not _answered_by_phone(s), _noted, "SPEC 3; E7"),
    # a second reply to the request to confirm a call, once it opened
    _Row("a reply to a held form's request", lambda s: s.facts.event is Event.STAFF_REPLY and _confirms(s.known),
               _noted, "SPEC 9; E7"),
    _Row("LKPP's answer to relay, passed on already",
               lambda s: _needs(s, "lkpp_answer") and _ticket_of(s).id in s.known.lkpp_passed_on, _passed_on_already,
               "E12, E12a; E18: no requester reads LKPP's words twice"),
    _Row("LKPP's answer to relay, when there is none",
               lambda s: _needs(s, "lkpp_answer") and _ticket_of(s).id not in s.known.lkpp_answered,
               _nothing_to_relay, "E12, E12a; E18"),
    # an out-of-office answering the notice: automatic mail, never the unit's answer
    _Row("an autoresponder's reply to a notice",
               lambda s: s.facts.event is Event.STAFF_REPLY and not_a_person(s.facts.message, away=True) is not None,
               lambda s: as_automatic(s.facts, s.known.said_before, away=True) or s.facts, "SPEC 5; E6"),
    _Row("as named", lambda s: True, lambda s: s.facts, "E6-E12h"),
)


def _not_reusable(command: Command, past: PastCase | None) -> Refusal | None:
    """Why a solved case's solution may not go to another requester, or None."""
    number = command.arg or ""
    if past is None or past.solution is None or not past.reused:
        return Refusal("answer_like_unknown", command=command.shown, value=number)
    if past.named:
        return Refusal("answer_like_names", command=command.shown, value=number, name=past.named)
    if past.files:
        return Refusal("answer_like_files", command=command.shown, value=number)
    return None


def _intake(facts: Facts, known: Known, box: MailboxConfig, cfg: Config, rules: Rules, now: datetime) -> Facts | None:
    """SPEC 3: a staff mail that writes down a call or a visit (`#telepon`, `#datang`), or the
    reply that confirms a held one (SPEC 9); None for any other staff mail."""
    msg = facts.message
    if facts.ticket is None and known.held is not None:
        return _answer_to_held(facts, known.held, rules, known.said_before)
    found = opening(msg.new_text, rules.intake)
    if found is None:
        return None
    channel, typed, rest = found
    if facts.ticket is not None:  # on a ticket's thread: a reply, which opens nothing
        return replace(facts, event=Event.COMMAND_ERROR, commands=parse_commands(""),
                       errors=(Refusal("intake_in_reply", command=typed),))
    sender = msg.from_addr.addr
    form = read_form(rest, rules.intake, facts.received_at, cfg.timezone,
                     writer_of(sender, msg.from_addr.name, box.staff_name(sender), box.display_name))
    errors = _form_errors(form, box, cfg)
    if errors:
        return replace(facts, event=Event.COMMAND_ERROR, commands=parse_commands(""), errors=errors)
    intake = Consultation(channel, typed, form, msg.from_addr.addr, form.called_at or opened_at(facts, now))
    return _opening(facts, intake, rules)


def _form_errors(form: Form, box: MailboxConfig, cfg: Config) -> tuple[Refusal, ...]:
    """Why a call's or visit's form opens nothing: its own errors, an assignee outside the
    unit, or a caller's e-mail that is the unit's own or LKPP's (no requester's)."""
    errors = [*form.errors, *_outside_assignees(ParsedCommands(form.commands, "", ()), _assignable(box))]
    lkpp = (cfg.escalation.address or "").lower()
    if form.email and (role_of(form.email, box, cfg.escalation.senders) is not Role.REQUESTER or form.email == lkpp):
        errors.append(Refusal("intake_email_internal", command="Email", value=form.email))
    return tuple(errors)


def _answer_to_held(facts: Facts, held: Consultation, rules: Rules, said_before: tuple[str, ...] = ()) -> Facts:
    """SPEC 3, 9: a held call or visit opens only on the explicit yes, `#buka` /
    `#open` as the reply's first command, from the staff address that sent the form and
    received the request to confirm it. Any other answer ("palsu", "batal", "TIDAK", `#batal`)
    cancels it: an answer with words is a person's, and a person who does not write the yes
    did not mean it. A reply with nothing in it opens nothing and cancels nothing: its sender is
    told what to write. Automatic mail never gets here (`_automatic`), and an out-of-office
    rule that sends no header is no person's answer either (`autoreplies.not_a_person`, issue
    58): it is recorded as automatic mail, and the form waits for its sender, reminded."""
    if (automatic := as_automatic(facts, said_before)) is not None:
        return automatic
    msg = facts.message
    parsed = parse_commands(msg.new_text)
    first = parsed.commands[0].name if parsed.commands else None
    if first == "open_form" and msg.from_addr.addr.lower() == held.staff.lower():
        return _opening(facts, held, rules)
    if first == "open_form":
        return replace(facts, event=Event.COMMAND_ERROR, commands=parse_commands(""),
                       errors=(Refusal("intake_other_sender", value=held.staff),))
    if not parsed.commands and not parsed.body.strip() and not msg.attachments:
        return replace(facts, event=Event.COMMAND_ERROR, commands=parse_commands(""),
                       errors=(Refusal("intake_no_answer"),))
    return replace(facts, event=Event.STAFF_INTAKE_CANCELLED, intake=held, commands=parse_commands(""))


def _opening(facts: Facts, intake: Consultation, rules: Rules) -> Facts:
    form = intake.form
    category = (form.category, "form") if form.category else None
    if category is None:
        guess = rules.guess_category("", form.problem)
        category = (guess.value, guess.rule)
    priority = rules.guess_priority("", form.problem)
    return replace(facts, event=Event.STAFF_INTAKE_ANSWERED if form.answered else Event.STAFF_INTAKE,
                   intake=intake, commands=ParsedCommands(form.commands, "", ()), title=title_of(form.problem),
                   category=category, priority=(priority.value, priority.rule), contact=form.contact)


def _confirms(known: Known) -> bool:
    """Whether a staff reply answers only the request to confirm a held call (SPEC 9)."""
    return bool(known.citations) and all(c.kind == "intake_confirm" for c in known.citations)


def _outside_assignees(parsed: ParsedCommands, assignable: tuple[str, ...]) -> tuple[Refusal, ...]:
    """An error for each `#tugaskan` to an address that is not the unit's staff, coordinator
    or head. A colleague of the unit who is not listed could not act on the case: their
    answer would come in as a stranger's mail and open a new ticket."""
    listed = {a.lower() for a in assignable}
    return tuple(Refusal("outside_assignee", command=c.shown, value=c.arg or "")
                 for c in parsed.commands if c.name == "assign" and c.arg and listed
                 and c.arg.lower() not in listed)


def _from_lkpp(facts: Facts, rules: Rules, ours: tuple[str, ...] = ()) -> Facts:
    """E13-E17 by LKPP's own words: lines the unit wrote to LKPP (a staff note "di luar
    kewenangan kami" repeated under the desk's answer) are not read as LKPP's."""
    msg = facts.message
    if facts.ticket is None:
        return replace(facts, event=Event.LKPP_UNMATCHED)
    text = unsigned(without_internal(msg.new_text or msg.text, ours), msg.from_addr.name)
    verdict = rules.classify_lkpp(msg.subject, text)
    if verdict is None:
        return replace(facts, event=Event.LKPP_OTHER)
    return replace(facts, event=LKPP_CLASSES.get(verdict.value, Event.LKPP_OTHER), lkpp_class=verdict.value,
                   lkpp_rule=verdict.rule)


def _from_requester(facts: Facts, known: Known, rules: Rules, reopen_days: int, now: datetime,
                    ours: tuple[str, ...] = ()) -> Facts:
    """A requester's mail (E1-E5): its ticket as it stands for this mail, its text as that
    event reads it, the form fields and guesses it states, then its event."""
    ticket = facts.ticket
    if ticket is not None and ticket.state in DECIDED_BY_REPLY and (auto := as_automatic(
            facts, known.said_before, away=ticket.state is State.AWAITING_INFO)):
        return auto  # an out-of-office with no header confirms, rates, rejects and answers nothing
    late = after_closing(facts.message, rules, (ticket.requester.name, ticket.contact.name)) \
        if ticket and ticket.state is State.CLOSED else None
    if late is not None:  # a thanks, a rating, nothing new: the ticket stays closed, however old
        return replace(facts, event=late[0], rating=late[1], contact=contact_of(facts.message))
    facts = _as_read(_reopenable(facts, reopen_days, now), known, ours)
    msg = facts.message
    category = rules.guess_category(msg.subject, msg.new_text)
    priority = rules.guess_priority(msg.subject, msg.new_text)
    facts = replace(facts, contact=contact_of(msg), category=(category.value, category.rule),
                    priority=(priority.value, priority.rule))
    return _requester_event(facts, known, rules)


def _reopenable(facts: Facts, reopen_days: int, now: datetime) -> Facts:
    """E5: a ticket closed more than `reopen_days` ago is not reopened: the mail opens a new one."""
    ticket = facts.ticket
    if ticket and ticket.state is State.CLOSED and now - (ticket.closed_at or ticket.updated_at) > timedelta(
            days=reopen_days):
        return replace(facts, ticket=None, previous=ticket, title=retitled(facts.title, ticket))
    return facts


def _as_read(facts: Facts, known: Known, ours: tuple[str, ...]) -> Facts:
    """The mail's text as its event reads it: a new ticket's problem whole (`as_problem`), an
    answer to LKPP's request with what it forwards (E3: on to LKPP, forwarded part and all)."""
    if facts.ticket is None:
        return replace(facts, message=as_problem(facts.message))
    if facts.ticket.state is State.AWAITING_INFO or _answers_lkpp_request(facts.ticket, known):
        return replace(facts, message=as_forwarded(facts.message, ours))
    return facts


def _requester_event(facts: Facts, known: Known, rules: Rules) -> Facts:
    msg, ticket = facts.message, facts.ticket
    if ticket is None:
        return replace(facts, event=Event.REQUESTER_NEW)
    if ticket.state is State.RESOLVED:
        event, rating = closing(msg, rules, (ticket.requester.name, ticket.contact.name))
        return replace(facts, event=event, rating=rating)
    waited_on = ticket.state is State.AWAITING_INFO or _answers_lkpp_request(ticket, known)
    if waited_on and not msg.new_text.strip() and not msg.attachments:
        # Send pressed on an empty reply, or a forward of nothing but our own request: LKPP
        # gets no empty "data tambahan", the ticket still waits on the requester, staff see it
        return replace(facts, event=Event.REQUESTER_EMPTY)
    if ticket.state is State.AWAITING_INFO and ticket.info_asked_by == "unit":
        return replace(facts, event=Event.REQUESTER_DATA)  # E12g: the unit asked, staff read it
    if _answers_lkpp_request(ticket, known):
        return replace(facts, event=Event.REQUESTER_MORE_INFO)
    return replace(facts, event=Event.REQUESTER_MAIL)


def _answers_lkpp_request(ticket: Ticket, known: Known) -> bool:
    """A reply to LKPP's request for data after an earlier reply already went on to LKPP
    ("Baik, saya siapkan dulu", then the data): SOP-015 step 9 holds for it too."""
    return ticket.state is State.ESCALATED and any(
        c.kind == "need_info" and c.ticket == ticket.number for c in known.citations)


def as_problem(msg: InboundMessage) -> InboundMessage:
    """The mail that opens a ticket is the problem as its requester sent it, whole.

    Quote stripping is for replies: it drops everything below "-----Original
    Message-----", a "Dari: / Kepada: / Perihal:" block or a long rule as history. In a
    first mail those are the problem itself: a forward whose subject was edited, a
    letter with its memo block, a form under a rule. Staff and LKPP must read it all.
    """
    whole = msg.text.strip()
    return replace(msg, new_text=whole) if whole and whole != msg.new_text else msg


def as_forwarded(msg: InboundMessage, ours: tuple[str, ...] = ()) -> InboundMessage:
    """A reply that forwards mail ("Fwd:", "---------- Forwarded message ---------")
    carries what it forwards: the data LKPP asked for, sent on by the requester. Not our own
    mail inside it (`ours`: the unit's address and name; SPEC 4), such as our request for
    that data, which the colleague who answered it quoted."""
    if msg.text.strip() and is_forward(msg.subject, msg.text):
        theirs = without_our_mail(msg.text, ours).strip()
        return replace(msg, new_text=theirs) if theirs else replace(msg, new_text="", text="")
    if not msg.new_text.strip() and only_quoted(msg.text):
        # the data sent as files alone under the client's quote of our request: no words of
        # theirs to pass on (SPEC 4: quoted history is never relayed), not our own mail back
        return replace(msg, text="")
    return msg


def contact_of(msg: InboundMessage) -> Contact:
    """The consultation-form fields one requester message states (seed 003)."""
    found = identify([msg])
    return Contact(found.name, found.organisation, found.address, found.phone)

"""The pipeline's two reads: what the store knows of a message, and what its mail needs.

`known` runs before classification: the ticket its tag names, the tickets of the
Message-IDs it cites (mailbot's signed ones with the roles they went to), LKPP's own
ticket number, tickets named in its text. `past` runs after the decision: the
thread to reply in, the requester's texts for an escalation, LKPP's latest message,
the counts the loop limits read, the running timers. Both return frozen values; the
core never holds a store.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from mailbot.core.autoreplies import DECIDED_BY_REPLY, REPEATED_DAYS
from mailbot.core.classify import Known
from mailbot.core.commands import RELAYS, parse_commands, spelled
from mailbot.core.counterpart import Reference, references_in
from mailbot.core.facts import AUTOMATIC_UNMATCHED, COPY_LABEL, LABELS, OUTSIDE_LABEL, Event
from mailbot.core.files import for_requester
from mailbot.core.inboxes import inbox_key
from mailbot.core.intake_form import Consultation, held_intake
from mailbot.core.lifecycle import (
    UNSHOWN_KINDS,
    Decision,
    lkpp_answers,
    not_an_answer,
    vouches,
)
from mailbot.core.limits import DAY, HOUR
from mailbot.core.loops import (
    CAUSED_WITHIN,
    MACHINE_PACE,
    AckSent,
    DomainMail,
    Rotation,
    domain_of,
    looping,
    rotating,
    weighable,
)
from mailbot.core.matching import STAFF_ROLES, audience_of, find_tag, role_of, roles_of
from mailbot.core.named_tickets import mentioned_numbers, short_numbers
from mailbot.core.own_signature import Writer, writer_of
from mailbot.core.passed_on import PassedOn, passed_on
from mailbot.core.personal_data import link_domains, unfit
from mailbot.core.plan_inputs import Past, Running, SentBefore, Texts
from mailbot.core.recipients import internal
from mailbot.core.repeats import WINDOW, Files, Opening, files_of, same_words
from mailbot.core.requester_data import Requester
from mailbot.core.reuse import PREVIEW, done_lines, previewed, reused
from mailbot.core.similar import PastCase
from mailbot.core.tokens import escalation_key_valid, escalation_keys, key_id, verify
from mailbot.core.trust import Citation
from mailbot.io.archive import Archive
from mailbot.io.store import Store, parse_ts
from mailbot.model import Audience, InboundMessage, Refusal, Role, State, Ticket
from mailbot.parsers.authres import organisation_of
from mailbot.rules import Rules
from mailbot.settings import Config, MailboxConfig

# a mail that may say `#teruskan` or `#permintaan-data` (commands.py reads it exactly)
_RELAY = spelled(RELAYS)


def _mentioned(store: Store, mailbox: str, text: str, year: int) -> list[Ticket]:
    """The tickets a coordinator's or head's text names: by number, or by a short one
    ("tiket 42", as under the digest) as this year's ticket, else last year's."""
    found = [t for n in mentioned_numbers(text) if (t := store.tickets.ticket_by_number(mailbox, n))]
    for seq in short_numbers(text):
        ticket = next((t for y in (year, year - 1) if (t := store.tickets.ticket_by_number(mailbox,
                                                                                           f"{y}-{seq:05d}"))), None)
        if ticket is not None and ticket.number not in {t.number for t in found}:
            found.append(ticket)
    return found


def _relayable(store: Store, cfg: Config, box: MailboxConfig, ticket_ids: set[int],
               never: frozenset[str]) -> tuple[frozenset[int], dict[int, PassedOn]]:
    """Of these tickets, those whose latest LKPP reply holds something a requester may
    receive: its text, or a file (a mail attached to it is none: `for_requester`); and the
    mail that took it to the requester already, where one did (when, in the unit's time)."""
    found: set[int] = set()
    went: dict[int, PassedOn] = {}
    for ticket_id in ticket_ids:
        thread = store.messages.thread_of(ticket_id)
        replies = [m for m in thread if m.direction == "in" and m.role == "lkpp" and m.kind not in never]
        if not replies:
            continue
        latest = replies[-1]
        if (carried := passed_on(thread, latest.message_id)) is not None:
            when = parse_ts(carried.at)
            at = when.astimezone(cfg.timezone).strftime("%Y-%m-%d %H:%M") if when is not None else carried.at
            went[ticket_id] = replace(carried, at=at)
        archived = None if latest.body.strip() or not latest.archive_path else \
            Archive(cfg.archive_dir, cfg.limits).load(latest.archive_path)
        if latest.body.strip() or (archived is not None and for_requester(list(archived.attachments), box)):
            found.add(ticket_id)
    return frozenset(found), went


# how far back a staff member's earlier mail is read for their signature (`writer`)
_SIGNED_SINCE = timedelta(days=180)


def writer(store: Store, box: MailboxConfig, cfg: Config, msg: InboundMessage, now: datetime) -> Writer | None:
    """Who wrote a staff, coordinator's or head's mail, as `own_signature` reads their
    signature: their names (From, the configuration's, the address's local part), the unit's
    name, and their latest earlier mail to this mailbox; None for anyone else."""
    address = msg.from_addr.addr
    if role_of(address, box, cfg.escalation.senders) not in STAFF_ROLES:
        return None
    earlier = store.messages.earlier_texts(box.name, address, now - _SIGNED_SINCE)
    return writer_of(address, msg.from_addr.name, box.staff_name(address), box.display_name, tuple(earlier))


def known(store: Store, key: bytes, box: MailboxConfig, cfg: Config, rules: Rules, msg: InboundMessage,
          now: datetime, received_at: datetime | None = None) -> Known:
    """What the store knows about one message, before it is classified; `now`: the caller's
    time (a short ticket number is this year's, else last year's); `received_at`: when it
    reached the mailbox (a requester's copy of an earlier mail is looked for around it)."""
    number = _tag_number(store, box, msg.subject)
    quotes_ours, citations, referenced = _cited(store, key, box, cfg, msg)
    roles = roles_of(msg.from_addr.addr, box, cfg.escalation.senders)  # `role_of`'s first
    role = roles[0]
    mentioned: list[Ticket] = []
    if {Role.COORDINATOR, Role.HEAD} & set(roles):
        mentioned = _mentioned(store, box.name, msg.new_text, now.astimezone(cfg.timezone).year)
    tagged = store.tickets.ticket_by_number(box.name, number) if number else None
    desk = _desk(store, key, box, rules, msg, (tagged, *referenced)) if role is Role.LKPP else _Desk()
    citations += desk.keys
    answered, went = _answered(store, cfg, box, msg, (tagged, *referenced), citations) if role in STAFF_ROLES \
        else (frozenset(), {})
    return Known(
        seen=store.messages.message_seen(box.name, msg.message_id),
        tagged=tagged,
        referenced=tuple(referenced), citations=tuple(citations),
        by_lkpp_number=desk.by_number,
        counterpart=desk.refs, by_counterpart=desk.by_ref, counterpart_keys=desk.ref_keys,
        quotes_ours=quotes_ours,
        mentioned=tuple(mentioned),
        lkpp_answered=answered, lkpp_passed_on=went,
        said_to_lkpp=desk.said,
        openings=_openings(store, cfg, box, msg, received_at, (tagged, *referenced)) if role is Role.REQUESTER else (),
        held=_held(store, box, citations) if role is Role.STAFF and tagged is None and not referenced else None,
        answer_like=_answer_like(store, cfg, box, rules, msg, citations) if role in STAFF_ROLES else None,
        said_before=_said_before(store, box, msg, now, roles, (tagged, *referenced)),
        rotation=_rotation(store, box, cfg, msg, received_at) if role is Role.REQUESTER and tagged is None
        and not referenced and not msg.is_automatic else None,
    )


def _rotation(store: Store, box: MailboxConfig, cfg: Config, msg: InboundMessage,
              received_at: datetime | None) -> Rotation | None:
    """Whether a requester's new mail, citing nothing, is a round of a responder answering our
    acks from rotating addresses (`loops.rotating`), suspected or stopped; None otherwise. Read
    only when an ack of ours went to the sender's domain within `MACHINE_PACE` before it came."""
    sender = msg.from_addr.addr
    if received_at is None or internal(box, cfg, sender) or not weighable(msg.new_text):
        return None
    domain, since = domain_of(sender), received_at - HOUR
    acks = [AckSent(inbox_key(address), at) for address, at in store.outbox.acks_sent(box.name, since - HOUR, since,
                                                                                   received_at)
            if domain_of(address) == domain]
    if not any(received_at - ack.at <= MACHINE_PACE for ack in acks):
        return None
    earlier = [DomainMail(inbox_key(who), at, text, ticket, kind in _AUTOMATIC_LABELS) for who, text, at, ticket, kind
               in store.messages.arrivals_from_domain(box.name, domain, since) if at is not None]
    found = rotating(sender, msg.new_text, received_at, earlier, acks)
    if found is None or not (found.suspected or found.stopped):
        return None
    return replace(found, tickets=tuple(t for i in found.ticket_ids if (t := store.tickets.ticket_by_id(i))))


def _said_before(store: Store, box: MailboxConfig, msg: InboundMessage, now: datetime, roles: tuple[Role, ...],
                 tickets: tuple[Ticket | None, ...]) -> tuple[str, ...]:
    """What the sender of a reply that may decide something said to the unit in the last weeks
    on other tickets (`autoreplies.not_a_person`): a coordinator's or head's (their
    direction), a staff member's with no ticket (the answer to a held form), a requester's on a
    resolved or closed ticket (the answer to a solution). Read only for those."""
    known = [t for t in tickets if t is not None]
    if not ({Role.COORDINATOR, Role.HEAD} & set(roles) or (roles[0] is Role.STAFF and not known)
            or (roles[0] is Role.REQUESTER and any(t.state in DECIDED_BY_REPLY for t in known))):
        return ()
    since = now - timedelta(days=REPEATED_DAYS)
    return tuple(store.messages.said_by(box.name, msg.from_addr.addr, since, [t.id for t in known if t.id is not None]))


def _cited(store: Store, key: bytes, box: MailboxConfig, cfg: Config,
           msg: InboundMessage) -> tuple[bool, list[Citation], list[Ticket]]:
    """Whether the mail quotes mail of ours (a bounce's or a copy's), what its citations
    prove and the tickets they, or a recorded Message-ID, name."""
    quotes = msg.bounced_ids
    quotes_ours = bool(quotes) and _quotes_ours(store, key, box, quotes)
    cited = (*msg.cited_ids, *quotes) if msg.is_bounce or quotes_ours else msg.cited_ids
    citations, referenced = _citations(store, key, box, cfg, cited)
    for ticket_id in store.messages.tickets_citing(box.name, cited):
        if ticket_id not in {t.id for t in referenced} and (found := store.tickets.ticket_by_id(ticket_id)):
            referenced.append(found)
    return quotes_ours, citations, referenced


def _answered(store: Store, cfg: Config, box: MailboxConfig, msg: InboundMessage,
              tickets: tuple[Ticket | None, ...], citations: list[Citation]) -> tuple[frozenset[int],
                                                                                       dict[int, PassedOn]]:
    """Of the tickets a staff mail names, those with an LKPP answer to pass on, and the mail
    that took it to the requester where one did: `#teruskan` needs one that did not go
    (looked up only when the mail says it)."""
    if not _RELAY.search(msg.new_text):
        return frozenset(), {}
    ids = {t.id for t in tickets if t is not None and t.id is not None}
    return _relayable(store, cfg, box, ids, not_an_answer(vouches(citations)))


@dataclass(frozen=True)
class _Desk:
    """What an LKPP mail says of its desk: the ticket its own number names, the references
    it carries and the ticket they thread to, our escalation keys it brings back, and what
    we said to LKPP on the tickets it may answer (its desk repeats that)."""

    by_number: Ticket | None = None
    refs: tuple[Reference, ...] = ()
    by_ref: Ticket | None = None
    ref_keys: frozenset[str] = frozenset()
    keys: tuple[Citation, ...] = ()
    said: tuple[str, ...] = ()


def _desk(store: Store, key: bytes, box: MailboxConfig, rules: Rules, msg: InboundMessage,
          cited: tuple[Ticket | None, ...]) -> _Desk:
    """An LKPP mail's desk side of `known`: a desk's number and references thread, our
    per-escalation keys in its subject authenticate."""
    lkpp_number = rules.lkpp_ticket(msg.subject, msg.new_text)
    by_number = store.tickets.ticket_by_lkpp(box.name, lkpp_number) if lkpp_number else None
    refs = references_in(msg.subject, msg.cited_ids, own_prefixes(store, box), lkpp_number)
    by_ref, ref_keys = store.tickets.ticket_by_refs(box.name, [r.key for r in refs])
    keys = _escalation_keys(store, key, box, msg.subject, (*cited, by_ref, by_number))
    said = _said_to_lkpp(store, (*cited, by_number, by_ref))
    return _Desk(by_number, tuple(refs), by_ref, ref_keys, tuple(keys), tuple(said))


def _answer_like(store: Store, cfg: Config, box: MailboxConfig, rules: Rules, msg: InboundMessage,
                 citations: list[Citation]) -> PastCase | None:
    """The solved case a staff reply's `#jawab-seperti NUMBER` names: its solution
    as its requester received it, what of that requester it names, the files it carried; and
    that solution as it would go on, and the preview of it the reply answers."""
    command = parse_commands(msg.new_text).state_command
    if command is None or command.name != "answer_like" or not command.arg:
        return None
    old = store.tickets.ticket_by_number(box.name, command.arg)
    if old is None or old.id is None or old.state not in (State.RESOLVED, State.CLOSED):
        return PastCase(command.arg, None)
    answer = store.memory.solved_material(old.id)[1]
    if answer is None:
        return PastCase(command.arg, None)
    solution = str(answer["body"])
    public = frozenset(a for a in (box.address, *box.staff, box.staff_notify, *box.coordinators, *box.heads,
                                   cfg.escalation.address) if a)
    domains = link_domains(cfg.similar.allowed_link_domains, (b.address for b in cfg.mailboxes),
                           (*cfg.escalation.senders, cfg.escalation.address or ""))
    requester = Requester(f"{old.requester.name} {old.contact.name}",
                          (old.requester.addr, *sorted(old.participants)), old.contact.phone,
                          old.contact.organisation, old.contact.address, public,
                          tuple(name for _, name in box.staff_names), domains, cfg.similar.public_contacts)
    # nothing that identifies or unlocks anyone, no link outside the unit's and LKPP's, in
    # what would go on: the solution without the old letter's greeting and signature
    text = reused(solution)
    held = unfit(text, rules.similar, requester)
    named = rules.similar.private.show(held, cfg.language) if held is not None else ""
    shown, on = _preview_of(store, box, citations, text)
    return PastCase(command.arg, solution, named, int(answer["attachments"] or 0), text,
                    done_lines(text, rules.similar.private.done), shown, on)


def _preview_of(store: Store, box: MailboxConfig, citations: list[Citation],
                text: str) -> tuple[str | None, str | None]:
    """The preview of this solution (`text`) the message answers, if it answers one:
    the answer it showed staff, and its ticket."""
    for cited in citations:
        if cited.kind == PREVIEW and cited.ticket:
            shown = store.messages.sent_body(box.name, cited.message_id, PREVIEW)
            if shown and previewed(shown, text):
                return shown, cited.ticket
    return None, None


def _held(store: Store, box: MailboxConfig, citations: list[Citation]) -> Consultation | None:
    """The held call or visit (SPEC 3, 9) whose confirmation request a staff reply cites."""
    for cited in citations:
        if cited.kind == "intake_confirm" and cited.ticket is not None:
            detail = store.intake.held_intake(box.name, cited.ticket)
            intake = held_intake(detail, cited.message_id) if detail is not None else None
            if intake is not None:  # every request to confirm it, reminders too, goes on its ticket
                notices = store.intake.held_notices(box.name, cited.ticket)
                return replace(intake, adopt=tuple(dict.fromkeys((*intake.adopt, *notices))))
    return None


def _openings(store: Store, cfg: Config, box: MailboxConfig, msg: InboundMessage,
              received_at: datetime | None, named: tuple[Ticket | None, ...]) -> tuple[Opening, ...]:
    """For `repeats`, a requester's mail (the caller asks for a requester's only) of the last
    `WINDOW`: for a new mail, what opened their waiting tickets; for one that names tickets,
    their mail on those."""
    if received_at is None:
        return ()
    since, sender = received_at - WINDOW, msg.from_addr.addr
    ids = [t.id for t in named if t is not None and t.id is not None]
    rows = store.messages.mail_on_tickets(ids, sender, since) if ids else store.messages.waiting_openings(box.name,
                                                                                                          sender, since)
    found: list[Opening] = []
    for row in rows:
        if not same_words(msg, row["subject"] or "", row["full_text"] or ""):
            continue  # no copy of it: its files are not read
        ticket, arrived = store.tickets.ticket_by_id(row["ticket_id"]), parse_ts(row["received_at"])
        if ticket is None or arrived is None:
            continue
        archived = Archive(cfg.archive_dir, cfg.limits).load(row["archive_path"]) if row["archive_path"] else None
        files: Files | None = () if not row["attachments"] else files_of(archived.attachments) if archived else None
        found.append(Opening(ticket, row["subject"] or "", row["full_text"] or "", files, arrived,
                             parse_ts(row["answered_at"]), archived.date if archived else None))
    return tuple(found)


def _said_to_lkpp(store: Store, tickets: tuple[Ticket | None, ...]) -> tuple[str, ...]:
    """What the unit itself wrote to LKPP on these tickets: its notes, and every mail it sent
    LKPP as it went out (the escalation's form and letter, the problem, the staff note, the
    reminders). A desk that writes its answer above the whole conversation, unquoted
    (Zendesk and the like), repeats them; they are not LKPP's words."""
    texts: list[str] = []
    for ticket_id in sorted({t.id for t in tickets if t is not None and t.id is not None}):
        texts += store.history.internal_texts(ticket_id)
        texts += store.messages.sent_texts(ticket_id, "lkpp")
    return tuple(texts)


def own_prefixes(store: Store, box: MailboxConfig) -> tuple[str, ...]:
    """The unit's tag prefixes, today's and former ones: never a counterpart's reference."""
    return tuple(dict.fromkeys((box.tag_prefix, *store.mailboxes.tag_prefixes(box.name))))


def _tag_number(store: Store, box: MailboxConfig, subject: str) -> str | None:
    """The ticket number the subject's tag names: the unit's prefix, else one it had before
    (the requester answering an ack sent before the operator changed `tag_prefix`)."""
    number = find_tag(subject, box.tag_prefix)
    for former in reversed(store.mailboxes.tag_prefixes(box.name)):
        if number is not None:
            break
        if former.lower() != box.tag_prefix.lower():
            number = find_tag(subject, former)
    return number


def _citations(store: Store, key: bytes, box: MailboxConfig, cfg: Config,
               cited: tuple[str, ...]) -> tuple[list[Citation], list[Ticket]]:
    citations: list[Citation] = []
    referenced: list[Ticket] = []
    ours = [(mid, token) for mid in cited if (token := verify(key, mid)) is not None and token.mailbox == box.name]
    exposure = store.messages.exposure(box.name, [mid for mid, _ in ours]) if ours else {}
    for mid, token in ours:
        audience = token.audience
        if audience is None:  # the first format: the outbox knows who it went to
            audience = audience_of(store.messages.sent_recipients(box.name, mid), box, cfg.escalation.senders)
        leaked = exposure.get(mid, frozenset()) - audience  # outsiders who hold it since (`trust.exposed`)
        citations.append(Citation(token.ticket, audience | leaked, token.kind, mid, leaked))  # no ticket: the digest
        if not token.ticket:
            continue
        found = store.tickets.ticket_by_number(box.name, token.ticket)
        if found and found.id not in {t.id for t in referenced}:
            referenced.append(found)
    return citations, referenced


def _escalation_keys(store: Store, key: bytes, box: MailboxConfig, subject: str,
                     tickets: tuple[Ticket | None, ...]) -> list[Citation]:
    """The escalation keys LKPP's subject carries, as what they prove: a mail that
    went to LKPP alone on that ticket was answered, as a signed Message-ID sent to LKPP
    proves (SPEC 9). Only the tickets the mail names otherwise (its tag, its Message-IDs, the
    desk's reference) are tried: a key finds no ticket by itself. Each key is cited under a
    pseudo Message-ID (`key_id`), so that where it reached an outsider (LKPP's mail with the
    requester in Cc, mail to the requester that carried it) that is recorded and read as for
    a Message-ID (`trust.exposed`): from then on it proves nothing (F2)."""
    codes = escalation_keys(subject)
    if not codes:
        return []
    numbers = [n for n in dict.fromkeys(t.number for t in tickets if t is not None and t.number)
               if escalation_key_valid(key, box.name, n, codes)]
    exposure = store.messages.exposure(box.name, [key_id(n) for n in numbers]) if numbers else {}
    return [Citation(n, frozenset("l") | exposure.get(key_id(n), frozenset()), "escalation_key", key_id(n),
                     exposure.get(key_id(n), frozenset()) - {"l"}) for n in numbers]


def _quotes_ours(store: Store, key: bytes, box: MailboxConfig, message_ids: tuple[str, ...]) -> bool:
    """Whether one of these Message-IDs is of a mail that mailbot sent from this mailbox."""
    if any((token := verify(key, mid)) is not None and token.mailbox == box.name for mid in message_ids):
        return True
    return store.messages.sent_any(box.name, message_ids)


def past(store: Store, box: MailboxConfig, cfg: Config, decision: Decision, msg: InboundMessage | None,
         role: Role | None, now: datetime, *, vouched: frozenset[str] = frozenset(),
         arrived: datetime | None = None, rotation: Rotation | None = None) -> Past:
    """What the plans of one decision read: thread, texts, counts, timers. `vouched`: the
    `unverified` alerts the message answers, so the LKPP mail each showed, which failed
    authentication, counts (`lifecycle.lkpp_answers`); `arrived`: when the message reached
    the mailbox (its INTERNALDATE), the hour its ack is counted in; `rotation`: the
    responder's round it may be (`known`), whose ack waits to be tested."""
    ticket = decision.ticket
    found = _ticket_past(store, ticket, now, vouched) if ticket is not None and ticket.id is not None else Past()
    if msg is not None and role is not None:
        found = replace(found, thread=(*found.thread, (str(role), msg.message_id)))
    found = replace(found, texts=_lkpp_texts(store, decision, role, found.texts))
    sent = _sent_before(store, box, cfg, decision, msg, now, arrived, found.sent)
    if rotation is not None and rotation.suspected:
        sent = replace(sent, probe=rotation.why)
    return replace(found, sent=sent)


def _sent_before(store: Store, box: MailboxConfig, cfg: Config, decision: Decision, msg: InboundMessage | None,
                 now: datetime, arrived: datetime | None, found: SentBefore) -> SentBefore:
    """What the loop limits count (SPEC 5): the mail to the outside addresses the decision's
    mail may go to, the causes alerted; for an ack, the ack budget's too."""
    ticket = decision.ticket
    outside = {a for a in _candidates(ticket, msg) if not internal(box, cfg, a)}
    sent_to = {a: store.outbox.auto_sent_to(a, now - HOUR, now - DAY) for a in outside}
    alerted = frozenset(store.history.alerted_causes(box.name, now - DAY)) if decision.sends else frozenset()
    if not any(s.kind == "ack" for s in decision.sends):
        return replace(found, sent_to=sent_to, alerted=alerted)
    known = frozenset(inbox_key(a) for a in outside if store.outbox.ever_sent_to(a))
    came = min(arrived or now, now)
    relay = organisation_of(domain_of(msg.relay)) if msg is not None and msg.relay else ""
    ack_slots, domain_slots = _ack_slots(store, box, relay or _requester_domain(ticket, msg), came)
    if ticket is not None and ticket.id is not None:
        found = replace(found, held_ack=store.outbox.held_ack(ticket.id))
    return replace(found, sent_to=sent_to, alerted=alerted, known=known, ack_slots=ack_slots,
                   domain_slots=domain_slots, looping=_looping(store, box, cfg, msg, now), arrived=came, relay=relay)


def _lkpp_texts(store: Store, decision: Decision, role: Role | None, found: Texts) -> Texts:
    """Where LKPP's text goes to the requester: never our notes, nor our own mail to LKPP
    that its desk repeats, so the texts to leave out are looked up."""
    ticket = decision.ticket
    if ticket is None or ticket.id is None or not any(
            s.to is Audience.REQUESTER and (s.attach == "lkpp" or role is Role.LKPP) for s in decision.sends):
        return found
    return replace(found, internal=tuple(store.history.internal_texts(ticket.id)),
                   sent_lkpp=tuple(store.messages.sent_texts(ticket.id, "lkpp")))


def _requester_domain(ticket: Ticket | None, msg: InboundMessage | None) -> str:
    """The organisation an ack to the ticket's requester (else the sender) is counted under."""
    return organisation_of(domain_of(ticket.requester.addr if ticket is not None else
                                     msg.from_addr.addr if msg else ""))


def _ack_slots(store: Store, box: MailboxConfig, to: str,
               came: datetime) -> tuple[tuple[datetime, ...], tuple[datetime, ...]]:
    """The ack budget's hour around `came` (the mail's arrival), held acks included (they go
    later, in turn): the mailbox's counted acks, and those of them counted under the
    organisation `to` (the requester's, or the relay's whose Reply-To the ack goes to), read
    as counts by moment (`History.counted_acks`)."""
    every: list[datetime] = []
    mine: list[datetime] = []
    for slot, domain, acks in sorted(store.history.counted_acks(box.name, came - HOUR)):
        every += [slot] * acks
        if domain == to:
            mine += [slot] * acks
    return tuple(every), tuple(mine)


def _looping(store: Store, box: MailboxConfig, cfg: Config, msg: InboundMessage | None,
             now: datetime) -> Refusal | None:
    """Why an ack would answer a responder on rotating addresses, or None. Only mail that
    answers mail of ours can be a loop (SPEC 5): its In-Reply-To or References
    name a mail mailbot sent, or its subject carries this mailbox's tag. New mail is never
    weighed for its words: people of one domain write alike (an outage morning)."""
    if msg is None or internal(box, cfg, msg.from_addr.addr) or not _answers_ours(store, box, msg,
                                                                                  now - CAUSED_WITHIN):
        return None
    recent = store.messages.received_from_domain(box.name, domain_of(msg.from_addr.addr), now - HOUR)
    return looping(msg.from_addr.addr, msg.subject, msg.new_text, recent)


# How automatic mail is recorded, on a ticket or on none (a responder's stopped round is).
_AUTOMATIC_LABELS = frozenset({LABELS[Event.AUTOMATIC], AUTOMATIC_UNMATCHED})

# Ticket numbers a message's quoted text names that are looked up (`_answers_ours`).
_QUOTED_NUMBERS = 5


def _answers_ours(store: Store, box: MailboxConfig, msg: InboundMessage, since: datetime) -> bool:
    """Whether a message answers mail mailbot sent from this mailbox from `since` on: it cites
    one of ours, or its subject carries the tag of a ticket we mailed on (a responder that drops
    In-Reply-To keeps it), or the text it quotes names such a ticket (one that drops every
    citation and its subject, and quotes our ack beneath its words). Mail of ours older than
    that caused nothing now (`loops.CAUSED_WITHIN`)."""
    number = find_tag(msg.subject, box.tag_prefix)
    if (number is not None and store.messages.mailed_on(box.name, number, since)) or \
            store.messages.sent_any(box.name, (*msg.in_reply_to, *msg.references)[-20:], since):
        return True
    return any(store.messages.mailed_on(box.name, n, since) for n in _quoted_numbers(msg)[:_QUOTED_NUMBERS])


def _quoted_numbers(msg: InboundMessage) -> list[str]:
    """The ticket numbers of the text a message quotes: its `>` lines, and what of its text
    is not its new text."""
    marked = "\n".join(line for line in msg.text.splitlines() if line.lstrip().startswith(">"))
    new = mentioned_numbers(msg.new_text)
    return list(dict.fromkeys((*mentioned_numbers(marked), *(n for n in mentioned_numbers(msg.text) if n not in new))))


# Mail on a ticket from a requester's address that is none of the requester's words.
NOT_THE_REQUESTERS = frozenset({COPY_LABEL, OUTSIDE_LABEL})


def _ticket_past(store: Store, ticket: Ticket, now: datetime, vouched: frozenset[str] = frozenset()) -> Past:
    assert ticket.id is not None
    thread = store.messages.thread_of(ticket.id)
    # a copy of the mail that opened the ticket (SPEC 3) tells nothing new: LKPP gets the problem once;
    # an outsider's reply to the unit's internal mail (SPEC 9) is no word of the requester's
    mine = [m for m in thread if m.direction == "in" and m.role == "requester" and m.kind not in NOT_THE_REQUESTERS]
    lkpp = lkpp_answers(thread, vouched)
    running = [t.timer for t in store.timers.active_timers(ticket.id)]
    # a call or visit: the problem is what staff wrote down on the form (SPEC 3), then the caller's mail
    written = (store.intake.intake_problem(ticket.id),) if ticket.channel != "email" else ()
    return Past(
        thread=tuple((m.role, m.message_id) for m in thread),
        texts=Texts(
            requester_texts=(*(t for t in written if t), *(m.body for m in mine)),
            requester_archives=tuple(m.archive_path for m in mine if m.has_attachments and m.archive_path),
            latest_lkpp=(lkpp[-1].body, lkpp[-1].archive_path or "") if lkpp else None,
            lkpp_passed_on=passed_on(thread, lkpp[-1].message_id) if lkpp else None,
            unshown=tuple(store.history.unshown(ticket.id, UNSHOWN_KINDS)),
        ),
        sent=SentBefore(slots=tuple(store.outbox.limited_slots(ticket.id, "requester", now - HOUR))),
        running=Running({t.kind: t for t in running}, store.history.told_timers(ticket.id)),
    )


def _candidates(ticket: Ticket | None, msg: InboundMessage | None) -> tuple[str, ...]:
    """The outside addresses a decision's automatic mail may go to: the requester, the sender."""
    return tuple(a for a in (ticket.requester.addr if ticket else "", msg.from_addr.addr if msg else "") if a)

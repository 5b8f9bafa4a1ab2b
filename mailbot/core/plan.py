"""From a decision to the mail it sends: recipients, limits, threading, context. Pure.

`plan` turns each `Send` of a decision into a frozen `MailPlan`: the addresses of its
audience (personal staff addresses never reach a requester), when the loop limits of
SPEC section 5 let it go (held plans included, so a decision shows everything that
will happen), the Message-IDs it threads under, and the template context. The shell
renders and stores the plans in the decision's transaction (`io/compose`).
"""

from __future__ import annotations

import email.errors
import fnmatch
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address as HeaderAddress
from typing import TYPE_CHECKING, Any

from mailbot.core.applicable import notice_facts, running_after
from mailbot.core.deadlines import TimerPlan
from mailbot.core.deadlines import plan as plan_timers
from mailbot.core.directions import ANSWERED_KINDS, ASKED
from mailbot.core.greetings import without_salutation
from mailbot.core.identity import identify_texts, in_order
from mailbot.core.inboxes import inbox_key
from mailbot.core.lifecycle import Decision, escalation_refused, info_refused
from mailbot.core.limits import (
    HOUR,
    Schedule,
    ack_share,
    ack_slot,
    address_limit,
    limited,
    ticket_slot,
)
from mailbot.core.links import defang, has_link
from mailbot.core.matching import audience_of, tag
from mailbot.core.model import (
    AUTO_GENERATED,
    Address,
    Audience,
    HistoryEvent,
    InboundMessage,
    Refusal,
    Send,
    Ticket,
    Timer,
    TimerKind,
    citable_id,
    has_mailbox,
)
from mailbot.core.ours import without_internal
from mailbot.core.settings import AuthConfig, Config, MailboxConfig
from mailbot.core.trust import sender_disowned, sender_vouched
from mailbot.core.worktime import WorkCalendar
from mailbot.parsers.authres import organisation_of

if TYPE_CHECKING:
    from mailbot.rules import Rules

# The roles of a ticket's messages (in and out) that make up each audience's thread.
_THREADS = {"requester": ("requester",), "staff": ("staff", "coordinator", "head"), "lkpp": ("lkpp",)}


@dataclass(frozen=True)
class Setup:
    """The configuration one mailbox's plans are made in."""

    cfg: Config
    box: MailboxConfig
    rules: Rules
    calendar: WorkCalendar


@dataclass(frozen=True)
class History:
    """What the plans of one decision need from the store, read in one step before planning."""

    thread: tuple[tuple[str, str], ...] = ()  # (role, Message-ID) of the ticket's messages, in and out, in order
    requester_texts: tuple[str, ...] = ()  # the requester's new texts, oldest first (the problem)
    requester_archives: tuple[str, ...] = ()  # archived requester messages with attachments
    latest_lkpp: tuple[str, str] | None = None  # (new text, archive path) of LKPP's latest message
    sent_to: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # address -> limited mail (hour, day)
    slots: tuple[datetime, ...] = ()  # send times of the ticket's limited mail to its requester, last hour on
    alerted: frozenset[str] = frozenset()  # loop-limit causes the coordinators heard of in the last day
    # issue 44: send times of the acks counted against the unit's ack budget from an hour ago on
    # (held ones too), and of those to the domain this decision's ack goes to
    ack_slots: tuple[datetime, ...] = ()
    domain_slots: tuple[datetime, ...] = ()
    known: frozenset[str] = frozenset()  # outside addresses (normalised) the unit wrote to before
    looping: Refusal | None = None  # why the sender is a responder on rotating addresses (`loops.looping`)
    arrived: datetime | None = None  # when the message reached the mailbox (INTERNALDATE): its ack is counted then
    held_ack: datetime | None = None  # when the ticket's ack held for the ack budget goes (issue 44)
    active_timers: frozenset[TimerKind] = frozenset()
    running: Mapping[TimerKind, Timer] = field(default_factory=dict)  # the active timers themselves
    told: frozenset[str] = frozenset()  # timers whose breach notice went out on the ticket
    # when LKPP's text goes to the requester: the ticket's internal notes, and the mails sent to
    # LKPP as they went out (a desk repeats our escalation, staff note and all, under its answer)
    internal: tuple[str, ...] = ()
    sent_lkpp: tuple[str, ...] = ()
    # machine mail on the ticket no notice has shown staff yet: (kind, when, detail), oldest first
    unshown: tuple[tuple[str, str, Mapping[str, Any]], ...] = ()


# The first answers to a sender (issue 37): to one no server vouched for, they carry nothing of theirs.
NEUTRAL_KINDS = frozenset({"ack", "message_refused"})


@dataclass(frozen=True)
class MailPlan:
    """One mail as it will be rendered and queued; `held` mail waits until `send_at`."""

    send: Send
    ticket: Ticket | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    audience: frozenset[str]  # role letters of the recipients, signed into the Message-ID
    send_at: datetime
    held: bool
    limited: bool  # counted by the loop limits
    language: str
    title: str
    in_reply_to: str | None
    references: tuple[str, ...]
    context: Mapping[str, Any]
    attach_from: tuple[str, ...] = ()  # archive paths whose attachments go along ("ticket", "lkpp")
    detached: bool = False  # about the ticket, not on it (a loop-limit alert): not counted on it


@dataclass(frozen=True)
class Planned:
    """Everything a decision will cause: its mail (held included), history and timers."""

    mails: tuple[MailPlan, ...] = ()
    events: tuple[HistoryEvent, ...] = ()
    timers: TimerPlan | None = None


def plan(decision: Decision, before: Ticket | None, msg: InboundMessage | None, history: History, setup: Setup,
         now: datetime, *, lkpp_message: bool = False) -> Planned:
    """The mail plans, limit events and timer changes of one decision."""
    mails: list[MailPlan] = []
    events: list[HistoryEvent] = []
    alerted = set(history.alerted)
    timers = _timers(decision, before, history, setup, now, lkpp_message)
    after = replace(history, running=running_after(history.running, timers))  # a notice's next deadline
    for send in decision.sends:
        mail, notes = _one(send, decision, msg, after, setup, now, alerted)
        mails += mail
        events += notes
    return Planned(tuple(_with_ack_unsent(mails, events)), tuple(events), timers)


def _with_ack_unsent(mails: list[MailPlan], events: list[HistoryEvent]) -> list[MailPlan]:
    """Staff hear on the new ticket's notice that its requester got no ack (yet), and why."""
    unsent = next((e for e in events if _ack_unsent(e)), None)
    if unsent is None:
        return mails
    why = unsent.detail.get("why")
    told = {"ack_unsent": _ACK_LATER.get(unsent.kind, unsent.kind),
            "ack_unsent_reason": Refusal(*why) if isinstance(why, list | tuple) and len(why) == 4
            else unsent.detail["reason"],
            "ack_until": unsent.detail.get("until", "")}
    return [replace(m, context={**m.context, **told}) if m.send.kind == "staff_new" else m for m in mails]


def _ack_unsent(event: HistoryEvent) -> bool:
    """An event that says the ack did not go now: withheld, waiting for staff, held or stopped."""
    return event.kind in ("ack_withheld", "ack_awaits_staff") or (
        event.kind in _ACK_LATER and event.detail.get("mail") == "ack")


def _timers(decision: Decision, before: Ticket | None, history: History, setup: Setup, now: datetime,
            lkpp_message: bool) -> TimerPlan | None:
    """The ticket's timer changes; a held call has no ticket to time yet."""
    if decision.ticket is None or decision.held:
        return None
    deadlines = setup.rules.deadlines(decision.ticket.priority)
    asked = any(s.kind in ("need_info", "request_info") and s.to is Audience.REQUESTER for s in decision.sends)
    return plan_timers(None if decision.new_ticket else before, decision.ticket, lkpp_message, now,
                       setup.calendar, deadlines, active=history.active_timers, data_requested=asked,
                       running=history.running, told=history.told, asked=_audiences(decision, ASKED),
                       answered=_audiences(decision, ANSWERED_KINDS))


def _audiences(decision: Decision, kinds: Mapping[str, str]) -> tuple[str, ...]:
    """Whom the decision asked for their word (`ASKED`, issue 48), or whose own answer to their
    request it brought (`ANSWERED_KINDS`, issue 58): the waits for direction that start or stop."""
    return tuple(kinds[e.kind] for e in decision.events if e.kind in kinds)


def refused_back(kind: str, ticket: Ticket, setup: Setup, now: datetime) -> tuple[Ticket, TimerPlan] | None:
    """Mail to LKPP that moved its ticket to `escalated` (`escalate`, `forward_info`), refused
    for good (SPEC 5): the ticket back where it was before it (`lifecycle.escalation_refused`,
    `info_refused`) and its timers following the state; None when it moves nothing back. The
    outbox, which learns of the refusal, is handed this at wiring time and only writes it."""
    back = (escalation_refused if kind == "escalate" else info_refused)(ticket, now)
    if back is None:
        return None
    return back, plan_timers(ticket, back, False, now, setup.calendar, setup.rules.deadlines(back.priority))


# An ack the limits hold or stop, as the new ticket's notice tells staff (`ack_unsent`).
_ACK_LATER = {"send_held": "ack_held", "send_suppressed": "ack_suppressed"}


@dataclass(frozen=True)
class _Job:
    """One send of a decision and what planning it reads. `alerted` is the decision's own
    set of alert keys so far (history's and this decision's): one alert per cause a day."""

    send: Send
    decision: Decision
    msg: InboundMessage | None
    history: History
    setup: Setup
    now: datetime
    alerted: set[str]


@dataclass(frozen=True)
class _Recipients:
    """Whom one send goes to: the audience's addresses as configured (`wanted`), and the
    deliverable ones in To and Cc (ASCII domains, no address twice)."""

    wanted: tuple[str, ...]
    to: tuple[str, ...]
    cc: tuple[str, ...]


def _one(send: Send, decision: Decision, msg: InboundMessage | None, history: History, setup: Setup,
         now: datetime, alerted: set[str]) -> tuple[list[MailPlan], list[HistoryEvent]]:
    """The mail (its limit alert included) and the events of one send, in this order: the
    rules that stop it before anything is addressed, the burst alert it counts as, its
    recipients and the rules that stop it for want of them, then the loop limits."""
    job = _Job(send, decision, msg, history, setup, now, alerted)
    if (stop := _first_stop(_STOPS_BEFORE, job, None)) is not None:
        return [], [stop]
    events = _burst_alerted(job)
    rcpt = _recipients(job)
    if (stop := _first_stop(_STOPS_UNADDRESSED, job, rcpt)) is not None:
        return [], [stop]  # the burst's alert event goes with it (its key stays counted)
    limited = send.auto is not None and not decision.exempt
    when = _when(job, rcpt, limited)
    mails, notices = _limit_notices(job, when)
    events += notices
    if when.send_at is None:
        return mails, events
    if when.counted:  # what the next acks' budget is read from (`History.ack_slots`)
        events.append(HistoryEvent("ack_counted", "mailbot",
                                   {"slot": _utc(when.counted_at or when.send_at), "domain": when.counted}))
    mails.insert(0, _mail(send, decision.ticket, msg, history, setup, rcpt.to, rcpt.cc, when, limited))
    return mails, events


def _disowned(job: _Job, rcpt: _Recipients | None) -> HistoryEvent | None:
    """Issue 37: the unit's own server says From is forged: the ticket opens, nobody is
    answered (an ack to a forged address is backscatter), and staff see why on the ticket."""
    send, msg = job.send, job.msg
    if send.kind not in NEUTRAL_KINDS or msg is None or send.to not in (Audience.REQUESTER, Audience.SENDER):
        return None
    disowned = sender_disowned(msg, job.setup.cfg.auth)
    return HistoryEvent("ack_withheld", "mailbot", {"mail": send.kind, "reason": disowned}) if disowned else None


def _ack_already_held(job: _Job, rcpt: _Recipients | None) -> HistoryEvent | None:
    """Issue 44: the ack is in the outbox already, held for the ack budget, and goes by
    itself (`#kirim-tanda-terima` on such a ticket): a second one would reach the requester twice."""
    held = job.history.held_ack
    if job.send.kind != "ack" or held is None:
        return None
    return HistoryEvent("ack_already_held", "mailbot", {"mail": job.send.kind, "until": _minute(held, job.setup.cfg)})


def _burst_key(send: Send) -> str:
    burst = str(send.context.get("burst") or "")
    return f"burst:{burst}" if burst else ""


def _burst_folded(job: _Job, rcpt: _Recipients | None) -> HistoryEvent | None:
    """One alert of a kind a day, however many mails cause it (issue 37: 100 bounced acks, one alert)."""
    key = _burst_key(job.send)
    if not key or key not in job.alerted:
        return None
    return HistoryEvent("alert_folded", "mailbot", {"mail": job.send.kind, "key": key})


def _answered_without_mail(job: _Job, rcpt: _Recipients | None) -> HistoryEvent | None:
    """Issue 45: a caller or visitor who gave no e-mail was answered in person or by phone:
    the answer is kept (the recap's Tgl/Isi Jawaban, the summary's first response), not mailed."""
    send, ticket = job.send, job.decision.ticket
    if rcpt is None or rcpt.to or send.to is not Audience.REQUESTER or send.kind == "ack" or ticket is None:
        return None
    if has_mailbox(ticket.requester.addr):
        return None
    return HistoryEvent("answered_without_mail", "mailbot", {"mail": send.kind, "text": send.text or ""})


def _unaddressed(job: _Job, rcpt: _Recipients | None) -> HistoryEvent | None:
    """No address of the audience can be written to: the mail is skipped, and the ticket says why."""
    if rcpt is None or rcpt.to:
        return None
    wanted = rcpt.wanted
    reason = f"address {', '.join(wanted)} cannot be written to" if wanted else f"no address for {job.send.to}"
    return HistoryEvent("send_skipped", "mailbot", {"mail": job.send.kind, "reason": reason})


_Stop = Callable[[_Job, "_Recipients | None"], "HistoryEvent | None"]

# What stops a send before it is addressed, in order: the first that answers wins.
_STOPS_BEFORE: tuple[_Stop, ...] = (_disowned, _ack_already_held, _burst_folded)
# What stops it once its recipients are known.
_STOPS_UNADDRESSED: tuple[_Stop, ...] = (_answered_without_mail, _unaddressed)


def _first_stop(stops: tuple[_Stop, ...], job: _Job, rcpt: _Recipients | None) -> HistoryEvent | None:
    return next((event for stop in stops if (event := stop(job, rcpt)) is not None), None)


def _burst_alerted(job: _Job) -> list[HistoryEvent]:
    """A send that is itself a burst's alert counts its key as alerted for the day."""
    key = _burst_key(job.send)
    if not key:
        return []
    job.alerted.add(key)
    return [HistoryEvent("rate_limit_alerted", "mailbot", {"key": key})]


def _recipients(job: _Job) -> _Recipients:
    box, cfg, ticket, msg = job.setup.box, job.setup.cfg, job.decision.ticket, job.msg
    wanted = addresses(job.send.to, box, cfg, ticket, msg)
    to = tuple(a for a in map(ascii_domain, wanted) if deliverable(a))
    cc = tuple(a for aud in job.send.cc for a in map(ascii_domain, addresses(aud, box, cfg, ticket, msg))
               if a not in to and deliverable(a))
    return _Recipients(wanted, to, cc)


def _when(job: _Job, rcpt: _Recipients, limited: bool) -> Schedule:
    """When the mail goes: now unless the loop limits count it (`schedule`)."""
    if not limited:
        return Schedule(job.now)
    return schedule(job.send, (*rcpt.to, *rcpt.cc), job.decision.ticket, job.history, job.setup, job.now,
                    vouched=_ack_to_vouched(job, rcpt))


def _ack_to_vouched(job: _Job, rcpt: _Recipients) -> bool:
    """Issue 44: the ack goes to the sender the unit's own server vouches for: never counted."""
    msg = job.msg
    if job.send.kind != "ack" or msg is None or not ack_vouched(msg, job.setup.cfg.auth):
        return False
    return msg.from_addr.addr.lower() in {a.lower() for a in rcpt.to}


def _limit_notices(job: _Job, when: Schedule) -> tuple[list[MailPlan], list[HistoryEvent]]:
    """A held or stopped mail: the event on the ticket, and the coordinators' alert once per cause a day."""
    if not when.cause:
        return [], []
    events = [_limit_event(job, when)]
    if when.cause in job.alerted:
        return [], events
    job.alerted.add(when.cause)
    events.append(HistoryEvent("rate_limit_alerted", "mailbot", {"key": when.cause}))
    return [_limit_alert(when, job.decision.ticket, job.setup, job.now)], events


def _limit_event(job: _Job, when: Schedule) -> HistoryEvent:
    detail: dict[str, object] = {"mail": job.send.kind, "reason": when.reason}
    if when.why is not None:  # for mail in the mailbox's language (issue 45)
        detail["why"] = [when.why.code, when.why.command, when.why.value, when.why.name]
    if when.held and when.send_at is not None:
        detail["until"] = _minute(when.send_at, job.setup.cfg)
    if when.waits:
        return HistoryEvent("ack_awaits_staff", "mailbot", detail)
    return HistoryEvent("send_held" if when.held else "send_suppressed", "mailbot", detail)


def _minute(moment: datetime, cfg: Config) -> str:
    """A moment as staff read it on the ticket: the unit's local time to the minute."""
    return moment.astimezone(cfg.timezone).strftime("%Y-%m-%d %H:%M")


def _mail(send: Send, ticket: Ticket | None, msg: InboundMessage | None, history: History, setup: Setup,
          to: tuple[str, ...], cc: tuple[str, ...], when: Schedule, limited: bool) -> MailPlan:
    assert when.send_at is not None
    in_reply_to, references = thread(ticket, str(send.to), msg, history)
    language = ticket.language if ticket else setup.cfg.language
    title, shown = _title(send, ticket, msg, setup), context(send, ticket, msg, history, setup, when.send_at)
    if any(not internal(setup.box, setup.cfg, a) for a in (*to, *cc)) or (send.to is Audience.SENDER and limited):
        title, shown = _defanged(send, title, shown, limited)
    if _unproven(send, ticket, msg, to, setup):
        # Issue 37: the first answer to a sender no server vouched for carries nothing of theirs
        # (a lure in the Subject or the display name would come back From the unit; an ack staff
        # asked for or a caller's ack proves nothing of its addressee either): the tag and a
        # neutral title (`neutral_subjects` in words.yaml), no name, no subject, no text. A caller's
        # ack names the problem staff wrote down (issue 45), defanged above like anything outside.
        title, shown = "", {**shown, "subject": "", "requester_name": "", "text": "", "unproven": True}
    return MailPlan(send, ticket, to, cc, audience_of((*to, *cc), setup.box, setup.cfg.escalation.senders),
                    when.send_at, when.held, limited, language, title, in_reply_to, references,
                    shown, _attach_from(send, history))


def _title(send: Send, ticket: Ticket | None, msg: InboundMessage | None, setup: Setup) -> str:
    """The send's own title, else the ticket's or the message's subject. Mail about no ticket
    and no message (a system alert) names the unit: a coordinator of several units tells
    their alerts apart, and the subject does not end on a bare colon."""
    if send.title:
        return send.title
    if ticket:
        return ticket.subject
    return msg.subject if msg else setup.box.display_name


def _defanged(send: Send, title: str, shown: dict[str, Any], limited: bool) -> tuple[str, dict[str, Any]]:
    """Anyone can write with a victim's address in From, a staff member's too: the unit's
    answer to that address (to an unproven sender: `limited`) never carries a working link
    the sender chose (in the Subject or the text that repeats it)."""
    shown = {**shown, "subject": defang(str(shown.get("subject") or ""))}
    if send.to is Audience.SENDER and limited:  # the sender's own words back (a held call's form): inert too
        shown["text"] = defang(str(shown.get("text") or ""))
        if isinstance(shown.get("form"), Mapping):  # but the caller's address as the form read it (issue 59)
            shown["form"] = {k: defang(v) if isinstance(v, str) and k != "email" else v
                             for k, v in shown["form"].items()}
    return defang(title), shown


def _unproven(send: Send, ticket: Ticket | None, msg: InboundMessage | None, to: tuple[str, ...],
              setup: Setup) -> bool:
    """Whether this is a first answer (`NEUTRAL_KINDS`) to an address no server vouched for.
    A call's or visit's words are staff's (SPEC 3): its answers are not neutral."""
    if send.kind not in NEUTRAL_KINDS or (ticket is not None and ticket.channel != "email"):
        return False
    return not (msg is not None and msg.from_addr.addr.lower() in {a.lower() for a in to}
                and sender_vouched(msg, setup.cfg.auth))


def _attach_from(send: Send, history: History) -> tuple[str, ...]:
    if send.attach == "ticket":
        return history.requester_archives  # SOP-015 step 1: every attachment the requester sent
    if send.attach == "lkpp" and history.latest_lkpp is not None:
        return (history.latest_lkpp[1],)
    return ()


def _limit_alert(when: Schedule, ticket: Ticket | None, setup: Setup, now: datetime) -> MailPlan:
    """One alert per cause a day to the coordinators, who are internal and never limited."""
    until = ""
    if when.held and when.send_at is not None:
        until = _minute(when.send_at, setup.cfg)
    address = when.cause.partition(":")[2] if when.cause.startswith("address:") else ""
    send = Send("rate_limited", Audience.COORDINATORS, auto=AUTO_GENERATED,
                context={"reason": when.why or when.reason, "held": when.held, "until": until, "address": address,
                         "waiting": when.waits})
    to = addresses(Audience.COORDINATORS, setup.box, setup.cfg, ticket, None)
    return MailPlan(send, ticket, to, (), audience_of(to, setup.box, setup.cfg.escalation.senders), now, False,
                    False, setup.cfg.language, ticket.subject if ticket else "", None, (),
                    context(send, ticket, None, History(), setup, now), detached=True)


# --- recipients and limits -------------------------------------------------------------


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


def ack_vouched(msg: InboundMessage, auth: AuthConfig) -> bool:
    """Whether the unit's own server vouches for the sender of `msg` (aligned dmarc, dkim or
    spf pass in its topmost Authentication-Results), read for the ack budget (issue 44).

    As `trust.sender_vouched` reads it in `authres` mode, and in `token` mode too wherever
    `auth.trusted_authserv_id` names the unit's server: the verdict only decides whether an
    ack goes now or waits its turn, never who may act (that stays with SPEC 9's modes), and
    `trust.sender_disowned` already reads the same server's fail in that mode. `off` vouches
    for nobody here: From alone proves nothing to a budget that stops floods."""
    if auth.mode == "off" or not auth.trusted_authserv_id:
        return False
    return sender_vouched(msg, auth if auth.mode == "authres" else replace(auth, mode="authres"))


def _utc(moment: datetime) -> str:
    """A moment as the store writes its timestamps (UTC, sortable), for events it reads back."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def schedule(send: Send, rcpt: tuple[str, ...], ticket: Ticket | None, history: History, setup: Setup,
             now: datetime, *, vouched: bool = False) -> Schedule:
    """SPEC section 5: when an automatic mail may go, if at all. `vouched`: the ack goes to
    a sender the unit's own server vouched for (`ack_vouched`), never counted (issue 44)."""
    stopped = _address_limited(rcpt, history, setup) or _loop_limited(send, rcpt, history)
    if stopped is not None:
        return stopped
    if send.kind != "ack" or vouched or not _new_outside(rcpt, history, setup):
        return _ticket_capped(send, ticket, history, setup, now)
    # a domain's share is its organisation's: sixty subdomains of one are one (red team of issue 44, F4)
    budget = _ack_budget(organisation_of(msg_domain(rcpt)), history, setup, now)
    if budget.send_at != now:
        return budget
    when = _ticket_capped(send, ticket, history, setup, now)
    return replace(when, counted=budget.counted, counted_at=budget.counted_at if when.send_at == now else None)


def _address_limited(rcpt: tuple[str, ...], history: History, setup: Setup) -> Schedule | None:
    """Stopped: an outside recipient had its hour's or day's share of automatic mail."""
    for address in (a for a in rcpt if not internal(setup.box, setup.cfg, a)):
        hour, day = history.sent_to.get(address, (0, 0))
        why = address_limit(address, hour, day, setup.cfg.autoreply_limit)
        if why:
            return limited(why, send_at=None, cause=f"address:{address}")
    return None


def _loop_limited(send: Send, rcpt: tuple[str, ...], history: History) -> Schedule | None:
    """Issue 37: the same words from a third address of one domain within the hour: a responder
    answering our acks from rotating addresses; no ack, and the loop has nothing to answer."""
    if send.kind != "ack" or not history.looping or not msg_domain(rcpt):
        return None
    return limited(history.looping, send_at=None, cause=f"loop:{msg_domain(rcpt)}")


def _new_outside(rcpt: tuple[str, ...], history: History, setup: Setup) -> bool:
    """Whether a recipient is outside the unit and new to it (the ack budget counts those)."""
    return any(not internal(setup.box, setup.cfg, a) and inbox_key(a) not in history.known for a in rcpt)


def _ticket_capped(send: Send, ticket: Ticket | None, history: History, setup: Setup, now: datetime) -> Schedule:
    """Held: the ticket's requester had `limits.ticket_mails_per_hour` mails this hour."""
    if send.to is not Audience.REQUESTER or ticket is None or ticket.id is None:
        return Schedule(now)
    cap = setup.cfg.limits.ticket_mails_per_hour
    slot = ticket_slot(now, [s for s in history.slots if s > now - HOUR], cap)
    if slot <= now:
        return Schedule(now)
    return limited(Refusal("limit_ticket", value=str(cap)), send_at=slot, held=True, cause=f"ticket:{ticket.number}")


def _ack_budget(domain: str, history: History, setup: Setup, now: datetime) -> Schedule:
    """When an ack to a new address no server vouched for may go (issues 44 and 57, SPEC 5).

    Issue 37's flood (500 forged senders must not make 500 acks) is bounded by the unit-wide
    `limits.acks_per_hour` and a domain's share of it (`limits.ack_slot`); past them the ack
    is held and goes by itself, oldest first, as the hour frees. The hour is that of the
    mail's arrival (`History.arrived`): mail that came over two days while the host was down
    is counted as it came, and an ack whose turn has passed meanwhile goes now. Only where
    the budget would hold it longer than `ack_max_age_hours` (an ack that late answers
    nothing) does it wait for staff (`#kirim-tanda-terima`). Words repeating across a
    domain's new mail hold nothing here: people of one domain write alike (issue 57); only
    mail that answers ours can be a loop (`History.looping`)."""
    cfg = setup.cfg
    budget = cfg.limits.acks_per_hour
    share = ack_share(budget, cfg.autoreply_limit)
    came = min(history.arrived or now, now)
    slot, by_share = ack_slot(came, list(history.ack_slots), list(history.domain_slots), budget, share)
    if slot <= now:
        return Schedule(now, counted=domain, counted_at=slot)
    if slot - now > timedelta(hours=cfg.ack_max_age_hours):
        return limited(Refusal("limit_acks_days", value=str(budget), name=str(_number(cfg.ack_max_age_hours))),
                       send_at=None, cause=f"acks:{setup.box.name}", waits=True)
    why = (Refusal("limit_share", command=str(share), value=str(budget), name=domain) if by_share
           else Refusal("limit_acks", value=str(budget)))
    return limited(why, send_at=slot, held=True, cause=f"acks-held:{setup.box.name}", counted=domain)


def msg_domain(rcpt: tuple[str, ...]) -> str:
    """The domain of the first recipient (the requester an ack goes to)."""
    return rcpt[0].rpartition("@")[2].lower() if rcpt else ""


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


# --- threading and context -------------------------------------------------------------


def thread(ticket: Ticket | None, audience: str, msg: InboundMessage | None,
           history: History) -> tuple[str | None, tuple[str, ...]]:
    """In-Reply-To the latest mail of this audience's thread; References from its start.
    Only ids the mails carried: none that mailbot made up for a mail without one."""
    if ticket is None or ticket.id is None or audience not in _THREADS:
        return _under_message(msg)
    ids = [cited for mid in _thread_ids(audience, msg, history) if (cited := citable_id(mid))]
    if not ids:
        return None, ()
    return ids[-1], tuple(dict.fromkeys((ids[0], *ids[-9:])))


def _thread_ids(audience: str, msg: InboundMessage | None, history: History) -> list[str]:
    """The Message-IDs of this audience's thread, oldest first."""
    ids = [mid for role, mid in history.thread if role in _THREADS[audience]]
    if not ids and msg is not None and audience == "staff" and history.thread:
        return [history.thread[0][1]]  # the staff thread starts from the requester's mail
    return ids


def _under_message(msg: InboundMessage | None) -> tuple[str | None, tuple[str, ...]]:
    """Mail on no ticket's thread answers the message it is about, if any."""
    if msg is None:
        return None, ()
    cited = citable_id(msg.message_id)
    return (cited, (*msg.references, cited)) if cited else (None, tuple(msg.references))


def redact(text: str, box: MailboxConfig) -> str:
    """Requesters never see staff, coordinator or head addresses (SPEC sections 1, 2), nor
    those addresses spelled out against harvesting ("andi[at]batam.go.id")."""
    addresses = tuple(a for a in (*box.staff, *box.coordinators, *box.heads, box.staff_notify or "") if a)
    return _internal_addresses(addresses).sub(box.address, text) if addresses else text


# How signatures spell "@" and "." against address harvesting: "[at]", "(at)", "{at}",
# " at ", "[dot]", "(titik)", " dot ", with or without spaces around.
_SPELLED_AT = r"(?:\s*@\s*|\s*[\[({]\s*(?:at|et)\s*[\])}]\s*|\s+at\s+)"
_SPELLED_DOT = r"(?:\s*\.\s*|\s*[\[({]\s*(?:dot|titik)\s*[\])}]\s*|\s+(?:dot|titik)\s+)"


@functools.lru_cache(maxsize=64)
def _internal_addresses(addresses: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for the unit's internal addresses as written or spelled out."""
    spelled = []
    for address in addresses:
        local, _, domain = address.rpartition("@")
        spelled.append(re.escape(local) + _SPELLED_AT + _SPELLED_DOT.join(re.escape(p) for p in domain.split(".")))
    # whole addresses only: "wakil.kepala@x" or "kepala@x.id.co" is someone else's address
    return re.compile(r"(?<![\w.%+-])(?:" + "|".join(sorted(spelled, key=len, reverse=True))
                      + r")(?![\w-]|\.\w)", re.IGNORECASE)


# The mails that pass LKPP's words on to the requester: LKPP wrote them to the unit, so its
# letter's opening ("Yth. Helpdesk LPSE Kota Batam,") is left out and the template introduces
# them as LKPP's answer (issue 45).
LKPP_WORDS = frozenset({"resolved_lkpp", "need_info", "status_user", "relay"})


def context(send: Send, ticket: Ticket | None, msg: InboundMessage | None, history: History,
            setup: Setup, at: datetime) -> dict[str, Any]:
    """The template context of one mail going `at`: the ticket, the texts it carries, the deadlines."""
    box, cfg = setup.box, setup.cfg
    base = _ticket_context(ticket, msg, box)
    text = _text(send, history)
    if send.to is Audience.REQUESTER:
        text, send = _for_requester(text, send, history, box)
    base.update(_terms(text, send, ticket, setup))
    if send.attach == "ticket" and ticket is not None:
        base.update(_problem(ticket, history))
    if send.to in (Audience.STAFF, Audience.ASSIGNEE, Audience.COORDINATORS):
        base["unshown"] = [_unshown(kind, at, detail, cfg) for kind, at, detail in history.unshown]
    if ticket is not None:  # issue 59: what a notice says of the ticket now
        base.update(notice_facts(ticket, history.running, history.latest_lkpp is not None, cfg.timezone, at))
    base.update(send.context)
    return base


def _terms(text: str, send: Send, ticket: Ticket | None, setup: Setup) -> dict[str, Any]:
    """The texts, the working hours and the deadlines a mail states."""
    cfg = setup.cfg
    deadlines = setup.rules.deadlines(ticket.priority if ticket else None)
    return {
        "text": text, "note": send.text or "", "workdays": list(cfg.calendar.workdays), "hours": cfg.calendar.hours,
        "timezone": str(cfg.timezone), "reopen_days": cfg.reopen_days,
        "first_response_hours": _number(deadlines.first_response), "confirm_days": _number(deadlines.confirm_close),
        "close_days": _number(deadlines.awaiting_info_close), "identity": {},
        # seed 003's form: "Hari/Tanggal Konsultasi" and "Waktu", when the ticket was opened
        "opened": ticket.created_at.astimezone(cfg.timezone).isoformat() if ticket else "",
    }


def _problem(ticket: Ticket, history: History) -> dict[str, Any]:
    """SOP-015 step 1: the problem as the requester wrote it, who they are, then the staff note;
    the same words sent twice (again, with the file forgotten the first time) once."""
    return {"text": "\n\n".join(dict.fromkeys(t.strip() for t in history.requester_texts if t.strip())),
            "identity": identity_of(ticket, history)}


def _text(send: Send, history: History) -> str:
    """The words a mail carries: the send's own, or LKPP's latest where it passes them on."""
    if send.attach == "lkpp" and history.latest_lkpp is not None:
        return history.latest_lkpp[0]
    return send.text or ""


def _for_requester(text: str, send: Send, history: History, box: MailboxConfig) -> tuple[str, Send]:
    """What a requester may read of the text and of a consultation's problem as staff wrote it
    down: no internal notes or our own mail repeated, no staff address (SPEC sections 1, 2)."""
    if send.kind in LKPP_WORDS:
        text = without_salutation(text)
    text = redact(without_internal(text, history.internal, history.sent_lkpp), box)
    if isinstance(send.context.get("problem"), str):
        send = replace(send, context={**send.context, "problem": redact(str(send.context["problem"]), box)})
    return text, send


def _unshown(kind: str, at: str, detail: Mapping[str, Any], cfg: Config) -> dict[str, Any]:
    """One record for the "since the last notice" lines of a staff mail."""
    try:
        when = datetime.fromisoformat(at).astimezone(cfg.timezone).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        when = at
    return {"kind": kind, "at": when, **{k: v for k, v in detail.items() if isinstance(v, (str, int, list))}}


# A link or a host name; not the academic titles of Indonesian names ("Budi, S.Kom., M.T.").
_LINK_LIKE = re.compile(
    r"//|\bwww\.|@|[a-z0-9-]{2,}\.[a-z0-9-]{2,}\.[a-z]{2,}|"
    r"[a-z0-9-]{3,}\.(?:com|net|org|id|io|xyz|info|co|me|ly|site|online|top|biz|link|click|test)\b",
    re.IGNORECASE)


def _ticket_context(ticket: Ticket | None, msg: InboundMessage | None, box: MailboxConfig) -> dict[str, Any]:
    context: dict[str, Any] = {
        "unit": box.display_name, "unit_address": box.address, "number": "-", "tag": "",
        "subject": msg.subject if msg else "", "state": "", "requester_name": "", "requester": "",
        "requester_label": "", "sender_label": "", "sender": msg.from_addr.addr if msg else "", "rating": None,
        "lkpp_ticket": None, "priority": None, "category": None, "assignee": None,
        "previous": None, "cited": None, "errors": [], "commands": [], "reason": "", "alert": "", "event": "",
        "confirmed": False, "due": "", "timer": "", "items": [], "attachment_names": [], "ran": [],
        "sealed": msg.sealed if msg else "",
    }
    if ticket is not None:
        context.update(_of_ticket(ticket, box))
        # a participant other than the requester (a supervisor, a Pokja member in Cc): staff see who wrote
        other = msg is not None and msg.from_addr.addr != ticket.requester.addr
        context["sender_label"] = _label(msg.from_addr) if msg is not None and other else ""
    return context


def _shown_name(address: Address) -> str:
    name = in_order(address.name)  # "Dear Stefanus Wijaya", not "Dear Wijaya, Stefanus"
    if _LINK_LIKE.search(name) or has_link(name) or len(name) > 80:
        name = ""  # a display name is the sender's to choose: mailbot never greets anyone with a link
    return name


def _label(address: Address) -> str:
    name = _shown_name(address)
    return f"{name} <{address.addr}>" if name else address.addr


def _of_ticket(ticket: Ticket, box: MailboxConfig) -> dict[str, Any]:
    requester = ticket.requester
    name = _shown_name(requester)
    return {
        "number": ticket.number, "tag": tag(box.tag_prefix, ticket.number), "subject": ticket.subject,
        "state": str(ticket.state), "requester_name": name, "requester": requester.addr,
        "requester_label": _label(requester), "rating": ticket.rating,
        "lkpp_ticket": ticket.lkpp_ticket, "priority": ticket.priority, "category": ticket.category,
        "assignee": ticket.assignee,
    }


def identity_of(ticket: Ticket, history: History) -> dict[str, str]:
    """The consultation form (seed 003): what staff set or the requester stated, else what their mail shows."""
    found = identify_texts(history.requester_texts, ticket.requester)
    form = ticket.contact
    return {"name": form.name or found.name, "organisation": form.organisation or found.organisation,
            "address": form.address or found.address, "phone": form.phone or found.phone,
            "email": ticket.requester.addr if has_mailbox(ticket.requester.addr) else ""}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


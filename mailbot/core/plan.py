"""From a decision to the mail it sends, held mail included, and its timer changes. Pure.

`plan` turns each `Send` of a decision into a frozen `MailPlan`, asking each part what it
decides: who the mail goes to (`recipients`), when the loop limits of SPEC section 5 let
it go (`schedule`; held plans included, so a decision shows everything that will
happen), the Message-IDs it threads under (`threads`) and what it says (`mail_context`).
Here stand the order of those steps, the rules that stop a send before it is addressed
(`_STOPS_BEFORE`, `_STOPS_UNADDRESSED`) and the coordinators' alert when a limit holds
one, and the ticket's timers as they run once the decision's timer changes are made
(`running_after`: what a notice's next deadlines are read from). The store's part is read
before (`io/lookup.past`, a `plan_inputs.Past`); the shell renders and stores the plans in
the decision's transaction (`io/compose`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from mailbot.core.applicable import ticket_notice
from mailbot.core.deadlines import TimerPlan
from mailbot.core.deadlines import plan as plan_timers
from mailbot.core.directions import ANSWERED_KINDS, ASKED
from mailbot.core.facts import Facts
from mailbot.core.lifecycle import RELAYS, Decision, escalation_refused, info_refused, vouches
from mailbot.core.limits import Schedule
from mailbot.core.mail_context import NEUTRAL_KINDS, context, title_and_context
from mailbot.core.matching import audience_of
from mailbot.core.passed_on import LKPP_ANSWERS, LKPP_WORDS
from mailbot.core.plan_inputs import Past, Setup, Texts
from mailbot.core.recipients import addresses, ascii_domain, deliverable
from mailbot.core.schedule import ack_vouched, schedule
from mailbot.core.threads import thread
from mailbot.core.trust import Citation, Trust, sender_disowned
from mailbot.model import (
    AUTO_GENERATED,
    Audience,
    HistoryEvent,
    InboundMessage,
    Refusal,
    Role,
    Send,
    Ticket,
    Timer,
    TimerKind,
    has_mailbox,
)
from mailbot.settings import Config


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


def lkpp_spoke(facts: Facts, trust: Trust, label: str, citations: Iterable[Citation]) -> bool:
    """Whether the message is word from LKPP for its timers (SOP-015 steps 12, 14): an
    authenticated LKPP message, or staff relaying (`#teruskan`, `#permintaan-data`) an LKPP
    message they vouch for by answering its `unverified` alert, as for LKPP's own ticket
    system: LKPP answered, so it is not asked again for a status it gave."""
    if facts.role is Role.LKPP:
        return trust.authenticated and not facts.message.is_automatic
    return label in RELAYS and vouches(citations)


def plan(decision: Decision, before: Ticket | None, msg: InboundMessage | None, past: Past, setup: Setup,
         now: datetime, *, lkpp_message: bool = False, vouched: bool = False) -> Planned:
    """The mail plans, limit events and timer changes of one decision; `vouched`: a server the
    unit trusts vouched for the From of `msg` (`trust.sender_vouched`, read by the trust step)."""
    mails: list[MailPlan] = []
    events: list[HistoryEvent] = []
    alerted = set(past.sent.alerted)
    timers = _timers(decision, before, past, setup, now, lkpp_message)
    running = running_after(past.running.timers, timers)  # a notice's next deadline
    for send in decision.sends:
        mail, notes = _one(send, decision, msg, past, running, setup, now, alerted, vouched)
        mails += mail
        events += notes
    mails = _with_ack_unsent(mails, events)
    return Planned(tuple(_with_passed_on(mails, decision, setup, lkpp_message)), tuple(events), timers)


def running_after(running: Mapping[TimerKind, Timer], timers: TimerPlan | None) -> dict[TimerKind, Timer]:
    """A ticket's timers as they run once a decision's timer changes are committed."""
    if timers is None or timers.empty:
        return dict(running)
    kept = {k: t for k, t in running.items() if k not in timers.clear}
    return {**kept, **{t.kind: t for t in timers.set}}


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


def _with_passed_on(mails: list[MailPlan], decision: Decision, setup: Setup, lkpp_message: bool) -> list[MailPlan]:
    """What staff read of an LKPP answer this decision is about: each of its staff mails on the
    ticket says which mail took LKPP's words to the requester and when (`passed_on`), and
    offers `#teruskan` and `#permintaan-data` (the `lkpp_answer` situation) only while that
    answer waits to be passed on: an LKPP answer the rules kept for staff (LKPP's own mail,
    authenticated, not yet in the thread the past was read from) does; one that went does not."""
    went = [m for m in mails if m.send.to is Audience.REQUESTER and m.send.kind in LKPP_WORDS]
    waits = not went and lkpp_message and decision.label in LKPP_ANSWERS
    if not went and not waits:
        return mails
    told = [{"kind": m.send.kind, "at": _minute(m.send_at, setup.cfg)} for m in went]

    def told_staff(mail: MailPlan) -> MailPlan:
        if mail.ticket is None or mail.send.to in (Audience.REQUESTER, Audience.LKPP):
            return mail
        situation = [s for s in mail.context.get("situation") or () if s != "lkpp_answer"]
        return replace(mail, context={**mail.context, "passed_on": told,
                                      "situation": [*situation, "lkpp_answer"] if waits else situation})
    return [told_staff(m) for m in mails]


def _ack_unsent(event: HistoryEvent) -> bool:
    """An event that says the ack did not go now: withheld, waiting for staff, held or stopped."""
    return event.kind in ("ack_withheld", "ack_awaits_staff") or (
        event.kind in _ACK_LATER and event.detail.get("mail") == "ack")


def _timers(decision: Decision, before: Ticket | None, past: Past, setup: Setup, now: datetime,
            lkpp_message: bool) -> TimerPlan | None:
    """The ticket's timer changes; a held call has no ticket to time yet."""
    if decision.ticket is None or decision.held:
        return None
    deadlines = setup.rules.deadlines(decision.ticket.priority)
    asked = any(s.kind in ("need_info", "request_info") and s.to is Audience.REQUESTER for s in decision.sends)
    return plan_timers(None if decision.new_ticket else before, decision.ticket, lkpp_message, now,
                       setup.calendar, deadlines, active=frozenset(past.running.timers), data_requested=asked,
                       running=past.running.timers, told=past.running.told, asked=_audiences(decision, ASKED),
                       answered=_audiences(decision, ANSWERED_KINDS))


def _audiences(decision: Decision, kinds: Mapping[str, str]) -> tuple[str, ...]:
    """Whom the decision asked for their word (`ASKED`), or whose own answer to their
    request it brought (`ANSWERED_KINDS`): the waits for direction that start or stop."""
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
    """One send of a decision and what planning it reads. `running`: the ticket's timers once
    the decision's changes are made; `alerted` is the decision's own set of alert keys so far
    (the past's and this decision's): one alert per cause a day."""

    send: Send
    decision: Decision
    msg: InboundMessage | None
    past: Past
    running: Mapping[TimerKind, Timer]
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


def _one(send: Send, decision: Decision, msg: InboundMessage | None, past: Past,
         running: Mapping[TimerKind, Timer], setup: Setup, now: datetime,
         alerted: set[str], vouched: bool) -> tuple[list[MailPlan], list[HistoryEvent]]:
    """The mail (its limit alert included) and the events of one send, in this order: the
    rules that stop it before anything is addressed, the burst alert it counts as, its
    recipients and the rules that stop it for want of them, then the loop limits."""
    job = _Job(send, decision, msg, past, running, setup, now, alerted)
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
    if when.counted:  # what the next acks' budget is read from (`SentBefore.ack_slots`)
        events.append(HistoryEvent("ack_counted", "mailbot",
                                   {"slot": _utc(when.counted_at or when.send_at), "domain": when.counted}))
    mails.insert(0, _mail(send, decision.ticket, msg, past, running, setup, rcpt, when, limited, vouched))
    return mails, events


def _disowned(job: _Job, rcpt: _Recipients | None) -> HistoryEvent | None:
    """The unit's own server says From is forged: the ticket opens, nobody is
    answered (an ack to a forged address is backscatter), and staff see why on the ticket."""
    send, msg = job.send, job.msg
    if send.kind not in NEUTRAL_KINDS or msg is None or send.to not in (Audience.REQUESTER, Audience.SENDER):
        return None
    disowned = sender_disowned(msg, job.setup.cfg.auth)
    return HistoryEvent("ack_withheld", "mailbot", {"mail": send.kind, "reason": disowned}) if disowned else None


def _ack_already_held(job: _Job, rcpt: _Recipients | None) -> HistoryEvent | None:
    """The ack is in the outbox already, held for the ack budget, and goes by
    itself (`#kirim-tanda-terima` on such a ticket): a second one would reach the requester twice."""
    held = job.past.sent.held_ack
    if job.send.kind != "ack" or held is None:
        return None
    return HistoryEvent("ack_already_held", "mailbot", {"mail": job.send.kind, "until": _minute(held, job.setup.cfg)})


def _burst_key(send: Send) -> str:
    burst = str(send.context.get("burst") or "")
    return f"burst:{burst}" if burst else ""


def _burst_folded(job: _Job, rcpt: _Recipients | None) -> HistoryEvent | None:
    """One alert of a kind a day, however many mails cause it (100 bounced acks, one alert)."""
    key = _burst_key(job.send)
    if not key or key not in job.alerted:
        return None
    return HistoryEvent("alert_folded", "mailbot", {"mail": job.send.kind, "key": key})


def _answered_without_mail(job: _Job, rcpt: _Recipients | None) -> HistoryEvent | None:
    """A caller or visitor who gave no e-mail was answered in person or by phone:
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
    return schedule(job.send, (*rcpt.to, *rcpt.cc), job.decision.ticket, job.past.sent, job.setup, job.now,
                    vouched=_ack_to_vouched(job, rcpt))


def _ack_to_vouched(job: _Job, rcpt: _Recipients) -> bool:
    """The ack goes to the sender the unit's own server vouches for: never counted."""
    msg = job.msg
    if job.send.kind != "ack" or msg is None or not ack_vouched(msg, job.setup.cfg.auth):
        return False
    return msg.from_addr.addr.lower() in {a.lower() for a in rcpt.to}


def _limit_notices(job: _Job, when: Schedule) -> tuple[list[MailPlan], list[HistoryEvent]]:
    """A held or stopped mail: the event on the ticket, and the coordinators' alert once per cause a day
    (an ack held to test for a responder, `schedule`, has no cause: the event alone)."""
    if not when.cause:
        return [], [_limit_event(job, when)] if when.held else []
    events = [_limit_event(job, when)]
    if when.cause in job.alerted:
        return [], events
    job.alerted.add(when.cause)
    events.append(HistoryEvent("rate_limit_alerted", "mailbot", {"key": when.cause}))
    return [_limit_alert(when, job.decision.ticket, job.setup, job.now)], events


def _limit_event(job: _Job, when: Schedule) -> HistoryEvent:
    detail: dict[str, object] = {"mail": job.send.kind, "reason": when.reason}
    if when.why is not None:  # for mail in the mailbox's language
        detail["why"] = [when.why.code, when.why.command, when.why.value, when.why.name]
    if when.held and when.send_at is not None:
        detail["until"] = _minute(when.send_at, job.setup.cfg)
    if when.waits:
        return HistoryEvent("ack_awaits_staff", "mailbot", detail)
    return HistoryEvent("send_held" if when.held else "send_suppressed", "mailbot", detail)


def _minute(moment: datetime, cfg: Config) -> str:
    """A moment as staff read it on the ticket: the unit's local time to the minute."""
    return moment.astimezone(cfg.timezone).strftime("%Y-%m-%d %H:%M")


def _mail(send: Send, ticket: Ticket | None, msg: InboundMessage | None, past: Past,
          running: Mapping[TimerKind, Timer], setup: Setup, rcpt: _Recipients, when: Schedule,
          limited: bool, vouched: bool) -> MailPlan:
    assert when.send_at is not None
    attach = _attach_from(send, past.texts)
    in_reply_to, references = thread(ticket, str(send.to), msg, past.thread)
    notice = ticket_notice(ticket, running, past.texts, setup, when.send_at) if ticket is not None else {}
    title, shown = title_and_context(send, ticket, msg, past.texts, notice, setup, rcpt.to, rcpt.cc, limited,
                                     vouched)
    return MailPlan(send, ticket, rcpt.to, rcpt.cc, audience_of((*rcpt.to, *rcpt.cc), setup.box,
                                                                setup.cfg.escalation.senders),
                    when.send_at, when.held, limited, ticket.language if ticket else setup.cfg.language, title,
                    in_reply_to, references, shown, attach)


def _attach_from(send: Send, texts: Texts) -> tuple[str, ...]:
    if send.attach == "ticket":
        return texts.requester_archives  # SOP-015 step 1: every attachment the requester sent
    if send.attach == "lkpp" and texts.latest_lkpp is not None:
        return (texts.latest_lkpp[1],)
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
                    context(send, ticket, None, Texts(), ticket_notice(ticket, {}, Texts(), setup, now) if ticket
                            else {}, setup), detached=True)


def _utc(moment: datetime) -> str:
    """A moment as the store writes its timestamps (UTC, sortable), for events it reads back."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

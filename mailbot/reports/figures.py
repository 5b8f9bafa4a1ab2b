"""The monthly summary's figures, computed from ticket records. Pure.

Everything is counted over the tickets opened in the month (the recap's rows), as
they stand at `now`. Each timed step of the SOPs is measured from what mailbot
recorded: when a message reached the mailbox (`received_at`) and when the SMTP server
accepted mailbot's answer (`sent_at`). A mail and the message that caused it are paired
by the time they were recorded, since one unit of work records both at the same
instant.

A case is *met* when its end came by the target, a *breach* when it came later or has
not come and the target has passed, and is left out while it is still running within
its target, or when the ticket was solved or closed before anything was owed (an LKPP
status on a ticket the unit took back, a first answer to mail closed as spam).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial

from mailbot.core.directions import ANSWERED_KINDS, ASKED
from mailbot.core.worktime import WorkCalendar
from mailbot.reports.rekap import ANSWER_KINDS, SOLUTION_KINDS, escalated
from mailbot.reports.values import (
    Breach,
    DayCount,
    Directions,
    Escalations,
    Mail,
    Month,
    Ratings,
    Step,
    StepResult,
    Summary,
    TicketRecord,
    Waits,
)
from mailbot.rules import Deadlines

ACK_TARGET = timedelta(minutes=10)  # seed 003 step 8: the ticket number within 10 minutes
ESCALATION_TARGET = timedelta(minutes=5)  # SOP-015 step 1: 5 minutes after the decision
FORWARD_TARGET = timedelta(minutes=5)  # SOP-015 step 9: the additional data on at once
WORST = 5  # breaches listed per step

STATES = ("open", "answered", "escalated", "awaiting_info", "resolved", "closed")
CATEGORIES = ("pengaduan", "pertanyaan", "konsultasi")
PRIORITIES = ("high", "normal", "low")
CHANNELS = ("email", "telepon", "datang")  # by mail, by phone, in person (SPEC 3)
NUMBER_TO_STAFF = ("intake_confirm", "intake_opened")  # the mails that give staff a call's number
WITH_LKPP = frozenset({"escalated", "awaiting_info"})
# A first response: any answer to the requester, or the news that the case went to LKPP.
RESPONSE_KINDS = ANSWER_KINDS | {"escalated_user"}
# Labels of an LKPP reply that mailbot accepted (authenticated, not automatic).
LKPP_REPLIES = frozenset({"lkpp_status", "lkpp_other", "lkpp_need_info", "lkpp_resolved", "lkpp_returned"})
LKPP_PROGRESS = frozenset({"lkpp_status", "lkpp_other"})  # "not solved yet" (SOP-015 step 14)
REOPENED = frozenset({"closing_rejected", "ticket_reopened"})  # a solution that did not solve it (E4, E5)

DeadlinesFor = Callable[[str | None], Deadlines]


@dataclass(frozen=True)
class _Case:
    """One timed case: due by `deadline`; `end` when it was done; `stop` when it ended
    without being done (the ticket solved or closed), if it did."""

    number: str
    deadline: datetime
    end: datetime | None
    stop: datetime | None = None


def _worktime_case(number: str, start: datetime, end: datetime | None, stop: datetime | None, amount: timedelta,
                   due: Callable[[], datetime]) -> _Case:
    """A case with a working-time target of `amount`, due at `due()`. Working time never
    runs faster than the clock, so an end within `amount` of wall-clock time is met without
    asking the calendar (most cases: it saves most of the calendar arithmetic)."""
    if end is not None and end - start <= amount:
        return _Case(number, start + amount, end)
    return _Case(number, due(), end, stop)


def summarize(records: Sequence[TicketRecord], month: Month, cal: WorkCalendar, deadlines: DeadlinesFor,
              now: datetime) -> Summary:
    """The figures of the monthly summary for `records`, the tickets opened in `month`."""
    records = _named(records)
    states = Counter(r.state for r in records)
    closed = states.get("closed", 0)
    opened_on = Counter(r.created_at.astimezone(cal.tz).date() for r in records)
    steps = (*(_judge(step, _cases(records, cases, cal, deadlines), now) for step, cases in TIMED_STEPS),
             _closing(records, cal, deadlines, now))
    return Summary(
        month=month,
        generated_at=now,
        opened=len(records),
        closed=closed,
        still_open=len(records) - closed,
        by_state=_counts(states, STATES),
        by_category=_counts(Counter(r.category or "" for r in records), (*CATEGORIES, "")),
        by_priority=_counts(Counter(r.priority or "" for r in records), (*PRIORITIES, "")),
        by_channel=_counts(Counter(r.channel for r in records), CHANNELS),
        per_day=tuple(DayCount(day, opened_on.get(day, 0), cal.is_working_day(day)) for day in month.days()),
        escalations=_escalations(records),
        ratings=_ratings(records),
        steps=steps,
        directions=_directions(records, cal),
        waits=_waits(records, now),
    )


def _directions(records: Sequence[TicketRecord], cal: WorkCalendar) -> Directions:
    """Each request for direction and the first answer of its own audience after it, in
    working time (the coordinators' word answers their request, the head's the
    head's, and a recommendation on the digest neither); a request asked again of the same
    audience before its word came counts once, from the first."""
    asked = 0
    took: list[timedelta] = []
    for record in records:
        waiting: dict[str, datetime] = {}
        for entry in record.history:
            if entry.kind in ASKED and ASKED[entry.kind] not in waiting:
                waiting[ASKED[entry.kind]], asked = entry.at, asked + 1
            elif entry.kind in ANSWERED_KINDS and ANSWERED_KINDS[entry.kind] in waiting:
                took.append(cal.working_time_between(waiting.pop(ANSWERED_KINDS[entry.kind]), entry.at))
    ordered = sorted(took)
    return Directions(asked, len(took), _median(ordered), ordered[-1] if ordered else None)


def _median(ordered: Sequence[timedelta]) -> timedelta | None:
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _waits(records: Sequence[TicketRecord], now: datetime) -> Waits:
    """Each ticket's waits for its requester's documents added up, to `now` for a wait that
    has not ended (closed without the documents: to its closing)."""
    waited: list[timedelta] = []
    unanswered = 0
    for record in records:
        total = record.waited
        if record.waiting_since is not None:
            unanswered += 1
            until = record.closed_at if record.state == "closed" and record.closed_at else now
            total += max(until - record.waiting_since, timedelta(0))
        if total > timedelta(0) or record.waiting_since is not None:
            waited.append(total)
    ordered = sorted(waited)
    return Waits(len(ordered), unanswered, _median(ordered), ordered[-1] if ordered else None)


def _named(records: Sequence[TicketRecord]) -> Sequence[TicketRecord]:
    """Over several mailboxes a ticket is named with its mailbox (`btm/2026-00001`): each
    unit numbers its own tickets, so a number alone would name two of them."""
    if len({r.mailbox for r in records}) < 2:
        return records
    return [replace(r, number=f"{r.mailbox}/{r.number}") for r in records]


def _counts(counter: Counter[str], order: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """Every known key in order (zeros too), then any other key found, except an empty one at zero."""
    keys = [k for k in order if k or counter.get(k)] + sorted(k for k in counter if k not in order)
    return tuple((k, counter.get(k, 0)) for k in keys)


# --- the timed steps --------------------------------------------------------------------


def _first_arrival(record: TicketRecord) -> datetime:
    """When the case reached the unit: its first mail, or the call or visit (the form's
    Waktu, which the ticket was opened at)."""
    if record.channel != "email":
        return record.created_at
    first = next((m for m in record.mails if m.direction == "in" and m.role == "requester"), None)
    return first.arrived if first else record.created_at


def _out(record: TicketRecord, kinds: Iterable[str], role: str) -> list[Mail]:
    wanted = frozenset(kinds)
    return [m for m in record.mails if m.direction == "out" and m.role == role and m.kind in wanted]


def _trigger(record: TicketRecord, mail: Mail, label: str) -> Mail | None:
    """The inbound message that caused `mail`: recorded at the same instant, or before it;
    one with the expected label first (a frozen test clock can record several at once)."""
    before = [m for m in record.mails if m.direction == "in" and m.at <= mail.at]
    labelled = [m for m in before if m.kind == label]
    pool = labelled or before
    return pool[-1] if pool else None


def _ack(record: TicketRecord, cal: WorkCalendar, d: Deadlines) -> list[_Case]:
    """Seed 003 step 8: the ticket number within 10 minutes of the mail's arrival. A call's
    or visit's number is given on the phone or at the counter (`_call_number`)."""
    if record.channel != "email":
        return []
    if any(e.kind == "ack_skipped" for e in record.history):
        return []  # old backlog mail, an address that cannot be written to, a loop: no ack is owed
    acks = _out(record, ("ack",), "requester")
    if not acks:
        start = _first_arrival(record)
        return [_Case(record.number, start + ACK_TARGET, None)]
    trigger = _trigger(record, acks[0], "ticket_opened")
    start = trigger.arrived if trigger else record.created_at
    return [_Case(record.number, start + ACK_TARGET, acks[0].sent_at)]


def _call_number(record: TicketRecord, cal: WorkCalendar, d: Deadlines) -> list[_Case]:
    """Seed 003 step 8 for a call or visit: the ticket number (also the form's number) back to
    the staff member who took it, to read out, within 10 minutes of the call (the form's Waktu):
    the first mail that carried it to staff, sent by the SMTP server."""
    if record.channel == "email":
        return []
    given = _out(record, NUMBER_TO_STAFF, "sender")
    return [_Case(record.number, record.created_at + ACK_TARGET, given[0].sent_at if given else None)]


def _after_trigger(record: TicketRecord, kind: str, label: str, target: timedelta) -> list[_Case]:
    """A mail to LKPP due `target` after the message that asked for it arrived:
    the escalation after staff's #eskalasi (SOP-015 step 1), the requester's
    additional data (step 9)."""
    cases = []
    for mail in _out(record, (kind,), "lkpp"):
        trigger = _trigger(record, mail, label)
        start = trigger.arrived if trigger else mail.at
        cases.append(_Case(record.number, start + target, mail.sent_at))
    return cases


def _escalation(record: TicketRecord, cal: WorkCalendar, d: Deadlines) -> list[_Case]:
    """SOP-015 step 1: the escalation to LKPP within 5 minutes of staff's #eskalasi."""
    return _after_trigger(record, "escalate", "command_escalate", ESCALATION_TARGET)


def _forward_info(record: TicketRecord, cal: WorkCalendar, d: Deadlines) -> list[_Case]:
    """SOP-015 step 9: the requester's additional data on to LKPP within 5 minutes."""
    return _after_trigger(record, "forward_info", "message_appended", FORWARD_TARGET)


def _first_response(record: TicketRecord, cal: WorkCalendar, d: Deadlines) -> list[_Case]:
    """The first answer within the priority's working hours (SPEC 6, rules/deadlines.yaml)."""
    start = _first_arrival(record)
    if record.channel != "email":  # SPEC 3: a call or visit is its own first response (seed 003 steps 6-7)
        return [_Case(record.number, start + timedelta(hours=d.first_response), start)]
    sent = [m.sent_at for m in _out(record, RESPONSE_KINDS, "requester") if m.sent_at]
    return [_worktime_case(record.number, start, min(sent, default=None), record.closed_at,
                           timedelta(hours=d.first_response), partial(cal.add_working_hours, start, d.first_response))]


def _lkpp_replies(record: TicketRecord) -> list[Mail]:
    return [m for m in record.mails if m.direction == "in" and m.role == "lkpp" and m.kind in LKPP_REPLIES]


def _taken_back(record: TicketRecord, since: datetime) -> datetime | None:
    """When the ticket was solved or closed after `since`, as far as the ticket says."""
    ends = [t for t in (record.resolved_at, record.closed_at) if t is not None and t >= since]
    return min(ends, default=None)


def _lkpp_status(record: TicketRecord, cal: WorkCalendar, d: Deadlines) -> list[_Case]:
    """SOP-015 step 12: a word from LKPP within 2 working days of the escalation reaching it
    (an escalation its server refused for good never reached it)."""
    cases = []
    replies = _lkpp_replies(record)
    for escalation in _out(record, ("escalate",), "lkpp"):
        if escalation.failed:
            continue  # refused for good by LKPP's server: LKPP never had it to answer
        start = escalation.sent_at or escalation.at
        answer = next((m.arrived for m in replies if m.arrived >= start), None)
        cases.append(_worktime_case(record.number, start, answer, _taken_back(record, start),
                                    cal.day_length * d.lkpp_status,
                                    partial(cal.add_working_days, start, d.lkpp_status)))
    return cases


def _lkpp_progress(record: TicketRecord, cal: WorkCalendar, d: Deadlines) -> list[_Case]:
    """SOP-015 step 14: after each "not solved yet" from LKPP, and after the additional data
    it asked for reached it (steps 9-11: the case is LKPP's again, as the daemon's
    `lkpp_progress` timer counts it), its next word within a working day."""
    replies = _lkpp_replies(record)
    starts = [m.arrived for m in replies if m.kind in LKPP_PROGRESS]
    starts += [m.sent_at or m.at for m in _out(record, ("forward_info",), "lkpp") if not m.failed]
    cases = []
    for start in sorted(starts):
        following = next((m.arrived for m in replies if m.arrived > start), None)
        cases.append(_worktime_case(record.number, start, following, _taken_back(record, start),
                                    cal.day_length * d.lkpp_progress,
                                    partial(cal.add_working_days, start, d.lkpp_progress)))
    return cases


def _resolution(record: TicketRecord, cal: WorkCalendar, d: Deadlines) -> list[_Case]:
    """Seed 002: solved within 3x24 hours (wall-clock) of the first mail's arrival, "dengan
    syarat kelengkapan dokumen pendukung terpenuhi": the time the ticket waited for its
    requester's documents is left out (SPEC 6), and a ticket waiting for them now, or
    closed without them, is no case (the condition never held).

    Solved means the (latest) solution reached the requester and was neither rejected
    nor reopened after it; otherwise a closed ticket is solved when it was closed.
    """
    if record.waiting_since is not None:
        return []
    start = _first_arrival(record)
    end: datetime | None = None
    if record.state in ("resolved", "closed"):
        solutions = _out(record, SOLUTION_KINDS, "requester")
        last = solutions[-1] if solutions else None
        reopened = any(e.kind in REOPENED for e in record.history)
        if last is not None and not any(e.kind in REOPENED and e.at > last.at for e in record.history):
            end = last.sent_at
        elif record.answered_on_the_spot and not reopened:  # solved in the call, told to no mailbox
            end = start
        else:  # no solution, or the latest one was rejected (E4) or its ticket reopened (E5)
            end = record.closed_at
    return [_Case(record.number, start + timedelta(hours=d.resolution) + record.waited, end)]


CaseReader = Callable[[TicketRecord, WorkCalendar, Deadlines], list[_Case]]
# The timed steps as the summary lists them, each with the cases one ticket gives it under
# its priority's deadlines; the closing is counted apart (`_closing`) and listed last.
TIMED_STEPS: tuple[tuple[Step, CaseReader], ...] = (
    (Step.ACK, _ack),  # seed 003 step 8
    (Step.CALL_NUMBER, _call_number),  # seed 003 step 8, a call or visit
    (Step.ESCALATION, _escalation),  # SOP-015 step 1
    (Step.FORWARD_INFO, _forward_info),  # SOP-015 step 9
    (Step.FIRST_RESPONSE, _first_response),  # SPEC 6
    (Step.LKPP_STATUS, _lkpp_status),  # SOP-015 step 12
    (Step.LKPP_PROGRESS, _lkpp_progress),  # SOP-015 step 14
    (Step.RESOLUTION, _resolution),  # seed 002
)


def _cases(records: Iterable[TicketRecord], cases: CaseReader, cal: WorkCalendar,
           deadlines: DeadlinesFor) -> Iterator[_Case]:
    """A step's cases over the month's tickets."""
    for record in records:
        yield from cases(record, cal, deadlines(record.priority))


def _closing(records: Sequence[TicketRecord], cal: WorkCalendar, deadlines: DeadlinesFor,
             now: datetime) -> StepResult:
    """Seed 002 step 12: a ticket given a solution is closed on the requester's confirmation.

    Not met: closed without it (by the confirm_close timer or by staff), or still
    waiting past the confirm_close working days.
    """
    met = 0
    missed: list[Breach] = []
    for record in records:
        solutions = _out(record, SOLUTION_KINDS, "requester")
        if not solutions:
            continue
        if any(m.direction == "in" and m.kind == "closing_confirmed" for m in record.mails):
            met += 1
            continue
        last = solutions[-1].sent_at or solutions[-1].at
        window = cal.add_working_days(last, deadlines(record.priority).confirm_close)
        if record.state == "closed" or (record.state == "resolved" and now > window):
            missed.append(Breach(record.number, None))
    return StepResult(Step.CLOSING, met + len(missed), met, tuple(sorted(missed, key=lambda b: b.number)[:WORST]))


def _judge(step: Step, cases: Iterable[_Case], now: datetime) -> StepResult:
    met = 0
    breaches: list[Breach] = []
    for case in cases:
        if case.end is not None:
            if case.end <= case.deadline:
                met += 1
            else:
                breaches.append(Breach(case.number, case.end - case.deadline))
        elif case.stop is not None:
            if case.stop > case.deadline:
                breaches.append(Breach(case.number, case.stop - case.deadline))
        elif now > case.deadline:
            breaches.append(Breach(case.number, now - case.deadline))
    worst = sorted(breaches, key=lambda b: (-(b.over or timedelta(0)), b.number))
    unique: dict[str, Breach] = {}
    for breach in worst:
        unique.setdefault(breach.number, breach)
    return StepResult(step, met + len(breaches), met, tuple(unique.values())[:WORST])


# --- escalations and ratings ------------------------------------------------------------


def _escalations(records: Sequence[TicketRecord]) -> Escalations:
    outcomes: Counter[str] = Counter()
    for record in records:
        if not escalated(record):
            continue
        labels = {m.kind for m in record.mails if m.direction == "in" and m.role == "lkpp"}
        if "lkpp_resolved" in labels:
            outcomes["resolved"] += 1
        elif "lkpp_returned" in labels:
            outcomes["returned"] += 1
        elif record.state in WITH_LKPP:
            outcomes["with_lkpp"] += 1
        else:
            outcomes["other"] += 1
    return Escalations(sum(outcomes.values()), outcomes["resolved"], outcomes["returned"], outcomes["with_lkpp"],
                       outcomes["other"])


def _ratings(records: Sequence[TicketRecord]) -> Ratings:
    rated = [r for r in records if r.rating is not None and 1 <= r.rating <= 5]
    scores = [r.rating for r in rated if r.rating is not None]
    by_score = Counter(scores)
    by_channel: dict[str, list[int]] = {}
    for record in rated:
        if record.rating is not None:
            by_channel.setdefault(record.channel, []).append(record.rating)
    return Ratings(len(scores), sum(scores) / len(scores) if scores else None,
                   (by_score[1], by_score[2], by_score[3], by_score[4], by_score[5]),
                   tuple((channel, len(given), sum(given) / len(given))
                         for channel in CHANNELS if (given := by_channel.get(channel))))

"""Frozen values of the reports: a month, what the store recorded per ticket, the figures.

`queries` builds `TicketRecord`s from SQLite; the pure functions of `rekap` and
`figures` turn them into `RekapRow`s and a `Summary`; rendering reads those and
nothing else.
"""

from __future__ import annotations

import calendar as _calendar
import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month, e.g. `Month.parse("2026-11")`; its bounds are in the unit's zone."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.match(text.strip())
        if not match:
            raise ValueError(f"not a month in the form YYYY-MM: {text!r}")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, moment: datetime, tz: ZoneInfo) -> Month:
        local = moment.astimezone(tz)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def days(self) -> tuple[date, ...]:
        count = _calendar.monthrange(self.year, self.month)[1]
        return tuple(date(self.year, self.month, d) for d in range(1, count + 1))

    def start(self, tz: ZoneInfo) -> datetime:
        """Local midnight of the 1st: a ticket opened at 06:30 WIB on the 1st is this month's."""
        return datetime(self.year, self.month, 1, tzinfo=tz)

    def end(self, tz: ZoneInfo) -> datetime:
        return self.next().start(tz)


class Mail(NamedTuple):
    """One message on a ticket as the store recorded it.

    `at` is when mailbot handled (in) or queued (out) it; inbound mail also has
    `received_at` (it reached the mailbox), outbound mail `sent_at` (the SMTP server
    accepted it). `role` is the sender's role for inbound mail and the audience for
    outbound mail. `body` is filled only for the recap (requester mail in and out).
    `failed`: the SMTP server refused it for good, or (mail to LKPP) a delivery report said it
    failed: it never reached its recipient.
    `files`: how many attachments it carried.
    A named tuple, like `Entry`: a month holds some 60,000 and they build 3x faster
    than frozen dataclasses.
    """

    direction: str  # in | out
    role: str
    kind: str  # in: what it caused (decision label); out: the mail kind
    at: datetime
    received_at: datetime | None = None
    sent_at: datetime | None = None
    body: str = ""
    failed: bool = False
    files: int = 0

    @property
    def arrived(self) -> datetime:
        """When an inbound message reached the mailbox (handling time if unknown)."""
        return self.received_at or self.at


class Entry(NamedTuple):
    """One history event of a ticket that the reports read (actor and time)."""

    at: datetime
    actor: str
    kind: str


@dataclass(frozen=True)
class TicketRecord:
    """A ticket with the mail and history the reports need, all in time order."""

    id: int
    mailbox: str
    number: str
    state: str
    requester: str
    requester_name: str
    contact_name: str
    contact_org: str
    subject: str
    category: str | None
    priority: str | None
    created_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    rating: int | None
    lkpp_ticket: str | None
    mails: tuple[Mail, ...] = ()
    history: tuple[Entry, ...] = ()
    channel: str = "email"  # how the case came in: email | telepon | datang (SPEC 3)
    taken_by: str | None = None  # the staff member who took the call or visit
    form_problem: str = ""  # a call's or visit's Permasalahan as staff wrote it
    form_answer: str | None = None  # the answer given on the spot; None: not answered then
    lkpp_ref_form: str | None = None  # "lpse-support": LKPP's number is LPSE Support's (E12e)
    queue_number: str | None = None  # a walk-in's Nomor Antrian (seed 004 section 1 step 2)
    # seed 002, SPEC 6: the waits for the requester's documents (`Ticket.waiting_since`, `waited`)
    waiting_since: datetime | None = None
    waited: timedelta = timedelta(0)

    @property
    def answered_on_the_spot(self) -> bool:
        """A call or visit whose answer was given in the call (seed 003 steps 6-7)."""
        return self.channel != "email" and self.form_answer is not None


HELD = "held"  # the state of a call or visit form still waiting for its sender's `#buka` (SPEC 3)


# --- the recap -------------------------------------------------------------------------

REKAP_COLUMNS = ("No", "Tgl", "Alamat E-mail", "Nama", "Isi Pesan", "Kategori", "Tujuan", "Tgl Jawaban",
                 "Isi Jawaban", "Petugas")
QUEUE_COLUMN = "Nomor Antrian"  # the recap of visits' column after seed 003's ten (seed 004 section 1 step 2)


@dataclass(frozen=True)
class RekapRow:
    """One line of "Rekap Penanganan Permasalahan" (seed 003), in column order."""

    no: int
    opened: date  # Tgl
    address: str  # Alamat E-mail
    name: str  # Nama (with the instansi/company where known)
    problem: str  # Isi Pesan
    category: str  # Kategori
    destination: str  # Tujuan: LPSE, or LKPP with LKPP's ticket number
    answered: date | None  # Tgl Jawaban
    answer: str  # Isi Jawaban
    staff: str  # Petugas
    queue: str = ""  # a walk-in's Nomor Antrian: a column of the recap of visits alone

    def cells(self, queue: bool = False) -> tuple[int | date | str | None, ...]:
        """The row's cells in the columns' order; `queue`: with the visits' Nomor Antrian last."""
        return (self.no, self.opened, self.address, self.name, self.problem, self.category, self.destination,
                self.answered, self.answer, self.staff, *((self.queue,) if queue else ()))


# --- the summary -----------------------------------------------------------------------


class Step(enum.StrEnum):
    """The timed steps of the SOPs whose compliance the monthly summary shows."""

    ACK = "ack"  # seed 003 step 8: ticket number within 10 minutes
    CALL_NUMBER = "call_number"  # seed 003 step 8 for a call or visit: the number to staff within 10 minutes
    ESCALATION = "escalation"  # SOP-015 step 1: escalation within 5 minutes of the decision
    FORWARD_INFO = "forward_info"  # SOP-015 step 9: additional data on to LKPP within 5 minutes
    FIRST_RESPONSE = "first_response"  # SPEC 6: the priority's first-response deadline
    LKPP_STATUS = "lkpp_status"  # SOP-015 step 12: a word from LKPP within 2 working days
    LKPP_PROGRESS = "lkpp_progress"  # SOP-015 step 14: progress every working day
    RESOLUTION = "resolution"  # seed 002: solved within 3x24 hours
    CLOSING = "closing"  # seed 002 step 12: the requester confirms closing


@dataclass(frozen=True)
class Breach:
    """A case that missed its step; `over` is how far past the target (None: not a time)."""

    number: str
    over: timedelta | None


@dataclass(frozen=True)
class StepResult:
    step: Step
    cases: int  # finished or overdue cases; ones still within their target are not counted
    met: int
    worst: tuple[Breach, ...]  # the worst breaches, worst first

    @property
    def rate(self) -> float | None:
        return self.met / self.cases if self.cases else None


@dataclass(frozen=True)
class DayCount:
    day: date
    opened: int
    working: bool


@dataclass(frozen=True)
class Escalations:
    """Tickets of the month escalated to LKPP and what became of them."""

    tickets: int
    resolved_by_lkpp: int  # LKPP's solution went to the requester (SOP-015 step 13)
    returned: int  # LKPP returned it as the unit's own authority (steps 3-4)
    with_lkpp: int  # still waiting for LKPP or for the requester's data
    other: int  # solved or closed by the unit after escalating


@dataclass(frozen=True)
class Ratings:
    count: int
    average: float | None
    by_score: tuple[int, int, int, int, int]  # how many gave 1, 2, 3, 4, 5
    # per channel that has any (email, telepon, datang): how many ratings, their average;
    # a caller's or visitor's `Nilai` on the form counts as a requester's `YA 5`
    by_channel: tuple[tuple[str, int, float], ...] = ()


@dataclass(frozen=True)
class Directions:
    """The month's cases sent for direction (`#koordinator`) or reported to the heads
    (`#lapor-kepala`), SOP-004 section 1 steps 5, 7: how many were asked, how
    many got their word, and how long that took in working time."""

    asked: int = 0
    given: int = 0
    median: timedelta | None = None
    longest: timedelta | None = None


@dataclass(frozen=True)
class Waits:
    """How long the month's tickets waited for their requesters' documents (seed 002, SPEC 6),
    in wall-clock time as the 3x24h standard that leaves it out: the
    tickets that waited, those whose wait has not ended (still waiting, or closed without
    the documents), and the median and longest wait of a ticket, its waits added up."""

    tickets: int = 0
    unanswered: int = 0
    median: timedelta | None = None
    longest: timedelta | None = None


@dataclass(frozen=True)
class RecurringTopic:
    """A group of alike tickets of the month (`recurring`): how many, and a sample ticket."""

    count: int
    number: str  # the sample ticket's number
    subject: str  # its subject, on one line


@dataclass(frozen=True)
class Summary:
    """The monthly summary's figures for the tickets opened in `month`."""

    month: Month
    generated_at: datetime
    opened: int
    closed: int
    still_open: int
    by_state: tuple[tuple[str, int], ...]
    by_category: tuple[tuple[str, int], ...]  # "" = no category
    by_priority: tuple[tuple[str, int], ...]  # "" = no priority
    per_day: tuple[DayCount, ...]
    escalations: Escalations
    ratings: Ratings
    steps: tuple[StepResult, ...]
    by_channel: tuple[tuple[str, int], ...] = ()  # email, telepon, datang (SPEC 3)
    topics: tuple[RecurringTopic, ...] = ()  # "Permasalahan yang sering muncul", largest first
    held_forms: tuple[str, ...] = ()  # calls and visits of the month still waiting for their sender's #buka
    directions: Directions = Directions()  # how long the coordinators' and heads' word took
    waits: Waits = Waits()  # how long tickets waited for their requesters' documents

    @property
    def working_days(self) -> int:
        return sum(1 for d in self.per_day if d.working)

    def step(self, step: Step) -> StepResult:
        return next(s for s in self.steps if s.step is step)

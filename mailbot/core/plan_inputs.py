"""What the plans of one decision are made from: the mailbox's setup, and the ticket's past. Pure.

The store is read once before planning (`io/lookup.past`) into a frozen `Past`, one part
for each step of the plan that reads it: the thread a mail answers in (`threads`), the
texts its context quotes or leaves out (`mail_context`), what the loop limits count
(`schedule`, SPEC 5) and the timers that run (`deadlines.plan`, the notices' deadlines).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mailbot.core.passed_on import PassedOn
from mailbot.core.worktime import WorkCalendar
from mailbot.model import Refusal, Timer, TimerKind
from mailbot.settings import Config, MailboxConfig

if TYPE_CHECKING:
    from mailbot.rules import Rules


@dataclass(frozen=True)
class Setup:
    """The configuration one mailbox's plans are made in."""

    cfg: Config
    box: MailboxConfig
    rules: Rules
    calendar: WorkCalendar


@dataclass(frozen=True)
class Texts:
    """What a mail's context quotes of the ticket, or leaves out where it goes to a requester."""

    requester_texts: tuple[str, ...] = ()  # the requester's new texts, oldest first (the problem)
    requester_archives: tuple[str, ...] = ()  # archived requester messages with attachments
    latest_lkpp: tuple[str, str] | None = None  # (new text, archive path) of LKPP's latest message
    lkpp_passed_on: PassedOn | None = None  # the mail that took that message to the requester, if one did
    # when LKPP's text goes to the requester: the ticket's internal notes, and the mails sent to
    # LKPP as they went out (a desk repeats our escalation, staff note and all, under its answer)
    internal: tuple[str, ...] = ()
    sent_lkpp: tuple[str, ...] = ()
    # machine mail on the ticket no notice has shown staff yet: (kind, when, detail), oldest first
    unshown: tuple[tuple[str, str, Mapping[str, Any]], ...] = ()


@dataclass(frozen=True)
class SentBefore:
    """What the loop limits (SPEC 5) read of the mail sent before, and of the message answered."""

    sent_to: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # address -> limited mail (hour, day)
    slots: tuple[datetime, ...] = ()  # send times of the ticket's limited mail to its requester, last hour on
    alerted: frozenset[str] = frozenset()  # loop-limit causes the coordinators heard of in the last day
    # send times of the acks counted against the unit's ack budget from an hour ago on
    # (held ones too), and of those to the domain this decision's ack goes to
    ack_slots: tuple[datetime, ...] = ()
    domain_slots: tuple[datetime, ...] = ()
    known: frozenset[str] = frozenset()  # outside addresses (normalised) the unit wrote to before
    looping: Refusal | None = None  # why the sender is a responder on rotating addresses (`loops.looping`)
    arrived: datetime | None = None  # when the message reached the mailbox (INTERNALDATE): its ack is counted then
    held_ack: datetime | None = None  # when the ticket's ack held for the ack budget goes
    # the organisation of the From that named this ack's address in its Reply-To (`InboundMessage.relay`):
    # the ack is counted in the budget under that organisation's share, whatever vouches and whether new
    relay: str = ""
    # the mail may be a round of a responder on rotating addresses (`loops.Rotation.suspected`): its ack waits
    probe: Refusal | None = None


@dataclass(frozen=True)
class Running:
    """The ticket's timers as they run before the decision."""

    timers: Mapping[TimerKind, Timer] = field(default_factory=dict)  # the active timers, by kind
    told: frozenset[str] = frozenset()  # timers whose breach notice went out on the ticket


@dataclass(frozen=True)
class Past:
    """What the plans of one decision read of the store, in one step before planning: a part
    for each step of the plan that reads it."""

    thread: tuple[tuple[str, str], ...] = ()  # (role, Message-ID) of the ticket's messages, in and out, in order
    texts: Texts = Texts()
    sent: SentBefore = SentBefore()
    running: Running = Running()

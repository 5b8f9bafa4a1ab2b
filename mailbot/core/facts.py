"""What the lifecycle decides on: the facts of one classified message (its event, of SPEC
section 4, is one of `events`) and the unit's policy; and how a decision is named
(`LABELS`). Pure values.

They live apart from the table (`lifecycle`) so that the effects of one audience can live
in a module of their own (`intake_effects`) and still name the facts they read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mailbot.core.commands import ParsedCommands
from mailbot.core.counterpart import Reference
from mailbot.core.events import Event
from mailbot.core.intake_form import Consultation
from mailbot.core.loops import Rotation
from mailbot.core.similar import PastCase
from mailbot.model import Contact, InboundMessage, Refusal, Role, Ticket

# The events (`events`) are imported from here too, where they were named first: `__all__`
# lists only this re-export (mypy's explicit re-export), as in `lifecycle`.
__all__ = ["Event"]


@dataclass(frozen=True)
class Facts:
    """What the classification learned about one inbound message (`classify`)."""

    message: InboundMessage
    role: Role
    event: Event
    ticket: Ticket | None
    received_at: datetime  # when the message reached the mailbox
    via: str | None = None  # how the ticket was matched: "tag" | "reference" | "lkpp_ticket" | "repeat"
    cited: Ticket | None = None  # a ticket this message cites but may not act on (SPEC 3)
    previous: Ticket | None = None  # the requester's own ticket, closed too long ago to reopen (E5)
    title: str = ""  # the subject without reply prefixes and tags, for a new ticket
    commands: ParsedCommands | None = None
    errors: tuple[Refusal, ...] = ()  # why the staff command cannot run (E18)
    lkpp_class: str | None = None
    lkpp_rule: str | None = None
    lkpp_ticket: str | None = None  # LKPP's own ticket number, when its mail carries one
    counterpart: tuple[Reference, ...] = ()  # LKPP's references new to this ticket (`counterpart`)
    counterpart_known: bool = False  # the mail carries a reference recorded from LKPP's verified mail on it
    bounced: tuple[str, str] | None = None  # a bounce: (kind, Message-ID) of our mail it returns
    rating: int | None = None  # a requester's rating 1-5 with the confirmation
    category: tuple[str, str] | None = None  # (guessed category, rule) for a new ticket
    priority: tuple[str, str] | None = None  # (guessed priority, rule) for a new ticket
    contact: Contact = field(default_factory=Contact)  # consultation-form fields the message states
    intake: Consultation | None = None  # a call or visit staff wrote down (`#telepon`, `#datang`)
    mentioned: tuple[str, ...] = ()  # ticket numbers a coordinator or head writes about
    answers: frozenset[str] = frozenset()  # the audiences whose request for direction it answers (`directions`)
    autoresponder: str | None = None  # a coordinator's or head's reply that no person wrote: why (`autoreplies`)
    # automatic mail of a role that needs proof, on a ticket: what it claims (a resolution, a
    # command); unproven, it is alerted as E19 is, whatever its headers
    claims: str | None = None
    content_hash: str | None = None
    reused_id: str | None = None  # the known Message-ID this different message reused
    read_before: datetime | None = None  # when mailbot last read the mailbox before this message (None: never)
    leaked: tuple[str, ...] = ()  # an outsider's reply: the kinds of the unit's internal mail it cites (SPEC 9)
    answer_like: PastCase | None = None  # the solved case `#jawab-seperti` shows staff first
    rotation: Rotation | None = None  # a responder's round, stopped: recorded on its first round's ticket


@dataclass(frozen=True)
class Policy:
    reopen_days: int = 14
    ack_max_age_hours: float = 72
    language: str = "id"
    relay_status: bool = True


UNVERIFIED_LABEL = "unverified_note"
AUTOMATIC_UNMATCHED = "automatic_unmatched"  # the label of automatic mail that matches no ticket
OUTSIDE_LABEL = "outside_reply"  # the label of an outsider's reply to the unit's internal mail (SPEC 9)
COPY_LABEL = "copy_appended"  # the label of a requester's copy of the mail that opened its ticket (SPEC 3)
# How a decision is named in logs, `replay` and the message record.
LABELS = {Event.REQUESTER_NEW: "ticket_opened", Event.REQUESTER_MAIL: "message_appended",
          Event.REQUESTER_MORE_INFO: "message_appended", Event.REQUESTER_AGAIN: COPY_LABEL,
          Event.REQUESTER_EMPTY: "nothing_for_lkpp",
          Event.REQUESTER_CONFIRM: "closing_confirmed", Event.REQUESTER_REJECT: "closing_rejected",
          Event.REQUESTER_LATE_CONFIRM: "confirmed_after_closing",
          Event.STAFF_REPLY: "staff_replied", Event.STAFF_EMPTY: "empty_staff_reply", Event.STAFF_NOTE: "note",
          Event.STAFF_META: "metadata_changed", Event.STAFF_ESCALATE: "command_escalate",
          Event.STAFF_RESOLVE: "command_resolve", Event.STAFF_CLOSE: "command_close",
          Event.STAFF_RELAY: "command_relay", Event.STAFF_NEED_INFO: "command_need_info",
          Event.STAFF_COORDINATOR: "command_coordinator", Event.STAFF_DATA: "contact_changed",
          Event.STAFF_HISTORY: "history_requested", Event.STAFF_LPSE_SUPPORT: "command_lpse_support",
          Event.STAFF_REPORT_HEAD: "command_report_head", Event.STAFF_REQUEST_INFO: "command_request_info",
          Event.REQUESTER_DATA: "message_appended", Event.STAFF_ANSWER_PREVIEW: "answer_previewed",
          Event.COMMAND_ERROR: "command_rejected", Event.UNVERIFIED: UNVERIFIED_LABEL,
          Event.OUTSIDE_REPLY: OUTSIDE_LABEL,
          Event.AUTOMATIC: "automatic_recorded", Event.BOUNCE: "bounce_received",
          Event.ESCALATION_BOUNCED: "bounce_received", Event.INFO_BOUNCED: "bounce_received",
          Event.DELIVERY_NOTICE: "delivery_reported",
          Event.STAFF_INTAKE: "intake_opened", Event.STAFF_INTAKE_ANSWERED: "intake_answered",
          Event.STAFF_INTAKE_HELD: "intake_held", Event.STAFF_INTAKE_CANCELLED: "intake_cancelled",
          Event.INTAKE_NOT_STAFF: "intake_not_staff"}

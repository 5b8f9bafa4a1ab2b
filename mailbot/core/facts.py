"""What the lifecycle decides on: the events of SPEC section 4, the facts of one classified
message and the unit's policy; and how a decision is named (`LABELS`). Pure values.

They live apart from the table (`lifecycle`) so that the effects of one audience can live
in a module of their own (`intake_effects`) and still name the facts they read.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from mailbot.core.commands import ParsedCommands
from mailbot.core.counterpart import Reference
from mailbot.core.intake_form import Consultation
from mailbot.core.loops import Rotation
from mailbot.core.similar import PastCase
from mailbot.model import Contact, InboundMessage, Refusal, Role, Ticket


class Event(enum.StrEnum):
    """What an inbound message is, once classified; the E-numbers of SPEC section 4."""

    REQUESTER_NEW = "requester_new"  # E1 (also E5 past reopen_days)
    REQUESTER_MAIL = "requester_mail"
    REQUESTER_AGAIN = "requester_again"  # SPEC 3: a copy of the mail that opened its ticket, sent again
    REQUESTER_EMPTY = "requester_empty"  # E3: a reply to LKPP's request with no words and no files
    REQUESTER_MORE_INFO = "requester_more_info"  # E3 again: a further answer to LKPP's request, escalated  # E2, E3, E5
    REQUESTER_CONFIRM = "requester_confirm"  # E4: YA / TUTUP / a rating
    REQUESTER_REJECT = "requester_reject"  # E4: TIDAK or another answer
    REQUESTER_SILENT = "requester_silent"  # E4: nothing new, a signature only (E5 too: stays closed)
    REQUESTER_LATE_CONFIRM = "requester_late_confirm"  # E5: a thanks or a rating to a closed ticket
    STAFF_REPLY = "staff_reply"  # E6 (a coordinator's #jawab too)
    STAFF_EMPTY = "staff_empty"  # E6 with no new text and no attachment
    STAFF_NOTE = "staff_note"  # E7
    STAFF_ESCALATE = "staff_escalate"  # E8
    STAFF_RESOLVE = "staff_resolve"  # E9
    STAFF_CLOSE = "staff_close"  # E10
    STAFF_META = "staff_meta"  # E11 alone
    STAFF_RELAY = "staff_relay"  # E12
    STAFF_NEED_INFO = "staff_need_info"  # E12a
    STAFF_COORDINATOR = "staff_coordinator"  # E12b
    STAFF_DATA = "staff_data"  # E12c
    STAFF_HISTORY = "staff_history"  # E12h alone: `#riwayat` / `#history`
    STAFF_LPSE_SUPPORT = "staff_lpse_support"  # E12e: `#lpse-support NOMOR`, filed in LKPP's LPSE Support
    STAFF_REPORT_HEAD = "staff_report_head"  # E12f: `#lapor-kepala`, the case to the heads of unit
    STAFF_REQUEST_INFO = "staff_request_info"  # E12g: `#minta-data`, the unit asks the requester for documents
    STAFF_ANSWER_PREVIEW = "staff_answer_preview"  # E9 (issue 59): `#jawab-seperti` shows staff the answer first
    REQUESTER_DATA = "requester_data"  # E12g: the requester answers the unit's own request for documents
    DIRECTION = "direction"  # E12d: a coordinator or head writes about a ticket
    LKPP_NEED_INFO = "lkpp_need_info"  # E13
    LKPP_RESOLVED = "lkpp_resolved"  # E14
    LKPP_RETURNED = "lkpp_returned"  # E15
    LKPP_STATUS = "lkpp_status"  # E16
    LKPP_OTHER = "lkpp_other"  # E17
    LKPP_ACK = "lkpp_ack"  # SPEC 3: LKPP's desk acknowledges with its own ticket number
    COMMAND_ERROR = "command_error"  # E18
    UNVERIFIED = "unverified"  # E19
    STAFF_UNMATCHED = "staff_unmatched"  # SPEC 3: staff mail matching no ticket
    STAFF_INTAKE = "staff_intake"  # SPEC 3: a call or visit (`#telepon`, `#datang`) not answered yet
    STAFF_INTAKE_ANSWERED = "staff_intake_answered"  # SPEC 3: a call or visit answered on the spot
    STAFF_INTAKE_HELD = "staff_intake_held"  # SPEC 3, 9: a call or visit from a mail that proves no sender
    STAFF_INTAKE_CANCELLED = "staff_intake_cancelled"  # SPEC 3, 9: any answer to a held one but `#buka`
    INTAKE_NOT_STAFF = "intake_not_staff"  # SPEC 3, 9: `#telepon` / `#datang` from an address not the unit's staff
    DIRECTION_GENERAL = "direction_general"  # E12d: an answer to the digest that names no ticket
    LKPP_UNMATCHED = "lkpp_unmatched"  # SPEC 3: LKPP mail matching no ticket
    AUTOMATIC = "automatic"  # SPEC 5: recorded, never answered
    BOUNCE = "bounce"  # SPEC 5: a bounce of mailbot's own mail
    ESCALATION_BOUNCED = "escalation_bounced"  # SOP-015 step 1: the escalation did not reach LKPP
    INFO_BOUNCED = "info_bounced"  # SOP-015 step 9: the requester's data did not reach LKPP
    DELIVERY_NOTICE = "delivery_notice"  # SPEC 5: a delay warning or a delivery report, no failure


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
    # command); unproven, it is alerted as E19 is, whatever its headers (issue 58)
    claims: str | None = None
    content_hash: str | None = None
    reused_id: str | None = None  # the known Message-ID this different message reused
    read_before: datetime | None = None  # when mailbot last read the mailbox before this message (None: never)
    answer_like: PastCase | None = None  # the solved case `#jawab-seperti` shows staff first (issue 59)
    rotation: Rotation | None = None  # a responder's round, stopped: recorded on its first round's ticket


@dataclass(frozen=True)
class Policy:
    reopen_days: int = 14
    ack_max_age_hours: float = 72
    language: str = "id"
    relay_status: bool = True


UNVERIFIED_LABEL = "unverified_note"
AUTOMATIC_UNMATCHED = "automatic_unmatched"  # the label of automatic mail that matches no ticket
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
          Event.AUTOMATIC: "automatic_recorded", Event.BOUNCE: "bounce_received",
          Event.ESCALATION_BOUNCED: "bounce_received", Event.INFO_BOUNCED: "bounce_received",
          Event.DELIVERY_NOTICE: "delivery_reported",
          Event.STAFF_INTAKE: "intake_opened", Event.STAFF_INTAKE_ANSWERED: "intake_answered",
          Event.STAFF_INTAKE_HELD: "intake_held", Event.STAFF_INTAKE_CANCELLED: "intake_cancelled",
          Event.INTAKE_NOT_STAFF: "intake_not_staff"}

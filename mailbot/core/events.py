"""The events of SPEC section 4: what an inbound message is once classified, by name. Pure.

They stand apart from the facts (`facts`) so that the table of staff commands
(`command_table`), which names the event each command makes, sits under the reading of
a reply (`commands`) and everything that builds on it.
"""

from __future__ import annotations

import enum


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
    STAFF_ANSWER_PREVIEW = "staff_answer_preview"  # E9: `#jawab-seperti` shows staff the answer first
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
    OUTSIDE_REPLY = "outside_reply"  # SPEC 9: someone outside the unit replies to mail that went to its own people
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

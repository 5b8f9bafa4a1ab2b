"""SPEC section 4, cell by cell: a message of each kind in each state, classified and decided (pure).

The expected table below is written out from the SPEC by hand, independently of
`mailbot.core.lifecycle.TABLE`: for each kind of message and each state, the state the
ticket goes to and the mails that leave, by audience and kind. Cells the SPEC
forbids are written out too (a staff command answers its sender with command_error
and changes nothing; an LKPP reply whose class does not fit is passed to staff as
unclassified). Changing one cell of the code's table fails at least one test here
(`bench/mutate_table.py` checks that).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from mailbot.config.load import parse_config
from mailbot.core.classify import Known, classify
from mailbot.core.lifecycle import Event, Policy, decide
from mailbot.core.repeats import Opening
from mailbot.core.trust import Citation, trust_of
from mailbot.model import (
    Address,
    Audience,
    Contact,
    DeliveryReport,
    InboundMessage,
    Role,
    State,
    Ticket,
)
from mailbot.rules import load_rules

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
REQUESTER = Address("budi@vendor.test", "Budi")
STAFF = Address("staff1@lpse.test")
COORDINATOR = Address("koordinator@lpse.test")
HEAD = Address("kepala@lpse.test")
LKPP = Address("helpdesk@lkpp.test")
RULES = load_rules(None)

O, A, E, I, R, C = (State.OPEN, State.ANSWERED, State.ESCALATED, State.AWAITING_INFO, State.RESOLVED,
                    State.CLOSED)
STATES = (O, A, E, I, R, C)

# (sender, text): one message per row of SPEC section 4
MESSAGES = {
    "requester writes": (REQUESTER, "Tambahan data: kode tender 10012345."),  # E2, E3, E5 (E4 on resolved)
    "requester confirms": (REQUESTER, "YA 5"),  # E4
    "requester rejects": (REQUESTER, "TIDAK, masih error yang sama."),  # E4
    "requester says nothing": (REQUESTER, ""),  # E4: nothing new
    "staff reply": (STAFF, "Silakan coba login ulang."),  # E6
    "staff empty reply": (STAFF, ""),  # E6 with nothing to relay
    "#catatan": (STAFF, "#prioritas rendah\n#catatan sudah ditelepon"),  # E7 with E11
    "#eskalasi": (STAFF, "#eskalasi\n#prioritas rendah\nMohon dibantu, di luar kewenangan kami."),  # E8 with E11
    "#selesai": (STAFF, "#selesai\n#kategori pertanyaan\nAkun sudah dibuka kembali."),  # E9 with E11
    "#tutup": (STAFF, "#tutup\n#tugaskan staff2@lpse.test"),  # E10 with E11
    "#tutup diam": (STAFF, "#tutup diam"),  # E10, silent
    "#prioritas": (STAFF, "#prioritas tinggi"),  # E11
    "#teruskan": (STAFF, "#teruskan\n#prioritas rendah"),  # E12 with E11
    "#permintaan-data": (STAFF, "#permintaan-data\n#prioritas rendah"),  # E12a with E11
    "#koordinator": (STAFF, "#koordinator Mohon arahan, penyedia mendesak.\n#prioritas tinggi"),  # E12b, E11
    "#data": (STAFF, "#data telepon 0812-1111-2222\n#kategori konsultasi"),  # E12c with E11
    "coordinator writes": (COORDINATOR, "Andi, tolong cek ke admin agency dulu."),  # E12d
    "head writes": (HEAD, "Mohon tiket ini diprioritaskan."),  # E12d
    "LKPP asks for data": (LKPP, "Mohon dikirimkan screenshot pesan error dan kode tender."),  # E13
    "LKPP solved it": (LKPP, "Permasalahan telah kami perbaiki, silakan dicoba kembali."),  # E14
    "LKPP returns it": (LKPP, ("Permasalahan tersebut merupakan kewenangan LPSE, silakan reset melalui menu "
                               "admin agency.")),  # E15
    "LKPP status": (LKPP, "Permasalahan sedang kami proses bersama tim teknis."),  # E16
    "LKPP other": (LKPP, "Terima kasih atas emailnya."),  # E17
    "unknown command": (STAFF, "#hapus\nHapus tiket ini."),  # E18
    # SPEC 3: the mail that opened the ticket, sent again under a new Message-ID (a phone app
    # sending after a time-out), before the unit's first mail to the requester went out
    "requester sends it again": (REQUESTER, "Akun SPSE saya terkunci sejak pagi."),
    # E3 (SOP-015 step 9): the requester's reply to LKPP's request for data, after a first
    # reply ("saya siapkan dulu") already went on to LKPP; and one with nothing in it
    "requester adds data for LKPP": (REQUESTER, "Berikut kode tender 10012345 dan pesan errornya."),
    "requester sends LKPP nothing": (REQUESTER, ""),
    # README / SPEC 4: `#jawab` is E6 as a command, so that E11, E12c
    # `#kirim-tanda-terima` (the ack that waited for staff goes now) ride along with it
    "#jawab": (STAFF, ("#jawab\n#prioritas tinggi\n#data nama Budi Santoso\n#kirim-tanda-terima\n"
                      "Silakan coba login ulang.")),
    # every state command with E12c's `#data` and the `#kirim-tanda-terima` beside it
    "#catatan, #data": (STAFF, ("#catatan Penyedia sudah ditelepon.\n#data telepon 0812-1111-2222\n"
                                "#kirim-tanda-terima")),
    "#eskalasi, #data": (STAFF, ("#eskalasi\n#data instansi CV Maju Jaya\n#kirim-tanda-terima\n"
                                 "Mohon dibantu, di luar kewenangan kami.")),
    "#selesai, #data": (STAFF, ("#selesai\n#data alamat Jl. Engku Putri No. 1\n#kirim-tanda-terima\n"
                                "Akun sudah dibuka kembali.")),
    "#tutup, #data": (STAFF, "#tutup\n#data nama Budi Santoso\n#kirim-tanda-terima"),
    "#teruskan, #data": (STAFF, "#teruskan\n#data telepon 0812-1111-2222\n#kirim-tanda-terima"),
    "#permintaan-data, #data": (STAFF, "#permintaan-data\n#data instansi CV Maju Jaya\n#kirim-tanda-terima"),
    "#koordinator, #data": (STAFF, "#koordinator Mohon arahan.\n#data nama Budi Santoso\n#kirim-tanda-terima"),
    # E11 / E12c alone with words under them: the words are kept as a note (never relayed)
    "#prioritas with words": (STAFF, ("#prioritas tinggi\n#kirim-tanda-terima\n"
                                      "Penyedia ini sudah tiga kali menelepon.")),
    "#data with words": (STAFF, "#data nama Budi Santoso\n#kirim-tanda-terima\nNama lengkap sesuai KTP."),
    # E12h: the history to the staff member who asked, alone; it reads the
    # ticket and changes nothing, so it goes beside a note or a state command as E11 does
    "#riwayat": (STAFF, "#riwayat"),
    "#riwayat, #catatan": (STAFF, "#catatan Penyedia sudah ditelepon.\n#riwayat"),
    "#selesai, #riwayat": (STAFF, "#selesai\n#riwayat\nAkun sudah dibuka kembali."),
    "#riwayat with words": (STAFF, "#riwayat\nUntuk rapat evaluasi besok."),
    # SPEC 5: bounces and delivery reports of mailbot's own mail on the ticket
    "escalation bounced": (Address("MAILER-DAEMON@mail.lpse.test", "Mail Delivery System"),
                           "Your message could not be delivered to helpdesk@lkpp.test."),
    "data for LKPP bounced": (Address("MAILER-DAEMON@mail.lpse.test", "Mail Delivery System"),
                              "Your message could not be delivered to helpdesk@lkpp.test."),
    "ack delayed": (Address("MAILER-DAEMON@mx.vendor.test", "Mail Delivery System"),
                    "THIS IS A WARNING ONLY. YOU DO NOT NEED TO RESEND YOUR MESSAGE."),
}

# What a message carries beyond its sender and text (InboundMessage fields), and what the
# store knew of it (`Known`, besides the ticket its tag names); `t` is the cell's ticket.
BEFORE = NOW - timedelta(minutes=10)
ESCALATION_ID, INFO_ID, ACK_ID, REQUEST_ID = ("esc-1@lpse.test", "fwd-1@lpse.test", "ack-1@lpse.test",
                                              "req-1@lpse.test")


def _refused_by_lkpp(returned: str) -> dict[str, object]:
    return {"subject": "Undelivered Mail Returned to Sender", "auto_reason": "bounce: multipart/report",
            "is_bounce": True, "bounced_ids": (returned,),
            "delivery": DeliveryReport("failed", "5.1.1", (LKPP.addr,), "550 5.1.1 Recipient address rejected")}


MESSAGE_KW: dict[str, dict[str, object]] = {
    "requester sends it again": {"subject": "Akun terkunci", "date": BEFORE},  # no tag: a copy of the first mail
    "escalation bounced": _refused_by_lkpp(ESCALATION_ID),
    "data for LKPP bounced": _refused_by_lkpp(INFO_ID),
    "ack delayed": {"subject": "Delayed Mail (still being retried)", "auto_reason": "bounce: multipart/report",
                    "is_bounce": True, "bounced_ids": (ACK_ID,),
                    "delivery": DeliveryReport("delayed", "4.4.1", (REQUESTER.addr,), "Connection timed out")},
}


def known_of(name: str, t: Ticket) -> Known:
    if name == "requester sends it again":
        # the first copy reached the mailbox ten minutes ago, the ack went out a minute later
        first = Opening(t, "Akun terkunci", MESSAGES[name][1], (), BEFORE, BEFORE + timedelta(minutes=1), BEFORE)
        return Known(openings=(first,))
    if name.startswith("requester") and "LKPP" in name:  # a reply to the relayed request of LKPP
        return Known(tagged=t, citations=(Citation(t.number, frozenset("r"), "need_info", REQUEST_ID),))
    returned = {"escalation bounced": (ESCALATION_ID, "escalate", "l"), "data for LKPP bounced":
                (INFO_ID, "forward_info", "l"), "ack delayed": (ACK_ID, "ack", "r")}.get(name)
    if returned is not None:  # a bounce names the ticket by the Message-ID of ours it returns
        mid, kind, audience = returned
        return Known(referenced=(t,), citations=(Citation(t.number, frozenset(audience), kind, mid),))
    # E12/E12a relay "the latest LKPP message": the table's ticket has one
    return Known(tagged=t, lkpp_answered=frozenset({t.id}))

SAME = "same"
REFUSED = (SAME, {("sender", "command_error")})  # E18: only the sender hears, nothing changes
TO_STAFF = {("staff", "staff_update")}
UNCLASSIFIED = (SAME, {("staff", "staff_lkpp:lkpp_other")})  # E17: staff are asked to decide
OK = {("sender", "command_ok")}
ACK = {("requester", "ack")}  # the `#kirim-tanda-terima`: the ack goes now, at staff's word
ALERT = {("staff", "staff_alert"), ("coordinators", "staff_alert")}  # copy to coordinators
HISTORY = {("sender", "history")}  # E12h: "the ticket's history mailed back to that staff member; internal"

# message -> {state: (state after, {(audience, mail kind)})}, written from SPEC section 4
EXPECTED: dict[str, dict[State, tuple[str | State, set[tuple[str, str]]]]] = {
    "requester writes": {
        O: (O, TO_STAFF), A: (O, TO_STAFF), E: (E, TO_STAFF),
        I: (E, TO_STAFF | {("lkpp", "forward_info")}),  # E3: to LKPP at once
        R: (O, TO_STAFF),  # E4: another answer reopens
        C: (O, TO_STAFF),  # E5: within reopen_days
    },
    "requester confirms": {
        O: (O, TO_STAFF), A: (O, TO_STAFF), E: (E, TO_STAFF), I: (E, TO_STAFF | {("lkpp", "forward_info")}),
        # E5: a thanks or a rating to a closed ticket (the automatic close came first) is no
        # reopening: staff are told, the rating kept
        R: (C, {("requester", "closed"), ("staff", "staff_update")}), C: (C, {("staff", "staff_update")}),
    },
    "requester rejects": {
        O: (O, TO_STAFF), A: (O, TO_STAFF), E: (E, TO_STAFF), I: (E, TO_STAFF | {("lkpp", "forward_info")}),
        R: (O, TO_STAFF), C: (O, TO_STAFF),
    },
    "requester says nothing": {R: (R, TO_STAFF), C: (C, set())},  # staff are asked; no rejection; closed stays
    "staff reply": {
        O: (A, {("requester", "staff_reply")}), A: (A, {("requester", "staff_reply")}),
        E: (E, {("requester", "staff_reply")}), I: (I, {("requester", "staff_reply")}),
        R: (R, {("requester", "staff_reply")}), C: (A, {("requester", "staff_reply")}),
    },
    "staff empty reply": {s: (SAME, {("sender", "command_error")}) for s in STATES},
    "#catatan": {s: (SAME, OK) for s in STATES},
    "#eskalasi": {
        O: (E, {("lkpp", "escalate"), ("requester", "escalated_user")} | OK),
        A: (E, {("lkpp", "escalate"), ("requester", "escalated_user")} | OK),
        E: REFUSED, I: REFUSED,
        R: (E, {("lkpp", "escalate"), ("requester", "escalated_user")} | OK),
        C: REFUSED,
    },
    "#selesai": {
        O: (R, {("requester", "resolved")} | OK), A: (R, {("requester", "resolved")} | OK),
        E: (R, {("requester", "resolved")} | OK), I: (R, {("requester", "resolved")} | OK),
        R: REFUSED, C: REFUSED,
    },
    "#tutup": {**{s: (C, {("requester", "closed"), ("assignee", "assigned")} | OK) for s in (O, A, E, I, R)},
               C: REFUSED},
    "#tutup diam": {**{s: (C, OK) for s in (O, A, E, I, R)}, C: REFUSED},
    "#prioritas": {s: (SAME, OK) for s in STATES},
    "#teruskan": {**{s: (SAME, {("requester", "relay")} | OK) for s in (O, A, E, I, R)}, C: REFUSED},
    "#permintaan-data": {
        O: REFUSED, A: REFUSED, E: (I, {("requester", "need_info")} | OK), I: (I, {("requester", "need_info")} | OK),
        R: REFUSED, C: REFUSED,
    },
    "#koordinator": {**{s: (SAME, {("coordinators", "coordinator_case")} | OK) for s in (O, A, E, I, R)},
                     C: REFUSED},
    "#data": {s: (SAME, OK) for s in STATES},
    "coordinator writes": {s: (SAME, {("staff", "staff_direction")}) for s in STATES},
    "head writes": {s: (SAME, {("staff", "staff_direction")}) for s in STATES},
    "LKPP asks for data": {
        O: UNCLASSIFIED, A: UNCLASSIFIED, E: (I, {("requester", "need_info"), ("staff", "staff_lkpp:lkpp_need_info")}),
        I: (I, {("requester", "need_info"), ("staff", "staff_lkpp:lkpp_need_info")}), R: UNCLASSIFIED,
        C: UNCLASSIFIED,
    },
    "LKPP solved it": {
        O: UNCLASSIFIED, A: UNCLASSIFIED,
        E: (R, {("requester", "resolved_lkpp"), ("staff", "staff_lkpp:lkpp_resolved")}),
        I: (R, {("requester", "resolved_lkpp"), ("staff", "staff_lkpp:lkpp_resolved")}), R: UNCLASSIFIED,
        C: UNCLASSIFIED,
    },
    "LKPP returns it": {
        O: UNCLASSIFIED, A: UNCLASSIFIED, E: (O, {("staff", "staff_lkpp:lkpp_returned")}),
        I: (O, {("staff", "staff_lkpp:lkpp_returned")}), R: UNCLASSIFIED, C: UNCLASSIFIED,
    },
    "LKPP status": {
        O: UNCLASSIFIED, A: UNCLASSIFIED, E: (E, {("requester", "status_user"), ("staff", "staff_lkpp:lkpp_status")}),
        I: (I, {("requester", "status_user"), ("staff", "staff_lkpp:lkpp_status")}), R: UNCLASSIFIED,
        C: UNCLASSIFIED,
    },
    "LKPP other": {s: UNCLASSIFIED for s in STATES},
    "unknown command": {s: REFUSED for s in STATES},
    # SPEC 3: "mail that arrives twice adds to the existing ticket; it never opens a duplicate".
    # It is recorded there; nobody is told again (no second ack, no second staff notice).
    "requester sends it again": {s: (SAME, set()) for s in (O, A, E)},
    # E3: the data goes on to LKPP at once, staff notified; the ticket waits for LKPP
    "requester adds data for LKPP": {E: (E, TO_STAFF | {("lkpp", "forward_info")}),
                                     I: (E, TO_STAFF | {("lkpp", "forward_info")})},
    # E3 with nothing to pass on (Send pressed on an empty reply): the SPEC is silent; a
    # helpdesk sends LKPP no empty "additional data", keeps waiting for the requester's data
    # and lets staff see the reply (issue of 64199b7)
    "requester sends LKPP nothing": {E: (E, TO_STAFF), I: (I, TO_STAFF)},
    "#jawab": {
        O: (A, {("requester", "staff_reply")} | ACK | OK), A: (A, {("requester", "staff_reply")} | ACK | OK),
        E: (E, {("requester", "staff_reply")} | ACK | OK), I: (I, {("requester", "staff_reply")} | ACK | OK),
        R: (R, {("requester", "staff_reply")} | ACK | OK), C: (A, {("requester", "staff_reply")} | ACK | OK),
    },
    "#catatan, #data": {s: (SAME, ACK | OK) for s in STATES},
    "#eskalasi, #data": {
        **{s: (E, {("lkpp", "escalate"), ("requester", "escalated_user")} | ACK | OK) for s in (O, A, R)},
        E: REFUSED, I: REFUSED, C: REFUSED,  # E18: nothing else happens, no field set, no ack
    },
    "#selesai, #data": {**{s: (R, {("requester", "resolved")} | ACK | OK) for s in (O, A, E, I)},
                        R: REFUSED, C: REFUSED},
    "#tutup, #data": {**{s: (C, {("requester", "closed")} | ACK | OK) for s in (O, A, E, I, R)}, C: REFUSED},
    "#teruskan, #data": {**{s: (SAME, {("requester", "relay")} | ACK | OK) for s in (O, A, E, I, R)},
                         C: REFUSED},
    "#permintaan-data, #data": {O: REFUSED, A: REFUSED, E: (I, {("requester", "need_info")} | ACK | OK),
                                I: (I, {("requester", "need_info")} | ACK | OK), R: REFUSED, C: REFUSED},
    "#koordinator, #data": {**{s: (SAME, {("coordinators", "coordinator_case")} | ACK | OK) for s in (O, A, E, I, R)},
                            C: REFUSED},
    "#prioritas with words": {s: (SAME, ACK | OK) for s in STATES},
    "#data with words": {s: (SAME, ACK | OK) for s in STATES},
    # E12h: the history alone is its own answer (no command_ok); nothing to the requester, ever
    "#riwayat": {s: (SAME, HISTORY) for s in STATES},
    "#riwayat, #catatan": {s: (SAME, OK | HISTORY) for s in STATES},
    "#selesai, #riwayat": {**{s: (R, {("requester", "resolved")} | OK | HISTORY) for s in (O, A, E, I)},
                           R: REFUSED, C: REFUSED},  # E18: nothing runs, no history either
    # words under it are no answer to the requester: kept as a note, and the sender told so
    "#riwayat with words": {s: (SAME, OK | HISTORY) for s in STATES},
    # SOP-015 step 1 / SPEC 5: the escalation never reached LKPP. Staff and coordinators hear
    # of it; a ticket still waiting for LKPP is the unit's again (open): nobody would ever
    # answer it. A ticket that moved on meanwhile (staff resolved or closed it) stays where
    # staff put it (the SPEC is silent there; a helpdesk keeps staff's decision).
    "escalation bounced": {E: (O, ALERT), **{s: (SAME, ALERT) for s in (O, A, I, R, C)}},
    # SOP-015 step 9: the requester's data never reached LKPP, which still waits for it: the
    # ticket waits for the requester again (awaiting_info); elsewhere as above
    "data for LKPP bounced": {E: (I, ALERT), **{s: (SAME, ALERT) for s in (O, A, I, R, C)}},
    # SPEC 5: a delay warning is no failure (4xx is temporary); recorded, nobody alerted
    "ack delayed": {s: (SAME, set()) for s in STATES},
}
# The messages that can reach only some states (read off the classification, SPEC 3 and E3):
# a copy joins only a ticket still waiting for the unit (open, answered, escalated); an
# answer to LKPP's request exists only while the ticket waits for it (awaiting_info) or
# after a first answer went on (escalated); E4's empty answer only once a solution came.
ONLY_IN = {"requester says nothing": {R, C}, "requester sends it again": {O, A, E},
           "requester adds data for LKPP": {E, I}, "requester sends LKPP nothing": {E, I}}

# message -> the history it records when the table allows it (state_changed aside), from SPEC 4 "every message
# in and out, every state change and every command is recorded"
RECORDS = {
    "requester writes": {"message_appended"}, "requester confirms": {"closing_confirmed"},
    "requester rejects": {"closing_rejected"}, "requester says nothing": {"reply_without_text"},
    "staff reply": {"staff_replied"}, "staff empty reply": {"empty_staff_reply"},
    "#eskalasi": {"command_escalate", "priority_changed"}, "#selesai": {"command_resolve", "category_changed"},
    "#tutup": {"command_close", "assign_changed"}, "#tutup diam": {"command_close"},
    "#prioritas": {"priority_changed"}, "#catatan": {"note", "priority_changed"},
    "#teruskan": {"command_relay", "priority_changed"}, "#permintaan-data": {"command_need_info", "priority_changed"},
    "#koordinator": {"command_coordinator", "direction_requested", "priority_changed"},
    "#data": {"contact_changed", "category_changed"},
    "coordinator writes": {"direction"}, "head writes": {"recommendation"},
    "unknown command": {"command_rejected"},
    "#jawab": {"staff_replied", "command_answer", "priority_changed", "contact_changed"},
    "#catatan, #data": {"note", "contact_changed"}, "#eskalasi, #data": {"command_escalate", "contact_changed"},
    "#selesai, #data": {"command_resolve", "contact_changed"}, "#tutup, #data": {"command_close", "contact_changed"},
    "#teruskan, #data": {"command_relay", "contact_changed"},
    "#permintaan-data, #data": {"command_need_info", "contact_changed"},
    "#koordinator, #data": {"command_coordinator", "direction_requested", "contact_changed"},
    "#prioritas with words": {"priority_changed", "note"},  # the words kept as a note
    "#data with words": {"contact_changed", "note"},
    "#riwayat": {"history_requested"}, "#riwayat, #catatan": {"note", "history_requested"},
    "#selesai, #riwayat": {"command_resolve", "history_requested"},
    "#riwayat with words": {"history_requested", "note"},
    "escalation bounced": {"bounce_received"}, "data for LKPP bounced": {"bounce_received"},
    "ack delayed": {"delivery_reported"},
    **{name: {"lkpp_replied", "lkpp_ticket_recorded"} for name in MESSAGES if name.startswith("LKPP")},
}
EXTRA_RECORDS = {("requester writes", I): {"info_forwarded"}, ("requester writes", C): {"ticket_reopened"},
                 ("requester confirms", I): {"info_forwarded"}, ("requester confirms", C): {"confirmed_after_closing"},
                 ("requester says nothing", C): {"reply_without_text"},
                 ("requester rejects", I): {"info_forwarded"}, ("requester rejects", C): {"ticket_reopened"},
                 ("requester adds data for LKPP", E): {"info_forwarded"},
                 ("requester adds data for LKPP", I): {"info_forwarded"}}
# message -> what it changes on the ticket when the table allows it (SPEC 4 and 6: first response, resolution...)
CHANGES = {
    "requester confirms": {"closed_at": NOW, "rating": 5},
    "requester rejects": {"assignee": STAFF.addr},
    "staff reply": {"first_response_at": NOW},
    "#eskalasi": {"first_response_at": NOW, "priority": "low"},
    "#selesai": {"first_response_at": NOW, "resolved_at": NOW, "resolved_by": STAFF.addr, "category": "pertanyaan"},
    "#tutup": {"closed_at": NOW, "assignee": "staff2@lpse.test"}, "#tutup diam": {"closed_at": NOW},
    "#prioritas": {"priority": "high"}, "#catatan": {"priority": "low"}, "#teruskan": {"priority": "low"},
    "#permintaan-data": {"priority": "low"}, "#koordinator": {"priority": "high"},
    "#data": {"category": "konsultasi"},
    **{name: {"lkpp_ticket": "2026112210000042"} for name in MESSAGES if name.startswith("LKPP")},
    # a rejected solution goes back to the unit's staff who own the case, never to LKPP's address
    "LKPP solved it": {"resolved_at": NOW, "resolved_by": None, "lkpp_ticket": "2026112210000042"},
    "#jawab": {"first_response_at": NOW, "priority": "high", "contact": Contact(name="Budi Santoso")},
    "#catatan, #data": {"contact": Contact(phone="0812-1111-2222")},
    "#eskalasi, #data": {"first_response_at": NOW, "contact": Contact(organisation="CV Maju Jaya")},
    "#selesai, #data": {"first_response_at": NOW, "resolved_at": NOW, "resolved_by": STAFF.addr,
                        "contact": Contact(address="Jl. Engku Putri No. 1")},
    "#tutup, #data": {"closed_at": NOW, "contact": Contact(name="Budi Santoso")},
    "#teruskan, #data": {"contact": Contact(phone="0812-1111-2222")},
    "#permintaan-data, #data": {"contact": Contact(organisation="CV Maju Jaya")},
    "#koordinator, #data": {"contact": Contact(name="Budi Santoso")},
    "#prioritas with words": {"priority": "high"}, "#data with words": {"contact": Contact(name="Budi Santoso")},
    "#selesai, #riwayat": {"first_response_at": NOW, "resolved_at": NOW, "resolved_by": STAFF.addr},
}



def records(name: str, state: State) -> set[str]:
    """A requester's words count as a confirmation or a rejection only on a resolved ticket (E4)."""
    if name.startswith("requester") and state is not R:
        return {"message_appended"} | EXTRA_RECORDS.get((name, state), set())
    if name == "requester writes" and state is R:
        return {"closing_rejected"}
    return RECORDS[name] | EXTRA_RECORDS.get((name, state), set())


def changes(name: str, state: State) -> dict[str, object]:
    if (name, state) == ("requester confirms", C):
        return {"rating": 5, "closed_at": NOW - timedelta(days=1)}  # the rating kept, still closed as it was
    if name.startswith("requester") and state is not R:
        return {}
    if name == "requester writes" and state is R:
        return CHANGES["requester rejects"]
    return CHANGES.get(name, {})


CELLS = [(name, state) for name, row in EXPECTED.items() for state in row]


def config():
    return parse_config({
        "smtp": {"host": "127.0.0.1", "security": "none"},
        "escalation": {"address": LKPP.addr, "senders": ["*@lkpp.test"]},
        "mailboxes": [{"name": "t", "address": "lpse@lpse.test", "tag_prefix": "LPSE-T",
                       "imap": {"host": "127.0.0.1", "security": "none"}, "staff": [STAFF.addr, "staff2@lpse.test"],
                       "coordinators": [COORDINATOR.addr], "heads": [HEAD.addr]}],
    }, __import__("pathlib").Path("/tmp/config.yaml"))


CFG = config()
BOX = CFG.mailboxes[0]
AUDIENCE = {Role.STAFF: "s", Role.COORDINATOR: "c", Role.HEAD: "h", Role.LKPP: "l"}


def ticket(state: State) -> Ticket:
    return Ticket(id=1, mailbox="t", number="2026-00001", state=state, requester=REQUESTER, subject="Akun terkunci",
                  created_at=NOW - timedelta(days=1), updated_at=NOW - timedelta(hours=1),
                  closed_at=NOW - timedelta(days=1) if state is State.CLOSED else None,
                  resolved_by=STAFF.addr if state is State.RESOLVED else None,
                  participants=frozenset({REQUESTER.addr}))


def message(sender: Address, text: str, **kw) -> InboundMessage:
    subject = "Re: [LPSE-T #2026-00001] Akun terkunci"
    if sender == LKPP:
        subject = "[Ticket#2026112210000042] " + subject  # LKPP's desk adds its own number (SPEC 3)
    base = {"message_id": "m1@x", "synthetic_id": False, "from_addr": sender, "to": (), "cc": (), "reply_to": (),
            "subject": subject, "date": NOW, "in_reply_to": (), "references": (), "text": text, "new_text": text,
            "attachments": (), "auto_reason": None, "is_bounce": False, "bounced_ids": (), "auth_results": (),
            "return_path": None, "size": 100}
    base.update(kw)
    return InboundMessage(**base)


def mails(decision) -> set[tuple[str, str]]:
    """(audience, kind) of every mail; a notice of LKPP's reply names what staff are told it was."""
    def kind(send) -> str:
        return f"{send.kind}:{send.context['event']}" if send.kind == "staff_lkpp" else send.kind
    return {(str(s.to), kind(s)) for s in decision.sends} | {(str(a), kind(s)) for s in decision.sends for a in s.cc}


def outcome(name: str, state: State):
    sender, text = MESSAGES[name]
    t = ticket(state)
    msg = message(sender, text, **MESSAGE_KW.get(name, {}))
    facts = classify(msg, known_of(name, t), BOX, CFG, RULES, NOW, NOW)
    role = facts.role
    citations = (Citation(t.number, frozenset(AUDIENCE.get(role, "r"))),)
    trust = trust_of(msg, role, facts.ticket, citations, CFG.auth)
    return decide(facts, trust, Policy(), NOW)


@pytest.mark.parametrize(("name", "state"), CELLS, ids=[f"{n}-{s}" for n, s in CELLS])
def test_every_cell_of_the_spec_table(name, state):
    """Each cell: the state after and exactly the mails that leave, by audience and kind."""
    decision = outcome(name, state)
    want_state, want_mail = EXPECTED[name][state]
    assert decision.ticket is not None
    after = state if want_state == SAME else want_state
    assert decision.ticket.state is after
    assert mails(decision) == want_mail
    kinds = {e.kind for e in decision.events}
    cell = EXPECTED[name][state]
    if (cell is REFUSED or cell is UNCLASSIFIED) and name not in ("unknown command", "LKPP other"):
        assert kinds == ({"command_rejected"} if cell is REFUSED else {"lkpp_replied", "lkpp_ticket_recorded"})
        return
    changed = {"state_changed"} if after is not state else set()
    assert kinds == records(name, state) | changed
    for field, value in changes(name, state).items():
        assert getattr(decision.ticket, field) == value, field
    if name.startswith("requester writes"):
        assert decision.ticket.closed_at is None and REQUESTER.addr in decision.ticket.participants


def test_the_spec_table_covers_every_state_for_the_messages_that_can_arrive_in_any():
    """Every message kind is written out for all six states, but those that reach only some."""
    for name, row in EXPECTED.items():
        assert set(row) == ONLY_IN.get(name, set(STATES)), name


@pytest.mark.parametrize("state", STATES)
def test_a_forged_staff_message_does_nothing_but_note_and_alert(state):
    """E19: without a citation of mail sent to staff, nothing runs; coordinators hear of it, and
    the staff address it came from is told it was not run (SPEC E19)."""
    t = ticket(state)
    msg = message(STAFF, "#tutup")
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    requester_only = (Citation(t.number, frozenset("r")),)  # the ack: sent to the requester
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, requester_only, CFG.auth), Policy(), NOW)
    assert decision.ticket is not None and decision.ticket.state is state
    assert {(str(s.to), s.kind) for s in decision.sends} == {("coordinators", "unverified"), ("sender", "not_run")}
    assert [e.kind for e in decision.events] == ["unverified_note"]


def test_a_new_ticket_from_a_requester():
    """E1: open, acknowledged with the ticket number, staff told with the message."""
    msg = message(REQUESTER, "Akun SPSE saya terkunci.")
    facts = classify(msg, Known(), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, None, (), CFG.auth), Policy(), NOW)
    assert decision.new_ticket and decision.ticket is not None and decision.ticket.state is O
    assert {(str(s.to), s.kind) for s in decision.sends} == {("requester", "ack"), ("staff", "staff_new")}


def test_late_mail_on_a_closed_ticket_opens_a_new_one_citing_it():
    """E5: past reopen_days, a new ticket that cites the old."""
    old = ticket(C)
    msg = message(REQUESTER, "Masalahnya muncul lagi.")
    later = NOW + timedelta(days=15)
    facts = classify(msg, Known(tagged=old), BOX, CFG, RULES, later, later)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (), CFG.auth), Policy(), later)
    assert decision.new_ticket and decision.ticket is not None and decision.ticket.reopened_from == old.id
    assert {(str(s.to), s.kind) for s in decision.sends} == {("requester", "ack"), ("staff", "staff_new")}


@pytest.mark.parametrize(("text", "rating"), [
    ("YA 5", 5),
    ("Baik, terima kasih. Nilai 5 untuk pelayanannya.", 5),
    ("YA\nNilai: 4", 4),
    ("Selamat siang,\nSudah bisa, terima kasih banyak.", None),
    ("Ok sudah normal", None),
    ("Yth. Helpdesk LPSE Kota Batam,\n\nYA 5", 5),
    ("Siang pak, sudah bisa", None),
    ("Masalah sudah selesai", None),
    ("Silakan ditutup", None),
    ("Terima kasih, saya beri nilai 5", 5),
    ("Ya, 1 dokumen sudah terupload", None),
])
def test_closing_words_confirm_with_the_rating_wherever_it_stands(text, rating):
    """SPEC E4: the first line that is more than a greeting decides; a rating may follow."""
    t = ticket(R)
    msg = message(REQUESTER, text)
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (), CFG.auth), Policy(), NOW)
    assert decision.ticket is not None and decision.ticket.state is C and decision.ticket.rating == rating


@pytest.mark.parametrize("text", [
    "Selamat siang pak, masih error",
    "Halo min, belum bisa nih",
    "Terima kasih pak,\nnamun masih belum bisa",
    "Sudah pak\nTapi masih error",
    "Masalah belum selesai",
])
def test_a_no_after_a_greeting_or_below_thanks_reopens(text):
    """SPEC E4: 'another answer' goes back to whoever resolved it, whether or not a greeting or thanks precede it."""
    t = ticket(R)
    msg = message(REQUESTER, text)
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (), CFG.auth), Policy(), NOW)
    assert decision.ticket is not None and decision.ticket.state is O and decision.ticket.rating is None


def test_coordinator_direction_never_reaches_the_requester():
    """SPEC 1: coordinators' text goes to staff and onto the ticket only."""
    for state in STATES:
        decision = outcome("coordinator writes", state)
        assert all(str(s.to) != "requester" and "requester" not in map(str, s.cc) for s in decision.sends)
        assert "direction" in [e.kind for e in decision.events]


AUTOMATIC = {"auto_reason": "auto-submitted: auto-replied"}


@pytest.mark.parametrize("state", STATES)
def test_automatic_mail_is_recorded_and_never_answered(state):
    """SPEC 5: an auto-reply on a ticket is recorded on it; nothing is sent, nothing changes."""
    t = ticket(state)
    msg = message(REQUESTER, "Saya sedang cuti.", **AUTOMATIC)
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (), CFG.auth), Policy(), NOW)
    assert decision.ticket is not None and decision.ticket.state is state
    assert decision.sends == () and [e.kind for e in decision.events] == ["automatic_recorded"]


@pytest.mark.parametrize("state", STATES)
def test_a_bounce_of_our_mail_tells_staff_and_changes_nothing(state):
    """SPEC 5: a bounce of mailbot's mail is attached to its ticket and staff are alerted."""
    t = ticket(state)
    msg = message(Address("mailer-daemon@mx.vendor.test"), "550 user unknown", auto_reason="bounce: multipart/report",
                  is_bounce=True)
    facts = classify(msg, Known(referenced=(t,)), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (), CFG.auth), Policy(), NOW)
    assert decision.ticket is not None and decision.ticket.state is state
    assert {(str(s.to), s.kind) for s in decision.sends} == {("staff", "staff_alert")}
    assert [e.kind for e in decision.events] == ["bounce_received"]


@pytest.mark.parametrize("state", STATES)
def test_lkpps_desk_acknowledgement_records_its_number_and_tells_staff(state):
    """SPEC 3: an OTRS-style automatic acknowledgement: number kept, staff told, no answer."""
    t = ticket(state)
    msg = message(LKPP, "Tiket Anda telah kami terima.", auto_reason="auto-submitted: auto-replied")
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (), CFG.auth), Policy(), NOW)
    assert decision.ticket is not None and decision.ticket.state is state
    assert decision.ticket.lkpp_ticket == "2026112210000042"
    assert mails(decision) == {("staff", "staff_lkpp:lkpp_ack")}
    assert {e.kind for e in decision.events} == {"lkpp_replied", "lkpp_ticket_recorded"}


@pytest.mark.parametrize(("sender", "sends", "kinds"), [
    (STAFF, {("sender", "staff_no_ticket")}, ["staff_mail_unmatched"]),
    (LKPP, {("staff", "staff_unmatched")}, ["lkpp_unmatched"]),
    (REQUESTER, set(), ["automatic_unmatched"]),
])
def test_mail_that_matches_no_ticket(sender, sends, kinds):
    """SPEC 3: staff are told there is no such ticket; LKPP's mail goes to staff; an auto-reply is only noted."""
    extra = AUTOMATIC if sender == REQUESTER else {}
    msg = message(sender, "Halo.", subject="Tanpa tiket", **extra)
    facts = classify(msg, Known(), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, None, (), CFG.auth), Policy(), NOW)
    assert decision.ticket is None
    assert {(str(s.to), s.kind) for s in decision.sends} == sends
    assert [e.kind for e in decision.events] == kinds


CALLER = "rina@majujaya.test"
CALL = f"""#telepon
#prioritas tinggi
Nama: Rina Wulandari
Instansi: CV Maju Jaya
No. HP: 0812-7700-4455
Email: {CALLER}
Permasalahan: Tidak bisa mengunggah dokumen penawaran pada tender 10012345000.
"""
VISIT = CALL.replace("#telepon", "#datang") + "Jawaban: Ukuran berkas melebihi 20 MB; dipecah menjadi dua berkas.\n"
DIGEST_ID = "digest-1@lpse.test"
AUTHRES = replace(CFG, auth=replace(CFG.auth, mode="authres", trusted_authserv_id="mx.lpse.test"))
PASSED = ("mx.lpse.test; dkim=pass header.d=lpse.test; dmarc=pass header.from=lpse.test",)

# Mail that matches no ticket (SPEC 3's calls and visits, E12d): (sender, text,
# config, what the store knew, message fields) -> (the state of the ticket it opens, or
# None when it opens none; {(audience, kind)}; the history it records)
NO_TICKET = {
    # SPEC 3, SOP-003 step 8: a call not answered yet opens a ticket for the caller, who gets
    # the ack; the staff member gets the number back, the other staff the new ticket. In
    # authres mode the unit's own server proves the staff sender of a new mail (SPEC 9).
    "a call, proven": ((STAFF, CALL, AUTHRES, Known(), {"auth_results": PASSED}),
                       (O, {("requester", "ack"), ("sender", "intake_opened"), ("staff", "intake_opened")},
                        {"ticket_opened", "intake_recorded", "category_guessed", "priority_guessed",
                         "priority_changed"})),
    # SOP-003 steps 6-7: answered on the spot: resolved, the answer to the caller as the solution
    "a visit answered on the spot, proven": (
        (STAFF, VISIT, AUTHRES, Known(), {"auth_results": PASSED}),
        (R, {("requester", "resolved"), ("sender", "intake_opened"), ("staff", "intake_opened")},
         {"ticket_opened", "intake_recorded", "category_guessed", "priority_guessed", "priority_changed",
          "state_changed"})),
    # SPEC 9 in token mode: a new mail proves no sender. Nothing opens; the number is held and
    # goes back to the staff address alone, which confirms by replying.
    "a call, unproven": ((STAFF, CALL, CFG, Known(), {}), (None, {("sender", "intake_confirm")}, {"intake_held"})),
    # a call written down by someone who is not the unit's staff opens nothing and
    # answers nobody outside; staff see it
    "a call from a stranger": ((REQUESTER, CALL, CFG, Known(), {}),
                               (None, {("staff", "intake_not_staff")}, {"intake_not_staff"})),
    # a form without the problem is refused to its sender; nothing half-made is kept
    "a call without its problem": ((STAFF, CALL.split("Permasalahan")[0], AUTHRES, Known(), {"auth_results": PASSED}),
                                   (None, {("sender", "command_error")}, {"command_rejected"})),
    # E12d / SOP-004 step 8: a coordinator's answer to the digest naming no ticket is the
    # unit's record and goes to staff; nothing to any requester
    "direction on the digest": ((COORDINATOR, "Mohon semua tiket yang terlambat diselesaikan hari ini.", CFG,
                                 Known(citations=(Citation(None, frozenset("c"), "digest", DIGEST_ID),)), {}),
                                (None, {("staff", "staff_direction")}, {"direction"})),
}


@pytest.mark.parametrize("name", NO_TICKET)
def test_mail_that_matches_no_ticket_by_the_spec(name):
    """SPEC 3 and E12d, cell by cell: the ticket it opens (if any) and exactly what leaves and is recorded."""
    (sender, text, cfg, known, kw), (state, sends, kinds) = NO_TICKET[name]
    msg = message(sender, text, subject="Telepon dari penyedia", in_reply_to=(DIGEST_ID,) if known.citations else (),
                  **kw)
    facts = classify(msg, known, BOX, cfg, RULES, NOW, NOW)
    intake = facts.intake
    trust = trust_of(msg, facts.role, None, known.citations, cfg.auth,
                     opening=intake is not None and intake.number is None)
    decision = decide(facts, trust, Policy(), NOW)
    assert mails(decision) == sends
    assert {e.kind for e in decision.events} == kinds
    assert decision.new_ticket is (state is not None)
    if state is None:  # nothing opened: no ticket, or (SPEC 9) a call held under a reserved number
        held = name == "a call, unproven"
        assert decision.held is held and (decision.ticket is not None) is held
        return
    opened = decision.ticket
    assert opened is not None and opened.state is state and not decision.held
    assert (opened.requester.addr, opened.channel, opened.taken_by) == (CALLER, "telepon" if "call" in name
                                                                        else "datang", STAFF.addr)
    assert opened.priority == "high" and opened.contact.name == "Rina Wulandari"
    if state is R:
        assert opened.resolved_at == NOW and opened.resolved_by == STAFF.addr


@pytest.mark.parametrize("state", STATES)
def test_forged_lkpp_mail_goes_to_staff_and_coordinators_only(state):
    """E19 for LKPP: staff and coordinators hear of it; the requester nothing."""
    t = ticket(state)
    msg = message(LKPP, "Permasalahan telah kami perbaiki.")
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (), CFG.auth), Policy(), NOW)
    assert decision.ticket is not None and decision.ticket.state is state
    assert {(str(s.to), s.kind) for s in decision.sends} == {("staff", "unverified")}
    assert decision.sends[0].cc == (Audience.COORDINATORS,)


def test_the_ack_is_an_automatic_answer_and_the_staff_notice_carries_the_message():
    """SPEC 2: an automatic answer carries Auto-Submitted: auto-replied; staff get the text and the files."""
    msg = message(REQUESTER, "Akun SPSE saya terkunci.")
    facts = classify(msg, Known(), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, None, (), CFG.auth), Policy(), NOW)
    sends = {s.kind: s for s in decision.sends}
    assert sends["ack"].auto == "auto-replied"
    assert sends["staff_new"].attach == "inbound" and "terkunci" in (sends["staff_new"].text or "")
    assert sends["ack"].context["previous"] is None and sends["ack"].context["cited"] is None


def test_a_new_ticket_citing_a_closed_one_names_it_in_the_ack_and_the_staff_notice():
    """SPEC 3: mail after reopen_days opens a new ticket that cites the old one, for both audiences."""
    old = ticket(C)
    later = NOW + timedelta(days=15)
    msg = message(REQUESTER, "Masalahnya muncul lagi.")
    facts = classify(msg, Known(tagged=old), BOX, CFG, RULES, later, later)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (), CFG.auth), Policy(), later)
    for send in decision.sends:
        assert send.context["previous"] == old.number, send.kind


def test_an_old_backlog_message_becomes_a_ticket_without_an_ack_and_says_why():
    """SPEC 5: a message older than ack_max_age_hours when first seen gets no acknowledgement."""
    msg = message(REQUESTER, "Akun SPSE saya terkunci.")
    received = NOW - timedelta(hours=73)
    facts = classify(msg, Known(), BOX, CFG, RULES, received, NOW)
    decision = decide(facts, trust_of(msg, facts.role, None, (), CFG.auth), Policy(), NOW)
    assert decision.new_ticket
    assert [s.kind for s in decision.sends] == ["staff_new"]
    skipped = [e for e in decision.events if e.kind == "ack_skipped"]
    assert len(skipped) == 1 and skipped[0].actor == "mailbot" and "ack_max_age_hours" in str(skipped[0].detail)


@pytest.mark.parametrize("text", ["#teruskan", "#permintaan-data\nMohon dilengkapi."])
def test_relaying_lkpp_with_no_lkpp_reply_is_a_command_error(text):
    """E12/E12a pass on LKPP's latest reply; a ticket with none (only LKPP's automatic
    acknowledgement, or nothing) has nothing to pass on: staff are told, the requester gets nothing."""
    t = ticket(State.ESCALATED)
    msg = message(STAFF, text)
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    trust = trust_of(msg, facts.role, facts.ticket, (Citation(t.number, frozenset("s")),), CFG.auth)
    decision = decide(facts, trust, Policy(), NOW)
    assert decision.ticket is not None and decision.ticket.state is State.ESCALATED
    assert mails(decision) == {("sender", "command_error")}
    assert "Helpdesk LKPP has sent no reply" in str(decision.sends[0].context["errors"][0])


def test_a_refused_command_keeps_what_staff_typed_and_the_history_keeps_the_english():
    """E18: the refusal names the command as staff typed it (#eskalasi) for the mail to word in
    the mailbox's language; the ticket history keeps the English text, as before."""
    t = ticket(State.CLOSED)
    msg = message(STAFF, "#eskalasi\nMohon dicek.")
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (Citation(t.number, frozenset("s")),), CFG.auth),
                      Policy(), NOW)
    [refusal] = decision.sends[0].context["errors"]
    assert (refusal.code, refusal.command, refusal.value) == ("not_in_state", "#eskalasi", "closed")
    [rejected] = [e for e in decision.events if e.kind == "command_rejected"]
    assert rejected.detail == {"errors": ["#escalate is not possible while the ticket is closed"]}


def test_a_rejected_lkpp_solution_goes_back_to_the_staff_member_who_owns_the_case():
    """E4 after E14: "belum bisa" to LKPP's solution hands the ticket back to staff (its assignee),
    never to LKPP's address, which would leave it owned by no one at the unit."""
    owned = replace(ticket(State.ESCALATED), assignee=STAFF.addr)
    msg = message(LKPP, "Permasalahan sudah kami perbaiki, silakan dicoba kembali.")
    facts = classify(msg, Known(tagged=owned), BOX, CFG, RULES, NOW, NOW)
    trust = trust_of(msg, facts.role, facts.ticket, (Citation(owned.number, frozenset("l")),), CFG.auth)
    solved = decide(facts, trust, Policy(), NOW).ticket
    assert solved is not None and solved.state is State.RESOLVED
    answer = message(REQUESTER, "Belum bisa pak, masih error.")
    facts = classify(answer, Known(tagged=solved), BOX, CFG, RULES, NOW, NOW)
    reopened = decide(facts, trust_of(answer, facts.role, solved, (), CFG.auth), Policy(), NOW).ticket
    assert reopened is not None and reopened.state is State.OPEN and reopened.assignee == STAFF.addr


@pytest.mark.parametrize("text", ["#tugaskan budi@vendor.test\nCatatan internal: vendor ini bermasalah.",
                                  "#tugaskan sari@dinas.test",
                                  "#prioritas tinggi\n#tugaskan Staf Dua <staf2@lpse.tset>",
                                  "#tugaskan andi@lpse.test\nTolong ditangani."])
def test_a_ticket_is_assigned_only_within_the_unit(text):
    """E11 and SPEC 1: an assignee gets the whole case, internal note and requester data
    included, and must be able to act on it by mail. An address outside the unit (the
    requester's own, a typo'd domain) or a colleague in the unit's domain who is not listed as
    staff, coordinator or head (whose answer would open a new ticket) is an error to the
    sender, and nothing else happens."""
    t = ticket(State.OPEN)
    msg = message(STAFF, text)
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (Citation(t.number, frozenset("s")),), CFG.auth),
                      Policy(), NOW)
    assert mails(decision) == {("sender", "command_error")}
    assert decision.ticket is not None and decision.ticket.assignee is None and decision.ticket.priority is None
    assert "not one of the unit's staff, coordinators or heads" in str(decision.sends[0].context["errors"][-1])
    for listed in (*BOX.staff, *BOX.coordinators):
        colleague = message(STAFF, f"#tugaskan {listed.upper()}")
        facts = classify(colleague, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
        assert facts.event is Event.STAFF_META, listed

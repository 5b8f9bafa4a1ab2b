"""Every staff command, one row each (SPEC 4): the words staff write for it, what it takes,
what kind of command it is, when it applies and the event it makes. Pure.

A command is its row of `COMMANDS`, and the rest of mailbot reads the table: the reader of a
reply (`commands`) its spellings and its argument, the classifier (`classify`) the event it
makes, the notices (`applicable`) when it is offered, staff mail's lists of commands
(`io/render`) its order, and the shells what to look up before a message is classified
(`relays`). Two things a command has live where all their kind live, each under the
command's event or name: what its event does to a ticket, in the states it may run in, is
that event's row of the lifecycle's table (`lifecycle._ROWS`, the effects it names in
`effects`), which stays the one state machine; what staff read of it (its argument and its
help, in each language) is its name's line under `commands:` in `templates/<language>/words.yaml`.

So a new command is a row here, its event's row in `lifecycle._ROWS` (and the event in
`events` when it is a new one), the effect that does its work, its words in both
languages, its lines in the staff guide, and its tests.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass

from mailbot.core.events import Event


class Kind(enum.StrEnum):
    """How a command combines with the others of one reply (SPEC 4)."""

    STATE = "state"  # acts on the case (E8-E12g): one of them per reply at most
    NOTE = "note"  # makes the text below an internal note: never beside a state command
    RIDES = "rides"  # rides along with any reply or command (E11, E12c): metadata, data, a held ack
    READS = "reads"  # only reads the ticket, answers its sender alone (E12h); beside others it rides along
    FORM_ANSWER = "form_answer"  # answers a held call's or visit's request to confirm, nothing else (SPEC 3, 9)


# What follows a command's word, read: (its normalised value, None) and the text that opens
# the body; or (None, the code of the `Refusal` that says what it needs) and "". Given the
# rest of the line as written.
Read = tuple[str | None, str | None, str]
Argument = Callable[[str], Read]


@dataclass(frozen=True)
class StaffCommand:
    """One staff command: its words, what it takes, how it combines, what it makes, when it applies."""

    name: str  # canonical (English) name: its words' key in words.yaml `commands:`
    spellings: tuple[str, ...]  # Indonesian first, then English; case never matters
    kind: Kind
    event: Event | None  # the event it makes of a reply it decides (None: a held form's answer, no ticket's)
    argument: Argument | None = None  # None: the rest of its line opens the body
    needs: str = ""  # a situation it needs besides a state the lifecycle allows (`applicable.situation`)
    needs_text: bool = False  # with no words below it (and no file), nothing is sent and its sender is told
    sop: str = ""  # where SPEC 4 and the SOPs name it


_TRAILING = ".,;:!"
PRIORITIES = {"tinggi": "high", "sedang": "normal", "rendah": "low", "high": "high", "normal": "normal", "low": "low"}
CATEGORIES = {
    "pengaduan": "pengaduan", "pertanyaan": "pertanyaan", "konsultasi": "konsultasi",
    "complaint": "pengaduan", "question": "pertanyaan", "consultation": "konsultasi",
}
SILENT = ("diam", "silent")
# `#data FIELD VALUE`: the consultation form's fields (seed 003), Indonesian and English.
DATA_FIELDS = {"nama": "name", "name": "name", "instansi": "organisation", "perusahaan": "organisation",
               "organisation": "organisation", "organization": "organisation", "company": "organisation",
               "alamat": "address", "address": "address", "telepon": "phone", "telp": "phone", "hp": "phone",
               "phone": "phone"}
# after the "@": a run with a full stop inside it (not first, not last), read once; "a@", then
# 10,000 "a." and " x" (20 KB) took 8.7 s as `[^@\s<>]+\.[^@\s<>]+$` tried each full stop
_ADDRESS = re.compile(r"^[^@\s<>]+@(?=[^@\s<>][^@\s<>.]*+\.[^@\s<>])[^@\s<>]++$")
# `#jawab-seperti 2026-00042 [text]`: the solved case's number, then text that opens the body
_CASE_NUMBER = re.compile(r"#?\s*(\d{4})\s*-\s*(\d{1,5})\b[:;.,]*\s*(.*)", re.DOTALL)
# `#lpse-support NOMOR [text]` (E12e): LPSE Support's ticket number as its application shows
# it (letters and digits, dashes, dots or slashes between, a digit somewhere: "2611004217",
# "LS-2026-004321", as ticket systems write them), then text that opens the body
_SUPPORT_NUMBER = re.compile(r"(?:no(?:mor)?\.?|number|tiket|ticket)?\s*+[:#]?\s*+"  # possessive: no split of blanks
                             r"((?=[A-Za-z0-9./-]*\d)[A-Za-z0-9]+(?:[-./][A-Za-z0-9]+)*)[:;.,]*(?:\s+(.*))?$",
                             re.DOTALL | re.IGNORECASE)


def address_in(text: str) -> str | None:
    """The one e-mail address a value holds, written as mail clients and address books do
    (`budi@x.id`, `<budi@x.id>`, `Budi <budi@x.id>`, Outlook's `budi@x.id<mailto:budi@x.id>`),
    lower-cased; else None."""
    inside: list[str] = re.findall(r"<([^<>]*)>", text)
    for candidate in (*inside, text):
        address = candidate.strip()
        if address[:7].lower() == "mailto:":
            address = address[7:]
        address = address.strip().rstrip(_TRAILING).lower()
        if _ADDRESS.match(address):
            return address
    return None


def _word(rest: str) -> str:
    """The argument as one lower-cased word without trailing punctuation: "#prioritas tinggi." is "tinggi"."""
    return rest.rstrip(_TRAILING).strip().lower()


def _one_of(table: dict[str, str], needs: str) -> Argument:
    def read(rest: str) -> Read:
        value = table.get(_word(rest))
        return (value, None, "") if value is not None else (None, needs, "")
    return read


def _assignee(rest: str) -> Read:
    address = address_in(rest)
    return (address, None, "") if address is not None else (None, "assign_value", "")


def _close_how(rest: str) -> Read:
    word = _word(rest)
    if not word:
        return None, None, ""
    return ("silent", None, "") if word in SILENT else (None, "close_value", "")


def _nothing(rest: str) -> Read:
    """No argument: a word after it is refused, not ignored (`#riwayat 2026-00041` is always this ticket's)."""
    return (None, "no_argument", "") if _word(rest) else (None, None, "")


def _form_field(rest: str) -> Read:
    field, _, value = rest.partition(" ")
    key = DATA_FIELDS.get(field.lower().strip(":"))
    if key is None or not value.strip():
        return None, "data_value", ""
    return f"{key}={value.strip()[:200]}", None, ""


def _case_number(rest: str) -> Read:
    """`#jawab-seperti 2026-00042 [text]`: the solved case's number, then text that opens the body."""
    case = _CASE_NUMBER.match(rest)
    if case is None:
        return None, "answer_like_value", ""
    return f"{case.group(1)}-{int(case.group(2)):05d}", None, case.group(3).strip()


def _support_number(rest: str) -> Read:
    """`#lpse-support 12345 [text]`: the number LPSE Support gave the case staff filed there,
    kept as written (it is LKPP's reference), then text that opens the body."""
    found = _SUPPORT_NUMBER.match(rest.strip())
    if found is None or len(found.group(1)) > 40:
        return None, "lpse_support_value", ""
    return found.group(1), None, (found.group(2) or "").strip()


# In the order staff mail lists them. `event`: the event the command makes of a reply it
# decides (`classify._STAFF_EVENTS`): a state command's own; a note, `#data` and `#riwayat`
# their own when no state command stands beside them; the metadata commands `STAFF_META`.
COMMANDS: tuple[StaffCommand, ...] = (
    StaffCommand("escalate", ("eskalasi", "escalate"), Kind.STATE, Event.STAFF_ESCALATE, sop="E8; SOP-015 step 1"),
    StaffCommand("resolve", ("selesai", "resolve"), Kind.STATE, Event.STAFF_RESOLVE, sop="E9"),
    StaffCommand("close", ("tutup", "close"), Kind.STATE, Event.STAFF_CLOSE, _close_how, sop="E10"),
    StaffCommand("note", ("catatan", "note"), Kind.NOTE, Event.STAFF_NOTE, sop="E7"),
    StaffCommand("priority", ("prioritas", "priority"), Kind.RIDES, Event.STAFF_META,
                 _one_of(PRIORITIES, "priority_value"), sop="E11"),
    StaffCommand("category", ("kategori", "category"), Kind.RIDES, Event.STAFF_META,
                 _one_of(CATEGORIES, "category_value"), sop="E11"),
    StaffCommand("assign", ("tugaskan", "assign"), Kind.RIDES, Event.STAFF_META, _assignee, sop="E11"),
    # the latest LKPP answer passed on; refused where there is none (E18)
    StaffCommand("relay", ("teruskan", "relay"), Kind.STATE, Event.STAFF_RELAY, _nothing, needs="lkpp_answer",
                 sop="E12"),
    StaffCommand("need_info", ("permintaan-data", "need-info"), Kind.STATE, Event.STAFF_NEED_INFO, _nothing,
                 needs="lkpp_answer", sop="E12a; SOP-015 steps 7-9"),
    StaffCommand("coordinator", ("koordinator", "coordinator"), Kind.STATE, Event.STAFF_COORDINATOR,
                 sop="E12b; SOP-002 step 3, SOP-004 steps 5-6"),
    StaffCommand("data", ("data",), Kind.RIDES, Event.STAFF_DATA, _form_field, sop="E12c; SOP-003"),
    StaffCommand("answer", ("jawab", "answer"), Kind.STATE, Event.STAFF_REPLY, needs_text=True, sop="E6"),
    # an acknowledgement that waited for staff's word goes now
    StaffCommand("send_ack", ("kirim-tanda-terima", "send-ack"), Kind.RIDES, Event.STAFF_META,
                 needs="ack_waiting", sop="SPEC 5; SOP-003 step 8"),
    # a solved case's solution, shown to staff first, then sent as `#selesai` sends its text
    StaffCommand("answer_like", ("jawab-seperti", "answer-like"), Kind.STATE, Event.STAFF_RESOLVE, _case_number,
                 needs="similar", sop="E9"),
    StaffCommand("history", ("riwayat", "history"), Kind.READS, Event.STAFF_HISTORY, _nothing, sop="E12h"),
    StaffCommand("open_form", ("buka", "open"), Kind.FORM_ANSWER, None, sop="SPEC 3, 9"),
    StaffCommand("cancel_form", ("batal", "cancel"), Kind.FORM_ANSWER, None, sop="SPEC 3, 9"),
    # filed by hand in LKPP's LPSE Support; its own name, one spelling
    StaffCommand("lpse_support", ("lpse-support",), Kind.STATE, Event.STAFF_LPSE_SUPPORT, _support_number,
                 sop="E12e; SOP-004 section 2, section 3 step 7"),
    StaffCommand("report_head", ("lapor-kepala", "report-head"), Kind.STATE, Event.STAFF_REPORT_HEAD,
                 sop="E12f; SOP-004 section 1 step 7"),
    # the unit's own request for documents; a caller who gave no e-mail cannot answer it
    StaffCommand("request_info", ("minta-data", "request-info"), Kind.STATE, Event.STAFF_REQUEST_INFO,
                 needs="mailbox", needs_text=True, sop="E12g; seed 002"),
)
BY_NAME: dict[str, StaffCommand] = {c.name: c for c in COMMANDS}


def named(kind: Kind) -> frozenset[str]:
    """The names of the commands of one kind."""
    return frozenset(c.name for c in COMMANDS if c.kind is kind)

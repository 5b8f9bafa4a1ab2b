"""Plain frozen values shared by the pure core and the shells.

Nothing here talks to a server or a database; the parsers build `InboundMessage`
once at the edge and nothing downstream touches `email.message.Message`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta


class State(enum.StrEnum):
    """Ticket states of SPEC section 4."""

    OPEN = "open"
    ANSWERED = "answered"
    ESCALATED = "escalated"
    AWAITING_INFO = "awaiting_info"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Role(enum.StrEnum):
    """Who a sender is for a mailbox (SPEC section 1)."""

    REQUESTER = "requester"
    STAFF = "staff"
    COORDINATOR = "coordinator"
    HEAD = "head"
    LKPP = "lkpp"
    SELF = "self"  # mail that mailbot itself sent


# Why a staff command or a message was refused, in English: the ticket history's and the
# log's words, and an English mailbox's. A mailbox in another language words the code
# itself (`templates/<lang>/words.yaml`, `refusals`), from the same values.
_REFUSED = {
    "unknown_command": "unknown command {command}",
    "too_many_lines": "more than {value} command lines",
    "priority_value": "{command} needs one of: tinggi, sedang, rendah (high, normal, low); got {value!r}",
    "category_value": "{command} needs one of: pengaduan, pertanyaan, konsultasi (complaint, question, "
                      "consultation); got {value!r}",
    "assign_value": "{command} needs an email address; got {value!r}",
    "close_value": "{command} takes only 'diam' or 'silent'; got {value!r}",
    "no_argument": "{command} takes no argument; got {value!r}",
    # `#jawab-seperti NUMBER [text]`
    "answer_like_value": "{command} needs the number of a solved ticket (e.g. 2026-00042); got {value!r}",
    "lpse_support_value": "{command} needs the ticket number LPSE Support gave the case (e.g. #lpse-support 123456); "
                          "got {value!r}",
    "answer_like_unknown": "{command} {value}: no resolved or closed ticket of this mailbox with a solution sent to "
                           "its requester",
    "answer_like_names": "{command} {value}: its solution holds {name}; write the answer yourself (#selesai), so "
                         "that no requester's data, password or code, and no link outside the unit's and LKPP's "
                         "domains, reaches another",
    "answer_like_files": "{command} {value}: its solution carried files of its own case; write the answer yourself "
                         "(#selesai) and attach what this requester needs",
    "data_value": "{command} needs a field and a value: nama|instansi|alamat|telepon VALUE; got {value!r}",
    "several_states": "only one of #eskalasi, #selesai, #tutup, #teruskan, #permintaan-data, #koordinator, #jawab, "
                      "#jawab-seperti, #lpse-support, #lapor-kepala, #minta-data per message: {value}",
    "note_with_state": "#catatan cannot be combined with #{name}",
    "outside_assignee": "#tugaskan {value}: not one of the unit's staff, coordinators or heads (only they can act "
                        "on a ticket by mail; the operator lists them in config.yaml)",
    "relay_without_lkpp": "#teruskan: Helpdesk LKPP has sent no reply on this ticket to pass on (a reply that is "
                          "only an attached mail is not passed to requesters: write the answer yourself)",
    "need_info_without_lkpp": "#permintaan-data: Helpdesk LKPP has sent no reply on this ticket to pass on (a reply "
                              "that is only an attached mail is not passed to requesters: write the answer yourself)",
    "lkpp_passed_on": "{command}: Helpdesk LKPP's latest reply already went to the requester on {value}, and they "
                      "do not receive it twice; to write to them yourself, reply without a command",
    "not_in_state": "#{name} is not possible while the ticket is {value}",
    "reply_not_in_state": "this reply is not possible while the ticket is {value}",
    "empty_reply": "no new text above or below the quoted history: nothing was sent",
    "not_at_top": "{command} stands below other text and was not run: commands go on the first lines of the reply, "
                  "before any other text",
    # SPEC 3: a phone call or a visit written down as a staff mail (`#telepon`, `#datang`)
    "intake_problem": "the form has no problem: write it after 'Permasalahan:'",
    "intake_email": "{command}: {value!r} is not an e-mail address; write it as name@domain.id, or leave the line out "
                    "when the caller has none",
    "intake_email_internal": "{command}: {value} is an address of the unit or of Helpdesk LKPP, not the caller's",
    "intake_category": "{command}: {value!r} is not one of pengaduan, pertanyaan, konsultasi",
    "intake_rating": "{command}: {value!r} is not a rating from 1 to 5",
    "intake_time": "{command}: {value!r} is no date or time; write e.g. 'Waktu: 10.15' or 'Tanggal: 12/11/2026 10.15'",
    "intake_future": "{command}: {value!r} is later than this mail",
    "intake_too_old": "{command}: {value!r} is more than {name} days before this mail",
    "intake_rows": "the table holds {value} rows of calls: send one mail per call or visit",
    "intake_command": "{command} cannot go with #telepon or #datang (only #prioritas, #kategori, #tugaskan and "
                      "#selesai can); send it as a reply once the ticket is open",
    "intake_in_reply": "{command} opens a new ticket: send it as a new mail to the unit's address, not as a reply",
    "intake_unverified": "the confirmation could not be verified: {value}",
    "intake_other_sender": "only {value}, who sent the form and received the request to confirm it, can open it",
    "intake_no_answer": "an empty reply opens nothing: reply #buka to open the ticket, or #batal to cancel the form",
    "form_answer_elsewhere": "{command} answers only the request to confirm a call or visit (TIKET BELUM DIBUKA)",
    # SPEC 9: why a staff, coordinator, head or LKPP message is not authenticated
    "new_mail": "a new mail cites no mail that mailbot sent, which is what proves a sender (SPEC 9)",
    "no_ticket": "no ticket",
    "not_a_reply": "does not reply to a message that mailbot sent on this ticket",
    # SPEC 5: why an automatic mail was held or not sent (staff read it in their language)
    "limit_address_hour": "autoreply_limit of {value} per hour reached for {name}",
    "limit_address_day": "autoreply_limit of {value} per day reached for {name}",
    "limit_looping": "the same {command} came from {value} addresses of {name} within the hour"
                     " (an auto-responder on rotating addresses)",
    "limit_rotating": "{name} answered each of our acks at once from a new address, in the same words"
                      " ({value} rounds; an auto-responder on rotating addresses)",
    "limit_probe": "the same words from another address of {name} came right after our ack to it: this ack waits"
                   " {value} minutes, to see whether its answer follows our mail rather than people's",
    "limit_acks": "acks_per_hour of {value} acks an hour to new addresses reached",
    "limit_acks_days": "acks_per_hour of {value} acks an hour to new addresses reached for the next {name} hours",
    "limit_share": "{name} has its share of {command} of the {value} acks an hour to new addresses",
    "limit_ticket": "limit of {value} automatic mails per hour to the requester of this ticket",
    "reference_only": "cites only LKPP's own ticket number, which anyone can count, not the mail mailbot sent LKPP"
                      " nor its escalation key [ref:...]: staff decide (#teruskan, #permintaan-data, #selesai)",
    "wrong_audience": "replies only to mail sent to {value}, not to {name}",
    "shared_audience": "replies only to mail that {value} received too, which does not prove the sender is {name}",
    "leaked": "replies only to mail that reached someone outside the unit ({value}) after it was sent (a reply to "
              "it came from outside, or it was sent on), which no longer proves the sender is {name}",
    "authres": "Authentication-Results: {value}",
}


@dataclass(frozen=True)
class Refusal:
    """Why a staff command (SPEC E18) or a message (SPEC 9) was refused: a code and the
    values its words name. `str()` is the English the ticket history keeps."""

    code: str  # a key of `_REFUSED` and of the words' `refusals`
    command: str = ""  # the command as its sender typed it: "#eskalasi", "#Assign"
    value: str = ""  # what it is about: the argument as written, a state, roles, a verdict
    name: str = ""  # the command's canonical (English) name, or a role

    def __str__(self) -> str:
        return _REFUSED[self.code].format(command=clipped(self.command), value=clipped(self.value),
                                          name=clipped(self.name))


SHOWN_CHARS = 200  # of what was written, quoted back in a refusal: enough to find it by


def clipped(written: str) -> str:
    """What was written, as a refusal quotes it back: its start, and "…" where it went on. A
    form's field of 40,000 blanks, or a command's argument pasted from a whole page, was
    quoted back whole to the staff member who wrote it."""
    return written if len(written) <= SHOWN_CHARS else written[:SHOWN_CHARS].rstrip() + " …"


@dataclass(frozen=True)
class Address:
    """One mailbox address; `addr` is lower-cased, `name` decoded."""

    addr: str
    name: str = ""


@dataclass(frozen=True)
class Attachment:
    """An attachment with its sanitised file name and its exact bytes."""

    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class InlineImage:
    """An image that an HTML body shows by `cid:` (multipart/related, RFC 2387)."""

    cid: str  # Content-ID without angle brackets
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class DeliveryReport:
    """What a delivery report says about the mail it reports on (RFC 3464, or a non-standard
    bounce read by its words): the worst action over its recipients (`failed` before
    `delayed` before `delivered`/`relayed`/`expanded`), that recipient's status code and the
    remote server's words. A delay ("THIS IS A WARNING ONLY") is no failure: the MTA goes
    on trying, and the mail may still arrive."""

    action: str  # failed | delayed | delivered | relayed | expanded
    status: str = ""  # "5.1.1", "4.4.1", "" when the report gives none
    recipients: tuple[str, ...] = ()  # the addresses the action is about
    diagnostic: str = ""  # the remote server's answer, or the MTA's own reason

    @property
    def failed(self) -> bool:
        return self.action == "failed"


@dataclass(frozen=True)
class InboundMessage:
    """Everything mailbot needs to know about one received message.

    Message-IDs are stored without angle brackets and compared case-sensitively
    in the local part, as RFC 5322 says; the parser normalises surrounding
    whitespace only.
    """

    message_id: str
    synthetic_id: bool  # True when the message had no usable Message-ID
    from_addr: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    subject: str
    date: datetime | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str  # the whole text body (HTML converted when no text part)
    new_text: str  # text without quoted history and signature
    attachments: tuple[Attachment, ...]
    auto_reason: str | None  # why this is automatic mail (SPEC section 5); None = human
    is_bounce: bool
    bounced_ids: tuple[str, ...]  # Message-IDs of the original mail a bounce (or bounce-like mail) quotes
    auth_results: tuple[str, ...]  # Authentication-Results values, topmost first
    return_path: str | None
    size: int
    defects: tuple[str, ...] = field(default=())
    sealed: str = ""  # "S/MIME" or "OpenPGP": the content is encrypted (or opaque-signed) and unreadable here
    delivery: DeliveryReport | None = None  # a bounce's or a delivery report's verdict (SPEC 5)
    precedence_only: bool = False  # automatic only by Precedence/list headers: no other sign of a machine
    # From was not the person (`core.matching.on_behalf`): the address that sent it on behalf of the one in
    # Reply-To, now `from_addr`. Whatever vouched for that From vouches for nothing of the person's.
    relay: str = ""

    @property
    def is_automatic(self) -> bool:
        return self.auto_reason is not None

    @property
    def cited_ids(self) -> tuple[str, ...]:
        """In-Reply-To first, then References newest first, without repeats."""
        seen: dict[str, None] = {}
        for mid in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(mid, None)
        return tuple(seen)


@dataclass(frozen=True)
class Contact:
    """The consultation form's fields (seed 003): from the requester's mail or set by staff."""

    name: str = ""
    organisation: str = ""
    address: str = ""
    phone: str = ""

    def merged(self, other: Contact) -> Contact:
        """This contact with its empty fields filled from `other`, and its name made whole
        when `other` names the same person more fully (From "Joko", later signed "Joko Susilo")."""
        name = other.name if _name_words(self.name) < _name_words(other.name) else self.name or other.name
        return Contact(name, self.organisation or other.organisation,
                       self.address or other.address, self.phone or other.phone)


def _name_words(name: str) -> set[str]:
    return set(re.findall(r"[^\W\d_]+", name.lower()))


# A caller or visitor who gave no e-mail address (SPEC 3) is the requester of their ticket by
# a placeholder in a reserved domain (RFC 2606: `.invalid` never resolves): it never
# receives mail (`has_mailbox`), and is never a participant any mail could write as.
NO_MAILBOX_DOMAIN = "tanpa-email.invalid"


def no_mailbox(channel: str) -> str:
    """The requester address of a caller (`telepon`) or visitor (`datang`) without e-mail."""
    return f"{channel}@{NO_MAILBOX_DOMAIN}"


def has_mailbox(address: str) -> bool:
    """Whether mail can go to `address`: not a placeholder, nor any `.invalid` address."""
    return bool(address) and not address.lower().rstrip(".").endswith(".invalid")


@dataclass(frozen=True)
class Ticket:
    """A snapshot of one ticket; the lifecycle returns new snapshots, never mutates."""

    id: int | None
    mailbox: str
    number: str
    state: State
    requester: Address
    subject: str
    created_at: datetime
    updated_at: datetime
    category: str | None = None
    priority: str | None = None
    assignee: str | None = None
    language: str = "id"
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    closed_at: datetime | None = None
    rating: int | None = None
    lkpp_ticket: str | None = None
    lkpp_ref: str | None = None  # the counterpart's reference exactly as LKPP's system wrote it: "[lkpp.test #5]"
    lkpp_ref_form: str | None = None  # its form (`counterpart.Reference.form`)
    reopened_from: int | None = None
    participants: frozenset[str] = frozenset()
    contact: Contact = field(default_factory=Contact)
    channel: str = "email"  # how the case came in: email | telepon | datang (SPEC 3)
    taken_by: str | None = None  # the staff member who took the call or the visit
    queue_number: str | None = None  # a walk-in's `Nomor Antrian` (seed 004 section 1 step 2)
    # Seed 002: 3x24 hours "dengan syarat kelengkapan dokumen pendukung terpenuhi" (SPEC 6):
    # while the ticket waits for its requester's documents (`awaiting_info`)
    # the standard's clock stands still. `waiting_since`: when the present wait began (kept on
    # a ticket closed while waiting: nobody answered); `waited`: the waits that ended before.
    waiting_since: datetime | None = None
    waited: timedelta = timedelta(0)
    info_asked_by: str | None = None  # who waits for the documents: "lkpp" (E13, E12a) or "unit" (E12g)

    def with_id(self, ticket_id: int) -> Ticket:
        from dataclasses import replace

        return replace(self, id=ticket_id)

    def moved(self, state: State, at: datetime, asked_by: str | None = None) -> Ticket:
        """The ticket in `state` from `at`, its waits for the requester's documents counted
        (SPEC 6 `resolution`): entering `awaiting_info` starts one (`asked_by` names who
        waits: "unit" for staff's `#minta-data`, else LKPP), leaving it for any state but
        `closed` ends it at `at`. A ticket closed while waiting keeps `waiting_since`: the
        documents never came; reopened later, its wait ends then."""
        from dataclasses import replace

        if state is self.state:
            return self
        if state is State.AWAITING_INFO:
            since = self.waiting_since if self.waiting_since is not None else at
            return replace(self, state=state, waiting_since=since, info_asked_by=asked_by or "lkpp")
        if self.waiting_since is not None and state is not State.CLOSED:
            waited = self.waited + max(at - self.waiting_since, timedelta(0))
            return replace(self, state=state, waiting_since=None, waited=waited, info_asked_by=None)
        return replace(self, state=state, info_asked_by=None if state is not State.CLOSED else self.info_asked_by)

    def waited_until(self, at: datetime) -> timedelta:
        """How long the ticket has waited for its requester's documents by `at`, in all."""
        running = max(at - self.waiting_since, timedelta(0)) if self.waiting_since is not None else timedelta(0)
        return self.waited + running


class Audience(enum.StrEnum):
    """Who a mail goes to; the daemon turns audiences into addresses."""

    REQUESTER = "requester"
    STAFF = "staff"  # staff_notify or every staff address
    SENDER = "sender"  # the author of the inbound message
    COORDINATORS = "coordinators"
    LKPP = "lkpp"  # escalation.address
    HEADS = "heads"  # heads of unit (the daily digest)
    ASSIGNEE = "assignee"  # the staff member a ticket is assigned to


AUTO_REPLIED = "auto-replied"
AUTO_GENERATED = "auto-generated"

# Message-IDs mailbot makes up to key a message it could not key by its own: a mail
# without one gets a synthetic id in this domain; a different mail under an id already
# handled gets the id with this mark and a digest after it. No mail client knows them:
# mailbot's mail never cites them (`threads.citable_id`).
SYNTHETIC_ID_DOMAIN = "mailbot.invalid"
REUSED_ID_MARK = ".reused-"


@dataclass(frozen=True)
class Send:
    """One mail to render from template `kind` and put in the outbox."""

    kind: str
    to: Audience
    cc: tuple[Audience, ...] = ()
    auto: str | None = None  # Auto-Submitted value, None for human-authored content
    attach: str | None = None  # "inbound": this message's files; "ticket": the requester's and this staff message's
    text: str | None = None  # relayed text (quoted history removed)
    context: dict[str, object] = field(default_factory=dict)
    title: str = ""  # the subject's text when no ticket gives one (the monthly summary)
    inline: tuple[InlineImage, ...] = ()  # images the HTML part shows by cid:
    files: tuple[Attachment, ...] = ()  # files attached as they are (the recap)


@dataclass(frozen=True)
class HistoryEvent:
    kind: str
    actor: str
    detail: Mapping[str, object] = field(default_factory=dict)


class TimerKind(enum.StrEnum):
    """The SLA timers of SPEC section 6."""

    FIRST_RESPONSE = "first_response"
    LKPP_STATUS = "lkpp_status"
    LKPP_PROGRESS = "lkpp_progress"
    AWAITING_INFO = "awaiting_info"
    CONFIRM_CLOSE = "confirm_close"
    RESOLUTION = "resolution"
    COORDINATOR_DIRECTION = "coordinator_direction"  # #koordinator waits for direction
    HEAD_DIRECTION = "head_direction"  # #lapor-kepala waits for the head's recommendation


@dataclass(frozen=True)
class Timer:
    """One running deadline of a ticket; `step` counts how often it has fired."""

    kind: TimerKind
    started_at: datetime  # aware
    due_at: datetime  # aware
    step: int = 0


@dataclass(frozen=True)
class StoredTimer:
    """A timer as the store keeps it: its row id, its ticket, how often its firing failed."""

    id: int
    ticket_id: int
    timer: Timer
    failures: int = 0

    @property
    def kind(self) -> TimerKind:
        return self.timer.kind


@dataclass(frozen=True)
class ThreadMessage:
    """One message of a ticket's thread, as matching and relaying need it."""

    direction: str  # in | out
    role: str  # requester | staff | lkpp | ... ('' for mail mailbot sent)
    message_id: str
    body: str
    archive_path: str | None
    has_attachments: bool
    kind: str = ""  # in: what was decided (`Decision.label`), e.g. unverified_note; out: the mail kind
    at: str = ""  # when it was recorded (the store's UTC timestamp)


@dataclass(frozen=True)
class Quarantined:
    """A message set aside with its reason (SPEC section 6: nothing is lost)."""

    id: int
    mailbox: str
    at: datetime
    message_id: str
    reason: str
    archive_path: str | None


@dataclass(frozen=True)
class Seen:
    """A Message-ID already known: `handled` or `quarantined`, which way, and its content hash."""

    status: str
    direction: str  # in | out (mail mailbot sent)
    content_hash: str | None  # None for rows from before hashes were kept
    sender: str = ""  # what the handled message said, to know a copy of it (see `matching.list_copy`)
    subject: str = ""
    text: str | None = None  # its whole text; None when unknown (quarantined, sent)
    attachments: int = 0
    ticket_id: int | None = None  # the ticket it is on, where it is on one


@dataclass(frozen=True)
class Arrived:
    """What was recorded of one IMAP message of the INBOX: the record's Message-ID, the
    outcome (processed, duplicate, quarantined) and the folder it goes to."""

    message_id: str
    outcome: str
    folder: str


@dataclass(frozen=True)
class OutboxRow:
    """One mail waiting in the outbox; `rcpt` are the recipients still to be accepted."""

    id: int
    mailbox: str
    ticket_id: int | None
    message_id: str
    kind: str
    mail_from: str
    rcpt: tuple[str, ...]
    raw: bytes
    attempts: int
    created_at: datetime
    audience: str
    archive_path: str = ""  # where the archive keeps it as it went out, named when it was queued ("": none yet)

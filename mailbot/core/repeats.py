"""A requester's mail sent twice under new Message-IDs (SPEC 3: mail that arrives twice adds
to the existing ticket, never opens a duplicate). Pure.

Send pressed twice, a webmail's double click, a phone app that sends again after a
time-out, the same mail to the unit's second address: each copy has its own Message-ID,
so the Message-ID check of SPEC 3 does not see them. A copy is the same mail as the one
that opened a ticket of the same requester that still waits (same subject and text,
spacing and case aside), arrived within `WINDOW` of it, and written before the unit's
first answer on that ticket went out: by its arrival or by the Date its client wrote.

The same words written after that answer are a new mail, handled as before: a person
telling a new problem in the same short words ("Mohon bantuan"), or an auto-responder
that looks human and answers each of our acks with the same text; the loop limits of
SPEC 5 stop that one as they always did.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailbot.model import Attachment, InboundMessage, Ticket

WINDOW = timedelta(hours=1)
# A copy is written once: its Date is the first one's (a phone sending again) or close to it
# (Send pressed twice, the file forgotten). Further apart by the sender's clock, it was written again.
REWRITTEN = timedelta(minutes=10)

Files = tuple[tuple[str, str], ...]  # (file name, SHA-256 of its bytes), sorted


@dataclass(frozen=True)
class Opening:
    """The mail that opened one of a requester's waiting tickets, as the store knew it."""

    ticket: Ticket
    subject: str
    text: str  # its whole text
    files: Files | None  # its attachments (`files_of`); None: not known (its archive unreadable)
    received_at: datetime  # when it reached the mailbox
    answered_at: datetime | None  # when the first mail to the requester on that ticket was sent; None: none yet
    written_at: datetime | None = None  # its Date, by the sender's own clock; None: not known


@dataclass(frozen=True)
class Repeat:
    """The ticket a message is a copy of; `exact`: the same files too, so nothing new."""

    ticket: Ticket
    exact: bool


def files_of(attachments: tuple[Attachment, ...]) -> Files:
    return tuple(sorted((a.filename, hashlib.sha256(a.data).hexdigest()) for a in attachments))


def repeat_of(msg: InboundMessage, received_at: datetime, openings: tuple[Opening, ...]) -> Repeat | None:
    """The waiting ticket whose opening mail `msg` is a copy of, the newest first; None if none.
    A copy whose words are the same but whose files are not (the file forgotten the first
    time) still belongs to the ticket, though it is not `exact`."""
    files = files_of(msg.attachments)
    for opening in openings:
        if not same_words(msg, opening.subject, opening.text) or not _in_time(msg, received_at, opening):
            continue
        exact = opening.files == files
        if msg.text.strip() or (exact and files):
            return Repeat(opening.ticket, exact)
    return None


def same_words(msg: InboundMessage, subject: str, text: str) -> bool:
    """Whether `msg` says what an earlier mail with this subject and text said (spacing and
    case aside): the cheap test, made before an earlier mail's files are read."""
    return (_words(msg.subject), _words(msg.text)) == (_words(subject), _words(text))


def _in_time(msg: InboundMessage, received_at: datetime, opening: Opening) -> bool:
    """Within `WINDOW` of the first copy's arrival, and written before the first answer went
    out. Both dates have whole seconds: a copy dated in the second the answer went out may
    answer it, and is a new mail."""
    if abs(received_at - opening.received_at) > WINDOW:
        return False
    if msg.date is not None and opening.written_at is not None and abs(msg.date - opening.written_at) > REWRITTEN:
        return False  # a chaser in the same words, also from a client whose clock runs slow
    if opening.answered_at is None:
        return True
    written = min(received_at, msg.date) if msg.date is not None else received_at
    return written < opening.answered_at.replace(microsecond=0)


def _words(text: str) -> str:
    return " ".join(text.split()).lower()

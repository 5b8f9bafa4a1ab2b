"""SPEC 3, pure: which mail is a requester's copy of the mail that opened their waiting ticket.

A copy: the same subject and text (spacing and case aside), arrived within the hour, and
written before the unit's first answer on that ticket went out (by arrival or by its own
Date). The same words written after that answer, or days later, are a new mail.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from mailbot.core.repeats import Opening, files_of, repeat_of
from mailbot.model import Address, State, Ticket
from mailbot.parsers import parse_message

T0 = datetime(2026, 11, 23, 3, 0, 0, tzinfo=UTC)  # 10:00 WIB, a Monday
SUBJECT = "Akun PPK terkunci"
TEXT = "Selamat pagi,\nakun PPK saya terkunci.\nMohon bantuan.\n\nBudi"
PDF = b"%PDF-1.4 bukti"
TICKET = Ticket(id=1, mailbox="t", number="2026-00001", state=State.OPEN, requester=Address("budi@vendor.test"),
                subject=SUBJECT, created_at=T0, updated_at=T0)


def message(subject: str = SUBJECT, text: str = TEXT, *, date: datetime | None = T0, files: tuple = ()):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "budi@vendor.test", "lpse@lpse.test", subject
    msg["Message-ID"] = "<copy-2@vendor.test>"
    if date is not None:
        msg["Date"] = format_datetime(date)
    msg.set_content(text)
    for name, data in files:
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return parse_message(msg.as_bytes())


def opening(*, answered: datetime | None = T0 + timedelta(seconds=5), files: tuple = (),
            received: datetime = T0) -> Opening:
    return Opening(TICKET, SUBJECT, TEXT, files_of(message(files=files).attachments), received, answered)


def test_a_copy_that_arrived_before_the_ack_went_out_is_the_first_ticket():
    found = repeat_of(message(), T0 + timedelta(seconds=2), (opening(),))
    assert found is not None and found.ticket is TICKET and found.exact


def test_other_line_breaks_spacing_and_case_are_the_same_mail():
    """A phone client that wraps lines otherwise, a subject typed with two spaces."""
    copy = message("akun  PPK Terkunci", TEXT.replace("\nMohon", "  mohon"))
    assert repeat_of(copy, T0 + timedelta(seconds=2), (opening(),)) is not None


def test_a_copy_sent_again_minutes_later_under_the_date_it_was_written_is_the_first_ticket():
    """A phone app that timed out sends again after the ack went out, with the first Date."""
    assert repeat_of(message(date=T0), T0 + timedelta(minutes=20), (opening(),)) is not None


def test_the_same_words_written_after_the_ack_are_a_new_mail():
    """A human-looking auto-responder answering our ack, or a person writing again: SPEC 5's
    limits, not this rule, stop a loop; and a new problem in the same words is a new ticket."""
    later = T0 + timedelta(seconds=5)
    assert repeat_of(message(date=later), later, (opening(answered=later),)) is None
    assert repeat_of(message(date=T0 + timedelta(minutes=10)), T0 + timedelta(minutes=10), (opening(),)) is None
    # dated in the very second the ack went out: it may answer it, so it is a new mail
    assert repeat_of(message(date=later), later + timedelta(seconds=1),
                     (opening(answered=later + timedelta(microseconds=300_000)),)) is None


def test_with_no_answer_sent_yet_only_an_hour_counts():
    """The ack held by a limit or not sent (an old backlog): copies within the hour are one
    mail, the same short words two days apart are two problems."""
    quiet = opening(answered=None)
    assert repeat_of(message(date=None), T0 + timedelta(minutes=50), (quiet,)) is not None
    assert repeat_of(message(date=None), T0 + timedelta(hours=1, minutes=1), (quiet,)) is None
    assert repeat_of(message(date=T0), T0 + timedelta(days=2), (quiet,)) is None


def test_other_words_are_another_mail():
    assert repeat_of(message(text=TEXT + "\nNIP 19800101"), T0 + timedelta(seconds=2), (opening(),)) is None
    assert repeat_of(message(subject="Akun PP terkunci"), T0 + timedelta(seconds=2), (opening(),)) is None


def test_the_copy_with_the_forgotten_file_joins_but_is_not_exact():
    """Staff must still get the file: the ticket is the first one, the mail is new to them."""
    found = repeat_of(message(files=(("bukti.pdf", PDF),)), T0 + timedelta(seconds=30), (opening(),))
    assert found is not None and found.ticket is TICKET and not found.exact
    other = repeat_of(message(files=(("bukti.pdf", PDF + b"2"),)), T0 + timedelta(seconds=30),
                      (opening(files=(("bukti.pdf", PDF),)),))
    assert other is not None and not other.exact
    same = repeat_of(message(files=(("bukti.pdf", PDF),)), T0 + timedelta(seconds=30),
                     (opening(files=(("bukti.pdf", PDF),)),))
    assert same is not None and same.exact


def test_files_alone_repeat_only_when_they_are_the_same_files():
    """A scan sent twice with no words: the same files are a copy; other files are not."""
    scan = opening(files=(("scan.pdf", PDF),))
    scan = Opening(TICKET, SUBJECT, "", scan.files, T0, scan.answered_at)
    assert repeat_of(message(text="", files=(("scan.pdf", PDF),)), T0 + timedelta(seconds=2), (scan,)) is not None
    assert repeat_of(message(text="", files=(("scan2.pdf", PDF),)), T0 + timedelta(seconds=2), (scan,)) is None
    assert repeat_of(message(text=""), T0 + timedelta(seconds=2), (Opening(TICKET, SUBJECT, "", (), T0, None),)) is None


def test_the_same_words_written_again_well_after_the_first_are_a_new_mail():
    """SPEC E2: 'Mohon segera dibantu' sent to the ack again 40 minutes later, nothing from
    the unit in between, is a chaser that staff must hear of, not a copy: by the sender's own
    clock it was written 40 minutes after the first (a copy is written once; a phone that
    sends again keeps the first Date). This holds when that clock runs slow too."""
    first = replace(opening(answered=None), written_at=T0)
    later = T0 + timedelta(minutes=40)
    assert repeat_of(message(date=later), later, (first,)) is None
    slow = timedelta(minutes=45)  # both Dates 45 minutes behind: the second still 30 minutes after the first
    first = replace(opening(), written_at=T0 - slow)
    later = T0 + timedelta(minutes=30)
    assert repeat_of(message(date=later - slow), later, (first,)) is None
    # Send pressed twice, a phone sending again with its first Date: still copies
    assert repeat_of(message(date=T0 - slow + timedelta(seconds=20)), T0 + timedelta(seconds=2), (first,)) is not None
    assert repeat_of(message(date=T0 - slow), later, (first,)) is not None

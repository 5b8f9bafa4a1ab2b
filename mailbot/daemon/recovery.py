"""After `mailbot restore`: the mail handled after the backup, found and handled once.

A restore puts the backup's database back, but the daemon went on after the backup: it
moved mail to Processed (or Quarantine) whose records are gone now, issued ticket numbers
and mailed them. `mailbot restore` leaves a mark for each mailbox (`RECOVERY`), and the
first pass of that mailbox (the daemon's, or `run --once`'s) makes this recovery before it
reads the INBOX:

1. the ticket counters go past every number the mailbox folders' subjects name (the
   server searches the subjects for the tag prefix; only the matches' header fields are
   fetched): the requesters' replies carry the numbers they were mailed, even where the
   archive is lost with the database; a reply that cites an ack's signed Message-ID also
   says which request got that number and that it was acked (`Restored.learn_restored`).
   The sent folder (`imap.sent_folder`) holds a copy of every mail mailbot sent:
   the counters go past every number mailed, and each copy whose Message-ID mailbot signed
   for this mailbox says which request got which number and what went to whom then
   (`Restored.learn_sent`), as the archive would: read from the backup's day on;
2. the audit with repair (`mailbot.daemon.mailbox_audit`) of the INBOX, Processed and Quarantine, from
   the positions the backup holds: each message there that no record names goes back to
   the INBOX, and this very pass handles it under the ordinary rules. A ticket it opens
   takes the number its requester was mailed and the mail that went out then is recorded,
   not sent again (`Restored.restored_number`, `Restored.claim_restored`: what the restore read
   from the archive and the replaced database);
3. the mail put back is handled first, in the order it came, and only then the mail that
   reached the INBOX while the daemon was stopped (`App.recover`): a requester's reply to
   an ack of then finds its ticket;
4. the mark is removed. Until the whole recovery went through it stays, and no mail of
   that INBOX is read (a server failure tries it again on the next pass, as any pass).

The daemon makes it, not `restore` itself: the restore is done with the daemon stopped, and
the IMAP server may be down or its password only in the service's credentials then; the
mark survives restarts and is made on the session and with the failure handling every
pass has, and nothing else can open a ticket between the counters raised and the pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import default
from typing import Any

from mailbot.core.matching import find_tag
from mailbot.core.tokens import verify
from mailbot.daemon.mailbox_audit import Auditor
from mailbot.daemon.main_thread_store import MainThreadStore
from mailbot.io import imap
from mailbot.io.backup import BACKUP_TAKEN_AT, sent_row
from mailbot.io.store.restored import RECOVERY
from mailbot.settings import Config, MailboxConfig

_NUMBER = re.compile(r"^(\d{4})-(\d+)$")
# The sent folder is read from this long before the backup was taken (by INTERNALDATE, which
# the server compares by day in its own time zone; the old host's clock may have been off).
SENT_MARGIN = timedelta(days=2)


class Recovery:
    """The recovery of one configuration's mailboxes after a restore."""

    def __init__(self, cfg: Config, store: MainThreadStore, key: bytes, clock: Callable[[], datetime],
                 log: Any) -> None:
        self.cfg, self.store, self.key, self.clock, self.log = cfg, store, key, clock, log

    def due(self, box: MailboxConfig) -> bool:
        return self.store.meta(RECOVERY + box.name) is not None

    def run(self, box: MailboxConfig, session: imap.Mailbox) -> list[int]:
        """Counters, then the mail handled after the backup back in the INBOX: the INBOX UIDs
        it holds now (above every UID the INBOX had), for the daemon to handle first."""
        raised = self.counters(box, session)
        before = max(session.pending_uids(0), default=0)
        auditor = Auditor(self.cfg, self.store, self.clock, self.log)
        found = auditor.inbox(box, session, repair=True, full=False)
        for folder in dict.fromkeys((box.imap.processed_folder, box.imap.quarantine_folder)):
            found += auditor.folder(box, session, folder, repair=True, full=False)
        self.log.warning("restore_recovered", mailbox=box.name, put_back=len(found), counters_raised=raised)
        return session.pending_uids(before) if found else []

    def done(self, box: MailboxConfig) -> None:
        """The recovery made: the mark removed."""
        self.store.delete_meta(RECOVERY + box.name)

    def counters(self, box: MailboxConfig, session: imap.Mailbox) -> list[str]:
        """The mailbox's counters past the highest number its folders' subjects name; and
        from each requester's reply to an ack (it cites the ack's signed Message-ID, and
        before it the request's), which request got which number and that it was acked:
        known so even when the archive is lost with the database."""
        prefixes = dict.fromkeys((box.tag_prefix, *self.store.tag_prefixes(box.name)))
        highest: dict[int, int] = {}
        acked: list[tuple[str | None, str, str, str]] = []
        for folder in dict.fromkeys((box.imap.folder, box.imap.processed_folder, box.imap.quarantine_folder)):
            with session.examining(folder):
                for prefix in prefixes:
                    for found in session.tagged(prefix):
                        match = _NUMBER.match(find_tag(found.subject, prefix) or "")
                        if match:
                            year = int(match[1])
                            highest[year] = max(highest.get(year, 0), int(match[2]))
                        if (ack := answered_ack(self.key, box.name, found.answers)) is not None and found.sender:
                            acked.append((*ack, found.sender))
        for year, last in self.sent(box, session, prefixes):
            highest[year] = max(highest.get(year, 0), last)
        raised = []
        for year, last in sorted(highest.items()):
            before = self.store.raise_counter(box.name, year, last)
            if before is not None:
                raised.append(f"{year}: {before} -> {last}")
        if acked:
            self.store.learn_restored(box.name, acked, self.clock())
        return raised

    def sent(self, box: MailboxConfig, session: imap.Mailbox, prefixes: Any) -> list[tuple[int, int]]:
        """What the sent folder says was mailed: each copy of this mailbox's mail
        (its Message-ID signed with the key: a message put there by anyone else tells
        nothing) learned as the archive's would be (`Restored.learn_sent`), and the notes of
        copies the folder holds already let go; the (year, number) of every ticket number
        its copies name, signed or in a subject's tag (a number too many costs nothing)."""
        folder = box.imap.sent_folder
        if folder is None:
            return []
        taken = self.store.meta(BACKUP_TAKEN_AT)
        since = _day_before(taken)
        numbers: list[tuple[int, int]] = []
        mine: list[dict[str, Any]] = []
        parser = BytesHeaderParser(policy=default)
        with session.examining(folder):
            copies = session.copies(since)
        for block, at in copies:
            headers = parser.parsebytes(block)
            row = sent_row(box.name, headers, at or self.clock())
            token = verify(self.key, row["message_id"]) if row else None
            if row is not None and token is not None and token.mailbox == box.name:
                mine.append({**row, "kind": token.kind, "number": token.ticket})
            subject = _subject(headers)
            for prefix in prefixes:
                numbers += _numbers(find_tag(subject, prefix))
            numbers += _numbers(token.ticket if token else None)
        if mine:
            learned = self.store.learn_sent(box.name, mine, self.clock())
            found = self.store.copies_found(box.name, [m["message_id"] for m in mine])
            self.log.info("restore_read_sent_folder", mailbox=box.name, folder=folder, copies=len(copies),
                          learned=learned, copies_there_already=found)
        return numbers


def _subject(headers: Any) -> str:
    """A copy's Subject as a mail client shows it ("" where it does not parse)."""
    try:
        return str(headers.get("subject", "") or "")
    except Exception:  # noqa: BLE001 - a header that does not parse names no number
        return ""


def _numbers(number: str | None) -> list[tuple[int, int]]:
    """A ticket number ("2026-00042") as (year, sequence); none for anything else."""
    match = _NUMBER.match(number or "")
    return [(int(match[1]), int(match[2]))] if match else []


def _day_before(taken: str | None) -> date | None:
    """The day the sent folder is read from: `SENT_MARGIN` before the backup was taken
    (None: the backup's time is not known, the whole folder is read)."""
    try:
        return (datetime.fromisoformat(taken) - SENT_MARGIN).date() if taken else None
    except ValueError:
        return None


def answered_ack(key: bytes, mailbox: str, answers: tuple[str, ...]) -> tuple[str | None, str, str] | None:
    """(the request's Message-ID or None, the ack's, its ticket number) when a message
    answers an ack of this mailbox: the ack's Message-ID verifies with the key (SPEC 9) and
    the one cited before it is the request the ack answered (the ack's own References)."""
    for at, message_id in enumerate(answers):
        token = verify(key, message_id)
        if token is not None and token.mailbox == mailbox and token.kind == "ack" and token.ticket:
            return (answers[at - 1] if at > 0 else None), message_id, token.ticket
    return None

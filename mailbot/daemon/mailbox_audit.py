"""`mailbot audit`: do the mailbox, the archive and the records agree?

Every message that reached the INBOX ends in a ticket or in Quarantine with its reason,
and nobody has to trust that blindly. The audit looks at three things, each from where
the last audit left off (so it stays cheap on a Processed folder of years):

- the INBOX up to the stored position (what no pass reads again), and the Processed and
  Quarantine folders: a message there that no record names (a staff
  member dragged it from the INBOX in a mail client, or a record was lost). The UIDs
  mailbot moved there are known from the server's COPYUID answer (`arrivals`); only the
  others are looked at, by Message-ID and content hash;
- the records since the last audit: one whose archived copy is not there;
- the archive files written since the last audit: one that no record names.

`--repair` moves each unrecorded message back to the INBOX, where the pipeline handles
it once under the ordinary rules (its arrival time is kept: mail older than
`ack_max_age_hours` gets a ticket without an ack). Nothing is ever deleted; a repair run
twice finds nothing the second time. A folder's position stops before a message still
unrecorded, so it is named by every audit until it is repaired; archive findings are
named by the audit that finds them (`--full` looks at everything again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mailbot.core.audit import ARCHIVE_MISSING, ARCHIVE_UNRECORDED, UNRECORDED, Finding, pinned
from mailbot.daemon.main_thread_store import MainThreadStore
from mailbot.io import imap
from mailbot.io.store import moment, ts
from mailbot.parsers import content_hash, synthetic_message_id
from mailbot.settings import Config, MailboxConfig

# An archive file younger than this may belong to a message whose unit of work is still
# committing (the file is written first): the next audit looks at it.
SETTLE = timedelta(minutes=10)


class Auditor:
    """The audit of one configuration's mailboxes; store reads and writes run on the store's
    thread (`MainThreadStore`: the daemon's watcher threads audit on their own IMAP session)."""

    def __init__(self, cfg: Config, store: MainThreadStore, clock: Callable[[], datetime], log: Any) -> None:
        self.cfg, self.store, self.clock, self.log = cfg, store, clock, log

    def mailbox(self, box: MailboxConfig, session: imap.Mailbox, *, repair: bool = False,
                full: bool = False) -> list[Finding]:
        """Every finding of one mailbox, in folder, records and archive order."""
        findings = self.inbox(box, session, repair=repair, full=full)
        for folder in dict.fromkeys((box.imap.processed_folder, box.imap.quarantine_folder)):
            findings += self.folder(box, session, folder, repair=repair, full=full)
        findings += self.records(box, full=full)
        findings += self.archive(box, full=full)
        self.log.info("audit_done", mailbox=box.name, findings=len(findings), repair=repair, full=full)
        return findings

    # --- the folders -----------------------------------------------------------------------

    def folder(self, box: MailboxConfig, session: imap.Mailbox, folder: str, *, repair: bool,
               full: bool) -> list[Finding]:
        key = f"audit:{box.name}:folder:{folder}"
        with session.examining(folder, readonly=not repair) as validity:
            start = 0 if full else self._folder_position(key, validity)
            listed = session.pending_uids(start)
            placed = self.store.placed_uids(box.name, folder, validity, start)
            unknown = [uid for uid in listed if uid not in placed]
            found = [Finding(UNRECORDED, folder, head.uid, validity, head.message_id, head.date, head.sender,
                             head.subject)
                     for head in session.heads(unknown) if not self._recorded(box, session, head)]
            if repair and found:
                session.move([f.uid for f in found if f.uid is not None], box.imap.folder)
                found = [replace(f, repaired=True) for f in found]
                for f in found:
                    self.log.info("audit_repaired", mailbox=box.name, folder=folder, uid=f.uid,
                                     message_id=f.message_id)
            position = pinned(start, listed, [] if repair else [f.uid for f in found if f.uid is not None])
        self.store.set_meta(key, f"{validity}:{position}")
        return found

    def inbox(self, box: MailboxConfig, session: imap.Mailbox, *, repair: bool, full: bool) -> list[Finding]:
        """Messages in the INBOX that the stored position has passed (so no pass reads them
        again) with no record: a lost record, a position set past them. `--repair` sets the
        position back before the first of them; the next pass reads them again (those after
        it that were recorded are only moved, never handled twice)."""
        validity = session.uidvalidity
        known, position = self.store.imap_position(box.name, box.imap.folder)
        if known != validity or not position:
            return []  # nothing passed yet in this UIDVALIDITY: every message in it is still to be read
        key = f"audit:{box.name}:inbox"
        start = 0 if full else self._folder_position(key, validity)
        listed = [uid for uid in session.pending_uids(start) if uid <= position]
        arrived = self.store.arrivals_of(box.name, validity, listed) if listed else {}
        unknown = [uid for uid in listed if uid not in arrived]
        found = [Finding(UNRECORDED, box.imap.folder, head.uid, validity, head.message_id, head.date, head.sender,
                         head.subject)
                 for head in session.heads(unknown) if not self._recorded(box, session, head)]
        if repair and found:
            lowest = min(f.uid for f in found if f.uid is not None)
            self.store.set_imap_position(box.name, box.imap.folder, validity, lowest - 1, self.clock())
            found = [replace(f, repaired=True, repair_note="left for the next pass to read") for f in found]
            for f in found:
                self.log.info("audit_repaired", mailbox=box.name, folder=box.imap.folder, uid=f.uid,
                              message_id=f.message_id)
        after = pinned(start, listed, [] if repair else [f.uid for f in found if f.uid is not None])
        self.store.set_meta(key, f"{validity}:{after}")
        return found

    def _folder_position(self, key: str, validity: int) -> int:
        saved = self.store.meta(key) or ""
        known, _, position = saved.partition(":")
        return int(position) if known == str(validity) and position.isdigit() else 0

    def _recorded(self, box: MailboxConfig, session: imap.Mailbox, head: imap.Head) -> bool:
        """A message mailbot did not say it moved here (no COPYUID, or moved before this
        version): recorded when a record keeps its Message-ID and its content."""
        hashes: list[str | None] = []
        if head.message_id:
            hashes = self.store.recorded_hashes(box.name, head.message_id)
            if None in hashes:
                return True  # recorded before hashes were kept: its id is all there is to go by
        raw = session.raw(head.uid)
        if raw is None:
            return True  # gone meanwhile: nothing to name
        if hashes and content_hash(raw) in hashes:
            return True
        # a Message-ID mailbot could not use: it keyed the message by its bytes
        synthetic = self.store.recorded_hashes(box.name, synthetic_message_id(raw))
        return bool(synthetic)

    # --- the records and the archive ---------------------------------------------------------

    def records(self, box: MailboxConfig, *, full: bool) -> list[Finding]:
        """Records since the last audit whose archived copy is not there."""
        key = f"audit:{box.name}:records"
        saved = "" if full else self.store.meta(key) or ""
        first, _, second = saved.partition(":")
        after = (int(first) if first.isdigit() else 0, int(second) if second.isdigit() else 0)
        rows = self.store.records_after(box.name, *after)
        found = [Finding(ARCHIVE_MISSING, message_id=r["message_id"], date=r["at"] or "", sender=r["sender"] or "",
                         subject=r["subject"] or "", path=r["archive_path"])
                 for r in rows if r["archive_path"] and not (self.cfg.archive_dir / r["archive_path"]).is_file()]
        last = [max((r["id"] for r in rows if r["tbl"] == table), default=was)
                for table, was in (("messages", after[0]), ("quarantine", after[1]))]
        self.store.set_meta(key, f"{last[0]}:{last[1]}")
        return found

    def archive(self, box: MailboxConfig, *, full: bool) -> list[Finding]:
        """Archive files of received and quarantined mail written since the last audit that
        no record names."""
        key = f"audit:{box.name}:archive"
        saved = None if full else self.store.meta(key)
        since = moment(saved) if saved else None
        until = self.clock() - SETTLE
        found: list[Finding] = []
        for direction in ("in", "quarantine"):
            files = list(_written(self.cfg.archive_dir, box.name, direction, since, until))
            known = self.store.archive_recorded(box.name, files) if files else set()
            found += [Finding(ARCHIVE_UNRECORDED, path=rel) for rel in files if rel not in known]
        self.store.set_meta(key, ts(until))
        return found


def _written(root: Path, mailbox: str, direction: str, since: datetime | None, until: datetime) -> Iterator[str]:
    """Archive paths (relative to `root`) of one mailbox and direction written from `since`
    (None: ever) to `until`; only the month folders that can hold them are listed."""
    base = root / mailbox / direction
    if not base.is_dir():
        return
    earliest = since - timedelta(days=1) if since else None  # the month folders are named in the writer's zone
    low = (earliest.year, earliest.month) if earliest else (0, 0)
    start, stop = since.timestamp() if since else 0.0, until.timestamp()
    for year in sorted(p for p in base.iterdir() if p.is_dir() and p.name.isdigit()):
        for month in sorted(p for p in year.iterdir() if p.is_dir() and p.name.isdigit()):
            if (int(year.name), int(month.name)) < low:
                continue
            for path in month.iterdir():
                if path.suffix != ".eml":
                    continue
                try:
                    written = path.stat().st_mtime
                except FileNotFoundError:
                    continue
                if start <= written < stop:
                    yield path.relative_to(root).as_posix()

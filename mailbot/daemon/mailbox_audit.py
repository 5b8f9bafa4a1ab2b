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

from collections.abc import Callable, Iterator, Mapping
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
            found = self._unrecorded(box, session, folder, validity, [uid for uid in listed if uid not in placed])
            if repair and found:
                session.move(_uids(found), box.imap.folder)
                found = self._repaired(box, folder, found)
            position = pinned(start, listed, [] if repair else _uids(found))
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
        found = self._unrecorded(box, session, box.imap.folder, validity, self._not_arrived(box, validity, listed))
        if repair and found:
            self.store.set_imap_position(box.name, box.imap.folder, validity, min(_uids(found)) - 1, self.clock())
            found = self._repaired(box, box.imap.folder, found, "left for the next pass to read")
        after = pinned(start, listed, [] if repair else _uids(found))
        self.store.set_meta(key, f"{validity}:{after}")
        return found

    def _not_arrived(self, box: MailboxConfig, validity: int, listed: list[int]) -> list[int]:
        """The UIDs no arrival row names."""
        arrived = self.store.arrivals_of(box.name, validity, listed) if listed else {}
        return [uid for uid in listed if uid not in arrived]

    def _unrecorded(self, box: MailboxConfig, session: imap.Mailbox, folder: str, validity: int,
                    unknown: list[int]) -> list[Finding]:
        """Of the messages no arrival row names, those no record keeps either."""
        return [Finding(UNRECORDED, folder, head.uid, validity, head.message_id, head.date, head.sender, head.subject)
                for head in session.heads(unknown) if not self._recorded(box, session, head)]

    def _repaired(self, box: MailboxConfig, folder: str, found: list[Finding],
                  note: str | None = None) -> list[Finding]:
        """The findings marked repaired, each repair logged."""
        done = [replace(f, repaired=True, repair_note=note) if note else replace(f, repaired=True) for f in found]
        for f in done:
            self.log.info("audit_repaired", mailbox=box.name, folder=folder, uid=f.uid, message_id=f.message_id)
        return done

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
        after = _record_position("" if full else self.store.meta(key) or "")
        rows = self.store.records_after(box.name, *after)
        found = [_missing_copy(r) for r in rows
                 if r["archive_path"] and not (self.cfg.archive_dir / r["archive_path"]).is_file()]
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


def _uids(found: list[Finding]) -> list[int]:
    return [f.uid for f in found if f.uid is not None]


def _missing_copy(row: Mapping[str, Any]) -> Finding:
    return Finding(ARCHIVE_MISSING, message_id=row["message_id"], date=row["at"] or "", sender=row["sender"] or "",
                   subject=row["subject"] or "", path=row["archive_path"])


def _record_position(saved: str) -> tuple[int, int]:
    """The last message and quarantine rows an audit saw, as `meta` keeps them ("12:3")."""
    first, _, second = saved.partition(":")
    return int(first) if first.isdigit() else 0, int(second) if second.isdigit() else 0


def _written(root: Path, mailbox: str, direction: str, since: datetime | None, until: datetime) -> Iterator[str]:
    """Archive paths (relative to `root`) of one mailbox and direction written from `since`
    (None: ever) to `until`; only the month folders that can hold them are listed."""
    base = root / mailbox / direction
    if not base.is_dir():
        return
    earliest = since - timedelta(days=1) if since else None  # the month folders are named in the writer's zone
    low = (earliest.year, earliest.month) if earliest else (0, 0)
    start, stop = since.timestamp() if since else 0.0, until.timestamp()
    for month in _month_folders(base, low):
        for path in month.iterdir():
            written = _mtime(path) if path.suffix == ".eml" else None
            if written is not None and start <= written < stop:
                yield path.relative_to(root).as_posix()


def _month_folders(base: Path, low: tuple[int, int]) -> Iterator[Path]:
    """`base/YYYY/MM` folders from the month `low` on, in order."""
    for year in sorted(p for p in base.iterdir() if p.is_dir() and p.name.isdigit()):
        for month in sorted(p for p in year.iterdir() if p.is_dir() and p.name.isdigit()):
            if (int(year.name), int(month.name)) >= low:
                yield month


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # moved or removed meanwhile
        return None

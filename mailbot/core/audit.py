"""What `mailbot audit` finds, as values, and how each finding is named (pure).

A finding names a message precisely enough to find it in a mail client: the folder, its
UID there, Message-ID, date, sender and subject. The audit itself (`mailbot.daemon.mailbox_audit`)
compares the server's folders and the archive with the records and yields these.
"""

from __future__ import annotations

from dataclasses import dataclass

UNRECORDED = "unrecorded"  # a message in Processed, Quarantine or the INBOX (passed) that no record names
ARCHIVE_MISSING = "archive_missing"  # a record whose archived copy is not there
ARCHIVE_UNRECORDED = "archive_unrecorded"  # an archived copy that no record names


@dataclass(frozen=True)
class Finding:
    """One disagreement between the mailbox, the archive and the records."""

    kind: str
    folder: str = ""
    uid: int | None = None
    uidvalidity: int | None = None
    message_id: str | None = None
    date: str = ""
    sender: str = ""
    subject: str = ""
    path: str = ""  # the archive file, for the archive findings
    repaired: bool = False  # `--repair` moved it back to the INBOX (or set the INBOX's position back)
    repair_note: str = "moved back to the INBOX"  # what the repair did, said after the finding

    @property
    def key(self) -> str:
        """The same finding in two audits: alerted once (the daemon's daily audit)."""
        if self.kind == UNRECORDED:
            return f"{self.kind}:{self.folder}:{self.uidvalidity}:{self.uid}"
        return f"{self.kind}:{self.path or self.message_id}"

    def line(self) -> str:
        """One line for the operator (and one item of the coordinators' alert)."""
        mid = f"<{self.message_id}>" if self.message_id else "(no Message-ID)"
        if self.kind == UNRECORDED:
            done = f"; {self.repair_note}" if self.repaired else ""
            return (f"unrecorded: {self.folder} UID {self.uid} Message-ID {mid} date {self.date or '-'} "
                    f"from {self.sender or '-'} subject {_quoted(self.subject)}{done}")
        if self.kind == ARCHIVE_MISSING:
            return (f"archive missing: record Message-ID {mid} from {self.sender or '-'} subject "
                    f"{_quoted(self.subject)} names {self.path}, which is not there")
        return f"archived, no record: {self.path}"


def _quoted(text: str) -> str:
    return '"' + " ".join(text.split()).replace('"', "'")[:200] + '"'


def pinned(start: int, listed: list[int], unrecorded: list[int]) -> int:
    """The position the next audit of a folder starts after: past everything looked at,
    but not past a message still unrecorded (it is named again until it is repaired)."""
    if unrecorded:
        return min(unrecorded) - 1
    return max(listed, default=start)

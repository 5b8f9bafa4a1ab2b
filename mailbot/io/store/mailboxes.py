"""What the store keeps of each mailbox as such: its IMAP position per folder, the address
and tag prefixes its name stood for at each start, and the work left for a mailbox the
configuration no longer has."""

from __future__ import annotations

from datetime import datetime

from mailbot.io.store.database import Database
from mailbot.io.store.meta import Meta
from mailbot.io.store.times import parse_ts, ts


class Mailboxes:
    """Per mailbox name: IMAP positions, recorded addresses and tag prefixes, work left behind."""

    def __init__(self, db: Database, metadata: Meta) -> None:
        self.db = db
        self.metadata = metadata
        self._prefixes: dict[str, tuple[str, ...]] = {}

    def imap_position(self, mailbox: str, folder: str) -> tuple[int | None, int]:
        rows = list(self.db.query("select * from imap_state where mailbox = ? and folder = ?", [mailbox, folder]))
        return (rows[0]["uidvalidity"], rows[0]["last_uid"]) if rows else (None, 0)

    def imap_read_at(self, mailbox: str, folder: str) -> datetime | None:
        """When mailbot last read the folder (its position stored); None: never."""
        rows = list(self.db.query("select updated_at from imap_state where mailbox = ? and folder = ?",
                                  [mailbox, folder]))
        return parse_ts(rows[0]["updated_at"]) if rows else None

    def set_imap_position(self, mailbox: str, folder: str, uidvalidity: int, last_uid: int, now: datetime) -> None:
        self.db.upsert(
            "imap_state",
            {"mailbox": mailbox, "folder": folder, "uidvalidity": uidvalidity, "last_uid": last_uid,
             "updated_at": ts(now)},
            ("mailbox", "folder"),
        )

    def remember_mailbox(self, name: str, address: str, tag_prefix: str | None = None,
                         now: datetime | None = None) -> None:
        """Record at each start the address and the tag prefix a mailbox name stands for:
        a renamed mailbox is caught by its address (`renamed_mailboxes`), and tags with a
        prefix the unit used before stay its own (`tag_prefixes`); and, once, when mailbot
        first started on it (`first_started`: the first daily digest waits for the next
        morning)."""
        self.metadata.set_meta(f"mailbox_address:{name}", address.lower())
        if now is not None and self.metadata.meta(f"first_started:{name}") is None:
            self.metadata.set_meta(f"first_started:{name}", ts(now))
        known = self.tag_prefixes(name)
        if tag_prefix and tag_prefix.lower() not in {p.lower() for p in known}:
            self.metadata.set_meta(f"tag_prefixes:{name}", "\n".join((*known, tag_prefix)))
            self._prefixes.pop(name, None)

    def first_started(self, name: str) -> datetime | None:
        """When mailbot first started on this mailbox (None: before this was recorded)."""
        value = self.metadata.meta(f"first_started:{name}")
        return parse_ts(value) if value else None

    def tag_prefixes(self, name: str) -> tuple[str, ...]:
        """Every tag prefix this mailbox was started with, oldest first (read once: a change
        of `tag_prefix` needs a restart): a reply citing a ticket's first tag after the
        operator changed the prefix still belongs to that ticket."""
        if name not in self._prefixes:
            value = self.metadata.meta(f"tag_prefixes:{name}")
            self._prefixes[name] = tuple(value.split("\n")) if value else ()
        return self._prefixes[name]

    def mailbox_addresses(self) -> dict[str, str]:
        """The address each mailbox name stood for, as recorded at each start (`remember_mailbox`);
        a database from before those records: as its outbox shows (mail goes From the unit)."""
        rows = self.db.query("select key, value from meta where key like 'mailbox_address:%'")
        known = {r["key"].split(":", 1)[1]: r["value"] for r in rows}
        if not known:
            rows = self.db.query("select mailbox, min(lower(mail_from)) as address from outbox group by mailbox")
            known = {r["mailbox"]: r["address"] for r in rows}
        return known

    def ticket_mailboxes(self) -> list[str]:
        """The names of the mailboxes that hold tickets (those the config has, and any it
        no longer has: a unit removed from `mailboxes:` keeps its tickets here)."""
        return [r["mailbox"] for r in self.db.query("select distinct mailbox from tickets order by mailbox")]

    def left_behind(self, configured: tuple[str, ...]) -> dict[str, tuple[int, int, int]]:
        """Work the database holds for mailboxes not in `configured` (a unit removed from the
        config): per name, tickets not closed, mails still to send, deadline timers running."""
        marks = ",".join("?" * len(configured))
        found: dict[str, list[int]] = {}
        for i, (table, waiting) in enumerate((("tickets", "state != 'closed'"), ("outbox", "status = 'pending'"),
                                              ("timers", "active = 1"))):
            sql = f"select mailbox, count(*) from {table} where {waiting} and mailbox not in ({marks}) group by mailbox"
            for name, count in self.db.execute(sql, list(configured)).fetchall():
                found.setdefault(name, [0, 0, 0])[i] = count
        return {name: (c[0], c[1], c[2]) for name, c in sorted(found.items())}

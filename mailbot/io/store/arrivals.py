"""Where each message of an INBOX went: the arrival row recorded with it (its outcome and
the folder it goes to) and its move there, the quarantine record, and the messages the
IMAP server could not return (counted per pass in `meta`, so that `run --once` from a
timer counts them as the daemon does)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mailbot.io.store.database import Database
from mailbot.io.store.meta import Meta
from mailbot.io.store.times import moment, ts
from mailbot.model import Arrived, Quarantined


class _SQLite:
    """What only SQLite reads in this part (a PostgreSQL engine words it otherwise)."""

    # `is ?`: a NULL UIDVALIDITY matches a NULL one
    QUARANTINE_KNOWN = "select 1 from quarantine where mailbox = ? and uidvalidity is ? and uid = ? limit 1"


class _PostgreSQL(_SQLite):
    """The same in PostgreSQL's words: `is not distinct from` for SQLite's `is`."""

    QUARANTINE_KNOWN = ("select 1 from quarantine where mailbox = ? and uidvalidity is not distinct from ? "
                        "and uid = ? limit 1")


class Arrivals:
    """Arrival rows, quarantine records and failed fetches."""

    def __init__(self, db: Database, metadata: Meta) -> None:
        self.db = db
        self.sql = _PostgreSQL if db.dialect == "postgresql" else _SQLite
        self.metadata = metadata

    # --- where each message went ----------------------------------------------------------

    def record_arrival(self, *, mailbox: str, uidvalidity: int, uid: int, message_id: str, outcome: str,
                       folder: str, at: datetime, content_hash: str | None = None) -> None:
        """The IMAP message `uid` is recorded (as `message_id`, `outcome`) and goes to `folder`;
        inside the unit of work that records it, so the row exists only if the record does."""
        self.db.insert("arrivals", {"mailbox": mailbox, "uidvalidity": uidvalidity, "uid": uid,
                                    "message_id": message_id, "outcome": outcome, "folder": folder, "at": ts(at),
                                    "content_hash": content_hash})

    def arrival(self, mailbox: str, uidvalidity: int | None, uid: int) -> Arrived | None:
        """What was recorded of the INBOX message `uid` (None: nothing, it is new)."""
        if uidvalidity is None:
            return None
        found = self.arrivals_of(mailbox, uidvalidity, [uid])
        return found.get(uid)

    def arrivals_of(self, mailbox: str, uidvalidity: int, uids: Sequence[int]) -> dict[int, Arrived]:
        """The committed arrival rows of these INBOX UIDs: what may leave the INBOX, and where to."""
        found: dict[int, Arrived] = {}
        for start in range(0, len(uids), 500):
            part = list(uids[start:start + 500])
            marks = ",".join("?" * len(part))
            for row in self.db.query(f"select uid, message_id, outcome, folder from arrivals where mailbox = ? and "
                                     f"uidvalidity = ? and uid in ({marks})", [mailbox, uidvalidity, *part]):
                found[row["uid"]] = Arrived(row["message_id"], row["outcome"], row["folder"])
        return found

    def placed(self, mailbox: str, uidvalidity: int, uids: Sequence[int], target_validity: int | None,
               target_uids: Mapping[int, int], at: datetime) -> None:
        """These INBOX messages were moved (to the folder their arrival rows name), each to its
        UID there where the server said (`target_uids`)."""
        with self.db.unit_of_work():  # a statement for a batch of messages, not one a message
            for start in range(0, len(uids), 200):
                part = list(uids[start:start + 200])
                known = [uid for uid in part if uid in target_uids]
                validity, where, args = "null", "null", list[Any]()
                if known:
                    validity = f"case when uid in ({','.join('?' * len(known))}) then ? else null end"
                    where = "case uid " + " ".join("when ? then ?" for _ in known) + " else null end"
                    args = [*known, target_validity, *(value for uid in known for value in (uid, target_uids[uid]))]
                self.db.execute(f"update arrivals set moved_at = ?, dest_uidvalidity = {validity}, dest_uid = {where} "
                                f"where mailbox = ? and uidvalidity = ? and uid in ({','.join('?' * len(part))})",
                                [ts(at), *args, mailbox, uidvalidity, *part])

    def placed_uids(self, mailbox: str, folder: str, uidvalidity: int, after: int) -> set[int]:
        """The UIDs above `after` in `folder` (of this UIDVALIDITY) that mailbot moved there."""
        rows = self.db.execute("select dest_uid from arrivals where mailbox = ? and folder = ? and "
                               "dest_uidvalidity = ? and dest_uid > ?", [mailbox, folder, uidvalidity, after])
        return {int(r[0]) for r in rows}

    def recorded_hashes(self, mailbox: str, message_id: str) -> list[str | None]:
        """The content hashes of what mailbot recorded as received under this Message-ID (or a
        reused id derived from it: `REUSED_ID_MARK`), quarantined ones too; empty: nothing.
        None in the list: recorded before hashes were kept."""
        low, high = message_id + ".reused-", message_id + ".reused."
        rows = self.db.execute(
            "select content_hash from messages where mailbox = ? and direction = 'in' and (message_id = ? or "
            "(message_id >= ? and message_id < ?)) union all select content_hash from quarantine where mailbox = ? "
            "and message_id = ? union all select content_hash from arrivals where mailbox = ? and (message_id = ? or "
            "(message_id >= ? and message_id < ?)) and content_hash is not null",
            [mailbox, message_id, low, high, mailbox, message_id, mailbox, message_id, low, high])
        return [r[0] for r in rows]

    def records_after(self, mailbox: str, message_row: int, quarantine_row: int) -> list[dict[str, Any]]:
        """Received and quarantined records after these row ids, with their archive paths
        (`table`: messages | quarantine), for the audit."""
        rows = self.db.query(
            "select 'messages' as tbl, id, message_id, archive_path, sender, subject, at from messages where "
            "mailbox = ? and direction = 'in' and id > ? union all select 'quarantine' as tbl, id, message_id, "
            "archive_path, '' as sender, reason as subject, at from quarantine where mailbox = ? and id > ? "
            "order by tbl, id", [mailbox, message_row, mailbox, quarantine_row])
        return list(rows)

    def archive_recorded(self, mailbox: str, paths: Sequence[str]) -> set[str]:
        """Of these archive paths, those a received or quarantined record names."""
        found: set[str] = set()
        for start in range(0, len(paths), 500):
            part = list(paths[start:start + 500])
            marks = ",".join("?" * len(part))
            for (path,) in self.db.execute(
                    f"select archive_path from messages where mailbox = ? and direction = 'in' and archive_path in "
                    f"({marks}) union select archive_path from quarantine where mailbox = ? and archive_path in "
                    f"({marks})", [mailbox, *part, mailbox, *part]):
                found.add(path)
        return found

    # --- quarantine -----------------------------------------------------------------

    def record_quarantine(self, *, mailbox: str, uid: int | None, uidvalidity: int | None, message_id: str,
                          reason: str, at: datetime, archive_path: str | None,
                          content_hash: str | None = None, folder: str | None = None) -> bool:
        """The one writer of the quarantine: the message recorded once per IMAP message (the
        same UID seen again, its move having failed before, is not recorded twice) and, given
        the `folder` it goes to, its arrival row unless it has one; in one unit of work.
        Whether the quarantine record is new (a requester is told of a refusal only then)."""
        with self.db.unit_of_work():
            new = uid is None or not self.quarantine_known(mailbox, uidvalidity, uid)
            if new:
                self.db.insert(
                    "quarantine", {"mailbox": mailbox, "uid": uid, "uidvalidity": uidvalidity,
                                   "message_id": message_id, "reason": reason, "at": ts(at),
                                   "archive_path": archive_path, "content_hash": content_hash})
            if (folder is not None and uid is not None and uidvalidity is not None
                    and self.arrival(mailbox, uidvalidity, uid) is None):
                self.record_arrival(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, message_id=message_id,
                                    outcome="quarantined", folder=folder, at=at, content_hash=content_hash)
        return new

    def quarantine_reason(self, mailbox: str, uidvalidity: int, uid: int, reason: str) -> None:
        """The reason of a quarantined IMAP message, said anew (it could not be moved after all)."""
        with self.db.unit_of_work():
            self.db.execute("update quarantine set reason = ? where mailbox = ? and uidvalidity = ? and uid = ?",
                            [reason, mailbox, uidvalidity, uid])

    def quarantine_known(self, mailbox: str, uidvalidity: int | None, uid: int) -> bool:
        rows = self.db.query(self.sql.QUARANTINE_KNOWN, [mailbox, uidvalidity, uid])
        return any(True for _ in rows)

    def quarantined(self, mailbox: str | None = None, after: int = 0) -> list[Quarantined]:
        """Quarantined messages (of one mailbox), oldest first; `after`: only rows past that id."""
        sql, args = "select * from quarantine where id > ?", list[Any]([after])
        if mailbox:
            sql, args = sql + " and mailbox = ?", [*args, mailbox]
        return [Quarantined(r["id"], r["mailbox"], moment(r["at"]), r["message_id"], r["reason"], r["archive_path"])
                for r in self.db.query(sql + " order by id", args)]

    # --- messages the IMAP server could not return -------------------------------------
    # Kept in `meta` as "fetch_failed:<mailbox>:<uidvalidity>:<uid>" = passes it failed.

    def fetch_failed(self, mailbox: str, uidvalidity: int, uid: int) -> int:
        """One more pass whose FETCH of this message failed; how many so far."""
        key = f"fetch_failed:{mailbox}:{uidvalidity}:{uid}"
        with self.db.unit_of_work():
            passes = int(self.metadata.meta(key) or 0) + 1
            self.metadata.set_meta(key, str(passes))
        return passes

    def fetch_unfailed(self, mailbox: str, uidvalidity: int, uids: Sequence[int]) -> None:
        """Take back one failed pass of each of `uids` (the server, not they, was failing)."""
        with self.db.unit_of_work():
            for uid in uids:
                key = f"fetch_failed:{mailbox}:{uidvalidity}:{uid}"
                passes = int(self.metadata.meta(key) or 0) - 1
                if passes > 0:
                    self.metadata.set_meta(key, str(passes))
                else:
                    self.forget_fetch_failures(mailbox, uidvalidity, uid)

    def fetch_suspects(self, mailbox: str, uidvalidity: int, after: int) -> set[int]:
        """UIDs above `after` whose FETCH failed on an earlier pass; those of another
        UIDVALIDITY or already passed are forgotten."""
        prefix = f"fetch_failed:{mailbox}:"
        rows = self.db.query("select key from meta where substr(key, 1, ?) = ?", [len(prefix), prefix])
        rests = (r["key"][len(prefix):] for r in rows)
        found = {(int(m[1]), int(m[2])) for rest in rests if (m := re.fullmatch(r"(\d+):(\d+)", rest))}
        for validity, uid in found:
            if validity != uidvalidity or uid <= after:
                self.forget_fetch_failures(mailbox, validity, uid)
        return {uid for validity, uid in found if validity == uidvalidity and uid > after}

    def forget_fetch_failures(self, mailbox: str, uidvalidity: int, uid: int) -> None:
        self.db.execute("delete from meta where key = ?", [f"fetch_failed:{mailbox}:{uidvalidity}:{uid}"])

"""The store calls that the passes, the audit, the recovery and the sent folder make from
a watcher's thread, each run on the thread that owns the store's connection.

The store's connection belongs to the main thread (`steps.MainThread`); a watcher's
pass, its audit, a recovery after a restore and the copies of sent mail read and write
it through this object, handed to them at wiring, so that their code reads as plain
calls (`self.store.set_imap_position(...)`) and the thread hop lives here alone. Only
the calls they make are here: anything else of the store is not theirs to use from a
watcher.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mailbot.daemon.main_thread import MainThread, on_main_thread
from mailbot.io.store import Store
from mailbot.model import Arrived


class MainThreadStore:
    """The store, each call run on its thread (`MainThread`)."""

    def __init__(self, store: Store, main_thread: MainThread) -> None:
        self.own, self.main_thread = store, main_thread  # `own`: for code that runs on its thread already

    # --- where a mailbox's INBOX is read to -----------------------------------------------

    @on_main_thread
    def imap_position(self, mailbox: str, folder: str) -> tuple[int | None, int]:
        return self.own.mailboxes.imap_position(mailbox, folder)

    @on_main_thread
    def imap_read_at(self, mailbox: str, folder: str) -> datetime | None:
        return self.own.mailboxes.imap_read_at(mailbox, folder)

    @on_main_thread
    def set_imap_position(self, mailbox: str, folder: str, uidvalidity: int, last_uid: int, now: datetime) -> None:
        self.own.mailboxes.set_imap_position(mailbox, folder, uidvalidity, last_uid, now)

    # --- where each message went ------------------------------------------------------------

    @on_main_thread
    def arrivals_of(self, mailbox: str, uidvalidity: int, uids: Sequence[int]) -> dict[int, Arrived]:
        return self.own.arrivals.arrivals_of(mailbox, uidvalidity, uids)

    @on_main_thread
    def placed(self, mailbox: str, uidvalidity: int, uids: Sequence[int], target_validity: int | None,
               target_uids: Mapping[int, int], at: datetime) -> None:
        self.own.arrivals.placed(mailbox, uidvalidity, uids, target_validity, target_uids, at)

    @on_main_thread
    def placed_uids(self, mailbox: str, folder: str, uidvalidity: int, after: int) -> set[int]:
        return self.own.arrivals.placed_uids(mailbox, folder, uidvalidity, after)

    @on_main_thread
    def quarantine_reason(self, mailbox: str, uidvalidity: int, uid: int, reason: str) -> None:
        self.own.arrivals.quarantine_reason(mailbox, uidvalidity, uid, reason)

    @on_main_thread
    def fetch_suspects(self, mailbox: str, uidvalidity: int, after: int) -> set[int]:
        return self.own.arrivals.fetch_suspects(mailbox, uidvalidity, after)

    @on_main_thread
    def fetch_unfailed(self, mailbox: str, uidvalidity: int, uids: Sequence[int]) -> None:
        self.own.arrivals.fetch_unfailed(mailbox, uidvalidity, uids)

    # --- what the audit compares the folders with --------------------------------------------

    @on_main_thread
    def recorded_hashes(self, mailbox: str, message_id: str) -> list[str | None]:
        return self.own.arrivals.recorded_hashes(mailbox, message_id)

    @on_main_thread
    def records_after(self, mailbox: str, message_row: int, quarantine_row: int) -> list[dict[str, Any]]:
        return self.own.arrivals.records_after(mailbox, message_row, quarantine_row)

    @on_main_thread
    def archive_recorded(self, mailbox: str, paths: Sequence[str]) -> set[str]:
        return self.own.arrivals.archive_recorded(mailbox, paths)

    @on_main_thread
    def meta(self, key: str) -> str | None:
        return self.own.metadata.meta(key)

    @on_main_thread
    def set_meta(self, key: str, value: str) -> None:
        self.own.metadata.set_meta(key, value)

    @on_main_thread
    def delete_meta(self, key: str) -> None:
        self.own.metadata.delete_meta(key)

    # --- the recovery after a restore, and the copies of sent mail -----------------------------

    @on_main_thread
    def tag_prefixes(self, name: str) -> tuple[str, ...]:
        return self.own.mailboxes.tag_prefixes(name)

    @on_main_thread
    def raise_counter(self, mailbox: str, year: int, last: int) -> int | None:
        return self.own.tickets.raise_counter(mailbox, year, last)

    @on_main_thread
    def learn_restored(self, mailbox: str, acked: Sequence[tuple[str | None, str, str, str]], now: datetime) -> None:
        self.own.restored.learn_restored(mailbox, acked, now)

    @on_main_thread
    def learn_sent(self, mailbox: str, sent: Sequence[dict[str, Any]], now: datetime) -> int:
        return self.own.restored.learn_sent(mailbox, sent, now)

    @on_main_thread
    def copies_found(self, mailbox: str, message_ids: Sequence[str]) -> int:
        return self.own.copies.copies_found(mailbox, message_ids)

    # --- a lock of the store's own session (PostgreSQL) -----------------------------------------

    @on_main_thread
    def try_lock(self, name: str) -> bool:
        return bool(self.own.database.try_lock(name))

    @on_main_thread
    def unlock(self, name: str) -> None:
        self.own.database.unlock(name)

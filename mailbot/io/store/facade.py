"""`Store`, the one object the rest of mailbot holds: the parts of the store composed over
one `Database`, and each part's methods by the name callers have always called them.

Which part keeps what is the table in the class body, one line a method: read it to
find where `store.enqueue` lives (`outbox.py`). A part is handed only what it uses (the
database, and the parts it reads through: `Tickets` for ticket rows, `Meta` for keyed
notes), never the whole store.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import MethodType
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, overload

from mailbot.io.store.arrivals import Arrivals
from mailbot.io.store.copies import Copies
from mailbot.io.store.database import BUSY_TIMEOUT_SECONDS, Database
from mailbot.io.store.history import History
from mailbot.io.store.intake import Intake
from mailbot.io.store.mailboxes import Mailboxes
from mailbot.io.store.memory import Memory
from mailbot.io.store.messages import Messages
from mailbot.io.store.meta import Meta
from mailbot.io.store.outbox import Outbox
from mailbot.io.store.restored import Restored
from mailbot.io.store.search import Search
from mailbot.io.store.tickets import Tickets
from mailbot.io.store.timers import Timers
from mailbot.io.store.versions import Versions
from mailbot.settings import Config

P = ParamSpec("P")
R = TypeVar("R")


@cache
def _owner(method: Callable[..., Any]) -> type:
    """The class a part's method was written in (its module's attribute of that name)."""
    return getattr(sys.modules[method.__module__], method.__qualname__.split(".")[0])  # type: ignore[no-any-return]


class _PartMethod(Generic[P, R]):
    """A method of `Store` that is a method of one of its parts: `store.enqueue(...)` is
    `store._outbox.enqueue(...)`, typed as the part's method is. A plain attribute, so a
    test may still put its own function in its place on one store. (A part's method that
    takes `**detail` has `self` positional-only, `/`: none of its keywords can name it.)"""

    def __init__(self, part: str, method: Callable[Concatenate[Any, P], R]) -> None:
        self.part = part
        self.method = method

    def __set_name__(self, owner: type, name: str) -> None:
        if name != self.method.__name__:  # one name for one thing, in the store and in its part
            raise TypeError(f"Store.{name} would be {self.part}.{self.method.__name__}")

    @overload
    def __get__(self, store: None, owner: type) -> Self: ...
    @overload
    def __get__(self, store: Store, owner: type) -> Callable[P, R]: ...
    def __get__(self, store: Store | None, owner: type) -> Self | Callable[P, R]:
        if store is None:
            return self
        part = getattr(store, self.part)
        if isinstance(part, _owner(self.method)):
            return MethodType(self.method, part)
        return getattr(part, self.method.__name__)  # type: ignore[no-any-return]  # another engine's own


def engine(location: Path | str, busy_timeout: float = BUSY_TIMEOUT_SECONDS, *,
           synchronous: str = "FULL", lease_seconds: float | None = None, password: str | None = None,
           file_readonly: bool = False) -> Database:
    """The engine a location names: a `postgresql://` URL is PostgreSQL (issue 47: `password`
    beside the URL, `lease_seconds` how long a silent process keeps its session), a path SQLite."""
    if isinstance(location, str) and location.startswith(("postgresql://", "postgres://")):
        from mailbot.io.store.postgres import LEASE_SECONDS, PostgresDatabase

        return PostgresDatabase(location, password,  # type: ignore[return-value]  # the same methods
                                lease_seconds=lease_seconds or LEASE_SECONDS)
    return Database(Path(location), busy_timeout, synchronous=synchronous, file_readonly=file_readonly)


class Store:
    """Tickets, messages, history, outbox and IMAP state in one SQLite file or PostgreSQL database."""

    @classmethod
    def of(cls, cfg: Config, **options: Any) -> Store:
        """The store a configuration names (its SQLite file, or its PostgreSQL URL with the
        password beside it and the lease)."""
        password = cfg.database_password.value if cfg.database_password else None
        return cls(cfg.store_location, lease_seconds=cfg.lease_seconds, password=password, **options)

    def __init__(self, path: Path | str, busy_timeout: float = BUSY_TIMEOUT_SECONDS, *, synchronous: str = "FULL",
                 migrate: bool = True, readonly: bool = False, inspect: bool = False,
                 lease_seconds: float | None = None, password: str | None = None, file_readonly: bool = False) -> None:
        """`busy_timeout`: how long a write waits for another writer before it fails.
        `synchronous="NORMAL"` (the sender's marks): a commit survives a crash of mailbot
        but not a power cut until the next FULL commit or checkpoint syncs the log.
        Only the daemon (and `mailbot migrate`) migrates, after a backup of the file
        (`migrated_from`): with `migrate=False` (`sweep`, `replay`) an older schema is
        refused with what to start to migrate it, as a running older daemon may still
        use it; `readonly=True` (`tickets`, `ticket`, `report`, `check`) adds that nothing
        is written (query_only); `inspect=True` (`check`) opens an older schema to report
        on it. A newer schema stops them all; a new, empty file is created by any but
        `file_readonly=True` (`mailbot web`): the SQLite file opened `mode=ro`, and readonly."""
        database = engine(path, busy_timeout, synchronous=synchronous, lease_seconds=lease_seconds, password=password,
                          file_readonly=file_readonly)
        readonly = readonly or file_readonly
        self.database = database
        self.db = database.utils  # sqlite-utils (PostgreSQL: the engine itself): what reports and tests query with
        self.path = database.path  # PostgreSQL: its URL, a password in it hidden
        self.synchronous = synchronous
        self.readonly = readonly
        metadata, tickets = Meta(database), Tickets(database)
        self._metadata = metadata
        self._versions = Versions(database, metadata)
        self._tickets = tickets
        self._intake = Intake(database, tickets)
        self._search = Search(database, tickets)
        self._messages = Messages(database)
        self._arrivals = Arrivals(database, metadata)
        self._history = History(database)
        self._outbox = Outbox(database)
        self._timers = Timers(database, tickets)
        self._memory = Memory(database)
        self._restored = Restored(database, metadata, tickets)
        self._copies = Copies(database)
        self._mailboxes = Mailboxes(database, metadata)
        self.mended = self._versions.mended  # the known drifts mended at opening (the daemon logs them)
        self._versions.open(migrate=migrate, readonly=readonly, inspect=inspect)
        self.migrated_from = self._versions.migrated_from  # (schema, backup) when this opening migrated

    @contextmanager
    def unit_of_work(self) -> Iterator[Store]:
        """One transaction: everything a message causes commits together or not at all
        (`Database.unit_of_work`); nested units are savepoints."""
        with self.database.unit_of_work():
            yield self

    # database.py: the connection and durability
    close = _PartMethod("database", Database.close)
    group_commit = _PartMethod("database", Database.group_commit)
    sync = _PartMethod("database", Database.sync)

    # versions.py: the schema number and who wrote it
    schema_version = _PartMethod("_versions", Versions.schema_version)
    written_by = _PartMethod("_versions", Versions.written_by)
    differences = _PartMethod("_versions", Versions.differences)

    # meta.py: keyed notes
    meta = _PartMethod("_metadata", Meta.meta)
    set_meta = _PartMethod("_metadata", Meta.set_meta)
    delete_meta = _PartMethod("_metadata", Meta.delete_meta)

    # tickets.py: numbers, ticket rows, participants, LKPP's references
    next_number = _PartMethod("_tickets", Tickets.next_number)
    raise_counter = _PartMethod("_tickets", Tickets.raise_counter)
    insert_ticket = _PartMethod("_tickets", Tickets.insert_ticket)
    update_ticket = _PartMethod("_tickets", Tickets.update_ticket)
    add_participant = _PartMethod("_tickets", Tickets.add_participant)
    ticket_by_number = _PartMethod("_tickets", Tickets.ticket_by_number)
    ticket_by_id = _PartMethod("_tickets", Tickets.ticket_by_id)
    ticket_by_lkpp = _PartMethod("_tickets", Tickets.ticket_by_lkpp)
    ticket_by_refs = _PartMethod("_tickets", Tickets.ticket_by_refs)
    record_counterpart_ref = _PartMethod("_tickets", Tickets.record_counterpart_ref)

    # intake.py: calls and visits held for `#buka`
    held_intake = _PartMethod("_intake", Intake.held_intake)
    held_forms = _PartMethod("_intake", Intake.held_forms)
    held_notices = _PartMethod("_intake", Intake.held_notices)
    intake_problem = _PartMethod("_intake", Intake.intake_problem)
    adopt = _PartMethod("_intake", Intake.adopt)

    # search.py: ticket lists, counts, the full-text search
    tickets = _PartMethod("_search", Search.tickets)
    find_tickets = _PartMethod("_search", Search.find_tickets)
    state_counts = _PartMethod("_search", Search.state_counts)
    first_ticket_at = _PartMethod("_search", Search.first_ticket_at)

    # messages.py: every message in and out
    record_message = _PartMethod("_messages", Messages.record_message)
    message_seen = _PartMethod("_messages", Messages.message_seen)
    tickets_citing = _PartMethod("_messages", Messages.tickets_citing)
    thread_of = _PartMethod("_messages", Messages.thread_of)
    messages_of = _PartMethod("_messages", Messages.messages_of)
    sent_texts = _PartMethod("_messages", Messages.sent_texts)
    sent_recipients = _PartMethod("_messages", Messages.sent_recipients)
    sent_any = _PartMethod("_messages", Messages.sent_any)
    mailed_on = _PartMethod("_messages", Messages.mailed_on)
    sent_archive_path = _PartMethod("_messages", Messages.sent_archive_path)
    sent_body = _PartMethod("_messages", Messages.sent_body)
    waiting_openings = _PartMethod("_messages", Messages.waiting_openings)
    mail_on_tickets = _PartMethod("_messages", Messages.mail_on_tickets)
    received_from_domain = _PartMethod("_messages", Messages.received_from_domain)
    said_by = _PartMethod("_messages", Messages.said_by)
    earlier_texts = _PartMethod("_messages", Messages.earlier_texts)
    expose = _PartMethod("_messages", Messages.expose)
    exposure = _PartMethod("_messages", Messages.exposure)

    # arrivals.py: where each INBOX message went, quarantine, failed fetches
    record_arrival = _PartMethod("_arrivals", Arrivals.record_arrival)
    arrival = _PartMethod("_arrivals", Arrivals.arrival)
    arrivals_of = _PartMethod("_arrivals", Arrivals.arrivals_of)
    placed = _PartMethod("_arrivals", Arrivals.placed)
    placed_uids = _PartMethod("_arrivals", Arrivals.placed_uids)
    recorded_hashes = _PartMethod("_arrivals", Arrivals.recorded_hashes)
    records_after = _PartMethod("_arrivals", Arrivals.records_after)
    archive_recorded = _PartMethod("_arrivals", Arrivals.archive_recorded)
    record_quarantine = _PartMethod("_arrivals", Arrivals.record_quarantine)
    quarantine_reason = _PartMethod("_arrivals", Arrivals.quarantine_reason)
    quarantine_known = _PartMethod("_arrivals", Arrivals.quarantine_known)
    quarantined = _PartMethod("_arrivals", Arrivals.quarantined)
    fetch_failed = _PartMethod("_arrivals", Arrivals.fetch_failed)
    fetch_unfailed = _PartMethod("_arrivals", Arrivals.fetch_unfailed)
    fetch_suspects = _PartMethod("_arrivals", Arrivals.fetch_suspects)
    forget_fetch_failures = _PartMethod("_arrivals", Arrivals.forget_fetch_failures)

    # history.py: the events
    add_event = _PartMethod("_history", History.add_event)
    events_of = _PartMethod("_history", History.events_of)
    event_exists = _PartMethod("_history", History.event_exists)
    alerted_causes = _PartMethod("_history", History.alerted_causes)
    told_timers = _PartMethod("_history", History.told_timers)
    internal_texts = _PartMethod("_history", History.internal_texts)
    unshown = _PartMethod("_history", History.unshown)
    counted_acks = _PartMethod("_history", History.counted_acks)

    # outbox.py: queued mail and what the limits count
    enqueue = _PartMethod("_outbox", Outbox.enqueue)
    latest_outbox_id = _PartMethod("_outbox", Outbox.latest_outbox_id)
    due_outbox_ids = _PartMethod("_outbox", Outbox.due_outbox_ids)
    server_held_ids = _PartMethod("_outbox", Outbox.server_held_ids)
    outbox_rows = _PartMethod("_outbox", Outbox.outbox_rows)
    outbox_accepted = _PartMethod("_outbox", Outbox.outbox_accepted)
    outbox_note = _PartMethod("_outbox", Outbox.outbox_note)
    outbox_retry = _PartMethod("_outbox", Outbox.outbox_retry)
    outbox_finish = _PartMethod("_outbox", Outbox.outbox_finish)
    outbox_drop_raw = _PartMethod("_outbox", Outbox.outbox_drop_raw)
    outbox_unarchived = _PartMethod("_outbox", Outbox.outbox_unarchived)
    outbox_counts = _PartMethod("_outbox", Outbox.outbox_counts)
    auto_sent_to = _PartMethod("_outbox", Outbox.auto_sent_to)
    ever_sent_to = _PartMethod("_outbox", Outbox.ever_sent_to)
    limited_slots = _PartMethod("_outbox", Outbox.limited_slots)
    held_acks = _PartMethod("_outbox", Outbox.held_acks)
    held_ack = _PartMethod("_outbox", Outbox.held_ack)

    # timers.py: deadline timers
    active_timers = _PartMethod("_timers", Timers.active_timers)
    set_timer = _PartMethod("_timers", Timers.set_timer)
    clear_timer = _PartMethod("_timers", Timers.clear_timer)
    apply_timers = _PartMethod("_timers", Timers.apply_timers)
    due_timers = _PartMethod("_timers", Timers.due_timers)
    timer_unchanged = _PartMethod("_timers", Timers.timer_unchanged)
    advance_timer = _PartMethod("_timers", Timers.advance_timer)
    timer_failed = _PartMethod("_timers", Timers.timer_failed)
    overdue_candidates = _PartMethod("_timers", Timers.overdue_candidates)
    waiting_directions = _PartMethod("_timers", Timers.waiting_directions)

    # memory.py: the unit's solved cases
    solved_material = _PartMethod("_memory", Memory.solved_material)
    remember_solved = _PartMethod("_memory", Memory.remember_solved)
    forget_solved = _PartMethod("_memory", Memory.forget_solved)
    solved_row = _PartMethod("_memory", Memory.solved_row)
    solved_rows = _PartMethod("_memory", Memory.solved_rows)
    solved_pending = _PartMethod("_memory", Memory.solved_pending)
    solved_done = _PartMethod("_memory", Memory.solved_done)
    queue_all_solved = _PartMethod("_memory", Memory.queue_all_solved)
    solved_postings = _PartMethod("_memory", Memory.solved_postings)
    term_counts = _PartMethod("_memory", Memory.term_counts)
    solved_total = _PartMethod("_memory", Memory.solved_total)

    # restored.py: what a restore left to match
    restored_number = _PartMethod("_restored", Restored.restored_number)
    claim_restored = _PartMethod("_restored", Restored.claim_restored)
    learn_restored = _PartMethod("_restored", Restored.learn_restored)
    learn_sent = _PartMethod("_restored", Restored.learn_sent)
    recovering = _PartMethod("_restored", Restored.recovering)

    # copies.py: copies of sent mail owed to the mailbox's sent folder
    copy_sent = _PartMethod("_copies", Copies.copy_sent)
    copies_due = _PartMethod("_copies", Copies.copies_due)
    copies_waiting = _PartMethod("_copies", Copies.copies_waiting)
    copies_done = _PartMethod("_copies", Copies.copies_done)
    copy_refused = _PartMethod("_copies", Copies.copy_refused)
    copies_found = _PartMethod("_copies", Copies.copies_found)

    # mailboxes.py: IMAP positions, what each mailbox name stood for
    imap_position = _PartMethod("_mailboxes", Mailboxes.imap_position)
    imap_read_at = _PartMethod("_mailboxes", Mailboxes.imap_read_at)
    set_imap_position = _PartMethod("_mailboxes", Mailboxes.set_imap_position)
    remember_mailbox = _PartMethod("_mailboxes", Mailboxes.remember_mailbox)
    first_started = _PartMethod("_mailboxes", Mailboxes.first_started)
    tag_prefixes = _PartMethod("_mailboxes", Mailboxes.tag_prefixes)
    mailbox_addresses = _PartMethod("_mailboxes", Mailboxes.mailbox_addresses)
    ticket_mailboxes = _PartMethod("_mailboxes", Mailboxes.ticket_mailboxes)
    left_behind = _PartMethod("_mailboxes", Mailboxes.left_behind)

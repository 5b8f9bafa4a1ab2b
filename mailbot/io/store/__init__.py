"""Every read and write of the daemon's, in plain SQL, a handful of statements per message.
The other modules with SQL work on the database itself or read a month at once
(`io/migrations`, `io/schema`, `io/pg_schema`, `io/engine_copy`, `io/dbfile`,
`io/backup`, `reports/queries`: docs/architecture.md, "Where SQL lives").

One database holds tickets, every message in and out, the history, the outbox,
the IMAP position per mailbox and folder, and the quarantine record. It runs in WAL
mode with `synchronous=FULL` so a committed unit of work survives a power cut (the
sender's delivery marks excepted, see `Store`; a batch of messages is made durable by
one sync at its end, see `Database.group_commit`); the schema carries a version and is
migrated at start-up. Times are stored as UTC ISO-8601 strings of one fixed shape, so
they sort as text (`times`).

Why a package of parts: the store was one class of 130 methods over every
table. It is split by what it keeps, each part a small class in a module of its own
over the one `Database` (`database`: the connection, the unit of work, durability):

    tickets    numbers, ticket rows, participants, LKPP's references
    intake     calls and visits held for `#buka`, and what a new ticket adopts
    search     ticket lists and counts, the full-text search
    lists      the window's lists (sorted, paged, counted), what lateness is read from, loads
    messages   every message in and out, threads, exposure
    arrivals   where each INBOX message went, quarantine, failed fetches
    history    the events
    outbox     queued mail, delivery marks, what the limits count
    timers     deadline timers, tickets that may be overdue
    memory     the unit's solved cases and their index
    restored   what a restore left to match
    copies     copies of sent mail owed to the mailbox's sent folder
    mailboxes  IMAP positions, what each mailbox name stood for
    handlings  what was done with each message of a period, for `mailbot shadow`
    meta       keyed notes
    versions   the schema number, the checks and migration at opening

`Store` (`facade`) composes them, each its attribute of that name (`meta` is
`store.metadata`), and callers name the part: `store.outbox.enqueue(...)`. One
connection and one `unit_of_work()` are shared by every part, so the pipeline still
commits a message's ticket, history, outbox rows and timers in one transaction. What
only SQLite reads stays in one place per part: the engine's own in `database`, each
part's statements in SQLite's words (FTS5, `json_extract`, `insert or ignore`) in its
`_SQLite` block, and what PostgreSQL words otherwise in its `_PostgreSQL` block
(`postgres.PostgresDatabase` is the engine a `postgresql://` URL opens; the statements are
written once, with `?`, and each engine binds them its own way).
"""

from mailbot.io.store.database import (
                                      BLOB_PIECE,
                                      BUSY_TIMEOUT_SECONDS,
                                      database_errors,
                                      integrity_errors,
                                      unique_violated,
)
from mailbot.io.store.facade import Store, UnitOfWork
from mailbot.io.store.restored import NEVER_CLAIMED, RESTORED_TIMER_WINDOW, restored_recipients
from mailbot.io.store.times import moment, parse_ts, ts
from mailbot.io.store.versions import WRITTEN_BY

__all__ = [
    "BLOB_PIECE", "BUSY_TIMEOUT_SECONDS", "NEVER_CLAIMED", "RESTORED_TIMER_WINDOW", "WRITTEN_BY", "Store",
    "UnitOfWork", "database_errors", "integrity_errors", "moment", "parse_ts", "restored_recipients", "ts",
    "unique_violated",
]

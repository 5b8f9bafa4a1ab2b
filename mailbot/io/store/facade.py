"""`Store`, the one object the rest of mailbot is handed: the engine (`database`), the unit
of work, and the parts of the store composed over that one `Database`, each an attribute of
its own: `store.outbox.enqueue(...)` is `Outbox.enqueue` in `outbox.py`, where "go to
definition" lands.

Why no methods of the parts here: a facade that re-exported every part's
methods as `store.X` made the split into parts invisible to callers, one interface of
over a hundred methods. A caller now names the part it uses, so what a module reads and
writes shows in its own lines, and a consumer can be handed the parts it uses alone
(`MainThreadStore` for the watchers' threads). A part is handed only what it uses (the
database, and the parts it reads through: `Tickets` for ticket rows, `Meta` for keyed
notes), never the whole store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from mailbot.io.store.arrivals import Arrivals
from mailbot.io.store.copies import Copies
from mailbot.io.store.database import BUSY_TIMEOUT_SECONDS, Database
from mailbot.io.store.handlings import Handlings
from mailbot.io.store.history import History
from mailbot.io.store.intake import Intake
from mailbot.io.store.lists import Lists
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

# What a consumer handed parts alone is handed beside them to commit what it writes together
# (`Store.unit_of_work`): the unit of work without the rest of the store.
UnitOfWork = Callable[[], AbstractContextManager[object]]


def engine(location: Path | str, busy_timeout: float = BUSY_TIMEOUT_SECONDS, *,
           synchronous: str = "FULL", lease_seconds: float | None = None, password: str | None = None,
           file_readonly: bool = False) -> Database:
    """The engine a location names: a `postgresql://` URL is PostgreSQL (`password`
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
        self.metadata = metadata
        self.versions = Versions(database, metadata)
        self.tickets = tickets
        self.intake = Intake(database, tickets)
        self.search = Search(database, tickets)
        self.lists = Lists(database, tickets)
        self.messages = Messages(database)
        self.arrivals = Arrivals(database, metadata)
        self.history = History(database)
        self.outbox = Outbox(database)
        self.timers = Timers(database, tickets)
        self.memory = Memory(database)
        self.restored = Restored(database, metadata, tickets)
        self.copies = Copies(database)
        self.mailboxes = Mailboxes(database, metadata)
        self.handlings = Handlings(database)
        self.mended = self.versions.mended  # the known drifts mended at opening (the daemon logs them)
        self.versions.open(migrate=migrate, readonly=readonly, inspect=inspect)
        self.migrated_from = self.versions.migrated_from  # (schema, backup) when this opening migrated

    @contextmanager
    def unit_of_work(self) -> Iterator[Store]:
        """One transaction: everything a message causes commits together or not at all
        (`Database.unit_of_work`); nested units are savepoints."""
        with self.database.unit_of_work():
            yield self

    # The engine's own, kept here beside the unit of work: what every holder of the store may do.
    def close(self) -> None:
        self.database.close()

    @contextmanager
    def group_commit(self) -> Iterator[None]:
        """Units of work inside commit without an fsync each; one sync at the end (`Database.group_commit`)."""
        with self.database.group_commit():
            yield

    def sync(self) -> None:
        self.database.sync()

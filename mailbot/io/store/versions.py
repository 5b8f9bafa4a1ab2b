"""Which schema the database has and which mailbot last wrote it: the checks made as it is
opened, and the migration only the daemon (and `mailbot migrate`) makes, after a backup.

The schema's history itself is `io/migrations` (one sqlite-utils function per version);
how a database is compared with the shape its number promises is `io/schema`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from mailbot.errors import ConfigError
from mailbot.io import schema
from mailbot.io.migrations import MIGRATIONS, SCHEMA_VERSION
from mailbot.io.store.database import Database
from mailbot.io.store.meta import Meta
from mailbot.version import current as current_version

WRITTEN_BY = "written_by"  # meta key: the version of the mailbot that last opened the database to write
SCHEMA_TURN = "schema"  # PostgreSQL: the lock under which one process at a time makes or mends the schema


class Versions:
    """The schema number, the version that last wrote, and the migration at opening."""

    def __init__(self, db: Database, metadata: Meta) -> None:
        self.db = db
        self.metadata = metadata
        self.mended: list[str] = []  # the known drifts mended at opening (the daemon logs them)
        self.migrated_from: tuple[int, Path] | None = None  # (schema, backup) when this opening migrated

    def open(self, *, migrate: bool, readonly: bool, inspect: bool) -> None:
        """Check (and, `migrate`, migrate) the database as it is opened; a refused one is
        closed. `readonly` adds that nothing is written (query_only)."""
        if self.db.dialect != "sqlite":
            self._open_postgresql(migrate and not readonly, inspect)
            if readonly:
                self.db.read_only()
            return
        with self.db.opening():
            self.db.settle()
            self._refuse_unknown()  # before WAL mode is set: that writes the file's header
            if not readonly:  # a database mailbot made is in WAL mode already
                self.db.write_ahead()
            self._migrate(migrate and not readonly, inspect)
        if readonly:
            self.db.read_only()

    def _open_postgresql(self, migrate: bool, inspect: bool) -> None:
        """A PostgreSQL database is made whole at this version from the migrations' shape
        (`io/pg_schema`), not migrated step by step; one of this version lacking what can be
        added without touching a row is mended (by the daemon and `migrate`; `inspect`, for
        `check`: only named), anything else refused by name, as a SQLite file is.

        Hosts take turns: two started together on a new, empty database both
        found no schema and both made it, and the second died of its first table
        (`DuplicateTable`). Under one lock of the database, the second waits, then reads
        the schema number again and finds it made."""
        with self.db.opening(), self.db.turn(SCHEMA_TURN):
            self._make_or_check_postgresql(migrate, inspect)

    def _make_or_check_postgresql(self, migrate: bool, inspect: bool) -> None:
        """`_open_postgresql`'s work, while this process alone makes or mends the schema."""
        from mailbot.io import pg_schema

        current = self.schema_version()
        if current == 0:
            if tables := self.db.tables():
                raise ConfigError(f"database {self.db.path} has tables ({', '.join(tables[:5])}) but no mailbot "
                                  "schema number: not a database mailbot made; give mailbot an empty database")
            pg_schema.create(self.db)
            with self.db.unit_of_work():
                self.metadata.set_meta("schema_version", str(SCHEMA_VERSION))
        elif current != SCHEMA_VERSION:
            raise ConfigError(f"database {self.db.path} has schema {current}, this mailbot's is {SCHEMA_VERSION}: "
                              "run the mailbot version that wrote it")
        if migrate and "ticket_search" not in self.db.tables():
            with self.db.unit_of_work():  # made by a version before the search
                for sql in pg_schema.SEARCH:
                    self.db.execute(sql)
        self._mend_postgresql(current or SCHEMA_VERSION, migrate, inspect)
        if migrate:
            self._stamp()

    def _mend_postgresql(self, version: int, migrate: bool, inspect: bool) -> None:
        """What this version's shape lacks, added where that touches no row (`migrate`), only
        named later (`inspect`: `check`), or refused by name."""
        from mailbot.io import pg_schema

        differences = pg_schema.differences(self.db)
        if any(d.mend is None for d in differences) or (differences and not migrate and not inspect):
            raise ConfigError(self._differs(version, differences, mendable=migrate is False))
        if differences and migrate:
            with self.db.unit_of_work():
                for difference in differences:
                    self.db.execute(str(difference.mend))
            self.mended.extend(f"{d} (schema {SCHEMA_VERSION}): added" for d in differences)

    def schema_version(self) -> int:
        if "meta" not in self.db.utils.table_names():
            return 0
        rows = list(self.db.query("select value from meta where key = 'schema_version'"))
        return int(rows[0]["value"]) if rows else 0

    def written_by(self) -> str | None:
        """The version of the mailbot that last opened this database to write (None: older than
        the record, or never)."""
        return self.metadata.meta(WRITTEN_BY)

    def differences(self) -> list[schema.Difference]:
        """How the database differs from the shape its schema number promises (tables,
        columns, indexes of a fresh database of that schema): [] when it has that shape."""
        current = self.schema_version()
        if current == 0 or current > SCHEMA_VERSION:
            return []
        if self.db.dialect != "sqlite":
            from mailbot.io import pg_schema

            return pg_schema.differences(self.db)
        return schema.compare(schema.expected(MIGRATIONS[:current]), schema.read(self.db.conn))

    def _refuse_unknown(self) -> None:
        """A database with tables but no schema number is none mailbot made (its first
        migration writes the number with its tables), or its meta table was lost: adding
        mailbot's tables beside them would hide that."""
        if self.schema_version() == 0 and (tables := self.db.tables()):
            named = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
            raise ConfigError(f"database {self.db.path} has tables ({named}) but no mailbot schema "
                              "number: not a database mailbot made, or its meta table was lost; restore a "
                              "backup ('mailbot restore') or move the file away for a new one")

    def _migrate(self, migrate: bool, inspect: bool) -> None:
        """A newer schema stops every command; a command that does not migrate takes an older
        one only to inspect it; a new, empty file is created by any."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            # not a passing fault: systemd must not restart into it (78), the operator decides
            raise ConfigError(f"database {self.db.path} has schema {current}, "
                              f"newer than this mailbot ({SCHEMA_VERSION}): "
                              "run the mailbot version that wrote it, or a database of this version")
        if not migrate and current:
            self._refuse_unmigrated(current, inspect)
            return
        self._migrate_from(current)

    def _refuse_unmigrated(self, current: int, inspect: bool) -> None:
        """Without migrating: a database that is not the shape its number promises, or (but to
        inspect it) of an older schema, is refused with what to start to migrate it, as a
        running older daemon may still use it."""
        differences = self.differences()
        if any(d.mend is None for d in differences) or (differences and current == SCHEMA_VERSION and not inspect):
            raise ConfigError(self._differs(current, differences, mendable=True))
        if current < SCHEMA_VERSION and not inspect:
            raise ConfigError(self._older(current))

    def _migrate_from(self, current: int) -> None:
        """Migrate from schema `current` (0: a new file), after a backup when anything changes,
        mending a known drift before and after."""
        if current and (current < SCHEMA_VERSION or self.differences()):
            self.migrated_from = (current, self._backup_before_migrating(current))
        self.mended.extend(self._mend(current))
        for version in range(current, SCHEMA_VERSION):
            with self.db.utils.atomic():
                MIGRATIONS[version](self.db.utils)
                self.db.utils.table("meta").upsert({"key": "schema_version", "value": str(version + 1)}, pk="key")
        self.mended.extend(self._mend(SCHEMA_VERSION))
        self._stamp()

    def _mend(self, version: int) -> list[str]:
        """Make the database the shape of schema `version` where it lacks what can be added
        without touching a row (a known drift: the same schema number made less by an older
        landed state); refuse, naming every difference, where it cannot."""
        if version == 0:
            return []
        differences = schema.compare(schema.expected(MIGRATIONS[:version]), schema.read(self.db.conn))
        if any(d.mend is None for d in differences):
            raise ConfigError(self._differs(version, differences, mendable=False))
        if differences:
            with self.db.utils.atomic():
                for difference in differences:
                    self.db.execute(str(difference.mend))
        return [f"{d} (schema {version}): added" for d in differences]

    def _older(self, version: int) -> str:
        """Why a command that does not migrate refuses an older schema, and what to start."""
        written = self.metadata.meta(WRITTEN_BY)
        by = f" (last written by mailbot {written})" if written else ""
        return (f"database {self.db.path} has schema {version}{by}, older than this mailbot's ({SCHEMA_VERSION}): "
                f"start this mailbot's daemon ({current_version()}) or run 'mailbot migrate' to migrate it "
                "(a backup is taken first); until then only the mailbot that wrote it uses it")

    def _backup_before_migrating(self, version: int) -> Path:
        """A consistent copy of the database as it is, beside it, before a migration changes
        it: `NAME.schemaN-YYYYMMDDTHHMMSSZ.bak` (restored by `mailbot restore`)."""
        from mailbot.io.dbfile import copy_database

        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        dest = self.db.path.with_name(f"{self.db.path.name}.schema{version}-{stamp}.bak")
        copy_database(self.db.conn, dest)
        return dest

    def _differs(self, version: int, differences: Sequence[schema.Difference], *, mendable: bool) -> str:
        """What differs, for the operator (exit 78: a restart does not mend it)."""
        written = self.metadata.meta(WRITTEN_BY) if "meta" in self.db.utils.table_names() else None
        by = f", last written by mailbot {written}" if written else ""
        named = "; ".join(str(d) for d in differences)
        if mendable and all(d.mend is not None for d in differences):
            return (f"database {self.db.path} (schema {version}{by}) lacks what this mailbot adds when it migrates: "
                    f"{named}; run 'mailbot migrate' or start the daemon")
        return (f"database {self.db.path} (schema {version}{by}) is not the shape this mailbot expects: {named}; "
                "restore a backup made by mailbot, or run the mailbot version that wrote it")

    def _stamp(self) -> None:
        """This mailbot's version as the one that last wrote the database (meta `written_by`):
        an operator, or a later version refusing it, can say which code wrote it."""
        version = current_version()
        if self.metadata.meta(WRITTEN_BY) != version:
            with self.db.unit_of_work():
                self.metadata.set_meta(WRITTEN_BY, version)

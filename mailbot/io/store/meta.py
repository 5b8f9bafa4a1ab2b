"""The database's own notes, one value a key (`meta`): the schema number, the version that
last wrote, what each mailbox stood for, failed fetches, the time of a restore."""

from __future__ import annotations

from mailbot.io.store.database import Database


class Meta:
    """Keyed notes in the `meta` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def meta(self, key: str) -> str | None:
        rows = list(self.db.query("select value from meta where key = ?", [key]))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.upsert("meta", {"key": key, "value": value}, ("key",))

    def delete_meta(self, key: str) -> None:
        with self.db.unit_of_work():
            self.db.execute("delete from meta where key = ?", [key])

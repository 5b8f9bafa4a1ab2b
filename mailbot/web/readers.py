"""The window's read-only stores: how one is opened, and the few its requests share.

A page holds a store only while it reads, and no page waits for another's reads: each
request borrows a store of its own from `StorePool`, which opens up to `size` of them as
requests come at once and keeps them open for the next. SQLite lets any number of
connections read the file at once (each opened `mode=ro`); on PostgreSQL each is a
read-only session of the window's role, a handful beside the daemon's one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mailbot.config.fields import read_password_file
from mailbot.io.store import Store
from mailbot.settings import Config, WebConfig

POOL_SIZE = 8  # stores open at most: requests reading at the same moment on a unit's window


def open_store(cfg: Config) -> Store:
    """The store, read-only: SQLite's file opened `mode=ro`; PostgreSQL's session read-only,
    logged in as `web.database` (the role with SELECT alone) where the config names it."""
    if cfg.database_url is None:
        return Store.of(cfg, file_readonly=True, migrate=False)
    if cfg.web is not None and cfg.web.database_url is not None:
        return Store(cfg.web.database_url, lease_seconds=cfg.lease_seconds, password=web_password(cfg.web),
                     readonly=True, migrate=False)
    return Store.of(cfg, readonly=True, migrate=False)


def web_password(web: WebConfig) -> str | None:
    """`web.database_password_file`, read now (by `mailbot web` and `check` alone), or None:
    libpq's own ways then (PGPASSFILE, a peer login)."""
    if web.database_password_file is None:
        return None
    secret = read_password_file({"database_password_file": str(web.database_password_file)}, "web",
                                web.database_password_file.parent, "database_password_file")
    return secret.value


class StorePool:
    """Read-only stores lent to one request at a time each: `first` (opened at start, where a
    wrong config shows at once), then more by `opening` while all are lent, up to `size`."""

    def __init__(self, first: Store, opening: Callable[[], Store], size: int = POOL_SIZE) -> None:
        self.first = first
        self.opening = opening
        self.size = size
        self.idle = [first]
        self.opened = 1
        self.free = threading.Condition()

    @contextmanager
    def borrow(self) -> Iterator[Store]:
        """A store of this request's own until the block ends (waiting only when `size` are lent)."""
        store = self._take()
        try:
            yield store
        finally:
            with self.free:
                self.idle.append(store)
                self.free.notify()

    def _take(self) -> Store:
        with self.free:
            while not self.idle and self.opened >= self.size:
                self.free.wait()
            if self.idle:
                return self.idle.pop()
            self.opened += 1
        try:
            return self.opening()
        except BaseException:
            with self.free:
                self.opened -= 1
                self.free.notify()
            raise

    def close(self) -> None:
        """Every store not lent now (at the end, none is)."""
        with self.free:
            idle, self.idle = self.idle, []
        for store in idle:
            store.close()

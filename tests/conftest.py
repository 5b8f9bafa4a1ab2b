"""Shared fixtures: real Dovecot IMAP + aiosmtpd SMTP servers on loopback, a private
PostgreSQL cluster.

Tests that use `mailservers` (directly or through `fresh_mailboxes`) or PostgreSQL
(`pg_cluster`, the `postgresql` leg of `store_location(s)`) are marked `integration`
automatically.  Without Dovecot they are skipped locally, but fail when
the ``CI`` environment variable is set, so CI can never pass by skipping them.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.compiled_files import keep_compiled_files

keep_compiled_files()  # before anything of mailbot is imported

from tests.localmail import DOVECOT, LocalMailError, LocalMailServers, dovecot_available
from tests.pgcluster import PgCluster, binaries

USERS = (
    "lpse@lpse.test",
    "staff1@lpse.test",
    "staff2@lpse.test",
    "koordinator@lpse.test",
    "kepala@lpse.test",
    "helpdesk@lkpp.test",
    "budi@vendor.test",
    "sari@dinas.test",
)
CATCHALL = "catchall@lpse.test"


def starts_a_server(item: pytest.Item) -> bool:
    """The test asks for the mail servers (Dovecot, SMTP) or the private PostgreSQL cluster:
    by fixture, or as the `postgresql` leg of the engines' fixture (which starts it)."""
    fixtures = getattr(item, "fixturenames", ())
    if {"mailservers", "dovecot_installed", "pg_cluster"} & set(fixtures):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("store_locations") == "postgresql"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if starts_a_server(item):
            item.add_marker(pytest.mark.integration)


# Dovecot and PostgreSQL start only for a test marked `integration`, so the fast layer
# (`scripts/test --quick`, -m "not integration or smoke") can never start the slow servers
# by accident through a path the marking above does not see (a helper that builds
# LocalMailServers itself, a fixture of another name). The guard is set around each
# test's setup and call by these hooks, not at import: a test module importing
# tests.conftest again for its constants must not replace it.
_PG_START_GUARD: list[Callable[[], None] | None] = [None]


@contextlib.contextmanager
def _servers_only_for_integration(item: pytest.Item) -> Iterator[None]:
    def refuse(server: str, fixtures: str) -> Callable[[], None]:
        def refused() -> None:
            raise LocalMailError(
                f"{item.nodeid} starts {server} but is not marked integration: request the"
                f" {fixtures} fixture, or mark it @pytest.mark.integration")
        return refused

    marked = item.get_closest_marker("integration") is not None
    before = LocalMailServers.start_guard, _PG_START_GUARD[0]
    LocalMailServers.start_guard = None if marked else refuse("Dovecot", "mailservers/dovecot_installed")
    _PG_START_GUARD[0] = None if marked else refuse("PostgreSQL", "pg_cluster")
    try:
        yield
    finally:
        LocalMailServers.start_guard, _PG_START_GUARD[0] = before


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _servers_only_for_integration(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _servers_only_for_integration(item):
        return (yield)


@pytest.fixture(scope="session")
def dovecot_installed() -> None:
    """Skip without Dovecot, unless running in CI, where that is an error."""
    if dovecot_available():
        return
    reason = f"Dovecot is not installed ({DOVECOT}); apt-get install dovecot-imapd"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} -- required because CI is set", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def mailservers(
    dovecot_installed: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalMailServers]:
    """One IMAP + SMTP server pair for the whole session, with the standard users."""
    servers = LocalMailServers(tmp_path_factory.mktemp("mailservers"), USERS, catchall=CATCHALL)
    with servers:
        yield servers


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A private PostgreSQL cluster for the session; skipped without PostgreSQL,
    unless running in CI, where that is an error."""
    if binaries() is None:
        reason = "PostgreSQL is not installed (/usr/lib/postgresql/*/bin); apt-get install postgresql"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} -- required because CI is set", pytrace=False)
        pytest.skip(reason)
    if _PG_START_GUARD[0] is not None:
        _PG_START_GUARD[0]()
    with PgCluster() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def store_locations(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Path | str]:
    """New places for a store, once on each engine: each call a new SQLite file,
    or a new, empty database of the session's PostgreSQL cluster (its URL)."""
    made = itertools.count(1)
    if request.param == "sqlite":
        return lambda: tmp_path / f"mailbot{next(made)}.db"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.database


@pytest.fixture
def store_location(store_locations: Callable[[], Path | str]) -> Path | str:
    """Where a store lives, once on each engine."""
    return store_locations()


@pytest.fixture
def fresh_mailboxes(mailservers: LocalMailServers) -> LocalMailServers:
    """The session servers with every mailbox emptied: INBOX only, no messages."""
    for user in mailservers.users:
        empty_mailbox(mailservers, user)
    return mailservers


def empty_mailbox(servers: LocalMailServers, user: str) -> None:
    """Delete every message and every folder but INBOX, and drop subscriptions."""
    with servers.imap(user) as client:
        listed = [(name, sep) for _flags, sep, name in client.list_folders()]
        extra = [(name, sep) for name, sep in listed if name.upper() != "INBOX"]
        # Children before parents, so no folder is deleted while it has children.
        for name, sep in sorted(extra, key=lambda f: f[0].count(_text(f[1])), reverse=True):
            client.delete_folder(name)
        for _flags, _sep, name in client.list_sub_folders():
            if name.upper() != "INBOX":
                client.unsubscribe_folder(name)
        client.select_folder("INBOX")
        uids = client.search("ALL")
        if uids:
            client.delete_messages(uids)
            client.expunge()
        client.unselect_folder()


def _text(sep: bytes | str | None) -> str:
    if isinstance(sep, bytes):
        return sep.decode()
    return sep or "/"

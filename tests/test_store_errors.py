"""Which database faults the daemon takes for a store failure (`database_errors`), and that a
SQLite host's processes do not load PostgreSQL's driver to name its faults.

Each case runs in a fresh interpreter: whether psycopg is loaded is the process's state."""

import socket
import subprocess
import sys
import textwrap


def run(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, check=True)
    return done.stdout.split()


def test_a_sqlite_daemon_and_sender_never_load_the_postgresql_driver(tmp_path):
    out = run(f"""
        import sqlite3, sys
        import mailbot.daemon.wiring, mailbot.daemon.sender, mailbot.cli.sender_process, mailbot.cli.main
        from mailbot.io.store import Store, database_errors
        store = Store({str(tmp_path / 'mailbot.db')!r})
        try:
            store.database.execute("select * from no_such_table")
        except database_errors() as exc:
            print(type(exc).__name__)
        print('psycopg' in sys.modules)
        """)
    assert out == ["OperationalError", "False"]


def test_once_the_driver_is_loaded_its_faults_are_store_failures_too():
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = run(f"""
        import psycopg, psycopg.errors
        from mailbot.errors import StorageError
        from mailbot.io.store import database_errors, unique_violated
        try:
            psycopg.connect("postgresql://mailbot@127.0.0.1:{port}/mailbot", connect_timeout=5)
        except database_errors(StorageError, OSError) as exc:
            print(type(exc).__name__)
        print(unique_violated(psycopg.errors.UniqueViolation("duplicate key")),
              unique_violated(psycopg.errors.NotNullViolation("null value")))
        """)
    assert out == ["OperationalError", "True", "False"]


def test_what_else_is_named_is_caught_beside_the_database_faults(tmp_path):
    out = run("""
        import sqlite3
        from mailbot.errors import StorageError
        from mailbot.io.store import database_errors, unique_violated
        for fault in (StorageError("away"), OSError(28, "No space left on device"), sqlite3.DatabaseError("bad")):
            try:
                raise fault
            except database_errors(StorageError, OSError) as exc:
                print(type(exc).__name__)
        try:
            raise OSError(28, "No space left on device")
        except database_errors():
            print("caught")
        except OSError:
            print("not a database fault")
        print(unique_violated(sqlite3.IntegrityError("UNIQUE constraint failed: tickets.number")),
              unique_violated(sqlite3.IntegrityError("NOT NULL constraint failed: tickets.number")))
        """)
    assert out == ["StorageError", "OSError", "DatabaseError", "not", "a", "database", "fault", "True", "False"]

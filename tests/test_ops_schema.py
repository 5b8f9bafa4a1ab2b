"""Day two: a database of another mailbot version. An older one is migrated by the daemon's
start, not by `check` (an older daemon may still be running on it); a newer one stops every
command with exit 78, which systemd does not restart into."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils
import yaml

from mailbot import cli
from mailbot.io.store import MIGRATIONS, SCHEMA_VERSION, Store


def config(tmp_path: Path) -> Path:
    data = {"database": str(tmp_path / "mailbot.db"), "secret_key_file": str(tmp_path / "secret.key"),
            "archive_dir": str(tmp_path / "archive"),
            "smtp": {"host": "127.0.0.1", "port": 9, "security": "none"},
            "mailboxes": [{"name": "t", "address": "lpse@lpse.test", "tag_prefix": "LPSE-T", "staff": ["s@lpse.test"],
                           "imap": {"host": "127.0.0.1", "port": 9, "security": "none", "username": "lpse",
                                    "password": "x"}}]}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def schema(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("select value from meta where key = 'schema_version'").fetchone()[0])


def test_a_newer_database_stops_every_command_with_78(tmp_path, capsys):
    path = config(tmp_path)
    Store(tmp_path / "mailbot.db").close()
    with sqlite3.connect(tmp_path / "mailbot.db") as conn:
        conn.execute("update meta set value = ? where key = 'schema_version'", [str(SCHEMA_VERSION + 1)])
    for command in (["tickets"], ["run", "--once"], ["check"]):
        assert cli.main(["--config", str(path), *command]) == 78, command
        said = capsys.readouterr()
        assert f"newer than this mailbot ({SCHEMA_VERSION})" in said.out + said.err


def test_check_leaves_an_older_database_to_the_daemons_start(tmp_path, capsys):
    path = config(tmp_path)
    old = SCHEMA_VERSION - 1
    db = sqlite_utils.Database(tmp_path / "mailbot.db")
    for version in range(old):
        MIGRATIONS[version](db)
    db.table("meta").upsert({"key": "schema_version", "value": str(old)}, pk="key")
    db.close()
    cli.main(["--config", str(path), "check"])  # the servers are not there: only the database matters here
    assert schema(tmp_path / "mailbot.db") == old
    Store(tmp_path / "mailbot.db").close()
    assert schema(tmp_path / "mailbot.db") == SCHEMA_VERSION

"""SPEC 11: every process sharing a store signs with one key. The store records the key's
fingerprint at the first start; a process whose `secret_key_file` differs stops with 78 and
says how to give it the key.

On SQLite (one host) the documented way to a new key stays: remove the file and start the
daemon, which makes one and records it. On PostgreSQL (several hosts) a host without the key
never makes one of its own once the database records one: the mail it signed would not be
believed by the other hosts (two hosts started together each made a key, and a staff
command to one host's notice was kept unverified by the other).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_ops_schema import config

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.errors import ConfigError
from mailbot.io.store import Store

KEY_A = "a" * 64 + "\n"
KEY_B = "b" * 64 + "\n"


def _recorded(db: Path) -> str | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute("select value from meta where key = 'key_fingerprint'").fetchone()
    return row[0] if row else None


def _started(path: Path) -> None:
    """A start of a process that writes the store (the daemon's App), closed again."""
    App(load_config(path)).store.close()


def test_the_first_start_records_a_fingerprint_of_the_key_and_the_same_key_starts_again(tmp_path):
    path = config(tmp_path)
    (tmp_path / "secret.key").write_text(KEY_A)
    _started(path)
    recorded = _recorded(tmp_path / "mailbot.db")
    assert recorded is not None and len(recorded) >= 32
    assert "a" * 32 not in recorded  # a fingerprint, not the key
    _started(path)
    assert _recorded(tmp_path / "mailbot.db") == recorded


def test_a_key_made_at_the_first_start_is_the_one_recorded(tmp_path):
    path = config(tmp_path)
    _started(path)
    made = (tmp_path / "secret.key").read_text()
    assert len(made.strip()) >= 32
    recorded = _recorded(tmp_path / "mailbot.db")
    assert recorded is not None
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "secret.key").write_text(made)  # the same key in another file: the same fingerprint
    data = yaml.safe_load(path.read_text())
    data["secret_key_file"] = str(tmp_path / "elsewhere" / "secret.key")
    path.write_text(yaml.safe_dump(data))
    _started(path)
    assert _recorded(tmp_path / "mailbot.db") == recorded


def test_another_key_stops_a_command_with_78_naming_the_file_and_the_fix(tmp_path, capsys):
    path = config(tmp_path)
    (tmp_path / "secret.key").write_text(KEY_A)
    _started(path)
    recorded = _recorded(tmp_path / "mailbot.db")
    (tmp_path / "secret.key").write_text(KEY_B)
    assert cli.main(["--config", str(path), "run", "--once"]) == 78
    said = capsys.readouterr().err
    assert f"secret_key_file: {tmp_path / 'secret.key'} is not the key database" in said
    assert f"(fingerprint {recorded[:12]};" in said  # type: ignore[index]
    assert "put the key back" in said and "remove" in said
    assert _recorded(tmp_path / "mailbot.db") == recorded  # the store keeps the key its mail was signed with
    assert cli.main(["--config", str(path), "check"]) == 78  # check says it before a start meets it
    checked = capsys.readouterr().out
    assert f"secret_key_file: FAILED: secret_key_file: {tmp_path / 'secret.key'} is not the key database" in checked
    (tmp_path / "secret.key").write_text(KEY_A)
    cli.main(["--config", str(path), "check"])
    assert f"secret_key_file: ok ({tmp_path / 'secret.key'}, the key database" in capsys.readouterr().out


def test_on_one_host_a_removed_key_is_replaced_by_a_new_one_as_the_guide_says(tmp_path, capsys):
    """configure.md: a new key is the old file removed and the daemon restarted."""
    path = config(tmp_path)
    (tmp_path / "secret.key").write_text(KEY_A)
    _started(path)
    before = _recorded(tmp_path / "mailbot.db")
    (tmp_path / "secret.key").unlink()
    _started(path)
    assert (tmp_path / "secret.key").read_text().strip() not in ("", KEY_A.strip())
    assert _recorded(tmp_path / "mailbot.db") not in (None, before)
    assert "secret_key_new" in capsys.readouterr().out


def test_a_command_that_only_reads_neither_makes_nor_records_a_key(tmp_path):
    path = config(tmp_path)
    Store(tmp_path / "mailbot.db").close()
    app = App(load_config(path), Store.of(load_config(path), readonly=True))
    app.store.close()
    assert not (tmp_path / "secret.key").exists()
    assert _recorded(tmp_path / "mailbot.db") is None


def test_the_window_stops_with_78_on_a_key_other_than_the_daemons(tmp_path):
    path = config(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["web"] = {"listen": "127.0.0.1:9", "url": "https://helpdesk.lpse.test/"}
    path.write_text(yaml.safe_dump(data))
    (tmp_path / "secret.key").write_text(KEY_A)
    _started(path)
    (tmp_path / "secret.key").write_text(KEY_B)
    done = subprocess.run([sys.executable, "-m", "mailbot", "--config", str(path), "web"], capture_output=True,
                          text=True, timeout=60, check=False)  # a process: one that served would not return
    assert done.returncode == 78, done.stderr
    said = done.stderr
    assert f"secret_key_file: {tmp_path / 'secret.key'} is not the key database" in said
    assert "the window reads the daemon's key" in said


def test_restore_records_the_key_it_keeps(tmp_path, capsys):
    """A restore keeps a key that differs from the backup's (the mail sent since was signed
    with it): the restored store then records that key, and the daemon starts."""
    path = config(tmp_path)
    (tmp_path / "secret.key").write_text(KEY_A)
    _started(path)
    backed_up = _recorded(tmp_path / "mailbot.db")
    assert cli.main(["--config", str(path), "backup", str(tmp_path / "b")]) == 0
    (tmp_path / "secret.key").unlink()
    (tmp_path / "secret.key").write_text(KEY_B)  # a new key since, by hand
    for name in ("mailbot.db", "mailbot.db-wal", "mailbot.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    assert cli.main(["--config", str(path), "restore", str(tmp_path / "b")]) == 0
    assert "kept (the current one; the backup's differs)" in capsys.readouterr().out
    assert _recorded(tmp_path / "mailbot.db") not in (None, backed_up)
    _started(path)


@pytest.mark.integration
def test_on_a_shared_store_a_host_without_the_key_makes_none_and_is_told_to_copy_it(tmp_path, pg_cluster):
    url = pg_cluster.database()
    first = tmp_path / "host1"
    second = tmp_path / "host2"
    for home in (first, second):
        home.mkdir()
        data = yaml.safe_load(config(home).read_text())
        data.update(database=url, archive_dir=str(tmp_path / "shared-archive"))
        (home / "config.yaml").write_text(yaml.safe_dump(data))
    _started(first / "config.yaml")
    assert (first / "secret.key").exists()
    with pytest.raises(ConfigError) as refused:
        _started(second / "config.yaml")
    said = str(refused.value)
    assert f"secret_key_file: {second / 'secret.key'} does not exist on this host" in said
    assert "Copy secret_key_file from a host of this database" in said and "several-hosts.md" in said
    assert not (second / "secret.key").exists()  # none of its own made
    (second / "secret.key").write_text(KEY_B)
    with pytest.raises(ConfigError, match="every host of one database signs with one key"):
        _started(second / "config.yaml")
    (second / "secret.key").write_bytes((first / "secret.key").read_bytes())  # copied, as the guide says
    _started(second / "config.yaml")

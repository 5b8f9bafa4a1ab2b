"""`mailbot check` looks at the window (SPEC 10: "validate config ... report each problem
clearly", with its exit statuses; SPEC 12 and 13: the `web:` block, the key of
`secret_key_file` the status links are signed with, the store the window only reads).

Over the suite's Dovecot and SMTP (every server line ok, so the exit status is the window's
alone) and, for PostgreSQL, its private cluster: a bad `web:` value is said on its own
`web: FAILED` line while every other check still runs (exit 78); what `mailbot web` needs
to start is tried as it would use it: the key read (missing: a warning before the daemon's
first start; unreadable or short: 78), the SQLite file opened read-only, the window's
PostgreSQL role logged in to (77 a refused password) and its tickets read, with a warning
when that role may write.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
import yaml

from mailbot.cli import main as cli
from tests import mailfactory as mf
from tests.pgcluster import PgCluster
from tests.test_cli import as_unprivileged
from tests.webwindow import free_port, web_block

ROOT = Path(__file__).resolve().parents[1]
OPENED = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def _check(config: Path, capsys) -> tuple[int, str]:
    status = cli.main(["--config", str(config), "check"])
    return status, capsys.readouterr().out


def _started(servers, tmp_path: Path, **overrides) -> Path:
    """A unit whose daemon ran once (it made the key and the database), with a `web:` block."""
    config = mf.write_config(servers, tmp_path, **{"web": web_block(free_port()), **overrides})
    servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Tidak bisa login SPSE", "Mohon bantuannya.", date=OPENED)[0])
    mf.handle_at(config, OPENED + timedelta(minutes=1))
    return config


@pytest.mark.integration
@pytest.mark.parametrize(("block", "said"), [
    ({"url": "ftp://helpdesk.lpse.batam.go.id/"}, "web: FAILED: web.url: "),
    ({"url": "helpdesk.lpse.batam.go.id"}, "web: FAILED: web.url: "),
    ({"url": "http://helpdesk.lpse.batam.go.id/"}, "web: FAILED: web.url: "),  # a token in the clear
    ({"listen": "8025"}, "web: FAILED: web.listen: "),
    ({"listen": "helpdesk:http"}, "web: FAILED: web.listen: "),
    ({"status_link_days": 0}, "web: FAILED: web.status_link_days: "),
    ({"status_link_days": "30"}, "web: FAILED: web.status_link_days: "),
])
def test_a_bad_web_value_is_said_on_its_line_and_every_other_check_runs(fresh_mailboxes, tmp_path, capsys,
                                                                          block, said):
    config = mf.write_config(fresh_mailboxes, tmp_path, web=block)
    status, out = _check(config, capsys)
    assert status == 78, out
    assert said in out, out
    assert "t: IMAP 127.0.0.1" in out and "t: SMTP 127.0.0.1" in out  # the servers were still tried
    assert "rules: ok" in out


@pytest.mark.integration
def test_a_started_units_window_is_checked_as_it_will_start(fresh_mailboxes, tmp_path, capsys):
    config = _started(fresh_mailboxes, tmp_path)
    cfg = yaml.safe_load(config.read_text())
    status, out = _check(config, capsys)
    assert status == 0, out
    assert f"web: ok (listen {cfg['web']['listen']}; url {cfg['web']['url']}; status links 30 day(s)" in out
    assert f"web: secret_key_file ok ({tmp_path / 'secret.key'}" in out
    assert f"web: database ok ({tmp_path / 'mailbot.db'}, opened read-only)" in out
    assert "warning: web" not in out, out


@pytest.mark.integration
def test_before_the_daemons_first_start_the_window_is_warned_of_not_failed(fresh_mailboxes, tmp_path, capsys):
    """The install guide runs `check` before the daemon ever started: the key and the database
    the daemon makes are not there yet; the window cannot start, nothing is wrong."""
    config = mf.write_config(fresh_mailboxes, tmp_path, web={"listen": "127.0.0.1:8025"})
    status, out = _check(config, capsys)
    assert status == 0, out
    assert f"warning: web: secret_key_file {tmp_path / 'secret.key'} does not exist yet" in out
    assert f"warning: web: database {tmp_path / 'mailbot.db'} does not exist yet" in out
    assert "warning: web.url is not set: no mail carries a link" in out


@pytest.mark.integration
def test_a_short_key_fails_the_window(fresh_mailboxes, tmp_path, capsys):
    config = _started(fresh_mailboxes, tmp_path)
    (tmp_path / "secret.key").write_bytes(b"short\n")
    status, out = _check(config, capsys)
    assert status == 78, out
    assert f"web: FAILED: secret_key_file: {tmp_path / 'secret.key'} holds 5 bytes, fewer than 32" in out


@pytest.mark.integration
def test_a_key_and_a_database_the_window_cannot_read_fail_it(fresh_mailboxes, tmp_path):
    """Mode 0 (left so by a restore as another user): as a user file modes apply to."""
    config = _started(fresh_mailboxes, tmp_path)
    for name in ("secret.key", "mailbot.db"):
        (tmp_path / name).chmod(0)
    try:
        done = subprocess.run(as_unprivileged([sys.executable, "-m", "mailbot", "--config", str(config), "check"]),
                              capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
    finally:
        for name in ("secret.key", "mailbot.db"):
            (tmp_path / name).chmod(0o600)
    assert done.returncode == 78, done.stdout + done.stderr
    assert f"web: FAILED: secret_key_file: {tmp_path / 'secret.key'} cannot be read: Permission denied" in done.stdout
    assert f"web: FAILED: database {tmp_path / 'mailbot.db'} cannot be opened read-only" in done.stdout


# --- PostgreSQL: the window's own role (web.database) -----------------------------------------

def _roles(pg_cluster, role: str) -> tuple[str, str]:
    """The daemon's database (as the cluster's own role) and a role that may only read it, made
    with the statements of docs/operator/web.md: (the store's URL, the read-only role's URL)."""
    from tests.test_web_postgresql import _guide_statements

    url = pg_cluster.database()
    database, owner = url.rsplit("/", 1)[1], url.split("//", 1)[1].split("@", 1)[0]
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in _guide_statements():
            conn.execute(statement.replace("'…'", "'rahasia-baca'").replace("mailbot_web", role)
                         .replace("DATABASE mailbot", f'DATABASE "{database}"')
                         .replace("FOR ROLE mailbot", f'FOR ROLE "{owner}"'))
    return url, url.replace(f"//{owner}@", f"//{role}@")


@pytest.mark.integration
def test_the_windows_postgresql_role_logs_in_and_reads(fresh_mailboxes, pg_cluster, tmp_path, capsys):
    url, reader = _roles(pg_cluster, "cek_baca")
    (tmp_path / "web.pass").write_text("rahasia-baca\n")
    web = web_block(free_port(), database=reader, database_password_file=str(tmp_path / "web.pass"))
    config = _started(fresh_mailboxes, tmp_path, database=url, web=web)
    status, out = _check(config, capsys)
    assert status == 0, out
    assert f"web: database ok ({reader}, read-only)" in out
    assert "warning: web" not in out, out


@pytest.mark.integration
def test_a_refused_window_password_exits_77(fresh_mailboxes, tmp_path, capsys):
    """A cluster that asks every role but the superuser for its password (scram-sha-256), as a
    production server does: web.database_password_file is what the window logs in with."""
    with PgCluster(passwords=True) as cluster:
        url, reader = _roles(cluster, "cek_tolak")
        (tmp_path / "web.pass").write_text("rahasia-baca\n")
        web = web_block(free_port(), database=reader, database_password_file=str(tmp_path / "web.pass"))
        config = _started(fresh_mailboxes, tmp_path, database=url, web=web)
        status, out = _check(config, capsys)
        assert status == 0 and f"web: database ok ({reader}, read-only)" in out, out
        (tmp_path / "web.pass").write_text("bukan-sandinya\n")
        status, out = _check(config, capsys)
    assert status == 77, out
    assert "web: database FAILED: " in out and "bukan-sandinya" not in out


@pytest.mark.integration
def test_a_missing_window_password_file_exits_78(fresh_mailboxes, pg_cluster, tmp_path, capsys):
    url, reader = _roles(pg_cluster, "cek_tanpa")
    web = web_block(free_port(), database=reader, database_password_file=str(tmp_path / "absent.pass"))
    config = _started(fresh_mailboxes, tmp_path, database=url, web=web)
    status, out = _check(config, capsys)
    assert status == 78, out
    assert f"web: database FAILED: web.database_password_file: cannot read {tmp_path / 'absent.pass'}" in out


@pytest.mark.integration
def test_a_window_role_that_may_write_is_warned_of(fresh_mailboxes, pg_cluster, tmp_path, capsys):
    """The daemon's own role named as the window's: it works, and `check` says it should not."""
    url, _reader = _roles(pg_cluster, "cek_tulis")
    config = _started(fresh_mailboxes, tmp_path, database=url, web=web_block(free_port(), database=url))
    status, out = _check(config, capsys)
    assert status == 0, out
    assert f"warning: web.database: the role of {url} may write the tickets table" in out

"""A PostgreSQL store that is not there yet, or refuses mailbot's login.

After a power cut the database host may boot after mailbot's: the daemon used to stop with
78 ("configuration error"), which the shipped unit does not restart into, and the helpdesk
stayed down until a person acted. A database that cannot be reached is a server that is
down (SPEC 10: 69): `run` waits for it, says why in the log and in systemd's status, tells
the coordinators after `alert_after_minutes` by mail sent straight through SMTP, and serves
once it is up; a command exits 69. A refused login is 77; a URL naming no database, 78.

Real parts: Dovecot and the SMTP server of the suite; a PostgreSQL cluster of the test's
own (tests/pgcluster.py), made but started only 30 s after the daemon; `mailbot run` as a
process, as systemd starts it, with systemd's notify socket played by the test.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.mailfactory import COORDINATOR, UNIT, config_data, inbox, mail, of_kind, stop, wait_for
from tests.pgcluster import PgCluster, binaries
from tests.test_systemd_run import NotifySocket

ROOT = Path(__file__).resolve().parents[1]
EX_UNAVAILABLE, EX_NOPERM, EX_CONFIG = 69, 77, 78  # SPEC 10

pytestmark = pytest.mark.skipif(binaries() is None and not os.environ.get("CI"),
                                reason="PostgreSQL is not installed (/usr/lib/postgresql/*/bin)")


def _config(servers, tmp_path: Path, url: str, **extra: object) -> Path:  # type: ignore[no-untyped-def]
    data = config_data(servers, tmp_path, log={"format": "json", "level": "info"})
    data["database"] = url
    data.update(extra)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def _mailbot(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=180, check=False)


def _events(out: str) -> list[dict[str, object]]:
    """The daemon's JSON log lines."""
    found = []
    for line in out.splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


def _tickets(url: str) -> int:
    """How many tickets the database holds now (0 while it has no schema yet)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("select to_regclass('tickets')").fetchone()[0] is None:
            return 0
        return int(conn.execute("select count(*) from tickets").fetchone()[0])


def _closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_database_started_30_s_after_the_daemon_is_waited_for_and_the_mail_then_served(fresh_mailboxes, tmp_path):
    """The daemon started before its database (a power cut, the database host booting later):
    it does not exit (never 78), tells systemd it is up and what it waits for, logs why (an
    error once, each retry at info), alerts the coordinators straight through SMTP after
    `alert_after_minutes`, and once the database is up 30 s later acknowledges the request
    that came before, with nobody acting."""
    servers = fresh_mailboxes
    cluster = PgCluster().init()  # made, not started: the database host is still booting
    notify = NotifySocket(tmp_path / "notify.sock")
    proc = None
    try:
        config = _config(servers, tmp_path, cluster.url("postgres"), alert_after_minutes=0.2)
        servers.append(UNIT, mail("sari@vendor.test", "Tidak bisa login SPSE", "Mohon bantuan, akun terkunci.")[0])
        env = dict(os.environ, NOTIFY_SOCKET=str(notify.path), WATCHDOG_USEC="3000000")
        proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        started = time.monotonic()
        notify.wait_for("READY=1", 20)
        notify.wait_for(r"STATUS=waiting for the database since .*cannot be reached.*", 20)
        # after alert_after_minutes (12 s) the coordinators hear of it, though the outbox is in the database
        assert wait_for(lambda: of_kind(inbox(servers, COORDINATOR), "system_alert"), 25), notify.lines()[-5:]
        time.sleep(max(0.0, 30 - (time.monotonic() - started)))
        assert proc.poll() is None, "the daemon exited while its database could not be reached"
        assert servers.fetch(UNIT, "Processed") == []
        cluster.serve()
        up = time.monotonic()
        acked = lambda: [m for m in of_kind(inbox(servers, servers.catchall), "ack") if "sari@vendor.test" in m["To"]]
        assert wait_for(acked, 60), notify.lines()[-5:]
        served_after = time.monotonic() - up
        pings = [when for when, line in notify.messages if line == "WATCHDOG=1" and when < up]
        assert proc.poll() is None
    finally:
        out = stop(proc) if proc is not None else ""
        notify.close()
        cluster.stop()
    print(f"\nserved {served_after:.1f} s after the database came up")
    assert proc.returncode == 0, out[-3000:]
    assert len(servers.fetch(UNIT, "Processed")) == 1
    assert len(pings) >= 10  # the watchdog fed while it waited (a third of 3 s apart, for 30 s)
    events = _events(out)
    failed = [e for e in events if e.get("event") == "database_unreachable"]
    retried = [e for e in events if e.get("event") == "database_still_unreachable"]
    assert len(failed) == 1 and failed[0]["level"] == "error", failed
    assert retried and all(e["level"] == "info" for e in retried)
    assert "cannot be reached" in str(failed[0]["error"])
    assert any(e.get("event") == "database_reachable" for e in events)
    assert "Traceback" not in out and "configuration error" not in out
    [alert] = of_kind(inbox(servers, COORDINATOR), "system_alert")
    assert "127.0.0.1" in alert.get_body(("plain",)).get_content()  # names the database that is away


def test_the_daemon_serves_within_seconds_of_the_databases_return(fresh_mailboxes, tmp_path):
    """A database that comes back is used at once: at the start, not at the next of tries
    that grow to 30 s apart; while running, not at the mailbox's next poll (60 s here). The
    database host is stopped and started as a restart does (`pg_ctl stop`, then start)."""
    servers = fresh_mailboxes
    cluster = PgCluster().init()  # the database host still booting
    notify = NotifySocket(tmp_path / "notify.sock")
    proc = None
    served: list[float] = []
    try:
        config = _config(servers, tmp_path, cluster.url("postgres"))
        data = yaml.safe_load(config.read_text())
        data["mailboxes"][0]["imap"].update(idle=True, poll_seconds=60)
        config.write_text(yaml.safe_dump(data, allow_unicode=True))
        env = dict(os.environ, NOTIFY_SOCKET=str(notify.path), WATCHDOG_USEC="30000000")
        proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"], cwd=ROOT,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        for k, requester in enumerate(("sari@vendor.test", "rina@vendor.test")):
            if k == 0:  # at the start: after its fourth try, the next is 16 s away
                assert wait_for(lambda: sum(line.startswith("STATUS=waiting for the database")
                                            for line in notify.lines()) >= 4, 40), notify.lines()[-5:]
            else:  # while running: the database host restarts, a request comes meanwhile
                cluster.halt()
                servers.append(UNIT, mail(requester, "Tidak bisa login SPSE", "Mohon bantuan, akun terkunci.")[0])
                time.sleep(5)  # the pass met the database away, and waits
            if k == 0:
                servers.append(UNIT, mail(requester, "Tidak bisa login SPSE", "Mohon bantuan, akun terkunci.")[0])
            cluster.serve()
            up = time.monotonic()
            if k == 0:  # serving: the store opened, every mailbox watched
                when, _ = notify.wait_for(r"STATUS=watching 1 mailbox\(es\)", 30)
                served.append(when - up)
            assert wait_for(lambda n=k + 1: _tickets(cluster.url("postgres")) == n, 30), notify.lines()[-5:]
            if k == 1:  # the request that came meanwhile handled: its ticket made, its ack queued
                served.append(time.monotonic() - up)
            acked = lambda who=requester: [m for m in of_kind(inbox(servers, servers.catchall), "ack")
                                           if who in m["To"]]
            assert wait_for(acked, 60), notify.lines()[-5:]
        assert proc.poll() is None
    finally:
        out = stop(proc) if proc is not None else ""
        notify.close()
        cluster.stop()
    # the sender met the database away at every look (2 s) and each wake-up: one warning with
    # its traceback for the outage, and its end, not a traceback each time. A look made while
    # the server was shutting down meets its words for that ("server closed the connection
    # unexpectedly") before "Connection refused": a new reason is told once more, a repeat never
    logged = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert not [e for e in logged if e.get("event") == "step_failed"], out[-3000:]
    away = [e for e in logged if e.get("event") == "sender_storage_unavailable"]
    reasons = [re.sub(r"\d+", "#", e["error"]) for e in away]  # a port, a pid: the same reason
    assert away and all("cannot be reached" in e["error"] for e in away), reasons
    assert "Traceback" in away[0]["exception"]
    assert len(set(reasons)) == len(reasons), reasons
    assert [e for e in logged if e.get("event") == "sender_storage_back"]
    print(f"\nserving {served[0]:.1f} s after the database came up at the start; the request that came while "
          f"it was away handled {served[1]:.1f} s after it came back")
    assert proc.returncode == 0, out[-3000:]
    assert served[0] < 8 and served[1] < 8, served  # a few seconds (at the next try, before: 16 s and 60 s)


def test_run_once_check_and_tickets_say_69_when_nothing_listens(fresh_mailboxes, tmp_path):
    """A closed port is a server unreachable (SPEC 10: 69) for every command, not a
    configuration error; `check` says so of the database instead of nothing."""
    config = _config(fresh_mailboxes, tmp_path, f"postgresql://mailbot@127.0.0.1:{_closed_port()}/mailbot")
    checked = _mailbot(config, "check")
    assert checked.returncode == EX_UNAVAILABLE, checked.stdout + checked.stderr
    assert "database: FAILED: " in checked.stdout and "cannot be reached" in checked.stdout
    for args in (("run", "--once"), ("tickets",)):
        done = _mailbot(config, *args)
        assert done.returncode == EX_UNAVAILABLE, (args, done.stdout, done.stderr)
        assert "cannot be reached" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def password_cluster():  # type: ignore[no-untyped-def]
    """A cluster that asks for passwords, as a production server does."""
    with PgCluster(passwords=True) as cluster:
        yield cluster


def test_a_refused_password_is_77_for_check_run_once_and_run(fresh_mailboxes, tmp_path, password_cluster):
    """A wrong password is a login refused (77), said as such, for `check`, `run --once` and the
    daemon's start (which the unit does not restart into, as it would meet the same refusal)."""
    url = password_cluster.owned_database("helpdesk_a", "Benar-123")
    (tmp_path / "db.pw").write_text("Salah-456\n")
    config = _config(fresh_mailboxes, tmp_path, url, database_password_file=str(tmp_path / "db.pw"))
    checked = _mailbot(config, "check")
    assert checked.returncode == EX_NOPERM, checked.stdout + checked.stderr
    assert "database: FAILED: " in checked.stdout and "the password was refused" in checked.stdout
    assert "Salah-456" not in checked.stdout + checked.stderr
    for args in (("run", "--once"), ("run",)):
        done = _mailbot(config, *args)
        assert done.returncode == EX_NOPERM, (args, done.stdout[-2000:], done.stderr)
        assert "the password was refused" in done.stderr
    (tmp_path / "db.pw").write_text("Benar-123\n")
    checked = _mailbot(config, "check")
    assert "database: ok (" in checked.stdout and "first start makes mailbot's schema" in checked.stdout, \
        checked.stdout
    assert "database: FAILED" not in checked.stdout


def test_check_names_a_database_that_does_not_exist_and_an_old_schema_78(fresh_mailboxes, tmp_path, pg_cluster):
    """A URL naming no database, and a schema older than this mailbot's (which the daemon
    refuses: PostgreSQL's schema is made whole, not migrated step by step) are configuration
    errors (78), each named; a database of this mailbot's schema is ok."""
    from mailbot.io.migrations import SCHEMA_VERSION
    from mailbot.io.store import Store

    config = _config(fresh_mailboxes, tmp_path, pg_cluster.url("no_such_database"))
    checked = _mailbot(config, "check")
    assert checked.returncode == EX_CONFIG, checked.stdout + checked.stderr
    assert 'database "no_such_database" does not exist' in checked.stdout

    url = pg_cluster.database()
    Store(url).close()  # made by this mailbot
    config = _config(fresh_mailboxes, tmp_path, url)
    checked = _mailbot(config, "check")
    assert f"database: ok ({url})" in checked.stdout, checked.stdout
    assert "database: FAILED" not in checked.stdout
    store = Store(url)
    store.db.execute("update meta set value = ? where key = 'schema_version'", [str(SCHEMA_VERSION - 1)])
    store.close()
    checked = _mailbot(config, "check")
    assert checked.returncode == EX_CONFIG, checked.stdout + checked.stderr
    assert f"database: FAILED: database {url} has schema {SCHEMA_VERSION - 1}" in checked.stdout


def test_check_refuses_a_role_that_may_not_make_the_schema(fresh_mailboxes, tmp_path, password_cluster):
    """PostgreSQL 15 lets only a database's owner create tables in its `public` schema: a role
    that may log in but not make mailbot's schema is named by `check` (78), not found at the
    daemon's first start."""
    import psycopg

    url = password_cluster.database()  # owned by the cluster's superuser
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create role helpdesk_c login password 'Benar-c'")
    (tmp_path / "db.pw").write_text("Benar-c\n")
    config = _config(fresh_mailboxes, tmp_path, url.replace(f"{password_cluster.superuser}@", "helpdesk_c@"),
                     database_password_file=str(tmp_path / "db.pw"))
    checked = _mailbot(config, "check")
    assert checked.returncode == EX_CONFIG, checked.stdout + checked.stderr
    assert "database: FAILED: " in checked.stdout and "may not create tables in schema public" in checked.stdout

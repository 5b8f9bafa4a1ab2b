"""SPEC 13 on PostgreSQL: the window logs in as a role that may only
read, made by the statements docs/operator/web.md gives the operator, and works: a
requester's link opens their ticket; nothing the window's session asks can write.

Over the suite's Dovecot and SMTP and its private PostgreSQL cluster: the daemon keeps the
unit's history in PostgreSQL as its own role; the window's config names the SELECT-only role
(a second config file with its own `database:`, or, in the unit's one config, the `web:`
block's `database` and `database_password_file`, which `mailbot web` alone uses).
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests import mailfactory as mf
from tests.test_web_desk import _signed_in
from tests.webwindow import Client, free_port, links_in, path_of, serving, web_block

WIB = ZoneInfo("Asia/Jakarta")
OPENED = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
GUIDE = Path(__file__).resolve().parents[1] / "docs" / "operator" / "web.md"


def _guide_statements() -> list[str]:
    """The SQL block of the guide's "PostgreSQL: a role that may only read", statement by statement."""
    text = GUIDE.read_text(encoding="utf-8").split("## PostgreSQL: a role that may only read", 1)[1]
    block = re.search(r"```sql\n(.*?)```", text, re.DOTALL)
    assert block, "the guide's SQL block"
    return [s.strip() for s in block[1].split(";") if s.strip()]


@pytest.mark.integration
def test_the_window_reads_postgresql_as_a_role_that_may_only_read(fresh_mailboxes, pg_cluster, tmp_path):
    servers = fresh_mailboxes
    url = pg_cluster.database()  # the daemon's, as the cluster's own role
    database = url.rsplit("/", 1)[1]
    owner = url.split("//", 1)[1].split("@", 1)[0]
    port = free_port()
    config = mf.write_config(servers, tmp_path, database=url, web=web_block(port))
    servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Tidak bisa login SPSE", "Mohon bantuannya.", date=OPENED)[0])
    mf.handle_at(config, OPENED + timedelta(minutes=1))
    [link] = [link for link in links_in(mf.text_of(mf.latest(servers, "budi@vendor.test", "ack")))
              if "/status/" in link]

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in _guide_statements():
            conn.execute(statement.replace("'…'", "'rahasia-web'").replace("DATABASE mailbot", f'DATABASE "{database}"')
                         .replace("FOR ROLE mailbot", f'FOR ROLE "{owner}"'))
    (tmp_path / "web.pass").write_text("rahasia-web\n")
    web_config = tmp_path / "web.yaml"
    web_config.write_text(config.read_text().replace(url, url.replace(f"//{owner}@", "//mailbot_web@"))
                          + f"database_password_file: {tmp_path / 'web.pass'}\n")

    with serving(web_config, clock=lambda: OPENED + timedelta(hours=1)) as window:
        page = Client(port).get(path_of(link))
        for sql in ("insert into meta (key, value) values ('web', 'wrote')", "update tickets set subject = 'x'"):
            with pytest.raises(psycopg.Error, match="read-only|permission denied"):
                window.store.database.execute(sql)
            window.store.database.conn.rollback()
    assert page.status == 200 and "Tidak bisa login SPSE" in page.text
    with psycopg.connect(url) as conn:  # the role itself, outside the window's read-only session
        conn.execute("set role mailbot_web")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("update tickets set subject = 'x'")


@pytest.mark.integration
def test_the_web_blocks_own_database_logs_the_window_in_as_the_select_only_role(fresh_mailboxes, pg_cluster,
                                                                               tmp_path):
    """One config for both processes: `web.database` and
    `web.database_password_file` name the window's role; the daemon keeps its own login."""
    servers = fresh_mailboxes
    url = pg_cluster.database()
    database = url.rsplit("/", 1)[1]
    owner = url.split("//", 1)[1].split("@", 1)[0]
    with psycopg.connect(url, autocommit=True) as conn:  # the guide's statements, for a role of this test's own
        for statement in _guide_statements():
            conn.execute(statement.replace("'…'", "'rahasia-jendela'").replace("mailbot_web", "jendela_baca")
                         .replace("DATABASE mailbot", f'DATABASE "{database}"')
                         .replace("FOR ROLE mailbot", f'FOR ROLE "{owner}"'))
    (tmp_path / "web.pass").write_text("rahasia-jendela\n")
    port = free_port()
    web = web_block(port, database=url.replace(f"//{owner}@", "//jendela_baca@"),
                    database_password_file=str(tmp_path / "web.pass"))
    config = mf.write_config(servers, tmp_path, database=url, web=web)
    servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Tidak bisa login SPSE", "Mohon bantuannya.", date=OPENED)[0])
    mf.handle_at(config, OPENED + timedelta(minutes=1))  # the daemon, as the owner: the web: block is not its login
    assert mf.latest(servers, "budi@vendor.test", "ack") is not None

    with serving(config, clock=lambda: OPENED + timedelta(hours=1)) as window:
        assert window.store.database.execute("select current_user").fetchone()[0] == "jendela_baca"
        client = Client(port)
        _signed_in(servers, client, mf.HEAD)
        overview = client.get("/")
        with pytest.raises(psycopg.Error, match="read-only|permission denied"):
            window.store.database.execute("update tickets set subject = 'x'")
        window.store.database.conn.rollback()
    assert overview.status == 200 and "Tidak bisa login SPSE" in overview.text and "2026-00001" in overview.text
    # the role itself, logged in as the window logs in, in a session that is not read-only: it may not write
    with psycopg.connect(url.replace(f"//{owner}@", "//jendela_baca@"), password="rahasia-jendela") as conn:
        assert conn.execute("select count(*) from tickets").fetchone()[0] == 1
        for sql in ("insert into meta (key, value) values ('web', 'wrote')", "update tickets set subject = 'x'",
                    "delete from tickets"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql)
            conn.rollback()


@pytest.mark.integration
def test_mailbot_web_with_its_own_role_needs_not_the_daemons_password(fresh_mailboxes, pg_cluster, tmp_path):
    """The window's unit is given its role's password alone: `mailbot web` (the command, as
    systemd runs it) starts and serves without the daemon's database_password_file, which
    the daemon itself still reads."""
    from tests.test_web_command import _get, _port_open

    servers = fresh_mailboxes
    url = pg_cluster.database()
    database = url.rsplit("/", 1)[1]
    owner = url.split("//", 1)[1].split("@", 1)[0]
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in _guide_statements():
            conn.execute(statement.replace("'…'", "'rahasia-unit'").replace("mailbot_web", "jendela_unit")
                         .replace("DATABASE mailbot", f'DATABASE "{database}"')
                         .replace("FOR ROLE mailbot", f'FOR ROLE "{owner}"'))
    (tmp_path / "daemon.pass").write_text("sandi-daemon\n")
    (tmp_path / "web.pass").write_text("rahasia-unit\n")
    port = free_port()
    web = web_block(port, database=url.replace(f"//{owner}@", "//jendela_unit@"),
                    database_password_file=str(tmp_path / "web.pass"))
    config = mf.write_config(servers, tmp_path, database=url, database_password_file=str(tmp_path / "daemon.pass"),
                             web=web, log={"format": "json", "level": "info"})
    servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Tidak bisa login SPSE", "Mohon bantuannya.", date=OPENED)[0])
    mf.handle_at(config, OPENED + timedelta(minutes=1))
    [link] = [link for link in links_in(mf.text_of(mf.latest(servers, "budi@vendor.test", "ack")))
              if "/status/" in link]
    (tmp_path / "daemon.pass").unlink()  # the window's unit holds the window's credential alone
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "web"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=mf.ROOT, start_new_session=True)
    try:
        assert mf.wait_for(lambda: _port_open(port) or proc.poll() is not None, 30)
        assert proc.poll() is None, "mailbot web stopped"
        assert _get(port, path_of(link)) == 200
    finally:
        out = mf.stop(proc)
    assert proc.returncode == 0, out


def _guide_psql() -> tuple[str, str]:
    """Who the guide runs the statements as, and on which database: its `sudo -u USER psql -d DATABASE`."""
    text = GUIDE.read_text(encoding="utf-8").split("## PostgreSQL: a role that may only read", 1)[1]
    found = re.search(r"^sudo -u (\S+) psql -d (\S+)$", text.split("```sql", 1)[0], re.MULTILINE)
    assert found, "the guide says who runs the statements, and where"
    return found[1], found[2]


@pytest.mark.integration
@pytest.mark.parametrize("when", ["after the first start", "before the first start"])
def test_the_guides_role_statements_run_as_written_and_the_role_reads_alone(when):
    """web.md's statements as written, by the user and on the database its `psql` line names,
    on a cluster of the test's own where the daemon's role `mailbot` is an ordinary role that
    owns the database (as several-hosts.md's createuser and createdb make it: no CREATEROLE).
    Run as that role they failed ("permission denied to create role"). The window's role then
    reads every table, one a later migration adds included, and writes none."""
    from mailbot.io.store import Store
    from tests.pgcluster import PgCluster

    user, database = _guide_psql()
    with PgCluster(superuser=user, passwords=True) as cluster:
        with psycopg.connect(cluster.url(), autocommit=True) as conn:  # several-hosts.md: createuser, createdb
            conn.execute("create role mailbot login password 'sandi-daemon'")
            conn.execute(f'create database "{database}" owner mailbot')
        daemon = cluster.url(database, "mailbot")
        with psycopg.connect(daemon, password="sandi-daemon") as conn:
            assert conn.execute("select rolcreaterole, rolsuper from pg_roles where rolname = current_user"
                                ).fetchone() == (False, False)
        if when == "after the first start":
            Store(daemon, password="sandi-daemon").close()  # the daemon's first start makes the tables
        with psycopg.connect(cluster.url(database), autocommit=True) as conn:  # sudo -u postgres psql -d mailbot
            for statement in _guide_statements():
                conn.execute(statement.replace("'…'", "'rahasia-web'"))
        if when == "before the first start":
            Store(daemon, password="sandi-daemon").close()
        with psycopg.connect(daemon, password="sandi-daemon", autocommit=True) as conn:
            conn.execute("create table added_later (id integer)")  # a later migration, by the daemon's role
        reader = cluster.url(database, "mailbot_web")
        window = Store(reader, password="rahasia-web", readonly=True, migrate=False)  # as `mailbot web` opens it
        try:
            assert window.database.execute("select count(*) from tickets").fetchone()[0] == 0
        finally:
            window.close()
        with psycopg.connect(reader, password="rahasia-web") as conn:  # the role, in a session that may write
            for table in ("tickets", "meta", "events", "added_later"):
                conn.execute(f"select count(*) from {table}")
            for sql in ("insert into meta (key, value) values ('web', 'wrote')", "update tickets set subject = 'x'",
                        "delete from events", "create table mine (id integer)"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(sql)
                conn.rollback()

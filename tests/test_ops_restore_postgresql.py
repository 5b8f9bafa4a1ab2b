"""`mailbot restore` of a PostgreSQL store. The rows are pg_dump's and
pg_restore's; mailbot's part is the key, the archive and what happened after the backup
(the guarantees): the mail handled since is handled once more by itself, keeps the
numbers its requesters were mailed, and no requester gets a second ack.

Driven as an operator drives it, over the suite's Dovecot and SMTP and a private
PostgreSQL cluster: `mailbot backup` with `pg_dump -Fc` beside it, mail handled by `run
--once`, the database lost, `pg_restore` into a new one, `mailbot restore`, `run --once`.
"""

from __future__ import annotations

import subprocess
from collections import Counter

import psycopg
import yaml

from tests import mailfactory as mf
from tests.test_ops_restore import CATCHALL, acks, cmd, numbers_mailed, request


def _rows(url: str, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql).fetchall()


def test_a_postgresql_store_put_back_by_pg_restore_handles_the_mail_since_the_backup_once(
        fresh_mailboxes, pg_cluster, tmp_path):
    servers = fresh_mailboxes
    url = pg_cluster.database()
    config = mf.write_config(servers, tmp_path, database=url)
    for i in (1, 2, 3):
        request(servers, i)
    mf.run_once(config)
    assert cmd(config, "backup", str(tmp_path / "b"), "--archive") == 0
    dump = tmp_path / "b" / "mailbot.pgdump"
    subprocess.run([str(pg_cluster.bindir / "pg_dump"), "-Fc", "-f", str(dump), url], check=True, timeout=120)
    ids = [request(servers, i) for i in (4, 5, 6)]
    mf.run_once(config)
    notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
                  if "dokumen 5" in str(m["Subject"]))
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "Silakan kosongkan cache peramban lalu unggah ulang.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    mailed = numbers_mailed(servers)
    assert mailed == {f"vendor{i}@penyedia{i}.test": [f"2026-0000{i}"] for i in range(1, 7)}, mailed

    # the database is lost; the operator restores the dump into a new one and points the config at it
    restored = pg_cluster.database()
    data = yaml.safe_load(config.read_text())
    data["database"] = restored
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    assert cmd(config, "restore", str(tmp_path / "b")) == 78  # no rows yet: pg_restore first, it says
    subprocess.run([str(pg_cluster.bindir / "pg_restore"), "--no-owner", "-d", restored, str(dump)], check=True,
                   timeout=120)
    assert len(_rows(restored, "select number from tickets")) == 3  # the backup's state
    assert cmd(config, "restore", str(tmp_path / "b")) == 0
    mf.run_once(config)

    assert not mf.inbox(servers, mf.UNIT)
    assert numbers_mailed(servers) == {f"vendor{i}@penyedia{i}.test": [f"2026-0000{i}"] for i in range(1, 7)}
    assert len(acks(servers)) == 6 and len(mf.of_kind(mf.inbox(servers, CATCHALL), "staff_reply")) == 1
    tickets = dict(_rows(restored, "select requester, number from tickets"))
    assert tickets == {f"vendor{i}@penyedia{i}.test": f"2026-0000{i}" for i in range(1, 7)}
    recorded = Counter(mid for (mid,) in _rows(restored, "select message_id from messages where direction = 'in'"))
    assert all(recorded[mid] == 1 for mid in ids) and max(recorded.values()) == 1
    assert _rows(restored, "select state from tickets where number = '2026-00005'") == [("answered",)]
    request(servers, 7)
    mf.run_once(config)
    assert numbers_mailed(servers)["vendor7@penyedia7.test"] == ["2026-00007"]

"""Red-team (day two): a database written by an older mailbot, then the current code."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.mailfactory import STAFF, UNIT, inbox, mail, of_kind, reply_as_client, write_config

OLD = [Path("/tmp/rt_old5"), Path("/tmp/rt_old4")]
ROOT = Path(__file__).resolve().parents[2]


def cli(cwd: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailbot.cli", "--config", str(config), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def snapshot(db: Path) -> dict:
    conn = sqlite3.connect(db)
    out: dict = {}
    for table in ("tickets", "timers", "outbox", "messages", "events", "participants", "imap_state", "counters"):
        cols = [r[1] for r in conn.execute(f"pragma table_info({table})")]
        keep = [c for c in cols if c not in ("raw", "raw_big")]
        out[table] = sorted(tuple(str(v) for v in r) for r in conn.execute(f"select {', '.join(keep)} from {table}"))
    out["version"] = conn.execute("select value from meta where key='schema_version'").fetchone()[0]
    conn.close()
    return out


@pytest.mark.parametrize("old", OLD, ids=lambda p: p.name)
def test_upgrade_keeps_every_ticket_timer_and_outbox_row(fresh_mailboxes, tmp_path, old):
    if not old.exists():
        pytest.skip("old worktree missing")
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    servers.append(UNIT, mail("budi@vendor.test", "Akun terkunci", "Mohon dibuka.")[0])
    servers.append(UNIT, mail("sari@dinas.test", "Lupa sandi", "Mohon reset.")[0])
    r = cli(old, config, "run", "--once"); assert r.returncode == 0, r.stderr
    notice = next(m for m in inbox(servers, STAFF[0]) if "Akun terkunci" in str(m["Subject"]))
    servers.append(UNIT, reply_as_client(notice, STAFF[0], "#eskalasi\nMohon dibantu LKPP.")[0])
    r = cli(old, config, "run", "--once"); assert r.returncode == 0, r.stderr
    # SMTP down: the next mail's ack and notice stay pending in the old outbox
    data = yaml.safe_load(config.read_text())
    good_port = data["smtp"]["port"]
    data["smtp"]["port"] = 1
    config.write_text(yaml.safe_dump(data))
    servers.append(UNIT, mail("citra@vendor.test", "Tidak bisa login", "Tolong.")[0])
    r = cli(old, config, "run", "--once"); assert r.returncode == 0, r.stderr
    db = tmp_path / "mailbot.db"
    before = snapshot(db)
    pending_before = [r for r in before["outbox"]]
    print("old schema", before["version"], "tickets", len(before["tickets"]), "timers", len(before["timers"]),
          "outbox", len(before["outbox"]))

    # the current code: read-only commands first
    r = cli(ROOT, config, "tickets", "--json"); assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)
    assert len(listed) == len(before["tickets"]) == 3
    data["smtp"]["port"] = good_port
    config.write_text(yaml.safe_dump(data))
    r = cli(ROOT, config, "check"); print("check:", r.returncode, r.stdout[-500:], r.stderr[-500:])
    after_check = snapshot(db)
    for table in ("tickets", "timers", "outbox", "messages", "events", "participants", "imap_state", "counters"):
        assert len(after_check[table]) == len(before[table]), table
    import time
    time.sleep(32)  # the failed attempt's backoff (30 s)
    r = cli(ROOT, config, "run", "--once"); assert r.returncode == 0, r.stderr
    after = snapshot(db)
    assert after["version"] == "6"
    assert len(after["tickets"]) == 3 and len(after["outbox"]) >= len(pending_before)
    conn = sqlite3.connect(db)
    assert {s for (s,) in conn.execute("select status from outbox")} == {"sent"}
    # the pending ack reached citra exactly once
    acks = [m for m in of_kind(inbox(servers, "catchall@lpse.test"), "ack") if "Tidak bisa login" in str(m["Subject"])]
    assert len(acks) == 1
    # a staff reply to a notice sent by the old code still acts (signed Message-IDs still verify)
    notice2 = next(m for m in inbox(servers, STAFF[0]) if "Lupa sandi" in str(m["Subject"]))
    servers.append(UNIT, reply_as_client(notice2, STAFF[0], "Sudah kami reset, silakan coba.")[0])
    r = cli(ROOT, config, "run", "--once"); assert r.returncode == 0, r.stderr
    replies = of_kind(inbox(servers, "sari@dinas.test"), "staff_reply")
    assert len(replies) == 1

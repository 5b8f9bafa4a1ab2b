"""SPEC 11, one key for every process of a shared store, as an operator meets it.

Two hosts (two `mailbot run` processes, each with its own data folder and no key yet) are
started in the same second on a new, empty PostgreSQL database. They used to make a key
each; host B then took host A's mailbox when A died, and a genuine staff `#catatan` reply to
A's notice was kept unverified, not run. Now the first host makes the key and the database
records its fingerprint; the second makes none, and stops with 78 naming its key file and
how to copy the key. With the key copied as several-hosts.md says, the staff command that
replies to A's notice runs on B after A is killed.

Real parts: the suite's Dovecot and SMTP, a private PostgreSQL cluster (tests/pgcluster.py),
the daemons as processes in working directories of their own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
import yaml

from mailbot.io.locks import DAEMONS
from mailbot.io.store import Store
from mailbot.io.store.postgres import WRITER_KEY, lock_key
from tests.mailfactory import STAFF, UNIT, config_data, daemon, inbox, mail, of_kind, reply_as_client, stop, wait_for
from tests.pgcluster import waiting_for_locks

pytestmark = pytest.mark.integration
GUIDE = Path(__file__).resolve().parents[1] / "docs" / "operator" / "several-hosts.md"


def _guide_copy(source: Path, target: Path) -> list[str]:
    """The guide's line that puts the copied key in place on a host, as written, on this
    test's files (and without `-o mailbot -g mailbot`: the test has no such user)."""
    [line] = [line.strip() for line in GUIDE.read_text(encoding="utf-8").splitlines()
              if line.strip().startswith("install ") and line.strip().endswith("/var/lib/mailbot/secret.key")]
    words = line.replace(" -o mailbot -g mailbot", "").split()
    assert words[:-2] == ["install", "-D", "-m", "0600"], line
    return [*words[:-2], str(source), str(target)]


def _host(servers, tmp_path, name: str, url: str):  # type: ignore[no-untyped-def]
    """A host's working directory and config: its own data folder (no key in it yet), the
    shared database and the shared archive."""
    home = tmp_path / name
    home.mkdir()
    data = config_data(servers, home, log={"format": "json", "level": "warning"}, database=url,
                       archive_dir=str(tmp_path / "shared-archive"), lease_seconds=5,
                       secret_key_file=str(home / "data" / "secret.key"))
    data["mailboxes"][0]["imap"].update(idle=True, poll_seconds=5)
    config = home / "config.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    return config


def _joined(url: str, pid: int) -> bool:
    """Whether the daemon `pid` counts itself among the database's daemons (it serves now)."""
    key = lock_key(DAEMONS) & 0xFFFFFFFFFFFFFFFF
    with psycopg.connect(url, autocommit=True) as conn:
        return bool(conn.execute(
            "select exists (select 1 from pg_locks l join pg_stat_activity a on a.pid = l.pid where "
            "l.locktype = 'advisory' and l.granted and l.classid = %s::bigint::oid and l.objid = %s::bigint::oid "
            "and a.application_name like %s)", [key >> 32, key & 0xFFFFFFFF, f"% {pid}"]).fetchone()[0])


def test_hosts_started_together_share_one_key_and_a_staff_command_to_one_hosts_notice_runs_on_the_other(
        fresh_mailboxes, pg_cluster, tmp_path):
    servers = fresh_mailboxes
    url = pg_cluster.database()
    configs = [_host(servers, tmp_path, name, url) for name in ("host1", "host2")]
    keys = [c.parent / "data" / "secret.key" for c in configs]
    # Both meet the new database at one moment: an operator's session holds the writer lock
    # while they start, and lets go once both wait (behind it, or on their turn).
    procs: list[subprocess.Popen[bytes]] = []
    outputs: dict[int, str] = {}
    try:
        with psycopg.connect(url, autocommit=True) as writer:
            writer.execute("select pg_advisory_lock(%s)", [WRITER_KEY])
            procs += [daemon(c) for c in configs]
            assert wait_for(lambda: waiting_for_locks(url) == 2 or any(p.poll() is not None for p in procs), 60)
            writer.execute("select pg_advisory_unlock(%s)", [WRITER_KEY])
        assert wait_for(lambda: any(p.poll() is not None for p in procs), 60), "neither stopped"
        [refused] = [k for k, p in enumerate(procs) if p.poll() is not None]
        first = 1 - refused
        outputs[refused] = stop(procs[refused])
        assert procs[refused].returncode == 78, outputs[refused][-3000:]
        assert wait_for(lambda: _joined(url, procs[first].pid), 30)
        said = outputs[refused]
        assert f"secret_key_file: {keys[refused]} does not exist on this host" in said, said[-3000:]
        assert "Copy secret_key_file from a host of this database" in said and "several-hosts.md" in said
        assert keys[first].exists() and not keys[refused].exists()  # one key, made by the first

        # host A (the first) serves the mailbox: a request, its ack and the staff notice it signs
        servers.append(UNIT, mail("budi@vendor.test", "Tidak bisa login SPSE", "Mohon bantuan, akun terkunci.")[0])
        assert wait_for(lambda: of_kind(inbox(servers, STAFF[0]), "staff_new"), 60)
        [notice] = of_kind(inbox(servers, STAFF[0]), "staff_new")

        # the key copied to host B as the guide says, and B started: A keeps the mailbox
        subprocess.run(_guide_copy(keys[first], keys[refused]), check=True)
        procs[refused] = daemon(configs[refused])
        assert wait_for(lambda: _joined(url, procs[refused].pid) or procs[refused].poll() is not None, 60)
        assert procs[refused].poll() is None, stop(procs[refused])[-3000:]

        os.killpg(procs[first].pid, signal.SIGKILL)  # host A dies
        procs[first].communicate(timeout=30)
        killed = time.monotonic()
        raw, _ = reply_as_client(notice, STAFF[0], "#catatan Sudah kami hubungi lewat telepon.")
        servers.append(UNIT, raw)
        assert wait_for(lambda: of_kind(inbox(servers, STAFF[0]), "command_ok"), 60), \
            [m["X-Mailbot-Kind"] for m in inbox(servers, STAFF[0])]
        ran_after = time.monotonic() - killed
    finally:
        for k, proc in enumerate(procs):
            if proc.poll() is None:
                outputs[k] = stop(proc)
    print(f"\nthe staff command to host A's notice ran on host B {ran_after:.1f} s after A was killed")
    store = Store(url)
    try:
        events = [e["kind"] for e in store.db.query("select kind from events")]
        notes = [e["detail"] for e in store.db.query("select detail from events where kind = 'note'")]
    finally:
        store.close()
    assert "unverified_note" not in events, events
    assert len(notes) == 1 and "Sudah kami hubungi lewat telepon." in notes[0]
    everyone = [m for user in (*STAFF, "koordinator@lpse.test") for m in inbox(servers, user)]
    assert not of_kind(everyone, "unverified")
    assert "Traceback" not in outputs.get(1 - refused, "")

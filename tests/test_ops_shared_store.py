"""Beyond one host (issue 47): mailbot processes in working directories of their own,
sharing nothing but one PostgreSQL database and the mail servers, serve the same
mailboxes; one is killed mid-backlog. Every request has one ticket and its requester one
acknowledgement (at most one resend per killed process), nothing is quarantined.

Real parts: Dovecot and the SMTP server of the suite, a PostgreSQL cluster the tests start
themselves (tests/pgcluster.py), `mailbot run` as systemd starts it.
"""

from __future__ import annotations

import collections
import os
import secrets
import signal
import time

import yaml

from tests.mailfactory import UNIT, config_data, daemon, inbox, mail, of_kind, stop, wait_for


N = int(os.environ.get("MAILBOT_SHARED_REQUESTS", "60"))  # heavier runs set more


def _host(servers, tmp_path, name: str, url: str, key: bytes):  # type: ignore[no-untyped-def]
    """One host's working directory: its own config, archive and key file (the key copied
    from the first host, as the operator's guide says), the shared database's URL."""
    home = tmp_path / name
    home.mkdir()
    data = config_data(servers, home, log={"format": "json", "level": "info"})
    data["database"] = url
    data["lease_seconds"] = 5
    data["mailboxes"][0]["imap"]["idle"] = True
    data["mailboxes"][0]["imap"]["poll_seconds"] = 5
    (home / "secret.key").write_bytes(key)
    data["secret_key_file"] = str(home / "secret.key")
    config = home / "config.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    return config


def test_two_hosts_on_one_postgresql_give_each_request_one_ticket_and_one_ack_when_one_is_killed(
        fresh_mailboxes, pg_cluster, tmp_path):
    from mailbot.io.store import Store

    servers = fresh_mailboxes
    url = pg_cluster.database()
    key = secrets.token_hex(32).encode()
    first, second = daemon(_host(servers, tmp_path, "host1", url, key)), None
    outputs = []
    try:
        time.sleep(2)
        second = daemon(_host(servers, tmp_path, "host2", url, key))
        time.sleep(3)
        for i in range(N):  # sixty vendors, each its own domain (sixty alike mails from one would be a loop)
            servers.append(UNIT, mail(f"user{i:02d}@vendor{i:02d}.test", f"Masalah {i}", "Mohon bantuan.")[0])
            if i == N // 3:
                os.killpg(first.pid, signal.SIGKILL)  # mid-backlog, the daemon and its sender
        assert wait_for(lambda: len(servers.fetch(UNIT, "Processed")) == N, 120), \
            f"{len(servers.fetch(UNIT, 'Processed'))} of {N} handled"
        assert wait_for(lambda: len(of_kind(inbox(servers, "catchall@lpse.test"), "ack")) >= N, 60)
        time.sleep(5)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        outputs.append(first.communicate(timeout=30)[0].decode(errors="replace"))
        if second is not None:
            outputs.append(stop(second))
        print("host1:", outputs[0][-3000:])
        print("host2:", outputs[-1][-3000:])
    store = Store(url)
    try:
        tickets = list(store.db.execute("select subject from tickets").fetchall())
    finally:
        store.close()
    by_subject = collections.Counter(subject for (subject,) in tickets)
    assert len(tickets) == N and all(n == 1 for n in by_subject.values()), by_subject.most_common(3)
    acks = collections.Counter(m["To"] for m in of_kind(inbox(servers, "catchall@lpse.test"), "ack"))
    assert len(acks) == N  # every requester acknowledged
    assert sum(acks.values()) <= N + 1, acks.most_common(3)  # at most one resend, by the killed process
    assert len(servers.fetch(UNIT, "Processed")) == N
    assert servers.fetch(UNIT, "Quarantine") == []
    assert "Traceback" not in outputs[-1], outputs[-1][-3000:]

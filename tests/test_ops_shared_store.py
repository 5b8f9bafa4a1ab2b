"""Beyond one host: mailbot processes in working directories of their own,
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
import subprocess
import sys
import threading
import time

import pytest
import yaml

from tests.mailfactory import UNIT, config_data, daemon, inbox, mail, of_kind, stop, wait_for
from tests.pgcluster import waiting_for_locks

N = int(os.environ.get("MAILBOT_SHARED_REQUESTS", "60"))  # heavier runs set more


def _wait_for_holder(url: str, lock: str, procs, seconds: float = 10.0):  # type: ignore[no-untyped-def]
    """The daemon whose session holds the lock (its application_name names its process), as
    soon as one does; None when none did within `seconds`."""
    import psycopg

    from mailbot.io.store.postgres import lock_key

    key = lock_key(lock) & 0xFFFFFFFFFFFFFFFF
    by_pid = {proc.pid: proc for proc in procs}
    deadline = time.monotonic() + seconds
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid "
                "where l.locktype = 'advisory' and l.granted and l.classid = %s::bigint::oid "
                "and l.objid = %s::bigint::oid", [key >> 32, key & 0xFFFFFFFF]).fetchone()
            if row and (pid := int(row[0].rsplit(" ", 1)[1])) in by_pid:
                return by_pid[pid]
            time.sleep(0.02)
    return None


def _tickets_by_subject(url: str) -> collections.Counter[str]:
    """How many tickets the shared database holds for each subject (one request, one subject)."""
    from mailbot.io.store import Store

    store = Store(url)
    try:
        return collections.Counter(subject for (subject,) in store.db.execute("select subject from tickets"))
    finally:
        store.close()


def _activity(url: str) -> str:
    """What every session does and holds, for a failure's message."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("select a.application_name, a.state, a.wait_event, left(a.query, 60), "
                            "(select count(*) from pg_locks l where l.pid = a.pid and l.locktype = 'advisory') "
                            "from pg_stat_activity a where a.datname = current_database() "
                            "and a.pid != pg_backend_pid()").fetchall()
    return "; ".join(str(r) for r in rows)


def _tickets_of(url: str, boxes: list[str]) -> dict[str, int]:
    """How many tickets each mailbox (by name) has in the shared database now."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        counted = dict(conn.execute("select mailbox, count(*) from tickets group by mailbox").fetchall())
    return {box: int(counted.get(box, 0)) for box in boxes}


def _served_by(url: str, pid: int, boxes: list[str]) -> list[str]:
    """The mailboxes (by name) whose serving lock the process `pid` holds now."""
    import psycopg

    from mailbot.io.store.postgres import lock_key

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("select l.classid::bigint, l.objid::bigint from pg_locks l join pg_stat_activity a "
                            "on a.pid = l.pid where l.locktype = 'advisory' and l.granted "
                            "and a.application_name like %s", [f"% {pid}"]).fetchall()
    keys = {(high << 32) | low for high, low in rows}
    return [name for name in boxes if lock_key(f"serve:{name}") & 0xFFFFFFFFFFFFFFFF in keys]


class _ServedAgain(threading.Thread):
    """From an event (a host killed or stopped) on: for each mailbox that host served, the
    seconds until it had a new ticket, that is until another host handled its mail."""

    def __init__(self, url: str, boxes: list[str], seconds: float = 90.0) -> None:
        super().__init__(daemon=True)
        self.url, self.seconds, self.at = url, seconds, time.monotonic()
        self.before = _tickets_of(url, boxes)
        self.after: dict[str, float] = {}
        self.start()

    def run(self) -> None:
        while len(self.after) < len(self.before) and time.monotonic() - self.at < self.seconds:
            now = _tickets_of(self.url, list(self.before))
            for box, count in self.before.items():
                if box not in self.after and now[box] > count:
                    self.after[box] = round(time.monotonic() - self.at, 1)
            time.sleep(0.1)

    def slowest(self) -> float:
        self.join()
        missing = set(self.before) - set(self.after)
        return max([self.seconds if missing else 0.0, *self.after.values()])


def _host(servers, tmp_path, name: str, url: str, key: bytes):  # type: ignore[no-untyped-def]
    """One host's working directory: its own config and key file (the key copied from the
    first host, as the operator's guide says), the shared database's URL, and the shared
    archive (the folder every host mounts, e.g. over NFS: here one outside every host's
    working directory)."""
    home = tmp_path / name
    home.mkdir()
    data = config_data(servers, home, log={"format": "json", "level": "warning"})
    data["database"] = url
    data["archive_dir"] = str(tmp_path / "shared-archive")
    data["lease_seconds"] = 5
    data["mailboxes"][0]["imap"]["idle"] = True
    data["mailboxes"][0]["imap"]["poll_seconds"] = 5
    (home / "secret.key").write_bytes(key)
    data["secret_key_file"] = str(home / "secret.key")
    config = home / "config.yaml"
    config.write_text(yaml.safe_dump(data, allow_unicode=True))
    return config


@pytest.mark.alone
def test_a_host_stopped_past_its_lease_is_taken_over_and_does_nothing_twice_when_continued(
        fresh_mailboxes, pg_cluster, tmp_path):
    """SIGSTOP of one host (its daemon and sender) mid-backlog for twice the lease: the other
    serves the mailbox and its mail within the lease and a few seconds; continued, the
    stopped host handles and sends nothing a second time."""

    servers = fresh_mailboxes
    url = pg_cluster.database()
    key = secrets.token_hex(32).encode()
    lease = 5
    first = daemon(_host(servers, tmp_path, "host1", url, key))
    time.sleep(2)
    second = daemon(_host(servers, tmp_path, "host2", url, key))
    outputs = []
    try:
        time.sleep(3)
        half = N // 2
        for i in range(half):
            servers.append(UNIT, mail(f"user{i:02d}@vendor{i:02d}.test", f"Masalah {i}", "Mohon bantuan.")[0])
        holder = _wait_for_holder(url, "serve:t", (first, second))  # the daemon serving the mailbox
        assert holder is not None, _activity(url)
        os.killpg(holder.pid, signal.SIGSTOP)
        stopped_at = time.monotonic()
        before = len(servers.fetch(UNIT, "Processed"))  # the stopped one handles nothing more
        for i in range(half, N):
            servers.append(UNIT, mail(f"user{i:02d}@vendor{i:02d}.test", f"Masalah {i}", "Mohon bantuan.")[0])
        assert wait_for(lambda: len(servers.fetch(UNIT, "Processed")) > before, lease + 30, step=0.2), _activity(url)
        served_in = time.monotonic() - stopped_at  # the first mail handled by the other after the stop
        assert wait_for(lambda: len(servers.fetch(UNIT, "Processed")) == N, 60), \
            f"{len(servers.fetch(UNIT, 'Processed'))} of {N} handled while the holder was stopped"
        assert wait_for(lambda: len(of_kind(inbox(servers, "catchall@lpse.test"), "ack")) >= N, 60)
        time.sleep(max(0.0, 2 * lease - (time.monotonic() - stopped_at)))
        os.killpg(holder.pid, signal.SIGCONT)
        time.sleep(lease + 5)  # what the continued host would do twice, it would have done by now
    finally:
        for proc in (first, second):
            os.killpg(proc.pid, signal.SIGCONT)
        outputs.append(stop(first))
        outputs.append(stop(second))
    print("stopped", "host1" if holder is first else "host2", "- served again", round(served_in, 1),
          "s after the stop")
    assert served_in <= lease + 5  # each mailbox served again within lease_seconds + 5 s
    by_subject = _tickets_by_subject(url)
    assert sum(by_subject.values()) == N and all(n == 1 for n in by_subject.values()), by_subject.most_common(3)
    acks = collections.Counter(m["To"] for m in of_kind(inbox(servers, "catchall@lpse.test"), "ack"))
    assert len(acks) == N and sum(acks.values()) <= N + 1, acks.most_common(3)
    assert len(servers.fetch(UNIT, "Processed")) == N
    assert servers.fetch(UNIT, "Quarantine") == []


def test_a_host_whose_archive_is_not_the_shared_one_is_refused(fresh_mailboxes, pg_cluster, tmp_path):
    """The relays attach files from the archive whichever host wrote them: a host starting
    with an archive of its own is refused (78) naming archive_dir, before it handles mail."""
    servers = fresh_mailboxes
    url = pg_cluster.database()
    key = secrets.token_hex(32).encode()
    first = _host(servers, tmp_path, "host1", url, key)
    assert subprocess.run([sys.executable, "-m", "mailbot", "--config", str(first), "run", "--once"],
                          capture_output=True, timeout=120, check=False).returncode == 0
    lonely = _host(servers, tmp_path, "host2", url, key)
    data = yaml.safe_load(lonely.read_text())
    data["archive_dir"] = str(tmp_path / "host2" / "archive")
    lonely.write_text(yaml.safe_dump(data))
    done = subprocess.run([sys.executable, "-m", "mailbot", "--config", str(lonely), "run", "--once"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 78
    assert "archive_dir" in done.stderr + done.stdout and "shared" in done.stderr + done.stdout


@pytest.mark.parametrize("made", [False, True], ids=["empty", "migrated"])
def test_two_hosts_started_in_the_same_second_on_an_empty_database_both_serve(fresh_mailboxes, pg_cluster,
                                                                              tmp_path, made):
    """Both hosts boot together after a power cut (or the first deployment) on a new,
    empty database (or one `migrate --to` made, with no archive named yet) and one shared
    archive. Making the schema and naming the archive take turns: the second waits for the
    first, then finds both made; neither dies (one died of `DuplicateTable: relation
    "arrivals" already exists`, or refused the archive the first had just named), each serves
    its share of the two mailboxes, and every request is acked."""
    from mailbot.io.store import Store
    from tests.conftest import empty_mailbox
    from tests.mailfactory import mailbox_block

    servers = fresh_mailboxes
    units = ["lpse@unit-a.test", "lpse@unit-b.test"]
    for user in units:
        if user not in servers.users:
            servers.add_user(user)
        empty_mailbox(servers, user)
    url, key = pg_cluster.database(), secrets.token_hex(32).encode()
    if made:
        Store(url).close()  # the schema made, as `migrate --to` leaves it: no host has named the archive
    configs = []
    for name in ("host1", "host2"):
        home = tmp_path / name
        home.mkdir()
        data = config_data(servers, home, log={"format": "json", "level": "warning"}, database=url,
                           archive_dir=str(tmp_path / "shared-archive"), lease_seconds=5,
                           secret_key_file=str(home / "secret.key"))
        data["mailboxes"] = [mailbox_block(servers, address, name=f"u{k}", prefix=f"LPSE-U{k}", idle=True,
                                           poll_seconds=5) for k, address in enumerate(units)]
        (home / "secret.key").write_bytes(key)
        configs.append(home / "config.yaml")
        configs[-1].write_text(yaml.safe_dump(data, allow_unicode=True))
    for k, unit in enumerate(units):  # mail waiting for both, as after a power cut
        for i in range(3):
            servers.append(unit, mail(f"user{k}{i}@vendor{k}{i}.test", f"Masalah {k}-{i}", "Mohon bantuan.",
                                      to=unit)[0])
    import psycopg

    from mailbot.io.store.postgres import WRITER_KEY

    # Both meet the database at one moment: a writer (an operator's session) holds the
    # database's writer lock as they start, and lets go once both wait behind it (or on their turn).
    procs: list[subprocess.Popen[bytes]] = []
    outputs = []
    try:
        with psycopg.connect(url, autocommit=True) as writer:
            writer.execute("select pg_advisory_lock(%s)", [WRITER_KEY])
            procs += [daemon(c) for c in configs]  # the same second
            assert wait_for(lambda: waiting_for_locks(url) == 2 or any(p.poll() is not None for p in procs), 60), \
                (waiting_for_locks(url), _activity(url))
            writer.execute("select pg_advisory_unlock(%s)", [WRITER_KEY])
        assert wait_for(lambda: all(_served_by(url, p.pid, ["u0", "u1"]) for p in procs) or
                        any(p.poll() is not None for p in procs), 60), _activity(url)
        assert [p.poll() for p in procs] == [None, None]
        shares = [_served_by(url, p.pid, ["u0", "u1"]) for p in procs]
        assert wait_for(lambda: len(of_kind(inbox(servers, "catchall@lpse.test"), "ack")) >= 6, 60)
        assert [p.poll() for p in procs] == [None, None]
    finally:
        outputs = [stop(p) for p in procs]
    assert sorted(shares) == [["u0"], ["u1"]], shares  # each serves its share
    for out in outputs:
        assert "Traceback" not in out and "DuplicateTable" not in out and "archive_dir" not in out, out[-3000:]
    assert [p.returncode for p in procs] == [0, 0], [out[-2000:] for out in outputs]
    acks = collections.Counter(m["To"] for m in of_kind(inbox(servers, "catchall@lpse.test"), "ack"))
    assert len(acks) == 6 and set(acks.values()) == {1}, acks
    assert all(len(servers.fetch(u, "Processed")) == 3 for u in units)


SHARED_BOXES = int(os.environ.get("MAILBOT_SHARED_MAILBOXES", "6"))  # the run: 30 mailboxes, 3000 requests
SHARED_REQUESTS = int(os.environ.get("MAILBOT_SHARED_MANY_REQUESTS", "180"))


def _midday_zone() -> str:
    """A fixed-offset zone where it is between 09:00 and 21:00 now, so a working day's digest
    is due whatever the hour the suite runs at (the calendar: every day, all day)."""
    from datetime import UTC, datetime

    offset = (13 - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 12 else offset
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


@pytest.mark.alone
def test_three_hosts_serve_many_mailboxes_through_a_kill_and_a_stop_each_request_once_and_one_digest(
        fresh_mailboxes, pg_cluster, tmp_path):
    """Several hosts on one store at the suite's size (the 30 mailboxes and 3,000 requests
    by MAILBOT_SHARED_MAILBOXES and MAILBOT_SHARED_MANY_REQUESTS): three processes in working
    directories of their own, one killed with SIGKILL mid-backlog and one stopped with
    SIGSTOP past its lease and continued: every request one ticket and one staff notice,
    every requester an ack, each digest queued once; the only mail twice is at most the one
    each of the two processes had in flight when it was killed or stopped."""
    from mailbot.io.store import Store
    from tests.mailfactory import mailbox_block

    servers = fresh_mailboxes
    units = [f"lpse@unit{k:02d}.test" for k in range(SHARED_BOXES)]
    for user in units:
        if user not in servers.users:
            servers.add_user(user)
    from tests.conftest import empty_mailbox

    for user in units:
        empty_mailbox(servers, user)
    url, key, lease = pg_cluster.database(), secrets.token_hex(32).encode(), 5
    configs = []
    for name in ("host1", "host2", "host3"):
        home = tmp_path / name
        home.mkdir()
        data = config_data(servers, home, log={"format": "json", "level": "warning"}, database=url,
                           archive_dir=str(tmp_path / "shared-archive"), lease_seconds=lease,
                           secret_key_file=str(home / "secret.key"), timezone=_midday_zone(),
                           calendar={"workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                     "hours": "00:00-23:59", "country_holidays": None},
                           # a load, not a flood: past 60 acks an hour a mailbox holds the rest (SPEC 5)
                           limits={"acks_per_hour": max(60, 2 * SHARED_REQUESTS // SHARED_BOXES)})
        data["mailboxes"] = [mailbox_block(servers, address, name=f"u{k:02d}", prefix=f"LPSE-U{k:02d}",
                                           idle=True, poll_seconds=5) | {"display_name": f"Helpdesk Unit {k:02d}"}
                             for k, address in enumerate(units)]
        (home / "secret.key").write_bytes(key)
        configs.append(home / "config.yaml")
        configs[-1].write_text(yaml.safe_dump(data, allow_unicode=True))
    names = [f"u{k:02d}" for k in range(len(units))]
    # the unit ran before (since yesterday): today's digest is due at its first sweep, not held
    # for the next morning as a first start's is
    from datetime import UTC, datetime, timedelta

    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App

    App(load_config(configs[0]), clock=lambda: datetime.now(UTC) - timedelta(days=1)).store.close()
    procs = [daemon(configs[0])]
    time.sleep(2)  # the first names the shared archive; the others find it
    procs += [daemon(c) for c in configs[1:]]
    outputs = []
    handled = lambda: sum(len(servers.fetch(u, "Processed")) for u in units)
    try:
        time.sleep(3)
        for i in range(SHARED_REQUESTS):
            unit = units[i % len(units)]
            servers.append(unit, mail(f"user{i:04d}@vendor{i:04d}.test", f"Masalah {i}", "Mohon bantuan.",
                                      to=unit)[0])
            if i == SHARED_REQUESTS // 3:
                held = _served_by(url, procs[0].pid, names)
                os.killpg(procs[0].pid, signal.SIGKILL)
                after_kill = _ServedAgain(url, held)
            if i == SHARED_REQUESTS // 2:
                after_kill.join()  # the kill's mailboxes served again first: the two measured apart
                held = _served_by(url, procs[1].pid, names)
                os.killpg(procs[1].pid, signal.SIGSTOP)
                stopped_at = time.monotonic()
                after_stop = _ServedAgain(url, held)
        # (the daemons log warnings only: their output is read at the end, and a full pipe would stop them)
        assert wait_for(lambda: handled() == SHARED_REQUESTS, 60 + SHARED_REQUESTS / 5), \
            f"{handled()} of {SHARED_REQUESTS} handled; by mailbox " \
            f"{[(u, len(servers.fetch(u, 'INBOX'))) for u in units]}; {_activity(url)}"
        time.sleep(max(0.0, 2 * lease - (time.monotonic() - stopped_at)))
        os.killpg(procs[1].pid, signal.SIGCONT)
        # every ack and two staff notices a request, from one sending loop at a time, on two cores shared
        # with three daemons, Dovecot and PostgreSQL: about 20 mails a second
        assert wait_for(lambda: len(of_kind(inbox(servers, "catchall@lpse.test"), "ack")) >= SHARED_REQUESTS,
                        60 + SHARED_REQUESTS / 4)
        time.sleep(lease + 5)
    finally:
        if procs[0].poll() is None:
            os.killpg(procs[0].pid, signal.SIGKILL)
        procs[0].communicate(timeout=30)
        for proc in procs[1:]:
            os.killpg(proc.pid, signal.SIGCONT)
            outputs.append(stop(proc))
        for name, out in zip(("host2", "host3"), outputs, strict=False):
            events = collections.Counter(line.split('"event": "')[1].split('"')[0]
                                         for line in out.splitlines() if '"event": "' in line)
            print(name, dict(events))
            print("\n".join(line[:600] for line in out.splitlines() if "error" in line.lower())[-3000:])
    print("served again after the kill:", after_kill.after, "after the stop:", after_stop.after)
    # each mailbox served again within lease_seconds + 5 s
    assert after_kill.before and after_stop.before  # each host served some when it went
    assert after_kill.slowest() <= lease + 5 and after_stop.slowest() <= lease + 5
    subjects = _tickets_by_subject(url)
    store = Store(url)
    try:
        digests = store.db.execute("select mailbox, count(*) from events where kind = 'digest_queued' "
                                   "group by mailbox").fetchall()
    finally:
        store.close()
    assert len(subjects) == SHARED_REQUESTS and set(subjects.values()) == {1}, subjects.most_common(3)
    acks = collections.Counter(m["To"] for m in of_kind(inbox(servers, "catchall@lpse.test"), "ack"))
    notices = collections.Counter(m["Subject"] for m in of_kind(inbox(servers, "staff1@lpse.test"), "staff_new"))
    heads = collections.Counter(m["Subject"] for m in of_kind(inbox(servers, "kepala@lpse.test"), "digest"))
    print("acks", sum(acks.values()), "staff notices", sum(notices.values()), "digests", sum(heads.values()),
          "queued", digests)
    assert len(acks) == SHARED_REQUESTS  # every requester acknowledged
    assert len(notices) == SHARED_REQUESTS  # staff told of every ticket
    assert sorted(digests) == [(f"u{k:02d}", 1) for k in range(SHARED_BOXES)]  # each digest queued once
    assert len(heads) == SHARED_BOXES  # and mailed
    # what was twice: at most the one mail in flight in each of the two processes killed or stopped
    resent = sum(n - 1 for counted in (acks, notices, heads) for n in counted.values())
    assert resent <= 2, (acks.most_common(2), notices.most_common(2), heads.most_common(2))
    assert all(servers.fetch(u, "Quarantine") == [] for u in units)

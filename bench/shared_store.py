"""PostgreSQL as the shared store against SQLite, with the anchors in the same run.

Real parts as in bench/ingest.py (its private Dovecot, SMTP sink and `mailbot run` as
systemd starts it, READY=1 from a NOTIFY_SOCKET), and a private PostgreSQL cluster
(tests/pgcluster.py: Debian's binaries, initdb and pg_ctl in a temporary directory;
never the host's).

* ingest: the same backlog in one mailbox, one process, on a SQLite file and on
  PostgreSQL: messages a second until every ack and staff notice is accepted, and CPU
  per message (mailbot's processes; PostgreSQL's own CPU is the server's, not counted).
* latency: a request appended to one mailbox on IDLE until its ack reaches the sink,
  each engine, p50 and p99.
* hosts: N mailboxes on IDLE served by three processes sharing one PostgreSQL (each its
  own working directory, one shared archive, each configured with all N): how long until
  each serves its third, RSS of the three, ack p50 and p99; then a backlog in one mailbox
  (--backlog): its rate, and the ack times of single requests to the others meanwhile.
* takeover: two processes; the one serving the mailbox is killed (SIGKILL) or stopped
  (SIGSTOP) in the middle of a pass; the time from then until the other has handled the
  request that was waiting (its ack reaches the sink), with lease_seconds given.

Run: .venv/bin/python bench/shared_store.py [--only ingest,latency,hosts,takeover] [--messages N]
     [--trials N] [--mailboxes N] [--lease S] [--backlog N]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import UNIT, Daemon, Sinked, ack_trials, config_for, ingest_run, one_trial, pct, request, stdlib_rate

from tests.pgcluster import PgCluster


def ingest(cluster: PgCluster, n: int) -> None:
    rng = random.Random(20261126)
    raws = [request(rng, i, f"pengguna{i}@vendor.test") for i in range(n)]
    print(f"\n== ingest: {n} messages in one INBOX, one `mailbot run`, until every ack and staff notice is accepted")
    print(f"anchor: stdlib parse + extract {stdlib_rate(raws):.0f} msg/s")
    for engine in ("sqlite", "postgresql"):
        with tempfile.TemporaryDirectory() as place:
            top = {} if engine == "sqlite" else {"database": cluster.database()}
            rate, seconds, _fetch, cpu, hwm, left = ingest_run(raws, Path(place), top=top)
        print(f"{engine:<11} {rate:6.1f} msg/s  ({seconds:.1f} s; CPU {cpu / n * 1000:.1f} ms a message; "
              f"peak RSS {hwm:.0f} MB; INBOX left {left})")


def latency(cluster: PgCluster, trials: int) -> None:
    print(f"\n== latency: a request to one mailbox on IDLE until its ack is accepted, {trials} trials each")
    for engine in ("sqlite", "postgresql"):
        top = {} if engine == "sqlite" else {"database": cluster.database()}
        times, _ = ack_trials(1, trials, 0, top=top)
        print(f"{engine:<11} ack p50 {pct(times, 50):.3f} s, p99 {pct(times, 99):.3f} s")


def _hosts(servers: Any, sink: Any, tmp: Path, boxes: list[str], url: str, count: int, lease: float,
           poll: int = 60) -> list[Daemon]:
    """`count` daemons in working directories of their own: one database, one archive, one key."""
    key = secrets.token_hex(32).encode()
    daemons = []
    for n in range(count):
        home = tmp / f"host{n + 1}"
        home.mkdir()
        (home / "secret.key").write_bytes(key)
        config = config_for(servers, sink, home, boxes, poll_seconds=poll,
                            top={"database": url, "archive_dir": str(tmp / "shared-archive"),
                                 "secret_key_file": str(home / "secret.key"), "lease_seconds": lease})
        daemons.append(Daemon(config, home))
        daemons[-1].wait_ready()  # the first names the shared archive before the others start
    return daemons


def hosts(cluster: PgCluster, count: int, trials: int, backlog: int) -> None:
    from ingest import inotify_room

    boxes = [f"unit{i}@lpse.test" for i in range(count)]
    restore = inotify_room(3 * count)
    try:
        with (tempfile.TemporaryDirectory() as tmp_name,
              Sinked(Path(tmp_name), boxes, connections=4 * count) as (servers, sink, tmp)):
            url = cluster.database()
            started = time.monotonic()
            daemons = _hosts(servers, sink, tmp, boxes, url, 3, 30)
            try:
                shares = _balanced(url, daemons, count, 600)  # each serves its third: one IDLE a mailbox
                settled = time.monotonic() - started
                time.sleep(5)
                rng = random.Random(47)
                times = []
                for i in range(trials):
                    with servers.imap(boxes[rng.randrange(count)]) as client:
                        times.append(one_trial(client, sink, rng, i, count))
                rss = sum(d.rss_mb()[0] for d in daemons)
                busy = _backlog(servers, sink, boxes, rng, backlog, trials) if backlog else None
            finally:
                for d in daemons:
                    d.stop()
    finally:
        if restore is not None:
            Path("/proc/sys/fs/inotify/max_user_instances").write_text(str(restore))
    print(f"\n== hosts: {count} mailboxes on IDLE, three processes on one PostgreSQL")
    print(f"mailboxes served by each: {', '.join(map(str, shares))} ({settled:.0f} s from the first start "
          "until the three held their shares)")
    print(f"RSS of the three {rss:.0f} MB; ack p50 {pct(times, 50):.3f} s, p99 {pct(times, 99):.3f} s "
          f"over {trials} trials")
    if busy is not None:
        rate, beside = busy
        print(f"a backlog of {backlog} in one mailbox: {rate:.1f} requests a second acknowledged (from its first "
              f"append to its last ack); meanwhile ack p50 {pct(beside, 50):.3f} s, p99 {pct(beside, 99):.3f} s "
              f"in the other mailboxes over {len(beside)} trials")


def _backlog(servers: Any, sink: Any, boxes: list[str], rng: random.Random, n: int,
             trials: int) -> tuple[float, list[float]]:
    """`n` requests appended to one mailbox at once, while single requests go on reaching
    others: the backlog's rate (first append to last ack) and the others' ack times."""
    before = sink.count()
    started = time.monotonic()
    with servers.imap(boxes[0]) as client:
        for i in range(n):
            client.append("INBOX", request(rng, 10_000 + i, f"backlog{i}@vendor.test"))
    wanted = {f"backlog{i}@vendor.test" for i in range(n)}

    def acked() -> list[float]:  # when each backlog request's first mail (its ack) came
        firsts: dict[str, float] = {}
        with sink.lock:
            for when, rcpts, _ in sink.mails[before:]:
                for rcpt in wanted.intersection(rcpts):
                    firsts.setdefault(rcpt, when)
        return list(firsts.values())

    beside = []
    for i in range(trials):
        if len(acked()) == n:
            break
        with servers.imap(boxes[1 + rng.randrange(len(boxes) - 1)]) as client:
            beside.append(one_trial(client, sink, rng, 20_000 + i, len(boxes)))
    deadline = time.monotonic() + 600
    while len(times := acked()) < n and time.monotonic() < deadline:
        time.sleep(0.1)
    ended = max(times) if len(times) == n else float("nan")
    return n / (ended - started), beside


def takeover(cluster: PgCluster, lease: float, rounds: int) -> None:
    print(f"\n== takeover: two processes, lease_seconds {lease:g}; the one reading the mailbox killed or "
          "stopped mid-pass, until the other has acknowledged the waiting request")
    for how in ("SIGKILL", "SIGSTOP"):
        waits = []
        for r in range(rounds):
            with (tempfile.TemporaryDirectory() as tmp_name, ExitStack() as kept,
                  Sinked(Path(tmp_name), [UNIT]) as (servers, sink, tmp)):
                url = cluster.database()
                daemons = _hosts(servers, sink, tmp, [UNIT], url, 2, lease, poll=5)
                kept.callback(lambda ds=daemons: [d.stop() for d in ds if d.proc.poll() is None])
                time.sleep(3)
                rng = random.Random(r)
                with servers.imap(UNIT) as client:
                    for i in range(40):  # a backlog, so that a pass is under way
                        client.append("INBOX", request(rng, i, f"b{r}x{i}@vendor{i}.test"))
                    holder = _holder(url, daemons)
                    victim = holder or daemons[0]
                    os.kill(victim.proc.pid, getattr(signal, how))
                    at = time.monotonic()
                    client.append("INBOX", request(rng, 99, f"after{r}@vendor.test"))
                    arrived = sink.wait_for(f"after{r}@vendor.test", 0, 120)
                waits.append((arrived - at) if arrived is not None else float("nan"))
                if how == "SIGSTOP":
                    os.kill(victim.proc.pid, signal.SIGCONT)
        print(f"{how:<8} ack of the waiting request {pct(waits, 50):.1f} s after the signal (median of {rounds}; "
              f"all: {', '.join(f'{w:.1f}' for w in waits)})")


def _served(url: str, daemons: list[Daemon], names: list[str]) -> list[int]:
    """How many of the mailboxes (config names) each daemon's session serves now."""
    import psycopg

    from mailbot.io.store.postgres import lock_key

    keys = {lock_key(f"serve:{name}") & 0xFFFFFFFFFFFFFFFF for name in names}
    counts = {d.proc.pid: 0 for d in daemons}
    with psycopg.connect(url, autocommit=True) as conn:
        for app, high, low in conn.execute(
                "select a.application_name, l.classid::bigint, l.objid::bigint from pg_locks l "
                "join pg_stat_activity a on a.pid = l.pid where l.locktype = 'advisory' and l.granted"):
            pid = int(app.rsplit(" ", 1)[1])
            if pid in counts and (high << 32) | low in keys:
                counts[pid] += 1
    return [counts[d.proc.pid] for d in daemons]


def _balanced(url: str, daemons: list[Daemon], count: int, seconds: float) -> list[int]:
    """Wait until every mailbox is served and no daemon serves more than its share."""
    names, share = [f"b{i}" for i in range(count)], -(-count // len(daemons))
    deadline = time.monotonic() + seconds
    while True:
        served = _served(url, daemons, names)
        if (sum(served) == count and max(served) <= share) or time.monotonic() > deadline:
            return served
        time.sleep(1)


def _holder(url: str, daemons: list[Daemon], seconds: float = 10.0) -> Daemon | None:
    """The daemon serving the mailbox (`b0`), as soon as one does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for daemon, served in zip(daemons, _served(url, daemons, ["b0"]), strict=True):
            if served:
                return daemon
        time.sleep(0.01)
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="ingest,latency,hosts,takeover")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--mailboxes", type=int, default=600)
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backlog", type=int, default=300, help="hosts: a backlog in one mailbox (0: none)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"machine: {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    with PgCluster(durable=True) as cluster:
        print(f"PostgreSQL {cluster.bindir.parent.name}: a private cluster on loopback, fsync and synchronous "
              "commits on (as SQLite's FULL)")
        if "ingest" in only:
            ingest(cluster, args.messages)
        if "latency" in only:
            latency(cluster, args.trials)
        if "hosts" in only:
            hosts(cluster, args.mailboxes, 30, args.backlog)
        if "takeover" in only:
            takeover(cluster, args.lease, args.rounds)


if __name__ == "__main__":
    main()

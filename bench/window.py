"""How fast the window's pages answer with 100,000 tickets in the store (issue 61, point 6),
beside `mailbot tickets` and `mailbot ticket NUMBER` of the same run, on SQLite and on
PostgreSQL (a private cluster of Debian's binaries, tests/pgcluster.py).

The store is filled as `bench/tickets_search.py` fills it (100,000 tickets over 2025 with
~250,000 messages, the full-text index built from them), then made to look like
a unit at work on 2025-12-31: tickets older than a month closed, the last month's in every
state, each unclosed ticket with its SLA timers (a first answer owed or the 3x24h standard
running, due in the past for the late ones), so the overview has overdue tickets to group.
PostgreSQL gets the same history by `mailbot migrate --to` (issue 47's copy).

The window is served as `mailbot web` serves it (its application over the store opened
read-only, under uvicorn) on loopback; a signed-in head (its session cookie, signed with the
store's key) asks for the overview (`/`) and for random tickets' pages (`/tiket/btm/N`), one
request at a time, `--requests` of each. `mailbot tickets` and `mailbot ticket N` run as new
processes `--runs` times each, as staff would at a terminal. Printed: p50 and p95 wall time
per page or command, and the load average (a shared machine's waits are in the wall time).

Run: python3 bench/window.py [--tickets 100000] [--requests 40] [--runs 10] [--no-postgresql]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.tickets_search import fill
from mailbot.core.web_tokens import session_token
from mailbot.io.store import Store, ts
from tests.webwindow import free_port, serving

NOW = datetime(2025, 12, 31, 5, 0, tzinfo=UTC)  # 12:00 WIB, a Wednesday
HEAD = "kepala@batam.go.id"
BROWSER = "0123456789abcdef0123456789abcdef"


def at_work(store: Store) -> tuple[int, int]:
    """Close what is older than a month; give each unclosed ticket its timers (the late ones
    due in the past). How many are unclosed, and how many timers were set."""
    conn = store.db.conn
    month_ago = ts(NOW - timedelta(days=30))
    conn.execute("begin")
    conn.execute("update tickets set state = 'closed', closed_at = updated_at where created_at < ? "
                 "and state != 'closed'", [month_ago])
    conn.execute("update tickets set closed_at = updated_at where state = 'closed' and closed_at is null")
    rows = conn.execute("select id, created_at, state from tickets where state != 'closed'").fetchall()
    timers = 0
    for ticket_id, created, state in rows:
        started = datetime.fromisoformat(created)
        kinds = [("resolution", started + timedelta(hours=72))]
        if state == "open":
            kinds.append(("first_response", started + timedelta(hours=4)))
        for kind, due in kinds:
            conn.execute("insert into timers (mailbox, ticket_id, kind, started_at, due_at, step, active) "
                         "values ('btm', ?, ?, ?, ?, 0, 1)", [ticket_id, kind, ts(started), ts(due)])
            timers += 1
    conn.execute("commit")
    return len(rows), timers


def config(tmp: Path, port: int, database: str) -> Path:
    path = tmp / f"config-{port}.yaml"
    path.write_text(yaml.safe_dump({
        "database": database, "archive_dir": str(tmp / "archive"), "secret_key_file": str(tmp / "secret.key"),
        "log": {"format": "console", "level": "warning"},
        "smtp": {"host": "127.0.0.1", "port": 9, "security": "none"},
        "web": {"listen": f"127.0.0.1:{port}", "url": f"http://localhost:{port}/"},
        "mailboxes": [{"name": "btm", "address": "lpse@batam.go.id", "tag_prefix": "LPSE-BTM",
                       "staff": ["helpdesk1@batam.go.id"], "heads": [HEAD],
                       "imap": {"host": "127.0.0.1", "port": 9, "security": "none"}}],
    }))
    return path


def percentiles(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered) * 1000:>8.0f} {p95 * 1000:>8.0f}"


def pages(port: int, key: bytes, paths: list[str]) -> list[float]:
    cookie = f"mb_browser={BROWSER}; mb_session={session_token(key, HEAD, BROWSER, NOW + timedelta(hours=8))}"
    times = []
    for path in paths:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        begin = time.perf_counter()
        connection.request("GET", path, headers={"Cookie": cookie, "Host": f"localhost:{port}"})
        response = connection.getresponse()
        response.read()
        times.append(time.perf_counter() - begin)
        connection.close()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status}")
    return times


def command(argv: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    begin = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mailbot", *argv], env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"mailbot {' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return time.perf_counter() - begin


def measure(name: str, cfg: Path, key: bytes, numbers: list[str], args: argparse.Namespace) -> None:
    port = yaml.safe_load(cfg.read_text())["web"]["listen"].rsplit(":", 1)[1]
    with serving(cfg, clock=lambda: NOW):
        pages(int(port), key, ["/"])  # the first answer loads the rules, the calendar, the templates
        overview = pages(int(port), key, ["/"] * args.requests)
        ticket = pages(int(port), key, [f"/tiket/btm/{n}" for n in numbers[:args.requests]])
    base = ["--config", str(cfg)]
    listed = [command([*base, "tickets"]) for _ in range(args.runs)]
    one = [command([*base, "ticket", n]) for n in numbers[:args.runs]]
    print(f"{name}: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  {'what':<58} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"  {'window: the overview / (a head, every unclosed ticket)':<58} {percentiles(overview)}")
    print(f"  {'window: a ticket /tiket/btm/N':<58} {percentiles(ticket)}")
    print(f"  {'mailbot tickets (new process, the newest 50)':<58} {percentiles(listed)}")
    print(f"  {'mailbot ticket N (new process)':<58} {percentiles(one)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40, help="requests of each page")
    parser.add_argument("--runs", type=int, default=10, help="runs of each command")
    parser.add_argument("--no-postgresql", action="store_true")
    args = parser.parse_args()
    from mailbot.io import logs

    logs.configure("console", "warning")  # the window's web_request lines would fill the output
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        key = b"k" * 64
        (tmp / "secret.key").write_bytes(key + b"\n")
        store = Store(tmp / "bench.db")
        begin = time.perf_counter()
        fill(store, args.tickets)
        unclosed, timers = at_work(store)
        count = store.db.execute("select count(*) from tickets").fetchone()[0]
        rng = random.Random(61)
        numbers = [store.db.execute("select number from tickets where id = ?", [rng.randint(1, count)]).fetchone()[0]
                   for _ in range(max(args.requests, args.runs))]
        store.db.execute("pragma wal_checkpoint(truncate)")
        store.close()
        print(f"filled {count:,} tickets ({unclosed:,} unclosed, {timers:,} timers) in "
              f"{time.perf_counter() - begin:.0f} s")
        sqlite_cfg = config(tmp, free_port(), str(tmp / "bench.db"))
        measure("SQLite", sqlite_cfg, key, numbers, args)
        if args.no_postgresql:
            return
        from tests.pgcluster import PgCluster

        with PgCluster() as cluster:
            url = cluster.database()
            begin = time.perf_counter()
            command(["--config", str(sqlite_cfg), "migrate", "--to", url])
            print(f"copied to PostgreSQL ({cluster.bindir.parent.name}) in {time.perf_counter() - begin:.0f} s")
            measure("PostgreSQL", config(tmp, free_port(), url), key, numbers, args)


if __name__ == "__main__":
    main()

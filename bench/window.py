"""How fast the window's pages answer with 100,000 tickets in the store, 5,000 of them open
(an outage-sized backlog), beside `mailbot tickets` and `mailbot ticket NUMBER` of the same
run, on SQLite and on PostgreSQL (a private cluster of Debian's binaries, tests/pgcluster.py).

The store is filled as `bench/tickets_search.py` fills it (100,000 tickets over 2025 with
~250,000 messages, the full-text index kept by the store's triggers), then made to look like
a unit at work on 2025-12-31: tickets older than a month closed, the newest `--open` left open
in every unclosed state (the rest of the month closed), each with its SLA timers (a first
answer owed, the 3x24h standard running, LKPP's status for the escalated; due in the past for
the late ones). PostgreSQL gets the same history by `mailbot migrate --to` (issue 47's copy).

The window is served as `mailbot web` serves it (its application over the store opened
read-only, under uvicorn) on loopback; a signed-in head (its session cookie, signed with the
store's key) asks, one request at a time, `--requests` of each: the overview (`/`), the late
tickets of every state, a deep page, the list sorted by subject, the staff's load, the cases
with LKPP, random tickets' pages (`desk_pages`); then the overview again right after another
connection wrote (`after_writes`: the lateness read again for what changed). `mailbot
tickets` and `mailbot ticket N` run as new processes `--runs` times each, as staff would at a
terminal (`commands`). Printed: p50 and p95 wall time and the page's size, beside the
anchors (the targets: the overview's p95 at most 150 ms and its page at most 200 KB), and the
load average (a shared machine's waits are in the wall time).

Run: python3 bench/window.py [--tickets 100000] [--open 5000] [--requests 40] [--runs 10] [--no-postgresql]
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


UNCLOSED = ("open", "answered", "escalated", "awaiting_info", "resolved")


def at_work(store: Store, unclosed: int) -> tuple[int, int]:
    """Close what is older than a month; leave the newest `unclosed` tickets unclosed, in each
    unclosed state in turn (the rest closed); give each its timers (the late ones due in the
    past). How many are unclosed, and how many timers were set."""
    conn = store.db.conn
    month_ago = ts(NOW - timedelta(days=30))
    conn.execute("begin")
    conn.execute("update tickets set state = 'closed', closed_at = updated_at where created_at < ? "
                 "and state != 'closed'", [month_ago])
    conn.execute("update tickets set closed_at = updated_at where state = 'closed' and closed_at is null")
    newest = conn.execute("select id, created_at from tickets order by id desc limit ?", [unclosed]).fetchall()
    conn.execute("update tickets set state = 'closed', closed_at = updated_at where state != 'closed' and id < ?",
                 [min(i for i, _ in newest)])
    timers = 0
    for n, (ticket_id, created) in enumerate(newest):
        state = UNCLOSED[n % len(UNCLOSED)]
        conn.execute("update tickets set state = ?, closed_at = null where id = ?", [state, ticket_id])
        started = datetime.fromisoformat(created)
        kinds = [("resolution", started, started + timedelta(hours=72))]
        if state == "open":
            kinds.append(("first_response", started, started + timedelta(hours=4)))
        if state == "escalated":
            kinds.append(("lkpp_status", started + timedelta(hours=1), started + timedelta(hours=49)))
        for kind, begun, due in kinds:
            conn.execute("insert into timers (mailbox, ticket_id, kind, started_at, due_at, step, active) "
                         "values ('btm', ?, ?, ?, ?, 0, 1)", [ticket_id, kind, ts(begun), ts(due)])
            timers += 1
    conn.execute("commit")
    return len(newest), timers


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


def percentiles(seconds: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def get(port: int, key: bytes, path: str) -> tuple[float, int]:
    """One request of a signed-in head: its wall time and the page's size in bytes."""
    cookie = f"mb_browser={BROWSER}; mb_session={session_token(key, HEAD, BROWSER, NOW + timedelta(hours=8))}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    begin = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie, "Host": f"localhost:{port}"})
    response = connection.getresponse()
    body = response.read()
    took = time.perf_counter() - begin
    connection.close()
    if response.status != 200:
        raise SystemExit(f"GET {path}: {response.status}")
    return took, len(body)


def pages(port: int, key: bytes, paths: list[str]) -> tuple[list[float], int]:
    """Each path once in turn: the wall times, and the largest page's size."""
    found = [get(port, key, path) for path in paths]
    return [took for took, _size in found], max(size for _took, size in found)


# A row of the report: what, its p50 and p95 in ms, its page's size in bytes (None: no page), its anchor.
Row = tuple[str, float, float, int | None, str]


def desk_pages(port: int, key: bytes, numbers: list[str], requests: int) -> list[Row]:
    """The desk's pages a head reads, `requests` of each, one at a time."""
    get(port, key, "/")  # the first answer loads the rules, the calendar, the templates and the lateness
    rows: list[Row] = []
    for what, paths, anchor in (
            ("the overview / (the open tickets, the late first)", ["/"] * requests, "p95 <= 150 ms, <= 200 KB"),
            ("the late tickets of every state, page 1", ["/?status=&terlambat=1"] * requests, ""),
            ("the open tickets, page 60 (of 100)", ["/?halaman=60"] * requests, ""),
            ("the open tickets sorted by subject", ["/?urut=subjek"] * requests, ""),
            ("every state, sorted by next deadline", ["/?status=&urut=tenggat"] * requests, ""),
            ("the staff's load /petugas", ["/petugas"] * requests, ""),
            ("the cases with LKPP /lkpp", ["/lkpp"] * requests, ""),
            ("a ticket /tiket/btm/N", [f"/tiket/btm/{n}" for n in numbers[:requests]], "")):
        times, size = pages(port, key, paths)
        rows.append((f"window: {what}", *percentiles(times), size, anchor))
    return rows


def after_writes(port: int, key: bytes, cfg: Path, requests: int) -> list[Row]:
    """The overview right after another connection changed an open ticket (as the daemon does
    with each mail): what the kept lateness costs to bring up to date."""
    from mailbot.config.load import load_config

    store = Store.of(load_config(cfg), migrate=False)
    times = []
    try:
        ids = [row[0] for row in store.db.execute(
            "select id from tickets where state != 'closed' order by id desc limit ?", [requests]).fetchall()]
        for ticket_id in ids:
            store.db.execute("update tickets set updated_at = ? where id = ?", [ts(NOW), ticket_id])
            store.db.conn.commit()
            times.append(get(port, key, "/")[0])
    finally:
        store.close()
    return [("window: the overview after a ticket changed", *percentiles(times), None, "")]


def command(argv: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    begin = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mailbot", *argv], env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"mailbot {' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return time.perf_counter() - begin


def commands(cfg: Path, numbers: list[str], runs: int) -> list[Row]:
    """The anchors a person at a terminal has: `mailbot tickets` and `mailbot ticket N`, new processes."""
    base = ["--config", str(cfg)]
    listed = [command([*base, "tickets"]) for _ in range(runs)]
    one = [command([*base, "ticket", n]) for n in numbers[:runs]]
    return [("mailbot tickets (new process, the newest 50)", *percentiles(listed), None, "anchor"),
            ("mailbot ticket N (new process)", *percentiles(one), None, "anchor")]


def report(name: str, rows: list[Row]) -> None:
    print(f"{name}: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  {'what':<62} {'p50 ms':>8} {'p95 ms':>8} {'KB':>7}  anchor")
    for what, p50, p95, size, anchor in rows:
        shown = f"{size / 1000:>7.1f}" if size is not None else f"{'':>7}"
        print(f"  {what:<62} {p50:>8.0f} {p95:>8.0f} {shown}  {anchor}")


def measure(name: str, cfg: Path, key: bytes, numbers: list[str], args: argparse.Namespace) -> None:
    port = int(yaml.safe_load(cfg.read_text())["web"]["listen"].rsplit(":", 1)[1])
    with serving(cfg, clock=lambda: NOW):
        rows = desk_pages(port, key, numbers, args.requests)
        rows += after_writes(port, key, cfg, args.requests)
    report(name, rows + commands(cfg, numbers, args.runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=5_000, help="tickets left unclosed, the newest")
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
        unclosed, timers = at_work(store, args.open)
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

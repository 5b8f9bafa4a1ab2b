"""How fast the window's pages answer with 100,000 tickets in the store,
beside `mailbot tickets` and `mailbot ticket NUMBER` of the same run, on SQLite and on
PostgreSQL (a private cluster of Debian's binaries, tests/pgcluster.py).

The store is filled as `bench/tickets_search.py` fills it (100,000 tickets over 2025 with
~250,000 messages, the full-text index built from them), then made to look like
a unit at work on 2025-12-31: the newest 5,000 tickets unclosed (`--unclosed`, in every
state), the others closed, each unclosed ticket with its SLA timers (a first answer owed or
the 3x24h standard running, due in the past for the late ones), so the overview has overdue
tickets to group. PostgreSQL gets the same history by `mailbot migrate --to` (the copy).

The window is served as `mailbot web` serves it (its application over the store opened
read-only, under uvicorn) on loopback; a signed-in head (its session cookie, signed with the
store's key) asks, one request at a time, `--requests` of each: the overview (`/`), the late
tickets of every state, a deep page, the list sorted by subject and by next deadline, the
staff's load, the cases with LKPP, random tickets' pages (`desk_pages`); then the overview
again right after another connection wrote (`after_writes`: the lateness read again for
what changed). `mailbot tickets` and `mailbot ticket N` run as new processes `--runs` times
each, as staff would at a terminal (`commands`). Printed: p50 and p95 wall time and the
page's size, beside the anchors (the targets: the overview's p95 at most 150 ms and its page
at most 200 KB), and the load average (a shared machine's waits are in the wall time).

The month's summary (`summary_measures`): December's (~8,500 tickets) asked for the first
time, until the window's worker has made it (the page says "being prepared" meanwhile):
what every request of it cost before the window kept it; then asked `--requests` times
(goal: p95 <= 300 ms), and the twelve months' trend likewise. A requester's status page
alone, then while three summaries are asked at once over and over (goal: p95 <= 50 ms), and
while three summaries never asked before are being made. Beside them the issue's figures,
measured before on a desk of 5,140 tickets: a summary 4.6-4.9 s on every request; the
status page 3.8 ms alone, 499 ms while one summary rendered, 1.49 s while three did.

Run: python3 bench/window.py [--tickets 100000] [--unclosed 5000] [--requests 40] [--runs 10] [--no-postgresql]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.tickets_search import fill
from mailbot.core.web_tokens import session_token, status_token
from mailbot.io.store import Store, ts
from tests.webwindow import free_port, serving

NOW = datetime(2025, 12, 31, 5, 0, tzinfo=UTC)  # 12:00 WIB, a Wednesday
HEAD = "kepala@batam.go.id"
BROWSER = "0123456789abcdef0123456789abcdef"


def at_work(store: Store, unclosed: int = 5000) -> tuple[int, int]:
    """The newest `unclosed` tickets unclosed (in the states the fill gave them; `open` for
    those it closed), every other closed; give each unclosed ticket its timers (the late ones
    due in the past). How many are unclosed, and how many timers were set."""
    conn = store.db.conn
    newest = conn.execute("select min(id) from (select id from tickets order by created_at desc, id desc limit ?)",
                          [unclosed]).fetchone()[0]
    conn.execute("begin")
    conn.execute("update tickets set state = 'closed', closed_at = updated_at where id < ? and state != 'closed'",
                 [newest])
    conn.execute("update tickets set state = 'open' where id >= ? and state = 'closed'", [newest])
    conn.execute("update tickets set closed_at = updated_at where state = 'closed' and closed_at is null")
    rows = conn.execute("select id, created_at, state from tickets where state != 'closed'").fetchall()
    timers = 0
    for ticket_id, created, state in rows:
        started = datetime.fromisoformat(created)
        kinds = [("resolution", started + timedelta(hours=72))]
        if state == "open":
            kinds.append(("first_response", started + timedelta(hours=4)))
        if state == "escalated":  # LKPP's status, owed 2 working days after the escalation (about 48 h)
            kinds.append(("lkpp_status", started + timedelta(hours=49)))
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
    times = []
    for path in paths:
        begin = time.perf_counter()
        status = get(port, key, path)
        times.append(time.perf_counter() - begin)
        if status != 200:
            raise SystemExit(f"GET {path}: {status}")
    return times


def get(port: int, key: bytes, path: str) -> int:
    """One GET as the signed-in head; its status."""
    cookie = f"mb_browser={BROWSER}; mb_session={session_token(key, HEAD, BROWSER, NOW + timedelta(hours=8))}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", path, headers={"Cookie": cookie, "Host": f"localhost:{port}"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def made(port: int, key: bytes, path: str) -> float:
    """Seconds until a summary or trend page asked for the first time is there: the window
    answers 202 ("being prepared") until its worker has made it, and the person reloads."""
    begin = time.perf_counter()
    while (status := get(port, key, path)) == 202:
        time.sleep(0.5)
    if status != 200:
        raise SystemExit(f"GET {path}: {status}")
    return time.perf_counter() - begin


def while_asked(port: int, key: bytes, status_path: str, summaries: list[str], least: int, *,
                again: bool) -> list[float]:
    """The status page's times while one thread per summary path asks for it: over and over
    (`again`) until `least` status pages were asked, or once each until made."""
    stop = threading.Event()

    def ask(path: str) -> None:
        while not stop.is_set():
            made(port, key, path)
            if not again:
                return

    askers = [threading.Thread(target=ask, args=(path,)) for path in summaries]
    for thread in askers:
        thread.start()
    time.sleep(0.2)  # the summaries asked first
    times: list[float] = []
    while len(times) < least or (not again and any(t.is_alive() for t in askers)):
        times += pages(port, key, [status_path])
    stop.set()
    for thread in askers:
        thread.join()
    return times


def summary_measures(port: int, key: bytes, status_path: str, args: argparse.Namespace) -> list[tuple[str, str]]:
    """The month's summary, the trend and a requester's status page (the module's docstring)."""
    december, trend = "/ringkasan?bulan=2025-12", "/ringkasan/tren?bulan=2025-12"
    first = made(port, key, december)
    kept = pages(port, key, [december] * args.requests)
    trend_first = made(port, key, trend)
    trend_kept = pages(port, key, [trend] * args.requests)
    alone = pages(port, key, [status_path] * args.requests)
    beside_kept = while_asked(port, key, status_path, [december] * 3, args.requests, again=True)
    beside_made = while_asked(port, key, status_path, [f"/ringkasan?bulan=2025-{m}" for m in ("09", "10", "11")],
                              args.requests, again=False)
    worker = sum(rss(p.pid) for p in multiprocessing.active_children() if p.pid)
    return [
        ("summary, asked first (each request before it was kept; issue: 4.6-4.9 s)", f"{first * 1000:>8.0f}"),
        ("summary, asked again (goal: p95 <= 300)", percentiles(kept)),
        ("trend of twelve months, asked first", f"{trend_first * 1000:>8.0f}"),
        ("trend of twelve months, asked again", percentiles(trend_kept)),
        ("status page alone (issue: 3.8 ms)", percentiles(alone)),
        ("status page, three summaries asked at once (goal: p95 <= 50)", percentiles(beside_kept)),
        (f"status page, three summaries being made ({len(beside_made)} asked; issue: 1.49 s)",
         percentiles(beside_made)),
        ("memory (MB RSS): the window (and this bench), the summaries' worker",
         f"{rss(os.getpid()):>8.0f} {worker:>8.0f}"),
    ]


def rss(pid: int) -> float:
    """A process's resident memory in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def ms(seconds: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(seconds)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def sized(port: int, key: bytes, path: str) -> tuple[float, int]:
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


def sized_pages(port: int, key: bytes, paths: list[str]) -> tuple[list[float], int]:
    """Each path once in turn: the wall times, and the largest page's size."""
    found = [sized(port, key, path) for path in paths]
    return [took for took, _size in found], max(size for _took, size in found)


# A row of the report: what, its p50 and p95 in ms, its page's size in bytes (None: no page), its anchor.
Row = tuple[str, float, float, int | None, str]


def desk_pages(port: int, key: bytes, numbers: list[str], requests: int) -> list[Row]:
    """The desk's pages a head reads, `requests` of each, one at a time."""
    sized(port, key, "/")  # the first answer loads the rules, the calendar, the templates and the lateness
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
        times, size = sized_pages(port, key, paths)
        rows.append((f"window: {what}", *ms(times), size, anchor))
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
            times.append(sized(port, key, "/")[0])
    finally:
        store.close()
    return [("window: the overview after a ticket changed", *ms(times), None, "")]


def command(argv: list[str]) -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    begin = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mailbot", *argv], env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"mailbot {' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return time.perf_counter() - begin


def measure(name: str, cfg: Path, key: bytes, numbers: list[str], status_path: str, args: argparse.Namespace) -> None:
    port = int(yaml.safe_load(cfg.read_text())["web"]["listen"].rsplit(":", 1)[1])
    with serving(cfg, clock=lambda: NOW):
        rows = desk_pages(port, key, numbers, args.requests)
        rows += after_writes(port, key, cfg, args.requests)
        summary = summary_measures(port, key, status_path, args)
    report(name, rows + commands(cfg, numbers, args.runs))
    print(f"  {'the month summary (ms; first request: one figure)':<74} {'p50':>8} {'p95':>8}")
    for what, figures in summary:
        print(f"  {what:<74} {figures}")


def commands(cfg: Path, numbers: list[str], runs: int) -> list[Row]:
    """The anchors a person at a terminal has: `mailbot tickets` and `mailbot ticket N`, new processes."""
    base = ["--config", str(cfg)]
    listed = [command([*base, "tickets"]) for _ in range(runs)]
    one = [command([*base, "ticket", n]) for n in numbers[:runs]]
    return [("mailbot tickets (new process, the newest 50)", *ms(listed), None, "anchor"),
            ("mailbot ticket N (new process)", *ms(one), None, "anchor")]


def report(name: str, rows: list[Row]) -> None:
    print(f"{name}: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  {'what':<62} {'p50 ms':>8} {'p95 ms':>8} {'KB':>7}  anchor")
    for what, p50, p95, size, anchor in rows:
        shown = f"{size / 1000:>7.1f}" if size is not None else f"{'':>7}"
        print(f"  {what:<62} {p50:>8.0f} {p95:>8.0f} {shown}  {anchor}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--unclosed", type=int, default=5_000, help="the newest tickets left unclosed")
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
        unclosed, timers = at_work(store, args.unclosed)
        count = store.db.execute("select count(*) from tickets").fetchone()[0]
        rng = random.Random(61)
        numbers = [store.db.execute("select number from tickets where id = ?", [rng.randint(1, count)]).fetchone()[0]
                   for _ in range(max(args.requests, args.runs))]
        # a requester's status link: an unclosed ticket's (a link ends some days after its ticket
        # closes), numbered as mailbot numbers them (YYYY-NNNNN: the fill's 100,000th is not)
        number, requester = store.db.execute("select number, requester from tickets where state != 'closed' "
                                             "and length(number) = 10 order by id desc limit 1").fetchone()
        status_path = f"/status/{status_token(key, 'btm', number, requester)}"
        store.db.execute("pragma wal_checkpoint(truncate)")
        store.close()
        print(f"filled {count:,} tickets ({unclosed:,} unclosed, {timers:,} timers) in "
              f"{time.perf_counter() - begin:.0f} s")
        sqlite_cfg = config(tmp, free_port(), str(tmp / "bench.db"))
        measure("SQLite", sqlite_cfg, key, numbers, status_path, args)
        if args.no_postgresql:
            return
        from tests.pgcluster import PgCluster

        with PgCluster() as cluster:
            url = cluster.database()
            begin = time.perf_counter()
            command(["--config", str(sqlite_cfg), "migrate", "--to", url])
            print(f"copied to PostgreSQL ({cluster.bindir.parent.name}) in {time.perf_counter() - begin:.0f} s")
            measure("PostgreSQL", config(tmp, free_port(), url), key, numbers, status_path, args)


if __name__ == "__main__":
    main()

"""How the deadline sweep scales with the number of tickets (SPEC section 6).

The sweep must find due timers by an indexed query, not by scanning every ticket.
This fills a fresh database with N tickets, each with its SLA timers, of which a
fixed 20 are due, and times `Timers.due_timers` (best of 5) for growing N. It also
prints SQLite's query plan. Run: .venv/bin/python bench/sweep_scaling.py
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mailbot.io.store import Store, ts

NOW = datetime(2026, 11, 24, 8, 31, tzinfo=UTC)
DUE = 20


def fill(store: Store, n: int) -> None:
    db = store.db
    with store.unit_of_work():
        for i in range(n):
            created = NOW - timedelta(hours=1)
            db["tickets"].insert({
                "id": i + 1, "mailbox": "btm", "number": f"2026-{i + 1:05d}", "state": "escalated",
                "requester": f"user{i}@vendor.test", "created_at": ts(created), "updated_at": ts(created),
            })
        rows = []
        for i in range(n):
            due = NOW - timedelta(minutes=1) if i < DUE else NOW + timedelta(days=1 + i % 30)
            rows.append({"mailbox": "btm", "ticket_id": i + 1, "kind": "lkpp_status", "started_at": ts(NOW),
                         "due_at": ts(due), "step": 0, "active": 1})
            rows.append({"mailbox": "btm", "ticket_id": i + 1, "kind": "resolution", "started_at": ts(NOW),
                         "due_at": ts(NOW + timedelta(hours=70)), "step": 0, "active": 1})
        db["timers"].insert_all(rows, batch_size=1000)


def best_of(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    base = None
    print(f"{'tickets':>8} {'timers':>8} {'due':>5} {'due_timers ms':>14} {'ratio to 1k':>12}")
    for n in (1_000, 10_000, 100_000):
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp) / "bench.db")
            fill(store, n)
            found = store.timers.due_timers("btm", NOW)
            assert len(found) == DUE, len(found)
            seconds = best_of(lambda s=store: s.timers.due_timers("btm", NOW))
            base = base or seconds
            print(f"{n:>8} {2 * n:>8} {len(found):>5} {seconds * 1000:>14.3f} {seconds / base:>12.2f}")
            if n == 100_000:
                plan = store.db.execute(
                    "explain query plan select * from timers where active = 1 and due_at <= ? and mailbox = ?",
                    [ts(NOW), "btm"]).fetchall()
                print("query plan:", "; ".join(str(row[-1]) for row in plan))
            store.close()


if __name__ == "__main__":
    main()

"""The daily digest and `tickets --overdue` at 100,000 tickets (issue: work that grows
with what is due, not with what is stored).

Fills a database the way a unit's years look: most tickets closed, a few thousand
open in every state with their SLA timers, a few hundred of them late. Times, best
of 3: the overdue list as the digest and `tickets --overdue` build it (indexed
candidates), the whole digest context, the whole `tickets --overdue` command, and,
as the anchor measured in the same run, the scan the code did before (every ticket
read, two queries each). Run: .venv/bin/python bench/digest_scale.py [tickets]
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.core.overdue import find_overdue
from mailbot.daemon.wiring import App
from mailbot.io.store import Store, ts
from mailbot.model import State, TimerKind

NOW = datetime(2026, 11, 24, 1, 31, tzinfo=UTC)  # Tuesday 08:31 WIB
STATES = ("open", "answered", "escalated", "awaiting_info", "resolved")


def fill(store: Store, n: int, app: App) -> int:
    """n tickets, 3 % not closed, each with the timer its state runs (due when the SLA says);
    returns how many are late."""
    db = store.db
    tickets, timers = [], []
    late = 0
    for i in range(n):
        ticket_id = i + 1
        unclosed = i % 33 == 0
        created = NOW - timedelta(hours=1 + (i % 40) * 3) if unclosed else NOW - timedelta(days=30 + i % 900)
        state = STATES[i % len(STATES)] if unclosed else "closed"
        tickets.append({"id": ticket_id, "mailbox": "btm", "number": f"{2020 + i // 20000}-{i % 20000 + 1:05d}",
                        "state": state, "requester": f"user{i}@vendor.test", "subject": f"Kendala {i}",
                        "created_at": ts(created), "updated_at": ts(created)})
        if unclosed:
            kind = TimerKind.LKPP_STATUS if state == "escalated" else TimerKind.FIRST_RESPONSE
            started = NOW - timedelta(minutes=30 + (i % 200) * 30)
            due = app.calendar.add_working_days(started, 2) if kind is TimerKind.LKPP_STATUS else \
                app.calendar.add_working_hours(started, 4)
            late += due <= NOW
            timers.append({"mailbox": "btm", "ticket_id": ticket_id, "kind": str(kind), "started_at": ts(started),
                           "due_at": ts(due), "step": 0, "active": 1})
        else:
            timers.append({"mailbox": "btm", "ticket_id": ticket_id, "kind": "first_response",
                           "started_at": ts(created), "due_at": ts(created + timedelta(hours=4)), "step": 0,
                           "active": 0})
    with store.unit_of_work():
        db["tickets"].insert_all(tickets, batch_size=2000)
        db["timers"].insert_all(timers, batch_size=2000)
    return late


def best_of(fn, runs: int = 3) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def scan_before(app: App) -> int:
    """The anchor: the overdue list as it was built before (every ticket, two queries each)."""
    found = 0
    for ticket in app.store.search.tickets("btm"):
        if ticket.state is State.CLOSED or ticket.id is None:
            continue
        timers = [t.timer for t in app.store.timers.active_timers(ticket.id)]
        found += len(find_overdue(ticket, timers, NOW, app.calendar, app.rules.deadlines(ticket.priority)))
    return found


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = root / "config.yaml"
        config.write_text(yaml.safe_dump({
            "database": str(root / "bench.db"), "archive_dir": str(root / "archive"),
            "secret_key_file": str(root / "key"), "log": {"level": "error"},
            "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
            "mailboxes": [{"name": "btm", "address": "lpse@btm.test", "staff": ["staff@btm.test"],
                           "imap": {"host": "127.0.0.1", "port": 1143, "security": "none", "username": "x",
                                    "password": "x"}}]}))
        cfg = load_config(config)
        app = App(cfg, clock=lambda: NOW)
        late = fill(app.store, n, app)
        box = cfg.mailboxes[0]
        overdue_s, found = best_of(lambda: app.overdue(box, NOW))
        digest_s, _ = best_of(lambda: app.timekeeper.digest_context(box, NOW))
        cli_s, _ = best_of(lambda: _quiet(lambda: cli.main(["--config", str(config), "tickets", "--overdue"])))
        before_s, before = best_of(lambda: scan_before(app))
        assert len(found) == before, (len(found), before)  # type: ignore[arg-type]
        print(f"tickets {n:,}, late {late}, overdue entries {before}")
        print(f"{'':32} {'seconds':>8} {'vs before':>10}")
        print(f"{'overdue list, indexed':32} {overdue_s:>8.3f} {before_s / overdue_s:>9.0f}x")
        print(f"{'digest context (counts + list)':32} {digest_s:>8.3f}")
        print(f"{'tickets --overdue (whole CLI)':32} {cli_s:>8.3f}")
        print(f"{'anchor: scan every ticket':32} {before_s:>8.3f}")


def _quiet(fn):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn()


if __name__ == "__main__":
    main()

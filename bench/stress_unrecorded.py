"""Moved => recorded, under concurrent readers and injected store faults.

Real Dovecot (tests/localmail.py) and an SMTP sink (bench/ingest.py's) on loopback;
mailbot's App in this process with a `FaultyStore`: a Store whose connection raises
`sqlite3.OperationalError` at random write steps (INSERT, UPDATE, BEGIN, COMMIT,
SAVEPOINT, RELEASE, the group commit's sync), as SQLite's own I/O-error tests do at
the VFS: SQLITE_BUSY ("database is locked"), SQLITE_IOERR ("disk I/O error"), SQLITE_FULL
("database or disk is full"). SQLite may roll back the whole transaction on such an
error: the fault does so half the time. A COMMIT fault comes before the commit, or
after it (the commit done, an error reported all the same).

Meanwhile other processes read the database as operators do, each connecting and
closing again and again: the `sqlite3` shell's `select count(*)` (Python's sqlite3 where
the shell is missing), `.backup` (Connection.backup), a long read transaction (BEGIN, a
read, 2 s held), and `mailbot tickets`.

The backlog is appended in rounds; each round is handled by passes (`poll_all`, as
`run --once` does) until the INBOX is empty, the outbox sent to the sink; after each
round the invariant is checked on a fresh connection: every message that left the
INBOX has a record (a ticket's message or a quarantine row), none has two tickets, no
requester got two acks. Printed: messages, faults injected (by step and kind),
unrecorded, duplicated, and the rate with its anchor (the same rounds' IMAP APPEND rate).

`--old-sync` puts back the group commit's sync of before (an fsync through a file
descriptor of its own on the database and its log) to show the race it caused.

Run: nice .venv/bin/python bench/stress_unrecorded.py [--messages 50000] [--round 2000] [--fault-rate 0.0007]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import Sink

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.io import logs
from mailbot.io.store import Store
from mailbot.io.store.database import Database
from tests.localmail import HOST, LocalMailServers

UNIT = "lpse@lpse.test"
STAFF = ("staff1@lpse.test",)
FAULTS = (("busy", "database is locked"), ("ioerr", "disk I/O error"), ("full", "database or disk is full"))
_WRITE = re.compile(r"^\s*(insert|update|delete|replace|begin|commit|savepoint|release|rollback to)\b", re.IGNORECASE)


# --- the store with faults -------------------------------------------------------------------


class _Faulty:
    """A sqlite3 connection whose write statements fail now and then (see the module)."""

    def __init__(self, conn: sqlite3.Connection, plan: FaultPlan) -> None:
        self._conn, self._plan = conn, plan

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        match = _WRITE.match(sql)
        fault = self._plan.draw(match.group(1).lower() if match else None)
        if fault is None:
            return self._conn.execute(sql, params)
        kind, words, after = fault
        if after:  # the statement (a COMMIT) happened; the caller is told it failed
            self._conn.execute(sql, params)
        elif kind != "busy" and self._conn.in_transaction and self._plan.rng.random() < 0.5:
            self._conn.execute("ROLLBACK")  # SQLite's automatic rollback on IOERR or FULL
        raise sqlite3.OperationalError(words)


@dataclass
class FaultPlan:
    """Which write steps fail, drawn from a seeded generator; what was injected."""

    rate: float
    rng: random.Random
    on: bool = True
    injected: Counter[str] = field(default_factory=Counter)
    writes: int = 0

    def draw(self, step: str | None) -> tuple[str, str, bool] | None:
        if step is None or not self.on:
            return None
        self.writes += 1
        # the rarer steps (one BEGIN and COMMIT a message, against a dozen INSERTs) fail as often as INSERTs do
        if self.rng.random() >= self.rate * (1 if step == "insert" else 8):
            return None
        kind, words = self.rng.choice(FAULTS)
        after = step == "commit" and self.rng.random() < 0.5
        self.injected[f"{step}:{kind}{':after' if after else ''}"] += 1
        return kind, words, after


class FaultyStore(Store):
    """mailbot's Store, its connection wrapped in `_Faulty`."""

    plan: FaultPlan

    def __init__(self, path: Path, plan: FaultPlan) -> None:
        super().__init__(path)
        self.plan = plan
        self.db.conn = _Faulty(self.db.conn, plan)  # type: ignore[assignment]


def old_sync(self: Database) -> None:
    """The group commit's sync before an fsync through descriptors of its own."""
    for path in (self.path.with_name(self.path.name + "-wal"), self.path):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- the readers -------------------------------------------------------------------------------


READER = r"""
import sqlite3, subprocess, sys, time, random
import os
db, kind, stop, config = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
shell = sys.argv[5] if len(sys.argv) > 5 else ""
n = 0
rng = random.Random(kind)
parent = os.getppid()
while not os.path.exists(stop) and os.getppid() == parent:  # the bench gone (killed): stop too
    try:
        if kind == "count" and shell:
            subprocess.run([shell, db, "select count(*) from tickets; select count(*) from messages;"],
                           capture_output=True, timeout=60)
        elif kind == "count":
            c = sqlite3.connect(db); c.execute("select count(*) from messages").fetchone(); c.close()
        elif kind == "backup":
            c = sqlite3.connect(db); b = sqlite3.connect(":memory:"); c.backup(b); b.close(); c.close()
        elif kind == "long":
            c = sqlite3.connect(db, isolation_level=None); c.execute("begin")
            c.execute("select count(*) from tickets").fetchone(); time.sleep(2); c.execute("commit"); c.close()
        elif kind == "tickets":
            subprocess.run([sys.executable, "-m", "mailbot", "--config", config, "tickets", "--state", "closed"],
                           capture_output=True, timeout=120)
        n += 1
    except Exception as exc:
        pass
    # an operator's loop: the shell's and the backup's every few tenths of a second, a whole
    # `mailbot tickets` (a Python start-up) about once a second
    time.sleep(rng.random() * (2.0 if kind == "tickets" else 0.6 if kind == "backup" else 0.2))
print(n)
"""


class Readers:
    """The operators' processes reading the database while mailbot works."""

    KINDS = ("count", "count", "backup", "long", "tickets")

    def __init__(self, db: Path, config: Path) -> None:
        self.stop_file = db.with_name("readers.stop")
        shell = shutil.which("sqlite3") or ""
        self.procs = [subprocess.Popen([sys.executable, "-c", READER, str(db), kind, str(self.stop_file), str(config),
                                        shell], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                      for kind in self.KINDS]

    def stop(self) -> dict[str, int]:
        """Tell them to stop; how many reads each kind made."""
        self.stop_file.touch()
        runs: Counter[str] = Counter()
        for kind, proc in zip(self.KINDS, self.procs, strict=True):
            try:
                out, _ = proc.communicate(timeout=180)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
            runs[kind] += int(out.strip() or 0)
        return dict(runs)


# --- the run ----------------------------------------------------------------------------------


def request(i: int, rng: random.Random) -> tuple[bytes, str]:
    """One ordinary request from a requester of its own (so one ticket each)."""
    msg = EmailMessage()
    msg["From"] = f"Pengguna {i} <req{i}@vendor.test>"
    msg["To"] = UNIT
    msg["Subject"] = f"Kendala unggah dokumen penawaran nomor {i}"
    msg["Date"] = format_datetime(datetime.now(UTC) - timedelta(minutes=5))
    mid = f"stress-{i}-{rng.getrandbits(48):x}@vendor.test"
    msg["Message-ID"] = f"<{mid}>"
    msg.set_content(f"Selamat pagi,\n\nsaya gagal mengunggah dokumen penawaran paket {rng.randint(1, 10**8)}.\n"
                    f"Mohon bantuannya.\n\nPengguna {i}\n")
    return msg.as_bytes(), mid


@dataclass
class Figures:
    messages: int = 0
    unrecorded: int = 0
    duplicated: int = 0
    double_acks: int = 0
    left_in_inbox: int = 0
    passes: int = 0
    seconds: float = 0.0
    append_seconds: float = 0.0
    faults: Counter[str] = field(default_factory=Counter)
    writes: int = 0
    readers: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        total = sum(self.faults.values())
        steps: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        for key, count in self.faults.items():
            steps[key.split(":")[0]] += count
            kinds[key.split(":")[1]] += count
        after = sum(v for k, v in self.faults.items() if k.endswith(":after"))
        return [
            f"messages            {self.messages}",
            (f"faults injected     {total} of {self.writes} write steps "
            f"(steps: {dict(sorted(steps.items()))}; kinds: {dict(sorted(kinds.items()))}; "
            f"COMMIT done but reported failed: {after})"),
            f"unrecorded          {self.unrecorded}",
            f"duplicated          {self.duplicated} (requesters with two tickets), {self.double_acks} with two acks",
            f"left in the INBOX   {self.left_in_inbox}",
            f"passes              {self.passes}",
            f"reader runs         {self.readers}",
            (f"rate                {self.messages / self.seconds:.1f} messages/s handled (with faults and readers); "
            f"anchor: IMAP APPEND {self.messages / self.append_seconds:.1f} messages/s, same run"),
        ]


def config_for(servers: LocalMailServers, sink: Sink, tmp: Path) -> Path:
    data = {"database": str(tmp / "mailbot.db"), "archive_dir": str(tmp / "archive"),
            "secret_key_file": str(tmp / "secret.key"), "log": {"format": "json", "level": "error"},
            "escalation": {"address": "helpdesk@lkpp.test", "senders": ["*@lkpp.test"]},
            "smtp": {"host": HOST, "port": sink.port, "security": "none"},
            "mailboxes": [{"name": "s", "address": UNIT, "display_name": "LPSE Uji", "tag_prefix": "LPSE-S",
                           "imap": {"host": HOST, "port": servers.imap_port, "security": "none", "username": UNIT,
                                    "password": servers.password_for(UNIT), "idle": False, "poll_seconds": 1},
                           "staff": list(STAFF), "coordinators": ["koordinator@lpse.test"]}]}
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def check(db: Path, left: set[str], handled: set[str]) -> tuple[int, int, int]:
    """The invariant on a fresh connection: (unrecorded, requesters with two tickets, with two acks)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        recorded = {r[0] for r in conn.execute("select message_id from messages where direction = 'in'")}
        recorded |= {r[0] for r in conn.execute("select message_id from quarantine")}
        twice = conn.execute("select count(*) from (select requester from tickets group by mailbox, requester "
                             "having count(*) > 1)").fetchone()[0]
        acks = conn.execute("select count(*) from (select ticket_id from outbox where kind = 'ack' group by "
                            "ticket_id having count(*) > 1)").fetchone()[0]
    finally:
        conn.close()
    gone = handled - left
    return len(gone - recorded), int(twice), int(acks)


def inbox_ids(client: Any) -> set[str]:
    client.select_folder("INBOX", readonly=True)
    uids = client.search("ALL")
    found: set[str] = set()
    for at in range(0, len(uids), 500):
        data = client.fetch(uids[at:at + 500], ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        for item in data.values():
            block = next(v for k, v in item.items() if k.startswith(b"BODY[HEADER"))
            match = re.search(rb"<([^>]+)>", block or b"")
            if match:
                found.add(match.group(1).decode())
    return found


def stress(servers: LocalMailServers, tmp: Path, messages: int, per_round: int, fault_rate: float, seed: int,
           readers: bool = True, log: Any = print, max_passes: int = 400) -> Figures:
    """The run (see the module); `servers` with the unit's user; `tmp` empty."""
    rng = random.Random(seed)
    sink = Sink()
    sink.start()
    figures = Figures()
    plan = FaultPlan(fault_rate, random.Random(seed + 1))
    try:
        config = config_for(servers, sink, tmp)
        cfg = load_config(config)
        logs.configure(cfg.log.format, cfg.log.level)
        store = FaultyStore(cfg.database, plan)
        plan.on = False
        app = App(cfg, store=store)
        procs = Readers(cfg.database, config) if readers else None
        handled: set[str] = set()
        started = time.perf_counter()
        with servers.imap(UNIT) as client:
            for first in range(0, messages, per_round):
                count = min(per_round, messages - first)
                batch = [request(first + i, rng) for i in range(count)]
                t0 = time.perf_counter()
                for raw, _ in batch:
                    client.append("INBOX", raw)
                figures.append_seconds += time.perf_counter() - t0
                handled |= {mid for _, mid in batch}
                plan.on = True
                passes = 0
                while passes < max_passes:
                    passes += 1
                    app.poll_all()
                    client.noop()
                    if not client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"]:
                        break
                plan.on = False
                app.send_here()
                figures.passes += passes
                left = inbox_ids(client)
                unrecorded, twice, acks = check(cfg.database, left, handled)
                figures.messages = first + count
                # the worst round stands: a message unrecorded after one round must not hide behind a later one
                figures.unrecorded = max(figures.unrecorded, unrecorded)
                figures.duplicated = max(figures.duplicated, twice)
                figures.double_acks = max(figures.double_acks, acks)
                figures.left_in_inbox = len(left)
                log(f"after {figures.messages:6d} messages: {passes:3d} passes, {sum(plan.injected.values()):5d} "
                    f"faults, unrecorded {unrecorded}, duplicated {twice}, two acks {acks}, left in INBOX {len(left)}")
        figures.seconds = time.perf_counter() - started - figures.append_seconds
        figures.faults, figures.writes = plan.injected, plan.writes
        if procs is not None:
            figures.readers = procs.stop()
        store.close()
    finally:
        sink.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--round", type=int, default=2_000, help="messages appended per round")
    parser.add_argument("--fault-rate", type=float, default=0.0007, help="chance that a write step fails")
    parser.add_argument("--seed", type=int, default=30)
    parser.add_argument("--no-readers", action="store_true")
    parser.add_argument("--old-sync", action="store_true", help="the group commit's sync of before")
    args = parser.parse_args()
    if args.old_sync:
        Database.sync = old_sync  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp, LocalMailServers(Path(tmp) / "mail", [UNIT, *STAFF]) as servers:
        work = Path(tmp) / "work"
        work.mkdir()
        figures = stress(servers, work, args.messages, args.round, args.fault_rate, args.seed,
                         readers=not args.no_readers)
    print(f"\nstress_unrecorded ({'old sync' if args.old_sync else 'this version'}, seed {args.seed}, "
          f"fault rate {args.fault_rate}, readers {'off' if args.no_readers else 'on'})")
    for line in figures.lines():
        print("  " + line)


if __name__ == "__main__":
    main()

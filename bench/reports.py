"""How fast the monthly reports are at scale: 100,000 tickets over a year.

Fills a fresh store, directly, with a year of tickets (2025, ~8,300 a month) and the
rows the daemon records with them: inbound and outbound messages with their texts,
outbox rows with ~2 KB of raw mail and the SMTP acceptance time, history events and
timers; paths as a helpdesk sees them: answered, solved and confirmed, escalated to
LKPP with status reports, data requests and solutions, left open. Then runs, each in
a new process through the command line as an operator would,

    mailbot report rekap --month 2025-11 --format csv|xlsx --output ...
    mailbot report summary --month 2025-11 --output ...

and prints for each the wall time (best of --runs; the machine may be shared), the CPU
time (user + system) and the peak memory (maximum RSS) of that process, from wait4,
with SQLite's plan for the report queries. Goal: under 5 s each.

Run: python3 bench/reports.py [--tickets 100000] [--month 2025-11] [--runs 3] [--keep DIR [--reuse]]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailbot.io.store import Store, ts
from mailbot.reports.queries import query_plans
from mailbot.reports.values import Month

WIB = ZoneInfo("Asia/Jakarta")
YEAR = 2025
STAFF = ("helpdesk1@batam.go.id", "helpdesk2@batam.go.id", "helpdesk3@batam.go.id")
LKPP = "helpdesk-lpse@lkpp.go.id"
RAW = (b"Received: from mail.batam.go.id\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
       + b"Yth. Bapak/Ibu, terima kasih telah menghubungi Helpdesk LPSE Kota Batam. " * 26)
WORDS = ("tidak", "bisa", "upload", "dokumen", "penawaran", "error", "500", "akun", "terkunci", "lupa", "password",
         "verifikasi", "penyedia", "paket", "tender", "jadwal", "pelatihan", "SPSE", "kualifikasi", "NIB",
         "sertifikat", "elektronik", "aplikasi", "lelang", "pokja", "mohon", "bantuan", "segera", "batas", "waktu",
         "hari", "ini", "pukul", "WIB", "terima", "kasih")


class Writer:
    """Buffers rows per table and writes them with executemany."""

    COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {
        "tickets": ("id", "mailbox", "number", "state", "requester", "requester_name", "subject", "category",
                    "priority", "language", "created_at", "updated_at", "first_response_at", "resolved_at",
                    "resolved_by", "closed_at", "rating", "lkpp_ticket", "contact_name", "contact_org"),
        "participants": ("ticket_id", "address"),
        "messages": ("mailbox", "message_id", "direction", "role", "ticket_id", "kind", "sender", "recipients",
                     "subject", "at", "archive_path", "size", "attachments", "body", "full_text", "received_at"),
        "outbox": ("mailbox", "ticket_id", "message_id", "kind", "mail_from", "rcpt", "raw", "auto", "created_at",
                   "status", "attempts", "next_attempt_at", "sent_at", "audience"),
        "events": ("mailbox", "ticket_id", "at", "actor", "kind", "detail"),
        "timers": ("mailbox", "ticket_id", "kind", "started_at", "due_at", "step", "active"),
    }

    def __init__(self, store: Store) -> None:
        self.conn = store.db.conn
        self.rows: dict[str, list[tuple[object, ...]]] = {name: [] for name in self.COLUMNS}
        self.counts: dict[str, int] = dict.fromkeys(self.COLUMNS, 0)
        self.seq = 0

    def add(self, table: str, *row: object) -> None:
        self.rows[table].append(row)
        if len(self.rows[table]) >= 20_000:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.rows):
            rows = self.rows[name]
            if rows:
                cols = self.COLUMNS[name]
                self.conn.executemany(f"insert into {name} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})",
                                      rows)
                self.counts[name] += len(rows)
                rows.clear()

    def mid(self, domain: str) -> str:
        self.seq += 1
        return f"bench.{self.seq}@{domain}"


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def arrival(rng: random.Random, day_start: datetime) -> datetime:
    """Mostly in working hours, some in the evening."""
    if rng.random() < 0.85:
        return day_start + timedelta(hours=8, minutes=rng.randrange(8 * 60))
    return day_start + timedelta(hours=16, minutes=rng.randrange(6 * 60))


class Ticket:
    """Writes one ticket's life: its messages, mail, outbox rows, history and timers."""

    def __init__(self, w: Writer, rng: random.Random, tid: int, number: str, opened: datetime) -> None:
        self.w, self.rng, self.tid, self.t = w, rng, tid, opened
        self.requester = f"user{rng.randrange(40_000)}@vendor{rng.randrange(500)}.co.id"

    def later(self, low_minutes: float, high_minutes: float) -> datetime:
        self.t += timedelta(minutes=self.rng.uniform(low_minutes, high_minutes))
        return self.t

    def inbound(self, role: str, label: str, sender: str, body: str) -> datetime:
        received = self.t
        at = received + timedelta(seconds=self.rng.uniform(1, 40))
        self.w.add("messages", "btm", self.w.mid("mail.test"), "in", role, self.tid, label, sender, "lpse@batam.go.id",
                   "Re: masalah", ts(at), "archive/in.eml", 4000, 0, body, body, ts(received))
        self.t = at
        return at

    def out(self, audience: str, kind: str, to: str, body: str | None = None, late: float = 60.0) -> None:
        mid = self.w.mid("batam.go.id")
        sent = self.t + timedelta(seconds=self.rng.uniform(0.5, late))
        self.w.add("messages", "btm", mid, "out", audience, self.tid, kind, "lpse@batam.go.id", to, "subjek",
                   ts(self.t), "archive/out.eml", len(RAW), 0, body, None, None)
        self.w.add("outbox", "btm", self.tid, mid, kind, "lpse@batam.go.id", json.dumps([to]), RAW, 1, ts(self.t),
                   "sent", 1, ts(self.t), ts(sent), audience)
        self.event("mailbot", "mail_queued", mail=kind, to=[to], message_id=mid)

    def event(self, actor: str, kind: str, **detail: object) -> None:
        self.w.add("events", "btm", self.tid, ts(self.t), actor, kind, json.dumps(detail))


def fill(store: Store, tickets: int, seed: int = 10) -> None:
    rng = random.Random(seed)
    w = Writer(store)
    days = [datetime(YEAR, 1, 1, tzinfo=WIB) + timedelta(days=d) for d in range(365)]
    weights = [0.15 if d.weekday() >= 5 else 1.0 for d in days]
    starts = sorted(arrival(rng, d) for d in rng.choices(days, weights, k=tickets))
    with store.unit_of_work():
        for n, opened in enumerate(starts, start=1):
            write_ticket(w, rng, n, f"{YEAR}-{n:06d}", opened)
        w.flush()
    print("rows written: " + ", ".join(f"{k} {v:,}" for k, v in w.counts.items()))


def write_ticket(w: Writer, rng: random.Random, tid: int, number: str, opened: datetime) -> None:
    t = Ticket(w, rng, tid, number, opened)
    staff = rng.choice(STAFF)
    problem = text(rng, rng.randrange(15, 120))
    state, first_response, resolved_at, resolved_by, closed_at, rating, lkpp_ticket = (
        "open", None, None, None, None, None, None)
    created = t.inbound("requester", "ticket_opened", t.requester, problem)
    t.event(t.requester, "ticket_opened", subject="masalah")
    t.event("mailbot", "category_guessed", value="pengaduan", rule="r")
    t.out("requester", "ack", t.requester, late=rng.choice((20, 20, 20, 900)))
    t.out("staff", "staff_new", STAFF[0], problem)
    w.add("participants", tid, t.requester)
    w.add("timers", "btm", tid, "resolution", ts(created), ts(created + timedelta(hours=72)), 0, 0)
    path = rng.random()
    if path < 0.12:  # escalated to LKPP (SOP-015)
        t.later(20, 240)
        t.inbound("staff", "command_escalate", staff, "#eskalasi\n" + text(rng, 12))
        t.event(staff, "command_escalate")
        t.out("lkpp", "escalate", LKPP, late=rng.choice((60, 60, 600)))
        t.out("requester", "escalated_user", t.requester)
        first_response, state = t.t, "escalated"
        lkpp_ticket = f"{YEAR}{rng.randrange(10**12):012d}"
        t.later(240, 2400)
        t.inbound("lkpp", "lkpp_status", LKPP, text(rng, 10))
        t.out("requester", "status_user", t.requester, text(rng, 10))
        if rng.random() < 0.4:
            t.later(300, 1500)
            t.inbound("lkpp", "lkpp_need_info", LKPP, "Mohon dilengkapi " + text(rng, 10))
            t.out("requester", "need_info", t.requester, text(rng, 10))
            t.later(30, 600)
            t.inbound("requester", "message_appended", t.requester, text(rng, 20))
            t.out("lkpp", "forward_info", LKPP, late=rng.choice((30, 30, 900)))
        if rng.random() < 0.7:
            t.later(300, 3000)
            t.inbound("lkpp", "lkpp_resolved", LKPP, text(rng, 25))
            t.out("requester", "resolved_lkpp", t.requester, text(rng, 25))
            state, resolved_at, resolved_by = "resolved", t.t, LKPP
    elif path < 0.77:  # answered by staff
        t.later(10, 400)
        t.inbound("staff", "staff_replied", staff, text(rng, 30))
        t.event(staff, "staff_replied")
        t.out("requester", "staff_reply", t.requester, text(rng, 30))
        first_response, state = t.t, "answered"
        if rng.random() < 0.5:
            t.later(60, 2880)
            t.inbound("staff", "command_resolve", staff, "#selesai\n" + text(rng, 30))
            t.event(staff, "command_resolve")
            t.out("requester", "resolved", t.requester, text(rng, 30))
            state, resolved_at, resolved_by = "resolved", t.t, staff
    if state == "resolved":
        roll = rng.random()
        if roll < 0.6:
            t.later(30, 1800)
            rating = rng.choice((3, 4, 4, 5, 5, 5, None))
            t.inbound("requester", "closing_confirmed", t.requester, f"YA {rating or ''}")
            t.event(t.requester, "closing_confirmed", rating=rating)
            t.out("requester", "closed", t.requester)
            state, closed_at = "closed", t.t
        elif roll < 0.9:
            t.later(3 * 1440, 5 * 1440)
            t.out("requester", "closed", t.requester)
            state, closed_at = "closed", t.t
    w.add("tickets", tid, "btm", number, state, t.requester, "Pengguna SPSE", "Masalah SPSE",
          rng.choice(("pengaduan", "pertanyaan", "konsultasi")), rng.choice(("high", "normal", "normal", "low")), "id",
          ts(created), ts(t.t), ts(first_response) if first_response else None,
          ts(resolved_at) if resolved_at else None,
          resolved_by, ts(closed_at) if closed_at else None, rating, lkpp_ticket, "Pengguna SPSE", "PT Contoh")


def config(tmp: Path) -> Path:
    path = tmp / "config.yaml"
    path.write_text(json.dumps({
        "database": str(tmp / "bench.db"), "archive_dir": str(tmp / "archive"),
        "secret_key_file": str(tmp / "secret.key"), "log": {"format": "console", "level": "warning"},
        "smtp": {"host": "127.0.0.1", "port": 9, "security": "none"},
        "mailboxes": [{"name": "btm", "address": "lpse@batam.go.id", "display_name": "Helpdesk LPSE Kota Batam",
                       "tag_prefix": "LPSE-BTM", "staff": list(STAFF),
                       "staff_names": {STAFF[0]: "Andi Pratama", STAFF[1]: "Sari Wulandari"},
                       "imap": {"host": "127.0.0.1", "port": 9, "security": "none"}}],
    }))  # JSON is YAML
    return path


def timed(args: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and maximum RSS (KiB) of one `mailbot` process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", *args], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"mailbot {' '.join(args)} exited {proc.returncode}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--month", default=f"{YEAR}-11")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command; the best wall time counts")
    parser.add_argument("--keep", type=Path, help="keep the database and reports in this folder")
    parser.add_argument("--reuse", action="store_true", help="with --keep: use the database already there")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        cfg = config(tmp)
        reuse = args.reuse and args.keep and (tmp / "bench.db").exists()
        if not reuse:
            (tmp / "bench.db").unlink(missing_ok=True)
        store = Store(tmp / "bench.db")
        start = time.perf_counter()
        if not reuse:
            fill(store, args.tickets)
        month = Month.parse(args.month)
        total = store.db.execute("select count(*) from tickets").fetchone()[0]
        count = store.db.execute("select count(*) from tickets where created_at >= ? and created_at < ?",
                                 [ts(month.start(WIB)), ts(month.end(WIB))]).fetchone()[0]
        print(f"{'reused' if reuse else 'filled'} {total:,} tickets in {time.perf_counter() - start:.1f} s "
              f"({(tmp / 'bench.db').stat().st_size / 2**20:,.0f} MiB); {count:,} opened in {month}")
        for plan in query_plans(store, month.start(WIB), month.end(WIB), "btm"):
            print("  plan:", plan)
        store.db.execute("pragma wal_checkpoint(truncate)")
        store.close()
        base = ["--config", str(cfg), "report"]
        runs = [
            ("report rekap --format csv", [*base, "rekap", "--month", args.month, "--format", "csv",
                                           "--output", str(tmp / "rekap.csv")]),
            ("report rekap --format xlsx", [*base, "rekap", "--month", args.month, "--format", "xlsx",
                                            "--output", str(tmp / "rekap.xlsx")]),
            ("report summary", [*base, "summary", "--month", args.month, "--output", str(tmp / "summary.html")]),
        ]
        timed(runs[0][1])  # warm the page cache once, as a database in use is
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"{'command':<28} {'wall s (best)':>13} {'cpu s':>6} {'peak RSS MiB':>13} {'output KiB':>11}")
        for name, argv in [*runs, ("mailbot --help", ["--help"])]:
            results = [timed(argv) for _ in range(args.runs)]
            wall, cpu, _ = min(results)
            out = f"{Path(argv[-1]).stat().st_size / 1024:>11,.0f}" if argv[-1] != "--help" else ""
            print(f"{name:<28} {wall:>13.2f} {cpu:>6.2f} {max(r[2] for r in results) / 1024:>13.0f} {out}")


if __name__ == "__main__":
    main()

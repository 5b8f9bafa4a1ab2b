"""`mailbot shadow` over a unit's month of 3,000 messages: the time it takes, beside the time
the same month took to handle in the first place (the anchor, measured in the same run).

The month is made as a unit's month looks (November 2026, working hours, Asia/Jakarta):
requesters write new requests (a tenth with a ~100 KB attachment, a third in HTML), reply to
their acknowledgement with more detail, thank staff; staff answer from their notices, and
some answers carry a command (`#selesai`, `#catatan`, `#eskalasi`); autoresponders answer
some of our mail. Each message is handled by this version as the daemon handles it (the
clock at its arrival), the daemon's sweep runs every half hour of the working day, and each
mail is marked accepted and archived as an SMTP server that takes everything would have it.
Then `mailbot shadow` plays the month back with the same config (0 differences expected),
timed as a whole command (best of `--repeat`). Target: under 3 minutes on the 2-core machine.

Run: .venv/bin/python bench/shadow.py [--messages N] [--repeat N]   (N also MAILBOT_SHADOW_MESSAGES)
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.io import logs
from mailbot.io.archive import Archive

WIB = ZoneInfo("Asia/Jakarta")
UNIT, STAFF, LKPP = "lpse@lpse.test", ("staff1@lpse.test", "staff2@lpse.test"), "helpdesk@lkpp.test"
TOPICS = ("tidak bisa login", "akun terkunci", "upload dokumen penawaran gagal", "jadwal tender berubah",
          "sertifikat elektronik kedaluwarsa", "lupa password", "kirim penawaran error 500",
          "tidak menerima email aktivasi", "dokumen kualifikasi tidak tersimpan", "harga penawaran tidak muncul")
ROOT = Path(__file__).resolve().parents[1]


def config(tmp: Path) -> Path:
    data = {"database": str(tmp / "mailbot.db"), "archive_dir": str(tmp / "archive"),
            "secret_key_file": str(tmp / "secret.key"), "log": {"format": "json", "level": "error"},
            "escalation": {"address": LKPP, "senders": ["*@lkpp.test"]},
            "smtp": {"host": "127.0.0.1", "port": 1, "security": "none"},
            "mailboxes": [{"name": "btm", "address": UNIT, "tag_prefix": "LPSE-BTM", "display_name": "Helpdesk LPSE",
                           "imap": {"host": "127.0.0.1", "port": 1, "security": "none", "username": UNIT,
                                    "password": "x"},
                           "staff": list(STAFF), "coordinators": ["koordinator@lpse.test"],
                           "heads": ["kepala@lpse.test"]}]}
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def message(sender: str, subject: str, body: str, when: datetime, *, reply_to: str | None = None,
            html: bool = False, attachment: bytes | None = None, auto: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, UNIT, subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    if reply_to:
        msg["In-Reply-To"] = msg["References"] = f"<{reply_to}>"
    if auto:
        msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(body)
    if html:
        msg.add_alternative("".join(f"<p>{line}</p>" for line in body.splitlines()), subtype="html")
    if attachment:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename="bukti.pdf")
    return msg.as_bytes()


class Month:
    """The month as the daemon handles it: messages at their moments, sweeps between them."""

    def __init__(self, path: Path) -> None:
        self.cfg = load_config(path)
        logs.configure(self.cfg.log.format, self.cfg.log.level)
        self.now = datetime(2026, 11, 2, 0, 0, tzinfo=WIB)
        self.app = App(self.cfg, clock=lambda: self.now)
        self.box = self.cfg.mailboxes[0]
        self.db = self.app.store.db
        self.swept = self.now

    def at(self, moment: datetime) -> None:
        """The daemon's sweeps every half hour of the working day up to `moment`."""
        step = self.swept + timedelta(minutes=30)
        while step < moment:
            if 7 <= step.astimezone(WIB).hour < 17:
                self.now = step
                self.app.sweep()
                self.delivered()
            step += timedelta(minutes=30)
        self.swept = max(self.swept, step - timedelta(minutes=30))
        self.now = moment

    def handle(self, raw: bytes, moment: datetime) -> None:
        self.at(moment)
        self.app.handle(self.box, raw, moment)
        self.delivered()

    def delivered(self) -> None:
        ids = self.app.store.outbox.due_outbox_ids(self.now, (self.box.name,))
        if not ids:
            return
        with self.app.store.unit_of_work():
            for row in self.app.store.outbox.outbox_rows(ids):
                self.app.archive.put(Archive.place(row.mailbox, "out", row.raw, row.created_at), row.raw)
                self.app.store.outbox.outbox_finish(row.id, self.now, None, tuple(row.rcpt), retried=False)

    def sent(self, kind: str, to: str) -> list[str]:
        return [r[0] for r in self.db.execute("select message_id from messages where direction = 'out' and "
                                              "kind = ? and recipients like ? order by id", [kind, f"%{to}%"])]


def moments(n: int, rng: random.Random) -> list[datetime]:
    """n moments in November's working hours, in order, each distinct."""
    days = [datetime(2026, 11, d, tzinfo=WIB) for d in range(2, 31) if datetime(2026, 11, d).weekday() < 5]
    found = sorted({day + timedelta(hours=8, seconds=rng.randrange(8 * 3600)) + timedelta(microseconds=i)
                    for i, day in enumerate(rng.choice(days) for _ in range(n))})
    return found


def build(month: Month, n: int, rng: random.Random) -> None:
    opened: list[tuple[str, str]] = []  # (requester, subject)
    for i, when in enumerate(moments(n, rng)):
        roll = rng.random()
        if roll < 0.55 or not opened:
            who = f"pengguna{i}@{rng.choice(('gmail.com', 'vendor.co.id', 'dinas.go.id'))}"
            topic = rng.choice(TOPICS)
            subject = f"{topic.capitalize()} paket {rng.randint(1000, 9999)}"
            body = (f"Selamat pagi, saya {topic} sejak kemarin pada paket {rng.randint(10**6, 10**8)}.\n"
                    "Mohon bantuannya.\n\nTerima kasih,\nPengguna")
            month.handle(message(who, subject, body, when, html=i % 3 == 0,
                                 attachment=rng.randbytes(100_000) if i % 10 == 0 else None), when)
            opened.append((who, subject))
        elif roll < 0.75:
            who, subject = rng.choice(opened)
            acks = month.sent("ack", who)
            month.handle(message(who, f"Re: {subject}", "Berikut tambahan informasi: kode tender "
                                 f"{rng.randint(10**6, 10**7)}.", when, reply_to=acks[-1] if acks else None), when)
        elif roll < 0.95:
            who, subject = rng.choice(opened)
            notices = month.sent("staff_new", STAFF[0])
            if not notices:
                continue
            command = rng.choice(("", "", "#catatan Sudah dicek.\n", "#selesai\n", "#eskalasi\n"))
            month.handle(message(rng.choice(STAFF), f"Re: {subject}", f"{command}Silakan coba lagi melalui "
                                 "menu lupa password.", when, reply_to=rng.choice(notices[-40:])), when)
        else:
            who, subject = rng.choice(opened)
            acks = month.sent("ack", who)
            month.handle(message(who, f"Out of office: {subject}", "Saya sedang cuti.", when,
                                 reply_to=acks[-1] if acks else None, auto=True), when)
    month.at(datetime(2026, 11, 30, 17, 0, tzinfo=WIB))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=int(os.environ.get("MAILBOT_SHADOW_MESSAGES", "3000")))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the month's data and reports in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = str(args.keep or scratch)
        Path(tmp).mkdir(parents=True, exist_ok=True)
        path = config(Path(tmp))
        month = Month(path)
        started, cpu = time.monotonic(), time.process_time()
        build(month, args.messages, random.Random(7))
        handled, handled_cpu = time.monotonic() - started, time.process_time() - cpu
        count = month.db.execute("select count(*) from messages where direction = 'in'").fetchone()[0]
        sent = month.db.execute("select count(*) from messages where direction = 'out'").fetchone()[0]
        month.app.store.close()
        runs, cpus = [], []
        for _ in range(args.repeat):
            started, children = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
            done = subprocess.run([sys.executable, "-m", "mailbot", "--config", str(path), "shadow", "--since",
                                   "2026-11-01", "--until", "2026-11-30", "--report", str(Path(tmp) / "report")],
                                  capture_output=True, text=True, cwd=ROOT, check=False)
            runs.append(time.monotonic() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime)
            if done.returncode != 0:
                print(done.stdout, (Path(tmp) / "report.txt").read_text()[:6000], sep="\n")
                raise SystemExit(f"shadow exited {done.returncode}: the month should replay without a difference")
    load = os.getloadavg()[0]
    print(f"month: {count} messages handled, {sent} mails sent (November 2026, one mailbox)")
    print(f"anchor, the month handled the first time (in-process, sweeps every 30 min): {handled:.1f} s "
          f"({handled_cpu:.1f} s CPU), {count / handled:.0f} msg/s")
    print(f"mailbot shadow over the month (whole command, best of {len(runs)}): {min(runs):.1f} s "
          f"({min(cpus):.1f} s CPU), {count / min(runs):.0f} msg/s; {min(runs) / handled:.2f} x the first "
          f"handling, {min(cpus) / handled_cpu:.2f} x its CPU")
    print(f"target: under 180 s on the 2-core machine: {'met' if min(runs) < 180 else 'NOT met'}"
          f" (load average {load:.1f}: on a busy machine the CPU figure is the one to read)")


if __name__ == "__main__":
    main()

"""What a request costs with a long run in its body: thousands of blank lines, one endless
word, a line of full stops, runs of the characters mail's patterns look for.

A pattern that reads the rest of a run again from each of its characters makes a crafted
mail of a few KB take seconds, and past `limits.message_seconds` (30 s) the request goes to
Quarantine while the mailbox waits. Each shape is one request through `App.handle`
in-process (a private Dovecot and SMTP sink, the default config): its wall time and outcome,
beside the same request without the run (the anchor, same run). A shape that costs more
than `SLOW` seconds is marked. The runs stand on lines of their own (`SHAPES`), inside a
line after a word or a field's label (`IN_LINE`), and in the From field (`FROM_FIELDS`).

Run: .venv/bin/python bench/long_runs.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import UNIT, Sinked, config_for
from tests.mailfactory import with_from

SLOW = 1.0  # seconds a request may take here before its shape is marked
WORDS = ("Selamat pagi, akun SPSE kami terkunci sejak kemarin sore, mohon dibantu dibuka kembali. "
         "Terima kasih atas bantuan Bapak dan Ibu helpdesk.\n")
SIGNATURE = "\nSalam,\nBudi Santoso\nCV Maju Jaya\nTelp. 0778-123456\n"
# (what repeats, how many times at scale 1): the runs of the red team's census of patterns
SHAPES = [("\n", 200_000), (" \n", 200_000), ("a", 100_000), (".", 60_000), ("0-", 30_000), ("a ", 50_000),
          ("\u00a0", 60_000), ("_", 60_000), ("=", 60_000), ("@", 60_000), ("a.", 30_000), ("A ", 50_000),
          ("Aa ", 30_000), ("0 ", 50_000), ("a0", 30_000), (">", 60_000), ("> \n", 20_000), ("\t", 60_000),
          (": ", 30_000), ("-", 60_000)]
# (what stands before, what repeats, how many times, what follows): runs inside a line, the
# shapes of this session's two red-team rounds (each took a request past its 30 s before
# 00c9443 or 5d219d9)
IN_LINE = [("Mohon dicek", " ", 100_000, "ya\n"), ("\n", " ", 100_000, "x\n"), ("Nama: Budi", " ", 100_000, "x\n"),
           ("CV Maju Jaya", " ", 100_000, "x\n"), ("Mohon dicek", "\t", 100_000, "ya\n"),
           ("Baik, ", "a", 100_000, "\n"), ("kode tender", " ", 100_000, "x\n"), ("Telp", " ", 100_000, "x\n"),
           ("Begin forwarded message", " ", 100_000, "x\n")]
# (what repeats, how many times, what follows) as the From field, folded as a client folds it
FROM_FIELDS = [("a", 32_000, " <budi@vendor.test>"), (", ", 30_000, "<budi@vendor.test> x")]


def request(body: str, sender: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, UNIT, "Akun terkunci"
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    msg.set_content(body)
    return msg.as_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="times each run's length")
    args = parser.parse_args()
    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App
    from mailbot.io import logs

    logs.configure("console", "error")
    with tempfile.TemporaryDirectory() as place, Sinked(Path(place), [UNIT]) as (servers, sink, tmp):
        app = App(load_config(config_for(servers, sink, tmp, [UNIT])))
        box = app.cfg.mailboxes[0]
        app.handle(box, request(WORDS, "warm@vendor.test"))  # the rules' first use is not a shape's
        started = time.perf_counter()
        anchor = app.handle(box, request(WORDS + SIGNATURE, "anchor@vendor.test"))
        print(f"{'without a run':28} {time.perf_counter() - started:7.2f} s  {anchor.status} {anchor.label}")
        slow = 0
        for k, (unit, count) in enumerate(SHAPES):
            times = max(1, int(count * args.scale))
            body = WORDS + unit * times + SIGNATURE
            started = time.perf_counter()
            outcome = app.handle(box, request(body, f"user{k}@vendor{k}.test"))
            seconds = time.perf_counter() - started
            slow += seconds > SLOW
            mark = "  <- slow" if seconds > SLOW else ""
            print(f"{unit!r:>8} x {times:<8,} {len(body.encode()) / 1024:8.0f} KB {seconds:7.2f} s  "
                  f"{outcome.status} {outcome.label}{mark}", flush=True)
        for k, (before, unit, count, after) in enumerate(IN_LINE):
            times = max(1, int(count * args.scale))
            body = WORDS + before + unit * times + after + SIGNATURE
            slow += timed(app, box, f"{before!r:>14} {unit!r} x {times:<8,}", request(body, f"line{k}@vendor{k}.test"))
        for k, (unit, count, after) in enumerate(FROM_FIELDS):
            times = max(1, int(count * args.scale))
            raw = with_from(request(WORDS + SIGNATURE, f"from{k}@vendor.test"),
                            unit * times + after.replace("budi@", f"from{k}@"))  # no copy of the one before
            slow += timed(app, box, f"{'From:':>14} {unit!r} x {times:<8,}", raw)
        app.store.close()
    print(f"{slow} of {len(SHAPES) + len(IN_LINE) + len(FROM_FIELDS)} shapes over {SLOW:g} s")


def timed(app: Any, box: Any, label: str, raw: bytes) -> bool:
    """One request handled, its line printed; whether it was slow."""
    started = time.perf_counter()
    outcome = app.handle(box, raw)
    seconds = time.perf_counter() - started
    mark = "  <- slow" if seconds > SLOW else ""
    print(f"{label} {len(raw) / 1024:8.0f} KB {seconds:7.2f} s  {outcome.status} {outcome.label}{mark}", flush=True)
    return seconds > SLOW


if __name__ == "__main__":
    main()

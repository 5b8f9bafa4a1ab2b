"""What the copies of sent mail cost: the same backlog with `sent_folder` on and off.

bench/ingest.py's backlog (its requests, its private Dovecot and SMTP sink, `mailbot run`
as systemd starts it) is handled twice per round, with `sent_folder: Sent` (the default:
a copy of each ack and staff notice appended to the unit's Sent folder by the mailbox's
own reader) and with `sent_folder: null`, the two interleaved as the machine's load
drifts. For each: the ingest rate until the sink accepted every ack and notice, mailbot's
CPU (user + sys, daemon and sender) per message at that moment, and with copies on, how
long after the last mail the last copy was in Sent and the CPU per message then.

Run: .venv/bin/python bench/sent_copies.py [--messages N] [--repeat N]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ingest import UNIT, Daemon, Sinked, config_for, folder_size, request


def run(raws: list[bytes], place: Path, copies: bool) -> tuple[float, float, float, float]:
    """One run: (ingest msg/s, CPU ms per message at the last mail, seconds from the last
    mail to the last copy, CPU ms per message then); without copies the last two repeat."""
    n = len(raws)
    with Sinked(place, [UNIT]) as (servers, sink, tmp):
        with servers.imap(UNIT) as client:
            for raw in raws:
                client.append("INBOX", raw)
        config = config_for(servers, sink, tmp, [UNIT], **({} if copies else {"sent_folder": None}))
        daemon = Daemon(config, tmp)
        ready = daemon.wait_ready()
        deadline = time.monotonic() + 1800
        while sink.count() < 2 * n and time.monotonic() < deadline:
            time.sleep(0.01)
        done = sink.mails[-1][0]
        cpu = daemon.cpu_seconds()
        copied, cpu_copied = 0.0, cpu
        if copies:
            while time.monotonic() < deadline and _sent(servers) < 2 * n:
                time.sleep(0.2)
            copied, cpu_copied = time.monotonic() - done, daemon.cpu_seconds()
        daemon.stop()
    return n / (done - ready), cpu / n * 1000, copied, cpu_copied / n * 1000


def _sent(servers: object) -> int:
    try:
        return folder_size(servers, UNIT, "Sent")  # type: ignore[arg-type]
    except Exception:  # noqa: BLE001 - not made yet
        return 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20261122)
    raws = [request(rng, i, f"pengguna{i}@vendor.test") for i in range(args.messages)]
    results: dict[bool, list[tuple[float, float, float, float]]] = {True: [], False: []}
    with ExitStack() as kept:
        for _ in range(args.repeat):
            for copies in (False, True):
                results[copies].append(run(raws, Path(kept.enter_context(tempfile.TemporaryDirectory())), copies))

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    print(f"\n== sent folder copies: {args.messages} requests (an ack and a staff notice each), "
          f"median of {args.repeat} interleaved runs")
    for copies, label in ((False, "sent_folder: null"), (True, "sent_folder: Sent")):
        rate, cpu, copied, cpu_copied = (list(c) for c in zip(*results[copies], strict=True))
        line = f"{label:<20} {median(rate):6.1f} msg/s   CPU {median(cpu):5.1f} ms/msg at the last mail"
        if copies:
            line += f"; last copy {median(copied):.2f} s later, CPU then {median(cpu_copied):5.1f} ms/msg"
        print(line + f"   (rates {', '.join(f'{r:.1f}' for r in rate)})")


if __name__ == "__main__":
    main()

"""Throughput and outcome of the shared corpora through the real mailbox.

Starts the local Dovecot and SMTP servers, puts every corpus message into the unit
INBOX, runs one `run --once` pass and prints what became of them and how fast.
Run: .venv/bin/python bench/corpus_intake.py [SHARED_DIR]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.io import logs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import CATCHALL, USERS
from tests.localmail import LocalMailServers
from tests.mailfactory import UNIT, write_config


def main() -> None:
    logs.configure("console", "error")
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared"
    roots = [shared / "corpora" / "set-of-emails" / "maildir", shared / "corpora" / "mail-gem"]
    files = [p for root in roots for p in sorted(root.rglob("*"))
             if p.is_file() and p.name not in ("LICENSE", "README.md") and p.stat().st_size > 0]
    with (tempfile.TemporaryDirectory() as tmp,
          LocalMailServers(Path(tmp) / "mail", USERS, catchall=CATCHALL) as servers):
        for path in files:
            servers.append(UNIT, path.read_bytes())
        config = write_config(servers, Path(tmp), autoreply_limit=10_000, limits={"ticket_mails_per_hour": 10_000})
        app = App(load_config(config))
        start = time.perf_counter()
        result = app.poll_all()
        handled = time.perf_counter() - start
        start = time.perf_counter()
        sent, failed = app.flush_outbox()
        sending = time.perf_counter() - start
        labels = Counter(r["kind"] for r in app.store.db.query("select kind from messages where direction = 'in'"))
        labels["duplicate (same Message-ID, e.g. the CRLF/CR copies)"] = (
            len(files) - sum(labels.values()) - len(app.store.arrivals.quarantined()))
        quarantined = Counter(r.reason.split(":")[0] for r in app.store.arrivals.quarantined())
        print(f"messages: {len(files)}  handled: {result}  in {handled:.1f} s = {len(files) / handled:.0f} msg/s")
        print(f"outbox: {sent} sent, {failed} failed in {sending:.1f} s = {sent / max(sending, 1e-9):.0f} mail/s")
        print(f"tickets: {len(app.store.search.tickets())}")
        print("outcomes:", dict(labels.most_common()))
        print("quarantined:", dict(quarantined.most_common()))
        print(f"Processed folder: {len(servers.fetch(UNIT, 'Processed'))}, "
              f"Quarantine folder: {len(servers.fetch(UNIT, 'Quarantine'))}, INBOX: {len(servers.fetch(UNIT))}")


if __name__ == "__main__":
    main()

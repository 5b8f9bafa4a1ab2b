"""Acceptance 4: every corpus message through the real mailbox with `run --once`.

Each message must end as a ticket, a recorded note or in Quarantine with a reason;
nothing stays in the INBOX, nothing crashes, and no bounce or auto-reply is answered.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.errors import BadMessageError
from mailbot.io.store import Store
from mailbot.parsers import parse_message
from tests.mailfactory import UNIT, parse, write_config
from tests.shared import SHARED

CORPORA = {
    "set-of-emails": SHARED / "corpora" / "set-of-emails" / "maildir",
    "mail-gem": SHARED / "corpora" / "mail-gem",
}


def corpus_files(root: Path) -> list[Path]:
    # A zero-byte file cannot be a message in a mailbox (the IMAP server refuses it).
    return sorted(p for p in root.rglob("*")
                  if p.is_file() and p.name not in ("LICENSE", "README.md") and p.stat().st_size > 0)


@pytest.mark.parametrize("name", sorted(CORPORA))
def test_corpus_through_mailbox(name, fresh_mailboxes, tmp_path):
    """No crash, no stall, nothing lost, no automatic mail answered."""
    servers = fresh_mailboxes
    files = corpus_files(CORPORA[name])
    assert len(files) > 50, f"corpus {name} missing at {CORPORA[name]}"
    automatic_ids: set[str] = set()
    for path in files:
        raw = path.read_bytes()
        servers.append(UNIT, raw)
        try:
            msg = parse_message(raw)
        except BadMessageError:
            continue
        if msg.is_automatic:
            automatic_ids.add(msg.message_id)
    config = write_config(servers, tmp_path)

    assert cli.main(["--config", str(config), "run", "--once"]) == 0

    assert servers.fetch(UNIT, "INBOX") == []
    processed = servers.fetch(UNIT, "Processed")
    quarantined = servers.fetch(UNIT, "Quarantine")
    assert len(processed) + len(quarantined) == len(files)

    store = Store(load_config(config).database)
    recorded = {r["message_id"] for r in store.db.query("select message_id from messages where direction = 'in'")}
    for raw in processed:
        assert parse_message(raw).message_id in recorded
    rows = store.arrivals.quarantined()
    assert len(rows) == len(quarantined)  # one recorded reason per quarantined message
    quarantined_ids = {row.message_id for row in rows}
    for raw in quarantined:
        try:
            assert parse_message(raw).message_id in quarantined_ids
        except BadMessageError:
            pass  # recorded under its raw header value or hash
    reasons = [row.reason for row in rows]
    assert all(reasons)
    assert not any(r.startswith("internal error") for r in reasons), reasons

    answered = []
    archive = load_config(config).archive_dir
    for row in store.db.query("select archive_path from messages where direction = 'out' and "
                              "kind in ('ack', 'staff_no_ticket', 'command_error')"):
        reply_to = str(parse((archive / row["archive_path"]).read_bytes())["In-Reply-To"] or "").strip("<>")
        answered.append(reply_to)
    assert automatic_ids, "the corpus should contain automatic mail"
    assert not automatic_ids.intersection(answered)
    pending = store.outbox.outbox_counts().get("pending", 0)
    assert pending == 0

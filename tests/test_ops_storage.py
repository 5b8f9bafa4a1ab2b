"""Day two: the database file deleted or replaced under a running daemon."""
from __future__ import annotations

import time

import yaml

from tests.mailfactory import UNIT, daemon, mail, stop, wait_for, write_config


def test_database_deleted_while_running_loses_no_ticket(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, log={"format": "json", "level": "info"})
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][0]["imap"]["idle"] = True
    config.write_text(yaml.safe_dump(data))
    proc = daemon(config)
    db = tmp_path / "mailbot.db"
    try:
        servers.append(UNIT, mail("budi@vendor.test", "Sebelum", "Pesan pertama.")[0])
        assert wait_for(lambda: len(servers.fetch(UNIT, "Processed")) == 1, 30)
        for suffix in ("", "-wal", "-shm"):
            (tmp_path / f"mailbot.db{suffix}").unlink(missing_ok=True)  # an operator's clean-up, a bad restore
        servers.append(UNIT, mail("sari@dinas.test", "Sesudah", "Pesan kedua.")[0])
        time.sleep(6)
        processed = len(servers.fetch(UNIT, "Processed"))
        inbox_left = len(servers.fetch(UNIT, "INBOX"))
    finally:
        out = stop(proc)
    print("processed", processed, "left in INBOX", inbox_left, "db exists", db.exists())
    print([line for line in out.splitlines() if "error" in line or "warning" in line][:5])
    # The first ticket went with the deleted file; the mail that came after it must not be
    # moved to Processed with its ticket written only into that deleted file.
    assert processed == 1 and inbox_left == 1
    assert "deleted or replaced while mailbot ran" in out and '"storage_unavailable"' in out

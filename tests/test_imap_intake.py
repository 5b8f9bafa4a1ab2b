"""IMAP intake details on the real Dovecot: UIDVALIDITY, folders, replay."""

from __future__ import annotations

from mailbot import cli
from mailbot.config import load_config
from mailbot.store import Store
from tests.mailfactory import UNIT, mail, write_config


def run_once(config) -> None:
    assert cli.main(["--config", str(config), "run", "--once"]) == 0


def test_folders_created_and_nothing_deleted(fresh_mailboxes, tmp_path):
    """Processed and Quarantine are created when missing; mail is moved, never deleted."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    servers.append(UNIT, b"this is not an email at all")
    raw, _ = mail("budi@vendor.test", "Tanya", "Halo")
    servers.append(UNIT, raw)
    run_once(config)
    assert {"Processed", "Quarantine"} <= set(servers.folders(UNIT))
    assert len(servers.fetch(UNIT, "Processed")) == 1
    [bad] = servers.fetch(UNIT, "Quarantine")
    assert b"not an email" in bad
    [row] = Store(load_config(config).database).quarantined()
    assert row["reason"]


def test_uidvalidity_change_loses_and_repeats_nothing(fresh_mailboxes, tmp_path):
    """After the server renumbers the INBOX, new mail is read and old mail is not handled again."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    first, _ = mail("budi@vendor.test", "Masalah pertama", "Isi pertama")
    servers.append(UNIT, first)
    run_once(config)
    store = Store(load_config(config).database)
    validity, last = store.imap_position("t", "INBOX")
    assert last >= 1
    # Under the old UIDVALIDITY we had read far ahead of the UIDs the new numbering uses.
    from datetime import UTC, datetime
    store.set_imap_position("t", "INBOX", validity, 100, datetime.now(UTC))

    # The server is restored: INBOX gets a new UIDVALIDITY, the old message is back in it,
    # and a new message arrives with a low UID.
    servers.append(UNIT, first)
    second, _ = mail("sari@dinas.test", "Masalah kedua", "Isi kedua")
    servers.append(UNIT, second)
    servers.set_uidvalidity(UNIT, "INBOX", validity + 1000)
    run_once(config)

    assert [t.requester.addr for t in store.tickets()] == ["budi@vendor.test", "sari@dinas.test"]
    assert len(servers.fetch("budi@vendor.test")) == 1  # the restored copy got no second ack
    assert len(servers.fetch("sari@dinas.test")) == 1
    assert servers.fetch(UNIT) == []
    assert store.imap_position("t", "INBOX")[0] == validity + 1000


def test_replay_dry_run_changes_nothing(fresh_mailboxes, tmp_path, capsys):
    """`replay --dry-run` reports the decision and records nothing; without it the mail is handled."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    raw, _ = mail("budi@vendor.test", "Gagal unggah dokumen", "Dokumen penawaran gagal diunggah.")
    eml = tmp_path / "saved.eml"
    eml.write_bytes(raw)
    assert cli.main(["--config", str(config), "replay", str(eml), "--dry-run"]) == 0
    assert '"label": "ticket_opened"' in capsys.readouterr().out
    assert Store(load_config(config).database).tickets() == []
    assert cli.main(["--config", str(config), "replay", str(eml)]) == 0
    assert len(Store(load_config(config).database).tickets()) == 1
    assert len(servers.fetch("budi@vendor.test")) == 1
    assert cli.main(["--config", str(config), "replay", str(eml)]) == 0  # the same message again
    assert len(Store(load_config(config).database).tickets()) == 1

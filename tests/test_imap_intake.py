"""IMAP intake details on the real Dovecot: UIDVALIDITY, folders, replay."""

from __future__ import annotations

import email
import email.policy

from mailbot import cli
from mailbot.config import load_config
from mailbot.io.store import Store
from tests.mailfactory import UNIT, mail, run_once, write_config


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
    assert row.reason


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


def test_quarantine_alerts_coordinators_once(fresh_mailboxes, tmp_path):
    """SPEC 6: mail waiting in Quarantine alerts the coordinators once, with the reason."""
    from tests.mailfactory import of_kind, parse

    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    servers.append(UNIT, b"garbage without any header")
    run_once(config)
    run_once(config)
    alerts = of_kind([parse(r) for r in servers.fetch("koordinator@lpse.test")], "system_alert")
    assert len(alerts) == 1
    assert "Quarantine" in alerts[0].get_body(("plain",)).get_content()


def test_unreadable_mailbox_alerts_after_alert_after_minutes(fresh_mailboxes, tmp_path):
    """SPEC 6: a mailbox unreadable for alert_after_minutes alerts coordinators once."""
    import socket
    from datetime import UTC, datetime, timedelta

    import yaml

    from mailbot.daemon import App
    from tests.mailfactory import of_kind, parse

    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    data = yaml.safe_load(config.read_text())
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        data["mailboxes"][0]["imap"]["port"] = sock.getsockname()[1]  # nothing listens there
    config.write_text(yaml.safe_dump(data))
    clock = [datetime(2026, 11, 23, 2, 0, tzinfo=UTC)]
    app = App(load_config(config), clock=lambda: clock[0])
    for minutes in (0, 29, 31, 45):
        clock[0] = datetime(2026, 11, 23, 2, 0, tzinfo=UTC) + timedelta(minutes=minutes)
        app.poll_all()
        app.watch()
        app.flush_outbox()
    alerts = of_kind([parse(r) for r in servers.fetch("koordinator@lpse.test")], "system_alert")
    assert len(alerts) == 1
    assert "tidak dapat dibaca" in alerts[0].get_body(("plain",)).get_content()


def test_oversized_message_is_quarantined_with_reason(fresh_mailboxes, tmp_path):
    """SPEC 9: the message size cap quarantines a message that is too big, with the reason,
    and the human requester is told how to send it instead."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, limits={"max_message_bytes": 4096})
    big = (("big.bin", "application/octet-stream", b"x" * 10_000),)
    raw, _ = mail("budi@vendor.test", "Lampiran besar", "Terlampir.", attachments=big)
    servers.append(UNIT, raw)
    run_once(config)
    [row] = Store(load_config(config).database).quarantined()
    assert row.reason.endswith("over the 4096-byte limit")
    assert len(servers.fetch(UNIT, "Quarantine")) == 1
    [notice] = [email.message_from_bytes(r, policy=email.policy.default) for r in servers.fetch("budi@vendor.test")]
    assert notice["X-Mailbot-Kind"] == "message_refused" and notice["Auto-Submitted"] == "auto-replied"
    assert "Lampiran besar" in notice.get_body(("plain",)).get_content()

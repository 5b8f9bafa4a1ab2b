"""Review: the renamed-mailbox refusal at start stops no mailbox that already ran under its name."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import yaml

from mailbot.config import load_config
from mailbot.daemon import App
from mailbot.io.store import Store
from tests.test_ops_concurrent_sweep import offline_config, open_tickets

WIB = ZoneInfo("Asia/Jakarta")


def _rename(config, name):
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][0]["name"] = name
    config.write_text(yaml.safe_dump(data))


def test_a_rename_made_long_before_the_upgrade_does_not_stop_the_daemon(tmp_path, monkeypatch):
    """An older mailbot ran as 't', the operator renamed the mailbox to 'btm' and it has run
    as 'btm' since (new tickets, new numbers): the upgraded daemon must start. Refusing now
    recovers nothing, and 'give it back the name t' would cut off every ticket of 'btm'."""
    config = offline_config(tmp_path)
    open_tickets(config, 1, datetime(2026, 10, 5, 9, 0, tzinfo=WIB))
    _rename(config, "btm")
    monkeypatch.setattr("mailbot.daemon.renamed_mailboxes", lambda cfg, store: [])  # the older mailbot
    open_tickets(config, 2, datetime(2026, 11, 2, 9, 0, tzinfo=WIB))
    monkeypatch.undo()
    store = Store(load_config(config).database)
    store.db.conn.execute("delete from meta where key like 'mailbox_address:%'")  # as the older mailbot left it
    assert {t.mailbox for t in store.tickets()} == {"t", "btm"}
    store.close()
    App(load_config(config)).store.close()  # raises ConfigError: "give it back the name 't'"


def test_dropping_one_of_two_mailboxes_sharing_an_address_does_not_stop_the_other(tmp_path):
    """Two mailboxes may share an address (each reads its own folder); the operator drops
    one of them: the other, which has run under its own name all along, is no rename."""
    config = offline_config(tmp_path)
    data = yaml.safe_load(config.read_text())
    second = dict(data["mailboxes"][0], name="t2", tag_prefix="LPSE-T2")
    second["imap"] = dict(second["imap"], folder="Vendor")
    data["mailboxes"].append(second)
    config.write_text(yaml.safe_dump(data))
    open_tickets(config, 1, datetime(2026, 11, 2, 9, 0, tzinfo=WIB))
    data["mailboxes"].pop()  # 't2' is retired
    config.write_text(yaml.safe_dump(data))
    App(load_config(config)).store.close()

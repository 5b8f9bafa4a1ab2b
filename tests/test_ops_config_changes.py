"""Day two: the operator changes the configuration of a running unit and restarts."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.io.store import Store
from tests import mailfactory as mf
from tests.test_ops_concurrent_sweep import offline_config, open_tickets

ROOT = Path(__file__).resolve().parents[1]
REQ = "budi@vendor.test"


def edit(config: Path, **box: object) -> None:
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][0].update(box)
    config.write_text(yaml.safe_dump(data))


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_tag_prefix_changed_old_replies_still_thread(fresh_mailboxes, tmp_path):
    """An operator changes `tag_prefix`: requesters still answer with the tag of their ack.
    A fresh mail citing only the old tag opened a second ticket for the same problem."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, mf.mail(REQ, "Akun terkunci", "Mohon dibuka.")[0])
    mf.run_once(config)
    ack = mf.latest(servers, REQ, "ack")
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    edit(config, tag_prefix="LPSE-NEW")
    # the requester answers the old ack (old tag in Subject, References to our ack)
    servers.append(mf.UNIT, mf.reply_as_client(ack, REQ, "Ini tambahan data saya.")[0])
    # staff answer the old notice
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "Sudah kami buka, silakan coba.")[0])
    # the requester writes a fresh mail citing the old tag only (no References)
    servers.append(mf.UNIT, mf.mail(REQ, "Re: [LPSE-T #2026-00001] Akun terkunci", "Masih terkunci pak.")[0])
    mf.run_once(config)
    store = Store(load_config(config).database)
    tickets = store.search.tickets()
    print([(t.number, t.subject, str(t.state)) for t in tickets])
    replies = mf.of_kind(mf.inbox(servers, REQ), "staff_reply")
    print("staff replies to requester:", [str(m["Subject"]) for m in replies])
    assert len(replies) == 1
    assert len(tickets) == 1, "a reply citing the old tag opened a new ticket"


def test_a_renamed_mailbox_is_refused_with_its_old_name_before_numbers_are_given_out_again(fresh_mailboxes,
                                                                                          tmp_path):
    """Renamed, the mailbox lost its old tickets (staff replies to old notices got "Tiket tidak
    ditemukan", the requester's reply opened a new ticket) and its numbers were given out again."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, mf.mail(REQ, "Akun terkunci", "Mohon dibuka.")[0])
    mf.run_once(config)
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    edit(config, name="btm")
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "Sudah kami buka, silakan coba.")[0])
    servers.append(mf.UNIT, mf.mail("sari@dinas.test", "Lupa sandi", "Mohon reset.")[0])
    r = cli(config, "check")
    assert r.returncode == 78 and "give it back the name 't'" in r.stdout, r.stdout
    r = cli(config, "run", "--once")
    assert r.returncode == 78 and "'btm' has the address lpse@lpse.test" in r.stderr, r.stderr
    assert len(servers.fetch(mf.UNIT, "INBOX")) == 2  # nothing handled under the new name
    edit(config, name="t")  # the old name back: all works as before
    mf.run_once(config)
    store = Store(load_config(config).database)
    assert sorted(t.number for t in store.search.tickets()) == ["2026-00001", "2026-00002"]
    assert len(mf.of_kind(mf.inbox(servers, REQ), "staff_reply")) == 1


def test_a_changed_address_under_the_same_name_and_a_second_mailbox_are_fine(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, mf.mail(REQ, "Akun terkunci", "Mohon dibuka.")[0])
    mf.run_once(config)
    data = yaml.safe_load(config.read_text())
    second = dict(data["mailboxes"][0], name="u", address="sari@dinas.test", tag_prefix="LPSE-U")
    second["imap"] = dict(second["imap"], username="sari@dinas.test", password=servers.password_for("sari@dinas.test"))
    data["mailboxes"].append(second)
    config.write_text(yaml.safe_dump(data))
    assert cli(config, "run", "--once").returncode == 0


def test_a_database_from_before_the_names_were_recorded_knows_them_from_its_outbox(tmp_path):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from mailbot.daemon.wiring import App
    from mailbot.errors import ConfigError
    from tests.test_ops_concurrent_sweep import offline_config, open_tickets

    config = offline_config(tmp_path)
    open_tickets(config, 1, datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta")))
    store = Store(load_config(config).database)
    store.db.conn.execute("delete from meta where key like 'mailbox_address:%'")  # as an older mailbot left it
    store.close()
    edit(config, name="btm")
    with pytest.raises(ConfigError, match="give it back the name 't'"):
        App(load_config(config))


# The renamed-mailbox refusal at start stops no mailbox that already ran under its name.

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
    monkeypatch.setattr("mailbot.daemon.wiring.renamed_mailboxes", lambda cfg, store: [])  # the older mailbot
    open_tickets(config, 2, datetime(2026, 11, 2, 9, 0, tzinfo=WIB))
    monkeypatch.undo()
    store = Store(load_config(config).database)
    store.db.conn.execute("delete from meta where key like 'mailbox_address:%'")  # as the older mailbot left it
    assert {t.mailbox for t in store.search.tickets()} == {"t", "btm"}
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

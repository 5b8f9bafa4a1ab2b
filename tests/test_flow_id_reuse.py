"""Id reuse: a message under a Message-ID mailbot knows, received or sent, is never
nothing. Another mail under it is handled as new (with a `message_id_reused` note); the same
mail again is a `duplicate_received` event on its ticket. Over real Dovecot and SMTP, read
back as an operator would (`mailbot ticket`) and as the requester would (their INBOX).
"""

from __future__ import annotations

import json

import pytest

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests.mailfactory import UNIT, deliver, inbox, mail, of_kind, parse, run_once, write_config

REQUESTER = "budi@vendor.test"


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    raw, _ = mail(REQUESTER, "Akun penyedia terkunci", "Akun saya terkunci setelah salah kata sandi.", name="Budi")
    deliver(servers, config, raw)
    return servers, config, raw


def ticket_json(config, number: str, capsys) -> dict:
    capsys.readouterr()
    assert cli.main(["--config", str(config), "ticket", number, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def numbers(config) -> list[str]:
    return [t.number for t in Store(load_config(config).database).search.tickets()]


def test_a_requesters_new_mail_under_the_id_of_mailbots_ack_ends_on_a_ticket(env, capsys):
    """Acceptance 1: the phone sends a new problem under the Message-ID of the ack it answers
    (no tag in the subject): a ticket of its own with the requester's words, the reuse noted,
    the requester acknowledged."""
    servers, config, _ = env
    [ack] = inbox(servers, REQUESTER)
    raw, _ = mail(REQUESTER, "Dokumen kontrak tidak bisa diunduh", "Tombol unduh kontrak tidak merespons sejak pagi.")
    reused = parse(raw)
    reused.replace_header("Message-ID", ack["Message-ID"])
    deliver(servers, config, reused.as_bytes())

    first, second = numbers(config)
    shown = ticket_json(config, second, capsys)
    texts = " ".join(m.get("text") or "" for m in shown["messages"])
    assert "Tombol unduh kontrak tidak merespons" in texts
    assert "message_id_reused" in [e["kind"] for e in shown["history"]]
    assert shown["subject"] == "Dokumen kontrak tidak bisa diunduh"
    acks = of_kind(inbox(servers, REQUESTER), "ack")
    assert len(acks) == 2 and second in str(acks[1]["Subject"])
    assert not inbox(servers, UNIT) and len(inbox(servers, UNIT, "Processed")) == 2
    assert first != second


def test_mailbots_own_ack_coming_back_is_a_duplicate_event_on_its_ticket(env, capsys):
    """The same mail again: mailbot's ack comes back to the unit mailbox (a list, a forward
    rule): an event on the ticket it belongs to, no ticket and no mail more."""
    servers, config, _ = env
    [number] = numbers(config)
    [ack_raw] = servers.fetch(REQUESTER)
    deliver(servers, config, ack_raw)

    assert numbers(config) == [number]
    history = ticket_json(config, number, capsys)["history"]
    dup = [e for e in history if e["kind"] == "duplicate_received"]
    assert len(dup) == 1 and dup[0]["detail"]["copy_of"] == parse(ack_raw)["Message-ID"].strip("<>")
    assert len(inbox(servers, REQUESTER)) == 1
    assert not inbox(servers, UNIT) and len(inbox(servers, UNIT, "Processed")) == 2


def test_the_same_request_delivered_again_is_one_ticket_with_a_duplicate_event(env, capsys):
    """A second delivery of the same request (same bytes, same Message-ID): recorded on the
    ticket as a duplicate, no second ack; a pass that sees the same copy again (its move was
    cut short) records nothing more."""
    servers, config, raw = env
    [number] = numbers(config)
    servers.append(UNIT, raw)
    run_once(config)
    run_once(config)

    assert numbers(config) == [number]
    kinds = [e["kind"] for e in ticket_json(config, number, capsys)["history"]]
    assert kinds.count("duplicate_received") == 1
    assert len(of_kind(inbox(servers, REQUESTER), "ack")) == 1
    assert not inbox(servers, UNIT) and len(inbox(servers, UNIT, "Processed")) == 2

"""Issue 37, "A public address that cannot be turned against anyone", over real Dovecot and
SMTP: each attack of the red team sent to the unit mailbox, and what reached whom read back
over IMAP as a mail client would."""

from __future__ import annotations

import time

import pytest

from mailbot.config import load_config
from mailbot.io.store import Store
from tests import hostile
from tests.mailfactory import UNIT, inbox, mail, run_once, write_config

REQUESTER = "budi@vendor.test"
NEXT = "sari@dinas.test"


def store_of(config) -> Store:
    return Store(load_config(config).database)


# --- attacks 1 and 2: crafted messages within the budget, the next mail at once -------------

CRAFTED = {
    "winmail.dat with 300,000 and 200,000 one-byte attributes": (hostile.tnef_mail(300_000, 200_000), "TNEF"),
    "winmail.dat with 900,000 one-byte attributes": (hostile.tnef_mail(900_000), "TNEF"),
    "22 MB one-line HTML of unclosed tags": (hostile.unclosed_tags_mail(22), "HTML body"),
    "forwarded messages 200 deep": (hostile.nested_rfc822_mail(200), "embedded messages"),
}


@pytest.mark.parametrize("name", list(CRAFTED))
def test_a_crafted_message_is_quarantined_with_its_reason_and_the_next_mail_is_handled_at_once(
        fresh_mailboxes, tmp_path, name):
    """Each crafted message ends in Quarantine with its reason, its sender told it was too
    complex (SPEC 9's notice), and the plain mail behind it acknowledged in the same pass."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    raw, reason = CRAFTED[name]
    servers.append(UNIT, raw)
    servers.append(UNIT, mail(NEXT, "Lupa kata sandi", "Mohon bantuan reset kata sandi.")[0])
    started = time.monotonic()
    run_once(config)
    assert time.monotonic() - started < 30  # the default budget: it is the caps that ended it
    [row] = store_of(config).quarantined()
    assert reason in row.reason
    assert [m["X-Mailbot-Kind"] for m in inbox(servers, REQUESTER)] == ["message_refused"]
    assert [m["X-Mailbot-Kind"] for m in inbox(servers, NEXT)] == ["ack"]
    assert len(servers.fetch(UNIT, "Quarantine")) == 1

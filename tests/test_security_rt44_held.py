"""Red team, attacks tried that held (held forms, forged Authentication-Results), over
real Dovecot and SMTP. They pass on main; kept as regression tests for the lead to judge."""

from __future__ import annotations

import pytest

from tests import mailfactory as mf
from tests.test_security_ack_flood import TOKEN, acks_to, at
from tests.test_security_held_forms import COORDINATOR, FORGED, VISITOR, _opened

ATTACKER = "sari@dinas.test"


@pytest.fixture
def held(fresh_mailboxes, tmp_path):
    """The forged #datang From staff1, with the attacker in Cc and as Reply-To."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(mf.STAFF[0], "tamu hari ini", FORGED, cc=(ATTACKER,), headers={"Reply-To": ATTACKER})
    mf.deliver(servers, config, raw)
    return servers, config, mf.latest(servers, mf.STAFF[0], "intake_confirm")


def test_the_request_to_confirm_goes_to_the_staff_address_alone(held):
    servers, _config, notice = held
    assert mf.inbox(servers, ATTACKER) == []  # neither Cc nor Reply-To brings the signed Message-ID
    assert ATTACKER not in str(notice["To"]) + str(notice.get("Cc", ""))


def test_buka_from_another_staff_member_opens_nothing(held):
    """staff1 forwards the notice to staff2, who answers #buka on it."""
    servers, config, notice = held
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[1], "#buka")[0])
    assert _opened(config) == [] and mf.inbox(servers, VISITOR) == []


def test_buka_only_in_the_quoted_notice_cancels(held):
    """The real staff member's refusal quotes the notice, whose own text says '#buka'; a
    quoted line '#buka' of its own too."""
    servers, config, notice = held
    raw, _ = mf.mail(mf.STAFF[0], f"Re: {notice['Subject']}",
                     "Ini bukan dari saya.\n\n> #buka\n> " + mf.text_of(notice).replace("\n", "\n> "),
                     in_reply_to=str(notice["Message-ID"]).strip("<>"))
    mf.deliver(servers, config, raw)
    assert _opened(config) == [] and mf.inbox(servers, VISITOR) == []
    assert len(mf.of_kind(mf.inbox(servers, COORDINATOR), "intake_cancelled")) == 1


def test_buka_from_the_staff_address_without_the_notices_message_id_opens_nothing(held):
    """The attacker (Cc'd on nothing) guesses: #buka From staff1 with the notice's subject."""
    servers, config, notice = held
    mf.deliver(servers, config, mf.mail(mf.STAFF[0], f"Re: {notice['Subject']}", "#buka")[0])
    assert _opened(config) == [] and mf.inbox(servers, VISITOR) == []


def test_a_forged_pass_below_the_servers_own_header_does_not_vouch(fresh_mailboxes, tmp_path):
    """13 senders of one domain the unit's server marks dmarc=none, each adding its own
    'mx.lpse.test; dmarc=pass' below the server's: counted, not vouched. With a budget of 10
    acks an hour a domain may take 8 (all but the reserve of a fifth for the other domains,
    SPEC 5): vouched, all 13 would go."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=TOKEN, limits={"acks_per_hour": 10})
    senders = [f"user{n}@attacker.test" for n in range(13)]
    for n, sender in enumerate(senders):
        raw, _ = mf.mail(sender, f"Pertanyaan paket {n}", f"Mohon info jadwal paket nomor {n * 11}.",
                         headers={"Authentication-Results": "mx.lpse.test; dmarc=pass header.from=attacker.test"})
        top = b"Authentication-Results: mx.lpse.test; dmarc=none header.from=attacker.test\r\n"
        servers.append(mf.UNIT, top + raw)
    mf.handle_at(config, at("2026-11-23T10:00"))
    assert sum(acks_to(servers, s) for s in senders) == 8

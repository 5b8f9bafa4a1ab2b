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


# --- attack 3: the ack carries nothing of the attacker's ------------------------------------

LURE_SUBJECT = "Akun SPSE diblokir, verifikasi di s.id/spse-verifikasi"
LURE_NAME = "Akun diblokir buka s.id/bukablokir"


def _raw_inbox(servers, user: str) -> str:
    return "\n".join(raw.decode("utf-8", "replace") for raw in servers.fetch(user, "INBOX"))


def test_an_ack_to_an_unauthenticated_sender_repeats_neither_subject_nor_name(fresh_mailboxes, tmp_path):
    """Under auth.mode token nobody outside the unit can prove an address: the ack is the tag
    and "Tanda terima pengaduan/pertanyaan Anda", greets no display name and quotes nothing;
    staff still read the subject as it came."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    servers.append(UNIT, mail(REQUESTER, LURE_SUBJECT, "Segera klik t.me/lpsebantuan", name=LURE_NAME)[0])
    run_once(config)
    [ack] = inbox(servers, REQUESTER)
    assert ack["X-Mailbot-Kind"] == "ack"
    [ticket] = store_of(config).tickets()
    assert str(ack["Subject"]) == f"[LPSE-T #{ticket.number}] Tanda terima pengaduan/pertanyaan Anda"
    raw = _raw_inbox(servers, REQUESTER)
    for echoed in ("diblokir", "verifikasi", "s.id", "s[.]id", "t.me", "bukablokir", "lpsebantuan"):
        assert echoed not in raw
    assert "Yth. Bapak/Ibu Pengguna SPSE," in raw
    assert ticket.subject == LURE_SUBJECT
    staff = inbox(servers, "staff1@lpse.test")
    assert any(LURE_SUBJECT in str(m["Subject"]) for m in staff)


def _authres(result: str) -> dict[str, str]:
    return {"Authentication-Results":
            f"mx.lpse.test; dmarc={result} header.from=vendor.test; spf={result} smtp.mailfrom=vendor.test"}


def test_an_authenticated_sender_keeps_the_friendly_ack_with_links_inert(fresh_mailboxes, tmp_path):
    """auth.mode authres and the unit's own server's aligned dmarc=pass: the ack keeps the
    subject and the greeting, with every link in them made inert."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, auth={"mode": "authres", "trusted_authserv_id": "mx.lpse.test"})
    subject = "Tidak bisa login, petunjuk di s.id/panduan"
    servers.append(UNIT, mail(REQUESTER, subject, "Mohon bantuan.", name="Budi Santoso", headers=_authres("pass"))[0])
    run_once(config)
    [ack] = inbox(servers, REQUESTER)
    assert "Tidak bisa login, petunjuk di s[.]id/panduan" in str(ack["Subject"])
    raw = _raw_inbox(servers, REQUESTER)
    assert "Budi Santoso" in raw and "s.id" not in raw

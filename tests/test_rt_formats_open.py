"""Red team, message formats: findings left open (no fix here), kept as strict xfails."""

from __future__ import annotations

import pytest

from tests.mailfactory import STAFF, UNIT, inbox, run_once, text_of, write_config

REQUESTER = "budi@vendor.test"


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, write_config(fresh_mailboxes, tmp_path)


@pytest.mark.xfail(strict=True, reason="open: staff are not told the message is encrypted")
def test_encrypted_mail_tells_staff_it_cannot_be_read(env):
    """An S/MIME-encrypted first mail (application/pkcs7-mime, enveloped-data) has no readable
    text. It is not lost (ticket, ack, smime.p7m to staff), but the staff notice shows an empty
    "pesan pengguna" with no word that the message is encrypted and must be asked again."""
    servers, config = env
    raw = (f"From: {REQUESTER}\r\nTo: {UNIT}\r\nSubject: Data penawaran\r\nMessage-ID: <enc1@vendor.test>\r\n"
           "Date: Mon, 23 Nov 2026 09:00:00 +0700\r\nMIME-Version: 1.0\r\n"
           "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
           "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=smime.p7m\r\n\r\n"
           + "QUJD" * 20 + "\r\n").encode()
    servers.append(UNIT, raw)
    run_once(config)
    [notice] = inbox(servers, STAFF[0])
    assert [p.get_filename() for p in notice.iter_attachments()] == ["smime.p7m"]  # not lost
    assert "enkripsi" in text_of(notice).lower() or "terenkripsi" in text_of(notice).lower()


@pytest.mark.xfail(strict=True, reason="open: ack threads to an invented Message-ID")
def test_ack_to_mail_without_message_id_does_not_cite_an_invented_id(env):
    """SPEC 2: In-Reply-To/References "so that mail clients thread it". A requester's mail
    without a Message-ID gets an ack whose In-Reply-To is mailbot's synthetic
    `<synthetic-...@mailbot.invalid>`, which no client has; the header should be left out."""
    servers, config = env
    raw = (f"From: {REQUESTER}\r\nTo: {UNIT}\r\nSubject: Tanpa Message-ID\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nAkun saya terkunci.\r\n").encode()
    servers.append(UNIT, raw)
    run_once(config)
    [ack] = inbox(servers, REQUESTER)
    assert "mailbot.invalid" not in str(ack["In-Reply-To"]) + str(ack["References"])

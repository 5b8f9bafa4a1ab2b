"""Tests of the local mail-server harness itself (mailbot.localmail)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import os
import smtplib
from email.message import EmailMessage
from pathlib import Path

import imapclient.exceptions
import pytest

from tests import localmail
from tests.localmail import LocalMailServers

pytestmark = pytest.mark.integration


def _message(subject: str, to: str = "lpse@lpse.test", body: str = "Halo.\n") -> bytes:
    msg = EmailMessage()
    msg["From"] = "budi@vendor.test"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = email.utils.make_msgid(domain="vendor.test")
    msg.set_content(body)
    return msg.as_bytes(policy=email.policy.SMTP)


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _live_processes_in_group(pgid: int) -> list[int]:
    live = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                live.append(int(entry.name))
    return live


def test_smtp_mail_to_two_recipients_lands_in_both_inboxes(
    fresh_mailboxes: LocalMailServers,
) -> None:
    servers = fresh_mailboxes
    raw = _message("Dua penerima", to="staff1@lpse.test, staff2@lpse.test")

    servers.send(raw, "budi@vendor.test", ["staff1@lpse.test", "staff2@lpse.test"])

    # No sleep: delivery completes inside the SMTP transaction.
    for user in ("staff1@lpse.test", "staff2@lpse.test"):
        [delivered] = servers.fetch(user)
        msg = _parse(delivered)
        assert msg["Subject"] == "Dua penerima"
        assert msg["Return-Path"] == "<budi@vendor.test>"
        assert msg["Delivered-To"] == user
        assert msg["X-Original-To"] is None
        assert msg.get_content().replace("\r\n", "\n") == "Halo.\n"
    assert servers.fetch("lpse@lpse.test") == []


def test_unknown_recipient_lands_in_catchall(fresh_mailboxes: LocalMailServers) -> None:
    servers = fresh_mailboxes

    servers.send(_message("Salah alamat"), "budi@vendor.test", ["nobody@elsewhere.test"])

    [delivered] = servers.fetch("catchall@lpse.test")
    msg = _parse(delivered)
    assert msg["Subject"] == "Salah alamat"
    assert msg["Delivered-To"] == "catchall@lpse.test"
    assert msg["X-Original-To"] == "nobody@elsewhere.test"
    assert all(servers.fetch(u) == [] for u in servers.users if u != "catchall@lpse.test")


def test_recipient_case_does_not_matter(fresh_mailboxes: LocalMailServers) -> None:
    fresh_mailboxes.send(_message("Huruf besar"), "budi@vendor.test", ["Kepala@LPSE.test"])

    [delivered] = fresh_mailboxes.fetch("kepala@lpse.test")
    assert _parse(delivered)["Subject"] == "Huruf besar"


def test_smtp_accepts_any_auth_and_no_auth(fresh_mailboxes: LocalMailServers) -> None:
    servers = fresh_mailboxes
    with smtplib.SMTP(servers.host, servers.smtp_port, timeout=10) as smtp:
        smtp.login("whoever", "whatever")
        smtp.sendmail("lpse@lpse.test", ["sari@dinas.test"], _message("Dengan AUTH"))

    assert [_parse(m)["Subject"] for m in servers.fetch("sari@dinas.test")] == ["Dengan AUTH"]


def test_null_sender_is_delivered(fresh_mailboxes: LocalMailServers) -> None:
    fresh_mailboxes.send(_message("Bounce"), "", ["lpse@lpse.test"])

    [delivered] = fresh_mailboxes.fetch("lpse@lpse.test")
    assert _parse(delivered)["Return-Path"] == "<>"


def test_append_fetch_round_trip(fresh_mailboxes: LocalMailServers) -> None:
    servers = fresh_mailboxes
    raw = (
        b"From: Sari <sari@dinas.test>\n"
        b"To: lpse@lpse.test\n"
        b"Subject: =?utf-8?q?Paket_tender_=E2=80=94_revisi?=\n"
        b"Message-ID: <roundtrip-1@dinas.test>\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: 8bit\n"
        b"\n"
        b"Mohon dicek \xe2\x80\x94 terima kasih.\n"
        b"Baris kedua.\n"
    )
    when = dt.datetime(2024, 3, 4, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))

    uid = servers.append(
        "lpse@lpse.test", raw, folder="Arsip/2024", flags=["\\Seen"], msg_time=when
    )
    second = servers.append("lpse@lpse.test", _message("Kedua"), folder="Arsip/2024")

    fetched = servers.fetch("lpse@lpse.test", "Arsip/2024")
    assert len(fetched) == 2
    assert fetched[0].replace(b"\r\n", b"\n") == raw  # identical modulo CRLF
    msg = _parse(fetched[0])
    assert msg["Subject"] == "Paket tender \u2014 revisi"
    assert msg["Message-ID"] == "<roundtrip-1@dinas.test>"
    body = msg.get_content().replace("\r\n", "\n")
    assert body == "Mohon dicek \u2014 terima kasih.\nBaris kedua.\n"
    assert _parse(fetched[1])["Subject"] == "Kedua"
    assert uid is not None and second is not None and second > uid

    with servers.imap("lpse@lpse.test") as client:
        client.normalise_times = False  # keep the server's timezone-aware datetimes
        client.select_folder("Arsip/2024", readonly=True)
        data = client.fetch([uid], ["FLAGS", "INTERNALDATE"])[uid]
    assert b"\\Seen" in data[b"FLAGS"]
    assert data[b"INTERNALDATE"] == when


def test_folders_and_missing_folder(fresh_mailboxes: LocalMailServers) -> None:
    servers = fresh_mailboxes
    assert servers.folders("kepala@lpse.test") == ["INBOX"]
    assert servers.fetch("kepala@lpse.test", "Tidak/Ada") == []

    servers.append("kepala@lpse.test", _message("x"), folder="Helpdesk.Selesai")

    assert servers.folders("kepala@lpse.test") == ["Helpdesk.Selesai", "INBOX"]


def test_imap_offers_what_the_bot_needs(mailservers: LocalMailServers) -> None:
    with mailservers.imap("lpse@lpse.test") as client:
        caps = set(client.capabilities())
    assert {b"IDLE", b"UIDPLUS", b"MOVE"} <= caps


def test_wrong_password_is_refused(mailservers: LocalMailServers) -> None:
    client = imapclient.IMAPClient(mailservers.host, mailservers.imap_port, ssl=False)
    try:
        with pytest.raises(imapclient.exceptions.LoginError):
            client.login("lpse@lpse.test", "wrong")
    finally:
        client.shutdown()


def test_add_user_after_start(fresh_mailboxes: LocalMailServers) -> None:
    servers = fresh_mailboxes
    servers.add_user("baru@lpse.test", password="rahasia")

    servers.send(_message("Selamat datang"), "lpse@lpse.test", ["baru@lpse.test"])

    assert servers.password_for("baru@lpse.test") == "rahasia"
    assert [_parse(m)["Subject"] for m in servers.fetch("baru@lpse.test")] == ["Selamat datang"]


def test_two_instances_run_side_by_side_and_stop_cleanly(
    dovecot_installed: None, tmp_path: Path
) -> None:
    first = LocalMailServers(tmp_path / "a", ["lpse@lpse.test"])
    second = LocalMailServers(tmp_path / "b", ["lpse@lpse.test"])
    with first, second:
        assert len({first.imap_port, first.smtp_port, second.imap_port, second.smtp_port}) == 4
        first.send(_message("Hanya A"), "budi@vendor.test", ["lpse@lpse.test"])
        assert len(first.fetch("lpse@lpse.test")) == 1
        assert second.fetch("lpse@lpse.test") == []
        pids = [first.dovecot_pid, second.dovecot_pid]

    for pid in pids:
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert _live_processes_in_group(pid) == []
    first.stop()  # idempotent


def test_stop_after_half_failed_start_leaves_no_dovecot(
    dovecot_installed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    servers = LocalMailServers(tmp_path, ["lpse@lpse.test"])
    started: list[int] = []

    def smtp_fails() -> None:
        assert servers.dovecot_pid is not None
        started.append(servers.dovecot_pid)
        raise RuntimeError("SMTP could not start")

    monkeypatch.setattr(servers, "_start_smtp", smtp_fails)
    with pytest.raises(RuntimeError, match="SMTP could not start"):
        servers.start()

    [pid] = started
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert _live_processes_in_group(pid) == []
    assert servers.dovecot_pid is None
    servers.stop()  # still safe


def test_a_delivery_killed_by_a_signal_is_tried_again(
    fresh_mailboxes: LocalMailServers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dovecot-lda that aborts (a Dovecot panic) is deferred and tried again, as an MTA
    does, rather than the SMTP client getting a 451 and the harness a traceback."""
    flag = tmp_path / "aborted-once"
    wrapper = tmp_path / "lda"
    wrapper.write_text(f"#!/bin/sh\nif [ ! -e {flag} ]; then touch {flag}; kill -ABRT $$; fi\n"
                       f'exec {localmail.DOVECOT_LDA} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(localmail, "DOVECOT_LDA", wrapper)
    fresh_mailboxes.send(_message("Sekali saja"), "budi@vendor.test", ["staff1@lpse.test"])
    assert flag.exists()
    [delivered] = fresh_mailboxes.fetch("staff1@lpse.test")
    assert _parse(delivered)["Subject"] == "Sekali saja"

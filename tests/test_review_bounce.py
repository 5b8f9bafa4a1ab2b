"""Review: a gateway's delivery report in a multipart/mixed, From an ordinary address."""
from __future__ import annotations

import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

from mailbot.config import load_config
from mailbot.daemon import App
from tests.mailfactory import mail
from tests.test_ops_concurrent_sweep import offline_config

WIB = ZoneInfo("Asia/Jakarta")
GATEWAY = "gateway@gw.vendor.test"


def gateway_report(ack_id: str, subject: str) -> bytes:
    """What some mail gateways send: multipart/mixed (not multipart/report) with a
    delivery-status part and our mail, From their own address, no Return-Path kept."""
    return (
        f"From: Mail Gateway <{GATEWAY}>\r\nTo: lpse@lpse.test\r\nSubject: {subject}\r\n"
        "Message-ID: <ndr-1@gw.vendor.test>\r\nDate: Mon, 23 Nov 2026 10:05:00 +0700\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; gw.vendor.test\r\n\r\n"
        "Final-Recipient: rfc822; budi@vendor.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--B\r\nContent-Type: message/rfc822\r\n\r\nFrom: lpse@lpse.test\r\nMessage-ID: {ack_id}\r\n"
        f"Subject: {subject}\r\n\r\nack\r\n--B--\r\n").encode()


def test_a_gateway_report_of_our_ack_is_a_bounce_not_a_new_requester(tmp_path):
    """SPEC 5: a bounce (DSN fields) is never answered; a bounce of something mailbot sent is
    attached to its ticket. Since today such a report (no MAILER-DAEMON, no multipart/report,
    no bounce words in the subject) opened a ticket and was acknowledged: an ack to a gateway
    that bounces it again is a mail loop (5 acks an hour, every hour)."""
    config = offline_config(tmp_path)
    cfg = load_config(config)
    now = datetime(2026, 11, 23, 10, 0, tzinfo=WIB)
    app = App(cfg, clock=lambda: now)
    box = cfg.mailboxes[0]
    assert app.handle(box, mail("budi@vendor.test", "Akun terkunci", "Mohon dibuka.", date=now)[0], now).status == "processed"
    db = sqlite3.connect(cfg.database)
    [(ack_id, subject)] = db.execute("select message_id, '' from outbox where kind = 'ack'").fetchall()
    [(subject,)] = db.execute("select subject from tickets").fetchall()
    raw = gateway_report(ack_id, f"[LPSE-T #2026-00001] {subject}")
    app.handle(box, raw, now)
    acks_to_gateway = db.execute("select count(*) from outbox o join outbox_rcpt r on r.outbox_id = o.id "
                                 "where r.address = ?", [GATEWAY]).fetchone()[0]
    tickets = db.execute("select count(*) from tickets").fetchone()[0]
    app.store.close()
    assert (acks_to_gateway, tickets) == (0, 1)

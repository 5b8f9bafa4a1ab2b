"""Delivery reports by what they say (SPEC 5, SOP-015 steps 1 and 9), through the real mailbox.

Postfix 3.7's own shapes (`tests/data/bounces/postfix-3.7-*.eml.in`, written as Postfix's
bounce(8) formats them with its default templates): a "Delayed Mail (still being retried)"
warning is no failure; an "Undelivered Mail Returned to Sender" for the escalation tells
staff and coordinators that the escalation did not reach LKPP, and the ticket leaves
`escalated`. Non-standard bounces (written from the shapes of Exchange-era gateways, qmail/
Exim-like NDR senders, an antivirus gateway, a list held for its moderator) are never
answered; requesters whose subjects only read like bounces still get a ticket and an ack.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.io.store import Store
from mailbot.reports.queries import month_tickets
from mailbot.reports.rekap import _destination
from tests import mailfactory as mf
from tests.test_ops_concurrent_sweep import offline_config

DATA = Path(__file__).parent / "data" / "bounces"
COORDINATOR = "koordinator@lpse.test"
WIB = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def postfix(name: str, to: str, subject: str, message_id: str) -> bytes:
    text = (DATA / name).read_text()
    domain = to.split("@", 1)[1]
    return (text.replace("@@TO@@", to).replace("@@DOMAIN@@", domain).replace("@@SUBJECT@@", subject)
            .replace("@@MESSAGE_ID@@", message_id).replace("\n", "\r\n").encode())


def escalate(servers, config, requester="budi@vendor.test"):
    raw, _ = mf.mail(requester, "Gagal upload dokumen penawaran", "Selamat siang,\nmuncul error 500 saat upload.")
    mf.deliver(servers, config, raw)
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan Helpdesk LKPP.")
    mf.deliver(servers, config, raw)
    return mf.latest(servers, mf.LKPP, "escalate")


def alerts(servers, user):
    return mf.of_kind(mf.inbox(servers, user), "staff_alert")


def test_a_postfix_delay_warning_is_recorded_and_shown_never_alerted(env):
    """Postfix's "Delayed Mail (still being retried)" (Action: delayed, 4.2.1,
    "THIS IS A WARNING ONLY") made staff an alert that the mail "tidak terkirim". It is a
    delay: recorded on the ticket, shown in staff's next notice, no alert, no state change."""
    servers, config = env
    escalation = escalate(servers, config)
    mid = str(escalation["Message-ID"]).strip("<>")
    mf.deliver(servers, config, postfix("postfix-3.7-delayed.eml.in", mf.LKPP, str(escalation["Subject"]), mid))
    assert alerts(servers, mf.STAFF[0]) == [] and alerts(servers, COORDINATOR) == []
    store = Store(load_config(config).database)
    [ticket] = store.search.tickets()
    assert str(ticket.state) == "escalated"
    [event] = [e for e in store.history.events_of(ticket.id) if e["kind"] == "delivery_reported"]
    assert '"action": "delayed"' in event["detail"] and '"status": "4.2.1"' in event["detail"]
    assert '"mail": "escalate"' in event["detail"]
    # the requester writes again: staff's notice shows the delay, as a delay
    raw, _ = mf.mail("budi@vendor.test", "Re: " + str(escalation["Subject"]), "Ada kabar dari LKPP?")
    mf.deliver(servers, config, raw)
    notice = mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_update"))
    assert "TERTUNDA" in notice and mf.LKPP in notice and "4.2.1" in notice


def test_a_delay_warning_for_the_ack_raises_no_alert(env):
    servers, config = env
    raw, _ = mf.mail("sari@dinas.test", "Tidak bisa login", "Mohon bantuan reset akun.")
    mf.deliver(servers, config, raw)
    ack = mf.latest(servers, "sari@dinas.test", "ack")
    mf.deliver(servers, config, postfix("postfix-3.7-delayed.eml.in", "sari@dinas.test", str(ack["Subject"]),
                                        str(ack["Message-ID"]).strip("<>")))
    assert alerts(servers, mf.STAFF[0]) == []
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, "sari@dinas.test")] == ["ack"]


def test_an_undelivered_escalation_says_so_and_leaves_escalated(env):
    """The DSN for the mail to LKPP read like a failed ack ("Mohon periksa alamat
    pengguna"), the ticket stayed `escalated` and the recap showed Tujuan = LKPP. Now staff
    and coordinators hear that the escalation did not reach LKPP, with the address and the
    reason; the ticket is `open` for staff's decision; the recap and summary count no
    escalation that never arrived."""
    servers, config = env
    escalation = escalate(servers, config)
    mid = str(escalation["Message-ID"]).strip("<>")
    mf.deliver(servers, config, postfix("postfix-3.7-undelivered.eml.in", mf.LKPP, str(escalation["Subject"]), mid))
    for user in (mf.STAFF[0], COORDINATOR):
        [alert] = alerts(servers, user)
        text = mf.text_of(alert)
        assert "TIDAK SAMPAI ke Helpdesk LKPP" in text, text
        assert mf.LKPP in text and "5.1.1" in text and "User unknown" in text
        assert "periksa alamat pengguna" not in text.lower()
    cfg = load_config(config)
    store = Store(cfg.database)
    [ticket] = store.search.tickets()
    assert str(ticket.state) == "open"
    # nothing more to the requester
    assert mf.inbox(servers, "budi@vendor.test")[-1]["X-Mailbot-Kind"] == "escalated_user"
    start = datetime(ticket.created_at.year, ticket.created_at.month, 1, tzinfo=WIB)
    end = datetime(start.year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=WIB)
    [record] = month_tickets(store, start, end)
    assert _destination(record) == "LPSE"


def test_a_delivered_escalation_still_counts_for_the_recap(env):
    """The other side of the above: an escalation with no failure report is LKPP's."""
    servers, config = env
    escalate(servers, config)
    store = Store(load_config(config).database)
    [ticket] = store.search.tickets()
    start = datetime(ticket.created_at.year, ticket.created_at.month, 1, tzinfo=WIB)
    end = datetime(start.year + (start.month == 12), start.month % 12 + 1, 1, tzinfo=WIB)
    [record] = month_tickets(store, start, end)
    assert _destination(record) == "LKPP"


NON_STANDARD = ("e500-returned-mail.eml", "imss-could-not-be-delivered.eml", "antivirus-delivery-failure.eml",
                "ndr-mail-delivery-failed.eml", "list-awaits-moderator.eml")
HUMAN = {"human-penawaran-gagal-terkirim.eml": "budi@cvmaju.test",
         "human-pesan-tidak-terkirim.eml": "sari.dewi@dinas.test"}


def test_bounces_beyond_rfc3464_are_never_answered_and_people_still_are(env):
    """Five non-standard bounces (none quoting our mail, no Return-Path kept) were
    each answered with an ack. Recognised by combined evidence, never by the subject alone:
    "Penawaran gagal terkirim" and "Pesan tidak terkirim di aplikasi SPSE" from people still
    get a ticket and an ack."""
    servers, config = env
    for name in (*NON_STANDARD, *HUMAN):
        servers.append(mf.UNIT, (DATA / name).read_bytes())
    mf.deliver(servers, config, mf.mail("joko@kontraktor.test", "Paket tidak muncul", "Mohon bantuan.")[0])
    outbox = Store(load_config(config).database).db.execute(
        "select r.address, o.kind from outbox o join outbox_rcpt r on r.outbox_id = o.id").fetchall()
    acked = sorted(a for a, kind in outbox if kind == "ack")
    assert acked == sorted([*HUMAN.values(), "joko@kontraktor.test"])
    answered = {a for a, _ in outbox} & {"e500_smtp_mail_service@mail.dinas.test", "imss@gw.vendor.test",
                                         "antivirus@scan.kontraktor.test", "ndr@mx.pemda.test",
                                         "pengadaan-owner@lists.pemda.test"}
    assert answered == set()
    subjects = sorted(t.subject for t in Store(load_config(config).database).search.tickets())
    assert subjects == ["Paket tidak muncul", "Penawaran gagal terkirim", "Pesan tidak terkirim di aplikasi SPSE"]


# A gateway's delivery report in a multipart/mixed, From an ordinary address (no
# MAILER-DAEMON, no null Return-Path): its evidence is the report part quoting our ack.

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
    assert app.handle(box, mf.mail("budi@vendor.test", "Akun terkunci", "Mohon dibuka.", date=now)[0],
                      now).status == "processed"
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


# The world's bounces that were acknowledged or quarantined.

def returned(name: str, to: str, ack: EmailMessage) -> bytes:
    """A report in `tests/data/bounces/` returning our `ack` to `to`."""
    return postfix(name, to, str(ack["Subject"]), str(ack["Message-ID"]).strip("<>"))


def answered_addresses(config: Path) -> list[tuple[str, str]]:
    return Store(load_config(config).database).db.execute(
        "select r.address, o.kind from outbox o join outbox_rcpt r on r.outbox_id = o.id").fetchall()


def bounce_events(config: Path) -> list[str]:
    store = Store(load_config(config).database)
    [ticket] = store.search.tickets()
    return [e["kind"] for e in store.history.events_of(ticket.id) if e["kind"] in ("bounce_received",
                                                                                   "automatic_recorded")]


def unmatched(config: Path) -> list[str]:
    """The reasons of the automatic mail recorded on no ticket."""
    rows = Store(load_config(config).database).db.execute(
        "select detail from events where kind = 'automatic_unmatched' and ticket_id is null").fetchall()
    return [json.loads(detail)["reason"] for (detail,) in rows]


@pytest.mark.parametrize(("name", "sender"), [
    ("exim-ndr-original-attached.eml.in", "ndr@mx.dinas.test"),  # Exim's words, the ack attached
    ("sendmail-bare-mailer-daemon.eml.in", "mailer-daemon"),  # From: MAILER-DAEMON, no domain (point 14)
])
def test_a_report_returning_our_ack_is_recorded_on_its_ticket_never_answered(env, name, sender):
    """SPEC 5: a bounce of something mailbot sent is attached to that ticket and staff are
    alerted; it is never answered, and it is no reason for a Quarantine (a bare MAILER-DAEMON
    was quarantined as "no usable sender address")."""
    servers, config = env
    raw, _ = mf.mail("sari@dinas.test", "Tidak bisa login", "Mohon bantuan reset akun.")
    mf.deliver(servers, config, raw)
    ack = mf.latest(servers, "sari@dinas.test", "ack")
    mf.deliver(servers, config, returned(name, "sari@dinas.test", ack))
    assert servers.fetch(mf.UNIT, "Quarantine") == []
    assert [a for a, _ in answered_addresses(config) if a.lower() == sender] == []
    assert [kind for a, kind in answered_addresses(config) if kind == "ack"] == ["ack"]  # the requester's one
    assert bounce_events(config) == ["bounce_received"]
    [alert] = alerts(servers, mf.STAFF[0])
    assert "sari@dinas.test" in mf.text_of(alert)
    assert len(Store(load_config(config).database).search.tickets()) == 1


def test_an_old_gateways_report_written_like_a_reply_is_never_answered(env):
    """"RE: [tag] ... (delivery failed)" from the gateway's ordinary
    address, "Your message could not be delivered to <address>" above our ack quoted as
    Outlook quotes (no Message-ID). It was acknowledged as a new requester's mail; now it is
    recorded as automatic mail, never answered, and opens no ticket. (Its tag alone does not
    attach it: SPEC 3 honours a tag from the ticket's participants only.)"""
    servers, config = env
    raw, _ = mf.mail("sari@dinas.test", "Tidak bisa login", "Mohon bantuan reset akun.")
    mf.deliver(servers, config, raw)
    ack = mf.latest(servers, "sari@dinas.test", "ack")
    mf.deliver(servers, config, returned("gateway-re-delivery-failed.eml.in", "sari@dinas.test", ack))
    assert servers.fetch(mf.UNIT, "Quarantine") == []
    # the unit's own people aside (from 08:00 WIB on a working day the coordinators' digest goes too)
    unit = (*mf.STAFF, mf.COORDINATOR, mf.HEAD)
    assert [(a, kind) for a, kind in answered_addresses(config) if a not in unit] == [("sari@dinas.test", "ack")]
    assert unmatched(config) == ["bounce: failure report quoting a mail"]
    assert len(Store(load_config(config).database).search.tickets()) == 1


def test_a_requesters_reply_that_their_offer_failed_reaches_staff(env):
    """SPEC 5: "RE: ... (delivery failed)" in a requester's own words, with a failed address
    (the pokja's) and our ack quoted below, is the requester's, read by staff, not a bounce."""
    servers, config = env
    raw, _ = mf.mail("budi@vendor.test", "Penawaran gagal terkirim", "Penawaran kami gagal dikirim di SPSE.")
    mf.deliver(servers, config, raw)
    ack = mf.latest(servers, "budi@vendor.test", "ack")
    words = ("Penawaran kami masih gagal terkirim, muncul \"delivery failed\". Sudah kami coba kirim juga\n"
             "lewat email ke pokja@lpse.test tapi tidak dapat dikirim. Batas jam 14.00, mohon segera dibantu.")
    quoted = (f"-----Original Message-----\nFrom: {ack['From']}\nSent: {ack['Date']}\nTo: budi@vendor.test\n"
              f"Subject: {ack['Subject']}\n\n{mf.text_of(ack)}")
    raw, _ = mf.mail("budi@vendor.test", f"RE: {ack['Subject']} (delivery failed)", f"{words}\n\n{quoted}",
                     in_reply_to=str(ack["Message-ID"]).strip("<>"))
    mf.deliver(servers, config, raw)
    assert bounce_events(config) == []
    update = mf.text_of(mf.latest(servers, mf.STAFF[0]))
    assert "pokja@lpse.test" in update and "Batas jam 14.00" in update


def test_a_requesters_indented_words_reach_staff(env):
    """A requester answers in HTML and indents their data with a plain
    <blockquote> (no type=cite, no border, no reply header above it), our ack quoted below
    as their client quotes it. Staff's notice of the reply and the ticket's history hold the
    indented words; the quoted ack stays out."""
    servers, config = env
    raw, _ = mf.mail("sari@dinas.test", "Akun terkunci", "Mohon akun kami dibuka.")
    mf.deliver(servers, config, raw)
    ack = mf.latest(servers, "sari@dinas.test", "ack")
    html = ("<div>Yth. Helpdesk,</div><div>Data perusahaan kami sebagai berikut:</div>"
            "<blockquote><div>NPWP: 01.234.567.8-901.000</div><div>Kode tender: 12345</div></blockquote>"
            "<div>Mohon akun kami dibuka kembali.</div><div><br></div>"
            f"<div>Pada Sen, 23 Nov 2026 pukul 10.12, Helpdesk LPSE &lt;{mf.UNIT}&gt; menulis:</div>"
            "<blockquote type='cite'><div>Terima kasih, laporan Anda telah kami terima.</div></blockquote>")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "sari@dinas.test", mf.UNIT, f"Re: {ack['Subject']}"
    msg["Message-ID"] = "<indent.1@dinas.test>"
    msg["In-Reply-To"] = msg["References"] = str(ack["Message-ID"])
    msg.set_content(html, subtype="html")
    mf.deliver(servers, config, msg.as_bytes())
    update = mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_update"))
    assert "NPWP: 01.234.567.8-901.000" in update and "Kode tender: 12345" in update
    assert "Mohon akun kami dibuka kembali." in update
    store = Store(load_config(config).database)
    [ticket] = store.search.tickets()
    [reply] = [m for m in store.messages.thread_of(ticket.id) if m.message_id == "indent.1@dinas.test"]
    assert "NPWP: 01.234.567.8-901.000" in reply.body and "telah kami terima" not in reply.body

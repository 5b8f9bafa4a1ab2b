"""Message formats real clients send, end to end over the local Dovecot and SMTP servers.

Each test writes mail as a real client would (S/MIME signed, Apple Mail, Thunderbird
forwards of a bounce, calendar invitations, a Gmail emoji reaction) and reads what lands in
the requester's, staff's and LKPP's INBOXes.
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
import subprocess
from datetime import datetime
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formatdate, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests import mailfactory as mf
from tests.mailfactory import PDF, STAFF, UNIT, inbox, run_once, text_of, write_config
from tests.test_acceptance_blind import REQ, STAFF1, Desk, _resolved, desk  # noqa: F401

REQUESTER = "budi@vendor.test"


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, write_config(fresh_mailboxes, tmp_path), tmp_path


def _head(sender: str, subject: str, in_reply_to: str | None = None) -> bytes:
    lines = [f"From: {sender}", f"To: {UNIT}", f"Subject: {subject}",
             f"Date: {format_datetime(datetime.now(ZoneInfo('Asia/Jakarta')))}",
             f"Message-ID: {make_msgid(domain=sender.split('@')[1])}"]
    if in_reply_to:
        lines += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    return ("\r\n".join(lines) + "\r\n").encode()


def _smime_signed(tmp: Path, signer: str, entity: bytes) -> bytes:
    """`entity` clear-signed with a self-made certificate for `signer` (as a BSrE certificate names its holder)."""
    key, cert, src = tmp / "signer.key", tmp / "signer.pem", tmp / "entity.txt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", f"/CN=Petugas Helpdesk/emailAddress={signer}", "-addext", f"subjectAltName=email:{signer}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    src.write_bytes(entity)
    return subprocess.run(["openssl", "smime", "-sign", "-in", str(src), "-signer", str(cert), "-inkey", str(key),
                           "-crlfeol"], check=True, capture_output=True).stdout


def _open_ticket(servers, config, subject: str = "Akun SPSE terkunci") -> None:
    servers.append(UNIT, _head(REQUESTER, subject) + b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                   b"Akun SPSE saya terkunci sejak pagi.\r\nBudi\r\n")
    run_once(config)


def test_staff_smime_signature_is_not_relayed_to_the_requester(env):
    """SPEC 1: "No mail to a requester carries a staff, coordinator or head address in any
    header or in its body." A staff member who signs with S/MIME (BSrE) sends `#selesai` in
    a multipart/signed; the solution reaches the requester, but smime.p7s (the staff
    member's certificate, with their personal address) must not ride along."""
    servers, config, tmp = env
    _open_ticket(servers, config)
    notice = inbox(servers, STAFF[0])[0]
    signed = _smime_signed(tmp, STAFF[0], b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                                          b"#selesai\r\nAkun sudah kami buka kembali, silakan login ulang.\r\n")
    servers.append(UNIT, _head(STAFF[0], "RE: " + str(notice["Subject"]), str(notice["Message-ID"])) + signed)
    run_once(config)

    solution = inbox(servers, REQUESTER)[-1]
    assert solution["X-Mailbot-Kind"] == "resolved"
    assert "Akun sudah kami buka kembali" in text_of(solution)
    assert [p.get_filename() for p in solution.iter_attachments()] == []
    assert STAFF[0].encode() not in solution.as_bytes()
    assert base64.b64encode(STAFF[0].encode())[:12] not in solution.as_bytes()


def test_complaint_with_a_delivery_status_attachment_opens_a_ticket(env):
    """SPEC 5: a bounce is "empty Return-Path, MAILER-DAEMON or postmaster, `multipart/report`,
    DSN fields"; "Subject words alone ... never make a human requester's mail automatic:
    those are often the most urgent complaints." A requester forwards the bounce they got
    (Thunderbird's inline forward keeps its delivery-status part as an attachment): a person's
    multipart/mixed, not a report. It must open a ticket, be acknowledged and reach staff
    with the delivery report; it was filed under Processed with no ticket and nobody told."""
    servers, config, _ = env
    body = (b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nEmail saya ke pokja selalu gagal terkirim, padahal besok "
            b"batas akhir pemasukan penawaran. Mohon segera dibantu.\r\nBudi 0812345\r\n\r\n--b1\r\n"
            b'Content-Type: message/delivery-status; name="details.txt"\r\n'
            b'Content-Disposition: attachment; filename="details.txt"\r\n\r\n'
            b"Reporting-MTA: dns; mx.vendor.test\r\n\r\nFinal-Recipient: rfc822; pokja@lpse.test\r\n"
            b"Action: failed\r\nStatus: 5.1.1\r\n\r\n--b1--\r\n")
    servers.append(UNIT, _head(REQUESTER, "Fwd: Undelivered Mail Returned to Sender") + body)
    run_once(config)

    [ticket] = Store(load_config(config).database).search.tickets()
    assert ticket.requester.addr == REQUESTER
    assert [m["X-Mailbot-Kind"] for m in inbox(servers, REQUESTER)] == ["ack"]
    [notice] = inbox(servers, STAFF[0])
    assert "gagal terkirim" in text_of(notice)
    assert [p.get_filename() for p in notice.iter_attachments()] == ["details.txt"]


def test_apple_mail_text_after_an_inline_screenshot_reaches_staff(env):
    """SPEC 2: "A notification carries the requester's message and attachments." Apple Mail
    writes text, a pasted screenshot, more text as sibling parts of multipart/mixed; the
    text below the screenshot (tender code, deadline, phone) must reach staff too."""
    servers, config, _ = env
    body = (b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="Apple-Mail=_1"\r\n\r\n--Apple-Mail=_1\r\n'
            b"Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
            b"Selamat siang, saat upload dokumen penawaran muncul error berikut:\r\n\r\n--Apple-Mail=_1\r\n"
            b'Content-Type: image/png; name="Screen Shot 2026-11-23.png"\r\n'
            b'Content-Disposition: inline; filename="Screen Shot 2026-11-23.png"\r\n'
            b'Content-Transfer-Encoding: base64\r\n'
            b"\r\niVBORw0KGgoAAAANSUhEUg==\r\n\r\n--Apple-Mail=_1\r\n"
            b"Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
            b"\r\nKode tender 12345678, batas upload besok jam 10.00. Mohon segera dibantu.\r\nBudi 0812345\r\n"
            b"\r\n--Apple-Mail=_1--\r\n")
    servers.append(UNIT, _head(REQUESTER, "Error saat upload") + body)
    run_once(config)

    [notice] = inbox(servers, STAFF[0])
    text = text_of(notice)
    assert "muncul error berikut" in text
    assert "Kode tender 12345678" in text
    assert [p.get_filename() for p in notice.iter_attachments()] == ["Screen Shot 2026-11-23.png"]


def test_inline_text_file_and_calendar_invitation_reach_staff(env):
    """SPEC 2 (a notification carries the requester's attachments): a text file attached
    with `Content-Disposition: inline` (named), and an Outlook meeting invitation's
    text/calendar part (unnamed), were neither body nor attachment and vanished."""
    servers, config, _ = env
    body = (b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
            b'Content-Type: multipart/alternative; boundary="a1"\r\n\r\n--a1\r\n'
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
            b"Kami mengundang helpdesk ke rapat konsultasi; log terlampir.\r\n"
            b"\r\n--a1\r\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\r\n"
            b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nDTSTART:20261125T030000Z\r\n"
            b"SUMMARY:Konsultasi tender\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n\r\n--a1--\r\n\r\n--b1\r\n"
            b'Content-Type: text/plain; charset=utf-8; name="log-error.txt"\r\n'
            b'Content-Disposition: inline; filename="log-error.txt"\r\n\r\nERROR 500 at /eproc4/dok\r\n\r\n--b1--\r\n')
    servers.append(UNIT, _head(REQUESTER, "Undangan konsultasi") + body)
    run_once(config)

    [notice] = inbox(servers, STAFF[0])
    files = {p.get_filename(): p.get_content() for p in notice.iter_attachments()}
    assert "Kami mengundang helpdesk" in text_of(notice)
    assert any(b"ERROR 500" in (v if isinstance(v, bytes) else v.encode()) for v in files.values()), files
    assert any(b"BEGIN:VCALENDAR" in (v if isinstance(v, bytes) else v.encode()) for v in files.values()), files


def test_encrypted_mail_tells_staff_it_cannot_be_read(env):
    """An S/MIME-encrypted first mail (application/pkcs7-mime, enveloped-data) has no readable
    text. It is not lost (ticket, ack, smime.p7m to staff), but the staff notice shows an empty
    "pesan pengguna" with no word that the message is encrypted and must be asked again."""
    servers, config, _ = env
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


def test_ack_to_mail_without_message_id_does_not_cite_an_invented_id(env):
    """SPEC 2: In-Reply-To/References "so that mail clients thread it". A requester's mail
    without a Message-ID gets an ack whose In-Reply-To is mailbot's synthetic
    `<synthetic-...@mailbot.invalid>`, which no client has; the header should be left out."""
    servers, config, _ = env
    raw = (f"From: {REQUESTER}\r\nTo: {UNIT}\r\nSubject: Tanpa Message-ID\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nAkun saya terkunci.\r\n").encode()
    servers.append(UNIT, raw)
    run_once(config)
    [ack] = inbox(servers, REQUESTER)
    assert "mailbot.invalid" not in str(ack["In-Reply-To"]) + str(ack["References"])


def test_ack_to_a_reused_message_id_cites_the_id_the_mail_carried(env):
    """Two different mails under one Message-ID (a broken client): the second opens its own
    ticket under a marked id of mailbot's; its ack cites the id the mail carried, which the
    requester's client knows, not the marked one."""
    servers, config, _ = env
    for subject in ("Akun terkunci", "Jadwal tender berubah"):
        raw = (f"From: {REQUESTER}\r\nTo: {UNIT}\r\nSubject: {subject}\r\nMessage-ID: <same@vendor.test>\r\n"
               f"Content-Type: text/plain; charset=utf-8\r\n\r\n{subject}, mohon dibantu.\r\n").encode()
        servers.append(UNIT, raw)
        run_once(config)
    acks = inbox(servers, REQUESTER)
    assert len(acks) == 2
    for ack in acks:
        assert ack["In-Reply-To"] == "<same@vendor.test>"
        assert "reused" not in str(ack["References"])


def _forwarded_pokja_mail(body_cte: str) -> bytes:
    """The Pokja's invitation as the requester's client attaches it ("Forward as attachment")."""
    text = "Dengan hormat, kami undang Saudara untuk pembuktian kualifikasi pada hari Rabu pukul 09.00 WIB."
    body = (text.encode() if body_cte == "7bit"
            else text.replace("Saudara", "Saudara\u00a0Direktur").encode("utf-8"))
    return (b"From: Pokja Pemilihan <pokja12@dinas.test>\r\nTo: budi@vendor.test\r\n"
            b"Subject: Undangan pembuktian kualifikasi\r\nMessage-ID: <undangan-1@dinas.test>\r\n"
            b"Date: Mon, 23 Nov 2026 08:00:00 +0700\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="inner"\r\n\r\n--inner\r\n'
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: " + body_cte.encode()
            + b"\r\n\r\n" + body + b"\r\n--inner\r\nContent-Type: application/pdf\r\n"
            b'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="undangan.pdf"\r\n\r\n'
            + base64.encodebytes(PDF).replace(b"\n", b"\r\n") + b"--inner--\r\n")


def _embedded_mail(part) -> bytes:
    """What a client that follows RFC 2046 can open of an attached mail: its bytes, or nothing."""
    if part.get_content_type() == "message/rfc822":
        # RFC 2046 5.2.1: no encoding other than 7bit, 8bit or binary; Thunderbird, Roundcube
        # and Zimbra show a base64-encoded one as an empty attachment.
        assert part["Content-Transfer-Encoding"] in (None, "7bit", "8bit", "binary"), part["Content-Transfer-Encoding"]
        return part.get_payload()[0].as_bytes()
    assert part.get_filename().endswith(".eml")
    return part.get_payload(decode=True)


@pytest.mark.parametrize("body_cte", ["7bit", "8bit"])
def test_a_forwarded_mail_attached_reaches_staff_and_lkpp_openable(env, body_cte):
    """SPEC 2 (a notification carries the requester's attachments), E8 (all attachments to
    LKPP). A requester attaches the Pokja's mail they got ("Forward as attachment"). It went
    out as message/rfc822 in base64, which RFC 2046 forbids and which Thunderbird, Roundcube
    and Zimbra (the webmail of many units and desks) show as an empty attachment: staff and
    LKPP could not open the Pokja's invitation nor the PDF in it."""
    servers, config, _ = env
    body = (b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nBerikut undangan dari Pokja yang saya terima, "
            b"tetapi jadwalnya tidak muncul di SPSE.\r\nBudi\r\n\r\n--b1\r\nContent-Type: message/rfc822\r\n"
            b'Content-Disposition: attachment; filename="Undangan pembuktian kualifikasi.eml"\r\n\r\n'
            + _forwarded_pokja_mail(body_cte) + b"\r\n--b1--\r\n")
    servers.append(UNIT, _head(REQUESTER, "Jadwal pembuktian tidak muncul") + body)
    run_once(config)
    [notice] = inbox(servers, STAFF[0])
    servers.append(UNIT, _head(STAFF[0], "RE: " + str(notice["Subject"]), str(notice["Message-ID"]))
                   + b"Content-Type: text/plain; charset=utf-8\r\n\r\n#eskalasi\r\nMohon bantuan.\r\n")
    run_once(config)
    [escalation] = inbox(servers, "helpdesk@lkpp.test")

    for received in (notice, escalation):
        [part] = list(received.iter_attachments())
        assert part.get_filename() == "Undangan pembuktian kualifikasi.eml"
        pokja = email.message_from_bytes(_embedded_mail(part), policy=email.policy.default)
        assert pokja["Subject"] == "Undangan pembuktian kualifikasi"
        assert "pembuktian kualifikasi pada hari Rabu" in pokja.get_body(("plain",)).get_content()
        [pdf] = list(pokja.iter_attachments())
        assert (pdf.get_filename(), pdf.get_content()) == ("undangan.pdf", PDF)


def test_an_attached_mail_named_without_eml_reaches_staff_as_a_mail_file(env):
    """SPEC 2 (a notification carries the requester's attachments). Outlook names an attached
    item by its subject alone ('message/rfc822; name="Undangan pembuktian kualifikasi"'): the
    type says it is a mail. One with 8-bit text goes on as opaque bytes, and it reached staff
    as an application/octet-stream 'Undangan pembuktian kualifikasi' with no extension, a file
    neither Outlook, Thunderbird nor a webmail would open. The name now says '.eml'."""
    servers, config, _ = env
    body = (b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nBerikut undangan dari Pokja.\r\nBudi\r\n\r\n--b1\r\n"
            b'Content-Type: message/rfc822; name="Undangan pembuktian kualifikasi"\r\n'
            b"Content-Disposition: attachment\r\n\r\n" + _forwarded_pokja_mail("8bit") + b"\r\n--b1--\r\n")
    servers.append(UNIT, _head(REQUESTER, "Jadwal pembuktian tidak muncul") + body)
    run_once(config)
    [notice] = inbox(servers, STAFF[0])
    [part] = list(notice.iter_attachments())
    pokja = email.message_from_bytes(_embedded_mail(part), policy=email.policy.default)  # a mail, or a .eml file
    assert pokja["Subject"] == "Undangan pembuktian kualifikasi"
    assert part.get_filename() in ("Undangan pembuktian kualifikasi", "Undangan pembuktian kualifikasi.eml")


# A requester's answer to a solution as Gmail sends an emoji reaction (SPEC E4).

def gmail_reaction(original: EmailMessage, sender: str, emoji: str) -> bytes:
    """A Gmail emoji reaction: text/plain (the emoji), the reaction JSON, text/html;
    In-Reply-To the message reacted to (developers.google.com/gmail/reactions/format)."""
    msg = MIMEMultipart("alternative")
    msg.attach(MIMEText(emoji, "plain", "utf-8"))
    part = MIMEBase("text", "vnd.google.email-reaction+json")
    part.set_payload(json.dumps({"emoji": emoji, "version": 1}, ensure_ascii=False), "utf-8")
    msg.attach(part)
    msg.attach(MIMEText(f'<p style="font-size:50px;margin-top:0;margin-bottom:0">{emoji}</p>', "html", "utf-8"))
    msg["From"] = f"Budi Santoso <{sender}>"
    msg["To"] = mf.UNIT
    msg["Subject"] = "Re: " + str(original["Subject"])
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    msg["In-Reply-To"] = str(original["Message-ID"])
    msg["References"] = str(original["Message-ID"])
    return msg.as_bytes()


def test_a_thumbs_up_reaction_to_the_solution_closes_the_ticket(desk: Desk) -> None:  # noqa: F811
    """SPEC E4: the requester taps 👍 on the solution in Gmail. It reopened the ticket and
    told staff the requester had not accepted the solution; it is a confirmation."""
    number = _resolved(desk)
    solution = desk.about(REQ, number)[-1]
    staff_before = len(desk.about(STAFF1, number))

    desk.deliver(gmail_reaction(solution, REQ, "👍"))

    assert desk.ticket(number)["state"] == "closed"
    assert [m["X-Mailbot-Kind"] for m in desk.about(REQ, number)][-1] == "closed"
    told = desk.about(STAFF1, number)[staff_before:]
    assert not any("dibuka kembali" in mf.text_of(m) for m in told), [mf.text_of(m) for m in told]

"""Delivery reports read by what they say, and bounces that follow no standard (SPEC 5). Pure."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from mailbot.parsers import parse_message
from tests.shared import SHARED

DATA = Path(__file__).parent / "data" / "bounces"
SISIMAI = SHARED / "corpora" / "set-of-emails" / "maildir"


def postfix(name: str, to: str = "helpdesk@lkpp.test") -> bytes:
    text = (DATA / name).read_text().replace("@@TO@@", to).replace("@@DOMAIN@@", to.split("@")[1])
    return text.replace("@@SUBJECT@@", "[LPSE-T #2026-00001] Gagal upload").replace(
        "@@MESSAGE_ID@@", "abc.1@lpse.test").replace("\n", "\r\n").encode()


def test_postfix_delay_warning_is_a_delay():
    msg = parse_message(postfix("postfix-3.7-delayed.eml.in"))
    assert msg.is_bounce
    assert msg.delivery is not None
    assert (msg.delivery.action, msg.delivery.status, msg.delivery.recipients) == (
        "delayed", "4.2.1", ("helpdesk@lkpp.test",))
    assert not msg.delivery.failed
    assert msg.bounced_ids == ("abc.1@lpse.test",)


def test_postfix_undelivered_mail_is_a_failure_with_its_reason():
    msg = parse_message(postfix("postfix-3.7-undelivered.eml.in"))
    assert msg.delivery is not None and msg.delivery.failed
    assert msg.delivery.status == "5.1.1"
    assert msg.delivery.recipients == ("helpdesk@lkpp.test",)
    assert "User unknown in virtual mailbox table" in msg.delivery.diagnostic


def test_a_report_with_one_failed_and_one_delayed_recipient_is_a_failure():
    raw = (b"From: MAILER-DAEMON@mx.test\r\nTo: lpse@lpse.test\r\nSubject: Delivery Status Notification\r\n"
           b"Message-ID: <r1@mx.test>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
           b"--B\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
           b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.test\r\n\r\n"
           b"Final-Recipient: rfc822; a@x.test\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n"
           b"Final-Recipient: rfc822; b@x.test\r\nAction: failed\r\nStatus: 5.2.2\r\n"
           b"Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n--B--\r\n")
    report = parse_message(raw).delivery
    assert report is not None
    assert (report.action, report.status, report.recipients) == ("failed", "5.2.2", ("b@x.test",))


def test_a_relayed_report_is_no_failure():
    raw = (b"From: MAILER-DAEMON@mx.test\r\nTo: lpse@lpse.test\r\nSubject: Successful Mail Delivery Report\r\n"
           b"Message-ID: <r2@mx.test>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
           b"--B\r\nContent-Type: text/plain\r\n\r\nYour message was successfully delivered.\r\n"
           b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.test\r\n\r\n"
           b"Final-Recipient: rfc822; a@x.test\r\nAction: relayed\r\nStatus: 2.0.0\r\n--B--\r\n")
    report = parse_message(raw).delivery
    assert report is not None and report.action == "relayed" and not report.failed


@pytest.mark.parametrize("name, failed", [
    ("e500-returned-mail.eml", "budi.santoso@dinas.test"),
    ("imss-could-not-be-delivered.eml", "sari@vendor.test"),
    ("antivirus-delivery-failure.eml", "joko@kontraktor.test"),
    ("ndr-mail-delivery-failed.eml", "ppk@pemda.test"),
])
def test_non_standard_bounces_are_bounces_by_evidence(name, failed):
    msg = parse_message((DATA / name).read_bytes())
    assert msg.is_automatic and msg.is_bounce, msg.auto_reason
    assert msg.delivery is not None and msg.delivery.failed
    assert failed in msg.delivery.recipients


def test_a_list_holding_mail_for_its_moderator_is_automatic():
    msg = parse_message((DATA / "list-awaits-moderator.eml").read_bytes())
    assert msg.auto_reason == "list: held for moderation"


@pytest.mark.parametrize("name", ["human-penawaran-gagal-terkirim.eml", "human-pesan-tidak-terkirim.eml"])
def test_people_whose_words_read_like_a_bounce_are_people(name):
    assert parse_message((DATA / name).read_bytes()).auto_reason is None


@pytest.mark.parametrize("subject", ["Undelivered Mail Returned to Sender",
                                     "Mail delivery failed: returning message to sender",
                                     "Returned Mail - Error During Delivery", "Delivery failure notification"])
def test_a_bounce_subject_alone_is_no_bounce(subject):
    raw = (f"From: Budi <budi@cvmaju.test>\r\nTo: lpse@lpse.test\r\nSubject: {subject}\r\n"
           "Message-ID: <p1@cvmaju.test>\r\n\r\nEmail saya ke pokja@lpse.test tidak terkirim terus, mohon dicek.\r\n"
           "Budi\r\n").encode()
    assert parse_message(raw).auto_reason is None


def test_a_person_forwarding_a_bounce_is_a_person():
    raw = (b"From: Budi <budi@cvmaju.test>\r\nTo: lpse@lpse.test\r\n"
           b"Subject: Fwd: Undelivered Mail Returned to Sender\r\n"
           b"Message-ID: <p2@cvmaju.test>\r\n\r\nEmail saya ke pokja ditolak, mohon bantuan.\r\n\r\n"
           b"---------- Forwarded message ---------\r\nFrom: Mail Delivery System <MAILER-DAEMON@cvmaju.test>\r\n"
           b"Subject: Undelivered Mail Returned to Sender\r\n\r\n"
           b"<pokja@lpse.test>: host said: 550 5.1.1 User unknown\r\n"
           b"Received: from x\r\nMessage-ID: <o1@cvmaju.test>\r\nFrom: budi@cvmaju.test\r\n")
    assert parse_message(raw).auto_reason is None


@pytest.mark.skipif(not SISIMAI.exists(), reason="the shared corpora are not beside this clone")
def test_sisimai_set_of_emails_every_bounce_is_automatic():
    """sisimai's set-of-emails (BSD-2): every file but its two non-bounces (`not/`) and the
    two bounces a person forwarded ("Fwd: Returned mail") is automatic, so none is answered."""
    human = []
    for path in sorted(SISIMAI.rglob("*")):
        if path.is_file() and path.stat().st_size and path.name != "LICENSE":
            msg = parse_message(path.read_bytes())
            if not msg.is_automatic:
                human.append(path.relative_to(SISIMAI).as_posix())
    assert human == ["bsd/lhost-sendmail-14.eml", "err/make-test-36.eml", "not/is-not-bounce-01.eml",
                     "not/is-not-bounce-02.eml"]


def test_a_person_replying_with_a_mail_attached_is_a_person():
    """A reply that quotes and attaches the mail it answers (Outlook's forward as attachment):
    the attached copy's headers and the ticket's own words ("Tidak bisa kirim penawaran",
    the requester's address) read like a bounce quoting a mail, but a person wrote it."""
    attached = (b"Received: from lpse.test\r\nMessage-ID: <n1@lpse.test>\r\nMIME-Version: 1.0\r\n"
                b"From: lpse@lpse.test\r\nTo: staff1@lpse.test\r\n"
                b"Subject: [LPSE-T #2026-00001] Tidak bisa kirim penawaran\r\n"
                b"\r\nPenyedia budi@cvmaju.test: Tidak bisa kirim penawaran, muncul error.\r\n")
    for subject, reply_to in (("RE: [LPSE-T #2026-00001] Tidak bisa kirim penawaran", b""),
                              ("[LPSE-T #2026-00001] Tidak bisa kirim penawaran", b"In-Reply-To: <n1@lpse.test>\r\n")):
        raw = (b"From: Staff Satu <staff1@lpse.test>\r\nTo: lpse@lpse.test\r\nSubject: " + subject.encode() + b"\r\n"
               + reply_to + b"Message-ID: <r1@lpse.test>\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
               b"Terlampir pesan Anda yang kami terima.\r\n\r\nPada 24/11/2026, lpse@lpse.test menulis:\r\n"
               b"> Dari: budi@cvmaju.test\r\n> Tidak bisa kirim penawaran, muncul error.\r\n\r\n"
               b"--b1\r\nContent-Type: message/rfc822\r\n\r\n"
               + attached + b"\r\n--b1--\r\n")
        assert parse_message(raw).auto_reason is None, subject


# Two bounce forms that were acknowledged, and the people they must not swallow.

ACK_SUBJECT = "[LPSE-T #2026-00012] Jadwal pembukaan penawaran"


def returned(name: str, to: str = "ppk.pengadaan@pemda.test") -> bytes:
    text = (DATA / name).read_text().replace("@@TO@@", to).replace("@@DOMAIN@@", to.split("@")[1])
    return text.replace("@@SUBJECT@@", ACK_SUBJECT).replace("@@MESSAGE_ID@@", "ack.12@lpse.test").replace(
        "\n", "\r\n").encode()


def test_an_old_gateways_report_written_like_a_reply_is_a_bounce():
    """"RE: ... (delivery failed)" from the gateway's ordinary address: its own words report
    the failure for an address, and the mail it returns is ours, sent to that very address."""
    msg = parse_message(returned("gateway-re-delivery-failed.eml.in"))
    assert msg.is_automatic and msg.is_bounce, msg.auto_reason
    assert msg.delivery is not None and msg.delivery.failed
    assert msg.delivery.recipients == ("ppk.pengadaan@pemda.test",)


def test_an_exim_report_from_ndr_with_the_original_attached_is_a_bounce():
    msg = parse_message(returned("exim-ndr-original-attached.eml.in"))
    assert msg.is_automatic and msg.is_bounce, msg.auto_reason
    assert msg.delivery is not None and msg.delivery.failed
    assert "ppk.pengadaan@pemda.test" in msg.delivery.recipients
    assert msg.bounced_ids == ("ack.12@lpse.test",)


@pytest.mark.parametrize("name", ["human-re-penawaran-gagal-terkirim.eml", "human-re-own-mail-not-delivered.eml"])
def test_a_requesters_reply_about_mail_that_failed_is_a_person(name):
    """SPEC 5: "RE: ... gagal terkirim (delivery failed)" quoting our ack, and a reply quoting the
    requester's own mail that did not reach the pokja: their words name the failure and an
    address, but the mail they quote was not sent to that address by someone else."""
    assert parse_message((DATA / name).read_bytes()).auto_reason is None


# A DSN from a bare MAILER-DAEMON (Sendmail with no domain to qualify it).

def test_a_dsn_from_a_bare_mailer_daemon_is_a_bounce():
    msg = parse_message(returned("sendmail-bare-mailer-daemon.eml.in"))
    assert msg.is_bounce and msg.auto_reason is not None
    assert msg.from_addr.addr.lower() == "mailer-daemon"
    assert msg.delivery is not None and msg.delivery.failed and msg.delivery.status == "5.1.1"
    assert msg.bounced_ids == ("ack.12@lpse.test",)


# The two forms again, in other words than the first fixtures. A
# delivery report is one whatever mail it returns (ours, or spam in the unit's name) and
# whether or not it quotes it; a person's words about their own failed mail stay theirs.

def report(name: str, to: str = "sari@pemda.test", body: str = "Terima kasih, laporan Anda telah kami terima.",
           message_id: str = "ack.12@lpse.test", subject: str = ACK_SUBJECT) -> bytes:
    text = (DATA / name).read_text().replace("@@TO@@", to).replace("@@DOMAIN@@", to.split("@")[1])
    return text.replace("@@SUBJECT@@", subject).replace("@@MESSAGE_ID@@", message_id).replace(
        "@@BODY@@", body).replace("\n", "\r\n").encode()


def plain(sender: str, subject: str, body: str, extra: str = "") -> bytes:
    return (f"From: {sender}\r\nTo: lpse@lpse.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <w{zlib.crc32(body.encode())}@x.test>\r\n{extra}MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            + body.replace("\n", "\r\n")).encode()


@pytest.mark.parametrize("name", ["gateway-re-tidak-terkirim.eml.in", "gateway-re-unable-to-deliver.eml.in"])
def test_a_gateways_report_written_like_a_reply_that_quotes_nothing_is_a_bounce(name):
    """"RE: <subject> (tidak terkirim)" with "Pesan Anda tidak dapat disampaikan kepada <x>",
    or "Re: <subject> - Delivery Failure" citing our ack with "Sorry, we were unable to deliver
    your message to <x>": no quote, no mail system's sender, the report's words alone."""
    msg = parse_message(report(name))
    assert msg.is_automatic and msg.is_bounce, msg.auto_reason
    assert msg.delivery is not None and msg.delivery.failed and msg.delivery.recipients == ("sari@pemda.test",)


@pytest.mark.parametrize(("subject", "body"), [
    ("RE: Permintaan reset (gagal terkirim)", "Pesan Anda tidak dapat kami kirimkan kepada andi@pemkab.test."),
    ("Balas: Jadwal tender - Undeliverable", "Your e-mail to budi@pemkab.test was not delivered: User unknown."),
    ("RE: Demande : non remis", "Votre message n'a pas pu être remis à jean@mairie.test."),
    ("Undeliverable: Akun terkunci", ("Your message to sari@pemkab.test couldn't be delivered.\n"
                                     "sari wasn't found at pemkab.test.")),
    ("RE: Akun terkunci", ("Delivery to the following recipient failed permanently:\n\n     sari@pemkab.test\n\n"
                          "The error that the other server returned was:\n550 5.1.1 The account does not exist.")),
])
def test_reports_from_an_ordinary_address_in_a_mail_systems_words_are_bounces(subject, body):
    msg = parse_message(plain("Kantor Pemkab <kantor@pemkab.test>", subject, body))
    assert msg.is_automatic and msg.is_bounce, msg.auto_reason


@pytest.mark.parametrize("sender", ['"Mail Gateway" <nds@relay.pemkab.test>', "Pemkab <kantor@pemkab.test>"])
def test_a_report_naming_no_address_that_returns_spam_in_the_units_name_is_a_bounce(sender):
    """Backscatter: spam sent in the unit's name comes back; the report names no address
    ("not delivered to one or more of its recipients") and the mail it returns is no mail of
    ours. From a gateway's address or an ordinary one: a report, never a person's mail."""
    raw = report("ndr-no-address-attached.eml.in", to="andi@pemkab.test", message_id="spam.77@bulk.example",
                 subject="Pemenang undian LPSE", body="Selamat! Anda pemenang undian. Kirim data Anda segera.")
    raw = raw.replace(b'"Mail Gateway" <nds@relay.pemkab.test>', sender.encode())
    msg = parse_message(raw)
    assert msg.is_automatic and msg.is_bounce, msg.auto_reason
    assert msg.delivery is not None and msg.delivery.recipients == ("andi@pemkab.test",)
    assert msg.bounced_ids == ("spam.77@bulk.example",)


def test_a_report_from_an_ordinary_address_returning_our_ack_inline_is_a_bounce():
    """The returned mail pasted below the report ("Original message follows:") speaks in our
    words ("telah kami terima"): they are the returned mail's, not the report's writer's."""
    body = ("Your message could not be delivered to one or more recipients.\nOriginal message follows:\n\n"
            "Received: from mail.lpse.test ([192.0.2.25]) by gw.pemkab.test with esmtp id 1abc\n"
            "Message-ID: <ack.77@lpse.test>\nFrom: Helpdesk LPSE <lpse@lpse.test>\nTo: sari@pemkab.test\n"
            "Subject: [LPSE-T #2026-00001] Akun terkunci\n\n"
            "Selamat siang, terima kasih, laporan Anda telah kami terima dan dicatat.\n")
    msg = parse_message(plain("Pemkab <info@pemkab.test>", "Returned mail: see transcript for details", body))
    assert msg.is_automatic and msg.is_bounce, msg.auto_reason
    assert msg.bounced_ids == ("ack.77@lpse.test",)


PERSONS_WORDS = [
    "Penawaran saya gagal terkirim ke pokja@lpse.test",
    "Selamat siang, pesan saya tidak bisa terkirim ke pokja@lpse.test. Mohon bantuan.",
    ("Selamat siang, saya mengirim penawaran ke pokja tapi mendapat balasan: \"Your message could not be "
    "delivered to pokja@lpse.test\". Mohon bantuan."),
    "Pesan Anda sudah saya terima, tapi penawaran saya ke pokja@lpse.test tetap gagal terkirim.",
    "Email Anda tidak terkirim ke rekan saya andi@dinas.test, mohon dikirim ulang.",
    "Mohon bantuan, email kami ditolak:\n<pokja@lpse.test>: host mx.lpse.test said: 550 5.1.1 User unknown",
    ("Selamat siang,\nemail ke pokja@lpse.test ditolak: host mx.lpse.test said: 550 5.1.1 User unknown\n"
    "Mohon bantuan."),
    ("Tidak bisa kirim ke pokja@lpse.test. Errornya: host mx.lpse.test said: 550 5.1.1 User unknown "
    "(in reply to RCPT TO command)"),
    "My offer could not be delivered to pokja@lpse.test. Please help.",
    "We could not send our offer to pokja@lpse.test: 550 5.1.1 user unknown",
]


@pytest.mark.parametrize("words", PERSONS_WORDS)
@pytest.mark.parametrize(("subject", "extra"), [
    ("Penawaran gagal terkirim", ""),
    ("RE: Penawaran gagal terkirim (delivery failed)", ""),
    ("RE: [LPSE-T #2026-00012] Penawaran gagal terkirim", "In-Reply-To: <ack.12@lpse.test>\r\n"),
])
def test_a_persons_words_about_their_failed_mail_are_a_persons(words, subject, extra):
    """SPEC 5: "Penawaran saya gagal terkirim", "pesan saya tidak bisa terkirim ke pokja",
    a pasted server error, as a new mail, written like a reply, or a real reply: each opens a
    ticket and gets its ack, whatever failure and address it names."""
    msg = parse_message(plain("Budi Santoso <budi@cvmaju.test>", subject, words, extra))
    assert msg.auto_reason is None and not msg.is_bounce

"""`parse_message` over real-world corpora and small realistic messages built inline.

The corpora (see shared/corpora/README.md) hold ~830 bounces and auto-replies from many
MTAs in LF, CRLF and CR-only line endings, and ~100 awkward messages from the Ruby mail
gem. None may raise anything but `BadMessageError`, and none of the machine-made ones
may look human, or mailbot would answer it and start a mail loop.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from mailbot.errors import BadMessageError, RefusedMessageError
from mailbot.model import Address, InboundMessage
from mailbot.parsers import parse_message
from mailbot.parsers.auto import bounce_subject
from mailbot.parsers.mime import UNPARSEABLE
from tests.shared import SHARED

CORPORA = SHARED / "corpora"
MAILDIR = CORPORA / "set-of-emails" / "maildir"
GEM = CORPORA / "mail-gem"
SKIP_NAMES = {"LICENSE", "README", "README.md"}


def corpus_files() -> list[Path]:
    files: list[Path] = []
    for root in (MAILDIR, GEM):
        files.extend(p for p in sorted(root.rglob("*")) if p.is_file() and p.name not in SKIP_NAMES)
    return files


@cache
def parsed(path: Path) -> InboundMessage | BadMessageError:
    """Parse one corpus file once per test session."""
    try:
        return parse_message(path.read_bytes())
    except BadMessageError as exc:
        return exc


def message(relative: str) -> InboundMessage:
    result = parsed(CORPORA / relative)
    assert isinstance(result, InboundMessage), result
    return result


# --- the whole corpora ---------------------------------------------------------------


def test_corpora_are_present() -> None:
    """The shared corpora are where the tests expect them (or MAILBOT_SHARED points)."""
    files = corpus_files()
    assert len([p for p in files if MAILDIR in p.parents]) > 800
    assert len([p for p in files if GEM in p.parents]) > 90


def test_every_corpus_file_parses_or_is_refused_with_a_reason() -> None:
    """Nothing raises but BadMessageError, and only inputs that are not mail are refused."""
    refused = {}
    for path in corpus_files():
        result = parsed(path)  # any other exception fails the test here
        if isinstance(result, BadMessageError):
            refused[path.name] = str(result)
        else:
            assert result.size == path.stat().st_size
            assert result.message_id and not result.message_id.startswith("<")
            assert result.date is None or result.date.tzinfo is not None
            assert "\r" not in result.text
    # The only refused file in the corpora is an empty one.
    assert refused == {"sample_output_multipart": "message is empty"}


# A person forwarding a bounce ("Fwd: Returned mail: ...", their own From, the DSN
# quoted below "Begin forwarded message") is asking for help: human mail, a ticket.
# SPEC 5: subject words alone never make mail automatic, and quoted DSN lines are
# the forwarder's quote, not a report.
HUMAN_FORWARDS = ("bsd/lhost-sendmail-14.eml", "err/make-test-36.eml")


def test_every_machine_message_is_automatic() -> None:
    """All bounces, auto-replies and reports (all but `not/` and human forwards) are never answered."""
    human = []
    for path in corpus_files():
        if MAILDIR not in path.parents or path.parent.name == "not":
            continue
        result = parsed(path)
        assert isinstance(result, InboundMessage)
        if result.auto_reason is None:
            human.append(str(path.relative_to(MAILDIR)))
    assert sorted(human) == sorted(HUMAN_FORWARDS)


@pytest.mark.parametrize("relative", HUMAN_FORWARDS)
def test_a_forwarded_bounce_is_a_persons_mail_that_keeps_the_quoted_ids(relative: str) -> None:
    """Human, not a bounce, but the quoted original's Message-ID is kept: if it were one of
    mailbot's own, the daemon would attach the mail to that ticket as a bounce."""
    result = message(f"set-of-emails/maildir/{relative}")
    assert result.auto_reason is None and not result.is_bounce
    assert result.bounced_ids


def test_ordinary_messages_in_not_folder_are_human() -> None:
    """`not/` holds two ordinary messages (one with an .eml attached), and one oddity."""
    first = message("set-of-emails/maildir/not/is-not-bounce-01.eml")
    assert first.auto_reason is None
    assert first.subject == "にゃんこ"
    assert first.text == "にゃーーーーーーーーーーー"
    second = message("set-of-emails/maildir/not/is-not-bounce-02.eml")
    assert second.auto_reason is None
    assert not second.is_bounce
    assert [(a.filename, a.content_type) for a in second.attachments] == [
        ("original.eml", "message/rfc822")
    ]
    # Not a bounce for sisimai's purposes, but it is a postmaster's automatic reply.
    third = message("set-of-emails/maildir/not/rb-issue-368-bug.eml")
    assert third.auto_reason == "auto-submitted: auto-replied"
    assert third.is_bounce


def test_bounces_are_flagged_and_auto_replies_are_not() -> None:
    """Delivery reports are bounces; RFC 3834 out-of-office replies are not."""
    for path in sorted((MAILDIR / "err").glob("*.eml")):
        if f"err/{path.name}" in HUMAN_FORWARDS:
            continue
        result = parsed(path)
        assert isinstance(result, InboundMessage) and result.is_bounce, path.name
    for path in sorted((MAILDIR / "bsd").glob("rfc3834-*.eml")):
        result = parsed(path)
        assert isinstance(result, InboundMessage), path.name
        assert result.auto_reason is not None and not result.is_bounce, path.name


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        # text/rfc822-headers part of a sendmail DSN
        (
            "set-of-emails/maildir/err/make-test-01.eml",
            ("AA406E7E18714AB2927DAACC24B47C4A@USER-PC97",),
        ),
        # message/rfc822 whose body is base64
        (
            "set-of-emails/maildir/bsd/rfc3464-01.eml",
            ("E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org",),
        ),
        # qmail: the original pasted below "--- Below this line is a copy of the message."
        (
            "set-of-emails/maildir/bsd/lhost-qmail-01.eml",
            ("000000000.9999999999999.JavaMail.postmaster@mailhub",),
        ),
        # Gmail: the original headers quoted in the text body
        (
            "set-of-emails/maildir/bsd/lhost-gmail-01.eml",
            ("D992C2C3-F175-4C4D-97E2-53A90E4E5BF5@gmail.com",),
        ),
        # the original headers used as a MIME part's own headers
        (
            "set-of-emails/maildir/bsd/lhost-x1-01.eml",
            ("000000000000000000000000000000000000@example.jp",),
        ),
        (
            "set-of-emails/maildir/not/rb-issue-368-bug.eml",
            ("68e0b7e3615cd_1dc7010592ed@7cf4d87f87-9r5w2.mail",),
        ),
        (
            "mail-gem/multipart_report_emails/report_530.eml",
            ("200712232303.lBNN3jDq002941@mail12.rrrr.com.au",),
        ),
        # the original (message/rfc822) carries no Message-ID at all
        ("set-of-emails/maildir/bsd/lhost-postfix-01.eml", ()),
    ],
)
def test_bounced_ids_checked_by_hand(relative: str, expected: tuple[str, ...]) -> None:
    """The Message-ID of the bounced original is found wherever the MTA put it."""
    result = message(relative)
    assert result.is_bounce
    assert result.bounced_ids == expected
    assert result.attachments == ()  # the returned original is not a ticket attachment


def test_bounced_ids_found_whenever_the_original_id_is_in_the_body() -> None:
    """A bounce whose body shows an original `Message-ID: <..@..>` yields that id."""
    checked = 0
    for path in corpus_files():
        result = parsed(path)
        if not isinstance(result, InboundMessage) or not (result.is_bounce or bounce_subject(result.subject)):
            continue
        raw = path.read_bytes()
        body = re.split(rb"\r?\n\r?\n|\r\r", raw, maxsplit=1)[-1]
        ids = {
            m.group(1).decode("ascii", "replace")
            for m in re.finditer(rb"(?im)^[ \t>]*message-id:[ \t]*<([^<>\s]+@[^<>\s]+)>", body)
        } - {result.message_id}
        if ids:
            checked += 1
            assert ids & set(result.bounced_ids), path
    assert checked > 600


def same_in_all_line_endings() -> list[str]:
    names = [{p.name for p in (MAILDIR / d).glob("*.eml")} for d in ("bsd", "dos", "mac")]
    return sorted(set.intersection(*names))


@pytest.mark.parametrize("name", same_in_all_line_endings())
def test_line_endings_do_not_change_the_result(name: str) -> None:
    """CR-only (`mac/`) and CRLF (`dos/`) copies parse like the LF (`bsd/`) original."""
    lf = message(f"set-of-emails/maildir/bsd/{name}")
    for folder in ("mac", "dos"):
        other = message(f"set-of-emails/maildir/{folder}/{name}")
        assert other.synthetic_id == lf.synthetic_id
        if not lf.synthetic_id:  # a synthetic id hashes the raw bytes, so it differs
            assert other.message_id == lf.message_id
        assert other.from_addr == lf.from_addr
        assert other.subject == lf.subject
        assert other.date == lf.date
        assert other.auto_reason == lf.auto_reason
        assert other.is_bounce == lf.is_bounce
        assert other.bounced_ids == lf.bounced_ids
        assert other.text.replace("\n", "") == lf.text.replace("\n", "")
        assert [a.filename for a in other.attachments] == [a.filename for a in lf.attachments]


def test_mangled_corpus_messages_never_raise_anything_else() -> None:
    """Truncated and byte-flipped corpus mail still parses or is refused cleanly."""
    rng = random.Random(20261102)
    files = corpus_files()
    for path in rng.sample(files, 80):
        raw = bytearray(path.read_bytes())
        if not raw:
            continue
        for _ in range(3):
            mangled = bytearray(raw)
            for _ in range(rng.randint(1, 40)):
                mangled[rng.randrange(len(mangled))] = rng.randrange(256)
            cut = rng.randrange(len(mangled))
            for candidate in (bytes(mangled), bytes(mangled[:cut]), bytes(raw[cut:])):
                try:
                    parse_message(candidate)
                except BadMessageError as exc:
                    assert UNPARSEABLE not in str(exc)  # refused on purpose, not by a bug


# --- specific corpus messages ----------------------------------------------------------


def test_iso_2022_jp_headers_and_body() -> None:
    """ISO-2022-JP encoded words and body decode to Japanese."""
    result = message("mail-gem/multi_charset/japanese_iso_2022.eml")
    assert result.subject == "まみむめも"
    assert result.to == (Address("raasdnil@gmail.com", "みける"),)
    assert result.text == "すみません。"


def test_shift_jis_and_korean_bodies() -> None:
    """Shift_JIS and ks_c_5601-1987 (really cp949) bodies decode."""
    assert message("mail-gem/multi_charset/japanese_shift_jis.eml").text.startswith("あいうえお")
    assert message("mail-gem/multi_charset/ks_c_5601-1987.eml").text == "스티해"


def test_rfc6532_raw_utf8_headers() -> None:
    """Raw UTF-8 in headers becomes text; the address keeps its non-ASCII letters."""
    result = message("mail-gem/rfc6532/utf8_headers.eml")
    assert result.from_addr == Address("jdöe@mächine.example", "Jöhn Doe")
    assert result.to == (Address("märy@exämple.net", "Märy Smith"),)
    assert result.subject == "Säying Hello"


@pytest.mark.parametrize(
    ("relative", "filename", "content_type", "size"),
    [
        ("mail-gem/attachment_emails/attachment_pdf.eml", "broken.pdf", "application/pdf", 1026),
        (
            "mail-gem/attachment_emails/attachment_with_quoted_filename.eml",
            "Eelanalüüsi päring.jpg",
            "image/jpeg",
            1952,
        ),
        ("mail-gem/multi_charset/japanese_attachment.eml", "てすと.txt", "text/plain", 33),
        (
            "mail-gem/attachment_emails/attachment_nonascii_filename.eml",
            "ciële.txt",
            "text/plain",
            11,
        ),
    ],
)
def test_attachment_name_and_size(
    relative: str, filename: str, content_type: str, size: int
) -> None:
    """Attachment names are decoded (RFC 2047, RFC 2231, raw UTF-8) and bytes exact."""
    result = message(relative)
    assert [(a.filename, a.content_type, a.size) for a in result.attachments] == [
        (filename, content_type, size)
    ]


def test_pdf_attachment_bytes_are_exact() -> None:
    """The decoded PDF is byte for byte the base64 in the file."""
    result = message("mail-gem/attachment_emails/attachment_pdf.eml")
    (pdf,) = result.attachments
    assert pdf.data.startswith(b"%PDF-1.4")
    assert result.text.startswith("Just attaching another PDF")


def test_malformed_dates_give_none() -> None:
    """Unparseable Date headers give date None and a defect, not an exception."""
    for relative in (
        "mail-gem/plain_emails/raw_email_with_bad_date.eml",
        "mail-gem/error_emails/bad_date_header.eml",
        "mail-gem/error_emails/bad_date_header2.eml",
    ):
        result = message(relative)
        assert result.date is None
        assert "unparseable Date" in result.defects


def test_multipart_report() -> None:
    """A multipart/report DSN is a bounce with the original's id and no attachments."""
    result = message("mail-gem/multipart_report_emails/multipart_report_multiple_status.eml")
    assert result.auto_reason == "bounce: multipart/report"
    assert result.is_bounce
    assert result.bounced_ids == ("4c2a146147ac8_61ff157c4ec1652df@s.h.c.mail",)
    assert result.return_path == ""
    assert result.attachments == ()


def test_obsolete_header_syntax_is_mended() -> None:
    """RFC 2822 obsolete syntax (blanks before colons, comments in ids) still parses."""
    result = message("mail-gem/rfc2822/example13.eml")
    assert result.from_addr.addr == "jdoe@machine.example"
    assert result.subject == "Saying Hello"
    assert result.message_id == "1234@local.machine.example"
    assert result.date == datetime(1997, 11, 21, 15, 55, 6, tzinfo=UTC)


def test_garbage_header_line_does_not_hide_the_rest() -> None:
    """A broken line in the header block is dropped, the fields after it are kept."""
    result = message("mail-gem/plain_emails/raw_email_incorrect_header.eml")
    assert result.from_addr == Address("xxx@xxx.xxx", "xxx xxx")
    assert result.message_id == "4D6AA7EB.6490534@xxx.xxx"
    assert "malformed header line dropped" in result.defects


# --- small realistic messages built inline ----------------------------------------------


def mail(*headers: str, body: str | bytes = "Halo.\n", eol: bytes = b"\n") -> bytes:
    head = eol.join(h.encode("utf-8") for h in headers)
    data = body.encode("utf-8") if isinstance(body, str) else body
    return head + eol + eol + data.replace(b"\n", eol)


BASE = (
    "From: Budi Santoso <Budi.Santoso@Contoh.co.id>",
    "To: Helpdesk LPSE <lpse@batam.go.id>",
    "Date: Mon, 02 Nov 2026 10:00:00 +0700",
    "Message-ID: <CAB0001@mail.contoh.co.id>",
    "MIME-Version: 1.0",
)


def test_indonesian_subject_in_rfc2047() -> None:
    """A UTF-8 base64 subject split over two encoded words decodes with its en dash."""
    subject = "Permohonan reset password akun SPSE – Dinas PU"
    raw_subject = subject.encode("utf-8")
    first = base64.b64encode(raw_subject[:30]).decode()
    second = base64.b64encode(raw_subject[30:]).decode()
    raw = mail(
        *BASE,
        f"Subject: =?UTF-8?B?{first}?=\n =?UTF-8?B?{second}?=",
        "Content-Type: text/plain; charset=utf-8",
    )
    result = parse_message(raw)
    assert result.subject == subject
    assert result.from_addr == Address("budi.santoso@contoh.co.id", "Budi Santoso")
    assert result.date == datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    assert result.auto_reason is None


def test_malformed_encoded_words_do_not_crash() -> None:
    """Bad base64, unknown charsets and an unclosed word leave readable text."""
    raw = mail(*BASE, "Subject: =?utf-8?B?UGVybW9ob25hbg?= =?x-unknown?Q?caf=E9?= =?utf-8?Q?tail")
    assert parse_message(raw).subject == "Permohonancafé =?utf-8?Q?tail"


def test_pdf_attachment_with_rfc2231_filename() -> None:
    """An RFC 2231 continued, percent-encoded UTF-8 file name is decoded and kept."""
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    body = (
        "--b1\nContent-Type: text/plain; charset=utf-8\n\nTerlampir berita acara.\n"
        '--b1\nContent-Type: application/pdf; name="ba.pdf"\n'
        "Content-Disposition: attachment;\n"
        " filename*0*=utf-8''Berita%20Acara%20Evaluasi%20%E2%80%93;\n"
        " filename*1*=%20Paket%2012.pdf\n"
        "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(pdf).decode() + "--b1--\n"
    )
    raw = mail(*BASE, "Subject: BA", 'Content-Type: multipart/mixed; boundary="b1"', body=body)
    result = parse_message(raw)
    (attachment,) = result.attachments
    assert attachment.filename == "Berita Acara Evaluasi – Paket 12.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.data == pdf
    assert result.text == "Terlampir berita acara."


def test_broken_base64_attachment_is_decoded_leniently() -> None:
    """Missing padding and junk characters in base64 do not lose the data."""
    data = b"Laporan hasil evaluasi paket 12\n"
    encoded = base64.b64encode(data).decode().rstrip("=")
    body = (
        "--b\nContent-Type: text/plain\n\nLihat lampiran.\n--b\n"
        "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=../../etc/passwd\n"
        "Content-Transfer-Encoding: base64\n\n" + encoded[:10] + "!!\n" + encoded[10:] + "\n--b--\n"
    )
    raw = mail(*BASE, "Subject: x", "Content-Type: multipart/mixed; boundary=b", body=body)
    (attachment,) = parse_message(raw).attachments
    assert attachment.filename == "passwd"
    assert attachment.data == data


def test_html_only_body_becomes_readable_text() -> None:
    """An HTML-only message gives plain text without tags or styles; a link keeps its address."""
    html = (
        "<html><head><style>p{color:red}</style></head><body>"
        "<p>Yth. Helpdesk,</p><p>Saya tidak bisa <b>login</b> ke <a href='https://spse.x'>SPSE</a>."
        "<br>Mohon bantuan.</p><img src='cid:logo'>"
        "<div class='gmail_quote'>Pada Sen, 2 Nov 2026 pukul 09.00 LPSE &lt;lpse@batam.go.id&gt; menulis:"
        "<blockquote>Pesan lama</blockquote></div></body></html>"
    )
    raw = mail(*BASE, "Subject: Login", "Content-Type: text/html; charset=utf-8", body=html)
    result = parse_message(raw)
    assert result.text.startswith(
        "Yth. Helpdesk,\n\nSaya tidak bisa login ke SPSE <https://spse.x>.\nMohon bantuan."
    )
    assert "<p" not in result.text and "<b" not in result.text
    assert "> Pesan lama" in result.text
    assert result.new_text == "Yth. Helpdesk,\n\nSaya tidak bisa login ke SPSE <https://spse.x>.\nMohon bantuan."


def test_alternative_prefers_plain_text() -> None:
    """multipart/alternative gives the text/plain part, not the HTML one."""
    body = (
        "--a\nContent-Type: text/plain; charset=utf-8\n\nTeks biasa.\n"
        "--a\nContent-Type: text/html; charset=utf-8\n\n<p>Teks <b>HTML</b></p>\n--a--\n"
    )
    raw = mail(*BASE, "Subject: x", "Content-Type: multipart/alternative; boundary=a", body=body)
    result = parse_message(raw)
    assert result.text == "Teks biasa."
    assert result.attachments == ()


def test_unknown_8bit_charset() -> None:
    """`charset=unknown-8bit` falls back to UTF-8, then windows-1252, never raising."""
    utf8 = mail(
        *BASE,
        "Subject: x",
        "Content-Type: text/plain; charset=unknown-8bit",
        body="Dokumen – sudah dikirim".encode(),
    )
    assert parse_message(utf8).text == "Dokumen – sudah dikirim"
    latin = mail(
        *BASE,
        "Subject: x",
        "Content-Type: text/plain; charset=unknown-8bit",
        body=b"Caf\xe9 \x96 tutup",
    )
    assert parse_message(latin).text == "Café – tutup"


def test_lying_charset() -> None:
    """Bytes that are not valid in the declared charset still give text and a note."""
    raw = mail(
        *BASE, "Subject: x", "Content-Type: text/plain; charset=shift_jis", body=b"\x81\x20\x82 ok"
    )
    result = parse_message(raw)
    assert result.text.endswith(" ok")
    assert any("decoded as" in d for d in result.defects)


def test_missing_message_id_gives_stable_synthetic_id() -> None:
    """Without a Message-ID the id is derived from the raw bytes: stable and flagged."""
    headers = [h for h in BASE if not h.startswith("Message-ID")]
    raw = mail(*headers, "Subject: tanpa id")
    first, again = parse_message(raw), parse_message(raw)
    digest = hashlib.sha256(raw).hexdigest()[:32]
    assert first.message_id == again.message_id == f"synthetic-{digest}@mailbot.invalid"
    assert first.synthetic_id
    assert parse_message(raw + b"x").message_id != first.message_id
    garbage = parse_message(mail(*headers, "Message-ID:   <>", "Subject: y"))
    assert garbage.synthetic_id


def test_message_id_and_threading_headers_are_lenient() -> None:
    """Ids lose brackets and blanks; In-Reply-To/References accept bare and comma lists."""
    raw = mail(
        "From: staf@batam.go.id",
        "Message-ID:  <  abc@x.id >  ",
        "In-Reply-To: <mb.1.sig@batam.go.id> (Budi's message of Mon)",
        "References: <a@x> b@y,\n  <c@z>, c@z",
    )
    result = parse_message(raw)
    assert result.message_id == "abc@x.id"
    assert result.in_reply_to == ("mb.1.sig@batam.go.id",)
    assert result.references == ("a@x", "b@y", "c@z")
    assert result.cited_ids == ("mb.1.sig@batam.go.id", "c@z", "b@y", "a@x")


def test_auto_submitted_no_is_human() -> None:
    """`Auto-Submitted: no` is how a human message says it is not automatic."""
    raw = mail(*BASE, "Subject: Tanya jadwal", "Auto-Submitted: no")
    assert parse_message(raw).auto_reason is None
    auto = mail(*BASE, "Subject: Re: Tanya", "Auto-Submitted: auto-replied (vacation)")
    assert parse_message(auto).auto_reason == "auto-submitted: auto-replied"


def test_addresses_and_auth_results() -> None:
    """Cc, Reply-To and every Authentication-Results header, topmost first."""
    raw = mail(
        "Authentication-Results: mx.batam.go.id; dmarc=pass header.from=contoh.co.id",
        "Authentication-Results: other.example;\n spf=fail",
        *BASE,
        "Cc: =?utf-8?Q?Sari_Dewi?= <SARI@dinas.go.id>, undisclosed-recipients:;",
        'Reply-To: "Budi, S.T." <budi@contoh.co.id>',
        "Return-Path: <Bounce@Contoh.co.id>",
        "Subject: x",
    )
    result = parse_message(raw)
    assert result.auth_results == (
        "mx.batam.go.id; dmarc=pass header.from=contoh.co.id",
        "other.example; spf=fail",
    )
    assert result.cc == (Address("sari@dinas.go.id", "Sari Dewi"),)
    assert result.reply_to == (Address("budi@contoh.co.id", "Budi, S.T."),)
    assert result.return_path == "bounce@contoh.co.id"


def test_missing_from_gives_empty_address() -> None:
    """No usable From is not an error here; the daemon quarantines it."""
    raw = mail("To: lpse@batam.go.id", "Subject: tanpa pengirim", "From: (tidak ada)")
    result = parse_message(raw)
    assert result.from_addr == Address("")
    assert "missing or unparseable From" in result.defects


def test_forwarded_message_is_an_attachment_outside_bounces() -> None:
    """A message/rfc822 part of a human message becomes `forwarded.eml`."""
    inner = "From: a@b.c\nSubject: asli\nMessage-ID: <inner@b.c>\n\nIsi asli.\n"
    body = f"--f\nContent-Type: text/plain\n\nLihat terlampir.\n--f\nContent-Type: message/rfc822\n\n{inner}--f--\n"
    raw = mail(*BASE, "Subject: Fwd: asli", "Content-Type: multipart/mixed; boundary=f", body=body)
    result = parse_message(raw)
    (attachment,) = result.attachments
    assert attachment.filename == "forwarded.eml"
    assert b"Message-ID: <inner@b.c>" in attachment.data
    assert result.text == "Lihat terlampir."
    assert not result.is_bounce and result.bounced_ids == ()


def test_inline_image_without_name_gets_a_fallback_name() -> None:
    """Non-text leaves are attachments; a nameless one is named from its type."""
    body = (
        "--r\nContent-Type: text/plain\n\nSkrinsut terlampir.\n"
        "--r\nContent-Type: image/png\nContent-Disposition: inline\nContent-Transfer-Encoding: base64\n\n"
        + base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
        + "\n--r--\n"
    )
    raw = mail(*BASE, "Subject: x", "Content-Type: multipart/related; boundary=r", body=body)
    (image,) = parse_message(raw).attachments
    assert (image.filename, image.content_type, image.data) == (
        "attachment-1.png",
        "image/png",
        b"\x89PNG\r\n\x1a\n",
    )


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_line_endings_inline(eol: bytes) -> None:
    """LF, CRLF and CR-only messages give the same fields and LF text."""
    raw = mail(*BASE, "Subject: Akun", body="Baris satu\nBaris dua\n", eol=eol)
    result = parse_message(raw)
    assert result.subject == "Akun"
    assert result.message_id == "CAB0001@mail.contoh.co.id"
    assert result.text == "Baris satu\nBaris dua"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "empty"),
        (b"hello, this is not mail\n", "not a mail"),
        (b"\x00\xff\xfe garbage", "not a mail"),
        (b"X-Foo: bar\n\nbody\n", "no mail header fields"),
    ],
)
def test_not_mail_is_refused(raw: bytes, reason: str) -> None:
    """Input that is not a mail message raises BadMessageError with a one-line reason."""
    with pytest.raises(BadMessageError, match=reason) as caught:
        parse_message(raw)
    assert "\n" not in str(caught.value)


def test_size_caps() -> None:
    """Messages over max_size and header blocks over max_header_bytes are refused."""
    raw = mail(*BASE, "Subject: besar", body="x" * 2000)
    with pytest.raises(BadMessageError, match="over the 1000-byte limit"):
        parse_message(raw, max_size=1000)
    long_header = mail(*BASE, "X-Junk: " + "a" * 5000, "Subject: x")
    with pytest.raises(BadMessageError, match="header block is over 4096 bytes"):
        parse_message(long_header, max_header_bytes=4096)
    assert parse_message(long_header).subject == "x"


def test_parts_are_counted_by_the_boundary_as_declared_in_any_case_of_the_parameter() -> None:
    """SPEC 9's part cap: `BOUNDARY=` counts as `boundary=`, its value is case-sensitive
    (RFC 2046), and so is what the delimiter lines must match."""
    many = "".join(f"--MiXeD\nContent-Type: text/plain\n\nbagian {i}\n" for i in range(501)) + "--MiXeD--\n"
    with pytest.raises(RefusedMessageError, match="more than 500 MIME parts"):
        parse_message(mail(*BASE, "Subject: x", 'Content-Type: multipart/mixed; BOUNDARY="MiXeD"', body=many))
    other_case = many.replace("--MiXeD", "--mixed")
    parsed = parse_message(mail(*BASE, "Subject: x", 'Content-Type: multipart/mixed; BOUNDARY="MiXeD"',
                                body=other_case))
    assert parsed.message_id  # no part of it is a part of that multipart: nothing to refuse
    embedded = "".join(f"--b\nCONTENT-TYPE: Message/RFC822\n\nSubject: {i}\n\nisi\n" for i in range(101))
    with pytest.raises(RefusedMessageError, match="101 embedded messages"):
        parse_message(mail(*BASE, "Subject: x", "Content-Type: multipart/mixed; boundary=b", body=embedded + "--b--\n"))


def test_deeply_nested_multiparts_do_not_explode() -> None:
    """Hundreds of nested multiparts give a defect, not a crash or recursion error."""
    depth = 300
    parts = "".join(
        f"--b{i}\nContent-Type: multipart/mixed; boundary=b{i + 1}\n\n" for i in range(depth)
    )
    closing = "".join(f"--b{i}--\n" for i in reversed(range(depth)))
    body = parts + f"--b{depth}\nContent-Type: text/plain\n\ndeep\n--b{depth}--\n" + closing
    raw = mail(*BASE, "Subject: x", "Content-Type: multipart/mixed; boundary=b0", body=body)
    try:
        result = parse_message(raw)
    except BadMessageError:
        return
    assert any("nesting" in d for d in result.defects)

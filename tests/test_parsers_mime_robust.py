"""Mail as the world writes it, for the robust MIME reading (SPEC 5, SPEC 9): a bare
MAILER-DAEMON, a line above the header block, a boundary at a line start, raw 8-bit
headers with no charset, and ISO-2022-JP with the Windows extensions. Pure.

Every expected value is the text the writer typed, spelt out here."""

from __future__ import annotations

import base64

import pytest

from mailbot.errors import BadMessageError
from mailbot.parsers import parse_message

PLAIN = b"From: Budi <budi@cvmaju.test>\r\nTo: lpse@lpse.test\r\nSubject: Tidak bisa login\r\n" \
        b"Message-ID: <m1@cvmaju.test>\r\n\r\nSaya tidak bisa login SPSE.\r\n"


def test_a_bounce_from_a_bare_mailer_daemon_is_a_bounce():
    raw = (b"From: MAILER-DAEMON\r\nTo: lpse@lpse.test\r\nSubject: Returned mail: see transcript for details\r\n"
           b"Message-ID: <b1@mx.test>\r\n\r\n----- The following addresses had permanent fatal errors -----\r\n"
           b"<pokja@lpse.test>\r\n    (reason: 550 5.1.1 User unknown)\r\n")
    msg = parse_message(raw)
    assert msg.is_bounce and msg.is_automatic


@pytest.mark.parametrize("lead", [b"=====\r\n", b"Microsoft Mail Internet Headers Version 2.0\r\n",
                                  b">From budi@cvmaju.test Mon Nov  2 10:00:00 2026\r\n", b"\xef\xbb\xbf",
                                  b"-----\r\n\r\n"])
def test_a_line_above_the_header_block_is_dropped(lead):
    msg = parse_message(lead + PLAIN)
    assert (msg.from_addr.addr, msg.subject, msg.new_text) == ("budi@cvmaju.test", "Tidak bisa login",
                                                                "Saya tidak bisa login SPSE.")


def test_text_with_no_header_block_under_its_first_lines_is_still_no_mail():
    with pytest.raises(BadMessageError, match="not a mail"):
        parse_message(b"Catatan rapat\r\nSubject: bukan surel\r\n\r\nisi\r\n")


def _multipart(content_type: bytes) -> bytes:
    return (b"From: Budi <budi@cvmaju.test>\r\nTo: lpse@lpse.test\r\nSubject: Dokumen\r\n"
            b"Message-ID: <m2@cvmaju.test>\r\n"
            b"MIME-Version: 1.0\r\n" + content_type + b"\r\n\r\n--XYZ\r\n"
            b"Content-Type: text/plain;\r\ncharset=\"utf-8\"\r\n\r\n"
            b"Terlampir dokumen penawaran.\r\n--XYZ\r\nContent-Type: application/pdf;\r\nname=\"penawaran.pdf\"\r\n"
            b"Content-Disposition: attachment;\r\nfilename=\"penawaran.pdf\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.b64encode(b"%PDF-1.4 isi") + b"\r\n--XYZ--\r\n")


@pytest.mark.parametrize("content_type", [b"Content-Type: multipart/mixed;\r\nboundary=\"XYZ\"",
                                          b"Content-Type: multipart/mixed;\r\ncharset=us-ascii;\r\nboundary=XYZ",
                                          b"Content-type: multipart/mixed;\r\n\tcharset=us-ascii;\r\nBoundary=\"XYZ\""])
def test_a_boundary_at_the_line_start_still_opens_the_parts(content_type):
    msg = parse_message(_multipart(content_type))
    assert msg.new_text == "Terlampir dokumen penawaran."
    assert [(a.filename, a.data) for a in msg.attachments] == [("penawaran.pdf", b"%PDF-1.4 isi")]


def test_a_body_line_that_looks_like_a_parameter_is_left_alone():
    raw = PLAIN.replace(b"Saya tidak bisa login SPSE.\r\n", b"Konfigurasi saya:\r\nname=budi\r\n")
    assert parse_message(raw).new_text == "Konfigurasi saya:\nname=budi"


@pytest.mark.parametrize(("name", "subject", "charset"), [
    ("山田 太郎", "見積書の送付について", "shift_jis"),
    ("山田", "日本語の件名です", "euc_jp"),
    ("Иванов Иван", "Ошибка загрузки документа", "koi8-r"),
    ("Смирнова Ольга", "Запрос на сброс пароля", "cp1251"),
    ("王小明", "关于投标文件的问题", "gb18030"),
    ("김철수", "비밀번호 재설정 요청", "cp949"),
    ("José Müller", "Sanggahan “déjà vu” – dokumen", "cp1252"),
    ("Łukasz Wiśniewski", "Zażółć gęślą jaźń", "cp1250"),
])
def test_raw_8bit_headers_without_a_charset_are_read_in_the_charset_they_were_written_in(name, subject, charset):
    raw = (f"From: {name} <x@vendor.test>\r\nTo: lpse@lpse.test\r\nSubject: {subject}\r\n"
           "Message-ID: <m3@vendor.test>\r\n\r\nIsi.\r\n").encode(charset)
    msg = parse_message(raw)
    assert (msg.from_addr.name, msg.subject) == (name, subject)


def test_raw_8bit_headers_are_read_in_the_body_s_charset_first():
    """A short name written in Shift_JIS, ambiguous alone, is read as the body declares."""
    raw = ("From: 鈴木一郎 <suzuki@vendor.test>\r\nTo: lpse@lpse.test\r\nSubject: 見積依頼\r\n"
           "Message-ID: <m4@vendor.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=Shift_JIS\r\n\r\n"
           "よろしくお願いします。\r\n").encode("cp932")
    msg = parse_message(raw)
    assert (msg.from_addr.name, msg.subject, msg.new_text) == ("鈴木一郎", "見積依頼", "よろしくお願いします。")


# ①, ㈱ (NEC row 13) and 髙 (IBM) as Outlook writes them under the ISO-2022-JP label.
_NEC_IBM = b"\x1b$B-!-j\x1b(B \x1b$B|b\x1b(B"  # JIS 2D21 2D6A, and 7C62 (NEC-selected IBM)
_NEC_IBM_TEXT = "①㈱ 髙"


def test_iso_2022_jp_with_the_windows_extensions_is_read():
    word = b"=?ISO-2022-JP?B?" + base64.b64encode(_NEC_IBM) + b"?="
    raw = (b"From: tanaka@vendor.test\r\nTo: lpse@lpse.test\r\nSubject: " + word
           + b"\r\nMessage-ID: <m5@vendor.test>\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n" + _NEC_IBM
           + b" \x1b$BF|K\\\x1b(B\r\n")
    msg = parse_message(raw)
    assert (msg.subject, msg.new_text) == (_NEC_IBM_TEXT, _NEC_IBM_TEXT + " 日本")


def test_raw_iso_2022_jp_in_a_header_is_read():
    raw = (b"From: tanaka@vendor.test\r\nTo: lpse@lpse.test\r\nSubject: " + _NEC_IBM
           + b"\r\nMessage-ID: <m6@vendor.test>\r\n\r\nIsi.\r\n")
    assert parse_message(raw).subject == _NEC_IBM_TEXT

"""Crafted messages of the red team, built by hand: what the bench measures and the
tests send through real servers. Each is a message a stranger can send to the unit."""

from __future__ import annotations

import base64
import struct

from tests.tnefbuild import LEVEL_MESSAGE, _attribute, winmail

REQUESTER = "budi@vendor.test"
UNIT = "lpse@lpse.test"


def _head(subject: str, mid: str, ctype: str, sender: str = REQUESTER) -> bytes:
    return (f"From: {sender}\r\nTo: {UNIT}\r\nSubject: {subject}\r\nMessage-ID: <{mid}@vendor.test>\r\n"
            f"Date: Tue, 24 Nov 2026 09:00:00 +0700\r\nMIME-Version: 1.0\r\nContent-Type: {ctype}\r\n\r\n").encode()


def padded_winmail(attributes: int) -> bytes:
    """A readable winmail.dat (one PDF inside) padded with `attributes` one-byte attributes."""
    stream = winmail([("panduan.pdf", b"%PDF-1.4 panduan")])
    pad = _attribute(LEVEL_MESSAGE, 0x8008, 0x0001, b"x")  # attSubject, one byte
    return stream + pad * attributes


def tnef_mail(*attribute_counts: int, mid: str = "tnef") -> bytes:
    """A mail with one `application/ms-tnef` attachment per count, each padded that much."""
    parts = b"".join(
        b"--T\r\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename=\"winmail.dat\"\r\n\r\n"
        + base64.encodebytes(padded_winmail(n)).replace(b"\n", b"\r\n") + b"\r\n"
        for n in attribute_counts)
    body = b"--T\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDokumen terlampir.\r\n" + parts + b"--T--\r\n"
    return _head("Dokumen winmail", mid, 'multipart/mixed; boundary="T"') + body


def nested_tnef_mail(copies: int, mid: str = "tnefnest") -> bytes:
    """A winmail.dat carrying `copies` further TNEF streams inside its files (attached messages)."""
    inner = winmail([("a.txt", b"isi")])
    stream = winmail([(f"pesan{i}.dat", inner) for i in range(copies)])
    encoded = base64.encodebytes(stream).replace(b"\n", b"\r\n")
    body = (b"--T\r\nContent-Type: text/plain\r\n\r\nTerlampir.\r\n--T\r\nContent-Type: application/ms-tnef\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"\r\n--T--\r\n")
    return _head("Pesan bertingkat", mid, 'multipart/mixed; boundary="T"') + body


def unclosed_tags_mail(megabytes: float, mid: str = "unclosed") -> bytes:
    """A one-line HTML body of unclosed tags (`<a <b <i ` repeated), sent 8-bit."""
    html = b"<a <b <i " * int(megabytes * 2**20 / 9)
    return _head("Mohon bantuan", mid, "text/html; charset=utf-8") + html + b"\r\n"


def unclosed_comments_mail(megabytes: float, mid: str = "comments") -> bytes:
    """HTML of unclosed comments and declarations, the other kind of markup a parser waits on."""
    html = b"<p>Halo</p><!-- <![CDATA[ <!x " * int(megabytes * 2**20 / 30)
    return _head("Mohon bantuan", mid, "text/html; charset=utf-8") + html + b"\r\n"


def long_line_mail(megabytes: float, mid: str = "longline") -> bytes:
    """A plain-text body of one line with no break, sent 8-bit."""
    text = b"kata " * int(megabytes * 2**20 / 5)
    return _head("Mohon bantuan", mid, "text/plain; charset=utf-8") + text + b"\r\n"


def nested_rfc822_mail(depth: int, mid: str = "nested") -> bytes:
    """Messages forwarded inside each other `depth` deep."""
    inner = b"From: a@b.test\r\nSubject: dalam\r\nContent-Type: text/plain\r\n\r\nisi\r\n"
    for level in range(depth):
        inner = (f"From: a{level}@b.test\r\nSubject: lapis {level}\r\nMIME-Version: 1.0\r\n"
                 f"Content-Type: message/rfc822\r\n\r\n").encode() + inner
    return (_head("Terusan", mid, 'multipart/mixed; boundary="N"')
            + b"--N\r\nContent-Type: text/plain\r\n\r\nTerusan.\r\n--N\r\nContent-Type: message/rfc822\r\n\r\n"
            + inner + b"\r\n--N--\r\n")


def many_rfc822_mail(count: int, mid: str = "manyeml") -> bytes:
    """`count` forwarded messages side by side, each with an HTML body."""
    one = (b"--N\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@b.test\r\nSubject: x\r\n"
           b"Content-Type: text/html\r\n\r\n<p>isi</p>\r\n")
    return (_head("Banyak terusan", mid, 'multipart/mixed; boundary="N"')
            + b"--N\r\nContent-Type: text/plain\r\n\r\nTerusan.\r\n" + one * count + b"--N--\r\n")


def many_mapi_properties_mail(mid: str = "mapi") -> bytes:
    """A winmail.dat whose MAPI property block claims four billion properties."""
    props = _attribute(LEVEL_MESSAGE, 0x9003, 0x0006, struct.pack("<I", 0xFFFFFFFF) + bytes(8))
    stream = winmail([("a.pdf", b"%PDF")]) + props
    encoded = base64.encodebytes(stream).replace(b"\n", b"\r\n")
    return (_head("Properti", mid, 'multipart/mixed; boundary="T"')
            + b"--T\r\nContent-Type: text/plain\r\n\r\nTerlampir.\r\n--T\r\nContent-Type: application/ms-tnef\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"\r\n--T--\r\n")

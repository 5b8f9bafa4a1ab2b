"""Outlook's winmail.dat (TNEF) is opened into its files (seed 003: the requester's and
LKPP's documents must be readable by whoever receives them)."""

from __future__ import annotations

from email.message import EmailMessage

from mailbot.parsers.mime import parse_message
from tests.tnefbuild import winmail

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 2


def outlook_rtf(text: str, tnef: bytes, *, subtype: str = "ms-tnef", filename: str = "winmail.dat") -> bytes:
    """Outlook in Rich Text mode through Exchange: the text part, then winmail.dat."""
    msg = EmailMessage()
    msg["From"] = "Andi <andi@batam.go.id>"
    msg["To"] = "lpse@batam.go.id"
    msg["Subject"] = "RE: [LPSE-BTM #2026-00042] Akun terkunci"
    msg["Message-ID"] = "<rtf-1@batam.go.id>"
    if text:
        msg.set_content(text)
    msg.add_attachment(tnef, maintype="application", subtype=subtype, filename=filename)
    return msg.as_bytes()


def test_the_files_inside_winmail_dat_are_the_attachments():
    raw = outlook_rtf("Pak Budi, panduan dan tangkapan layar terlampir.",
                      winmail([("Panduan Reset Password.pdf", PDF), ("layar error.png", PNG)]))
    msg = parse_message(raw)
    assert [(a.filename, a.content_type, a.data) for a in msg.attachments] == [
        ("Panduan Reset Password.pdf", "application/pdf", PDF),
        ("layar error.png", "image/png", PNG),
    ]
    assert msg.text.startswith("Pak Budi, panduan dan tangkapan layar terlampir.")


def test_winmail_dat_by_its_name_alone_is_opened_too():
    """Some gateways label it application/octet-stream: Outlook's file name is enough."""
    raw = outlook_rtf("Terlampir.", winmail([("Surat Kuasa.pdf", PDF)]), subtype="octet-stream")
    assert [a.filename for a in parse_message(raw).attachments] == ["Surat Kuasa.pdf"]


def test_a_winmail_dat_with_the_text_alone_gives_the_text():
    raw = outlook_rtf("", winmail([], body="Mohon dibantu, akun saya terkunci."))
    msg = parse_message(raw)
    assert msg.text.strip() == "Mohon dibantu, akun saya terkunci."
    assert msg.attachments == ()


def test_a_winmail_dat_that_cannot_be_read_stays_as_it_came():
    """Nothing is lost: a damaged stream, or one with nothing inside, is passed on unopened."""
    broken = b"\x78\x9f\x3e\x22\x01\x00" + bytes(range(200))
    for data in (broken, b"not a TNEF stream at all"):
        msg = parse_message(outlook_rtf("Terlampir.", data))
        assert [(a.filename, a.data) for a in msg.attachments] == [("winmail.dat", data)]


def test_a_dangerous_name_inside_winmail_dat_is_made_safe():
    msg = parse_message(outlook_rtf("Terlampir.", winmail([("..\\..\\Windows\\laporan.pdf\u202egpj.exe", PDF)])))
    (only,) = msg.attachments
    assert "\\" not in only.filename and "/" not in only.filename and "\u202e" not in only.filename
    assert only.data == PDF

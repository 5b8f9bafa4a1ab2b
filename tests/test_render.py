"""Outgoing mail: headers built by code, no injection, threading headers."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from mailbot.io.render import Renderer, clean_header, deliverable


def build(subject: str, from_name: str = "Helpdesk LPSE Kota Batam") -> email.message.EmailMessage:
    out = Renderer().build(
        kind="staff_reply", language="id",
        context={"text": "Silakan coba lagi.", "unit": "Helpdesk", "unit_address": "lpse@batam.go.id",
                 "number": "2026-00001"},
        from_name=from_name, from_addr="lpse@batam.go.id", to=["budi@vendor.test"], subject=subject,
        message_id="mb.btm.2026-00001.staff_reply.0123456789.abcdefghijklmnop@batam.go.id",
        in_reply_to="orig@vendor.test", references=["first@vendor.test", "orig@vendor.test"],
        date=datetime(2026, 11, 23, 3, 0, tzinfo=UTC), auto=None,
    )
    return email.message_from_bytes(out.raw, policy=email.policy.default)  # type: ignore[return-value]


def test_subject_cannot_inject_headers():
    """A decoded subject with line breaks stays one header; no Bcc appears."""
    msg = build("[LPSE-BTM #2026-00001] Halo\r\nBcc: evil@attacker.test\r\n\r\nbody")
    assert msg["Bcc"] is None
    assert "\n" not in str(msg["Subject"]) and "Bcc: evil" in str(msg["Subject"])
    assert list(msg.keys()).count("Subject") == 1


def test_display_name_cannot_inject():
    """The display name is cleaned the same way."""
    msg = build("x", from_name="Helpdesk\r\nBcc: evil@attacker.test")
    assert msg["Bcc"] is None and msg["From"].addresses[0].addr_spec == "lpse@batam.go.id"


def test_threading_and_reply_to():
    """In-Reply-To, References, Reply-To and the Message-ID are set by code."""
    msg = build("[LPSE-BTM #2026-00001] Akun terkunci")
    assert msg["In-Reply-To"] == "<orig@vendor.test>"
    assert msg["References"].split() == ["<first@vendor.test>", "<orig@vendor.test>"]
    assert msg["Reply-To"].addresses[0].addr_spec == "lpse@batam.go.id"
    assert msg["Auto-Submitted"] is None  # a human answer, not automatic


def test_non_ascii_subject_round_trips_without_doubled_spaces():
    """RFC 2047 subjects read back exactly as written."""
    subject = "[LPSE-BTM #2026-00001] Permohonan reset kata sandi akun SPSE – Dinas Pekerjaan Umum dan Penataan Ruang"
    assert str(build(subject)["Subject"]) == subject


def test_clean_header_and_deliverable():
    """Control characters become spaces; only ASCII addr-specs are written to To/Cc."""
    assert clean_header("a\x00b\r\nc\td") == "a b c d"
    assert deliverable("budi@vendor.test")
    assert not deliverable("bad@@x.test") and not deliverable("bü@x.test") and not deliverable("nobody")


@pytest.mark.parametrize(("ctype", "name", "sent_as"), [
    ("image/svg+xml", "logo.svg", "application/octet-stream"),
    ("application/xhtml+xml", "page.xhtml", "application/octet-stream"),
    ("text/html", "laporan.html", "application/octet-stream"),
    ("application/xml", "data.xml", "application/octet-stream"),
    ("application/javascript", "a.js", "application/octet-stream"),
    ("application/rss+xml", "feed", "application/octet-stream"),
    ("image/png", "trick.svg", "application/octet-stream"),  # the name decides for many clients
    ("image/png", "bukti.png", "image/png"),
    ("application/pdf", "NIB.pdf", "application/pdf"),
])
def test_active_attachments_go_out_as_opaque_bytes(ctype, name, sent_as):
    """SPEC 9: anything a client could render or run actively reaches staff as octet-stream."""
    from mailbot.core.model import Attachment
    from mailbot.io.render import attachment_type

    assert "/".join(attachment_type(Attachment(name, ctype, b"<svg onload=alert(1)>"))) == sent_as


# --- big files: written into the finished bytes (memory), the same mail as before ------------


def build_with(files: list[tuple[str, str, bytes]]) -> bytes:
    from mailbot.core.model import Attachment

    return Renderer().build(
        kind="staff_reply", language="id",
        context={"text": "Terlampir.", "unit": "Helpdesk", "unit_address": "lpse@batam.go.id", "number": "2026-00001"},
        from_name="Helpdesk", from_addr="lpse@batam.go.id", to=["budi@vendor.test"], subject="Dokumen",
        message_id="m1@batam.go.id", in_reply_to=None, references=[], date=datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
        auto=None, attachments=[Attachment(filename=n, content_type=t, data=d) for n, t, d in files],
    ).raw


def test_a_big_file_goes_out_as_the_same_mail_a_small_one_would():
    """Files from 64 KB on are spliced into the serialised bytes instead of built into the
    MIME tree: the mail reads the same (every file's bytes, CRLF lines of at most 78)."""
    import random

    from mailbot.io import render

    rng = random.Random(5)
    files = [("a.pdf", "application/pdf", rng.randbytes(1_000_003)), ("b.txt", "text/plain", b"baris\n" * 30_000),
             ("c.png", "image/png", rng.randbytes(100))]
    spliced = build_with(files)
    assert render.SPLICE_FROM <= 180_000  # b.txt and a.pdf spliced, c.png built in
    msg = email.message_from_bytes(spliced, policy=email.policy.default)
    got = [(p.get_filename(), p.get_content_type(), p.get_content()) for p in msg.iter_attachments()]
    assert got == [("a.pdf", "application/pdf", files[0][2]), ("b.txt", "application/octet-stream", files[1][2]),
                   ("c.png", "image/png", files[2][2])]
    lines = spliced.split(b"\r\n")
    assert b"\n" not in spliced.replace(b"\r\n", b"") and max(len(line) for line in lines) <= 78
    assert b"mailbot-splice-" not in spliced


def test_splicing_changes_no_byte_of_the_mail(monkeypatch):
    """Against the MIME tree serialised whole (boundaries aside): byte for byte the same."""
    import re

    from mailbot.io import render

    files = [("a.zip", "application/zip", bytes(range(256)) * 1000)]
    spliced = build_with(files)
    monkeypatch.setattr(render, "SPLICE_FROM", 10**12)
    whole = build_with(files)
    boundary = re.compile(rb"=+\d+==")
    assert boundary.sub(b"B", spliced) == boundary.sub(b"B", whole)

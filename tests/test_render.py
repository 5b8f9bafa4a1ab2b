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

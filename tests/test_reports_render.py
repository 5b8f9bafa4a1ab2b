"""The renderer's multipart/related support for HTML mail with inline images."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

from mailbot.io.render import Renderer
from mailbot.model import Attachment, InlineImage

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def test_inline_images_make_the_html_part_multipart_related(tmp_path):
    """HTML + cid: images -> alternative(text, related(html, images)); files stay attachments."""
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "picture.txt").write_text("Teks {{ unit }}")
    (tmp_path / "id" / "picture.html").write_text('<p>{{ unit }}</p><img src="cid:{{ cid }}">')
    out = Renderer(tmp_path).build(
        kind="picture", language="id", context={"unit": "Helpdesk", "cid": "chart.2026-11.t@lpse.test"},
        from_name="Helpdesk", from_addr="lpse@lpse.test", to=["kepala@lpse.test"], subject="Ringkasan",
        message_id="m1@lpse.test", in_reply_to=None, references=[], date=datetime(2026, 12, 1, tzinfo=UTC),
        auto="auto-generated", inline=[InlineImage("chart.2026-11.t@lpse.test", "chart.png", "image/png", PNG)],
        attachments=[Attachment("rekap.xlsx", "application/vnd.ms-excel", b"PK\x03\x04")],
    )
    msg = email.message_from_bytes(out.raw, policy=email.policy.default)
    layout = [(part.get_content_type(), part.get("Content-ID")) for part in msg.walk()]
    assert layout == [
        ("multipart/mixed", None),
        ("multipart/alternative", None),
        ("text/plain", None),
        ("multipart/related", None),
        ("text/html", None),
        ("image/png", "<chart.2026-11.t@lpse.test>"),
        ("application/vnd.ms-excel", None),
    ]
    image = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    assert image.get_content() == PNG and image.get_content_disposition() == "inline"
    assert msg["Auto-Submitted"] == "auto-generated"


def test_without_inline_images_nothing_changes(tmp_path):
    """Mail without inline images keeps its multipart/alternative shape."""
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "plain.txt").write_text("Teks")
    (tmp_path / "id" / "plain.html").write_text("<p>Teks</p>")
    out = Renderer(tmp_path).build(
        kind="plain", language="id", context={}, from_name="Helpdesk", from_addr="lpse@lpse.test",
        to=["kepala@lpse.test"], subject="s", message_id="m2@lpse.test", in_reply_to=None, references=[],
        date=datetime(2026, 12, 1, tzinfo=UTC), auto=None)
    msg = email.message_from_bytes(out.raw, policy=email.policy.default)
    assert [p.get_content_type() for p in msg.walk()] == ["multipart/alternative", "text/plain", "text/html"]

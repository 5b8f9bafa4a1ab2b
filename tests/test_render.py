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


def test_an_internationalised_domain_is_written_in_its_ascii_form():
    """A requester at an IDN domain still gets the ack: SMTP without SMTPUTF8 carries the
    domain as IDNA; a non-ASCII local part cannot be carried and stays undeliverable."""
    from mailbot.core.recipients import ascii_domain

    assert ascii_domain("budi@bücher.test") == "budi@xn--bcher-kva.test"
    assert deliverable(ascii_domain("budi@bücher.test"))
    assert ascii_domain("budi@vendor.test") == "budi@vendor.test"
    assert not deliverable(ascii_domain("bü@x.test"))


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
    from mailbot.io.render import attachment_type
    from mailbot.model import Attachment

    assert "/".join(attachment_type(Attachment(name, ctype, b"<svg onload=alert(1)>"))) == sent_as


# --- big files: written into the finished bytes (memory), the same mail as before ------------


def build_with(files: list[tuple[str, str, bytes]]) -> bytes:
    from mailbot.model import Attachment

    return Renderer().build(
        kind="staff_reply", language="id",
        context={"text": "Terlampir.", "unit": "Helpdesk", "unit_address": "lpse@batam.go.id", "number": "2026-00001"},
        from_name="Helpdesk", from_addr="lpse@batam.go.id", to=["budi@vendor.test"], subject="Dokumen",
        message_id="m1@batam.go.id", in_reply_to=None, references=[], date=datetime(2026, 11, 23, 3, 0, tzinfo=UTC),
        auto=None, attachments=[Attachment(filename=n, content_type=t, data=d) for n, t, d in files],
    ).raw


def test_big_and_small_files_go_out_whole_in_lines_of_at_most_78():
    """Every file's bytes arrive as they were, big or small; CRLF lines of at most 78."""
    import random

    rng = random.Random(5)
    files = [("a.pdf", "application/pdf", rng.randbytes(1_000_003)), ("b.txt", "text/plain", b"baris\n" * 30_000),
             ("c.png", "image/png", rng.randbytes(100)), ("empty.bin", "application/octet-stream", b"")]
    raw = build_with(files)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    got = [(p.get_filename(), p.get_content_type(), p.get_content()) for p in msg.iter_attachments()]
    assert got == [("a.pdf", "application/pdf", files[0][2]), ("b.txt", "application/octet-stream", files[1][2]),
                   ("c.png", "image/png", files[2][2]), ("empty.bin", "application/octet-stream", b"")]
    lines = raw.split(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"") and max(len(line) for line in lines) <= 78


def test_text_html_inline_images_and_files_read_back_as_a_mail_client_reads_them(tmp_path):
    """The whole MIME tree (SPEC 2): text/plain and HTML as alternatives, the HTML's cid:
    images beside it, files around; no part the email package finds a defect in."""
    from mailbot.model import Attachment, InlineImage

    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "note.txt").write_text("Baris satu  \n{{ text }}\n.\nFrom baris\n" + "panjang " * 30 + "\n")
    (tmp_path / "id" / "note.html").write_text('<p>{{ text }}</p><img src="cid:logo@x">\n')
    text = "Catatan: harga = Rp 5.000 – naïve café ✓"
    raw = Renderer(tmp_path).build(
        kind="note", language="id", context={"text": text}, from_name="Helpdesk LPSE Kota Batam",
        from_addr="lpse@batam.go.id", to=["budi@vendor.test"], subject="Dokumen penawaran – revisi",
        message_id="m2@batam.go.id", in_reply_to="r1@vendor.test", references=["r0@vendor.test", "r1@vendor.test"],
        date=datetime(2026, 11, 23, 3, 0, tzinfo=UTC), auto=None,
        inline=[InlineImage(cid="logo@x", filename="logo.png", content_type="image/png", data=b"\x89PNG" * 50)],
        attachments=[Attachment(filename="Surat Penawaran Ä.pdf", content_type="application/pdf", data=b"%PDF" * 9)],
    ).raw
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    tree = [(p.get_content_type(), p.get_filename()) for p in msg.walk()]
    assert tree == [("multipart/mixed", None), ("multipart/alternative", None), ("text/plain", None),
                    ("multipart/related", None), ("text/html", None), ("image/png", "logo.png"),
                    ("application/pdf", "Surat Penawaran Ä.pdf")]
    assert all(not p.defects for p in msg.walk())
    assert msg["Subject"] == "Dokumen penawaran – revisi"
    assert msg["From"].addresses[0].display_name == "Helpdesk LPSE Kota Batam"
    assert msg["MIME-Version"] == "1.0" and msg["In-Reply-To"] == "<r1@vendor.test>"
    assert msg["References"] == "<r0@vendor.test> <r1@vendor.test>"
    plain = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert plain == f"Baris satu  \n{text}\n.\nFrom baris\n" + "panjang " * 30 + "\n"
    html = msg.get_body(("html",)).get_content()
    assert "naïve café ✓" in html and 'src="cid:logo@x"' in html
    image = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    assert image["Content-ID"] == "<logo@x>" and image.get_content() == b"\x89PNG" * 50
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


def test_an_attachment_type_that_is_not_a_mime_type_goes_out_as_octet_stream():
    """A declared type with a parameter or a line break in it cannot add a header."""
    raw = build_with([("x.bin", "image/png\r\nBcc: victim@x.test", b"data"),
                      ("y.bin", 'image/png; name="evil"', b"more")])
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert [p.get_content_type() for p in msg.iter_attachments()] == ["application/octet-stream"] * 2
    assert b"Bcc" not in raw and b"evil" not in raw


def test_lkpp_text_loses_every_line_of_an_internal_note_and_nothing_else():
    """A line of the staff note, quoted or not, goes; short lines (\"Terima kasih\") stay."""
    from mailbot.core.internal import without_internal

    notes = ("RAHASIA: penyedia ini sudah tiga kali lapor.\nTerima kasih", "Arahan: hubungi   PPK dulu ya.")
    text = ("Sudah kami perbaiki.\n> RAHASIA: penyedia ini sudah tiga kali lapor.\nArahan: hubungi PPK dulu ya.\n"
            "Terima kasih")
    assert without_internal(text, notes) == "Sudah kami perbaiki.\nTerima kasih"
    assert without_internal(text, ()) == text


def test_lkpp_text_loses_a_repeated_block_of_our_mail_short_lines_and_all():
    """A desk that repeats our escalation unquoted repeats its short form lines too ("Waktu :
    09:15 WIB", "Hormat kami,"): in a block of our lines they go; LKPP's own "Terima kasih"
    or a short line of ours standing alone stays."""
    from mailbot.core.internal import without_internal

    sent = ("Yth. Helpdesk LKPP,\n\nDengan hormat,\nNomor tiket LPSE : 2026-00001\n"
            "Hari/Tanggal Konsultasi : Senin, 23 November 2026\nWaktu                   : 09:15 WIB\n\n"
            "Hormat kami,\nBidang Layanan dan Dukungan\nTerima kasih")
    text = ("Mohon dikirimkan screenshot.\nTerima kasih\n\nAgus\n---\nYth. Helpdesk LKPP,\nDengan hormat,\n\n"
            "Nomor tiket LPSE : 2026-00001\nHari/Tanggal Konsultasi : Senin, 23 November 2026\n"
            "Waktu : 09:15 WIB\n\nHormat kami,\n\nBidang Layanan dan Dukungan\n")
    kept = [line for line in without_internal(text, (), (sent,)).splitlines() if line.strip()]
    assert kept == ["Mohon dikirimkan screenshot.", "Terima kasih", "Agus", "---"]
    assert (without_internal("Dengan hormat,\nSudah kami perbaiki.", (), (sent,))
            == "Dengan hormat,\nSudah kami perbaiki.")


def test_lkpp_text_keeps_a_step_or_two_it_repeats_from_the_requesters_problem():
    """LKPP answers with steps, the first two worded as the requester's own in the escalation:
    they are LKPP's answer, not a repeat of our mail; a staff note's line goes wherever it is."""
    from mailbot.core.internal import without_internal

    sent = ("Yth. Helpdesk LKPP,\n\nB. PERMASALAHAN\nLangkah yang saya lakukan:\n1. Login sebagai penyedia\n"
            "2. Pilih paket\n3. Unggah dokumen penawaran\n4. Muncul pesan Gagal mengirim penawaran\n")
    answer = ("Silakan penyedia melakukan langkah berikut:\n1. Login sebagai penyedia\n2. Pilih paket\n"
              "3. Hapus file penawaran lama\n4. Unggah ulang dokumen penawaran\n\nTerima kasih.")
    assert without_internal(answer, (), (sent,)) == answer
    note = "RAHASIA: penyedia ini sudah tiga kali lapor."
    assert without_internal(answer + "\n" + note, (note,), (sent,)) == answer


def test_lkpp_text_loses_the_outlook_header_block_of_our_mail_it_answers_below():
    """LKPP answering below our escalation quotes it under Outlook's header block ("From: the
    unit", "Sent:", "To: LKPP", "Subject:"): the block goes with our mail; a "Perihal:" or
    "Dari:" line of LKPP's own, above its answer and not above our mail, stays."""
    from mailbot.core.internal import without_internal

    sent = ("Yth. Helpdesk LKPP,\n\nDengan hormat,\nNomor tiket LPSE : 2026-00001\n"
            "Hari/Tanggal Konsultasi : Senin, 23 November 2026\n\nHormat kami,\nBidang Layanan dan Dukungan")
    outlook = ("-----Original Message-----\nFrom: Helpdesk LPSE <lpse@lpse.test>\nSent: Monday, 23 November 2026"
               "\nTo: helpdesk@lkpp.test\nSubject: Eskalasi")
    outlook_id = ("Dari: Helpdesk LPSE <lpse@lpse.test>\nDikirim: Senin, 23 November 2026 10.00\n"
                  "Kepada: helpdesk@lkpp.test\nPerihal: Eskalasi")
    for header in (outlook, outlook_id):
        text = header + "\n\n" + sent + "\n\nSudah kami perbaiki.\n\nSalam,\nAndi"
        assert without_internal(text, (), (sent,)) == "Sudah kami perbaiki.\n\nSalam,\nAndi"
    own = "Perihal: Gagal unggah\nDari: tim teknis\n\nSudah kami perbaiki."
    assert without_internal(own, (), (sent,)) == own
    assert without_internal("To: Budi\nSudah kami perbaiki.", (), (sent,)) == "To: Budi\nSudah kami perbaiki."

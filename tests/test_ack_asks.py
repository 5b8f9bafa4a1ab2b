"""What a requester's acknowledgement asks for: only what their first mail and its signature did
not give (`core/identity.missing_from`, `tender_code`, the signed-off name). Pure: each mail is
built and parsed as mailbot parses it, read as a new ticket's problem."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from mailbot.core.classify import as_problem, contact_of
from mailbot.core.identity import missing_from, tender_code
from mailbot.io.render import Renderer
from mailbot.parsers.mime import parse_message
from tests.test_templates import context


def _asked(body: str, sender: str = "budi@vendor.test", subject: str = "Mohon bantuan",
           files: tuple[str, ...] = ()) -> list[str]:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "lpse@batam.go.id", subject
    msg["Message-ID"] = "<k@vendor.test>"
    msg.set_content(body)
    for name in files:
        msg.add_attachment(b"\x89PNG\r\n\x1a\n" + bytes(100), maintype="image", subtype="png", filename=name)
    parsed = as_problem(parse_message(msg.as_bytes()))
    return missing_from(contact_of(parsed), parsed)


BUDI = ("Selamat siang,\n\nKami tidak bisa mengunggah dokumen penawaran pada kode tender 10234567.\n\n"
        "Terima kasih,\nBudi Santoso\nDirektur CV Maju Jaya\nHP/WA 0812-7654-3210\n")


def test_budi_who_gave_everything_is_asked_for_nothing():
    assert _asked(BUDI, files=("error.png",)) == []


def test_a_mail_missing_two_is_asked_for_those_two():
    assert _asked(BUDI.replace("HP/WA 0812-7654-3210\n", "")) == ["phone", "screenshot"]


def test_a_chat_line_with_nothing_is_asked_for_all_five():
    assert _asked("pak tolong akun sy terkunci gk bisa login", sender="andi123@gmail.com") == [
        "name", "organisation", "phone", "tender", "screenshot"]


@pytest.mark.parametrize(("text", "code"), [
    ("paket kode tender 10234567, muncul error 500", "10234567"),
    ("jadwal tender kode 8812345 tidak tampil", "8812345"),
    ("Kode Lelang: 10566778", "10566778"),
    ("ID Paket: 7712345", "7712345"),
    ("tender nomor 10455667 tanggal 05/03/2026", "10455667"),
    ("Paket: Rehab Jalan, Kode 11004455, Pagu Rp 200.000.000", "11004455"),
    ("RE: Tender 10999001", "10999001"),
    ("bid for tender ID 10293847.", "10293847"),
    ("adendum dokumen tender #10667788 tidak bisa diunduh", "10667788"),
    ("NPWP 01.234.567.8-215.000", ""),
    ("HP 0812-7654-3210", ""),
    ("nilai HPS Rp 2.500.000.000 tanggal 12-03-2026", ""),
    ("dokumen pemilihan paket Pembangunan Gedung SD 005", ""),
    ("SBU nomor 1-2171-3-00123", ""),
    ("kode OTP 123456 tidak masuk", ""),
    ("tender ulang 2 kali", ""),
    ("saya lupa kode tendernya", ""),
])
def test_the_tender_code_a_text_names(text, code):
    assert tender_code(text) == code


@pytest.mark.parametrize(("body", "name"), [
    ("Mohon dibantu.\n\nHormat saya,\n\nSiti Rahmawati, S.E.\nBendahara CV Sinar Harapan\n", "Siti Rahmawati, S.E."),
    ("Mohon reset.\n\nHormat kami,\nPT Harapan Baru\n\nAndi Wijaya\nDirektur\nTelp 0778 321654\n", "Andi Wijaya"),
    ("Mohon dicek pak.\n\nAndre\n", "Andre"),
    ("Saya, Joko dari CV Sentosa, tidak bisa mendaftar.\n", "Joko"),
    ("Mohon info.\n\nBest regards,\nPurchasing Dept.\nPT Multiguna Sejahtera\n", ""),
    ("Mohon info.\n\nTerima kasih\n", ""),
])
def test_the_name_a_mail_is_signed_with(body, name):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "tender@vendor.test", "lpse@batam.go.id", "Mohon bantuan"
    msg.set_content(body)
    assert contact_of(as_problem(parse_message(msg.as_bytes()))).name == name


def test_the_ack_asks_for_what_is_missing_in_the_units_words():
    text, _ = Renderer().body("ack", "id", context(missing=["phone", "tender"]))
    assert ("Agar permasalahan dapat segera ditangani, mohon balas email ini dengan:\n"
            "- nomor telepon yang dapat dihubungi;\n- kode tender/paket.\n") in text
    nothing, _ = Renderer().body("ack", "id", context(missing=[]))
    assert "mohon" not in nothing.split("dengan syarat data dukung telah lengkap.")[1].split("--")[0]

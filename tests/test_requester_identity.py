"""The consultation form (seed 003) holds the requester's own identity, never one from
the history their mail carries: a forwarded Pokja letter, LKPP's answer, the unit's own
quoted signature. Pure tests of what the daemon stores and sends."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from mailbot.core.classify import as_problem, contact_of
from mailbot.core.identity import identify_texts
from mailbot.model import Address
from mailbot.parsers.mime import parse_message


def first_mail(body: str, sender: str = "Irfan <irfan@vendor.test>") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "lpse@lpse.test", "Fwd: Undangan"
    msg["Date"] = "Mon, 23 Nov 2026 09:00:00 +0700"
    msg["Message-ID"] = "<x1@vendor.test>"
    msg.set_content(body)
    return msg.as_bytes()


OUTLOOK_FORWARD = """Mohon bantuan, tanggal pembuktian bentrok.

Irfan Hakim | CV Jaya Abadi

From: Pokja Pemilihan 1 [mailto:pokja1@ukpbj.test]
Sent: Wednesday, March 11, 2026 3:15 PM
To: irfan@vendor.test
Subject: Undangan pembuktian kualifikasi

Diundang pembuktian kualifikasi.

Ketua Pokja Pemilihan 1
Nama : Sugeng Riyadi
Instansi : UKPBJ Kota Batam
Jl. Engku Putri No. 1 Batam Centre
HP. 0813-6400-1234
"""

GMAIL_FORWARD = """Pak, ini jawaban LKPP.

Dewi Kusuma

---------- Forwarded message ---------
From: Helpdesk LKPP <helpdesk@lkpp.test>
Subject: Permasalahan SPSE

Silakan hubungi LPSE.
Lembaga Kebijakan Pengadaan Barang/Jasa Pemerintah
Jl. Epicentrum Tengah Lot 11 B, Jakarta Selatan
Telp. 021-29935577
"""

QUOTED_UNIT = """Masalah yang sama muncul lagi pak.

Budi

-----Original Message-----
From: Helpdesk LPSE <lpse@lpse.test>
Sent: Monday, November 23, 2026 9:15 AM
To: budi@vendor.test
Subject: RE: [LPSE-T #2026-00001] Gagal

Silakan kosongkan cache.

Helpdesk LPSE Kota Batam
Alamat: Jl. Engku Putri No. 1, Batam Centre
Telp. (0778) 462047
"""

GMAIL_QUOTE = """Sudah saya coba lagi.

On Mon, 23 Nov 2026 at 09:15, Helpdesk LPSE <lpse@lpse.test> wrote:
> Mohon dicoba kembali.
> Helpdesk LPSE Kota Batam
> Jl. Engku Putri No. 1, Batam Centre
> Telp. (0778) 462047
"""


@pytest.mark.parametrize("body", [OUTLOOK_FORWARD, GMAIL_FORWARD, QUOTED_UNIT, GMAIL_QUOTE])
def test_a_mail_that_opens_a_ticket_gives_no_identity_from_its_history(body):
    msg = as_problem(parse_message(first_mail(body)))  # the first mail: the whole text is the problem
    contact = contact_of(msg)
    stored = identify_texts((msg.new_text,), Address("irfan@vendor.test", "Irfan"))  # identity_of's fallback
    for found in (contact.phone, stored.phone):
        assert not any(n in found for n in ("0813-6400-1234", "29935577", "462047")), found
    for found in (contact.address, stored.address, contact.organisation, contact.name):
        assert "Engku Putri" not in found and "Epicentrum" not in found and "UKPBJ" not in found, found
        assert "Sugeng" not in found, found


def test_the_requesters_own_signature_still_counts_under_a_signature_delimiter():
    body = "Akun saya terkunci.\n\n-- \nBudi Santoso\nCV Maju Jaya\nHP 0812-7654-3210\n"
    contact = contact_of(as_problem(parse_message(first_mail(body))))
    assert (contact.organisation, contact.phone) == ("CV Maju Jaya", "0812-7654-3210")


def test_a_bottom_posted_reply_gives_the_text_below_the_quote():
    body = ("On Mon, 23 Nov 2026 at 09:15, Helpdesk LPSE <lpse@lpse.test> wrote:\n> Mohon nomor HP.\n"
            "> Telp. (0778) 462047\n\nIni nomor saya 0857-1234-9876\n")
    assert identify_texts((body,), Address("p@vendor.test", "")).phone == "0857-1234-9876"


@pytest.mark.parametrize(("display", "name", "organisation"), [
    ("Direktur CV Maju Jaya", "", "CV Maju Jaya"),
    ("PT. Sinar Abadi (Persero)", "", "PT. Sinar Abadi (Persero)"),
    ("Ketua Pokja", "", ""),
    ("Admin Tender", "", ""),
    ("Budi Santoso", "Budi Santoso", ""),
])
def test_a_from_display_name_of_a_company_or_an_office_is_no_persons_name(display, name, organisation):
    """"Direktur CV ..." is the instansi; the form's Nama holds a person or nothing."""
    raw = first_mail("Akun kami terblokir, mohon dibantu.\n\nTerima kasih", sender=f"{display} <info@vendor.test>")
    contact = contact_of(as_problem(parse_message(raw)))
    stored = identify_texts(("Akun kami terblokir.",), Address("info@vendor.test", display))
    assert (contact.name, contact.organisation) == (name, organisation)
    assert (stored.name, stored.organisation) == (name, organisation)


def test_a_mobile_number_written_plus_62_space_is_found():
    """"M: +62 811 700 2233" in an Outlook signature: the international form with a space after +62."""
    body = "Mohon bantuan.\n\nAndreas Tan\nPT Mega Konstruksi Indonesia\nM: +62 811 700 2233\n"
    assert contact_of(as_problem(parse_message(first_mail(body)))).phone == "+62 811 700 2233"


@pytest.mark.parametrize(("display", "body", "name"), [
    ("Joko", "Masih error.\n\nJoko Susilo\n0811-7788-990\n", "Joko Susilo"),
    ("Mira", "Akun perlu direset.\n\nTerima kasih,\n\nMira Anggraini | Staff Tender\nPT Sinar Abadi\n",
     "Mira Anggraini"),
    ("Oki", "gagal upload terus pak.\noki saputra - 0896 1122 3344\n", "oki saputra"),
    ("Wijaya, Stefanus", "Mohon info jadwal.\n\nSalam,\nWijaya\n", "Stefanus Wijaya"),
    ("Siti Aminah, S.E.", "Mohon info jadwal.\n", "Siti Aminah, S.E."),
    ("Sari, ST", "Mohon info jadwal.\n", "Sari, ST"),
    # a greeting names someone else; a sentence is no signature
    ("Joko", "Yth. Pak Joko Santoso,\nmohon dibantu.\n", "Joko"),
    ("Joko", "Joko mengalami kendala login sejak pagi.\n", "Joko"),
])
def test_the_form_takes_the_fullest_name_the_requester_signs_with(display, body, name):
    """Seed 003's Nama: From "Joko" signed "Joko Susilo" is Joko Susilo; an address book's
    "Wijaya, Stefanus" is Stefanus Wijaya; a degree after the comma stays where it is."""
    raw = first_mail(body, sender=f'"{display}" <x@vendor.test>')
    assert contact_of(as_problem(parse_message(raw))).name == name
    assert identify_texts((body,), Address("x@vendor.test", display)).name == name


def test_a_later_mail_signed_in_full_completes_the_name_the_first_one_gave():
    """The first mail said nothing but "Mohon bantuan" under From "Erwin"; the reply is
    signed "Erwin Saragih": the ticket's form names Erwin Saragih, not a stranger."""
    first = contact_of(as_problem(parse_message(first_mail("Mohon bantuan.", sender="Erwin <e@vendor.test>"))))
    reply = contact_of(parse_message(first_mail("Baik.\n\nErwin Saragih\nPT Maju Bersama\n",
                                                sender="Erwin <e@vendor.test>")))
    assert first.merged(reply).name == "Erwin Saragih"
    other = contact_of(parse_message(first_mail("Nama: Dedi Irawan\n", sender="Erwin <e@vendor.test>")))
    assert first.merged(other).name == "Erwin"  # another person's name never replaces the requester's


@pytest.mark.parametrize(("display", "body"), [
    # a company named after its owner, as many CVs and PTs are
    ("Rudi", "Mohon bantuan reset akun.\n\nRudi\nPT Rudi Karya Mandiri\n"),
    ("Hendra", "Mohon bantuan.\n\nHendra\nDirektur CV Hendra Jaya\n"),
    # a street named after a hero, without a house number
    ("Ahmad", "Akun saya terkunci.\n\nSalam,\nAhmad\nCV Sinar Jaya\nJl. Ahmad Yani, Batam Centre\n"),
    # a package's name on a line of its own
    ("Andi", "Mohon bantuan untuk paket berikut:\nPembangunan Jalan Andi Jaya\n\nAndi\n"),
    ("Sari", "Mohon bantuan.\n\nSari\nPokja Pemilihan Sari Wangi\n"),
])
def test_a_company_street_or_package_holding_the_senders_name_is_not_their_name(display, body):
    """Seed 003's Nama is the person: From "Rudi" with "PT Rudi Karya Mandiri" under his
    signature is Rudi (the company is the instansi), not "PT Rudi Karya Mandiri"."""
    raw = first_mail(body, sender=f'"{display}" <x@vendor.test>')
    assert contact_of(as_problem(parse_message(raw))).name == display
    assert identify_texts((body,), Address("x@vendor.test", display)).name == display

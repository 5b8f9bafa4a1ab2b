"""The consultation form (seed 003's "Formulir Konsultasi") read from a staff mail. Pure.

The forms below are written as staff type them (the issue: any order, no colon, extra
spaces, lower case, a pasted table); the expected values are written out from the form.
The mail arrived on Thursday 12 November 2026 at 10:30 WIB (03:30 UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from mailbot.core.intake_form import opening, read_form
from mailbot.core.own_signature import Writer
from mailbot.rules import load_rules

WIB = ZoneInfo("Asia/Jakarta")
RECEIVED = datetime(2026, 11, 12, 3, 30, tzinfo=UTC)
WORDS = load_rules().intake


def form(text: str):
    return read_form(text, WORDS, RECEIVED, WIB)


def codes(text: str) -> list[str]:
    return [e.code for e in form(text).errors]


@pytest.mark.parametrize(("first", "channel"), [
    ("#telepon", "telepon"), ("#phone", "telepon"), ("#TELEPON", "telepon"),
    ("#datang", "datang"), ("#visit", "datang"), ("  #Datang  ", "datang"),
])
def test_the_first_line_names_the_channel(first, channel):
    found = opening(f"{first}\nNama: Budi\nMasalah: gagal login\n", WORDS)
    assert found is not None and found[0] == channel
    assert "Nama: Budi" in found[2]


@pytest.mark.parametrize("text", [
    "Nama: Budi\n#telepon\nMasalah: gagal login",   # not the first line
    "Tolong dicek #telepon dari Budi",                # inside a sentence
    "#catatan\nNama: Budi",                           # another command
    "#teleponan\nNama: Budi",                         # not the word
])
def test_no_opening_unless_the_first_line_is_the_command(text):
    assert opening(text, WORDS) is None


def test_the_labelled_form_in_seed_003s_order():
    got = form("""Nama: Rina Wulandari
Nama Instansi/Perusahaan: CV Maju Jaya
Alamat: Jl. Raja Ali Haji No. 7, Batam
Nomor Telepon/HP: 0812-7700-4455
Email: rina@majujaya.co.id
Permasalahan: Tidak bisa mengunggah dokumen penawaran.
""")
    assert got.errors == ()
    assert (got.contact.name, got.contact.organisation, got.contact.address, got.contact.phone) == (
        "Rina Wulandari", "CV Maju Jaya", "Jl. Raja Ali Haji No. 7, Batam", "0812-7700-4455")
    assert got.email == "rina@majujaya.co.id"
    assert got.problem == "Tidak bisa mengunggah dokumen penawaran."
    assert got.answer is None and not got.answered
    assert got.called_at is None  # no Waktu: the mail's own time


def test_as_people_type_it_any_order_lower_case_no_colon_extra_spaces():
    got = form("""permasalahan   :   lupa password akun penyedia
EMAIL   budi@vendor.co.id
no hp 0812 3456 7890
perusahaan : PT Sinar Terang
nama    Budi Santoso
""")
    assert got.errors == ()
    assert got.problem == "lupa password akun penyedia"
    assert got.email == "budi@vendor.co.id"
    assert got.contact.phone == "0812 3456 7890"
    assert got.contact.organisation == "PT Sinar Terang"
    assert got.contact.name == "Budi Santoso"


def test_a_problem_over_several_lines_keeps_its_lines():
    got = form("""Nama: Budi
Permasalahan: Tender 10012345000 tidak tampil.
Sudah dicoba di browser lain.

Jawaban dari LKPP belum ada.
""")
    assert got.problem == ("Tender 10012345000 tidak tampil.\nSudah dicoba di browser lain.\n\n"
                           "Jawaban dari LKPP belum ada.")
    assert got.answer is None  # a sentence that starts with "Jawaban" inside the problem is text


def test_a_table_pasted_from_word_label_and_value_cells():
    got = form("Nama\t:\tSiti Aminah\nInstansi\t:\tDinas PUPR\nNo. HP\t:\t0778-123456\n"
               "Permasalahan\t:\tGagal verifikasi penyedia\n")
    assert got.errors == ()
    assert (got.contact.name, got.contact.organisation, got.contact.phone) == ("Siti Aminah", "Dinas PUPR",
                                                                               "0778-123456")
    assert got.problem == "Gagal verifikasi penyedia"


def test_a_row_of_the_recap_under_its_header_row():
    got = form("| Nama | Instansi | Email | Permasalahan |\n|---|---|---|---|\n"
               "| Andi | Kecamatan Sekupang | andi@sekupang.go.id | Akun terkunci |\n")
    assert got.errors == ()
    assert (got.contact.name, got.contact.organisation, got.email, got.problem) == (
        "Andi", "Kecamatan Sekupang", "andi@sekupang.go.id", "Akun terkunci")


def test_the_answer_given_on_the_spot():
    got = form("Nama: Budi\nMasalah: lupa password\nSolusi: password direset melalui menu Lupa Password\n")
    assert got.answered and got.answer == "password direset melalui menu Lupa Password"


def test_selesai_says_answered_on_the_spot():
    got = form("Nama: Budi\nMasalah: lupa password\n#selesai Sudah dijelaskan cara reset password.\n")
    assert got.errors == ()
    assert got.answered and got.answer == "Sudah dijelaskan cara reset password."


@pytest.mark.parametrize(("written", "local"), [
    ("Waktu: 09.15", datetime(2026, 11, 12, 9, 15)),
    ("Waktu: 09:15 WIB", datetime(2026, 11, 12, 9, 15)),
    ("Waktu: jam 9 pagi", datetime(2026, 11, 12, 9, 0)),
    ("Tanggal: 11/11/2026\nWaktu: 14.00", datetime(2026, 11, 11, 14, 0)),
    ("Hari/Tanggal: Rabu, 11 November 2026\nWaktu: 2 sore", datetime(2026, 11, 11, 14, 0)),
    ("Tanggal: 11/11/2026\nWaktu: 1 siang", datetime(2026, 11, 11, 13, 0)),
    ("Waktu: kemarin 16.30", datetime(2026, 11, 11, 16, 30)),
])
def test_waktu_is_when_the_call_was(written, local):
    got = form(f"Nama: Budi\n{written}\nMasalah: gagal login\n")
    assert got.errors == ()
    assert got.called_at == local.replace(tzinfo=WIB)


def test_a_time_in_another_zone_is_read_in_it():
    got = form("Nama: Budi\nWaktu: 10.15 WITA\nMasalah: gagal login\n")
    assert got.called_at is not None and got.called_at.astimezone(UTC) == datetime(2026, 11, 12, 2, 15, tzinfo=UTC)


def test_no_problem_is_refused_naming_the_field():
    assert codes("Nama: Budi\nEmail: budi@vendor.co.id\n") == ["intake_problem"]
    assert "Permasalahan" in str(form("Nama: Budi\n").errors[0])


@pytest.mark.parametrize("bad", ["budi at vendor dot co.id", "budi@", "budi@vendor", "@vendor.co.id"])
def test_an_email_that_is_not_one_is_refused_naming_the_field_and_value(bad):
    got = form(f"Nama: Budi\nEmail: {bad}\nMasalah: gagal login\n")
    assert [e.code for e in got.errors] == ["intake_email"]
    said = str(got.errors[0])
    assert "Email" in said and bad in said
    assert got.email == ""


@pytest.mark.parametrize("none", ["-", "tidak ada", "Tidak punya"])
def test_no_email_written_as_none_is_no_email(none):
    got = form(f"Nama: Budi\nEmail: {none}\nMasalah: gagal login\n")
    assert got.errors == () and got.email == ""


@pytest.mark.parametrize(("written", "code"), [
    ("Waktu: 25.70", "intake_time"),
    ("Waktu: besok pagi", "intake_time"),
    ("Waktu: 12/11/2026 23.00", "intake_future"),     # later than the mail (10:30 WIB)
    ("Tanggal: 1/1/2026", "intake_too_old"),           # a typing error for this year
])
def test_a_waktu_that_cannot_be_the_calls_time_is_refused(written, code):
    assert codes(f"Nama: Budi\n{written}\nMasalah: gagal login\n") == [code]


def test_a_command_that_cannot_go_with_the_form_is_refused():
    assert codes("#eskalasi\nNama: Budi\nMasalah: gagal login\n") == ["intake_command"]


def test_priority_below_the_first_line_goes_on_the_ticket():
    got = form("#prioritas tinggi\nNama: Budi\nMasalah: gagal login\n")
    assert got.errors == ()
    assert [(c.name, c.arg) for c in got.commands] == [("priority", "high")]


def test_a_word_table_in_an_html_mail_one_cell_per_paragraph():
    """Outlook/Word send a pasted table as HTML; as text each cell is a paragraph of its own."""
    got = form("Nama\n\n:\n\nSiti Aminah\n\nInstansi\n\n:\n\nPerusahaan Daerah Air Minum\n\nEmail\n\n:\n\n"
               "siti@pdam.co.id\n\nPermasalahan\n\n:\n\nGagal verifikasi penyedia\n")
    assert got.errors == ()
    assert (got.contact.name, got.contact.organisation, got.email, got.problem) == (
        "Siti Aminah", "Perusahaan Daerah Air Minum", "siti@pdam.co.id", "Gagal verifikasi penyedia")


@pytest.mark.parametrize("closing", [
    "Salam,\nAndi",
    "Terima kasih,\nAndi Pratama\nHelpdesk LPSE Kota Batam",
    "Regards,\nAndi",
])
def test_the_senders_closing_is_no_part_of_the_problem_or_answer(closing):
    got = form(f"Nama: Budi\nMasalah: gagal login\nJawaban: akun dibuka kembali\n\n{closing}\n")
    assert got.problem == "gagal login" and got.answer == "akun dibuka kembali"
    got = form(f"Nama: Budi\nMasalah: gagal login\nsetelah ganti password\n\n{closing}\n")
    assert got.problem == "gagal login\nsetelah ganti password"


def test_a_last_paragraph_of_the_problem_stays_when_it_is_no_closing():
    got = form("Nama: Budi\nMasalah: gagal login\n\nSudah dicoba di browser lain.\n")
    assert got.problem == "gagal login\n\nSudah dicoba di browser lain."
    got = form("Nama: Budi\nMasalah: gagal login\n\nEmail: budi@vendor.co.id\n")  # a field, not a signature
    assert got.email == "budi@vendor.co.id"


@pytest.mark.parametrize(("written", "rating"), [("5", 5), ("4/5", 4), ("4 dari 5", 4), ("3 (cukup)", 3),
                                                  ("lima", 5), ("Empat", 4), ("2.0", 2)])
def test_nilai_is_the_callers_rating_from_1_to_5(written, rating):
    """Seed 002 ( every user rates the service): as staff write what the caller said."""
    got = form(f"Nama: Budi\nMasalah: gagal login\nNilai: {written}\n")
    assert got.errors == () and got.rating == rating


@pytest.mark.parametrize("bad", ["sangat puas", "6", "10/10", "4/10"])
def test_a_nilai_that_is_no_rating_is_refused_naming_the_field_and_value(bad):
    got = form(f"Nama: Budi\nMasalah: gagal login\nNilai: {bad}\n")
    assert [e.code for e in got.errors] == ["intake_rating"]
    assert "Nilai" in str(got.errors[0]) and bad in str(got.errors[0])


@pytest.mark.parametrize(("written", "queue"), [("Nomor Antrian: A-012", "A-012"), ("No. Antrian : 7", "7"),
                                                ("Antrian B 15", "B 15")])
def test_a_walk_ins_queue_number_is_kept(written, queue):
    """Seed 004 section 1 step 2: the queue number."""
    got = form(f"{written}\nNama: Rina\nPermasalahan: Lupa kata sandi.\n")
    assert got.errors == () and got.queue == queue


def test_a_problem_line_that_starts_with_nilai_stays_the_problem():
    """"Nilai HPS tidak tampil": a sentence about a value, under the problem, is no rating."""
    got = form("Nama: Budi\nPermasalahan:\nNilai HPS tidak tampil pada paket.\nMohon bantuan.\n")
    assert got.errors == () and got.rating is None and got.problem.startswith("Nilai HPS tidak tampil")


# --- the sender's signature right under the last field --------------------------------------------

ANDI = Writer(("Andi Pratama", "staff1"), "Helpdesk LPSE Uji")
FIELDS = ("Nama: Rina Wulandari\nNo. HP: 0812-7700-4455\nPermasalahan: Tidak bisa mengunggah dokumen penawaran.\n"
          "Waktu: 09.15")


@pytest.mark.parametrize("signature", [
    "Salam,\nAndi",
    "Salam, Andi",
    "Terima kasih,\nAndi Pratama\nHelpdesk LPSE Uji",
    "Andi Pratama\nHelpdesk LPSE Uji\nTelp. 0778-123456",  # its phone is no field of the caller's
    "Hormat saya,\nAndi Pratama, S.Kom.\nPetugas Helpdesk LPSE Uji\nHP 0812-7000-1234",
])
def test_a_signature_right_under_the_last_field_is_no_field_and_no_note(signature: str) -> None:
    """As aerc and NeoMutt append a signature file, and as staff sign by hand: no blank line
    between "Waktu: 09.15" (or "Nilai: 5") and the signature."""
    for last in ("", "\nNilai: 5"):
        read = read_form(f"{FIELDS}{last}\n{signature}", WORDS, RECEIVED, WIB, ANDI)
        assert not read.errors
        assert (read.notes, read.contact.name, read.contact.phone) == ("", "Rina Wulandari", "0812-7700-4455")
        assert read.problem == "Tidak bisa mengunggah dokumen penawaran."


@pytest.mark.parametrize(("below", "notes", "problem"), [
    # a second line of the problem: the field's, not a signature
    ("", "", "Tidak bisa mengunggah dokumen penawaran.\nSudah dicoba di browser lain."),
    # a note under the form, a sentence: kept as the form's notes
    ("Waktu: 09.15\nPenelepon akan mengirim screenshot siang ini.", "Penelepon akan mengirim screenshot siang ini.",
     "Tidak bisa mengunggah dokumen penawaran."),
    # a name that is not the sender's, over the unit's line: whom the caller asked for, a note
    ("Waktu: 09.15\nBudi Hartono\nHelpdesk LPSE Uji", "Budi Hartono\nHelpdesk LPSE Uji",
     "Tidak bisa mengunggah dokumen penawaran."),
])
def test_what_staff_wrote_under_the_fields_is_kept(below: str, notes: str, problem: str) -> None:
    text = ("Nama: Rina Wulandari\nPermasalahan: Tidak bisa mengunggah dokumen penawaran.\n"
            + (below or "Sudah dicoba di browser lain."))
    read = read_form(text, WORDS, RECEIVED, WIB, ANDI)
    assert (read.notes, read.problem) == (notes, problem)


def test_a_field_under_the_signature_shaped_lines_keeps_them_in_the_form() -> None:
    """A label of the form below a name and the unit's line (another field): what is above it is
    the form's, not a signature."""
    read = read_form("Nama: Rina Wulandari\nPermasalahan: Gagal login.\nAndi Pratama\nHelpdesk LPSE Uji\n"
                     "Email: rina@cvmajujaya.co.id", WORDS, RECEIVED, WIB, ANDI)
    assert read.email == "rina@cvmajujaya.co.id"
    assert "Andi Pratama" in read.problem + read.notes

"""The pure part: a staff member's own signature without a `-- ` line is
cut from the end of their new text (`core.own_signature`), learned from their earlier mail or
known by its shape, and nothing of what they wrote is cut with it."""

from __future__ import annotations

import pytest

from mailbot.core.own_signature import Writer, unsigned

SARI = Writer(("Sari Wulandari", "sari.wulandari"), "Helpdesk LPSE Uji")


@pytest.mark.parametrize(("text", "kept"), [
    # Alpine's default: the signature file's lines under a blank line (the example)
    ("#tugaskan andi@lpse.test\nTolong dicek hari ini.\n\nSari Wulandari\nHelpdesk LPSE Test",
     "#tugaskan andi@lpse.test\nTolong dicek hari ini."),
    # a closing salutation block, the name or the unit under it
    ("#tutup\nSudah selesai lewat telepon.\n\nSalam,\nSari", "#tutup\nSudah selesai lewat telepon."),
    ("Akun Bapak sudah aktif kembali.\n\nTerima kasih,\nHelpdesk LPSE", "Akun Bapak sudah aktif kembali."),
    # Outlook's: sign-off, name, position, phone, no blank line above
    ("Sudah kami reset.\nHormat kami,\nSari Wulandari, S.Kom.\nAdmin Helpdesk\nTelp. 0778-123456",
     "Sudah kami reset."),
    # the command line alone above it
    ("#tutup\nSari Wulandari\nHelpdesk LPSE Test", "#tutup"),
])
def test_a_signature_without_a_delimiter_is_cut(text: str, kept: str) -> None:
    assert unsigned(text, SARI) == kept


@pytest.mark.parametrize("text", [
    # a closing sentence alone is the reply's own
    "Akun Bapak sudah kami buka kembali.\n\nTerima kasih.",
    # what follows a line ending in ":" is what that line introduces
    "Silakan hubungi kami di nomor:\n\n0778-123456",
    "Kirimkan ke alamat berikut:\n\nHelpdesk LPSE Uji\nJl. Engku Putri No. 1",
    # the unit's name under a sentence that goes on into it
    "Silakan datang langsung ke kantor\n\nHelpdesk LPSE Uji\nJl. Engku Putri No. 1",
    # the writer's name inside a sentence, and a sentence that ends with it
    "Selamat pagi,\n\nNama saya Sari Wulandari dari helpdesk.\n\nAda yang bisa dibantu?",
    "Mohon dicek lagi oleh\nSari Wulandari",
    # a question is never a signature line
    "Apakah sudah dicoba lagi?\n\nSari Wulandari ada di kantor besok?",
])
def test_the_writers_words_are_never_cut(text: str) -> None:
    assert unsigned(text, SARI) == text


def test_a_signature_that_names_no_one_is_learned_from_earlier_mail() -> None:
    """Nothing in one mail tells "Andi / Seksi Layanan Pengadaan" from text; that it ends the
    writer's earlier mail too does (their earlier mail is read whole: quotes aside)."""
    andi = Writer(("staff2",), "Helpdesk LPSE Uji")
    text = "Mohon kirimkan tangkapan layar.\n\nAndi\nSeksi Layanan Pengadaan"
    assert unsigned(text, andi) == text
    earlier = "#catatan sudah ditelepon\n\nAndi\nSeksi Layanan Pengadaan\n\nOn Mon, 23 Nov 2026, X wrote:\n> lama"
    learned = Writer(("staff2",), "Helpdesk LPSE Uji", (earlier,))
    assert unsigned(text, learned) == "Mohon kirimkan tangkapan layar."


@pytest.mark.parametrize(("text", "earlier"), [
    # the same short reply typed twice is no signature
    ("Baik, sudah.", "Baik, sudah."),
    ("#tutup\nSudah.\n\nBaik, sudah.", "#catatan\nBaik, sudah."),
    # a closing salutation typed under every mail is still part of the reply
    ("Sudah kami buka.\n\nTerima kasih", "Mohon ditunggu.\n\nTerima kasih"),
    # a repeated closing sentence is the writer's
    ("Sudah kami buka.\nJika masih ada kendala, silakan balas email ini kembali ya?",
     "Mohon ditunggu.\nJika masih ada kendala, silakan balas email ini kembali ya?"),
])
def test_what_repeats_but_is_no_signature_is_kept(text: str, earlier: str) -> None:
    assert unsigned(text, Writer(("staff2",), "Helpdesk LPSE Uji", (earlier,))) == text


def test_the_bench_over_other_projects_signatures_cuts_no_word() -> None:
    """The issue's measure (bench/signatures.py over tests/data/signatures, replies from talon,
    github's email_reply_parser and Discourse's trimmer in many clients' styles, with their
    upstream's answers): no line of a writer's text is cut, by the shape alone or with an
    earlier mail learned; more signatures are kept out than the parser alone keeps out."""
    from bench.signatures import cut, kept_out, load, readings

    results = readings(load())
    signed = [(case, got) for case, got in results if case.signature]
    assert len({case.client for case, _ in signed}) >= 5
    assert [case.id for case, got in results if cut(got["shape"], case) or cut(got["learned"], case)] == []
    before = sum(kept_out(got["parser"], case) for case, got in signed)
    shape = sum(kept_out(got["shape"], case) for case, got in signed)
    learned = sum(kept_out(got["learned"], case) for case, got in signed)
    assert before < shape <= learned
    assert shape / len(signed) >= 0.8


# --- a name over the unit's line, a closing sentence over a signature ---------------------------

KOORDINATOR = Writer(("koordinator",), "Helpdesk LPSE Uji")  # the address alone: no person's name


@pytest.mark.parametrize(("writer", "text", "kept"), [
    # a writer the mail names no one for: a name over a line naming the unit is their signature
    (KOORDINATOR, "Mohon diprioritaskan.\n\nHendra\nKoordinator Helpdesk LPSE", "Mohon diprioritaskan."),
    (KOORDINATOR, "Mohon diprioritaskan.\nHendra\nHelpdesk LPSE Uji\nTelp. 0778-123456", "Mohon diprioritaskan."),
    # a closing sentence over a signature stays: it is a sentence of the reply
    (SARI, "Akun sudah kami buka.\n\nTerima kasih.\n\nSalam,\nSari", "Akun sudah kami buka.\n\nTerima kasih."),
    (SARI, "Akun sudah kami buka.\nTerima kasih.\nSari Wulandari\nHelpdesk LPSE Uji",
     "Akun sudah kami buka.\nTerima kasih."),
    # short sign-offs
    (SARI, "Sudah kami cek.\n\nTks,\nSari", "Sudah kami cek."),
])
def test_a_name_over_the_units_line_and_a_closing_sentence(writer: Writer, text: str, kept: str) -> None:
    assert unsigned(text, writer) == kept


@pytest.mark.parametrize("text", [
    # a writer who signs as someone else names whom to call
    "Mohon hubungi petugas berikut.\n\nBudi Hartono\nHelpdesk LPSE Uji\nTelp. 0778-123456",
    # what a line ending with ":" introduces is never a signature, nor a list under "Lampiran:"
    "Sudah kami kirim.\n\nLampiran:\n- Panduan Reset Password.pdf\n- Surat Edaran.pdf",
])
def test_a_name_the_writer_does_not_sign_with_is_kept(text: str) -> None:
    assert unsigned(text, SARI) == text


@pytest.mark.parametrize(("text", "kept"), [
    ("Mohon dikirimkan screenshot halaman penawaran.\n\nSalam, Agus - Helpdesk LKPP",
     "Mohon dikirimkan screenshot halaman penawaran."),
    ("Mohon dikirimkan screenshot halaman penawaran.\nSalam,\nAgus - Helpdesk LKPP",
     "Mohon dikirimkan screenshot halaman penawaran."),
    ("Akun sudah kami buka.\n\nHormat kami,\nRina Marlina\nHelpdesk LKPP\nDirektorat Layanan Pengadaan",
     "Akun sudah kami buka."),
    ("Akun sudah kami buka.\n\nDimas Prasetyo\nHelpdesk LKPP", "Akun sudah kami buka."),
    ("Mhn dikirim SS halaman e-kontrak yg error + kode paket. Tks\n\nRini - Helpdesk LKPP",
     "Mhn dikirim SS halaman e-kontrak yg error + kode paket. Tks"),
    ("Please send the tender code.\n\nBest regards,\nLKPP Helpdesk", "Please send the tender code."),
    ("Permasalahan sudah kami perbaiki.\n\nTerima kasih.\n\nSalam,\nHelpdesk LKPP",
     "Permasalahan sudah kami perbaiki.\n\nTerima kasih."),
])
def test_lkpps_agents_signatures_are_cut_from_its_words(text: str, kept: str) -> None:
    """The sign-off shapes LKPP's agents use (tests/data/lkpp_replies_*.yaml): what the requester
    reads of LKPP's answer is its words, under the unit's signature."""
    from mailbot.core.own_signature import desk_unsigned

    assert desk_unsigned(text, "Helpdesk LKPP") == kept


@pytest.mark.parametrize("text", [
    "Hal ini bukan kewenangan Helpdesk LKPP.",
    "Untuk kendala ini silakan menghubungi\nHelpdesk LKPP",  # a sentence that goes on into the desk's name
    "Mohon dikirim ke:\n\nHelpdesk LKPP\nJl. Epicentrum Tengah Lot 11B",
])
def test_lkpps_words_that_name_the_desk_are_kept(text: str) -> None:
    from mailbot.core.own_signature import desk_unsigned

    assert desk_unsigned(text, "Helpdesk LKPP") == text

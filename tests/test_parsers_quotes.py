"""Quoted-history and signature stripping over the crisp-oss/email-reply-parser fixtures.

Each fixture is a reply body written by some mail client; the expected new text was
read off the fixture by hand. Our rule is stricter than the upstream parser's: we cut
everything from the first reply header down, so a command written under a quote never
counts as new text. (`new_text` reads a bottom-posted reply's text only when nothing
stands above the quote: tests/test_ladder_core.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mailbot.parsers.quotes import new_text, only_quoted, strip_reply, without_our_mail
from tests.shared import SHARED

FIXTURES = SHARED / "corpora" / "reply-fixtures"

# The first fragment most of the upstream fixtures share.
COMMON = (
    "Fusce bibendum, quam hendrerit sagittis tempor, dui turpis tempus erat, pharetra "
    "sodales ante sem sit amet metus.\n"
    "Nulla malesuada, orci non vulputate lobortis, massa felis pharetra ex, convallis "
    "consectetur ex libero eget ante.\n"
    "Nam vel turpis posuere, rhoncus ligula in, venenatis orci. Duis interdum venenatis "
    "ex a rutrum.\n"
    "Duis ut libero eu lectus consequat consequat ut vel lorem. Vestibulum convallis "
    "lectus urna,\n"
    "et mollis ligula rutrum quis. Fusce sed odio id arcu varius aliquet nec nec nibh."
)

# Fixtures whose new text is exactly COMMON, and a line of the history that must go.
COMMON_CASES = [
    ("email_7", "Il giovedì 8 dicembre 2016"),  # Italian, header wrapped: "ha scritto:"
    ("email_8", "Op 12 december 2016"),  # Dutch "schreef ... <\naddr>:"
    ("email_9", "Message du : 12/12/2016"),  # French block after a "====" rule
    ("email_10", "De : Company Questions"),  # French Outlook block
    ("email_11", "De : Company Questions"),  # the same, indented
    ("email_12", "Van: Company Questions"),  # Dutch Outlook block
    ("email_13", "Da: Company Questions"),  # Italian Outlook block
    ("email_14", "W dniu 2017-01-09"),  # Polish "napisał:"
    ("email_15", "Sent from my Wiko RIDGE FAB 4G"),  # mobile footer above the history
    ("email_16", "Dnia 27 grudnia 2016"),  # Polish "napisał(a):"
    ("email_17", "W dniu 2017-01-09"),
    ("email_18", "From: John Jung"),  # Outlook for Mac, "Date:" instead of "Sent:"
    ("email_22", '30.09.2017, 18.30, "John - Doe"'),  # no verb at all
    ("email_23", "2017-11-24 16:32 GMT+01:00"),
    ("email_24", "On Wed, 14 Nov 2018"),  # "wrote" without a colon
    ("email_25", "11:00 AM, November 17, 2021"),
    ("email_26", "Wednesday, 17 November 2021"),
    ("email_danish_dash_separator", "Oprindelig besked"),
    ("email_en_multiline_2", "On Tue, 16 Nov 2021"),
    ("email_finnish", "kirjoitti:"),
    ("email_fr_multiline", "a écrit :"),
    ("email_french_2", "Le 29 avr. 2025"),  # only a quoted header
    ("email_french_dash_separator", "Message d'origine"),
    ("email_german", "Am 13.12.2017 21:11 schrieb"),
    ("email_german_2", "Von: John Doe"),
    ("email_german_3", "Gesendet von Outlook"),
    ("email_german_outlook", "Ursprüngliche Nachricht"),
    ("email_gmail_split_line_from", "The Hiring Engine <"),
    ("email_ios_outlook", "Get Outlook for iOS"),
    ("email_ios_outlook_fr", "Envoyé à partir de Outlook pour iOS"),
    ("email_italian", "In data 11 ottobre 2017"),
    ("email_msn", "From: The Hiring Engine Automation"),
    ("email_norwegian_gmail", "skrev Test user"),  # wrapped right after "<addr"
    ("email_original_message", "-----original message-----"),
    ("email_original_message_2", "----- Original Message -----"),
    ("email_outlook_split_line_from", "From: Human Resources"),
    ("email_portuguese", "escreveu:"),
    ("email_russian", "John Doe <doe@example.com>:"),
    ("email_tricky_5_mixed_languages", "Pierre Dubois"),
    ("email_tricky_10_special_chars_in_name", "O'Brien, Patrick"),
    ("email_tricky_12_no_space_after_header", "This quote header has no blank line"),
    ("email_tricky_14_long_quote_header", "John William Smith Junior"),
    ("email_tricky_15_original_message_variations", "-----Original Message-----"),
]

# Fixtures with their exact new text and lines that must not survive.
EXACT_CASES = [
    ("correct_sig", "this is an email with a correct -- signature.", ["rick"]),
    ("sig_no_empty_line", "this is an email with a signature with no empty line above.", ["rick"]),
    (
        "email_1",
        (
            "Hi folks\n\nWhat is the best way to clear a Riak bucket of all key, values after\n"
            "running a test?\nI am currently using the Java HTTP API.\n\n-Abhishek Kona"
        ),
        ["riak-users mailing list", "__"],
    ),
    ("email_2", "Hi,", ["Abhishek Kona wrote", "> Hi folks"]),
    (
        "email_3",
        "Oh thanks.\n\nHaving the function would be great.\n\n-Abhishek Kona",
        ["Russell Brown wrote", "riak-users"],
    ),
    ("email_4", "Awesome! I haven't had another problem with it.", ["Loader seems"]),
    ("email_19", "On Thursday, I get proper rendering.", ["magnificent torch", "Corey"]),
    ("email_20", "On Thursday.", ["When will you fix"]),
    ("email_2_1", "Outlook with a reply", ["Google Apps Sync", "-----"]),
    ("email_blackberry", "Here is another email", ["BlackBerry"]),
    ("email_iphone", "Here is another email", ["iPhone"]),
    ("email_multi_word_sent_from_my_mobile_device", "Here is another email", ["Verizon"]),
    ("email_custom_quote_header", "Thank you!", ["imdb", "Scr34m"]),
    ("email_customer_quote_header_2", "Thank you very much.", ["somedude", "Sent:"]),
    (
        "email_customer_quote_header_3",
        "bonjour,\nje n'ai pas eu de retour sur ma précision..\nmerci d'avance",
        ["Someone Somewhere", "ici dans la description"],
    ),
    (
        "email_sent_from",
        (
            "Hi it can happen to any texts you type, as long as you type in between words or "
            "paragraphs."
        ),
        ["TypeApp", "Oh yes I see"],
    ),
    ("email_thread", "This is new email reply in thread from bellow.", ["Ok. Thanks."]),
    ("email_unquoted_reply", "This is my reply.", ["This is my quote."]),
    (
        "email_zoho",
        "What is the best way to clear a Riak bucket of all key, values after\nrunning a test?",
        ["Java sucks", "---- On Wed"],
    ),
    ("email_tricky_9_nested_quotes", "I agree with the points below.", ["option A"]),
    (
        "email_tricky_11_double_signature",
        "Thanks for your help!\n\nBest regards,\nJohn",
        ["Senior Developer", "Sent from my iPhone"],
    ),
    ("email_tricky_17_forward_header", "See the forwarded message below.", ["Important update"]),
    (
        "email_tricky_19_quote_without_header",
        (
            "I wanted to respond to your points:\n\nMy response to the quoted text above.\n\n"
            "And my final thoughts."
        ),
        ["> This is a quoted section", "in the middle of the email"],
    ),
    (
        "email_tricky_20_html_entities",
        (
            "The data should be &gt; 100 and &lt; 200.\n\n"
            "We need to ensure that &amp; symbols are handled correctly."
        ),
        ["Johnny", "Previous message"],
    ),
    # A reply header on the very first line: everything is history, by design.
    ("email_tricky_18_inline_reply", "", ["option A is great", "option B"]),
]

# Fixtures with no history at all: the whole text is new (false-positive traps).
UNTOUCHED_CASES = [
    "email_5",
    "email_emoji",
    "email_not_a_signature",
    "email_not_a_signature_2",
    "email_sent_from_my_not_signature",
    "email_with_regards",
    "email_tricky_1_on_false_positive",
    "email_tricky_2_url_with_wrote",
    "email_tricky_3_code_block",
    "email_tricky_4_from_in_body",
    "email_tricky_6_regards_in_sentence",
    "email_tricky_7_multiple_dashes",
    "email_tricky_8_sent_from_in_content",
    "email_tricky_13_timestamp_variations",
]


def fixture(name: str) -> str:
    """The fixture as stored, line endings untouched (several are CRLF)."""
    return (FIXTURES / f"{name}.txt").read_bytes().decode("utf-8")


def normalised(text: str) -> str:
    return text.replace("\r\n", "\n").strip("\n").rstrip()


@pytest.mark.parametrize(("name", "history_line"), COMMON_CASES)
def test_common_first_fragment_is_kept_and_history_dropped(name: str, history_line: str) -> None:
    """The new text is exactly the common first fragment; the history is gone."""
    text = fixture(name)
    assert history_line in text  # the line really is in the fixture
    new = strip_reply(text)
    assert new == COMMON
    assert history_line not in new
    assert "Etiam non sagittis" not in new


@pytest.mark.parametrize(("name", "expected", "absent"), EXACT_CASES)
def test_exact_new_text(name: str, expected: str, absent: list[str]) -> None:
    """The new text is exactly what the sender wrote above the history."""
    new = strip_reply(fixture(name))
    assert new == expected
    for line in absent:
        assert line not in new


@pytest.mark.parametrize("name", UNTOUCHED_CASES)
def test_text_without_history_is_kept_verbatim(name: str) -> None:
    """Sentences that merely look like headers or footers are not cut."""
    text = fixture(name)
    assert strip_reply(text) == normalised(text)


def test_reply_header_after_false_starts() -> None:
    """Lines starting with "On" are kept; the wrapped header three lines long is cut."""
    new = strip_reply(fixture("email_reply_header"))
    assert new.splitlines()[0] == "This is the latest reply."
    assert "On the other hand, it could happen TWICE!" in new
    assert new.endswith("Stranger")
    assert "mrmister" not in new
    assert "My name is Stranger" not in new


def test_one_is_not_on() -> None:
    """A line starting with "One" is not a reply header."""
    new = strip_reply(fixture("email_one_is_not_on"))
    assert new.startswith("Thank, this is really helpful.\n\nOne outstanding question I had:")
    assert new.endswith("Locally (on development), when I run...")
    assert "Dave Tapley" not in new


def test_bulleted_reply() -> None:
    """Indented bullets are kept, the Gmail header and the footer after "--" are not."""
    new = strip_reply(fixture("email_bullets"))
    assert new.startswith("test 2 this should list second\n\nand have spaces")
    assert new.endswith("   - and another")
    assert "Give us an example" not in new
    assert "Joe Smith" not in new


def test_long_body_is_handled() -> None:
    """A 32 KB body made of many "On Thursday:" paragraphs is kept (not a header)."""
    text = fixture("email_21")
    new = strip_reply(text)
    assert new.startswith(text.strip().splitlines()[0])
    assert len(new) > 30_000


def test_crlf_and_cr_line_endings() -> None:
    """CRLF and CR-only input give LF output with the same cut."""
    lf = "Siap.\n\nPada Sen, 2 Nov 2026 pukul 10.00, Budi <budi@contoh.co.id> menulis:\n> lama\n"
    assert strip_reply(lf.replace("\n", "\r\n")) == "Siap."
    assert strip_reply(lf.replace("\n", "\r")) == "Siap."


# Cases in Indonesian (and a few other languages) written for mailbot.
INDONESIAN_CASES = [
    (
        "gmail in Indonesian",
        (
            "Selamat siang,\n\nAkun saya sudah bisa login kembali. Terima kasih.\n\n"
            "Pada Sen, 2 Nov 2026 pukul 10.00, Helpdesk LPSE <lpse@batam.go.id> menulis:\n"
            "> Silakan coba reset password melalui menu Lupa Password.\n"
        ),
        "Selamat siang,\n\nAkun saya sudah bisa login kembali. Terima kasih.",
        ["menulis", "Lupa Password"],
    ),
    (
        "gmail in Indonesian, header wrapped after '<'",
        (
            "Baik, akan saya coba.\n\n"
            "Pada Sen, 2 Nov 2026 pukul 10.00 Helpdesk LPSE Kota Batam <\n"
            "lpse@batam.go.id> menulis:\n\n> Mohon lampirkan tangkapan layar.\n"
        ),
        "Baik, akan saya coba.",
        ["lpse@batam.go.id", "tangkapan layar"],
    ),
    (
        "gmail, long header wrapped before 'menulis:'",
        (
            "Sudah saya kirim ulang.\n\n"
            "Pada tanggal Sel, 3 Nov 2026 pukul 08.15, Helpdesk Layanan Pengadaan Secara\n"
            "Elektronik <lpse@batam.go.id> menulis:\n> Dokumen belum kami terima.\n"
        ),
        "Sudah saya kirim ulang.",
        ["Dokumen belum"],
    ),
    (
        "outlook in Indonesian",
        (
            "Mohon dibantu, dokumen penawaran tidak bisa diunggah.\n\n"
            "________________________________\n"
            "Dari: Helpdesk LPSE <lpse@batam.go.id>\n"
            "Dikirim: Senin, 02 November 2026 10.00\n"
            "Kepada: Budi Santoso <budi@contoh.co.id>\n"
            "Subjek: [LPSE-BTM #2026-00042] Permohonan reset password\n\n"
            "Yth. Bapak Budi, silakan coba kembali.\n"
        ),
        "Mohon dibantu, dokumen penawaran tidak bisa diunggah.",
        ["Dari:", "Dikirim:", "silakan coba kembali"],
    ),
    (
        "outlook in Indonesian without a rule line",
        (
            "Terlampir berita acara.\n\n"
            "Dari: Helpdesk LPSE <lpse@batam.go.id>\n"
            "Terkirim: Senin, 02 November 2026 10.00\n"
            "Kepada: Budi Santoso\n"
            "Perihal: Berita acara\n\n"
            "Mohon kirimkan berita acara.\n"
        ),
        "Terlampir berita acara.",
        ["Terkirim:", "Mohon kirimkan"],
    ),
    (
        "Outlook 'Pesan Asli' marker",
        "Password sudah kami reset.\n\n-----Pesan Asli-----\nDari: Budi\nIsi lama\n",
        "Password sudah kami reset.",
        ["Pesan Asli", "Isi lama"],
    ),
    (
        "Yahoo Mail on Android in Indonesian",
        (
            "Terima kasih, masalah sudah selesai.\n\nDikirim dari Yahoo Mail pada Android\n\n"
            "  Pada Sen, 2 Nov 2026 pada 10:00, Helpdesk LPSE<lpse@batam.go.id> menulis:   "
            "Silakan konfirmasi.\n"
        ),
        "Terima kasih, masalah sudah selesai.",
        ["Yahoo", "Silakan konfirmasi"],
    ),
    (
        "Yahoo classic, dashes before the header",
        (
            "Terima kasih pak, sudah bisa.\n\n--- On Mon, 11/23/26, LPSE Batam <lpse@batam.go.id> wrote:\n\n"
            "From: LPSE Batam <lpse@batam.go.id>\nSubject: [LPSE-BTM #2026-00001] Akun\nTo: budi@x.id\n"
            "Date: Monday, November 23, 2026, 9:00 AM\n\nTiket Anda sudah kami terima.\n"
        ),
        "Terima kasih pak, sudah bisa.",
        ["wrote", "Tiket Anda"],
    ),
    (
        "Indonesian footer at the very end",
        "Mohon info jadwal pembuktian.\n\nDikirim dari ponsel cerdas Samsung Galaxy saya.\n",
        "Mohon info jadwal pembuktian.",
        ["Samsung"],
    ),
    (
        "forwarded in Indonesian",
        (
            "Mohon ditindaklanjuti.\n\n---------- Pesan terusan ---------\n"
            "Dari: Budi <budi@contoh.co.id>\nTanggal: Sen, 2 Nov 2026 10.00\n"
            "Subjek: Gagal unggah\nKepada: <lpse@batam.go.id>\n\nTidak bisa unggah dokumen.\n"
        ),
        "Mohon ditindaklanjuti.",
        ["Pesan terusan", "Tidak bisa unggah"],
    ),
    (
        "Samsung Email in Indonesian, header block without its marker line",
        (
            "Mohon dilengkapi kode tender.\n\n"
            "Dari: Helpdesk LPSE <lpse@batam.go.id>\n"
            "Tanggal: 02/11/26 10.00 (GMT+07:00)\n"
            "Ke: helpdesk-lpse@lkpp.go.id\n"
            "Subjek: Eskalasi: Gagal upload\n\n"
            "Penyedia gagal upload, mohon bantuan.\n"
        ),
        "Mohon dilengkapi kode tender.",
        ["Ke:", "mohon bantuan"],
    ),
    (
        "reply header with a name only, right above the quote",
        "Sudah kami reset.\n\nHelpdesk LPSE Kota Batam wrote:\n> Mohon bantuan, masih error.\n",
        "Sudah kami reset.",
        ["wrote:", "masih error"],
    ),
    (
        "reply header with a name only, in Indonesian, blank line before the quote",
        "Mohon kirimkan NPWP.\n\nHelpdesk LPSE menulis:\n\n> Penyedia gagal login.\n",
        "Mohon kirimkan NPWP.",
        ["menulis:", "gagal login"],
    ),
    (
        "signature delimiter",
        "Terima kasih atas bantuannya.\n-- \nBudi Santoso\nDinas PU Kota Batam\n",
        "Terima kasih atas bantuannya.",
        ["Budi Santoso", "Dinas PU"],
    ),
    (
        "Spanish header",
        "Gracias.\n\nEl lun, 2 nov 2026 a las 10:00, Ana <ana@ejemplo.es> escribió:\n> hola\n",
        "Gracias.",
        ["escribió", "hola"],
    ),
]


@pytest.mark.parametrize(
    ("label", "text", "expected", "absent"), INDONESIAN_CASES, ids=[c[0] for c in INDONESIAN_CASES]
)
def test_indonesian_and_other_replies(
    label: str, text: str, expected: str, absent: list[str]
) -> None:
    """Indonesian mail clients' reply headers, blocks and footers are cut."""
    new = strip_reply(text)
    assert new == expected
    for line in absent:
        assert line not in new


MOBILE_FOOTERS = [
    "Dapatkan Outlook untuk Android",
    "Dapatkan Outlook untuk iOS",
    "Diperoleh dari Outlook untuk Android",
    "Kirim dari Yahoo Mail di Android",
    "Dikirim dari Yahoo Mail untuk iPhone",
    "Dikirim dari ponsel saya",
    "Dikirim via Gmail untuk Android",
    "Sent from Yahoo Mail on Android",
    "Sent from Mail for Windows",
    "Get Outlook for Android",
]
REPLY_HEADER = "Pada Sen, 2 Nov 2026 pukul 10.00 Helpdesk LPSE <lpse@batam.go.id> menulis:\n> Silakan login ulang.\n"


@pytest.mark.parametrize("footer", MOBILE_FOOTERS)
def test_mobile_footers_in_indonesian_and_english_are_not_new_text(footer: str) -> None:
    """A phone's footer is no part of what was written, at the end or above the quote."""
    assert strip_reply(f"Sudah bisa, terima kasih.\n\n{footer}\n") == "Sudah bisa, terima kasih."
    assert strip_reply(f"Sudah bisa, terima kasih.\n\n{footer}\n\n{REPLY_HEADER}") == "Sudah bisa, terima kasih."
    assert strip_reply(f"\n{footer}\n\n{REPLY_HEADER}") == ""  # Reply and Send: nothing new


@pytest.mark.parametrize("text", [
    "Mohon dicek lagi.\n\nKirim dari email kantor saja pak",
    "Sudah saya kirim ulang.\nDiperoleh dari hasil export aplikasi",
])
def test_everyday_sentences_that_open_like_a_footer_are_kept(text: str) -> None:
    """"Kirim dari"/"Diperoleh dari" are everyday words: a footer only with an app or device name."""
    assert strip_reply(text) == text


def test_command_below_the_quote_marker_is_not_new_text() -> None:
    """A staff `#tutup` written under the quoted request must never count (SPEC 9)."""
    text = (
        "Sudah kami reset, silakan dicoba.\n\n"
        "Pada Sen, 2 Nov 2026 pukul 10.00, Budi <budi@contoh.co.id> menulis:\n"
        "> Password saya tidak bisa dipakai.\n\n"
        "#tutup\n"
    )
    new = strip_reply(text)
    assert new == "Sudah kami reset, silakan dicoba."
    assert "#tutup" not in new


def test_command_in_unquoted_outlook_history_is_not_new_text() -> None:
    """Outlook quotes without `>`; a command inside that history is dropped too."""
    text = (
        "#selesai\nPassword sudah direset.\n\n"
        "Dari: Helpdesk LPSE <lpse@batam.go.id>\nDikirim: Senin, 02 November 2026 10.00\n"
        "Kepada: staf@batam.go.id\nSubjek: Tiket\n\n#tutup\n"
    )
    assert strip_reply(text) == "#selesai\nPassword sudah direset."


def test_memo_header_in_a_request_is_kept() -> None:
    """A memo listing "Kepada:" before "Dari:" is content, not an Outlook block."""
    text = (
        "Kepada: Kepala LPSE\nDari: Pokja Pemilihan 3\nTanggal: 2 November 2026\n"
        "Perihal: Permohonan akun\n\nMohon dibuatkan akun untuk anggota baru."
    )
    assert strip_reply(text) == text


def test_sentence_ending_in_a_reply_verb_without_a_quote_is_kept() -> None:
    """"... seperti yang Bapak menulis:" followed by text, not by `>` lines, is content."""
    text = "Seperti yang Bapak menulis:\nPenyedia gagal login sejak pagi."
    assert strip_reply(text) == text


def test_sentence_with_date_and_address_is_kept() -> None:
    """A request naming a date and an address and ending with a colon is not a header."""
    text = "Pada 5 Mei saya kirim ke admin@lpse.go.id dengan isi berikut:\nNomor paket 123"
    assert strip_reply(text) == text


@pytest.mark.parametrize(
    "line",
    ["-" * 20_000 + "x", " " * 20_000 + "x", "On " + "1 " * 10_000, "_" * 20_000 + "x"],
    ids=["dashes", "spaces", "on-digits", "underscores"],
)
def test_hostile_long_lines_are_linear(line: str) -> None:
    """Long crafted lines finish (a backtracking pattern would hang here) and are kept."""
    assert strip_reply(f"{line}\n{line}\n") == f"{line}\n{line}".rstrip()


# --- ticket-system footers -----------------------------------------------------------------

OTRS_FOOTERS = [
    (
        "OTRS status and instructions after the signature",
        (
            "Akun penyedia sudah kami aktifkan kembali.\n\nSalam,\nHelpdesk LKPP\n\n"
            "Status tiket: closed successful\n"
            "Silakan balas email ini untuk menambahkan informasi. Mohon tidak mengubah subjek email.\n"
        ),
        "Akun penyedia sudah kami aktifkan kembali.\n\nSalam,\nHelpdesk LKPP",
    ),
    (
        "a ticket line with queue, then the quote",
        (
            "Mohon dikirimkan kode tender.\n\n"
            "[Ticket#2026031210004410] Status tiket: Dalam Proses | Antrian: Helpdesk LPSE\n"
            "Mohon tidak mengubah subjek email saat membalas.\n\n"
            "12.03.2026 09:12 - Helpdesk LPSE Kota Batam wrote:\n> Penyedia gagal login.\n"
        ),
        "Mohon dikirimkan kode tender.",
    ),
    (
        "aligned fields",
        (
            "Tiket sedang ditangani Tim Teknis.\n\n"
            "Nomor tiket : 2026031210004410\nStatus      : open\nAntrian     : SPSE::Tim Teknis\n"
            "Balas email ini untuk menambahkan informasi pada tiket.\n"
        ),
        "Tiket sedang ditangani Tim Teknis.",
    ),
    (
        "English desk footer",
        "The account was unlocked.\n\nTicket status: resolved\nPlease do not change the subject when replying.\n",
        "The account was unlocked.",
    ),
    (
        "a request just above the footer stays",
        (
            "Silakan balas email ini dengan melampirkan tangkapan layar.\n\n"
            "Status tiket: pending reminder\n"
        ),
        "Silakan balas email ini dengan melampirkan tangkapan layar.",
    ),
    (
        "a field alone, with no word of a ticket system, is the sender's own",
        "Laporan sudah kami cek.\n\nStatus: selesai\n",
        "Laporan sudah kami cek.\n\nStatus: selesai",
    ),
    (
        "fields in the middle of the text are content",
        (
            "Tiket dinaikkan ke Level 2.\n\nStatus tiket: In Progress\nAntrian: SPSE::Level 2\n\n"
            "Kami akan mengabari perkembangannya."
        ),
        ("Tiket dinaikkan ke Level 2.\n\nStatus tiket: In Progress\nAntrian: SPSE::Level 2\n\n"
         "Kami akan mengabari perkembangannya."),
    ),
]


@pytest.mark.parametrize(("label", "text", "expected"), OTRS_FOOTERS, ids=[c[0] for c in OTRS_FOOTERS])
def test_ticket_system_footer_is_not_new_text(label: str, text: str, expected: str) -> None:
    """A ticket system's trailing footer is dropped; content that merely looks like it stays."""
    assert strip_reply(text) == expected


FOOTER_LINES = ("Status tiket", "[Ticket#", "Antrian", "tidak mengubah subjek", "untuk menambahkan informasi",
                "Status      :")


@pytest.mark.parametrize("name", ["lkpp_replies_dev.yaml", "lkpp_replies_own.yaml"])
def test_otrs_replies_in_the_data_lose_their_footer(name: str) -> None:
    """Every OTRS reply of the labelled sets keeps its message and loses the desk's footer."""
    items = yaml.safe_load((Path(__file__).resolve().parent / "data" / name).read_text(encoding="utf-8"))
    otrs = [item for item in items if item["client"] == "otrs"]
    assert len(otrs) >= 20
    leaks = []
    for item in otrs:
        new = strip_reply(item["body"])
        if not new.strip() or any(mark in line for line in new.splitlines()[-3:] for mark in FOOTER_LINES):
            leaks.append((item["id"], new.splitlines()[-3:]))
    assert not leaks


# --- Outlook header blocks without To ------------------------------------------------------

def test_outlook_block_without_to_is_cut() -> None:
    """From, Sent with a time and Subject start the history even when To is left out (Bcc)."""
    text = (
        "Sudah kami reset, silakan dicoba.\n\n"
        "From: Helpdesk LPSE Kota Batam <lpse@batam.go.id>\n"
        "Sent: Monday, 2 November 2026 10:00\n"
        "Subject: [LPSE-BTM #2026-00042] Eskalasi\n\n"
        "#tutup\nPenyedia gagal login.\n"
    )
    assert strip_reply(text) == "Sudah kami reset, silakan dicoba."


def test_indonesian_outlook_block_without_to_is_cut() -> None:
    """The same in Indonesian: Dari, Dikirim (a time), Subjek."""
    text = (
        "Mohon dilengkapi NPWP.\n\n"
        "Dari: Helpdesk LPSE Kota Batam\nDikirim: Senin, 02 November 2026 10.00\nSubjek: Eskalasi\n\n"
        "Penyedia gagal unggah.\n"
    )
    assert strip_reply(text) == "Mohon dilengkapi NPWP."


@pytest.mark.parametrize("text", [
    # a memo with "Kepada:" above "Dari:", its date with a time
    ("Kepada: Kepala LPSE\nDari: Pokja Pemilihan 3\nTanggal: 2 November 2026 pukul 10.00\n"
     "Perihal: Permohonan akun\n\nMohon dibuatkan akun untuk anggota baru."),
    # a memo without "Kepada:" and a date without a time
    "Dari: Pokja Pemilihan 3\nTanggal: 2 November 2026\nPerihal: Permohonan akun\n\nMohon dibuatkan akun.",
    # From and Subject only
    "From: Budi\nSubject: Akun\n\nMohon dibuatkan akun.",
])
def test_memo_without_to_is_kept(text: str) -> None:
    """Memos keep their header lines: no To, and either a To-like line above or no clock time."""
    assert strip_reply(text) == text


@pytest.mark.parametrize("header", [
    # From and Subject alone, the Subject carrying the ticket's tag as every mail of a ticket does
    "From: Helpdesk LPSE Kota Batam <lpse@batam.go.id>\nSubject: [LPSE-BTM #2026-00042] Arahan",
    "Dari: Helpdesk LPSE Kota Batam\nPerihal: RE: [LPSE-BTM #2026-00042] Eskalasi",
    "Dari: Helpdesk LPSE Kota Batam\nDikirim: Senin, 02 November 2026\nPerihal: [LPSE-BTM #2026-00042] Eskalasi",
    # HTML-only Outlook with a paragraph per field
    ("From: Helpdesk LPSE Kota Batam <lpse@batam.go.id>\n\nSent: Monday, 2 November 2026 10:00\n\n"
     "To: Koordinator\n\nSubject: [LPSE-BTM #2026-00042] Eskalasi"),
])
def test_thin_outlook_block_is_cut(header: str) -> None:
    """A quoted header of From and Subject only, or of fields a blank line apart, starts history:
    the quoted command list is not new text (SPEC 4, 9)."""
    text = f"Andi, eskalasi saja.\n\n{header}\n\nYth. Koordinator Helpdesk,\n\n#permintaan-data, #teruskan\n"
    assert strip_reply(text) == "Andi, eskalasi saja."


@pytest.mark.parametrize("text", [
    "Dari: Pokja Pemilihan 3\nPerihal: Permohonan akun\n\nMohon dibuatkan akun.",
    "Yth. Admin,\n\nDari: CV Maju Jaya\n\nPerihal: Permohonan reset akun\n\nMohon direset.",
    "Kepada: Kepala LPSE\nDari: Pokja 3 <pokja3@batam.go.id>\nPerihal: RE: Permohonan akun\n\nMohon dibuatkan.",
    # pasted into a requester's reply: the letter is what they want handled, address or RE: and all
    ("Berikut surat dari Pokja:\n\nDari: Pokja Pemilihan 3 <pokja3@ukpbj.batam.go.id>\n"
     "Perihal: Tanggapan atas sanggah paket 10012345000\n\nSanggahan dinyatakan tidak diterima."),
    "Lembar disposisi:\n\nDari : Sekretariat Daerah\nPerihal : Re: Permohonan aktivasi akun\n\nAgar diproses.",
    ("Surat ini saya terima kemarin:\n\nDari: admin@lpse.sumbarprov.go.id\nSubjek: FW: Verifikasi penyedia\n\n"
     "Akun Anda belum diverifikasi."),
    # a letter's fields spaced out, as an official letter lays them
    ("Mohon ditindaklanjuti surat berikut.\n\nDari : Kepala Bagian PBJ\n\nKepada : Kepala LPSE\n\n"
     "Perihal : Permohonan reset akun\n\nAgar akun penyedia direset."),
])
def test_letter_with_from_and_subject_is_kept(text: str) -> None:
    """A letter's Dari/Perihal lines without a ticket tag, or with a Kepada above, are content."""
    assert strip_reply(text) == text


_QUOTE = "> Yth. Bapak/Ibu Budi Santoso,\n>\n> Helpdesk LKPP membutuhkan data tambahan.\n> --\n> Helpdesk LPSE Uji\n"


@pytest.mark.parametrize(("text", "nothing_typed"), [
    # files sent alone: Gmail, Thunderbird, an iPhone's footer above the quote
    ("\n\nPada Sen, 23 Nov 2026 pukul 09.15 Helpdesk LPSE Uji <lpse@lpse.test> menulis:\n\n" + _QUOTE, True),
    ("On 23/11/2026 09.15, Helpdesk LPSE Uji wrote:\n" + _QUOTE, True),
    ("Dikirim dari iPhone saya\n\nPada 23 Nov 2026, pukul 09.15, Helpdesk LPSE Uji <lpse@lpse.test> menulis:\n\n"
     + _QUOTE, True),
    (_QUOTE, True),
    # the writer's own words: above, below or between the quote, a pasted letter, a forward
    ("Terlampir.\n\nPada Sen, 23 Nov 2026 pukul 09.15 Helpdesk LPSE <lpse@lpse.test> menulis:\n" + _QUOTE, False),
    ("On 23/11/2026 09.15, Helpdesk LPSE Uji wrote:\n" + _QUOTE + "\nIni NIB kami: 1234567890123\n", False),
    ("Dari : Kepala Bagian PBJ\nKepada : Kepala LPSE\nPerihal : Jadwal\n\nMohon jadwal diubah.\n" + _QUOTE, False),
    ("---------- Forwarded message ---------\nFrom: Pokja <pokja@dinas.test>\n\nUndangan.\n" + _QUOTE, False),
    ("", False),
])
def test_only_quoted_tells_a_reply_with_nothing_typed(text: str, nothing_typed: bool) -> None:
    """A reply holds nothing its writer typed when all of it is a reply header and the quote."""
    assert only_quoted(text) is nothing_typed


# --- an underscore rule: Outlook's history line, or a divider the writer typed ----------------

_STEPS = "Yth. Bapak Budi,\n\nSilakan ikuti langkah berikut:\n1. Buka menu Lupa Password\n2. Masukkan email terdaftar"


@pytest.mark.parametrize("below", [
    "Jika masih gagal, hapus cache browser lalu coba lagi.\n\nTerima kasih,\nAndi\nHelpdesk LPSE Kota Batam",
    "Terima kasih.\n\nSalam,\nHelpdesk LPSE Kota Batam\nTelp. (0778) 123456",
    "CATATAN: jangan bagikan kata sandi Anda kepada siapa pun, termasuk petugas helpdesk.",
    # a signature with a "Dari:" line of its own is not Outlook's block
    "Andi Pratama\nDari: Bidang Layanan dan Dukungan\nLPSE Kota Batam",
    # a memo under the rule ("Kepada:" first) is the writer's
    "Kepada: Pokja Pemilihan 3\nDari: Helpdesk LPSE\nHal: Jadwal pembuktian\n\nMohon jadwal disesuaikan.",
])
@pytest.mark.parametrize("rule", ["_" * 20, "_" * 32, "  " + "_" * 60])
def test_a_typed_divider_keeps_the_text_below_it(rule: str, below: str) -> None:
    """SPEC E6: the staff's reply is relayed whole. A rule typed between steps and "Terima kasih"
    or a signature is not Outlook's history line: the requester lost everything below it."""
    text = f"{_STEPS}\n\n{rule}\n\n{below}\n"
    assert strip_reply(text) == text.strip()


@pytest.mark.parametrize("block", [
    # Outlook desktop, English and Indonesian
    ("From: Helpdesk LPSE Kota Batam <lpse@batam.go.id>\nSent: Monday, November 23, 2026 9:00 AM\n"
     "To: Budi Santoso <budi@vendor.test>\nSubject: [LPSE-BTM #2026-00042] Akun terkunci"),
    ("Dari: Helpdesk LPSE Kota Batam <lpse@batam.go.id>\nDikirim: Senin, 23 November 2026 09.00\n"
     "Kepada: Budi Santoso <budi@vendor.test>\nSubjek: [LPSE-BTM #2026-00042] Akun terkunci"),
    # Outlook on the web turned to text: bold markers, a blank line between fields
    ("*From:* Helpdesk LPSE Kota Batam <lpse@batam.go.id>\n*Sent:* Monday, November 23, 2026 9:00 AM\n"
     "*To:* Budi Santoso\n*Subject:* Akun terkunci"),
    "\n**Dari:** Helpdesk LPSE\n\n**Dikirim:** Senin, 23 November 2026\n\n**Kepada:** Budi\n\n**Perihal:** Akun",
    # From and Sent alone, no To, no time, no tag (Bcc)
    "From: Helpdesk LPSE\nSent: Monday\n",
    # Hotmail: Date first
    "Date: Mon, 23 Nov 2026 09:00:00 +0700\nFrom: lpse@batam.go.id\nTo: budi@vendor.test\nSubject: Akun",
    # all on one line
    "From: Helpdesk LPSE <lpse@batam.go.id> Sent: Monday, November 23, 2026 9:00 AM To: Budi Subject: Akun",
])
def test_outlooks_rule_over_its_header_block_starts_history(block: str) -> None:
    """SPEC 4: quoted history is never relayed. Outlook's rule with its header block under it
    (in English or Indonesian Outlook, with bold markers or blank lines) still cuts, and the
    command quoted under it never runs (SPEC 9)."""
    text = f"Sudah kami reset, silakan dicoba.\n\n{'_' * 32}\n{block}\n\n#tutup\nAkun saya terkunci.\n"
    assert strip_reply(text) == "Sudah kami reset, silakan dicoba."


def test_a_mailing_lists_footer_under_its_rule_is_not_new_text() -> None:
    """Mailman's footer ("<list> mailing list", its address, listinfo) is no part of the post."""
    text = ("Akun sudah kami buka kembali.\n\n" + "_" * 47 + "\nhelpdesk-lpse mailing list\n"
            "helpdesk-lpse@lists.lpse.test\nhttps://lists.lpse.test/mailman/listinfo/helpdesk-lpse\n")
    assert strip_reply(text) == "Akun sudah kami buka kembali."


# --- a forward sent on to LKPP without the unit's own mail inside it (SPEC E3, 4) --------------

_UNIT = ("lpse@batam.go.id", "Helpdesk LPSE Kota Batam")
_OUR_REQUEST = ("Yth. Bapak/Ibu Budi Santoso,\n\nHelpdesk LKPP membutuhkan data tambahan.\n\n--\n"
                "Helpdesk LPSE Kota Batam\nlpse@batam.go.id")
_RUDI = ("Berikut.\n\n-------- Pesan Terusan --------\nSubjek: Re: Permintaan data\nTanggal: 23/11/2026 10.12\n"
         "Dari: Rudi <rudi@vendor.test>\nKepada: Budi <budi@vendor.test>\n\nNIB 9120001234567")


@pytest.mark.parametrize("ours", [
    # Thunderbird names the writer only; Gmail with the address; a second level of quote
    "On 23/11/2026 09.00, Helpdesk LPSE Kota Batam wrote:\n" + "\n".join("> " + x for x in _OUR_REQUEST.split("\n")),
    ("Pada Sen, 23 Nov 2026 pukul 09.00 Helpdesk LPSE <\nlpse@batam.go.id> menulis:\n\n"
     + "\n".join(">" + x for x in _OUR_REQUEST.split("\n"))),
    ("Pada Sen, 23 Nov 2026 Budi <budi@vendor.test> menulis:\n> ---------- Forwarded message ---------\n"
     "> From: Helpdesk LPSE Kota Batam <lpse@batam.go.id>\n> Date: Sen, 23 Nov 2026\n"
     "> Subject: [LPSE-BTM #2026-00042] Data\n"
     ">\n" + "\n".join("> " + x for x in _OUR_REQUEST.split("\n"))),
    # Outlook's block of our mail under the forwarded answer
    ("-----Original Message-----\nFrom: Helpdesk LPSE Kota Batam [mailto:lpse@batam.go.id]\n"
     "Sent: Monday, November 23, 2026 9:00 AM\nTo: Budi\nSubject: [LPSE-BTM #2026-00042] Data\n\n" + _OUR_REQUEST),
])
def test_our_mail_inside_a_forward_is_left_out(ours: str) -> None:
    """Our request, quoted or forwarded inside the forwarded answer, is the unit's own words."""
    assert without_our_mail(f"{_RUDI}\n\n{ours}\n", _UNIT) == _RUDI


def test_a_forward_of_our_mail_alone_leaves_only_the_writers_words() -> None:
    """Forward pressed instead of Reply: the data typed above our forwarded request."""
    text = ("NIB 9120001234567.\n\n---------- Forwarded message ---------\nFrom: Helpdesk LPSE Kota Batam "
            "<lpse@batam.go.id>\nDate: Sen, 23 Nov 2026\nSubject: [LPSE-BTM #2026-00042] Data\nTo: budi@vendor.test\n\n"
            + _OUR_REQUEST)
    assert without_our_mail(text, _UNIT) == "NIB 9120001234567."


@pytest.mark.parametrize("text", [
    _RUDI + "\n\nPada Sen, 23 Nov 2026, Pokja 3 <pokja3@batam.go.id> menulis:\n> Jadwal diperpanjang.\n",
    # the unit named in the text, not as the writer of a mail
    _RUDI + "\nSudah saya kirim juga ke lpse@batam.go.id kemarin.\nDari: Helpdesk LPSE Kota Batam, kata Pak Andi.",
])
def test_a_forward_without_our_mail_is_kept_as_it_was(text: str) -> None:
    """Others' mail and quotes inside a forward are the forwarded data."""
    assert without_our_mail(text, _UNIT) == text


_FORWARDED_ANSWER = ("Berikut jawaban yang diminta.\n\n---------- Forwarded message ---------\nFrom: {sender}\n"
                     "Date: Sen, 23 Nov 2026 pukul 10.12\nSubject: Re: Perpanjangan jadwal\n"
                     "To: Budi <budi@vendor.test>\n\n"
                     "Jadwal belum dapat diperpanjang sebelum ada surat dari LKPP.")


@pytest.mark.parametrize(("ours", "sender"), [
    # Pokja of the same LPSE: their name holds the unit's display name, their address the unit's
    (("lpse@batam.go.id", "LPSE Kota Batam"), "Pokja Pemilihan LPSE Kota Batam <pokja3@batam.go.id>"),
    (("lpse@batam.go.id", "Helpdesk LPSE Kota Batam"), "Pokja Pemilihan 3 <pokja.lpse@batam.go.id>"),
    # another unit whose helpdesk has a name the unit's short display name is part of
    (("lpse@batam.go.id", "Helpdesk LPSE"), "Helpdesk LPSE Provinsi Kepri <lpse@kepriprov.go.id>"),
    (("lpse@batam.go.id", "LPSE Kota Batam"), "Pokja Pemilihan LPSE Kota Batam"),
])
def test_a_forwarded_answer_from_someone_whose_name_holds_ours_is_kept(ours: tuple[str, str], sender: str) -> None:
    """SPEC E3: only the unit's own mail comes out of a forward, told by the unit's address
    or its whole display name; a Pokja or another unit whose name or address merely contains
    them wrote the data LKPP asked for, which reached LKPP as an empty forward."""
    text = _FORWARDED_ANSWER.format(sender=sender)
    assert without_our_mail(text, ours) == text


@pytest.mark.parametrize("header", [
    "Pada 23/11/2026 09.00, Helpdesk LPSE Kota Batam menulis:",  # Thunderbird gives no address
    "On 23/11/2026 09:00, Helpdesk LPSE Kota Batam wrote:",
    "Pada Sen, 23 Nov 2026 pukul 09.00 \"Helpdesk LPSE Kota Batam\" <LPSE@batam.go.id> menulis:",
])
def test_our_quoted_mail_is_told_by_our_whole_name_or_our_address(header: str) -> None:
    quoted = "\n".join("> " + line for line in _OUR_REQUEST.split("\n"))
    assert without_our_mail(f"{_RUDI}\n\n{header}\n{quoted}\n", _UNIT) == _RUDI


# A ticket system's reply marker: below it is the ticket's history; heading the text, it is no text.
REPLY_MARKERS = [
    ("Sudah kami perbaiki.\n\n##- Please do not reply below this line -##\n\nTicket #1 | Status: Solved\nYth. LKPP",
     "Sudah kami perbaiki."),
    ("Sudah kami perbaiki.\n-----Please do not write below this line-----\nOriginal:\nYth. LKPP",
     "Sudah kami perbaiki."),
    ("Sudah kami perbaiki.\n\n--- Mohon tidak membalas di bawah baris ini ---\nTiket #1\nYth. LKPP",
     "Sudah kami perbaiki."),
    ("Sudah kami perbaiki.\n-- Balas di atas baris ini --\nRiwayat tiket", "Sudah kami perbaiki."),
    (("##- Please type your reply above this line -##\n\nSudah kami perbaiki.\n\nPada Sen, 23 Nov 2026 "
      "Helpdesk LPSE <lpse@batam.go.id> menulis:\n> Yth. LKPP"), "Sudah kami perbaiki."),
]


@pytest.mark.parametrize(("text", "expected"), REPLY_MARKERS)
def test_ticket_system_reply_marker_ends_the_new_text(text: str, expected: str) -> None:
    assert new_text(text) == expected


@pytest.mark.parametrize("text", [
    "Saya tidak bisa menulis di bawah baris ini karena kolomnya terkunci.",
    "Mohon jangan membalas di bawah baris ini? Maksudnya bagaimana, Pak?",
])
def test_sentences_about_a_line_are_kept(text: str) -> None:
    assert new_text(text) == text

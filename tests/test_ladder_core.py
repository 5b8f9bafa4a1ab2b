"""The pure layers: bottom-posted replies, forwards, the consultation form, closing
words, coordinators' answers and heads' recommendations (parsers and core, no servers).

Expected values are written from SPEC sections 1, 4 and 9 and the seeds (003's form
labels), never read from the code's own tables.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from mailbot.core.classify import Known, as_problem, classify
from mailbot.core.commands import parse_commands
from mailbot.core.identity import identify_texts, is_signature
from mailbot.core.lifecycle import Event, Policy, decide
from mailbot.core.trust import Citation, authenticate, trust_of
from mailbot.model import Address, Role, State
from mailbot.parsers.quotes import is_forward, new_text, strip_reply
from tests.test_lifecycle import (
    BOX,
    CFG,
    COORDINATOR,
    HEAD,
    NOW,
    REQUESTER,
    RULES,
    STAFF,
    message,
    ticket,
)

# --- bottom-posted and inline replies ----------------------------------------

THUNDERBIRD_BOTTOM = """On 23/11/2026 09.15, Helpdesk LPSE Uji wrote:
> [LPSE-T #2026-00001] Password akun penyedia
>
> Silakan coba reset melalui menu Lupa Password.
>
> --
> Helpdesk LPSE Uji

Sudah saya coba, tetapi email reset tidak pernah masuk.
Mohon dibantu.

--
Siti Rahmawati
Direktur CV Maju Jaya
"""


def test_bottom_posted_text_below_the_quote_is_the_new_text() -> None:
    """Thunderbird's default: the writer's text under the quote counts; quote and signature do not."""
    assert strip_reply(THUNDERBIRD_BOTTOM) == ""  # the strict top is empty...
    assert new_text(THUNDERBIRD_BOTTOM) == "Sudah saya coba, tetapi email reset tidak pernah masuk.\nMohon dibantu."


def test_gmail_bottom_posting_with_a_blank_line_under_the_header() -> None:
    """Gmail writes an empty line between "On ... wrote:" and the quote."""
    text = ("On Mon, 23 Nov 2026 at 09:15, Helpdesk LPSE Uji <lpse@lpse.test> wrote:\n\n> Silakan dicoba.\n>\n"
            "> Salam\n\nSudah saya coba, berhasil.\n")
    assert new_text(text) == "Sudah saya coba, berhasil."


def test_inline_answers_between_quotes_are_kept_in_order() -> None:
    """A reply answered point by point keeps each answer, none of the quoted questions."""
    text = ("Pada Sen, 23 Nov 2026 pukul 09.15 Helpdesk LPSE Uji <lpse@lpse.test> menulis:\n"
            "> Apa kode tendernya?\n\nKode tender 10012345000.\n\n"
            "> Browser apa yang dipakai?\n\nChrome versi terbaru.\n")
    assert new_text(text) == "Kode tender 10012345000.\n\nChrome versi terbaru."


@pytest.mark.parametrize("text", [
    # only a quote and a signature: nothing new anywhere
    "On 23/11/2026 09.15, Helpdesk LPSE Uji wrote:\n> Silakan dicoba.\n\n-- \nAndi\nHelpdesk LPSE\n",
    # Outlook's unquoted history has no bottom to read: what follows the header is history
    ("-----Original Message-----\nFrom: Helpdesk LPSE Uji <lpse@lpse.test>\nSent: Monday, November 23, 2026 9:15 AM\n"
     "To: siti@cvmajujaya.test\nSubject: Password\n\nSilakan coba reset.\n"),
])
def test_a_reply_without_new_text_stays_empty(text: str) -> None:
    """Nothing new is nothing new: no quoted or history line is taken for the writer's."""
    assert new_text(text) == ""


def test_text_below_the_quote_is_kept_but_a_command_there_never_runs() -> None:
    """SPEC 4: the new text is kept wherever it stands, so the line under the quote is the
    writer's too; SPEC 9: commands are read only from the top, so a #tutup under the
    quote is refused as not at the top, and runs nothing."""
    text = "Sudah kami reset.\n\nPada Sen, 23 Nov 2026 pukul 10.00, Budi <b@x.test> menulis:\n> Tolong.\n\n#tutup\n"
    assert new_text(text) == "Sudah kami reset.\n\n#tutup"
    parsed = parse_commands(new_text(text))
    assert parsed.commands == ()
    assert [e.code for e in parsed.errors] == ["not_at_top"]


# --- forwards that open a ticket -----------------------------------------------

GMAIL_FORWARD = """Mohon dibantu, berikut email dari rekan kami.

---------- Forwarded message ---------
From: Rudi Hartono <rudi@cvmajujaya.test>
Date: Sen, 23 Nov 2026 pukul 08.10
Subject: Gagal upload dokumen penawaran
To: Siti Rahmawati <siti@cvmajujaya.test>

Bu Siti, saat upload dokumen penawaran paket 10012345000 muncul "Gagal mengirim penawaran".
"""


@pytest.mark.parametrize(("subject", "body", "forwarded"), [
    ("Fwd: Gagal upload dokumen penawaran", "isi", True),
    ("FW: Error tanda tangan elektronik", "isi", True),
    ("Tr: Akun terkunci", "isi", True),
    ("Re: Fwd: jadwal", "isi", True),
    ("Gagal upload", GMAIL_FORWARD, True),
    ("Akun", "Berikut.\n\n----- Pesan Terusan -----\nDari: a@b.test\n\nAkun terkunci.", True),
    ("Akun", "Berikut.\n\nBegin forwarded message:\n\nFrom: a@b.test\n\nAkun terkunci.", True),
    ("Re: Akun terkunci", "Sudah dicoba.\n\n-----Original Message-----\nFrom: a@b.test\n", False),
    ("Forward penawaran gagal", "Penawaran tidak bisa di-forward ke pokja.", False),
])
def test_forward_is_told_by_its_prefix_or_marker(subject: str, body: str, forwarded: bool) -> None:
    """Forward prefixes (Fwd, FW, Tr) and forward marker lines; a reply's Original Message is no forward."""
    assert is_forward(subject, body) is forwarded


def test_a_forwarded_mail_opening_a_ticket_keeps_the_forwarded_problem() -> None:
    """The forwarded part is the problem of a new ticket: staff and LKPP must read it."""
    msg = message(REQUESTER, GMAIL_FORWARD, subject="Fwd: Gagal upload dokumen penawaran",
                  new_text=strip_reply(GMAIL_FORWARD))
    assert "paket 10012345000" not in msg.new_text  # what quote stripping alone leaves
    facts = classify(msg, Known(), BOX, CFG, RULES, NOW, NOW)
    assert facts.event is Event.REQUESTER_NEW
    assert "Mohon dibantu" in facts.message.new_text and "paket 10012345000" in facts.message.new_text


def test_a_forward_on_an_existing_ticket_is_left_as_parsed() -> None:
    """Only a new ticket takes the whole forward as its problem."""
    msg = message(REQUESTER, GMAIL_FORWARD, new_text="Mohon dibantu, berikut email dari rekan kami.")
    facts = classify(msg, Known(tagged=ticket(State.OPEN)), BOX, CFG, RULES, NOW, NOW)
    assert facts.message.new_text == "Mohon dibantu, berikut email dari rekan kami."
    plain = message(REQUESTER, "Akun saya terkunci.")
    assert as_problem(plain) is plain


@pytest.mark.parametrize("body", [
    # Outlook forward whose subject the requester rewrote: no "FW:" left
    ("Mohon dibantu.\n\n-----Original Message-----\nFrom: Pokja <p@b.go.id>\nSent: Monday, November 23, 2026 9:00 AM\n"
    "To: b@v.id\nSubject: x\n\nPaket 12345678 error 500."),
    ("Mohon dibantu.\n\n----- Pesan Asli -----\nDari: Pokja <p@b.go.id>\nKepada: b@v.id\nTerkirim: Senin, 23 November "
    "2026 09:00\nPerihal: x\n\nPaket 12345678 error 500."),
    # a formal letter whose memo block reads like a quoted header
    ("Yth. Admin LPSE\n\nDari      : PPK Dinas PUPR\nKepada    : Admin LPSE\nPerihal   : Reset password\n\n"
    "Paket 12345678 error 500."),
])
def test_a_first_mail_is_the_problem_whole(body: str) -> None:
    """SPEC 2: the staff notice carries the requester's message. Quote stripping is for replies;
    in a first mail, what looks like history is the problem itself."""
    msg = message(REQUESTER, body, subject="Mohon bantuan", new_text=strip_reply(body))
    assert "12345678" not in msg.new_text  # what quote stripping alone leaves
    facts = classify(msg, Known(), BOX, CFG, RULES, NOW, NOW)
    assert facts.event is Event.REQUESTER_NEW and "12345678" in facts.message.new_text


def test_data_the_requester_forwards_while_lkpp_waits_goes_on_whole() -> None:
    """E3, SOP-015 step 9: the requester forwards the director's mail with the data LKPP asked
    for; the forwarded part is the data, so it goes to LKPP too."""
    msg = message(REQUESTER, GMAIL_FORWARD, subject="Fwd: Re: [LPSE-UJI #2026-00001] data",
                  new_text=strip_reply(GMAIL_FORWARD))
    facts = classify(msg, Known(tagged=ticket(State.AWAITING_INFO)), BOX, CFG, RULES, NOW, NOW)
    assert facts.event is Event.REQUESTER_MAIL and "paket 10012345000" in facts.message.new_text


def test_our_own_request_forwarded_back_alone_is_no_data_for_lkpp() -> None:
    """E3, SPEC 4: the requester pressed Forward on our request and sent it without a word or a
    file: nothing of theirs to pass on, and our own request is not their data."""
    body = ("---------- Forwarded message ---------\nFrom: Helpdesk LPSE Uji <lpse@lpse.test>\n"
            "Date: Sen, 23 Nov 2026 pukul 09.00\nSubject: [LPSE-UJI #2026-00001] Data\nTo: <budi@vendor.test>\n\n"
            "Yth. Bapak/Ibu Budi Santoso,\n\nHelpdesk LKPP membutuhkan data tambahan.\n")
    msg = message(REQUESTER, body, subject="Fwd: [LPSE-UJI #2026-00001] Data", new_text=strip_reply(body))
    facts = classify(msg, Known(tagged=ticket(State.AWAITING_INFO)), BOX, CFG, RULES, NOW, NOW)
    assert facts.event is Event.REQUESTER_EMPTY  # nothing goes on to LKPP; the ticket still waits on the requester
    assert "membutuhkan data tambahan" not in facts.message.new_text + facts.message.text


# --- the consultation form (seed 003) -------------------------------------------

SEED_FORM = """Berikut data kami:
A. IDENTITAS PENGGUNA SPSE
a. Nama : Siti Rahmawati
b. Nama Instansi/Perusahaan : CV Maju Jaya
c. Alamat : Jl. Engku Putri No. 1, Batam Centre
d. Nomor Telepon/HP : 0812-7000-1234
B. PERMASALAHAN
Tidak bisa login."""


def test_the_seed_form_labels_fill_every_field() -> None:
    """Seed 003's own labels, with its a./b./c./d. items."""
    found = identify_texts((SEED_FORM,), Address("siti@cvmajujaya.test", ""))
    assert (found.name, found.organisation, found.address, found.phone) == (
        "Siti Rahmawati", "CV Maju Jaya", "Jl. Engku Putri No. 1, Batam Centre", "0812-7000-1234")


@pytest.mark.parametrize(("signature", "organisation", "phone"), [
    ("Hormat saya,\nAhmad Fauzi\nDirektur CV Maju Jaya\nTelp. 0778-123456", "CV Maju Jaya", "0778-123456"),
    ("Salam,\nBudi\nDirektur Utama PT. Sinar Abadi Sejahtera\nHP 0812 3456 7890", "PT. Sinar Abadi Sejahtera",
     "0812 3456 7890"),
    ("Regards,\nDewi\nMarketing Manager at PT Karya Bersama", "PT Karya Bersama", ""),
])
def test_a_signature_names_the_company_after_the_position(signature: str, organisation: str, phone: str) -> None:
    """"Direktur CV ..." in a signature is the requester's company; "Telp." and "HP" lines are the phone."""
    found = identify_texts((f"Mohon bantuannya.\n\n{signature}",), Address("a@vendor.test", ""))
    assert found.organisation == organisation and found.phone == phone


@pytest.mark.parametrize(("text", "address"), [
    ("Terima kasih,\nBudi Santoso\nPT Maju Jaya\nJl. Sudirman No. 5, Batam\nHP: 0812-3456-7890",
     "Jl. Sudirman No. 5, Batam"),
    ("Salam,\nSiti\nCV Berkah\nJalan Raja Ali Haji Blok B/12 Batam", "Jalan Raja Ali Haji Blok B/12 Batam"),
    ("Mohon dicek, jalan keluarnya bagaimana?\nSiti", ""),  # "jalan" in a sentence is not an address
    ("Jalan buntu, sudah saya coba semua cara", ""),
])
def test_a_street_line_in_a_signature_is_the_address(text: str, address: str) -> None:
    """An unlabelled "Jl. ..." / "Jalan ..." line is the address field (seed 003's "Alamat")."""
    assert identify_texts((text,), Address("a@vendor.test", "")).address == address


def test_the_earliest_message_wins_and_later_ones_fill_the_gaps() -> None:
    """Any of the requester's messages may hold a field; the first that states one is kept."""
    first = "Tidak bisa login.\n\nSiti Rahmawati\nDirektur CV Maju Jaya"
    later = "Alamat: Jl. Raja Ali Haji 5, Batam\nNomor Telepon/HP: 0812-7000-1234\nPerusahaan: CV Lain"
    found = identify_texts((first, later), Address("siti@cvmajujaya.test", "Siti Rahmawati"))
    assert (found.name, found.organisation, found.address, found.phone) == (
        "Siti Rahmawati", "CV Maju Jaya", "Jl. Raja Ali Haji 5, Batam", "0812-7000-1234")


@pytest.mark.parametrize(("lines", "signature"), [
    (["Siti Rahmawati", "Direktur CV Maju Jaya", "HP 0812-7000-1234"], True),
    (["Hormat saya,", "Siti", "siti@cvmajujaya.test"], True),
    (["Masih error, Bu."], False),
    (["Siti Rahmawati", "Belum bisa login"], False),
    ([], False),
])
def test_signature_lines(lines: list[str], signature: bool) -> None:
    """A sign-off, the sender's own name, position and company, phone and address lines only."""
    assert is_signature(lines, "Siti Rahmawati") is signature


# --- closing words (SPEC E4) -----------------------------------------------------

SITI = Address("budi@vendor.test", "Siti Rahmawati")  # the ticket's requester address, another display name


@pytest.mark.parametrize(("text", "event", "rating"), [
    ("Baik, terima kasih atas bantuannya, sudah bisa login kembali. Nilai 5 untuk pelayanannya.",
     Event.REQUESTER_CONFIRM, 5),
    ("YA\nSudah bisa login.\nNilai: 4", Event.REQUESTER_CONFIRM, 4),
    ("Salam,\nSiti Rahmawati\nDirektur CV Maju Jaya\nHP 0812-7000-1234", Event.REQUESTER_SILENT, None),
    ("", Event.REQUESTER_SILENT, None),
    ("Siti Rahmawati\nMasih belum bisa login.", Event.REQUESTER_REJECT, None),
    # a colleague's signature block, none of its words known to the ticket
    ("Salam,\n\nAgus Salim, S.T.\nPejabat Pembuat Komitmen\nBPBD Kota Uji\nTelp. (0778) 462 000",
     Event.REQUESTER_SILENT, None),
    (("Wassalam,\nIr. Bambang Sutrisno, M.T.\nKepala Bidang Kedaruratan dan Logistik\n"
      "Badan Penanggulangan Bencana Daerah\nJl. Sudirman No. 5, Batam"), Event.REQUESTER_SILENT, None),
    ("Best regards,\n\nJohn Smith\nProcurement Officer\nPT Global Teknik\n+62 21 555 1234",
     Event.REQUESTER_SILENT, None),
    ("Hormat kami,\nPokja Pemilihan 3\nUKPBJ Kabupaten Contoh", Event.REQUESTER_SILENT, None),
    # an answer written as a title above a signature still answers
    ("Salam,\nMasih Gagal Upload\nAgus Salim\nTelp. (0778) 462 000", Event.REQUESTER_REJECT, None),
    ("Salam,\nAkun Saya Terkunci Lagi\nAgus Salim\nTelp. (0778) 462 000", Event.REQUESTER_REJECT, None),
    ("Akun Terkunci Lagi", Event.REQUESTER_REJECT, None),
    ("Belum bisa pak.\n\nSalam,\nAgus Salim, S.T.\nPejabat Pembuat Komitmen", Event.REQUESTER_REJECT, None),
    ("Sudah bisa, terima kasih.\n\nSalam,\nAgus Salim, S.T.\nPejabat Pembuat Komitmen",
     Event.REQUESTER_CONFIRM, None),
])
def test_answers_to_a_solution(text: str, event: Event, rating: int | None) -> None:
    """A confirmation with its rating anywhere; a signature alone neither confirms nor rejects."""
    msg = message(SITI, text)
    facts = classify(msg, Known(tagged=ticket(State.RESOLVED)), BOX, CFG, RULES, NOW, NOW)
    assert (facts.event, facts.rating) == (event, rating)


@pytest.mark.parametrize(("text", "event", "rating"), [
    # a greeting and an answer on one line: the answer decides
    ("Selamat siang pak, masih error", Event.REQUESTER_REJECT, None),
    ("Pak, masih belum bisa", Event.REQUESTER_REJECT, None),
    ("Bu masih gagal upload", Event.REQUESTER_REJECT, None),
    ("Halo min, belum bisa nih", Event.REQUESTER_REJECT, None),
    ("Dear sir, still not working", Event.REQUESTER_REJECT, None),
    ("Ibu, belum bisa juga", Event.REQUESTER_REJECT, None),
    ("Pak, sama saja", Event.REQUESTER_REJECT, None),
    ("Siang pak, sudah bisa", Event.REQUESTER_CONFIRM, None),
    ("Pagi, sudah bisa pak", Event.REQUESTER_CONFIRM, None),
    ("Selamat siang, masalah sudah teratasi. Terima kasih", Event.REQUESTER_CONFIRM, None),
    ("Pak Andi, sudah bisa", Event.REQUESTER_CONFIRM, None),
    ("Hai kak, udh bisa. Makasih", Event.REQUESTER_CONFIRM, None),
    ("Selamat sore Pak Rudi, terima kasih banyak sudah dibantu", Event.REQUESTER_CONFIRM, None),
    ("Siang pak, 5", Event.REQUESTER_CONFIRM, 5),
    # a greeting on a line of its own, however formal, says nothing yet
    ("Yth. Helpdesk LPSE Kota Batam,\n\nYA 5", Event.REQUESTER_CONFIRM, 5),
    ("Kepada Yth. Bapak/Ibu Helpdesk LPSE\nDengan hormat,\nSudah bisa, terima kasih.", Event.REQUESTER_CONFIRM, None),
    ("Assalamualaikum wr. wb.\nAlhamdulillah sudah bisa login\nWassalam", Event.REQUESTER_CONFIRM, None),
    ("Dengan hormat,\nBersama ini kami sampaikan bahwa permasalahan telah teratasi.", Event.REQUESTER_CONFIRM, None),
    ("Selamat siang bapak/ibu, kami informasikan bahwa akun kami sudah dapat digunakan. Terima kasih.",
     Event.REQUESTER_CONFIRM, None),
    ("Dear Helpdesk,\n\nThe issue is now resolved. Thank you.\n\nRegards,\nBudi", Event.REQUESTER_CONFIRM, None),
    ("Good afternoon,\nIt still fails when I upload the file.", Event.REQUESTER_REJECT, None),
    ("Oke pak sudah bisa\nNamun ada masalah baru di menu lain", Event.REQUESTER_REJECT, None),
    ("Selamat pagi,\n\nMohon maaf pak, ternyata masih gagal.\n\nTerima kasih", Event.REQUESTER_REJECT, None),
    ("Selamat siang Pak Andi,", Event.REQUESTER_SILENT, None),
    ("Yth. Helpdesk LPSE Kota Batam,\n\nSalam,\nSiti Rahmawati", Event.REQUESTER_SILENT, None),
    # a rejection on a later line of the short answer reopens
    ("Terima kasih pak,\nnamun masih belum bisa", Event.REQUESTER_REJECT, None),
    ("Sudah pak\nTapi masih error", Event.REQUESTER_REJECT, None),
    ("Ok\nmasih gagal pak", Event.REQUESTER_REJECT, None),
    ("Terima kasih\nmasalahnya masih ada", Event.REQUESTER_REJECT, None),
    ("Sudah bisa login.\n\nTapi upload dokumen penawaran tetap tidak bisa.", Event.REQUESTER_REJECT, None),
    ("Ok pak\nsaya coba dulu ya", Event.REQUESTER_REJECT, None),
    # ... but a sign-off, a signature, a phone number or a disclaimer does not
    ("YA 5\nSiti Rahmawati\nNo HP: 0812-7000-1234", Event.REQUESTER_CONFIRM, 5),
    ("Sudah bisa pak, terima kasih.\nSalam,\nSiti\nTetap semangat, pantang gagal!", Event.REQUESTER_CONFIRM, None),
    (("Sudah bisa, terima kasih.\nThis e-mail is confidential. If you are not the intended recipient, please "
      "notify the sender and delete it. Errors in transmission are not our responsibility."),
     Event.REQUESTER_CONFIRM, None),
    ("YA 5\nEmail ini bersifat rahasia. Jika Anda bukan penerima yang dituju, mohon beritahu pengirim.",
     Event.REQUESTER_CONFIRM, 5),
    ("YA\nSudah tidak error lagi.\nJika masih ada kendala nanti saya kabari.", Event.REQUESTER_CONFIRM, None),
    # a rating alone, after the yes or in a sentence; a count is no rating
    ("YA\n5", Event.REQUESTER_CONFIRM, 5),
    ("5", Event.REQUESTER_CONFIRM, 5),
    ("Terima kasih, saya beri nilai 5", Event.REQUESTER_CONFIRM, 5),
    ("Ya, 1 dokumen sudah terupload", Event.REQUESTER_CONFIRM, None),
    ("Ya, 2 paket sudah muncul", Event.REQUESTER_CONFIRM, None),
    ("Ya, 1 dokumen sudah terupload\nNilai: 4", Event.REQUESTER_CONFIRM, 4),
    ("YA 10", Event.REQUESTER_CONFIRM, None),
    ("5 kali saya coba masih gagal", Event.REQUESTER_REJECT, None),
])
def test_what_an_answer_to_a_solution_says(text: str, event: Event, rating: int | None) -> None:
    """SPEC E4: greetings say nothing, the answer after them decides, later lines may still say no."""
    facts = classify(message(SITI, text), Known(tagged=ticket(State.RESOLVED)), BOX, CFG, RULES, NOW, NOW)
    assert (facts.event, facts.rating) == (event, rating)


@pytest.mark.parametrize(("text", "event", "rating"), [
    # thanks and what the requester could not do and now did: a confirmation, not a rejection
    ("Terima kasih atas bantuannya, penawaran sudah terkirim.", Event.REQUESTER_CONFIRM, None),
    ("Dokumen sudah terupload, terima kasih.", Event.REQUESTER_CONFIRM, None),
    ("Sudah masuk pak penawarannya, terima kasih.", Event.REQUESTER_CONFIRM, None),
    ("Terimakasih pak, akun saya sudah aktif kembali.", Event.REQUESTER_CONFIRM, None),
    ("Makasih min, sekarang sudah tampil paketnya.", Event.REQUESTER_CONFIRM, None),
    ("Terima kasih banyak, jadwal sudah diperbarui oleh pokja.", Event.REQUESTER_CONFIRM, None),
    # a rating given to the service, on a later line
    ("Terima kasih, masalah sudah selesai.\nNilai pelayanan: 5 (sangat puas)", Event.REQUESTER_CONFIRM, 5),
    ("YA\nRating untuk layanannya 4", Event.REQUESTER_CONFIRM, 4),
    # ... and the same words saying it is not done yet still reopen
    ("Penawaran belum terkirim pak.", Event.REQUESTER_REJECT, None),
    ("Terima kasih, tapi dokumen belum terupload.", Event.REQUESTER_REJECT, None),
    ("Sudah terkirim tapi statusnya masih draft.", Event.REQUESTER_REJECT, None),
    ("Terima kasih, sudah tampil pesan error yang sama.", Event.REQUESTER_REJECT, None),
    ("Sudah aktif?", Event.REQUESTER_REJECT, None),
])
def test_thanks_for_what_now_works_closes_and_the_service_rating_counts(text: str, event: Event,
                                                                       rating: int | None) -> None:
    """SPEC E4 (SOP-002 step 12): "penawaran sudah terkirim" is the requester saying the problem is
    gone; "Nilai pelayanan: 5" is a rating anywhere in the reply."""
    facts = classify(message(SITI, text), Known(tagged=ticket(State.RESOLVED)), BOX, CFG, RULES, NOW, NOW)
    assert (facts.event, facts.rating) == (event, rating)


@pytest.mark.parametrize("footer", ["Dapatkan Outlook untuk Android", "Diperoleh dari Outlook untuk Android",
                                    "Kirim dari Yahoo Mail di Android", "Dikirim dari ponsel saya"])
def test_an_empty_reply_from_a_phone_changes_nothing(footer: str) -> None:
    """E4: Reply and Send from a phone leaves only its footer above the quote: no new text."""
    text = f"\n{footer}\n\nPada Sen, 23 Nov 2026 10.00 Helpdesk LPSE <lpse@lpse.test> menulis:\n> Balas YA.\n"
    msg = replace(message(SITI, text), new_text=strip_reply(text))
    facts = classify(msg, Known(tagged=ticket(State.RESOLVED)), BOX, CFG, RULES, NOW, NOW)
    assert facts.event is Event.REQUESTER_SILENT


def test_a_signature_only_answer_keeps_the_ticket_resolved_and_asks_staff() -> None:
    """E4: no reopening on a signature; staff are asked what it means."""
    msg = message(SITI, "Salam,\nSiti Rahmawati\nDirektur CV Maju Jaya")
    facts = classify(msg, Known(tagged=ticket(State.RESOLVED)), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (), CFG.auth), Policy(), NOW)
    assert decision.ticket is not None and decision.ticket.state is State.RESOLVED
    assert [(str(s.to), s.kind, s.context.get("event")) for s in decision.sends] == [("staff", "staff_update",
                                                                                       "silent")]


# --- coordinators and heads (SPEC 1, 9) --------------------------------------

def decided(sender: Address, text: str, known: Known, citations: tuple[Citation, ...]):
    msg = message(sender, text, subject="RE: Ringkasan harian Helpdesk LPSE Uji")
    facts = classify(msg, known, BOX, CFG, RULES, NOW, NOW)
    trust = trust_of(msg, facts.role, facts.ticket, citations, CFG.auth, via=facts.via)
    return facts, trust, decide(facts, trust, Policy(), NOW)


def test_a_coordinator_answers_the_requester_only_with_jawab() -> None:
    """`#jawab` relays the text below it as staff would; without it the text is direction."""
    t = ticket(State.OPEN)
    cited = (Citation(t.number, frozenset("c")),)
    msg = message(COORDINATOR, "#jawab\nBu Siti, silakan minta admin agency mereset akun Anda.")
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, cited, CFG.auth), Policy(), NOW)
    [relay] = [s for s in decision.sends if str(s.to) == "requester"]
    assert relay.kind == "staff_reply" and relay.text == "Bu Siti, silakan minta admin agency mereset akun Anda."
    assert decision.ticket is not None and decision.ticket.state is State.ANSWERED


@pytest.mark.parametrize("text", ["#jawab", "#answer\n\n"])
def test_jawab_with_nothing_below_sends_nothing_and_tells_the_sender(text: str) -> None:
    """An empty `#jawab` is never an empty mail to the requester."""
    t = ticket(State.OPEN)
    msg = message(COORDINATOR, text)
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, (Citation(t.number, frozenset("c")),),
                                      CFG.auth), Policy(), NOW)
    assert [(str(s.to), s.kind) for s in decision.sends] == [("sender", "command_error")]


def test_a_forged_coordinator_jawab_reaches_nobody_outside() -> None:
    """E19: a coordinator's From without a citation of mail sent to coordinators runs nothing: the
    coordinators are alerted and the configured coordinator address is told it was not run."""
    t = ticket(State.OPEN)
    msg = message(COORDINATOR, "#jawab\nSilakan transfer biaya reset ke rekening berikut.")
    facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
    staff_only = (Citation(t.number, frozenset("s")),)  # a staff notice forwarded to the coordinator
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, staff_only, CFG.auth), Policy(), NOW)
    assert {(str(s.to), s.kind) for s in decision.sends} == {("coordinators", "unverified"), ("sender", "not_run")}


def test_a_head_answering_the_digest_is_recorded_on_every_named_ticket() -> None:
    """SOP-004 step 8: the digest (about no one ticket) vouches for the head; each named ticket gets it."""
    first, second = ticket(State.OPEN), replace(ticket(State.ESCALATED), id=2, number="2026-00002")
    known = Known(mentioned=(first, second))
    digest = (Citation(None, frozenset("ch")),)
    facts, trust, decision = decided(HEAD, "Tiket 2026-00001 dan 2026-00002 mohon diprioritaskan.", known, digest)
    assert trust.authenticated and facts.ticket == first and facts.via == "mention"
    assert [(e.kind, e.detail["tickets"]) for e in decision.events] == [
        ("recommendation", ["2026-00001", "2026-00002"])]
    assert [(number, e.kind) for number, e in decision.elsewhere] == [("2026-00002", "recommendation")]
    assert [(str(s.to), s.kind) for s in decision.sends] == [("staff", "staff_direction")]


@pytest.mark.parametrize(("who", "text"), [
    (HEAD, "#tutup\nTiket 2026-00001 tidak perlu ditindaklanjuti."),
    (HEAD, "#selesai\nTiket 2026-00001: silakan login ulang."),
    (COORDINATOR, "#eskalasi\n2026-00001 mohon segera diteruskan ke LKPP."),
    (COORDINATOR, "#jawab\nUntuk tiket 2026-00001: mohon tunggu, sedang kami proses."),
    (COORDINATOR, "#prioritas tinggi\n\n#tugaskan sari@lpse.test\nTiket 2026-00001."),
])
def test_a_command_in_an_answer_to_the_digest_runs_nothing(who: Address, text: str) -> None:
    """SPEC E12d and 1: what a coordinator or head writes in answer to the digest is direction
    passed to staff; the digest proves the role, not a wish to close, answer or escalate every
    ticket the text names. Nothing reaches the requester or LKPP, and the ticket stays as it was."""
    t = ticket(State.OPEN)
    facts, trust, decision = decided(who, text, Known(mentioned=(t,)), (Citation(None, frozenset("ch")),))
    assert trust.authenticated and facts.via == "mention"
    assert decision.ticket is not None and decision.ticket.state is State.OPEN
    assert decision.ticket.priority == t.priority and decision.ticket.assignee == t.assignee
    assert [(str(s.to), s.kind) for s in decision.sends] == [("staff", "staff_direction")]
    assert [e.kind for e in decision.events] == ["recommendation" if who == HEAD else "direction"]


def test_a_recommendation_on_the_digest_naming_no_ticket_reaches_staff() -> None:
    """SOP-004 step 8: "all overdue tickets today" is about no one ticket, yet staff must read it."""
    text = "Mohon semua tiket yang lewat SLA diselesaikan hari ini.\n\nKepala UKPBJ"
    digest = (Citation(None, frozenset("ch")),)
    facts, trust, decision = decided(HEAD, text, Known(citations=digest), digest)
    assert trust.authenticated and facts.ticket is None and decision.ticket is None
    assert [(e.kind, e.detail["tickets"]) for e in decision.events] == [("recommendation", [])]
    [send] = decision.sends
    assert (str(send.to), send.kind, send.text) == ("staff", "staff_direction", text)


@pytest.mark.parametrize("citations", [(), (Citation(None, frozenset("s")),)])
def test_a_general_direction_without_proof_only_answers_its_sender(citations: tuple[Citation, ...]) -> None:
    """SPEC 9: a head's From that cites no digest sent to heads passes nothing to staff."""
    _facts, trust, decision = decided(HEAD, "Mohon semua tiket diselesaikan hari ini.", Known(citations=citations),
                                      citations)
    assert not trust.authenticated
    assert [(str(s.to), s.kind) for s in decision.sends] == [("sender", "staff_no_ticket")]


@pytest.mark.parametrize("citations", [
    (),  # cites nothing mailbot sent
    (Citation(None, frozenset("r")),),  # mail about no ticket that went to someone else
])
def test_a_head_naming_tickets_without_proof_is_unverified(citations: tuple[Citation, ...]) -> None:
    """SPEC 9: From alone proves nothing, for heads either."""
    known = Known(mentioned=(ticket(State.OPEN),))
    _facts, trust, decision = decided(HEAD, "Tiket 2026-00001 mohon diprioritaskan.", known, citations)
    assert not trust.authenticated
    # coordinators alerted; the head's configured address told it was not run (SPEC E19)
    assert {(str(s.to), s.kind) for s in decision.sends} == {("coordinators", "unverified"), ("sender", "not_run")}


def test_mail_about_no_ticket_vouches_only_for_tickets_found_by_their_number() -> None:
    """A digest citation is no proof for a ticket matched by tag or reference, nor for staff or LKPP."""
    t = ticket(State.OPEN)
    digest = (Citation(None, frozenset("chs")),)
    assert not authenticate(Role.COORDINATOR, t, digest, "token").authenticated
    assert authenticate(Role.COORDINATOR, t, digest, "token", mentioned=True).authenticated
    assert not authenticate(Role.STAFF, t, digest, "token", mentioned=True).authenticated



def test_staff_writing_to_lkpp_with_reply_all_is_kept_not_relayed_to_the_requester() -> None:
    """A staff member answers LKPP's mail (or the status request) with Reply-All: the message is
    addressed to LKPP, who gets it directly. It is no answer to the requester (E6): it is kept
    on the ticket as a note. A command in it still acts, and a reply to the unit alone is relayed.
    (The status request went to LKPP too, so only the unit's server can prove such a staff
    message: `authres` mode; in `token` mode it is unverified, see the test below.)"""
    t = ticket(State.ESCALATED)
    cited = (Citation(t.number, frozenset("lsc")),)
    text = "Yth. Helpdesk LKPP, mohon update status penanganannya. Terima kasih."
    for to in ([Address(BOX.address), Address(CFG.escalation.address or "")], [Address(BOX.address)]):
        msg = replace(message(STAFF, text), to=tuple(to))
        facts = classify(msg, Known(tagged=t), BOX, CFG, RULES, NOW, NOW)
        trust = authenticate(facts.role, facts.ticket, cited, "authres", (True, "dmarc=pass"))
        decision = decide(facts, trust, Policy(), NOW)
        to_requester = [s for s in decision.sends if str(s.to) == "requester"]
        assert (facts.event, bool(to_requester)) == ((Event.STAFF_NOTE, False) if len(to) == 2
                                                     else (Event.STAFF_REPLY, True))


# What each mail mailbot sends went to: the staff notice, the status request that goes to
# LKPP with staff and coordinators in copy (SOP-015 step 12), the escalation, the ack.
STAFF_NOTICE, STATUS_REQUEST, ESCALATION, ACK = frozenset("s"), frozenset("lsc"), frozenset("l"), frozenset("r")


@pytest.mark.parametrize(("role", "audiences", "proven"), [
    (Role.STAFF, (STATUS_REQUEST,), False),  # LKPP holds that Message-ID and could write as staff
    (Role.STAFF, (ESCALATION, STATUS_REQUEST), False),  # a reply-all to LKPP's answer cites only those
    (Role.STAFF, (STATUS_REQUEST, STAFF_NOTICE), True),  # a staff-only mail among them is proof
    (Role.COORDINATOR, (STATUS_REQUEST,), False),
    (Role.LKPP, (STATUS_REQUEST,), True),  # LKPP answering the status request it got
    (Role.LKPP, (frozenset("lr"),), False),  # a mail a requester also got proves nothing about LKPP
])
def test_a_message_id_an_outside_party_also_received_proves_no_inside_role(role: Role, audiences, proven) -> None:
    """SPEC 9, auth.mode token: whoever reads LKPP's mailbox has the status request's Message-ID;
    citing it under a staff (or coordinator) From proves nothing, or LKPP could resolve tickets
    in staff's name. It still proves an LKPP message; a requester's copy proves neither."""
    t = ticket(State.ESCALATED)
    trust = authenticate(role, t, [Citation(t.number, a) for a in audiences], "token")
    assert trust.authenticated is proven
    if not proven:
        assert trust.why is not None and trust.why.code == "shared_audience"


def test_a_staff_reply_all_to_the_status_request_is_proven_by_the_units_own_server() -> None:
    """SPEC 9, auth.mode authres: the unit's own server vouches for the From domain, which LKPP
    cannot forge, so staff's reply-all to the status request acts when that check passes."""
    t = ticket(State.ESCALATED)
    cited = (Citation(t.number, STATUS_REQUEST),)
    assert authenticate(Role.STAFF, t, cited, "authres", (True, "dmarc=pass")).authenticated
    assert not authenticate(Role.STAFF, t, cited, "authres", (False, "dmarc=fail")).authenticated


@pytest.mark.parametrize(("kind", "to_lkpp"), [("need_info", True), ("ack", False), ("escalated_user", False)])
def test_a_further_answer_to_lkpps_request_goes_on_to_lkpp(kind: str, to_lkpp: bool) -> None:
    """SOP-015 step 9: "Baik, saya siapkan dulu" went on to LKPP and the ticket is escalated
    again; the data, sent next as another reply to LKPP's request, goes on to LKPP too (E3).
    Other requester mail while escalated only reaches staff (E2)."""
    t = ticket(State.ESCALATED)
    msg = message(REQUESTER, "Berikut NPWP perusahaan: 01.234.567.8-901.000")
    known = Known(tagged=t, citations=(Citation(t.number, frozenset("r"), kind),))
    facts = classify(msg, known, BOX, CFG, RULES, NOW, NOW)
    decision = decide(facts, trust_of(msg, facts.role, facts.ticket, known.citations, CFG.auth), Policy(), NOW)
    assert decision.ticket is not None and decision.ticket.state is State.ESCALATED
    sent = {(str(s.to), s.kind) for s in decision.sends}
    assert (("lkpp", "forward_info") in sent) is to_lkpp and ("staff", "staff_update") in sent


def test_ticket_numbers_as_heads_write_them_under_the_digest() -> None:
    """"text about a ticket number" — the full number, with a slash, or the short
    forms people use under a list ("tiket 42", "Tiket No. 00042", "ticket #7"); a count of
    tickets is no number."""
    from mailbot.core.named_tickets import mentioned_numbers, short_numbers

    text = "Tiket 2026-00001 dan 2026/00002 segera. Tiket No. 00042 juga, ticket #7, ada 3 tiket lain."
    assert mentioned_numbers(text) == ("2026-00001", "2026-00002")
    assert short_numbers(text) == (42, 7)
    assert short_numbers("ada 3 tiket yang lewat SLA") == ()
    assert short_numbers("tiket 2026-00001") == ()


def test_a_message_id_in_outside_hands_is_noted_with_who_holds_it() -> None:
    """SPEC 9: staff reply to their notice with LKPP in Cc, or LKPP's mail cites a staff
    notice: that notice's Message-ID is now LKPP's too; mail among the unit's own people,
    or an outsider citing mail that was sent to them, hands nothing on."""
    from mailbot.core.trust import Citation, exposed
    notice = Citation("2026-00001", frozenset("s"), "staff_lkpp", "n1@lpse.test")
    ack = Citation("2026-00001", frozenset("r"), "ack", "a1@lpse.test")
    assert exposed([notice], frozenset("sl")) == (("n1@lpse.test", frozenset("l")),)
    assert exposed([notice, ack], frozenset("r")) == (("n1@lpse.test", frozenset("r")),)
    assert exposed([notice], frozenset("sch")) == ()
    assert exposed([ack], frozenset("r")) == ()


def test_an_unverified_lkpp_message_is_passed_on_only_through_the_alert_that_showed_it() -> None:
    """SPEC 9: staff vouch for the LKPP mail an `unverified` alert showed them, not for another."""
    from mailbot.core.lifecycle import lkpp_answers
    from mailbot.model import ThreadMessage

    def inbound(mid: str, kind: str) -> ThreadMessage:
        return ThreadMessage("in", "lkpp", mid, mid, None, False, kind)

    def alert(mid: str) -> ThreadMessage:
        return ThreadMessage("out", "staff", mid, "", None, False, "unverified")

    thread = [inbound("desk", "unverified_note"), alert("alert-1"), inbound("verified", "lkpp_status"),
              inbound("forged", "unverified_note"), alert("alert-2"), inbound("auto", "automatic_recorded")]
    ids = lambda alerts: [m.message_id for m in lkpp_answers(thread, frozenset(alerts))]
    assert ids([]) == ["verified"]
    assert ids(["alert-1"]) == ["desk", "verified"]
    assert ids(["alert-2"]) == ["verified", "forged"]

"""The writer's words, from every mail client: what mailbot reads of a reply laid out as aerc,
Alpine, NeoMutt, Thunderbird, Outlook and Gmail's web client write one with their defaults
(`tests/mail_clients.py`), each signed without a `-- ` line.

The path is the pipeline's for a staff, coordinator's or head's mail: the whole message is
parsed (`parse_message`: the new text apart from the quote), then the writer's own signature
is cut (`own_signature.without_own_signature`, the writer known as `lookup.writer` knows
them, here without earlier mail: a first reply). Each expected text is the one typed, written
out here. The texts are chosen so that aerc's layout, the text right above "On ... wrote:",
puts their last line where a reply header could start: a ticket number, "Pada", "Senin",
"Tanggal" (a coordinator's one-line answer to the digest was dropped so, and his signature
became his direction). The flows over the real servers are `test_flow_client_layouts.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from mailbot.core.commands import parse_commands
from mailbot.core.intake_form import opening, read_form
from mailbot.core.named_tickets import mentioned_numbers
from mailbot.core.own_signature import Writer, without_own_signature
from mailbot.model import InboundMessage
from mailbot.parsers.mime import parse_message
from mailbot.parsers.quotes import new_text
from mailbot.rules import load_rules
from tests import mail_clients as mc

UNIT_NAME = "Helpdesk LPSE Uji"
STAFF = ("Andi Pratama", "staff1@lpse.test", "Salam,\nAndi Pratama\nHelpdesk LPSE Uji\nTelp. 0778-123456")
COORDINATOR = ("Hendra", "koordinator@lpse.test", "Salam,\nHendra\nKoordinator Helpdesk LPSE")
HEAD = ("Bambang Susilo", "kepala@lpse.test", "Hormat saya,\nIr. Bambang Susilo\nKepala UKPBJ Kota Uji")


def _original(subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"{UNIT_NAME} <lpse@lpse.test>"
    msg["To"] = "staff1@lpse.test"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 23 Nov 2026 07:00:00 +0700"
    msg["Message-ID"] = "<notice.2026-00004@lpse.test>"
    msg.set_content(body)
    return msg


NOTICE = _original("[LPSE-T #2026-00004] Tiket baru 2026-00004 dari Budi Santoso: Akun SPSE terkunci", (
    "Tiket baru 2026-00004 dari Budi Santoso <budi@vendor.test>\n\nSelamat pagi,\n"
    "akun SPSE saya terkunci sejak kemarin.\n\nBudi Santoso\n\n"
    "Tiket 2026-00004 saat ini: Terbuka, prioritas Sedang, kategori Pengaduan.\n"
    "Perintah yang dapat dipakai sekarang (di baris awal balasan, sebelum teks lain):\n"
    "  #selesai SOLUSI            kirim solusi ke pengguna\n"))
DIGEST = _original("Ringkasan harian Helpdesk LPSE Uji - Senin, 23 November 2026", (
    "Ringkasan harian Helpdesk LPSE Uji - Senin, 23 November 2026\n\nTerbuka: 2\n\n"
    "Lewat batas waktu:\n  2026-00004 Akun SPSE terkunci - menunggu sejak Jumat 20-11 09:00\n"
    "  2026-00013 Lupa password - menunggu sejak Jumat 20-11 10:00\n"))
CASE = _original("[LPSE-T #2026-00004] Petugas helpdesk staff1@lpse.test memohon arahan untuk tiket 2026-00004", (
    "Petugas helpdesk staff1@lpse.test memohon arahan untuk tiket 2026-00004.\n\nCatatan petugas:\n"
    "Pengguna meminta perpanjangan jadwal upload penawaran. Mohon arahan.\n\n"
    "Permasalahan pengguna:\nakun SPSE saya terkunci sejak kemarin.\n"))

ANSWER = "Selamat siang Bapak Budi,\n\nSenin pagi akun Bapak sudah kami buka kembali, silakan login ulang."
SOLUTION = "Pada pukul 09.00 akun Bapak sudah kami buka kembali. Silakan login ulang."
DIGEST_REPLY = "2026-00004 dan 2026-00013: mohon diprioritaskan, pengguna sudah dua kali menelepon."
DIRECTION = "Pada prinsipnya setuju, silakan dieskalasi ke LKPP sesuai SOP-015."
RECOMMENDATION = "Tanggal 30 batas kontraknya; mohon koordinasikan dengan Pokja hari ini."


def _read(raw: bytes, who: tuple[str, str, str], *, named: bool) -> InboundMessage:
    """The message as the pipeline reads a staff member's: parsed, their signature cut."""
    msg = parse_message(raw)
    return without_own_signature(msg, _writer(msg, named))


def _writer(msg: InboundMessage, named: bool) -> Writer:
    """The writer as mailbot knows a staff member: the From's display name, the address's
    local part (no name in the configuration), the unit's display name; no earlier mail."""
    address = msg.from_addr.addr
    return Writer(((msg.from_addr.name,) if named else ()) + (address.partition("@")[0],), UNIT_NAME)


def _reply(client: str, original: EmailMessage, who: tuple[str, str, str], text: str, named: bool) -> str:
    name, address, signature = who
    return _read(mc.reply(client, original, address, text, signature, name=name if named else ""), who,
                 named=named).new_text


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


NAMED = pytest.mark.parametrize("named", [True, False], ids=["named", "address-only"])
CLIENTS = pytest.mark.parametrize("client", mc.CLIENTS)


@CLIENTS
@NAMED
def test_a_staff_answer_is_the_text_typed_without_signature_or_quote(client: str, named: bool) -> None:
    assert _lines(_reply(client, NOTICE, STAFF, ANSWER, named)) == _lines(ANSWER)


@CLIENTS
def test_a_signature_under_a_dashes_line_goes_as_well(client: str) -> None:
    """The same layouts with the `-- ` line a client adds when set to (NeoMutt's `sig_dashes`,
    Thunderbird's and Gmail's default): the text, nothing of the signature."""
    name, address, signature = STAFF
    dashed = (name, address, "-- \n" + signature)
    assert _lines(_reply(client, NOTICE, dashed, ANSWER, True)) == _lines(ANSWER)


@CLIENTS
@NAMED
def test_a_staff_command_runs_with_the_text_under_it_and_no_signature(client: str, named: bool) -> None:
    parsed = parse_commands(_reply(client, NOTICE, STAFF, f"#selesai\n{SOLUTION}", named))
    assert [c.name for c in parsed.commands] == ["resolve"] and not parsed.errors
    assert _lines(parsed.body) == [SOLUTION]


@CLIENTS
@NAMED
def test_a_coordinators_digest_reply_names_both_tickets_in_his_words(client: str, named: bool) -> None:
    """The failing scenario: aerc's one-line answer right above "On ... wrote:" was taken for a
    date-first reply header and dropped; "Salam, / Hendra / Koordinator Helpdesk LPSE" was left."""
    text = _reply(client, DIGEST, COORDINATOR, DIGEST_REPLY, named)
    assert _lines(text) == [DIGEST_REPLY]
    assert mentioned_numbers(text) == ("2026-00004", "2026-00013")


@CLIENTS
@NAMED
@pytest.mark.parametrize(("who", "words"), [(COORDINATOR, DIRECTION), (HEAD, RECOMMENDATION)],
                         ids=["coordinator", "head"])
def test_a_direction_is_the_coordinators_or_heads_words(client: str, named: bool, who: tuple[str, str, str],
                                                       words: str) -> None:
    assert _lines(_reply(client, CASE, who, words, named)) == [words]


FORM = ("#telepon\nNama: Rina Wulandari\nInstansi: CV Maju Jaya\nNo. HP: 0812-7700-4455\n"
        "Email: rina@cvmajujaya.co.id\n"
        "Permasalahan: Tidak bisa mengunggah dokumen penawaran pada tender 10012345000.\nWaktu: 09.15")
VISIT = ("#datang\nNomor Antrian: A-012\nNama: Rina Wulandari\nInstansi: CV Maju Jaya\nEmail: -\n"
         "Permasalahan: Lupa kata sandi akun penyedia.\n"
         "Jawaban: Kata sandi direset di loket; pengguna sudah bisa login.\nNilai: 5")


@CLIENTS
@NAMED
def test_a_call_written_down_keeps_no_signature_in_a_field_or_the_notes(client: str, named: bool) -> None:
    """The `#telepon` form with the signature right under its last field (aerc and NeoMutt append
    the signature file so; staff sign by hand so), or under an empty line."""
    name, address, signature = STAFF
    msg = _read(mc.new_mail(client, address, "Telepon dari CV Maju Jaya", FORM, signature,
                            name=name if named else ""), STAFF, named=named)
    form = _form(msg, named)
    assert not form.errors, form.errors
    assert (form.contact.name, form.contact.organisation, form.contact.phone) == (
        "Rina Wulandari", "CV Maju Jaya", "0812-7700-4455")
    assert form.email == "rina@cvmajujaya.co.id"
    assert form.problem == "Tidak bisa mengunggah dokumen penawaran pada tender 10012345000."
    assert form.notes == "" and form.answer is None


@CLIENTS
@NAMED
def test_a_visit_written_down_keeps_no_signature_in_its_answer_or_notes(client: str, named: bool) -> None:
    name, address, _ = STAFF
    signature = "Andi Pratama\nHelpdesk LPSE Uji\nTelp. 0778-123456"  # a name block, no sign-off
    msg = _read(mc.new_mail(client, address, "Kunjungan", VISIT, signature, name=name if named else ""), STAFF,
                named=named)
    form = _form(msg, named)
    assert not form.errors, form.errors
    assert (form.queue, form.rating, form.email) == ("A-012", 5, "")
    assert form.answer == "Kata sandi direset di loket; pengguna sudah bisa login."
    assert form.problem == "Lupa kata sandi akun penyedia."
    assert form.notes == "" and form.contact.phone == ""


def _form(msg: InboundMessage, named: bool):  # type: ignore[no-untyped-def]
    rules = load_rules()
    found = opening(msg.new_text, rules.intake)
    assert found is not None
    return read_form(found[2], rules.intake, datetime(2026, 11, 24, 5, 0, tzinfo=UTC), ZoneInfo("Asia/Jakarta"),
                     _writer(msg, named))


# --- the parser alone: text right above an attribution line ------------------------------


@pytest.mark.parametrize("typed", [
    "2026-00004 dan 2026-00013: mohon diprioritaskan.",  # a ticket number first: a date-first header's shape
    "Pada prinsipnya kami setuju.",  # "Pada", the Indonesian header's lead word
    "Senin depan server kami perbarui.",
    "Tanggal 30 batas kontraknya.",
    "On Monday we restart the server.",
    "12 penyedia sudah bisa login.",
    "Mohon dicek ya.\n2026-00004 sudah kami buka.",  # two lines, the second against the header
    # "pada" inside a line: a header sharing its line with the writer's words, as it seemed
    "Silakan gunakan menu Lupa Password pada halaman login SPSE, lalu periksa kotak masuk\nemail yang terdaftar.",
])
@pytest.mark.parametrize("header", [
    "On Mon Nov 23, 2026 at 7:00 AM WIB, Helpdesk LPSE Uji wrote:",  # aerc
    "Pada Sen, 23 Nov 2026 pukul 07.00, Helpdesk LPSE Uji <lpse@lpse.test> menulis:",  # Gmail (id)
    "On 23/11/26 07.00, Helpdesk LPSE Uji wrote:",  # Thunderbird
    "Helpdesk LPSE Uji menulis:",  # SquirrelMail's "AUTHOR wrote", mutt's "%n wrote:": a name alone
])
def test_text_typed_right_above_a_reply_header_is_the_writers(typed: str, header: str) -> None:
    body = f"{typed}\n{header}\n> Ringkasan harian\n>\n> 2026-00004 terlambat\n"
    assert new_text(body) == typed


@pytest.mark.parametrize("header", [
    # a header the client wraps over two lines still opens the history whole
    "On Mon, Nov 23, 2026 at 7:00 AM Helpdesk LPSE Uji <lpse@lpse.test>\nwrote:",
    "2017-11-24 16:32 GMT+01:00 Helpdesk LPSE Uji\n<lpse@lpse.test>:",
    "Pada tanggal Sen, 23 Nov 2026 pukul 07.00 Helpdesk LPSE Uji <\nlpse@lpse.test> menulis:",
    "Pada Sen, 23 Nov 2026 pukul 07.00 Helpdesk LPSE\nUji menulis:",  # wrapped inside the name
    "2026-11-23 07:00 GMT+07:00 Helpdesk LPSE\nUji menulis:",
])
def test_a_wrapped_reply_header_is_still_one(header: str) -> None:
    body = f"Baik, sudah kami cek.\n\n{header}\n\n> Ringkasan harian\n> 2026-00004 terlambat\n"
    assert new_text(body) == "Baik, sudah kami cek."


def test_answers_between_quotes_are_kept_and_the_signature_at_the_bottom_is_not() -> None:
    """An interleaved reply signed at the bottom, NeoMutt's way: each answer is the writer's; the
    signature the writer's own (`own_signature`)."""
    body = ("On Mon, Nov 23, 2026 at 07:00:00AM WIB, Helpdesk LPSE Uji wrote:\n> Apakah akun sudah bisa login?\n\n"
            "Sudah, tadi pagi.\n\n> Browser apa yang dipakai?\n\nChrome versi 120.\n\nSalam,\nAndi Pratama\n")
    raw = EmailMessage()
    raw["From"] = "Andi Pratama <staff1@lpse.test>"
    raw["To"] = "lpse@lpse.test"
    raw["Subject"] = "Re: [LPSE-T #2026-00004] Akun"
    raw.set_content(body)
    msg = _read(raw.as_bytes(), STAFF, named=True)
    assert _lines(msg.new_text) == ["Sudah, tadi pagi.", "Chrome versi 120."]


# --- answers below and between the quote's lines -------------------------------------------
# What a requester types when mailbot asks for data: under the quote (Zimbra, Roundcube and
# Thunderbird put the cursor or the writer there), right under each question, in lower case,
# with no empty line. Every answer typed is the writer's; no line of the quote is.

QUESTIONS = "Mohon dilengkapi:\n1. Apakah akun sudah bisa login?\n2. Browser apa yang dipakai?\nNama perusahaan:"


@pytest.mark.parametrize("marker, fields", [
    ("----- Pesan Asli -----", ("Dari", "Kepada", "Terkirim", "Perihal")),
    ("----- Original Message -----", ("From", "To", "Sent", "Subject")),
], ids=["zimbra-id", "zimbra-en"])
@pytest.mark.parametrize("layout", ["below", "between"])
def test_answers_under_a_header_blocks_quote_are_the_writers(marker: str, fields: tuple[str, ...],
                                                              layout: str) -> None:
    """Zimbra quotes the original with ">" under its marker and header block: the answers
    typed under that quote, or between its lines, were all lost (the block's history was
    taken to run to the end, as Outlook's unquoted one does)."""
    sender, to, sent, subject = fields
    block = (f'{marker}\n{sender}: "Helpdesk LPSE Uji" <lpse@lpse.test>\n{to}: "Budi Santoso" <budi@vendor.co.id>\n'
             f"{sent}: Senin, 23 November 2026 7:00:00\n{subject}: [LPSE-T #2026-00004] Akun SPSE terkunci")
    answers = ["Belum bisa, masih muncul pesan akun terkunci.", "Chrome versi 120.", "CV Maju Jaya"]
    quoted = [f"> {line}" for line in QUESTIONS.splitlines()]
    if layout == "below":
        body = "\n".join([block, "", *quoted, "", *answers])
    else:
        body = "\n".join([block, "", quoted[0], quoted[1], "", answers[0], "", quoted[2], "", answers[1], "",
                          quoted[3], "", answers[2]])
    assert _lines(new_text("\n" + body + "\n")) == answers


def test_a_lower_case_answer_right_under_a_quoted_question_is_the_writers() -> None:
    """Under a quoted question, a line that opens in lower case is an answer, not the
    question's wrapped tail: "belum bisa pak" was dropped with the quote."""
    body = ("Pada 23/11/26 07.00, Helpdesk LPSE Uji menulis:\n> 1. Apakah akun sudah bisa login?\nbelum bisa pak\n"
            "> 2. Browser apa yang dipakai?\nchrome\n> Nama perusahaan:\ncv maju jaya\n")
    assert _lines(new_text(body)) == ["belum bisa pak", "chrome", "cv maju jaya"]


def test_a_quoted_label_between_two_answers_stays_quoted() -> None:
    """One quoted line between two typed lines is an advert's ">>> www... <<<" in a mail
    with no quote; under a quote it is one more line of it ("> NPWP perusahaan:")."""
    body = ("Pada 2026-11-23 07:00, Helpdesk LPSE Uji menulis:\n> Nama perusahaan:\nCV Maju Jaya\n"
            "> NPWP perusahaan:\n01.234.567.8-901.000\n")
    assert _lines(new_text(body)) == ["CV Maju Jaya", "01.234.567.8-901.000"]


@pytest.mark.parametrize("typed", [
    "Baik, berikut datanya.\nNPWP: 01.234.567.8-901.000\nNo. HP: 0812-7700-4455",
    "#selesai\nSolusi: akun sudah dibuka, silakan login kembali.",
    "Terlampir NPWP kami.\nCatatan: mohon segera diproses",
])
def test_label_lines_typed_right_above_outlooks_block_are_the_writers(typed: str) -> None:
    """An Outlook reply whose empty paragraph above the "Dari:" block was taken out: the
    writer's "NPWP: ..." or "Solusi: ..." lines were read as fields of that block, and a
    `#selesai` lost its solution. Only a field's name or a date with its time goes with it."""
    block = ("Dari: Helpdesk LPSE Uji <lpse@lpse.test>\nDikirim: Senin, 23 November 2026 07.00\n"
             "Kepada: Budi Santoso <budi@vendor.co.id>\nSubjek: [LPSE-T #2026-00004] Akun SPSE terkunci\n\n"
             "Mohon kirimkan NPWP perusahaan.\n")
    assert new_text(f"{typed}\n{block}") == typed

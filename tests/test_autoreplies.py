"""One rule for "a person answered", pure: `core.autoreplies.not_a_person`
and the words it reads (`parsers.autoreply_words`).

Expected values from the issue's words: an autoresponder that sends no header (no
Auto-Submitted, no X-Autoreply, no "Automatic reply" subject, a plain `Re: <subject>`) is no
person's answer; a coordinator who really answers "Setuju, lanjutkan eskalasi" or "Mohon segera
ditindaklanjuti" is; an explicit command is a person's; the same text answered to several of
our mails is a responder's. The texts below were written for this test; the figures on real
auto-replies and on people's replies are bench/autoreplies.py's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mailbot.core.autoreplies import not_a_person
from mailbot.core.loops import repeats
from mailbot.parsers import parse_message
from mailbot.parsers.autoreply_words import away_notice
from tests import mailfactory as mf

HEAD = "kepala@lpse.test"


def reply(body: str, headers: dict[str, str] | None = None, name: str = "Hendra Wijaya"):  # type: ignore[no-untyped-def]
    raw, _ = mf.mail(HEAD, "Re: [LPSE-T #2026-00001] Laporan ke Kepala Unit: Kontrak belum bisa ditandatangani",
                     body, in_reply_to="mb.t.2026-00001.head_case.ah.0123456789.abcdefghijklmnop@lpse.test",
                     headers=headers, name=name)
    return parse_message(raw)


AUTORESPONDERS = [
    # Indonesian, as a unit's Outlook or Zimbra vacation rule is written
    "Terima kasih atas email Anda. Saya sedang cuti sampai 30 November 2026 dan akan membalas setelah kembali.",
    ("Yth. Bapak/Ibu,\n\nSaat ini saya sedang melaksanakan perjalanan dinas ke Jakarta hingga Jumat, 27 November 2026, "
     "dengan akses email terbatas. Untuk keperluan yang mendesak silakan menghubungi Sekretariat UKPBJ di "
     "(0778) 749 000.\n\nSalam,\nHendra Wijaya"),
    ("Mohon maaf, saya tidak berada di kantor sampai dengan 2 Desember 2026. Email Bapak/Ibu akan saya balas "
     "segera setelah saya kembali bertugas."),
    ("Pesan ini adalah balasan otomatis. Kepala Unit sedang mengikuti rapat koordinasi nasional; pesan Anda sudah "
     "kami terima dan akan ditindaklanjuti."),
    ("Halo, terima kasih sudah menghubungi. Saat ini saya tidak berada di kantor dan baru dapat membuka email pada "
     "Senin, 30 November. Pesan Anda akan saya tanggapi sesegera mungkin setelah itu."),
    "Saya sedang menunaikan ibadah umroh sampai 5 Desember. Jika urgent mohon hubungi Pak Andi di 0812 7788 9900.",
    # English, and a few other languages out-of-office rules ship in
    ("Thank you for your message. I am currently on annual leave, returning on Monday 30 November, with limited "
     "access to e-mail. For urgent matters please contact the secretariat."),
    "I'm away from my desk until next week and will get back to you as soon as I can.",
    ("Hello,\nI will be travelling on official business until 4 December. In my absence, please contact "
     "andi@lpse.test.\nBest regards,\nHendra"),
    "Ich bin bis zum 30.11. nicht im Büro. In dringenden Fällen wenden Sie sich bitte an andi@lpse.test.",
    # a second round, each a family the first list missed until the word lists grew
    ("Bapak/Ibu Yth, terima kasih telah menghubungi kami. Saya sedang tidak aktif sampai tanggal 1 Desember. "
     "Email akan dibalas setelah itu."),
    "Mulai 23 s.d. 27 November 2026 saya mengikuti Diklat PIM III di Pekanbaru. Email akan saya periksa sepulang.",
    "Saya sedang dalam perjalanan dinas ke Jakarta. Untuk sementara email tidak dapat saya buka.",
    "I'm currently out on PTO, returning 12/2. If this is time-sensitive, please reach out to jane@x.test.",
    "Please note I am no longer checking this mailbox regularly. Expect a delayed response.",
]

PEOPLE = [
    "Setuju, lanjutkan eskalasi",
    "Mohon segera ditindaklanjuti",
    "Mohon segera ditindaklanjuti.",
    "Tiket 2026-00001 mohon segera ditindaklanjuti.",
    "Abaikan saja, itu bukan dari staf kita.",
    "Setuju, lanjutkan eskalasi ke LKPP. Kabari saya hasilnya besok pagi.",
    # a person answering while away still answers
    "Saya sedang dinas luar, tapi setuju, lanjutkan eskalasi.",
    "Saya sedang cuti, setuju dilanjutkan ke LKPP.",
    "Maaf baru balas, saya sedang di luar kota. Tolong hubungi Pokja dan minta perpanjangan masa sanggah.",
    "Hubungi pengguna hari ini juga dan pastikan dokumen adendum diunggah ulang.",
    "Silakan hubungi Pokja Pemilihan 3 untuk jadwal ulang.",
    "Server SPSE hari ini sedang offline, mohon tunggu sampai sore.",
    "Akun penyedia sudah kembali aktif, silakan tutup tiketnya.",
    "YA 5, terima kasih",
    "Sudah bisa pak, terima kasih banyak atas bantuannya.",
    "Belum bisa, masih muncul pesan error yang sama saat unggah dokumen.",
    "Please escalate to LKPP today and keep me posted.",
    "I agree, go ahead with the escalation.",
    # the words of an out-of-office, in a person's answer that says more
    "Untuk keperluan mendesak seperti ini langsung telepon LKPP saja.",
    "Ybs sedang cuti, tugaskan ke staf lain.",
    "PPK sedang dinas luar, mohon ditunggu sampai Senin.",
    "Akan saya cek setelah rapat, sementara itu lanjutkan eskalasi ke LKPP.",
    "Email dari pengguna sudah saya baca, kasusnya memang perlu dieskalasi.",
    "Belum bisa pak, saya sedang di luar kantor jadi baru bisa coba besok.",
    "I'm travelling but I agree, please escalate.",
]


@pytest.mark.parametrize("body", AUTORESPONDERS)
def test_an_autoresponders_words_without_headers_are_no_persons_answer(body):
    why = not_a_person(reply(body))
    assert why is not None and why.startswith("autoresponder"), why


@pytest.mark.parametrize("body", PEOPLE)
def test_a_persons_answer_is_one_whatever_else_it_says(body):
    assert not_a_person(reply(body)) is None


# What staff write to a requester as a first answer: the mail arrived, it will be followed up.
FIRST_ANSWERS = [
    "Terima kasih, email Anda sudah kami terima dan akan kami tindak lanjuti segera.",
    "Email Anda sudah kami terima.",
    "Pesan Bapak sudah kami terima, akan kami cek dan kami balas secepatnya.",
    "We have received your email and will get back to you shortly.",
]


@pytest.mark.parametrize("body", FIRST_ANSWERS)
def test_a_first_answer_that_goes_to_a_requester_is_a_persons_unless_it_says_its_writer_is_away(body):
    """A reply relayed to a requester as the unit's answer (E6) or forwarded to LKPP as the data
    asked for (E3) is an autoresponder's only when it also says its writer is away or that a
    machine sent it (`away=True`): "received, will answer" is what people write there too."""
    assert not_a_person(reply(body), away=True) is None


AWAY_NOTICES = [
    AUTORESPONDERS[0],
    "Saya sedang cuti sampai 4 Desember 2026. Email Anda akan saya balas setelah saya kembali.",
    "This is an automatic reply. Your message has been received.",
]


@pytest.mark.parametrize("body", AWAY_NOTICES)
def test_an_away_notice_is_no_persons_answer_where_it_would_reach_a_requester(body):
    assert not_a_person(reply(body), away=True) is not None


def test_an_explicit_command_is_a_persons_whatever_follows_it():
    """`#buka`, `#jawab`: only a person writes a command; the rest may well say they are away."""
    assert not_a_person(reply("#buka\nSaya sedang cuti sampai 30 November, tapi formulir ini benar.")) is None
    assert not_a_person(reply("#jawab\nTerima kasih atas email Anda. Saya sedang cuti sampai 30 November.")) is None


def test_the_machines_headers_say_it_first():
    why = not_a_person(reply("Setuju.", headers={"Auto-Submitted": "auto-replied"}))
    assert why == "auto-submitted: auto-replied"


def test_the_same_words_sent_to_other_mail_of_ours_are_a_responders():
    """A responder whose wording no word list knows gives itself away by answering every mail
    with the same text: long enough to tell, numbers aside."""
    text = ("Kotak surat ini diperiksa oleh sekretariat setiap Senin dan Kamis pagi; surat tanggal 23/11 dicatat "
            "di agenda.")
    assert not_a_person(reply(text)) is None  # the first time, nothing tells
    why = not_a_person(reply(text), said_before=("Setuju.", text.replace("23/11", "20/11")))
    assert why is not None and "same words" in why
    assert not repeats(text.replace("Kamis", "Jumat"), (text,))  # other words are another text
    # what people write again and again is too short to tell
    assert not repeats("Mohon segera ditindaklanjuti.", ("Mohon segera ditindaklanjuti.",))
    assert not_a_person(reply("Setuju, lanjutkan eskalasi."), said_before=("Setuju, lanjutkan eskalasi.",)) is None


def test_the_reason_names_what_the_words_say():
    why = away_notice("Saya sedang cuti sampai 30 November. Untuk keperluan mendesak hubungi Sdr. Andi.")
    assert why is not None and "absent" in why and "urgent" in why


# --- measured on people's words: none may read as an autoresponder's ----------------------

DATA = Path(__file__).resolve().parent / "data"


def _people() -> list[tuple[str, str]]:
    found = []
    for path in sorted((DATA / "replies").glob("*/cases.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            if entry.get("expected"):
                found.append((f"{path.parent.name}:{entry['id']}", entry["expected"]))
    for entry in yaml.safe_load((DATA / "redteam_closing_answers.yaml").read_text(encoding="utf-8")):
        found.append((f"closing:{entry['id']}", entry["body"]))
    return found


def test_no_persons_reply_in_the_labelled_corpora_reads_as_an_autoresponders():
    """The labelled reply corpus (the writers' own words, as expected there) and the requesters'
    answers to a solution: people, every one (bench/autoreplies.py measures more)."""
    flagged = [(name, why) for name, text in _people() if (why := away_notice(text))]
    assert flagged == []
    assert len(_people()) > 300

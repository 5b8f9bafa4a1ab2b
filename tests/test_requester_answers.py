"""A requester's answer to a solution (SPEC E4): confirms (with a rating 1-5 where one is
given), rejects, or says nothing yet; after closing, a late answer reopens or leaves closed.

The cases are the words requesters really use, found by two red-team sweeps (a held-out
set, tests/data/redteam_closing_answers.yaml, and a blind sweep); each is a construction
in words other than the held-out answers that showed the gap. Expected values come from
SPEC E4 ("optionally with a rating 1-5 ... or a rating anywhere in the reply such as
`Nilai: 4`") and from what the requester meant, never from the rules; the traps beside
them must never close a ticket whose requester still has a problem.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from mailbot.core.closing import after_closing, closing
from mailbot.core.lifecycle import Event
from mailbot.parsers.mime import parse_message
from mailbot.rules import load_rules

RULES = load_rules()
CONFIRM, REJECT, SILENT = Event.REQUESTER_CONFIRM, Event.REQUESTER_REJECT, Event.REQUESTER_SILENT


def answer(text: str) -> tuple[Event, int | None]:
    msg = EmailMessage()
    msg["From"] = "Rina Kartika <rina@cv-contoh.test>"
    msg["To"] = "lpse@lpse.test"
    msg["Subject"] = "Re: [LPSE-BTM #2026-00042] Solusi: Tidak bisa upload penawaran"
    msg.set_content(text)
    return closing(parse_message(msg.as_bytes()), RULES, ("Rina Kartika",))


# An apology for answering late opens the answer as a greeting does; what follows decides.
LATE_APOLOGY = [
    ("Mohon maaf bu baru balas. Sudah normal.", CONFIRM, None),
    ("Maaf telat respon pak, sudah berhasil login. Nilai 5", CONFIRM, 5),
    ("Maaf baru sempat membalas.\nSudah bisa, terima kasih.", CONFIRM, None),
    ("Mohon maaf baru balas, masih error pak.", REJECT, None),
    ("Maaf lama responnya pak. Belum saya coba.", REJECT, None),
    ("Maaf pak, masih belum bisa.", REJECT, None),
    ("Maaf baru balas.", SILENT, None),
]


@pytest.mark.parametrize(("text", "event", "rating"), LATE_APOLOGY)
def test_an_apology_for_answering_late_says_nothing_yet(text: str, event: Event, rating: int | None) -> None:
    assert answer(text) == (event, rating)


# A try reported ("sudah saya coba", "sudah dicek"), then its result: the result decides. A
# try with no result, a plan, or a result with a hedge or a question is no confirmation.
TRY_THEN_RESULT = [
    ("Sudah saya ikuti langkahnya dan berhasil bu.", CONFIRM, None),
    ("Sudah kami periksa, sudah normal. Nilai 4", CONFIRM, 4),
    ("Sudah dicoba, aman pak.", CONFIRM, None),
    ("Sudah sesuai bu, terima kasih.", CONFIRM, None),
    ("Sudah saya coba.", REJECT, None),
    ("Sudah sesuai petunjuk pak.", REJECT, None),
    ("Sudah saya coba, nanti saya kabari hasilnya.", REJECT, None),
    ("Sudah saya cek, saya coba lagi besok.", REJECT, None),
    ("Sudah saya coba, tidak bisa.", REJECT, None),
    ("Sudah saya coba dan berhasil, tapi paket lain masih error.", REJECT, None),
    ("Sudah saya coba dan bisa login, bagaimana dengan upload?", REJECT, None),
    ("Sudah dicoba dan sesuai, tapi lambat sekali.", REJECT, None),
]


@pytest.mark.parametrize(("text", "event", "rating"), TRY_THEN_RESULT)
def test_a_try_reported_then_its_result(text: str, event: Event, rating: int | None) -> None:
    assert answer(text) == (event, rating)


def late(text: str) -> tuple[Event, int | None] | None:
    msg = EmailMessage()
    msg["From"] = "Rina Kartika <rina@cv-contoh.test>"
    msg["To"] = "lpse@lpse.test"
    msg["Subject"] = "Re: [LPSE-BTM #2026-00042] Akun terkunci"
    msg.set_content(text)
    return after_closing(parse_message(msg.as_bytes()), RULES, ("Rina Kartika",))


LATE = Event.REQUESTER_LATE_CONFIRM


# SPEC E5: a reply to a closed ticket reopens it; only a thanks or a rating leaves it closed.
# A yes word opens many a new report ("Ya pak, ...", "Baik pak, ..."): what follows decides.
@pytest.mark.parametrize(("text", "expected"), [
    ("Ya pak, akun saya terkunci lagi.", None),
    ("Baik pak, akun saya terkunci lagi hari ini.", None),
    ("Ok pak, sekarang password saya lupa lagi", None),
    ("Siap bu, penawaran saya tidak terkirim sejak pagi", None),
    ("Ok, I am locked out again.", None),
    # the data LKPP asked for, sent after the ticket closed for want of it
    ("Baik bu, nomor NPWP kami 01.234.567.8-901.000", None),
    ("YA 5", (LATE, 5)),
    ("Ya pak, sudah bisa. Terima kasih.", (LATE, None)),
    ("Ok pak terima kasih banyak", (LATE, None)),
    ("YA 5\n\nTerima kasih", (LATE, 5)),
    ("Baik pak, terima kasih atas bantuannya.", (LATE, None)),
    ("Terima kasih pak Andi, sudah bisa login.", (LATE, None)),
])
def test_a_yes_that_goes_on_to_a_new_problem_reopens_a_closed_ticket(
        text: str, expected: tuple[Event, int | None] | None) -> None:
    assert late(text) == expected


# What a late thanks says beside the thanks, in the words requesters use: it is noted, it
# helped, good wishes, thanks for something, an apology for the trouble. None of it is a new
# problem (SPEC E5: only a thanks or a rating leaves a closed ticket closed); a new problem
# after such words still reopens it.
@pytest.mark.parametrize(("text", "expected"), [
    ("Ok noted pak, terima kasih", (LATE, None)),
    ("Ok noted, thanks.", (LATE, None)),
    ("Baik pak, dimengerti. Terima kasih", (LATE, None)),
    ("Siap laksanakan, terima kasih", (LATE, None)),
    ("Siap pak, terima kasih, semoga sehat selalu", (LATE, None)),
    ("Baik pak, terima kasih banyak. Semoga sukses selalu", (LATE, None)),
    ("Baik pak, terima kasih atas informasinya", (LATE, None)),
    ("Ya pak terima kasih, sangat membantu", (LATE, None)),
    ("Baik pak, mohon maaf merepotkan. Terima kasih", (LATE, None)),
    ("Iya pak, sudah saya terima. Terima kasih", (LATE, None)),
    ("Ok, well received. Thank you", (LATE, None)),
    ("Ok noted pak, tapi akun saya terkunci lagi", None),
    ("Baik pak, sangat membantu. Sekarang penawaran saya tidak terkirim", None),
    ("Terima kasih atas informasinya, akun saya terkunci lagi", None),
    ("Terima kasih atas info akun saya terkunci lagi", None),
    ("Terima kasih atas bantuannya.\n\nSalam,\nRina\n\nNB: sekarang saya tidak bisa login lagi", None),
    ("Terima kasih pak.\n\nRegards,\nRina\n\nP.S. upload dokumen masih gagal", None),
    ("Terima kasih pak.\n\nSalam,\nRina Wati\nCV Maju Jaya", (LATE, None)),
])
def test_a_late_thanks_in_other_courteous_words_leaves_a_closed_ticket_closed(
        text: str, expected: tuple[Event, int | None] | None) -> None:
    assert late(text) == expected


# "Nilai: lima" is "Nilai: 5" spelled out; "bintang lima" (five stars) is praise, not a
# complaint. A number that counts money is still no rating.
RATING_IN_WORDS = [
    ("Terima kasih, masalah sudah teratasi. Nilai: lima", CONFIRM, 5),
    ("Sudah bisa pak, nilai empat", CONFIRM, 4),
    ("Sangat membantu, bintang lima", CONFIRM, 5),
    ("Bintang lima untuk helpdesk LPSE", CONFIRM, 5),
    ("Sudah bisa login.\nNilai: lima", CONFIRM, 5),
    ("Ya, lima bintang", CONFIRM, 5),
    ("Yes, solved. Five stars", CONFIRM, 5),
    ("Ya sudah selesai. Nilai tiga saja, agak lama", CONFIRM, 3),
    ("Nilai lima juta belum masuk pak", REJECT, None),
    ("Ya, satu dokumen sudah terupload", CONFIRM, None),
]


@pytest.mark.parametrize(("text", "event", "rating"), RATING_IN_WORDS)
def test_a_rating_written_as_a_word_is_the_rating(text: str, event: Event, rating: int | None) -> None:
    assert answer(text) == (event, rating)


# A thumbs-up is how many requesters say "OK, thanks" from a phone (and what a Gmail
# emoji reaction's text part holds); a thumbs-down or a hedge is still no confirmation.
EMOJI = [
    ("👍", CONFIRM, None),
    ("👍🏻", CONFIRM, None),
    ("🙏 terima kasih", CONFIRM, None),
    ("👌👌", CONFIRM, None),
    ("✅\n\nSalam,\nRina", CONFIRM, None),
    ("👎", REJECT, None),
    ("😢", REJECT, None),
    ("👍 tapi paket lain masih error", REJECT, None),
    ("👍?", REJECT, None),
    (":)", REJECT, None),
]


@pytest.mark.parametrize(("text", "event", "rating"), EMOJI)
def test_an_approving_emoji_confirms(text: str, event: Event, rating: int | None) -> None:
    assert answer(text) == (event, rating)


# Thanks first, then the answer in a clause of its own: the answer decides. Before, only
# "Terima kasih, sudah bisa" was read; "Terima kasih, berhasil" or an English requester's
# "Thanks, it works now" reopened the ticket.
THANKS_THEN_ANSWER = [
    ("Terima kasih, berhasil", CONFIRM, None),
    ("Terimakasih pak, sdh ok", CONFIRM, None),
    ("Makasih min, sudah aman", CONFIRM, None),
    ("Terima kasih, sudah saya coba dan berhasil. Nilai 5", CONFIRM, 5),
    ("Thanks, it works now", CONFIRM, None),
    ("Thank you so much, the problem is solved", CONFIRM, None),
    ("Thanks! All good now", CONFIRM, None),
    ("Terima kasih, akun saya terkunci lagi", REJECT, None),
    ("Terima kasih pak, belum bisa", REJECT, None),
    ("Terima kasih, saya coba dulu", REJECT, None),
    ("Terima kasih. Bagaimana cara upload ulang?", REJECT, None),
    ("Thanks, but it still fails", REJECT, None),
]


@pytest.mark.parametrize(("text", "event", "rating"), THANKS_THEN_ANSWER)
def test_thanks_then_the_answer(text: str, event: Event, rating: int | None) -> None:
    assert answer(text) == (event, rating)


# "Sangat membantu" (very helpful) praises the solution, as "Sangat puas" does.
HELPFUL = [
    ("Sangat membantu", CONFIRM, None),
    ("Sangat membantu pak, terima kasih", CONFIRM, None),
    ("Membantu sekali, nilai 5", CONFIRM, 5),
    ("Very helpful, thanks", CONFIRM, None),
    ("Sangat membantu, tapi masih error", REJECT, None),
    ("Sangat membantu. Mohon dibantu juga paket lain", REJECT, None),
]


@pytest.mark.parametrize(("text", "event", "rating"), HELPFUL)
def test_very_helpful_confirms(text: str, event: Event, rating: int | None) -> None:
    assert answer(text) == (event, rating)

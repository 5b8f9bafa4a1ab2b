"""A requester's answer to a solution in the words people really use (SPEC E4), found by
a blind red-team sweep: ratings written as words, a thumbs-up, thanks in English.

Expected values come from SPEC E4 ("optionally with a rating 1-5 ... or a rating anywhere
in the reply such as `Nilai: 4`") and from what the requester meant, never from the rules.
"""

from __future__ import annotations

import pytest

from mailbot.core.lifecycle import Event
from tests.test_closing_wording_redteam import answer

CONFIRM, REJECT = Event.REQUESTER_CONFIRM, Event.REQUESTER_REJECT

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

"""LKPP's letter to the unit, passed on to the requester without its opening. Pure.

The texts are LKPP's ways of opening a mail to an LPSE unit, as in the LKPP reply sets of
tests/data (a greeting naming the unit, an address block down to "di Tempat"), and the
openings that must stay: a greeting of whoever reads it, and words on the greeting's line.
"""

from __future__ import annotations

import pytest

from mailbot.core.greetings import without_salutation

ANSWER = "Akun sudah kami buka kembali. Silakan login ulang."


@pytest.mark.parametrize("opening", [
    "Yth. Helpdesk LPSE Kota Batam,",
    "Yth. Bapak/Ibu Bidang Layanan dan Dukungan LPSE Kabupaten Batang,",
    "Dear LPSE Batang team,",
    "Selamat siang Tim Helpdesk LPSE,",
    "Kepada Yth.\nTim Helpdesk LPSE Kota Batam\ndi Tempat",
    "Kepada Yth.\nAdmin Helpdesk LPSE Kota Batam\ndi -\n\nDengan hormat,",
    "Yth. Helpdesk LPSE Kota Batam,\nDengan hormat,",
])
def test_an_opening_that_greets_the_unit_is_left_out(opening: str) -> None:
    assert without_salutation(f"{opening}\n\n{ANSWER}\n\nSalam,\nAndi") == f"{ANSWER}\n\nSalam,\nAndi"


@pytest.mark.parametrize("text", [
    f"Yth. Bapak/Ibu Pengguna SPSE,\n\n{ANSWER}",  # greets whoever reads it: the requester too
    f"Selamat siang Pak,\n{ANSWER}",  # greets no one by the unit's name
    f"Yth. Helpdesk LPSE Uji, akun sudah kami buka kembali.\n{ANSWER}",  # the answer on its line
    "Pak, silakan lihat lampiran.\nAgus",
    "Yth. Helpdesk LPSE Kota Batam,",  # nothing but the greeting: kept, nothing is lost
    f"Kepada Yth.\nBapak Budi\ndi Tempat\n\n{ANSWER}",  # an address block naming someone else
    f"{ANSWER}\nYth. Helpdesk LPSE,",  # not an opening
])
def test_other_openings_and_words_are_kept_whole(text: str) -> None:
    assert without_salutation(text) == text

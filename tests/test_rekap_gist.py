"""The recap's Isi Pesan and Isi Jawaban hold the problem and the answer in the writer's own
words, without the greeting above them and the sign-off and signature below (the
printed recap showed "Selamat siang," and "Yth. Bapak/Ibu,"). Expected texts written here
from the issue's examples and the way LPSE mail is written."""

from __future__ import annotations

import pytest

from mailbot.reports.gist import gist

CASES = [
    # the issue's signature (SPEC E4's example) under a greeting and thanks
    (("Selamat siang,\n\nSaya tidak bisa login ke SPSE sejak kemarin.\nMohon bantuannya.\n\nTerima kasih.\n\n"
     "Salam,\nAgus Salim, S.T.\nPejabat Pembuat Komitmen\nBPBD Kota Uji\nTelp. (0778) 462 000"), "Agus Salim",
     "Saya tidak bisa login ke SPSE sejak kemarin.\nMohon bantuannya."),
    # staff's answer: "Yth. Bapak/Ibu," and "Hormat kami," with the unit
    ("Yth. Bapak/Ibu,\n\nPassword sudah kami reset. Silakan login ulang.\n\nHormat kami,\nHelpdesk LPSE", "",
     "Password sudah kami reset. Silakan login ulang."),
    # a letter: the recipient's block, "Dengan hormat,", the formal close
    (("Kepada Yth.\nHelpdesk LPSE\nDi Tempat\n\nDengan hormat,\nKami mohon reset akun penyedia.\n\n"
     "Demikian kami sampaikan, atas perhatiannya kami ucapkan terima kasih.\n\nHormat kami,\nRudi"), "",
     "Kami mohon reset akun penyedia."),
    # a greeting in front of the first sentence
    ("Selamat pagi, saya tidak bisa upload dokumen penawaran", "", "Saya tidak bisa upload dokumen penawaran"),
    # thanks that go on to say something stay
    ("Terima kasih, tapi masih error?", "", "Terima kasih, tapi masih error?"),
    # nothing to take away
    ("Kapan jadwal pelatihan SPSE berikutnya?", "", "Kapan jadwal pelatihan SPSE berikutnya?"),
    # a text that is only a greeting is given back whole, never emptied
    ("Selamat siang,", "", "Selamat siang,"),
]


@pytest.mark.parametrize(("text", "name", "expected"), CASES)
def test_the_writers_own_words(text: str, name: str, expected: str) -> None:
    assert gist(text, name) == expected


def test_lines_in_the_middle_are_kept() -> None:
    """A title-like line between sentences is the text, not a signature."""
    text = "Paket kami:\nPembangunan Gedung Kantor Dinas\nstatusnya gagal lelang. Mohon dicek."
    assert gist(text) == text

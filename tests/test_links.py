"""What a mail client would make a link of is made inert. Pure.

The lures are the forms the red team reported surviving the old defanging (one-letter
hosts, TLDs outside a short list, `mailto:`, IP addresses, fullwidth and look-alike dots);
the plain texts are what Indonesian helpdesk mail is full of and must stay as written."""

from __future__ import annotations

import pytest

from mailbot.core.links import defang, has_link

LURES = {
    "verifikasi di s.id/spse-verifikasi": "verifikasi di s[.]id/spse-verifikasi",
    "buka t.me/lpsebantuan": "buka t[.]me/lpsebantuan",
    "masuk ke lpse-pusat.gov/login": "masuk ke lpse-pusat[.]gov/login",
    "beli token di kupon.shop": "beli token di kupon[.]shop",
    "unduh spse.app sekarang": "unduh spse[.]app sekarang",
    "kirim ke mailto:eve@evil.test": "kirim ke mailto[:]eve@evil[.]test",
    "login 203.0.113.7/spse": "login 203[.]0[.]113[.]7/spse",
    "https://spse-lkpp.evil.test/login": "hxxps[:]//spse-lkpp[.]evil[.]test/login",
    "HTTP://EVIL.TEST/x": "HxxP[:]//EVIL[.]TEST/x",
    "www.evil.test": "www[.]evil[.]test",
    "balas ke eve@phish.net": "balas ke eve@phish[.]net",
    "s\u3002id/buka": "s[.]id/buka",  # ideographic full stop, a dot to IDNA
}


@pytest.mark.parametrize("lure", sorted(LURES))
def test_every_link_form_a_client_makes_is_made_inert(lure):
    assert has_link(lure)
    assert defang(lure) == LURES[lure]
    assert not has_link(defang(lure))


def test_fullwidth_link_is_caught_and_its_dot_made_inert():
    lure = "\uff53\uff0e\uff49\uff44/\uff42\uff55\uff4b\uff41"  # s．id/buka in fullwidth letters
    assert has_link(lure)
    assert "\uff0e" not in defang(lure) and "[.]" in defang(lure)
    assert not has_link(defang(lure))


@pytest.mark.parametrize("text", [
    "Budi Santoso, S.Kom., M.T.", "versi 4.5.1 galat", "lampiran laporan.pdf", "Pokja 3.2",
    "HPS Rp 1.500.000", "NIB 1234567890123", "rapat jam 10.30 WIB", "Tender 12345678 gagal",
])
def test_ordinary_helpdesk_words_stay_as_written(text):
    assert not has_link(text)
    assert defang(text) == text

"""A requester's acknowledgement asks only for what their mail did not give, over real Dovecot
and SMTP (SPEC 4 E1; seed 003's form: name, agency or company, phone; what LKPP needs of a
problem: the tender's code and a screenshot). Budi writes his name, company, phone and the
tender's code, signs as Indonesian vendors sign, and attaches the screenshot: his ack asks for
none of them. Sari gives her name and the tender's code but no company, no phone, no file:
hers asks for those three alone. Each ack is read back over IMAP as the requester reads it.
"""

from __future__ import annotations

import pytest

from tests import mailfactory as mf

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
BUDI = ("Selamat siang Bapak/Ibu,\n\n"
        "Kami tidak bisa mengunggah dokumen penawaran pada kode tender 10234567, selalu muncul error 500\n"
        "saat upload. Tangkapan layar kami lampirkan.\n\n"
        "Terima kasih,\n"
        "Budi Santoso\n"
        "Direktur CV Maju Jaya\n"
        "HP/WA 0812-7654-3210\n")
SARI = ("Selamat pagi,\n\n"
        "Jadwal pembuktian kualifikasi paket 11006677 tidak tampil di halaman penyedia.\n"
        "Mohon bantuannya.\n\n"
        "Salam,\nSari Wulandari\n")
ASKING = "Agar permasalahan dapat segera ditangani"


def _asked(ack) -> list[str]:  # type: ignore[no-untyped-def]
    """The lines the ack asks for, after its request."""
    text = mf.text_of(ack).replace("\r\n", "\n")
    if ASKING not in text:
        return []
    return [line for line in text[text.index(ASKING):].split("\n\n")[0].splitlines()[1:]]


def test_an_ack_asks_only_for_what_the_mail_did_not_give(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Gagal upload dokumen penawaran", BUDI,
                                    attachments=(("error-upload.png", "image/png", PNG),))[0])
    servers.append(mf.UNIT, mf.mail("sari@dinas.test", "Jadwal pembuktian tidak tampil", SARI)[0])
    mf.run_once(config)
    budi = mf.latest(servers, "budi@vendor.test", "ack")
    assert _asked(budi) == []
    assert "dicatat dengan nomor tiket" in mf.text_of(budi)  # an ack all the same, with its number
    assert "kode tender" not in mf.text_of(budi) and "nomor telepon" not in mf.text_of(budi)
    sari = mf.latest(servers, "sari@dinas.test", "ack")
    assert _asked(sari) == ["- instansi/perusahaan Anda;", "- nomor telepon yang dapat dihubungi;",
                            "- tangkapan layar (screenshot) pesan kesalahan."]

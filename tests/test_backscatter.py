"""The rules behind "no backscatter" and "limits that count inboxes". Pure.

Expected values are the issue's: `target+0...29@` and dotted spellings of one Gmail-style
address are one inbox; the unit's own server's `dmarc=fail`/`spf=fail` means no ack; past
`limits.acks_per_hour` acks to new addresses wait for staff (`#kirim-tanda-terima`)."""

from __future__ import annotations

import pytest

from mailbot.core.commands import parse_commands
from mailbot.core.inboxes import inbox_key
from mailbot.core.loops import looping
from mailbot.parsers.authres import authres_fails

ID = "mx.lpse.test"


@pytest.mark.parametrize(("spellings", "one"), [
    ([f"target+{n}@vendor.test" for n in range(30)] + ["Target@Vendor.TEST", "target@vendor.test"], True),
    (["t.a.r.g.e.t@gmail.com", "targ.et@gmail.com", "TARGET@gmail.com", "tar.get+x@googlemail.com"], True),
    (["budi.santoso@vendor.test", "budisantoso@vendor.test"], False),  # dots matter outside the listed providers
    (["budi@vendor.test", "budi@vendor2.test"], False),
])
def test_spellings_of_one_inbox_share_one_key(spellings, one):
    assert (len({inbox_key(a) for a in spellings}) == 1) is one


def test_the_key_of_a_plain_address_is_itself_lower_cased():
    assert inbox_key("Budi@Vendor.Test") == "budi@vendor.test"
    assert inbox_key("t.a.r.g.e.t@gmail.com") == "target@gmail.com"


@pytest.mark.parametrize(("header", "sender", "withheld"), [
    (f"{ID}; dmarc=fail (p=reject) header.from=vendor.test", "budi@vendor.test", "dmarc=fail by mx.lpse.test"),
    (f"{ID}; spf=fail smtp.mailfrom=vendor.test", "budi@vendor.test", "spf=fail by mx.lpse.test"),
    # a list breaks SPF, its DKIM still passes aligned: a real sender, answered
    (f"{ID}; spf=fail smtp.mailfrom=list.test; dkim=pass header.d=vendor.test", "budi@vendor.test", None),
    (f"{ID}; dmarc=pass header.from=vendor.test", "budi@vendor.test", None),
    (f"{ID}; spf=softfail smtp.mailfrom=vendor.test", "budi@vendor.test", None),
    ("mx.evil.test; dmarc=fail header.from=vendor.test", "budi@vendor.test", None),  # not the unit's server
])
def test_only_the_units_own_servers_fail_withholds_the_ack(header, sender, withheld):
    assert authres_fails((header,), ID, sender) == withheld


def test_a_forged_fail_below_the_units_own_header_counts_for_nothing():
    values = (f"{ID}; dmarc=pass header.from=vendor.test", f"{ID}; dmarc=fail header.from=vendor.test")
    assert authres_fails(values, ID, "budi@vendor.test") is None


@pytest.mark.parametrize("line", ["#kirim-tanda-terima", "#Kirim-Tanda-Terima.", "#send-ack", "# kirim-tanda-terima"])
def test_the_release_command_is_read_in_both_languages(line):
    parsed = parse_commands(f"{line}\n")
    assert parsed.errors == () and parsed.has("send_ack")


# --- loops across addresses -------------------------------------------------------------------

RESPONDER = ("Terima kasih, permintaan Anda nomor {n} telah kami terima dan akan diproses.\n\n"
             "> Yth. Bapak/Ibu\n> tiket {n}")


def test_the_same_words_from_a_third_address_of_one_domain_are_a_responder():
    recent = [(f"desk{n}@resp.test", f"Kasus {w}", RESPONDER.format(n=1000 + n))
              for n, w in ((1, "alpha"), (2, "beta"))]
    assert looping("desk3@resp.test", "Kasus gamma", RESPONDER.format(n=1003), recent)
    assert looping("desk3@resp.test", "Kasus gamma", RESPONDER.format(n=1003), recent[:1]) is None


def test_spellings_of_one_inbox_are_one_address_not_several():
    recent = [("desk+1@resp.test", "x", RESPONDER.format(n=1)), ("DESK@resp.test", "y", RESPONDER.format(n=2))]
    assert looping("desk+3@resp.test", "z", RESPONDER.format(n=3), recent) is None


def test_people_of_one_domain_writing_their_own_words_are_answered():
    recent = [("budi@gmail.com", "Tidak bisa login", "Akun saya terkunci sejak pagi."),
              ("sari@gmail.com", "Jadwal tender", "Mohon info jadwal aanwijzing paket 1234."),
              ("andi@gmail.com", "Upload gagal", "Dokumen penawaran gagal diunggah.")]
    assert looping("dewi@gmail.com", "Pertanyaan", "Bagaimana cara mengganti email akun?", recent) is None


def test_a_subject_that_repeats_with_new_numbers_is_the_same_subject():
    recent = [(f"auto{n}@resp.test", f"Re: [LPSE-T #2026-0000{n}] Tanda terima", f"kode {n}x{n}") for n in (1, 2)]
    assert looping("auto3@resp.test", "RE: [LPSE-T #2026-00003] Tanda terima", "lain sama sekali", recent)


# --- forms that cannot be forged ----------------------------------------------------------------

def test_every_line_of_fenced_text_is_behind_the_fence_however_it_breaks():
    from mailbot.io.render import fence
    text = ("Mohon bantuan.\nD. CATATAN PETUGAS HELPDESK LPSE\u2028----- akhir pesan -----\r\n"
            "x\x0bC. JAWABAN\x85y\u2029z")
    fenced = fence(text)
    assert all(row.startswith("|") for row in fenced.splitlines())
    assert [row for row in fenced.splitlines() if "CATATAN" in row] == ["| D. CATATAN PETUGAS HELPDESK LPSE"]
    assert fence("") == "|"

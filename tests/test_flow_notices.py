"""What staff read in mailbot's mail, followed as a new staff member follows the guide (
points 2, 3, 5 and 8), over real Dovecot and SMTP; every mail read back over IMAP.

- A visit written down exactly as the staff guide shows it (`Jawaban:`, `Nilai: 5`, no e-mail)
  opens closed: its notice no longer tells staff to `#selesai` or `#tutup` it (both refused on
  a closed ticket), and the form staff check before `#buka` shows its Nomor Antrian and Nilai.
- A held form cancelled with `#batal`: the coordinators' mail names no ticket to reply to and
  shows the call's date; the staff member who cancelled it hears that it is done.
- Every notice says what the ticket is (state, priority, category), when its next deadline
  falls, and offers the commands that apply now; after the requester's data went to LKPP it
  says so; after an unclear LKPP reply it names `#teruskan`, `#permintaan-data` and `#selesai`.
- A caller is not asked again for what they gave; the held form shows the caller's address as
  written; a coordinator's reply to the digest naming two tickets reaches staff once per
  ticket, each under its own tag; a coordinator's `#jawab` reaches staff as their answer.

Every pass runs at a fixed instant (November 2026, WIB).
"""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
GUIDE = Path(__file__).resolve().parent.parent / "docs" / "panduan-petugas.md"
REQUESTER = "budi@vendor.test"
CALLER = "sari@dinas.test"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def arrive(servers, config, raw: bytes, moment: datetime) -> None:
    """The message reaches the unit's INBOX at `moment` and mailbot handles it then."""
    servers.append(mf.UNIT, raw, msg_time=moment)
    mf.handle_at(config, moment)


def reply(servers, config, original: EmailMessage, sender: str, text: str, moment: datetime) -> None:
    arrive(servers, config, mf.reply_as_client(original, sender, text)[0], moment)


def lines(msg: EmailMessage) -> list[str]:
    return mf.text_of(msg).splitlines()


def offered(msg: EmailMessage) -> set[str]:
    """The commands a notice's footer offers (its "Perintah yang dapat dipakai sekarang" list)."""
    text = mf.text_of(msg)
    start = text.index("Perintah yang dapat dipakai sekarang")
    end = text.index("Semua perintah beserta contohnya", start)
    return set(re.findall(r"^  (#[\w-]+)", text[start:end], flags=re.MULTILINE))


def the_guides_visit() -> str:
    """The staff guide's `#datang` example, as a staff member copies it."""
    block = re.search(r"^ *```\n( *#datang\n.*?)^ *```", GUIDE.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)
    assert block is not None
    return "\n".join(line.strip() for line in block.group(1).splitlines()) + "\n"


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def test_a_visit_answered_at_the_counter_opens_closed_and_its_notice_offers_only_what_runs(env):
    """Point 2: the guide's `#datang` example, held (a new mail proves no sender), then `#buka`."""
    servers, config = env
    form = the_guides_visit()
    assert "Jawaban:" in form and "Nilai: 5" in form and "Nomor Antrian: A-012" in form
    arrive(servers, config, mf.mail(mf.STAFF[0], "datang", form)[0], at("2026-11-24T10:00"))
    [confirm] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "intake_confirm")
    # "periksa seluruh formulir": the whole form, the queue number and the rating kept with it included
    assert "Nomor Antrian: A-012" in lines(confirm) and "Nilai layanan: 5 (dari 1-5)" in lines(confirm)

    reply(servers, config, confirm, mf.STAFF[0], "#buka", at("2026-11-24T10:05"))
    [notice] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "intake_opened")
    text = " ".join(mf.text_of(notice).split())
    assert "#selesai atau #tutup" not in text and "lalu #selesai" not in text
    assert "status tiket Ditutup: tidak ada lagi yang perlu dikerjakan" in text
    assert "Nomor Antrian: A-012" in lines(notice) and "Nilai layanan: 5 (dari 1-5)" in lines(notice)
    number = str(notice["X-Mailbot-Ticket"])
    assert f"Tiket {number} saat ini: Ditutup, prioritas Sedang, kategori Pertanyaan." in lines(notice)
    # SPEC 4 on a closed ticket: no E8-E12g state command runs; the data commands and #jawab do
    assert offered(notice) == {"#catatan", "#prioritas", "#kategori", "#tugaskan", "#data", "#jawab", "#riwayat"}

    # what the notice offers runs: a note is kept, not refused
    reply(servers, config, notice, mf.STAFF[0], "#catatan Tamu sudah pulang.", at("2026-11-24T10:10"))
    assert mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_ok")
    assert not mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")


CALL = f"""#telepon
Nama: Sari Wulandari
Instansi: Dinas Pendidikan
No. HP: 0812 3456 7890
Email: {CALLER}
Waktu: 09.40
Permasalahan: Tidak bisa mengunggah dokumen penawaran tender 10023456.
"""


def held_call(servers, config) -> EmailMessage:
    arrive(servers, config, mf.mail(mf.STAFF[0], "telepon", CALL)[0], at("2026-11-24T10:00"))
    [confirm] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "intake_confirm")
    return confirm


def test_a_cancelled_form_names_no_ticket_shows_its_date_and_tells_who_cancelled_it(env):
    """Point 3: `#batal` on a held form."""
    servers, config = env
    confirm = held_call(servers, config)
    number = str(confirm["X-Mailbot-Ticket"])
    reply(servers, config, confirm, mf.STAFF[0], "#batal\nSalah tulis nomor HP.", at("2026-11-24T10:10"))

    [told] = mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "intake_cancelled")
    text = mf.text_of(told)
    assert f"tercatat pada tiket {number}" not in text  # no ticket of that number exists to write to
    assert f"Tiket {number} tidak ada" in text
    assert "Hari/Tanggal Konsultasi : Selasa, 24 November 2026" in lines(told)
    assert "Waktu                   : 09:40 WIB" in lines(told)
    assert f"[LPSE-T #{number}]" not in str(told["Subject"])  # a subject naming no ticket either
    assert str(told["Subject"]).endswith("Tidak bisa mengunggah dokumen penawaran tender 10023456.")

    [done] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "intake_cancelled")
    assert done["To"] == mf.STAFF[0]
    said = " ".join(mf.text_of(done).split())
    assert f"Formulir telepon bernomor {number} telah Anda batalkan" in said
    assert "tidak ada email yang dikirim kepada penelepon" in said
    assert mf.inbox(servers, CALLER) == []


def test_a_callers_address_is_shown_as_written_and_the_ack_asks_only_for_what_is_missing(env):
    """Point 8: the held form shows the caller's address as the form gave it (it is what staff
    check before `#buka`); the caller's ack does not ask again for name, agency and phone."""
    servers, config = env
    confirm = held_call(servers, config)
    assert f"   e. Email                    : {CALLER}" in lines(confirm)
    assert "dinas[.]test" not in mf.text_of(confirm)
    reply(servers, config, confirm, mf.STAFF[0], "#buka", at("2026-11-24T10:05"))
    [ack] = mf.of_kind(mf.inbox(servers, CALLER), "ack")
    text = " ".join(mf.text_of(ack).split())
    assert "nama dan instansi/perusahaan serta nomor telepon" not in text
    assert "- nama Anda" not in text and "- nomor telepon" not in text
    assert "- kode tender/paket dan tangkapan layar (screenshot) pesan kesalahan." in mf.text_of(ack)


def test_every_notice_says_what_the_ticket_is_when_its_deadline_falls_and_what_to_do_now(env):
    """Point 5, along SOP-015: the requester's ack promised a first response in 1 working hour
    (a tender closing today is high priority); staff's notice says the same deadline."""
    servers, config = env
    raw, _ = mf.mail(REQUESTER, "Tidak bisa upload penawaran",
                     "Batas akhir penawaran hari ini pukul 15.00, upload gagal terus sejak kemarin.")
    arrive(servers, config, raw, at("2026-11-24T09:00"))
    [ack] = mf.of_kind(mf.inbox(servers, REQUESTER), "ack")
    assert "dalam 1 jam kerja" in " ".join(mf.text_of(ack).split())
    [new] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    number = str(new["X-Mailbot-Ticket"])
    assert f"Tiket {number} saat ini: Terbuka, prioritas Tinggi, kategori Pengaduan." in lines(new)
    assert "Batas waktu tanggapan pertama: Selasa, 24 November 2026 10:00 WIB" in lines(new)
    assert "Batas waktu penyelesaian (3x24 jam): Jumat, 27 November 2026 09:00 WIB" in lines(new)
    assert offered(new) == {"#eskalasi", "#selesai", "#tutup", "#catatan", "#prioritas", "#kategori", "#tugaskan",
                            "#koordinator", "#data", "#jawab", "#riwayat", "#lpse-support", "#lapor-kepala",
                            "#minta-data"}  # no LKPP answer to pass on, no ack waiting, no held form

    reply(servers, config, new, mf.STAFF[0], "#eskalasi\nMohon bantuan pengecekan.", at("2026-11-24T09:30"))
    [escalation] = mf.of_kind(mf.inbox(servers, mf.LKPP), "escalate")
    reply(servers, config, escalation, mf.LKPP, "Mohon dilengkapi screenshot pesan error dan kode tender.",
          at("2026-11-24T10:00"))
    [request] = mf.of_kind(mf.inbox(servers, REQUESTER), "need_info")
    reply(servers, config, request, REQUESTER, "Berikut kode tender 10023456, screenshot menyusul.",
          at("2026-11-24T10:30"))
    data = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_update")[-1]
    said = " ".join(mf.text_of(data).split())
    assert "sudah diteruskan otomatis ke Helpdesk LKPP sebagai data tambahan" in said
    assert "tidak perlu diteruskan lagi" in said
    assert f"Tiket {number} saat ini: Dieskalasi ke LKPP, prioritas Tinggi, kategori Pengaduan." in lines(data)
    assert "Batas waktu perkembangan dari Helpdesk LKPP: Rabu, 25 November 2026 10:30 WIB" in lines(data)
    assert "#selesai" in offered(data)
    # LKPP's request went to the requester by itself: passing it on again would send it twice
    assert not {"#teruskan", "#permintaan-data", "#eskalasi", "#minta-data", "#buka", "#batal",
                "#kirim-tanda-terima"} & offered(data)

    reply(servers, config, escalation, mf.LKPP, "Terima kasih atas emailnya.", at("2026-11-24T11:00"))
    unclear = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_lkpp")[-1]
    assert "tidak dapat dikenali secara otomatis" in mf.text_of(unclear)
    assert {"#teruskan", "#permintaan-data", "#selesai"} <= offered(unclear)


def test_the_footer_offers_what_an_unverified_lkpp_mail_needs(env):
    """Point 5: LKPP's mail that proves nothing (a new mail naming our tag) asks staff to decide,
    and names the commands that decide it, which then run."""
    servers, config = env
    arrive(servers, config, mf.mail(REQUESTER, "Akun terkunci", "Akun SPSE saya terkunci sejak kemarin.")[0],
           at("2026-11-24T09:00"))
    [new] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    reply(servers, config, new, mf.STAFF[0], "#eskalasi\nMohon dibuka.", at("2026-11-24T09:10"))
    number = str(new["X-Mailbot-Ticket"])
    arrive(servers, config, mf.mail(mf.LKPP, f"[LPSE-T #{number}] Akun terkunci", "Akun sudah kami buka.")[0],
           at("2026-11-24T10:00"))
    [alert] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "unverified")
    said = " ".join(mf.text_of(alert).split())
    assert "balas email ini dengan #teruskan" in said and "#permintaan-data" in said and "#selesai SOLUSI" in said
    assert "Bila pesan ini memang dari petugas" not in said
    assert {"#teruskan", "#permintaan-data", "#selesai"} <= offered(alert)
    reply(servers, config, alert, mf.STAFF[0], "#teruskan", at("2026-11-24T10:10"))
    assert "Akun sudah kami buka." in mf.text_of(mf.of_kind(mf.inbox(servers, REQUESTER), "relay")[-1])


def test_a_digest_reply_naming_two_tickets_reaches_each_tickets_staff_under_its_tag(env):
    """Point 8: one mail per named ticket, each tagged and threaded as that ticket's, so that a
    reply to the second acts on the second."""
    servers, config = env
    for n, (subject, body) in enumerate((("Akun terkunci", "Akun SPSE saya terkunci."),
                                         ("Lupa password", "Saya lupa password SPSE."))):
        arrive(servers, config, mf.mail(REQUESTER, subject, body)[0], at(f"2026-11-24T09:0{n}"))
    first, second = (str(m["X-Mailbot-Ticket"]) for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new"))
    mf.sweep(config, at("2026-11-25T08:00"))
    [digest] = mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "digest")
    reply(servers, config, digest, mf.COORDINATOR,
          f"{first} dan {second}: mohon diprioritaskan, pengguna sudah dua kali menelepon.", at("2026-11-25T08:30"))

    passed = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_direction")
    assert sorted(str(m["X-Mailbot-Ticket"]) for m in passed) == sorted([first, second])
    for mail in passed:
        number = str(mail["X-Mailbot-Ticket"])
        assert str(mail["Subject"]).startswith(f"[LPSE-T #{number}] Arahan:")
        assert "mohon diprioritaskan" in mf.text_of(mail)
    to_second = next(m for m in passed if str(m["X-Mailbot-Ticket"]) == second)
    reply(servers, config, to_second, mf.STAFF[0], "#prioritas tinggi", at("2026-11-25T08:40"))
    store = mf.store_of(config)
    try:
        assert store.tickets.ticket_by_number("t", second).priority == "high"
        assert store.tickets.ticket_by_number("t", first).priority != "high"
    finally:
        store.close()


def test_a_coordinators_answer_reaches_staff_as_their_answer_to_the_requester(env):
    """Point 8: `#jawab` from a coordinator goes to the requester; staff read it under a subject
    that says so, not "Arahan:"."""
    servers, config = env
    arrive(servers, config, mf.mail(REQUESTER, "Perpanjangan jadwal", "Mohon jadwal upload diperpanjang.")[0],
           at("2026-11-24T09:00"))
    [new] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    number = str(new["X-Mailbot-Ticket"])
    reply(servers, config, new, mf.STAFF[0], "#koordinator\nMohon arahan.", at("2026-11-24T09:10"))
    [case] = mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "coordinator_case")
    answer = "Perpanjangan jadwal merupakan kewenangan Pokja Pemilihan."
    reply(servers, config, case, mf.COORDINATOR, f"#jawab\n{answer}", at("2026-11-24T09:30"))
    assert answer in mf.text_of(mf.of_kind(mf.inbox(servers, REQUESTER), "staff_reply")[-1])
    [told] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_direction")
    assert str(told["Subject"]).startswith(f"[LPSE-T #{number}] Jawaban koordinator kepada pengguna:")
    assert "Arahan:" not in str(told["Subject"])
    assert "Teks ini telah dikirim kepada pengguna sebagai jawaban unit" in mf.text_of(told)

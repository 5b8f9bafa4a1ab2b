"""The unit's memory over real Dovecot and SMTP: a new mail like an earlier solved case brings staff
(and a coordinator asked for direction) a notice that lists it; no requester ever
receives a suggestion."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mailbot.config.load import load_config
from mailbot.io.store import Store
from mailbot.model import State
from tests import mailfactory as mf

YEAR = datetime.now(ZoneInfo("Asia/Jakarta")).year
COORDINATOR = "koordinator@lpse.test"


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def solve(servers, config, sender, subject, problem, solution, name=""):
    """A requester's mail, answered and resolved by staff with #selesai."""
    raw, _ = mf.mail(sender, subject, problem, name=name)
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    notice = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")[-1]
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], f"#selesai {solution}")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)


def test_a_new_mail_like_a_solved_case_lists_it_for_staff_and_coordinators_only(env):
    servers, config = env
    solve(servers, config, "budi@vendor.test", "Akun SPSE terkunci",
          "Selamat pagi, akun penyedia kami terkunci setelah beberapa kali salah memasukkan password.\n"
          "Mohon dibuka kembali.\n\nBudi - CV Maju Jaya",
          "Akun Bapak sudah kami buka kembali. Akun terkunci otomatis setelah 5 kali salah password;\n"
          "silakan login ulang atau gunakan menu Lupa Password.")
    solve(servers, config, "sari@dinas.test", "Jadwal tender ulang",
          "Kapan jadwal tender ulang paket rehabilitasi gedung 10023456 diumumkan?",
          "Jadwal tender ulang diumumkan di SPSE setelah pokja menetapkan ulang dokumen pemilihan.")
    store = Store(load_config(config).database)
    assert [t.state for t in store.search.tickets()] == [State.RESOLVED, State.RESOLVED]
    store.close()
    locked, retender = f"{YEAR}-00001", f"{YEAR}-00002"

    raw, _ = mf.mail("sari@dinas.test", "tidak bisa login",
                     "min user kami keblokir, tulisannya akun terkunci krn salah pasword berkali2. mohon dibuka")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    new = f"{YEAR}-00003"
    notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if new in str(m["Subject"]))
    body = mf.text_of(notice)
    assert "kasus serupa" in body
    similar = body[body.index("kasus serupa"):]
    assert f"Tiket {locked}: Akun SPSE terkunci" in similar
    assert "Akun Bapak sudah kami buka kembali." in similar
    assert retender not in similar  # not alike: not shown

    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#koordinator Mohon arahan, penyedia mendesak.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    [case] = mf.of_kind(mf.inbox(servers, COORDINATOR), "coordinator_case")
    assert f"Tiket {locked}: Akun SPSE terkunci" in mf.text_of(case)

    # the requesters: Budi got his own solution; Sari (whose new case is like Budi's) never
    # sees Budi's ticket, its solution or a word of the suggestions
    for received in mf.inbox(servers, "sari@dinas.test"):
        text = mf.text_of(received)
        assert "serupa" not in text and "buka kembali" not in text and locked not in text
    for received in mf.inbox(servers, "budi@vendor.test"):
        assert "serupa" not in mf.text_of(received) and retender not in mf.text_of(received)


def test_nothing_is_listed_when_nothing_solved_is_alike(env):
    servers, config = env
    solve(servers, config, "sari@dinas.test", "Jadwal tender ulang",
          "Kapan jadwal tender ulang paket rehabilitasi gedung diumumkan?",
          "Jadwal tender ulang diumumkan di SPSE setelah pokja menetapkan ulang dokumen pemilihan.")
    raw, _ = mf.mail("sari@dinas.test", "SPAMKODOK",
                     "Aplikasi SPAMKODOK versi berapa yang harus dipakai untuk enkripsi?")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
                  if f"{YEAR}-00002" in str(m["Subject"]))
    assert "kasus serupa" not in mf.text_of(notice)


def staff_reply_to_new(servers, config, number, text):
    notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if number in str(m["Subject"]))
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], text)
    servers.append(mf.UNIT, raw)
    mf.run_once(config)


def test_answer_like_resolves_with_the_old_solution_and_refuses_one_naming_its_requester(env):
    """`#jawab-seperti NUMBER [text]`: the old solution goes to this requester as this
    ticket's solution, under this requester's greeting and the staff member's text, once staff
    confirmed the preview of it; a solution that names its own requester is refused
    with command_error saying why."""
    servers, config = env
    solve(servers, config, "budi@vendor.test", "Akun SPSE terkunci",
          "Akun penyedia kami terkunci setelah salah password berkali-kali. Mohon dibuka.",
          "Akun sudah kami buka kembali. Akun terkunci otomatis setelah 5 kali salah password;\n"
          "silakan login ulang atau gunakan menu Lupa Password.", name="Budi Santoso")
    solve(servers, config, "budi@vendor.test", "Ganti email akun",
          "Mohon email akun penyedia kami diganti ke alamat baru.",
          "Email akun Bapak Budi Santoso sudah kami ganti; silakan cek kotak masuk email baru.", name="Budi Santoso")
    unlocked, renamed = f"{YEAR}-00001", f"{YEAR}-00002"

    raw, _ = mf.mail("sari@dinas.test", "akun terkunci", "Akun kami terkunci, tidak bisa login. Mohon bantuan.",
                     name="Sari Dewi")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    third = f"{YEAR}-00003"
    staff_reply_to_new(servers, config, third, f"#jawab-seperti {renamed}")
    [error] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")
    assert renamed in mf.text_of(error) and "memuat nama pengguna tiket itu" in mf.text_of(error)
    assert 'pada baris "Email akun Bapak Budi Santoso sudah kami ganti;' in mf.text_of(error)  # the line
    store = Store(load_config(config).database)
    assert store.tickets.ticket_by_number("t", third).state is State.OPEN
    store.close()
    assert not mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "resolved")

    staff_reply_to_new(servers, config, third, f"#jawab-seperti {unlocked} Mohon dicoba lagi, Bu.")
    # staff see the answer first; a second #jawab-seperti, in answer to that preview, sends it
    [preview] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "answer_preview")
    assert not mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "resolved")
    raw, _ = mf.reply_as_client(preview, mf.STAFF[0], f"#jawab-seperti {unlocked}")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    store = Store(load_config(config).database)
    assert store.tickets.ticket_by_number("t", third).state is State.RESOLVED
    store.close()
    [resolved] = mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "resolved")
    body = mf.text_of(resolved)
    assert body.startswith("Yth. Bapak/Ibu Sari Dewi,")
    assert "Mohon dicoba lagi, Bu." in body and "Akun sudah kami buka kembali." in body
    assert body.index("Mohon dicoba lagi, Bu.") < body.index("Akun sudah kami buka kembali.")
    assert "Budi" not in body and "#jawab-seperti" not in body and unlocked not in body


def test_answer_like_refuses_a_solution_that_carried_files(env):
    """A solution sent with files of its own case (here a PDF staff attached to #selesai)
    is not sent again to another requester: command_error says why, the ticket stays open."""
    servers, config = env
    raw, _ = mf.mail("budi@vendor.test", "Akun SPSE terkunci", "Akun penyedia kami terkunci. Mohon dibuka.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    notice = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")[-1]
    raw, _ = mf.mail(mf.STAFF[0], "Re: " + str(notice["Subject"]), "#selesai Akun sudah kami buka; panduan terlampir.",
                     in_reply_to=str(notice["Message-ID"]).strip("<>"),
                     attachments=(("panduan akun.pdf", "application/pdf", mf.PDF),))
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    [resolved] = mf.of_kind(mf.inbox(servers, "budi@vendor.test"), "resolved")
    assert [p.get_filename() for p in resolved.iter_attachments()] == ["panduan akun.pdf"]

    raw, _ = mf.mail("sari@dinas.test", "akun terkunci", "Akun kami terkunci, tidak bisa login.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    staff_reply_to_new(servers, config, f"{YEAR}-00002", f"#jawab-seperti {YEAR}-00001")
    [error] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")
    assert f"{YEAR}-00001" in mf.text_of(error) and "lampiran" in mf.text_of(error)
    assert not mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "resolved")


def test_answer_like_never_passes_an_old_solutions_password_user_id_or_npwp_to_another_requester(env):
    """As an attacker (or a hurried staff member) would have it: Budi's old
    ticket was solved with a temporary password, his user ID and his company's NPWP; Sari,
    a new requester, writes the same problem and staff answer her with `#jawab-seperti`
    Budi's number. Sari receives nothing of Budi's solution; staff get the refusal, which
    names the line that holds what may not go on, and her ticket stays open."""
    servers, config = env
    solve(servers, config, "budi@vendor.test", "Akun SPSE terkunci",
          "Akun penyedia kami terkunci setelah salah password berkali-kali. Mohon dibuka.",
          "Akun sudah kami reset.\n"
          "User ID: ptmaju_88\n"
          "Password sementara: Lpse#2026x\n"
          "NPWP terdaftar: 01.234.567.8-901.000\n"
          "Segera ganti password setelah login.", name="Budi Santoso")
    old = f"{YEAR}-00001"
    raw, _ = mf.mail("sari@dinas.test", "akun terkunci", "Akun kami terkunci, tidak bisa login. Mohon bantuan.",
                     name="Sari Dewi")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    new = f"{YEAR}-00002"
    staff_reply_to_new(servers, config, new, f"#jawab-seperti {old}")

    for received in mf.inbox(servers, "sari@dinas.test"):
        text = mf.text_of(received)
        assert "ptmaju_88" not in text and "Lpse#2026x" not in text and "901.000" not in text
    assert not mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "resolved")
    [error] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")
    shown = mf.text_of(error)
    assert old in shown
    assert any(line in shown for line in ("User ID: ptmaju_88", "Password sementara: Lpse#2026x",
                                          "NPWP terdaftar: 01.234.567.8-901.000"))
    store = Store(load_config(config).database)
    assert store.tickets.ticket_by_number("t", new).state is State.OPEN
    store.close()


def test_a_solution_linking_outside_the_unit_is_shown_inert_and_never_reused(env):
    """A solution in the unit's memory with a download link outside the
    unit's and LKPP's domains (here one that reached it as a solution; a forged LKPP answer
    would read the same) is listed to staff with its link inert, and `#jawab-seperti` does
    not mail it to the next requester."""
    servers, config = env
    solve(servers, config, "budi@vendor.test", "SPSE error saat upload penawaran",
          "Saat upload dokumen penawaran muncul error aplikasi SPSE. Mohon bantuan.",
          "Error upload penawaran sudah diperbaiki pada versi terbaru.\n"
          "Silakan unduh pembaruan di https://spse-update.example/patch.exe lalu jalankan.")
    old = f"{YEAR}-00001"
    raw, _ = mf.mail("sari@dinas.test", "error upload penawaran SPSE",
                     "Upload dokumen penawaran di SPSE selalu error aplikasi. Mohon bantuan.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    new = f"{YEAR}-00002"
    notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if new in str(m["Subject"]))
    body = mf.text_of(notice)
    similar = body[body.index("kasus serupa"):]
    assert f"Tiket {old}" in similar
    assert "hxxps[:]//spse-update[.]example/patch[.]exe" in similar
    assert "https://spse-update.example" not in body and "spse-update.example" not in body

    staff_reply_to_new(servers, config, new, f"#jawab-seperti {old}")
    assert not mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "resolved")
    for received in mf.inbox(servers, "sari@dinas.test"):
        assert "spse-update" not in mf.text_of(received)
    [error] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")
    assert old in mf.text_of(error) and "tautan ke luar domain unit dan LKPP" in mf.text_of(error)
    assert "https://spse-update.example" not in mf.text_of(error)


def lkpp_solves(servers, config, sender, subject, problem, answer):
    """A requester's mail escalated by staff and solved by LKPP, confirmed with YA."""
    raw, _ = mf.mail(sender, subject, problem)
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    notice = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")[-1]
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon dibantu.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    escalation = mf.of_kind(mf.inbox(servers, mf.LKPP), "escalate")[-1]
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, answer)
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    solution = mf.of_kind(mf.inbox(servers, sender), "resolved_lkpp")[-1]
    raw, _ = mf.reply_as_client(solution, sender, "YA 5")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)


LKPP_ANSWER = ("Selamat siang Bapak Budi,\n\n"
               "Akun penyedia terkunci karena 5 kali salah password. Akun sudah kami buka dan alamat email sudah "
               "kami perbarui.\nSilakan login ulang atau gunakan menu Lupa Password.\n\n"
               "Salam,\nAgus - Helpdesk LKPP")


def test_a_reused_answer_is_previewed_without_the_old_greeting_and_signature_and_sent_on_confirmation(env):
    """LKPP solved Budi's case ("Selamat siang Bapak Budi", "Salam, Agus -
    Helpdesk LKPP", and "alamat email sudah kami perbarui", true for Budi alone). Sari writes the
    same problem; staff answer with #jawab-seperti. Staff first get a preview of what Sari would
    receive: the solution without Budi's greeting or Agus's signature, the line about what was
    done for Budi pointed out; Sari gets nothing. `#jawab-seperti` again on the ticket's notice
    previews again; in answer to the preview it sends what the preview showed."""
    servers, config = env
    lkpp_solves(servers, config, "budi@vendor.test", "Akun SPSE terkunci",
                "Akun penyedia kami terkunci setelah salah password berkali-kali.", LKPP_ANSWER)
    old = f"{YEAR}-00001"
    store = Store(load_config(config).database)
    assert store.tickets.ticket_by_number("t", old).state is State.CLOSED
    store.close()
    raw, _ = mf.mail("sari@dinas.test", "akun terkunci", "Akun kami terkunci, tidak bisa login.", name="Sari Dewi")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    new = f"{YEAR}-00002"
    staff_reply_to_new(servers, config, new, f"#jawab-seperti {old}")

    [preview] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "answer_preview")
    assert preview["To"] == mf.STAFF[0] and str(preview["X-Mailbot-Ticket"]) == new
    text = mf.text_of(preview)
    shown = text[text.index("----- jawaban yang akan dikirim -----"):text.index("----- akhir jawaban -----")]
    assert "| Silakan login ulang atau gunakan menu Lupa Password." in shown
    for gone in ("Selamat siang Bapak Budi", "Salam,", "Agus - Helpdesk LKPP"):
        assert gone not in shown, gone
    checks = text[text.index("Periksa dulu baris-baris berikut"):]
    assert "alamat email sudah kami perbarui." in checks.split("- Untuk mengirimnya")[0]
    assert f"#jawab-seperti {old}" in text
    assert not mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "resolved")
    store = Store(load_config(config).database)
    assert store.tickets.ticket_by_number("t", new).state is State.OPEN
    store.close()

    staff_reply_to_new(servers, config, new, f"#jawab-seperti {old}")  # on the notice, not the preview
    assert len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "answer_preview")) == 2
    assert not mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "resolved")

    raw, _ = mf.reply_as_client(preview, mf.STAFF[0], f"#jawab-seperti {old}")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    [resolved] = mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "resolved")
    body = mf.text_of(resolved)
    assert body.startswith("Yth. Bapak/Ibu Sari Dewi,")
    assert "Silakan login ulang atau gunakan menu Lupa Password." in body
    for gone in ("Bapak Budi", "Agus", "Salam,\n"):
        assert gone not in body, gone
    store = Store(load_config(config).database)
    assert store.tickets.ticket_by_number("t", new).state is State.RESOLVED
    store.close()


def test_the_units_first_solved_case_is_listed_for_a_long_polite_mail_about_the_same_problem(env):
    """With one case solved, a request about the same problem written as
    requesters write to an office (greeting, company, tender, address: words no solved case
    holds) lists it; before, "Kasus serupa" came only once a second, unrelated case was
    solved. A request about another problem still lists nothing."""
    servers, config = env
    solve(servers, config, "budi@vendor.test", "Akun SPSE terkunci",
          "Selamat pagi, akun penyedia kami terkunci setelah beberapa kali salah memasukkan password.\n"
          "Mohon dibuka kembali.\n\nBudi - CV Maju Jaya",
          "Akun Bapak sudah kami buka kembali. Akun terkunci otomatis setelah 5 kali salah password;\n"
          "silakan login ulang atau gunakan menu Lupa Password.")
    raw, _ = mf.mail("rina@sinarabadi.test", "Permohonan bantuan akun",
                     "Yth. Admin LPSE Kota Batam,\n\nDengan hormat, kami dari PT Sinar Abadi Sejahtera ingin "
                     "melaporkan bahwa akun penyedia kami terkunci setelah beberapa kali salah memasukkan password "
                     "saat hendak mengikuti tender pembangunan jalan lingkungan. Mohon akun kami dibuka kembali "
                     "karena batas waktu penawaran besok.\n\nAtas perhatian dan kerjasamanya kami ucapkan terima "
                     "kasih.\n\nHormat kami,\nRina Wati\nDirektur PT Sinar Abadi Sejahtera\n"
                     "Jl. Raja Ali Haji No. 5 Batam\nTelp 0778-123456")
    servers.append(mf.UNIT, raw)
    raw, _ = mf.mail("joko@karya.test", "Tidak bisa upload dokumen penawaran",
                     "Saat unggah dokumen penawaran muncul error, file pdf 4 MB. Mohon bantuan.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    notices = {number: mf.text_of(m) for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
               for number in (f"{YEAR}-00002", f"{YEAR}-00003") if number in str(m["Subject"])}
    assert "kasus serupa" in notices[f"{YEAR}-00002"]
    listed = notices[f"{YEAR}-00002"][notices[f"{YEAR}-00002"].index("kasus serupa"):]
    assert f"Tiket {YEAR}-00001: Akun SPSE terkunci" in listed
    assert "kasus serupa" not in notices[f"{YEAR}-00003"]

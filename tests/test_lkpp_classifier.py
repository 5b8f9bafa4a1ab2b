"""How replies of Helpdesk LKPP are classified, end to end (SPEC E13-E17).

The labelled sets in tests/data/ are built as real emails and go through
`parse_message` and `classify_lkpp(subject, new_text or text)` as the daemon does.
Expected labels come from the data files, never from the rules. A "dangerous" error is
a reply classified need_info, resolved or status whose true class is another: each of
those sends the requester mail that should not go, so there must be none; unsure
means no class (staff decide).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml

from mailbot.parsers.mime import parse_message
from mailbot.rules import Rules, load_rules

DATA = Path(__file__).resolve().parent / "data"
REQUESTER_CLASSES = ("need_info", "resolved", "status")  # E13, E14, E16: mail to the requester
SUBJECT = "RE: [LPSE-BTM #2026-00042] Eskalasi: Tidak bisa upload penawaran"


@pytest.fixture(scope="module")
def rules() -> Rules:
    """The rules alone: these tests are about their patterns (the second opinion has its own)."""
    return replace(load_rules(), second_opinion=None)


def reply(subject: str, body: str) -> bytes:
    """A plain-text reply from Helpdesk LKPP, as its mail client would send it."""
    msg = EmailMessage()
    msg["From"] = "Helpdesk LKPP <helpdesk-lpse@lkpp.go.id>"
    msg["To"] = "Helpdesk LPSE Kota Batam <lpse@batam.go.id>"
    msg["Subject"] = subject
    msg["Message-ID"] = "<test@lkpp.go.id>"
    msg.set_content(body)
    return msg.as_bytes()


def classify(rules: Rules, subject: str, body: str) -> str:
    """The class the daemon would act on, `none` when it leaves the reply to staff."""
    msg = parse_message(reply(subject, body))
    verdict = rules.classify_lkpp(msg.subject, msg.new_text or msg.text)
    return verdict.value if verdict else "none"


def labelled(name: str) -> list[dict]:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


# --- the labelled sets -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["lkpp_replies_dev.yaml", "lkpp_replies_own.yaml", "lkpp_replies_heldout.yaml"])
def test_shipped_classifier_with_its_second_opinion(name: str) -> None:
    """The rules and the trained model together, as the daemon runs them: at least 95 % right,
    none wrongly mailed to a requester."""
    shipped = load_rules()
    results = [(item["label"], classify(shipped, item["subject"], item["body"])) for item in labelled(name)]
    assert sum(t == p for t, p in results) / len(results) >= 0.95
    assert [(t, p) for t, p in results if p in REQUESTER_CLASSES and p != t] == []


@pytest.mark.parametrize(("expected", "text"), [
    ("resolved", ("Permasalahan telah kami perbaiki, silakan dicoba kembali sesuai panduan pada tautan berikut:\n"
                 "https://lpse.lkpp.go.id/panduan.pdf")),
    ("resolved", ("Data penyedia sudah kami sinkronkan ulang. Panduan unggah dokumen: "
                 "<https://spse.inaproc.id/docs/panduan-penyedia-v4.pdf>")),
    ("resolved", "The issue has now been fixed. The user guide is at www.lkpp.go.id/panduan/spse-return-lpse.html"),
    ("need_info", ("Mohon kirimkan tangkapan layar pesan error tersebut ke helpdesk.teknis@lkpp.go.id "
                  "atau unggah di https://helpdesk.lkpp.go.id/unggah")),
])
def test_a_link_in_the_reply_does_not_change_its_class(expected: str, text: str) -> None:
    """LKPP's solution (or request) with a web or mail address in it is read as it is without one,
    by the rules and the trained model together: the words of an address ("lpse", "panduan",
    "pdf") are no words of intent, and a solution held for staff waits for nothing."""
    assert classify(load_rules(), SUBJECT, text) == expected


def test_a_blind_set_is_never_wrongly_mailed_to_a_requester() -> None:
    """The second held-out set was written blind by someone else and trained on by nothing:
    with the second opinion no reply goes to a requester wrongly, and most are still read."""
    shipped = load_rules()
    results = [(item["label"], classify(shipped, item["subject"], item["body"]))
               for item in labelled("lkpp_replies_heldout2.yaml")]
    assert [(t, p) for t, p in results if p in REQUESTER_CLASSES and p != t] == []
    assert sum(t == p for t, p in results) / len(results) >= 0.8


@pytest.mark.parametrize("name", ["lkpp_replies_dev.yaml", "lkpp_replies_own.yaml"])
def test_labelled_set(rules: Rules, name: str) -> None:
    """At least 95 % right, and no reply put in a class that mails the requester wrongly."""
    items = labelled(name)
    results = [(item["id"], item["label"], classify(rules, item["subject"], item["body"])) for item in items]
    wrong = [r for r in results if r[1] != r[2]]
    dangerous = [r for r in wrong if r[2] in REQUESTER_CLASSES]
    accuracy = 1 - len(wrong) / len(results)
    assert not dangerous, f"dangerous errors (id, truth, predicted): {dangerous}"
    assert accuracy >= 0.95, f"accuracy {accuracy:.3f}; wrong (id, truth, predicted): {wrong}"


def test_own_set_is_large_and_covers_every_class() -> None:
    """Our own set has at least 150 replies, every class, and Indonesian and English."""
    items = labelled("lkpp_replies_own.yaml")
    assert len(items) >= 150
    assert len({item["id"] for item in items}) == len(items)
    labels = Counter(item["label"] for item in items)
    assert set(labels) == {"need_info", "resolved", "returned", "status", "none"}
    assert min(labels.values()) >= 30
    assert {"id", "en"} <= {item["lang"] for item in items}


# --- phrase families LKPP's desk writes ------------------------------------------------------

FAMILIES = [
    # need_info: questions that ask for data, requests in Indonesian and English
    ("need_info", "Apakah penyedia sudah mencoba menggunakan browser lain? Mohon informasinya."),
    ("need_info", "Apakah PPK sudah membersihkan cache peramban sebelum login?"),
    ("need_info", "nomor NPWP perusahaannya berapa ya pak?"),
    ("need_info", "Mohon bantuannya untuk meminta kepada penyedia scan NPWP dan username SPSE."),
    ("need_info", "Mohon dapat diinformasikan kode tender dan nama satuan kerjanya."),
    ("need_info", "Could you ask the user to send us the exact error message?"),
    ("need_info", "Please ask the vendor whether they received the activation email."),
    ("need_info", "We would need the tender code and the time of the failed upload."),
    # a progress report that also asks for data is a data request
    ("need_info", "Sedang kami telusuri. Mohon dikirimkan tangkapan layar error dari sisi penyedia."),
    # resolved: passive and other verbs, Indonesian and English
    ("resolved", "Data RUP sudah kami sinkronkan ulang."),
    ("resolved", "Pengumuman tender sudah tampil kembali di halaman depan SPSE."),
    ("resolved", "Sertifikat sudah diperbarui dan agregasi sudah berjalan normal."),
    ("resolved", "Sdh kami reset pak, silakan dicoba."),
    ("resolved", "The login problem has now been fixed."),
    ("resolved", "We re-ran the synchronisation; the packages appear in SPSE again."),
    # a fix that also asks the user to confirm is a solution
    ("resolved", "Akun sudah kami aktifkan kembali. Mohon dicoba dan informasikan hasilnya."),
    # returned: the LPSE's own authority, hand-back phrases
    ("returned", "Perubahan jadwal dapat dilakukan sendiri oleh Pokja melalui menu Ubah Jadwal."),
    ("returned", "Tiket ini kami kembalikan ke LPSE untuk ditindaklanjuti."),
    ("returned", "Penambahan role PPK merupakan kewenangan Admin Agency masing-masing instansi."),
    ("returned", "This can be handled directly by the LPSE admin from the Kelola Penyedia menu."),
    ("returned", "We are handing this case back to you: user roles are managed by each agency admin."),
    # a return that asks the LPSE a question is a return
    ("returned", "Reset password merupakan kewenangan LPSE. Apakah admin LPSE sudah mencoba menu Reset?"),
    # status: forwarded, in progress, scheduled
    ("status", "Laporan sudah diteruskan ke Tim Teknis untuk ditindaklanjuti."),
    ("status", "Permasalahan masih dalam penanganan tim pengembang."),
    ("status", "Perbaikan dijadwalkan pada rilis SPSE berikutnya."),
    ("status", "The issue has been forwarded to our technical team; we will update you."),
    # a status that mentions a partial fix stays a status
    ("status", "Data sudah kami perbaiki sebagian; sisanya masih dalam proses sinkronisasi."),
    ("status", "Partially fixed: search works again, but images are still being restored."),
]


# Constructions added after the first blind held-out set (tests/data/README.md, third
# batch): each written here in other words than any labelled reply.
CONSTRUCTIONS = [
    # a request relayed through an intermediary, Indonesian and English
    ("need_info", "Mohon kiranya disampaikan kepada Pokja agar mengirimkan tangkapan layar halaman evaluasi."),
    ("need_info", "Tolong infokan ke PPK-nya untuk kirim foto KTP yg jelas ya pak."),
    ("need_info", "Mohon diteruskan ke penyedia supaya menyertakan akta pendirian dan perubahannya."),
    ("need_info", "Please ask the bidder to take a screenshot of the error and send it to us."),
    ("need_info", "Could you have the PPK email us the SPMK number?"),
    ("need_info", "Kindly get the supplier to share the exact error message with us."),
    # a need for data, whoever says it
    ("need_info", "Sy butuh user id penyedia dan jam kejadiannya pak."),
    ("need_info", "Kami perlu nomer WA penyedianya untuk konfirmasi langsung."),
    ("need_info", "Yang kami perlukan adalah kode paket dan screenshot error."),
    ("need_info", "I'd need the vendor's NPWP and a screenshot."),
    # terse chat: abbreviations, the data named alone, a question without its mark
    ("need_info", "Tlg dilampirkan ss halaman login nya pak."),
    ("need_info", "Minta NIB penyedia ya pak."),
    ("need_info", "Penyedianya pake browser apa pak"),
    ("need_info", "Kode RUP-nya ditunggu ya pak."),
    ("need_info", "Lampirannya kosong pak, mohon dikirim ulang."),
    # fixes by any agent, and the requester able to act again
    ("resolved", "Barusan saya reset passwordnya, penyedia sudah bisa login."),
    ("resolved", "Penyedia sudah bisa mengunduh dokumen pemilihan."),
    ("resolved", "I have restored the missing schedule; the Pokja can continue."),
    ("resolved", "Jadwal telah kami sesuaikan dengan jadwal yang semestinya."),
    ("resolved", "Udah kelar pak, silakan dicek."),
    # progress as chat writes it: work going on, a failed attempt, a promise of the result
    ("status", "Developer lagi ngerjain perbaikannya pak."),
    ("status", "Pemulihan data belum berhasil, akan kami coba lagi besok."),
    ("status", "Nanti sore saya kabari perkembangannya."),
    ("status", "We'll keep you posted on the progress."),
    # returns through role lists with slashes, and "no need to go through LKPP"
    ("returned", "Hal ini cukup diselesaikan oleh PA/KPA, tidak perlu melalui LKPP."),
    ("returned", "Perubahan ini merupakan kebijakan PPK/PA masing-masing."),
    ("returned", "Permasalahan ini dapat diselesaikan di LPSE Bapak/Ibu melalui menu Kelola Pegawai."),
    ("returned", ("Pengaduan terkait hasil evaluasi agar disampaikan kepada Pokja atau APIP, "
                  "bukan melalui Helpdesk LKPP.")),
    ("returned", "This falls under the agency admin's responsibility; please handle it locally."),
    # asking the requester for data with no "agar", a finished process, work queued or part done
    ("need_info", ("Agar dapat kami tindaklanjuti, kiranya LPSE dapat memintakan kepada penyedia data berikut: "
                   "NPWP, NIB.")),
    ("resolved", "Dengan hormat, permohonan reset akun PPK telah selesai kami proses. Silakan PPK login kembali."),
    ("resolved", "Akun PPK sudah kami buatkan ulang dengan NIK yang benar, silakan login."),
    ("status", "Your request is in the queue and will be handled in order."),
    ("status", "Progress: 60% data sudah dipulihkan, sisanya masih berjalan."),
    # English: the requester as the one to send, passive fixes, progress and returns in other words
    ("need_info", "Hi, could the vendor send over the exact filename of the bid and the time of upload?"),
    ("need_info", "For us to look into this, the bidder will need to provide their NIB and a copy of the deed."),
    ("need_info", "Please obtain from the PPK a screenshot of the contract page showing the error."),
    ("resolved", "The certificate was reissued this morning and is now active."),
    ("resolved", "All good now: the duplicate record was purged and the sync ran cleanly."),
    ("status", "This has been raised with the SIKaP team; we'll revert once we hear back."),
    ("status", "No update yet from the infrastructure team, still chasing."),
    ("returned", "This isn't something LKPP can change; the PPK needs to do it from their own account."),
]


@pytest.mark.parametrize(("expected", "text"), CONSTRUCTIONS)
def test_construction(rules: Rules, expected: str, text: str) -> None:
    """Each construction is read as grammar, in words no labelled reply uses."""
    assert classify(rules, SUBJECT, text) == expected


# Traps for those constructions: none of these may mail the requester.
CONSTRUCTION_TRAPS = [
    # relayed instructions with no data, or data that goes through SPSE
    "Mohon disampaikan kepada Pokja agar membuka kembali jadwal sanggah.",
    "Mohon disampaikan kepada penyedia untuk mengirimkan penawaran sebelum batas waktu.",
    "Mohon diinformasikan kepada penyedia untuk memberikan klarifikasi kepada Pokja.",
    "Please tell the vendor that the schedule was extended.",
    # instructions that name data, and LKPP's own needs
    "Mohon gunakan browser Chrome versi terbaru.",
    "Mohon kode tender dicek ulang oleh Pokja.",
    "Tolong jangan ubah NIK PPK dulu.",
    "Tidak ada lampiran yang perlu dikirim.",
    "I need to check with the team first.",
    "We need to verify this internally.",
    # attendance, receipts, reports of the requester, findings without a fix
    "Mohon konfirmasi kehadiran Bapak/Ibu pada rapat Senin.",
    "Kami mengundang Bapak/Ibu pada sosialisasi e-Katalog v6.",
    "Please confirm your attendance at the webinar.",
    "Laporan sudah kami terima dan tercatat.",
    "Penyedia melaporkan sinkronisasi belum berhasil.",
    "Berikut kami sampaikan hasil pengecekan: data penyedia ganda di SIKaP.",
    "Kami coba lagi menggunakan akun uji dan berhasil login.",
    "Kami lagi nggak di kantor pak, besok ya.",
    "PPK sudah dapat melakukan perubahan sendiri melalui menu Paket.",
    "Apakah Bapak sudah menerima balasan kami kemarin? Mohon konfirmasinya.",
    "Terima kasih, NPWP dan NIB sudah kami terima.",
    # a state that is the problem, background, a question whether to close
    "NPWP tersebut sudah tercatat atas nama perusahaan lain.",
    "PPK sebenarnya sudah bisa membuat paket sejak awal; kendalanya ada di sinkronisasi RUP.",
    "Kami perlu konfirmasi dari Bapak/Ibu apakah tiket ini boleh kami tutup.",
    # someone away, a conditional in English, an answer to pass on
    "Saya sedang dinas luar sampai tanggal 25 Mei. Untuk hal mendesak silakan hubungi Call Center 144.",
    "If the vendor still can't log in, please send us a screenshot.",
    "Please tell the vendor that the schedule was extended.",
    "The package was deleted by the PPK on Monday.",
    # "kasih" of "terima kasih" is no verb of giving; "need to" + LKPP's own work is no need of data
    "Silakan dicoba terima kasih",
    "I need to check the logs on our side first.",
    "This message has been in the queue too long.",
    # a noun that looks like a verb of data, a tender still running, minutes abbreviated
    "Mohon disampaikan kepada penyedia agar foto profil di SIKaP diperbarui.",
    "Karena tender masih berjalan, perubahan tidak dapat dilakukan.",
    "Email aktivasi 10 mnt lalu dikirim ulang.",
    # the user asking LKPP, LKPP's own forwarding, a conditional, attempts of LKPP, thanks
    "Silakan hubungi kami untuk meminta panduan.",
    "Data sudah kami cek dan kami teruskan ke Helpdesk LKPP pusat.",
    "Kabari kami jika sudah ada info ya pak.",
    "We tried to contact the vendor to confirm but there was no answer.",
    "Thank you for asking the vendor for the details.",
    "Tidak perlu ada konfirmasi lagi.",
]


@pytest.mark.parametrize("text", CONSTRUCTION_TRAPS)
def test_construction_trap(rules: Rules, text: str) -> None:
    """Words of a construction without its grammar leave the reply to staff."""
    assert classify(rules, SUBJECT, text) == "none"


@pytest.mark.parametrize(("text", "not_expected", "expected"), [
    # a participle inside the requested noun phrase reports no work
    ("Mohon dilampirkan:\n1. KTP direktur\n2. Surat kuasa yang telah dilegalisir notaris", "resolved", "need_info"),
    ("Please send us the signed form that has been stamped and verified by the notary.", "resolved", "need_info"),
    ("Mohon penyedia mengirimkan ulang surat pernyataan yang sudah diisi dan telah ditandatangani.",
     "resolved", "need_info"),
    # chat negation after a fix: progress, not a solution
    ("Akun sdh sy reset tp penyedia msh gak bisa login, lagi kami cek lognya.", "resolved", "status"),
    # a tender that runs on is no unfinished work
    ("Jadwal sudah kami perbaiki. Tender masih berjalan sesuai jadwal.", "none", "resolved"),
    # a hedged return is no return; several cases answered item by item go to staff
    ("Sepertinya ini ranah Admin Agency, tapi masih kami pastikan ke tim regulasi.", "returned", "none"),
    ("1. Paket 10299001: sudah kami perbaiki.\n2. Paket 10299017: merupakan kewenangan PPK.", "resolved", "none"),
    # a reminder that names the data again is a data request; one that names none is a reminder
    (("Data belum kami terima. Mohon penyedia mengirimkan NPWP dan screenshot error. Tiket akan ditutup "
      "otomatis dalam 3 hari kerja."), "none", "need_info"),
    # a button named "Kirim Penawaran" is no instruction to resend a bid
    ("Mohon dimintakan ke penyedia screenshot saat tombol Kirim Penawaran diklik.", "none", "need_info"),
])
def test_construction_against_its_trap(rules: Rules, text: str, not_expected: str, expected: str) -> None:
    """The same words read by their grammar: the trap's class is not the one expected."""
    got = classify(rules, SUBJECT, text)
    assert got != not_expected
    assert got == expected


@pytest.mark.parametrize(("expected", "text"), FAMILIES)
def test_phrase_family(rules: Rules, expected: str, text: str) -> None:
    """Each wording family of the issue lands in its class, as a whole email."""
    assert classify(rules, SUBJECT, text) == expected


# Left to staff: none of these may mail the requester.
NONE = [
    # a closing formula is no request, and no progress report
    "Apabila masih terdapat kendala, silakan kirimkan screenshot ke email ini.",
    "Apabila kendala belum teratasi, silakan menghubungi kami kembali.",
    "If the problem persists, please send us a screenshot.",
    # a question to the LPSE about its own setup, alone or with a status
    "Boleh kami tahu versi SPSE yang digunakan LPSE Kota Batam?",
    "Which SPSE version is your LPSE running?",
    "Sedang kami cek. Versi SPSE yang terpasang di server LPSE berapa?",
    "Apakah LPSE sudah menerapkan pembaruan keamanan minggu lalu? Mohon konfirmasinya.",
    # hedges and suggestions are no fix
    "Seharusnya sudah bisa, silakan dicoba lagi.",
    "Kemungkinan karena cache browser. Silakan coba hapus cache.",
    "It might be a caching issue; clearing the browser cache usually helps.",
    # an answer to relay, a receipt, a promise, a mistake, a meeting
    "Mohon disampaikan kepada penyedia bahwa jadwal dapat dilihat di halaman paket.",
    "Email Bapak/Ibu sudah kami terima.",
    "Terima kasih, akan kami pelajari terlebih dahulu.",
    "Mohon maaf, email ini salah kirim.",
    "Mohon konfirmasi kehadiran pada rapat koordinasi hari Kamis.",
    # a reminder before auto-close, an office-closed notice
    "Tiket akan ditutup otomatis bila dalam 2 hari kerja tidak ada tanggapan.",
    "Helpdesk LKPP tidak beroperasi selama cuti bersama.",
]


@pytest.mark.parametrize("text", NONE)
def test_left_to_staff(rules: Rules, text: str) -> None:
    """Closing formulas, questions to the LPSE, hedges and notices go to staff (E17)."""
    assert classify(rules, SUBJECT, text) == "none"


@pytest.mark.parametrize(("text", "not_expected", "expected"), [
    # a state plus a request is a data request, not a solution
    ("Akun penyedia sudah aktif. Mohon kirimkan tangkapan layar saat gagal login.", "resolved", "need_info"),
    # the user's state is no fix by LKPP
    ("Akun penyedia sudah diblokir sistem. Mohon konfirmasi dari penyedia apakah pernah salah password.",
     "resolved", "need_info"),
    # a question about the user's state is no solution
    ("Apakah penyedia sudah dapat login?", "resolved", "need_info"),
    # LKPP itself is the one to confirm
    ("Setelah maintenance selesai seharusnya bisa diakses lagi, nanti kami konfirmasi.", "need_info", "none"),
    # LKPP itself is the one to send
    ("Mohon ditunggu hasilnya akan kami kirimkan besok.", "need_info", "status"),
    # a partial fix named in another sentence is no solution; no progress named, so staff decide
    ("Data penyedia sudah kami perbaiki. Untuk akun PPK, baru sebagian yang tersinkron.", "resolved", "none"),
    # an instruction to pass on is no data request
    ("Roles are assigned by your agency admin; please ask them to add the PPK role.", "need_info", "returned"),
])
def test_misleading_words(rules: Rules, text: str, not_expected: str, expected: str) -> None:
    """Words of one class inside a sentence that means another."""
    got = classify(rules, SUBJECT, text)
    assert got != not_expected
    assert got == expected


def test_quoted_escalation_does_not_decide(rules: Rules) -> None:
    """The problem words of our own quoted escalation never classify LKPP's reply."""
    body = (
        "Baik, email sudah kami terima.\n\n"
        "Pada Sen, 2 Mar 2026 pukul 10.00 Helpdesk LPSE Kota Batam <\nlpse@batam.go.id> menulis:\n\n"
        "> Yth. Helpdesk LKPP,\n> Penyedia tidak bisa login. Mohon dikirimkan solusinya.\n"
        "> Sudah kami reset dari sisi LPSE namun masih gagal. Apakah sudah normal kembali?\n"
    )
    assert classify(rules, SUBJECT, body) == "none"


# --- quoted history in the data ------------------------------------------------------------

# Lines that only quoted history or a client footer has.
QUOTE_MARKS = ("menulis:", "wrote:", "Original Message", "Pesan Asli", "Pesan asli", "Yth. Helpdesk LKPP",
               "Nomor tiket LPSE", "Sent from my", "Dikirim dari", "________")


@pytest.mark.parametrize("name", ["lkpp_replies_dev.yaml", "lkpp_replies_own.yaml"])
def test_new_text_has_no_quoted_history(name: str) -> None:
    """For every client style in the data, the reply's new text ends before the quote."""
    leaks = []
    for item in labelled(name):
        new = parse_message(reply(item["subject"], item["body"])).new_text
        marks = [m for m in QUOTE_MARKS if m in new]
        quoted = [line for line in new.splitlines() if line.lstrip().startswith(">")]
        if marks or quoted or not new.strip():
            leaks.append((item["id"], item["client"], marks, quoted[:1]))
    assert not leaks


# --- a partial fix, the LPSE's own documents, plain data requests (red-team 3, 4, 12) -------

# A fix of one part while LKPP still works on another is progress (E16, SOP-015 steps 12
# and 14): the requester must not be asked to confirm a solution, and LKPP's status and
# progress clocks must keep running.
PARTIAL_FIXES = [
    "Akun penyedia sudah kami aktifkan. Untuk masalah upload penawaran masih kami telusuri dengan tim teknis.",
    "Login sudah kami perbaiki, sedangkan kendala upload penawaran masih kami pelajari.",
    "Sudah kami perbaiki untuk paket 10012345000. Untuk paket 10012346000 masih kami cek.",
    "Data penyedia sudah kami sinkronkan. Untuk kendala penawaran masih kami analisa.",
    "Sudah kami perbaiki untuk paket pertama, paket kedua masih kami periksa.",
    "Akun sudah kami aktifkan, namun kendala upload masih kami telusuri.",
    "Akun sudah kami aktifkan kembali. Adapun kendala upload dokumen penawaran masih ditelusuri oleh tim teknis.",
    "Untuk paket 10012345000 sudah kami perbaiki, sementara paket 10012346000 masih dalam pengecekan.",
    "Data RUP sudah tersinkron kembali. Untuk jadwal tender masih kami koordinasikan dengan tim SPSE.",
    "Sdh sy reset pak akunnya, utk yg upload msh kami cek ya.",
    "Kendala login sudah teratasi. Permasalahan upload penawaran masih dalam tahap analisa tim pengembang.",
    "Perbaikan untuk paket A sudah selesai. Paket B masih kami proses.",
    "Akun sudah kami unlock. Kendala sinkronisasi belum selesai, akan kami update kembali.",
    "Login penyedia sudah normal kembali, sedangkan untuk e-purchasing masih menunggu konfirmasi tim katalog.",
    "Akun sudah kami aktifkan. Untuk perubahan email masih menunggu konfirmasi tim SIKaP.",
    # a fix, then more news promised on the rest
    ("Akun sudah diaktifkan kembali. Untuk permasalahan lainnya akan kami informasikan kembali setelah ada hasil "
     "dari tim teknis."),
    "Akun sudah kami buka. Kendala lainnya akan kami kabari.",
    "Akun sudah kami reset. Perkembangan untuk masalah upload akan kami sampaikan kembali.",
    "Sudah kami perbaiki untuk akun PPK. Hasil untuk akun Pokja akan segera kami sampaikan.",
    # English
    "The login issue has been fixed. We are still looking into the upload error and will update you.",
    "Account reactivated. The missing bid is still being traced by our developers.",
    "We have moved the report job to 01:00 as a first step and are still profiling the node for the remaining cause.",
]


@pytest.mark.parametrize("text", PARTIAL_FIXES)
def test_partial_fix_is_progress(rules: Rules, text: str) -> None:
    """A fix of one part while another is still worked on is a status, never a solution (E16)."""
    assert classify(rules, SUBJECT, text) == "status"


@pytest.mark.parametrize("text", PARTIAL_FIXES)
def test_partial_fix_is_never_mailed_as_a_solution(text: str) -> None:
    """With the second opinion, as the daemon runs: progress, or staff decide; never `resolved`."""
    assert classify(load_rules(), SUBJECT, text) in ("status", "none")


# A genuine solution stays one when it only adds a conditional, a request to try, or news
# for someone else.
FULL_FIXES = [
    ("Permasalahan telah kami perbaiki, silakan dicoba kembali. Apabila masih terdapat kendala, silakan hubungi "
     "kami kembali."),
    "Akun sudah kami aktifkan kembali. Apabila masih ditemukan kendala, silakan hubungi kami kembali.",
    "Akun sudah kami aktifkan kembali. Jika masih mengalami kendala, mohon informasikan kepada kami.",
    "Sudah kami reset. Apabila masih belum bisa, silakan hubungi kami kembali.",
    "Sudah kami perbaiki ya pak. Kalau masih error, kabari kami lagi.",
    "Sudah kami perbaiki. Bila masih belum bisa, akan kami cek kembali.",
    "Data ganda sudah kami hapus. Bila kendala masih berlanjut, silakan sampaikan kembali.",
    "Sudah kami perbaiki. Silakan dicoba dan informasikan kepada kami hasilnya.",
    "Akun sudah kami reset. Password baru akan kami sampaikan melalui email terpisah.",
    "Sudah kami perbaiki. Terima kasih, masukan ini akan kami sampaikan kepada tim pengembang.",
    "Akun sudah kami aktifkan kembali. Apabila ada kendala lain, akan kami bantu.",
    "Akun sudah kami aktifkan. Kami masih menunggu konfirmasi dari Bapak/Ibu apakah penyedia sudah bisa login.",
    "The login problem has been fixed. If the issue persists, please contact us again.",
    "We have reset the account. If the problem persists, we will look into it again.",
    # a fix named as a noun: "sudah dilakukan penghapusan ..."
    "Sudah dilakukan penghapusan data ganda, silakan dicoba kembali",
    "Telah dilakukan penghapusan paket ganda pada SPSE, silakan dicek kembali.",
    "Sudah kami lakukan penggabungan akun penyedia, silakan login dengan username lama.",
    "Telah dilakukan perubahan email akun penyedia sesuai permohonan.",
    "Telah dilakukan perpanjangan masa berlaku akun.",
    "Kami telah melakukan penghapusan data ganda tersebut.",
]


@pytest.mark.parametrize("text", FULL_FIXES)
def test_full_fix_with_a_conditional_is_a_solution(rules: Rules, text: str) -> None:
    """'Apabila masih terdapat kendala ...' after a fix reports no open work (E14)."""
    assert classify(rules, SUBJECT, text) == "resolved"


# SOP-015 steps 5-6: LKPP asks the Bidang Layanan dan Dukungan for data. A letter from or
# signed by the LPSE, its head or the agency's officials is the unit's own: staff decide
# (E17); it must never go to the vendor as a data request (E13).
UNIT_DOCUMENTS = [
    "Mohon dilampirkan surat permohonan yang ditandatangani Kepala LPSE.\n\nTerima kasih",
    ("Mohon dikirimkan surat permohonan dari Kepala UKPBJ yang ditujukan kepada Direktur Pengembangan Sistem "
     "Pengadaan Secara Elektronik."),
    "Silakan kirimkan surat pengantar dari LPSE untuk permohonan reset akun tersebut.",
    "Untuk proses penghapusan data, kami memerlukan surat permohonan resmi yang ditandatangani oleh Kepala UKPBJ.",
    "Mohon melampirkan nota dinas dari Kepala Biro Pengadaan Barang dan Jasa.",
    "Permohonan perubahan data harus dilengkapi surat rekomendasi dari PA/KPA.",
    "Tolong kirim surat resmi berkop LPSE ya pak, ttd kepala LPSE.",
    "Mohon dikirimkan berita acara yang ditandatangani Kepala LPSE dan verifikator.",
    "Mohon Kepala LPSE dapat mengirimkan surat permohonan kepada Direktur SPSE.",
    "Surat permohonan mohon ditandatangani oleh pejabat berwenang di instansi Bapak/Ibu.",
    # with the requester's data in the same request: held as a whole, staff split it
    "Mohon dikirimkan hasil verifikasi dari verifikator LPSE beserta surat pengantar Kepala UKPBJ.",
    "Mohon dikirimkan screenshot error dari penyedia serta surat permohonan yang ditandatangani Kepala LPSE.",
    # English
    "Please attach a request letter signed by the head of your LPSE.",
    "We need an official letter from the UKPBJ head before we can delete the account.",
]


@pytest.mark.parametrize("text", UNIT_DOCUMENTS)
def test_the_lpse_own_documents_are_for_staff(rules: Rules, text: str) -> None:
    """A request for the LPSE's own official letter is held for staff, never need_info."""
    assert classify(rules, SUBJECT, text) == "none"
    assert classify(load_rules(), SUBJECT, text) == "none"


@pytest.mark.parametrize(("text", "expected"), [
    # the requester's own documents stay a data request
    ("Mohon dilampirkan surat kuasa yang ditandatangani direktur perusahaan.", "need_info"),
    ("Mohon dikirimkan surat pernyataan dari penyedia beserta scan KTP direktur.", "need_info"),
    ("Mohon dikirimkan surat keterangan dari penyedia yang terdaftar di LPSE.", "need_info"),
    ("Mohon kirimkan surat dukungan dari pabrikan.", "need_info"),
    ("Mohon dikirimkan surat permohonan reset akun dari PPK yang bersangkutan.", "need_info"),
    ("Please ask the vendor to send a letter signed by their director.", "need_info"),
    # LKPP got the unit's letter: what follows decides
    ("Surat permohonan dari Kepala LPSE sudah kami terima dan sedang kami proses.", "status"),
    ("Surat permohonan dari Kepala UKPBJ sudah kami terima. Akun PPK sudah kami reset, silakan dicoba kembali.",
     "resolved"),
])
def test_documents_of_others_are_not_held(rules: Rules, text: str, expected: str) -> None:
    """Only the unit's own letters are held; the vendor's documents and a receipt are not."""
    assert classify(rules, SUBJECT, text) == expected


# Plain requests for the requester's data (E13), and a ticket system's progress line (E16).
PLAIN_REQUESTS = [
    ("need_info", "Silakan kirimkan kode paket dan NPWP penyedia."),
    ("need_info", "Silakan kirimkan kode paket dan NPWP penyedia agar dapat kami telusuri."),
    ("need_info", "Mohon dicantumkan kode tender serta nama paket."),
    ("need_info", "Mohon kesediaannya untuk mengirimkan file penawaran yang gagal diunggah beserta log Apendo."),
    ("need_info", "Silakan lengkapi data berikut ini: Kode Tender: ... Nama Penyedia: ... NPWP: ..."),
    ("need_info", "Silakan lengkapi data berikut ini:\nKode Tender:\nNama Penyedia:\nNPWP:"),
    ("need_info", "Agar dapat kami bantu, silakan sampaikan kode RUP dan nama paket."),
    ("need_info", "Silahkan lampirkan screenshot pesan error yang muncul."),
    ("need_info", "Silakan sertakan kode tender dan nama penyedia pada balasan email ini."),
    ("need_info", "Mohon kesediaannya mengirimkan tangkapan layar dan log Apendo."),
    ("need_info", "Mohon dicantumkan pula nama dan NPWP perusahaan."),
    ("need_info", "Tolong tuliskan kode paket dan nama PPK-nya ya pak."),
    ("need_info", "Mohon diuraikan kronologi kejadian beserta kode tender."),
    ("need_info", "Silakan isi data berikut:\n1. Kode tender:\n2. Nama penyedia:\n3. NPWP:"),
    ("need_info", "Untuk kami telusuri, silakan sampaikan NPWP dan NIB perusahaan."),
    ("need_info", "Agar dapat kami tindaklanjuti, silakan sampaikan kode RUP serta nama satuan kerja."),
    ("need_info", "Silakan kirimkan file penawaran yang gagal diunggah ke alamat email ini."),
    ("need_info", "Please fill in the following details: tender code, vendor name, NPWP."),
    ("need_info", "Kindly fill in the tender code and the vendor name below."),
    ("need_info", "Please specify the package code and the vendor's NPWP."),
    ("status", "Tiket Anda saat ini berstatus: Dalam Proses."),
    ("status", "Tiket Anda saat ini berstatus: Open - Dalam Penanganan."),
    ("status", "Status tiket Anda: Dalam Penanganan"),
    ("status", 'Tiket #12345 saat ini berstatus "On Progress".'),
]


@pytest.mark.parametrize(("expected", "text"), PLAIN_REQUESTS)
def test_plain_request_or_status_is_read(rules: Rules, expected: str, text: str) -> None:
    """Everyday wording of a data request or a ticket in progress lands in its class."""
    assert classify(rules, SUBJECT, text) == expected


@pytest.mark.parametrize(("expected", "text"), [
    ("need_info", "Silakan kirimkan kode paket dan NPWP penyedia."),
    ("need_info", "Mohon dicantumkan kode tender serta nama paket."),
    ("need_info", "Mohon kesediaannya untuk mengirimkan file penawaran yang gagal diunggah beserta log Apendo."),
    ("need_info", "Silakan lengkapi data berikut ini: Kode Tender: ... Nama Penyedia: ... NPWP: ..."),
    ("need_info", "Agar dapat kami bantu, silakan sampaikan kode RUP dan nama paket."),
    ("status", "Tiket Anda saat ini berstatus: Dalam Proses."),
    ("resolved", "Sudah dilakukan penghapusan data ganda, silakan dicoba kembali"),
])
def test_plain_request_is_read_with_the_second_opinion(expected: str, text: str) -> None:
    """The red team's examples, as the daemon runs them (rules and trained model)."""
    assert classify(load_rules(), SUBJECT, text) == expected


@pytest.mark.parametrize("text", [
    # instructions, not data for LKPP
    "Silakan dicoba kembali.",
    "Silakan kirim ulang penawaran melalui SPSE.",
    "Silakan penyedia mengunggah ulang dokumen penawaran di SPSE.",
    "Penyedia wajib mencantumkan NPWP pada dokumen penawaran.",
    "Mohon cantumkan nomor tiket pada subjek setiap korespondensi berikutnya.",
    "Mohon disampaikan kepada penyedia agar mencoba kembali.",
    "Apabila masih terdapat kendala, silakan kirimkan screenshot.",
    # a ticket state that reports no work
    "Status tiket: Closed",
    "Tiket Anda saat ini berstatus: Selesai.",
    "Tiket Anda saat ini berstatus: Open.",
    # a finding, or a deed of someone else, is no fix
    "Sudah dilakukan pengecekan, datanya memang ganda.",
    "Sudah dilakukan penghapusan data oleh PPK sehingga paket tidak tampil.",
    # a promise alone stays with staff
    "Akan kami pelajari terlebih dahulu.",
    "Nanti saya kabari.",
])
def test_plain_wording_that_asks_nothing_is_left_to_staff(rules: Rules, text: str) -> None:
    """Counter-examples of the wording above: no data request, no status, no fix (E17)."""
    assert classify(rules, SUBJECT, text) == "none"


# Constructions found missing by a red-team held-out set (tests/data/redteam_lkpp_replies.yaml,
# bench/redteam_wording.py): each in words other than the held-out replies that showed the
# gap, with traps that must stay with staff or in their own class.

# A case waiting its turn, written as a verb ("masih antri", "mengantre"): progress (E16).
QUEUED = [
    ("status", "Tiketnya masih antri di tim developer pak."),
    ("status", "Laporan Bapak masih mengantre di Direktorat Pengembangan Sistem."),
    ("status", "Pak, msh ngantri ya di tim infra, hari ini ramai."),
    # a fix of one part, the rest waiting its turn: progress, never a solution
    ("status", "Akun sudah kami aktifkan. Untuk kendala upload masih antri di tim developer."),
    # a question or a condition is no progress
    ("need_info", "Apakah penyedia masih antri di loket verifikasi?"),  # a question about the user
    ("none", "Apabila masih antri, silakan hubungi kami kembali."),
]


@pytest.mark.parametrize(("expected", "text"), QUEUED)
def test_queued_is_progress(rules: Rules, expected: str, text: str) -> None:
    assert classify(rules, SUBJECT, text) == expected


# A return in mixed writing: an English verb after the passive "di" ("di-handle oleh admin
# agency", "dihandle sama Helpdesk LPSE"); the same words done already, asked, or about the
# case's past are no return.
HANDLED_BY_THE_UNIT = [
    ("returned", "Mohon dihandle oleh admin agency LPSE ya pak, itu di luar akses kami."),
    ("returned", "Untuk ini bisa di-handle oleh Helpdesk LPSE setempat."),
    ("returned", "Silakan di handle sama Admin PPE."),
    ("returned", "Cukup di-follow up oleh Pokja pemilihan."),
    ("none", "Sudah di-handle oleh admin LPSE sebelumnya, namun masih gagal."),
    ("none", "Apakah ini sudah di-handle oleh admin agency?"),
    ("need_info", "Kasus yang dihandle oleh admin LPSE kemarin sudah kami cek, mohon kirimkan screenshot."),
]


@pytest.mark.parametrize(("expected", "text"), HANDLED_BY_THE_UNIT)
def test_return_with_an_english_verb(rules: Rules, expected: str, text: str) -> None:
    assert classify(rules, SUBJECT, text) == expected


# The state asked for, reached, with no deed named: "sudah berubah sesuai permohonan",
# "sudah sesuai dengan surat permohonan" (E14). Asked to be made so, questioned, passed on,
# not yet reached, or with work still open: never a solution.
AS_REQUESTED = [
    ("resolved", "Data penyedia kini sudah berubah sesuai permintaan."),
    ("resolved", "Nama perusahaan sudah berganti sesuai permohonan, silakan login kembali."),
    ("resolved", "Jadwal sudah sesuai yang diminta Pokja."),
    ("resolved", "Data sudah sesuai dengan surat permohonan."),
    ("none", "Mohon pastikan data sudah sesuai permohonan."),
    ("none", "Silakan cek apakah data sudah sesuai permohonan."),
    ("none", "Permohonan sudah kami teruskan sesuai permintaan."),
    ("none", "Data sudah berubah tapi belum sesuai permohonan."),
    ("status", "Data sudah sesuai permohonan, namun untuk NPWP masih kami cek."),
]


@pytest.mark.parametrize(("expected", "text"), AS_REQUESTED)
def test_state_as_requested_is_a_solution(rules: Rules, expected: str, text: str) -> None:
    assert classify(rules, SUBJECT, text) == expected


# A fifth red-team round (LKPP's wording, 310 replies written for it): replies that sent the
# requester mail that should not go, in the daemon's setup (rules and second opinion) or the
# rules' alone. Each is none (E17): an instruction about how not to send, data only the LPSE
# holds, a receipt or a finding with no fix, a ticket system's notice about the ticket itself.
TELLS_NOTHING = [
    "Mohon tidak mengirimkan screenshot melalui WhatsApp, cukup melalui email ini.",
    "Mohon jangan mengirim lampiran dalam format RAR karena tidak dapat kami buka di sistem tiket.",
    "Harap tidak mengirimkan dokumen asli, cukup informasi nomor dokumennya saja bila nanti kami minta.",
    "Mohon untuk tidak melampirkan dokumen penawaran pada email karena bersifat rahasia.",
    "Please do not resend the documents; we already have them.",
    "Mohon dikirimkan hasil query tabel peserta dari database SPSE LPSE Kota Batam untuk paket tersebut.",
    "Mohon dikirimkan data jumlah penyedia terverifikasi di LPSE Kota Batam tahun 2025.",
    "Lampiran yang Bapak kirim sudah kami unduh.",
    "Sudah kami bandingkan dengan data DJP, NPWP penyedia tidak valid.",
    "Kami sudah melakukan pengecekan dan tidak menemukan kesalahan pada sistem.",
    "Your ticket [Ticket#2026030910000123] has been merged into ticket 2026030910000111.",
    "Ticket 2026030910000123 has been updated. New state: pending reminder.",
    "The attachment has been removed because it contained a virus.",
    "We have deactivated the old support address; please use helpdesk@lkpp.go.id from now on.",
    "Sudah kami hapus tiket gandanya.",
    "Tiket Bapak yang duplikat sudah kami tutup, penanganan dilanjutkan pada tiket sebelumnya.",
    "Laporan ini telah digabungkan dengan tiket #2026-4521.",
    "Data penyedia sudah kami verifikasi; NPWP tersebut tercatat atas nama perusahaan lain.",
    "Sudah kami cek di database, NIB penyedia tidak sesuai dengan data OSS.",
    "Kami telah menelepon penyedia dan meminta dokumen perubahan akta dikirim langsung ke helpdesk@lkpp.go.id.",
    "Penyedia sudah kami hubungi via WhatsApp dan sudah kami minta mengirimkan screenshot ke kami.",
    "Mohon dikirimkan daftar semua paket di LPSE Kota Batam yang mengalami kendala serupa.",
    "Status tiket Bapak sudah kami perbarui menjadi Menunggu Tanggapan.",
    "Tiket #2026-7781 telah dipindahkan ke antrian Tim Katalog oleh agen Dimas.",
    "Pengaduan Bapak telah diinput ke aplikasi helpdesk kami.",
]


@pytest.mark.parametrize("text", TELLS_NOTHING)
def test_wording_that_tells_the_requester_nothing_is_left_to_staff(rules: Rules, text: str) -> None:
    body = f"Yth. Helpdesk LPSE Kota Batam,\n\n{text}\n\nTerima kasih.\n\nSalam,\nHelpdesk LKPP\n"
    assert classify(rules, SUBJECT, body) == "none"
    assert classify(load_rules(), SUBJECT, body) not in REQUESTER_CLASSES  # as the daemon decides


HANDED_ON = [
    "Permasalahan ini sudah kami delegasikan kepada tim e-Katalog.",
    "Laporan sudah kami naikkan ke tim level 3 untuk dianalisis.",
    "Sdh kami oper ke tim server ya pak.",
    "Tiket sudah kami update ke tim developer, masih menunggu jawaban mereka.",
    "Kendala upload sudah berhasil kami reproduksi di server uji kami.",
    "Akar masalahnya sudah kami temukan, yaitu sertifikat yang kedaluwarsa.",
    "Kasus Bapak sudah kami prioritaskan.",
]


@pytest.mark.parametrize("text", HANDED_ON)
def test_a_case_handed_on_or_weighed_is_progress_not_a_fix(rules: Rules, text: str) -> None:
    body = f"Yth. Helpdesk LPSE Kota Batam,\n\n{text}\n\nSalam,\nHelpdesk LKPP\n"
    assert classify(rules, SUBJECT, body) == "status"
    assert classify(load_rules(), SUBJECT, body) != "resolved"  # as the daemon decides


@pytest.mark.parametrize(("expected", "text"), [
    # the same words, asking or telling after all
    ("need_info", "Mohon dikirimkan screenshot pesan kesalahan yang muncul pada penyedia."),
    ("need_info", "Please send us the vendor's NPWP and the tender code."),
    ("resolved", "Data ganda sudah kami hapus, silakan penyedia login kembali."),
    ("resolved", "Akun penyedia yang ganda sudah kami gabungkan, silakan login kembali."),
    ("resolved", "Data NPWP yang tidak sesuai sudah kami perbaiki, silakan penyedia login kembali."),
    ("need_info", "Kami sudah mencoba menghubungi penyedia. Mohon disampaikan kepada penyedia agar mengirimkan NPWP."),
    ("need_info", "Mohon dikirimkan daftar paket pada akun penyedia yang tidak muncul di katalog."),
    ("resolved", "Data alamat penyedia sudah kami update, silakan login kembali."),
    ("resolved", "NPWP penyedia sudah kami input ulang dan sudah tampil di SIKaP."),
    ("resolved", "Paket sudah kami pindahkan ke satker yang benar dan sudah tampil di akun PPK."),
    ("resolved", "Tiket sudah kami teruskan ke tim teknis dan akun penyedia sudah kami aktifkan kembali."),
    ("resolved", "The missing role has been added to the account; the vendor can log in now."),
    ("status", "Kami sedang melakukan pengecekan pada server."),
])
def test_the_same_words_still_ask_or_tell(rules: Rules, expected: str, text: str) -> None:
    body = f"Yth. Helpdesk LPSE Kota Batam,\n\n{text}\n\nSalam,\nHelpdesk LKPP\n"
    assert classify(rules, SUBJECT, body) == expected

"""A red team ("a person answered": `core/autoreplies.py`,
`parsers/autoreply_words.py`, `rules/autoreplies.yaml`), both ways: an out-of-office with no
header that still decides, and, the costlier failure, a person's answer taken for one. Over
the suite's Dovecot and SMTP in the default `auth.mode: token`, mail read back over IMAP; and
pure cases of the rule.

Found:
- "Yth. Bapak/Ibu," counted as a person's clause (the salutation pattern wanted a word
  boundary after "Yth.", which a full stop and a space do not make), so the commonest
  Indonesian out-of-office opener outweighed its one away clause: the head's notice ended
  the head's wait.
- A notice written of the head by the secretary ("Kepala Unit sedang dinas luar kota ...
  setelah beliau kembali") said nothing the rule knew: it ended the head's wait.
- "Email Bapak sudah saya terima dan saya setuju dengan usulan ..." was one clause, the
  receipt's, so the head's agreement was read as an autoresponder's and the head reminded.
- A staff member who tells the requester "kepala seksi kami sedang dinas luar sehingga tanda
  tangan baru bisa hari Senin" was taken for their own vacation rule ("kami sedang dinas
  luar"): the requester never got the answer (E6). Someone else's absence, said by whoever
  answers for them, is an autoresponder's sentence where a head's word is awaited (a
  secretary's notice), never where a staff reply goes to the requester.
- A requester who sends LKPP's requested documents with "Maaf pak, saya sedang di luar kota."
  was taken for a vacation rule: the documents never went to LKPP (E3). A reply that carries
  a file its writer attached is a person's.
"""

from __future__ import annotations

import pytest

from mailbot.core.autoreplies import not_a_person
from mailbot.parsers.mime import parse_message
from tests import mailfactory as mf
from tests.test_flow_direction_waits import MONDAY, arrive, ask, at, case, reminders, summary_figures  # noqa: F401

REQUESTER = "budi@vendor.test"


def _head_answers(servers, config, words: str) -> None:  # type: ignore[no-untyped-def]
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    ask(servers, config, notice, "#lapor-kepala", at(f"{MONDAY}T10:00"))
    asked = mf.latest(servers, mf.HEAD, "head_case")
    answer = mf.reply_as_client(asked, mf.HEAD, words)[0]
    assert b"Auto-Submitted" not in answer and b"X-Autoreply" not in answer
    arrive(servers, config, answer, at(f"{MONDAY}T10:01"))
    mf.sweep(config, at("2026-11-24T10:05"))


@pytest.mark.parametrize("notice", [
    ("Yth. Bapak/Ibu, saat ini saya sedang berada di luar kantor dan baru dapat membalas email Anda pada tanggal "
    "2 Desember 2026."),
    "Kepala Unit sedang dinas luar kota hingga 27 November. Surat akan ditindaklanjuti setelah beliau kembali.",
])
def test_the_heads_out_of_office_in_these_words_ends_no_wait(case, tmp_path, notice):  # noqa: F811
    servers, config, _ = case
    _head_answers(servers, config, notice)
    assert len(reminders(servers, mf.HEAD)) == 1
    assert summary_figures(config, tmp_path) == (1, 0)


def test_the_heads_agreement_after_a_receipt_ends_the_wait(case, tmp_path):  # noqa: F811
    servers, config, _ = case
    _head_answers(servers, config, "Terima kasih. Email Bapak sudah saya terima dan saya setuju dengan usulan "
                                   "penjadwalan ulang.")
    assert reminders(servers, mf.HEAD) == []
    assert summary_figures(config, tmp_path) == (1, 1)


def test_the_requesters_documents_go_to_lkpp_whatever_their_note_says(fresh_mailboxes, tmp_path):
    """SPEC E3 (SOP-015 step 9): the requester's answer to LKPP's request for data goes to LKPP
    at once, with its files."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail(REQUESTER, "Gagal upload dokumen penawaran", "Muncul error 500.")[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan.")[0])
    escalation = mf.latest(servers, mf.LKPP, "escalate")
    mf.deliver(servers, config, mf.reply_as_client(escalation, mf.LKPP, "Mohon dilengkapi surat kuasa dan NIB "
                                                                          "perusahaan.", to=mf.UNIT)[0])
    request = mf.latest(servers, REQUESTER, "need_info")
    reply = mf.parse(mf.reply_as_client(request, REQUESTER, "Maaf pak, saya sedang di luar kota.")[0])
    reply.add_attachment(mf.PDF, maintype="application", subtype="pdf", filename="surat-kuasa.pdf")
    mf.deliver(servers, config, reply.as_bytes())
    [forwarded] = mf.of_kind(mf.inbox(servers, mf.LKPP), "forward_info")
    assert [p.get_filename() for p in forwarded.iter_attachments()] == ["surat-kuasa.pdf"]


def test_a_staff_answer_that_the_signatory_is_away_reaches_the_requester(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail(REQUESTER, "Adendum kontrak", "Kapan adendum kontrak bisa ditandatangani?")[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    words = "Mohon maaf Bapak, kepala seksi kami sedang dinas luar sehingga tanda tangan baru bisa hari Senin."
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], words)[0])
    assert "tanda tangan baru bisa hari Senin" in mf.text_of(mf.latest(servers, REQUESTER, "staff_reply"))


def _reply(words: str) -> bytes:
    raw, _ = mf.mail("Andi Wijaya <andi@lpse.test>", "Re: [LPSE-T #2026-00001] Kontrak", words,
                     in_reply_to="mb.t.2026-00001.head_case.ah.0123456789.abcdefghijklmnop@lpse.test")
    return raw


# Written for this test, not by the rule's author; none of them is in rules/autoreplies.yaml's comments.
NOTICES = [
    ("Yth. Pengirim, saya sedang berada di luar kota untuk tugas kantor. Untuk hal yang mendesak mohon hubungi "
    "0812-3456-7890."),
    "Saya sedang off sampai hari Senin, mohon maaf atas keterlambatan balasan.",
    "Mulai 20 s.d. 27 November saya cuti. Selama cuti, urusan helpdesk ditangani Sdr. Andi (andi@lpse.test).",
    "Saya sedang tugas belajar, email ini jarang saya buka.",
    "Currently on leave, back 30 Nov.",
    "I'm out of office, i will contact you when i'm back.",
]
PEOPLE = [
    "Saya sedang dinas luar tapi setuju lanjutkan eskalasi ke LKPP.",
    "Beliau sedang rapat, tapi sudah memberi arahan: kasus ini diteruskan ke LKPP.",
    "Kepala Unit sedang dinas luar, mohon kasus ini dilaporkan ulang hari Senin.",
    "Yth. Koordinator, kasus ini sudah lewat 3 hari, mohon arahan.",
    "Saya cuti sampai Rabu. Tolong tiket ini ditangani Andi dulu.",
    "Currently on leave, but please go ahead with the escalation.",
    "Sudah saya terima, akan saya tindak lanjuti.",
]


@pytest.mark.parametrize("words", NOTICES)
def test_an_out_of_office_in_other_words_is_no_persons_answer(words):
    assert not_a_person(parse_message(_reply(words))) is not None


@pytest.mark.parametrize("words", PEOPLE)
def test_a_person_who_is_away_and_decides_has_answered(words):
    assert not_a_person(parse_message(_reply(words))) is None


@pytest.mark.parametrize("words", [
    "Mohon maaf Bapak, kepala seksi kami sedang dinas luar sehingga tanda tangan baru bisa hari Senin.",
    "Dokumen akan ditandatangani setelah beliau kembali dari dinas luar.",
])
def test_a_staff_answer_that_someone_else_is_away_still_reaches_the_requester(words):
    """E6: where a staff reply goes to the requester, only the writer's own absence says a
    vacation rule wrote it; someone else's absence is what the requester is being told."""
    assert not_a_person(parse_message(_reply(words)), away=True) is None

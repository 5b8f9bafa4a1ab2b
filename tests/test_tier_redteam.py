"""Red-team of the coordinator/head tier and LKPP's desk replies (issue 9), over real Dovecot + SMTP."""

from __future__ import annotations

import pytest

from mailbot.core.model import State
from tests.mailfactory import LKPP, STAFF, deliver, latest, mail, text_of, write_config
from tests.test_ladder import (
    COORDINATOR,
    REQUESTER,
    _ids,
    assert_nothing_internal_reached,
    escalate,
    events,
    gmail_en,
    kinds_in,
    open_ticket,
    outlook,
    the_ticket,
)


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    yield servers, write_config(servers, tmp_path)
    assert_nothing_internal_reached(servers, REQUESTER)


def zendesk(escalation, comment: str) -> bytes:
    """A Zendesk-style desk's update: its marker line, the newest comment, then the whole
    conversation unquoted (our escalation with its staff note included), no `>` anywhere."""
    mid, refs = _ids(escalation)
    body = ("##- Silakan ketik balasan Anda di atas baris ini -##\n\n"
            "----------------------------------------------\n\n"
            f"Agus (Helpdesk LKPP)\n\n23 Nov 2026, 10.15 WIB\n\n{comment}\n\n"
            "----------------------------------------------\n\n"
            f"Helpdesk LPSE Uji\n\n23 Nov 2026, 09.15 WIB\n\n{text_of(escalation)}\n")
    return mail(LKPP, f"[Helpdesk LKPP] Re: {escalation['Subject']}", body, in_reply_to=mid, references=refs,
                name="Helpdesk LKPP")[0]


def test_lkpps_desk_repeating_our_staff_note_is_not_read_as_its_own_words(env):
    """SPEC E13/E15: the staff note "di luar kewenangan kami" went to LKPP with the escalation
    (the suite's usual note); LKPP's desk asks for data above the whole unquoted conversation.
    The unit's own words are not LKPP's: the ticket is not handed back to the unit as
    'returned' (state open, where `#permintaan-data` is refused): the request reaches the requester."""
    servers, config = env
    escalation = escalate(servers, config)  # note: "Mohon bantuan, di luar kewenangan kami."
    deliver(servers, config, zendesk(escalation, "Mohon dikirimkan screenshot pesan error dan kode tender."))
    assert [d.get("class") for k, d in events(config) if k == "lkpp_replied"] == ["need_info"]
    assert the_ticket(config).state is State.AWAITING_INFO
    assert "Mohon dikirimkan screenshot" in text_of(latest(servers, REQUESTER, "need_info"))
    assert "kewenangan kami" not in text_of(latest(servers, REQUESTER, "need_info"))
    assert kinds_in(servers, REQUESTER) == ["ack", "escalated_user", "need_info"]



def oldest_first(escalation, comment: str) -> bytes:
    """A ticket system that sends the whole history oldest first, unquoted: our escalation
    (letter, consultation form, staff note) as LKPP's desk received it, then its agent's answer."""
    mid, refs = _ids(escalation)
    body = (f"Riwayat tiket #2026112310000045\n\n[23-11-2026 09:15] Helpdesk LPSE Uji:\n{text_of(escalation)}\n"
            f"[23-11-2026 10:15] Agus (Helpdesk LKPP):\n{comment}\n\nSalam,\nAgus\n")
    return mail(LKPP, f"RE: {escalation['Subject']}", body, in_reply_to=mid, references=refs,
                name="Helpdesk LKPP")[0]


@pytest.mark.parametrize("client", [zendesk, oldest_first])
@pytest.mark.parametrize("comment", [
    "Mohon dikirimkan screenshot pesan error dan kode tender.",
    "Mohon disampaikan kepada penyedia agar mengirimkan NPWP dan NIB perusahaannya.",
])
def test_lkpps_data_request_beside_our_whole_escalation_form_is_a_data_request(env, client, comment):
    """SPEC E13, SOP-015 steps 5-7: the escalation carries seed 003's form ("Hari/Tanggal
    Konsultasi", "Waktu", the identity, the problem, the staff note); LKPP's desk repeats all
    of it unquoted above or below its request for data. Only LKPP's own words are read: the
    request goes to the requester, the ticket waits for them."""
    servers, config = env
    escalation = escalate(servers, config)
    assert "Hari/Tanggal Konsultasi" in text_of(escalation) and "Waktu " in text_of(escalation)
    deliver(servers, config, client(escalation, comment))
    assert [d.get("class") for k, d in events(config) if k == "lkpp_replied"] == ["need_info"]
    assert the_ticket(config).state is State.AWAITING_INFO
    assert comment in " ".join(text_of(latest(servers, REQUESTER, "need_info")).split())
    assert kinds_in(servers, REQUESTER) == ["ack", "escalated_user", "need_info"]


@pytest.mark.parametrize("client", [zendesk, oldest_first])
@pytest.mark.parametrize("note", ["Sudah 3x lapor.", "Pak Kadis titip."])
def test_a_short_staff_note_never_reaches_the_requester_in_lkpps_repeat(env, client, note):
    """SPEC E13 and the staff note's privacy (E8: it goes to LKPP, not to the requester): the
    desk repeats our whole escalation unquoted; a note shorter than a sentence ("Sudah 3x
    lapor.") and our letter to LKPP around it are the unit's words, not LKPP's request, and
    are not relayed to the requester: only LKPP's own words are."""
    servers, config = env
    notice = open_ticket(servers, config)
    deliver(servers, config, outlook(notice, STAFF[0], f"#eskalasi\n{note}"))
    escalation = latest(servers, LKPP, "escalate")
    deliver(servers, config, client(escalation, "Mohon dikirimkan screenshot pesan error dan kode tender."))
    assert the_ticket(config).state is State.AWAITING_INFO
    relayed = text_of(latest(servers, REQUESTER, "need_info"))
    assert "Mohon dikirimkan screenshot pesan error dan kode tender." in relayed
    for ours in (note, "CATATAN PETUGAS", "Yth. Helpdesk LKPP", "Hari/Tanggal Konsultasi", "SOP-015"):
        assert ours not in relayed, ours

# --- E12b: what a coordinator does on the case reaches the staff who asked ----------------------


@pytest.mark.parametrize(("command", "state", "requester_got"), [
    ("#selesai\nSudah saya telepon penyedia; akun sudah dibuka, silakan login kembali.", State.RESOLVED, "resolved"),
    ("#eskalasi\nDi luar kewenangan kita, mohon bantuan LKPP.", State.ESCALATED, "escalated_user"),
    ("#jawab\nPak Budi, silakan kosongkan cache browser lalu coba lagi.", State.ANSWERED, "staff_reply"),
    ("#tutup\nSudah saya selesaikan lewat telepon.", State.CLOSED, "closed"),
])
def test_staff_hear_what_the_coordinator_did_with_the_case(env, command, state, requester_got):
    """SPEC E12b, seed 004 steps 5-6: staff send the case up with #koordinator; the
    coordinator answers it with a command. Their reply goes to staff and onto the ticket:
    staff learn what was done and the ticket's state, not only the coordinator's own
    command_ok; nothing internal reaches the requester."""
    servers, config = env
    notice = open_ticket(servers, config)
    deliver(servers, config, outlook(notice, STAFF[0], "#koordinator\nPenyedia mendesak, mohon arahan."))
    case = latest(servers, COORDINATOR, "coordinator_case")
    deliver(servers, config, gmail_en(case, COORDINATOR, f"{command}\n\nSalam,\nDewi\nKoordinator Helpdesk"))
    assert the_ticket(config).state is state
    assert kinds_in(servers, REQUESTER) == ["ack", requester_got]
    told = latest(servers, STAFF[0], "staff_direction")
    body = " ".join(text_of(told).split())
    assert command.split("\n")[1] in body
    assert command.split("\n")[0] in body and COORDINATOR in body
    assert f"Status tiket sekarang: {STATE_ID[state]}" in body
    assert "tidak dikirim kepada pengguna" not in body  # a command did act: no false reassurance


STATE_ID = {State.RESOLVED: "Solusi terkirim", State.ESCALATED: "Dieskalasi ke LKPP",
            State.ANSWERED: "Dijawab", State.CLOSED: "Ditutup"}


# --- LKPP's desk repeats every mail we sent it, unquoted: only its own words classify ---------


@pytest.mark.parametrize("comment", [
    ("Tim teknis telah melakukan perbaikan pada modul pengiriman penawaran. Penyedia sekarang sudah dapat "
     "mengirim penawaran kembali."),
    "Sudah beres ya pak/bu. Job sinkronisasi sudah kami jalankan ulang, penyedia sudah bisa kirim penawaran lagi.",
])
def test_lkpps_desk_solution_above_our_whole_escalation_reaches_the_requester(env, comment):
    """SPEC E14, SOP-015 step 13: LKPP's desk reports a fix above the whole conversation,
    unquoted: our escalation letter and form with it ("apabila dalam 2 (dua) hari kerja
    permasalahan belum dapat diselesaikan ... perkembangan penanganan"). Those are the unit's
    words, not LKPP's: the fix is a solution relayed to the requester, not a hold for staff
    or a progress report."""
    servers, config = env
    escalation = escalate(servers, config)
    deliver(servers, config, zendesk(escalation, comment))
    assert [d.get("class") for k, d in events(config) if k == "lkpp_replied"] == ["resolved"]
    assert the_ticket(config).state is State.RESOLVED
    assert comment.split(".")[0] in text_of(latest(servers, REQUESTER, "resolved_lkpp"))
    assert kinds_in(servers, REQUESTER) == ["ack", "escalated_user", "resolved_lkpp"]

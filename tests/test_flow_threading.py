"""Red team, threading (SPEC 3, 4): how requesters' real mail finds its ticket, over real
Dovecot and SMTP, read back as mail clients would."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.core.matching import base_subject, retitled
from mailbot.model import Address, State, Ticket
from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"
BOSS = "atasan@vendor.test"  # the requester's supervisor (PPK), reached through the catch-all
JAKARTA = ZoneInfo("Asia/Jakarta")


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def references(msg) -> tuple[str, ...]:
    return tuple(r.strip("<>") for r in f"{msg.get('References', '')} {msg['Message-ID']}".split())


def test_a_supervisor_the_requester_wrote_to_is_heard_on_the_ticket(env):
    """SPEC 3: a tag or reference is honoured for "an address already seen on it". A requester
    writes To the unit and to their supervisor; the supervisor answers all ("mohon segera").
    They got a second ticket and an ack of their own; their word now joins the first ticket."""
    servers, config = env
    raw, first = mf.mail(REQUESTER, "Akun terkunci", "Mohon bantu, akun saya terkunci.", to=f"{mf.UNIT}, {BOSS}")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    raw, _ = mf.mail(BOSS, "Re: Akun terkunci", "Mohon segera ditindaklanjuti, tender tutup besok.",
                     to=REQUESTER, cc=(mf.UNIT,), in_reply_to=first)
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    [ticket] = mf.store_of(config).search.tickets()
    assert ([m["sender"] for m in mf.store_of(config).messages.messages_of(ticket.id) if m["direction"] == "in"]
            == [REQUESTER, BOSS])
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, "catchall@lpse.test") if m["X-Mailbot-Kind"]] == []


def test_staff_are_told_who_wrote_when_it_is_not_the_requester(env):
    """SPEC E2 (staff notified) and 4 (every message recorded "with time and actor"). A requester
    copies the Pokja and their supervisor; the supervisor's reply-all joins the ticket, and
    the staff notice said "Pesan baru dari Budi Santoso <budi@vendor.test>" over the
    supervisor's words: staff took the supervisor's demand for the requester's. The notice
    names who wrote, and still names the ticket's requester."""
    servers, config = env
    raw, first = mf.mail(REQUESTER, "Sanggahan paket 998877", "Kami sampaikan sanggahan atas hasil evaluasi.",
                         to=f"{mf.UNIT}, {BOSS}", name="Budi Santoso")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    raw, _ = mf.mail(BOSS, "Re: Sanggahan paket 998877", "Saya PPK paket ini, mohon jawaban tertulis hari ini.",
                     to=REQUESTER, cc=(mf.UNIT,), in_reply_to=first, name="Agus Pratama")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    [update] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_update")
    text = update.get_body(("plain",)).get_content()
    head = text.split("-----")[0]
    assert "Agus Pratama <atasan@vendor.test>" in head, head
    assert REQUESTER in head, head  # whose ticket it is stays in view
    assert "mohon jawaban tertulis" in text


def test_a_colleague_copied_on_a_later_reply_is_heard_on_the_ticket(env):
    """The requester answers the ack and adds their supervisor in Cc; the supervisor's
    reply-all (tag in the subject) is added to the ticket, not opened as a duplicate."""
    servers, config = env
    raw, _ = mf.mail(REQUESTER, "Akun terkunci", "Mohon bantu, akun saya terkunci.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    [ack] = mf.inbox(servers, REQUESTER)
    raw, second = mf.mail(REQUESTER, "Re: " + ack["Subject"], "Saya tambahkan atasan saya di Cc.", cc=(BOSS,),
                          in_reply_to=ack["Message-ID"].strip("<>"), references=references(ack)[:-1])
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    raw, _ = mf.mail(BOSS, "Re: " + ack["Subject"], "Mohon segera ditindaklanjuti.", to=REQUESTER, cc=(mf.UNIT,),
                     in_reply_to=second)
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    [ticket] = mf.store_of(config).search.tickets()
    assert [m["sender"] for m in mf.store_of(config).messages.messages_of(ticket.id) if m["direction"] == "in"] == \
        [REQUESTER, REQUESTER, BOSS]
    assert mf.of_kind(mf.inbox(servers, "catchall@lpse.test"), "ack") == []


def test_a_reply_a_year_later_opens_a_ticket_titled_as_the_problem_not_as_the_closing_notice(env):
    """E5: a late reply to "[LPSE-T #2025-00001] Tiket ditutup: Akun terkunci" opens a new
    ticket citing the old. It was titled "Tiket ditutup: Akun terkunci": the requester's ack
    said "Subjek: Tiket ditutup: ..." and staff got "Tiket baru: Tiket ditutup: ...".
    Now it is titled as the problem was."""
    servers, config = env
    opened = datetime(2025, 3, 3, 9, 0, tzinfo=JAKARTA)
    raw, _ = mf.mail(REQUESTER, "Akun terkunci", "Mohon bantu, akun saya terkunci.", date=opened)
    servers.append(mf.UNIT, raw, msg_time=opened)
    mf.handle_at(config, opened + timedelta(minutes=1))
    notice = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")[-1]
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#tutup\nSudah kami reset.")[0],
                   msg_time=opened + timedelta(hours=1))
    mf.handle_at(config, opened + timedelta(hours=1))
    [closed] = mf.of_kind(mf.inbox(servers, REQUESTER), "closed")
    later = opened + timedelta(days=400)
    servers.append(mf.UNIT, mf.reply_as_client(closed, REQUESTER, "Akun saya terkunci lagi pak.")[0], msg_time=later)
    mf.handle_at(config, later + timedelta(minutes=1))

    old, new = mf.store_of(config).search.tickets()
    assert new.reopened_from == old.id and new.subject == "Akun terkunci"
    ack = mf.of_kind(mf.inbox(servers, REQUESTER), "ack")[-1]
    assert ack["Subject"] == f"[LPSE-T #{new.number}] Tanda terima pengaduan/pertanyaan Anda"  # neutral
    assert (mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")[-1]["Subject"]
            == f"[LPSE-T #{new.number}] Tiket baru: Akun terkunci")


@pytest.mark.parametrize(("title", "expected"), [
    ("Tiket ditutup: Akun terkunci", "Akun terkunci"),
    ("Solution: akun terkunci", "Akun terkunci"),
    ("Akun terkunci", "Akun terkunci"),
    ("Akun terkunci lagi", "Akun terkunci lagi"),  # the sender's own words stay
    ("Masalah login Akun terkunci", "Masalah login Akun terkunci"),  # no label before it
])
def test_a_new_tickets_title_drops_the_label_of_the_mail_it_answers(title, expected):
    earlier = Ticket(id=1, mailbox="t", number="2025-00001", state=State.CLOSED,
                     requester=Address(REQUESTER, "Budi"), subject="Akun terkunci",
                     created_at=datetime(2025, 3, 3, tzinfo=JAKARTA), updated_at=datetime(2025, 3, 3, tzinfo=JAKARTA))
    assert retitled(title, earlier) == expected
    assert retitled(title, None) == title


def test_a_gateways_external_or_spam_mark_is_no_part_of_the_tickets_title(env):
    """The unit's own Microsoft 365 tenant marks outside mail "[EXTERNAL]"; the ack told the
    requester "[LPSE-T #...] [EXTERNAL] Tidak bisa login SPSE", as if the unit were outside."""
    servers, config = env
    servers.append(mf.UNIT, mf.mail(REQUESTER, "[EXTERNAL] Tidak bisa login SPSE",
                                    "Mohon bantuan, tidak bisa login.")[0])
    servers.append(mf.UNIT, mf.mail("sari@dinas.test", "*** SPAM *** RE: Jadwal tender", "Mohon info jadwal.")[0])
    mf.run_once(config)
    assert [t.subject for t in mf.store_of(config).search.tickets()] == ["Tidak bisa login SPSE", "Jadwal tender"]
    notices = [str(m["Subject"]) for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")]
    assert any(s.endswith("] Tiket baru: Tidak bisa login SPSE") for s in notices)


@pytest.mark.parametrize(("subject", "title"), [
    ("[EXTERNAL] RE: [LPSE-T #2026-00001] Akun terkunci", "Akun terkunci"),
    ("[SPAM?] Fwd: Akun terkunci", "Akun terkunci"),
    ("[Eksternal] Akun terkunci", "Akun terkunci"),
    ("***SPAM*** Akun terkunci", "Akun terkunci"),
    ("Kenapa email saya masuk [SPAM]?", "Kenapa email saya masuk [SPAM]?"),  # the requester's own words
    ("[LPSE Dinas PU] Akun terkunci", "[LPSE Dinas PU] Akun terkunci"),
])
def test_the_title_of_a_subject_a_gateway_marked(subject, title):
    assert base_subject(subject, "LPSE-T") == title


@pytest.mark.parametrize("answer, state, rating", [
    ("YA 5", State.CLOSED, 5),
    ("Terima kasih pak, sudah bisa login.", State.CLOSED, None),
    ("Selamat siang,\n\nTerima kasih pak, sudah bisa login.\n\nSalam,\nBudi", State.CLOSED, None),
    ("Terima kasih pak.\nTapi sekarang muncul error baru waktu unggah dokumen penawaran.", State.OPEN, None),
    ("Masih belum bisa pak.", State.OPEN, None),
])
def test_a_late_confirmation_after_the_automatic_close_does_not_reopen(env, answer, state, rating):
    """The solution mail says "balas YA ... misalnya YA 5"; the requester answers after the
    3 working days, when the ticket was closed automatically. The ticket was reopened, the
    rating lost, staff told "dibuka kembali" and the first-response clock ran again. A thanks
    or a rating now leaves it closed (the rating kept); anything more still reopens it (E5)."""
    servers, config = env
    opened = datetime(2026, 3, 2, 9, 0, tzinfo=JAKARTA)  # a Monday
    servers.append(mf.UNIT, mf.mail(REQUESTER, "Akun terkunci", "Mohon bantu, akun saya terkunci.", date=opened)[0],
                   msg_time=opened)
    mf.handle_at(config, opened + timedelta(minutes=1))
    notice = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")[-1]
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nSudah kami reset, silakan coba.")[0],
                   msg_time=opened + timedelta(hours=1))
    mf.handle_at(config, opened + timedelta(hours=1))
    mf.sweep(config, opened + timedelta(days=7))  # closed: no confirmation in 3 working days
    [solution] = mf.of_kind(mf.inbox(servers, REQUESTER), "resolved")
    late = opened + timedelta(days=8)
    servers.append(mf.UNIT, mf.reply_as_client(solution, REQUESTER, answer)[0], msg_time=late)
    mf.handle_at(config, late + timedelta(minutes=1))
    [ticket] = mf.store_of(config).search.tickets()
    assert ticket.state is state
    assert ticket.rating == rating
    told = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_update")[-1].get_body(("plain",)).get_content()
    assert ("tetap ditutup" in told) is (state is State.CLOSED)


def test_a_person_writing_through_a_google_group_reaches_staff(env):
    """SPEC 5: no automatic answer to mail carrying List-Id, but it is "still recorded". A
    Dinas's procurement group (Google Groups) has the unit's address as a member; a member
    asks through it. It was moved to Processed with no ticket and no notice to staff."""
    servers, config = env
    raw, _ = mf.mail("sari@dinas.test", "[pengadaan] Jadwal pembukaan penawaran", "Mohon info jadwal, aplikasi error.",
                     headers={"List-Id": "<pengadaan.dinas.test>", "Precedence": "list", "X-Google-Group-Id": "123456",
                              "Mailing-list": "list pengadaan@dinas.test; contact pengadaan+owners@dinas.test"})
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    assert len(mf.store_of(config).search.tickets()) == 1
    [notice] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    assert mf.inbox(servers, "sari@dinas.test") == []  # no ack: SPEC 5
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nJadwal ada di menu Jadwal Tender.")[0])
    mf.run_once(config)
    [answer] = mf.inbox(servers, "sari@dinas.test")  # staff's answer reaches her
    assert "menu Jadwal Tender" in answer.get_body(("plain",)).get_content()


def test_a_request_from_a_web_form_reaches_staff_and_their_answer_reaches_the_person(env):
    """A unit's "Kontak" form mails the request from a no-reply address with the person in
    Reply-To. It was recorded only (SPEC 5: a no-reply sender): the request reached no
    one. It is the person's request: a ticket for staff, no automatic answer, and staff's
    answer goes to the person, not to the no-reply address."""
    servers, config = env
    raw, _ = mf.mail("noreply@lpse.test", "Pengaduan: Tidak bisa unggah dokumen penawaran",
                     f"Nama: Budi Santoso\nEmail: {REQUESTER}\nPesan: Unggah dokumen gagal terus sejak pagi.",
                     name="Website LPSE", headers={"Reply-To": f"Budi Santoso <{REQUESTER}>"})
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    [ticket] = mf.store_of(config).search.tickets()
    assert ticket.requester.addr == REQUESTER
    [notice] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    assert mf.inbox(servers, REQUESTER) == [] and mf.inbox(servers, "catchall@lpse.test") == []
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0],
                                               "Silakan kompres dokumen di bawah 10 MB lalu unggah ulang.")[0])
    mf.run_once(config)
    [answer] = mf.inbox(servers, REQUESTER)
    assert "kompres dokumen" in answer.get_body(("plain",)).get_content()
    assert mf.inbox(servers, "catchall@lpse.test") == []  # noreply@lpse.test would land there


def test_a_no_reply_sender_whose_reply_to_names_staff_proves_nothing(env):
    """Reply-To is anyone's to write: naming a staff address makes no staff message."""
    servers, config = env
    servers.append(mf.UNIT, mf.mail("noreply@luar.test", "#tutup", "#tutup", headers={"Reply-To": mf.STAFF[0]})[0])
    mf.run_once(config)
    assert mf.store_of(config).search.tickets() == [] and mf.inbox(servers, mf.STAFF[0]) == []


@pytest.mark.parametrize("headers", [
    {"List-Id": "<berita.asosiasi.test>", "List-Unsubscribe": "<https://asosiasi.test/berhenti>"},  # a newsletter
    {"List-Id": "<pengadaan.dinas.test>", "Precedence": "list", "X-Google-Group-Id": "1",
     "Auto-Submitted": "auto-replied"},  # a member's out-of-office through the group
])
def test_list_mail_from_no_person_opens_no_ticket(env, headers):
    """SPEC 5: a newsletter or a machine's mail through a group is recorded, nothing more."""
    servers, config = env
    servers.append(mf.UNIT, mf.mail("info@asosiasi.test", "Kabar pengadaan bulan ini", "Berita terbaru.",
                                    headers=headers)[0])
    mf.run_once(config)
    assert mf.store_of(config).search.tickets() == [] and mf.inbox(servers, mf.STAFF[0]) == []


def test_every_mail_a_requester_gets_on_one_ticket_has_one_subject(env):
    """Gmail and Outlook put a mail in a conversation by its subject (Re: aside) as well as
    its references. The requester got "[tag] Akun terkunci", "[tag] Permintaan data: ...",
    "[tag] Pengingat: ...", "[tag] Solusi: ...", "[tag] Tiket ditutup: ...": five
    conversations for one problem. Every mail to the requester keeps the ticket's subject."""
    servers, config = env
    start = datetime(2026, 11, 23, 9, 0, tzinfo=JAKARTA)  # a Monday
    servers.append(mf.UNIT, mf.mail(REQUESTER, "Akun terkunci", "Mohon bantu, akun saya terkunci.", date=start)[0],
                   msg_time=start)
    mf.handle_at(config, start)
    notice = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")[-1]
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon dicek.")[0],
                   msg_time=start + timedelta(minutes=10))
    mf.handle_at(config, start + timedelta(minutes=10))
    [escalation] = mf.of_kind(mf.inbox(servers, mf.LKPP), "escalate")
    asked = start + timedelta(hours=1)
    servers.append(mf.UNIT, mf.reply_as_client(escalation, mf.LKPP, "Mohon dilengkapi screenshot pesan error.",
                                               to=mf.UNIT)[0],
                   msg_time=asked)
    mf.handle_at(config, asked)
    mf.sweep(config, asked + timedelta(days=2, minutes=1))  # the requester is reminded after 2 working days
    [request] = mf.of_kind(mf.inbox(servers, REQUESTER), "need_info")
    servers.append(mf.UNIT, mf.reply_as_client(request, REQUESTER, "Screenshot terlampir pak.")[0],
                   msg_time=asked + timedelta(days=2, hours=1))
    mf.handle_at(config, asked + timedelta(days=2, hours=1))
    [forwarded] = mf.of_kind(mf.inbox(servers, mf.LKPP), "forward_info")
    solved = asked + timedelta(days=3)
    servers.append(mf.UNIT, mf.reply_as_client(forwarded, mf.LKPP, "Sudah kami perbaiki, silakan login kembali.",
                                               to=mf.UNIT)[0],
                   msg_time=solved)
    mf.handle_at(config, solved)
    mf.sweep(config, solved + timedelta(days=7))  # no confirmation: closed automatically
    got = [m for m in mf.inbox(servers, REQUESTER) if m["X-Mailbot-Kind"]]
    kinds = [m["X-Mailbot-Kind"] for m in got]
    assert {"ack", "escalated_user", "need_info", "remind_user", "resolved_lkpp", "closed"} <= set(kinds), kinds
    # the ack to a sender no server vouched for is the tag and a neutral title; every later mail,
    # after staff took the ticket up, carries the ticket's subject
    subjects = {re.sub(r"^(?:re|fwd?):\s*", "", str(m["Subject"]), flags=re.IGNORECASE) for m in got
                if m["X-Mailbot-Kind"] != "ack"}
    assert subjects == {"[LPSE-T #2026-00001] Akun terkunci"}
    assert ({str(m["Subject"]) for m in mf.of_kind(got, "ack")}
            == {"[LPSE-T #2026-00001] Tanda terima pengaduan/pertanyaan Anda"})


def test_a_google_group_post_rewritten_for_dmarc_is_answered_to_its_author_not_the_group(env):
    """Google Groups rewrites From to the group when the author's domain publishes DMARC
    p=reject (yahoo.co.id): 'Sari via pengadaan' <pengadaan@dinas.test>, the author in
    Reply-To and X-Original-Sender. Staff's answer belongs to Sari, not to every member."""
    servers, config = env
    raw, _ = mf.mail("pengadaan@dinas.test", "[pengadaan] Jadwal pembukaan penawaran",
                     "Mohon info jadwal, aplikasi error.",
                     name="'Sari' via pengadaan",
                     headers={"List-Id": "<pengadaan.dinas.test>", "Precedence": "list", "X-Google-Group-Id": "123456",
                              "Mailing-list": "list pengadaan@dinas.test; contact pengadaan+owners@dinas.test",
                              "List-Post": "<mailto:pengadaan@dinas.test>",
                              "Reply-To": "Sari <sari@dinas.test>", "X-Original-Sender": "sari@dinas.test"})
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    [notice] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nJadwal ada di menu Jadwal Tender.")[0])
    mf.run_once(config)
    assert mf.of_kind(mf.inbox(servers, "catchall@lpse.test"), "resolved") == []  # not to the whole group (pengadaan@)
    [answer] = mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "resolved")
    assert "menu Jadwal Tender" in answer.get_body(("plain",)).get_content()

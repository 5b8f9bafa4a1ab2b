"""The whole ladder by email, end to end over real Dovecot and SMTP.

Tier by tier (seed 002: Helpdesk LPSE -> Admin LPSE / Koordinator -> Helpdesk LKPP; seed
004: the coordinator directs, the head of unit monitors and recommends), every mail is
delivered to the unit's INBOX as a real client would write it (Outlook, Gmail in English
and Indonesian, Thunderbird bottom-posting, Zimbra, OTRS) and every outcome is read
back from the recipients' INBOXes. Every test ends by checking, on the raw bytes and
the decoded text of each mail the requester got, that no staff, coordinator or head
address reached them (SPEC 1).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
import yaml

from mailbot.cli import main as cli
from mailbot.model import State, Ticket
from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
REQUESTER = "budi@vendor.test"
REQUESTER_NAME = "Budi Santoso"
COORDINATOR = "koordinator@lpse.test"
HEAD = "kepala@lpse.test"
INTERNAL = (*mf.STAFF, COORDINATOR, HEAD)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
LKPP_NUMBER = "2026112310000045"


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    yield servers, mf.write_config(servers, tmp_path)
    assert_nothing_internal_reached(servers, REQUESTER)


# --- the servers -------------------------------------------------------------------------


def kinds_in(servers, user) -> list[str]:
    return [str(m["X-Mailbot-Kind"]) for m in mf.inbox(servers, user)]


def the_ticket(config) -> Ticket:
    [ticket] = mf.store_of(config).search.tickets()
    return ticket


def events(config, ticket: Ticket | None = None) -> list[tuple[str, dict]]:
    ticket = ticket or the_ticket(config)
    return [(e["kind"], json.loads(e["detail"]) if e["detail"] else {})
            for e in mf.store_of(config).history.events_of(ticket.id)]


def decoded(msg: EmailMessage) -> str:
    """Every header and every text part, decoded, as a mail client shows them."""
    heads = "\n".join(f"{key}: {value}" for key, value in msg.items())
    parts = [p.get_content() for p in msg.walk() if p.get_content_maintype() == "text"]
    return "\n".join([heads, *parts]).lower()


def assert_nothing_internal_reached(servers, user) -> None:
    """SPEC 1: no mail to a requester carries a staff, coordinator or head address, anywhere."""
    for raw in servers.fetch(user):
        shown = decoded(mf.parse(raw))
        for address in INTERNAL:
            assert address.encode() not in raw.lower(), (address, raw[:300])
            assert address not in shown, address


# --- mail clients ------------------------------------------------------------------------


def _ids(original: EmailMessage) -> tuple[str, tuple[str, ...]]:
    mid = str(original["Message-ID"]).strip("<>")
    return mid, tuple(r.strip("<>") for r in str(original.get("References", "")).split() if r)


def quoted(original: EmailMessage) -> str:
    return "\n".join("> " + line if line else ">" for line in mf.text_of(original).splitlines())


def gmail_en(original: EmailMessage, sender: str, text: str, **kw) -> bytes:
    """Gmail in English: top-posted, "On ... wrote:" and a `>` quote."""
    mid, refs = _ids(original)
    body = f"{text}\n\nOn Mon, 23 Nov 2026 at 09:15, {original['From']} wrote:\n\n{quoted(original)}\n"
    return mf.mail(sender, "Re: " + str(original["Subject"]), body, in_reply_to=mid, references=refs, **kw)[0]


def outlook(original: EmailMessage, sender: str, text: str, **kw) -> bytes:
    """Outlook: "RE:", top-posted, the original unquoted under "-----Original Message-----"."""
    mid, refs = _ids(original)
    body = (f"{text}\n\n-----Original Message-----\nFrom: {original['From']}\n"
            f"Sent: Monday, November 23, 2026 9:15 AM\nTo: {original['To']}\nSubject: {original['Subject']}\n\n"
            f"{mf.text_of(original)}\n")
    return mf.mail(sender, "RE: " + str(original["Subject"]), body, in_reply_to=mid, references=refs, **kw)[0]


def zimbra(original: EmailMessage, sender: str, text: str, **kw) -> bytes:
    """Zimbra in Indonesian: top-posted, "----- Pesan Asli -----" with Dari/Kepada/Terkirim/Subjek."""
    mid, refs = _ids(original)
    body = (f"{text}\n\n----- Pesan Asli -----\nDari: {original['From']}\nKepada: {original['To']}\n"
            f"Terkirim: Senin, 23 November 2026 9:15:00\nSubjek: {original['Subject']}\n\n{mf.text_of(original)}\n")
    return mf.mail(sender, "Re: " + str(original["Subject"]), body, in_reply_to=mid, references=refs, **kw)[0]


def thunderbird_bottom(original: EmailMessage, sender: str, text: str, signature: str, **kw) -> bytes:
    """Thunderbird's default: the quote first, the new text below it, then the signature."""
    mid, refs = _ids(original)
    body = f"On 23/11/2026 09.15, {original['From']} wrote:\n{quoted(original)}\n\n{text}\n\n-- \n{signature}\n"
    return mf.mail(sender, "Re: " + str(original["Subject"]), body, in_reply_to=mid, references=refs, **kw)[0]


def gmail_id(original: EmailMessage, sender: str, text: str) -> bytes:
    """Gmail in Indonesian: "Pada ... menulis:" (the test suite's usual client)."""
    return mf.reply_as_client(original, sender, text)[0]


# --- the story's first steps ---------------------------------------------------------------

PROBLEM = ("Selamat pagi,\n\nSaat mengunggah dokumen penawaran paket 10012345000 muncul pesan "
           "\"Gagal mengirim penawaran\". Batas akhir hari ini pukul 15.00 WIB.\n\n"
           "Hormat saya,\nBudi Santoso\nDirektur CV Maju Jaya\n")


def open_ticket(servers, config, *, at: datetime | None = None) -> EmailMessage:
    """A requester's first mail (Gmail, with an attachment); returns the staff notice."""
    raw, _ = mf.mail(REQUESTER, "Gagal kirim penawaran paket 10012345000", PROBLEM, name=REQUESTER_NAME,
                     attachments=(("error.png", "image/png", PNG),))
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at) if at else mf.run_once(config)
    return mf.latest(servers, mf.STAFF[0], "staff_new")


def coordinator_case(servers, config, note: str, *, client=outlook,  # type: ignore[no-untyped-def]
                     at: datetime | None = None) -> tuple[EmailMessage, EmailMessage]:
    """A new ticket staff send up to the coordinators with `note` (`#koordinator`, seed 002
    step 3): the staff notice and the case the coordinators got."""
    notice = open_ticket(servers, config, at=at)
    mf.deliver(servers, config, client(notice, mf.STAFF[0], note))
    return notice, mf.latest(servers, COORDINATOR, "coordinator_case")


def escalate(servers, config) -> EmailMessage:
    notice = open_ticket(servers, config)
    mf.deliver(servers, config, outlook(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan, di luar kewenangan kami."))
    assert the_ticket(config).state is State.ESCALATED
    return mf.latest(servers, mf.LKPP, "escalate")


# --- 1. internal roles never leak -----------------------------------------------------------


def test_coordinator_direction_on_an_alert_stays_internal(env):
    """9.1: a coordinator answering an alert ("Andi, tolong cek ke admin agency dulu") reaches staff only."""
    servers, config = env
    open_ticket(servers, config)
    number = the_ticket(config).number
    # a staff address writes without replying to anything mailbot sent: kept as a note, coordinators alerted
    forged, _ = mf.mail(mf.STAFF[0], f"[LPSE-T #{number}] Gagal kirim penawaran", "#tutup")
    mf.deliver(servers, config, forged)
    alert = mf.latest(servers, COORDINATOR, "unverified")
    assert the_ticket(config).state is State.OPEN

    direction = "Andi, tolong cek ke admin agency dulu. Jangan dibalas ke pengguna sebelum jelas."
    mf.deliver(servers, config, outlook(alert, COORDINATOR, f"{direction}\n\nSalam,\nDewi\nKoordinator Helpdesk"))
    passed = mf.latest(servers, mf.STAFF[0])
    assert passed["X-Mailbot-Kind"] == "staff_direction"
    assert "Andi, tolong cek ke admin agency dulu." in mf.text_of(passed) and COORDINATOR in mf.text_of(passed)
    assert ("direction", direction) in [(k, d.get("text", "").split("\n\n")[0]) for k, d in events(config)]
    assert kinds_in(servers, REQUESTER) == ["ack"]
    assert the_ticket(config).state is State.OPEN


def test_coordinator_reply_to_a_staff_notice_is_kept_but_never_relayed(env):
    """9.1: the notice went to staff, so a coordinator's reply to it proves nothing: a note, never the requester."""
    servers, config = env
    notice = open_ticket(servers, config)
    mf.deliver(servers, config, gmail_en(notice, COORDINATOR, "Andi, please check with the agency admin first."))
    assert kinds_in(servers, REQUESTER) == ["ack"]
    assert "unverified_note" in [k for k, _ in events(config)]
    assert "Andi, please check" in mf.text_of(mf.latest(servers, COORDINATOR, "unverified"))


def test_coordinator_answers_the_requester_with_jawab(env):
    """9.1: an explicit `#jawab` on the case sent to the coordinator reaches the requester, From the unit."""
    servers, config = env
    _, case = coordinator_case(servers, config, "#koordinator Penyedia mendesak, mohon arahan.", client=gmail_id)
    answer = ("Selamat siang Pak Budi,\nSilakan minta admin agency instansi Anda memperbarui data penyedia, "
              "lalu coba unggah kembali.")
    signature = f"Salam,\nDewi Lestari\nKoordinator Helpdesk LPSE\n{COORDINATOR} | 0778-123456"
    mf.deliver(servers, config, gmail_en(case, COORDINATOR, f"#jawab\n{answer}\n\n{signature}"))
    reply = mf.latest(servers, REQUESTER)
    assert reply["X-Mailbot-Kind"] == "staff_reply"
    assert "Silakan minta admin agency" in mf.text_of(reply)
    assert mf.UNIT in mf.text_of(reply)  # the coordinator's own address became the unit's
    assert str(reply["From"]).endswith(f"<{mf.UNIT}>")
    assert the_ticket(config).state is State.ANSWERED

    # the same words from the coordinator's address, citing nothing mailbot sent them, reach nobody outside
    forged, _ = mf.mail(COORDINATOR, f"Re: [LPSE-T #{the_ticket(config).number}] x", f"#jawab\n{answer}")
    mf.deliver(servers, config, forged)
    assert kinds_in(servers, REQUESTER) == ["ack", "staff_reply"]


# --- 2. tier 2: the coordinator gives direction, staff act; #tugaskan -------------------------


def test_coordinator_tier_direction_then_staff_relay_and_escalate(env):
    """9.2 (seed 002 step 3, 004 steps 5-6): #koordinator -> arahan to staff -> staff answer, then escalate."""
    servers, config = env
    notice = open_ticket(servers, config)
    mf.deliver(servers, config, outlook(notice, mf.STAFF[0],
                                        "#koordinator\nPenyedia tidak bisa unggah; log server normal. Mohon arahan."))
    case = mf.latest(servers, COORDINATOR, "coordinator_case")
    body = mf.text_of(case)
    assert "paket 10012345000" in body and "log server normal" in body  # the whole case and the staff note
    assert [p.get_filename() for p in case.iter_attachments()] == ["error.png"]
    assert "command_ok" in kinds_in(servers, mf.STAFF[0])
    assert kinds_in(servers, REQUESTER) == ["ack"]

    arahan = "Andi, minta penyedia mengosongkan cache browser dulu; kalau masih gagal, eskalasi ke LKPP."
    mf.deliver(servers, config, zimbra(case, COORDINATOR, arahan))
    passed = mf.latest(servers, mf.STAFF[0], "staff_direction")
    assert arahan in " ".join(mf.text_of(passed).split())
    assert "direction" in [k for k, _ in events(config)]
    assert kinds_in(servers, REQUESTER) == ["ack"]  # direction is internal

    mf.deliver(servers, config, gmail_id(passed, mf.STAFF[1],
                                         "Pak Budi, mohon kosongkan cache browser lalu coba lagi."))
    relayed = mf.latest(servers, REQUESTER)
    assert relayed["X-Mailbot-Kind"] == "staff_reply" and "kosongkan cache browser" in mf.text_of(relayed)
    assert "eskalasi ke LKPP" not in mf.text_of(relayed)  # the coordinator's words never follow
    assert the_ticket(config).state is State.ANSWERED

    mf.deliver(servers, config, outlook(passed, mf.STAFF[1], "#eskalasi\nSesuai arahan koordinator."))
    assert the_ticket(config).state is State.ESCALATED
    assert "paket 10012345000" in mf.text_of(mf.latest(servers, mf.LKPP, "escalate"))


def test_assign_sends_the_case_to_the_assignee(env):
    """9.2: `#tugaskan ADDRESS` gives the assignee the whole case, attachments included."""
    servers, config = env
    notice = open_ticket(servers, config)
    mf.deliver(servers, config, gmail_en(notice, mf.STAFF[0],
                                         "#tugaskan staff2@lpse.test\nTolong ditangani, saya cuti."))
    assigned = mf.latest(servers, mf.STAFF[1], "assigned")
    assert "paket 10012345000" in mf.text_of(assigned)
    assert [p.get_filename() for p in assigned.iter_attachments()] == ["error.png"]
    assert the_ticket(config).assignee == "staff2@lpse.test"
    assert "#tugaskan" in mf.text_of(assigned)  # the footer lists the commands


def test_assign_to_a_colleague_not_on_the_staff_list_is_refused(env):
    """E11: an assignee must be able to act on the case by mail. A colleague in the unit's
    domain who is not staff, coordinator or head would answer as a stranger (a new ticket, an
    ack to them): staff are told at once instead, and the case is not sent out."""
    servers, config = env
    servers.add_user("andi@lpse.test")
    notice = open_ticket(servers, config)
    mf.deliver(servers, config, gmail_en(notice, mf.STAFF[0], "#tugaskan andi@lpse.test\nTolong ditangani."))
    error = mf.latest(servers, mf.STAFF[0], "command_error")
    assert "andi@lpse.test" in mf.text_of(error) and "bukan petugas" in mf.text_of(error)
    assert kinds_in(servers, "andi@lpse.test") == []
    assert the_ticket(config).assignee != "andi@lpse.test"


# --- 3. the head: the digest and overdue notices ----------------------------------------------


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def test_head_recommends_on_the_digest_and_coordinator_on_an_overdue_notice(env):
    """9.3 (seed 004 step 8): a reply naming ticket numbers is recorded on each and passed to staff."""
    servers, config = env
    open_ticket(servers, config, at=at("2026-11-23T09:00"))
    raw, _ = mf.mail("sari@dinas.test", "Lupa password akun SPSE", "Saya lupa password, mohon direset.")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-23T09:30"))
    first, second = mf.store_of(config).search.tickets()

    mf.sweep(config, at("2026-11-23T13:31"))  # both first responses are overdue
    overdue = [m for m in mf.inbox(servers, COORDINATOR) if m["X-Mailbot-Kind"] == "overdue_staff"]
    assert {first.number, second.number} <= {n for m in overdue for n in (first.number, second.number)
                                               if n in str(m["Subject"])}
    mf.sweep(config, at("2026-11-24T08:05"))
    digest = mf.latest(servers, HEAD, "digest")
    assert "balas email ini dengan menyebut nomor tiket" in " ".join(mf.text_of(digest).split())

    recommendation = (f"Tiket {first.number} dan {second.number} mohon diprioritaskan, hubungi penyedia hari ini."
                      "\n\nKepala UKPBJ")
    mf.deliver(servers, config, outlook(digest, HEAD, recommendation))
    for ticket in (first, second):
        recorded = [d for k, d in events(config, ticket) if k == "recommendation"]
        assert len(recorded) == 1 and "mohon diprioritaskan" in recorded[0]["text"], ticket.number
    passed = mf.latest(servers, mf.STAFF[0], "staff_direction")
    assert "mohon diprioritaskan" in mf.text_of(passed)
    assert first.number in mf.text_of(passed) and second.number in mf.text_of(passed)

    [notice] = [m for m in overdue if second.number in str(m["Subject"])]
    mf.deliver(servers, config, zimbra(notice, COORDINATOR, "Tolong segera dijawab, penyedia sudah menelepon."))
    assert "sudah menelepon" in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_direction"))
    assert any(k == "direction" for k, _ in events(config, second))
    for requester in (REQUESTER, "sari@dinas.test"):
        assert kinds_in(servers, requester) == ["ack"]
    assert_nothing_internal_reached(servers, "sari@dinas.test")


def test_an_answer_to_the_digest_is_direction_even_with_a_command_or_no_ticket_number(env):
    """SPEC E12d, SOP-004 step 8: the head answers the digest. A `#tutup` naming a ticket closes
    nothing and tells the requester nothing; a recommendation that names no ticket still reaches
    staff; the same words from a head's address citing no digest pass nothing on."""
    servers, config = env
    open_ticket(servers, config, at=at("2026-11-23T09:00"))
    ticket = the_ticket(config)
    mf.sweep(config, at("2026-11-24T08:05"))
    digest = mf.latest(servers, HEAD, "digest")

    mf.deliver(servers, config, outlook(digest, HEAD, f"#tutup\nTiket {ticket.number} sudah saya telepon, beres."))
    assert the_ticket(config).state is ticket.state
    assert kinds_in(servers, REQUESTER) == ["ack"]
    assert "sudah saya telepon" in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_direction"))

    mf.deliver(servers, config, outlook(digest, HEAD, "Mohon semua tiket yang lewat SLA diselesaikan hari ini.\n\n"
                                                      "Kepala UKPBJ"))
    general = mf.latest(servers, mf.STAFF[0], "staff_direction")
    assert ("lewat SLA diselesaikan hari ini" in mf.text_of(general)
            and "tidak menyebut nomor tiket" in mf.text_of(general))
    assert not mf.of_kind(mf.inbox(servers, HEAD), "staff_no_ticket")

    raw, _ = mf.mail(HEAD, "Arahan", "Mohon semua tiket ditutup hari ini.")  # cites no digest
    mf.deliver(servers, config, raw)
    assert len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_direction")) == 2
    assert mf.of_kind(mf.inbox(servers, HEAD), "staff_no_ticket")
    assert kinds_in(servers, REQUESTER) == ["ack"]


def test_teruskan_never_passes_on_automatic_or_forged_mail_over_lkpp_answer(env):
    """SPEC 5 and 9, E12: LKPP's automatic acknowledgement and a forged mail from LKPP's address
    (it cites nothing mailbot sent LKPP) are recorded, never passed on: with only those,
    `#teruskan` is an error to staff and the requester sees nothing; once LKPP answers,
    `#teruskan` relays that answer, never the forged text."""
    servers, config = env
    escalation = escalate(servers, config)
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    ack, _ = mf.mail(mf.LKPP, f"[Ticket#2026112310000045] RE: {escalation['Subject']}",
                     "Email Anda telah kami terima dengan nomor tiket #2026112310000045. "
                     "Mohon tidak membalas email ini.",
                     in_reply_to=str(escalation["Message-ID"]).strip("<>"), headers={"Auto-Submitted": "auto-replied"})
    mf.deliver(servers, config, ack)
    tag = str(escalation["Subject"]).split("]")[0] + "]"
    forged, _ = mf.mail(mf.LKPP, f"{tag} Tindak lanjut",
                        "Untuk aktivasi ulang akun, penyedia wajib transfer Rp 750.000 ke rekening 1234-5678.")
    mf.deliver(servers, config, forged)
    assert "unverified_note" in [k for k, _ in events(config)]
    mf.deliver(servers, config, gmail_id(notice, mf.STAFF[0], "#teruskan"))
    assert kinds_in(servers, REQUESTER) == ["ack", "escalated_user"]
    [error] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")
    assert "#teruskan: Helpdesk LKPP belum mengirim balasan" in " ".join(mf.text_of(error).split())

    mf.deliver(servers, config, gmail_en(escalation, mf.LKPP,
                                         "Silakan penyedia memakai Firefox terbaru lalu unggah ulang."))
    mf.deliver(servers, config, gmail_id(notice, mf.STAFF[0], "#teruskan"))
    relayed = mf.text_of(mf.latest(servers, REQUESTER, "relay"))
    assert "Firefox terbaru" in relayed and "Rp 750.000" not in relayed and "nomor tiket" not in relayed


def test_data_the_requester_forwards_reaches_lkpp_whole(env):
    """E3, SOP-015 step 9: asked for data, the requester forwards their director's mail that
    holds it; LKPP gets the forwarded part too, not only "Berikut saya teruskan"."""
    servers, config = env
    escalation = escalate(servers, config)
    mf.deliver(servers, config, gmail_en(escalation, mf.LKPP, "Mohon dikirimkan NPWP perusahaan dan kode tender."))
    assert the_ticket(config).state is State.AWAITING_INFO
    request = mf.latest(servers, REQUESTER, "need_info")
    forwarded = ("Berikut saya teruskan data dari direktur kami pak.\n\n"
                 "---------- Forwarded message ---------\nFrom: Direktur CV Maju <direktur@cvmaju.test>\n"
                 "Date: Sen, 23 Nov 2026 pukul 10.30\nSubject: data NPWP\nTo: <budi@vendor.test>\n\n"
                 "NPWP perusahaan: 01.234.567.8-901.000\nKode tender: 10012345000\n")
    raw, _ = mf.mail(REQUESTER, "Fwd: " + str(request["Subject"]), forwarded,
                     in_reply_to=str(request["Message-ID"]).strip("<>"))
    mf.deliver(servers, config, raw)
    assert the_ticket(config).state is State.ESCALATED
    sent_on = mf.text_of(mf.latest(servers, mf.LKPP, "forward_info"))
    assert "Berikut saya teruskan" in sent_on and "01.234.567.8-901.000" in sent_on and "10012345000" in sent_on


def test_a_second_data_request_gives_the_requester_time_again(env):
    """SPEC 6: awaiting_info counts from each LKPP request relayed. Reminded of the first request
    on Wednesday, asked again on Friday, the requester is not closed out on Monday: reminded of
    the new request on Tuesday, closed only 5 working days after it."""
    servers, config = env
    notice = open_ticket(servers, config, at=at("2026-11-23T09:00"))
    servers.append(mf.UNIT, outlook(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan."))
    mf.handle_at(config, at("2026-11-23T09:05"))
    escalation = mf.latest(servers, mf.LKPP, "escalate")
    servers.append(mf.UNIT, gmail_en(escalation, mf.LKPP, "Mohon dikirimkan screenshot error dan kode tender."))
    mf.handle_at(config, at("2026-11-23T10:00"))
    mf.sweep(config, at("2026-11-25T10:05"))
    assert kinds_in(servers, REQUESTER).count("remind_user") == 1
    servers.append(mf.UNIT, gmail_en(escalation, mf.LKPP, "Selain itu mohon dikirimkan juga NIB perusahaan."))
    mf.handle_at(config, at("2026-11-27T09:00"))
    assert kinds_in(servers, REQUESTER).count("need_info") == 2
    mf.sweep(config, at("2026-11-30T10:05"))  # 1 working day after the second request
    assert the_ticket(config).state is State.AWAITING_INFO
    mf.sweep(config, at("2026-12-01T09:05"))  # 2 working days: the reminder of the new request
    assert kinds_in(servers, REQUESTER).count("remind_user") == 2
    assert the_ticket(config).state is State.AWAITING_INFO


def test_data_sent_after_a_first_short_answer_still_reaches_lkpp(env):
    """SOP-015 step 9: the requester first answers LKPP's request with "Baik pak, saya siapkan
    dulu" (on to LKPP; escalated again), then sends the data as another reply to the request:
    it reaches LKPP with its attachment, not only staff."""
    servers, config = env
    escalation = escalate(servers, config)
    mf.deliver(servers, config, gmail_en(escalation, mf.LKPP, "Mohon dikirimkan akta pendirian perusahaan."))
    request = mf.latest(servers, REQUESTER, "need_info")
    mf.deliver(servers, config, gmail_id(request, REQUESTER, "Baik pak, saya siapkan dulu."))
    assert the_ticket(config).state is State.ESCALATED
    answer = mf.parse(gmail_id(request, REQUESTER, "Berikut akta pendirian perusahaan kami."))
    answer.add_attachment(mf.PDF, maintype="application", subtype="pdf", filename="akta.pdf")
    mf.deliver(servers, config, answer.as_bytes())
    sent_on = mf.of_kind(mf.inbox(servers, mf.LKPP), "forward_info")
    assert len(sent_on) == 2 and "Berikut akta pendirian" in mf.text_of(sent_on[-1])
    assert [p.get_filename() for p in sent_on[-1].iter_attachments()] == ["akta.pdf"]
    assert the_ticket(config).state is State.ESCALATED


def test_the_staff_note_never_reaches_the_requester_inside_lkpps_quote(env):
    """SPEC 1: the staff note goes to LKPP with the escalation; LKPP's ticket system answers
    and quotes it in a style quote stripping does not know ("--- Riwayat Tiket ---"). The
    solution relayed to the requester carries LKPP's answer, never a line of the note."""
    servers, config = env
    notice = open_ticket(servers, config)
    mf.deliver(servers, config, outlook(notice, mf.STAFF[0],
                                        "#eskalasi\nRAHASIA: penyedia ini sudah tiga kali lapor hal sama."))
    escalation = mf.latest(servers, mf.LKPP, "escalate")
    answer = ("Permasalahan telah kami perbaiki, silakan dicoba kembali.\n\n--- Riwayat Tiket ---\n"
              "[23-11-2026 09:00] Helpdesk LPSE Uji:\nD. CATATAN PETUGAS HELPDESK LPSE\n"
              "RAHASIA: penyedia ini sudah tiga kali lapor hal sama.\n")
    raw, _ = mf.mail(mf.LKPP, "RE: " + str(escalation["Subject"]), answer,
                     in_reply_to=str(escalation["Message-ID"]).strip("<>"))
    mf.deliver(servers, config, raw)
    assert the_ticket(config).state is State.RESOLVED
    solution = mf.text_of(mf.latest(servers, REQUESTER, "resolved_lkpp"))
    assert "telah kami perbaiki" in solution and "tiga kali lapor" not in solution


# --- 4. LKPP's realistic wording -----------------------------------------------------------


def test_lkpp_english_data_request_and_passive_solution(env):
    """9.4: "Could you ask the user to ..." is a data request; "sudah kami sinkronkan ulang" a solution."""
    servers, config = env
    escalation = escalate(servers, config)
    ask = ("Dear LPSE Helpdesk,\n\nThank you for the escalation. Could you ask the user to send a screenshot of "
           "the error and the browser version?\n\nBest regards,\nLKPP Helpdesk")
    mf.deliver(servers, config, gmail_en(escalation, mf.LKPP, ask))
    assert the_ticket(config).state is State.AWAITING_INFO
    request = mf.latest(servers, REQUESTER)
    assert request["X-Mailbot-Kind"] == "need_info" and "send a screenshot of the error" in mf.text_of(request)

    raw = gmail_id(request, REQUESTER, "Berikut screenshot-nya, browser Chrome 131.")
    answer = mf.parse(raw)
    answer.add_attachment(PNG, maintype="image", subtype="png", filename="screenshot.png")
    mf.deliver(servers, config, answer.as_bytes())
    forwarded = mf.latest(servers, mf.LKPP, "forward_info")
    assert "Chrome 131" in mf.text_of(forwarded)

    solved = "Yth. Helpdesk LPSE,\n\nData penyedia sudah kami sinkronkan ulang, silakan dicoba kembali.\n\nSalam,\nLKPP"
    mf.deliver(servers, config, zimbra(forwarded, mf.LKPP, solved))
    assert the_ticket(config).state is State.RESOLVED
    solution = mf.latest(servers, REQUESTER)
    assert solution["X-Mailbot-Kind"] == "resolved_lkpp" and "sudah kami sinkronkan ulang" in mf.text_of(solution)


# --- 5. staff correct the classification: #permintaan-data ---------------------------------


def test_lkpp_question_asking_for_information_goes_to_the_requester(env):
    """9.4: "Apakah ...? Mohon informasinya" is a data request, relayed without staff in between."""
    servers, config = env
    escalation = escalate(servers, config)
    question = ("Yth. Helpdesk LPSE,\n\nApakah penyedia sudah pernah melakukan pendaftaran ulang di LPSE lain? "
                "Mohon informasinya.\n\nTerima kasih,\nHelpdesk LKPP")
    mf.deliver(servers, config, outlook(escalation, mf.LKPP, question))
    assert the_ticket(config).state is State.AWAITING_INFO
    assert "pendaftaran ulang di LPSE lain" in mf.text_of(mf.latest(servers, REQUESTER, "need_info"))


# --- 5. staff correct the classification: #permintaan-data ---------------------------------


@pytest.mark.parametrize("command", ["#permintaan-data", "#need-info"])
def test_staff_call_an_unclassified_reply_a_data_request_and_the_answer_reaches_lkpp(env, command):
    """9.5 (SOP-015 steps 7-9): a reply no rule knows waits for staff; relayed as a data request, the
    requester's answer goes to LKPP with its attachment."""
    servers, config = env
    escalation = escalate(servers, config)
    mf.deliver(servers, config, gmail_en(escalation, mf.LKPP,
                                         "Mohon maaf, untuk paket tersebut silakan lihat lampiran."))
    assert the_ticket(config).state is State.ESCALATED
    assert kinds_in(servers, REQUESTER) == ["ack", "escalated_user"]
    asked = mf.latest(servers, mf.STAFF[0], "staff_lkpp")
    assert "#permintaan-data" in mf.text_of(asked)  # the notice says how to decide (in Indonesian)
    mf.deliver(servers, config, outlook(asked, mf.STAFF[1], command))
    assert the_ticket(config).state is State.AWAITING_INFO
    request = mf.latest(servers, REQUESTER, "need_info")
    assert "silakan lihat lampiran" in mf.text_of(request)

    raw = zimbra(request, REQUESTER, "Lampirannya tidak ada, Pak. Terlampir NIB kami.",
                 attachments=(("NIB-CV-Maju-Jaya.pdf", "application/pdf", mf.PDF),))
    mf.deliver(servers, config, raw)
    forwarded = mf.latest(servers, mf.LKPP, "forward_info")
    assert "Lampirannya tidak ada" in mf.text_of(forwarded)
    assert [p.get_filename() for p in forwarded.iter_attachments()] == ["NIB-CV-Maju-Jaya.pdf"]
    assert the_ticket(config).state is State.ESCALATED


# --- 6. OTRS-style LKPP desks ---------------------------------------------------------------


def test_lkpp_desk_acknowledgement_and_mail_citing_only_its_number(env):
    """9.6: the auto-ack records LKPP's number, tells staff, is not answered; later mail carries it."""
    servers, config = env
    escalation = escalate(servers, config)
    lkpp_before = len(mf.inbox(servers, mf.LKPP))
    mid, refs = _ids(escalation)
    ack, _ = mf.mail(mf.LKPP, f"[Ticket#{LKPP_NUMBER}] {escalation['Subject']}",
                     f"Email Anda telah kami terima dengan nomor tiket [Ticket#{LKPP_NUMBER}].\n"
                     "Mohon tidak membalas email otomatis ini.\n", in_reply_to=mid, references=refs,
                     headers={"Auto-Submitted": "auto-replied", "X-OTRS-Loop": "yes"})
    mf.deliver(servers, config, ack)
    assert the_ticket(config).lkpp_ticket == LKPP_NUMBER
    told = mf.latest(servers, mf.STAFF[0], "staff_lkpp")
    assert LKPP_NUMBER in mf.text_of(told) and "tanda terima otomatis" in mf.text_of(told)
    assert len(mf.inbox(servers, mf.LKPP)) == lkpp_before  # never answered
    assert kinds_in(servers, REQUESTER) == ["ack", "escalated_user"]

    # LKPP's agent writes from its own system: only its number, no tag of ours, no reference,
    # no escalation key. The number threads it onto the ticket (SPEC 3), but a desk's number is
    # a counter anyone can guess: it waits for staff, who read it and pass it on as a
    # request for data (SOP-015 step 5) by answering the alert
    raw, _ = mf.mail(mf.LKPP, f"[Ticket#{LKPP_NUMBER}] Permintaan data tambahan",
                     "Mohon dikirimkan screenshot pesan error dan kode tender.")
    mf.deliver(servers, config, raw)
    assert len(mf.store_of(config).search.tickets()) == 1
    inbound = [m for m in mf.store_of(config).messages.messages_of(the_ticket(config).id) if m["direction"] == "in"]
    assert [m["sender"] for m in inbound].count(mf.LKPP) == 2  # matched by LKPP's number, ack included
    assert kinds_in(servers, REQUESTER) == ["ack", "escalated_user"]
    alert = mf.latest(servers, mf.STAFF[0], "unverified")
    assert "Mohon dikirimkan screenshot" in mf.text_of(alert)
    mf.deliver(servers, config, mf.reply_as_client(alert, mf.STAFF[0], "#permintaan-data")[0])
    request = mf.latest(servers, REQUESTER, "need_info")
    assert "Mohon dikirimkan screenshot" in mf.text_of(request)
    assert the_ticket(config).state is State.AWAITING_INFO

    mf.deliver(servers, config, gmail_id(request, REQUESTER, "Kode tender 10012345000, screenshot terlampir."))
    forwarded = mf.latest(servers, mf.LKPP, "forward_info")
    subject = str(forwarded["Subject"])
    assert f"[Ticket#{LKPP_NUMBER}]" in subject and f"[LPSE-T #{the_ticket(config).number}]" in subject


def test_staff_answering_one_unverified_alert_pass_on_that_message_not_a_later_forged_one(env):
    """SPEC 9: an unverified LKPP message is passed on only by staff who answer the alert that
    showed it. LKPP's desk writes with only our tag (unverified, alert 1); then someone else
    writes as LKPP with the tag and a link (unverified, alert 2). Staff answering alert 1 with
    `#permintaan-data` pass on the desk's request; the later text reaches nobody."""
    servers, config = env
    escalate(servers, config)
    number = the_ticket(config).number
    mf.deliver(servers, config, mf.mail(mf.LKPP, f"Re: [LPSE-T #{number}] Permintaan data tambahan",
                                        "Mohon dikirimkan screenshot pesan error dan kode tender.")[0])
    alert = mf.latest(servers, mf.STAFF[0], "unverified")
    assert "Mohon dikirimkan screenshot" in mf.text_of(alert)
    mf.deliver(servers, config, mf.mail(mf.LKPP, f"Re: [LPSE-T #{number}] Verifikasi akun",
                                        "Akun Anda wajib diverifikasi ulang di http://spse-lkpp.evil.test/verifikasi.")[0])
    assert len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "unverified")) == 2
    mf.deliver(servers, config, gmail_id(alert, mf.STAFF[0], "#permintaan-data"))
    request = mf.latest(servers, REQUESTER, "need_info")
    assert "Mohon dikirimkan screenshot pesan error dan kode tender." in mf.text_of(request)
    assert "evil.test" not in mf.text_of(request) and "diverifikasi" not in mf.text_of(request)
    assert the_ticket(config).state is State.AWAITING_INFO


# --- 7. the consultation form goes to LKPP with the priority ------------------------------------


def test_escalation_carries_the_consultation_form_and_priority(env, capsys):
    """9.7 (seed 003, SOP-015 step 11): the form from any of the requester's messages, with the priority."""
    servers, config = env
    open_ticket(servers, config)  # signature: "Budi Santoso / Direktur CV Maju Jaya"
    ack = mf.latest(servers, REQUESTER, "ack")
    form = ("Tambahan data sesuai formulir konsultasi:\n\nc. Alamat : Jl. Engku Putri No. 1, Batam Centre\n"
            "d. Nomor Telepon/HP : 0812-7000-1234\n")
    mf.deliver(servers, config, gmail_id(ack, REQUESTER, form))
    update = mf.latest(servers, mf.STAFF[0], "staff_update")

    capsys.readouterr()
    assert cli.main(["--config", str(config), "ticket", the_ticket(config).number, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["contact"] == {"name": REQUESTER_NAME, "organisation": "CV Maju Jaya",
                                "address": "Jl. Engku Putri No. 1, Batam Centre", "phone": "0812-7000-1234"}

    mf.deliver(servers, config, outlook(update, mf.STAFF[0], "#data telepon 0778-462100\n#prioritas tinggi"))
    mf.deliver(servers, config, outlook(update, mf.STAFF[0], "#eskalasi\nPenyedia tidak dapat mengirim penawaran."))
    body = mf.text_of(mf.latest(servers, mf.LKPP, "escalate"))
    for line in ("Nama                     : Budi Santoso", "Nama Instansi/Perusahaan : CV Maju Jaya",
                 "Alamat                   : Jl. Engku Putri No. 1, Batam Centre",
                 "Nomor Telepon/HP         : 0778-462100", "Prioritas        : Tinggi"):
        assert line in body, line
    assert "Gagal mengirim penawaran" in body and "Penyedia tidak dapat mengirim penawaran." in body


# Seed 003's form opens "Hari/Tanggal Konsultasi :" and "Waktu :": when the consultation came
# (the ticket opened), in the unit's zone and language. 17:30 UTC on Sunday 22 November is
# already Monday 23 November in Indonesia.
@pytest.mark.parametrize(("zone", "language", "day_line", "time_line"), [
    ("Asia/Jakarta", "id", "Hari/Tanggal Konsultasi : Senin, 23 November 2026", "Waktu                   : 00:30 WIB"),
    ("Asia/Makassar", "id", "Hari/Tanggal Konsultasi : Senin, 23 November 2026",
     "Waktu                   : 01:30 WITA"),
    ("Asia/Jayapura", "en", "Day/date of consultation : Monday, 23 November 2026",
     "Time                     : 02:30 WIT"),
])
def test_escalation_form_says_the_day_and_time_of_the_consultation(fresh_mailboxes, tmp_path, zone, language,
                                                                   day_line, time_line):
    """Seed 003 (SOP-015 step 1): the consultation form LKPP receives carries the day, date and
    time the requester's mail opened the ticket, in the unit's own zone and words."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, timezone=zone, language=language)
    notice = open_ticket(servers, config, at=datetime(2026, 11, 22, 17, 30, tzinfo=UTC))
    mf.deliver(servers, config, outlook(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan, di luar kewenangan kami."))
    body = mf.text_of(mf.latest(servers, mf.LKPP, "escalate"))
    assert day_line in body and time_line in body
    assert body.index(day_line) < body.index(time_line) < body.index("Budi Santoso")  # the form's order
    assert_nothing_internal_reached(servers, REQUESTER)


def test_lkpps_steps_that_repeat_the_requesters_reach_the_requester_whole(env):
    """E14: LKPP's solution lists steps, the first two worded as the requester's own steps in
    the escalation; the requester gets every step of LKPP's answer."""
    servers, config = env
    problem = ("Langkah yang saya lakukan:\n1. Login sebagai penyedia\n2. Pilih paket\n"
               "3. Unggah dokumen penawaran\n4. Muncul pesan Gagal mengirim penawaran\n\nBudi Santoso\n")
    mf.deliver(servers, config, mf.mail(REQUESTER, "Gagal kirim penawaran", problem, name="Budi Santoso")[0])
    mf.deliver(servers, config, outlook(mf.latest(servers, mf.STAFF[0], "staff_new"), mf.STAFF[0],
                                        "#eskalasi\nMohon bantuan."))
    answer = ("Permasalahan telah diselesaikan oleh tim teknis. Silakan penyedia melakukan langkah berikut:\n"
              "1. Login sebagai penyedia\n2. Pilih paket\n3. Hapus file penawaran lama\n"
              "4. Unggah ulang dokumen penawaran\n\nTerima kasih.")
    mf.deliver(servers, config, gmail_en(mf.latest(servers, mf.LKPP, "escalate"), mf.LKPP, answer))
    relayed = mf.text_of(mf.latest(servers, REQUESTER, "resolved_lkpp"))
    for step in ("1. Login sebagai penyedia", "2. Pilih paket", "3. Hapus file penawaran lama",
                 "4. Unggah ulang dokumen penawaran"):
        assert step in relayed, relayed


def test_escalation_carries_seed_003s_form_in_its_order(env):
    """Seed 003's "FORM KONSULTASI PENGGUNA SPSE": its title, the day and time, A. the user's
    identity, B. the problem, C. the answer (LKPP's to give, with who explained it); the
    staff note after the form, under its own letter."""
    servers, config = env
    notice = open_ticket(servers, config)
    mf.deliver(servers, config, outlook(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan, di luar kewenangan kami."))
    body = mf.text_of(mf.latest(servers, mf.LKPP, "escalate"))
    order = ["FORM KONSULTASI PENGGUNA SPSE", "Hari/Tanggal Konsultasi", "Waktu", "A. IDENTITAS PENGGUNA SPSE",
             "B. PERMASALAHAN", "C. JAWABAN/SOLUSI PERMASALAHAN", "Pemberi Penjelasan",
             "D. CATATAN PETUGAS HELPDESK LPSE", "Mohon bantuan, di luar kewenangan kami."]
    places = [body.find(heading) for heading in order]
    assert -1 not in places and places == sorted(places), dict(zip(order, places, strict=True))


# --- 8. closing words and bottom-posted replies ------------------------------------------------


def resolve(servers, config) -> EmailMessage:
    notice = open_ticket(servers, config)
    mf.deliver(servers, config, gmail_id(notice, mf.STAFF[0],
                                         "#selesai\nData penyedia sudah kami perbarui, silakan coba."))
    assert the_ticket(config).state is State.RESOLVED
    return mf.latest(servers, REQUESTER, "resolved")


@pytest.mark.parametrize(("client", "text", "rating"), [
    (gmail_id, "Baik, terima kasih atas bantuannya, sudah bisa unggah kembali. Nilai 5 untuk pelayanannya.", 5),
    (outlook, "YA\nSudah berhasil kirim penawaran.\nNilai: 4\n\nBudi", 4),
])
def test_closing_words_with_a_rating_anywhere(env, client, text, rating):
    """9.8 / E4: the confirmation closes the ticket and the rating is kept, wherever it stands."""
    servers, config = env
    solution = resolve(servers, config)
    mf.deliver(servers, config, client(solution, REQUESTER, text))
    ticket = the_ticket(config)
    assert (ticket.state, ticket.rating) == (State.CLOSED, rating)
    assert mf.latest(servers, REQUESTER)["X-Mailbot-Kind"] == "closed"


@pytest.mark.parametrize("client", ["signature", "bottom-posted, nothing new", "a colleague's signature"])
def test_a_reply_with_only_a_signature_is_no_rejection(env, client):
    """9.8 / E4: only a signature, or nothing under the quote: the ticket stays resolved and staff are asked.
    A signature block none of whose words the ticket knows (position, office, phone) too."""
    servers, config = env
    solution = resolve(servers, config)
    signature = "Budi Santoso\nDirektur CV Maju Jaya\nHP 0812-7000-1234"
    colleague = "Salam,\n\nAgus Salim, S.T.\nPejabat Pembuat Komitmen\nBPBD Kota Uji\nTelp. (0778) 462 000"
    raw = (gmail_id(solution, REQUESTER, f"Salam,\n{signature}") if client == "signature"
           else outlook(solution, REQUESTER, colleague) if client == "a colleague's signature"
           else thunderbird_bottom(solution, REQUESTER, "", signature))
    mf.deliver(servers, config, raw)
    assert the_ticket(config).state is State.RESOLVED
    asked = mf.latest(servers, mf.STAFF[0])
    assert asked["X-Mailbot-Kind"] == "staff_update" and "reply_without_text" in [k for k, _ in events(config)]
    assert kinds_in(servers, REQUESTER) == ["ack", "resolved"]


def test_bottom_posted_replies_count_and_are_relayed(env):
    """9.8: Thunderbird's bottom-posted text, from the requester and from staff, is the new text."""
    servers, config = env
    open_ticket(servers, config)
    ack = mf.latest(servers, REQUESTER, "ack")
    mf.deliver(servers, config, thunderbird_bottom(ack, REQUESTER, "Tambahan: browser yang saya pakai Firefox 132.",
                                                   "Budi Santoso\nCV Maju Jaya"))
    update = mf.latest(servers, mf.STAFF[0], "staff_update")
    assert "Firefox 132" in mf.text_of(update)

    mf.deliver(servers, config, thunderbird_bottom(update, mf.STAFF[1], "Pak Budi, mohon coba dengan Chrome dahulu.",
                                                   "Andi\nHelpdesk LPSE Uji\nstaff2@lpse.test"))
    relayed = mf.latest(servers, REQUESTER)
    assert relayed["X-Mailbot-Kind"] == "staff_reply"
    body = mf.text_of(relayed)
    assert "mohon coba dengan Chrome dahulu" in body and "Firefox 132" not in body  # no quote relayed
    assert the_ticket(config).state is State.ANSWERED

    mf.deliver(servers, config, thunderbird_bottom(update, mf.STAFF[1], "#selesai\nSudah kami reset dari sisi server.",
                                                   "Andi"))
    assert the_ticket(config).state is State.RESOLVED
    assert "Sudah kami reset dari sisi server." in mf.text_of(mf.latest(servers, REQUESTER, "resolved"))


def test_a_staff_reply_with_nothing_new_is_never_dropped_in_silence(env):
    """9.8: no new text above or below the quote: the staff member hears so; the requester gets nothing."""
    servers, config = env
    notice = open_ticket(servers, config)
    mf.deliver(servers, config, thunderbird_bottom(notice, mf.STAFF[0], "", "Andi\nHelpdesk LPSE Uji"))
    error = mf.latest(servers, mf.STAFF[0])
    assert error["X-Mailbot-Kind"] == "command_error" and "tidak ada teks baru" in mf.text_of(error)
    assert kinds_in(servers, REQUESTER) == ["ack"]
    assert the_ticket(config).state is State.OPEN


# --- 9. a forwarded mail that opens a ticket -----------------------------------------------------

FORWARDS = {
    "gmail": ("Fwd: Gagal upload dokumen penawaran",
              ("Mohon dibantu, berikut email dari rekan kami.\n\n---------- Forwarded message ---------\n"
               "From: Rudi Hartono <rudi@cvmajujaya.test>\nDate: Sen, 23 Nov 2026 pukul 08.10\n"
               "Subject: Gagal upload dokumen penawaran\nTo: Budi Santoso <budi@vendor.test>\n\n\n"
               "Pak Budi, saat upload dokumen penawaran paket 10012345000 muncul error 500.\n")),
    "zimbra": ("Trs: Akun penyedia terkunci",
               ("\n----- Pesan Terusan -----\nDari: \"Rudi Hartono\" <rudi@cvmajujaya.test>\n"
                "Kepada: \"Budi\" <budi@vendor.test>\nTerkirim: Senin, 23 November 2026 8:10:00\n"
                "Subjek: Akun penyedia terkunci\n\nAkun penyedia paket 10012345000 terkunci setelah salah password,"
                " muncul error 500.\n")),
    "outlook": ("FW: Error kirim penawaran",
                ("Terlampir keluhan dari staf kami.\n\n-----Original Message-----\n"
                 "From: Rudi Hartono <rudi@cvmajujaya.test>\nSent: Monday, November 23, 2026 8:10 AM\n"
                 "To: Budi Santoso <budi@vendor.test>\nSubject: Error kirim penawaran\n\n"
                 "Waktu kirim penawaran paket 10012345000 muncul error 500.\n")),
}


@pytest.mark.parametrize("client", sorted(FORWARDS))
def test_a_forwarded_mail_opens_a_ticket_with_the_forwarded_problem(env, client):
    """9.9: staff and, after #eskalasi, LKPP read the forwarded content, not only the covering words."""
    servers, config = env
    subject, body = FORWARDS[client]
    raw, _ = mf.mail(REQUESTER, subject, body, name=REQUESTER_NAME)
    mf.deliver(servers, config, raw)
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    assert "paket 10012345000" in mf.text_of(notice) and "error 500" in mf.text_of(notice)
    mf.deliver(servers, config, gmail_id(notice, mf.STAFF[0], "#eskalasi\nMohon dicek."))
    escalation = mf.text_of(mf.latest(servers, mf.LKPP, "escalate"))
    assert "paket 10012345000" in escalation and "error 500" in escalation


# Red-team probes of the ladder: whose identity reaches LKPP,
# coordinators' and the head's replies from their clients, thin quoted headers, letters pasted.

def _escalated_form(servers, config) -> str:
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    mf.deliver(servers, config, outlook(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan."))
    assert the_ticket(config).state is State.ESCALATED
    return mf.text_of(mf.latest(servers, mf.LKPP, "escalate"))


FORWARD_OF_POKJA = """Pak, undangan pembuktian ini tanggalnya bentrok, bisakah diubah di sistem?

Irfan Hakim | CV Jaya Abadi | 0812-7000-8899

From: Pokja Pemilihan 1 UKPBJ Kota Batam [mailto:pokja1@ukpbj.batam.go.id]
Sent: Wednesday, March 11, 2026 3:15 PM
To: irfan.hakim@cvjayaabadi.com
Subject: Undangan pembuktian kualifikasi

Dengan hormat, diundang untuk pembuktian kualifikasi pada tanggal 13 Maret 2026.

Hormat kami,
Sugeng Riyadi, S.T.
Ketua Pokja Pemilihan 1
UKPBJ Kota Batam
Jl. Engku Putri No. 1 Batam Centre
HP. 0813-6400-1234
"""


def test_a_forwarded_pokja_signature_is_not_sent_to_lkpp_as_the_requester(env):
    """9.7: the form is the requester's; the Pokja's phone/address in a forward they opened the ticket with is not."""
    servers, config = env
    raw, _ = mf.mail(REQUESTER, "FW: Undangan pembuktian kualifikasi", FORWARD_OF_POKJA, name="Irfan")
    mf.deliver(servers, config, raw)
    body = _escalated_form(servers, config)
    form = body[body.index("Nama Instansi"):][:400] if "Nama Instansi" in body else body
    assert "0813-6400-1234" not in form.split("Prioritas")[0], form   # the Pokja's HP as the requester's phone
    assert "Engku Putri" not in form.split("Prioritas")[0], form


REPLY_AFTER_CLOSE = """Pak, masalah yang sama muncul lagi di paket baru 10999888.

Budi Santoso

-----Original Message-----
From: Helpdesk LPSE Uji <lpse@lpse.test>
Sent: Monday, November 23, 2026 9:15 AM
To: budi@vendor.test
Subject: RE: [LPSE-T #2026-00001] Gagal kirim penawaran

Yth. Bapak Budi, silakan kosongkan cache browser.

Hormat kami,
Helpdesk LPSE Kota Batam
Jl. Engku Putri No. 1, Batam Centre
Telp. (0778) 462047
"""


def test_the_units_own_signature_in_quoted_history_never_becomes_the_requesters(env):
    """9.7: a late reply (E5: a new ticket) quotes the unit's signature; LKPP must not get it as the requester's."""
    servers, config = env
    open_ticket(servers, config, at=at("2026-11-23T09:00"))
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    handle_at_reply = gmail_id(notice, mf.STAFF[0], "#tutup\nSelesai.")
    servers.append(mf.UNIT, handle_at_reply)
    mf.handle_at(config, at("2026-11-23T10:00"))
    assert the_ticket(config).state is State.CLOSED
    old = the_ticket(config)
    raw, _ = mf.mail(REQUESTER, f"RE: [LPSE-T #{old.number}] Gagal kirim penawaran", REPLY_AFTER_CLOSE,
                     name="Budi Santoso")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-12-28T09:00"))  # past reopen_days: a new ticket that cites the old one
    tickets = mf.store_of(config).search.tickets()
    assert len(tickets) == 2
    new = next(t for t in tickets if t.number != old.number)
    assert "462047" not in new.contact.phone and "Engku Putri" not in new.contact.address, new.contact


def test_coordinator_reply_all_with_requester_and_lkpp_in_cc_stays_internal(env):
    servers, config = env
    _, case = coordinator_case(servers, config, "#koordinator\nPenyedia mendesak, mohon arahan.")
    arahan = ("Andi, sepertinya ini masalah sertifikat. Koordinasikan dengan admin agency, "
              "jangan jawab dulu ke penyedia.\n\nSalam,\nDewi Lestari\nKoordinator Helpdesk\nHP 0812-7000-5555")
    mf.deliver(servers, config, outlook(case, COORDINATOR, arahan, cc=(REQUESTER, mf.LKPP, mf.STAFF[0])))
    assert kinds_in(servers, REQUESTER) == ["ack"]
    assert "sertifikat" in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_direction"))
    assert not mf.of_kind(mf.inbox(servers, mf.LKPP), "escalate")
    assert the_ticket(config).state is State.OPEN


def test_coordinator_jawab_reply_all_reaches_requester_once_without_internal_addresses(env):
    servers, config = env
    _, case = coordinator_case(servers, config, "#koordinator\nMohon arahan.")
    text = ("#jawab\nSelamat siang Pak Budi, silakan hubungi admin agency, atau hubungi staf kami "
            f"{mf.STAFF[0]} / {mf.STAFF[1].upper()}.\n\nSalam,\nDewi\nKoordinator Helpdesk\n<{COORDINATOR}>")
    mf.deliver(servers, config, outlook(case, COORDINATOR, text, cc=(REQUESTER, mf.STAFF[0])))
    assert kinds_in(servers, REQUESTER) == ["ack", "staff_reply"]
    assert_nothing_internal_reached(servers, REQUESTER)


@pytest.fixture
def dual(fresh_mailboxes, tmp_path):
    """A small unit: its coordinator also works the tickets, so is in `staff` and in `coordinators`."""
    servers = fresh_mailboxes
    box = yaml.safe_load(mf.write_config(servers, tmp_path).read_text())["mailboxes"][0]
    yield servers, mf.write_config(servers, tmp_path, mailboxes=[{**box, "staff": [*mf.STAFF, COORDINATOR]}])
    assert_nothing_internal_reached(servers, REQUESTER)


def test_a_coordinator_on_the_staff_list_too_gives_direction_that_stays_internal(dual):
    """SPEC 1 and E12b: the coordinator's answer to the case sent for direction goes to staff and
    onto the ticket, never to the requester, even when that coordinator is on the staff list too;
    so do their answers to an unverified alert and (E12d) to the digest. Their plain answer to a
    staff notice is still a staff answer, relayed."""
    servers, config = dual
    notice, case = coordinator_case(servers, config, "#koordinator Penyedia mendesak, mohon arahan.", client=gmail_id,
                                    at=at("2026-11-23T09:00"))
    mf.deliver(servers, config, gmail_id(case, COORDINATOR, "Andi, tolong cek ke admin agency dulu."))
    assert "Andi, tolong cek ke admin agency dulu." in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_direction"))
    assert kinds_in(servers, REQUESTER) == ["ack"]

    number = the_ticket(config).number
    mf.deliver(servers, config, mf.mail(mf.STAFF[1], f"[LPSE-T #{number}] Gagal kirim penawaran", "#tutup")[0])
    alert = mf.latest(servers, COORDINATOR, "unverified")
    mf.deliver(servers, config, outlook(alert, COORDINATOR, "Andi, jangan ditutup dulu, konfirmasi ke penyedia."))
    assert "jangan ditutup dulu" in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_direction"))
    assert kinds_in(servers, REQUESTER) == ["ack"]

    mf.sweep(config, at("2026-11-24T08:05"))
    digest = mf.latest(servers, COORDINATOR, "digest")
    mf.deliver(servers, config, outlook(digest, COORDINATOR, f"Tiket {number} mohon diprioritaskan hari ini."))
    assert "mohon diprioritaskan" in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_direction"))
    assert [k for k, _ in events(config)].count("direction") == 3
    assert kinds_in(servers, REQUESTER) == ["ack"]
    assert the_ticket(config).state is State.OPEN

    mf.deliver(servers, config, gmail_id(notice, COORDINATOR, "Pak Budi, mohon coba dengan browser lain."))
    assert "browser lain" in mf.text_of(mf.latest(servers, REQUESTER, "staff_reply"))


def test_coordinator_tutup_on_the_case(env):
    """Coordinators act only by an explicit command to answer; report what #tutup does."""
    servers, config = env
    _, case = coordinator_case(servers, config, "#koordinator\nMohon arahan.")
    mf.deliver(servers, config, gmail_en(case, COORDINATOR, "#tutup\nSudah saya telepon penyedia, beres."))
    # an explicit command (SPEC 1): the ticket closes and the requester gets only `closed`
    assert the_ticket(config).state is State.CLOSED
    assert kinds_in(servers, REQUESTER) == ["ack", "closed"]


def test_coordinator_jawab_on_a_staff_new_notice_does_not_reach_the_requester(env):
    servers, config = env
    notice = open_ticket(servers, config)
    mf.deliver(servers, config, gmail_en(notice, COORDINATOR, "#jawab\nPak Budi, coba browser lain."))
    assert kinds_in(servers, REQUESTER) == ["ack"]
    assert "unverified_note" in [k for k, _ in events(config)]  # SPEC 9: a staff notice vouches for staff only


def test_head_answers_digest_with_numbers_written_differently(env):
    servers, config = env
    open_ticket(servers, config, at=at("2026-11-23T09:00"))
    ticket = the_ticket(config)
    mf.sweep(config, at("2026-11-24T08:05"))
    digest = mf.latest(servers, HEAD, "digest")
    seq = int(ticket.number.split("-")[1])
    year = ticket.number.split("-")[0]
    results = {}
    for written in (f"#{ticket.number}", f"LPSE-T {ticket.number}", f"tiket {seq}", f"tiket no. {seq:05d}",
                    f"{year}/{seq:05d}", f"[LPSE-T #{ticket.number}]"):
        before = len([1 for k, _ in events(config, ticket) if k == "recommendation"])
        mf.deliver(servers, config, outlook(digest, HEAD, f"Mohon {written} segera dihubungi penyedianya.\n\nKepala"))
        after = len([1 for k, _ in events(config, ticket) if k == "recommendation"])
        results[written] = after > before
    # every way of naming the ticket records the recommendation on it
    assert results == dict.fromkeys(results, True)
    directions = [m for m in mf.inbox(servers, mf.STAFF[0]) if m["X-Mailbot-Kind"] == "staff_direction"]
    assert len(directions) == 6 and not any("tidak menyebut nomor tiket" in mf.text_of(m) for m in directions)
    assert kinds_in(servers, REQUESTER) == ["ack"]


def test_unauthenticated_coordinator_jawab_does_not_act_in_authres_mode(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth={"mode": "authres", "trusted_authserv_id": "mx.lpse.test"})
    raw, _ = mf.mail(REQUESTER, "Gagal kirim penawaran", "Muncul error.\n\nBudi", name="Budi")
    mf.deliver(servers, config, raw)
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    good = mf.parse(outlook(notice, mf.STAFF[0], "#koordinator\nMohon arahan."))
    good["Authentication-Results"] = "mx.lpse.test; dkim=pass header.d=lpse.test; dmarc=pass header.from=lpse.test"
    mf.deliver(servers, config, good.as_bytes())
    case = mf.latest(servers, COORDINATOR, "coordinator_case")
    for header in ("mx.lpse.test; dmarc=fail header.from=lpse.test; dkim=fail; spf=softfail",
                   "mx.lpse.test; dkim=pass header.d=evil.test; dmarc=pass header.from=evil.test",
                   None):
        bad = mf.parse(outlook(case, COORDINATOR, "#jawab\nPak Budi, silakan coba lagi.\n#tutup"))
        if header:
            bad["Authentication-Results"] = header
        mf.deliver(servers, config, bad.as_bytes())
        assert kinds_in(servers, REQUESTER) == ["ack"], header
        assert the_ticket(config).state is State.OPEN
    also = mf.parse(outlook(case, COORDINATOR, "Andi, jawab saja: coba lagi nanti."))
    also["Authentication-Results"] = "mx.lpse.test; dmarc=fail header.from=lpse.test"
    mf.deliver(servers, config, also.as_bytes())
    assert [k for k, _ in events(config)].count("unverified_note") == 4
    assert [str(m["X-Mailbot-Kind"]) for m in mf.inbox(servers, COORDINATOR)].count("unverified") == 4
    assert_nothing_internal_reached(servers, REQUESTER)


def test_coordinator_tutup_closed_mail_text(env):
    servers, config = env
    _, case = coordinator_case(servers, config, "#koordinator\nMohon arahan.")
    mf.deliver(servers, config, gmail_en(case, COORDINATOR, "#tutup\nAndi, sudah saya telepon penyedia, beres."))
    closed = mf.latest(servers, REQUESTER, "closed")
    assert "Andi" not in mf.text_of(closed)


def _thin_reply(original, sender: str, text: str, *, html: bool) -> bytes:
    """A reply whose quoted header is only "Dari:" and "Perihal:" (Outlook's HTML-only replies,
    phone clients), the original unquoted below it; as HTML, a paragraph per line."""
    history = [f"Dari: {original['From']}", f"Perihal: {original['Subject']}", "", *mf.text_of(original).splitlines()]
    if not html:
        body = "\n".join([text, "", *history])
        return mf.mail(sender, "RE: " + str(original["Subject"]), body,
                       in_reply_to=str(original["Message-ID"]).strip("<>"))[0]
    escaped = [line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for line in (text, *history)]
    page = "<html><body>" + "".join(f"<p class=MsoNormal>{line or '&nbsp;'}</p>" for line in escaped) + "</body></html>"
    msg = mf.parse(mf.mail(sender, "RE: " + str(original["Subject"]), "x",
                           in_reply_to=str(original["Message-ID"]).strip("<>"))[0])
    msg.set_content(page, subtype="html")
    return msg.as_bytes()


def test_coordinator_html_reply_with_a_thin_quoted_header_passes_direction_to_staff(env):
    """SPEC E12d, 4 ("Quoted history in replies is never relayed"): the command list quoted from
    the case under "Dari:/Perihal:" is history, not a misplaced command; the direction reaches staff."""
    servers, config = env
    _, case = coordinator_case(servers, config, "#koordinator\nPenyedia mendesak, mohon arahan.")
    mf.deliver(servers, config, _thin_reply(case, COORDINATOR, "Andi, cek dulu sertifikatnya ke admin agency.",
                                            html=True))
    assert not mf.of_kind(mf.inbox(servers, COORDINATOR), "command_error")
    direction = mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_direction"))
    assert "cek dulu sertifikatnya" in direction
    assert "Petugas helpdesk" not in direction  # the quoted case is not passed on as the direction
    assert kinds_in(servers, REQUESTER) == ["ack"]


def test_staff_reply_with_a_thin_quoted_header_relays_only_the_new_text(env):
    """SPEC 4: a staff answer quoting the notice under "Dari:/Perihal:" reaches the requester
    without the notice (its command list, the staff footer)."""
    servers, config = env
    notice = open_ticket(servers, config)
    mf.deliver(servers, config, _thin_reply(notice, mf.STAFF[0], "Pak Budi, silakan kosongkan cache browser.",
                                            html=False))
    reply = mf.text_of(mf.latest(servers, REQUESTER, "staff_reply"))
    assert "silakan kosongkan cache browser" in reply
    assert "#permintaan-data" not in reply and "Perihal:" not in reply, reply


POKJA_LETTER = ("Selamat siang Pak, berikut surat dari Pokja yang diminta, saya tempel di bawah:\n\n"
                "Dari: Pokja Pemilihan 3 <pokja3@ukpbj.batam.go.id>\n"
                "Perihal: Tanggapan atas sanggah paket 10012345000\n\n"
                "Dengan hormat, sanggahan CV Maju Jaya atas paket 10012345000 dinyatakan tidak diterima.\n"
                "NPWP perusahaan: 01.234.567.8-901.000\n\nHormat kami,\nKetua Pokja Pemilihan 3\n")


def test_a_letter_pasted_into_the_data_for_lkpp_reaches_lkpp(env):
    """E3, SOP-015 step 9: asked for data, the requester pastes the Pokja's letter (its "Dari: name
    <address>" and "Perihal:" lines) into a Gmail reply; LKPP gets the letter, not only the line above it."""
    servers, config = env
    escalation = escalate(servers, config)
    mf.deliver(servers, config, gmail_en(escalation, mf.LKPP, "Mohon dikirimkan surat tanggapan sanggah dari Pokja."))
    request = mf.latest(servers, REQUESTER, "need_info")
    mf.deliver(servers, config, gmail_id(request, REQUESTER, POKJA_LETTER))
    sent_on = mf.text_of(mf.latest(servers, mf.LKPP, "forward_info"))
    assert "01.234.567.8-901.000" in sent_on and "tidak diterima" in sent_on, sent_on


def test_a_letter_pasted_into_a_follow_up_reaches_staff(env):
    """E2, SPEC 2: a notification carries the requester's message; a pasted letter is part of it."""
    servers, config = env
    open_ticket(servers, config)
    ack = mf.latest(servers, REQUESTER, "ack")
    mf.deliver(servers, config, gmail_id(ack, REQUESTER, POKJA_LETTER))
    update = mf.text_of(mf.latest(servers, mf.STAFF[0]))
    assert "01.234.567.8-901.000" in update and "tidak diterima" in update, update


# Red-team of the coordinator/head tier and LKPP's desk replies that repeat our escalation.

def zendesk(escalation, comment: str) -> bytes:
    """A Zendesk-style desk's update: its marker line, the newest comment, then the whole
    conversation unquoted (our escalation with its staff note included), no `>` anywhere."""
    mid, refs = _ids(escalation)
    body = ("##- Silakan ketik balasan Anda di atas baris ini -##\n\n"
            "----------------------------------------------\n\n"
            f"Agus (Helpdesk LKPP)\n\n23 Nov 2026, 10.15 WIB\n\n{comment}\n\n"
            "----------------------------------------------\n\n"
            f"Helpdesk LPSE Uji\n\n23 Nov 2026, 09.15 WIB\n\n{mf.text_of(escalation)}\n")
    return mf.mail(mf.LKPP, f"[Helpdesk LKPP] Re: {escalation['Subject']}", body, in_reply_to=mid, references=refs,
                   name="Helpdesk LKPP")[0]


def test_lkpps_desk_repeating_our_staff_note_is_not_read_as_its_own_words(env):
    """SPEC E13/E15: the staff note "di luar kewenangan kami" went to LKPP with the escalation
    (the suite's usual note); LKPP's desk asks for data above the whole unquoted conversation.
    The unit's own words are not LKPP's: the ticket is not handed back to the unit as
    'returned' (state open, where `#permintaan-data` is refused): the request reaches the requester."""
    servers, config = env
    escalation = escalate(servers, config)  # note: "Mohon bantuan, di luar kewenangan kami."
    mf.deliver(servers, config, zendesk(escalation, "Mohon dikirimkan screenshot pesan error dan kode tender."))
    assert [d.get("class") for k, d in events(config) if k == "lkpp_replied"] == ["need_info"]
    assert the_ticket(config).state is State.AWAITING_INFO
    assert "Mohon dikirimkan screenshot" in mf.text_of(mf.latest(servers, REQUESTER, "need_info"))
    assert "kewenangan kami" not in mf.text_of(mf.latest(servers, REQUESTER, "need_info"))
    assert kinds_in(servers, REQUESTER) == ["ack", "escalated_user", "need_info"]


def oldest_first(escalation, comment: str) -> bytes:
    """A ticket system that sends the whole history oldest first, unquoted: our escalation
    (letter, consultation form, staff note) as LKPP's desk received it, then its agent's answer."""
    mid, refs = _ids(escalation)
    body = (f"Riwayat tiket #2026112310000045\n\n[23-11-2026 09:15] Helpdesk LPSE Uji:\n{mf.text_of(escalation)}\n"
            f"[23-11-2026 10:15] Agus (Helpdesk LKPP):\n{comment}\n\nSalam,\nAgus\n")
    return mf.mail(mf.LKPP, f"RE: {escalation['Subject']}", body, in_reply_to=mid, references=refs,
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
    assert "Hari/Tanggal Konsultasi" in mf.text_of(escalation) and "Waktu " in mf.text_of(escalation)
    mf.deliver(servers, config, client(escalation, comment))
    assert [d.get("class") for k, d in events(config) if k == "lkpp_replied"] == ["need_info"]
    assert the_ticket(config).state is State.AWAITING_INFO
    assert comment in " ".join(mf.text_of(mf.latest(servers, REQUESTER, "need_info")).split())
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
    mf.deliver(servers, config, outlook(notice, mf.STAFF[0], f"#eskalasi\n{note}"))
    escalation = mf.latest(servers, mf.LKPP, "escalate")
    mf.deliver(servers, config, client(escalation, "Mohon dikirimkan screenshot pesan error dan kode tender."))
    assert the_ticket(config).state is State.AWAITING_INFO
    relayed = mf.text_of(mf.latest(servers, REQUESTER, "need_info"))
    assert "Mohon dikirimkan screenshot pesan error dan kode tender." in relayed
    for ours in (note, "CATATAN PETUGAS", "Yth. Helpdesk LKPP", "Hari/Tanggal Konsultasi", "SOP-015"):
        assert ours not in relayed, ours


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
    _, case = coordinator_case(servers, config, "#koordinator\nPenyedia mendesak, mohon arahan.")
    mf.deliver(servers, config, gmail_en(case, COORDINATOR, f"{command}\n\nSalam,\nDewi\nKoordinator Helpdesk"))
    assert the_ticket(config).state is state
    assert kinds_in(servers, REQUESTER) == ["ack", requester_got]
    told = mf.latest(servers, mf.STAFF[0], "staff_direction")
    body = " ".join(mf.text_of(told).split())
    assert command.split("\n")[1] in body
    assert command.split("\n")[0] in body and COORDINATOR in body
    assert f"Status tiket sekarang: {STATE_ID[state]}" in body
    assert "tidak dikirim kepada pengguna" not in body  # a command did act: no false reassurance


STATE_ID = {State.RESOLVED: "Solusi terkirim", State.ESCALATED: "Dieskalasi ke LKPP",
            State.ANSWERED: "Dijawab", State.CLOSED: "Ditutup"}


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
    mf.deliver(servers, config, zendesk(escalation, comment))
    assert [d.get("class") for k, d in events(config) if k == "lkpp_replied"] == ["resolved"]
    assert the_ticket(config).state is State.RESOLVED
    assert comment.split(".")[0] in mf.text_of(mf.latest(servers, REQUESTER, "resolved_lkpp"))
    assert kinds_in(servers, REQUESTER) == ["ack", "escalated_user", "resolved_lkpp"]


def test_head_general_remark_with_a_count_is_not_a_ticket_recommendation(fresh_mailboxes, tmp_path):
    """'Mohon semua tiket 1 minggu terakhir dicek' is general direction about no one ticket;
    the short form reads it as ticket 1 (this year's 2026-00001). Nothing reaches the
    requester either way (SPEC: direction is internal)."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    open_ticket(servers, config, at=at("2026-11-23T09:00"))
    ticket = the_ticket(config)
    assert ticket.number.endswith("-00001")
    mf.sweep(config, at("2026-11-24T08:05"))
    digest = mf.latest(servers, HEAD, "digest")
    mf.deliver(servers, config, outlook(digest, HEAD, "Mohon semua tiket 1 minggu terakhir dicek ulang.\n\nKepala"))
    assert kinds_in(servers, "budi@vendor.test") == ["ack"]
    assert "recommendation" not in [k for k, _ in events(config, ticket)]

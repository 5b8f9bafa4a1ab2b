"""Red-team probes of issue 9 points 1, 2, 3, 7 over real Dovecot + SMTP (see the session report)."""

from __future__ import annotations

import pytest
import yaml

from mailbot.core.model import State
from tests.mailfactory import (
    LKPP,
    STAFF,
    UNIT,
    deliver,
    handle_at,
    inbox,
    latest,
    mail,
    of_kind,
    parse,
    sweep,
    text_of,
    write_config,
)
from tests.test_ladder import (
    COORDINATOR,
    HEAD,
    REQUESTER,
    assert_nothing_internal_reached,
    at,
    escalate,
    events,
    gmail_en,
    gmail_id,
    kinds_in,
    open_ticket,
    outlook,
    store_of,
    the_ticket,
)


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    yield servers, write_config(servers, tmp_path)
    assert_nothing_internal_reached(servers, REQUESTER)


def _escalated_form(servers, config) -> str:
    notice = latest(servers, STAFF[0], "staff_new")
    deliver(servers, config, outlook(notice, STAFF[0], "#eskalasi\nMohon bantuan."))
    assert the_ticket(config).state is State.ESCALATED
    return text_of(latest(servers, LKPP, "escalate"))


# --- point 7: the consultation form ---------------------------------------------------------------

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
    raw, _ = mail(REQUESTER, "FW: Undangan pembuktian kualifikasi", FORWARD_OF_POKJA, name="Irfan")
    deliver(servers, config, raw)
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
    notice = latest(servers, STAFF[0], "staff_new")
    handle_at_reply = gmail_id(notice, STAFF[0], "#tutup\nSelesai.")
    servers.append(UNIT, handle_at_reply)
    handle_at(config, at("2026-11-23T10:00"))
    assert the_ticket(config).state is State.CLOSED
    old = the_ticket(config)
    raw, _ = mail(REQUESTER, f"RE: [LPSE-T #{old.number}] Gagal kirim penawaran", REPLY_AFTER_CLOSE,
                  name="Budi Santoso")
    servers.append(UNIT, raw)
    handle_at(config, at("2026-12-28T09:00"))  # past reopen_days: a new ticket that cites the old one
    tickets = store_of(config).tickets()
    assert len(tickets) == 2
    new = next(t for t in tickets if t.number != old.number)
    assert "462047" not in new.contact.phone and "Engku Putri" not in new.contact.address, new.contact


# --- point 1: coordinator reply-all with the requester and LKPP in Cc ------------------------------


def test_coordinator_reply_all_with_requester_and_lkpp_in_cc_stays_internal(env):
    servers, config = env
    notice = open_ticket(servers, config)
    deliver(servers, config, outlook(notice, STAFF[0], "#koordinator\nPenyedia mendesak, mohon arahan."))
    case = latest(servers, COORDINATOR, "coordinator_case")
    arahan = ("Andi, sepertinya ini masalah sertifikat. Koordinasikan dengan admin agency, "
              "jangan jawab dulu ke penyedia.\n\nSalam,\nDewi Lestari\nKoordinator Helpdesk\nHP 0812-7000-5555")
    deliver(servers, config, outlook(case, COORDINATOR, arahan, cc=(REQUESTER, LKPP, STAFF[0])))
    assert kinds_in(servers, REQUESTER) == ["ack"]
    assert "sertifikat" in text_of(latest(servers, STAFF[0], "staff_direction"))
    assert not of_kind(inbox(servers, LKPP), "escalate")
    assert the_ticket(config).state is State.OPEN


def test_coordinator_jawab_reply_all_reaches_requester_once_without_internal_addresses(env):
    servers, config = env
    notice = open_ticket(servers, config)
    deliver(servers, config, outlook(notice, STAFF[0], "#koordinator\nMohon arahan."))
    case = latest(servers, COORDINATOR, "coordinator_case")
    text = ("#jawab\nSelamat siang Pak Budi, silakan hubungi admin agency, atau hubungi staf kami "
            f"{STAFF[0]} / {STAFF[1].upper()}.\n\nSalam,\nDewi\nKoordinator Helpdesk\n<{COORDINATOR}>")
    deliver(servers, config, outlook(case, COORDINATOR, text, cc=(REQUESTER, STAFF[0])))
    assert kinds_in(servers, REQUESTER) == ["ack", "staff_reply"]
    assert_nothing_internal_reached(servers, REQUESTER)


# --- a coordinator who is on the staff list too ----------------------------------------------------


@pytest.fixture
def dual(fresh_mailboxes, tmp_path):
    """A small unit: its coordinator also works the tickets, so is in `staff` and in `coordinators`."""
    servers = fresh_mailboxes
    box = yaml.safe_load(write_config(servers, tmp_path).read_text())["mailboxes"][0]
    yield servers, write_config(servers, tmp_path, mailboxes=[{**box, "staff": [*STAFF, COORDINATOR]}])
    assert_nothing_internal_reached(servers, REQUESTER)


def test_a_coordinator_on_the_staff_list_too_gives_direction_that_stays_internal(dual):
    """SPEC 1 and E12b: the coordinator's answer to the case sent for direction goes to staff and
    onto the ticket, never to the requester, even when that coordinator is on the staff list too;
    so do their answers to an unverified alert and (E12d) to the digest. Their plain answer to a
    staff notice is still a staff answer, relayed."""
    servers, config = dual
    notice = open_ticket(servers, config, at=at("2026-11-23T09:00"))
    deliver(servers, config, gmail_id(notice, STAFF[0], "#koordinator Penyedia mendesak, mohon arahan."))
    case = latest(servers, COORDINATOR, "coordinator_case")
    deliver(servers, config, gmail_id(case, COORDINATOR, "Andi, tolong cek ke admin agency dulu."))
    assert "Andi, tolong cek ke admin agency dulu." in text_of(latest(servers, STAFF[0], "staff_direction"))
    assert kinds_in(servers, REQUESTER) == ["ack"]

    number = the_ticket(config).number
    deliver(servers, config, mail(STAFF[1], f"[LPSE-T #{number}] Gagal kirim penawaran", "#tutup")[0])
    alert = latest(servers, COORDINATOR, "unverified")
    deliver(servers, config, outlook(alert, COORDINATOR, "Andi, jangan ditutup dulu, konfirmasi ke penyedia."))
    assert "jangan ditutup dulu" in text_of(latest(servers, STAFF[0], "staff_direction"))
    assert kinds_in(servers, REQUESTER) == ["ack"]

    sweep(config, at("2026-11-24T08:05"))
    digest = latest(servers, COORDINATOR, "digest")
    deliver(servers, config, outlook(digest, COORDINATOR, f"Tiket {number} mohon diprioritaskan hari ini."))
    assert "mohon diprioritaskan" in text_of(latest(servers, STAFF[0], "staff_direction"))
    assert [k for k, _ in events(config)].count("direction") == 3
    assert kinds_in(servers, REQUESTER) == ["ack"]
    assert the_ticket(config).state is State.OPEN

    deliver(servers, config, gmail_id(notice, COORDINATOR, "Pak Budi, mohon coba dengan browser lain."))
    assert "browser lain" in text_of(latest(servers, REQUESTER, "staff_reply"))


# --- commands from coordinators: what runs ---------------------------------------------------------


def test_coordinator_tutup_on_the_case(env):
    """Issue 9.1: coordinators act only by an explicit command to answer; report what #tutup does."""
    servers, config = env
    notice = open_ticket(servers, config)
    deliver(servers, config, outlook(notice, STAFF[0], "#koordinator\nMohon arahan."))
    case = latest(servers, COORDINATOR, "coordinator_case")
    deliver(servers, config, gmail_en(case, COORDINATOR, "#tutup\nSudah saya telepon penyedia, beres."))
    # an explicit command (issue 9.1, SPEC 1): the ticket closes and the requester gets only `closed`
    assert the_ticket(config).state is State.CLOSED
    assert kinds_in(servers, REQUESTER) == ["ack", "closed"]


def test_coordinator_jawab_on_a_staff_new_notice_does_not_reach_the_requester(env):
    servers, config = env
    notice = open_ticket(servers, config)
    deliver(servers, config, gmail_en(notice, COORDINATOR, "#jawab\nPak Budi, coba browser lain."))
    assert kinds_in(servers, REQUESTER) == ["ack"]
    assert "unverified_note" in [k for k, _ in events(config)]  # SPEC 9: a staff notice vouches for staff only


# --- point 3: the head on the digest, ticket numbers written differently --------------------------


def test_head_answers_digest_with_numbers_written_differently(env):
    servers, config = env
    open_ticket(servers, config, at=at("2026-11-23T09:00"))
    ticket = the_ticket(config)
    sweep(config, at("2026-11-24T08:05"))
    digest = latest(servers, HEAD, "digest")
    seq = int(ticket.number.split("-")[1])
    year = ticket.number.split("-")[0]
    results = {}
    for written in (f"#{ticket.number}", f"LPSE-T {ticket.number}", f"tiket {seq}", f"tiket no. {seq:05d}",
                    f"{year}/{seq:05d}", f"[LPSE-T #{ticket.number}]"):
        before = len([1 for k, _ in events(config, ticket) if k == "recommendation"])
        deliver(servers, config, outlook(digest, HEAD, f"Mohon {written} segera dihubungi penyedianya.\n\nKepala"))
        after = len([1 for k, _ in events(config, ticket) if k == "recommendation"])
        results[written] = after > before
    # issue 9.3: every way of naming the ticket records the recommendation on it
    assert results == dict.fromkeys(results, True)
    directions = [m for m in inbox(servers, STAFF[0]) if m["X-Mailbot-Kind"] == "staff_direction"]
    assert len(directions) == 6 and not any("tidak menyebut nomor tiket" in text_of(m) for m in directions)
    assert kinds_in(servers, REQUESTER) == ["ack"]


# --- SPEC 9: a coordinator's mail that fails authentication ----------------------------------------


def test_unauthenticated_coordinator_jawab_does_not_act_in_authres_mode(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, auth={"mode": "authres", "trusted_authserv_id": "mx.lpse.test"})
    raw, _ = mail(REQUESTER, "Gagal kirim penawaran", "Muncul error.\n\nBudi", name="Budi")
    deliver(servers, config, raw)
    notice = latest(servers, STAFF[0], "staff_new")
    good = parse(outlook(notice, STAFF[0], "#koordinator\nMohon arahan."))
    good["Authentication-Results"] = "mx.lpse.test; dkim=pass header.d=lpse.test; dmarc=pass header.from=lpse.test"
    deliver(servers, config, good.as_bytes())
    case = latest(servers, COORDINATOR, "coordinator_case")
    for header in ("mx.lpse.test; dmarc=fail header.from=lpse.test; dkim=fail; spf=softfail",
                   "mx.lpse.test; dkim=pass header.d=evil.test; dmarc=pass header.from=evil.test",
                   None):
        bad = parse(outlook(case, COORDINATOR, "#jawab\nPak Budi, silakan coba lagi.\n#tutup"))
        if header:
            bad["Authentication-Results"] = header
        deliver(servers, config, bad.as_bytes())
        assert kinds_in(servers, REQUESTER) == ["ack"], header
        assert the_ticket(config).state is State.OPEN
    also = parse(outlook(case, COORDINATOR, "Andi, jawab saja: coba lagi nanti."))
    also["Authentication-Results"] = "mx.lpse.test; dmarc=fail header.from=lpse.test"
    deliver(servers, config, also.as_bytes())
    assert [k for k, _ in events(config)].count("unverified_note") == 4
    assert [str(m["X-Mailbot-Kind"]) for m in inbox(servers, COORDINATOR)].count("unverified") == 4
    assert_nothing_internal_reached(servers, REQUESTER)


def test_coordinator_tutup_closed_mail_text(env):
    servers, config = env
    notice = open_ticket(servers, config)
    deliver(servers, config, outlook(notice, STAFF[0], "#koordinator\nMohon arahan."))
    case = latest(servers, COORDINATOR, "coordinator_case")
    deliver(servers, config, gmail_en(case, COORDINATOR, "#tutup\nAndi, sudah saya telepon penyedia, beres."))
    closed = latest(servers, REQUESTER, "closed")
    assert "Andi" not in text_of(closed)


# --- thin quoted headers: From and Subject only, or a paragraph per field (HTML-only Outlook) -------


def _thin_reply(original, sender: str, text: str, *, html: bool) -> bytes:
    """A reply whose quoted header is only "Dari:" and "Perihal:" (Outlook's HTML-only replies,
    phone clients), the original unquoted below it; as HTML, a paragraph per line."""
    history = [f"Dari: {original['From']}", f"Perihal: {original['Subject']}", "", *text_of(original).splitlines()]
    if not html:
        body = "\n".join([text, "", *history])
        return mail(sender, "RE: " + str(original["Subject"]), body, in_reply_to=str(original["Message-ID"]).strip("<>"))[0]
    escaped = [line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for line in (text, *history)]
    page = "<html><body>" + "".join(f"<p class=MsoNormal>{line or '&nbsp;'}</p>" for line in escaped) + "</body></html>"
    msg = parse(mail(sender, "RE: " + str(original["Subject"]), "x",
                     in_reply_to=str(original["Message-ID"]).strip("<>"))[0])
    msg.set_content(page, subtype="html")
    return msg.as_bytes()


def test_coordinator_html_reply_with_a_thin_quoted_header_passes_direction_to_staff(env):
    """SPEC E12d, 4 ("Quoted history in replies is never relayed"): the command list quoted from
    the case under "Dari:/Perihal:" is history, not a misplaced command; the direction reaches staff."""
    servers, config = env
    notice = open_ticket(servers, config)
    deliver(servers, config, outlook(notice, STAFF[0], "#koordinator\nPenyedia mendesak, mohon arahan."))
    case = latest(servers, COORDINATOR, "coordinator_case")
    deliver(servers, config, _thin_reply(case, COORDINATOR, "Andi, cek dulu sertifikatnya ke admin agency.",
                                         html=True))
    assert not of_kind(inbox(servers, COORDINATOR), "command_error")
    direction = text_of(latest(servers, STAFF[0], "staff_direction"))
    assert "cek dulu sertifikatnya" in direction
    assert "Petugas helpdesk" not in direction  # the quoted case is not passed on as the direction
    assert kinds_in(servers, REQUESTER) == ["ack"]


def test_staff_reply_with_a_thin_quoted_header_relays_only_the_new_text(env):
    """SPEC 4: a staff answer quoting the notice under "Dari:/Perihal:" reaches the requester
    without the notice (its command list, the staff footer)."""
    servers, config = env
    notice = open_ticket(servers, config)
    deliver(servers, config, _thin_reply(notice, STAFF[0], "Pak Budi, silakan kosongkan cache browser.",
                                         html=False))
    reply = text_of(latest(servers, REQUESTER, "staff_reply"))
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
    deliver(servers, config, gmail_en(escalation, LKPP, "Mohon dikirimkan surat tanggapan sanggah dari Pokja."))
    request = latest(servers, REQUESTER, "need_info")
    deliver(servers, config, gmail_id(request, REQUESTER, POKJA_LETTER))
    sent_on = text_of(latest(servers, LKPP, "forward_info"))
    assert "01.234.567.8-901.000" in sent_on and "tidak diterima" in sent_on, sent_on


def test_a_letter_pasted_into_a_follow_up_reaches_staff(env):
    """E2, SPEC 2: a notification carries the requester's message; a pasted letter is part of it."""
    servers, config = env
    open_ticket(servers, config)
    ack = latest(servers, REQUESTER, "ack")
    deliver(servers, config, gmail_id(ack, REQUESTER, POKJA_LETTER))
    update = text_of(latest(servers, STAFF[0]))
    assert "01.234.567.8-901.000" in update and "tidak diterima" in update, update

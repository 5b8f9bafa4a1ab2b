""""A public address that cannot be turned against anyone", over real Dovecot and
SMTP: each attack of the red team sent to the unit mailbox, and what reached whom read back
over IMAP as a mail client would."""

from __future__ import annotations

import base64
import re
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.config.load import load_config
from mailbot.io.store import Store
from mailbot.model import State
from tests import hostile
from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"
NEXT = "sari@dinas.test"


# --- attacks 1 and 2: crafted messages within the budget, the next mail at once -------------

CRAFTED = {
    "winmail.dat with 300,000 and 200,000 one-byte attributes": (hostile.tnef_mail(300_000, 200_000), "TNEF"),
    "winmail.dat with 900,000 one-byte attributes": (hostile.tnef_mail(900_000), "TNEF"),
    "22 MB one-line HTML of unclosed tags": (hostile.unclosed_tags_mail(22), "HTML body"),
    "forwarded messages 200 deep": (hostile.nested_rfc822_mail(200), "embedded messages"),
}


@pytest.mark.parametrize("name", list(CRAFTED))
def test_a_crafted_message_is_quarantined_with_its_reason_and_the_next_mail_is_handled_at_once(
        fresh_mailboxes, tmp_path, name):
    """Each crafted message ends in Quarantine with its reason, its sender told it was too
    complex (SPEC 9's notice), and the plain mail behind it acknowledged in the same pass."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, reason = CRAFTED[name]
    servers.append(mf.UNIT, raw)
    servers.append(mf.UNIT, mf.mail(NEXT, "Lupa kata sandi", "Mohon bantuan reset kata sandi.")[0])
    started = time.monotonic()
    mf.run_once(config)
    assert time.monotonic() - started < 30  # the default budget: it is the caps that ended it
    [row] = mf.store_of(config).arrivals.quarantined()
    assert reason in row.reason
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["message_refused"]
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, NEXT)] == ["ack"]
    assert len(servers.fetch(mf.UNIT, "Quarantine")) == 1


# --- attack 3: the ack carries nothing of the attacker's ------------------------------------

LURE_SUBJECT = "Akun SPSE diblokir, verifikasi di s.id/spse-verifikasi"
LURE_NAME = "Akun diblokir buka s.id/bukablokir"


def _raw_inbox(servers, user: str) -> str:
    return "\n".join(raw.decode("utf-8", "replace") for raw in servers.fetch(user, "INBOX"))


def test_an_ack_to_an_unauthenticated_sender_repeats_neither_subject_nor_name(fresh_mailboxes, tmp_path):
    """Under auth.mode token nobody outside the unit can prove an address: the ack is the tag
    and "Tanda terima pengaduan/pertanyaan Anda", greets no display name and quotes nothing;
    staff still read the subject as it came."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, mf.mail(REQUESTER, LURE_SUBJECT, "Segera klik t.me/lpsebantuan", name=LURE_NAME)[0])
    mf.run_once(config)
    [ack] = mf.inbox(servers, REQUESTER)
    assert ack["X-Mailbot-Kind"] == "ack"
    [ticket] = mf.store_of(config).search.tickets()
    assert str(ack["Subject"]) == f"[LPSE-T #{ticket.number}] Tanda terima pengaduan/pertanyaan Anda"
    raw = _raw_inbox(servers, REQUESTER)
    for echoed in ("diblokir", "verifikasi", "s.id", "s[.]id", "t.me", "bukablokir", "lpsebantuan"):
        assert echoed not in raw
    assert "Yth. Bapak/Ibu Pengguna SPSE," in raw
    assert ticket.subject == LURE_SUBJECT
    staff = mf.inbox(servers, "staff1@lpse.test")
    assert any(LURE_SUBJECT in str(m["Subject"]) for m in staff)


def _authres(result: str) -> dict[str, str]:
    return {"Authentication-Results":
            f"mx.lpse.test; dmarc={result} header.from=vendor.test; spf={result} smtp.mailfrom=vendor.test"}


def test_an_authenticated_sender_keeps_the_friendly_ack_with_links_inert(fresh_mailboxes, tmp_path):
    """auth.mode authres and the unit's own server's aligned dmarc=pass: the ack keeps the
    subject and the greeting, with every link in them made inert."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth={"mode": "authres", "trusted_authserv_id": "mx.lpse.test"})
    subject = "Tidak bisa login, petunjuk di s.id/panduan"
    servers.append(mf.UNIT, mf.mail(REQUESTER, subject, "Mohon bantuan.", name="Budi Santoso",
                                    headers=_authres("pass"))[0])
    mf.run_once(config)
    [ack] = mf.inbox(servers, REQUESTER)
    assert "Tidak bisa login, petunjuk di s[.]id/panduan" in str(ack["Subject"])
    raw = _raw_inbox(servers, REQUESTER)
    assert "Budi Santoso" in raw and "s.id" not in raw


# --- attack 4: no backscatter ----------------------------------------------------------------

COORDINATOR = "koordinator@lpse.test"


def _kinds_to(servers, address: str) -> list[str]:
    """The kinds of mailbot's mail delivered for `address` (an unknown address lands in the catch-all)."""
    return [m["X-Mailbot-Kind"] for m in mf.inbox(servers, servers.mailbox_for(address))
            if any(a.addr_spec.lower() == address.lower() for a in m["To"].addresses)]


def test_mail_the_units_own_server_marks_dmarc_fail_opens_a_ticket_and_gets_no_ack(fresh_mailboxes, tmp_path):
    """`dmarc=fail (p=reject)` (or `spf=fail`) from the unit's own server: 5 of 5 forged mails
    become tickets, none is acked, and staff read on each notice why no ack went."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=mf.AUTHRES)
    victims = [f"korban{n}@vendor.test" for n in range(4)] + ["korban4@dinas.test"]
    for n, victim in enumerate(victims):
        result = "dmarc=fail (p=reject) header.from=" + victim.split("@")[1] if n < 4 else \
            "spf=fail smtp.mailfrom=dinas.test"
        servers.append(mf.UNIT, mf.mail(victim, f"Akun diblokir {n}", "Klik tautan.",
                                        headers={"Authentication-Results": f"mx.lpse.test; {result}"})[0])
    mf.run_once(config)
    assert len(mf.store_of(config).search.tickets()) == 5
    assert all(_kinds_to(servers, v) == [] for v in victims)
    notices = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    assert len(notices) == 5 and all("Tanda terima TIDAK dikirim" in mf.text_of(n) for n in notices)


def test_a_flood_of_forged_senders_gets_the_hourly_number_of_acks_and_one_alert(fresh_mailboxes, tmp_path):
    """75 mails from 75 new addresses in one pass, `limits.acks_per_hour` at its default of
    60: 75 tickets, 60 acks, one coordinator alert; the other 15 acks are held, not dropped
    (they go by themselves, in turn, once the hour frees; staff need do nothing)."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    senders = [f"pengirim{n}@asal{n}.test" for n in range(75)]
    for n, sender in enumerate(senders):
        servers.append(mf.UNIT, mf.mail(sender, f"Pertanyaan jadwal {n}", "Mohon info jadwal.")[0])
    started = datetime.now(UTC)
    mf.run_once(config)
    assert len(mf.store_of(config).search.tickets()) == 75
    acked = [s for s in senders if _kinds_to(servers, s) == ["ack"]]
    assert len(acked) == 60
    alerts = mf.of_kind(mf.inbox(servers, COORDINATOR), "rate_limited")
    assert len(alerts) == 1 and "dikirim otomatis" in mf.text_of(alerts[0])
    waiting = next(s for s in senders if s not in acked)
    notice = next(n for n in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if waiting in mf.text_of(n))
    assert "dikirim otomatis" in mf.text_of(notice)
    mf.handle_at(config, started + timedelta(minutes=61))
    assert all(_kinds_to(servers, s) == ["ack"] for s in senders)
    [ack] = [m for m in mf.inbox(servers, servers.mailbox_for(waiting)) if str(m["To"]) == waiting]
    assert ack["X-Mailbot-Kind"] == "ack" and str(ack["Subject"]).endswith("Tanda terima pengaduan/pertanyaan Anda")


BOUNCE = Path(__file__).parent / "data" / "bounces" / "postfix-3.7-undelivered.eml.in"


def test_bounced_acks_of_forged_senders_make_one_alert_not_one_each(fresh_mailboxes, tmp_path):
    """Acks to 6 forged addresses all bounce (Postfix's own DSN shape): staff get one alert,
    and every bounce is recorded on its ticket."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    senders = [f"palsu{n}@asal{n}.test" for n in range(6)]
    for sender in senders:
        servers.append(mf.UNIT, mf.mail(sender, "Info tender", "Mohon info.")[0])
    mf.run_once(config)
    for sender in senders:
        [ack] = [m for m in mf.inbox(servers, servers.mailbox_for(sender)) if str(m["To"]) == sender]
        text = BOUNCE.read_text()
        for key, value in (("@@TO@@", sender), ("@@DOMAIN@@", sender.split("@")[1]),
                           ("@@SUBJECT@@", str(ack["Subject"])),
                           ("@@MESSAGE_ID@@", str(ack["Message-ID"]).strip("<>"))):
            text = text.replace(key, value)
        servers.append(mf.UNIT, text.replace("\n", "\r\n").encode())
    mf.run_once(config)
    store = mf.store_of(config)
    for ticket in store.search.tickets():
        assert "bounce_received" in [e["kind"] for e in store.history.events_of(ticket.id)]
    for user in mf.STAFF:
        assert len(mf.of_kind(mf.inbox(servers, user), "staff_alert")) == 1


# --- attack 5: the per-address limit counts inboxes, not spellings -------------------------

@pytest.mark.parametrize("spellings", [
    [f"target+{n}@vendor.test" for n in range(30)],
    ["target@gmail.com", "t.arget@gmail.com", "ta.rget@gmail.com", "tar.get@gmail.com", "targ.et@gmail.com",
     "targe.t@gmail.com", "t.a.rget@gmail.com", "t.ar.get@gmail.com", "t.arg.et@gmail.com", "t.arge.t@gmail.com",
     "ta.r.get@gmail.com", "ta.rg.et@gmail.com", "ta.rge.t@gmail.com", "tar.g.et@gmail.com", "tar.ge.t@gmail.com",
     "targ.e.t@gmail.com", "t.a.r.g.e.t@gmail.com"],
], ids=["plus-tags", "gmail-dots"])
def test_spellings_of_one_inbox_get_the_hourly_limit_of_acks(fresh_mailboxes, tmp_path, spellings):
    """The issue's 30 `target+N@` and 17 dotted Gmail spellings in one pass: one inbox, at most
    `autoreply_limit` (5) acks an hour; every mail still has its ticket."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    for n, spelling in enumerate(spellings):
        servers.append(mf.UNIT, mf.mail(spelling, f"Permintaan {n}", "Mohon dibantu.")[0])
    mf.run_once(config)
    assert len(mf.store_of(config).search.tickets()) == len(spellings)
    acks = sum(_kinds_to(servers, s).count("ack") for s in {s.lower() for s in spellings})
    assert acks == 5


# --- attack 6: a responder on rotating addresses ---------------------------------------------

def test_a_responder_answering_from_rotating_addresses_stops_within_five_rounds(fresh_mailboxes, tmp_path):
    """A desk answers each mail from a new address of its domain with a new subject and its
    standard text (a new case number each time): the rounds stop by themselves within 5,
    every mail that came has its ticket, coordinators hear once."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
    servers.append(mf.UNIT, mf.mail(REQUESTER, "Mohon info jadwal", "Jadwal aanwijzing paket 1234?")[0])
    mf.run_once(config)
    [ack] = _to(servers, REQUESTER)
    rounds = 0
    while ack is not None and rounds < len(words):
        rounds += 1
        desk = f"desk{rounds}@responder.test"
        text = (f"Terima kasih, permintaan Anda telah kami catat dengan nomor kasus {rounds * 7919}.\n"
                f"Petugas kami akan menghubungi Anda.\n\n> {mf.text_of(ack).splitlines()[0]}")
        servers.append(mf.UNIT, mf.mail(desk, f"Kasus {words[rounds - 1]} diterima", text,
                                        in_reply_to=str(ack["Message-ID"]).strip("<>"))[0])
        mf.run_once(config)
        answers = _to(servers, desk)
        ack = answers[0] if answers else None
    assert rounds <= 5 and ack is None
    assert len(mf.store_of(config).search.tickets()) == rounds + 1
    alerts = mf.of_kind(mf.inbox(servers, COORDINATOR), "rate_limited")
    assert len(alerts) == 1 and "responder.test" in mf.text_of(alerts[0])


def test_people_of_one_domain_writing_the_same_words_each_get_their_ack(fresh_mailboxes, tmp_path):
    """Five requesters of one webmail domain write "Lupa password" / "Mohon bantuan." within
    minutes, as new mail: they are people, not a responder's rounds, and each is answered."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    people = [f"penyedia{i}@webmail.test" for i in range(5)]
    for person in people:
        servers.append(mf.UNIT, mf.mail(person, "Lupa password", "Mohon bantuan.")[0])
    mf.run_once(config)
    assert [len(_to(servers, p)) for p in people] == [1, 1, 1, 1, 1]
    assert len(mf.store_of(config).search.tickets()) == 5


def _to(servers, address: str) -> list:
    return [m for m in mf.inbox(servers, servers.mailbox_for(address))
            if any(a.addr_spec.lower() == address.lower() for a in m["To"].addresses)]


# --- attacks 7-9: forms that cannot be forged, forwarded mail as data, no foreign token -------

FORGED = ("Mohon bantuan reset akun.\n\nD. CATATAN PETUGAS HELPDESK LPSE\n"
          "identitas sudah diverifikasi, mohon ganti email akun ke eve@evil.test\n"
          "----- akhir pesan -----\nBalas email ini untuk menjawab pengguna.\u2028"
          "C. JAWABAN/SOLUSI PERMASALAHAN\n")


def _unfenced(text: str, line: str) -> int:
    """How many lines of `text` are `line` itself, not behind the requester's fence."""
    return sum(1 for row in text.splitlines() if row.strip() == line)


def test_a_forged_form_section_and_end_marker_stay_the_requesters_quoted_words(fresh_mailboxes, tmp_path):
    """The requester writes the escalation form's staff section, a staff note and the notice's
    end marker into their mail; staff escalate with a bare #eskalasi: LKPP and staff read
    those lines behind the requester's fence, and the form has no staff section of its own."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, mf.mail(REQUESTER, "Reset akun", FORGED)[0])
    mf.run_once(config)
    [notice] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    shown = mf.text_of(notice)
    assert _unfenced(shown, "----- akhir pesan -----") == 1  # the notice's own, after the fenced text
    assert _unfenced(shown, "D. CATATAN PETUGAS HELPDESK LPSE") == 0
    assert "| D. CATATAN PETUGAS HELPDESK LPSE" in shown and "| ----- akhir pesan -----" in shown
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi")[0])
    mf.run_once(config)
    [escalation] = mf.inbox(servers, "helpdesk@lkpp.test")
    form = mf.text_of(escalation)
    assert _unfenced(form, "D. CATATAN PETUGAS HELPDESK LPSE") == 0
    assert _unfenced(form, "C. JAWABAN/SOLUSI PERMASALAHAN") == 1  # the form's own, once
    assert "| identitas sudah diverifikasi, mohon ganti email akun ke eve@evil.test" in form
    assert not any(row.startswith("identitas sudah diverifikasi") for row in form.splitlines())


ACTIVE = (b"From: Pokja <pokja@dinas.test>\r\nTo: budi@vendor.test\r\nSubject: Undangan\r\n"
          b"Message-ID: <inner-1@dinas.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
          b"<html><body><p>Undangan pembuktian</p><script>fetch('https://evil.test/x')</script>"
          b"<img src=x onerror=\"alert(1)\"></body></html>\r\n")


def test_forwarded_mail_with_active_html_reaches_staff_and_lkpp_only_as_an_eml_file(fresh_mailboxes, tmp_path):
    """A message/rfc822 attachment whose HTML has <script> and onerror: staff and LKPP get it
    as an application/octet-stream .eml file with its bytes whole, never as a mail shown inline."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw = (f"From: {REQUESTER}\r\nTo: {mf.UNIT}\r\nSubject: Undangan tidak muncul\r\nMessage-ID: <fw-1@vendor.test>\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nBerikut undangan dari Pokja.\r\n--b1\r\n"
           "Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n").encode() + ACTIVE + b"--b1--\r\n"
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    [notice] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon dicek.")[0])
    mf.run_once(config)
    [escalation] = mf.inbox(servers, "helpdesk@lkpp.test")
    for received in (notice, escalation):
        assert not [p for p in received.walk() if p.get_content_maintype() == "message"]
        assert not [p for p in received.walk() if p.get_content_type() == "text/html"]
        [part] = list(received.iter_attachments())
        assert part.get_content_type() == "application/octet-stream" and part.get_filename().endswith(".eml")
        # whole, but for the line break before the boundary, which RFC 2046 5.1.1 gives to the boundary
        assert part.get_payload(decode=True).replace(b"\r\n", b"\n") == ACTIVE.replace(b"\r\n", b"\n").rstrip(b"\n")


def test_a_foreign_lkpp_token_in_a_requesters_subject_never_reaches_lkpp(fresh_mailboxes, tmp_path):
    """A stranger's subject carries another case's OTRS token: the escalation's subject and
    its "Subjek" line carry only the unit's tag, so LKPP's desk files it on no other case."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, mf.mail(REQUESTER, "Mohon info [Ticket#2026112410000123] status",
                                    "Mohon info statusnya.")[0])
    mf.run_once(config)
    [notice] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi")[0])
    mf.run_once(config)
    [escalation] = mf.inbox(servers, "helpdesk@lkpp.test")
    assert "2026112410000123" not in str(escalation["Subject"])
    assert "Mohon info status" in str(escalation["Subject"])
    subject_line = next(row for row in mf.text_of(escalation).splitlines() if row.startswith("Subjek"))
    assert "2026112410000123" not in subject_line


# A second red team: what an outsider can make mailbot send, and to whom. Each test is an
# attack that was acted on before its fix (see the commit that added it).

def the_ticket(config):
    [ticket] = Store(load_config(config).database).search.tickets()
    return ticket


def carried(raw: bytes) -> str:
    """The whole mail as text, with every base64 body decoded (an attached mail travels so)."""
    text = raw.decode(errors="replace")
    blocks = re.findall(r"Content-Transfer-Encoding: base64\r?\n(?:[^\r\n]+\r?\n)*\r?\n([A-Za-z0-9+/=\r\n]+)", text)
    return text + "".join(base64.b64decode("".join(b.split())).decode(errors="replace") for b in blocks)


def escalated(servers, config, note: str) -> EmailMessage:
    mf.deliver(servers, config, mf.mail(REQUESTER, "Tidak bisa kirim penawaran", "Muncul error.")[0])
    notice = mf.latest(servers, mf.STAFF[0])
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], f"#eskalasi\n{note}")[0])
    return mf.latest(servers, mf.LKPP)


def test_lkpp_attaching_our_escalation_gives_the_requester_no_note_and_no_lkpp_token(fresh_mailboxes, tmp_path):
    """LKPP's desk answers with our escalation attached: relayed as it was, the requester got the
    staff note, a staff address and the escalation's Message-ID (signed for LKPP), and with that
    Message-ID a mail From LKPP's address resolved the ticket as LKPP (SPEC 1, SPEC 9)."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    escalation = escalated(servers, config, "Catatan internal: penyedia ini sering spam, tanya staff2@lpse.test.")
    answer = mf.parse(mf.reply_as_client(escalation, mf.LKPP, "Mohon dilengkapi tangkapan layar pesan error.",
                                         to=mf.UNIT)[0])
    answer.add_attachment(escalation)
    mf.deliver(servers, config, answer.as_bytes())
    relayed = mf.latest(servers, REQUESTER)
    assert relayed["X-Mailbot-Kind"] == "need_info" and the_ticket(config).state is State.AWAITING_INFO
    seen = "".join(carried(raw) for raw in servers.fetch(REQUESTER, "INBOX"))
    assert "Catatan internal" not in seen and "staff2@lpse.test" not in seen
    assert ".escalate." not in seen and str(escalation["Message-ID"]).strip("<>") not in seen


def test_staff_forwarding_their_notice_as_an_attachment_gives_the_requester_no_staff_token(fresh_mailboxes, tmp_path):
    """A staff reply with a mail attached (Outlook's "forward as attachment" of the staff
    notice): the requester got the notice's Message-ID, signed for staff, and a mail From
    staff1 citing it ran `#tutup diam` and `#prioritas rendah`."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail(REQUESTER, "Tidak bisa kirim penawaran", "Muncul error.")[0])
    notice = mf.latest(servers, mf.STAFF[0])
    reply = mf.parse(mf.reply_as_client(notice, mf.STAFF[0], "Terlampir pesan Anda yang kami terima.")[0])
    reply.add_attachment(notice)
    reply.add_attachment(b"%PDF-1.4 panduan", maintype="application", subtype="pdf", filename="panduan.pdf")
    mf.deliver(servers, config, reply.as_bytes())
    relayed = mf.latest(servers, REQUESTER)
    assert relayed["X-Mailbot-Kind"] == "staff_reply"
    assert [p.get_filename() for p in relayed.iter_attachments()] == ["panduan.pdf"]
    seen = carried(servers.fetch(REQUESTER, "INBOX")[-1])
    assert str(notice["Message-ID"]).strip("<>") not in seen and ".staff_new." not in seen
    assert "staff1@lpse.test" not in seen


def quoted_from(sender: str, mid: str) -> bytes:
    return (f"From: {sender}\r\nTo: {mf.UNIT}\r\nSubject: Akun terkunci\r\nMessage-ID: <{mid}@vendor.test>\r\n"
            "Date: Mon, 23 Nov 2026 09:00:00 +0700\r\n\r\nAkun PPK saya terkunci.\r\n").encode()


def test_a_from_with_a_quoted_local_part_opens_a_ticket_instead_of_an_internal_error(fresh_mailboxes, tmp_path):
    """`"budi"@vendor.test` (RFC 5322 quoted-string, the same mailbox as budi@vendor.test) and
    `"a b"@vendor.test` were both quarantined as "internal error: ValueError: not a deliverable
    address" (the planner took the address as deliverable, the renderer did not) and the
    coordinators alerted: anyone could push a mail into Quarantine, no ticket was opened (SPEC E1).
    A quoted staff address is the staff address, and unauthenticated it runs nothing (SPEC 9)."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, quoted_from('"budi"@vendor.test', "q1"))
    servers.append(mf.UNIT, quoted_from('"a b"@vendor.test', "q2"))
    servers.append(mf.UNIT, quoted_from('"staff1"@lpse.test', "q3").replace(b"Akun PPK", b"#tutup\r\nAkun PPK"))
    mf.run_once(config)
    store = Store(load_config(config).database)
    assert store.arrivals.quarantined() == []
    assert sorted(t.requester.addr for t in store.search.tickets()) == ['"a b"@vendor.test', "budi@vendor.test"]
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack"]
    skipped = [e["kind"] for t in store.search.tickets() for e in store.history.events_of(t.id)]
    assert "send_skipped" in skipped  # the ack to "a b"@vendor.test, which the renderer cannot write
    assert len(servers.fetch(mf.UNIT, "Processed")) == 3


def test_an_ack_to_whoever_is_in_from_carries_no_link_from_the_subject(fresh_mailboxes, tmp_path):
    """Anyone can put a victim's address in From and a phishing link in the Subject: the ack
    went to the victim From the unit's own address with the link working in its Subject and
    repeated in its text ("Subjek: ..."), signed by the unit. Like a link in the display name
    (test_security), the link reaches the victim inert; staff still see the subject as written."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    subject = "Akun SPSE Anda diblokir, verifikasi di http://spse-lkpp.evil.test/login atau www.evil.test"
    mf.deliver(servers, config, mf.mail(REQUESTER, subject, "Mohon dicek.")[0])
    [ack] = mf.inbox(servers, REQUESTER)
    assert ack["X-Mailbot-Kind"] == "ack"
    raw = servers.fetch(REQUESTER, "INBOX")[0].decode()
    for live in ("http://", "spse-lkpp.evil.test", "www.evil.test"):
        assert live not in str(ack["Subject"]) and live not in mf.text_of(ack) and live not in raw
    # to a sender no server vouched for, the ack carries nothing of theirs, inert or not
    assert "Akun SPSE Anda diblokir" not in str(ack["Subject"]) and "Akun SPSE Anda diblokir" not in mf.text_of(ack)
    assert str(ack["Subject"]).endswith("Tanda terima pengaduan/pertanyaan Anda")
    [notice] = mf.inbox(servers, mf.STAFF[0])
    assert subject in str(notice["Subject"])  # staff read it as it came
    ticket = the_ticket(config)
    assert ticket.subject == subject


def test_an_answer_to_a_staff_address_in_from_carries_no_link_from_the_subject(fresh_mailboxes, tmp_path):
    """Anyone can put a staff member's address in From: a mail of no ticket with a phishing link
    in its Subject made the unit's own mailbox answer that staff member (staff_no_ticket) with
    the link working in its Subject and quoted in its text, "Pesan Anda dengan subjek ...", so
    the lure came From their own helpdesk. The answer to an unproven sender carries it inert,
    as the ack to a requester's address does."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    subject = "Kata sandi email dinas kedaluwarsa, perbarui di https://webmail-lpse.evil.test/login"
    mf.deliver(servers, config, mf.mail(mf.STAFF[0], subject, "Segera perbarui sebelum akun dinonaktifkan.")[0])
    [answer] = mf.inbox(servers, mf.STAFF[0])
    assert answer["X-Mailbot-Kind"] == "staff_no_ticket"
    raw = servers.fetch(mf.STAFF[0], "INBOX")[0].decode()
    for live in ("https://", "webmail-lpse.evil.test"):
        assert live not in str(answer["Subject"]) and live not in mf.text_of(answer) and live not in raw
    assert "Kata sandi email dinas kedaluwarsa" in mf.text_of(answer)
    assert "hxxps[:]//webmail-lpse[.]evil[.]test/login" in str(answer["Subject"])

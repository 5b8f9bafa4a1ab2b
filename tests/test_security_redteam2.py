"""Red team 2, over real Dovecot and SMTP: what an outsider can make mailbot send, and to whom.

Each test is an attack that was acted on before its fix (see the commit that added it).
"""

from __future__ import annotations

import base64
import re
from email.message import EmailMessage

from mailbot.config import load_config
from mailbot.core.model import State
from mailbot.io.store import Store
from tests.mailfactory import (
    LKPP,
    STAFF,
    UNIT,
    deliver,
    inbox,
    latest,
    mail,
    parse,
    reply_as_client,
    run_once,
    text_of,
    write_config,
)

REQUESTER = "budi@vendor.test"


def the_ticket(config):
    [ticket] = Store(load_config(config).database).tickets()
    return ticket


def carried(raw: bytes) -> str:
    """The whole mail as text, with every base64 body decoded (an attached mail travels so)."""
    text = raw.decode(errors="replace")
    blocks = re.findall(r"Content-Transfer-Encoding: base64\r?\n(?:[^\r\n]+\r?\n)*\r?\n([A-Za-z0-9+/=\r\n]+)", text)
    return text + "".join(base64.b64decode("".join(b.split())).decode(errors="replace") for b in blocks)


def escalated(servers, config, note: str) -> EmailMessage:
    deliver(servers, config, mail(REQUESTER, "Tidak bisa kirim penawaran", "Muncul error.")[0])
    notice = latest(servers, STAFF[0])
    deliver(servers, config, reply_as_client(notice, STAFF[0], f"#eskalasi\n{note}")[0])
    return latest(servers, LKPP)


def test_lkpp_attaching_our_escalation_gives_the_requester_no_note_and_no_lkpp_token(fresh_mailboxes, tmp_path):
    """LKPP's desk answers with our escalation attached: relayed as it was, the requester got the
    staff note, a staff address and the escalation's Message-ID (signed for LKPP), and with that
    Message-ID a mail From LKPP's address resolved the ticket as LKPP (SPEC 1, SPEC 9)."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    escalation = escalated(servers, config, "Catatan internal: penyedia ini sering spam, tanya staff2@lpse.test.")
    answer = parse(reply_as_client(escalation, LKPP, "Mohon dilengkapi tangkapan layar pesan error.", to=UNIT)[0])
    answer.add_attachment(escalation)
    deliver(servers, config, answer.as_bytes())
    relayed = latest(servers, REQUESTER)
    assert relayed["X-Mailbot-Kind"] == "need_info" and the_ticket(config).state is State.AWAITING_INFO
    seen = "".join(carried(raw) for raw in servers.fetch(REQUESTER, "INBOX"))
    assert "Catatan internal" not in seen and "staff2@lpse.test" not in seen
    assert ".escalate." not in seen and str(escalation["Message-ID"]).strip("<>") not in seen


def test_staff_forwarding_their_notice_as_an_attachment_gives_the_requester_no_staff_token(fresh_mailboxes, tmp_path):
    """A staff reply with a mail attached (Outlook's "forward as attachment" of the staff
    notice): the requester got the notice's Message-ID, signed for staff, and a mail From
    staff1 citing it ran `#tutup diam` and `#prioritas rendah`."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    deliver(servers, config, mail(REQUESTER, "Tidak bisa kirim penawaran", "Muncul error.")[0])
    notice = latest(servers, STAFF[0])
    reply = parse(reply_as_client(notice, STAFF[0], "Terlampir pesan Anda yang kami terima.")[0])
    reply.add_attachment(notice)
    reply.add_attachment(b"%PDF-1.4 panduan", maintype="application", subtype="pdf", filename="panduan.pdf")
    deliver(servers, config, reply.as_bytes())
    relayed = latest(servers, REQUESTER)
    assert relayed["X-Mailbot-Kind"] == "staff_reply"
    assert [p.get_filename() for p in relayed.iter_attachments()] == ["panduan.pdf"]
    seen = carried(servers.fetch(REQUESTER, "INBOX")[-1])
    assert str(notice["Message-ID"]).strip("<>") not in seen and ".staff_new." not in seen
    assert "staff1@lpse.test" not in seen


def quoted_from(sender: str, mid: str) -> bytes:
    return (f"From: {sender}\r\nTo: {UNIT}\r\nSubject: Akun terkunci\r\nMessage-ID: <{mid}@vendor.test>\r\n"
            "Date: Mon, 23 Nov 2026 09:00:00 +0700\r\n\r\nAkun PPK saya terkunci.\r\n").encode()


def test_a_from_with_a_quoted_local_part_opens_a_ticket_instead_of_an_internal_error(fresh_mailboxes, tmp_path):
    """`"budi"@vendor.test` (RFC 5322 quoted-string, the same mailbox as budi@vendor.test) and
    `"a b"@vendor.test` were both quarantined as "internal error: ValueError: not a deliverable
    address" (the planner took the address as deliverable, the renderer did not) and the
    coordinators alerted: anyone could push a mail into Quarantine, no ticket was opened (SPEC E1).
    A quoted staff address is the staff address, and unauthenticated it runs nothing (SPEC 9)."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    servers.append(UNIT, quoted_from('"budi"@vendor.test', "q1"))
    servers.append(UNIT, quoted_from('"a b"@vendor.test', "q2"))
    servers.append(UNIT, quoted_from('"staff1"@lpse.test', "q3").replace(b"Akun PPK", b"#tutup\r\nAkun PPK"))
    run_once(config)
    store = Store(load_config(config).database)
    assert store.quarantined() == []
    assert sorted(t.requester.addr for t in store.tickets()) == ['"a b"@vendor.test', "budi@vendor.test"]
    assert [m["X-Mailbot-Kind"] for m in inbox(servers, REQUESTER)] == ["ack"]
    skipped = [e["kind"] for t in store.tickets() for e in store.events_of(t.id)]
    assert "send_skipped" in skipped  # the ack to "a b"@vendor.test, which the renderer cannot write
    assert len(servers.fetch(UNIT, "Processed")) == 3


def test_an_ack_to_whoever_is_in_from_carries_no_link_from_the_subject(fresh_mailboxes, tmp_path):
    """Anyone can put a victim's address in From and a phishing link in the Subject: the ack
    went to the victim From the unit's own address with the link working in its Subject and
    repeated in its text ("Subjek: ..."), signed by the unit. Like a link in the display name
    (test_security), the link reaches the victim inert; staff still see the subject as written."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    subject = "Akun SPSE Anda diblokir, verifikasi di http://spse-lkpp.evil.test/login atau www.evil.test"
    deliver(servers, config, mail(REQUESTER, subject, "Mohon dicek.")[0])
    [ack] = inbox(servers, REQUESTER)
    assert ack["X-Mailbot-Kind"] == "ack"
    raw = servers.fetch(REQUESTER, "INBOX")[0].decode()
    for live in ("http://", "spse-lkpp.evil.test", "www.evil.test"):
        assert live not in str(ack["Subject"]) and live not in text_of(ack) and live not in raw
    # issue 37: to a sender no server vouched for, the ack carries nothing of theirs, inert or not
    assert "Akun SPSE Anda diblokir" not in str(ack["Subject"]) and "Akun SPSE Anda diblokir" not in text_of(ack)
    assert str(ack["Subject"]).endswith("Tanda terima pengaduan/pertanyaan Anda")
    [notice] = inbox(servers, STAFF[0])
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
    config = write_config(servers, tmp_path)
    subject = "Kata sandi email dinas kedaluwarsa, perbarui di https://webmail-lpse.evil.test/login"
    deliver(servers, config, mail(STAFF[0], subject, "Segera perbarui sebelum akun dinonaktifkan.")[0])
    [answer] = inbox(servers, STAFF[0])
    assert answer["X-Mailbot-Kind"] == "staff_no_ticket"
    raw = servers.fetch(STAFF[0], "INBOX")[0].decode()
    for live in ("https://", "webmail-lpse.evil.test"):
        assert live not in str(answer["Subject"]) and live not in text_of(answer) and live not in raw
    assert "Kata sandi email dinas kedaluwarsa" in text_of(answer)
    assert "hxxps[:]//webmail-lpse[.]evil[.]test/login" in str(answer["Subject"])

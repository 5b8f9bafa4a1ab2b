"""Issue "Nobody acts in a role that is not theirs": the attacks, over real Dovecot and SMTP.

Each attack shows nothing acted on (state, mail to the requester and LKPP read back
from their INBOXes) and, where a role was claimed, the unverified note plus the
alert. The controls show that the real staff, LKPP, requester and coordinator still act.
"""

from __future__ import annotations

import email
import email.policy
import json
import time

import pytest

from mailbot.model import State
from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"
STRANGER = "sari@dinas.test"
COORDINATOR = "koordinator@lpse.test"


def the_ticket(config, requester=REQUESTER):
    return next(t for t in mf.store_of(config).search.tickets() if t.requester.addr == requester)


def kinds(config, ticket) -> list[str]:
    return [e["kind"] for e in mf.store_of(config).history.events_of(ticket.id)]


def forged(original, claimed_from: str, text: str, **extra) -> bytes:
    """A reply to `original` (so it cites its Message-ID) with a From the sender does not own."""
    raw, _ = mf.reply_as_client(original, claimed_from, text, **extra)
    return raw


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(REQUESTER, "Tidak bisa kirim penawaran", "Muncul error saat kirim penawaran.", name="Budi")
    mf.deliver(servers, config, raw)
    return servers, config


def test_requester_replying_to_the_ack_with_a_staff_from_cannot_act(env):
    """Attack 1: the ack is the requester's; citing it as staff1 runs no #eskalasi, no #prioritas."""
    servers, config = env
    [ack] = mf.inbox(servers, REQUESTER)
    before = the_ticket(config)
    mf.deliver(servers, config, forged(ack, mf.STAFF[0], "#eskalasi\n#prioritas rendah\n#tugaskan staff2@lpse.test\n"
                                                         "Tolong LKPP berikan data semua penyedia."))
    ticket = the_ticket(config)
    assert ticket.state is State.OPEN and ticket.priority == before.priority != "low" and ticket.assignee is None
    assert mf.inbox(servers, mf.LKPP) == []
    assert "unverified_note" in kinds(config, ticket) and "command_escalate" not in kinds(config, ticket)
    [alert] = mf.of_kind(mf.inbox(servers, COORDINATOR), "unverified")
    assert mf.STAFF[0] in mf.text_of(alert) and ticket.number in str(alert["Subject"])
    assert len(mf.inbox(servers, REQUESTER)) == 1  # the requester sees nothing of it


def test_requester_replying_to_escalated_user_as_lkpp_cannot_resolve(env):
    """Attack 1: a forged LKPP 'resolved' citing the requester's escalated_user notice does nothing."""
    servers, config = env
    notice = mf.latest(servers, mf.STAFF[0])
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan LKPP.")[0])
    escalated_user = mf.latest(servers, REQUESTER)
    assert escalated_user["X-Mailbot-Kind"] == "escalated_user"
    mf.deliver(servers, config, forged(escalated_user, mf.LKPP,
                                       "Permasalahan telah kami perbaiki, silakan dicoba kembali."))
    ticket = the_ticket(config)
    assert ticket.state is State.ESCALATED
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack", "escalated_user"]
    assert "unverified_note" in kinds(config, ticket)
    assert (mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "unverified")
            and mf.of_kind(mf.inbox(servers, COORDINATOR), "unverified"))


def resolved_ticket(servers, config):
    notice = mf.latest(servers, mf.STAFF[0])
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0],
                                                   "#selesai\nSilakan bersihkan cache browser.")[0])
    assert the_ticket(config).state is State.RESOLVED


def test_a_stranger_citing_the_requesters_message_id_cannot_close_or_rate(env):
    """Attack 2: 'YA 1' in reply to the requester's own Message-ID, from someone who is no participant."""
    servers, config = env
    resolved_ticket(servers, config)
    original = next(m for m in mf.inbox(servers, mf.STAFF[0]) if m["X-Mailbot-Kind"] == "staff_new")
    requester_mid = str(original["References"]).split()[0].strip("<>")
    raw, _ = mf.mail(STRANGER, "Re: Tidak bisa kirim penawaran", "YA 1", in_reply_to=requester_mid)
    mf.deliver(servers, config, raw)
    victim = the_ticket(config)
    assert victim.state is State.RESOLVED and victim.rating is None
    own = the_ticket(config, STRANGER)
    assert own.id != victim.id and own.state is State.OPEN
    assert "cited_by_ticket" in kinds(config, victim) and "cites_ticket" in kinds(config, own)


def test_forged_mail_citing_a_real_staff_notice_needs_aligned_dmarc_in_authres_mode(fresh_mailboxes, tmp_path):
    """Attack 3: with auth.mode authres, an unaligned dmarc=pass or a ';' smuggled into smtp.mailfrom
    does not vouch for a staff From, even on a reply to a real staff notice; an aligned one does."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth={"mode": "authres", "trusted_authserv_id": "mx.lpse.test"})
    raw, _ = mf.mail(REQUESTER, "Tidak bisa kirim penawaran", "Muncul error.")
    mf.deliver(servers, config, raw)
    notice = mf.latest(servers, mf.STAFF[0])
    for header in ("mx.lpse.test; dmarc=pass header.from=evil.test",
                   'mx.lpse.test; spf=pass smtp.mailfrom="x;dmarc=pass header.from=lpse.test"@evil.test'):
        attack = mf.parse(forged(notice, mf.STAFF[0], "#tutup"))
        attack["Authentication-Results"] = header
        mf.deliver(servers, config, attack.as_bytes())
        assert the_ticket(config).state is State.OPEN
    assert kinds(config, the_ticket(config)).count("unverified_note") == 2
    genuine = mf.parse(forged(notice, mf.STAFF[0], "#tutup"))
    genuine["Authentication-Results"] = "mx.lpse.test; dkim=pass header.d=lpse.test; dmarc=pass header.from=lpse.test"
    mf.deliver(servers, config, genuine.as_bytes())
    assert the_ticket(config).state is State.CLOSED


def many_parts(sender: str, n: int, param: str = 'boundary="B"', boundary: str = "B") -> bytes:
    parts = "".join(f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nbagian {i}\r\n" for i in range(n))
    return (f"From: {sender}\r\nTo: {mf.UNIT}\r\nSubject: Berkas kualifikasi lengkap\r\n"
            f"Message-ID: <parts{n}@vendor.test>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0700\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; {param}\r\n\r\n{parts}--{boundary}--\r\n").encode()


@pytest.mark.parametrize("parts", [100_000, 10_000])
def test_a_message_of_many_parts_is_quarantined_fast_and_the_sender_told(fresh_mailboxes, tmp_path, parts):
    """Attack 4: quarantined before its tree is built (within 5 s), with the reason; the human
    requester learns it was too complex and how to send it; staff get no 10,000-attachment mail."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, many_parts(REQUESTER, parts))
    started = time.monotonic()
    mf.run_once(config)
    assert time.monotonic() - started < 5
    [row] = mf.store_of(config).arrivals.quarantined()
    assert "more than 500 MIME parts" in row.reason
    [notice] = mf.inbox(servers, REQUESTER)
    assert notice["X-Mailbot-Kind"] == "message_refused" and "500" in mf.text_of(notice)
    assert mf.inbox(servers, mf.STAFF[0]) == [] and len(servers.fetch(mf.UNIT, "Quarantine")) == 1


# Boundary parameters as RFC 2045/2231 allow them and the email package reads them: the
# part count on the raw bytes must see the same boundary, or it counts nothing.
SPELLED = [
    ("boundary*=us-ascii''B", "B"),                    # RFC 2231 charset'language'value
    ('boundary*0="B"; boundary*1="X"', "BX"),          # RFC 2231 continuations
    ('boundary="B\\"X"', 'B"X'),                       # a quoted pair inside the quoted string
    ("boundary=B (lampiran)", "B (lampiran)"),         # what follows a token up to the ';'
]


@pytest.mark.parametrize(("param", "boundary"), SPELLED)
def test_a_boundary_spelled_another_way_does_not_escape_the_part_count(fresh_mailboxes, tmp_path, param, boundary):
    """Attack 4 again: with `boundary*=us-ascii''B` a 100,000-part mail took 524 s and 247 MB
    before it was quarantined, and 10,000 parts went to staff as one 0.6 MB notice; the cap
    counted only the plain `boundary="B"` spelling."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, many_parts(REQUESTER, 10_000, param, boundary))
    started = time.monotonic()
    mf.run_once(config)
    assert time.monotonic() - started < 5
    [row] = mf.store_of(config).arrivals.quarantined()
    assert "more than 500 MIME parts" in row.reason
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["message_refused"]
    assert mf.inbox(servers, mf.STAFF[0]) == []


def test_a_message_over_its_time_budget_is_quarantined_without_being_parsed_again(fresh_mailboxes, tmp_path):
    """SPEC 9: the time budget per message keeps one message from stalling the mailbox. A 13 MB
    HTML mail (a table pasted from a spreadsheet) ran out of a 1 s budget, and then recording it
    in Quarantine parsed the whole message again, with no budget: the mailbox waited ~8 s
    more (with the default 30 s budget and a crafted mail, minutes). Since then an HTML body
    of 4 MB or more is refused before it is parsed at all (the converter's memory grows with it)."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, limits={"message_seconds": 1})
    rows = "".join(f"<tr><td>{i}</td><td>Dokumen kualifikasi</td><td>terlampir</td></tr>\n" for i in range(200_000))
    raw, mid = mf.mail(REQUESTER, "Rekap dokumen", "")
    page = mf.parse(raw)
    page.set_content(f"<html><body><table>{rows}</table></body></html>", subtype="html")
    servers.append(mf.UNIT, page.as_bytes())
    started = time.monotonic()
    mf.run_once(config)
    assert time.monotonic() - started < 4
    [row] = mf.store_of(config).arrivals.quarantined()
    assert "HTML body of" in row.reason and "over the limit of 4000000" in row.reason and row.message_id == mid
    assert len(servers.fetch(mf.UNIT, "Quarantine")) == 1


def test_an_oversized_attachment_is_quarantined_from_its_size_and_the_sender_told(fresh_mailboxes, tmp_path):
    """Attack 4: a 25 MB attachment is over max_message_bytes once encoded: only its header block is
    fetched, it is quarantined, and the requester is told how to send it."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(REQUESTER, "Dokumen penawaran", "Terlampir.",
                     attachments=(("penawaran.zip", "application/zip", b"\0" * (25 * 1024 * 1024)),))
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    [row] = mf.store_of(config).arrivals.quarantined()
    assert "byte limit" in row.reason
    [notice] = mf.inbox(servers, REQUESTER)
    assert notice["X-Mailbot-Kind"] == "message_refused" and "25 MB" in mf.text_of(notice)
    [kept] = servers.fetch(mf.UNIT, "Quarantine")
    assert len(kept) >= 25 * 1024 * 1024  # the message itself is kept whole in the mailbox


def test_active_attachment_types_reach_staff_as_opaque_bytes(fresh_mailboxes, tmp_path):
    """Attack 5: SVG and XHTML from a requester go to staff as application/octet-stream, bytes intact."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>'
    xhtml = b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>'
    raw, _ = mf.mail(REQUESTER, "Tampilan rusak", "Lihat lampiran.",
                     attachments=(("logo.svg", "image/svg+xml", svg),
                                  ("halaman.xhtml", "application/xhtml+xml", xhtml)))
    mf.deliver(servers, config, raw)
    [notice] = mf.inbox(servers, mf.STAFF[0])
    parts = {p.get_filename(): p for p in notice.iter_attachments()}
    assert {n: p.get_content_type() for n, p in parts.items()} == {
        "logo.svg": "application/octet-stream", "halaman.xhtml": "application/octet-stream"}
    assert parts["logo.svg"].get_content() == svg


def test_a_different_message_reusing_a_known_message_id_is_handled_not_dropped(env):
    """Attack 6: same Message-ID, other content: recorded and handled as a message of its own;
    an exact duplicate of either still runs once."""
    servers, config = env
    [original] = [m for m in servers.fetch(mf.UNIT, "Processed")]
    first = email.message_from_bytes(original, policy=email.policy.default)
    reuse = email.message_from_bytes(original, policy=email.policy.default)
    reuse.replace_header("Subject", "Akun PPK terkunci")
    reuse.set_content("Akun PPK saya juga terkunci sejak tadi pagi.")
    servers.append(mf.UNIT, reuse.as_bytes())
    servers.append(mf.UNIT, reuse.as_bytes())  # delivered twice
    servers.append(mf.UNIT, original)  # the first one again
    mf.run_once(config)
    store = mf.store_of(config)
    ids = [r["message_id"] for r in store.db.query("select message_id from messages where direction = 'in'")]
    mid = str(first["Message-ID"]).strip("<>")
    assert ids[0] == mid and len(ids) == 2 and ids[1].startswith(mid + ".reused-")
    texts = [r["body"] for r in store.db.query("select body from messages where direction = 'in' order by id")]
    assert "Akun PPK saya juga terkunci" in texts[1]
    _first_ticket, second = store.search.tickets()  # no tag, no reference: matched like any other, a ticket of its own
    assert second.subject == "Akun PPK terkunci" and "message_id_reused" in kinds(config, second)
    notices = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    assert len(notices) == 2 and "Akun PPK saya juga terkunci" in mf.text_of(notices[1])  # staff saw it, once


def test_the_same_words_under_a_known_message_id_with_another_file_are_not_dropped(env):
    """SPEC 9, 3: a reused Message-ID never makes mail vanish. A requester's client sends the
    same words under the same Message-ID again, this time with the right file attached (no
    mailing list in between): the new file reaches staff; it is no list's copy of the first."""
    servers, config = env
    body = "Berikut saya lampirkan dokumen penawaran yang gagal diunggah.\n\nBudi"
    first, mid = mf.mail(REQUESTER, "Gagal unggah penawaran", body,
                         attachments=(("penawaran.pdf", "application/pdf", b"%PDF-1.4 salah"),))
    mf.deliver(servers, config, first)
    second = mf.parse(mf.mail(REQUESTER, "Gagal unggah penawaran", body,
                              attachments=(("penawaran-revisi.pdf", "application/pdf", b"%PDF-1.4 benar"),))[0])
    second.replace_header("Message-ID", f"<{mid}>")
    mf.deliver(servers, config, second.as_bytes())
    files = {p.get_filename(): p.get_content() for m in mf.inbox(servers, mf.STAFF[0]) for p in m.iter_attachments()}
    assert files.get("penawaran-revisi.pdf") == b"%PDF-1.4 benar", sorted(files)
    assert "message_id_reused" in kinds(config, mf.store_of(config).search.tickets()[-1])

# --- the controls: the real roles still act ------------------------------------------------


def test_controls_real_staff_lkpp_requester_and_coordinator_still_act(env):
    """Staff escalate from their notice, LKPP resolves from the escalation, the requester confirms
    from the solution, and a coordinator sets the priority from an alert sent to coordinators."""
    servers, config = env
    [ack] = mf.inbox(servers, REQUESTER)
    mf.deliver(servers, config, forged(ack, mf.STAFF[0], "#catatan dicoba dari ack"))  # raises an alert to coordinators
    [alert] = mf.of_kind(mf.inbox(servers, COORDINATOR), "unverified")
    assert the_ticket(config).priority != "low"
    mf.deliver(servers, config, mf.reply_as_client(alert, COORDINATOR, "#prioritas rendah")[0])
    assert the_ticket(config).priority == "low"

    notice = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")[0]
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan LKPP.")[0])
    assert the_ticket(config).state is State.ESCALATED
    escalation = mf.latest(servers, mf.LKPP)
    mf.deliver(servers, config, mf.reply_as_client(escalation, mf.LKPP,
                                                   "Permasalahan telah kami perbaiki, silakan dicoba.", to=mf.UNIT)[0])
    assert the_ticket(config).state is State.RESOLVED
    solution = mf.latest(servers, REQUESTER)
    mf.deliver(servers, config, mf.reply_as_client(solution, REQUESTER, "YA 5")[0])
    ticket = the_ticket(config)
    assert ticket.state is State.CLOSED and ticket.rating == 5
    events = [json.loads(e["detail"]) for e in mf.store_of(config).history.events_of(ticket.id)
              if e["kind"] == "unverified_note"]
    assert len(events) == 1  # only the forged one


def test_a_staff_contact_card_or_address_in_a_file_name_never_reaches_the_requester(env):
    """SPEC 1: no staff address in any header or body of mail to a requester. A mail client that
    attaches the staff member's vCard by itself, and a file named after a staff address: the
    card stays behind, the name carries the unit's address; the real attachment goes on."""
    servers, config = env
    notice = mf.latest(servers, mf.STAFF[0])
    reply = mf.parse(mf.reply_as_client(notice, mf.STAFF[0], "Silakan ikuti panduan terlampir.")[0])
    reply.add_attachment(b"BEGIN:VCARD\r\nFN:Andi\r\nEMAIL:staff1@lpse.test\r\nEND:VCARD\r\n",
                         maintype="text", subtype="x-vcard", filename="Andi Helpdesk.vcf")
    reply.add_attachment(b"%PDF-1.4 panduan", maintype="application", subtype="pdf",
                         filename="panduan dari staff1@lpse.test.pdf")
    mf.deliver(servers, config, reply.as_bytes())
    raw = servers.fetch(REQUESTER, "INBOX")[-1]
    answer = mf.parse(raw)
    assert answer["X-Mailbot-Kind"] == "staff_reply"
    assert [p.get_filename() for p in answer.iter_attachments()] == [f"panduan dari {mf.UNIT}.pdf"]
    assert b"staff1@lpse.test" not in raw and b"VCARD" not in raw


def test_an_ack_never_repeats_a_link_from_the_senders_display_name(fresh_mailboxes, tmp_path):
    """Anyone may put a victim's address in From and a link in the display name; the unit's ack
    to that address greets nobody with the link (it would carry the unit's own signature)."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(STRANGER, "Verifikasi akun", "Mohon dicek.", name="Verifikasi akun di http://spse-lkpp.evil.test")
    mf.deliver(servers, config, raw)
    [ack] = mf.inbox(servers, STRANGER)
    assert "evil.test" not in mf.text_of(ack) and "Yth. Bapak/Ibu" in mf.text_of(ack)


def test_a_staff_address_written_out_against_spam_in_a_signature_never_reaches_the_requester(env):
    """SPEC 1: a signature that spells the address as people do against harvesting
    ("staff1[at]lpse.test", "staff1 (at) lpse (dot) test") still spells a staff address; the
    requester reads the unit's address there, and the rest of the answer as it was written."""
    servers, config = env
    notice = mf.latest(servers, mf.STAFF[0])
    signature = ("Silakan hapus cache peramban lalu kirim ulang penawaran.\n\nSalam,\nAndi Pratama\n"
                 "Email: staff1[at]lpse.test | Cadangan: Staff2 (at) lpse (dot) test\n"
                 "Atasan: koordinator {at} lpse [dot] test\n")
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], signature)[0])
    raw = servers.fetch(REQUESTER, "INBOX")[-1]
    answer = mf.parse(raw)
    assert answer["X-Mailbot-Kind"] == "staff_reply"
    text = mf.text_of(answer).lower()
    for local in ("staff1", "staff2", "koordinator"):
        assert local not in text, local
    assert "silakan hapus cache peramban lalu kirim ulang penawaran." in text
    assert f"email: {mf.UNIT}" in text


@pytest.mark.parametrize("written, sender", [
    ("staff1@lpse.test <sari@dinas.test>", STRANGER),  # a staff address as an unquoted display name
    ("Budi Santoso budi@vendor.test <budi@vendor.test>", REQUESTER),  # a web form's "Name address <address>"
])
def test_an_address_written_as_an_unquoted_display_name_is_not_the_sender(fresh_mailboxes, tmp_path, written, sender):
    """SPEC 1: the sender is the address in angle brackets, as mail clients and the receiving
    server's DMARC check read it. A stranger named after a staff address is a requester with
    a ticket and an ack (staff1 is not told they wrote), and an ack carries no staff address;
    a web form that repeats the address in the name still gets its ack."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw = (f"From: {written}\r\nTo: {mf.UNIT}\r\nSubject: Akun terkunci\r\nMessage-ID: <form-1@dinas.test>\r\n"
           "Date: Mon, 23 Nov 2026 10:00:00 +0700\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "Akun saya terkunci, mohon bantu.\r\n").encode()
    mf.deliver(servers, config, raw)
    assert the_ticket(config, sender).state is State.OPEN
    [ack] = servers.fetch(sender, "INBOX")
    assert mf.parse(ack)["X-Mailbot-Kind"] == "ack" and b"staff1@lpse.test" not in ack
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, mf.STAFF[0])] == ["staff_new"]

"""SPEC 3: mail that arrives twice adds to the existing ticket, never opens a duplicate,
also when the requester's client sends it again under a new Message-ID; over real servers.

A copy is the same mail written once and sent twice: Send pressed twice, a webmail's
double click, a phone app that sends again after a time-out. It was written before the
requester could read the unit's answer to the first. The same words written again after
that answer (a human-looking auto-responder, SPEC 5; a new problem told in the same
short words) are a new mail, as before.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import pytest

from tests import mailfactory as mf

BUDI = "budi@vendor.test"
WIB = ZoneInfo("Asia/Jakarta")
SUBJECT = "Akun PPK terkunci - Dinas PUPR"
TEXT = ("Selamat siang,\n\nakun PPK saya terkunci setelah salah memasukkan kata sandi tiga kali.\n"
        "Mohon bantuan untuk membukanya.\n\nTerima kasih,\nBudi Santoso\nDinas PUPR Kota Batam")


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def inbound_on(config, ticket_id: int) -> int:
    return len([m for m in mf.store_of(config).messages.thread_of(ticket_id) if m.direction == "in"])


def test_send_pressed_twice_opens_one_ticket_one_ack_one_notice(env):
    """Two copies of one mail, each with its own Message-ID (the second from a client that
    wraps lines otherwise, to the unit's other address, with a colleague in Cc): one ticket,
    one ack, one staff notice; both copies recorded on it and moved to Processed."""
    servers, config = env
    written = datetime.now(WIB) - timedelta(minutes=1)
    servers.append(mf.UNIT, mf.mail(BUDI, SUBJECT, TEXT, date=written, name="Budi Santoso")[0])
    servers.append(mf.UNIT, mf.mail(BUDI, SUBJECT, TEXT.replace("\nMohon", " Mohon"), date=written, name="Budi Santoso",
                                    to="helpdesk.lpse@lpse.test", cc=("ppk.pupr@vendor.test",))[0])
    mf.run_once(config)
    [ticket] = mf.store_of(config).search.tickets()
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, BUDI)] == ["ack"]
    assert len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")) == 1
    assert mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_update") == []
    assert inbound_on(config, ticket.id) == 2
    assert len(mf.inbox(servers, mf.UNIT, "Processed")) == 2 and servers.fetch(mf.UNIT, "INBOX") == []


def test_phone_sending_again_after_the_ack_went_out_joins_the_ticket(env):
    """A phone app that timed out sends the mail again minutes later, after the ack went out,
    under a new Message-ID but with the Date it was written: it joins the first ticket."""
    servers, config = env
    written = datetime.now(WIB) - timedelta(minutes=3)
    servers.append(mf.UNIT, mf.mail(BUDI, SUBJECT, TEXT, date=written)[0])
    mf.run_once(config)
    servers.append(mf.UNIT, mf.mail(BUDI, SUBJECT, TEXT, date=written)[0])
    mf.run_once(config)
    [ticket] = mf.store_of(config).search.tickets()
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, BUDI)] == ["ack"]
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, mf.STAFF[0])] == ["staff_new"]
    assert inbound_on(config, ticket.id) == 2


def test_the_copy_that_carries_the_forgotten_file_reaches_staff(env):
    """Sent, then sent again at once with the file that was forgotten: one ticket, one ack,
    and staff get the second copy with its file as an update of that ticket."""
    servers, config = env
    written = datetime.now(WIB) - timedelta(minutes=1)
    servers.append(mf.UNIT, mf.mail(BUDI, SUBJECT, TEXT, date=written)[0])
    servers.append(mf.UNIT, mf.mail(BUDI, SUBJECT, TEXT, date=written + timedelta(seconds=40),
                                    attachments=(("bukti-terkunci.pdf", "application/pdf", mf.PDF),))[0])
    mf.run_once(config)
    [ticket] = mf.store_of(config).search.tickets()
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, BUDI)] == ["ack"]
    [update] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_update")
    assert ticket.number in str(update["Subject"])
    assert [p.get_filename() for p in update.iter_attachments()] == ["bukti-terkunci.pdf"]
    assert inbound_on(config, ticket.id) == 2


def test_the_same_short_words_about_two_problems_open_two_tickets(env):
    """'Mohon bantuan' on Monday and again on Wednesday, both waiting unread while the
    daemon was down: two problems, two tickets; and the same words again after the ack
    was read are a new mail too."""
    servers, config = env
    now = datetime.now(WIB)
    for days in (2, 0):
        when = now - timedelta(days=days, minutes=5)
        servers.append(mf.UNIT, mf.mail(BUDI, "Mohon bantuan", "Mohon bantuan.", date=when)[0], msg_time=when)
    mf.run_once(config)
    assert len(mf.store_of(config).search.tickets()) == 2
    servers.append(mf.UNIT, mf.mail(BUDI, "Mohon bantuan", "Mohon bantuan.")[0])  # written after the acks
    mf.run_once(config)
    assert len(mf.store_of(config).search.tickets()) == 3
    assert len(mf.of_kind(mf.inbox(servers, BUDI), "ack")) == 3
    assert all("Mohon bantuan" in mf.text_of(m) for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new"))


def test_lkpp_gets_a_problem_sent_twice_once(env):
    """SOP-015 step 1 after a double send with a file: the escalation carries the problem
    and its file once, not the copy's text and file again."""
    servers, config = env
    written = datetime.now(WIB) - timedelta(minutes=1)
    for _ in range(2):
        servers.append(mf.UNIT, mf.mail(BUDI, SUBJECT, TEXT, date=written,
                                        attachments=(("bukti-terkunci.pdf", "application/pdf", mf.PDF),))[0])
    mf.run_once(config)
    [notice] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nAkun PPK perlu dibuka oleh LKPP.")[0])
    mf.run_once(config)
    [escalation] = mf.of_kind(mf.inbox(servers, mf.LKPP), "escalate")
    assert mf.text_of(escalation).count("salah memasukkan kata sandi tiga kali") == 1
    assert [p.get_filename() for p in escalation.iter_attachments()].count("bukti-terkunci.pdf") == 1


def test_data_for_lkpp_sent_twice_goes_to_lkpp_once(env):
    """SOP-015 step 9 and SPEC 3: the requester answers LKPP's request with the files and
    presses Send twice (two Message-IDs): LKPP gets the data once, staff one update; a
    different answer afterwards still goes on."""
    servers, config = env
    servers.append(mf.UNIT, mf.mail(BUDI, SUBJECT, TEXT)[0])
    mf.run_once(config)
    notice = mf.inbox(servers, mf.STAFF[0])[-1]
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon dibuka akun PPK-nya.")[0])
    mf.run_once(config)
    escalation = mf.of_kind(mf.inbox(servers, mf.LKPP), "escalate")[0]
    servers.append(mf.UNIT, mf.reply_as_client(escalation, mf.LKPP, "Mohon dikirimkan SK pengangkatan PPK.",
                                               to=mf.UNIT)[0])
    mf.run_once(config)
    request = mf.of_kind(mf.inbox(servers, BUDI), "need_info")[0]
    data = mf.parse(mf.reply_as_client(request, BUDI, "Berikut SK pengangkatan PPK saya.")[0])
    data.add_attachment(mf.PDF, maintype="application", subtype="pdf", filename="SK PPK.pdf")
    first = data.as_bytes()
    data.replace_header("Message-ID", "<kirim-ulang-1@vendor.test>")
    servers.append(mf.UNIT, first)
    servers.append(mf.UNIT, data.as_bytes())
    mf.run_once(config)
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, mf.LKPP)] == ["escalate", "forward_info"]
    assert len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_update")) == 1
    servers.append(mf.UNIT, mf.reply_as_client(request, BUDI, "Maaf, ini juga KTP saya.")[0])
    mf.run_once(config)
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, mf.LKPP)] == ["escalate", "forward_info", "forward_info"]


def test_one_mail_reaching_the_unit_by_two_routes_one_reencoding_it_is_one_ticket(env):
    """To the unit's address and, in Cc, an alias delivered to the same mailbox through a
    relay that re-encodes 8-bit text as quoted-printable: one Message-ID, other bytes (so
    not a plain redelivery), the same mail: one ticket, one ack (SPEC 3)."""
    servers, config = env
    written = datetime.now(WIB) - timedelta(minutes=1)
    raw, _ = mf.mail(BUDI, SUBJECT, TEXT + "\nNomor RUP 31415926 – mohon segera.", date=written,
                     cc=("helpdesk.lpse@lpse.test",))
    reencoded = mf.parse(raw)
    reencoded.set_content(reencoded.get_content(), cte="quoted-printable")
    servers.append(mf.UNIT, raw)
    servers.append(mf.UNIT, reencoded.as_bytes())
    mf.run_once(config)
    assert len(mf.store_of(config).search.tickets()) == 1
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, BUDI)] == ["ack"]
    assert len(mf.inbox(servers, mf.UNIT, "Processed")) == 2


def test_a_chaser_sent_again_in_the_same_words_reaches_staff(env):
    """SPEC E2: 'Mohon segera dibantu' in reply to the ack, and again 40 minutes later to the
    same ack with nothing from the unit in between: both reach staff. The second was recorded
    as a copy and staff never heard the requester chase."""
    servers, config = env
    start = datetime.now(WIB) - timedelta(minutes=50)
    servers.append(mf.UNIT, mf.mail(BUDI, SUBJECT, TEXT, date=start)[0], msg_time=start)
    mf.run_once(config)
    [ack] = mf.of_kind(mf.inbox(servers, BUDI), "ack")
    for when in (start + timedelta(minutes=5), start + timedelta(minutes=45)):
        chaser = mf.parse(mf.reply_as_client(ack, BUDI, "Mohon segera dibantu, batas upload jam 15.00.")[0])
        chaser.replace_header("Date", format_datetime(when))
        servers.append(mf.UNIT, chaser.as_bytes(), msg_time=when)
        mf.run_once(config)
    assert len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_update")) == 2

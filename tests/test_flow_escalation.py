"""Issue "The SOP-015 escalation flow", end to end over real Dovecot and SMTP.

Every mail is read back from its recipient's IMAP INBOX as a mail client would, and
each step's state and history are asserted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from mailbot.io.store import ts
from mailbot.model import State
from tests import mailfactory as mf

REQUESTER = "budi@vendor.test"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    # Days of SOP-015 run here within seconds, with the default limits (SPEC 5): mail that
    # staff and LKPP cause is never limited.
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def ticket_state(config):
    [ticket] = mf.store_of(config).search.tickets()
    return ticket


def kinds(config):
    ticket = ticket_state(config)
    return [e["kind"] for e in mf.store_of(config).history.events_of(ticket.id)]


def open_ticket(servers, config):
    raw, _ = mf.mail(REQUESTER, "Gagal upload dokumen penawaran tender 12345",
                     "Selamat siang,\nsaat upload dokumen penawaran muncul error 500.\n\n"
                     "Nama: Budi Santoso\nPerusahaan: PT Maju Jaya\nHP: 0812-3456-7890",
                     name="Budi Santoso", attachments=(("error.pdf", "application/pdf", mf.PDF),))
    mf.deliver(servers, config, raw)
    return mf.latest(servers, mf.STAFF[0])


@pytest.mark.smoke
def test_whole_sop_015_path(env):
    """Acceptance 1: request, escalation, data request both ways, status, solution, YA 5."""
    servers, config = env
    notice = open_ticket(servers, config)
    assert ticket_state(config).state is State.OPEN

    # SOP-015 step 1: staff escalate with a note
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nError 500 di server SPSE, mohon dibantu pengecekan.")
    mf.deliver(servers, config, raw)
    assert ticket_state(config).state is State.ESCALATED
    escalation = mf.latest(servers, mf.LKPP)
    body = mf.text_of(escalation)
    assert "error 500" in body and "Error 500 di server SPSE" in body
    assert "Budi Santoso" in body and "PT Maju Jaya" in body and "0812-3456-7890" in body
    assert [p.get_filename() for p in escalation.iter_attachments()] == ["error.pdf"]
    assert "staff1@lpse.test" not in escalation.as_string()
    assert len(mf.inbox(servers, REQUESTER)) == 2  # ack + escalated_user
    assert "command_escalate" in kinds(config)

    # SOP-015 steps 5-7: LKPP asks for more data -> relayed to the requester
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "Mohon dilengkapi screenshot pesan error dan kode tender.",
                                to=mf.UNIT)
    mf.deliver(servers, config, raw)
    assert ticket_state(config).state is State.AWAITING_INFO
    request = mf.latest(servers, REQUESTER)
    assert "Mohon dilengkapi screenshot" in mf.text_of(request)
    for internal in (*mf.STAFF, "koordinator@lpse.test", "kepala@lpse.test"):  # SPEC 1: never to a requester
        assert internal not in request.as_string()

    # SOP-015 steps 8-10: the requester answers with a new attachment -> forwarded to LKPP
    raw, _ = mf.reply_as_client(request, REQUESTER, "Berikut screenshot-nya, kode tender 12345.")
    raw_msg = mf.parse(raw)
    raw_msg.add_attachment(PNG, maintype="image", subtype="png", filename="screenshot.png")
    mf.deliver(servers, config, raw_msg.as_bytes())
    assert ticket_state(config).state is State.ESCALATED
    forwarded = mf.latest(servers, mf.LKPP)
    assert "kode tender 12345" in mf.text_of(forwarded)
    assert [p.get_filename() for p in forwarded.iter_attachments()] == ["screenshot.png"]

    # SOP-015 steps 12/14: a status report is recorded and relayed (relay_status)
    raw, _ = mf.reply_as_client(forwarded, mf.LKPP, "Permasalahan sedang kami proses oleh tim teknis.", to=mf.UNIT)
    mf.deliver(servers, config, raw)
    assert ticket_state(config).state is State.ESCALATED
    events = mf.store_of(config).history.events_of(ticket_state(config).id)
    assert any(e["kind"] == "lkpp_replied" and '"status"' in e["detail"] for e in events)
    assert "sedang kami proses" in mf.text_of(mf.latest(servers, REQUESTER))

    # SOP-015 step 13: LKPP says it is fixed -> the solution reaches the requester
    raw, _ = mf.reply_as_client(forwarded, mf.LKPP, "Permasalahan telah kami perbaiki, silakan dicoba kembali.",
                                to=mf.UNIT)
    mf.deliver(servers, config, raw)
    assert ticket_state(config).state is State.RESOLVED
    solution = mf.latest(servers, REQUESTER)
    assert "telah kami perbaiki" in mf.text_of(solution) and "YA" in mf.text_of(solution)

    # seed 002 step 12: the requester confirms with a rating
    raw, _ = mf.reply_as_client(solution, REQUESTER, "YA 5\nTerima kasih banyak.")
    mf.deliver(servers, config, raw)
    ticket = ticket_state(config)
    assert ticket.state is State.CLOSED and ticket.rating == 5
    assert "closing_confirmed" in kinds(config)
    # each of LKPP's texts reached the requester once, as their mailbox shows
    texts = [" ".join(mf.text_of(m).split()) for m in mf.inbox(servers, REQUESTER)]
    for words in ("Mohon dilengkapi screenshot", "sedang kami proses", "telah kami perbaiki"):
        assert sum(words in text for text in texts) == 1, words


def escalate(servers, config):
    notice = open_ticket(servers, config)
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan.")
    mf.deliver(servers, config, raw)
    return mf.latest(servers, mf.LKPP)


@pytest.mark.parametrize(("text", "state"), [
    ("Permasalahan tersebut merupakan kewenangan LPSE, silakan reset melalui menu admin agency.", State.OPEN),
    ("Terima kasih atas emailnya.", State.ESCALATED),
])
def test_returned_and_unclassified_go_to_staff_only(env, text, state):
    """Acceptance 2: `returned` and an unclassified reply reach staff, not the requester."""
    servers, config = env
    escalation = escalate(servers, config)
    before = len(mf.inbox(servers, REQUESTER))
    staff_before = len(mf.inbox(servers, mf.STAFF[0]))
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, text, to=mf.UNIT)
    mf.deliver(servers, config, raw)
    assert ticket_state(config).state is state
    assert len(mf.inbox(servers, REQUESTER)) == before
    assert len(mf.inbox(servers, mf.STAFF[0])) == staff_before + 1
    assert text.split(",")[0] in mf.text_of(mf.latest(servers, mf.STAFF[0]))


def test_quoted_command_runs_nothing_and_duplicate_runs_once(env):
    """Acceptance 3: #tutup below the quote marker runs nothing; a command delivered twice runs once."""
    servers, config = env
    notice = open_ticket(servers, config)
    # the requester wrote "#tutup" in their own text; staff quote it below their answer
    quoted = notice
    raw, _ = mf.reply_as_client(quoted, mf.STAFF[0], "Baik, kami cek dulu.")
    answer = mf.parse(raw)
    body = mf.text_of(answer).replace("> ", "> #tutup\n> ", 1)
    answer.set_content(body)
    mf.deliver(servers, config, answer.as_bytes())
    assert ticket_state(config).state is State.ANSWERED

    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#prioritas tinggi")
    servers.append(mf.UNIT, raw)
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    assert kinds(config).count("priority_changed") == 1
    assert ticket_state(config).priority == "high"


def test_unknown_command_answers_only_the_sender(env):
    """Acceptance 4: an unknown command gets command_error to the sender, nothing else."""
    servers, config = env
    notice = open_ticket(servers, config)
    requester_before = len(mf.inbox(servers, REQUESTER))
    raw, _ = mf.reply_as_client(notice, mf.STAFF[1], "#hapus\nHapus tiket ini.")
    mf.deliver(servers, config, raw)
    assert ticket_state(config).state is State.OPEN
    assert len(mf.inbox(servers, REQUESTER)) == requester_before
    error = mf.latest(servers, mf.STAFF[1])
    assert "#hapus" in mf.text_of(error) and "#eskalasi" in mf.text_of(error)
    # the commands that apply to the open ticket now, not a held form's answers nor an ack nobody held
    assert not {"#buka", "#batal", "#kirim-tanda-terima", "#permintaan-data"} & set(mf.text_of(error).split())
    assert len(mf.inbox(servers, mf.STAFF[0])) == 1  # only the original notification


def test_rejection_reopens_and_late_mail_opens_new_ticket(env):
    """Acceptance 5: TIDAK reopens; mail after reopen_days opens a new ticket citing the old."""
    servers, config = env
    notice = open_ticket(servers, config)
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nSilakan hapus cache browser lalu coba lagi.")
    mf.deliver(servers, config, raw)
    assert ticket_state(config).state is State.RESOLVED
    solution = mf.latest(servers, REQUESTER)
    raw, _ = mf.reply_as_client(solution, REQUESTER, "TIDAK, masih error yang sama.")
    mf.deliver(servers, config, raw)
    ticket = ticket_state(config)
    assert ticket.state is State.OPEN and ticket.assignee == mf.STAFF[0]

    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#tutup")
    mf.deliver(servers, config, raw)
    store = mf.store_of(config)
    long_ago = datetime.now(UTC) - timedelta(days=20)
    store.db["tickets"].update(ticket.id, {"closed_at": ts(long_ago)})
    raw, _ = mf.reply_as_client(solution, REQUESTER, "Masalahnya muncul lagi.")
    mf.deliver(servers, config, raw)
    tickets = mf.store_of(config).search.tickets()
    assert [t.state for t in tickets] == [State.CLOSED, State.OPEN]
    assert tickets[1].reopened_from == tickets[0].id
    assert tickets[0].number in mf.text_of(mf.latest(servers, REQUESTER))


def test_lkpp_ticket_number_is_recorded_and_matches(env):
    """SPEC 3: LKPP's own [Ticket#...] number is recorded and later LKPP mail citing only it matches."""
    servers, config = env
    escalation = escalate(servers, config)
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "Laporan Anda kami terima dengan nomor tiket tersebut.",
                                to=mf.UNIT)
    msg = mf.parse(raw)
    msg.replace_header("Subject", "[Ticket#2026112110000123] " + str(msg["Subject"]))
    mf.deliver(servers, config, msg.as_bytes())
    assert ticket_state(config).lkpp_ticket == "2026112110000123"

    # LKPP's system writes again with only its own number: no tag, no reference
    raw, _ = mf.mail(mf.LKPP, "[Ticket#2026112110000123] Pembaruan status", "Tiket Anda sedang diproses.")
    mf.deliver(servers, config, raw)
    store = mf.store_of(config)
    ticket = ticket_state(config)
    assert len(store.search.tickets()) == 1
    senders = [m["sender"] for m in store.messages.messages_of(ticket.id) if m["direction"] == "in"]
    assert senders.count(mf.LKPP) == 2


def test_lkpp_html_only_solution_reaches_the_requester_with_its_link(env):
    """SPEC E14 (SOP-015 step 13, the solution relayed to the requester) and step 4 ("menyertakan
    panduan tata cara penyelesaiannya"). Helpdesk LKPP answers in HTML only, pointing to the
    guide with a link: the requester read "Cara mengirim penawaran ada pada tautan berikut."
    with no address anywhere, and no way to the guide."""
    servers, config = env
    escalation = escalate(servers, config)
    guide = "https://lpse.lkpp.go.id/panduan/Panduan%20Kirim%20Penawaran%20SPSE%204.5.pdf"
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "x", to=mf.UNIT)
    answer = mf.parse(raw)
    answer.set_content("<html><body><p>Yth.&nbsp;Helpdesk LPSE,</p><p>Permasalahan telah kami perbaiki, silakan "
                       f"dicoba kembali. Cara mengirim penawaran ada pada <a href=\"{guide}\">tautan berikut</a>.</p>"
                       "<p>Salam,<br>TUS LKPP</p></body></html>", subtype="html")
    mf.deliver(servers, config, answer.as_bytes())

    assert ticket_state(config).state is State.RESOLVED
    solution = mf.text_of(mf.latest(servers, REQUESTER))
    assert "Cara mengirim penawaran ada pada tautan berikut" in solution
    assert guide in solution


def lkpp_asks(servers, config, words: str):
    """The ticket escalated and LKPP asking for data in `words` (SOP-015 step 7): the
    `need_info` mail the requester got."""
    raw, _ = mf.reply_as_client(escalate(servers, config), mf.LKPP, words, to=mf.UNIT)
    mf.deliver(servers, config, raw)
    request = mf.latest(servers, REQUESTER)
    assert request["X-Mailbot-Kind"] == "need_info"
    return request

def test_data_sent_as_files_alone_reaches_lkpp_without_our_quoted_request(env):
    """SPEC E3 (SOP-015 step 9) and 4: "Quoted history in replies is never relayed; only the new
    text is." The requester answers LKPP's request the commonest way: the files, no words,
    above their client's quote of our mail. LKPP received our own letter back ("Yth. Bapak/Ibu
    Budi Santoso, Helpdesk LKPP membutuhkan data tambahan ...", its footer and all) as "data
    tambahan dari Pengguna SPSE"; the files must go on, the quote must not."""
    servers, config = env
    request = lkpp_asks(servers, config, "Mohon dilengkapi surat kuasa dan NIB perusahaan.")

    raw, _ = mf.reply_as_client(request, REQUESTER, "")
    data = mf.parse(raw)
    data.add_attachment(mf.PDF, maintype="application", subtype="pdf", filename="Surat Kuasa (final).pdf")
    mf.deliver(servers, config, data.as_bytes())

    assert ticket_state(config).state is State.ESCALATED
    forwarded = mf.latest(servers, mf.LKPP)
    assert forwarded["X-Mailbot-Kind"] == "forward_info"
    assert [(p.get_filename(), p.get_content()) for p in forwarded.iter_attachments()] == [
        ("Surat Kuasa (final).pdf", mf.PDF)]
    text = mf.text_of(forwarded)
    assert "Surat Kuasa (final).pdf" in text
    for ours in ("Yth. Bapak/Ibu", "membutuhkan data tambahan", "menulis:", "> "):
        assert ours not in text, ours


def _gmail_forward_of_a_colleagues_answer(request) -> str:
    """Budi forwarded our request to his director, who answered from Gmail quoting that forward;
    Budi forwards the answer to the unit: our request sits two levels down in it."""
    ours = "\n".join("> " + line for line in mf.text_of(request).splitlines())
    return ("Berikut data dari direktur kami.\n\n---------- Forwarded message ---------\n"
            "From: Rudi Hartono <rudi@vendor.test>\nDate: Sen, 23 Nov 2026 pukul 10.12\n"
            f"Subject: Re: Fwd: {request['Subject']}\nTo: Budi Santoso <{REQUESTER}>\n\n"
            "Pak Budi, NIB kami 9120001234567, surat kuasa sudah saya tanda tangani.\n\n"
            f"Pada Sen, 23 Nov 2026 pukul 09.30 Budi Santoso <{REQUESTER}> menulis:\n"
            "> Pak Rudi, mohon dikirim NIB dan surat kuasa.\n>\n> ---------- Forwarded message ---------\n"
            f"> From: Helpdesk LPSE Uji <{mf.UNIT}>\n> Date: Sen, 23 Nov 2026 pukul 09.00\n"
            f"> Subject: {request['Subject']}\n> To: <{REQUESTER}>\n>\n{ours}\n")


def _outlook_forward_of_our_request(request) -> str:
    """Budi pressed Forward instead of Reply in Outlook (Indonesian), typed the data above."""
    return ("NIB kami 9120001234567, surat kuasa sudah ditandatangani direktur.\n\n"
            f"________________________________\nDari: Helpdesk LPSE Uji <{mf.UNIT}>\n"
            f"Dikirim: Senin, 23 November 2026 09.00\nKepada: Budi Santoso <{REQUESTER}>\n"
            f"Subjek: {request['Subject']}\n\n{mf.text_of(request)}\n")


@pytest.mark.parametrize(("subject", "body"), [
    ("Fwd: Re: Fwd: ", _gmail_forward_of_a_colleagues_answer),
    ("FW: ", _outlook_forward_of_our_request),
])
def test_data_forwarded_to_lkpp_leaves_our_own_request_out(env, subject, body):
    """SPEC E3 (SOP-015 step 9) and 4 ("Quoted history in replies is never relayed"): the requester
    forwards the data LKPP asked for. LKPP must get the data and the forwarded answer, not our own
    request quoted back inside it: LKPP received "Helpdesk LKPP membutuhkan data tambahan ...
    Mohon balas email ini tanpa mengubah subjek ..." as "data tambahan dari Pengguna SPSE"."""
    servers, config = env
    request = lkpp_asks(servers, config, "Mohon dilengkapi surat kuasa dan NIB perusahaan.")

    raw, _ = mf.mail(REQUESTER, subject + str(request["Subject"]), body(request), name="Budi Santoso")
    mf.deliver(servers, config, raw)

    assert ticket_state(config).state is State.ESCALATED
    forwarded = mf.latest(servers, mf.LKPP)
    assert forwarded["X-Mailbot-Kind"] == "forward_info"
    text = mf.text_of(forwarded)
    assert "NIB kami 9120001234567" in text
    for ours in ("Yth. Bapak/Ibu Budi Santoso", "membutuhkan data tambahan", "Berikut permintaan dari Helpdesk LKPP",
                 "tanpa mengubah subjek agar pesan Anda tercatat", f"Helpdesk LPSE Uji <{mf.UNIT}>"):
        assert ours not in text, ours


def test_a_forwarded_answer_keeps_what_its_writer_quoted_from_others(env):
    """SPEC E3: the forwarded part is the data; only the unit's own mail comes out of it. Pokja's
    answer with the requester's question it quotes goes on to LKPP as it was."""
    servers, config = env
    request = lkpp_asks(servers, config, "Mohon dilengkapi surat jawaban Pokja dan kode tender.")
    body = ("Berikut jawaban Pokja.\n\n---------- Forwarded message ---------\n"
            "From: Pokja Pemilihan 3 <pokja3@batam.go.id>\nDate: Sen, 23 Nov 2026 pukul 10.12\n"
            f"Subject: Re: Perpanjangan jadwal\nTo: Budi Santoso <{REQUESTER}>\n\n"
            "Jadwal belum dapat diperpanjang sebelum ada surat dari LKPP.\n\n"
            f"Pada Sen, 23 Nov 2026 pukul 09.30 Budi Santoso <{REQUESTER}> menulis:\n"
            "> Mohon jadwal upload paket 10012345000 diperpanjang.\n")
    raw, _ = mf.mail(REQUESTER, "Fwd: " + str(request["Subject"]), body, name="Budi Santoso")
    mf.deliver(servers, config, raw)
    text = mf.text_of(mf.latest(servers, mf.LKPP, "forward_info"))
    assert "Jadwal belum dapat diperpanjang" in text
    assert "> Mohon jadwal upload paket 10012345000 diperpanjang." in text


def test_a_forwarded_answer_of_the_units_own_pokja_reaches_lkpp(env):
    """SPEC E3 (SOP-015 step 9): the answer of a Pokja of the same LPSE, whose address holds the
    unit's (pokja.lpse@... for lpse@...), is the data LKPP asked for, not the unit's own mail:
    LKPP got only "Berikut jawaban Pokja." without the answer."""
    servers, config = env
    request = lkpp_asks(servers, config, "Mohon dilengkapi surat jawaban Pokja dan kode tender.")
    body = ("Berikut jawaban Pokja.\n\n---------- Forwarded message ---------\n"
            f"From: Pokja Pemilihan 3 <pokja.{mf.UNIT}>\nDate: Sen, 23 Nov 2026 pukul 10.12\n"
            f"Subject: Re: Perpanjangan jadwal\nTo: Budi Santoso <{REQUESTER}>\n\n"
            "Jadwal belum dapat diperpanjang sebelum ada surat dari LKPP. Kode tender 10012345000.\n")
    raw, _ = mf.mail(REQUESTER, "Fwd: " + str(request["Subject"]), body, name="Budi Santoso")
    mf.deliver(servers, config, raw)
    assert "Jadwal belum dapat diperpanjang" in mf.text_of(mf.latest(servers, mf.LKPP, "forward_info"))


@pytest.mark.parametrize("how", ["empty reply", "forward of our request alone"])
def test_a_reply_with_no_data_is_not_sent_to_lkpp_and_the_ticket_still_waits(env, how):
    """E3 (SOP-015 step 9): Send pressed on an empty reply to LKPP's request, or our request
    forwarded back with nothing typed and nothing attached, holds no data. LKPP got an empty
    "data tambahan" mail ("tidak ada lampiran") and the ticket left awaiting_info, so the
    requester was never reminded; now LKPP gets nothing, staff see the mail, and the ticket
    still waits on the requester."""
    servers, config = env
    request = lkpp_asks(servers, config, "Mohon dilengkapi surat kuasa dan NIB perusahaan.")
    if how == "empty reply":
        raw, _ = mf.reply_as_client(request, REQUESTER, "")
    else:
        raw, _ = mf.mail(REQUESTER, "FW: " + str(request["Subject"]),
                         _outlook_forward_of_our_request(request).split("\n\n", 1)[1], name="Budi Santoso")
    mf.deliver(servers, config, raw)
    assert not mf.of_kind(mf.inbox(servers, mf.LKPP), "forward_info")
    assert ticket_state(config).state is State.AWAITING_INFO
    assert mf.latest(servers, mf.STAFF[0])["X-Mailbot-Kind"] == "staff_update"


def test_lkpp_desk_that_tags_its_own_name_is_threaded_by_its_number(env):
    """SPEC 3: "When LKPP's own system answers with its own ticket number ... that number is
    recorded on the ticket and later LKPP mail citing it is matched by it." LKPP's desk tags
    its mail "[LKPP #123456]" and acknowledges "nomor tiket 123456" with no colon: the number
    was never recorded, so its agent's next mail, citing only that number, reached staff as
    unmatched and never joined the ticket."""
    servers, config = env
    escalation = escalate(servers, config)
    mid = str(escalation["Message-ID"]).strip("<>")
    ack, _ = mf.mail(mf.LKPP, f"[LKPP #123456] Re: {escalation['Subject']}",
                     "Terima kasih, email Anda telah kami terima, nomor tiket 123456.\n"
                     "Tim kami akan segera menindaklanjuti.", in_reply_to=mid,
                     headers={"Auto-Submitted": "auto-replied"})
    mf.deliver(servers, config, ack)
    assert ticket_state(config).lkpp_ticket == "123456"

    raw, _ = mf.mail(mf.LKPP, "[LKPP #123456] Tanggapan Helpdesk LKPP", "Mohon dilampirkan screenshot pesan error.")
    mf.deliver(servers, config, raw)
    store = mf.store_of(config)
    assert len(store.search.tickets()) == 1
    inbound = [m["sender"] for m in store.messages.messages_of(ticket_state(config).id) if m["direction"] == "in"]
    assert inbound.count(mf.LKPP) == 2


def test_lkpp_desks_reply_marker_and_the_history_below_it_stay_with_lkpp(env):
    """SPEC 4 ("Quoted history in replies is never relayed; only the new text is") and 1 (the
    staff note is internal). LKPP answers from a ticket system (HTML only) that writes its
    answer above "##- Please do not reply below this line -##" and the ticket's history, our
    escalation with the staff's note, unquoted below it. The requester's solution carried
    the marker, the desk's footer ("Ticket #123456 | Status: Solved", "To add additional
    comments, reply to this email.") and the history's first heading; nothing below the
    marker may reach them."""
    servers, config = env
    notice = open_ticket(servers, config)
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0],
                                "#eskalasi\nPenyedia ini sudah tiga kali lapor, mohon didahulukan.")
    mf.deliver(servers, config, raw)
    escalation = mf.latest(servers, mf.LKPP)
    html = ("<html><body><div>Yth. Helpdesk LPSE,</div><div>Permasalahan sudah kami perbaiki, silakan dicoba "
            "kembali.</div><div>Salam,<br>Andi - Helpdesk LKPP</div>"
            "<div style=\"color:#b5b5b5\">##- Please do not reply below this line -##</div>"
            "<p>Ticket #123456 | Status: Solved</p>"
            "<p>Your request (123456) has been updated. To add additional comments, reply to this email.</p>"
            "<hr><p><b>Helpdesk LPSE Uji</b> 24 Nov 2026, 09.00 WIB</p>"
            "<div>" + mf.text_of(escalation).replace("\n", "<br>") + "</div></body></html>")
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "x", to=mf.UNIT)
    answer = mf.parse(raw)
    answer.set_content(html, subtype="html")
    mf.deliver(servers, config, answer.as_bytes())

    assert ticket_state(config).state is State.RESOLVED
    solution = mf.text_of(mf.latest(servers, REQUESTER, "resolved_lkpp"))
    assert "Permasalahan sudah kami perbaiki, silakan dicoba kembali." in solution
    for theirs in ("below this line", "Ticket #123456", "To add additional comments", "tiga kali lapor",
                   "CATATAN PETUGAS", "Yth. Helpdesk LKPP"):
        assert theirs not in solution, theirs


@pytest.mark.parametrize(("words", "state", "kind"), [
    ("Permasalahan sudah kami perbaiki, silakan dicoba kembali.", State.RESOLVED, "resolved_lkpp"),
    ("Mohon dilampirkan screenshot pesan error dan kode tender.", State.AWAITING_INFO, "need_info"),
])
def test_lkpp_desk_answering_from_a_no_reply_address_is_heard(env, words, state, kind):
    """SPEC E13/E14 (SOP-015 steps 7 and 13): LKPP's ticket desk sends its agent's answer to
    our escalation from "noreply@lkpp..." (no Auto-Submitted, no list headers). The no-reply
    address made it "automatic": it was recorded in silence, the requester never got the
    solution or the data request, staff were not told, and the ticket stayed escalated with
    its status request to LKPP still to come."""
    servers, config = env
    escalation = escalate(servers, config)
    raw, _ = mf.reply_as_client(escalation, "noreply@lkpp.test", words, to=mf.UNIT)
    mf.deliver(servers, config, raw)
    assert ticket_state(config).state is state
    assert words in mf.text_of(mf.latest(servers, REQUESTER, kind))
    assert mf.latest(servers, mf.STAFF[0])["X-Mailbot-Kind"] == "staff_lkpp"


@pytest.mark.parametrize("subject", ["Balasan otomatis: Re: {}", "[Auto-Reply] Re: {}"])
def test_lkpp_auto_reply_from_a_no_reply_address_reaches_no_requester(env, subject):
    """SPEC 5: an auto-reply is never answered, and its words are no news from LKPP. LKPP's
    mail system answers our escalation from "noreply@lkpp..." with an autoresponder's subject
    but no Auto-Submitted header: "sedang dalam proses" made it an LKPP progress report, and
    the requester got a status_user mail relaying the auto-reply."""
    servers, config = env
    escalation = escalate(servers, config)
    before = len(mf.inbox(servers, REQUESTER))
    raw, _ = mf.mail("noreply@lkpp.test", subject.format(escalation["Subject"]),
                     "Terima kasih, email Anda telah kami terima dan sedang dalam proses penanganan oleh tim kami.",
                     in_reply_to=str(escalation["Message-ID"]).strip("<>"))
    mf.deliver(servers, config, raw)
    assert len(mf.inbox(servers, REQUESTER)) == before
    assert ticket_state(config).state is State.ESCALATED


def test_lkpp_answering_below_our_escalation_in_outlook_relays_only_its_answer(env):
    """SPEC 4: an LKPP agent who writes under Outlook's "-----Original Message-----" block
    (our escalation quoted unmarked above the answer) gives the requester the answer alone:
    not the block's From/Sent/To/Subject lines, not LKPP's address, not our letter."""
    servers, config = env
    esc = escalate(servers, config)
    body = ("-----Original Message-----\nFrom: Helpdesk LPSE Uji <lpse@lpse.test>\n"
            "Sent: Monday, November 23, 2026 10:00 AM\nTo: helpdesk@lkpp.test\nSubject: " + str(esc["Subject"])
            + "\n\n" + mf.text_of(esc) + "\n\nSudah kami perbaiki, silakan dicoba kembali.\n\nSalam,\nAndi\n")
    raw, _ = mf.mail(mf.LKPP, "RE: " + str(esc["Subject"]), body, in_reply_to=str(esc["Message-ID"]).strip("<>"),
                     to=mf.UNIT)
    mf.deliver(servers, config, raw)
    solution = mf.text_of(mf.latest(servers, REQUESTER, "resolved_lkpp"))
    assert "Sudah kami perbaiki, silakan dicoba kembali." in solution
    for leaked in ("Original Message", "Sent: Monday", "helpdesk@lkpp.test", "To: ", "Yth. Helpdesk LKPP"):
        assert leaked not in solution, leaked


def test_lkpp_answer_only_in_an_attached_mail_is_not_relayed_as_attached_with_nothing(fresh_mailboxes, tmp_path):
    """LKPP's desk sends its answer as an attached mail (Outlook "forward as attachment" of
    the officer's answer) with no text of its own: the requester must not be told the answer
    is attached to a mail that carries nothing."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail("budi@vendor.test", "Tidak bisa kirim penawaran", "Muncul error.")[0])
    notice = mf.latest(servers, mf.STAFF[0])
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan.")[0])
    escalation = mf.latest(servers, mf.LKPP)
    inner = EmailMessage()
    inner["From"], inner["To"], inner["Subject"] = "petugas@lkpp.test", mf.LKPP, "Jawaban"
    inner.set_content("Silakan hapus cache browser lalu login ulang; masalah sudah kami perbaiki.")
    answer = mf.parse(mf.reply_as_client(escalation, mf.LKPP, "", to=mf.UNIT)[0])
    answer.add_attachment(inner)
    mf.deliver(servers, config, answer.as_bytes())
    before = len(servers.fetch("budi@vendor.test", "INBOX"))
    staff_seen = mf.latest(servers, mf.STAFF[0])
    print("staff got:", staff_seen["X-Mailbot-Kind"], staff_seen["Subject"])
    mf.deliver(servers, config, mf.reply_as_client(staff_seen, mf.STAFF[0], "#teruskan")[0])
    got = servers.fetch("budi@vendor.test", "INBOX")[before:]
    for raw in got:
        m = mf.parse(raw)
        print(m["X-Mailbot-Kind"], [p.get_content_type() for p in m.walk()])
        print(m.get_body(("plain",)).get_content()[:600])
        if "terlampir" in m.get_body(("plain",)).get_content():
            assert list(m.iter_attachments()), "told 'terlampir' with nothing attached"

"""Issue "Mail in, ticket, answer out": end to end over real Dovecot and SMTP.

Every outcome is read back from the recipients' IMAP mailboxes as a mail client would.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mailbot.config.load import load_config
from mailbot.model import State
from tests import mailfactory as mf

YEAR = datetime.now(ZoneInfo("Asia/Jakarta")).year
SUBJECT = "Permohonan reset kata sandi akun SPSE – Dinas Pekerjaan Umum"


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    config = mf.write_config(fresh_mailboxes, tmp_path)
    return fresh_mailboxes, config


def first_ticket_mail(servers, config):
    raw, mid = mf.mail("budi@vendor.test", SUBJECT,
                       "Selamat siang,\nakun SPSE saya terkunci setelah salah kata sandi.\nMohon bantuannya.\n\nBudi",
                       name="Budi Santoso", attachments=(("bukti layar.pdf", "application/pdf", mf.PDF),))
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    return mid


@pytest.mark.smoke
def test_requester_mail_becomes_ticket_ack_and_staff_notice(env):
    """Acceptance 1: ticket, ack threaded to the original, staff copy with the PDF, original Processed."""
    servers, config = env
    original_id = first_ticket_mail(servers, config)
    number = f"{YEAR}-00001"
    tag = f"[{mf.PREFIX} #{number}]"

    tickets = mf.store_of(config).search.tickets()
    assert [(t.number, t.state, t.requester.addr) for t in tickets] == [(number, State.OPEN, "budi@vendor.test")]

    [ack] = mf.inbox(servers, "budi@vendor.test")
    # under auth.mode token nobody outside proves an address, so the ack carries the tag and a neutral title
    assert ack["Subject"] == f"{tag} Tanda terima pengaduan/pertanyaan Anda"
    assert ack["In-Reply-To"] == f"<{original_id}>"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["From"].addresses[0].addr_spec == mf.UNIT
    assert ack["Reply-To"].addresses[0].addr_spec == mf.UNIT
    assert number in mf.text_of(ack)

    for staff in mf.STAFF:
        [notice] = mf.inbox(servers, staff)
        assert tag in notice["Subject"]
        [pdf] = [p for p in notice.iter_attachments() if p.get_filename() == "bukti layar.pdf"]
        assert pdf.get_content() == mf.PDF
        assert "akun SPSE saya terkunci" in mf.text_of(notice)

    assert mf.inbox(servers, mf.UNIT) == []
    [processed] = mf.inbox(servers, mf.UNIT, "Processed")
    assert processed["Message-ID"] == f"<{original_id}>"

    # a second pass sends nothing and creates nothing
    mf.run_once(config)
    assert len(mf.store_of(config).search.tickets()) == 1
    assert len(mf.inbox(servers, "budi@vendor.test")) == 1
    assert all(len(mf.inbox(servers, s)) == 1 for s in mf.STAFF)


def test_staff_reply_reaches_requester_without_quotes_or_staff_address(env):
    """Acceptance 2: only the new text, From the unit, no staff address; #catatan sends nothing."""
    servers, config = env
    first_ticket_mail(servers, config)
    [notice] = mf.inbox(servers, "staff1@lpse.test")
    answer = ("Yth. Bapak Budi,\nakun sudah kami buka kembali. Silakan login ulang.\n"
              "Hubungi staff1@lpse.test bila perlu.")
    raw, _ = mf.reply_as_client(notice, "staff1@lpse.test", answer)
    servers.append(mf.UNIT, raw)
    mf.run_once(config)

    _ack, reply = mf.inbox(servers, "budi@vendor.test")
    body = mf.text_of(reply)
    assert "akun sudah kami buka kembali" in body
    assert "akun SPSE saya terkunci" not in body  # the quoted history stayed behind
    assert "menulis:" not in body
    assert "staff1@lpse.test" not in reply.as_string()
    assert reply["From"].addresses[0].addr_spec == mf.UNIT
    assert f"[{mf.PREFIX} #{YEAR}-00001]" in reply["Subject"]
    assert reply["Auto-Submitted"] is None
    ticket = mf.store_of(config).search.tickets()[0]
    assert ticket.state is State.ANSWERED and ticket.first_response_at is not None

    raw, _ = mf.reply_as_client(notice, "staff2@lpse.test", "#catatan sudah ditelepon, menunggu konfirmasi")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    assert len(mf.inbox(servers, "budi@vendor.test")) == 2  # nothing more to the requester
    events = [e["kind"] for e in mf.store_of(config).history.events_of(ticket.id)]
    assert "note" in events


@pytest.mark.smoke
def test_staff_command_from_an_outlook_html_reply_acts_and_relays_only_the_answer(env):
    """SPEC 4: an HTML-only Outlook reply (no text part), each line a paragraph: `#prioritas
    rendah`, then `#selesai:` with a no-break space and a zero-width space, the history under
    Outlook's divider: both commands run, and the requester gets only the answer, with
    neither a command nor the quoted notice."""
    servers, config = env
    first_ticket_mail(servers, config)
    [notice] = mf.inbox(servers, "staff1@lpse.test")
    raw, _ = mf.mail("staff1@lpse.test", "RE: " + str(notice["Subject"]), "placeholder",
                     in_reply_to=str(notice["Message-ID"]).strip("<>"))
    reply = mf.parse(raw)
    reply.set_content(
        '<html><body><div class="WordSection1"><p class="MsoNormal">#prioritas rendah<o:p></o:p></p>'
        '<p class="MsoNormal">&#8203;#selesai:&nbsp;Akun sudah kami buka '
        'kembali, silakan login ulang.<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p></div>'
        '<hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr">'
        f'<b>From:</b> LPSE &lt;{mf.UNIT}&gt;<br><b>Sent:</b> Monday, November 23, 2026 9:15 AM<br>'
        f'<b>Subject:</b> {notice["Subject"]}</div><div>{mf.text_of(notice)}</div></body></html>', subtype="html")
    servers.append(mf.UNIT, reply.as_bytes())
    mf.run_once(config)

    ticket = mf.store_of(config).search.tickets()[0]
    assert ticket.state is State.RESOLVED and ticket.priority == "low"
    _ack, resolved = mf.inbox(servers, "budi@vendor.test")
    assert resolved["X-Mailbot-Kind"] == "resolved"
    body = mf.text_of(resolved)
    assert "Akun sudah kami buka kembali, silakan login ulang." in body
    assert "#selesai" not in body and "#prioritas" not in body and "akun SPSE saya terkunci" not in body
    assert not mf.of_kind(mf.inbox(servers, "staff1@lpse.test"), "command_error")


def test_requester_replies_thread_by_tag_and_by_reference(env):
    """Acceptance 3: tag, lost tag with In-Reply-To, and a stranger citing the tag."""
    servers, config = env
    first_ticket_mail(servers, config)
    [ack] = mf.inbox(servers, "budi@vendor.test")

    raw, _ = mf.reply_as_client(ack, "budi@vendor.test", "Ini tambahan screenshot-nya.")
    servers.append(mf.UNIT, raw)
    raw, _ = mf.reply_as_client(ack, "budi@vendor.test", "Nomor HP saya 0812-1111-2222.", keep_subject=False)
    servers.append(mf.UNIT, raw)
    raw, _ = mf.mail("sari@dinas.test", f"Re: [{mf.PREFIX} #{YEAR}-00001] saya juga", "Saya mengalami hal yang sama.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)

    store = mf.store_of(config)
    tickets = store.search.tickets()
    assert [t.number for t in tickets] == [f"{YEAR}-00001", f"{YEAR}-00002"]
    first, second = tickets
    inbound = [m for m in store.messages.messages_of(first.id) if m["direction"] == "in"]
    assert [m["sender"] for m in inbound] == ["budi@vendor.test"] * 3
    assert second.requester.addr == "sari@dinas.test"
    assert any(e["kind"] == "cites_ticket" for e in store.history.events_of(second.id))
    assert any(e["kind"] == "cited_by_ticket" for e in store.history.events_of(first.id))
    [sari_ack] = mf.inbox(servers, "sari@dinas.test")
    assert f"#{YEAR}-00002]" in sari_ack["Subject"]


def test_forged_staff_reply_runs_nothing(env):
    """A staff From without a signed reference is kept as an unverified note; the requester sees nothing."""
    servers, config = env
    first_ticket_mail(servers, config)
    raw, _ = mf.mail("staff1@lpse.test", f"Re: [{mf.PREFIX} #{YEAR}-00001] {SUBJECT}", "#tutup\nKami tutup.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    store = mf.store_of(config)
    ticket = store.search.tickets()[0]
    assert ticket.state is State.OPEN
    assert len(mf.inbox(servers, "budi@vendor.test")) == 1  # only the ack
    assert any(e["kind"] == "unverified_note" for e in store.history.events_of(ticket.id))
    alerts = mf.of_kind(mf.inbox(servers, "koordinator@lpse.test"), "unverified")  # the daily digest may come too
    assert len(alerts) == 1 and "staff1@lpse.test" in mf.text_of(alerts[0])


def test_same_message_delivered_twice_is_handled_once(env):
    """A Message-ID already recorded is never processed twice."""
    servers, config = env
    raw, _ = mf.mail("budi@vendor.test", "Tidak bisa upload dokumen penawaran", "Mohon bantuan, upload gagal.")
    servers.append(mf.UNIT, raw)
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    assert len(mf.store_of(config).search.tickets()) == 1
    assert len(mf.inbox(servers, "budi@vendor.test")) == 1
    assert len(mf.inbox(servers, mf.UNIT, "Processed")) == 2


def test_staff_mail_without_ticket_gets_explanation(env):
    """SPEC 3: staff mail matching no ticket gets an explanatory reply, no ticket."""
    servers, config = env
    raw, _ = mf.mail("staff2@lpse.test", "Pertanyaan umum", "Halo, ini tes.")
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    assert mf.store_of(config).search.tickets() == []
    [explanation] = mf.inbox(servers, "staff2@lpse.test")
    assert "tidak terkait dengan tiket" in mf.text_of(explanation)


def test_autoreply_is_recorded_not_answered(env):
    """SPEC 5: an out-of-office reply to our ack is attached to the ticket and not answered."""
    servers, config = env
    first_ticket_mail(servers, config)
    [ack] = mf.inbox(servers, "budi@vendor.test")
    raw, _ = mf.mail("budi@vendor.test", "Automatic reply: " + str(ack["Subject"]), "Saya sedang cuti.",
                     in_reply_to=str(ack["Message-ID"]).strip("<>"), headers={"Auto-Submitted": "auto-replied"})
    servers.append(mf.UNIT, raw)
    mf.run_once(config)
    store = mf.store_of(config)
    ticket = store.search.tickets()[0]
    assert any(e["kind"] == "automatic_recorded" for e in store.history.events_of(ticket.id))
    assert len(mf.inbox(servers, "budi@vendor.test")) == 1
    assert all(len(mf.inbox(servers, s)) == 1 for s in mf.STAFF)


def test_complaints_that_look_a_little_automatic_reach_staff(env):
    """SPEC 5: subject words alone never make a requester's mail automatic, and a complaint
    that pastes the bounce the requester got elsewhere (DSN lines) is still theirs. The first
    gets a ticket and an ack; the second a ticket for staff without an answer. Mail that
    shows a machine in its headers still opens nothing."""
    servers, config = env
    raw, _ = mf.mail("budi@vendor.test", "Auto reply dari LPSE tidak masuk",
                     "Saya sudah kirim email kemarin tapi tidak ada balasan otomatis. Mohon dicek.")
    servers.append(mf.UNIT, raw)
    pasted = ("Pak, email penawaran saya ke pokja ditolak, pesannya begini:\n\n"
              "Reporting-MTA: dns; mx.batam.go.id\nFinal-Recipient: rfc822; pokja12@batam.go.id\n"
              "Action: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 mailbox full\n\nMohon bantuannya.")
    raw, _ = mf.mail("sari@dinas.test", "Email ke pokja ditolak", pasted)
    servers.append(mf.UNIT, raw)
    raw, _ = mf.mail("cuti@vendor.test", "Automatic reply: Pengumuman", "Saya sedang cuti.",
                     headers={"Auto-Submitted": "auto-replied"})
    servers.append(mf.UNIT, raw)
    mf.run_once(config)

    store = mf.store_of(config)
    assert sorted(t.requester.addr for t in store.search.tickets()) == ["budi@vendor.test", "sari@dinas.test"]
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, "budi@vendor.test")] == ["ack"]
    assert mf.inbox(servers, "sari@dinas.test") == []
    notices = mf.of_kind(mf.inbox(servers, "staff1@lpse.test"), "staff_new")
    assert len(notices) == 2 and any("Status: 5.2.2" in mf.text_of(n) for n in notices)
    assert servers.fetch(mf.UNIT, "INBOX") == [] and servers.fetch(mf.UNIT, "Quarantine") == []


def test_autoreply_limit_per_address(env):
    """SPEC 5: at most autoreply_limit acks per address and hour; coordinators alerted once."""
    servers, config = env
    for i in range(7):
        raw, _ = mf.mail("budi@vendor.test", f"Masalah nomor {i}", f"Isi masalah {i}")
        servers.append(mf.UNIT, raw)
    mf.run_once(config)
    assert len(mf.store_of(config).search.tickets()) == 7
    assert len(mf.inbox(servers, "budi@vendor.test")) == 5
    assert len(mf.of_kind(mf.inbox(servers, "koordinator@lpse.test"), "rate_limited")) == 1


def test_outbox_waits_for_smtp_and_retries_with_backoff(env, tmp_path):
    """A row is marked sent only after the server accepted it; failures back off, then it goes."""
    import socket
    from datetime import UTC, timedelta

    import yaml

    from mailbot.daemon.wiring import App

    servers, config = env
    data = yaml.safe_load(config.read_text())
    good_port = data["smtp"]["port"]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        data["smtp"]["port"] = sock.getsockname()[1]  # nothing listens: SMTP is down
    config.write_text(yaml.safe_dump(data))
    raw, _ = mf.mail("budi@vendor.test", "Upload gagal", "Tidak bisa upload.")
    servers.append(mf.UNIT, raw)
    start = datetime.now(UTC)
    app = App(load_config(config), clock=lambda: start)
    app.poll_all()
    assert app.flush_outbox() == (0, 2)
    rows = list(app.store.db.query("select status, attempts, next_attempt_at from outbox"))
    assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 1)] * 2
    assert app.flush_outbox() == (0, 0)  # not due again before the backoff passes
    assert servers.fetch("budi@vendor.test") == []

    data["smtp"]["port"] = good_port  # the server is back
    config.write_text(yaml.safe_dump(data))
    later = App(load_config(config), clock=lambda: start + timedelta(minutes=1))
    assert later.flush_outbox() == (2, 0)
    assert len(servers.fetch("budi@vendor.test")) == 1
    assert {r["status"] for r in later.store.db.query("select status from outbox")} == {"sent"}


def test_staff_reply_through_the_notify_list_still_acts(env):
    """A staff reply carrying List-Id (it came back through the staff_notify list) is a person's reply."""
    servers, config = env
    first_ticket_mail(servers, config)
    [notice] = mf.inbox(servers, "staff1@lpse.test")
    raw, _ = mf.reply_as_client(notice, "staff1@lpse.test", "Sudah kami reset, silakan login.")
    reply = mf.parse(raw)
    reply["List-Id"] = "Helpdesk LPSE <helpdesk.lpse.test>"
    reply["Precedence"] = "list"
    servers.append(mf.UNIT, reply.as_bytes())
    mf.run_once(config)
    assert "Sudah kami reset" in mf.text_of(mf.inbox(servers, "budi@vendor.test")[-1])


def test_english_unit_answers_in_english(fresh_mailboxes, tmp_path):
    """language: en switches the mail users read to the English templates."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, language="en")
    first_ticket_mail(servers, config)
    [ack] = mf.inbox(servers, "budi@vendor.test")
    assert "Thank you, we have received your message" in mf.text_of(ack)
    assert ack["Content-Language"] == "en"
    [notice] = mf.inbox(servers, mf.STAFF[0])
    assert "New ticket:" in str(notice["Subject"])


def test_operator_words_that_change_one_subject_keep_the_rest(fresh_mailboxes, tmp_path):
    """An operator's words.yaml naming one subject: the ack carries it and every other word is
    the shipped one; the request becomes a ticket (it used to go to Quarantine, unalerted)."""
    servers = fresh_mailboxes
    (tmp_path / "templates" / "id").mkdir(parents=True)
    (tmp_path / "templates" / "id" / "words.yaml").write_text("neutral_subjects:\n  ack: Laporan diterima\n")
    config = mf.write_config(servers, tmp_path, templates_dir=str(tmp_path / "templates"))
    first_ticket_mail(servers, config)
    assert servers.fetch(mf.UNIT, "Quarantine") == []
    [ack] = mf.inbox(servers, "budi@vendor.test")
    assert "Laporan diterima" in str(ack["Subject"]) and f"{YEAR}-00001" in str(ack["Subject"])
    assert mf.of_kind(mf.inbox(servers, "staff1@lpse.test"), "staff_new")


def test_a_first_mail_reaches_staff_whole_even_where_it_looks_like_a_reply(env):
    """SPEC 2: the notice carries the requester's message. A forward whose subject the requester
    rewrote (Outlook's "-----Original Message-----") and a formal letter with its memo block
    ("Dari : / Kepada : / Perihal :") are the problem, not quoted history to drop."""
    servers, config = env
    forward = ("Mohon dibantu pak.\n\n-----Original Message-----\nFrom: Pokja 12 <pokja12@batam.go.id>\n"
               "Sent: Monday, November 23, 2026 9:00 AM\nTo: budi@vendor.test\nSubject: Dokumen penawaran\n\n"
               "Dokumen penawaran paket 12345678 tidak terbaca di SPSE (error 500 saat dekripsi).\n")
    letter = ("Yth. Admin LPSE Kota Batam\n\nDari      : PPK Dinas PUPR\nKepada    : Admin LPSE\n"
              "Perihal   : Permohonan reset password\nTanggal   : 23 November 2026\n\n"
              "Mohon bantuan reset password akun PPK atas nama Budi. Terima kasih.\n")
    servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Dokumen tidak terbaca", forward)[0])
    servers.append(mf.UNIT, mf.mail("sari@dinas.test", "Surat permohonan", letter)[0])
    mf.run_once(config)
    notices = [mf.text_of(m) for m in mf.of_kind(mf.inbox(servers, "staff1@lpse.test"), "staff_new")]
    assert len(notices) == 2
    assert any("Mohon dibantu pak." in n and "paket 12345678 tidak terbaca" in n for n in notices)
    assert any("Perihal   : Permohonan reset password" in n and "reset password akun PPK" in n for n in notices)


def test_an_address_books_last_first_name_is_greeted_first_name_first(env):
    """Outlook in a company directory sends From "Wijaya, Stefanus": the ack greets
    "Yth. Stefanus Wijaya", as the person is called, not "Yth. Wijaya, Stefanus"."""
    servers = env[0]
    # a sender vouched for is greeted by name
    config = mf.write_config(servers, env[1].parent, auth=mf.AUTHRES)
    servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Jadwal aanwijzing",
                                    "Mohon info jadwal aanwijzing paket 11006677.", name="Wijaya, Stefanus",
                                    headers=mf.vouched("budi@vendor.test"))[0])
    mf.run_once(config)
    [ack] = mf.of_kind(mf.inbox(servers, "budi@vendor.test"), "ack")
    assert mf.text_of(ack).splitlines()[0] == "Yth. Stefanus Wijaya,"


@pytest.mark.parametrize("name", ["Dewi Lestari, SKom", "Agus Salim, SSos", "Rina, MKom"])
def test_a_degree_written_without_dots_after_the_comma_stays_after_the_name(env, name):
    """'Dewi Lestari, SKom' is a name and her degree (S.Kom written without dots), not a
    directory's "Last, First": the ack greeted her "Yth. SKom Dewi Lestari,"."""
    servers = env[0]
    # a sender vouched for is greeted by name
    config = mf.write_config(servers, env[1].parent, auth=mf.AUTHRES)
    servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Jadwal aanwijzing",
                                    "Mohon info jadwal aanwijzing paket 11006677.", name=name,
                                    headers=mf.vouched("budi@vendor.test"))[0])
    mf.run_once(config)
    [ack] = mf.of_kind(mf.inbox(servers, "budi@vendor.test"), "ack")
    assert mf.text_of(ack).splitlines()[0] == f"Yth. {name},"

"""Red-team probes: helpdesk staff working tickets from their own mail clients (SPEC 3, 4, 9).

Each reply is written as Outlook, Gmail, Thunderbird or an iPhone writes it, goes through
the local Dovecot and SMTP servers, and is read back from the requester's, staff's and
Helpdesk LKPP's INBOXes.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

import pytest

from mailbot.model import State
from tests import mailfactory as mf
from tests.test_ladder import events, the_ticket

REQUESTER = "budi@vendor.test"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(120))


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def _open(servers, config, attachments: tuple = ()) -> EmailMessage:
    raw, _ = mf.mail(REQUESTER, "Akun SPSE terkunci",
                     "Selamat pagi,\nakun SPSE saya terkunci sejak kemarin.\n\nBudi Santoso",
                     name="Budi Santoso", attachments=attachments)
    mf.deliver(servers, config, raw)
    return mf.latest(servers, mf.STAFF[0], "staff_new")


def _outlook_reply(notice: EmailMessage, sender: str, text: str, attachments: tuple = (), rule: str = "") -> bytes:
    """Outlook desktop (Indonesian): "RE:", the new text, then the Dari/Dikirim/Kepada/Perihal block
    (under Outlook's underscore rule when `rule` gives one)."""
    msg = EmailMessage()
    msg["From"] = f"Andi Helpdesk <{sender}>"
    msg["To"] = f"Helpdesk LPSE Uji <{mf.UNIT}>"
    msg["Subject"] = "RE: " + str(notice["Subject"])
    msg["Date"] = format_datetime(datetime.now(ZoneInfo("Asia/Jakarta")))
    msg["Message-ID"] = make_msgid(domain="lpse.test")
    msg["In-Reply-To"] = str(notice["Message-ID"])
    msg["References"] = str(notice["Message-ID"])
    msg.set_content(f"{text}\r\n\r\n{rule + chr(13) + chr(10) if rule else ''}Dari: Helpdesk LPSE Uji <{mf.UNIT}>\r\n"
                    "Dikirim: Senin, 23 November 2026 09.15\r\n"
                    f"Kepada: Andi Helpdesk <{sender}>\r\nPerihal: {notice['Subject']}\r\n\r\n{mf.text_of(notice)}")
    for filename, ctype, data in attachments:
        main, sub = ctype.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=filename)
    return msg.as_bytes()


def test_files_staff_attach_to_eskalasi_reach_helpdesk_lkpp(env):
    """SPEC E8: `#eskalasi` forwards "the whole ticket (problem, requester identity, all
    attachments, staff note = rest of the body)". Staff who attach the admin panel's
    screenshot to their `#eskalasi` reply ("terlampir") must have it reach LKPP with the
    requester's own files; LKPP got the requester's files only and "tidak ada lampiran"
    when the requester had sent none."""
    servers, config = env
    notice = _open(servers, config, attachments=(("error.png", "image/png", PNG),))
    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], "#eskalasi\r\nMohon bantuan, tangkapan layar "
                                               "admin agency terlampir.", attachments=(("admin-agency.pdf",
                                                                                        "application/pdf", mf.PDF),)))

    escalation = mf.latest(servers, mf.LKPP, "escalate")
    files = {p.get_filename(): p.get_content() for p in escalation.iter_attachments()}
    assert files == {"error.png": PNG, "admin-agency.pdf": mf.PDF}
    assert "admin-agency.pdf" in mf.text_of(escalation)
    assert "tangkapan layar admin agency terlampir" in mf.text_of(escalation)
    [told] = [m for m in mf.inbox(servers, REQUESTER) if m["X-Mailbot-Kind"] == "escalated_user"]
    assert list(told.iter_attachments()) == []


def test_selesai_without_text_does_not_announce_a_missing_solution(env):
    """SPEC E9. Staff who already answered (or phoned) mark the ticket solved with a bare
    `#selesai` above Gmail's quote. The requester's mail said "Berikut jawaban/solusi ...
    pada tiket 2026-00001:" and went straight on to the confirmation request: a solution
    announced and missing. It must say the problem is considered solved and still ask YA/TIDAK."""
    servers, config = env
    notice = _open(servers, config)
    quote = "\n".join("> " + line for line in mf.text_of(notice).splitlines())
    raw, _ = mf.mail(mf.STAFF[0], "Re: " + str(notice["Subject"]),
                     f"#selesai\n\nOn Mon, 23 Nov 2026 at 09:15, Helpdesk LPSE Uji <{mf.UNIT}> wrote:\n\n{quote}\n",
                     in_reply_to=str(notice["Message-ID"]).strip("<>"))
    mf.deliver(servers, config, raw)

    solution = mf.latest(servers, REQUESTER, "resolved")
    text = mf.text_of(solution)
    assert "Berikut jawaban/solusi" not in text
    assert "selesai" in text.split("KONFIRMASI")[0]
    assert "YA" in text and "TIDAK" in text


def test_data_given_with_eskalasi_or_catatan_is_set_and_reaches_lkpp(env):
    """SPEC E12c with E8/E7 (SOP-003: staff complete the consultation form, SOP-015 step 1:
    LKPP gets the requester's identity). Staff correct the company and add the phone in the
    same reply that escalates (`#data instansi ...`, `#data telepon ...`, `#eskalasi`), or
    that keeps a note. The confirmation told them "#data ... dijalankan", but the form was
    never changed: LKPP got the requester's old, wrong identity."""
    servers, config = env
    notice = _open(servers, config)
    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], "#data telepon 0812-7000-8899\r\n"
                                               "#catatan sudah ditelepon, menunggu tangkapan layar"))
    assert the_ticket(config).contact.phone == "0812-7000-8899"

    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], "#data instansi CV Jaya Abadi\r\n#eskalasi\r\n"
                                               "Mohon bantuan, akun terkunci di sisi ADP."))
    ticket = the_ticket(config)
    assert (ticket.contact.organisation, ticket.contact.phone) == ("CV Jaya Abadi", "0812-7000-8899")
    form = mf.text_of(mf.latest(servers, mf.LKPP, "escalate"))
    assert "CV Jaya Abadi" in form and "0812-7000-8899" in form
    assert [kind for kind, _ in events(config)].count("contact_changed") == 2
    assert not mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")


def _thunderbird_flowed(notice: EmailMessage, sender: str, flowed_text: str) -> bytes:
    """Thunderbird's default plain text: format=flowed, long lines broken with a trailing space."""
    quote = "\r\n".join("> " + line for line in mf.text_of(notice).splitlines())
    return (f"From: Andi <{sender}>\r\nTo: {mf.UNIT}\r\nSubject: Re: {notice['Subject']}\r\n"
            f"Message-ID: {make_msgid(domain='lpse.test')}\r\nIn-Reply-To: {notice['Message-ID']}\r\n"
            f"References: {notice['Message-ID']}\r\nDate: {format_datetime(datetime.now(ZoneInfo('Asia/Jakarta')))}\r\n"
            "User-Agent: Mozilla Thunderbird\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            f"{flowed_text}\r\n\r\nOn 23/11/2026 09.15, Helpdesk LPSE Uji wrote:\r\n{quote}\r\n").encode()


def test_thunderbird_format_flowed_reply_is_read_as_typed(env):
    """SPEC 4 (commands are lines at the top of a staff reply), E12c, E6. Thunderbird sends
    plain text as format=flowed (RFC 3676): a line longer than 72 characters goes out
    broken, with a trailing space marking the soft break. `#data alamat` with a full
    address was cut at the break, the `#data telepon` typed on the next line was taken as
    body text and never set, and the requester got the answer with its sentence broken."""
    servers, config = env
    notice = _open(servers, config)
    typed = ("#data alamat Jl. Engku Putri No. 1 Batam Centre, Kel. Teluk Tering, Kec. \r\nBatam Kota 29461\r\n"
             "#data telepon 0812-7000-8899")
    mf.deliver(servers, config, _thunderbird_flowed(notice, mf.STAFF[0], typed))
    ticket = the_ticket(config)
    assert ticket.contact.address == ("Jl. Engku Putri No. 1 Batam Centre, Kel. Teluk Tering, Kec. Batam Kota "
                                      "29461")
    assert ticket.contact.phone == "0812-7000-8899"

    mf.deliver(servers, config, _thunderbird_flowed(notice, mf.STAFF[0], (
        "Yth. Bapak Budi,\r\n\r\nAkun Bapak terkunci karena salah memasukkan kata sandi lima kali \r\n"
        "berturut-turut; sudah kami buka kembali.\r\n\r\n-- \r\nAndi")))
    answer = mf.text_of(mf.latest(servers, REQUESTER, "staff_reply"))
    assert "salah memasukkan kata sandi lima kali berturut-turut; sudah kami buka kembali." in answer
    assert "Andi" not in answer  # the signature under "-- " stays behind


def test_outlook_signature_logo_marker_does_not_reach_the_requester(env):
    """SPEC E9/E6: only the new text is relayed. Outlook's plain-text alternative of an
    HTML reply writes each inline picture as a marker (`[cid:image001.png@01DA3C...]`):
    a staff signature with the office logo put that marker into the solution the
    requester read. The logo itself may go along; the marker is no text of the staff's."""
    servers, config = env
    notice = _open(servers, config)
    msg = EmailMessage()
    msg["From"] = f"Andi Helpdesk <{mf.STAFF[0]}>"
    msg["To"] = mf.UNIT
    msg["Subject"] = "RE: " + str(notice["Subject"])
    msg["Message-ID"] = make_msgid(domain="lpse.test")
    msg["In-Reply-To"] = msg["References"] = str(notice["Message-ID"])
    msg.set_content("#selesai\r\nAkun sudah kami buka kembali.\r\n\r\nSalam,\r\nAndi\r\n"
                    "[cid:image001.png@01DA3C5E.8B4F2A10]\r\n\r\n"
                    f"From: Helpdesk LPSE Uji <{mf.UNIT}>\r\nSent: Monday, November 23, 2026 9:15 AM\r\n"
                    f"To: Andi Helpdesk <{mf.STAFF[0]}>\r\nSubject: {notice['Subject']}\r\n\r\n{mf.text_of(notice)}")
    msg.add_alternative('<html><body><p>#selesai</p><p>Akun sudah kami buka kembali.</p><p>Salam,<br>Andi<br>'
                        '<img src="cid:image001.png@01DA3C5E.8B4F2A10"></p></body></html>', subtype="html")
    msg.get_payload()[1].add_related(PNG, maintype="image", subtype="png", cid="<image001.png@01DA3C5E.8B4F2A10>",
                                     filename="image001.png")
    mf.deliver(servers, config, msg.as_bytes())

    text = mf.text_of(mf.latest(servers, REQUESTER, "resolved"))
    assert "Akun sudah kami buka kembali." in text
    assert "cid:" not in text


def test_text_under_a_priority_command_is_kept_and_its_sender_told_it_was_not_sent(env):
    """SPEC E11, 4 ("every message ... and every command is recorded"). Staff raise the
    priority and write to the requester in the same reply. The priority changed, but the
    text went nowhere: not to the requester, not onto the ticket, and `command_ok` said only
    that the command ran, so staff believed they had answered. The text is kept on the
    ticket as a note and staff are told it was not sent and how to send it (`#jawab`)."""
    servers, config = env
    notice = _open(servers, config)
    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], "#prioritas tinggi\r\n"
                                               "Selamat siang Pak, akun Bapak sudah kami reset."))

    ticket = the_ticket(config)
    assert ticket.priority == "high"
    assert any(kind == "note" and "akun Bapak sudah kami reset" in detail.get("text", "")
               for kind, detail in events(config))
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)] == ["ack"]  # a remark may be internal
    told = mf.text_of(mf.latest(servers, mf.STAFF[0], "command_ok"))
    assert "TIDAK dikirim ke pengguna" in told and "#jawab" in told

    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], "#prioritas tinggi\r\n#jawab\r\n"
                                               "Selamat siang Pak, akun Bapak sudah kami reset."))
    assert "akun Bapak sudah kami reset" in mf.text_of(mf.latest(servers, REQUESTER, "staff_reply"))
    assert "TIDAK dikirim" not in mf.text_of(mf.latest(servers, mf.STAFF[0], "command_ok"))


def test_a_command_under_a_greeting_runs_and_the_greeting_is_not_relayed(env):
    """SPEC 4 (E9): "a greeting line alone ("Halo Bapak,", "Dear all,") may stand before
    them and is not relayed". Staff greet before they type the command, as they write any
    mail: "Selamat siang Pak," + "#selesai" + the solution. The command runs; the
    requester reads the solution, not the greeting written above the command."""
    servers, config = env
    notice = _open(servers, config)
    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], "Selamat siang Pak,\r\n#selesai\r\n"
                                               "Akun sudah dibuka, silakan login kembali."))

    assert the_ticket(config).state is State.RESOLVED
    solution = mf.text_of(mf.latest(servers, REQUESTER, "resolved")).replace("\r\n", "\n")
    assert "Akun sudah dibuka, silakan login kembali." in solution
    assert "Selamat siang Pak,\nAkun sudah dibuka" not in solution
    assert "#selesai" not in solution
    assert not mf.of_kind(mf.inbox(servers, REQUESTER), "staff_reply")
    assert not mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")


def test_tutup_under_a_greeting_closes_and_under_text_is_refused_with_the_reason(env):
    """SPEC 4 and E10, E18: "Halo Bapak," then "#tutup" closes the ticket; a line
    of real text above "#tutup" means the command is not at the top: it does not run, nothing
    reaches the requester, and staff are told why (`command_error`)."""
    servers, config = env
    notice = _open(servers, config)
    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], "Sudah saya telepon Bapaknya.\r\n#tutup"))
    assert the_ticket(config).state is State.OPEN
    error = " ".join(mf.text_of(mf.latest(servers, mf.STAFF[0], "command_error")).split())
    assert "#tutup ada di bawah teks lain sehingga tidak dijalankan" in error
    assert [str(m["X-Mailbot-Kind"]) for m in mf.inbox(servers, REQUESTER)] == ["ack"]

    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], "Halo Bapak,\r\n#tutup"))
    assert the_ticket(config).state is State.CLOSED
    closed = mf.text_of(mf.latest(servers, REQUESTER, "closed"))
    assert "Halo Bapak" not in closed and "#tutup" not in closed
    assert len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")) == 1


def test_eskalasi_under_dear_all_reaches_lkpp(env):
    """SPEC E8: "Dear all," and a blank line above `#eskalasi` (Outlook's paragraphs). The
    requester got "Dear all, #eskalasi Mohon dibantu ..." relayed, and LKPP nothing."""
    servers, config = env
    notice = _open(servers, config)
    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], "Dear all,\r\n\r\n#eskalasi\r\n"
                                               "Mohon dibantu, reset akun di luar kewenangan kami."))

    assert the_ticket(config).state is State.ESCALATED
    assert "Mohon dibantu, reset akun di luar kewenangan kami." in mf.text_of(mf.latest(servers, mf.LKPP, "escalate"))
    assert [str(m["X-Mailbot-Kind"]) for m in mf.inbox(servers, REQUESTER)] == ["ack", "escalated_user"]
    assert "#eskalasi" not in mf.text_of(mf.latest(servers, REQUESTER, "escalated_user"))


def test_a_command_below_the_text_is_refused_and_nothing_reaches_the_requester(env):
    """SPEC 4 and E18. `#selesai` typed under the answer was relayed to the requester as it
    stood ("... silakan login kembali. #selesai"), the ticket went to `answered`, and staff
    never learnt the command had not run. Staff are told commands go on the first lines;
    nothing is sent. A `#` line that names no command ("#1 Buka menu") stays text."""
    servers, config = env
    notice = _open(servers, config)
    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], "Pak, akun sudah kami buka, silakan login "
                                               "kembali.\r\n#selesai"))

    error = " ".join(mf.text_of(mf.latest(servers, mf.STAFF[0], "command_error")).split())
    assert "#selesai ada di bawah teks lain sehingga tidak dijalankan" in error
    assert [str(m["X-Mailbot-Kind"]) for m in mf.inbox(servers, REQUESTER)] == ["ack"]
    assert the_ticket(config).state is State.OPEN

    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], "Silakan ikuti langkah berikut:\r\n"
                                               "#1 Buka menu Lupa Password\r\n#2 Masukkan email terdaftar"))
    relayed = mf.text_of(mf.latest(servers, REQUESTER, "staff_reply")).replace("\r\n", "\n")
    assert "#1 Buka menu Lupa Password\n#2 Masukkan email terdaftar" in relayed
    assert len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")) == 1


# --- a staff reply that also reaches the mailbox through a mailing list (SPEC 3, 9) --------------


def _through_list(raw: bytes, footer: bytes = b"") -> bytes:
    """What Mailman makes of a post: the list's tag in the subject, list headers, its footer."""
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    head = head.replace(b"\nSubject: ", b"\nSubject: [helpdesk-lpse] ")
    head += (b"\nList-Id: Helpdesk LPSE <helpdesk-lpse.lists.lpse.test>\nPrecedence: list\n"
             b"Sender: helpdesk-lpse-bounces@lists.lpse.test\nList-Post: <mailto:helpdesk-lpse@lists.lpse.test>")
    body = body.rstrip(b"\n") + footer + (b"\n\n_______________________________________________\n"
                                          b"helpdesk-lpse mailing list\nhelpdesk-lpse@lists.lpse.test\n"
                                          b"https://lists.lpse.test/mailman/listinfo/helpdesk-lpse\n")
    return head + b"\n\n" + body


@pytest.mark.parametrize("list_first", [False, True])
def test_a_staff_reply_arriving_directly_and_through_a_list_reaches_the_requester_once(env, list_first):
    """SPEC 3 ("mail that arrives twice adds to the existing ticket"), 9 ("the same command message
    delivered twice runs once"): the staff list's copy of a reply-all is the same reply."""
    servers, config = env
    notice = _open(servers, config)
    raw = _outlook_reply(notice, mf.STAFF[0], "Pak Budi, akun sudah kami buka kembali, silakan login.")
    for copy in ((_through_list(raw), raw) if list_first else (raw, _through_list(raw))):
        servers.append(mf.UNIT, copy)
    mf.run_once(config)
    assert len(mf.of_kind(mf.inbox(servers, REQUESTER), "staff_reply")) == 1
    assert len(mf.inbox(servers, mf.UNIT, "Processed")) == 3 and not mf.inbox(servers, mf.UNIT, "Quarantine")
    assert "message_id_reused" not in [k for k, _ in events(config)]


def test_other_words_under_a_replys_message_id_through_a_list_are_still_handled(env):
    """SPEC 9: a different message reusing a known Message-ID is handled, never swallowed as a copy."""
    servers, config = env
    notice = _open(servers, config)
    raw = _outlook_reply(notice, mf.STAFF[0], "Pak Budi, akun sudah kami buka kembali, silakan login.")
    mf.deliver(servers, config, raw)
    other = raw.replace(b"akun sudah kami buka kembali, silakan login.", b"akun belum bisa dibuka, tunggu kabar kami.")
    assert other != raw
    mf.deliver(servers, config, _through_list(other))
    assert "message_id_reused" in [k for k, _ in events(config)]
    replies = mf.of_kind(mf.inbox(servers, REQUESTER), "staff_reply")
    assert len(replies) == 2 and "belum bisa dibuka" in mf.text_of(replies[1])


def test_numbered_steps_of_an_html_only_reply_keep_their_numbers(env):
    """SPEC E6: the staff member's new text is relayed. A webmail in HTML mode sends the
    answer as HTML alone, its steps as a numbered list: the requester read them as "- "
    bullets, and "langkah 3" in the next sentence pointed at nothing."""
    servers, config = env
    notice = _open(servers, config)
    msg = EmailMessage()
    msg["From"] = f"Andi Helpdesk <{mf.STAFF[0]}>"
    msg["To"] = mf.UNIT
    msg["Subject"] = "Re: " + str(notice["Subject"])
    msg["Message-ID"] = make_msgid(domain="lpse.test")
    msg["In-Reply-To"] = msg["References"] = str(notice["Message-ID"])
    msg.set_content("<html><body><div>Selamat&nbsp;siang Pak&nbsp;Budi,<br><br>Silakan ikuti langkah berikut:</div>"
                    "<ol><li>Buka menu Lupa Password</li><li>Masukkan email terdaftar</li><li>Buka tautan di email "
                    "yang Bapak terima</li></ol><div>Apabila langkah 3 gagal, mohon kabari kami.</div></body></html>",
                    subtype="html")
    mf.deliver(servers, config, msg.as_bytes())

    relayed = mf.text_of(mf.latest(servers, REQUESTER, "staff_reply")).replace("\r\n", "\n")
    assert ("1. Buka menu Lupa Password\n2. Masukkan email terdaftar\n3. Buka tautan di email yang Bapak terima"
            in relayed)
    assert "Selamat siang Pak Budi," in relayed and "<" not in relayed.split("--")[0]


def test_outlook_rich_text_winmail_dat_reaches_the_requester_as_its_files(env):
    """Outlook in Rich Text mode through Exchange wraps the files in winmail.dat, which only
    Outlook opens: the requester got a winmail.dat and never the guide. They get the guide
    (its name and bytes) and no winmail.dat; a requester's own winmail.dat reaches LKPP opened too."""
    from tests.tnefbuild import winmail

    servers, config = env
    notice = _open(servers, config, attachments=(
        ("winmail.dat", "application/ms-tnef", winmail([("Surat Kuasa Direktur.pdf", mf.PDF)])),))
    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], "Pak Budi, panduan reset password terlampir.",
                                               attachments=(("winmail.dat", "application/ms-tnef",
                                                             winmail([("Panduan Reset Password.pdf", mf.PDF)])),)))
    reply = mf.latest(servers, REQUESTER, "staff_reply")
    assert ({p.get_filename(): p.get_content() for p in reply.iter_attachments()}
            == {"Panduan Reset Password.pdf": mf.PDF})
    assert "panduan reset password terlampir" in mf.text_of(reply)

    mf.deliver(servers, config, _outlook_reply(mf.latest(servers, mf.STAFF[0], "staff_new"), mf.STAFF[0],
                                               "#eskalasi\r\nMohon bantuan."))
    escalation = mf.latest(servers, mf.LKPP, "escalate")
    assert ({p.get_filename(): p.get_content() for p in escalation.iter_attachments()}
            == {"Surat Kuasa Direktur.pdf": mf.PDF})


def test_a_divider_staff_type_keeps_the_text_below_it_for_the_requester(env):
    """SPEC E6: the staff reply's body reaches the requester whole. Staff who type a rule of
    underscores between the steps and their closing lines: the requester got the steps and
    nothing of "Jika masih gagal ..." below the rule; Outlook's own rule over its
    Dari/Dikirim block still starts the quoted history, which never reaches them (SPEC 4). The
    sign-off and name under it are the staff member's signature: not relayed."""
    servers, config = env
    notice = _open(servers, config)
    typed = ("Pak Budi, silakan ikuti langkah berikut:\r\n1. Buka menu Lupa Password\r\n"
             "2. Masukkan email terdaftar\r\n\r\n" + "_" * 30 + "\r\n\r\n"
             "Jika masih gagal, hapus cache browser lalu coba lagi.\r\n\r\nTerima kasih,\r\nAndi")
    mf.deliver(servers, config, _outlook_reply(notice, mf.STAFF[0], typed, rule="_" * 32))
    relayed = mf.text_of(mf.latest(servers, REQUESTER, "staff_reply")).replace("\r\n", "\n")
    assert "2. Masukkan email terdaftar\n\n" + "_" * 30 + "\n\nJika masih gagal, hapus cache browser" in relayed
    assert "Jika masih gagal, hapus cache browser lalu coba lagi." in relayed
    assert "Andi" not in relayed  # the closing "Terima kasih, / Andi" is the writer's signature
    for history in ("Dari: Helpdesk LPSE Uji", "Dikirim:", "akun SPSE saya terkunci sejak kemarin", "_" * 32):
        assert history not in relayed, history

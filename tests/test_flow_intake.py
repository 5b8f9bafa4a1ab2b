"""Phone calls and walk-in visits become tickets by mail (SPEC 3; seeds 000, 003, 004 s.1).

Over real Dovecot and SMTP: staff write the consultation form into a new mail to the unit
address whose first line is `#telepon` or `#datang`; what mailbot sends is read back over IMAP
as a mail client would. Expected words come from seed 003 and the issue, written out here.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.io.store import Store
from mailbot.model import State
from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
YEAR = datetime.now(WIB).year
CALLER = "sari@dinas.test"  # a mailbox of the test servers
CATCHALL = "catchall@lpse.test"  # where mail to any other address lands
TRUSTED = "mx.lpse.test"
PASSED = f"{TRUSTED}; dkim=pass header.d=lpse.test; dmarc=pass header.from=lpse.test"

CALL = f"""#telepon
Nama: Rina Wulandari
Instansi: CV Maju Jaya
Alamat: Jl. Raja Ali Haji No. 7, Batam
No. HP: 0812-7700-4455
Email: {CALLER}
Permasalahan: Tidak bisa mengunggah dokumen penawaran pada tender 10012345000,
muncul pesan "Gagal mengirim penawaran".
"""


def kinds(servers, user: str) -> list[str]:
    return [str(m["X-Mailbot-Kind"]) for m in mf.inbox(servers, user)]


def tickets(config):
    store = Store(load_config(config).database)
    try:
        return store.search.tickets()
    finally:
        store.close()


def events_of(config, number: str) -> list[tuple[str, str]]:
    store = Store(load_config(config).database)
    try:
        ticket = store.tickets.ticket_by_number("t", number)
        assert ticket is not None and ticket.id is not None
        return [(e["kind"], e["actor"]) for e in store.history.events_of(ticket.id)]
    finally:
        store.close()


def number_in(message) -> str:
    found = re.search(rf"\[{mf.PREFIX} #(\d{{4}}-\d{{5}})\]", str(message["Subject"]))
    assert found, message["Subject"]
    return found.group(1)


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


@pytest.fixture
def authres_env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path,
                                            auth={"mode": "authres", "trusted_authserv_id": TRUSTED})


def test_a_call_opens_a_ticket_once_its_sender_confirms_and_the_caller_gets_the_number(env, capsys):
    """Acceptance 1, token mode: the number back to staff at once; the ticket, the caller's ack
    and the staff notice once the staff member answers; `mailbot ticket N` shows form and channel."""
    servers, config = env
    raw, _ = mf.mail(mf.STAFF[0], "telepon Bu Rina", CALL, name="Andi Helpdesk")
    mf.deliver(servers, config, raw)

    [held] = mf.inbox(servers, mf.STAFF[0])
    assert held["X-Mailbot-Kind"] == "intake_confirm"
    number = number_in(held)
    assert number == f"{YEAR}-00001"
    assert number in mf.text_of(held) and "Rina Wulandari" in mf.text_of(held)
    assert tickets(config) == []  # SPEC 9: nothing opens on a new mail's word alone
    assert mf.inbox(servers, CALLER) == [] and mf.inbox(servers, mf.STAFF[1]) == []

    mf.deliver(servers, config, mf.reply_as_client(held, mf.STAFF[0], "#buka")[0])

    [ticket] = tickets(config)
    assert (ticket.number, ticket.state, ticket.channel, ticket.taken_by) == (number, State.OPEN, "telepon",
                                                                              mf.STAFF[0])
    assert ticket.requester.addr == CALLER
    assert (ticket.contact.name, ticket.contact.organisation, ticket.contact.phone) == (
        "Rina Wulandari", "CV Maju Jaya", "0812-7700-4455")
    [ack] = mf.inbox(servers, CALLER)
    assert ack["X-Mailbot-Kind"] == "ack" and f"[{mf.PREFIX} #{number}]" in ack["Subject"]
    said = mf.text_of(ack)
    assert number in said and "telepon" in said and "balas email ini" in said.lower()
    assert not any(s in said or s in str(ack) for s in mf.STAFF)  # SPEC 1: no staff address to a requester
    for staff in mf.STAFF:
        [opened] = [m for m in mf.inbox(servers, staff) if m["X-Mailbot-Kind"] == "intake_opened"]
        assert number in mf.text_of(opened) and "Tidak bisa mengunggah dokumen penawaran" in mf.text_of(opened)

    assert cli.main(["--config", str(config), "ticket", number]) == 0
    shown = capsys.readouterr().out
    assert "channel: telepon" in shown and f"taken by: {mf.STAFF[0]}" in shown
    assert "name Rina Wulandari" in shown and "agency/company CV Maju Jaya" in shown and "0812-7700-4455" in shown
    assert "Tidak bisa mengunggah dokumen penawaran" in shown


def test_a_call_opens_at_once_when_the_units_server_vouches_for_the_sender(authres_env):
    """Acceptance 1, authres mode: the unit's server proves the From domain; the caller's ack and
    the number to staff go out from the one mail."""
    servers, config = authres_env
    msg = mf.parse(mf.mail(mf.STAFF[0], "telepon", CALL)[0])
    msg["Authentication-Results"] = PASSED
    mf.deliver(servers, config, msg.as_bytes())

    [ticket] = tickets(config)
    assert (ticket.state, ticket.channel, ticket.requester.addr) == (State.OPEN, "telepon", CALLER)
    assert kinds(servers, CALLER) == ["ack"]
    [back] = mf.inbox(servers, mf.STAFF[0])
    assert back["X-Mailbot-Kind"] == "intake_opened" and number_in(back) == ticket.number
    assert ticket.number in mf.text_of(back)
    assert kinds(servers, mf.STAFF[1]) == ["intake_opened"]


def test_a_visit_answered_on_the_spot_is_resolved_and_the_callers_yes_closes_it(authres_env):
    """Acceptance 2: `#datang` with `Jawaban:`: a resolved ticket whose solution, with the
    consultation, reaches the caller's e-mail; their `YA` closes it (E4)."""
    servers, config = authres_env
    body = f"""#datang
nama  : Rina Wulandari
perusahaan : CV Maju Jaya
email : {CALLER}
masalah : Lupa kata sandi akun penyedia.
jawaban : Kata sandi direset melalui menu Lupa Password; email reset dikirim ke alamat terdaftar.
"""
    msg = mf.parse(mf.mail(mf.STAFF[1], "tamu", body)[0])
    msg["Authentication-Results"] = PASSED
    mf.deliver(servers, config, msg.as_bytes())

    [ticket] = tickets(config)
    assert (ticket.state, ticket.channel, ticket.taken_by) == (State.RESOLVED, "datang", mf.STAFF[1])
    [solution] = mf.inbox(servers, CALLER)
    assert solution["X-Mailbot-Kind"] == "resolved"
    said = mf.text_of(solution)
    assert "Lupa kata sandi akun penyedia." in said and "Kata sandi direset melalui menu Lupa Password" in said
    assert ticket.number in said and "YA" in said

    mf.deliver(servers, config, mf.reply_as_client(solution, CALLER, "YA 5\n\nTerima kasih.")[0])
    [ticket] = tickets(config)
    assert (ticket.state, ticket.rating) == (State.CLOSED, 5)
    assert kinds(servers, CALLER) == ["resolved", "closed"]


def test_a_call_without_an_email_is_worked_by_staff_and_nothing_goes_outside(env):
    """Acceptance 3: no e-mail given: the number goes to staff only; a staff reply is kept on the
    ticket (sent to no one); `#selesai` closes it (no one can confirm it); nothing leaves for an outsider."""
    servers, config = env
    body = """#telepon
Nama: Pak Joko
Instansi: Dinas Pendidikan
Telepon: 0778 462000
Email: -
Permasalahan: Jadwal tender tidak tampil di halaman paket.
"""
    mf.deliver(servers, config, mf.mail(mf.STAFF[0], "telp", body)[0])
    held = mf.latest(servers, mf.STAFF[0], "intake_confirm")
    mf.deliver(servers, config, mf.reply_as_client(held, mf.STAFF[0], "#buka")[0])

    [ticket] = tickets(config)
    assert (ticket.state, ticket.channel) == (State.OPEN, "telepon")
    opened = mf.latest(servers, mf.STAFF[0], "intake_opened")
    assert ticket.number in mf.text_of(opened)
    mf.deliver(servers, config,
               mf.reply_as_client(opened, mf.STAFF[0], "Sudah ditelepon balik, menunggu jadwal dari PPK.")[0])
    [ticket] = tickets(config)
    assert ticket.state is State.OPEN  # a note: nobody is waited on to answer
    assert ("note", mf.STAFF[0]) in events_of(config, ticket.number)
    mf.deliver(servers, config, mf.reply_as_client(opened, mf.STAFF[0], "#selesai\nJadwal sudah tampil.")[0])
    [ticket] = tickets(config)
    assert ticket.state is State.CLOSED  # SPEC 3: nobody can confirm with YA; closed

    everyone = {mf.UNIT, *mf.STAFF, "koordinator@lpse.test", "kepala@lpse.test", "helpdesk@lkpp.test"}
    outside = set(servers.users) - everyone  # the catch-all holds what went to anyone unknown
    assert all(mf.inbox(servers, user) == [] for user in outside)
    store = Store(load_config(config).database)
    try:
        sent = [rcpt for (rcpt,) in store.db.execute("select rcpt from outbox").fetchall()]
    finally:
        store.close()
    assert sent and all(set(re.findall(r"[\w.+-]+@[\w.-]+", rcpt)) <= everyone for rcpt in sent)


def test_a_forged_call_from_a_stranger_opens_nothing(env):
    """Acceptance 6: `#telepon` from a non-staff address opens nothing: no ticket for the caller
    it names, none for its sender (whose From may be forged too), and nothing reaches either;
    the mail is recorded and staff are shown it, in case a colleague wrote from an unlisted address."""
    servers, config = env
    forged = CALL.replace(CALLER, "victim@korban.test")
    raw, mid = mf.mail("attacker@evil.test", "telepon", forged)
    mf.deliver(servers, config, raw)
    assert tickets(config) == []
    assert mf.inbox(servers, CATCHALL) == []  # where mail to any unknown address lands
    assert mf.inbox(servers, CALLER) == []
    for staff in mf.STAFF:
        [told] = mf.inbox(servers, staff)
        assert told["X-Mailbot-Kind"] == "intake_not_staff"
        assert "attacker@evil.test" in mf.text_of(told) and "bukan alamat" in mf.text_of(told)
    store = Store(load_config(config).database)
    try:
        [(kind, ticket_id)] = store.db.execute("select kind, ticket_id from messages where message_id = ?",
                                                [mid.strip("<>")]).fetchall()
    finally:
        store.close()
    assert (kind, ticket_id) == ("intake_not_staff", None)  # recorded, never dropped


def test_a_forged_staff_from_opens_nothing_and_reaches_only_that_staff_member(env):
    """SPEC 9, token mode: a `#telepon` with a staff member's address forged in From opens no
    ticket and sends nothing to the caller; only the real staff member hears, and until they
    answer, nothing is opened (a reply citing a forged or other Message-ID opens nothing)."""
    servers, config = env
    forged = CALL.replace(CALLER, "victim@korban.test")
    raw, _ = mf.mail(mf.STAFF[1], "telepon", forged)
    mf.deliver(servers, config, raw)
    assert tickets(config) == []
    assert mf.inbox(servers, CATCHALL) == []
    assert kinds(servers, mf.STAFF[1]) == ["intake_confirm"] and kinds(servers, mf.STAFF[0]) == []
    held = mf.inbox(servers, mf.STAFF[1])[0]
    # the forger cannot answer the mail that went to the real staff member: a reply that names
    # its number in the subject but cites no mailbot Message-ID opens nothing
    fake = mf.mail(mf.STAFF[1], f"Re: {held['Subject']}", "ok", in_reply_to="made-up@evil.test")[0]
    mf.deliver(servers, config, fake)
    assert tickets(config) == []
    assert mf.inbox(servers, CATCHALL) == []


def test_bad_forms_are_refused_with_the_field_to_fix(env):
    """Bad input: no problem, or an e-mail that is not one: `command_error` naming the field,
    and nothing is kept (no ticket, no number reserved, nothing to the caller)."""
    servers, config = env
    mf.deliver(servers, config, mf.mail(mf.STAFF[0], "telepon", "#telepon\nNama: Budi\nEmail: budi@vendor.test\n")[0])
    mf.deliver(servers, config, mf.mail(mf.STAFF[0], "telepon",
                                        "#telepon\nNama: Budi\nE-mail: budi at vendor dot test\n"
                                        "Masalah: gagal login\n")[0])
    first, second = mf.inbox(servers, mf.STAFF[0])
    assert first["X-Mailbot-Kind"] == second["X-Mailbot-Kind"] == "command_error"
    assert "Permasalahan" in mf.text_of(first)
    assert "E-mail" in mf.text_of(second) and "budi at vendor dot test" in mf.text_of(second)
    assert tickets(config) == []
    assert mf.inbox(servers, "budi@vendor.test") == []
    # the next good form gets the year's first number: the refused ones reserved none
    mf.deliver(servers, config, mf.mail(mf.STAFF[0], "telepon", CALL)[0])
    assert number_in(mf.latest(servers, mf.STAFF[0], "intake_confirm")) == f"{YEAR}-00001"


def test_telepon_in_a_reply_about_a_ticket_is_refused(env):
    """`#telepon` opens a new ticket: in a reply to a ticket's notice it is refused, not run."""
    servers, config = env
    mf.deliver(servers, config, mf.mail("budi@vendor.test", "Gagal login", "Tidak bisa login.\n\nBudi")[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], CALL)[0])
    error = mf.latest(servers, mf.STAFF[0], "command_error")
    assert "#telepon" in mf.text_of(error)
    assert [t.channel for t in tickets(config)] == ["email"]
    assert mf.inbox(servers, CALLER) == []


def test_the_timers_start_at_the_calls_waktu(authres_env):
    """SPEC 6 from the form: a call taken yesterday at 09.00 WIB and written down today is
    timed from 09.00 yesterday (its 3x24h resolution clock and its opening), not from the mail."""
    servers, config = authres_env
    msg = mf.parse(mf.mail(mf.STAFF[0], "telepon",
                           CALL.replace("Permasalahan:", "Waktu: kemarin 09.00\nPermasalahan:"))[0])
    msg["Authentication-Results"] = PASSED
    before = datetime.now(WIB).date()
    mf.deliver(servers, config, msg.as_bytes())  # `run --once` reads "kemarin" on its own clock
    after = datetime.now(WIB).date()

    [ticket] = tickets(config)
    # the day before the day it was handled; only a pass across midnight leaves two candidates
    candidates = {datetime.combine(day - timedelta(days=1), time(9, 0), WIB) for day in (before, after)}
    assert ticket.created_at in candidates
    called = ticket.created_at
    store = Store(load_config(config).database)
    try:
        assert ticket.id is not None
        started = {str(t.timer.kind): t.timer for t in store.timers.active_timers(ticket.id)}
    finally:
        store.close()
    assert started["resolution"].started_at == called
    assert started["resolution"].due_at == called + timedelta(hours=72)  # seed 002: 3x24 hours


def test_telepon_only_in_quoted_text_opens_nothing(env):
    """A forward or reply that quotes someone's `#telepon` form is no form: only the new text
    above the quote is read, so a quoted form opens no ticket and reaches no caller."""
    servers, config = env
    quoted = "Mohon dicek.\n\n" + "\n".join("> " + line for line in CALL.splitlines()) + "\n"
    mf.deliver(servers, config, mf.mail(mf.STAFF[0], "Fwd: telepon", quoted)[0])
    assert tickets(config) == []
    assert mf.inbox(servers, CALLER) == []
    assert kinds(servers, mf.STAFF[0]) == ["staff_no_ticket"]


def test_the_recap_lists_calls_by_their_date_and_taker_and_the_summary_counts_channels(authres_env, tmp_path):
    """Acceptance 4: a call taken yesterday (not answered, no e-mail), a visit answered on the
    spot and a requester's own mail: the month's recap lists the call with its call date and the
    staff member who took it as Petugas, the visit with its answer; the summary counts tickets by
    channel (e-mail, telepon, datang langsung) and has seed 003 step 8's row for calls."""
    servers, config = authres_env
    yesterday = datetime.now(WIB).date() - timedelta(days=1)
    call = f"""#telepon
Nama: Pak Joko
Instansi: Dinas Pendidikan
Telepon: 0778 462000
Tanggal: {yesterday:%d/%m/%Y}
Waktu: 09.00
Permasalahan: Jadwal tender tidak tampil di halaman paket.
"""
    visit = f"""#datang
Nama: Rina Wulandari
Email: {CALLER}
Permasalahan: Lupa kata sandi akun penyedia.
Jawaban: Kata sandi direset melalui menu Lupa Password.
"""
    for sender, subject, body in ((mf.STAFF[0], "telepon", call), (mf.STAFF[1], "tamu", visit)):
        msg = mf.parse(mf.mail(sender, subject, body)[0])
        msg["Authentication-Results"] = PASSED
        mf.deliver(servers, config, msg.as_bytes())
    mf.deliver(servers, config, mf.mail("budi@vendor.test", "Gagal login", "Tidak bisa login.\n\nBudi")[0])

    by_channel = {t.channel: t for t in tickets(config)}
    assert sorted(by_channel) == ["datang", "email", "telepon"]
    # the day the visit was written down and answered: the daemon's day, which is today
    # unless its pass ran across midnight (the test does not read the clock after it)
    today = by_channel["datang"].created_at.astimezone(WIB).date()
    assert today - yesterday in (timedelta(days=1), timedelta(days=2))
    months = {f"{yesterday:%Y-%m}", f"{today:%Y-%m}"}
    rows = []
    for month in sorted(months):
        out = tmp_path / f"rekap-{month}.csv"
        assert cli.main(["--config", str(config), "report", "rekap", "--month", month, "--output", str(out)]) == 0
        rows += list(csv.reader(io.StringIO(out.read_text("utf-8-sig"), newline="")))[1:]
    [called] = [r for r in rows if "Jadwal tender tidak tampil" in r[4]]
    assert called[1] == f"{yesterday:%Y-%m-%d}"  # Tgl: the call's date (ISO), not the mail's
    assert called[2] == ""  # no e-mail was given: no placeholder in the recap
    assert called[3] == "Pak Joko (Dinas Pendidikan)"
    assert called[9] == mf.STAFF[0]  # Petugas: who took the call
    [visited] = [r for r in rows if "Lupa kata sandi" in r[4]]
    assert visited[2] == CALLER and visited[9] == mf.STAFF[1]
    assert visited[7] == f"{today:%Y-%m-%d}" and visited[8] == "Kata sandi direset melalui menu Lupa Password."

    month = f"{today:%Y-%m}"
    page = tmp_path / "summary.html"
    assert cli.main(["--config", str(config), "report", "summary", "--month", month, "--output", str(page)]) == 0
    html = page.read_text("utf-8")
    assert "Saluran" in html
    same_month = yesterday.month == today.month
    for label, count in (("Email", 1), ("Telepon", 1 if same_month else 0), ("Datang langsung", 1)):
        assert re.search(rf"<td>{label}</td><td class=\"n\">{count}</td>", html), (label, count)
    # seed 003 step 8 for calls: the visit's number went to staff at once (met); the call
    # written down a day later got its number a day after the call (missed)
    row = re.search(r"<td>Nomor tiket telepon/kunjungan kepada petugas</td><td>[^<]*</td><td>[^<]*</td>"
                    r"<td class=\"n\">(\d+)</td><td class=\"n\">(\d+)</td>", html)
    assert row is not None
    assert (int(row[1]), int(row[2])) == ((2, 1) if same_month else (1, 1))
    # the e-mail ticket's acknowledgement is counted in its own row, the calls are not in it
    ack = re.search(r"<td>Tanda terima dengan nomor tiket</td><td>[^<]*</td><td>[^<]*</td>"
                    r"<td class=\"n\">(\d+)</td>", html)
    assert ack is not None and int(ack[1]) == 1


def test_a_form_pasted_as_a_word_table_in_an_html_mail(authres_env):
    """The form as Outlook sends a table pasted from Word: HTML only, a cell per paragraph,
    the colon in a cell of its own, the sender's closing below it."""
    servers, config = authres_env
    html = (f"""<html><body><div class=WordSection1><p class=MsoNormal>#telepon<o:p></o:p></p>
<table class=MsoTableGrid border=1 cellspacing=0>
<tr><td><p class=MsoNormal>Nama</p></td><td><p class=MsoNormal>:</p></td>"""
            f"""<td><p class=MsoNormal>Siti Aminah</p></td></tr>
<tr><td><p class=MsoNormal>Instansi</p></td><td><p>:</p></td><td><p class=MsoNormal>Dinas PUPR</p></td></tr>
<tr><td><p class=MsoNormal>Email</p></td><td><p>:</p></td><td><p class=MsoNormal>
<a href="mailto:{CALLER}">{CALLER}</a></p></td></tr>
<tr><td><p class=MsoNormal>Permasalahan</p></td><td><p>:</p></td>
<td><p class=MsoNormal>Gagal verifikasi penyedia pada paket 10012345000</p></td></tr>
</table><p class=MsoNormal>&nbsp;</p><p class=MsoNormal>Salam,<br>Andi</p></div></body></html>""")
    msg = mf.parse(mf.mail(mf.STAFF[0], "telepon", "x")[0])
    msg.set_content(html, subtype="html")
    msg["Authentication-Results"] = PASSED
    mf.deliver(servers, config, msg.as_bytes())

    [ticket] = tickets(config)
    assert (ticket.channel, ticket.requester.addr, ticket.contact.name, ticket.contact.organisation) == (
        "telepon", CALLER, "Siti Aminah", "Dinas PUPR")
    assert ticket.subject == "Gagal verifikasi penyedia pada paket 10012345000"
    assert kinds(servers, CALLER) == ["ack"]


def test_a_visit_answered_on_the_spot_opens_resolved_once_confirmed_in_token_mode(env):
    """Token mode: the held visit with its answer opens resolved only when its sender replies;
    the caller gets the solution then (not before), and `TIDAK` reopens it (E4)."""
    servers, config = env
    body = f"#datang\nNama: Rina\nEmail: {CALLER}\nMasalah: Lupa kata sandi.\n#selesai Kata sandi sudah direset.\n"
    mf.deliver(servers, config, mf.mail(mf.STAFF[1], "tamu", body)[0])
    held = mf.latest(servers, mf.STAFF[1], "intake_confirm")
    assert tickets(config) == [] and mf.inbox(servers, CALLER) == []

    mf.deliver(servers, config, mf.reply_as_client(held, mf.STAFF[1], "#buka")[0])
    [ticket] = tickets(config)
    assert (ticket.state, ticket.channel, ticket.taken_by, ticket.number) == (
        State.RESOLVED, "datang", mf.STAFF[1], number_in(held))
    [solution] = mf.inbox(servers, CALLER)
    assert solution["X-Mailbot-Kind"] == "resolved" and "Kata sandi sudah direset." in mf.text_of(solution)

    mf.deliver(servers, config, mf.reply_as_client(solution, CALLER, "TIDAK, masih belum bisa masuk.")[0])
    [ticket] = tickets(config)
    assert ticket.state is State.OPEN

"""SPEC 13, a requester's status link, and the window's safety.

Over the suite's Dovecot and SMTP: two requesters write in, mailbot acknowledges each; the
ack read back over IMAP carries a link to that ticket's status page (only when `web.url`
is set), and the window (served over the store opened read-only) shows that ticket and
nothing of the other's: no internal note, no staff address, no LKPP reference. A tampered
link, the other ticket's number under this signature, a link `status_link_days` after the
ticket closed and a link signed with an old key all get the same neutral page.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests import mailfactory as mf
from tests.webwindow import Client, free_port, links_in, path_of, serving, web_block

WIB = ZoneInfo("Asia/Jakarta")
OPENED = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
BUDI, SITI = "budi@vendor.test", "sari@dinas.test"
NOTE = "catatan internal: rekanan ini pernah bermasalah"  # a staff note the requester must never see


@pytest.fixture
def unit(fresh_mailboxes, tmp_path):
    """Two tickets, each acknowledged; staff put an internal note on Budi's and answer him."""
    servers = fresh_mailboxes
    port = free_port()
    config = mf.write_config(servers, tmp_path, web=web_block(port, status_link_days=30))
    for sender, subject in ((BUDI, "Tidak bisa login SPSE"), (SITI, "Dokumen penawaran gagal diunggah")):
        servers.append(mf.UNIT, mf.mail(sender, subject, "Mohon bantuannya.", date=OPENED)[0])
    mf.handle_at(config, OPENED + timedelta(minutes=1))
    notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if "login" in str(m["Subject"]))
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], f"#catatan {NOTE}")[0])
    mf.handle_at(config, OPENED + timedelta(minutes=5))
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "Silakan reset kata sandi Anda di menu Lupa.")[0])
    mf.handle_at(config, OPENED + timedelta(minutes=10))
    return servers, config, port


def _link(servers, address: str, kind: str = "ack") -> str:
    [link] = {link for link in links_in(mf.text_of(mf.latest(servers, address, kind))) if "/status/" in link}
    return link


@pytest.mark.integration
def test_every_mail_to_a_requester_carries_its_tickets_status_link(unit):
    servers, _config, port = unit
    budi = [mf.text_of(m) for m in mf.inbox(servers, BUDI)]
    assert len(budi) == 2  # the ack and the staff's answer
    links = [{link for link in links_in(text) if "/status/" in link} for text in budi]
    assert all(len(found) == 1 for found in links), budi
    assert links[0] == links[1]  # one link per ticket and requester, in every mail about it
    [link] = links[0]
    assert link.startswith(f"http://localhost:{port}/status/")
    assert _link(servers, SITI) != link
    for text in budi:  # the line the footer carries, in the unit's language (Bahasa Indonesia)
        assert f"Status tiket Anda, kapan saja: {link}" in text
    staff = "\n".join(mf.text_of(m) for m in mf.inbox(servers, mf.STAFF[0]))
    assert "/status/" not in staff  # a staff notice carries no requester's link


@pytest.mark.integration
def test_a_requesters_link_shows_their_ticket_and_nothing_of_anyone_elses(unit):
    servers, config, port = unit
    link = _link(servers, BUDI)
    with serving(config, clock=lambda: OPENED + timedelta(hours=1)):
        page = Client(port).get(path_of(link))
    assert page.status == 200
    text = page.text
    assert "Tidak bisa login SPSE" in text and "Silakan reset kata sandi Anda di menu Lupa." in text
    assert "Dijawab" in text  # the state, in the report's words
    assert "Kami sudah menjawab." in text  # the next step
    assert "Dokumen penawaran" not in text and SITI not in text  # the other ticket
    assert NOTE not in text and "#catatan" not in text  # internal notes
    for staff in (*mf.STAFF, mf.COORDINATOR, mf.HEAD, mf.LKPP):
        assert staff not in text
    assert "lpse.test" not in text.replace(mf.UNIT, "")  # no address of the unit's people at all


@pytest.mark.integration
def test_tampered_other_and_expired_links_show_the_same_neutral_page(unit, tmp_path):
    servers, config, port = unit
    link = path_of(_link(servers, BUDI))
    siti = path_of(_link(servers, SITI))
    mailbox, number, sig = link.rsplit("/", 1)[1].split(".")
    other_number = siti.rsplit("/", 1)[1].split(".")[1]
    flipped = sig[:-1] + ("a" if sig[-1] != "a" else "b")
    tries = {
        "tampered": f"/status/{mailbox}.{number}.{flipped}",
        "other ticket's number": f"/status/{mailbox}.{other_number}.{sig}",
        "number alone": f"/status/{mailbox}.{number}",
        "junk": "/status/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    }
    with serving(config, clock=lambda: OPENED + timedelta(hours=1)):
        client = Client(port)
        answers = {name: client.get(path) for name, path in tries.items()}
        good = client.get(link)
    neutral = answers["tampered"].text
    assert "Tautan ini tidak menunjukkan tiket apa pun." in neutral
    for name, answer in answers.items():
        assert answer.status == 404, name
        assert answer.text == neutral, name  # one page: nothing tells a near miss from junk
        assert number not in answer.text and other_number not in answer.text
    assert good.status == 200


@pytest.mark.integration
def test_a_link_ends_status_link_days_after_its_ticket_closed(unit):
    servers, config, port = unit
    staff_answer = mf.latest(servers, BUDI, "staff_reply")
    servers.append(mf.UNIT, mf.reply_as_client(staff_answer, BUDI, "Sudah bisa, terima kasih. Tiket boleh ditutup.")[0])
    mf.handle_at(config, OPENED + timedelta(hours=1))
    link = path_of(_link(servers, BUDI))
    store = mf.store_of(config)
    closed_at = store.search.find_tickets(requester=BUDI)[0].closed_at
    store.close()
    if closed_at is None:  # the requester's thanks resolved it: staff close it
        notice = mf.latest(servers, mf.STAFF[0])
        servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#tutup diam")[0])
        mf.handle_at(config, OPENED + timedelta(hours=2))
        store = mf.store_of(config)
        closed_at = store.search.find_tickets(requester=BUDI)[0].closed_at
        store.close()
    assert closed_at is not None
    times = {"a day before its end": closed_at + timedelta(days=29), "at its end": closed_at + timedelta(days=30)}
    answers = {}
    for name, moment in times.items():
        with serving(config, clock=lambda moment=moment: moment):
            answers[name] = Client(port).get(link)
    assert answers["a day before its end"].status == 200
    assert "Ditutup" in answers["a day before its end"].text
    assert answers["at its end"].status == 404
    assert "Tautan ini tidak menunjukkan tiket apa pun." in answers["at its end"].text


@pytest.mark.integration
def test_a_new_key_revokes_every_link(unit):
    servers, config, port = unit
    link = path_of(_link(servers, BUDI))
    store = mf.store_of(config)
    key_file = mf.yaml.safe_load(config.read_text())["secret_key_file"]
    store.close()
    from pathlib import Path

    Path(key_file).write_text("f" * 64 + "\n")
    with serving(config, clock=lambda: OPENED + timedelta(hours=1)):
        answer = Client(port).get(link)
    assert answer.status == 404


@pytest.mark.integration
def test_without_web_url_no_mail_carries_a_link(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, web={"listen": f"127.0.0.1:{free_port()}"})
    servers.append(mf.UNIT, mf.mail(BUDI, "Tidak bisa login SPSE", "Mohon bantuannya.", date=OPENED)[0])
    mf.handle_at(config, OPENED + timedelta(minutes=1))
    text = mf.text_of(mf.latest(servers, BUDI, "ack"))
    assert "/status/" not in text and "Status tiket Anda" not in text
    assert text.rstrip().endswith("agar pesan Anda tercatat pada tiket 2026-00001.")


@pytest.mark.integration
def test_the_window_cannot_write_the_store(unit):
    """SPEC 13: the web process opens SQLite `mode=ro`: a write through its connection fails,
    whatever the connection's own settings say."""
    _servers, config, _port = unit
    with serving(config) as window:
        db = window.store.database
        before = db.execute("select count(*) from tickets").fetchone()[0]
        for sql in ("insert into meta (key, value) values ('web', 'wrote')", "delete from tickets",
                    "pragma query_only=off"):
            try:
                db.execute(sql)
            except sqlite3.OperationalError as exc:
                assert "readonly" in str(exc) or "read-only" in str(exc) or "query_only" in str(exc), exc
        with pytest.raises(sqlite3.OperationalError, match="readonly database"):
            db.execute("update tickets set subject = 'changed by the window'")  # query_only off: the file says no
        assert db.execute("select count(*) from tickets").fetchone()[0] == before
    store = mf.store_of(config)
    assert store.metadata.meta("web") is None
    assert all(t.subject != "changed by the window" for t in store.search.find_tickets())
    store.close()


@pytest.mark.integration
def test_every_answer_carries_the_windows_policy_and_no_token_in_a_cookie_or_log(unit, capfd):
    servers, config, port = unit
    link = path_of(_link(servers, BUDI))
    from mailbot.io import logs

    logs.configure("json", "info")
    capfd.readouterr()
    with serving(config, clock=lambda: OPENED + timedelta(hours=1)):
        client = Client(port)
        answers = [client.get(link), client.get("/masuk"), client.get("/"), client.get("/tidak-ada")]
    for answer in answers:
        policy = answer.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy  # no script at all
        assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-content-type-options"] == "nosniff"
    for line in answers[1].cookies:  # the browser's cookie, set by the sign-in page
        assert re.search(r"(?i); secure", line) and re.search(r"(?i); httponly", line)
        assert re.search(r"(?i); samesite=lax", line)
    token = link.rsplit("/", 1)[1]
    logged = capfd.readouterr()
    assert '"path": "/status/***"' in logged.out  # the request is logged, its token masked
    assert token not in logged.out + logged.err


# --- the next step with its date, the unit's lateness said plainly, what the requester wrote ---

WROTE = "Akun saya terkunci.\n<b>penting</b> \x1b]52;c;Y3VybA==\x07 kode tender 10234567"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
WROTE_SHOWN = "<b>penting</b> \\x1b]52;c;Y3VybA==\\x07 kode tender 10234567"  # as text, its controls visible


@pytest.fixture
def unanswered(fresh_mailboxes, tmp_path):
    """Budi writes Tuesday 24 November 2026 09:00 with a screenshot; nobody answers him."""
    servers = fresh_mailboxes
    port = free_port()
    config = mf.write_config(servers, tmp_path, web=web_block(port, status_link_days=30))
    servers.append(mf.UNIT, mf.mail(BUDI, "Akun penyedia terkunci", WROTE, date=OPENED,
                                    attachments=(("layar.png", "image/png", PNG),))[0])
    mf.handle_at(config, OPENED + timedelta(minutes=1))
    return servers, config, port


@pytest.mark.integration
def test_a_ticket_unanswered_for_67_days_says_plainly_the_unit_is_late_in_a_browser(unanswered):
    """SPEC 13: "the next step with its date (and plainly, when the unit is late), what the
    requester wrote and the mail sent to them". Opened Tuesday 09:01 (when first read), high
    priority (an account blocked in a tender): the first answer was due 10:01 (1 working hour),
    the 3x24 hours ran out Friday 09:01; 67 days on, the page says so, never that the unit
    "akan segera menanggapi"; Budi's own mail is there beside the ack, as text."""
    from selenium.webdriver.common.by import By

    from tests.browser import browser

    servers, config, _port = unanswered
    link = _link(servers, BUDI)
    with serving(config, clock=lambda: OPENED + timedelta(days=67)), browser() as driver:
        driver.get(link)
        main = driver.find_element(By.TAG_NAME, "main")
        page = main.text
        nxt = driver.find_element(By.CSS_SELECTOR, "p.next.late").text
        deadlines = driver.find_element(By.CSS_SELECTOR, "table.deadlines").text
        mails = [(a.get_attribute("class"), a.text) for a in driver.find_elements(By.CSS_SELECTOR, "article.mail")]
        bold = driver.find_elements(By.CSS_SELECTOR, "article.mail b")
    assert nxt == ("Kami terlambat. Petugas helpdesk belum menanggapi pertanyaan atau pengaduan Anda, padahal batas "
                   "waktunya (Selasa, 24 November 2026 10:01 WIB) sudah lewat. Mohon maaf; koordinator helpdesk "
                   "sudah diberi tahu.")
    assert "akan segera menanggapi" not in page
    assert deadlines.splitlines() == [
        "Tanggapan pertama dari petugas helpdesk Selasa, 24 November 2026 10:01 WIB (sudah lewat)",
        "Penyelesaian (standar 3x24 jam) Jumat, 27 November 2026 09:01 WIB (sudah lewat)"]
    [(theirs_class, theirs), (ours_class, ours)] = mails
    assert "in" in theirs_class.split() and "out" in ours_class.split()
    assert theirs.startswith("Anda menulis · 24-11-2026 09:01 · Akun penyedia terkunci · lampiran: 1")
    assert "Akun saya terkunci." in theirs and WROTE_SHOWN in theirs and bold == []
    assert ours.startswith("Kami mengirim · 24-11-2026 09:01") and "2026-00001" in ours


@pytest.mark.integration
def test_the_next_step_gives_the_date_of_what_the_ticket_waits_on(unanswered):
    """Staff ask Budi for his NIB (`#minta-data`) Tuesday 10:00: his page asks for it by the day the
    ticket closes without it (5 working days: Tuesday 1 December 10:00) and shows the 3x24 hours
    stopped, with what is left; after `#selesai`, his confirmation by its date."""
    servers, config, port = unanswered
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#minta-data\nMohon kirimkan NIB Anda.")[0])
    mf.handle_at(config, OPENED + timedelta(hours=1))
    link = path_of(_link(servers, BUDI))
    with serving(config, clock=lambda: OPENED + timedelta(hours=2)):
        waiting = Client(port).get(link).text
    assert ("Kami menunggu data atau dokumen dari Anda. Balas email permintaan data kami dengan data tersebut "
            "paling lambat Selasa, 1 Desember 2026 10:00 WIB; setelah itu tiket ditutup otomatis.") in waiting
    assert "berhenti selama kami menunggu data dari Anda (sisa 71 jam)" in waiting
    assert "Mohon kirimkan NIB Anda." in waiting
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#selesai Akun sudah kami buka.")[0])
    mf.handle_at(config, OPENED + timedelta(hours=3))
    with serving(config, clock=lambda: OPENED + timedelta(hours=4)):
        solved = Client(port).get(link).text
    assert ("Solusi sudah kami kirim. Mohon konfirmasi dengan membalas email kami apakah permasalahan sudah "
            "teratasi, paling lambat Jumat, 27 November 2026 12:00 WIB; tanpa jawaban, tiket ditutup otomatis "
            "pada saat itu.") in solved
    assert "Penyelesaian (standar 3x24 jam)" not in solved  # met: a solution reached him

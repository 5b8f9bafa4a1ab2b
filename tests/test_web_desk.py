"""SPEC 13, staff, coordinators and heads sign in by a mailed link and see
the desk; the pages escape what anyone wrote (point 4).

Over the suite's Dovecot and SMTP: the sign-in link is read back over IMAP from the
person's INBOX, as they would open it. An address the config does not name gets the same
page and no mail; a link works once, in the browser that asked, for 15 minutes; requests
are limited per address and per client. Signed in, the head sees the open tickets as the
digest groups them (the overdue one first, with why), `tickets`' filters, a ticket's story
with its internal note, the month's summary and its downloads, the directions waiting.
A requester's hostile subject (OSC 52, `<script>`, a bidi override) is text on every page.
"""

from __future__ import annotations

import io
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from tests import mailfactory as mf
from tests.webwindow import Client, free_port, links_in, path_of, serving, web_block

WIB = ZoneInfo("Asia/Jakarta")
OPENED = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)  # a Tuesday
LATER = datetime(2026, 11, 26, 10, 0, tzinfo=WIB)  # two working days on: the first answer is overdue
BUDI, SARI = "budi@vendor.test", "sari@dinas.test"
HOSTILE = "Login gagal \x1b]52;c;Y3VybCBldmlsfHNo\x07<script>alert(1)</script> \u202efdp.exe"
HOSTILE_SHOWN = "Login gagal \\x1b]52;c;Y3VybCBldmlsfHNo\\x07&lt;script&gt;alert(1)&lt;/script&gt; \\u202efdp.exe"
NOTE = "catatan internal untuk koordinator"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def desk(fresh_mailboxes, tmp_path):
    """Budi's ticket (hostile subject) left unanswered; Sari's answered, noted and sent to the
    coordinators for direction."""
    servers = fresh_mailboxes
    port = free_port()
    config = mf.write_config(servers, tmp_path, web=web_block(port))
    servers.append(mf.UNIT, mf.mail(BUDI, HOSTILE, "Tidak bisa masuk ke SPSE sejak pagi.", date=OPENED)[0])
    servers.append(mf.UNIT, mf.mail(SARI, "Dokumen penawaran gagal diunggah", "Mohon dibantu.", date=OPENED)[0])
    mf.handle_at(config, OPENED + timedelta(minutes=1))
    notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if "Dokumen" in str(m["Subject"]))
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], f"#catatan {NOTE}")[0])
    mf.handle_at(config, OPENED + timedelta(minutes=5))
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#koordinator mohon arahan")[0])
    mf.handle_at(config, OPENED + timedelta(minutes=10))
    return servers, config, port


def _signin_mails(servers, address: str) -> list:
    return mf.of_kind(mf.inbox(servers, address), "web_signin")


def _signed_in(servers, client: Client, address: str) -> None:
    """Ask for a link, read it back over IMAP, open it in the same browser."""
    before = len(_signin_mails(servers, address))
    assert "Jika alamat itu terdaftar" in client.ask_link(address).text
    assert mf.wait_for(lambda: len(_signin_mails(servers, address)) > before, 20)
    [link] = links_in(mf.text_of(_signin_mails(servers, address)[-1]))
    answer = client.get(path_of(link))
    assert answer.status == 303, answer.text
    assert "mb_session" in client.jar


@pytest.mark.integration
def test_a_head_signs_in_by_the_mailed_link_and_sees_the_desk_as_the_digest_groups_it(desk):
    servers, config, port = desk
    with serving(config, clock=lambda: LATER):
        client = Client(port)
        assert client.get("/").status == 303  # not signed in: to /masuk
        _signed_in(servers, client, mf.HEAD)
        page = client.get("/")
    assert page.status == 200
    text = page.text
    mail = mf.text_of(_signin_mails(servers, mf.HEAD)[-1])
    assert "dalam 15 menit" in mail and mf.HEAD not in mail.split("http")[0].replace(mf.HEAD, "")  # Indonesian
    listed = text.split("<h2>Tiket belum ditutup (2)</h2>", 1)[1].split("</table>", 1)[0]
    rows = listed.split("<tr")[2:]  # one row per ticket, the longest past a deadline first
    assert sorted(n for row in rows for n in set(re.findall(r"2026-\d{5}", row))) == ["2026-00001", "2026-00002"]
    # both owe their first answer, handled Tuesday 09:01: Budi's blocked login within the hour
    # (high priority), since 10:01; Sari's within 4 working hours, since 13:01; by Thursday 10:00
    # that is 15 h 59 min and 12 h 59 min of working time, the longest first. Sari's also waits
    # for the coordinators' direction (a second deadline passed, on the same row)
    assert all("belum ada tanggapan pertama dari helpdesk" in row for row in rows)
    assert [re.search(r"<b>([^<]*)</b>", row)[1] for row in rows] == ["1 hari kerja 7 jam", "1 hari kerja 4 jam"]
    assert "+1 batas waktu lain" in next(row for row in rows if "2026-00002" in row)
    assert "Email" in listed and "Lewat batas waktu: <b>2</b>" in text


@pytest.mark.integration
def test_an_address_not_in_the_config_gets_the_same_page_and_no_mail(desk):
    servers, config, port = desk
    with serving(config, clock=lambda: LATER):
        client = Client(port)
        answers = {who: client.ask_link(who) for who in (mf.HEAD, BUDI, "orang.asing@contoh.test", mf.UNIT)}
        assert mf.wait_for(lambda: len(_signin_mails(servers, mf.HEAD)) == 1, 20)
    pages = {who: a.text for who, a in answers.items()}
    assert len(set(pages.values())) == 1, pages.keys()  # the same words for every address
    assert all(a.status == 200 for a in answers.values())
    for other in (BUDI, mf.UNIT, "catchall@lpse.test"):
        assert _signin_mails(servers, other) == []


@pytest.mark.integration
def test_a_link_works_once_in_the_browser_that_asked_within_15_minutes(desk):
    servers, config, port = desk
    moment = [LATER]
    with serving(config, clock=lambda: moment[0]):
        asker, other = Client(port), Client(port)
        asker.ask_link(mf.COORDINATOR)
        assert mf.wait_for(lambda: len(_signin_mails(servers, mf.COORDINATOR)) == 1, 20)
        [link] = links_in(mf.text_of(_signin_mails(servers, mf.COORDINATOR)[0]))
        assert other.get(path_of(link)).status == 400  # another browser (a mail scanner): nobody signed in
        assert "mb_session" not in other.jar
        assert asker.get(path_of(link)).status == 303 and "mb_session" in asker.jar
        again = Client(port, jar={"mb_browser": asker.jar["mb_browser"]})
        assert again.get(path_of(link)).status == 400  # used once
        asker.ask_link(mf.COORDINATOR)
        assert mf.wait_for(lambda: len(_signin_mails(servers, mf.COORDINATOR)) == 2, 20)
        [late] = links_in(mf.text_of(_signin_mails(servers, mf.COORDINATOR)[1]))
        moment[0] = LATER + timedelta(minutes=15)
        stale = Client(port, jar={"mb_browser": asker.jar["mb_browser"]})
        answer = stale.get(path_of(late))
    assert answer.status == 400 and "tidak dapat dipakai lagi" in answer.text


@pytest.mark.integration
def test_link_requests_are_limited_per_address_and_per_client(desk):
    servers, config, port = desk
    with serving(config, clock=lambda: LATER):
        client = Client(port)
        for _ in range(5):
            client.ask_link(mf.HEAD)
        assert mf.wait_for(lambda: len(_signin_mails(servers, mf.HEAD)) >= 3, 20)
        time.sleep(1)  # a fourth would have come by now
        assert len(_signin_mails(servers, mf.HEAD)) == 3  # SPEC 13: limited per address
    with serving(config, clock=lambda: LATER + timedelta(hours=1)):  # a new process: fresh counts
        client = Client(port)
        people = (mf.STAFF[0], mf.STAFF[1], mf.COORDINATOR, mf.HEAD)
        for i in range(14):
            client.ask_link(people[i % 4])
        assert mf.wait_for(lambda: sum(len(_signin_mails(servers, p)) for p in people) >= 3 + 10, 20)
        time.sleep(1)
    counts = {p: len(_signin_mails(servers, p)) for p in people}
    # ... and per client: of 14 requests in turn for the four, the first 10 were mailed (the head's 3 before)
    assert counts == {mf.STAFF[0]: 3, mf.STAFF[1]: 3, mf.COORDINATOR: 2, mf.HEAD: 3 + 2}


@pytest.mark.integration
def test_a_session_is_for_its_browser_and_signing_out_ends_it(desk):
    servers, config, port = desk
    with serving(config, clock=lambda: LATER):
        client = Client(port)
        _signed_in(servers, client, mf.STAFF[0])
        thief = Client(port, jar={"mb_session": client.jar["mb_session"]})  # the cookie alone, another browser
        assert thief.get("/").status == 303
        out = client.post("/keluar", {})
        assert out.status == 303 and "mb_session" not in client.jar
        assert client.get("/").status == 303


@pytest.mark.integration
def test_the_pages_of_a_signed_in_coordinator(desk):
    servers, config, port = desk
    with serving(config, clock=lambda: LATER):
        client = Client(port)
        _signed_in(servers, client, mf.COORDINATOR)
        found = client.get("/?cari=penawaran&status=")
        closed_only = client.get("/?status=closed")
        ticket = client.get("/tiket/t/2026-00002")
        missing = client.get("/tiket/t/2026-09999")
        directions = client.get("/arahan")
        summary = client.made("/ringkasan?kotak=t&bulan=2026-11")
        rekap = client.get("/unduh/rekap.xlsx?kotak=t&bulan=2026-11")
        tamu = client.get("/unduh/tamu.csv?kotak=t&bulan=2026-11")
    listed = found.text.split("<h2>Tiket yang cocok (1)</h2>", 1)[1]
    assert "2026-00002" in listed and "2026-00001" not in listed  # `tickets --search`
    assert "Tidak ada tiket yang cocok." in closed_only.text
    assert ticket.status == 200 and NOTE in ticket.text and "Dokumen penawaran gagal diunggah" in ticket.text
    # the story as #riwayat tells it, in the unit's words and time zone, then the mail; the
    # record's codes stay in `mailbot ticket N --full` (readable, as #riwayat is)
    story = ticket.text.split('<ol class="story">', 1)[1].split("</ol>", 1)[0]
    assert "mailbot mengirim permohonan arahan" in story and "Mohon dibantu." in ticket.text
    # what mailbot sent, when (the test's moments, OPENED + 1 and + 10 minutes, in WIB) and to whom
    assert "Selasa 24-11 09:01" in story and "mailbot mengirim tanda terima &rarr; sari@dinas.test" in story
    assert "Selasa 24-11 09:10" in story and "sari@dinas.test (pengguna)" in story
    assert "direction_requested" not in ticket.text and "ticket_opened" not in ticket.text
    assert missing.status == 404
    waiting = directions.text.split("Koordinator Helpdesk", 1)[1].split("</section>", 1)[0]
    assert "2026-00002" in waiting and mf.COORDINATOR in waiting
    assert summary.status == 200 and "data:image/png;base64," in summary.text  # the report's charts
    policy = summary.headers["content-security-policy"]
    assert "'sha256-" in policy and "script-src" not in policy and "'unsafe-inline'" not in policy
    sheet = openpyxl.load_workbook(io.BytesIO(rekap.body)).active
    header = [c.value for c in next(r for r in sheet.iter_rows() if r[0].value == "No")]
    assert header[:10] == ["No", "Tgl", "Alamat E-mail", "Nama", "Isi Pesan", "Kategori", "Tujuan", "Tgl Jawaban",
                           "Isi Jawaban", "Petugas"]
    assert 'filename="rekap-t-2026-11.xlsx"' in rekap.headers["content-disposition"]
    assert tamu.status == 200 and tamu.headers["content-type"].startswith("text/csv")


@pytest.mark.integration
def test_a_person_sees_only_the_mailboxes_their_address_is_configured_for(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    port = free_port()
    first = {**mf.mailbox_block(servers), "staff": [mf.STAFF[0]]}
    second = {**mf.mailbox_block(servers, address="catchall@lpse.test", name="dua", prefix="LPSE-D"),
              "staff": [mf.STAFF[1]]}
    config = mf.write_config(servers, tmp_path, web=web_block(port), mailboxes=[first, second])
    servers.append("catchall@lpse.test", mf.mail(SARI, "Rahasia unit dua", "isi", to="catchall@lpse.test",
                                                 date=OPENED)[0])
    servers.append(mf.UNIT, mf.mail(BUDI, "Pertanyaan unit satu", "isi", date=OPENED)[0])
    mf.handle_at(config, OPENED + timedelta(minutes=1))
    with serving(config, clock=lambda: LATER):
        client = Client(port)
        _signed_in(servers, client, mf.STAFF[0])
        page = client.get("/").text
        other = client.get("/tiket/dua/2026-00001")
        forced = client.get("/?kotak=dua").text
    assert "Pertanyaan unit satu" in page and "Rahasia unit dua" not in page
    assert other.status == 404 and "Rahasia unit dua" not in forced


@pytest.mark.integration
def test_hostile_text_is_text_on_every_page(desk):
    servers, config, port = desk
    status_link = next(link for link in links_in(mf.text_of(mf.latest(servers, BUDI, "ack"))) if "/status/" in link)
    with serving(config, clock=lambda: LATER):
        client = Client(port)
        _signed_in(servers, client, mf.HEAD)
        pages = {"overview": client.get("/"), "search": client.get("/?cari=gagal&status="),
                 "ticket": client.get("/tiket/t/2026-00001"), "summary": client.made("/ringkasan?bulan=2026-11"),
                 "status": Client(port).get(path_of(status_link))}
    for name, page in pages.items():
        assert page.status == 200, name
        assert not RAW.search(page.text), (name, sorted(set(RAW.findall(page.text))))
        assert "<script>" not in page.text, name
    for name in ("overview", "ticket", "status"):
        assert HOSTILE_SHOWN in pages[name].text, name


@pytest.mark.integration
def test_the_late_tickets_follow_what_the_daemon_writes_while_the_window_runs(desk):
    """The window keeps which tickets are late between requests (the digest's reading of
    thousands costs a second): mail handled meanwhile shows at the next request."""
    servers, config, port = desk
    notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if "Dokumen" not in
                  str(m["Subject"]))  # Budi's
    with serving(config, clock=lambda: LATER):
        client = Client(port)
        _signed_in(servers, client, mf.HEAD)
        before = client.get("/?terlambat=1").text
        servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "Silakan reset kata sandi lewat menu Lupa.")[0])
        mf.handle_at(config, LATER - timedelta(minutes=5))  # the daemon, beside the window
        after = client.get("/?terlambat=1").text
    assert "Tiket lewat batas waktu (2)" in before and "Lewat batas waktu: <b>2</b>" in before
    assert "Tiket lewat batas waktu (1)" in after and "Lewat batas waktu: <b>1</b>" in after
    assert "2026-00001" not in after.split("<h2>", 2)[-1] and "2026-00002" in after  # Budi's answered now
    assert "Dijawab: <b>1</b>" in after  # the counts by state follow too

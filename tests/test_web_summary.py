"""SPEC 13: the month's summary in the window is made once per change of its month's data
(and once a day at most for a month without changes) and served from there; no page waits
behind another; the summary's figures across the last twelve months; the summary at a
phone's width.

Over the suite's Dovecot and SMTP, on SQLite and on the private PostgreSQL cluster: the
daemon (`handle_at`) records the mail, the window is served as `mailbot web` serves it
(uvicorn over the store opened read-only), signed in by a mailed link read back over IMAP.
The window's clock is the test's: the summary says when it was made ("Dibuat ..."), which
tells a page served from what was kept from one made anew.
"""

from __future__ import annotations

import html
import multiprocessing
import os
import re
import signal
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By

from tests import mailfactory as mf
from tests.browser import browser, made
from tests.test_web_browser import _no_policy_report, _sign_in
from tests.test_web_desk import _signed_in
from tests.webwindow import Client, free_port, links_in, path_of, serving, web_block

WIB = ZoneInfo("Asia/Jakarta")
OCTOBER = datetime(2026, 10, 20, 9, 0, tzinfo=WIB)  # a Tuesday
NOVEMBER = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)  # a Tuesday
BUDI, SARI, RINA = "budi@vendor.test", "sari@dinas.test", "rina@cv-maju.test"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> dict[str, str]:
    """The config's `database:` on each engine (SQLite: the test's default file)."""
    if request.param == "sqlite":
        return {}
    return {"database": request.getfixturevalue("pg_cluster").database()}


def _made_at(page: str) -> str:
    """When the summary says it was made: "Kamis, 26 November 2026 10:00 WIB"."""
    found = re.search(r"Dibuat (.+? WIB)\.", page)
    assert found, page[:2000]
    return found[1]


def _opened(page: str) -> int:
    found = re.search(r'<div class="big">(\d+)</div>dibuka', page)
    assert found, page[:2000]
    return int(found[1])


def _state_count(page: str, state: str) -> int:
    found = re.search(rf"<tr><td>{state}</td><td class=\"n\">(\d+)</td></tr>", page)
    assert found, page[:4000]
    return int(found[1])


@pytest.mark.integration
def test_the_summary_is_kept_until_its_months_data_changes(fresh_mailboxes, tmp_path, engine):
    servers = fresh_mailboxes
    port = free_port()
    config = mf.write_config(servers, tmp_path, web=web_block(port), **engine)
    servers.append(mf.UNIT, mf.mail(SARI, "Jadwal tender tidak muncul", "Mohon dibantu.", date=OCTOBER)[0])
    mf.handle_at(config, OCTOBER + timedelta(minutes=1))
    servers.append(mf.UNIT, mf.mail(BUDI, "Tidak bisa login SPSE", "Akun terkunci.", date=NOVEMBER)[0])
    mf.handle_at(config, NOVEMBER + timedelta(minutes=1))
    clock = [datetime(2026, 11, 26, 10, 0, tzinfo=WIB)]
    with serving(config, clock=lambda: clock[0]):
        client = Client(port)
        _signed_in(servers, client, mf.HEAD)
        first = client.made("/ringkasan?bulan=2026-11")
        assert first.status == 200 and _made_at(first.text) == "Kamis, 26 November 2026 10:00 WIB"
        assert _opened(first.text) == 1
        clock[0] = datetime(2026, 11, 26, 11, 0, tzinfo=WIB)
        again = client.get("/ringkasan?bulan=2026-11")
        assert again.status == 200 and _made_at(again.text) == "Kamis, 26 November 2026 10:00 WIB"  # kept

        # Sari writes again on her October ticket: October's data changed, November's did not
        notice = mf.latest(servers, SARI, "ack")
        servers.append(mf.UNIT, mf.reply_as_client(notice, SARI, "Masih belum muncul sampai hari ini.")[0])
        mf.handle_at(config, datetime(2026, 11, 26, 11, 5, tzinfo=WIB))
        clock[0] = datetime(2026, 11, 26, 11, 10, tzinfo=WIB)
        november = client.get("/ringkasan?bulan=2026-11")
        assert _made_at(november.text) == "Kamis, 26 November 2026 10:00 WIB"
        october = client.made("/ringkasan?bulan=2026-10")
        assert _made_at(october.text) == "Kamis, 26 November 2026 11:10 WIB" and _opened(october.text) == 1
        clock[0] = datetime(2026, 11, 26, 15, 0, tzinfo=WIB)
        closed_month = client.get("/ringkasan?bulan=2026-10")  # a closed month, unchanged: from what was kept
        assert closed_month.status == 200 and _made_at(closed_month.text) == "Kamis, 26 November 2026 11:10 WIB"

        # a new message in November (Rina's new ticket) shows on the next request
        servers.append(mf.UNIT, mf.mail(RINA, "Lupa kata sandi", "Mohon reset.", date=clock[0])[0])
        mf.handle_at(config, datetime(2026, 11, 26, 15, 5, tzinfo=WIB))
        clock[0] = datetime(2026, 11, 26, 15, 10, tzinfo=WIB)
        new_ticket = client.made("/ringkasan?bulan=2026-11")
        assert _made_at(new_ticket.text) == "Kamis, 26 November 2026 15:10 WIB" and _opened(new_ticket.text) == 2
        assert _state_count(new_ticket.text, "Dijawab") == 0

        # a change of state in November: staff answer Budi
        staff_notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
                            if "login" in str(m["Subject"]))
        servers.append(mf.UNIT, mf.reply_as_client(staff_notice, mf.STAFF[0], "Akun sudah kami buka kembali.")[0])
        mf.handle_at(config, datetime(2026, 11, 26, 15, 15, tzinfo=WIB))
        clock[0] = datetime(2026, 11, 26, 15, 20, tzinfo=WIB)
        answered = client.made("/ringkasan?bulan=2026-11")
        assert _made_at(answered.text) == "Kamis, 26 November 2026 15:20 WIB"
        assert _state_count(answered.text, "Dijawab") == 1 and _opened(answered.text) == 2

        # the next day, the closed month is made again once (its running cases may have turned late)
        clock[0] = datetime(2026, 11, 27, 8, 30, tzinfo=WIB)
        _signed_in(servers, client, mf.HEAD)  # yesterday's session lasted its working day
        next_day = client.made("/ringkasan?bulan=2026-10")
        assert _made_at(next_day.text) == "Jumat, 27 November 2026 08:30 WIB"
        clock[0] = datetime(2026, 11, 27, 9, 30, tzinfo=WIB)
        assert _made_at(client.get("/ringkasan?bulan=2026-10").text) == "Jumat, 27 November 2026 08:30 WIB"


@pytest.mark.integration
def test_pages_answer_while_summaries_are_being_made(fresh_mailboxes, tmp_path, engine):
    """Three summaries asked at once, none made yet, the worker that makes them held still
    (SIGSTOP): a requester's status page, the overview and a ticket answer meanwhile, each
    before any of the three; once the worker goes on, the three come."""
    servers = fresh_mailboxes
    port = free_port()
    config = mf.write_config(servers, tmp_path, web=web_block(port), **engine)
    servers.append(mf.UNIT, mf.mail(BUDI, "Tidak bisa login SPSE", "Akun terkunci.", date=NOVEMBER)[0])
    mf.handle_at(config, NOVEMBER + timedelta(minutes=1))
    [status_link] = [link for link in links_in(mf.text_of(mf.latest(servers, BUDI, "ack"))) if "/status/" in link]
    with serving(config, clock=lambda: datetime(2026, 11, 26, 10, 0, tzinfo=WIB)) as window:
        client = Client(port)
        _signed_in(servers, client, mf.HEAD)
        assert window.months.worker.submit(len, "").result(timeout=120) == 0  # the worker started, idle
        [worker] = multiprocessing.active_children()
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGSTOP)
        done: list[str] = []
        answers: dict[str, int] = {}
        lock = threading.Lock()

        def ask(name: str, path: str, summary: bool) -> None:
            own = Client(port, jar=dict(client.jar))
            answer = own.made(path) if summary else own.get(path)
            with lock:
                done.append(name)
                answers[name] = answer.status

        try:
            summaries = [threading.Thread(target=ask, args=(f"summary {m}", f"/ringkasan?bulan={m}", True))
                         for m in ("2026-09", "2026-10", "2026-11")]
            for thread in summaries:
                thread.start()
            for index in range(5):
                ask(f"status {index}", path_of(status_link), False)
            ask("overview", "/", False)
            ask("ticket", "/tiket/t/2026-00001", False)
            assert all(thread.is_alive() for thread in summaries)  # the three still wait for the worker
        finally:
            os.kill(worker.pid, signal.SIGCONT)
        for thread in summaries:
            thread.join(180)
    assert done[:7] == ["status 0", "status 1", "status 2", "status 3", "status 4", "overview", "ticket"]
    assert sorted(done[7:]) == ["summary 2026-09", "summary 2026-10", "summary 2026-11"]
    assert set(answers.values()) == {200}, answers


# --- twelve months side by side ------------------------------------------------------------

TREND_DAYS = (  # (when, requester, subject): one in December 2025, two in March 2026, one in November 2026
    (datetime(2025, 12, 10, 9, 0, tzinfo=WIB), BUDI, "Sertifikat elektronik kedaluwarsa"),
    (datetime(2026, 3, 10, 9, 0, tzinfo=WIB), SARI, "Jadwal tender tidak muncul"),
    (datetime(2026, 3, 10, 9, 30, tzinfo=WIB), RINA, "Lupa kata sandi"),
    (datetime(2026, 11, 24, 9, 0, tzinfo=WIB), BUDI, "Tidak bisa login SPSE"),
)


def _trend_rows(page: str) -> dict[str, list[str]]:
    """The trend's table as {figure: [its text per month, oldest first]}; the heads under ""."""
    table = page.split('<table class="trend">', 1)[1].split("</table>", 1)[0]
    rows: dict[str, list[str]] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL):
        cells = [html.unescape(re.sub(r"<[^>]+>", " ", c)).split() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>",
                                                                                      row, re.DOTALL)]
        name = " ".join(cells[0]) if row.count("scope=\"row\"") else ""
        rows[name] = [" ".join(c) for c in cells[1:]]
    return rows


@pytest.mark.integration
def test_the_trend_shows_each_of_the_twelve_months(fresh_mailboxes, tmp_path, engine):
    servers = fresh_mailboxes
    port = free_port()
    config = mf.write_config(servers, tmp_path, web=web_block(port), **engine)
    for when, sender, subject in TREND_DAYS:
        servers.append(mf.UNIT, mf.mail(sender, subject, "Mohon dibantu.", date=when)[0])
        mf.handle_at(config, when + timedelta(minutes=1))
    notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
                  if "Sertifikat" in str(m["Subject"]))
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#tutup")[0])  # December's ticket closed
    mf.handle_at(config, datetime(2025, 12, 10, 10, 0, tzinfo=WIB))
    with serving(config, clock=lambda: datetime(2026, 11, 26, 10, 0, tzinfo=WIB)):
        client = Client(port)
        _signed_in(servers, client, mf.HEAD)
        page = client.made("/ringkasan/tren?bulan=2026-11")
    assert page.status == 200, page.text[:2000]
    rows = _trend_rows(page.text)
    assert rows[""][:12] == ["Des 2025", "Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026", "Mei 2026", "Jun 2026",
                             "Jul 2026", "Agu 2026", "Sep 2026", "Okt 2026", "Nov 2026"]
    assert rows["Dibuka"] == ["1", "0", "0", "2", "0", "0", "0", "0", "0", "0", "0", "1"]
    assert rows["Ditutup"] == ["1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"]
    assert rows["Belum ditutup"] == ["0", "0", "0", "2", "0", "0", "0", "0", "0", "0", "0", "1"]
    assert rows["Email"] == rows["Dibuka"] and rows["Telepon"] == ["0"] * 12
    assert 'src="data:image/png;base64,' in page.text and "<script" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]


# --- at a phone's width ----------------------------------------------------------------------


@pytest.mark.integration
def test_the_summary_and_the_trend_at_a_phones_width(fresh_mailboxes, tmp_path):
    """At 390 x 844 in chromium: no sideways scroll of the page (wide tables scroll in their
    own box), the header whole on the screen with its "Keluar"; nothing the policy blocks."""
    servers = fresh_mailboxes
    port = free_port()
    config = mf.write_config(servers, tmp_path, web=web_block(port))
    servers.append(mf.UNIT, mf.mail(BUDI, "Tidak bisa login SPSE, akun terkunci setelah salah kata sandi tiga kali",
                                    "Akun terkunci.", date=NOVEMBER)[0])
    mf.handle_at(config, NOVEMBER + timedelta(minutes=1))
    with serving(config, clock=lambda: datetime(2026, 11, 26, 10, 0, tzinfo=WIB)), browser() as driver:
        _sign_in(driver, servers, port, mf.HEAD)
        driver.set_window_size(390, 844)
        for path in ("/ringkasan?bulan=2026-11", "/ringkasan/tren?bulan=2026-11"):
            made(driver, f"http://localhost:{port}{path}")
            width = driver.execute_script("return document.documentElement.clientWidth")
            assert driver.execute_script("return document.documentElement.scrollWidth") <= width, path
            header = driver.find_element(By.TAG_NAME, "header")
            assert header.rect["y"] >= 0 and header.rect["x"] + header.rect["width"] <= width + 1, path
            signout = header.find_element(By.XPATH, ".//button[normalize-space()='Keluar']")
            assert signout.is_displayed() and signout.rect["x"] + signout.rect["width"] <= width, path
            assert driver.find_elements(By.CSS_SELECTOR, "meta[name=viewport]"), path
            _no_policy_report(driver)

"""In a real browser: Debian's headless chromium drives the window.

The head asks for a sign-in link on `/masuk`, the link is read back over IMAP from the
suite's Dovecot and opened in the same browser; the overview, a ticket, the directions and
the month's summary show, their own stylesheet and charts load, and the policy blocks
nothing of theirs (the console holds no Content-Security-Policy report). A requester's
hostile subject (OSC 52, `<script>`, a bidi override) is text on the page, run by nothing.
The link opened in another browser signs nobody in. A requester's link shows their ticket;
a tampered one the neutral page.

`test_the_guides_screenshots` makes the guides' pictures of the summary and a requester's
page from a plain day at the desk (the desk's own pages: tests/test_web_lists.py): with
MAILBOT_SCREENSHOTS=1 it writes them to docs/window/ (commit them), else to a temporary folder.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By

from tests import mailfactory as mf
from tests.browser import browser, console, follow, made, screenshot
from tests.test_web_desk import BUDI, LATER, NOTE, desk  # noqa: F401  (the fixture)
from tests.webwindow import free_port, links_in, serving, web_block

WIB = ZoneInfo("Asia/Jakarta")
ROOT = Path(__file__).resolve().parents[1]
SHOWN_TEXT = "Login gagal \\x1b]52;c;Y3VybCBldmlsfHNo\\x07<script>alert(1)</script> \\u202efdp.exe"


def _sign_in(driver, servers, port: int, address: str) -> str:
    """Ask on /masuk as a person does, open the mailed link in the same browser; the link."""
    driver.get(f"http://localhost:{port}/masuk")
    before = len(mf.of_kind(mf.inbox(servers, address), "web_signin"))
    field = driver.find_element(By.ID, "alamat")
    field.send_keys(address)
    field.submit()
    assert "Jika alamat itu terdaftar" in driver.find_element(By.CLASS_NAME, "said").text
    assert mf.wait_for(lambda: len(mf.of_kind(mf.inbox(servers, address), "web_signin")) > before, 20)
    [link] = links_in(mf.text_of(mf.of_kind(mf.inbox(servers, address), "web_signin")[-1]))
    driver.get(link)
    return link


def _no_policy_report(driver) -> None:
    reports = [m for m in console(driver) if "Content Security Policy" in m or "Refused to" in m]
    assert reports == [], reports


def _no_alert(driver) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018  (a script that ran would have opened one)


@pytest.mark.integration
def test_the_head_signs_in_in_a_browser_and_reads_the_desk(desk):  # noqa: F811
    servers, config, port = desk
    with serving(config, clock=lambda: LATER), browser() as driver:
        link = _sign_in(driver, servers, port, mf.HEAD)
        assert driver.find_element(By.TAG_NAME, "h1").text == "Tiket terbuka"
        overdue = driver.find_element(By.CSS_SELECTOR, "table.list").text
        assert "2026-00001" in overdue and "belum ada tanggapan pertama dari helpdesk" in overdue
        assert SHOWN_TEXT in driver.find_element(By.TAG_NAME, "main").text  # the hostile subject, as text
        _no_alert(driver)
        _no_policy_report(driver)
        assert driver.execute_script("return getComputedStyle(document.querySelector('header')).display") == "flex"
        follow(driver, driver.find_element(By.LINK_TEXT, "2026-00002"))
        assert driver.find_element(By.TAG_NAME, "h1").text == "Tiket 2026-00002"
        assert NOTE in driver.find_element(By.TAG_NAME, "main").text
        follow(driver, driver.find_element(By.LINK_TEXT, "Menunggu arahan"))
        assert "2026-00002" in driver.find_element(By.TAG_NAME, "main").text
        made(driver, f"http://localhost:{port}/ringkasan?bulan=2026-11")
        charts = driver.find_elements(By.CSS_SELECTOR, "img[src^='data:image/png']")
        assert charts and all(driver.execute_script("return arguments[0].naturalWidth", c) > 0 for c in charts)
        _no_policy_report(driver)
        _no_alert(driver)
    with serving(config, clock=lambda: LATER), browser() as other:  # the link, in another browser
        other.get(link)
        assert "tidak dapat dipakai lagi" in other.find_element(By.CLASS_NAME, "said").text
        other.get(f"http://localhost:{port}/")
        assert other.current_url.endswith("/masuk")


@pytest.mark.integration
def test_a_requesters_link_in_a_browser_shows_their_ticket_and_a_tampered_one_nothing(desk):  # noqa: F811
    servers, config, _port = desk
    [link] = [link for link in links_in(mf.text_of(mf.latest(servers, BUDI, "ack"))) if "/status/" in link]
    with serving(config, clock=lambda: LATER), browser() as driver:
        driver.get(link)
        page = driver.find_element(By.TAG_NAME, "main").text
        assert "2026-00001" in page and SHOWN_TEXT in page and "Terbuka" in page
        assert "Dokumen penawaran" not in page and NOTE not in page and mf.STAFF[0] not in page
        _no_alert(driver)
        _no_policy_report(driver)
        driver.get(link[:-1] + ("a" if link[-1] != "a" else "b"))
        assert "Tautan ini tidak menunjukkan tiket apa pun." in driver.find_element(By.TAG_NAME, "main").text


# --- the guides' pictures ------------------------------------------------------------------

DAY = datetime(2026, 11, 23, 8, 30, tzinfo=WIB)  # a Monday
CASES = (
    ("budi@vendor.test", "Tidak bisa login SPSE, akun terkunci", "Akun saya terkunci setelah salah kata sandi."),
    ("sari@dinas.test", "Dokumen penawaran gagal diunggah", "Unggah dokumen penawaran paket 12345 selalu gagal."),
    ("budi@vendor.test", "Cara mengubah data perusahaan", "Bagaimana mengubah alamat perusahaan di SIKaP?"),
    ("sari@dinas.test", "Jadwal tender tidak muncul", "Jadwal tahap pembuktian tidak tampil di halaman paket."),
)


@pytest.mark.integration
def test_the_guides_screenshots(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    port = free_port()
    config = mf.write_config(servers, tmp_path, web=web_block(port))
    for i, (sender, subject, body) in enumerate(CASES):
        servers.append(mf.UNIT, mf.mail(sender, subject, body, date=DAY + timedelta(minutes=20 * i))[0])
    mf.handle_at(config, DAY + timedelta(hours=1, minutes=30))
    notices = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    answers = {"Cara mengubah": "Silakan ubah alamat di menu Profil SIKaP lalu simpan.",
               "Dokumen penawaran": "#koordinator Mohon arahan: unggahan gagal di semua peramban."}
    for notice in notices:
        for words, text in answers.items():
            if words in str(notice["Subject"]):
                servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], text)[0])
    mf.handle_at(config, DAY + timedelta(hours=2))
    out = ROOT / "docs" / "window" if os.environ.get("MAILBOT_SCREENSHOTS") == "1" else tmp_path / "window"
    [status_link] = {link for link in links_in(mf.text_of(mf.of_kind(mf.inbox(servers, "budi@vendor.test"),
                                                                      "staff_reply")[-1])) if "/status/" in link}
    with serving(config, clock=lambda: DAY + timedelta(days=1, hours=2)), browser() as driver:
        _sign_in(driver, servers, port, mf.HEAD)  # the desk's own pages: tests/test_web_lists.py
        made(driver, f"http://localhost:{port}/ringkasan?bulan=2026-11")
        screenshot(driver, out / "ringkasan.png")
        made(driver, f"http://localhost:{port}/ringkasan/tren?bulan=2026-11")
        screenshot(driver, out / "tren.png")
        driver.get(status_link)
        screenshot(driver, out / "status-pengguna.png")
        _no_policy_report(driver)
    for name in ("ringkasan", "tren", "status-pengguna"):
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) < 200_000, name

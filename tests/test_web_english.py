"""An English unit's window ("the same Jinja2 templates and words as the mail
(Bahasa Indonesia; English for an English unit)"; SPEC 13: "Pages are in the mailbox's
language"), in a real browser.

A unit configured `language: en` gets its desk: the head asks for a sign-in link on
`/masuk` (the browser itself asks for Indonesian, `--lang=id`: the unit's language decides,
not the browser's), reads the mailed link back over IMAP from the suite's Dovecot, and
opens the overview, one ticket's page and a requester's status page. Every page says
`lang="en"`, speaks the English mail's words where they overlap (the states, the digest's
reasons for lateness, the acknowledgement's subject), and no Indonesian word of the
window's is left over.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By

from tests import mailfactory as mf
from tests.browser import browser, follow
from tests.webwindow import free_port, links_in, serving, web_block

WIB = ZoneInfo("Asia/Jakarta")
OPENED = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)  # a Tuesday
LATER = datetime(2026, 11, 26, 10, 0, tzinfo=WIB)  # two working days on: the first answers are overdue
BUDI, SARI = "budi@vendor.test", "sari@dinas.test"
NOTE = "internal note for the coordinator"
# The window's Indonesian words (its labels, the digest's, the units of time): none may show on an English unit
INDONESIAN = ("Masuk", "Keluar", "Tiket", "Terbuka", "Ikhtisar", "Ringkasan", "Menunggu", "arahan", "Kotak surat",
              "Kategori", "Saluran", "Pengguna", "semua", "belum", "Lewat batas", "Nomor", "Subjek", "Dibuka",
              "Pemegang", "Riwayat", "Pengaduan", "Pertanyaan", "hari kerja", "jam kerja", "petugas", "Kirim",
              "tautan", "Tautan", "Alamat", "terdaftar", "Langkah", "Surel", "Status tiket", "Unduh", "Bulan")


@pytest.fixture
def english_desk(fresh_mailboxes, tmp_path):
    """An English unit: Budi's ticket left unanswered; Sari's noted and sent for direction."""
    servers = fresh_mailboxes
    port = free_port()
    config = mf.write_config(servers, tmp_path, web=web_block(port), language="en")
    servers.append(mf.UNIT, mf.mail(BUDI, "Cannot log in to SPSE", "My account is locked since this morning.",
                                    date=OPENED)[0])
    servers.append(mf.UNIT, mf.mail(SARI, "Bid document upload fails", "Please help.", date=OPENED)[0])
    mf.handle_at(config, OPENED + timedelta(minutes=1))
    notice = next(m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new") if "Bid" in str(m["Subject"]))
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], f"#note {NOTE}")[0])
    mf.handle_at(config, OPENED + timedelta(minutes=5))
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#coordinator please direct")[0])
    mf.handle_at(config, OPENED + timedelta(minutes=10))
    return servers, config, port


def _english(driver) -> str:
    """The page's text, once it is shown to be English and nothing Indonesian of the window's is left."""
    assert driver.execute_script("return document.documentElement.lang") == "en", driver.current_url
    text = driver.find_element(By.TAG_NAME, "body").text + " " + driver.title
    named = text.replace("panduan-petugas.md", "")  # the staff guide's file, which the English mail names
    left = [word for word in INDONESIAN if re.search(rf"\b{re.escape(word)}\b", named)]
    assert left == [], (driver.current_url, left, text)
    return text


@pytest.mark.integration
def test_an_english_units_window_speaks_english_in_a_browser(english_desk):
    servers, config, port = english_desk
    with serving(config, clock=lambda: LATER), browser() as driver:
        driver.get(f"http://localhost:{port}/masuk")
        page = _english(driver)
        assert driver.find_element(By.TAG_NAME, "h1").text == "Sign in"
        assert "Email address" in page and "Send the link" in page
        field = driver.find_element(By.ID, "alamat")
        field.send_keys(mf.HEAD)
        field.submit()
        assert "If that address is registered" in driver.find_element(By.CLASS_NAME, "said").text
        _english(driver)
        assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, mf.HEAD), "web_signin"), 20)
        mail = mf.text_of(mf.of_kind(mf.inbox(servers, mf.HEAD), "web_signin")[-1])
        assert "within 15 minutes" in mail  # the sign-in mail, read back over IMAP, in English too
        [link] = links_in(mail)
        driver.get(link)

        overview = _english(driver)  # the overview
        assert driver.find_element(By.TAG_NAME, "h1").text == "Open tickets"
        listed = driver.find_element(By.CSS_SELECTOR, "table.list").text
        assert "no first answer from the helpdesk" in listed  # the English digest's words
        assert "working day" in listed and "+1 more deadlines" in listed
        assert "Overdue: 2" in overview and "Tickets not closed (2)" in overview
        assert "helpdesk staff" in overview and "Complaint" in overview and "E-mail" in overview

        follow(driver, driver.find_element(By.LINK_TEXT, "2026-00002"))  # one ticket's page
        story = _english(driver)
        assert driver.find_element(By.TAG_NAME, "h1").text == "Ticket 2026-00002"
        assert NOTE in story and "History" in story and "not assigned" in story
        assert "no direction from the coordinators yet" in story  # every deadline it passed
        assert "Acknowledgement of your complaint/question" in story  # the English ack's subject

        follow(driver, driver.find_element(By.LINK_TEXT, "Waiting for direction"))
        assert "2026-00002" in _english(driver)

    ack = mf.text_of(mf.latest(servers, BUDI, "ack"))
    [status] = [link for link in links_in(ack) if "/status/" in link]
    with serving(config, clock=lambda: LATER), browser() as requester:  # the requester's own browser
        requester.get(status)
        page = _english(requester)
        assert requester.find_element(By.TAG_NAME, "h1").text == "Your ticket's status"
        assert "2026-00001" in page and "Cannot log in to SPSE" in page and "Open" in page
        assert "Next step" in page and "Your mail and the mail we sent you" in page and "You wrote" in page
        assert "Acknowledgement of your complaint/question" in page

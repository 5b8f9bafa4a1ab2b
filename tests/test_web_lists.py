"""SPEC 13 at a real desk's size, and on a phone: the lists, the staff and LKPP
pages, a ticket's deadlines and files, in Chromium at 390x844 and 1366x768 and as HTTP.

One desk is played through the suite's Dovecot and SMTP for the whole module
(`tests/deskplay.py`: 133 unclosed tickets, 71 of them late, two with LKPP, one with two
files) and read on Tuesday 17 November 2026 at 10:00 WIB by a signed-in head (a session
signed with the unit's key: signing in itself is `test_web_desk.py`'s). What each test
expects is written from that story and the SPEC, never read from the window's code.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import openpyxl
import pytest
import yaml
from selenium.webdriver.common.by import By

from mailbot.core.web_tokens import session_token
from tests import mailfactory as mf
from tests.browser import allow_downloads, axe_violations, browser, follow, made, screenshot, scrolls_sideways
from tests.conftest import empty_mailbox
from tests.deskplay import FILES, HOSTILE, LKPP_WORD, LPSE_SUPPORT, NOW, number, play
from tests.webwindow import Client, free_port, links_in, serving, web_block

pytestmark = pytest.mark.integration
BROWSER = "0123456789abcdef0123456789abcdef"
SIZES = ((390, 844), (1366, 768))
ROOT = Path(__file__).resolve().parents[1]
ANDI = mf.STAFF[0]


@pytest.fixture(scope="module")
def desk(mailservers, tmp_path_factory):
    for user in mailservers.users:
        empty_mailbox(mailservers, user)
    played = play(mailservers, tmp_path_factory.mktemp("desk"))
    with serving(played.config, clock=lambda: NOW):
        yield played


def _head(desk) -> Client:
    key = (desk.config.parent / "secret.key").read_bytes().strip()
    return Client(desk.port, jar={"mb_browser": BROWSER,
                                  "mb_session": session_token(key, mf.HEAD, BROWSER, NOW + timedelta(hours=8))})


class _Rows(HTMLParser):
    """The rows of a page's list (`table.list`, or the first `table.tickets`): each cell's text by its column's name."""

    def __init__(self, table: str) -> None:
        super().__init__()
        self.table, self.inside, self.rows, self.cell = table, 0, [], None

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "table" and self.table in (found.get("class") or "").split():
            self.inside += 1
        elif self.inside and tag == "tr" and self.cell is None:
            self.rows.append({})
        elif self.inside and tag == "td":
            self.cell = [found.get("data-label"), ""]
        elif tag == "br" and self.cell is not None:
            self.cell[1] += " "

    def handle_endtag(self, tag):
        if tag == "table" and self.inside:
            self.inside -= 1
        elif tag == "td" and self.cell is not None:
            self.rows[-1][self.cell[0]] = re.sub(r"\s+", " ", self.cell[1]).strip()
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[1] += data


def rows(page: str, table: str = "list") -> list[dict[str, str]]:
    parser = _Rows(table)
    parser.feed(page)
    return [row for row in parser.rows if row]


def numbers(page: str) -> list[str]:
    return [row["Nomor"].split()[0] for row in rows(page)]


def every_page(client: Client, query: str) -> list[str]:
    """The numbers of every page of a list, page after page."""
    found, page = [], 1
    while True:
        text = client.get(f"/?{query}&halaman={page}").text
        found += numbers(text)
        if 'rel="next"' not in text:
            return found
        page += 1


def heading(page: str) -> str:
    return html.unescape(re.search(r"<h2>([^<]*\(\d+\))</h2>", page)[1])


# --- the list ------------------------------------------------------------------------------


def test_the_open_tickets_are_one_row_each_the_most_urgent_lateness_first_paged_with_the_total(desk):
    client = _head(desk)
    first = client.get("/").text
    listed = every_page(client, "x=1")
    assert heading(first) == "Tiket belum ditutup (133)" and "Saring</h" not in first
    assert "1–50 dari 133 tiket" in first and "Halaman 1 dari 3" in first
    assert len(listed) == 133 and set(listed) == desk.late | desk.not_late  # every unclosed ticket, once
    # the late first, the longest past a deadline first: the unanswered mail of the week before
    # (its first answer owed since Monday 13:25), LKPP's status owed since Wednesday 09:45 (2
    # working days after the escalation), LKPP's progress owed since Wednesday 10:00 (a working day
    # after its word on Tuesday)
    assert listed[:3] == [number(3), number(1), number(2)]
    assert set(listed[:71]) == desk.late
    late = [row["Lewat"] for row in rows(first)]
    one_unit = r"(\d+ hari kerja( \d+ jam)?|\d+ jam( \d+ menit)?|\d+ menit) .+"
    assert [text for text in late if not re.fullmatch(one_unit, text)] == []
    assert "+1 batas waktu lain" in rows(first)[1]["Lewat"]  # LKPP's status and the 3x24h standard: one row


def test_the_late_filter_lists_every_late_ticket_whatever_the_other_filters(desk):
    client = _head(desk)
    every_state = every_page(client, "status=&terlambat=1")
    page = client.get("/?status=&terlambat=1").text
    assert heading(page) == "Tiket lewat batas waktu (71)"
    assert sorted(every_state) == sorted(desk.late)  # not cut to the newest before the late are picked
    assert every_page(client, "status=escalated&terlambat=1") == [number(1), number(2)]
    assert sorted(every_page(client, f"terlambat=1&petugas={quote(ANDI)}")) == [number(1), number(2), number(6)]
    offers = {n for n in desk.late if "mengunggah dokumen penawaran" in desk.subjects[n]}
    assert sorted(every_page(client, "status=open&terlambat=1&cari=mengunggah")) == sorted(offers)
    assert every_page(client, "terlambat=1&sejak=2026-11-17") == []  # Tuesday's are not late yet


# Each column as the page names it, and the value its rows sort by (as a person reads them).
STATES = ("Terbuka", "Dijawab", "Dieskalasi ke LKPP", "Menunggu data pengguna", "Solusi terkirim", "Ditutup")
COLUMNS = {"nomor": "Nomor", "subjek": "Subjek", "status": "Status", "dibuka": "Dibuka", "menunggu": "Menunggu",
           "tenggat": "Batas waktu berikutnya", "petugas": "Petugas", "saluran": "Saluran", "kategori": "Kategori"}
NOBODY = ("", "belum ditugaskan")  # rows without a value sort last, either way


def _minutes(text: str) -> int:
    """"8 hari", "1 hari 2 jam", "12 menit" as minutes."""
    units = {"hari": 24 * 60, "jam": 60, "menit": 1}
    return sum(int(n) * units[unit] for n, unit in re.findall(r"(\d+) (hari|jam|menit)", text))


def _key(column: str, value: str):
    if column in ("dibuka", "tenggat"):  # 17-11-2026 08:00
        return value[6:10], value[3:5], value[:2], value[11:]
    if column == "menunggu":
        return _minutes(value)
    if column == "status":
        return STATES.index(value)
    return value.lower()


@pytest.mark.parametrize("column", list(COLUMNS))
def test_each_column_sorts_the_whole_list_both_ways(desk, column):
    client = _head(desk)
    for way in ("naik", "turun"):
        shown, page = [], 1
        while True:
            text = client.get(f"/?urut={column}&arah={way}&halaman={page}").text
            shown += [row[COLUMNS[column]] for row in rows(text)]
            if 'rel="next"' not in text:
                break
            page += 1
        assert len(shown) == 133
        present = [v for v in shown if v not in NOBODY]
        assert shown[len(present):] == [v for v in shown if v in NOBODY]
        keys = [_key(column, v) for v in present]
        assert keys == sorted(keys, reverse=way == "turun"), way
    newest = numbers(client.get("/?urut=nomor&arah=turun").text)
    assert newest[:3] == [number(133), number(132), number(131)]


# --- staff and LKPP -------------------------------------------------------------------------


def test_each_staff_members_load_and_their_page(desk):
    client = _head(desk)
    page = client.get("/petugas").text
    load = {row["Petugas"].split(" staff")[0]: row for row in rows(page, "staff")}
    andi, siti = load["Andi Pratama"], load["Siti Rahma"]
    # Andi escalated two cases, answered one, and holds one assigned to him with #tugaskan;
    # Siti solved one; the rest were touched by nobody yet
    assert (andi["Belum ditutup"], andi["Lewat batas waktu"], andi["Dijawab (November 2026)"]) == ("4", "3", "1")
    assert (siti["Belum ditutup"], siti["Lewat batas waktu"], siti["Dijawab (November 2026)"]) == ("1", "0", "1")
    assert load["Belum dipegang petugas"]["Belum ditutup"] == "128"
    assert load["Belum dipegang petugas"]["Lewat batas waktu"] == "68"
    mine = client.get(f"/petugas/{quote(ANDI)}").text
    assert "<title>Petugas: Andi Pratama · Helpdesk LPSE Kota Batam</title>" in mine
    assert sorted(numbers(mine)) == sorted(desk.held[ANDI])
    assert numbers(client.get(f"/?petugas={quote(mf.STAFF[1])}").text) == [number(7)]
    assert client.get("/petugas/orang.lain%40contoh.test").status == 404


def test_the_cases_with_lkpp_and_what_lkpp_owes(desk):
    client = _head(desk)
    page = client.get("/lkpp").text
    cases = {row["Nomor"]: row for row in rows(page, "lkpp")}
    assert set(cases) == {number(1), number(2)}
    reminded = {n: sum(1 for m in mf.inbox(desk.servers, mf.LKPP)
                       if m["X-Mailbot-Kind"] in ("overdue_lkpp", "remind_lkpp") and n in str(m["Subject"]))
                for n in cases}
    assert reminded[number(1)] >= 2 and reminded[number(2)] >= 2  # the story's week of silence
    first, second = cases[number(1)], cases[number(2)]
    assert first["Nomor LPSE Support"] == LPSE_SUPPORT and second["Nomor LPSE Support"] == "-"
    # escalated since the escalation (Monday 09:45), not the opening (09:00 and 09:10)
    assert first["Dieskalasi sejak"].startswith("Senin 09-11 09:45")
    assert second["Dieskalasi sejak"].startswith("Senin 09-11 09:45")
    # SOP-015: a status within 2 working days of the escalation; progress each working day after
    assert "Status paling lambat Rabu 11-11 09:45" in first["Kewajiban LKPP sekarang"]
    assert "Status paling lambat" not in second["Kewajiban LKPP sekarang"]
    assert "Perkembangan berikutnya paling lambat" in second["Kewajiban LKPP sekarang"]
    assert all("Lewat batas waktu" in case["Kewajiban LKPP sekarang"] for case in cases.values())
    assert {n: int(case["Pengingat terkirim"]) for n, case in cases.items()} == reminded
    assert first["Kabar terakhir dari LKPP"] == "belum ada"
    # the escalation key went to LKPP alone: where LKPP quotes it, the page shows stars
    assert second["Kabar terakhir dari LKPP"] == f"Selasa 10-11 10:00 {LKPP_WORD} Rujukan: ref:{'*' * 10}"
    assert desk.escalation_key not in page


# --- a ticket -------------------------------------------------------------------------------


def test_a_tickets_page_shows_its_deadlines_what_each_mail_said_and_its_files_to_download(desk):
    client = _head(desk)
    ticket = number(3)
    page = client.get(f"/tiket/t/{ticket}").text
    assert "<title>Tiket 2026-00003 · Helpdesk LPSE Kota Batam</title>" in page
    deadlines = page.split("<h2>Batas waktu berikutnya</h2>", 1)[1].split("<h2>", 1)[0]
    assert "tanggapan pertama" in deadlines and "belum ada tanggapan pertama dari helpdesk" in deadlines
    # what the requester was told, as they received it
    acks = mf.of_kind(mf.inbox(desk.servers, "catchall@lpse.test"), "ack")
    ack = next(m for m in acks if ticket in str(m["Subject"]))
    assert html.escape(mf.text_of(ack).strip().splitlines()[0]) in page
    assert page.count("(tanpa teks baru)") == 0
    # the reminders to staff, every working day of the week before: one line with their count
    told = sum(1 for m in mf.of_kind(mf.inbox(desk.servers, ANDI), "overdue_staff") if ticket in str(m["Subject"]))
    story = page.split('<ol class="story">', 1)[1].split("</ol>", 1)[0]
    assert told >= 3 and story.count("pemberitahuan batas waktu terlewat &rarr; staff1") == 1
    assert f"(dikirim {told} kali, Senin 09-11" in story
    mails = page.split('<article class="mail ')[1:]
    files = [re.findall(r'href="(/tiket/t/2026-00003/lampiran/\d+/\d+)" download>([^<]+)</a>', mail) for mail in mails]
    names = [name for name, _type, _data in FILES]
    carried = [found for found in files if found]
    assert [html.unescape(name) for _link, name in files[0]] == names  # the requester's mail, and the
    assert [[html.unescape(name) for _link, name in found] for found in carried] == [names, names]  # notice to staff
    for (link, _name), (name, _type, data) in zip(carried[0] + carried[1], FILES + FILES, strict=True):
        answer = client.get(link)
        assert answer.status == 200 and answer.body == data
        assert answer.headers["content-type"] == "application/octet-stream"
        assert answer.headers["content-disposition"].startswith("attachment;")
        assert f"filename*=UTF-8''{quote(name)}" in answer.headers["content-disposition"]
        assert "sandbox" in answer.headers["content-security-policy"]
    assert client.get("/tiket/t/2026-00003/lampiran/1/9").status == 404  # the ack has no files
    assert client.get("/tiket/t/2026-00004/lampiran/1/0").status == 404  # another ticket's mail


def test_the_filtered_list_downloads_as_csv_and_xlsx_every_cell_shown_never_a_formula(desk):
    client = _head(desk)
    answer = client.get("/unduh/daftar.csv?status=&terlambat=1")
    table = list(csv.reader(io.StringIO(answer.body.decode("utf-8-sig"))))
    assert table[0][:3] == ["Nomor", "Kotak surat", "Subjek"]
    assert sorted(row[0] for row in table[1:]) == sorted(desk.late)
    hostile = next(row for row in table if row[0] == desk.hostile)
    assert hostile[2].startswith("'=HYPERLINK") and "\\x1b" in hostile[2] and "\x1b" not in answer.body.decode()
    book = openpyxl.load_workbook(io.BytesIO(client.get("/unduh/daftar.xlsx?status=&terlambat=1").body))
    sheet = book.active
    found = [row for row in sheet.iter_rows(min_row=3) if row[0].value]
    assert sorted(row[0].value for row in found) == sorted(desk.late)
    cell = next(row[2] for row in found if row[0].value == desk.hostile)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK") and cell.quotePrefix  # text, never run
    assert "\\x1b" in cell.value and HOSTILE not in cell.value


def test_the_same_pages_read_from_postgresql(desk, pg_cluster, tmp_path):
    """The desk copied to PostgreSQL (`mailbot migrate --to`) reads the same: filters, the late
    ids, the search, each sort and its ties, the staff's load, LKPP's cases, the file."""
    from mailbot.cli import main as cli

    url = pg_cluster.database()
    assert cli.main(["--config", str(desk.config), "migrate", "--to", url]) == 0
    port = free_port()
    data = yaml.safe_load(desk.config.read_text())
    config = tmp_path / "postgresql.yaml"
    config.write_text(yaml.safe_dump({**data, "database": url, "web": web_block(port)}, allow_unicode=True))
    paths = ["/", "/?status=&terlambat=1&halaman=2", "/?urut=subjek&arah=naik", "/?urut=tenggat&halaman=3",
             "/?urut=petugas", "/?urut=status&arah=turun", "/?status=&cari=mengunggah", f"/?petugas={quote(ANDI)}",
             "/petugas", f"/petugas/{quote(ANDI)}", "/lkpp", f"/tiket/t/{number(3)}",
             "/unduh/daftar.csv?status=&terlambat=1"]
    sqlite = _head(desk)
    on_sqlite = {path: sqlite.get(path).text for path in paths}
    with serving(config, clock=lambda: NOW):
        postgresql = Client(port, jar=dict(sqlite.jar))
        on_postgresql = {path: postgresql.get(path).text for path in paths}
    for path in paths:
        assert on_postgresql[path] == on_sqlite[path], path


# --- in a browser, at a phone's width and a desk's --------------------------------------------


def _pages(desk) -> dict[str, str]:
    [status] = {link for link in links_in(mf.text_of(mf.latest(desk.servers, "budi@vendor.test", "ack")))
                if "/status/" in link}
    return {"overview": "/", "late": "/?status=&terlambat=1", "staff": "/petugas",
            "member": f"/petugas/{quote(ANDI)}", "lkpp": "/lkpp", "directions": "/arahan",
            "ticket": f"/tiket/t/{number(3)}", "hostile": f"/tiket/t/{desk.hostile}",
            "escalated": f"/tiket/t/{number(1)}", "signin": "/masuk", "missing": "/tiket/t/2026-99999",
            "status": status.split(str(desk.port), 1)[1], "summary": "/ringkasan", "trend": "/ringkasan/tren"}


@pytest.fixture(scope="module")
def chromium(desk, tmp_path_factory):
    key = (desk.config.parent / "secret.key").read_bytes().strip()
    with browser() as driver:
        driver.get(f"http://localhost:{desk.port}/gaya.css")
        driver.add_cookie({"name": "mb_browser", "value": BROWSER, "path": "/"})
        session = session_token(key, mf.HEAD, BROWSER, NOW + timedelta(hours=8))
        driver.add_cookie({"name": "mb_session", "value": session, "path": "/"})
        driver.downloads = tmp_path_factory.mktemp("downloads")
        allow_downloads(driver, driver.downloads)
        yield driver


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_no_page_scrolls_sideways_and_axe_finds_nothing_serious(desk, chromium, size):
    chromium.set_window_size(*size)
    wide, faults = [], []
    for name, path in _pages(desk).items():
        made(chromium, f"http://localhost:{desk.port}{path}")  # the summary and trend once made; the others at once
        assert chromium.find_element(By.TAG_NAME, "h1").text, name
        if scrolls_sideways(chromium):
            wide.append(name)
        faults += [f"{name}: {fault}" for fault in axe_violations(chromium)]
    assert wide == [] and faults == []


def test_in_a_browser_the_late_filter_sorting_and_paging(desk, chromium):
    chromium.set_window_size(390, 844)
    chromium.get(f"http://localhost:{desk.port}/")
    chromium.find_element(By.CSS_SELECTOR, "select[name=status] option[value='']").click()
    chromium.find_element(By.NAME, "terlambat").click()
    follow(chromium, chromium.find_element(By.CSS_SELECTOR, "form.filters button"))
    seen = []
    while True:
        cells = chromium.find_elements(By.CSS_SELECTOR, "table.list tbody td:first-child a")
        seen += [cell.text.split()[0] for cell in cells]
        following = chromium.find_elements(By.CSS_SELECTOR, "a[rel=next]")
        if not following:
            break
        follow(chromium, following[0])
    assert sorted(seen) == sorted(desk.late)
    chromium.get(f"http://localhost:{desk.port}/")
    follow(chromium, chromium.find_element(By.LINK_TEXT, "Nomor"))  # newest first, then the other way
    first = chromium.find_element(By.CSS_SELECTOR, "table.list tbody td:first-child a").text
    follow(chromium, chromium.find_element(By.PARTIAL_LINK_TEXT, "Nomor"))
    again = chromium.find_element(By.CSS_SELECTOR, "table.list tbody td:first-child a").text
    assert (first, again) == (number(133), number(1))


def test_in_a_browser_the_staff_and_lkpp_pages_and_a_file_downloaded(desk, chromium):
    chromium.set_window_size(1366, 768)
    chromium.get(f"http://localhost:{desk.port}/")
    follow(chromium, chromium.find_element(By.LINK_TEXT, "Petugas"))
    assert chromium.title == "Beban petugas · Helpdesk LPSE Kota Batam"
    follow(chromium, chromium.find_element(By.LINK_TEXT, "Andi Pratama"))
    assert chromium.find_element(By.TAG_NAME, "h1").text == "Petugas: Andi Pratama"
    follow(chromium, chromium.find_element(By.LINK_TEXT, "Kasus di LKPP"))
    assert LPSE_SUPPORT in chromium.find_element(By.TAG_NAME, "main").text
    follow(chromium, chromium.find_element(By.LINK_TEXT, number(1)))
    assert chromium.title.startswith("Tiket 2026-00001")
    chromium.get(f"http://localhost:{desk.port}/tiket/t/{number(3)}")
    name, _type, data = FILES[0]
    chromium.find_element(By.LINK_TEXT, name).click()  # a download: the page stays
    saved = chromium.downloads / name
    assert mf.wait_for(lambda: saved.is_file() and saved.read_bytes() == data, 20)
    assert not list(chromium.downloads.glob("*.crdownload"))


def test_the_guides_screenshots_of_the_desk(desk, chromium, tmp_path):
    """The coordinator guide's pictures of this desk: with MAILBOT_SCREENSHOTS=1 into
    docs/window/ (commit them), else into a temporary folder."""
    out = ROOT / "docs" / "window" if os.environ.get("MAILBOT_SCREENSHOTS") == "1" else tmp_path
    shots = (("ikhtisar", "/", (1366, 768)), ("ikhtisar-ponsel", "/", (390, 844)),
             ("petugas", "/petugas", (1366, 768)), ("lkpp", "/lkpp", (1366, 768)),
             ("tiket", f"/tiket/t/{number(3)}", (1366, 768)))
    for name, path, size in shots:
        chromium.set_window_size(*size)
        chromium.get(f"http://localhost:{desk.port}{path}")
        screenshot(chromium, out / f"{name}.png")
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) < 200_000, name

"""One layout per HTML template (issue 35): the structure of the digest and of the monthly
summary is written once in `mailbot/templates/_layouts/`; the Indonesian and English
templates extend it and fill its blocks with words.

Two kinds of check. The mail is what it was before the layouts were shared: each kind,
rendered in each language with fixed values, equals the rendering kept in
tests/data/rendered/ (written by the per-language templates before the change; see the
README there). And only words differ between the languages: the two renderings have the
same markup, tag by tag and attribute by attribute (the `lang` attribute and image `alt`
text are words), and the language files hold no structure of their own.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from mailbot.io.render import Renderer
from tests.test_templates import context

RENDERED = Path(__file__).parent / "data" / "rendered"
LANGUAGES = ("id", "en")

# Each kind with the values it is rendered with: the digest with overdue tickets (one with
# a reason, one in a state the labels do not know, one with since when it waits and its
# time past the deadline in working time, issue 45), and with none.
CASES: dict[str, dict[str, Any]] = {
    "digest-overdue": context(
        counts={"open": 4, "answered": 2, "escalated": 1, "awaiting_info": 1, "resolved": 3, "merged": 2},
        tickets=[{**context()["tickets"][0], "since": "Rabu 18-11 10:00", "since_for": "5 hari 22 jam",
                  "working": True},
                 *context()["tickets"][1:],
                 {"number": "2026-00060", "subject": "Paket <ganda> & salah", "state": "merged",
                  "waited": "2 jam kerja", "on_whom": "coordinators"}],
        overdue_count=4),
    "digest-none": context(counts={"open": 1}, tickets=[], overdue_count=0),
    # The summary as reports/present.py gives it: a busy month mailed with its recap
    # attached (recurring problems, tickets on days off, a step under target), and a quiet
    # one shown as a page.
    "monthly_summary-busy": {
        "unit": "Helpdesk LPSE <Kota> Batam", "unit_address": "lpse@batam.go.id",
        "month": "November 2026", "month_key": "2026-11", "generated": "Selasa, 1 Desember 2026 08:00 WIB",
        "opened": 42, "closed": 37, "still_open": 5,
        "states": [("Ditutup", 37), ("Terbuka", 3), ("Dieskalasi ke LKPP", 2)],
        "categories": [("Pertanyaan", 30), ("Pengaduan", 12)],
        "priorities": [("Normal", 40), ("Tinggi", 2)],
        "channels": [("E-mail", 40), ("Telepon", 2)],
        "working_days": 21, "per_working_day": "2,0", "off_days_opened": 3,
        "escalations": {"tickets": 2, "rows": [("Diselesaikan oleh Helpdesk LKPP", 1), ("Masih di LKPP", 1)]},
        "ratings": {"count": 9, "average": "4,56", "by_score": [(1, 0), (2, 0), (3, 1), (4, 2), (5, 6)]},
        "steps": [
            {"key": "ack", "name": "Tanda terima", "basis": "SOP langkah 8", "target": "≤ 15 menit",
             "cases": 42, "met": 42, "rate": "100%", "low": False, "worst": ""},
            {"key": "first_response", "name": "Tanggapan pertama", "basis": "Tabel prioritas",
             "target": "≤ 4 jam kerja", "cases": 40, "met": 20, "rate": "50%", "low": True,
             "worst": "2026-00017 (+1 h 2 j), 2026-00031 (+3 j)"},
        ],
        "topics": [{"count": 6, "number": "2026-00012", "subject": "Lupa password <akun> SPSE"},
                   {"count": 3, "number": "2026-00020", "subject": "Gagal upload penawaran"}],
        "images": {"volume": "cid:volume@lpse.test", "daily": "cid:daily@lpse.test",
                   "compliance": "cid:compliance@lpse.test", "ratings": "cid:ratings@lpse.test"},
        "mail": True, "attachment_names": ["rekap-btm-2026-11.xlsx"],
    },
    "monthly_summary-quiet": {
        "unit": "Helpdesk LPSE Kota Batam", "unit_address": "lpse@batam.go.id",
        "month": "Januari 2027", "month_key": "2027-01", "generated": "Senin, 1 Februari 2027 09:30 WIB",
        "opened": 1, "closed": 0, "still_open": 1,
        "states": [("Terbuka", 1)], "categories": [("Pertanyaan", 1)], "priorities": [("Normal", 1)],
        "channels": [("E-mail", 1)],
        "working_days": 1, "per_working_day": "0,05", "off_days_opened": 0,
        "escalations": {"tickets": 0, "rows": []},
        "ratings": {"count": 0, "average": "–", "by_score": [(1, 0), (2, 0), (3, 0), (4, 0), (5, 0)]},
        "steps": [], "topics": [],
        "images": {"volume": "data:image/png;base64,AAAA", "daily": "data:image/png;base64,BBBB",
                   "compliance": "data:image/png;base64,CCCC", "ratings": "data:image/png;base64,DDDD"},
        "mail": False, "attachment_names": [],
    },
}


def kind_of(case: str) -> str:
    return case.split("-", 1)[0]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def html_of(renderer: Renderer, case: str, language: str) -> str:
    _text, html = renderer.body(kind_of(case), language, dict(CASES[case]))
    assert html is not None
    return html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_html_is_what_the_per_language_templates_rendered(renderer: Renderer, case: str, language: str) -> None:
    """Byte for byte the mail the templates written once per language gave."""
    expected = (RENDERED / f"{case}.{language}.html").read_text("utf-8")
    assert html_of(renderer, case, language) == expected


class _Markup(HTMLParser):
    """The tags and attributes of an HTML document, its words left out."""

    WORDS = ("lang", "alt")  # attributes whose values are words

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, *(f"{k}={'*' if k in self.WORDS else v}" for k, v in attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.tags.append((f"/{tag}",))


def markup(html: str) -> list[tuple[str, ...]]:
    parser = _Markup()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("case", sorted(CASES))
def test_only_words_differ_between_the_languages(renderer: Renderer, case: str) -> None:
    indonesian, english = (html_of(renderer, case, language) for language in LANGUAGES)
    assert indonesian != english
    assert markup(indonesian) == markup(english)
    assert len(markup(indonesian)) > 20


# Markup that makes a layout: a language file holding any of these repeats the structure.
STRUCTURE = re.compile(r"<\s*/?\s*(?:!doctype|html|head|body|style|meta|title|table|tr|td|th|div|img|h[1-6]|p)\b",
                       re.IGNORECASE)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted({kind_of(case) for case in CASES}))
def test_the_language_templates_hold_words_not_structure(kind: str, language: str) -> None:
    source = resources.files("mailbot").joinpath("templates", language, f"{kind}.html").read_text("utf-8")
    assert source.startswith(f'{{% extends "_layouts/{kind}.html" %}}')
    assert STRUCTURE.findall(source) == []

"""One layout per HTML template: the structure of the digest and of the monthly
summary is written once in `mailbot/templates/_layouts/`; the Indonesian and English
templates extend it and fill its blocks with words.

Two kinds of check. The mail is what it was before the layouts were shared: each kind,
rendered in each language with fixed values, equals the rendering kept in
tests/data/rendered/ (written by the per-language templates before the change; see the
README there). And only words differ between the languages: the two renderings have the
same markup, tag by tag and attribute by attribute (the `lang` attribute and image `alt`
text are words), and the language files hold no structure of their own.

The first check extends to every mail kind, plain text and HTML: `MAILS` renders
each template of `mailbot/templates/{id,en}/` with the values the daemon gives it (several
values where a template branches), each compared byte for byte with
`tests/data/rendered/<case>.<language>.txt` (and `.html` where the kind has an HTML
alternative). `python -m tests.test_template_layouts` writes the renderings missing there
from the templates as they are (see the README there).
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
# time past the deadline in working time), and with none.
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
        "ratings": {"count": 9, "average": "4,56", "by_score": [(1, 0), (2, 0), (3, 1), (4, 2), (5, 6)],
                    "by_channel": [("Email", 6, "4,50"), ("Telepon", 2, "4,50"), ("Datang langsung", 1, "5,00")]},
        "directions": {"asked": 3, "given": 2, "median": "2,5 jam kerja", "longest": "6 jam kerja"},
        "waits": {"tickets": 4, "unanswered": 1, "median": "20,5 jam", "longest": "97 jam"},
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
        "ratings": {"count": 0, "average": "–", "by_score": [(1, 0), (2, 0), (3, 0), (4, 0), (5, 0)],
                    "by_channel": []},
        "directions": {"asked": 0, "given": 0, "median": "–", "longest": "–"},
        "waits": {"tickets": 0, "unanswered": 0, "median": "–", "longest": "–"},
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
    """The words of a kind: its language's file, or the one file of every language
    whose words are in the catalogs."""
    templates = resources.files("mailbot").joinpath("templates")
    found = templates.joinpath(language, f"{kind}.html")
    if not found.is_file():
        found = templates.joinpath("_mails", f"{kind}.html")
    source = found.read_text("utf-8")
    assert source.startswith(f'{{% extends "_layouts/{kind}.html" %}}')
    assert STRUCTURE.findall(source) == []


# Every mail kind as the daemon renders it, in both languages: the full context of
# tests/test_templates.py with each case's changes. The partials (_footer, _commands, _since,
# _similar, _intake_form, _intake_blank) are rendered through the kinds that include them.
GONE: Any = object()  # a key the daemon leaves out of the context (`is defined` in the template)
_SPARSE = {"identity": dict.fromkeys(("name", "organisation", "phone", "address", "email"), ""),
           "lkpp_ticket": None, "attachment_names": [], "text": "", "note": "", "requester_name": "",
           "previous": None, "priority": ""}
_UNSHOWN = [
    {"kind": "delivery_reported", "at": "23-11 09:10", "action": "delayed", "mail": "ack", "to": ["budi@vendor.test"],
     "status": "4.4.1", "answer": "connection timed out"},
    {"kind": "delivery_reported", "at": "23-11 09:40", "action": "failed", "mail": "", "to": [], "status": "",
     "answer": ""},
    {"kind": "lkpp_notice", "at": "23-11 10:00", "subject": "[Ticket#2026112110000123] Tiket diterima"},
    {"kind": "auto_reply", "at": "23-11 11:00", "role": "lkpp", "subject": "Out of office", "reason": "auto-reply"},
    {"kind": "auto_reply", "at": "23-11 12:00", "role": "requester", "subject": "", "reason": "Auto-Submitted"},
]
_SIMILAR = [{"number": "2026-00012", "subject": "Gagal upload penawaran", "solved": "12-11-2026",
             "solution": "Hapus cache peramban lalu unggah ulang.\nGunakan Chrome versi terbaru."}]
_FORMS = [{"number": "2026-00070", "channel": "telepon", "called": "Senin 23-11 09:15", "name": "Budi Santoso",
           "problem": "Lupa password", "staff": "andi@batam.go.id", "held": "Senin 23-11 09:20"},
          {"number": "2026-00071", "channel": "datang", "called": "Senin 23-11 10:00", "name": "Sari",
           "problem": "Akun terblokir", "staff": "rina@batam.go.id", "held": "Senin 23-11 10:05"}]
_HELD_ACKS = [{"number": "2026-00072", "to": "sari@vendor.test", "queued": "Senin 23-11 11:00",
               "until": "Senin 23-11 12:00"}]
# A ticket as each notice finds it (its state, its next deadlines, what the
# commands it offers need), the instants as the core hands them out.
_FIRST_RESPONSE = {"kind": "first_response", "at": "2026-11-23T13:00:00+07:00", "past": False}
_RESOLUTION = {"kind": "resolution", "at": "2026-11-26T09:00:00+07:00", "past": False}
_OPEN = {"state": "open", "situation": ["mailbox"], "deadlines": [_FIRST_RESPONSE, _RESOLUTION]}
_LATE = {**_OPEN, "deadlines": [{**_FIRST_RESPONSE, "at": "2026-11-24T15:30:00+07:00", "past": True}, _RESOLUTION]}
_WAITING = {"state": "awaiting_info", "deadlines": [{"kind": "awaiting_info", "at": "2026-11-25T10:00:00+07:00",
                                                      "past": False}]}
_SOLVED = {"state": "resolved", "deadlines": [{"kind": "confirm_close", "at": "2026-11-26T10:00:00+07:00",
                                                "past": False}]}
_CLOSED = {"state": "closed", "deadlines": []}
_DIRECTED = {"sender": "koord@batam.go.id", "role": "coordinator", "state": "open",
             "tickets": ["2026-00042"], "text": "Tolong prioritaskan, batas penawaran hari ini."}

STATUS_LINK = "https://helpdesk.lpse.batam.go.id/status/btm.2026-00042.abcdefghijklmnopqrstuvwxyz"
SIGNIN_LINK = ("https://helpdesk.lpse.batam.go.id/masuk/"
               "a2VwYWxh.1795000000.0123456789abcdef0123.abcdefghijklmnopqrstuvwxyz")
MAIL_CHANGES: dict[str, dict[str, Any]] = {
    "ack-email": {},
    "ack-call": {"channel": "telepon", "previous": "2026-00031"},
    "ack-sparse": {**_SPARSE, "subject": ""},
    # #jawab-seperti shows staff the answer first, and what was done for its old requester
    "answer_preview-full": {**_OPEN, "reusing": True,
                            "text": "Akun penyedia terkunci karena 5 kali salah password. Akun sudah kami buka dan "
                                    "alamat email sudah kami perbarui.\nSilakan login ulang atau gunakan menu Lupa "
                                    "Password."},
    "answer_preview-plain": {**_OPEN, "reusing": True, "done": [], "text": "Silakan gunakan menu Lupa Password."},
    "assigned-full": {"note": "Mohon dicek hari ini.", **_OPEN},
    "assigned-sparse": {**_SPARSE, "unshown": []},
    "assigned-unshown": {"unshown": _UNSHOWN},
    "closed-confirmed": {"confirmed": True, "rating": 5},
    "closed-by-staff": {},
    "closed-no_confirmation": {"reason": "no_confirmation"},
    "closed-no_info": {"reason": "no_info"},
    "closed-no_info-unit": {"reason": "no_info", "by_unit": True},  # the unit asked (E12g)
    "command_error-ticket": {},
    "command_error-intake": {"number": "-", "intake": True},
    "command_ok-full": {"commands": [("prioritas", "high"), ("eskalasi", None), ("tugaskan", "silent"),
                                     ("kategori", "kategori=akun")], "kept_as_note": True},
    "command_ok-plain": {"commands": [("selesai", None)], **_SOLVED},
    "coordinator_case-full": {"similar": _SIMILAR, **_OPEN},
    "coordinator_case-sparse": _SPARSE,
    "head_case-full": _OPEN,  # #lapor-kepala
    "head_case-sparse": _SPARSE,
    "delivery_failed-address": {},
    "delivery_failed-size": {"cause": "size", "failed_kind": "escalate", "failed_audience": "lkpp",
                             "answer": "helpdesk@lkpp.test: 552 5.3.4 Message size exceeds fixed limit"},
    "delivery_failed-size_data": {"cause": "size", "failed_kind": "forward_info", "failed_audience": "lkpp",
                                  "awaiting": True, "answer": "552 5.3.4 Message size exceeds fixed limit"},
    "delivery_failed-content": {"cause": "content", "failed_kind": "escalate", "failed_audience": "lkpp",
                                "answer": "554 5.7.1 Message rejected as spam"},
    "delivery_failed-content_requester": {"cause": "content", "reopened": True,
                                          "answer": "budi@vendor.test: 554 5.7.1 Message rejected as spam"},
    "delivery_failed-no_ticket": {"number": "-", "failed_audience": "staff"},
    "digest-full": {"forms": _FORMS, "held_acks": _HELD_ACKS, "held_count": 3,
                    "counts": {"open": 4, "answered": 2, "escalated": 1, "awaiting_info": 1, "resolved": 3,
                               "odd_state": 1}},
    "digest-secret_ending": {"secrets_ending": [{"server": "outlook.office365.com:993", "expires": "2026-12-05",
                                                 "days": 9, "certificate": False},
                                                {"server": "smtp.office365.com:587", "expires": "2026-12-01",
                                                 "days": 5, "certificate": True}]},
    "escalate-full": {},
    "escalate-note_is_text": {"note": context()["text"]},
    "escalate-sparse": _SPARSE,
    "escalated_user-full": {},
    "forward_info-full": {"text": "Berikut screenshot yang diminta."},
    "forward_info-sparse": _SPARSE,
    "history-full": {},
    "intake_cancelled-full": {"channel": "telepon", "called_at": "2026-11-23T09:15:00+07:00"},
    # the staff member who cancelled it hears so
    "intake_cancelled-sender": {"channel": "datang", "to_sender": True, "called_at": "2026-11-23T09:15:00+07:00"},
    "intake_confirm-first": {"channel": "telepon"},
    "intake_confirm-reminder": {"channel": "datang", "reminder": True, "caller_email": "",
                                "notes": "Datang ke kantor bersama direktur."},
    "intake_not_staff-full": {},
    "intake_not_staff-sparse": _SPARSE,
    "intake_opened-answered": {"channel": "telepon", "answered": True, "solution": "Sudah dijawab lewat telepon.",
                               **_SOLVED},
    "intake_opened-open": {"channel": "datang", "caller_email": "", **_SPARSE, **_OPEN, "situation": []},
    # a visit answered at the counter, no e-mail: closed, with its queue number and rating
    "intake_opened-closed": {"channel": "datang", "caller_email": "", "answered": True, **_CLOSED,
                             "solution": "Kata sandi direset di loket; pengguna sudah bisa login.",
                             "form": {**context()["form"], "email": "", "queue": "A-012", "rating": 5}},
    "message_refused-too_large": {},
    "message_refused-too_many": {"refusal": "too_many_parts", "requester_name": "", "subject": ""},
    "need_info-full": {"text": "Mohon dilengkapi screenshot halaman penawaran."},
    "need_info-sparse": _SPARSE,
    "request_info-full": {"text": "Mohon kirimkan scan NIB dan akta pendirian perusahaan."},  # E12g
    "request_info-sparse": _SPARSE,
    "not_run-full": {},
    "not_run-sparse": _SPARSE,
    "not_run-leaked": {"leaked": True, "reason": "it replies only to mail that reached someone outside the unit"},
    "overdue_lkpp-full": {"timer": "lkpp_status", "days": 2},
    "overdue_lkpp-sparse": {**_SPARSE, "hours_waited": GONE},
    "direction_reminder-coordinators": {"timer": "coordinator_direction", "asked": "coordinators",
                                        "since": "Selasa 24-11-2026 10:00 WIB", "due": "Rabu 25-11-2026 10:00 WIB"},
    "direction_reminder-heads": {"timer": "head_direction", "asked": "heads", "since": "Selasa 24-11-2026 10:00 WIB",
                                 "due": "Rabu 25-11-2026 10:00 WIB", **_SPARSE},
    "overdue_staff-first_response": {"hours_waited": 5, **_LATE},
    "overdue_staff-resolution": {"timer": "resolution", "hours": 72, "reopened": True},
    "overdue_staff-resolution_hours": {"event": "resolution", "hours": 48, **_SPARSE, "hours_waited": GONE},
    "rate_limited-held": {},
    "rate_limited-unsent": {"held": False, "until": "", "address": "ooo@vendor.test"},
    "rate_limited-waiting": {"waiting": True, "number": "-", "reason": "ack_held"},
    "relay-full": {"text": "Silakan coba lagi setelah pukul 13.00."},
    "relay-sparse": _SPARSE,
    "remind_lkpp-full": {"timer": "lkpp_progress"},
    "remind_lkpp-sparse": {**_SPARSE, "hours_waited": GONE},
    "remind_user-full": {"text": "Mohon dilengkapi screenshot.", "close_at": "2026-11-27T10:00:00+07:00"},
    "remind_user-sparse": _SPARSE,
    "remind_user-unit": {"by_unit": True, "close_at": "2026-11-27T10:00:00+07:00"},  # E12g: the unit asked
    "resolved-email": {"text": "Silakan hapus cache peramban lalu unggah ulang."},
    "resolved-call": {"channel": "telepon"},
    "resolved-text_only": {"attachment_names": []},
    "resolved-sparse": _SPARSE,
    "resolved_lkpp-full": {},
    "resolved_lkpp-sparse": _SPARSE,
    "staff_alert-lkpp_bounce": {"alert": "lkpp_bounce", "failed_kind": "escalate", "moved": True},
    "staff_alert-lkpp_bounce_data": {"alert": "lkpp_bounce", "failed_kind": "forward_info", "moved": True},
    "staff_alert-lkpp_bounce_kept": {"alert": "lkpp_bounce", "failed_kind": "escalate", "moved": False},
    "staff_alert-ack_bounces": {"alert": "ack_bounces"},
    "staff_alert-bounce": {"alert": "bounce", "text": "", "failed_to": []},
    "staff_alert-outside_reply": {"alert": "outside_reply", "outsider": "root@helpdesk.batam.go.id",
                                  "text": "Mohon dicek, server tidak bisa diakses.", **_OPEN},
    "staff_direction-coordinator": {**_DIRECTED, **_OPEN},
    "staff_direction-head": {**_DIRECTED, "role": "head", "sender": "kepala@batam.go.id",
                             "tickets": ["2026-00042", "2026-00051"], "state": ""},
    "staff_direction-ran": {**_DIRECTED, "ran": [("#prioritas", "tinggi"), ("#eskalasi", "")]},
    "staff_direction-ran_head": {**_DIRECTED, "role": "head", "ran": [("#tutup", "")], "text": "", **_CLOSED},
    # a coordinator's #jawab, sent to the requester
    "staff_direction-answered": {**_DIRECTED, "ran": [("#jawab", "")], "answered": True, **_OPEN,
                                 "text": "Perpanjangan jadwal merupakan kewenangan Pokja Pemilihan."},
    "staff_lkpp-need_info": {"event": "lkpp_need_info", "reason": "body: 'mohon data'", **_WAITING,
                             "situation": ["mailbox"], "passed_on": [{"kind": "need_info", "at": "2026-11-23 10:05"}]},
    "staff_lkpp-resolved": {"event": "lkpp_resolved", **_SOLVED, "situation": ["mailbox"],
                            "passed_on": [{"kind": "resolved_lkpp", "at": "2026-11-23 10:05"}]},
    "staff_lkpp-returned": {"event": "lkpp_returned", **_OPEN, "situation": ["lkpp_answer", "mailbox"]},
    "staff_lkpp-ack": {"event": "lkpp_ack"},
    "staff_lkpp-ack_no_number": {"event": "lkpp_ack", "lkpp_ticket": None},
    "staff_lkpp-status": {"event": "lkpp_status", "reason": "body: 'sedang kami proses'", "situation": ["mailbox"],
                          "passed_on": [{"kind": "status_user", "at": "2026-11-23 10:05"}]},
    "staff_lkpp-status_kept": {"event": "lkpp_status", "reason": "body: 'sedang kami proses'"},
    "staff_lkpp-other": {"event": "lkpp_other", **_SPARSE},
    "staff_new-full": {"cited": "2026-00031", "previous": "2026-00031", "similar": _SIMILAR, **_OPEN},
    "staff_new-withheld": {"ack_unsent": "ack_withheld", "ack_unsent_reason": "spf=fail dkim=none dmarc=fail"},
    "staff_new-awaits_staff": {"ack_unsent": "ack_awaits_staff", "ack_unsent_reason": "20 per hour", **_OPEN},
    "staff_new-held": {"ack_unsent": "ack_held", "ack_unsent_reason": "too many mails to this address",
                       "ack_until": "Senin 23-11 10:15"},
    "staff_new-suppressed": {"ack_unsent": "ack_suppressed", "ack_unsent_reason": "the sender is a mailing list",
                             "sealed": "S/MIME", "unshown": _UNSHOWN},
    "staff_new-sparse": _SPARSE,
    "staff_no_ticket-full": {},
    "staff_reply-full": {},
    "staff_unmatched-full": {},
    "staff_unmatched-sparse": _SPARSE,
    "staff_update-confirmed": {"event": "confirmed", "rating": 4, **_CLOSED},
    "staff_update-confirmed_plain": {"event": "confirmed"},
    "staff_update-confirmed_late": {"event": "confirmed_late", "rating": 3},
    "staff_update-confirmed_late_plain": {"event": "confirmed_late"},
    "staff_update-rejected": {"event": "rejected", **_OPEN},
    "staff_update-reopened": {"event": "reopened", **_OPEN},
    "staff_update-silent": {"event": "silent", **_SPARSE, **_SOLVED},
    "staff_update-auto_closed": {"event": "auto_closed"},
    "staff_update-other_sender": {"sender_label": "Sari <sari@vendor.test>", "sealed": "PGP"},
    # the requester's data went on to LKPP by itself (E3)
    "staff_update-forwarded": {"event": "requester", "forwarded": True,
                               "deadlines": [{"kind": "lkpp_progress", "at": "2026-11-24T10:30:00+07:00",
                                              "past": False}, _RESOLUTION]},
    "status_user-full": {"text": "Sedang dalam pengecekan tim teknis."},
    "status_user-sparse": _SPARSE,
    "system_alert-mailbox_unreadable": {"alert": "mailbox_unreadable", "since": "2026-11-23 08:15",
                                        "error": "AUTHENTICATIONFAILED"},
    "system_alert-mailbox_unreadable_plain": {"alert": "mailbox_unreadable", "since": "2026-11-23 08:15"},
    "system_alert-quarantined": {"alert": "quarantined", "count": 3, "folder": "Quarantine"},
    "system_alert-storage_failing": {"alert": "storage_failing", "since": "2026-11-23 08:15",
                                     "error": "disk I/O error", "items": []},
    "system_alert-digest_failed": {"alert": "digest_failed", "error": "KeyError: 'x'", "items": []},
    "system_alert-timer_failed": {"alert": "timer_failed", "timer": "lkpp_status", "ticket": "2026-00042",
                                  "error": "boom", "items": []},
    "system_alert-reload_refused": {"alert": "reload_refused", "error": "config.yaml: smtp.port: not a number"},
    "system_alert-summary_failed": {"alert": "summary_failed", "month": "2026-10", "error": "boom", "items": []},
    "system_alert-audit": {"alert": "audit", "count": 2},
    "system_alert-move_failing": {"alert": "move_failing", "since": "2026-11-23 08:15", "error": "NO [TRYCREATE]",
                                 "folder": "Processed"},
    "system_alert-problem": {"alert": "problem", "reason": "template ack: missing 'x'", "items": []},
    "unverified-full": {},
    # LKPP's mail that proves nothing: staff decide, and the notice names how
    "unverified-lkpp": {"from_lkpp": True, "reason": "it names only LKPP's own ticket number"},
    "unverified-sparse": _SPARSE,
    # with web.url, mail to a requester ends with its ticket's status link (one line of the footer)
    "ack-status_link": {"status_link": STATUS_LINK},
    "resolved-status_link": {"status_link": STATUS_LINK},
    "web_signin-link": {"unit": "Helpdesk LPSE Kota Batam", "minutes": 15, "link": SIGNIN_LINK},
}
# The digest and the monthly summary with the values of `CASES` above, their text too.
MAILS: dict[str, dict[str, Any]] = {
    **CASES,
    **{case: {key: value for key, value in context(**changes).items() if value is not GONE}
       for case, changes in MAIL_CHANGES.items()},
}


def rendered(renderer: Renderer, case: str, language: str) -> dict[str, str]:
    """The case's mail in the language: its stored files' suffixes -> their expected text."""
    text, html = renderer.body(kind_of(case), language, dict(MAILS[case]))
    return {"txt": text} if html is None else {"txt": text, "html": html}


def test_every_template_is_rendered_here() -> None:
    """No mail kind escapes the byte-for-byte check: each template of each language, and
    each written once for all (`_mails/`), has a case."""
    templates = resources.files("mailbot").joinpath("templates")
    shared = {Path(item.name).stem for item in templates.joinpath("_mails").iterdir()}
    for language in LANGUAGES:
        kinds = {Path(item.name).stem for item in templates.joinpath(language).iterdir()
                 if item.name.endswith((".txt", ".html"))}
        assert {kind for kind in kinds | shared if not kind.startswith("_")} == {kind_of(case) for case in MAILS}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", sorted(MAILS))
def test_every_mail_is_what_it_was(renderer: Renderer, case: str, language: str) -> None:
    """Byte for byte the plain text (and HTML) the templates gave before."""
    for suffix, got in rendered(renderer, case, language).items():
        assert got == (RENDERED / f"{case}.{language}.{suffix}").read_text("utf-8"), suffix


def write_missing() -> None:
    """Store the renderings not stored yet, from the templates as they are now; a stored one
    is never written over (a deliberate change removes it first, then reads the diff)."""
    renderer = Renderer()
    for case in sorted(MAILS):
        for language in LANGUAGES:
            for suffix, got in rendered(renderer, case, language).items():
                path = RENDERED / f"{case}.{language}.{suffix}"
                if not path.exists():
                    path.write_text(got, "utf-8")
                    print(path)


if __name__ == "__main__":
    write_missing()

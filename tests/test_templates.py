"""Every mail kind renders in both languages with the context the daemon gives it."""

from __future__ import annotations

import re
from typing import Any

import jinja2
import pytest

from mailbot.io.render import Renderer
from mailbot.io.words import words
from mailbot.rules import load_rules

LANGUAGES = ("id", "en")
KINDS = sorted(words("id")["subjects"])
NEW_KINDS = (
    "escalate", "escalated_user", "resolved", "resolved_lkpp", "closed", "need_info", "forward_info",
    "staff_lkpp", "relay", "status_user", "overdue_staff", "overdue_lkpp", "remind_lkpp", "remind_user", "digest",
)
# Kinds that go to the requester end with the footer that asks to keep the subject.
REQUESTER_KINDS = (
    "ack", "staff_reply", "escalated_user", "resolved", "resolved_lkpp", "closed", "need_info", "relay",
    "status_user", "remind_user", "request_info",
)
FOOTER = {
    "id": "Mohon balas email ini tanpa mengubah subjek agar pesan Anda tercatat pada tiket 2026-00042.",
    "en": "Please reply to this email without changing the subject so your message is added to ticket 2026-00042.",
}


def context(**changes: Any) -> dict[str, Any]:
    """What `App.context()` gives every template, plus the per-kind extras."""
    base: dict[str, Any] = {
        "unit": "Helpdesk LPSE Kota Batam",
        "unit_address": "lpse@batam.go.id",
        "number": "2026-00042",
        "tag": "[LPSE-BTM #2026-00042]",
        "subject": "Tidak bisa upload dokumen penawaran",
        "state": "escalated",
        "requester_name": "Budi Santoso",
        "requester": "budi@vendor.test",
        "requester_label": "Budi Santoso <budi@vendor.test>",
        "sender": "helpdesk-lpse@lkpp.go.id",
        "text": ("Selamat siang,\nKami tidak dapat mengunggah dokumen penawaran pada tender kode 10012345000,\n"
                 "muncul pesan \"Gagal mengirim penawaran\". Batas akhir hari ini pukul 15.00 WIB."),
        "attachment_names": ["screenshot-error.png", "NIB-CV-Maju-Jaya.pdf"],
        "first_response_hours": 4,
        "working_hours": "Senin-Jumat 08:00-16:00",
        "tz_label": "WIB",
        "previous": None,
        "cited": None,
        "errors": ["#prioritas needs one of: tinggi, sedang, rendah"],
        "commands": [("prioritas", "high"), ("eskalasi", None)],
        "reason": "",
        "alert": "",
        "by": "andi@batam.go.id",
        "role": "coordinator",
        "priority": "high",
        "category": "pengaduan",
        "event": "",
        "rating": None,
        # per-kind extras
        "identity": {"name": "Budi Santoso", "organisation": "CV Maju Jaya", "phone": "0812-7000-1234",
                     "address": "Jl. Engku Putri No. 1, Batam Centre", "email": "budi@vendor.test"},
        "lkpp_ticket": "2026112110000123",
        "note": "Sudah kami cek: sertifikat penyedia valid, tetapi unggah tetap gagal. Mohon bantuan LKPP.",
        "hours_waited": 26.5,
        "due": "Selasa, 24 November 2026 15:30 WIB",
        # what a staff notice says of its ticket now: its next deadlines, as the
        # core hands them out (ISO instants in the unit's zone), and what the commands offered need
        "deadlines": [{"kind": "lkpp_status", "at": "2026-11-25T15:30:00+07:00", "past": False},
                      {"kind": "resolution", "at": "2026-11-26T09:00:00+07:00", "past": False}],
        "situation": ["lkpp_answer", "mailbox"],
        "since": "Senin, 23 November 2026 15:30 WIB", "asked": "coordinators",  # direction_reminder
        "tickets": [
            {"number": "2026-00042", "subject": "Tidak bisa upload penawaran", "state": "escalated",
             "waited": "3 hari kerja", "on_whom": "lkpp"},
            {"number": "2026-00051", "subject": "Lupa password", "state": "open", "waited": "6 jam kerja",
             "on_whom": "staff"},
            {"number": "2026-00039", "subject": "Akun terblokir", "state": "awaiting_info", "waited": "1 hari kerja",
             "on_whom": "LKPP", "reason": "belum ada status dari LKPP (2 hari kerja)", "kind": "lkpp_status",
             "due": "20-11-2026 15:30"},
        ],
        "counts": {"open": 4, "answered": 2, "escalated": 1, "awaiting_info": 1, "resolved": 3},
        "overdue_count": 3,
        "day": "Senin, 23 November 2026",
        "confirm_days": 3,
        "close_days": 5,
        "items": ["2026-11-23T09:00 abc@x.test: no usable sender address in From"],
        "held": True,
        "until": "2026-11-23 10:15",
        "address": "",
        "failed_kind": "ack",
        "failed_to": ["budi@vendor.test"],
        "answer": "budi@vendor.test: 550 5.1.1 user unknown",
        "failed_audience": "requester",
        "refusal": "too_large",
        "max_mb": 25,
        "max_parts": 500,
        "max_attachments": 100,
        # a call or visit written down by staff (intake_confirm, intake_opened; SPEC 3); "email" keeps
        # ack and resolved on their mail wording (tests/test_flow_intake.py renders the others)
        "channel": "email",
        "typed": "#telepon",
        "form": {"name": "Budi Santoso", "organisation": "CV Maju Jaya", "address": "Jl. Engku Putri No. 1",
                 "phone": "0812-7000-1234", "email": "budi@vendor.test"},
        "caller_email": "budi@vendor.test",
        "answered": False,
        "solution": None,
        "taken_by": "andi@batam.go.id",
        "notes": "",
        "problem": "Tidak bisa upload dokumen penawaran",
        "opened_day": "Kamis, 12 November 2026",
        "opened_time": "10:15 WIB",
        # the answer that cancelled a held call or visit (intake_cancelled)
        "staff_answer": "Saya tidak pernah mengirim formulir ini, ini palsu.",
        "answered_by": "andi@batam.go.id",
        # the ticket's history as `mailbot ticket N --full` prints it (history; E12h)
        "history": ["Ticket 2026-00042 (t): Tidak bisa upload dokumen penawaran", "", "History (times WIB):",
                    "  2026-11-23 09:00  budi@vendor.test           ticket_opened"],
        # a solved case's answer shown to staff before it goes (answer_preview)
        "case": "2026-00012",
        "done": ["Akun sudah kami buka dan alamat email sudah kami perbarui."],
        # the ticket's story as the #riwayat mail tells it (`io/story`)
        "story": [
            {"kind": "in", "at": "Senin 23-11 09:00", "who": "budi@vendor.test", "role": "requester",
             "automatic": False, "unverified": False, "more": 3,
             "text": "Selamat siang,\nKami tidak dapat mengunggah dokumen penawaran."},
            {"kind": "out", "at": "Senin 23-11 09:00", "mail": "ack", "to": "budi@vendor.test"},
            {"kind": "out", "at": "Senin 23-11 09:00", "mail": "staff_new", "to": "andi@batam.go.id, rina@batam.go.id"},
            {"kind": "in", "at": "Senin 23-11 09:40", "who": "andi@batam.go.id", "role": "staff", "automatic": False,
             "unverified": False, "more": 0, "text": "#eskalasi\nMohon bantuan pengecekan di sisi LKPP."},
            {"kind": "state", "at": "Senin 23-11 09:40", "from": "open", "to": "escalated"},
            {"kind": "out", "at": "Senin 23-11 09:40", "mail": "escalate", "to": "helpdesk-lpse@lkpp.go.id"},
            {"kind": "in", "at": "Senin 23-11 10:00", "who": "noreply@lkpp.go.id", "role": "lkpp", "automatic": True,
             "unverified": False, "more": 0, "text": ""},
            {"kind": "in", "at": "Senin 23-11 11:00", "who": "helpdesk-lpse@lkpp.go.id", "role": "lkpp",
             "automatic": False, "unverified": True, "more": 0, "text": ""},
        ],
    }
    base.update(changes)
    return base


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def render(renderer: Renderer, kind: str, language: str, **changes: Any) -> str:
    text, _ = renderer.body(kind, language, context(**changes))
    return text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_template(renderer: Renderer, kind: str, language: str) -> None:
    """Each kind with a subject label has a plain-text template in both languages."""
    assert renderer.has(kind, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_with_the_full_context(renderer: Renderer, kind: str, language: str) -> None:
    """StrictUndefined: no template uses a variable the context does not hold."""
    text = render(renderer, kind, language)
    assert text.strip()
    assert "{{" not in text and "{%" not in text and "None" not in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", NEW_KINDS)
def test_new_kinds_render_with_sparse_values(renderer: Renderer, kind: str, language: str) -> None:
    """Empty identity, no LKPP ticket, no attachments and no text still give a clean mail."""
    text = render(renderer, kind, language, identity=dict.fromkeys(("name", "organisation", "phone", "address",
                                                                    "email"), ""),
                  lkpp_ticket=None, attachment_names=[], text="", note="", requester_name="", tickets=[],
                  counts={}, hours_waited=3)
    assert text.strip()
    assert "None" not in text
    assert "\n\n\n\n" not in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", REQUESTER_KINDS)
def test_requester_mail_ends_with_the_footer(renderer: Renderer, kind: str, language: str) -> None:
    """Requester-facing mail ends with the unit's signature and the keep-the-subject line."""
    text = render(renderer, kind, language)
    assert text.rstrip().endswith(FOOTER[language])
    assert "Helpdesk LPSE Kota Batam\nlpse@batam.go.id\n" in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", NEW_KINDS)
def test_only_digest_has_html(renderer: Renderer, kind: str, language: str) -> None:
    """The digest alone has an HTML alternative."""
    _, html = renderer.body(kind, language, context())
    assert (html is not None) == (kind == "digest")


@pytest.mark.parametrize("language", LANGUAGES)
def test_rate_limited_says_whether_mail_is_held_or_not_sent(renderer: Renderer, language: str) -> None:
    """SPEC 5: held mail is said to go later (with when); mail to a loop is said not to be sent."""
    held = render(renderer, "rate_limited", language)
    assert "2026-11-23 10:15" in held
    assert ("tidak hilang" if language == "id" else "not lost") in held
    unsent = render(renderer, "rate_limited", language, held=False, until="", address="ooo@vendor.test")
    assert "ooo@vendor.test" in unsent and "2026-11-23 10:15" not in unsent
    assert ("tidak dikirim" if language == "id" else "was not sent") in unsent


@pytest.mark.parametrize("language", LANGUAGES)
def test_delivery_failed_names_mail_recipient_and_answer(renderer: Renderer, language: str) -> None:
    """SPEC 5: a final failure is reported with the server's answer."""
    text = render(renderer, "delivery_failed", language)
    assert "550 5.1.1 user unknown" in text and "budi@vendor.test" in text and "2026-00042" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_digest_html_is_autoescaped(renderer: Renderer, language: str) -> None:
    """A hostile subject is escaped in HTML and left as plain text in the text part."""
    hostile = [{"number": "2026-00066", "subject": "<script>alert('x')</script> & co", "state": "open",
                "waited": "5 jam kerja", "on_whom": "staff"}]
    text, html = renderer.body("digest", language, context(tickets=hostile, unit="LPSE <b>Batam</b>"))
    assert html is not None
    assert "<script>" not in html and "<b>Batam</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co" in html
    assert "LPSE &lt;b&gt;Batam&lt;/b&gt;" in html
    assert "<table" in html and "2026-00066" in html
    assert "<script>alert('x')</script> & co" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_digest_lists_counts_and_every_overdue_ticket(renderer: Renderer, language: str) -> None:
    """Heads see the counts by state and, per overdue ticket, how long and on whom it waits."""
    text, html = renderer.body("digest", language, context())
    assert html is not None
    for part in (text, html):
        assert "Senin, 23 November 2026" in part
        for ticket in context()["tickets"]:
            assert ticket["number"] in part and ticket["waited"] in part
        assert ("Helpdesk LKPP" if language == "id" else "LKPP Helpdesk") in part
        assert "belum ada status dari LKPP (2 hari kerja)" in part
    assert ("dieskalasi (menunggu Helpdesk LKPP): 1" if language == "id"
            else "escalated (waiting for the LKPP Helpdesk): 1") in text
    empty = render(renderer, "digest", language, tickets=[])
    assert ("Tidak ada tiket yang melewati batas waktu." if language == "id" else "No ticket is overdue.") in empty


@pytest.mark.parametrize("kind", ["resolved", "resolved_lkpp"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_resolved_asks_for_ya_or_tidak(renderer: Renderer, kind: str, language: str) -> None:
    """SOP-002 step 12: reply YA (with an optional rating) to close, TIDAK if not solved."""
    text = render(renderer, kind, language, text="Silakan hapus cache peramban lalu unggah ulang.")
    assert "YA" in text and "YA 5" in text and "TIDAK" in text
    assert "1-5" in text or "1 to 5" in text
    assert "Silakan hapus cache peramban lalu unggah ulang." in text
    assert ("3 hari kerja" if language == "id" else "3 working days") in text
    assert ("Helpdesk LKPP" in text or "LKPP Helpdesk" in text) == (kind == "resolved_lkpp")


def test_the_words_we_ask_for_are_the_words_we_read() -> None:
    """What `resolved` tells the requester to write is parsed by the closing rules as meant."""
    rules = load_rules()
    assert rules.is_confirmation("YA") == (True, None)
    assert rules.is_confirmation("YA 5") == (True, 5)
    assert rules.is_confirmation("TIDAK, masih gagal") == (False, None)


@pytest.mark.parametrize("language", LANGUAGES)
def test_escalate_carries_the_whole_case(renderer: Renderer, language: str) -> None:
    """SOP-015 step 1: problem, identity as in the Formulir Konsultasi, staff note, attachments."""
    text = render(renderer, "escalate", language)
    ctx = context()
    for value in (*ctx["identity"].values(), ctx["note"], *ctx["attachment_names"], ctx["lkpp_ticket"], ctx["number"]):
        assert value in text
    assert "tender kode 10012345000" in text
    assert "SOP-015" in text
    if language == "id":
        for label in ("Nama", "Nama Instansi/Perusahaan", "Alamat", "Nomor Telepon/HP", "Email"):
            assert f"{label} " in text
        assert "2 (dua) hari kerja" in text and "tanpa mengubah subjek" in text
        assert "Prioritas        : Tinggi" in text  # SOP-015 step 11: LKPP works by the priority table
    else:
        assert "2 working days" in text and "without changing its subject" in text
        assert "Priority           : High" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_escalate_shows_a_note_equal_to_the_text_once(renderer: Renderer, language: str) -> None:
    """When the note is the text itself it is not repeated under its own heading."""
    text = render(renderer, "escalate", language, note=context()["text"])
    assert text.count("tender kode 10012345000") == 1


def test_our_ticket_number_is_not_read_as_lkpp_ticket(renderer: Renderer) -> None:
    """An escalation quoted back by LKPP does not make our number look like theirs."""
    rules = load_rules()
    for language in LANGUAGES:
        text = render(renderer, "escalate", language, lkpp_ticket=None)
        assert rules.lkpp_ticket(f"RE: [LPSE-BTM #2026-00042] Eskalasi: {context()['subject']}", text) is None


@pytest.mark.parametrize(("event", "id_words", "en_words"), [
    ("lkpp_need_info", ["data tambahan", "diteruskan kepada pengguna"], ["additional data", "passed on"]),
    ("lkpp_resolved", ["solusi", "konfirmasi"], ["solution", "confirmation"]),
    ("lkpp_returned", ["mengembalikan", "kewenangan LPSE", "panduan", "#selesai"],
     ["returned the problem to the unit with guidance", "please handle it", "#resolve"]),
    ("lkpp_status", ["perkembangan"], ["progress"]),
    ("lkpp_other", ["#teruskan", "#selesai", "#eskalasi", "#catatan"], ["#relay", "#resolve", "#escalate", "#note"]),
])
def test_staff_lkpp_says_what_lkpp_answered(renderer: Renderer, event: str, id_words: list[str],
                                           en_words: list[str]) -> None:
    """Staff learn which kind of answer LKPP sent and what, if anything, they must do."""
    for language, wanted in (("id", id_words), ("en", en_words)):
        text = render(renderer, "staff_lkpp", language, event=event, reason="body: 'sedang kami proses'")
        for word in wanted:
            assert word in text, (language, word)
        assert context()["text"] in text
        assert "sedang kami proses" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_closed_thanks_only_a_confirmation(renderer: Renderer, language: str) -> None:
    """A confirmed close thanks the requester (with the rating); a staff close does not."""
    thanks = "Terima kasih atas konfirmasi Anda" if language == "id" else "Thank you for your confirmation"
    confirmed = render(renderer, "closed", language, confirmed=True, rating=5)
    assert thanks in confirmed and "5/5" in confirmed
    assert "14" in confirmed
    plain = render(renderer, "closed", language)  # E10: no `confirmed` in the context at all
    assert thanks not in plain and "/5" not in plain
    timeout = render(renderer, "closed", language, reason="no_confirmation")
    assert "3" in timeout and thanks not in timeout
    no_data = render(renderer, "closed", language, reason="no_info")
    assert "5" in no_data and ("Helpdesk LKPP" in no_data or "LKPP Helpdesk" in no_data)
    assert "30" in render(renderer, "closed", language, reopen_days=30)


@pytest.mark.parametrize("language", LANGUAGES)
def test_lkpp_reminders_cite_the_sop_steps(renderer: Renderer, language: str) -> None:
    """Status requests cite SOP-015 step 12, progress reminders step 14; both keep the subject."""
    step = "langkah" if language == "id" else "step"
    overdue = render(renderer, "overdue_lkpp", language)
    assert (f"SOP-015 {step} 12" in overdue and ("26,5" if language == "id" else "26.5") in overdue
            and context()["due"] in overdue)
    assert "2026112110000123" in overdue
    remind = render(renderer, "remind_lkpp", language)
    assert f"SOP-015 {step} 14" in remind and ("26,5" if language == "id" else "26.5") in remind
    assert "(nomor tiket LKPP 2026112110000123)" in remind or "(LKPP ticket number 2026112110000123)" in remind
    assert "2026-00042," in render(renderer, "remind_lkpp", language, lkpp_ticket=None)


@pytest.mark.parametrize("language", LANGUAGES)
def test_overdue_staff_first_response_and_resolution(renderer: Renderer, language: str) -> None:
    """The first-response breach and the 3x24h breach read differently."""
    first = render(renderer, "overdue_staff", language, hours_waited=5)
    assert "5 jam kerja" in first or "5 working hours" in first
    late = render(renderer, "overdue_staff", language, timer="resolution", hours=72)
    assert "3x24" in late and context()["due"] in late
    assert "48" in render(renderer, "overdue_staff", language, timer="resolution", hours=48)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("kind", "extra"), [
    ("overdue_staff", {"timer": "resolution", "hours": 72}),
    ("overdue_staff", {"timer": "first_response"}),
    ("overdue_lkpp", {"timer": "lkpp_status", "days": 2}),
    ("remind_lkpp", {"timer": "lkpp_progress"}),
    ("remind_user", {"timer": "awaiting_info", "close_at": "Jumat, 27 November 2026 10:00 WIB"}),
    ("status_user", {"timer": "lkpp_status"}),
])
def test_timer_mail_without_hours_waited(renderer: Renderer, language: str, kind: str, extra: dict[str, Any]) -> None:
    """Timer mail renders from the deadline's `due` alone; the waited hours are optional."""
    ctx = context(text="", **extra)
    del ctx["hours_waited"]
    text, _ = renderer.body(kind, language, ctx)
    assert text.strip() and "None" not in text
    if kind != "status_user":
        assert ctx.get("close_at", ctx["due"]) in text
    assert "jam yang lalu" not in text and "hours ago" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_reminder_and_data_request_to_requester(renderer: Renderer, language: str) -> None:
    """need_info relays LKPP's request; remind_user repeats it and says when the ticket closes."""
    request = "Mohon dilengkapi screenshot halaman penawaran."
    need = render(renderer, "need_info", language, text=request)
    assert request in need and "Helpdesk LKPP" in need.replace("LKPP Helpdesk", "Helpdesk LKPP")
    remind = render(renderer, "remind_user", language, text=request)
    assert request in remind and ("5 hari kerja" in remind or "5 working days" in remind)
    forward = render(renderer, "forward_info", language, text="Berikut screenshot yang diminta.")
    assert "Berikut screenshot yang diminta." in forward and "NIB-CV-Maju-Jaya.pdf" in forward


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_units_own_request_for_data_speaks_in_its_name(renderer: Renderer, language: str) -> None:
    """E12g (seed 002): `#minta-data` asks in the unit's name, says that the 3x24h clock stands
    still meanwhile, and its reminder and closing name no LKPP request."""
    request = "Mohon kirimkan scan NIB perusahaan."
    asked = render(renderer, "request_info", language, text=request)
    assert request in asked and "LKPP" not in asked and "3x24" in asked
    remind = render(renderer, "remind_user", language, text="", by_unit=True)
    closed = render(renderer, "closed", language, reason="no_info", by_unit=True)
    for text in (remind, closed):
        assert "LKPP" not in text and "2026-00042" in text
    assert "LKPP" in render(renderer, "closed", language, reason="no_info")


@pytest.mark.parametrize("language", LANGUAGES)
def test_status_user_with_and_without_lkpp_text(renderer: Renderer, language: str) -> None:
    """The requester's status mail relays LKPP's words when there are any."""
    assert "Sedang dalam pengecekan tim teknis." in render(renderer, "status_user", language,
                                                            text="Sedang dalam pengecekan tim teknis.")
    assert "LKPP" in render(renderer, "status_user", language, text="")


def test_missing_extras_are_caught(renderer: Renderer) -> None:
    """StrictUndefined makes a forgotten per-kind extra an error, not a blank."""
    ctx = context()
    del ctx["confirm_days"]
    with pytest.raises(jinja2.UndefinedError):
        renderer.body("resolved", "id", ctx)


@pytest.mark.parametrize(
    ("alert", "facts", "expected"),
    [
        ("mailbox_unreadable", {"since": "2026-11-23 08:15"}, "Kotak surat tidak dapat dibaca sejak 2026-11-23 08:15."),
        ("quarantined", {"count": 3, "folder": "Quarantine"}, "3 pesan masuk ke folder Quarantine."),
        ("storage_failing", {"since": "2026-11-23 08:15", "error": "disk I/O error"},
         "tidak dapat menyimpan data sejak 2026-11-23 08:15 (disk I/O error). Email tetap menunggu di INBOX"),
        ("digest_failed", {"error": "KeyError: 'x'"}, "Ringkasan harian tidak dapat dibuat: KeyError: 'x'"),
        ("timer_failed", {"timer": "lkpp_status", "ticket": "2026-00042", "error": "boom"},
         "Tenggat lkpp_status tiket 2026-00042 gagal diproses: boom."),
        ("summary_failed", {"month": "2026-10", "error": "boom"}, "Ringkasan bulanan 2026-10 tidak dapat dibuat: boom"),
        ("problem", {"reason": "template ack: missing 'x'"}, "template ack: missing 'x'"),
    ],
)
def test_system_alert_says_what_happened(renderer: Renderer, alert: str, facts: dict[str, Any], expected: str) -> None:
    """SPEC 6: each alert to the coordinators says what needs attention, in Indonesian."""
    text = render(renderer, "system_alert", "id", alert=alert, items=[], **{"reason": "", **facts})
    assert expected in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_direction_is_internal_and_names_its_author(renderer: Renderer, language: str) -> None:
    """SOP-004 steps 5, 8: staff see who directed and that the requester does not get it."""
    coordinator = render(renderer, "staff_direction", language, sender="koord@batam.go.id", role="coordinator")
    head = render(renderer, "staff_direction", language, sender="kepala@batam.go.id", role="head")
    assert "koord@batam.go.id" in coordinator and "kepala@batam.go.id" in head
    assert ("Arahan Koordinator" in coordinator and "Rekomendasi Kepala" in head) if language == "id" else (
        "Direction of the helpdesk coordinator" in coordinator and "Recommendation of the head" in head)
    assert ("tidak dikirim kepada pengguna" if language == "id" else "not sent to the requester") in coordinator


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["staff_new", "staff_update", "assigned", "staff_lkpp", "staff_direction",
                                  "overdue_staff", "staff_alert", "coordinator_case", "head_case"])
def test_staff_notices_list_the_commands_that_apply_now(renderer: Renderer, kind: str, language: str) -> None:
    """SPEC 4, staff (and coordinators) learn from the notice they reply to the
    commands that apply to its ticket now (here escalated, with an LKPP answer to pass on), and
    only those: no #eskalasi of an escalated case, no #buka or #batal outside a held form's mail,
    no #kirim-tanda-terima where no acknowledgement waits; the full list is in the guide."""
    text = render(renderer, kind, language)
    offered, refused = ((["#catatan", "#selesai", "#tutup", "#koordinator", "#permintaan-data", "#teruskan", "#jawab",
                          "#data", "#prioritas", "#kategori", "#tugaskan", "#riwayat", "#lpse-support",
                          "#lapor-kepala"],
                         ["#eskalasi", "#minta-data", "#buka", "#batal", "#kirim-tanda-terima", "#jawab-seperti"])
                        if language == "id" else
                        (["#note", "#resolve", "#close", "#coordinator", "#need-info", "#relay", "#answer", "#data",
                          "#priority", "#category", "#assign", "#history", "#lpse-support", "#report-head"],
                         ["#escalate", "#request-info", "#open", "#cancel", "#send-ack", "#answer-like"]))
    head = "Perintah yang dapat dipakai sekarang" if language == "id" else "Commands that apply now"
    footer = text[text.index(head):]
    for name in offered:
        assert re.search(rf"^  {name}\b", footer, re.MULTILINE), name
    for name in refused:
        assert not re.search(rf"{name}\b", footer), name
    assert ('Panduan Petugas Helpdesk (panduan-petugas.md), bagian 3, "Daftar perintah"' if language == "id"
            else 'the staff guide (panduan-petugas.md), section 3, "Daftar perintah"') in footer


@pytest.mark.parametrize("language", LANGUAGES)
def test_digest_says_how_to_recommend(renderer: Renderer, language: str) -> None:
    """SOP-004 step 8: the head learns from the digest to reply naming ticket numbers, kept internal."""
    text, html = renderer.body("digest", language, context())
    assert html is not None
    wanted = (["balas email ini dengan menyebut nomor tiket", "misalnya 2026-00042", "tidak dikirim kepada pengguna"]
              if language == "id" else
              ["reply to this email naming the ticket number", "for example 2026-00042", "never to the\nrequester"])
    for phrase in wanted:
        assert phrase in text
    assert wanted[1] in html and " ".join(wanted[0].split()) in " ".join(html.split())


@pytest.mark.parametrize("language", LANGUAGES)
def test_lkpp_acknowledgement_tells_staff_the_number(renderer: Renderer, language: str) -> None:
    """SPEC 3: LKPP's automatic acknowledgement reaches staff with LKPP's ticket number, as no decision to take."""
    text = render(renderer, "staff_lkpp", language, event="lkpp_ack")
    assert "2026112110000123" in text
    assert ("tanda terima otomatis" if language == "id" else "automatic acknowledgement") in text
    assert ("tidak dapat dikenali" if language == "id" else "could not be classified") not in text


@pytest.mark.parametrize(("zone", "label"), [("Asia/Jakarta", "WIB"), ("Asia/Makassar", "WITA")])
def test_deadline_instants_are_worded_in_the_unit_zone(zone, label):
    """The timers give `due` / `close_at` as ISO instants; mail shows them as people read dates."""
    from mailbot.io.render import Renderer

    base = {"unit": "Helpdesk LPSE", "unit_address": "lpse@lpse.test", "number": "2026-00001", "subject": "S",
            "lkpp_ticket": None, "timezone": zone, "requester_name": "", "text": "", "close_days": 5}
    text, _ = Renderer(None).body("overdue_lkpp", "id", {**base, "due": "2026-11-24T15:30:00+07:00"})
    assert "batas waktu Selasa, 24 November 2026 15:30" in text and "T15:30" not in text
    text, _ = Renderer(None).body("remind_user", "id", {**base, "close_at": "2026-12-01T10:00:00+08:00"})
    assert f"Selasa, 1 Desember 2026 10:00 {label}" in text


@pytest.mark.parametrize(
    ("answer", "cause", "said"),
    [
        ("helpdesk@lkpp.test: 552 5.3.4 Message size exceeds fixed limit", "size", "terlalu besar"),
        ("budi@vendor.test: 554 5.7.1 Message rejected as spam", "content", "dianggap spam"),
        ("budi@vendor.test: 550 5.1.1 <budi@vendor.test>: user unknown", "address", "periksa alamat"),
    ],
)
def test_a_final_refusal_tells_staff_what_to_do_about_it(renderer: Renderer, answer: str, cause: str,
                                                         said: str) -> None:
    """A mail too large for LKPP's server is no wrong address in config.yaml: staff are told
    to make the attachments smaller and that LKPP has not received the escalation."""
    from mailbot.io.smtp import refusal_cause

    assert refusal_cause(answer) == cause
    audience = "lkpp" if cause == "size" else "requester"
    text = " ".join(render(renderer, "delivery_failed", "id", answer=answer, cause=cause, failed_kind="escalate"
                           if cause == "size" else "ack", failed_audience=audience).split())
    assert said in text
    if cause == "size":
        assert "Helpdesk LKPP belum menerima eskalasi ini" in text and "config.yaml" not in text


@pytest.mark.parametrize("language,said", [
    ("id", ("Helpdesk LKPP belum menerima data pengguna ini. Tiket 2026-00042 dikembalikan ke status "
            "Menunggu data pengguna")),
    ("en", ("Helpdesk LKPP has not received the requester's data. Ticket 2026-00042 is back in "
            "Awaiting the requester's data")),
])
def test_refused_data_for_lkpp_tells_staff_the_ticket_waits_for_the_requester(renderer: Renderer, language: str,
                                                                               said: str) -> None:
    """The requester's data that LKPP's server refused (552): staff learn the ticket waits for
    the requester again and to ask for smaller attachments, not to check config.yaml."""
    text = " ".join(render(renderer, "delivery_failed", language, answer="552 5.3.4 Message size exceeds fixed limit",
                           cause="size", failed_kind="forward_info", failed_audience="lkpp", awaiting=True).split())
    assert said in text and "config.yaml" not in text
    assert ("lampiran yang lebih kecil" if language == "id" else "smaller attachments") in text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_no_template_glues_the_callers_address_to_the_next_word(renderer: Renderer, kind: str, language: str) -> None:
    """"dikirim ke budi@vendor.testsetelah Anda MEMBALAS", "tiket baru
    dibukasetelah": a block tag at a line's end ate the line break. With and without a caller's
    address, the address and the words around a conditional stand apart."""
    for email in ("budi@vendor.test", ""):
        text = render(renderer, kind, language, caller_email=email, answered=True, solution="Sudah dijawab.")
        assert not re.search(r"budi@vendor\.test[^\W\d_]", text), text
        assert not re.search(r"\b(?:dibuka|dikirim|opens|sent)(?:setelah|after|only|dan|and)\b", text), text

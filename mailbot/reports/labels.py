"""Words of the monthly summary in the unit's language (`language: id | en`).

The figures carry keys (`open`, `pengaduan`, `Step.ACK`); the page, the plain text
and the charts show them through these tables. Indonesian is the default.
"""

from __future__ import annotations

import math
from datetime import timedelta

from mailbot.reports.model import Month, Step
from mailbot.rules import Deadlines

STATES = {
    "id": {"open": "Terbuka", "answered": "Dijawab", "escalated": "Dieskalasi ke LKPP",
           "awaiting_info": "Menunggu data pengguna", "resolved": "Solusi terkirim", "closed": "Ditutup"},
    "en": {"open": "Open", "answered": "Answered", "escalated": "Escalated to LKPP",
           "awaiting_info": "Awaiting the requester's data", "resolved": "Solution sent", "closed": "Closed"},
}
CATEGORIES = {
    "id": {"pengaduan": "Pengaduan", "pertanyaan": "Pertanyaan", "konsultasi": "Konsultasi", "": "Tanpa kategori"},
    "en": {"pengaduan": "Complaint", "pertanyaan": "Question", "konsultasi": "Consultation", "": "No category"},
}
PRIORITIES = {
    "id": {"high": "Tinggi", "normal": "Sedang", "low": "Rendah", "": "Tanpa prioritas"},
    "en": {"high": "High", "normal": "Normal", "low": "Low", "": "No priority"},
}
OUTCOMES = {
    "id": {"resolved_by_lkpp": "Diselesaikan Helpdesk LKPP", "returned": "Dikembalikan ke LPSE (kewenangan LPSE)",
           "with_lkpp": "Masih ditangani LKPP", "other": "Diselesaikan/ditutup oleh LPSE"},
    "en": {"resolved_by_lkpp": "Solved by the LKPP Helpdesk", "returned": "Returned to the unit (its own authority)",
           "with_lkpp": "Still with LKPP", "other": "Solved or closed by the unit"},
}
# step -> (what is measured, where the SOP says so)
STEPS = {
    "id": {
        Step.ACK: ("Tanda terima dengan nomor tiket", "SOP Penanganan Permasalahan, langkah 8"),
        Step.ESCALATION: ("Eskalasi terkirim setelah keputusan petugas", "SOP-015 langkah 1"),
        Step.FORWARD_INFO: ("Data tambahan diteruskan ke LKPP", "SOP-015 langkah 9"),
        Step.FIRST_RESPONSE: ("Tanggapan pertama kepada pengguna", "Tabel Prioritas Penyelesaian"),
        Step.LKPP_STATUS: ("Status pertama dari Helpdesk LKPP", "SOP-015 langkah 12"),
        Step.LKPP_PROGRESS: ("Perkembangan dari Helpdesk LKPP", "SOP-015 langkah 14"),
        Step.RESOLUTION: ("Permasalahan diselesaikan", "Standar Pelayanan, 3x24 jam"),
        Step.CLOSING: ("Penutupan dikonfirmasi pengguna", "Standar Pelayanan, langkah 12"),
    },
    "en": {
        Step.ACK: ("Acknowledgement with the ticket number", "Problem handling SOP, step 8"),
        Step.ESCALATION: ("Escalation sent after the staff decision", "SOP-015 step 1"),
        Step.FORWARD_INFO: ("Additional data passed on to LKPP", "SOP-015 step 9"),
        Step.FIRST_RESPONSE: ("First response to the requester", "Priority table"),
        Step.LKPP_STATUS: ("First status from the LKPP Helpdesk", "SOP-015 step 12"),
        Step.LKPP_PROGRESS: ("Progress from the LKPP Helpdesk", "SOP-015 step 14"),
        Step.RESOLUTION: ("Problem solved", "Service standard, 3x24 hours"),
        Step.CLOSING: ("Closing confirmed by the requester", "Service standard, step 12"),
    },
}
MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
SUBJECT = {"id": "Ringkasan bulanan {month}", "en": "Monthly summary {month}"}
CHARTS = {
    "id": {"by_state": "Menurut status", "by_category": "Menurut kategori", "by_priority": "Menurut prioritas",
           "daily": "Tiket dibuka per hari", "working": "hari kerja", "off": "hari libur / akhir pekan",
           "compliance": "Kepatuhan SOP (% kasus memenuhi target)", "ratings": "Penilaian pengguna (1-5)",
           "tickets": "tiket", "no_cases": "tidak ada kasus", "escalations": "Eskalasi ke LKPP"},
    "en": {"by_state": "By state", "by_category": "By category", "by_priority": "By priority",
           "daily": "Tickets opened per day", "working": "working day", "off": "holiday / weekend",
           "compliance": "SOP compliance (% of cases on target)", "ratings": "Requester ratings (1-5)",
           "tickets": "tickets", "no_cases": "no cases", "escalations": "Escalations to LKPP"},
}
_UNITS = {"id": ("hari", "jam", "menit"), "en": ("d", "h", "min")}
_TARGETS = {
    "id": {"minutes": "≤ {} menit", "work_hours": "≤ {} jam kerja", "work_days": "≤ {} hari kerja",
           "every_work_day": "tiap {} hari kerja", "every_day": "tiap hari kerja", "hours": "≤ {} jam",
           "3x24": "≤ 3x24 jam",
           "confirm": "konfirmasi pengguna (≤ {} hari kerja)"},
    "en": {"minutes": "≤ {} minutes", "work_hours": "≤ {} working hours", "work_days": "≤ {} working days",
           "every_work_day": "every {} working days", "every_day": "every working day", "hours": "≤ {} hours",
           "3x24": "≤ 3x24 hours",
           "confirm": "requester's confirmation (≤ {} working days)"},
}


def lang_of(language: str) -> str:
    return "en" if language == "en" else "id"


def month_label(month: Month, language: str) -> str:
    """"November 2026"."""
    return f"{MONTHS[lang_of(language)][month.month - 1]} {month.year}"


def subject(month: Month, language: str) -> str:
    """The summary mail's subject, built by code (SPEC 8): "Ringkasan bulanan November 2026"."""
    return SUBJECT[lang_of(language)].format(month=month_label(month, language))


def number(value: float, language: str, digits: int = 1) -> str:
    """4.5 -> "4,5" in Indonesian; whole numbers without decimals."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"
    return text.replace(".", ",") if lang_of(language) == "id" else text


def percent(rate: float | None, language: str) -> str:
    return "–" if rate is None else number(rate * 100, language) + "%"


def duration(delta: timedelta | None, language: str) -> str:
    """Wall-clock time past a target, two units at most: "2 hari 3 jam", "12 menit".
    Started minutes count whole: 20 seconds late is "1 menit", never "0 menit"."""
    if delta is None:
        return ""
    day, hour, minute = _UNITS[lang_of(language)]
    minutes = max(0, math.ceil(delta / timedelta(minutes=1)))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} {day}"] if days else []
    if hours:
        parts.append(f"{hours} {hour}")
    if minutes and not days:
        parts.append(f"{minutes} {minute}")
    return " ".join(parts) or f"0 {minute}"


def target(step: Step, deadlines: dict[str, Deadlines], language: str) -> str:
    """The target of a step as the rules set it (per priority where they differ)."""
    lang = lang_of(language)
    words = _TARGETS[lang]
    normal = deadlines["normal"]

    def amount(value: float) -> str:
        return number(value, lang, 2)

    match step:
        case Step.ACK:
            return words["minutes"].format(10)
        case Step.ESCALATION | Step.FORWARD_INFO:
            return words["minutes"].format(5)
        case Step.FIRST_RESPONSE:
            values = {p: d.first_response for p, d in deadlines.items()}
            if len(set(values.values())) == 1:
                return words["work_hours"].format(amount(normal.first_response))
            return ", ".join(f"{PRIORITIES[lang][p].lower()} " + words["work_hours"].format(amount(v))
                             for p, v in values.items())
        case Step.LKPP_STATUS:
            return words["work_days"].format(amount(normal.lkpp_status))
        case Step.LKPP_PROGRESS:
            if normal.lkpp_progress == 1:
                return words["every_day"]
            return words["every_work_day"].format(amount(normal.lkpp_progress))
        case Step.RESOLUTION:
            if normal.resolution == 72:
                return words["3x24"]
            return words["hours"].format(amount(normal.resolution))
        case Step.CLOSING:
            return words["confirm"].format(amount(normal.confirm_close))
    return ""  # pragma: no cover - every step is matched above

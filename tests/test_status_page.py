"""A requester's status page says the next step with its date, and plainly when the unit is
late (SPEC 13), from the deadlines every staff notice shows (`core/shown_deadlines`). Pure:
the page's `next_step` over deadlines written out here, in the unit's words (words.yaml)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.core.shown_deadlines import ShownDeadline
from mailbot.core.worktime import WorkCalendar
from mailbot.io.words import words
from mailbot.model import TimerKind
from mailbot.rules import Deadlines
from mailbot.web.status import StatusClock, next_step

WIB = ZoneInfo("Asia/Jakarta")
K = TimerKind
D = Deadlines(first_response=4, lkpp_status=2, lkpp_progress=1, awaiting_info_remind=2, awaiting_info_close=5,
              confirm_close=3, resolution=72)
OPENED = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)  # a Tuesday


def _clock(now: datetime, language: str = "id") -> StatusClock:
    return StatusClock(WorkCalendar.build(), D, now, words(language))


def test_a_ticket_unanswered_for_67_days_is_late_not_about_to_be_answered():
    shown = [ShownDeadline(K.FIRST_RESPONSE, datetime(2026, 11, 24, 6, 0, tzinfo=ZoneInfo("UTC")), True, "staff",
                           OPENED),
             ShownDeadline(K.RESOLUTION, OPENED + timedelta(hours=72), True, "staff", OPENED)]
    said = next_step("open", shown, _clock(OPENED + timedelta(days=67)))
    assert said == {"late": True, "next": (
        "Kami terlambat. Petugas helpdesk belum menanggapi pertanyaan atau pengaduan Anda, padahal batas waktunya "
        "(Selasa, 24 November 2026 13:00 WIB) sudah lewat. Mohon maaf; koordinator helpdesk sudah diberi tahu.")}


def test_an_open_ticket_in_time_says_by_when_staff_answer():
    shown = [ShownDeadline(K.FIRST_RESPONSE, OPENED + timedelta(hours=4), False, "staff", OPENED)]
    assert next_step("open", shown, _clock(OPENED))["next"] == (
        "Petugas helpdesk sedang menangani pertanyaan atau pengaduan Anda dan akan menanggapi paling lambat "
        "Selasa, 24 November 2026 13:00 WIB.")


def test_lkpp_late_is_the_units_lateness_too():
    shown = [ShownDeadline(K.LKPP_STATUS, datetime(2026, 11, 26, 10, 0, tzinfo=WIB), True, "LKPP", OPENED)]
    said = next_step("escalated", shown, _clock(datetime(2026, 11, 27, 9, 0, tzinfo=WIB)))
    assert said["late"] and said["next"].startswith("Kami terlambat. Helpdesk LKPP belum memberi kabar dalam batas "
                                                    "waktunya (Kamis, 26 November 2026 10:00 WIB).")


def test_a_past_standard_while_the_requester_holds_the_ticket_is_no_lateness_of_the_units():
    """Answered, waiting for the requester: the 3x24 hours passing binds no one at the unit."""
    shown = [ShownDeadline(K.RESOLUTION, OPENED + timedelta(hours=72), True, "requester", OPENED)]
    assert next_step("answered", shown, _clock(OPENED + timedelta(days=5))) == {
        "late": False, "next": "Kami sudah menjawab. Jika masih ada yang perlu dibantu, balas email kami."}


def test_waiting_for_data_says_by_when_before_the_ticket_closes():
    shown = [ShownDeadline(K.AWAITING_INFO, datetime(2026, 11, 26, 10, 0, tzinfo=WIB), False, "requester", OPENED,
                           closes_at=datetime(2026, 12, 1, 10, 0, tzinfo=WIB)),
             ShownDeadline(K.RESOLUTION, None, False, "requester", OPENED, stopped=True, left=timedelta(hours=71))]
    assert next_step("awaiting_info", shown, _clock(OPENED + timedelta(hours=2)))["next"] == (
        "Kami menunggu data atau dokumen dari Anda. Balas email permintaan data kami dengan data tersebut paling "
        "lambat Selasa, 1 Desember 2026 10:00 WIB; setelah itu tiket ditutup otomatis.")


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_state_and_deadline_has_its_words(language):
    web = words(language)["web"]
    assert set(web["next"]) == {"open", "answered", "escalated", "awaiting_info", "resolved", "closed"}
    assert set(web["next_by"]) == {"open", "escalated", "awaiting_info", "resolved"}
    assert all("{at}" in text for text in (*web["next_by"].values(), *web["next_late"].values()))
    assert set(web["next_late"]) == {"first_response", "resolution", "lkpp_status", "lkpp_progress"}
    assert set(web["deadline"]) == {str(k) for k in TimerKind} - {"coordinator_direction", "head_direction"}


def test_an_operators_wording_naming_another_value_stops_start_up_not_a_requesters_page(tmp_path):
    from mailbot.errors import ConfigError
    from mailbot.io import words as words_module

    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "words.yaml").write_text("web:\n  next_by:\n    open: Kami menjawab pada {kapan}.\n",
                                                encoding="utf-8")
    words_module._load.cache_clear()
    with pytest.raises(ConfigError, match=r"web\.next_by\.open: only \{at\} may be named"):
        words("id", tmp_path)
    (tmp_path / "id" / "words.yaml").write_text("web:\n  next_by:\n    open: Kami menjawab paling lambat {at}.\n",
                                                encoding="utf-8")
    words_module._load.cache_clear()
    assert words("id", tmp_path)["web"]["next_by"]["open"] == "Kami menjawab paling lambat {at}."

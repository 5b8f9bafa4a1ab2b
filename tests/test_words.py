"""Pure tests of the worded values mail shows (templates/<lang>/words.yaml): the SPEC's
Indonesian wording by default, English when the mailbox asks for it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from mailbot.errors import ConfigError
from mailbot.io.words import Words, words
from mailbot.model import Refusal, TimerKind

K = TimerKind
DAY = timedelta(hours=8)  # SPEC section 6: working hours 08:00-16:00


@pytest.mark.parametrize(
    ("kind", "span", "language", "expected"),
    [
        (K.LKPP_STATUS, 2, "id", "belum ada status dari LKPP (2 hari kerja)"),
        (K.FIRST_RESPONSE, 4, "id", "belum ada tanggapan pertama dari helpdesk (4 jam kerja)"),
        (K.FIRST_RESPONSE, 1, "id", "belum ada tanggapan pertama dari helpdesk (1 jam kerja)"),
        (K.RESOLUTION, 72, "id", "melewati standar penyelesaian 3x24 jam"),
        (K.RESOLUTION, 48, "id", "melewati standar penyelesaian 48 jam"),
        (K.LKPP_PROGRESS, 1, "en", "no progress report from LKPP (1 working day)"),
        (K.AWAITING_INFO, 2, "en", "the requester has not sent the data asked for (2 working days)"),
    ],
)
def test_overdue_says_why(kind: TimerKind, span: float, language: str, expected: str) -> None:
    assert words(language).overdue(kind, span) == expected


@pytest.mark.parametrize(
    ("delta", "language", "expected"),
    [
        (timedelta(hours=19), "id", "2 hari kerja 3 jam"),
        (timedelta(hours=8), "id", "1 hari kerja"),
        (timedelta(hours=3, minutes=20), "id", "3 jam 20 menit"),
        (timedelta(minutes=45), "id", "45 menit"),
        (timedelta(0), "id", "0 menit"),
        (timedelta(hours=17, minutes=30), "en", "2 working days 1 hour"),
        (timedelta(hours=8), "en", "1 working day"),
        (timedelta(minutes=1), "en", "1 minute"),
    ],
)
def test_waited_reads_in_working_days_then_hours(delta: timedelta, language: str, expected: str) -> None:
    """Working days of 8 hours, then hours; minutes only under a day."""
    assert words(language).waited(delta, DAY) == expected


@pytest.mark.parametrize(
    ("delta", "language", "expected"),
    [(timedelta(hours=47), "id", "1 hari 23 jam"), (timedelta(hours=49, minutes=5), "en", "2 d 1 h")],
)
def test_the_3x24h_standard_waits_in_wall_clock_time(delta: timedelta, language: str, expected: str) -> None:
    """The 3x24h standard is wall-clock time: 47 hours past it are "1 hari 23 jam", not
    "5 hari kerja 7 jam"; every other deadline waits in working time."""
    said = words(language)
    assert said.waited_for(TimerKind.RESOLUTION, delta, DAY) == expected
    assert said.waited_for(TimerKind.FIRST_RESPONSE, timedelta(hours=19), DAY) == said.waited(timedelta(hours=19), DAY)


def test_a_reopened_tickets_response_is_worded_as_such() -> None:
    """A FIRST_RESPONSE owed again after a reopening is no "first" answer awaited."""
    said = words("id")
    assert said.overdue(TimerKind.FIRST_RESPONSE, 4, reopened=True) == \
        "belum ada tanggapan petugas sejak tiket dibuka kembali (4 jam kerja)"
    assert said.overdue(TimerKind.FIRST_RESPONSE, 4) == "belum ada tanggapan pertama dari helpdesk (4 jam kerja)"


@pytest.mark.parametrize(
    ("day", "language", "expected"),
    [
        (date(2026, 11, 30), "id", "Senin, 30 November 2026"),
        (date(2026, 8, 17), "id", "Senin, 17 Agustus 2026"),
        (date(2026, 3, 25), "en", "Wednesday, 25 March 2026"),
        (date(2026, 5, 29), "id", "Jumat, 29 Mei 2026"),
    ],
)
def test_day_in_words(day: date, language: str, expected: str) -> None:
    assert words(language).day(day) == expected


def test_zone_and_working_hours() -> None:
    said = words("id")
    assert said.zone("Asia/Jakarta") == "WIB"
    assert said.zone("Asia/Makassar") == "WITA"
    assert said.zone("Asia/Jayapura") == "WIT"
    assert said.zone("Europe/Berlin") == "Europe/Berlin"
    assert said.working_hours(("mon", "tue", "wed", "thu", "fri"), "08:00-16:00") == "Senin-Jumat 08:00-16:00"
    assert words("en").working_hours(("mon", "sat"), "07:30-15:30") == "Monday-Saturday 07:30-15:30"


def test_unknown_language_is_indonesian() -> None:
    assert words("fr").day(date(2026, 11, 30)) == "Senin, 30 November 2026"


def test_late_reads_wall_clock_time_past_a_target() -> None:
    assert words("id").late(timedelta(days=2, hours=3, minutes=5)) == "2 hari 3 jam"
    assert words("id").late(timedelta(minutes=12)) == "12 menit"
    assert words("id").late(None) == ""


def test_operator_words_replace_the_shipped_file(tmp_path: Path) -> None:
    own = tmp_path / "id"
    own.mkdir()
    shipped = words("id").table
    table = dict(shipped, days=["Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"])
    (own / "words.yaml").write_text(yaml.safe_dump(table, allow_unicode=True), encoding="utf-8")
    assert words("id", tmp_path).day(date(2026, 11, 30)) == "Sen, 30 November 2026"


def test_broken_operator_words_are_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "words.yaml").write_text("days: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="words.yaml"):
        words("en", tmp_path)


def test_operator_words_name_only_what_they_change(tmp_path: Path) -> None:
    """An operator who changes one subject writes only that: every other word stays the shipped one."""
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "words.yaml").write_text("subjects:\n  ack: Tiket diterima\n", encoding="utf-8")
    own = words("id", tmp_path)
    assert own.subject("ack") == "Tiket diterima"
    assert own.day(date(2026, 11, 30)) == "Senin, 30 November 2026"
    assert own.subject("staff_new") == words("id").subject("staff_new") != ""
    assert own.waited(timedelta(hours=3), timedelta(hours=8)) == "3 jam"


@pytest.mark.parametrize(("text", "named"), [
    ("days: [Sen, Sel]\n", "days: expected a list of 7 words"),
    ("units:\n  day: hari\n", "units.day: expected a list of 2 words"),
    ("subjects: Tiket\n", "subjects: expected a mapping"),
    ("months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, [12]]\n", "months[11]: expected a word"),
    ("overdue:\n  lkpp_status: 'belum ada status ({lama})'\n", "overdue.lkpp_status: only {span}"),
    ("refusals:\n  unknown_command: 'perintah {perintah} tidak dikenal'\n", "refusals.unknown_command: only {command}"),
    ("refusals: tidak dikenal\n", "refusals: expected a mapping"),
])
def test_operator_words_of_the_wrong_shape_name_the_key(tmp_path: Path, text: str, named: str) -> None:
    """A wrong shape is found when the words are loaded (start-up, `check`), not when a mail needs them."""
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "words.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(named)):
        words("id", tmp_path)


def test_a_refusal_is_worded_in_the_mailbox_language() -> None:
    """SPEC 8: why a command was refused reads in Bahasa Indonesia, the command as staff typed it
    and the state by its name; an English mailbox reads the English the ticket history keeps."""
    closed = Refusal("not_in_state", command="#eskalasi", value="closed", name="escalate")
    assert words("id").refusal(closed) == '#eskalasi tidak dapat dijalankan karena status tiket "Ditutup"'
    assert words("en").refusal(closed) == str(closed) == "#escalate is not possible while the ticket is closed"
    assert words("id").refusal("a reason that is only text") == "a reason that is only text"


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_refusal_quotes_a_long_value_by_its_start(language: str) -> None:
    """A form's Email of 40,000 characters was quoted back whole in the refusal staff read;
    the start of what was written is enough to find it by."""
    written = "a@a.a" + "a." * 20_000
    said = words(language).refusal(Refusal("intake_email", command="Email", value=written))
    assert len(said) < 600, len(said)
    assert "'a@a.aa.a.a." in said and "…" in said
    short = words(language).refusal(Refusal("intake_email", command="Email", value="budi(at)vendor"))
    assert "'budi(at)vendor'" in short and "…" not in short


def test_words_without_refusals_show_the_english(tmp_path: Path) -> None:
    """An operator's words.yaml from before refusals were worded still loads; a refusal its
    words do not name is shown in English rather than not at all."""
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "words.yaml").write_text("subjects:\n  ack: Tiket diterima\n", encoding="utf-8")
    unknown = Refusal("unknown_command", command="#hapus")
    assert words("id", tmp_path).refusal(unknown) == "perintah #hapus tidak dikenal"
    table = {k: v for k, v in words("id").table.items() if k != "refusals"}
    assert Words("id", table).refusal(unknown) == "unknown command #hapus"

"""Point 1 (seed 004 section 1 steps 5-8; SPEC 4 E12b, E12d, E12f; SPEC 6
`coordinator_direction`): only those asked end their own wait, over the suite's Dovecot and
SMTP in the default `auth.mode: token`, mail read back over IMAP.

A case reported to the head (`#lapor-kepala`) waits a working day for the head's own word: a
reply from a head's address to the mail that asked the heads (the case or its reminder). The
coordinators' routine answer to the morning digest naming the ticket, their answer to an
`unverified` alert about a forgery on it, a head's answer to the digest: each is recorded and
passed to staff (E12d), none is the head's word on the reported case, so the head is reminded
on the next working day and the monthly summary counts the request as not answered. The same
holds the other way round for the coordinators' wait (`#koordinator`), and a direction command
(`#jawab`) in reply to the case is their word as much as a sentence is.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
REQUESTER = "budi@vendor.test"
MONDAY = "2026-11-23"  # a working day; Tuesday 24 November is the next one


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def arrive(servers, config, raw: bytes, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    """The message reaches the unit's INBOX at `moment` and mailbot handles it then."""
    servers.append(mf.UNIT, raw, msg_time=moment)
    mf.handle_at(config, moment)


def reminders(servers, user: str) -> list:  # type: ignore[type-arg]
    return mf.of_kind(mf.inbox(servers, user), "direction_reminder")


@pytest.fixture
def case(fresh_mailboxes, tmp_path):
    """A requester's case on Monday 10:00, its staff notice read back by staff."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, timezone="Asia/Jakarta")
    monday = at(f"{MONDAY}T10:00")
    arrive(servers, config, mf.mail(REQUESTER, "Kontrak belum bisa ditandatangani",
                                    "Adendum kontrak paket 10012345000 tidak bisa diunggah.", date=monday)[0], monday)
    return servers, config, mf.latest(servers, mf.STAFF[0], "staff_new")


def ask(servers, config, notice, command: str, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    reply = mf.reply_as_client(notice, mf.STAFF[0], f"{command}\nMohon arahan; LKPP belum menjawab.")[0]
    arrive(servers, config, reply, moment)


def summary_figures(config, tmp_path) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The monthly summary's "Kasus yang dikirim" and "Dijawab" of the directions table, as
    the operator's `report summary` writes them."""
    from mailbot.cli import main as cli

    page = tmp_path / "ringkasan.html"
    assert cli.main(["--config", str(config), "report", "summary", "--month", "2026-11", "--output", str(page)]) == 0
    html = " ".join(page.read_text(encoding="utf-8").split())
    html = html[html.find("Kasus yang dikirim"):]  # the directions table ("Dijawab" stands elsewhere too)
    asked = re.search(r"Kasus yang dikirim</td>\s*<td class=\"n\">(\d+)</td>", html)
    given = re.search(r"Dijawab</td>\s*<td class=\"n\">(\d+)</td>", html)
    assert asked and given, html
    return int(asked.group(1)), int(given.group(1))


def test_the_coordinators_answer_to_the_digest_does_not_end_the_heads_wait(case, tmp_path):
    """The issue's first attack: "Tiket 2026-00001 mohon segera ditindaklanjuti" under Tuesday's
    digest is the coordinators' recommendation on the ticket, passed to staff; the head never
    answered, so the head is reminded at Tuesday 10:00 and the summary counts no answer."""
    servers, config, notice = case
    ask(servers, config, notice, "#lapor-kepala", at(f"{MONDAY}T10:00"))
    mf.sweep(config, at("2026-11-24T08:00"))
    digest = mf.latest(servers, mf.COORDINATOR, "digest")
    words = "Tiket 2026-00001 mohon segera ditindaklanjuti."
    arrive(servers, config, mf.reply_as_client(digest, mf.COORDINATOR, words)[0], at("2026-11-24T08:30"))
    assert words in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_direction"))  # E12d: still passed to staff

    mf.sweep(config, at("2026-11-24T10:05"))
    assert len(reminders(servers, mf.HEAD)) == 1
    assert summary_figures(config, tmp_path) == (1, 0)


def test_the_coordinators_answer_to_an_unverified_alert_does_not_end_the_heads_wait(case, tmp_path):
    """The issue's second attack: a stranger forges a staff `#tutup` on the ticket; the
    coordinators are alerted and answer "abaikan saja". That is their word on the forgery,
    not the head's on the reported case."""
    servers, config, notice = case
    ask(servers, config, notice, "#lapor-kepala", at(f"{MONDAY}T10:00"))
    forged, _ = mf.mail(mf.STAFF[0], f"Re: {notice['Subject']}", "#tutup\nSudah selesai.")  # cites nothing of ours
    arrive(servers, config, forged, at(f"{MONDAY}T11:00"))
    alert = mf.latest(servers, mf.COORDINATOR, "unverified")
    arrive(servers, config, mf.reply_as_client(alert, mf.COORDINATOR, "Abaikan saja, itu bukan dari staf kita.")[0],
           at(f"{MONDAY}T11:30"))

    mf.sweep(config, at("2026-11-24T10:05"))
    assert len(reminders(servers, mf.HEAD)) == 1
    assert summary_figures(config, tmp_path) == (1, 0)


def test_a_heads_answer_to_the_digest_is_no_word_on_the_reported_case(case):
    """Seed 004 step 8: the head recommends on the digest's tickets; that recommendation is
    recorded and passed to staff, but the case reported to the head waits for the head's
    answer to it (SPEC 9: a reply to the mail that asked, from that audience)."""
    servers, config, notice = case
    ask(servers, config, notice, "#lapor-kepala", at(f"{MONDAY}T10:00"))
    mf.sweep(config, at("2026-11-24T08:00"))
    digest = mf.latest(servers, mf.HEAD, "digest")
    arrive(servers, config, mf.reply_as_client(digest, mf.HEAD, "Tiket 2026-00001 tolong dipantau.")[0],
           at("2026-11-24T08:30"))
    mf.sweep(config, at("2026-11-24T10:05"))
    assert len(reminders(servers, mf.HEAD)) == 1


def test_the_heads_own_answer_ends_the_heads_wait_and_is_counted(case, tmp_path):
    servers, config, notice = case
    ask(servers, config, notice, "#lapor-kepala", at(f"{MONDAY}T10:00"))
    asked = mf.latest(servers, mf.HEAD, "head_case")
    arrive(servers, config, mf.reply_as_client(asked, mf.HEAD, "Setuju, lanjutkan eskalasi ke LKPP.")[0],
           at(f"{MONDAY}T13:00"))
    mf.sweep(config, at("2026-11-24T10:05"))
    assert reminders(servers, mf.HEAD) == []
    assert summary_figures(config, tmp_path) == (1, 1)


def test_each_audience_ends_only_its_own_wait(case, tmp_path):
    """The case sent to the coordinators and reported to the head: the coordinator's answer to
    the case ends the coordinators' wait, not the head's."""
    servers, config, notice = case
    ask(servers, config, notice, "#koordinator", at(f"{MONDAY}T10:00"))
    ask(servers, config, notice, "#lapor-kepala", at(f"{MONDAY}T10:10"))
    asked = mf.latest(servers, mf.COORDINATOR, "coordinator_case")
    arrive(servers, config, mf.reply_as_client(asked, mf.COORDINATOR, "Setuju, lanjutkan eskalasi.")[0],
           at(f"{MONDAY}T11:00"))
    mf.sweep(config, at("2026-11-24T10:15"))
    assert reminders(servers, mf.COORDINATOR) == []
    assert len(reminders(servers, mf.HEAD)) == 1
    assert summary_figures(config, tmp_path) == (2, 1)


def test_a_direction_command_in_answer_to_the_case_ends_the_wait(case):
    """`#jawab` from a coordinator in reply to the case sent to them: they answered by acting."""
    servers, config, notice = case
    ask(servers, config, notice, "#koordinator", at(f"{MONDAY}T10:00"))
    asked = mf.latest(servers, mf.COORDINATOR, "coordinator_case")
    arrive(servers, config, mf.reply_as_client(asked, mf.COORDINATOR, "#jawab\nSilakan unggah ulang adendum "
                                                                       "setelah pukul 13.00.")[0],
           at(f"{MONDAY}T11:00"))
    assert "unggah ulang adendum" in mf.text_of(mf.latest(servers, REQUESTER, "staff_reply"))
    mf.sweep(config, at("2026-11-24T10:05"))
    assert reminders(servers, mf.COORDINATOR) == []


# --- an out-of-office without headers is no one's word -------------------

HEAD_AWAY = ("Terima kasih atas email Anda. Saya sedang dinas luar hingga 27 November 2026 dengan akses email "
             "terbatas. Untuk keperluan mendesak silakan hubungi Sekretariat LPSE di 0778-123456.")


def test_the_heads_out_of_office_without_headers_is_passed_on_but_ends_no_wait(case, tmp_path):
    """The head's vacation rule answers the case with `Re: <subject>` and no Auto-Submitted,
    no X-Autoreply, no "Automatic reply": staff read it, the head is still reminded, and the
    head's real answer to the reminder is what the summary counts."""
    servers, config, notice = case
    ask(servers, config, notice, "#lapor-kepala", at(f"{MONDAY}T10:00"))
    asked = mf.latest(servers, mf.HEAD, "head_case")
    away = mf.reply_as_client(asked, mf.HEAD, HEAD_AWAY)[0]
    assert b"Auto-Submitted" not in away and b"X-Autoreply" not in away
    arrive(servers, config, away, at(f"{MONDAY}T10:00"))
    assert "dinas luar" in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_direction"))

    mf.sweep(config, at("2026-11-24T10:05"))
    [reminder] = reminders(servers, mf.HEAD)
    arrive(servers, config, mf.reply_as_client(reminder, mf.HEAD, "Mohon segera ditindaklanjuti.")[0],
           at("2026-11-24T11:00"))
    assert summary_figures(config, tmp_path) == (1, 1)


def test_a_coordinators_out_of_office_in_english_ends_no_wait(case):
    servers, config, notice = case
    ask(servers, config, notice, "#koordinator", at(f"{MONDAY}T10:00"))
    asked = mf.latest(servers, mf.COORDINATOR, "coordinator_case")
    away = ("Thank you for your message. I am out of the office until Wednesday with limited access to email. "
            "For urgent matters please contact the helpdesk.")
    arrive(servers, config, mf.reply_as_client(asked, mf.COORDINATOR, away)[0], at(f"{MONDAY}T10:01"))
    mf.sweep(config, at("2026-11-24T10:05"))
    assert len(reminders(servers, mf.COORDINATOR)) == 1


def test_a_responder_that_repeats_itself_in_words_no_list_knows_ends_no_wait(case):
    """The head's responder answers the morning digest, then the reported case, with the same
    text: the second answer is the responder's again, not the head's word."""
    servers, config, notice = case
    ask(servers, config, notice, "#lapor-kepala", at(f"{MONDAY}T10:00"))
    mf.sweep(config, at("2026-11-24T08:00"))
    canned = ("Surat elektronik untuk Kepala Unit diperiksa oleh sekretariat setiap Senin dan Kamis pagi, lalu "
              "dicatat dalam agenda surat masuk.")
    arrive(servers, config, mf.reply_as_client(mf.latest(servers, mf.HEAD, "digest"), mf.HEAD, canned)[0],
           at("2026-11-24T08:00"))
    arrive(servers, config, mf.reply_as_client(mf.latest(servers, mf.HEAD, "head_case"), mf.HEAD, canned)[0],
           at("2026-11-24T08:01"))
    mf.sweep(config, at("2026-11-24T10:05"))
    assert len(reminders(servers, mf.HEAD)) == 1


@pytest.mark.parametrize(("vouched", "reminded"), [(True, 0), (False, 1)])
def test_in_authres_mode_the_heads_answer_counts_only_with_the_servers_pass(fresh_mailboxes, tmp_path, vouched,
                                                                            reminded):
    """SPEC 9 `auth.mode: authres`: the head's reply to the case, with the unit's own server's
    aligned dmarc=pass, is the head's word; the same reply without it proves nothing (an
    unverified note, coordinators told) and the head is reminded."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, timezone="Asia/Jakarta", auth=mf.AUTHRES)
    monday = at(f"{MONDAY}T10:00")
    arrive(servers, config, mf.mail(REQUESTER, "Kontrak belum bisa ditandatangani", "Adendum tidak bisa diunggah.",
                                    date=monday)[0], monday)
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    staff = mf.parse(mf.reply_as_client(notice, mf.STAFF[0], "#lapor-kepala\nMohon arahan.")[0])
    for name, value in mf.vouched(mf.STAFF[0]).items():
        staff[name] = value
    arrive(servers, config, staff.as_bytes(), monday)
    answer = mf.parse(mf.reply_as_client(mf.latest(servers, mf.HEAD, "head_case"), mf.HEAD,
                                         "Setuju, lanjutkan eskalasi ke LKPP.")[0])
    if vouched:
        for name, value in mf.vouched(mf.HEAD).items():
            answer[name] = value
    arrive(servers, config, answer.as_bytes(), at(f"{MONDAY}T13:00"))
    mf.sweep(config, at("2026-11-24T10:05"))
    assert len(reminders(servers, mf.HEAD)) == reminded

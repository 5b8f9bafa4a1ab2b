"""A second red team (seed 004 section 1 steps 7-8; SPEC 9): the
head's wait (`#lapor-kepala`) ends only by the head's own verified word. Over the suite's
Dovecot and SMTP in the default `auth.mode: token`, mail read back over IMAP.

Replies that could end someone else's wait, besides those tests/test_flow_direction_waits.py
and tests/test_security_rt58_direction_words.py hold: a staff member answering the head's
case that the head forwarded to them, a coordinator's reply-all to the head's reminder, the
head's out-of-office in wordings not used elsewhere in the suite, a phone's empty reply that
says only "Sent from my iPhone", and mail From the head's address that cites no Message-ID
signed for the heads (the requester's ack, a staff notice, nothing at all).
"""

from __future__ import annotations

import pytest

from tests import mailfactory as mf
from tests.test_flow_direction_waits import (  # noqa: F401
    MONDAY,
    arrive,
    ask,
    at,
    case,
    reminders,
    summary_figures,
)

REQUESTER = "budi@vendor.test"


def _reported(servers, config, notice):  # type: ignore[no-untyped-def]
    ask(servers, config, notice, "#lapor-kepala", at(f"{MONDAY}T10:00"))
    return mf.latest(servers, mf.HEAD, "head_case")


def _still_waits(servers, config, tmp_path) -> None:  # type: ignore[no-untyped-def]
    mf.sweep(config, at("2026-11-24T10:05"))
    assert len(reminders(servers, mf.HEAD)) == 1
    assert summary_figures(config, tmp_path) == (1, 0)


def test_a_staff_member_answering_the_heads_case_the_head_forwarded_ends_no_wait(case, tmp_path):  # noqa: F811
    """The head forwards the case to a staff member ("tolong ditangani"); the staff member
    answers from their own address, citing the head's Message-ID. Their word goes to the
    ticket; the head has not recommended anything."""
    servers, config, notice = case
    asked = _reported(servers, config, notice)
    answer = mf.reply_as_client(asked, mf.STAFF[1], "Baik Pak, kasus ini sudah saya tangani, adendum sudah diunggah.")
    arrive(servers, config, answer[0], at(f"{MONDAY}T11:00"))
    _still_waits(servers, config, tmp_path)


def test_a_coordinators_reply_all_to_the_heads_reminder_ends_no_wait(case, tmp_path):  # noqa: F811
    servers, config, notice = case
    _reported(servers, config, notice)
    mf.sweep(config, at("2026-11-24T10:05"))
    [reminder] = reminders(servers, mf.HEAD)
    answer = mf.reply_as_client(reminder, mf.COORDINATOR, "Setuju, segera dieskalasi ke LKPP.")[0]
    arrive(servers, config, answer, at("2026-11-24T10:30"))
    mf.sweep(config, at("2026-11-25T10:05"))
    assert summary_figures(config, tmp_path) == (1, 0)


AWAY = [
    "Saya sedang cuti sampai 30 November 2026. Email Anda akan saya baca setelah saya kembali.",
    ("I am currently out of the office with limited access to email. I will respond as soon as possible upon my "
     "return."),
    "Mohon maaf, saat ini saya sedang melaksanakan ibadah umroh hingga 5 Desember dan tidak dapat membalas email.",
    "Sent from my iPhone",
    "",
    "--\nDr. Ir. H. Ahmad Fauzi, M.T.\nKepala UKPBJ Kota Uji\nTelp. 0778-123456",
]


@pytest.mark.parametrize("words", AWAY, ids=["cuti", "out-of-office", "umroh", "iphone", "empty", "signature"])
def test_the_heads_notice_or_empty_reply_ends_no_wait(case, tmp_path, words):  # noqa: F811
    servers, config, notice = case
    asked = _reported(servers, config, notice)
    answer = mf.reply_as_client(asked, mf.HEAD, words)[0]
    assert b"Auto-Submitted" not in answer and b"X-Autoreply" not in answer
    arrive(servers, config, answer, at(f"{MONDAY}T10:02"))
    _still_waits(servers, config, tmp_path)


def test_the_heads_short_real_answer_from_a_phone_still_ends_the_wait(case, tmp_path):  # noqa: F811
    """The control: a head answering from a phone with two words and the phone's line."""
    servers, config, notice = case
    asked = _reported(servers, config, notice)
    arrive(servers, config, mf.reply_as_client(asked, mf.HEAD, "Setuju, eskalasi.\n\nSent from my iPhone")[0],
           at(f"{MONDAY}T10:30"))
    mf.sweep(config, at("2026-11-24T10:05"))
    assert reminders(servers, mf.HEAD) == []
    assert summary_figures(config, tmp_path) == (1, 1)


@pytest.mark.parametrize("cites", ["ack", "staff_new", "nothing"])
def test_mail_from_the_heads_address_citing_nothing_signed_for_heads_ends_no_wait(case, tmp_path, cites):  # noqa: F811
    """SPEC 9, token mode: From is free to write. The requester holds the ack's Message-ID,
    staff hold their notice's; neither was sent to the heads, so neither proves the head."""
    servers, config, notice = case
    asked = _reported(servers, config, notice)
    words = "Setuju, kasus ini ditutup saja."
    if cites == "ack":
        forged = mf.reply_as_client(mf.latest(servers, REQUESTER, "ack"), mf.HEAD, words)[0]
    elif cites == "staff_new":
        forged = mf.reply_as_client(notice, mf.HEAD, words)[0]
    else:
        forged = mf.mail(mf.HEAD, f"Re: {asked['Subject']}", words)[0]
    arrive(servers, config, forged, at(f"{MONDAY}T10:30"))
    _still_waits(servers, config, tmp_path)

"""The writer's own words on a fresh set of replies from other projects'
fixtures (tests/data/replies_fresh: Discourse's email_reply_trimmer, github's and Zapier's
email_reply_parser; NOTICE.md beside them), as bench/reply_text.py --fresh scores them. None
of mailbot's rules was written against them before they were gathered; the two shapes they
showed it missing are below. What the writer wrote is never lost, and a quoted mail never
reaches staff or LKPP as their words."""

from __future__ import annotations

from collections import Counter

from bench.reply_text import FRESH, load, run
from mailbot.parsers.quotes import new_text


def test_the_fresh_set_loses_no_words_and_leaks_no_quote() -> None:
    results = run(load(corpus=FRESH))
    counts = Counter(outcome for _, outcome, _ in results)
    assert [(case.id, outcome) for case, outcome, _ in results if outcome in ("loss", "crash")] == []
    # the one leak left is a company's legal footer under a signature, no quoted mail
    assert [case.id for case, outcome, _ in results if outcome == "leak"] == ["zapier-caution"]
    assert (counts["exact"] + counts["acceptable"]) / len(results) >= 0.97
    assert len(results) >= 40


def test_a_header_block_on_one_line_date_first_opens_history() -> None:
    """A web client that lost the block's line breaks: "Date: ... From: ... To: ... Subject:"."""
    text = ("Sudah saya kirim ulang berkasnya.\n\n\nDate: Mon, 23 Nov 2026 09:15:10 +0700 From: lpse@lpse.test "
            "To: Budi Subject: [LPSE-T #2026-00001] Akun SPSE terkunci\n\n\nTiket Anda telah kami terima.\n")
    assert new_text(text) == "Sudah saya kirim ulang berkasnya."


def test_a_named_address_header_opens_history_when_the_quote_lost_its_marks() -> None:
    """"Helpdesk LPSE Uji <lpse@lpse.test> wrote:" with the quote under it unmarked (a client
    that strips the `>`): the mailbot mail under it is no word of the writer's."""
    text = ("Baik, terima kasih.\n\nHelpdesk LPSE Uji <lpse@lpse.test> wrote:\n\nYth. Bapak Budi,\n"
            "Tiket Anda 2026-00001 telah kami terima.\n")
    assert new_text(text) == "Baik, terima kasih."
    # a sentence that names an address is the writer's
    kept = "Mohon kirim ke Helpdesk LPSE Uji <lpse@lpse.test> juga, seperti yang Budi tulis: segera."
    assert new_text(kept) == kept

"""The words a pattern's every match holds, looked for before the pattern is run
(`mailbot.parsers.literals`): never a different answer from running the pattern. Pure."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.errors import BadMessageError
from mailbot.parsers import parse_message
from mailbot.parsers.literals import Alternation
from mailbot.parsers.report_words import words
from tests.shared import SHARED

BOUNCES = Path(__file__).parent / "data" / "bounces"


def texts() -> list[str]:
    """Delivery reports, auto-replies and people's mail of the corpora and the suite's data,
    whole and by lines, and the reports' wording in capitals."""
    found: list[str] = []
    for root in (SHARED / "corpora", BOUNCES, Path(__file__).parent / "data" / "flufl_bounce"):
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.stat().st_size > 500_000 or len(found) > 4000:
                continue
            try:
                msg = parse_message(path.read_bytes())
            except BadMessageError:
                continue
            found += [msg.text[:6000], msg.new_text[:2000], *msg.text[:3000].splitlines()[:30]]
    return [*found, *(t.upper() for t in found[:300]), *WRITTEN]


WRITTEN = [  # a list's hold and a delay, which the corpora lack
    "Your mail to 'pengadaan' with the subject Penawaran is being held until the list moderator can review it.",
    "Pesan Anda menunggu persetujuan moderator.",
    "This is a warning only: delivery has been delayed, you do not need to resend your message.",
]


@pytest.mark.parametrize("name", ["daemon", "failure", "delay", "moderation", "reader_mail", "transcript", "own",
                                  "person"])
def test_each_list_of_the_report_words_finds_what_its_whole_alternation_finds(name):
    alternation = getattr(words(), name)
    found = 0
    for text in texts():
        whole = alternation.whole.search(text)
        quick = alternation.search(text)
        assert (quick and quick.span()) == (whole and whole.span()), (name, text[:200])
        found += whole is not None
    assert found  # each list is found somewhere: the look is tried both ways


def test_an_alternative_without_words_is_still_searched():
    alternation = Alternation([r"gagal (?:di|ter)?kirim", r"\b[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b"])
    assert alternation.search("host said: 550 5.1.1 user unknown").group(0) == "550 5.1.1"
    assert alternation.search("Penawaran GAGAL TERKIRIM kemarin").group(0) == "GAGAL TERKIRIM"
    assert alternation.search("Selamat pagi, saya mengalami kendala gagal pada paket 2348061.") is None

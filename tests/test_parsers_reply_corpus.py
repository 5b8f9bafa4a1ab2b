"""The labelled reply corpus (tests/data/replies): every case through
`parse_message` to `InboundMessage.new_text`, as bench/reply_text.py scores it.

The expected texts were written independently of the code: by the upstream projects' own
assertions (talon, quotequail), by hand for crisp-oss's fixtures and for mailbot's Indonesian
cases. A loss (the writer's words cut) is worse than a leak, so none is allowed.
"""

from __future__ import annotations

from collections import Counter

from bench.reply_text import load, run


def test_the_writers_words_are_kept_from_every_client() -> None:
    results = run(load())
    counts = Counter(outcome for _, outcome, _ in results)
    misses = [(case.id, outcome) for case, outcome, _ in results if outcome in ("loss", "crash")]
    assert misses == []
    assert (counts["exact"] + counts["acceptable"]) / len(results) >= 0.97


def test_the_corpus_is_as_wide_as_issue_31_asks() -> None:
    cases = load()
    assert len(cases) >= 300
    assert len({c.client for c in cases}) >= 15
    assert len({c.lang for c in cases}) >= 10

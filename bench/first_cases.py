"""A unit's first solved cases: is a request like one of them shown it?

bench/similar_cases.py measures the unit's memory full (hundreds of labelled cases). A unit
starts with none: its first "Kasus serupa" comes from a memory of one, two, five cases.
Here a memory of k cases is drawn at random from the labelled set (tests/data/
similar_cases, `samples` draws for each k, the same draws for each way of weighing), and
every labelled request (own, fresh and forms) is looked up in it the way the pipeline does
(`io/solved.similar`, a real store, at `core/similar.THRESHOLD`):

  listed right   of the requests whose topic some case in the memory answers, the share
                 whose notice lists a case of that topic
  listed wrong   of the requests no case in the memory answers, the share whose notice
                 lists a case all the same (what staff would read as a false lead)

Each figure is printed twice from the same draws: with the memory weighed as it is
(`core/similar.FEWEST_CASES` 1: a memory of one weighs each of its terms a fifth of an
unseen word) and as the code now weighs it (`FEWEST_CASES`, the memory taken as at least
that many cases). From FEWEST_CASES cases on the two are the same by construction.

Run: .venv/bin/python bench/first_cases.py [--samples 30] [--sizes 1,2,3,5,10]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mailbot.core.similar as similar_core
from bench.similar_cases import MAILBOX, Case, Request, fill, load
from mailbot.core.similar import THRESHOLD
from mailbot.io.solved import similar
from mailbot.io.store import Store
from mailbot.rules import _read
from mailbot.rules.similar_words import load_words


def _draw(cases: list[Case], size: int, samples: int, seed: int = 59) -> list[list[Case]]:
    rng = random.Random(seed * 1000 + size)
    return [rng.sample(cases, size) for _ in range(samples)]


def measure(words, memories: list[list[Case]], requests: list[Request], fewest: int) -> tuple[int, int, int, int]:
    """(listed right, answerable, listed wrong, unanswerable) over every memory and request."""
    right = answerable = wrong = unanswerable = 0
    kept = similar_core.FEWEST_CASES
    similar_core.FEWEST_CASES = fewest
    try:
        for memory in memories:
            with tempfile.TemporaryDirectory() as tmp:
                store = Store(Path(tmp) / "first.db", synchronous="NORMAL")
                topics = fill(store, words, memory, datetime(2026, 1, 1, tzinfo=UTC))
                held = set(topics.values())
                for r in requests:
                    shown = similar(store, words, MAILBOX, f"{r.subject}\n{r.text}", threshold=THRESHOLD)
                    if r.topic != "none" and r.topic in held:
                        answerable += 1
                        right += any(topics[s.case.ticket_id] == r.topic for s in shown)
                    else:
                        unanswerable += 1
                        wrong += bool(shown)
                store.close()
    finally:
        similar_core.FEWEST_CASES = kept
    return right, answerable, wrong, unanswerable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--sizes", default="1,2,3,5,10")
    options = parser.parse_args(argv)
    cases, requests = load()
    words = load_words(None, _read)
    print(f"labelled set: {len(cases)} solved cases, {len(requests)} requests; {options.samples} memories "
          f"drawn for each size; threshold {THRESHOLD}; FEWEST_CASES {similar_core.FEWEST_CASES}")
    print(f"{'cases':>5}  {'listed right (as it was)':>26}  {'listed right (now)':>20}  "
          f"{'listed wrong (as it was)':>26}  {'listed wrong (now)':>20}")
    for size in (int(s) for s in options.sizes.split(",")):
        memories = _draw(cases, size, options.samples)
        before = measure(words, memories, requests, 1)
        after = measure(words, memories, requests, similar_core.FEWEST_CASES)
        cells = []
        for right, answerable, wrong, unanswerable in (before, after):
            cells.append((f"{right}/{answerable} {right / max(answerable, 1):.0%}",
                          f"{wrong}/{unanswerable} {wrong / max(unanswerable, 1):.1%}"))
        print(f"{size:>5}  {cells[0][0]:>26}  {cells[1][0]:>20}  {cells[0][1]:>26}  {cells[1][1]:>20}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

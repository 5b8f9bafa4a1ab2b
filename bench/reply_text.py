"""How well the writer's own words are told from quoted history, on the labelled reply corpus.

Every case of `tests/data/replies/*/cases.yaml` goes through the path the pipeline calls:
the whole message is parsed (`parse_message`) and its `InboundMessage.new_text` is compared
with the expected text. A case that is only a body (plain text or HTML) is wrapped into a
minimal message first; a case that is a whole `.eml` is parsed as it is.

Each case ends as one of:
  exact       the expected text (lines compared with their blanks collapsed)
  acceptable  one of the case's other fine answers
  leak        every word of the expected text is there, with more (history, a signature)
  loss        some of the writer's words are missing (worse than a leak)
  crash       parsing raised

Run: .venv/bin/python bench/reply_text.py [-v] [--fresh] [SOURCE ...]   (-v prints every miss)

`--fresh` scores the held-out set instead (`tests/data/replies_fresh`):
replies from other projects' fixtures that no rule here was written against.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import yaml

from mailbot.parsers.mime import parse_message

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "replies"
FRESH = CORPUS.parent / "replies_fresh"
OUTCOMES = ("exact", "acceptable", "leak", "loss", "crash")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Case:
    source: str
    id: str
    client: str
    lang: str
    raw: bytes
    expected: str
    acceptable: tuple[str, ...]


def load(sources: list[str] | None = None, corpus: Path = CORPUS) -> list[Case]:
    """The corpus, one case per entry of every source's cases.yaml."""
    cases: list[Case] = []
    for path in sorted(corpus.glob("*/cases.yaml")):
        source = path.parent.name
        if sources and source not in sources:
            continue
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(Case(source, entry["id"], entry.get("client", ""), entry.get("lang", ""),
                              _raw(path.parent, entry), entry["expected"] or "",
                              tuple(entry.get("acceptable") or ())))
    return cases


def _raw(folder: Path, entry: dict[str, str]) -> bytes:
    """The case as message bytes: an .eml as it is, a body wrapped into a minimal reply."""
    if "eml" in entry:
        return (folder / entry["eml"]).read_bytes()
    msg = EmailMessage()
    msg["From"] = "Writer <writer@example.com>"
    msg["To"] = "Helpdesk LPSE <lpse@lpse.test>"
    msg["Subject"] = "Re: [LPSE-T #2026-00001] Pertanyaan"
    msg["Date"] = "Mon, 23 Nov 2026 10:00:00 +0700"
    msg["Message-ID"] = f"<{entry['id']}@example.com>"
    if "html_file" in entry:
        msg.set_content((folder / entry["html_file"]).read_text(encoding="utf-8", errors="replace"), subtype="html")
    elif "html" in entry:
        msg.set_content(entry["html"], subtype="html")
    else:
        msg.set_content(entry["body"])
    return msg.as_bytes()


def lines(text: str) -> list[str]:
    """The text's non-blank lines, each with its blanks collapsed (paragraph gaps do not count)."""
    return [" ".join(line.split()) for line in text.replace("\u00a0", " ").splitlines() if line.strip()]


def outcome(got: str, case: Case) -> str:
    """Which of OUTCOMES `got` is for `case` (crash aside)."""
    if lines(got) == lines(case.expected):
        return "exact"
    if any(lines(got) == lines(other) for other in case.acceptable):
        return "acceptable"
    answers = (case.expected, *case.acceptable)
    return "leak" if any(_contains(_WORD.findall(got), _WORD.findall(a)) for a in answers) else "loss"


def _contains(words: list[str], wanted: list[str]) -> bool:
    """Whether `wanted` appears in `words` in order (other words may stand between)."""
    it = iter(words)
    return all(any(w == x for x in it) for w in wanted)


def run(cases: list[Case]) -> list[tuple[Case, str, str]]:
    """Each case with its outcome and the new text (or the error) it gave."""
    results = []
    for case in cases:
        try:
            got = parse_message(case.raw).new_text
        except Exception as exc:  # noqa: BLE001 - a crash is one of the outcomes counted
            results.append((case, "crash", f"{type(exc).__name__}: {exc}"))
            continue
        results.append((case, outcome(got, case), got))
    return results


def _row(label: str, counts: Counter[str], total: int) -> str:
    good = counts["exact"] + counts["acceptable"]
    cells = "  ".join(f"{counts[o]:4d}" for o in OUTCOMES)
    return f"{label:<12} {total:5d}  {cells}   {100 * good / total:5.1f} %"


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    verbose = "-v" in sys.argv
    results = run(load(args or None, FRESH if "--fresh" in sys.argv else CORPUS))
    if verbose:
        for case, result, got in results:
            if result not in ("exact", "acceptable"):
                print(f"--- {result}: {case.source}/{case.id} ({case.client}, {case.lang})")
                print(f"    expected: {case.expected!r}")
                print(f"    got:      {got!r}")
    print(f"{'source':<12} {'cases':>5}  " + "  ".join(f"{o[:4]:>4}" for o in OUTCOMES) + "   exact or acceptable")
    for source in sorted({c.source for c, _, _ in results}):
        mine = [r for c, r, _ in results if c.source == source]
        print(_row(source, Counter(mine), len(mine)))
    every = Counter(r for _, r, _ in results)
    print(_row("all", every, len(results)))
    print(f"clients: {len({c.client for c, _, _ in results})}, "
          f"languages: {len({c.lang for c, _, _ in results})} ({', '.join(sorted({c.lang for c, _, _ in results}))})")
    print("anchor: >= 97 % exact or acceptable, 0 loss, 0 crash; no loss, no leak of a quote")


if __name__ == "__main__":
    main()

"""The unit's memory on a small desk, asked in other words: is the earlier case listed?

bench/data/similar_other_words.yaml holds twelve solved cases on distinct themes (a unit's
first months) and twelve new requests written by requesters who never read them: eight on
eight of the themes in other words (synonyms, other phrasing, chat spellings), four on themes
none answers. The cases go into a real store (`io/solved.row_of`, the FTS5 index) and each
request is looked up as a new ticket's notice looks it up (`io/solved.similar`, subject and
text, at `core/similar.THRESHOLD`, the first three at most):

  listed       of the eight, the requests whose notice lists the earlier case (the aim: 7 of 8)
  first        of the eight, those whose first listed case is it
  false leads  cases listed that do not answer the request: on the eight, and on the four
               no case answers (each of those lists a false lead or nothing)

Before and after in the same run: `--before REF` (default: the commit this work started
from) measures the same with the code of REF, extracted by `git archive` into a temporary
folder and run there (`--code` is how that run is told where). bench/similar_cases.py and
bench/first_cases.py give the figures on the labelled sets (no regression); `--existing`
runs the first of them (without its bulk timing) for both codes too.

Run: .venv/bin/python bench/similar_other_words.py [--before REF] [--existing] [-v]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data" / "similar_other_words.yaml"
BASE = "0811751"  # the commit the work on the memory's other words started from
MAILBOX = "btm"


def measure() -> dict[str, object]:
    """This process's mailbot on the set: per request, the cases listed (id, score), and the figures."""
    from mailbot.io.solved import row_of, similar
    from mailbot.io.store import Store
    from mailbot.rules import _read
    from mailbot.rules.similar_words import load_words

    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    words = load_words(None, _read)
    themes = {case["id"]: case["theme"] for case in data["solved"]}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db", synchronous="NORMAL")
        start = datetime(2026, 1, 5, tzinfo=UTC)
        with store.unit_of_work():
            for n, case in enumerate(data["solved"]):
                store.memory.remember_solved(row_of(words, case["id"], MAILBOX, f"2026-{case['id']:05d}",
                                                    case["subject"], start + timedelta(days=n), [case["problem"]],
                                                    case["solution"]))
        shown = {r["id"]: [(s.case.ticket_id, s.score) for s in similar(store, words, MAILBOX,
                                                                         f"{r['subject']}\n{r['text']}")]
                 for r in data["requests"]}
        store.close()
    answered = [r for r in data["requests"] if r["theme"] != "none"]
    unanswered = [r for r in data["requests"] if r["theme"] == "none"]
    return {
        "listed": sum(any(themes[c] == r["theme"] for c, _ in shown[r["id"]]) for r in answered),
        "first": sum(bool(shown[r["id"]]) and themes[shown[r["id"]][0][0]] == r["theme"] for r in answered),
        "answered": len(answered), "unanswered": len(unanswered),
        "leads_answered": sum(themes[c] != r["theme"] for r in answered for c, _ in shown[r["id"]]),
        "leads_unanswered": sum(len(shown[r["id"]]) for r in unanswered),
        "notices_misled": sum(any(themes[c] != r["theme"] for c, _ in shown[r["id"]]) for r in data["requests"]),
        "shown": {str(r["id"]): [[themes[c], s] for c, s in shown[r["id"]]] for r in data["requests"]},
        "themes": {str(r["id"]): r["theme"] for r in data["requests"]},
    }


def extracted(ref: str, into: Path) -> Path:
    """The `mailbot` package of `ref`, extracted under `into`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "mailbot"], check=True,
                             capture_output=True).stdout
    path = into / "tree.tar"
    path.write_bytes(archive)
    with tarfile.open(path) as tar:
        tar.extractall(into, filter="data")
    return into


def run_with(code: Path, *args: str) -> str:
    """This script (or another bench) run with the mailbot package under `code`."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    return subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True, env=env,
                          cwd=ROOT).stdout


def show(name: str, figures: dict[str, object], verbose: bool) -> None:
    print(f"{name}: listed {figures['listed']} of {figures['answered']} (first {figures['first']}); "
          f"false leads: {figures['leads_answered']} beside the answered, {figures['leads_unanswered']} on the "
          f"{figures['unanswered']} no case answers; notices listing a false lead: {figures['notices_misled']}")
    if verbose:
        shown, themes = figures["shown"], figures["themes"]
        assert isinstance(shown, dict) and isinstance(themes, dict)
        for rid, listed in shown.items():
            print(f"    {rid:>3} [{themes[rid]}]: " + (", ".join(f"{t} {s:.2f}" for t, s in listed) or "nothing"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BASE, help="the code to compare with (a git ref; '' for none)")
    parser.add_argument("--existing", action="store_true", help="bench/similar_cases.py for both codes too")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one measure, for the run of --before
    parser.add_argument("-v", action="store_true")
    options = parser.parse_args(argv)
    if options.json:
        print(json.dumps(measure()))
        return 0
    before_code = None
    with tempfile.TemporaryDirectory() as tmp:
        if options.before:
            before_code = extracted(options.before, Path(tmp))
            show(f"before ({options.before})", json.loads(run_with(before_code, __file__, "--json")), options.v)
        show("after (this checkout)", measure(), options.v)
        if options.existing:
            for name, code in (("before", before_code), ("after", ROOT)):
                if code is None:
                    continue
                print(f"\nbench/similar_cases.py --bulk 0, {name}:")
                print(run_with(code, str(ROOT / "bench" / "similar_cases.py"), "--bulk", "0"), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

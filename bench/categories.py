"""How well mailbot guesses a new ticket's category (SPEC 7; seed 003's "Kategori").

Each labelled first mail in the YAML file(s) is built as a real email from an SPSE
user, parsed by `parse_message` and categorised with `guess_category(subject,
new_text)`, exactly as `classify` does for a new ticket. Prints, per file and for all
files together, the agreement with the labels, precision and recall per category, the
confusion table (rows = label, columns = guess) and every disagreement with the rule
that weighed most.

Run: python3 bench/categories.py [--rules-dir DIR] [--quiet] [--min 0.85] [FILE.yaml ...]
(default: the sets the rules were tuned on, then the held-out sets that were never
read while tuning, each group with its own figure; tests/data/README-categories.md
says which is which and how each was written). Exit status 1 when the agreement over
all files is below `--min`.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mailbot.parsers.mime import parse_message
from mailbot.rules import CATEGORIES, Rules, load_rules

DATA = ROOT / "tests" / "data"
TUNED = [DATA / f"categories_{name}.yaml" for name in ("dev", "batch2", "batch3", "batch4")]
HELD_OUT = [DATA / f"categories_{name}.yaml" for name in ("heldout", "heldout2")]
UNIT = "Helpdesk LPSE Kota Batam <lpse@batam.go.id>"
DATE = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


@dataclass(frozen=True)
class Result:
    id: str
    truth: str
    guessed: str
    rule: str
    reason: str


def load_items(path: Path) -> list[dict]:
    items: list[dict] = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in items:
        if item["label"] not in CATEGORIES:
            raise SystemExit(f"{path.name}: {item['id']}: unknown label {item['label']!r}")
    return items


def as_email(subject: str, body: str) -> bytes:
    """The first mail as the requester's client sends it: plain text, UTF-8."""
    msg = EmailMessage()
    msg["From"] = "Pengguna SPSE <pengguna@contoh.test>"
    msg["To"] = UNIT
    msg["Subject"] = subject
    msg["Date"] = format_datetime(DATE)
    msg["Message-ID"] = make_msgid(domain="contoh.test")
    msg.set_content(body)
    return msg.as_bytes()


def categorise(rules: Rules, item: dict) -> Result:
    msg = parse_message(as_email(item["subject"], item["body"]))
    verdict = rules.guess_category(msg.subject, msg.new_text)
    return Result(item["id"], item["label"], verdict.value, verdict.rule, verdict.reason)


def report(title: str, results: list[Result], *, quiet: bool) -> float:
    total = len(results)
    agreed = sum(r.truth == r.guessed for r in results)
    share = agreed / max(total, 1)
    matrix = Counter((r.truth, r.guessed) for r in results)
    print(f"== {title}: {total} mails, {agreed} agree, agreement {share:.1%}")
    print(f"{'category':<11} {'support':>7} {'precision':>9} {'recall':>7}")
    for cat in CATEGORIES:
        hits = matrix[(cat, cat)]
        guessed = sum(matrix[(t, cat)] for t in CATEGORIES)
        support = sum(matrix[(cat, g)] for g in CATEGORIES)
        precision = f"{hits / guessed:.3f}" if guessed else "-"
        recall = f"{hits / support:.3f}" if support else "-"
        print(f"{cat:<11} {support:>7} {precision:>9} {recall:>7}")
    print("confusion (rows = label, columns = guess)")
    print(f"{'':<11}" + "".join(f"{c:>11}" for c in CATEGORIES))
    for truth in CATEGORIES:
        print(f"{truth:<11}" + "".join(f"{matrix[(truth, g)]:>11}" for g in CATEGORIES))
    if not quiet:
        for r in results:
            if r.truth != r.guessed:
                print(f"  {r.id}: {r.truth} -> {r.guessed}  [{r.rule}]  {r.reason[:150]}")
    print()
    return share


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="labelled YAML file(s); default: the shipped sets")
    parser.add_argument("--rules-dir", type=Path, help="an operator rules_dir to load as well")
    parser.add_argument("--quiet", action="store_true", help="do not list the disagreements")
    parser.add_argument("--min", type=float, default=0.85, help="the agreement over all files to pass")
    args = parser.parse_args(argv)
    rules = load_rules(args.rules_dir)
    groups = {"given files": args.files} if args.files else {"tuned on": TUNED, "held out": HELD_OUT}
    everything: list[Result] = []
    shares: dict[str, float] = {}
    for group, paths in groups.items():
        results: list[Result] = []
        for path in paths:
            found = [categorise(rules, item) for item in load_items(path)]
            report(path.name, found, quiet=args.quiet)
            results += found
        shares[group] = report(group, results, quiet=True) if len(paths) > 1 else _share(results)
        everything += results
    share = _share(everything)
    for group, value in shares.items():
        print(f"{group}: agreement {value:.1%}")
    print(f"all: agreement {share:.1%} over {len(everything)} mails (anchor: at least {args.min:.0%})")
    return 0 if share >= args.min else 1


def _share(results: list[Result]) -> float:
    return sum(r.truth == r.guessed for r in results) / max(len(results), 1)


if __name__ == "__main__":
    sys.exit(main())

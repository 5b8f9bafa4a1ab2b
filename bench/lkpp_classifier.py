"""How well mailbot classifies replies of Helpdesk LKPP (SPEC section 4, E13-E17).

Each labelled reply in the YAML file(s) is built as a real email from Helpdesk LKPP
with its subject and body, parsed by `parse_message` and classified with
`classify_lkpp(subject, unsigned(new_text or text))`, as `classify` does. Prints the
accuracy, precision and recall per class, the confusion matrix (rows = truth,
columns = predicted, `none` = no rule matched), the dangerous errors and every
misclassified reply with the rule that decided it.

A dangerous error is a reply predicted need_info, resolved or status whose true
class is another: each of these sends mail to the requester that should not go.

Run: python3 bench/lkpp_classifier.py [--rules-dir DIR] [--quiet] [FILE.yaml ...]
(default: tests/data/lkpp_replies_dev.yaml). Exit status 1 when there are dangerous
errors, so a script can gate on it.
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
from mailbot.core.classify import unsigned
from mailbot.parsers.mime import parse_message
from mailbot.rules import LKPP_CLASSES, Rules, load_rules

CLASSES = (*LKPP_CLASSES, "none")
# Classes whose verdict sends mail to the requester (E13 need_info, E14 resolved,
# E16 status with escalation.relay_status).
REQUESTER_CLASSES = ("need_info", "resolved", "status")
DEFAULT_SET = ROOT / "tests" / "data" / "lkpp_replies_dev.yaml"
LKPP_FROM = "Helpdesk LKPP <helpdesk-lpse@lkpp.go.id>"
UNIT = "Helpdesk LPSE Kota Batam <lpse@batam.go.id>"
DATE = datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


@dataclass(frozen=True)
class Result:
    id: str
    truth: str
    predicted: str
    rule: str
    reason: str


def load_items(paths: list[Path]) -> list[dict]:
    """The labelled replies of every file, in order; ids must be unique."""
    items: list[dict] = []
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items.extend(data["replies"] if isinstance(data, dict) else data)
    ids = Counter(item["id"] for item in items)
    duplicates = [i for i, n in ids.items() if n > 1]
    if duplicates:
        raise SystemExit(f"duplicate ids: {', '.join(duplicates)}")
    for item in items:
        if item["label"] not in CLASSES:
            raise SystemExit(f"{item['id']}: unknown label {item['label']!r}")
    return items


def as_email(subject: str, body: str) -> bytes:
    """The reply as Helpdesk LKPP's client would send it: plain text, UTF-8."""
    msg = EmailMessage()
    msg["From"] = LKPP_FROM
    msg["To"] = UNIT
    msg["Subject"] = subject
    msg["Date"] = format_datetime(DATE)
    msg["Message-ID"] = make_msgid(domain="lkpp.go.id")
    msg.set_content(body)
    return msg.as_bytes()


def classify(rules: Rules, item: dict) -> Result:
    """One labelled reply through the parser and the rules, as the daemon does it."""
    msg = parse_message(as_email(item["subject"], item["body"]))
    text = unsigned(msg.new_text or msg.text, msg.from_addr.name)  # the desk's sign-off is no reason
    verdict = rules.classify_lkpp(msg.subject, text)
    if verdict is None:
        hold = rules.lkpp_verdict(msg.subject, text)  # which rule held it for staff, if any
        rule, reason = (hold.rule, hold.reason) if hold else ("-", "no rule matched")
        return Result(item["id"], item["label"], "none", rule, reason)
    return Result(item["id"], item["label"], verdict.value, verdict.rule, verdict.reason)


def report(results: list[Result], *, quiet: bool = False) -> int:
    """Print the figures; return the number of dangerous errors."""
    total = len(results)
    correct = sum(r.truth == r.predicted for r in results)
    matrix = Counter((r.truth, r.predicted) for r in results)
    print(f"replies: {total}  correct: {correct}  accuracy: {correct / max(total, 1):.3f}")
    print()
    print(f"{'class':<10} {'support':>7} {'precision':>9} {'recall':>7}")
    for cls in CLASSES:
        tp = matrix[(cls, cls)]
        predicted = sum(matrix[(t, cls)] for t in CLASSES)
        support = sum(matrix[(cls, p)] for p in CLASSES)
        precision = f"{tp / predicted:.3f}" if predicted else "-"
        recall = f"{tp / support:.3f}" if support else "-"
        print(f"{cls:<10} {support:>7} {precision:>9} {recall:>7}")
    print()
    print("confusion matrix (rows = truth, columns = predicted)")
    print(f"{'':<10}" + "".join(f"{c:>10}" for c in CLASSES))
    for truth in CLASSES:
        print(f"{truth:<10}" + "".join(f"{matrix[(truth, p)]:>10}" for p in CLASSES))
    dangerous = [r for r in results if r.predicted in REQUESTER_CLASSES and r.predicted != r.truth]
    print()
    print(f"dangerous errors (mail to the requester that should not go): {len(dangerous)}")
    for cls in REQUESTER_CLASSES:
        n = sum(1 for r in dangerous if r.predicted == cls)
        print(f"  wrongly {cls}: {n}")
    wrong = [r for r in results if r.truth != r.predicted]
    if wrong and not quiet:
        print()
        print("misclassified (truth -> predicted, rule, reason; ! = dangerous)")
        for r in wrong:
            mark = "!" if r in dangerous else " "
            print(f" {mark} {r.id}: {r.truth} -> {r.predicted}  [{r.rule}]  {r.reason[:160]}")
    return len(dangerous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=[DEFAULT_SET], help="labelled YAML file(s)")
    parser.add_argument("--rules-dir", type=Path, help="an operator rules_dir to load as well")
    parser.add_argument("--quiet", action="store_true", help="do not list the misclassified replies")
    args = parser.parse_args(argv)
    rules = load_rules(args.rules_dir)
    results = [classify(rules, item) for item in load_items(args.files)]
    return 1 if report(results, quiet=args.quiet) else 0


if __name__ == "__main__":
    sys.exit(main())

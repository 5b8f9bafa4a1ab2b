"""Train the second opinion on LKPP replies (`mailbot/rules/lkpp_model.json`).

Each labelled reply is built as a real email, parsed and stripped of its quoted
history exactly as the daemon does, and its new text counted for its class.
Trained by default on the dev set, the engineer's own set and the first held-out
set; the second held-out set (`lkpp_replies_heldout2.yaml`) is kept out, so it stays
a blind test of the rules and the model together (`bench/lkpp_classifier.py`).
Run: .venv/bin/python bench/train_lkpp_model.py [FILE.yaml ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.lkpp_classifier import as_email, load_items
from mailbot.parsers.mime import parse_message
from mailbot.rules.bayes import Bayes

DATA = ROOT / "tests" / "data"
TRAINING = [DATA / "lkpp_replies_dev.yaml", DATA / "lkpp_replies_own.yaml", DATA / "lkpp_replies_heldout.yaml"]
MODEL = ROOT / "mailbot" / "rules" / "lkpp_model.json"


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or TRAINING
    labelled = []
    for item in load_items(paths):
        msg = parse_message(as_email(item["subject"], item["body"]))
        labelled.append((msg.new_text or msg.text, item["label"]))
    model = Bayes.train(labelled)
    MODEL.write_text(model.dump() + "\n", encoding="utf-8")
    size = sum(len(c) for c in model.counts.values())
    print(f"trained on {len(labelled)} replies from {len(paths)} file(s): {model.docs}; "
          f"{size} feature counts; {MODEL.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()

"""Red-team held-out evaluation: LKPP reply classes (SPEC E13-E17) and requester
answers to a solution (SPEC E4), through parse_message as the daemon reads mail.

    python bench/redteam_wording.py lkpp [--split dev|test|all] [--details] [--rules-only]
    python bench/redteam_wording.py closing [--split ...] [--details]

The sets (tests/data/redteam_lkpp_replies.yaml, redteam_closing_answers.yaml) were written
by a red-team pass blind to the rules and to tests/data; fixes were made from errors in
the dev split only, so the test split is the honest figure.

Correct = predicted label equals `label` or is listed in `accept`. Dangerous:
  lkpp:    predicted need_info / resolved / status (mail to the requester) that is
           neither the label nor accepted; also returned predicted for a true
           need_info/resolved (the requester never hears) is listed as "lost".
  closing: predicted confirm (ticket closed) when the label is reject or silent.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mailbot
from mailbot.core.closing import closing
from mailbot.core.lifecycle import Event
from mailbot.parsers.mime import parse_message
from mailbot.rules import load_rules

SETS = {"lkpp": ROOT / "tests/data/redteam_lkpp_replies.yaml",
        "closing": ROOT / "tests/data/redteam_closing_answers.yaml"}
LKPP_SUBJECT = "RE: [LPSE-BTM #2026-00042] Eskalasi: Tidak bisa upload penawaran"
CLOSE_SUBJECT = "Re: [LPSE-BTM #2026-00042] Solusi: Tidak bisa upload penawaran"
TO_REQUESTER = {"need_info", "resolved", "status"}
EVENTS = {Event.REQUESTER_CONFIRM: "confirm", Event.REQUESTER_REJECT: "reject", Event.REQUESTER_SILENT: "silent"}


def email(sender: str, subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Helpdesk LPSE Kota Batam <lpse@batam.go.id>"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 17 Mar 2026 10:30:00 +0700"
    msg["Message-ID"] = make_msgid(domain="example.id")
    msg.set_content(body)
    return msg.as_bytes()


def run_lkpp(items, rules):
    out = []
    for it in items:
        msg = parse_message(email("Helpdesk LKPP <helpdesk@lkpp.go.id>", it.get("subject", LKPP_SUBJECT), it["body"]))
        text = msg.new_text or msg.text
        v = rules.classify_lkpp(msg.subject, text)
        pred = v.value if v else "none"
        raw = rules.lkpp_verdict(msg.subject, text)
        why = f"{raw.value}:{raw.rule}" if raw else "-"
        out.append((it, pred, why))
    return out


def run_closing(items, rules):
    out = []
    for it in items:
        name = it.get("from", "Budi Santoso")
        msg = parse_message(email(f"{name} <penyedia@example.id>", CLOSE_SUBJECT, it["body"]))
        event, rating = closing(msg, rules, (name,))
        out.append((it, EVENTS.get(event, str(event)), rating))
    return out


def matrix(results, classes):
    conf = Counter((it["label"], pred) for it, pred, _ in results)
    width = max(len(c) for c in classes) + 2
    print("true \\ pred".ljust(width + 2) + "".join(c[:9].rjust(10) for c in classes) + "   recall")
    for t in classes:
        row = [conf[(t, p)] for p in classes]
        ok = sum(1 for it, pred, _ in results if it["label"] == t and (pred == t or pred in it.get("accept", [])))
        n = sum(row)
        print(t.ljust(width + 2) + "".join(str(x).rjust(10) for x in row) + (f"   {ok}/{n}" if n else ""))
    for p in classes:
        n = sum(1 for _, pred, _ in results if pred == p)
        ok = sum(1 for it, pred, _ in results if pred == p and (it["label"] == p or p in it.get("accept", [])))
        if n:
            print(f"  precision {p}: {ok}/{n} = {ok / n:.3f}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("set", choices=["lkpp", "closing"])
    ap.add_argument("--split", default="all", choices=["dev", "test", "all"])
    ap.add_argument("--details", action="store_true", help="list every error (use on test only after the fixes)")
    ap.add_argument("--rules-only", action="store_true", help="lkpp: without the trained second opinion")
    a = ap.parse_args()
    print(f"# mailbot from {mailbot.__file__}")
    rules = load_rules()
    if a.rules_only:
        rules = replace(rules, second_opinion=None)
    items = yaml.safe_load(SETS[a.set].read_text(encoding="utf-8"))
    items = [it for it in items if a.split == "all" or it["split"] == a.split]
    if a.set == "lkpp":
        results = run_lkpp(items, rules)
        classes = ["need_info", "resolved", "returned", "status", "none"]
    else:
        results = run_closing(items, rules)
        classes = ["confirm", "reject", "silent"]
    ok = [r for r in results if r[1] == r[0]["label"] or r[1] in r[0].get("accept", [])]
    strict = [r for r in results if r[1] == r[0]["label"]]
    print(f"set={a.set} split={a.split} n={len(results)} accuracy={len(ok) / len(results):.3f} "
          f"(strict, label only: {len(strict) / len(results):.3f})")
    matrix(results, classes)
    if a.set == "lkpp":
        danger = [r for r in results if r[1] in TO_REQUESTER and r not in ok]
        lost = [r for r in results if r[1] == "returned" and r[0]["label"] in ("need_info", "resolved") and r not in ok]
    else:
        danger = [r for r in results if r[1] == "confirm" and r not in ok]
        lost = []
        rated = [r for r in results if r[0].get("rating") is not None]
        rok = [r for r in rated if r[1] == "confirm" and r[2] == r[0]["rating"]]
        print(f"  ratings recorded right: {len(rok)}/{len(rated)}")
    print(f"DANGEROUS (mail to the requester / ticket closed wrongly): {len(danger)}")
    show_all = a.details
    for it, pred, why in danger:
        if show_all or it["split"] == "dev":
            print(f"  ! {it['id']} [{it['split']}] true={it['label']} pred={pred} ({why}): "
                  f"{' '.join(it['body'].split())[:150]}")
        else:
            print(f"  ! {it['id']} [test, hidden until after fixes]")
    if lost:
        print(f"requester's answer lost (returned for need_info/resolved): {len(lost)}")
    if a.details or a.split == "dev":
        print("all errors:")
        for it, pred, why in results:
            if (it, pred, why) not in ok and (show_all or it["split"] == "dev"):
                print(f"  - {it['id']} [{it['split']}] true={it['label']} pred={pred} ({why}): "
                      f"{' '.join(it['body'].split())[:150]}")
            elif (a.set == "closing" and pred == "confirm" and it.get("rating") not in (None, why)
                  and (show_all or it["split"] == "dev")):
                print(f"  ~ {it['id']} rating expected {it['rating']} got {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

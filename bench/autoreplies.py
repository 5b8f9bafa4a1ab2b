"""How well an autoresponder's words are told from a person's when no header says which
(`mailbot.parsers.autoreply_words`, weighed by `mailbot.core.autoreplies`).

Two sides, each message parsed as the pipeline parses it (`parse_message`, its new text and
its From's display name), headers then ignored:

  auto    the RFC 3834 auto-replies of ../shared/corpora/set-of-emails (their Auto-Submitted
          and "Automatic reply" subjects are what this rule must do without)
  human   people's words that must never read as an autoresponder's: the labelled reply
          corpus (tests/data/replies), requesters' answers to a solution
          (redteam_closing_answers), requesters' first mails (categories_*, similar_cases
          requests), LKPP's desk replies (lkpp_replies_*, redteam_lkpp_replies), and people's
          replies written by others in many languages (../shared/corpora/reply-fixtures,
          crisp-oss/email-reply-parser's fixtures, MIT)

Each side is weighed twice: as `not_a_person` weighs a direction, a held form or an answer to
a solution (any kind of autoresponder's sentence), and as it weighs a staff reply for the
requester or a requester's data for LKPP (`AWAY`: a clause must say its writer is away).

The figures: auto-replies caught, and human texts read as an autoresponder's (each listed
with -v). LKPP's replies hold a few office-closed notices written by a desk ("kantor kami
tidak beroperasi", "sedang cuti bersama"): those are listed apart, as they are no person's
decision either.

Run: .venv/bin/python bench/autoreplies.py [-v]
"""

from __future__ import annotations

import sys
from email.message import EmailMessage
from pathlib import Path

import yaml

from mailbot.core.autoreplies import AWAY
from mailbot.parsers.autoreply_words import away_notice
from mailbot.parsers.mime import parse_message

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SHARED = ROOT.parent / "shared" / "corpora"


def _wrap(body: str, subject: str = "Re: tiket") -> bytes:
    msg = EmailMessage()
    msg["From"] = "Pengirim <pengirim@example.test>"
    msg["To"] = "lpse@lpse.test"
    msg["Subject"] = subject
    msg.set_content(body)
    return msg.as_bytes()


def _read(raw: bytes) -> tuple[str, str]:
    msg = parse_message(raw)
    return msg.new_text or msg.text, f"{msg.from_addr.name} <{msg.from_addr.addr}>"


def auto_replies() -> list[tuple[str, str, str]]:
    """(name, new text, sender's name) of the shared corpus's RFC 3834 auto-replies."""
    folder = SHARED / "set-of-emails" / "maildir" / "bsd"
    return [(p.name, *_read(p.read_bytes())) for p in sorted(folder.glob("rfc3834-*.eml"))]


def _entries(path: Path) -> list[dict[str, object]]:
    return [e for e in yaml.safe_load(path.read_text(encoding="utf-8")) or [] if isinstance(e, dict)]


def human(lkpp: bool = False) -> list[tuple[str, str, str]]:
    """(name, new text, sender's name) of people's words; `lkpp`: LKPP's desk replies only."""
    found: list[tuple[str, str, str]] = []
    if lkpp:
        for path in (*sorted(DATA.glob("lkpp_replies_*.yaml")), DATA / "redteam_lkpp_replies.yaml"):
            for e in _entries(path):
                found.append((f"{path.stem}:{e['id']}", *_read(_wrap(str(e["body"]), str(e.get("subject", ""))))))
        return found
    for path in sorted((DATA / "replies").glob("*/cases.yaml")):
        for e in _entries(path):
            if "body" in e:
                found.append((f"{path.parent.name}:{e['id']}", *_read(_wrap(str(e["body"])))))
    for e in _entries(DATA / "redteam_closing_answers.yaml"):
        found.append((f"closing:{e['id']}", *_read(_wrap(str(e["body"])))))
    for path in (*sorted(DATA.glob("categories_*.yaml")), *sorted((DATA / "similar_cases").glob("requests_*.yaml"))):
        for e in _entries(path):
            body = e.get("body") or e.get("text")
            if body:
                found.append((f"{path.stem}:{e['id']}", str(body), ""))
    for path in sorted((SHARED / "reply-fixtures").glob("*.txt")):
        found.append((f"reply-fixtures:{path.name}", *_read(_wrap(path.read_text(encoding="utf-8", errors="replace")))))
    return found


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    autos = auto_replies()
    for mode, needs in (("any sentence", None), ("away", AWAY)):
        caught = [(n, away_notice(t, s, needs)) for n, t, s in autos]
        print(f"[{mode}] auto-replies (set-of-emails rfc3834), headers ignored: "
              f"{sum(1 for _, w in caught if w)}/{len(autos)} read as an autoresponder's")
        if verbose:
            for (name, why), (_, text, _) in zip(caught, autos, strict=True):
                print(f"  {'yes' if why else 'no '} {name}: {why or ''} | {' '.join(text.split())[:100]}")
        for label, texts in (("people's words", human()), ("LKPP's desk replies", human(lkpp=True))):
            flagged = [(n, away_notice(t, s, needs), t) for n, t, s in texts]
            flagged = [f for f in flagged if f[1]]
            print(f"[{mode}] {label}: {len(flagged)}/{len(texts)} read as an autoresponder's")
            if verbose:
                for name, why, text in flagged:
                    print(f"  {name}: {why} | {' '.join(text.split())[:160]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

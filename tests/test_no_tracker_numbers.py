"""Comments say why, not which ticket: no tracker number ("issue" and a number) in the code,
the tests, the benches, the scripts, the docs or `--help`. The tracker is not in the
repository; git keeps which change answered what. Test data written by others is left as
it came (tests/data/)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRACKER = re.compile("\\b" + "issues?" + r" \d{1,3}\b", re.IGNORECASE)
CHECKED = ("mailbot", "tests", "bench", "scripts", "docs", "systemd", "README.md", "config.example.yaml")


def cited(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if TRACKER.search(line)]


def test_the_check_finds_a_planted_number() -> None:
    assert cited("x = 1  # see " + "issue" + " 57\nfine") == ["x = 1  # see " + "issue" + " 57"]
    assert cited("Issues" + " 36 and 44: a rule") and not cited("an issue of the journal, 2 pages")


def test_no_file_cites_a_tracker_number() -> None:
    files = subprocess.run(["git", "ls-files", *CHECKED], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    found = {}
    for name in files:
        path = ROOT / name
        if name.startswith("tests/data/") or path.suffix in (".png", ".eml", ".xlsx", ".pdf", ".mo"):
            continue
        try:
            lines = cited(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, FileNotFoundError):
            continue
        if lines:
            found[name] = lines
    assert found == {}


def test_help_cites_no_tracker_number() -> None:
    code = ("from mailbot.cli.main import build_parser; p = build_parser(); print(p.format_help()); "
            "[print(s.format_help()) for a in p._subparsers._group_actions for s in a.choices.values()]")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert cited(done.stdout) == []

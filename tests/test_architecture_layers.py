"""The folders are the layers, and the import map is a test.

docs/architecture.md draws the map in two lines the reader and this test share:

    layers: values | parsers | core | rules config | io | reports | flow | web daemon | cli
    types-only: core -> rules

A row is a layer; a folder of `mailbot/` (`values`: the modules at its root) imports only
from its own folder and from the rows before its own: never from a later row, nor from a
sibling on its row (`web` and `daemon` are two processes that share no code of each other's).
`types-only` lists the few imports allowed upward for type checking alone (under
`TYPE_CHECKING`). `python -m mailbot` (`__main__.py`) is the command line's entry, so it
counts as `cli`. Every folder of `mailbot/` that holds Python must stand on the map.
"""

from __future__ import annotations

import ast
import functools
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "architecture.md"


def layer_map(page: str) -> tuple[list[list[str]], set[tuple[str, str]]]:
    """The rows of the `layers:` line and the pairs of the `types-only:` line."""
    layers = re.search(r"^layers: (.+)$", page, re.MULTILINE)
    assert layers, "docs/architecture.md has no `layers:` line"
    rows = [row.split() for row in layers.group(1).split("|")]
    types = re.search(r"^types-only: (.+)$", page, re.MULTILINE)
    pairs = set()
    for pair in (types.group(1).split(",") if types else []):
        lower, _, upper = pair.partition("->")
        pairs.add((lower.strip(), upper.strip()))
    return rows, pairs


def folder_of(module: str, folders: set[str]) -> str:
    """`mailbot.io.store.outbox` -> io; a module at the root -> values; `__main__` -> cli."""
    name = (module.split(".") + [""])[1]  # `mailbot` itself (its __init__) is a value
    return name if name in folders else "cli" if name == "__main__" else "values"


def imports_of(path: Path) -> tuple[tuple[str, bool], ...]:
    """Each `mailbot` module a file imports, and whether only for types (under TYPE_CHECKING)."""
    return _imports_in(path.read_text(encoding="utf-8"))


@functools.cache
def _imports_in(source: str) -> tuple[tuple[str, bool], ...]:
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, types_only: bool) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                visit(child, True)
            for child in node.orelse:
                visit(child, types_only)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, types_only) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "mailbot":  # `from mailbot import x`: the module x
                found.extend((f"mailbot.{alias.name}", types_only) for alias in node.names)
            else:
                found.append((node.module, types_only))
        for child in ast.iter_child_nodes(node):
            visit(child, types_only)

    visit(ast.parse(source), False)
    return tuple((name, types_only) for name, types_only in found if name.startswith("mailbot."))


def upward_imports(package: Path, page: str) -> list[str]:
    """`file: imports module (folder -> folder)` for every import the map forbids."""
    folders = {p.name for p in package.iterdir() if p.is_dir() and any(p.rglob("*.py"))}
    rows, types_only = layer_map(page)
    rank = {folder: i for i, row in enumerate(rows) for folder in row}
    wrong = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        here = folder_of(".".join(parts[:-1] if parts[-1] == "__init__" else parts), folders)
        for name, types in imports_of(path):
            there = folder_of(name, folders)
            if there == here or rank[there] < rank[here] or (types and (here, there) in types_only):
                continue
            wrong.append(f"{path.relative_to(package.parent)}: imports {name} ({here} -> {there})")
    return wrong


def test_every_folder_stands_on_the_map() -> None:
    rows, _ = layer_map(PAGE.read_text(encoding="utf-8"))
    on_map = {folder for row in rows for folder in row}
    folders = {p.name for p in (ROOT / "mailbot").iterdir()
               if p.is_dir() and p.name != "__pycache__" and any(p.rglob("*.py"))}
    assert folders | {"values"} == on_map


def test_no_folder_imports_a_later_layer() -> None:
    assert upward_imports(ROOT / "mailbot", PAGE.read_text(encoding="utf-8")) == []


# --- the check itself: the imports that used to go upward, planted in a copy ------------------

@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("tree") / "mailbot"
    shutil.copytree(ROOT / "mailbot", target, ignore=shutil.ignore_patterns("__pycache__", "templates", "*.yaml"))
    return target


@pytest.mark.parametrize(("planted", "line", "expected"), [
    # the composer rendering a ticket with the command line's printing (compose imported views.py)
    ("io/compose.py", "from mailbot.cli import reading\n", "io -> cli"),
    # a restore asking the daemon's shares which lock the daemons hold (backup imported turns.py)
    ("io/backup.py", "from mailbot.daemon.served_mailboxes import ServedMailboxes\n", "io -> daemon"),
    # the timekeeper taking the daemon's thread hop (it imported steps.py)
    ("flow/timekeeper.py", "from mailbot.daemon.main_thread import MainThread\n", "flow -> daemon"),
    # ... and the daemon's wiring (alerts.py was wired there, above the timers' row)
    ("flow/timekeeper.py", "    from mailbot.daemon.wiring import App\n", "flow -> daemon"),
    # the window reaching into the daemon, and the core into the store
    ("web/app.py", "from mailbot.daemon.sender import SenderProcess\n", "web -> daemon"),
    ("core/plan.py", "from mailbot.io.store import Store\n", "core -> io"),
    # a type-only import upward is one too, but for the pairs the map names
    ("parsers/mime.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from mailbot.io import imap\n",
     "parsers -> io"),
])
def test_a_planted_upward_import_fails_the_map(copy: Path, planted: str, line: str, expected: str) -> None:
    path = copy / planted
    before = path.read_text(encoding="utf-8")
    page = PAGE.read_text(encoding="utf-8")
    try:
        body = line if not line.startswith("    ") else "def _planted():\n" + line
        path.write_text(before + "\n" + body, encoding="utf-8")
        wrong = upward_imports(copy, page)
    finally:
        path.write_text(before, encoding="utf-8")
    assert len(wrong) == 1 and wrong[0].startswith(f"mailbot/{planted}:") and wrong[0].endswith(f"({expected})")


def test_a_type_only_import_the_map_names_passes(copy: Path) -> None:
    path = copy / "core" / "plan.py"
    before = path.read_text(encoding="utf-8")
    try:
        path.write_text(before + "\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                        "    from mailbot.rules.tables import Rules\n", encoding="utf-8")
        assert upward_imports(copy, PAGE.read_text(encoding="utf-8")) == []
    finally:
        path.write_text(before, encoding="utf-8")


def test_siblings_on_a_row_do_not_import_each_other(copy: Path) -> None:
    path = copy / "daemon" / "wiring.py"
    before = path.read_text(encoding="utf-8")
    try:
        path.write_text(before + "\nfrom mailbot.web import pages\n", encoding="utf-8")
        assert upward_imports(copy, PAGE.read_text(encoding="utf-8")) == [
            "mailbot/daemon/wiring.py: imports mailbot.web (daemon -> web)"]
    finally:
        path.write_text(before, encoding="utf-8")

"""Docs/architecture.md true where a sentence can be checked against the code.

Three checks, each a function of a source tree and the page's text (so each is shown to
fail on a planted case below, not only to pass on today's code):

- every module under `mailbot/` (packages' `__init__.py` aside) is named on the module
  page (docs/modules.md), by its path relative to `mailbot/` in backticks (`core/classify.py`);
- every module path either page names exists (`tests/...` and `bench/...` paths against the
  checkout, the others against `mailbot/`, a leading `mailbot/` dropped);
- SQL statements stand only in the modules and folders of the page's `sql-in:` line, and
  each of those holds at least one (the page says where SQL lives, and no more).

A statement is a string literal (docstrings aside) that opens like SQL: `select`,
`insert into`, `update T set`, `delete from`, `create table|index|trigger|...`,
`alter table`, `drop table|...`, `pragma X`, `with X as (`, `attach database`,
`begin immediate`, PostgreSQL's `set X = | to`; an f-string counts by its opening text.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
MODULES = ROOT / "docs" / "modules.md"  # every module, layer by layer

SQL = re.compile(r"""^\s*(?:
    select\b | insert\s+(?:or\s+\w+\s+)?into\b | update\s+(?:"?\w+"?\s+set\b|"|$) | delete\s+from\b
  | create\s+(?:table|index|unique|trigger|virtual|view|or\s+replace|temp|temporary)\b | alter\s+table\b
  | drop\s+(?:table|index|trigger|view)\b | pragma\s+\w+ | with\s+(?:recursive\s+)?\w+\s+as\s*\(
  | begin(?:\s+(?:immediate|deferred|exclusive))?\s*$ | attach\s+database\b | set\s+\w+\s*(?:=|to\s)
  | vacuum\b )""", re.IGNORECASE | re.VERBOSE)


GENERATED = frozenset({"_version.py"})  # written by setuptools-scm at install, ignored by git


def modules(package: Path) -> list[str]:
    """Every module of the package, by its path relative to it, `__init__.py` and what the
    install generates aside."""
    return sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                  if p.name != "__init__.py" and "__pycache__" not in p.parts
                  and str(p.relative_to(package)) not in GENERATED)


def unnamed(package: Path, text: str) -> list[str]:
    """The modules the module page (docs/modules.md) does not name."""
    named = set(re.findall(r"`(?:mailbot/)?([\w/]+\.py)`", text))
    return [m for m in modules(package) if m not in named]


def gone(package: Path, text: str) -> list[str]:
    """The module paths the page names that do not exist."""
    missing = []
    for path in sorted(set(re.findall(r"`([\w/]+\.py)`", text))):
        if path.startswith(("tests/", "bench/", "scripts/")):
            exists = (package.parent / path).is_file()
        else:
            exists = (package / path.removeprefix("mailbot/")).is_file()
        if not exists:
            missing.append(path)
    return missing


def sql_places(text: str) -> list[str]:
    """The page's `sql-in:` line: the folders (ending in `/`) and modules that hold SQL."""
    [line] = re.findall(r"^sql-in: (.+)$", text, flags=re.MULTILINE)
    return line.split()


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def statements(path: Path) -> list[str]:
    """`line: opening` of each SQL statement among the module's string literals."""
    tree = ast.parse(path.read_text("utf-8"))
    docs = _docstrings(tree)
    return [f"{node.lineno}: {node.value.strip()[:50]}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
            and SQL.match(node.value)]


def sql_outside(package: Path, text: str) -> dict[str, list[str]]:
    """Modules with SQL that the `sql-in:` line does not cover."""
    places = sql_places(text)
    found = {}
    for module in modules(package) + sorted(str(p.relative_to(package)) for p in package.rglob("__init__.py")):
        covered = any(module == p or (p.endswith("/") and module.startswith(p)) for p in places)
        if not covered and (hits := statements(package / module)):
            found[module] = hits
    return found


def sql_claimed_without(package: Path, text: str) -> list[str]:
    """Places of the `sql-in:` line that hold no SQL statement (or do not exist)."""
    empty = []
    for place in sql_places(text):
        files = sorted((package / place).rglob("*.py")) if place.endswith("/") else [package / place]
        if not any(f.is_file() and statements(f) for f in files):
            empty.append(place)
    return empty


# --- the checks on mailbot/ and docs/architecture.md ------------------------------------------

def test_the_module_page_names_every_module():
    missing = unnamed(ROOT / "mailbot", MODULES.read_text("utf-8"))
    assert not missing, f"modules docs/modules.md does not name: {missing}"


@pytest.mark.parametrize("page", [PAGE, MODULES], ids=["architecture", "modules"])
def test_every_module_the_pages_name_exists(page):
    missing = gone(ROOT / "mailbot", page.read_text("utf-8"))
    assert not missing, f"{page.relative_to(ROOT)} names modules that do not exist: {missing}"


def test_sql_stands_only_where_the_page_says():
    outside = sql_outside(ROOT / "mailbot", PAGE.read_text("utf-8"))
    assert not outside, f"SQL in modules docs/architecture.md's sql-in: line does not name: {outside}"


def test_every_place_the_page_gives_sql_holds_some():
    text = PAGE.read_text("utf-8")
    assert "io/store/" in sql_places(text) and "reports/queries.py" in sql_places(text)
    empty = sql_claimed_without(ROOT / "mailbot", text)
    assert not empty, f"docs/architecture.md's sql-in: line names places without SQL: {empty}"


# --- each check fails on a planted case --------------------------------------------------------

PLANTED_PAGE = """# a page

walk-entry: mailbot/a.py:f:x

- `core/pure.py`: pure
- `io/store/rows.py`: rows
- `mailbot/io/gone.py`: a module that was renamed

sql-in: io/store/ reports/queries.py

## Where each kind of change belongs

- `tests/test_none.py`
"""
PLANTED_MODULES = """# every module

- `core/pure.py`: pure
- `io/store/rows.py`: rows
"""


def _planted(tmp_path: Path) -> Path:
    package = tmp_path / "mailbot"
    for path, text in {
        "__init__.py": '"""Package."""\n',
        "core/__init__.py": "",
        "core/pure.py": '"""Select the ticket: prose, not SQL."""\nWORDS = "selected words"\n',
        "core/elsewhere.py": "X = 1\n",
        "io/store/rows.py": 'def rows(db):\n    return db.query("select * from tickets where id = ?")\n',
        "io/window.py": 'def peek(db, t):\n    db.execute(f"update {t} set seen = 1")\n'
                        '    db.execute("PRAGMA query_only=ON")\n',
        "reports/queries.py": '"""select nothing: a docstring is prose."""\n',
    }.items():
        (package / path).parent.mkdir(parents=True, exist_ok=True)
        (package / path).write_text(text, "utf-8")
    return package


def test_the_naming_check_finds_a_planted_unnamed_module(tmp_path):
    package = _planted(tmp_path)
    assert unnamed(package, PLANTED_MODULES) == ["core/elsewhere.py", "io/window.py", "reports/queries.py"]


def test_the_existence_check_finds_a_planted_gone_module(tmp_path):
    package = _planted(tmp_path)
    assert gone(package, PLANTED_PAGE) == ["mailbot/io/gone.py", "tests/test_none.py"]


def test_the_sql_check_finds_planted_sql_outside_the_line(tmp_path):
    package = _planted(tmp_path)
    outside = sql_outside(package, PLANTED_PAGE)
    assert list(outside) == ["io/window.py"]
    assert {hit.split(":")[0] for hit in outside["io/window.py"]} == {"2", "3"}  # the f-string, the pragma
    assert sql_outside(package, PLANTED_PAGE.replace("sql-in: io/store/", "sql-in: io/window.py io/store/")) == {}


def test_the_sql_check_finds_a_planted_place_without_sql(tmp_path):
    package = _planted(tmp_path)
    assert sql_claimed_without(package, PLANTED_PAGE) == ["reports/queries.py"]  # only a docstring there
    assert sql_claimed_without(package, PLANTED_PAGE.replace("reports/queries.py", "io/nowhere.py")) == [
        "io/nowhere.py"]


def test_the_sql_pattern_reads_statements_not_prose():
    for statement in ("select 1", " SELECT id\n from t", "insert or ignore into t values (?)", 'update "',
                      "update timers set active = 0", "delete from meta", "create unique index i on t (a)",
                      "alter table t add column c", "PRAGMA journal_mode=WAL", "with recent as (select 1) select *",
                      "attach database ? as old", "BEGIN IMMEDIATE", "set timezone to 'UTC'",
                      "set synchronous_commit = off"):
        assert SQL.match(statement), statement
    for prose in ("replace", "copy:", "set too large", "show every ticket", "update the ticket", "created at",
                  "delete it", "selected", "with the mailbox", "begin here"):
        assert not SQL.match(prose), prose

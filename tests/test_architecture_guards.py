"""The suite guards what the house measures, so the next feature cannot slide it back.

Four guards over `mailbot/`, each a function of a source tree (so each is shown to fail on a
planted case below, not only to pass on today's code):

- no function graded D or worse by radon (cyclomatic complexity 21 and up);
- at most `MAX_C` functions graded C (11-20);
- no module longer than `MAX_LINES` lines;
- no two modules, and no two public classes, of one name: a name says one thing.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest
from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parents[1] / "mailbot"
MAX_C = 50
MAX_LINES = 800


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def graded(root: Path, ranks: str) -> list[str]:
    """`path:line name (rank complexity)` of every function and method graded one of `ranks`."""
    found = []
    for path in _modules(root):
        for block in cc_visit(path.read_text("utf-8")):
            rank = cc_rank(block.complexity)
            if rank in ranks:
                found.append(f"{path.relative_to(root.parent)}:{block.lineno} {block.fullname} "
                             f"({rank} {block.complexity})")
    return found


def too_long(root: Path, limit: int = MAX_LINES) -> list[str]:
    return [f"{p.relative_to(root.parent)} ({n} lines)" for p in _modules(root)
            if (n := len(p.read_text("utf-8").splitlines())) > limit]


def shared_names(root: Path) -> dict[str, list[str]]:
    """Module names (but `__init__`) and public top-level class names used more than once."""
    names: dict[str, list[str]] = defaultdict(list)
    for path in _modules(root):
        where = str(path.relative_to(root.parent))
        if path.name != "__init__.py":
            names[f"module {path.stem}"].append(where)
        for node in ast.parse(path.read_text("utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                names[f"class {node.name}"].append(where)
    return {name: places for name, places in names.items() if len(places) > 1}


# --- the guards on mailbot/ --------------------------------------------------------------------

def test_no_function_is_graded_d_or_worse():
    assert graded(ROOT, "DEF") == []


def test_at_most_fifty_functions_are_graded_c():
    found = graded(ROOT, "C")
    assert len(found) <= MAX_C, "\n".join(found)


def test_no_module_passes_eight_hundred_lines():
    assert too_long(ROOT) == []


def test_no_two_modules_or_public_classes_share_a_name():
    assert shared_names(ROOT) == {}


# --- each guard fails on a planted case -------------------------------------------------------

def _branchy(name: str, branches: int) -> str:
    """A function of `branches` + 1 cyclomatic complexity."""
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(branches))
    return f"def {name}(x):\n{body}    return -1\n"


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    root = tmp_path / "mailbot"
    (root / "core").mkdir(parents=True)
    (root / "io").mkdir()
    (root / "__init__.py").write_text("")
    return root


def test_the_d_guard_finds_a_planted_d_function(planted):
    (planted / "core" / "grab.py").write_text(_branchy("decide", 22) + _branchy("small", 3))
    assert graded(planted, "DEF") == ["mailbot/core/grab.py:1 decide (D 23)"]


def test_the_c_guard_counts_planted_c_functions(planted):
    (planted / "core" / "many.py").write_text("".join(_branchy(f"f{i}", 12) for i in range(MAX_C + 1)))
    assert len(graded(planted, "C")) == MAX_C + 1 > MAX_C


def test_the_size_guard_finds_a_planted_long_module(planted):
    (planted / "io" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (planted / "io" / "short.py").write_text("x = 1\n" * MAX_LINES)
    assert too_long(planted) == [f"mailbot/io/long.py ({MAX_LINES + 1} lines)"]


def test_the_name_guard_finds_planted_twins(planted):
    (planted / "core" / "outbox.py").write_text("class History:\n    pass\n\nclass _Private:\n    pass\n")
    (planted / "io" / "outbox.py").write_text("class History:\n    pass\n\nclass _Private:\n    pass\n")
    assert shared_names(planted) == {"module outbox": ["mailbot/core/outbox.py", "mailbot/io/outbox.py"],
                                     "class History": ["mailbot/core/outbox.py", "mailbot/io/outbox.py"]}

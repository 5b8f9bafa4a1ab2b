"""The architecture holds: the core (`mailbot/core`) takes facts and returns decisions.

Nothing the core imports at run time reads configuration files, talks to a server, a
database or a template engine; only the shells (`mailbot/io`, the daemon, the CLI) do.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parent.parent / "mailbot" / "core"
MODULES = sorted(p.stem for p in CORE.glob("*.py") if p.stem != "__init__")
# What the core must never import itself (at run time: imports under TYPE_CHECKING are types only).
FORBIDDEN = (
    "mailbot.config", "mailbot.io", "mailbot.daemon", "mailbot.pipeline", "mailbot.cli", "mailbot.reports",
    "mailbot.timekeeper", "mailbot.views", "sqlite3", "sqlite_utils", "imapclient", "aiosmtplib", "smtplib",
    "imaplib", "jinja2", "structlog", "yaml", "socket", "subprocess", "requests", "schedule", "os", "shutil",
)
# What must not even be loaded, indirectly, by importing every core module.
NOT_LOADED = ("mailbot.config", "mailbot.io", "mailbot.daemon", "mailbot.pipeline", "sqlite3", "sqlite_utils",
              "imapclient", "aiosmtplib", "jinja2", "structlog", "yaml", "schedule")


def runtime_imports(path: Path) -> list[str]:
    """Modules a file imports outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def banned(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def test_the_core_has_its_modules() -> None:
    """The layout the README shows: the state machine, its inputs and its outputs."""
    for name in ("model", "lifecycle", "classify", "trust", "plan", "deadlines", "worktime", "commands", "matching"):
        assert name in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_core_module_imports_no_shell(module: str) -> None:
    imports = runtime_imports(CORE / f"{module}.py")
    assert [name for name in imports if banned(name, FORBIDDEN)] == []


def test_runtime_imports_sees_what_is_imported() -> None:
    """The checker itself: an import in a function counts, one under TYPE_CHECKING does not."""
    source = Path(__file__).parent / "data" / "layout_probe.py"
    assert runtime_imports(source) == ["__future__", "os", "typing", "sqlite3", "mailbot.io"]


def test_importing_the_whole_core_loads_no_shell_library() -> None:
    """Indirectly too: the core's imports (parsers, rules types) pull in no I/O library."""
    code = ("import sys\n" + "".join(f"import mailbot.core.{m}\n" for m in MODULES)
            + "print('\\n'.join(sorted(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert [name for name in loaded if banned(name, NOT_LOADED)] == []

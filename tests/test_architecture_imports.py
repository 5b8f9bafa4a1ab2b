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
    "mailbot.config", "mailbot.io", "mailbot.daemon", "mailbot.flow", "mailbot.cli", "mailbot.reports", "mailbot.web",
    "sqlite3", "sqlite_utils", "imapclient", "aiosmtplib", "smtplib",
    "imaplib", "jinja2", "structlog", "yaml", "socket", "subprocess", "requests", "schedule", "os", "shutil",
)
# What must not even be loaded, indirectly, by importing every core module.
NOT_LOADED = ("mailbot.config", "mailbot.io", "mailbot.daemon", "mailbot.flow", "sqlite3", "sqlite_utils",
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
    for name in ("lifecycle", "classify", "trust", "plan", "deadlines", "worktime", "commands", "matching"):
        assert name in MODULES


@pytest.mark.parametrize("module", MODULES)
def test_core_module_imports_no_shell(module: str) -> None:
    imports = runtime_imports(CORE / f"{module}.py")
    assert [name for name in imports if banned(name, FORBIDDEN)] == []


VALUES = ("model", "settings", "errors", "version", "exit_codes")  # the modules at mailbot/'s root: the bottom layer


@pytest.mark.parametrize("module", VALUES)
def test_the_values_import_nothing_of_mailbot_but_errors(module: str) -> None:
    """The values sit under everything (the core and the parsers build on them), so they
    import no part of mailbot but `errors`, and no shell library (types only aside)."""
    imports = runtime_imports(CORE.parent / f"{module}.py")
    assert [name for name in imports if name.startswith("mailbot") and name != "mailbot.errors"] == []
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


# --- the house: no import circle anywhere --------------------------------------

PACKAGE = CORE.parent


def module_names(root: Path) -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    found = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Which of the package's modules each module imports: at run time, in a function or
    only for types under TYPE_CHECKING alike (a type-only import is still a dependency the
    reader follows); `from a import b` counts as importing the module a.b where there is one."""
    modules = module_names(root)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                graph[name].update(alias.name for alias in node.names if alias.name in modules)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    if target in modules:
                        graph[name].add(target)
                    elif base in modules:
                        graph[name].add(base)
        graph[name].discard(name)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for other in graph[todo.pop()] - seen:
            seen.add(other)
            todo.append(other)
    return seen


def test_the_circle_finder_finds_a_circle_through_a_type_only_import(tmp_path: Path) -> None:
    """The checker itself: a -> b at run time, b -> a only for types is a circle; c is none."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from pkg.b import g\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n")
    (pkg / "c.py").write_text("from . import a\n")
    assert circles(import_graph(pkg)) == [["pkg.a", "pkg.b"]]


def test_no_import_circle_anywhere_in_mailbot() -> None:
    assert circles(import_graph(PACKAGE)) == []


def test_reports_import_nothing_of_the_daemon_the_service_or_the_sender() -> None:
    """A report needs the store, the calendar and the renderer; the daemon, its service and
    its sender start reports, never the other way round (not even through another module)."""
    graph = import_graph(PACKAGE)
    for name in (n for n in graph if n.startswith("mailbot.reports")):
        assert {n for n in reachable(graph, name) if n.startswith("mailbot.daemon")} == set(), name


# --- the house: io/ fetches and writes, the core decides ------------------------

IO = PACKAGE / "io"
# The core's deciders: what happens to a message, a ticket, its mail or its timers. Value
# types, constants, parsers and the pure predicates a read uses to know what to fetch
# (`lifecycle.not_an_answer`, `classify.short_numbers`, `recipients.internal`) stay importable.
DECIDERS: dict[str, frozenset[str]] = {
    "mailbot.core.classify": frozenset({"classify"}),  # the message's role, ticket and event
    "mailbot.core.closing": frozenset({"closing", "after_closing"}),  # what a requester's answer means
    "mailbot.core.matching": frozenset({"resolve"}),  # which ticket a message belongs to
    "mailbot.core.trust": frozenset({"trust_of", "authenticate"}),  # whether its sender may act (SPEC 9)
    "mailbot.core.lifecycle": frozenset({"decide", "unproven", "row_for",  # the table and its refusals
                                         "escalation_refused", "info_refused"}),  # SMTP's refusal for good
    "mailbot.core.plan": frozenset({"plan", "refused_back"}),  # which mail goes, to whom
    "mailbot.core.schedule": frozenset({"schedule"}),  # when it goes under the loop limits
    "mailbot.core.deadlines": frozenset({"plan", "fire"}),  # the timers a change starts, what a due one does
}


def decider_imports(path: Path) -> list[str]:
    """The deciders a file uses at run time (not under TYPE_CHECKING): imported by name
    (`from mailbot.core.plan import plan`), or through their module (`from mailbot.core
    import lifecycle` then `lifecycle.decide`, `import mailbot.core.plan` then `mailbot.core.plan.plan`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    modules: dict[str, str] = {}  # the name a decider's module is bound to -> the module

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                whole = f"{node.module}.{alias.name}"
                if alias.name in DECIDERS.get(node.module, ()):
                    found.append(whole)
                elif whole in DECIDERS:
                    modules[alias.asname or alias.name] = whole
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in DECIDERS:
                    modules[alias.asname or alias.name] = alias.name
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (module := modules.get(ast.unparse(node.value))) is not None \
                and node.attr in DECIDERS[module]:
            found.append(f"{module}.{node.attr}")
    return found


def test_io_imports_no_decision_the_core_owns(tmp_path: Path) -> None:
    """"the house": a shell under `mailbot/io` fetches what a decision needs and writes
    what was decided; the deciding is the core's, called by the pipeline, the timekeeper and
    `notices`, or handed to a shell at wiring time (the outbox's `refused`). The checker itself
    flags a decider imported by name or through its module, not one imported for types only."""
    import importlib

    for module, names in DECIDERS.items():  # the list names what is there
        assert all(callable(getattr(importlib.import_module(module), n, None)) for n in names), module
    probe = tmp_path / "probe.py"
    probe.write_text("from typing import TYPE_CHECKING\n"
                     "from mailbot.core.lifecycle import Decision, decide, not_an_answer\n"
                     "from mailbot.core import plan as planning\n"
                     "import mailbot.core.trust\n"
                     "if TYPE_CHECKING:\n"
                     "    from mailbot.core.classify import classify\n"
                     "def f():\n"
                     "    from mailbot.core.deadlines import plan as timers\n"
                     "    return planning.plan, planning.History, mailbot.core.trust.trust_of, timers\n")
    assert sorted(decider_imports(probe)) == ["mailbot.core.deadlines.plan", "mailbot.core.lifecycle.decide",
                                              "mailbot.core.plan.plan", "mailbot.core.trust.trust_of"]
    found = {str(path.relative_to(PACKAGE.parent)): used for path in sorted(IO.rglob("*.py"))
             if (used := decider_imports(path))}
    assert found == {}


def test_the_window_reaches_nothing_of_the_daemon_the_service_or_the_sender() -> None:
    """`mailbot web` is a process of its own; whatever fails there never touches the
    daemon, and it cannot start the daemon's parts (not even through another module)."""
    graph = import_graph(PACKAGE)
    window = [n for n in graph if n.startswith("mailbot.web")]
    assert "mailbot.web.app" in window and "mailbot.web.serve" in window
    for name in window:
        assert {n for n in reachable(graph, name) if n.startswith("mailbot.daemon")} == set(), name

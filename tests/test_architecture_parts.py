"""No part sets another part's state: the wiring root (`daemon.App`) builds the parts and
hands each what it uses; afterwards each part changes only its own fields.

A part that assigned another's attributes (`app.notify = ...` from the sender,
`app.fatal = ...` from the service, `timekeeper.beat = ...`) made the wiring impossible to
read from one place: who sets what, and when, was spread over the modules. The rule: in
mailbot/, no function assigns an attribute of
- `self.<x>` (a value the object holds, not itself), unless `<x>` is the object's own
  `threading.local()`;
- one of its parameters annotated with a part's type, or a local name bound to a part
  (made here, `app = App(cfg)`, or taken from `self`, `app = self.app`).
"""

from __future__ import annotations

import ast
from pathlib import Path

MAILBOT = Path(__file__).resolve().parent.parent / "mailbot"
# The daemon's parts: what the wiring root builds and hands around.
PARTS = frozenset({
    "App", "Service", "MailboxWatcher", "SenderProcess", "SendingLoop", "Passes", "Alerts", "Health", "Signals",
    "Pipeline", "Timekeeper", "Outbox", "Store", "Composer", "Notifier", "Archive", "Renderer", "Recovery",
    "Auditor", "Watchdog",
})


def _thread_locals(cls: ast.ClassDef) -> set[str]:
    """The attributes a class binds to its own `threading.local()`."""
    return {t.attr for node in ast.walk(cls) if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call) and ast.unparse(node.value.func).endswith("local")
            for t in node.targets if isinstance(t, ast.Attribute)}


def _part_type(annotation: ast.expr | None) -> bool:
    if annotation is None:
        return False
    text = ast.unparse(annotation).strip("'\"")
    return any(name in PARTS for name in text.replace("|", " ").replace(".", " ").split())


def _assigned(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    else:
        return []
    return [el for t in targets for el in (t.elts if isinstance(t, ast.Tuple) else [t])]


def _function_findings(fn: ast.FunctionDef | ast.AsyncFunctionDef, own_locals: set[str]) -> list[tuple[int, str]]:
    args = fn.args
    parts = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs) if _part_type(a.annotation)}
    for node in ast.walk(fn):  # local names bound to a part: `app = App(cfg)`, `app = self.app`
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            made = isinstance(value, ast.Call) and ast.unparse(value.func).split(".")[-1] in PARTS
            held = isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name) and value.value.id == "self"
            if made or held:
                parts.add(node.targets[0].id)
    found = []
    for node in ast.walk(fn):
        for target in _assigned(node):
            if not isinstance(target, ast.Attribute):
                continue
            owner = target.value
            held = (isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name)
                    and owner.value.id == "self" and owner.attr not in own_locals)
            if held or (isinstance(owner, ast.Name) and owner.id in parts):
                found.append((target.lineno, ast.unparse(target)))
    return found


def foreign_assignments(source: str) -> list[tuple[int, str]]:
    """(line, target) of every assignment to another part's attribute in `source`."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, own_locals: set[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                visit(child, _thread_locals(child))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.extend(_function_findings(child, own_locals))
            else:
                visit(child, own_locals)

    visit(tree, set())
    return sorted(set(found))


def test_no_part_assigns_another_parts_attributes() -> None:
    found = [f"{path.relative_to(MAILBOT.parent)}:{line}: {target}"
             for path in sorted(MAILBOT.rglob("*.py")) for line, target in foreign_assignments(path.read_text())]
    assert found == [], "a part sets another's state; hand it what it needs when wiring instead:\n" + "\n".join(found)


def test_the_rule_finds_what_the_daemon_did_before() -> None:
    """The assignments the daemon made before the wiring root, each found."""
    source = '''
class Service:
    def config_refused(self, why: str) -> None:
        self.app.fatal = why

    def run(self) -> None:
        app = self.app
        app.notify, app.beat = self.notify, self.watchdog.beat

def serve(app: App, wake_fd: int) -> None:
    app.alerting = False

def main() -> None:
    app = App(cfg)
    app.reload_requested, app.reload = hangup, checked
'''
    assert sorted(target for _, target in foreign_assignments(source)) == sorted([
        "self.app.fatal", "app.notify", "app.beat", "app.alerting", "app.reload_requested", "app.reload"])


def test_the_rule_leaves_own_state_and_values_alone() -> None:
    """A part's own fields, its thread-locals, and plain values a function builds are its own."""
    source = '''
import threading
class Archive:
    def __init__(self) -> None:
        self._local = threading.local()
        self.root = None

    def batch(self) -> None:
        self._local.pending = set()
        self.root = "x"

def tally(result: FlushResult) -> None:
    step = Step()
    step.ticket = None
    result.sent += 1
'''
    assert foreign_assignments(source) == []


def test_no_two_modules_share_a_name() -> None:
    """A module's name says what it holds, once: `audit.py`, `model.py` and `daemon/service.py`
    each stood in two places, and a reader or a traceback could not tell them
    apart. Package `__init__` and `__main__` excepted, and the store's parts (`io/store/`),
    each named by the record it keeps and read as `store.<name>`."""
    seen: dict[str, list[str]] = {}
    for path in sorted(MAILBOT.rglob("*.py")):
        if path.stem not in ("__init__", "__main__") and path.parent.name != "store":
            seen.setdefault(path.stem, []).append(str(path.relative_to(MAILBOT.parent)))
    assert {name: where for name, where in seen.items() if len(where) > 1} == {}

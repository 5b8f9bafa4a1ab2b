"""Mutation score of the pure decision modules, with the mutants mutmut generates.

mutmut 3 writes every mutant of `lifecycle.py`, `matching.py`, `commands.py` and
`trust.py` into `mutants/` (switched by MUTANT_UNDER_TEST) and records which tests
reach each function. Its own runner forks one long-lived process per mutant; on this
code base that reported mutants as surviving that a clean test run kills (a forked
child reuses what the parent computed), so this script runs each mutant's tests in a
fresh process instead and counts: killed, survived, no test reaches it.

Setup (once, in a scratch copy of the repository, never in the working tree):
    python -m venv --system-site-packages /tmp/mm && /tmp/mm/bin/pip install mutmut==3.3.1
    # pyproject: [tool.mutmut] paths_to_mutate = ["mailbot/"], do_not_mutate = every other
    # module, tests_dir = the pure tests (tests/test_lifecycle.py, test_tokens_matching_commands.py,
    # test_ladder_core.py, test_authres.py, test_trust_spec.py, test_matching_spec.py)
    # mutmut's wheel ships a top-level `tests` package: remove /tmp/mm/lib/python3*/site-packages/tests,
    # or it shadows ours; and create mutants/ before the run, or the PYTHONPATH entry is cached as missing
    mkdir -p mutants && PYTHONPATH=$PWD/mutants /tmp/mm/bin/mutmut run   # generates mutants/ and its stats
Run: python bench/mutation_score.py /path/to/scratch/mutants [workers]
Prints the score per module and the surviving mutants.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MODULES = ("mailbot.core.lifecycle", "mailbot.core.matching", "mailbot.core.commands", "mailbot.core.trust")


def mutants_of(root: Path) -> list[str]:
    names = []
    for module in MODULES:
        meta = root / (module.replace(".", "/") + ".py.meta")
        names += sorted(json.loads(meta.read_text())["exit_code_by_key"])
    return names


def function_of(mutant: str) -> str:
    return re.sub(r"__mutmut_\d+$", "", mutant)


def verdict(root: Path, mutant: str, tests: list[str]) -> str:
    if not tests:
        return "no tests"
    env = dict(os.environ, MUTANT_UNDER_TEST=mutant, PYTHONPATH=str(root))
    try:
        result = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--rootdir=.",
                                 *sorted(set(tests))], cwd=root, env=env, capture_output=True, timeout=TIMEOUT,
                                check=False)
    except subprocess.TimeoutExpired:
        return "killed"  # the mutant made the tests hang: detected, as mutmut counts a timeout
    return "survived" if result.returncode == 0 else "killed"


TIMEOUT = 120  # seconds; the clean run of the most-reached function's tests takes under 10


def main() -> None:
    root = Path(sys.argv[1]).resolve()
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    tests = json.loads((root / "mutmut-stats.json").read_text())["tests_by_mangled_function_name"]
    names = mutants_of(root)
    started = time.monotonic()
    done_file = root / "verdicts.json"  # kept as they come, so an interrupted run resumes
    verdicts: dict[str, str] = json.loads(done_file.read_text()) if done_file.exists() else {}
    lock = threading.Lock()

    def judge(mutant: str) -> None:
        result = verdict(root, mutant, tests.get(function_of(mutant), []))
        with lock:
            verdicts[mutant] = result
            done_file.write_text(json.dumps(verdicts))

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(judge, [m for m in names if m not in verdicts]))
    verdicts = {m: verdicts[m] for m in names}
    print(f"{'module':<26} {'mutants':>8} {'killed':>7} {'survived':>9} {'no test':>8} {'score':>7}")
    for module in (*MODULES, "all"):
        mine = [v for m, v in verdicts.items() if module == "all" or m.startswith(module + ".")]
        count = Counter(mine)
        tested = count["killed"] + count["survived"]
        score = count["killed"] / len(mine) if mine else 0.0
        print(f"{module:<26} {len(mine):>8} {count['killed']:>7} {count['survived']:>9} {count['no tests']:>8} "
              f"{score:>7.1%}  (of reached: {count['killed'] / tested if tested else 0:.1%})")
    print(f"({time.monotonic() - started:.0f} s)")
    for mutant, result in verdicts.items():
        if result != "killed":
            print(f"{result}: {mutant}")


if __name__ == "__main__":
    main()

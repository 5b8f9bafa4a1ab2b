"""The code is typed as pyproject.toml's `[tool.mypy]` says (`strict = true`): mypy finds
nothing to say about `mailbot/`.

mypy is in the test extras (scripts/setup installs them, and CI always runs them); where it
is missing outside CI the check skips, in CI it fails.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_is_strict() -> None:
    """A plain `mypy mailbot` is the strict check, not only this test."""
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert mypy["strict"] is True


def test_mypy_strict_finds_nothing(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        if os.environ.get("CI"):
            pytest.fail("mypy is not installed in CI (it is in the test extras: pip install -e '.[test]')")
        pytest.skip("mypy is not installed (it is in the test extras: pip install -e '.[test]')")
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "mailbot"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"mypy --strict over mailbot/:\n{done.stdout[-6000:]}{done.stderr[-2000:]}"

"""The line length pyproject.toml sets (`[tool.ruff] line-length`) is the one the code keeps:
ruff's E501 over mailbot/, tests/ and bench/ finds no longer line.

ruff is in the test extras (scripts/setup installs them); where it is missing the check skips.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("mailbot", "tests", "bench")


def test_ruff_checks_the_line_length() -> None:
    """A plain `ruff check` reports a long line too, not only this test."""
    ruff = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]
    assert "E501" in ruff["lint"]["extend-select"]
    assert ruff["line-length"] == 120


def test_no_line_is_longer_than_the_configured_length() -> None:
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (it is in the test extras: pip install -e '.[test]')")
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "E501", "--output-format", "concise",
         *CHECKED],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, (
        f"lines longer than pyproject.toml's [tool.ruff] line-length:\n{done.stdout}{done.stderr}")

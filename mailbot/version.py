"""Which mailbot this is: the version `--version` prints, the daemon logs at start and the
database keeps as the one that last wrote it (meta `written_by`).

The version is the code's place in git, made by setuptools-scm: `0.1.devN+gHASH`, N the
commits so far and HASH the commit (`.dYYYYMMDD` added for uncommitted changes), so it
changes with every commit that lands and `git log OLD..NEW` says what changed between
two. An installed mailbot (`scripts/install`, pip) carries the version it was built at
(`mailbot/_version.py`, written by the build, never committed). A checkout run in place
(the editable `.venv` of `scripts/setup`) asks git, so its version follows the commit
checked out, not the one the virtualenv was made at. Neither: `0+unknown`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNKNOWN = "0+unknown"


@lru_cache(maxsize=1)
def current() -> str:
    """This mailbot's version (asked once per process)."""
    return from_checkout(ROOT) or _built() or UNKNOWN


def from_checkout(root: Path) -> str | None:
    """The version of the git checkout at `root` that mailbot runs from, or None when it does
    not run from one (an install) or setuptools-scm is not there to read it."""
    if not (root / ".git").exists() or not (root / "pyproject.toml").is_file():
        return None
    try:
        from setuptools_scm import get_version
    except ImportError:
        return None
    try:
        return str(get_version(root=str(root)))
    except Exception:  # noqa: BLE001 - no git on the host, a broken checkout: the build's version then
        return None


def _built() -> str | None:
    """The version the installed package was built at."""
    try:
        module = importlib.import_module("mailbot._version")
        return str(module.version)
    except (ImportError, AttributeError):
        pass
    try:
        return importlib.metadata.version("mailbot")
    except importlib.metadata.PackageNotFoundError:
        return None

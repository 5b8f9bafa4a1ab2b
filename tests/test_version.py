"""Releases: the version changes with what lands, and says which commit runs.

`mailbot --version` in this checkout names the commit checked out; a scratch git
repository with this project's pyproject.toml shows two commits giving two versions;
without git it falls back. The daemon logs it at start and the database keeps the
version that last wrote it (meta `written_by`). The installed package's version is
checked in tests/test_install.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailbot.cli import main as cli
from mailbot.io.store import Store
from mailbot.version import from_checkout

ROOT = Path(__file__).resolve().parents[1]


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True,
                          timeout=60).stdout.strip()


def scratch_repo(tmp_path: Path) -> Path:
    """A git repository with this project's build configuration and one commit."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    (repo / "mailbot").mkdir()
    (repo / "mailbot" / "__init__.py").write_text("")
    git(repo, "init", "-q")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t.test", "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t.test", "commit", "-q", "-m", "first")
    return repo


def test_two_commits_give_two_versions_each_naming_its_commit(tmp_path):
    """A commit that lands changes the version; each version names its commit."""
    repo = scratch_repo(tmp_path)
    first = from_checkout(repo)
    (repo / "mailbot" / "__init__.py").write_text('"""A user-visible change."""\n')
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t.test", "commit", "-q", "-am", "second")
    second = from_checkout(repo)
    assert first is not None and second is not None and first != second
    assert re.fullmatch(r"0\.1\.dev1\+g[0-9a-f]{7,}", first)
    assert re.fullmatch(r"0\.1\.dev2\+g[0-9a-f]{7,}", second)
    assert git(repo, "rev-parse", "HEAD").startswith(second.split("+g")[1])


def test_uncommitted_changes_are_marked(tmp_path):
    """A tree with changes not committed is not the commit it names: its version says so."""
    repo = scratch_repo(tmp_path)
    (repo / "mailbot" / "__init__.py").write_text("changed = True\n")
    version = from_checkout(repo)
    assert version is not None and re.search(r"\+g[0-9a-f]{7,}\.d\d{8}$", version)


def test_a_tag_names_the_release(tmp_path):
    """A release tag v0.2.0 on the commit: the version is 0.2.0; the next commit 0.2.1.dev1."""
    repo = scratch_repo(tmp_path)
    git(repo, "tag", "v0.2.0")
    assert from_checkout(repo) == "0.2.0"
    (repo / "mailbot" / "__init__.py").write_text('"""next"""\n')
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t.test", "commit", "-q", "-am", "next")
    assert re.fullmatch(r"0\.2\.1\.dev1\+g[0-9a-f]{7,}", from_checkout(repo) or "")


def test_no_git_is_no_checkout_version(tmp_path):
    """A copy without .git (a tarball) is not read as a checkout: the build's version stands."""
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    assert from_checkout(tmp_path) is None


def test_version_names_the_commit_checked_out(capsys):
    """`mailbot --version` from this checkout names its HEAD commit, also as `python -m mailbot`."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    assert cli.main(["--version"]) == 0
    printed = capsys.readouterr().out.strip()
    match = re.fullmatch(r"mailbot (\S+\+g([0-9a-f]{7,})(?:\.d\d{8})?)", printed)
    assert match, printed
    assert git(ROOT, "rev-parse", "HEAD").startswith(match[2])
    done = subprocess.run([sys.executable, "-m", "mailbot", "--version"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, printed)


def test_the_database_keeps_the_version_that_last_wrote_it(tmp_path):
    """meta `written_by`: set when a mailbot opens the database to write."""
    from mailbot.version import current

    store = Store(tmp_path / "mailbot.db")
    assert store.versions.written_by() == current()
    store.close()
    conn = __import__("sqlite3").connect(tmp_path / "mailbot.db")
    conn.execute("update meta set value = '0.1.dev1+gabcdef0' where key = 'written_by'")
    conn.commit()
    conn.close()
    store = Store(tmp_path / "mailbot.db")
    assert store.versions.written_by() == current()
    store.close()

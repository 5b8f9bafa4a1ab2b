"""systemd/mailbot.service: `systemd-analyze verify` and `systemd-analyze security`.

Both run on a copy of the unit whose ExecStart= names this test run's Python with
`-m mailbot run`: verify insists that the binary exists, and /opt/mailbot exists
only on an installed host. Everything else in the copy is the file as shipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "systemd" / "mailbot.service"


@pytest.fixture(scope="module")
def analyze() -> str:
    """systemd-analyze, or a skip (a failure in CI, where scripts/setup installs it)."""
    found = shutil.which("systemd-analyze")
    if found:
        return found
    reason = "systemd-analyze is not installed (apt-get install systemd; scripts/setup does it)"
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def unit_copy(tmp_path: Path) -> Path:
    text = UNIT.read_text()
    assert "\nExecStart=/opt/mailbot/bin/mailbot run\n" in text
    copy = tmp_path / "mailbot.service"
    copy.write_text(text.replace("ExecStart=/opt/mailbot/bin/mailbot run",
                                 f"ExecStart={sys.executable} -m mailbot run"))
    return copy


def settings() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_unit_verifies(analyze, unit_copy):
    """`systemd-analyze verify` finds nothing to say about the unit, read alone: the unit
    path is the copy's folder only (with the one target every service orders after), so
    a faulty unit of some other package on the host cannot fail it."""
    (unit_copy.parent / "sysinit.target").write_text("[Unit]\nDescription=System Initialization (stand-in)\n")
    env = {**os.environ, "SYSTEMD_UNIT_PATH": str(unit_copy.parent)}
    done = subprocess.run([analyze, "verify", str(unit_copy)], capture_output=True, text=True, timeout=120,
                          check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr


def test_unit_exposure_is_at_most_2(analyze, unit_copy):
    """`systemd-analyze security --offline=yes` rates the sandbox 2.0 or better."""
    done = subprocess.run([analyze, "security", "--offline=yes", "--no-pager", str(unit_copy)],
                          capture_output=True, text=True, timeout=120, check=False)
    match = re.search(r"Overall exposure level for mailbot\.service: (\d+\.\d+)", done.stdout)
    assert match, done.stdout + done.stderr
    assert float(match.group(1)) <= 2.0, done.stdout


def test_unit_runs_the_daemon_the_operations_way():
    """No ExecStartPre; private data and secrets the systemd way; a stop that waits."""
    unit = settings()
    assert "ExecStartPre" not in unit  # `check` must not keep a unit with a server down from starting
    assert unit["ExecStart"] == ["/opt/mailbot/bin/mailbot run"]
    assert unit["Type"] == ["notify"] and unit["StateDirectory"] == ["mailbot"] and unit["UMask"] == ["0077"]
    assert unit["LoadCredential"] == ["imap:/etc/mailbot/credentials/imap", "smtp:/etc/mailbot/credentials/smtp"]
    assert unit["Environment"] == ["MAILBOT_CONFIG=/etc/mailbot/config.yaml"]
    assert int(unit["TimeoutStopSec"][0]) >= 60 and "WatchdogSec" in unit
    assert "78" in unit["RestartPreventExitStatus"][0].split()


def test_unit_caps_the_memory_with_headroom_over_the_worst_crafted_message():
    """A MemoryMax= that leaves room over the 300 MB a crafted message may take."""
    value = settings()["MemoryMax"][0]
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    size = int(value[:-1]) * units[value[-1]] if value[-1] in units else int(value)
    assert 3 * 300 * 2**20 <= size <= 4 * 2**30


# --- every documented setup has what it needs from the unit -----------------

OPTIONS = ROOT / "systemd" / "options"
# The secrets the docs have the config read from $CREDENTIALS_DIRECTORY (the unit
# loaded imap and smtp only): each must be loaded by the unit or by one of its drop-ins.
DOCUMENTED_CREDENTIALS = {"imap", "smtp", "database", "oauth-secret", "oauth-cert.pem"}
DROP_INS = {"database-password.conf", "oauth-secret.conf", "oauth-cert.conf", "shared-archive.conf",
            "web-database-password.conf"}  # the last for mailbot-web.service: the window's own role


def _documents() -> dict[Path, str]:
    pages = [ROOT / "README.md", ROOT / "config.example.yaml", *sorted((ROOT / "docs").rglob("*.md"))]
    return {page: page.read_text(encoding="utf-8") for page in pages}


def _load_credentials(text: str) -> dict[str, str]:
    """LoadCredential=ID:PATH lines of a unit or drop-in, as {ID: PATH}."""
    found = {}
    for line in text.splitlines():
        if line.startswith("LoadCredential="):
            ident, _, path = line.removeprefix("LoadCredential=").partition(":")
            found[ident] = path
    return found


def _provided() -> dict[str, tuple[str, str]]:
    """{credential ID: (where it is loaded from, the file that loads it)}: the unit, its shipped
    drop-ins, and the drop-ins of the operator's own that install.md writes out whole (a second
    mailbox's password: ```ini blocks headed by the drop-in's path)."""
    provided = {ident: (path, UNIT.name) for ident, path in _load_credentials(UNIT.read_text()).items()}
    for drop_in in sorted(OPTIONS.glob("*.conf")):
        for ident, path in _load_credentials(drop_in.read_text()).items():
            provided[ident] = (path, drop_in.name)
    install = (ROOT / "docs" / "operator" / "install.md").read_text(encoding="utf-8")
    for block in re.findall(r"```ini\n(# /etc/systemd/system/\S+\.conf)\n(.*?)```", install, re.DOTALL):
        for ident, path in _load_credentials(block[1]).items():
            provided[ident] = (path, block[0].removeprefix("# "))
    return provided


def test_every_credential_the_docs_name_is_loaded_by_the_unit_or_a_drop_in():
    """Each `${CREDENTIALS_DIRECTORY}/NAME` of the README, the example config and the guides
    is a credential the unit or a shipped drop-in loads, from /etc/mailbot/credentials/NAME,
    and each drop-in is named in the guides, so an operator finds the one their setup needs."""
    docs = _documents()
    named: dict[str, set[str]] = {}
    for page, text in docs.items():
        for name in re.findall(r"\$\{CREDENTIALS_DIRECTORY\}/([\w.-]*\w)", text):
            if name != "NAME":  # the guides' placeholder for any of them
                named.setdefault(name, set()).add(str(page.relative_to(ROOT)))
    assert DOCUMENTED_CREDENTIALS <= set(named), named  # the docs' setups were all read
    provided = _provided()
    missing = {name: pages for name, pages in named.items() if name not in provided}
    assert not missing, f"named by the docs, loaded by neither the unit nor a drop-in: {missing}"
    for name in named:
        assert provided[name][0] == f"/etc/mailbot/credentials/{name}", provided[name]
    # every secret file the docs tell the operator to write under /etc/mailbot/credentials is loaded
    written = {name for text in docs.values() for name in re.findall(r"/etc/mailbot/credentials/([\w.-]*\w)", text)}
    assert written <= set(provided), written - set(provided)
    guides = "\n".join(docs.values())
    assert {p.name for p in OPTIONS.glob("*.conf")} == DROP_INS
    for drop_in in DROP_INS:
        assert drop_in in docs[ROOT / "docs" / "operator" / "install.md"] and drop_in in guides, drop_in


def test_the_shared_archive_drop_in_opens_a_folder_outside_the_state_directory():
    """ProtectSystem=strict leaves mailbot only /var/lib/mailbot to write: the shared-archive
    drop-in opens the archive folder several-hosts.md names and waits for its mount."""
    assert settings()["ProtectSystem"] == ["strict"]
    text = (OPTIONS / "shared-archive.conf").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert lines == ["[Unit]", "RequiresMountsFor=/srv/mailbot-archive", "[Service]",
                     "ReadWritePaths=/srv/mailbot-archive"]
    assert "/srv/mailbot-archive" in (ROOT / "docs" / "operator" / "several-hosts.md").read_text()


def _verify_with(analyze: str, unit_copy: Path, drop_in: str, text: str) -> subprocess.CompletedProcess:
    (unit_copy.parent / "sysinit.target").write_text("[Unit]\nDescription=System Initialization (stand-in)\n")
    folder = unit_copy.parent / "mailbot.service.d"
    folder.mkdir(exist_ok=True)
    (folder / drop_in).write_text(text)
    env = {**os.environ, "SYSTEMD_UNIT_PATH": str(unit_copy.parent)}
    return subprocess.run([analyze, "verify", str(unit_copy)], capture_output=True, text=True, timeout=120,
                          check=False, env=env)


@pytest.mark.parametrize("drop_in", sorted(DROP_INS))
def test_each_documented_drop_in_verifies(analyze, unit_copy, drop_in):
    """`systemd-analyze verify` reads the unit with the drop-in in mailbot.service.d/ (as
    /etc/systemd/system/mailbot.service.d/ on a host) and finds nothing to say."""
    done = _verify_with(analyze, unit_copy, drop_in, (OPTIONS / drop_in).read_text())
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr


def test_verify_reads_the_drop_in_folder(analyze, unit_copy):
    """The check above reads the drop-ins: a misspelt key and a credential name systemd
    refuses in one are reported, naming the drop-in."""
    done = _verify_with(analyze, unit_copy, "typo.conf",
                        "[Service]\nLoadCredentials=database:/etc/mailbot/credentials/database\n"
                        "LoadCredential=data/base:/etc/mailbot/credentials/database\n")
    assert "typo.conf:2: Unknown key" in done.stderr and "typo.conf:3: Credential name" in done.stderr, done.stderr


# --- the window's unit: hardened as the daemon's --------------------------------

WEB_UNIT = ROOT / "systemd" / "mailbot-web.service"


@pytest.fixture
def web_copy(tmp_path: Path) -> Path:
    text = WEB_UNIT.read_text()
    assert "\nExecStart=/opt/mailbot/bin/mailbot web\n" in text
    copy = tmp_path / "mailbot-web.service"
    copy.write_text(text.replace("ExecStart=/opt/mailbot/bin/mailbot web",
                                 f"ExecStart={sys.executable} -m mailbot web"))
    return copy


def test_the_web_unit_verifies(analyze, web_copy):
    (web_copy.parent / "sysinit.target").write_text("[Unit]\nDescription=System Initialization (stand-in)\n")
    (web_copy.parent / "mailbot.service").write_text("[Unit]\nDescription=mailbot (stand-in)\n[Service]\n"
                                                     "ExecStart=/bin/true\n")
    env = {**os.environ, "SYSTEMD_UNIT_PATH": str(web_copy.parent)}
    done = subprocess.run([analyze, "verify", str(web_copy)], capture_output=True, text=True, timeout=120,
                          check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr


def test_the_web_unit_exposure_is_at_most_2(analyze, web_copy):
    done = subprocess.run([analyze, "security", "--offline=yes", "--no-pager", str(web_copy)],
                          capture_output=True, text=True, timeout=120, check=False)
    match = re.search(r"Overall exposure level for mailbot-web\.service: (\d+\.\d+)", done.stdout)
    assert match, done.stdout + done.stderr
    assert float(match.group(1)) <= 2.0, done.stdout


def test_the_web_unit_is_sandboxed_as_the_daemons_and_loads_no_imap_secret():
    """Every hardening line of mailbot.service is in mailbot-web.service with the same value;
    the window runs `mailbot web` as mailbot on the daemon's data, with the SMTP secret (the
    sign-in links) and not the IMAP one, which it has no use for."""
    daemon = settings()
    web: dict[str, list[str]] = {}
    for line in WEB_UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            web.setdefault(key, []).append(value)
    hardening = UNIT.read_text().split("# Hardening", 1)[1]
    keys = {line.split("=", 1)[0] for line in hardening.splitlines() if "=" in line and not line.startswith("#")}
    assert len(keys) >= 25
    for key in keys:
        assert web.get(key) == daemon[key], key
    assert web["ExecStart"] == ["/opt/mailbot/bin/mailbot web"] and web["User"] == ["mailbot"]
    assert web["StateDirectory"] == ["mailbot"] and web["UMask"] == ["0077"]
    assert web["LoadCredential"] == ["smtp:/etc/mailbot/credentials/smtp"]
    assert "78" in web["RestartPreventExitStatus"][0].split()

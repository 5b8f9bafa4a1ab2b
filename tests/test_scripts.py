"""The setup scripts leave the host's services alone (issue 11, safe setup).

scripts/apt-install runs here against stand-in apt-get and apt-cache commands that
record what they were asked and whether policy-rc.d was in place at that moment;
MAILBOT_POLICY_RC_D points the script at a policy file in a temporary folder, so the
machine's real /usr/sbin/policy-rc.d is never touched by the tests.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [ROOT / "scripts" / name for name in ("setup", "apt-install", "test", "demo", "install")] + [
    ROOT / ".ci" / "run"]

STUB = """#!/bin/sh
echo "$(basename "$0") $*" >> "$STUB_LOG"
if [ "$(basename "$0")" = apt-get ] && [ "$1" = install ]; then
    if [ -e "$MAILBOT_POLICY_RC_D" ]; then echo "policy: $(tail -n 1 "$MAILBOT_POLICY_RC_D")" >> "$STUB_LOG"; fi
fi
if [ "$(basename "$0")" = apt-cache ]; then exit "$STUB_KNOWN"; fi
exit 0
"""


def apt_install(tmp_path: Path, *packages: str, known: bool = True) -> tuple[subprocess.CompletedProcess, list[str]]:
    if os.geteuid() != 0:
        pytest.skip("scripts/apt-install runs as root")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("apt-get", "apt-cache"):
        (bin_dir / name).write_text(STUB)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "calls.log"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "STUB_LOG": str(log),
           "STUB_KNOWN": "0" if known else "1", "MAILBOT_POLICY_RC_D": str(tmp_path / "policy-rc.d")}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "apt-install"), *packages], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    return done, log.read_text().splitlines() if log.exists() else []


def test_policy_rc_d_is_there_for_the_install_and_gone_after(tmp_path):
    """No package starts a service during the install; the host is left as it was."""
    done, calls = apt_install(tmp_path, "dovecot-imapd")
    assert done.returncode == 0, done.stderr
    assert "apt-get install -y --no-install-recommends dovecot-imapd" in calls
    assert "policy: exit 101" in calls  # in place while apt-get ran
    assert not (tmp_path / "policy-rc.d").exists()  # removed afterwards


def test_a_policy_rc_d_found_is_left_alone(tmp_path):
    """An operator's own policy-rc.d is neither replaced nor removed."""
    policy = tmp_path / "policy-rc.d"
    policy.write_text("#!/bin/sh\n# the operator's own\nexit 0\n")
    done, calls = apt_install(tmp_path, "openssl")
    assert done.returncode == 0, done.stderr
    assert "policy: exit 0" in calls
    assert policy.read_text() == "#!/bin/sh\n# the operator's own\nexit 0\n"


def test_lists_are_updated_only_when_a_package_is_unknown(tmp_path):
    """CI runs apt-get update once; the script adds one only when the lists lack a package."""
    _, calls = apt_install(tmp_path, "openssl", known=True)
    assert not any(c.startswith("apt-get update") for c in calls)
    (tmp_path / "calls.log").unlink()
    _, calls = apt_install(tmp_path, "openssl", known=False)
    assert [c for c in calls if c.startswith("apt-get")] == [
        "apt-get update", "apt-get install -y --no-install-recommends openssl"]


def test_no_script_stops_disables_or_kills_anything():
    """Other engineers' Dovecots and the host's services run on: no script touches them."""
    forbidden = re.compile(r"systemctl\s+(\S+\s+)*(stop|disable|kill|mask|restart)\b|\bpkill\b|\bkillall\b"
                           r"|\bkill\s|service\s+\S+\s+stop|invoke-rc\.d")
    for script in SCRIPTS:
        code = "\n".join(line for line in script.read_text().splitlines() if not line.lstrip().startswith("#"))
        assert not forbidden.search(code), script

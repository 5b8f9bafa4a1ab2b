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


# The only lines allowed to name a forbidden systemctl verb, each checked by a test of its
# own: apt-install's disable of a unit its own install enabled (below), and install's
# restart of mailbot's own unit when it was running before an upgrade (tests/test_install.py).
ALLOWED = {
    "apt-install": ['if systemctl disable --quiet "$unit"; then'],
    "install": ["systemctl try-restart mailbot.service"],
}


def test_no_script_stops_disables_or_kills_anything():
    """Other engineers' Dovecots and the host's services run on: no script touches them."""
    forbidden = re.compile(r"systemctl\s+(\S+\s+)*(stop|disable|kill|mask|restart)\b|\bpkill\b|\bkillall\b"
                           r"|\bkill\s|service\s+\S+\s+stop|invoke-rc\.d")
    for script in SCRIPTS:
        allowed = ALLOWED.get(script.name, [])
        for line in script.read_text().replace("\\\n", " ").splitlines():  # a command per line, continued ones joined
            if not line.lstrip().startswith("#") and line.strip() not in allowed:
                assert not forbidden.search(line), (script, line)


# --- the host's boot left as it was (issue 33) --------------------------------------------------

# A host in files: `installed` lists its packages, `enabled` its units enabled for boot,
# `files/PKG` what a package holds; `apt-get install` adds the packages of `$STUB_ADDS`
# (a dependency too) with the units `$STUB_ENABLES` their postinst enables. Every call is logged.
HOST_STUB = """#!/bin/bash
name="$(basename "$0")"
echo "$name $*" >> "$STUB_LOG"
case "$name" in
    apt-cache) exit 0 ;;
    apt-get)
        if [ "$1" = install ]; then
            for p in $STUB_ADDS; do echo "$p" >> "$HOST/installed"; done
            for u in $STUB_ENABLES; do grep -qxF "$u" "$HOST/enabled" || echo "$u" >> "$HOST/enabled"; done
        fi ;;
    dpkg-query) while read -r p; do echo "ii  $p"; done < "$HOST/installed"; echo "rc  removed-long-ago" ;;
    dpkg) [ "$1" = -L ] && cat "$HOST/files/$2" 2>/dev/null ;;
    systemctl)
        case "$1" in
            list-unit-files) while read -r u; do echo "$u enabled enabled"; done < "$HOST/enabled" ;;
            disable) unit="${@: -1}"; grep -vxF "$unit" "$HOST/enabled" > "$HOST/enabled.new" || true
                     mv "$HOST/enabled.new" "$HOST/enabled" ;;
        esac ;;
esac
exit 0
"""

DOVECOT_FILES = {
    "dovecot-core": "/lib/systemd/system\n/lib/systemd/system/dovecot.service\n/lib/systemd/system/dovecot.socket\n"
                    "/usr/sbin/dovecot\n",
    "dovecot-imapd": "/usr/lib/dovecot/imap\n",
    "postgresql-15": "/lib/systemd/system/postgresql@.service\n",
}


def host_install(tmp_path: Path, packages: tuple[str, ...], *, installed: list[str], enabled: list[str],
                 adds: list[str], enables: list[str]) -> tuple[subprocess.CompletedProcess, list[str], list[str]]:
    """scripts/apt-install on the host in files; (result, calls, units enabled after)."""
    if os.geteuid() != 0:
        pytest.skip("scripts/apt-install runs as root")
    host, bin_dir = tmp_path / "host", tmp_path / "bin"
    (host / "files").mkdir(parents=True)
    bin_dir.mkdir()
    (host / "installed").write_text("".join(f"{p}\n" for p in installed))
    (host / "enabled").write_text("".join(f"{u}\n" for u in enabled))
    for pkg, files in DOVECOT_FILES.items():
        (host / "files" / pkg).write_text(files)
    for name in ("apt-get", "apt-cache", "dpkg-query", "dpkg", "systemctl"):
        (bin_dir / name).write_text(HOST_STUB)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "calls.log"
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "STUB_LOG": str(log), "HOST": str(host),
           "STUB_ADDS": " ".join(adds), "STUB_ENABLES": " ".join(enables),
           "MAILBOT_POLICY_RC_D": str(tmp_path / "policy-rc.d")}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "apt-install"), *packages], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    return done, log.read_text().splitlines(), (host / "enabled").read_text().split()


def test_a_service_the_install_added_and_enabled_is_left_disabled(tmp_path):
    """A host without Dovecot: dovecot-imapd pulls dovecot-core, whose postinst enables
    dovecot.service; the script disables it again, so the next boot starts no system Dovecot."""
    done, calls, enabled = host_install(
        tmp_path, ("dovecot-imapd",), installed=["bash", "postgresql-15"], enabled=["postgresql@.service"],
        adds=["dovecot-core", "dovecot-imapd"], enables=["dovecot.service"])
    assert done.returncode == 0, done.stderr
    assert "systemctl disable --quiet dovecot.service" in calls
    assert enabled == ["postgresql@.service"]
    assert "dovecot.service (from dovecot-core, installed now) left disabled for boot" in done.stdout


def test_a_service_of_a_package_the_host_had_is_never_touched(tmp_path):
    """A host that runs its own Dovecot: installing dovecot-imapd beside it adds a package,
    but dovecot.service belongs to dovecot-core, which was there before: left enabled."""
    done, calls, enabled = host_install(
        tmp_path, ("dovecot-imapd",), installed=["dovecot-core"], enabled=["dovecot.service"],
        adds=["dovecot-imapd"], enables=["dovecot.service"])
    assert done.returncode == 0, done.stderr
    assert not [c for c in calls if c.startswith("systemctl disable")]
    assert enabled == ["dovecot.service"]


def test_a_unit_enabled_before_the_install_stays_enabled(tmp_path):
    """dovecot-core removed but not purged left dovecot.service enabled: its reinstall is
    the host's state coming back, not something this install turned on."""
    done, calls, enabled = host_install(
        tmp_path, ("dovecot-imapd",), installed=["bash"], enabled=["dovecot.service"],
        adds=["dovecot-core", "dovecot-imapd"], enables=[])
    assert done.returncode == 0, done.stderr
    assert not [c for c in calls if c.startswith("systemctl disable")]
    assert enabled == ["dovecot.service"]

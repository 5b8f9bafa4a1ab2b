"""The setup scripts leave the host's services alone (safe setup).

scripts/apt-install runs here against stand-in apt-get and apt-cache commands that
record what they were asked and whether policy-rc.d was in place at that moment;
MAILBOT_POLICY_RC_D points the script at a policy file in a temporary folder, so the
machine's real /usr/sbin/policy-rc.d is never touched by the tests.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = [ROOT / "scripts" / name for name in ("setup", "apt-install", "test", "demo", "install")] + [
    ROOT / ".ci" / "run"]

# apt-get and apt-cache record their calls (apt-get's with the policy-rc.d in place while
# it installs); dpkg-query, dpkg and systemctl answer for an empty host, and MAILBOT_HOST_ROOT
# gives it empty /etc/rc?.d, so nothing of the machine's is read. `$STUB_UPDATE` is what
# `apt-get update` prints to stderr and its status ("E: ...:100"), when set.
STUB = """#!/bin/sh
echo "$(basename "$0") $*" >> "$STUB_LOG"
verb=""
skip=""
for arg in "$@"; do
    if [ -n "$skip" ]; then skip=""; continue; fi
    case "$arg" in -o) skip=1 ;; -*) ;; *) verb="$arg"; break ;; esac
done
if [ "$(basename "$0")" = apt-get ] && [ "$verb" = install ]; then
    if [ -e "$MAILBOT_POLICY_RC_D" ]; then echo "policy: $(tail -n 1 "$MAILBOT_POLICY_RC_D")" >> "$STUB_LOG"; fi
fi
if [ "$(basename "$0")" = apt-get ] && [ "$verb" = update ] && [ -n "$STUB_UPDATE" ]; then
    echo "${STUB_UPDATE%:*}" >&2
    exit "${STUB_UPDATE##*:}"
fi
if [ "$(basename "$0")" = apt-cache ]; then exit "$STUB_KNOWN"; fi
exit 0
"""

# Every apt-get the script runs waits this long for another apt's lock.
LOCK_WAIT = "-o DPkg::Lock::Timeout=900"


def apt_install(tmp_path: Path, *packages: str, known: bool = True,
                **env_extra: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    if os.geteuid() != 0:
        pytest.skip("scripts/apt-install runs as root")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name in ("apt-get", "apt-cache", "dpkg-query", "dpkg", "systemctl"):
        (bin_dir / name).write_text(STUB)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "host").mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")},
           "PATH": f"{bin_dir}:{os.environ['PATH']}", "STUB_LOG": str(log),
           "STUB_KNOWN": "0" if known else "1", "MAILBOT_POLICY_RC_D": str(tmp_path / "policy-rc.d"),
           "MAILBOT_HOST_ROOT": str(tmp_path / "host"), "STUB_UPDATE": "", **env_extra}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "apt-install"), *packages], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    return done, log.read_text().splitlines() if log.exists() else []


def test_policy_rc_d_is_there_for_the_install_and_gone_after(tmp_path):
    """No package starts a service during the install; the host is left as it was."""
    done, calls = apt_install(tmp_path, "dovecot-imapd")
    assert done.returncode == 0, done.stderr
    assert f"apt-get {LOCK_WAIT} install -y --no-install-recommends dovecot-imapd" in calls
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
        f"apt-get {LOCK_WAIT} update", f"apt-get {LOCK_WAIT} install -y --no-install-recommends openssl"]


# --- another apt at work: its lock is waited for ----------------------------

def test_every_apt_get_waits_for_the_lock_another_apt_holds(tmp_path):
    """unattended-upgrades on a fresh cloud machine holds dpkg's lock: apt-get update and
    apt-get install both run with DPkg::Lock::Timeout (15 minutes, or
    MAILBOT_APT_LOCK_TIMEOUT), so they wait instead of failing at once."""
    _, calls = apt_install(tmp_path, "openssl", known=False)
    assert [c for c in calls if c.startswith("apt-get")] == [
        "apt-get -o DPkg::Lock::Timeout=900 update",
        "apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends openssl"]
    (tmp_path / "calls.log").unlink()
    _, calls = apt_install(tmp_path, "openssl", known=False, MAILBOT_APT_LOCK_TIMEOUT="60")
    assert [c for c in calls if c.startswith("apt-get")] == [
        "apt-get -o DPkg::Lock::Timeout=60 update",
        "apt-get -o DPkg::Lock::Timeout=60 install -y --no-install-recommends openssl"]


def test_an_update_that_fails_for_another_reason_is_not_tried_again(tmp_path):
    """Only the lists' lock is waited out: a broken source fails the install at once."""
    done, calls = apt_install(tmp_path, "openssl", known=False,
                              STUB_UPDATE="E: The repository 'http://deb.example/ bookworm Release' "
                                          "does not have a Release file.:100")
    assert done.returncode != 0
    assert [c for c in calls if c.startswith("apt-get")] == [f"apt-get {LOCK_WAIT} update"]
    assert "trying again" not in done.stdout


APT_CONF = """Dir::State "{root}/state";
Dir::State::Lists "{root}/state/lists";
Dir::State::status "{root}/dpkg/status";
Dir::Cache "{root}/cache";
Dir::Cache::archives "{root}/cache/archives";
Dir::Etc::sourcelist "/dev/null";
Dir::Etc::sourceparts "{root}/empty";
Dir::Etc::parts "{root}/empty";
Dir::Etc::preferencesparts "{root}/empty";
"""


@pytest.mark.integration
def test_the_real_apt_get_waits_for_the_lists_and_the_dpkg_lock(tmp_path):
    """The real apt-get, on package lists and a dpkg state of its own in a temporary folder
    (APT_CONFIG; no sources, nothing downloaded or installed): while this test holds the
    lists' lock, then dpkg's, as another apt would, scripts/apt-install waits for each and
    goes on once it is free; the end is apt's answer for an unknown package, never a lock."""
    if os.geteuid() != 0:
        pytest.skip("scripts/apt-install runs as root")
    if not shutil.which("apt-get"):
        pytest.skip("apt-get is not installed")
    for folder in ("state/lists/partial", "dpkg/updates", "cache/archives/partial", "empty", "host"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "dpkg" / "status").write_text("")
    (tmp_path / "apt.conf").write_text(APT_CONF.format(root=tmp_path))
    env = {**os.environ, "APT_CONFIG": str(tmp_path / "apt.conf"), "MAILBOT_HOST_ROOT": str(tmp_path / "host"),
           "MAILBOT_POLICY_RC_D": str(tmp_path / "policy-rc.d"), "MAILBOT_APT_LOCK_TIMEOUT": "60", "LC_ALL": "C"}
    locks = [os.open(tmp_path / name, os.O_RDWR | os.O_CREAT, 0o640)
             for name in ("state/lists/lock", "dpkg/lock-frontend")]
    for fd in locks:
        fcntl.lockf(fd, fcntl.LOCK_EX)
    run = subprocess.Popen(["bash", str(ROOT / "scripts" / "apt-install"), "mailbot-no-such-package"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(run.stdout or ()), daemon=True)
    reader.start()

    def said(words: str) -> bool:  # each lock is let go once the script shows it waits for it,
        deadline = time.monotonic() + 60  # however slowly a loaded host starts bash and apt
        while not any(words in line for line in lines) and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        return any(words in line for line in lines)

    try:
        assert said("another apt is updating the package lists; trying again in 5 s"), lines
        fcntl.lockf(locks[0], fcntl.LOCK_UN)  # the other apt's update ends
        assert said("Waiting for cache lock"), lines  # apt-get install waits for dpkg's lock
        time.sleep(1)
        assert run.poll() is None  # still waiting for it
        fcntl.lockf(locks[1], fcntl.LOCK_UN)  # and its upgrade
        run.wait(timeout=60)
        reader.join(timeout=10)
    finally:
        if run.poll() is None:
            run.kill()
        for fd in locks:
            os.close(fd)
    output = "".join(lines)
    assert "Unable to locate package mailbot-no-such-package" in output, output
    assert "Unable to acquire the dpkg frontend lock" not in output
    assert run.returncode != 0, output


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


# --- the host's boot left as it was -------------------------------------------

# A Debian host in files under $HOST: `installed` lists its packages, `enabled` its systemd
# units enabled for boot, etc/init.d/ and etc/rc?.d/ its init scripts and their SysV links.
# `apt-get install` installs from $CATALOG (CATALOG below), dependencies first, each new
# package with its files and what its postinst does on Debian 12: `update-rc.d NAME
# defaults` for an init script (S01 links in its Default-Start levels, K01 in its
# Default-Stop ones; nothing if it has links already) and `deb-systemd-helper enable` of
# its units. `systemctl disable X.service` removes X from `enabled` and, as
# systemd-sysv-install does for an init script of the same name, turns its S links in
# levels 2-5 into K links (`update-rc.d X disable`). Every call is logged.
HOST_STUB = r"""#!/bin/bash
name="$(basename "$0")"
echo "$name $*" >> "$STUB_LOG"
args=()
skip=""
for arg in "$@"; do
    if [ -n "$skip" ]; then skip=""; continue; fi
    case "$arg" in -o) skip=1 ;; *) args+=("$arg") ;; esac
done
set -- "${args[@]}"
rc_defaults() {
    local script="$1" lvl
    if compgen -G "$HOST/etc/rc?.d/[SK][0-9][0-9]$script" >/dev/null; then return 0; fi
    for lvl in $(sed -n 's/^# Default-Start:[[:space:]]*//p' "$HOST/etc/init.d/$script"); do
        mkdir -p "$HOST/etc/rc$lvl.d"; ln -s "../init.d/$script" "$HOST/etc/rc$lvl.d/S01$script"
    done
    for lvl in $(sed -n 's/^# Default-Stop:[[:space:]]*//p' "$HOST/etc/init.d/$script"); do
        mkdir -p "$HOST/etc/rc$lvl.d"; ln -s "../init.d/$script" "$HOST/etc/rc$lvl.d/K01$script"
    done
}
install_package() {
    local pkg="$1" dep file unit
    if grep -qxF "$pkg" "$HOST/installed"; then return 0; fi
    if [ ! -d "$CATALOG/$pkg" ]; then echo "E: Unable to locate package $pkg" >&2; exit 100; fi
    for dep in $(cat "$CATALOG/$pkg/depends"); do install_package "$dep"; done
    echo "$pkg" >> "$HOST/installed"
    while read -r file; do
        mkdir -p "$HOST$(dirname "$file")"
        case "$file" in
            /etc/init.d/*)
                printf '#!/bin/sh\n### BEGIN INIT INFO\n# Provides: %s\n' "${file##*/}" > "$HOST$file"
                printf '# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n### END INIT INFO\n' >> "$HOST$file" ;;
            *) : > "$HOST$file" ;;
        esac
        chmod 0755 "$HOST$file"
    done < "$CATALOG/$pkg/files"
    for file in $(sed -n 's#^/etc/init\.d/##p' "$CATALOG/$pkg/files"); do rc_defaults "$file"; done
    for unit in $(cat "$CATALOG/$pkg/enables"); do
        grep -qxF "$unit" "$HOST/enabled" || echo "$unit" >> "$HOST/enabled"
    done
}
case "$name" in
    apt-cache) exit 0 ;;
    apt-get)
        if [ "$1" = install ]; then
            shift
            for pkg in "$@"; do case "$pkg" in -*) ;; *) install_package "$pkg" ;; esac; done
        fi ;;
    dpkg-query) while read -r p; do echo "ii  $p"; done < "$HOST/installed"; echo "rc  removed-long-ago" ;;
    dpkg) if [ "$1" = -L ] && [ -e "$CATALOG/$2/files" ]; then cat "$CATALOG/$2/files"; fi ;;
    systemctl)
        case "$1" in
            list-unit-files) while read -r u; do echo "$u enabled enabled"; done < "$HOST/enabled" ;;
            disable)
                unit="${*: -1}"
                grep -vxF "$unit" "$HOST/enabled" > "$HOST/enabled.new" || true
                mv "$HOST/enabled.new" "$HOST/enabled"
                script="${unit%.service}"
                if [ -e "$HOST/etc/init.d/$script" ]; then
                    for link in "$HOST"/etc/rc[2345].d/S[0-9][0-9]"$script"; do
                        if [ -L "$link" ]; then mv "$link" "${link%/*}/K${link##*/S}"; fi
                    done
                fi ;;
        esac ;;
esac
exit 0
"""

# Debian 12's packages as far as the boot goes: (dependencies, files, units the postinst enables).
# request-tracker5 pulls in an MTA, exim4, whose init script has no systemd unit of its name.
CATALOG = {
    "dovecot-imapd": (["dovecot-core"], ["/usr/lib/dovecot/imap"], []),
    "dovecot-core": ([], ["/etc/init.d/dovecot", "/lib/systemd/system/dovecot.service",
                          "/lib/systemd/system/dovecot.socket", "/usr/sbin/dovecot", "/usr/bin/doveadm",
                          "/usr/lib/dovecot/dovecot-lda"], ["dovecot.service"]),
    "openssl": ([], ["/usr/bin/openssl"], []),
    "python3-venv": ([], ["/usr/lib/python3.11/ensurepip/__init__.py"], []),
    "systemd": ([], ["/usr/bin/systemd-analyze"], []),
    "request-tracker5": (["exim4-daemon-light"], ["/etc/init.d/request-tracker5",
                                                  "/lib/systemd/system/request-tracker5.service",
                                                  "/usr/share/request-tracker5/lib/RT.pm"],
                         ["request-tracker5.service"]),
    "exim4-daemon-light": (["exim4-base", "exim4-config"], ["/usr/sbin/exim4"], []),
    "exim4-base": ([], ["/etc/init.d/exim4", "/lib/systemd/system/exim4-base.service",
                        "/lib/systemd/system/exim4-base.timer"], ["exim4-base.timer"]),
    "exim4-config": ([], ["/etc/exim4/update-exim4.conf.conf"], []),
    "rt5-db-sqlite": ([], ["/usr/share/doc/rt5-db-sqlite/copyright"], []),
    "postgresql": (["postgresql-15"], ["/usr/share/doc/postgresql/copyright"], []),
    "postgresql-15": (["postgresql-common"], ["/usr/lib/postgresql/15/bin/initdb",
                                              "/lib/systemd/system/postgresql@.service"], []),
    "postgresql-common": ([], ["/etc/init.d/postgresql", "/lib/systemd/system/postgresql.service"],
                          ["postgresql.service"]),
    "chromium": ([], ["/usr/bin/chromium"], []),
    "chromium-driver": (["chromium"], ["/usr/bin/chromedriver"], []),
    "nodejs": ([], ["/usr/bin/node"], []),
    "npm": (["nodejs"], ["/usr/bin/npm"], []),
}
# A fresh Debian 12 cloud machine: its packages, its units enabled for boot, its SysV links.
FRESH = {"installed": ["base-files", "bash", "dbus", "util-linux"],
         "enabled": ["apt-daily-upgrade.timer", "apt-daily.timer", "e2scrub_reap.service", "getty@.service",
                     "systemd-timesyncd.service"],
         "links": {"dbus": {"2": "S", "3": "S", "4": "S", "5": "S"}, "hwclock.sh": {"S": "S", "0": "K", "6": "K"}}}


class Host:
    """A host in files and the stand-ins that act on it (HOST_STUB)."""

    def __init__(self, tmp_path: Path, *, installed: list[str], enabled: list[str],
                 links: dict[str, dict[str, str]]) -> None:
        if os.geteuid() != 0:
            pytest.skip("scripts/apt-install runs as root")
        self.root, self.bin, self.log = tmp_path / "host", tmp_path / "bin", tmp_path / "calls.log"
        catalog = tmp_path / "catalog"
        for pkg, (depends, files, enables) in CATALOG.items():
            (catalog / pkg).mkdir(parents=True)
            for part, lines in (("depends", depends), ("files", files), ("enables", enables)):
                (catalog / pkg / part).write_text("".join(f"{line}\n" for line in lines))
        (self.root / "etc" / "init.d").mkdir(parents=True)
        (self.root / "installed").write_text("".join(f"{p}\n" for p in installed))
        (self.root / "enabled").write_text("".join(f"{u}\n" for u in enabled))
        for script, levels in links.items():
            (self.root / "etc" / "init.d" / script).write_text("#!/bin/sh\n")
            for level, kind in levels.items():
                (self.root / "etc" / f"rc{level}.d").mkdir(exist_ok=True)
                (self.root / "etc" / f"rc{level}.d" / f"{kind}01{script}").symlink_to(f"../init.d/{script}")
        self.bin.mkdir()
        for name in ("apt-get", "apt-cache", "dpkg-query", "dpkg", "systemctl"):
            (self.bin / name).write_text(HOST_STUB)
            (self.bin / name).chmod(0o755)
        python = self.bin / "python-without-venv"  # Debian's python3 before python3-venv
        python.write_text("#!/bin/sh\nexit 1\n")
        python.chmod(0o755)
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_") and k != "CI"},
                    "PATH": f"{self.bin}:{os.environ['PATH']}", "STUB_LOG": str(self.log), "HOST": str(self.root),
                    "CATALOG": str(catalog), "MAILBOT_HOST_ROOT": str(self.root),
                    "MAILBOT_POLICY_RC_D": str(tmp_path / "policy-rc.d"), "PYTHON": str(python)}

    def boot(self) -> tuple[list[str], list[str]]:
        """What the host starts at boot, as an operator lists it: /etc/rc*.d and the units enabled."""
        links = sorted(str(p.relative_to(self.root)) for p in self.root.glob("etc/rc*.d/*"))
        return links, sorted((self.root / "enabled").read_text().split())

    def run(self, script: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(ROOT / "scripts" / script), *args], env=self.env, capture_output=True,
                              text=True, timeout=60, check=False)

    def calls(self, prefix: str) -> list[str]:
        return [c for c in self.log.read_text().splitlines() if c.startswith(prefix)]

    def installed(self) -> list[str]:
        return (self.root / "installed").read_text().split()


def fresh(tmp_path: Path) -> Host:
    return Host(tmp_path, installed=FRESH["installed"], enabled=FRESH["enabled"], links=FRESH["links"])


def test_the_demo_on_a_fresh_machine_leaves_its_boot_as_it_was(tmp_path):
    """/etc/rc*.d and the units enabled for boot, listed
    before and after `bash scripts/demo`'s install on a fresh machine, are the same; and
    the demo installs what it uses only: Dovecot, openssl, venv, no Request Tracker (with
    its exim4), no PostgreSQL."""
    host = fresh(tmp_path)
    before = host.boot()
    done = host.run("setup", "--demo", "--system-only")
    assert done.returncode == 0, done.stdout + done.stderr
    assert host.calls("apt-get") == [
        "apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends dovecot-imapd openssl python3-venv"]
    assert "dovecot-core" in host.installed() and "exim4-base" not in host.installed()
    assert host.boot() == before


def test_the_fast_layer_installs_only_what_its_tests_use(tmp_path):
    """`bash scripts/test --quick` (scripts/setup --quick): Dovecot and openssl (the smoke
    tests' servers and CA), systemd (systemd-analyze checks the unit files), venv; none of
    what only the whole suite uses: no Request Tracker (with its exim4), no PostgreSQL, no
    chromium or its driver, no LibreOffice (230 packages and about 69 s before)."""
    host = fresh(tmp_path)
    before = host.boot()
    done = host.run("setup", "--quick", "--system-only")
    assert done.returncode == 0, done.stdout + done.stderr
    assert host.calls("apt-get") == [
        ("apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends dovecot-imapd openssl systemd "
         "python3-venv")]
    assert "installing Debian packages for the fast tests" in done.stdout
    for whole_suite_only in ("request-tracker5", "exim4-base", "postgresql", "chromium", "chromium-driver"):
        assert whole_suite_only not in host.installed()
    assert host.boot() == before


def _test_script_in(tmp_path: Path) -> tuple[Path, Path]:
    """scripts/test in a checkout of files, beside a scripts/setup and a .venv/bin/python
    that only say how they were called: (the script, the calls' log)."""
    checkout, log = tmp_path / "checkout", tmp_path / "calls.log"
    (checkout / "scripts").mkdir(parents=True)
    (checkout / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "test", checkout / "scripts" / "test")
    (checkout / "scripts" / "setup").write_text(f'echo "setup $*" >> {log}\n')
    python = checkout / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "python $*" >> {log}\n')
    python.chmod(0o755)
    return checkout / "scripts" / "test", log


def test_scripts_test_quick_sets_up_the_fast_layer_alone_and_the_whole_suite_everything(tmp_path):
    """`--quick` asks scripts/setup for the fast layer's packages and runs that layer; without
    it (CI's .ci/run: `bash scripts/test`) everything is installed and every test runs, in
    pytest-xdist workers."""
    script, log = _test_script_in(tmp_path)
    quick = subprocess.run(["bash", str(script), "--quick", "-x"], capture_output=True, text=True, timeout=60,
                           check=False)
    assert quick.returncode == 0, quick.stderr
    assert log.read_text().splitlines() == ["setup --quick", "python -m pytest -q -m not integration or smoke -x"]
    log.unlink()
    whole = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=60, check=False)
    assert whole.returncode == 0, whole.stderr
    workers = len(os.sched_getaffinity(0)) + 1  # one more than the cores: tests wait on servers a third of the time
    assert log.read_text().splitlines() == ["setup ", f"python -m pytest -q -n {workers} --dist worksteal -m not alone",
                                            "python -m pytest -q -m alone -n 0"]
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("\nbash scripts/test")


@pytest.mark.parametrize(("parallel", "alone", "status", "runs"), [
    (0, 0, 0, 2), (1, 0, 1, 2), (0, 1, 1, 2), (1, 1, 1, 2), (3, 0, 3, 1),
    (5, 0, 0, 2), (0, 5, 0, 2), (5, 5, 5, 2),  # 5: pytest selected no test, a failure only when neither run did
    (2, 0, 2, 1),  # interrupted (Ctrl-C): the second run does not start
])
def test_scripts_test_fails_when_either_of_its_runs_fails(tmp_path, parallel, alone, status, runs):
    """The whole suite is two runs (the tests marked `alone` after the others, in one process
    whatever -n was given): the script fails when either fails, with the first failure's status."""
    script, log = _test_script_in(tmp_path)
    python = script.parent.parent / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "python $*" >> {log}\n'
                      f'case "$*" in *"not alone"*) exit {parallel};; *) exit {alone};; esac\n')
    whole = subprocess.run(["bash", str(script), "tests/test_x.py", "-n", "4"], capture_output=True, text=True,
                           timeout=60, check=False)
    assert whole.returncode == status, whole.stderr
    calls = log.read_text().splitlines()[1:]
    assert len(calls) == runs
    assert calls[0].endswith("-m not alone tests/test_x.py -n 4")
    assert calls[1:] == ["python -m pytest -q -m alone tests/test_x.py -n 4 -n 0"][:runs - 1]


@pytest.mark.parametrize("args", [["-m", "integration"], ["-msmoke", "-k", "ack"]])
def test_scripts_test_runs_a_selection_by_marker_once_as_written(tmp_path, args):
    """A marker of your own (-m) is your selection: one run, as you wrote it (pytest keeps the
    last -m, so split in two it ran the same tests twice, the second time in one process)."""
    script, log = _test_script_in(tmp_path)
    done = subprocess.run(["bash", str(script), *args], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    workers = len(os.sched_getaffinity(0)) + 1
    assert log.read_text().splitlines()[1:] == [f"python -m pytest -q -n {workers} --dist worksteal {' '.join(args)}"]


def test_scripts_test_stops_at_the_first_failure_where_asked(tmp_path):
    """-x: a failure in the first run ends the suite there; the second run does not start."""
    script, log = _test_script_in(tmp_path)
    python = script.parent.parent / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "python $*" >> {log}\nexit 1\n')
    done = subprocess.run(["bash", str(script), "-x"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert len(log.read_text().splitlines()[1:]) == 1


def test_the_readmes_quick_start_runs_the_fast_layer_before_the_whole_suite():
    """A newcomer's order: the demo, the fast layer (minutes), then the whole suite (35 minutes)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").split("## Quick start", 1)[1]
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["bash scripts/demo", "bash scripts/test --quick", "bash scripts/test"], commands


def test_the_tests_install_on_a_fresh_machine_starts_nothing_new_at_boot(tmp_path):
    """`bash scripts/test`'s install (Request Tracker, which pulls in exim4, PostgreSQL,
    Dovecot, chromium and its driver for the window's browser tests, node and npm for its
    accessibility engine): no unit enabled and no
    start link (S) added. Links of a script whose systemd unit governs it are removed again;
    exim4 has no unit, so its links stay as stop links (K), which an upgrade of exim4 keeps
    as they are."""
    host = fresh(tmp_path)
    links_before, units_before = host.boot()
    done = host.run("setup", "--system-only")
    assert done.returncode == 0, done.stdout + done.stderr
    assert host.calls("apt-get") == [
        ("apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends dovecot-imapd openssl systemd "
         "request-tracker5 rt5-db-sqlite postgresql chromium chromium-driver nodejs npm "
         "python3-venv")]
    links, units = host.boot()
    assert units == units_before
    assert sorted(set(links) - set(links_before)) == [f"etc/rc{level}.d/K01exim4" for level in "0123456"]
    assert set(links_before) <= set(links)
    assert "/etc/init.d/exim4 (installed now) left disabled for boot" in done.stdout
    assert "the rc links of /etc/init.d/dovecot (installed now) removed again" in done.stdout


def test_a_service_the_install_added_and_enabled_is_left_disabled(tmp_path):
    """A host without Dovecot: dovecot-imapd pulls dovecot-core, whose postinst enables
    dovecot.service and makes dovecot's rc links; the script disables the unit and removes
    the links, so the next boot starts no system Dovecot."""
    host = Host(tmp_path, installed=["bash", "postgresql-15"], enabled=["postgresql@.service"], links={})
    done = host.run("apt-install", "dovecot-imapd")
    assert done.returncode == 0, done.stderr
    assert host.calls("systemctl disable") == ["systemctl disable --quiet dovecot.service"]
    assert host.boot() == ([], ["postgresql@.service"])
    assert "dovecot.service (from dovecot-core, installed now) left disabled for boot" in done.stdout


def test_exim4_pulled_in_by_request_tracker_is_left_disabled_for_boot(tmp_path):
    """Exim4's init script has no systemd unit; its postinst's S01exim4
    links would start it at boot through systemd's SysV generator. They become stop links,
    as `update-rc.d exim4 disable` makes them."""
    host = Host(tmp_path, installed=["bash"], enabled=[], links={})
    done = host.run("apt-install", "request-tracker5", "rt5-db-sqlite")
    assert done.returncode == 0, done.stderr
    links, units = host.boot()
    assert units == []
    assert links == sorted(f"etc/rc{level}.d/K01exim4" for level in "0123456")


def test_a_service_of_a_package_the_host_had_is_never_touched(tmp_path):
    """A host that runs its own Dovecot: installing dovecot-imapd beside it adds a package,
    but dovecot.service and dovecot's links belong to dovecot-core, which was there before."""
    host = Host(tmp_path, installed=["dovecot-core"], enabled=["dovecot.service"],
                links={"dovecot": {"2": "S", "3": "S", "4": "S", "5": "S", "0": "K", "1": "K", "6": "K"}})
    before = host.boot()
    done = host.run("apt-install", "dovecot-imapd")
    assert done.returncode == 0, done.stderr
    assert not host.calls("systemctl disable")
    assert host.boot() == before


def test_a_host_that_runs_its_own_exim4_keeps_it_enabled(tmp_path):
    """The host's own mail server: exim4-daemon-light and its S01exim4 links were there;
    installing Request Tracker beside it leaves them (exim4 starts at boot as before), and
    request-tracker5's own new links are removed again."""
    host = Host(tmp_path, installed=["exim4-daemon-light", "exim4-base", "exim4-config"], enabled=[],
                links={"exim4": {"2": "S", "3": "S", "4": "S", "5": "S", "0": "K", "1": "K", "6": "K"}})
    before = host.boot()
    done = host.run("apt-install", "request-tracker5")
    assert done.returncode == 0, done.stderr
    assert host.boot() == before
    assert "exim4" not in done.stdout


def test_a_unit_or_links_there_before_the_install_stay(tmp_path):
    """dovecot-core removed but not purged left dovecot.service enabled and its links: its
    reinstall is the host's state coming back, not something this install turned on."""
    host = Host(tmp_path, installed=["bash"], enabled=["dovecot.service"],
                links={"dovecot": {"2": "S", "3": "S", "4": "S", "5": "S", "0": "K", "1": "K", "6": "K"}})
    before = host.boot()
    done = host.run("apt-install", "dovecot-imapd")
    assert done.returncode == 0, done.stderr
    assert not host.calls("systemctl disable")
    assert host.boot() == before

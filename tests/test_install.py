"""scripts/install into a folder (--root, DESTDIR-style): the production layout, a
package without test tooling that imports cleanly, nothing started, and an existing
config never overwritten.

The install builds a wheel of this checkout and installs it with its dependencies
from the package index into a fresh virtualenv, as it does on a host.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A wheel built and installed with its dependencies into a new virtualenv: about 30 s,
# with the full suite (as CI runs it), not the fast layer.
pytestmark = pytest.mark.integration

IMPORT_ALL = """
import importlib, pkgutil, mailbot
names = [m.name for m in pkgutil.walk_packages(mailbot.__path__, 'mailbot.')]
for name in names:
    importlib.import_module(name)
from mailbot.io.render import Renderer
from mailbot.rules import load_rules
Renderer(None); load_rules(None)  # templates and rules are in the wheel
missing = []
for name in ('aiosmtpd', 'pytest', 'mailparser', 'tests', 'mailbot.localmail', 'mailbot.demo'):
    try:
        importlib.import_module(name)
    except ImportError:
        missing.append(name)
print(len(names), ' '.join(missing))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    target = tmp_path_factory.mktemp("root")
    done = subprocess.run(["bash", str(ROOT / "scripts" / "install"), "--root", str(target)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    return target, done.stdout


def test_install_lays_out_the_production_files(installed):
    """venv in /opt/mailbot, config from the example, the unit, the wrapper, the state folder."""
    target, _ = installed
    assert (target / "etc/mailbot/config.yaml").read_text() == (ROOT / "config.example.yaml").read_text()
    assert (target / "etc/systemd/system/mailbot.service").read_text() == (
        ROOT / "systemd/mailbot.service").read_text()
    assert (target / "etc/systemd/system/mailbot-web.service").read_text() == (  # the window
        ROOT / "systemd/mailbot-web.service").read_text()
    assert (target / "etc/mailbot/credentials").is_dir()
    for secret in ("imap", "smtp"):  # LoadCredential= fails the start on a missing file (xoauth2 needs none)
        made = target / "etc/mailbot/credentials" / secret
        assert made.read_bytes() == b"" and made.stat().st_mode & 0o777 == 0o640
    assert (target / "var/lib/mailbot").stat().st_mode & 0o777 == 0o700
    wrapper = (target / "usr/local/sbin/mailbot").read_text()
    assert "STATE_DIRECTORY=/var/lib/mailbot" in wrapper and "runuser -u mailbot" in wrapper
    assert os.access(target / "usr/local/sbin/mailbot", os.X_OK)
    version = subprocess.run([str(target / "opt/mailbot/bin/mailbot"), "--version"], capture_output=True,
                             text=True, timeout=60, check=False)
    assert version.stdout.startswith("mailbot ")
    if (ROOT / ".git").exists():  # the installed version names the commit it was built from
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=60, check=True).stdout.strip()
        built = version.stdout.split("+g", 1)[1].split(".")[0].strip()
        assert len(built) >= 7 and head.startswith(built), version.stdout


def test_install_puts_the_units_drop_ins_beside_mailbot_and_enables_none(installed):
    """The drop-ins of the documented options (a PostgreSQL password,
    OAuth2 secret or certificate, a shared archive) are at hand on the host, but none is
    in /etc/systemd/system/mailbot.service.d/: a missing credential would fail the start."""
    target, _ = installed
    options = target / "opt/mailbot/systemd/options"
    assert sorted(p.name for p in options.iterdir()) == [
        "database-password.conf", "oauth-cert.conf", "oauth-secret.conf", "shared-archive.conf",
        "web-database-password.conf"]  # the window's own PostgreSQL role, for mailbot-web.service
    for drop_in in options.iterdir():
        assert drop_in.read_text() == (ROOT / "systemd/options" / drop_in.name).read_text()
    assert not (target / "etc/systemd/system/mailbot.service.d").exists()
    assert not (target / "etc/systemd/system/mailbot-web.service.d").exists()


def test_install_starts_nothing_and_says_what_to_run(installed):
    """No service is started or enabled; the systemctl line is printed for the operator."""
    _, out = installed
    assert "Nothing was started, stopped or enabled" in out
    assert "systemctl daemon-reload && systemctl enable --now mailbot.service" in out


def test_the_installed_package_imports_cleanly_without_test_tooling(installed):
    """Every mailbot module imports from a plain `pip install .`; no harness, demo or test deps."""
    target, _ = installed
    done = subprocess.run([str(target / "opt/mailbot/bin/python"), "-c", IMPORT_ALL], capture_output=True,
                          text=True, timeout=120, check=False, cwd=target)
    assert done.returncode == 0, done.stderr
    count, _, missing = done.stdout.strip().partition(" ")
    assert int(count) > 20
    assert missing.split() == ["aiosmtpd", "pytest", "mailparser", "tests", "mailbot.localmail", "mailbot.demo"]


def test_a_second_install_keeps_the_operators_config(installed):
    """An edited /etc/mailbot/config.yaml survives a re-install (an upgrade)."""
    target, _ = installed
    config = target / "etc/mailbot/config.yaml"
    config.write_text(config.read_text().replace("lpse@batam.go.id", "lpse@tanjungpinang.go.id"))
    done = subprocess.run(["bash", str(ROOT / "scripts" / "install"), "--root", str(target)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert "kept your" in done.stdout
    assert "lpse@tanjungpinang.go.id" in config.read_text()
    # An upgrade in place: the old and the new version said, not the first steps again.
    version = subprocess.run([str(target / "opt/mailbot/bin/mailbot"), "--version"], capture_output=True,
                             text=True, timeout=60, check=True).stdout.split()[1]
    assert f"upgraded mailbot {version} -> {version}" in done.stdout, done.stdout
    assert "Edit /etc/mailbot/config.yaml" not in done.stdout


def test_an_upgrade_shadows_the_last_month_before_it_switches_on(installed, tmp_path):
    """scripts/upgrade builds the new version beside the installed one and runs its `mailbot
    shadow` over the unit's mail with the installed config (SPEC 10) before scripts/install
    switches it on: the same code over the mail it handled finds nothing different, so the
    upgrade goes on, and the installed config and data are those it found."""
    import yaml

    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App
    from tests import mailfactory as mf

    target, _ = installed
    state = target / "var/lib/mailbot"
    config = target / "etc/mailbot/config.yaml"
    config.write_text(yaml.safe_dump({
        "database": "mailbot.db", "archive_dir": "archive", "secret_key_file": "secret.key",
        "escalation": {"address": mf.LKPP, "senders": ["*@lkpp.test"]},
        "smtp": {"host": "127.0.0.1", "port": 1, "security": "none"},
        "mailboxes": [{"name": "t", "address": mf.UNIT, "tag_prefix": "LPSE-T",
                       "imap": {"host": "127.0.0.1", "port": 1, "security": "none", "username": mf.UNIT,
                                "password": "x"},
                       "staff": list(mf.STAFF), "coordinators": [mf.COORDINATOR], "heads": [mf.HEAD]}]}))
    os.environ["STATE_DIRECTORY"] = str(state)
    try:
        cfg = load_config(config)
    finally:
        del os.environ["STATE_DIRECTORY"]
    now = datetime.now(UTC) - timedelta(days=2)
    app = App(cfg, clock=lambda: now)
    app.handle(cfg.mailboxes[0], mf.mail("budi@vendor.test", "Tidak bisa login", "Mohon bantuan.", date=now)[0], now)
    app.store.close()
    before = (state / "mailbot.db").read_bytes()
    done = subprocess.run(["bash", str(ROOT / "scripts" / "upgrade"), "--root", str(target)],
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 message(s) compared" in done.stdout and "no difference" in done.stdout, done.stdout
    assert "decides as the installed one did" in done.stdout
    assert "upgraded mailbot" in done.stdout
    assert (state / "mailbot.db").read_bytes() == before

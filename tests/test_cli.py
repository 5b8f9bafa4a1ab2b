"""Command line: exit codes, `check`, and the daemon's retry with backoff."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from mailbot.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]


def closed_port() -> int:
    """A loopback port with nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def unreachable_config(tmp_path: Path, poll_seconds: int = 60) -> Path:
    port = closed_port()
    return write(tmp_path, {
        "database": str(tmp_path / "db.sqlite"), "archive_dir": str(tmp_path / "archive"),
        "secret_key_file": str(tmp_path / "key"), "log": {"format": "json", "level": "info"},
        "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
        "mailboxes": [{"name": "t", "address": "lpse@lpse.test", "staff": ["staff1@lpse.test"],
                       "imap": {"host": "127.0.0.1", "port": port, "security": "none", "username": "lpse@lpse.test",
                                "password": "s3cr3t-imap-pw", "poll_seconds": poll_seconds}}],
    })


def test_typo_in_config_exits_78_naming_the_key(tmp_path, capsys):
    """Acceptance 5: a typo'd key stops mailbot with 78 and names it."""
    path = unreachable_config(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["mailboxes"][0]["imap"]["pol_seconds"] = 5
    write(tmp_path, data)
    assert cli.main(["--config", str(path), "check"]) == 78
    err = capsys.readouterr().err
    assert "mailboxes[0].imap.pol_seconds: unknown key" in err and "poll_seconds" in err


def test_missing_config_exits_78(tmp_path, capsys):
    """A missing file is a configuration error too."""
    assert cli.main(["--config", str(tmp_path / "nope.yaml"), "tickets"]) == 78
    assert "does not exist" in capsys.readouterr().err


def test_usage_error_exits_2(capsys):
    """An unknown command is a usage error."""
    assert cli.main(["frobnicate"]) == 2


def test_check_with_unreachable_imap_exits_69(tmp_path, capsys):
    """Acceptance 5: `check` names the unreachable server in one clear line."""
    path = unreachable_config(tmp_path)
    assert cli.main(["--config", str(path), "check"]) == 69
    out = capsys.readouterr().out
    assert "t: imap FAILED: IMAP server 127.0.0.1:" in out and "unreachable" in out
    assert "t: smtp FAILED: SMTP server 127.0.0.1:" in out


def test_check_against_real_servers_passes(fresh_mailboxes, tmp_path, capsys):
    """`check` logs in to the real Dovecot and SMTP server."""
    from tests.mailfactory import write_config

    path = write_config(fresh_mailboxes, tmp_path)
    assert cli.main(["--config", str(path), "check"]) == 0
    out = capsys.readouterr().out
    assert "t: IMAP 127.0.0.1" in out and "ok" in out and "t: SMTP 127.0.0.1" in out


def test_check_names_an_imap_folder_that_does_not_exist(fresh_mailboxes, tmp_path, capsys):
    """A typo'd imap.folder: `check` says which folder, still checks SMTP, and exits 78."""
    from tests.mailfactory import write_config

    path = write_config(fresh_mailboxes, tmp_path)
    data = yaml.safe_load(path.read_text())
    data["mailboxes"][0]["imap"]["folder"] = "Kotak Masuk"
    path.write_text(yaml.safe_dump(data))
    assert cli.main(["--config", str(path), "check"]) == 78
    out = capsys.readouterr().out
    assert "t: imap FAILED: IMAP folder 'Kotak Masuk'" in out and "(imap.folder)" in out
    assert "t: SMTP 127.0.0.1" in out


def test_run_once_says_in_its_exit_status_that_a_mailbox_could_not_be_read(fresh_mailboxes, tmp_path, capsys):
    """`run --once` from cron or a script: a server down is 69 and a refused login 77 (SPEC 10),
    not 0 with the error inside the JSON only; the pass still runs its timers and outbox."""
    from tests.mailfactory import write_config

    assert cli.main(["--config", str(unreachable_config(tmp_path)), "run", "--once"]) == 69
    assert '"t": "error: IMAP server 127.0.0.1:' in capsys.readouterr().out
    path = write_config(fresh_mailboxes, tmp_path)
    data = yaml.safe_load(path.read_text())
    data["mailboxes"][0]["imap"]["password"] = "not-the-password"
    path.write_text(yaml.safe_dump(data))
    assert cli.main(["--config", str(path), "run", "--once"]) == 77
    out = capsys.readouterr().out
    assert "refused" in out and "not-the-password" not in out
    data["mailboxes"][0]["imap"]["password"] = fresh_mailboxes.password_for("lpse@lpse.test")
    path.write_text(yaml.safe_dump(data))
    assert cli.main(["--config", str(path), "run", "--once"]) == 0


@pytest.mark.integration  # the daemon as a process, 6 s of backoff
def test_run_retries_with_backoff_and_stops_on_sigterm(tmp_path):
    """Acceptance 5: `run` keeps retrying an unreachable IMAP server, waiting longer each time."""
    path = unreachable_config(tmp_path, poll_seconds=1)
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(path), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        while sum('"retrying_later"' in line for line in lines) < 2:  # two waits, however slow the start
            line = proc.stdout.readline().decode()
            assert line, "the daemon exited early"
            lines.append(line)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    events = [json.loads(line) for line in "".join(lines).splitlines() + out.decode().splitlines()
              if line.startswith("{")]
    names = [e["event"] for e in events]
    assert names.count("mailbox_unavailable") == 1  # the error once, each retry at info
    assert names.count("mailbox_still_unavailable") >= 1
    waits = [e["seconds"] for e in events if e["event"] == "retrying_later"]
    assert waits[:2] == [2, 4]
    assert names[-1] == "daemon_stopped"
    assert "s3cr3t-imap-pw" not in "".join(lines) + out.decode() + err.decode()  # secrets never reach the log


def test_an_unreachable_server_is_tried_again_soon_and_a_refused_login_slowly():
    """A server that is restarting or cut off is tried again from 2 s on (mail that comes once
    it is back waits seconds, not minutes); a refused login, which the operator must mend, from
    2 x poll_seconds on, so that failed logins do not pile up on the unit's mail server."""
    from mailbot.daemon.service import retry_delay
    from mailbot.errors import LoginRefusedError, MissingFolderError, UnreachableError

    down = UnreachableError("IMAP server 127.0.0.1:993 unreachable: [Errno 111] Connection refused")
    assert [retry_delay(down, n, 60) for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert retry_delay(down, 40, 60) == 600
    refused = LoginRefusedError("IMAP login to 127.0.0.1:993 as lpse@batam.go.id refused")
    assert [retry_delay(refused, n, 60) for n in (1, 2, 3, 4)] == [120, 240, 480, 600]
    assert retry_delay(MissingFolderError("IMAP folder 'INBOX' cannot be selected"), 1, 60) == 120


def test_daemon_answers_new_mail_through_idle(fresh_mailboxes, tmp_path):
    """`run` waits with IMAP IDLE: new mail is answered long before the 60 s poll interval."""
    import email
    import email.policy

    import yaml as _yaml

    from tests.mailfactory import UNIT, mail, write_config

    servers = fresh_mailboxes
    path = write_config(servers, tmp_path)
    data = _yaml.safe_load(path.read_text())
    data["mailboxes"][0]["imap"].update(idle=True, poll_seconds=60)
    data["log"] = {"format": "json", "level": "debug"}
    path.write_text(_yaml.safe_dump(data))
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(path), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(line.decode() for line in proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any('"idle_waiting"' in line for line in lines):
            time.sleep(0.1)  # the first pass is done and the daemon idles
        raw, _ = mail("budi@vendor.test", "Tidak bisa login", "Mohon bantuan.")
        servers.send(raw, "budi@vendor.test", [UNIT])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not servers.fetch("budi@vendor.test"):
            time.sleep(0.5)
        acks = servers.fetch("budi@vendor.test")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        reader.join(5)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert len(acks) == 1
    assert email.message_from_bytes(acks[0], policy=email.policy.default)["Auto-Submitted"] == "auto-replied"
    assert any('"idle_woke"' in line for line in lines), lines


def test_check_reports_a_bad_rule_with_file_rule_and_field(tmp_path, capsys):
    """Rules are validated by `check` too; the error names file, rule and field (exit 78)."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "lkpp.yaml").write_text(
        "rules:\n  - name: lkpp-broken\n    value: need_info\n    pattern: ['(unclosed']\n")
    path = unreachable_config(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["rules_dir"] = str(rules)
    write(tmp_path, data)
    assert cli.main(["--config", str(path), "check"]) == 78
    err = capsys.readouterr().out  # "rules: FAILED: ...", beside the server checks
    assert "lkpp.yaml" in err and "lkpp-broken" in err and "pattern" in err


def test_check_names_a_data_location_it_cannot_write(tmp_path, capsys):
    """`check` tries the database, archive and key locations; a bad one exits 78 naming the path."""
    path = unreachable_config(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be\n")
    data = yaml.safe_load(path.read_text())
    data["archive_dir"] = str(blocker / "archive")
    write(tmp_path, data)
    assert cli.main(["--config", str(path), "check"]) == 78
    out = capsys.readouterr().out
    assert f"archive_dir: FAILED: cannot create {blocker / 'archive'}: {blocker} is not a folder" in out
    assert f"database: ok ({tmp_path / 'db.sqlite'})" in out
    assert "t: imap FAILED" in out  # every problem is still reported


def as_unprivileged(argv: list[str]) -> list[str]:
    """`argv` run so that file modes apply: root gives up its power to override them."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is needed to test file modes as root")
    return [setpriv, "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search,-fowner", "--", *argv]


def test_check_names_a_data_folder_mailbot_may_not_enter(tmp_path):
    """/var/lib/mailbot made by hand, mode 0700, owned by another user: `check` says so for the
    database, archive and key (exit 78, the servers still checked), not a crash with 70."""
    path = unreachable_config(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    data = yaml.safe_load(path.read_text())
    data |= {"database": str(state / "mailbot.db"), "archive_dir": str(state / "archive"),
             "secret_key_file": str(state / "secret.key")}
    write(tmp_path, data)
    state.chmod(0)
    try:
        done = subprocess.run(as_unprivileged([sys.executable, "-m", "mailbot", "--config", str(path), "check"]),
                              capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
    finally:
        state.chmod(0o700)
    assert done.returncode == 78, done.stdout + done.stderr
    for key, where in (("database", "mailbot.db"), ("archive_dir", "archive"), ("secret_key_file", "secret.key")):
        assert f"{key}: FAILED: cannot reach {state / where}: " in done.stdout, done.stdout
    assert "Permission denied" in done.stdout and "t: imap FAILED" in done.stdout


@pytest.mark.integration  # the daemon as a process
@pytest.mark.parametrize("blocked", ["folder", "database"])
def test_run_stops_with_78_on_a_data_location_it_cannot_use(tmp_path, blocked):
    """The state folder, or a database file left by root, that the service's user cannot use:
    `run` exits 78 naming the key (systemd does not restart on 78), not 70 every 30 seconds."""
    path = unreachable_config(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    data = yaml.safe_load(path.read_text())
    data |= {"database": str(state / "mailbot.db"), "archive_dir": str(state / "archive"),
             "secret_key_file": str(state / "secret.key")}
    write(tmp_path, data)
    target = state if blocked == "folder" else state / "mailbot.db"
    target.touch()
    target.chmod(0)
    try:
        done = subprocess.run(as_unprivileged([sys.executable, "-m", "mailbot", "--config", str(path), "run"]),
                              capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)
    finally:
        target.chmod(0o700)
    assert done.returncode == 78, done.stdout + done.stderr
    assert "configuration error: database: " in done.stderr and str(state / "mailbot.db") in done.stderr
    assert "Traceback" not in done.stderr


def test_a_key_file_too_short_to_sign_is_a_configuration_error(tmp_path, capsys):
    """An empty or short secret_key_file (made with `touch`): `check` names it and exits 78, and a
    command that signs mail exits 78 with one line, not a traceback and 1 (systemd restarts on 1)."""
    path = unreachable_config(tmp_path)
    (tmp_path / "key").write_text("")
    assert cli.main(["--config", str(path), "check"]) == 78
    assert f"secret_key_file: FAILED: {tmp_path / 'key'} holds 0 bytes, fewer than 32" in capsys.readouterr().out
    assert cli.main(["--config", str(path), "sweep"]) == 78
    err = capsys.readouterr().err
    assert "secret_key_file" in err and "Traceback" not in err


def test_check_finds_broken_operator_templates_and_words(tmp_path, capsys):
    """A template with a syntax error, or a templates_dir that is not there, fails `check` (78)
    with the file and line named; words.yaml of the wrong shape stops `check` and `run` alike."""
    path = unreachable_config(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["templates_dir"] = str(tmp_path / "missing")
    write(tmp_path, data)
    assert cli.main(["--config", str(path), "check"]) == 78
    assert f"templates_dir: FAILED: {tmp_path / 'missing'} is not a folder" in capsys.readouterr().out

    templates = tmp_path / "templates"
    (templates / "id").mkdir(parents=True)
    (templates / "id" / "ack.txt").write_text("Tiket {{ number }\n")
    data["templates_dir"] = str(templates)
    write(tmp_path, data)
    assert cli.main(["--config", str(path), "check"]) == 78
    assert f"templates: FAILED: {templates / 'id' / 'ack.txt'}: line 1:" in capsys.readouterr().out

    other = tmp_path / "other"  # words are read once per process and folder
    (other / "id").mkdir(parents=True)
    (other / "id" / "words.yaml").write_text("days: [Senin]\n")
    data["templates_dir"] = str(other)
    write(tmp_path, data)
    for command in ("check", "run"):
        assert cli.main(["--config", str(path), command, *(["--once"] if command == "run" else [])]) == 78
        said = capsys.readouterr()
        assert "words.yaml: days: expected a list of 7 words" in said.out + said.err  # check: beside the rest


def test_check_with_a_refused_imap_login_exits_77(fresh_mailboxes, tmp_path, capsys):
    """A wrong password is a refused login (77), not an unreachable server (69)."""
    from tests.mailfactory import write_config

    path = write_config(fresh_mailboxes, tmp_path)
    data = yaml.safe_load(path.read_text())
    data["mailboxes"][0]["imap"]["password"] = "wrong-password"
    path.write_text(yaml.safe_dump(data))
    assert cli.main(["--config", str(path), "check"]) == 77
    out = capsys.readouterr().out
    assert "t: imap FAILED: IMAP login to 127.0.0.1:" in out and "refused" in out
    assert "wrong-password" not in out
    assert "refused: [AUTHENTICATIONFAILED] Authentication failed." in out  # the server's words, not b'...'


def test_sighup_reloads_run_in_the_same_process(fresh_mailboxes, tmp_path):
    """`kill -HUP` or `systemctl reload mailbot`, the habit for "reload the config": the daemon
    once died on the spot without a log line, then stopped with 75 for systemd to start it
    again 30 s later. It now reads the config again and goes on in the same
    process; SIGTERM still stops it with 0. (A changed and a broken config:
    tests/test_systemd_reload.py.)"""
    from tests.mailfactory import hangup_at_default, mail, wait_for, write_config

    servers = fresh_mailboxes
    path = write_config(servers, tmp_path)
    data = yaml.safe_load(path.read_text())
    data["log"] = {"format": "json", "level": "info"}
    path.write_text(yaml.safe_dump(data))
    with hangup_at_default():
        proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(path), "run"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, start_new_session=True)
    try:
        raw, _ = mail("budi@vendor.test", "Akun terkunci", "Mohon bantuan.")
        servers.send(raw, "budi@vendor.test", ["lpse@lpse.test"])
        assert wait_for(lambda: servers.fetch("budi@vendor.test"), 60), "the daemon never answered"
        proc.send_signal(signal.SIGHUP)
        time.sleep(3)
        assert proc.poll() is None, f"stopped by SIGHUP: exit {proc.returncode}"
        raw, _ = mail("sari@dinas.test", "Akun terkunci juga", "Mohon bantuan.")
        servers.send(raw, "sari@dinas.test", ["lpse@lpse.test"])
        assert wait_for(lambda: servers.fetch("sari@dinas.test"), 60), "no answer after the reload"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, (proc.returncode, err.decode()[-2000:])
    events = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    names = [e["event"] for e in events]
    assert "reload_accepted" in names and "config_reloaded" in names
    stops = [e for e in events if e["event"] == "stop_requested"]
    assert [s["signal"] for s in stops] == ["SIGTERM"]
    assert names[-1] == "daemon_stopped"


def test_sighup_leaves_a_daemon_started_under_nohup_running(fresh_mailboxes, tmp_path):
    """`nohup mailbot run > mailbot.log 2>&1 &` on a unit's server without systemd: when the
    operator's SSH session ends, the shell sends SIGHUP to its jobs, which nohup set to be
    ignored. mailbot took SIGHUP over anyway and stopped (exit 75, and nothing starts it
    again), so the unit's mail went unanswered from the operator's logout on. Ignored at
    start, SIGHUP stays ignored by the daemon and its sender; SIGTERM still stops it (0)."""
    from tests.mailfactory import mail, wait_for, write_config

    servers = fresh_mailboxes
    path = write_config(servers, tmp_path)
    proc = subprocess.Popen(["nohup", sys.executable, "-m", "mailbot", "--config", str(path), "run"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
                            start_new_session=True)
    try:
        raw, _ = mail("budi@vendor.test", "Akun terkunci", "Mohon bantuan.")
        servers.send(raw, "budi@vendor.test", ["lpse@lpse.test"])
        assert wait_for(lambda: servers.fetch("budi@vendor.test"), 60), "the daemon never answered"
        os.killpg(proc.pid, signal.SIGHUP)  # the logout's hang-up, to the whole job
        time.sleep(2)
        assert proc.poll() is None, f"stopped by an ignored SIGHUP: exit {proc.returncode}"
        raw, _ = mail("budi@vendor.test", "Dokumen penawaran gagal diunggah", "Mohon bantuan.")
        servers.send(raw, "budi@vendor.test", ["lpse@lpse.test"])
        assert wait_for(lambda: len(servers.fetch("budi@vendor.test")) == 2, 60), "its sender stopped on the hang-up"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, err.decode()[-2000:]


def test_an_imap_block_without_username_logs_in_as_the_mailbox_address(fresh_mailboxes, tmp_path, capsys):
    """`imap:` with a password and no `username:` (the mailbox's address is the login of most
    unit mailboxes): `check` failed with exit 70 and "command LIST illegal in state NONAUTH",
    never naming a key, and `run` retried that forever. The login defaults to the address."""
    from tests.mailfactory import write_config

    path = write_config(fresh_mailboxes, tmp_path)
    data = yaml.safe_load(path.read_text())
    del data["mailboxes"][0]["imap"]["username"]
    path.write_text(yaml.safe_dump(data))
    assert cli.main(["--config", str(path), "check"]) == 0
    out = capsys.readouterr().out
    assert "t: IMAP 127.0.0.1" in out and "FAILED" not in out


def test_help_answers_without_loading_the_server_and_storage_libraries() -> None:
    """`mailbot --help` and a usage error need argparse only, not IMAP, SMTP, SQLite or logging."""
    probe = ("import sys\nfrom mailbot.cli.main import main\n"
             "assert main(['--help']) == 0 and main(['no-such-command']) == 2\n"
             "print('loaded:' + ','.join(sorted(m for m in ('imapclient', 'aiosmtplib', 'sqlite_utils',"
             " 'structlog', 'jinja2', 'schedule', 'mailbot.daemon.wiring', 'mailbot.io.store')"
             " if m in sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip().splitlines()[-1] == "loaded:"


@pytest.mark.parametrize(("argv", "said"), [
    (["sweep", "--now", "9999-12-31T23:59+00:00"], "an instant from 1970 to 9998"),
    (["sweep", "--now", "2026-11-24"], "give a UTC offset, e.g. 2026-11-24T08:00+07:00"),
    (["sweep", "--now", "2026-11-24T15:31"], "give a UTC offset, e.g. 2026-11-24T15:31+07:00"),
    (["report", "rekap", "--month", "9999-12"], "a month from 1970 to 9998"),
    (["report", "rekap", "--month", "0001-01"], "a month from 1970 to 9998"),
])
def test_times_out_of_range_are_usage_errors(tmp_path, capsys, argv, said):
    """A time mailbot cannot count from is a usage error (2) that says what is wanted, not a
    traceback; the example it gives is itself accepted."""
    path = unreachable_config(tmp_path)
    assert cli.main(["--config", str(path), *argv]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    if "e.g." in said:
        assert cli._instant(said.split("e.g. ")[1]).utcoffset() is not None


def test_commands_that_only_read_need_no_server_secret(tmp_path, capsys, monkeypatch):
    """A password from an environment variable that only the service has (or a credentials
    file only it may read): `tickets`, `ticket` and a report still work; what logs in or
    sends (`check`, `run`, `report --send`) still stops with 78 naming it."""
    monkeypatch.delenv("MAILBOT_TEST_ABSENT_PW", raising=False)
    path = unreachable_config(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["smtp"]["password"] = "${MAILBOT_TEST_ABSENT_PW}"
    data["smtp"]["username"] = "lpse@lpse.test"
    write(tmp_path, data)
    assert cli.main(["--config", str(path), "tickets"]) == 0
    out, err = capsys.readouterr()
    assert "0 ticket(s)" in out and f"no database at {tmp_path / 'db.sqlite'} yet" in err
    assert not (tmp_path / "db.sqlite").exists()  # a command that only reads leaves nothing behind
    assert cli.main(["--config", str(path), "ticket", "2026-00001"]) == 1
    assert cli.main(["--config", str(path), "report", "rekap", "--month", "2026-11"]) == 0
    capsys.readouterr()
    for argv in (["check"], ["run", "--once"], ["report", "summary", "--month", "2026-11", "--send"]):
        assert cli.main(["--config", str(path), *argv]) == 78, argv
        assert "MAILBOT_TEST_ABSENT_PW is not set" in capsys.readouterr().err

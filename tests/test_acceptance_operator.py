"""Acceptance scenarios for the operator's side of mailbot, written from the contract alone.

Scope: SPEC sections 7 (rules), 8 (templates), 10 (command line), 11 (storage),
12 (configuration) and the README's operator sections. Every scenario drives the real
command line as a subprocess (`python -m mailbot --config ...`) against the private
Dovecot + SMTP on loopback (tests/localmail.py) and reads outcomes back as an operator or
a mail client would: exit codes, what the command prints, mail in the users' INBOXes,
files on disk. Each docstring quotes the sentence it checks.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests import mailfactory as mf
from tests.localmail import LocalMailServers

ROOT = Path(__file__).resolve().parents[1]
REQ = "budi@vendor.test"
REQ2 = "sari@dinas.test"
COORD = "koordinator@lpse.test"
HEAD = "kepala@lpse.test"
PREFIX = "LPSE-T"

pytestmark = pytest.mark.integration


# --- harness ----------------------------------------------------------------------------


def cli(*args: object, config: Path | None = None, cwd: Path | None = None,
        env: dict[str, str] | None = None, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """`mailbot [--config PATH] ARGS` as an operator runs it."""
    cmd = [sys.executable, "-m", "mailbot"]
    if config is not None:
        cmd += ["--config", str(config)]
    cmd += [str(a) for a in args]
    environ = {k: v for k, v in os.environ.items() if k not in ("MAILBOT_CONFIG", "MAILBOT_DEBUG")}
    environ["PYTHONPATH"] = str(ROOT)
    environ.update(env or {})
    return subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=str(cwd or ROOT), env=environ,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def out(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def write_yaml(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def make_config(servers: LocalMailServers, tmp: Path, **overrides: object) -> Path:
    return write_yaml(tmp / "config.yaml", mf.config_data(servers, tmp, **overrides))


def _write_files(folder: Path, files: dict[str, object]) -> None:
    """Each file as an operator writes it: a text as it is, anything else as YAML."""
    for name, content in files.items():
        if isinstance(content, str):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(content)
        else:
            write_yaml(folder / name, content)


def with_rules(servers: LocalMailServers, tmp: Path, files: dict[str, object], **overrides: object) -> Path:
    """A config whose `rules_dir` holds these files (SPEC 7: the operator's rules)."""
    _write_files(tmp / "rules", files)
    return make_config(servers, tmp, rules_dir=str(tmp / "rules"), **overrides)


def with_templates(servers: LocalMailServers, tmp: Path, files: dict[str, object],
                   **overrides: object) -> Path:
    """A config whose `templates_dir` holds these files (SPEC 8: the operator's templates)."""
    _write_files(tmp / "templates", files)
    return make_config(servers, tmp, templates_dir=str(tmp / "templates"), **overrides)


def run_once(config: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    result = cli("run", "--once", config=config, **kw)  # type: ignore[arg-type]
    assert result.returncode == 0, out(result)
    return result


def deliver(servers: LocalMailServers, config: Path, sender: str, subject: str, body: str,
            **kw: object) -> str:
    raw, mid = mf.mail(sender, subject, body, **kw)  # type: ignore[arg-type]
    servers.append(mf.UNIT, raw)
    run_once(config)
    return mid


def tickets_json(config: Path, *extra: str) -> list[dict]:
    result = cli("tickets", "--json", *extra, config=config)
    assert result.returncode == 0, out(result)
    return json.loads(result.stdout)


def ticket_json(config: Path, number: str, *extra: str) -> dict:
    result = cli("ticket", number, "--json", *extra, config=config)
    assert result.returncode == 0, out(result)
    return json.loads(result.stdout)


def only_ticket(config: Path) -> dict:
    found = tickets_json(config)
    assert len(found) == 1, found
    return found[0]


def mails(servers: LocalMailServers, user: str, kind: str | None = None) -> list[EmailMessage]:
    found = mf.inbox(servers, user)
    return mf.of_kind(found, kind) if kind else found


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def staff_reply(servers: LocalMailServers, config: Path, text: str, staff: str = mf.STAFF[0]) -> None:
    """A staff member answers the newest staff notice from their mail client."""
    notice = mails(servers, staff)[-1]
    raw, _ = mf.reply_as_client(notice, staff, text)
    servers.append(mf.UNIT, raw)
    run_once(config)


@pytest.fixture
def servers(fresh_mailboxes: LocalMailServers) -> LocalMailServers:
    return fresh_mailboxes


# === SPEC 10: command line ================================================================


def test_version_prints_version_and_exits_0() -> None:
    """SPEC 10: "`--version` ... for scripts"; exit status "0 success"."""
    result = cli("--version")
    assert result.returncode == 0, out(result)
    assert "mailbot" in out(result) and any(ch.isdigit() for ch in out(result))


def test_unknown_command_is_usage_error_2(tmp_path: Path) -> None:
    """SPEC 10: "Exit status: 0 success, 2 usage error, ..." (an unknown command)."""
    result = cli("frobnicate", config=tmp_path / "config.yaml")
    assert result.returncode == 2, out(result)


def test_bad_state_filter_is_usage_error_2(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`tickets [--state S] ...`"; "2 usage error" for a state that does not exist."""
    config = make_config(servers, tmp_path)
    result = cli("tickets", "--state", "nonsense", config=config)
    assert result.returncode == 2, out(result)


def test_config_defaults_to_config_yaml_in_working_directory(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`mailbot [--config PATH] COMMAND` (default `./config.yaml`, ...)"."""
    make_config(servers, tmp_path)
    result = cli("check", cwd=tmp_path)
    assert result.returncode == 0, out(result)
    assert str(tmp_path / "config.yaml") in out(result) or "config.yaml" in out(result)
    assert str(ROOT / "config.yaml") not in out(result)


def test_config_from_MAILBOT_CONFIG_environment(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "(default `./config.yaml`, or `$MAILBOT_CONFIG`)"."""
    config = make_config(servers, tmp_path / "elsewhere")
    workdir = tmp_path / "work"
    workdir.mkdir()
    result = cli("check", cwd=workdir, env={"MAILBOT_CONFIG": str(config)})
    assert result.returncode == 0, out(result)


def test_missing_config_file_is_configuration_error_78(tmp_path: Path) -> None:
    """SPEC 10: "Exit status: ... 78 configuration error" (the named config file does not exist)."""
    missing = tmp_path / "nope.yaml"
    result = cli("check", config=missing)
    assert result.returncode == 78, out(result)
    assert "nope.yaml" in out(result)


def test_check_all_good_exits_0_and_reports_both_servers(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`check` | validate config and rules, log in to IMAP and SMTP, report each problem clearly"."""
    config = make_config(servers, tmp_path)
    result = cli("check", config=config)
    assert result.returncode == 0, out(result)
    text = out(result)
    assert "IMAP" in text and "SMTP" in text


def test_check_unreachable_imap_exits_69(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "69 a server unreachable"."""
    config = make_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers, port=closed_port())])
    result = cli("check", config=config)
    assert result.returncode == 69, out(result)
    assert "IMAP" in out(result)


def test_check_refused_imap_login_exits_77(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "77 a login refused"."""
    config = make_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers, password="wrong-password")])
    result = cli("check", config=config)
    assert result.returncode == 77, out(result)


def test_check_reports_every_problem_and_exits_with_the_gravest(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`check` ... report each problem clearly"; README: "`check` reports every problem and
    exits with the gravest: 78 ..., else 69, else 77"."""
    config = make_config(servers, tmp_path,
                         mailboxes=[mf.mailbox_block(servers, password="wrong-password")],
                         smtp={"host": "127.0.0.1", "port": closed_port(), "security": "none"})
    result = cli("check", config=config)
    assert result.returncode == 69, out(result)
    lines = out(result).splitlines()
    imap_lines = [ln for ln in lines if "IMAP" in ln]
    smtp_lines = [ln for ln in lines if "SMTP" in ln]
    assert imap_lines and smtp_lines, out(result)
    assert not any(ln.rstrip().endswith(" ok") or " ok," in ln for ln in imap_lines), out(result)
    assert not any(" ok" in ln for ln in smtp_lines), out(result)


def test_check_unwritable_database_location_exits_78_naming_path(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "78 when the database, archive or key location cannot be written (it tries, and names the path)"."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file, not a folder")
    config = make_config(servers, tmp_path, database=str(blocker / "mailbot.db"))
    result = cli("check", config=config)
    assert result.returncode == 78, out(result)
    assert str(blocker) in out(result)


def test_check_warns_when_auth_mode_off(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 9 (as `check` shows it): "`auth.mode: off`: From alone (for closed test setups only; `check` warns)"."""
    config = make_config(servers, tmp_path, auth={"mode": "off"})
    result = cli("check", config=config)
    assert result.returncode == 0, out(result)
    text = out(result).lower()
    assert "warn" in text and "off" in text


def test_run_once_handles_pending_mail_sends_outbox_and_exits(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`run --once` | handle all pending mail of every mailbox, run due timers, send the outbox, exit";
    SPEC 2: "A message is moved to the `Processed` folder ... only after everything it caused is durably recorded"."""
    config = make_config(servers, tmp_path)
    raw, _ = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci sejak pagi.")
    servers.append(mf.UNIT, raw)
    result = cli("run", "--once", config=config)
    assert result.returncode == 0, out(result)
    acks = mails(servers, REQ, "ack")
    assert len(acks) == 1
    assert f"[{PREFIX} #" in str(acks[0]["Subject"])
    assert servers.fetch(mf.UNIT, "INBOX") == []
    assert len(servers.fetch(mf.UNIT, "Processed")) == 1
    assert mails(servers, mf.STAFF[0], "staff_new")


def two_units_with_a_ticket_each(servers: LocalMailServers, tmp_path: Path) -> Path:
    """Two mailboxes (prefixes LPSE-T and LPSE-U), one request handled in each; the config."""
    second = mf.mailbox_block(servers, address=REQ2, name="u", prefix="LPSE-U")
    config = make_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers), second])
    raw1, _ = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.")
    raw2, _ = mf.mail(REQ, "Lupa password", "Saya lupa password.", to=REQ2)
    servers.append(mf.UNIT, raw1)
    servers.append(REQ2, raw2)
    run_once(config)
    return config


def test_run_once_handles_every_mailbox(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`run --once` | handle all pending mail of every mailbox ..."."""
    config = two_units_with_a_ticket_each(servers, tmp_path)
    found = tickets_json(config)
    assert sorted(t["mailbox"] for t in found) == ["t", "u"]
    subjects = [str(m["Subject"]) for m in mails(servers, REQ, "ack")]
    assert any("LPSE-T #" in s for s in subjects) and any("LPSE-U #" in s for s in subjects)


def test_run_once_with_unreachable_imap_exits_69(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "`run --once` handles every mailbox it can read and then exits as `check` would for the ones it
    could not (78 a missing folder, else 69, else 77)"; SPEC 10: "69 a server unreachable"."""
    config = make_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers, port=closed_port())])
    result = cli("run", "--once", config=config)
    assert result.returncode == 69, out(result)


def test_tickets_lists_and_filters_by_state(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`tickets [--state S] [--overdue]` ... list tickets"."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    staff_reply(servers, config, "#tutup diam\nSudah dibantu lewat telepon.")
    deliver(servers, config, REQ2, "Lupa password", "Saya lupa password SPSE.")
    listing = cli("tickets", config=config)
    assert listing.returncode == 0, out(listing)
    assert "Akun terkunci" in listing.stdout and "Lupa password" in listing.stdout
    closed = cli("tickets", "--state", "closed", config=config)
    assert closed.returncode == 0, out(closed)
    assert "Akun terkunci" in closed.stdout and "Lupa password" not in closed.stdout
    opened = cli("tickets", "--state", "open", config=config)
    assert "Lupa password" in opened.stdout and "Akun terkunci" not in opened.stdout


def test_tickets_json_for_scripts(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`--json` on `tickets` and `ticket` | for scripts"; README: "`--json` gives scripts the same
    facts with ISO-8601 times"."""
    from datetime import datetime

    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    found = tickets_json(config)
    assert len(found) == 1
    row = found[0]
    assert row["state"] == "open"
    assert row["requester"] == REQ
    assert row["number"].startswith("20") and len(row["number"]) == 10
    parsed = datetime.fromisoformat(row["created_at"])
    assert parsed.tzinfo is not None


def test_tickets_overdue_lists_only_overdue_tickets(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`tickets [--state S] [--overdue]`"; SPEC 7: rules give "the deadlines per priority"."""
    # every day and hour working time, whatever day the suite runs (no public holidays): but
    # hours close at 23:59 at the latest (config), so in that last minute no working time passes
    config = with_rules(servers, tmp_path, {"deadlines.yaml": {"low": {"first_response": 0.0003}}},
                        calendar={"workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                  "hours": "00:00-23:59", "country_holidays": None})
    now = datetime.now(ZoneInfo("Asia/Jakarta"))  # the config's time zone (the default)
    if (now.hour, now.minute) == (23, 59):
        time.sleep(61 - now.second)
    deliver(servers, config, REQ, "Tanya jadwal", "Kapan jadwal pelatihan?")   # low priority
    deliver(servers, config, REQ2, "Akun terkunci", "Akun saya terkunci.")     # normal priority
    lows = [t for t in tickets_json(config) if t["priority"] == "low"]
    assert len(lows) == 1, tickets_json(config)
    time.sleep(2)
    result = cli("tickets", "--overdue", config=config)
    assert result.returncode == 0, out(result)
    assert lows[0]["number"] in result.stdout
    others = [t["number"] for t in tickets_json(config) if t["priority"] != "low"]
    assert others and all(n not in result.stdout for n in others), result.stdout
    as_json = cli("tickets", "--overdue", "--json", config=config)
    assert as_json.returncode == 0, out(as_json)
    assert lows[0]["number"] in as_json.stdout


def test_ticket_shows_one_ticket_with_its_history(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`ticket NUMBER` | ... show one with its history"; SPEC 4: "Every message in and out, every state
    change and every command is recorded in the ticket's history with time and actor"."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci sejak pagi.")
    staff_reply(servers, config, "#catatan cek log server dulu")
    number = only_ticket(config)["number"]
    result = cli("ticket", number, config=config)
    assert result.returncode == 0, out(result)
    text = result.stdout
    assert number in text and "Akun terkunci" in text
    assert REQ in text and mf.STAFF[0] in text
    assert "Akun saya terkunci sejak pagi." in text
    detail = ticket_json(config, number)
    actors = {h["actor"] for h in detail["history"]}
    assert REQ in actors and mf.STAFF[0] in actors
    assert all(h["at"] for h in detail["history"])


def test_ticket_accepts_number_as_copied_from_a_subject(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "`ticket` takes the number as it is copied from a subject too (`"[LPSE-BTM #2026-00042]"`,
    `#2026-00042`)"."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    number = only_ticket(config)["number"]
    for form in (f"[{PREFIX} #{number}]", f"#{number}"):
        result = cli("ticket", form, config=config)
        assert result.returncode == 0, (form, out(result))
        assert "Akun terkunci" in result.stdout


def test_ticket_unknown_number_exits_1(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "Exit status: 0 success, 1 no such ticket, ..."."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    result = cli("ticket", "2001-00077", config=config)
    assert result.returncode == 1, out(result)


def test_ticket_number_held_by_two_mailboxes_asks_for_mailbox(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "each mailbox numbers its own tickets, so a number that two mailboxes hold asks for `--mailbox`
    or the tag (exit 2)"."""
    config = two_units_with_a_ticket_each(servers, tmp_path)
    numbers = {t["number"] for t in tickets_json(config)}
    assert len(numbers) == 1, numbers
    number = numbers.pop()
    assert cli("ticket", number, config=config).returncode == 2
    by_mailbox = cli("ticket", number, "--mailbox", "u", config=config)
    assert by_mailbox.returncode == 0 and "Lupa password" in by_mailbox.stdout
    by_tag = cli("ticket", f"[LPSE-T #{number}]", config=config)
    assert by_tag.returncode == 0 and "Akun terkunci" in by_tag.stdout


def test_sweep_now_runs_deadline_timers_as_of_that_instant(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`sweep [--now ISO-8601]` | run the deadline timers as of now or of the given instant, send the
    outbox"; SPEC 6: first_response "`overdue_staff` to staff and coordinators"."""
    from datetime import datetime, timedelta

    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    number = only_ticket(config)["number"]
    assert not mails(servers, mf.STAFF[0], "overdue_staff")
    later = (datetime.now(UTC) + timedelta(days=8)).isoformat()
    result = cli("sweep", "--now", later, config=config)
    assert result.returncode == 0, out(result)
    for who in (mf.STAFF[0], COORD):
        overdue = mails(servers, who, "overdue_staff")
        assert overdue and number in str(overdue[0]["Subject"]), who


def test_sweep_with_a_bad_instant_is_usage_error_2(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`sweep [--now ISO-8601]`"; "2 usage error"."""
    config = make_config(servers, tmp_path)
    result = cli("sweep", "--now", "next tuesday", config=config)
    assert result.returncode == 2, out(result)


def test_replay_handles_a_saved_message_as_if_it_had_arrived(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`replay FILE.eml [--mailbox NAME] [--dry-run]` | handle a saved message as if it had arrived"."""
    config = make_config(servers, tmp_path)
    raw, _ = mf.mail(REQ, "Penawaran gagal terkirim", "Penawaran saya gagal terkirim, mohon bantuan.")
    saved = tmp_path / "saved.eml"
    saved.write_bytes(raw)
    result = cli("replay", saved, config=config)
    assert result.returncode == 0, out(result)
    found = tickets_json(config)
    assert [t["subject"] for t in found] == ["Penawaran gagal terkirim"]
    assert mails(servers, REQ, "ack")


def test_replay_dry_run_changes_nothing(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`replay FILE.eml [--mailbox NAME] [--dry-run]`" (a dry run records and sends nothing)."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ2, "Lupa password", "Saya lupa password.")
    before = tickets_json(config)
    raw, _ = mf.mail(REQ, "Penawaran gagal terkirim", "Penawaran saya gagal terkirim.")
    saved = tmp_path / "saved.eml"
    saved.write_bytes(raw)
    result = cli("replay", saved, "--dry-run", config=config)
    assert result.returncode == 0, out(result)
    assert tickets_json(config) == before
    run_once(config)
    assert not mails(servers, REQ)


RECAP_COLUMNS = ["No", "Tgl", "Alamat E-mail", "Nama", "Isi Pesan", "Kategori", "Tujuan", "Tgl Jawaban",
                 "Isi Jawaban", "Petugas"]


def _this_month(config: Path) -> str:
    return only_ticket(config)["created_at"][:7]


def test_report_rekap_csv_has_exactly_the_ten_columns(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`report rekap --month YYYY-MM ...` | "Rekap Penanganan Permasalahan" with exactly these columns:
    No, Tgl, Alamat E-mail, Nama, Isi Pesan, Kategori, Tujuan, Tgl Jawaban, Isi Jawaban, Petugas"."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci sejak pagi.", name="Budi Santoso")
    month = _this_month(config)
    result = cli("report", "rekap", "--month", month, "--format", "csv", config=config)
    assert result.returncode == 0, out(result)
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert rows[0] == RECAP_COLUMNS
    assert len(rows) == 2
    assert rows[1][2] == REQ
    assert "Akun saya terkunci sejak pagi." in rows[1][4]


def test_report_rekap_xlsx_to_file(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`report rekap ... [--format csv|xlsx] [--output FILE]`"; README: "row 2 the header with exactly
    the ten column names"."""
    import openpyxl

    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    target = tmp_path / "rekap.xlsx"
    result = cli("report", "rekap", "--month", _this_month(config), "--output", target, config=config)
    assert result.returncode == 0, out(result)
    sheet = openpyxl.load_workbook(target).active
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert rows[0] == RECAP_COLUMNS
    assert rows[1][2] == REQ


def test_report_with_a_bad_month_is_usage_error_2(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`report rekap --month YYYY-MM`"; "2 usage error"."""
    config = make_config(servers, tmp_path)
    result = cli("report", "rekap", "--month", "November", config=config)
    assert result.returncode == 2, out(result)


def test_report_summary_is_self_contained_html(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`report summary --month YYYY-MM ... [--output FILE.html]` | monthly summary for the head ...;
    self-contained HTML"."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    target = tmp_path / "summary.html"
    result = cli("report", "summary", "--month", _this_month(config), "--output", target, config=config)
    assert result.returncode == 0, out(result)
    html = target.read_text()
    assert "<html" in html.lower()
    lowered = html.lower()
    for remote in ('src="http', "src='http", 'href="http', "@import", "url(http", 'src="//'):
        assert remote not in lowered, remote


def test_report_summary_send_mails_heads_and_coordinators(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`--send` mails it to heads and coordinators"."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    result = cli("report", "summary", "--month", _this_month(config), "--send", config=config)
    assert result.returncode == 0, out(result)
    for who in (HEAD, COORD):
        subjects = [str(m["Subject"]) for m in mails(servers, who)]
        assert any("Ringkasan bulanan" in s for s in subjects), (who, subjects)


def test_run_daemon_stops_cleanly_on_sigterm(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`run` | the daemon: IMAP IDLE (polling where the server lacks it), timers, outbox; stops cleanly
    on SIGTERM"."""
    config = make_config(servers, tmp_path)
    environ = {**os.environ, "PYTHONPATH": str(ROOT)}
    environ.pop("MAILBOT_CONFIG", None)
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=str(ROOT), env=environ,
                            start_new_session=True)
    try:
        raw, _ = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.")
        servers.send(raw, REQ, [mf.UNIT])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not mails(servers, REQ, "ack"):
            time.sleep(0.5)
        assert mails(servers, REQ, "ack"), "the running daemon never acknowledged"
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# === SPEC 11: storage =====================================================================


def test_default_storage_is_sqlite_wal_and_eml_archive_under_data(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 11: "SQLite (WAL) at `database` (default `data/mailbot.db`) ... Every message in and out is archived
    as raw `.eml` under `archive_dir` (default `data/archive/`)"; README: data paths resolve "against the config
    file's folder"."""
    data = mf.config_data(servers, tmp_path)
    for key in ("database", "archive_dir", "secret_key_file"):
        del data[key]
    config = write_yaml(tmp_path / "unit" / "config.yaml", data)
    raw, mid = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.")
    servers.append(mf.UNIT, raw)
    run_once(config, cwd=tmp_path)
    db = tmp_path / "unit" / "data" / "mailbot.db"
    assert db.is_file()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    emls = list((tmp_path / "unit" / "data" / "archive").rglob("*.eml"))
    assert emls
    contents = [p.read_bytes() for p in emls]
    assert any(mid.encode() in c and b"Akun saya terkunci." in c for c in contents), "inbound not archived"
    ack = mails(servers, REQ, "ack")[0]
    ack_id = str(ack["Message-ID"]).strip("<>").encode()
    assert any(ack_id in c for c in contents), "outbound ack not archived"


def test_archived_inbound_mail_is_the_raw_bytes(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 11: "Every message in and out is archived as raw `.eml`"."""
    config = make_config(servers, tmp_path)
    raw, mid = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.\nBaris kedua dengan spasi  ganda.")
    servers.append(mf.UNIT, raw)
    run_once(config)
    contents = [p.read_bytes() for p in (tmp_path / "archive").rglob("*.eml")]
    body = raw.split(b"\n\n", 1)[1].replace(b"\r\n", b"\n")
    assert any(body in c.replace(b"\r\n", b"\n") for c in contents if mid.encode() in c)


def test_attachments_keep_bytes_and_names_are_sanitised(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 11: "Attachments keep their bytes; file names are sanitised."; SPEC 2: "A notification carries the
    requester's message and attachments"."""
    config = make_config(servers, tmp_path)
    payload = b"%PDF-1.4\n" + bytes(range(256)) * 4
    raw, _ = mf.mail(REQ, "Dokumen penawaran", "Terlampir dokumen.",
                     attachments=(("../../etc/cron.d/bukti\\tender.pdf", "application/pdf", payload),))
    servers.append(mf.UNIT, raw)
    run_once(config)
    notice = mails(servers, mf.STAFF[0], "staff_new")[0]
    parts = [p for p in notice.iter_attachments() if p.get_content_type() != "message/rfc822"]
    assert len(parts) == 1, [p.get_content_type() for p in notice.walk()]
    assert parts[0].get_payload(decode=True) == payload
    name = parts[0].get_filename() or ""
    assert name and "/" not in name and "\\" not in name and not name.startswith("."), name
    # archived copies (in the archive folder) never escape it
    archive = (tmp_path / "archive").resolve()
    for path in (tmp_path).rglob("*"):
        if "bukti" in path.name:
            assert archive in path.resolve().parents, path


def test_secret_key_created_at_first_start(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "`secret_key_file: data/secret.key   # signs Message-IDs; created at first start if missing`"."""
    config = make_config(servers, tmp_path)
    key = tmp_path / "secret.key"
    assert not key.exists()
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    assert key.is_file() and key.stat().st_size > 0
    first = key.read_bytes()
    deliver(servers, config, REQ2, "Lupa password", "Saya lupa password.")
    assert key.read_bytes() == first


# === SPEC 12: configuration ===============================================================


def _config_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 78, out(result)
    for needle in needles:
        assert needle in out(result), (needle, out(result))


def test_unknown_top_level_key_stops_with_78_naming_it(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "Unknown keys and bad values stop start-up with exit 78 and a message naming the key"; README:
    "reopen_dayz: unknown key (did you mean 'reopen_days'?)"."""
    config = make_config(servers, tmp_path, reopen_dayz=7)
    _config_error(cli("run", "--once", config=config), "reopen_dayz", "reopen_days")


def test_unknown_nested_key_stops_with_78_naming_it(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "Unknown keys ... stop start-up with exit 78 and a message naming the key" (inside a mailbox)."""
    config = make_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers, processed_foldr="Done")])
    _config_error(cli("check", config=config), "processed_foldr")


def test_wrong_type_stops_with_78_naming_the_key(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "bad values stop start-up with exit 78 and a message naming the key" (a word for a number)."""
    config = make_config(servers, tmp_path, autoreply_limit="banyak")
    _config_error(cli("run", "--once", config=config), "autoreply_limit")


def test_bad_language_stops_with_78_naming_the_key(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "`language: id               # id | en`"; bad values stop start-up with exit 78 naming the key."""
    config = make_config(servers, tmp_path, language="fr")
    _config_error(cli("check", config=config), "language")


def test_bad_calendar_hours_stop_with_78(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: `calendar: hours: "08:00-16:00"`; bad values stop start-up with exit 78 naming the key."""
    config = make_config(servers, tmp_path, calendar={"hours": "pagi-sore"})
    _config_error(cli("check", config=config), "hours")


def test_bad_workday_stops_with_78(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: `workdays: [mon, tue, wed, thu, fri]`; bad values stop start-up with exit 78 naming the key."""
    config = make_config(servers, tmp_path, calendar={"workdays": ["mon", "funday"]})
    _config_error(cli("check", config=config), "workdays")


def test_missing_mailbox_address_stops_with_78(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "Every key has a default except the mailbox's address and servers" (so a missing address is an
    error naming it)."""
    box = mf.mailbox_block(servers)
    del box["address"]
    config = make_config(servers, tmp_path, mailboxes=[box])
    _config_error(cli("check", config=config), "address")


def test_missing_imap_server_stops_with_78(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "Every key has a default except the mailbox's address and servers"."""
    box = mf.mailbox_block(servers)
    del box["imap"]
    config = make_config(servers, tmp_path, mailboxes=[box])
    _config_error(cli("check", config=config), "imap")


def test_minimal_config_with_only_address_servers_and_staff(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "Every key has a default except the mailbox's address and servers." One
    more is required, on purpose: someone to tell of new tickets (`staff` or
    `staff_notify`); without them every request would reach no one."""
    box = {"address": mf.UNIT, "imap": {"host": servers.host, "port": servers.imap_port, "security": "none",
                                         "username": mf.UNIT, "password": servers.password_for(mf.UNIT)}}
    data = {"smtp": {"host": servers.host, "port": servers.smtp_port, "security": "none"}, "mailboxes": [box]}
    config = write_yaml(tmp_path / "config.yaml", data)
    _config_error(cli("check", config=config), "staff")
    box["staff"] = [mf.STAFF[0]]
    config = write_yaml(tmp_path / "config.yaml", data)
    result = cli("check", config=config)
    assert result.returncode == 0, out(result)


def test_password_from_password_file_relative_to_config(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "Secrets come from `password_file`"; README: "`password_file`, `token_file` and `ca_file` always
    against the config file's folder"."""
    unit = tmp_path / "unit"
    (unit / "secrets").mkdir(parents=True)
    (unit / "secrets" / "imap.pass").write_text(servers.password_for(mf.UNIT) + "\n")
    box = mf.mailbox_block(servers)
    del box["imap"]["password"]
    box["imap"]["password_file"] = "secrets/imap.pass"
    config = write_yaml(unit / "config.yaml", mf.config_data(servers, tmp_path, mailboxes=[box]))
    result = cli("check", config=config, cwd=tmp_path)
    assert result.returncode == 0, out(result)


def test_password_from_environment_reference(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "Secrets come from `password_file`, or from `${ENV_VAR}` references"."""
    config = make_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers, password="${MB_TEST_IMAP_PW}")])
    good = cli("check", config=config, env={"MB_TEST_IMAP_PW": servers.password_for(mf.UNIT)})
    assert good.returncode == 0, out(good)


def test_unset_environment_reference_is_a_configuration_error(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "Secrets come from ... `${ENV_VAR}` references"; "bad values stop start-up with exit 78 and a
    message naming the key"."""
    config = make_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers, password="${MB_TEST_UNSET_PW}")])
    _config_error(cli("check", config=config), "MB_TEST_UNSET_PW")


def test_secrets_never_reach_the_log(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "Secrets come from `password_file`, or from `${ENV_VAR}` references, never from the log";
    README: "bodies and secrets are never logged"."""
    secret = "Sup3r-Rahasia-Pw-9931"
    config = make_config(servers, tmp_path, log={"format": "json", "level": "debug"},
                         mailboxes=[mf.mailbox_block(servers, password=secret)])
    results = [cli("run", "--once", config=config), cli("check", config=config)]
    for result in results:
        assert secret not in out(result)
    assert results[1].returncode == 77


def test_security_none_only_for_loopback(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "`security` is one of `ssl`, `starttls`, `none` (`none` only for loopback hosts)"."""
    config = make_config(servers, tmp_path, smtp={"host": "smtp.example.org", "port": 25, "security": "none"})
    _config_error(cli("check", config=config), "security")


def test_bad_security_value_stops_with_78(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "`security` is one of `ssl`, `starttls`, `none`"."""
    config = make_config(servers, tmp_path, mailboxes=[mf.mailbox_block(servers, security="tls")])
    _config_error(cli("check", config=config), "security")


def test_auth_mode_off_written_unquoted_is_accepted(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "`auth: {mode: off}` may be written unquoted"."""
    config = make_config(servers, tmp_path)
    text = config.read_text() + "auth: {mode: off}\n"
    config.write_text(text)
    result = cli("check", config=config)
    assert result.returncode == 0, out(result)


def test_repository_config_yaml_is_a_valid_example(tmp_path: Path) -> None:
    """SPEC 12: "`config.yaml` at the repository root is a working example for the local demo." (Its
    configuration validates; without the demo servers running only the servers may fail.)"""
    unit = tmp_path / "demo"
    (unit / "data").mkdir(parents=True)
    (unit / "data" / "demo-imap.pass").write_text("demo\n")
    (unit / "config.yaml").write_text((ROOT / "config.yaml").read_text())
    result = cli("check", config=unit / "config.yaml")
    assert result.returncode in (0, 69, 77), out(result)


def test_relative_data_paths_resolve_against_config_folder(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "the data paths (`database`, `archive_dir`, ...) resolve against `$STATE_DIRECTORY` when systemd
    sets it ..., else against the config file's folder"."""
    data = mf.config_data(servers, tmp_path, database="db/unit.db", archive_dir="arsip")
    config = write_yaml(tmp_path / "unit" / "config.yaml", data)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    raw, _ = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.")
    servers.append(mf.UNIT, raw)
    run_once(config, cwd=elsewhere)
    assert (tmp_path / "unit" / "db" / "unit.db").is_file()
    assert list((tmp_path / "unit" / "arsip").rglob("*.eml"))
    assert not list(elsewhere.iterdir())


# === SPEC 7: rules ========================================================================


def _guess(config: Path, number: str, kind: str) -> dict:
    history = ticket_json(config, number)["history"]
    found = [h["detail"] for h in history if h["kind"] == kind]
    assert found, history
    return found[0]


def test_operator_priority_rule_is_added(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 7: rules are "shipped with defaults, extended or replaced by the operator's `rules_dir`: ... how a new
    ticket's category ... and priority are guessed"."""
    config = with_rules(servers, tmp_path, {"priority.yaml": {"rules": [
        {"name": "operator-sirup", "value": "high", "before": "priority-high-deadline",
         "pattern": r"\bsirup\b"}]}})
    deliver(servers, config, REQ, "Data SIRUP", "Mohon informasi data SIRUP kami.")
    ticket = only_ticket(config)
    assert ticket["priority"] == "high"
    assert _guess(config, ticket["number"], "priority_guessed")["rule"] == "operator-sirup"


def test_operator_can_disable_a_default_rule(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "A `rules_dir` with files of the same names replaces a default rule by its name, adds rules, drops
    one with `enabled: false`"."""
    config = with_rules(servers, tmp_path,
                        {"priority.yaml": {"rules": [{"name": "priority-high-offer", "enabled": False}]}})
    deliver(servers, config, REQ, "Tidak bisa upload penawaran", "Saya tidak bisa upload penawaran.")
    ticket = only_ticket(config)
    assert _guess(config, ticket["number"], "priority_guessed")["rule"] != "priority-high-offer"


def test_operator_category_rule_replaces_default_by_name(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "A `rules_dir` with files of the same names replaces a default rule by its name"; SPEC 7: "how a
    new ticket's category (pengaduan / pertanyaan / konsultasi) ... [is] guessed"."""
    config = with_rules(servers, tmp_path, {"category.yaml": {"rules": [
        {"name": "category-complaint-explicit", "value": "konsultasi", "pattern": r"\bkeluhan\b"}]}})
    deliver(servers, config, REQ, "Keluhan layanan", "Saya ingin menyampaikan keluhan.")
    ticket = only_ticket(config)
    assert ticket["category"] == "konsultasi"


def test_operator_deadlines_per_priority_take_effect(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 7: rules give "the deadlines per priority"; SPEC 4 E1: "acknowledgement with tag, number and expected
    handling times"."""
    config = with_rules(servers, tmp_path, {"deadlines.yaml": {"normal": {"first_response": 2}}})
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    assert only_ticket(config)["priority"] == "normal"
    ack = mf.text_of(mails(servers, REQ, "ack")[0])
    assert "2 jam kerja" in ack, ack


def test_operator_closing_word_confirms_closing(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 7: rules say "which words confirm closing"; SPEC 4 E4: "a confirmation (first line `YA`, ... or a rule
    in `rules/` ...) → `closed`"."""
    config = with_rules(servers, tmp_path, {"closing.yaml": {"rules": [
        {"name": "operator-confirm-joss", "value": "confirm", "before": "closing-confirm-id",
         "pattern": r"^\W*joss\b"}]}})
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    staff_reply(servers, config, "#selesai Akun sudah kami buka kembali.")
    ticket = only_ticket(config)
    assert ticket["state"] == "resolved", ticket
    solution = mails(servers, REQ, "resolved")[-1]
    raw, _ = mf.reply_as_client(solution, REQ, "JOSS")
    servers.append(mf.UNIT, raw)
    run_once(config)
    assert only_ticket(config)["state"] == "closed"


def test_operator_lkpp_rule_classifies_lkpp_reply(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 7: rules say "how LKPP replies are classified (`need_info`, `resolved`, `returned`, `status`)";
    SPEC 4 E14: "LKPP reply classified `resolved` | relayed to requester as the solution (`resolved_lkpp`)"."""
    config = with_rules(servers, tmp_path, {"lkpp.yaml": {"rules": [
        {"name": "operator-kode-zeta", "value": "resolved", "before": "lkpp-hold-several-cases",
         "pattern": r"\bkode zeta\b"}]}})
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    staff_reply(servers, config, "#eskalasi mohon dibantu buka blokir.")
    assert only_ticket(config)["state"] == "escalated"
    escalation = mails(servers, mf.LKPP, "escalate")[-1]
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "Kode zeta terlampir untuk tiket ini.")
    servers.append(mf.UNIT, raw)
    run_once(config)
    number = only_ticket(config)["number"]
    assert only_ticket(config)["state"] == "resolved", cli("ticket", number, config=config).stdout
    assert mails(servers, REQ, "resolved_lkpp")
    replied = [h for h in ticket_json(config, number)["history"] if h["kind"] == "lkpp_replied"]
    assert "operator-kode-zeta" in json.dumps(replied)  # "first match wins, the rule is recorded"


def test_broken_rule_stops_start_up_with_a_clear_error(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 7: "Rules are validated at start-up with clear errors."; README: "an error names file, rule and
    field"."""
    config = with_rules(servers, tmp_path, {"priority.yaml": {"rules": [
        {"name": "operator-broken", "value": "high", "before": "priority-high-deadline", "pattern": "(unclosed"}]}})
    raw, _ = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.")
    servers.append(mf.UNIT, raw)
    for command in (["check"], ["run", "--once"]):
        result = cli(*command, config=config)
        _config_error(result, "priority.yaml", "operator-broken", "pattern")
    assert not mails(servers, REQ)


def test_unknown_rule_value_stops_start_up(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 7: "Rules are validated at start-up with clear errors." (a priority that does not exist)."""
    config = with_rules(servers, tmp_path, {"priority.yaml": {"rules": [
        {"name": "operator-urgent", "value": "urgent", "pattern": "x"}]}})
    _config_error(cli("run", "--once", config=config), "priority.yaml", "operator-urgent", "value")


def test_unparseable_rules_yaml_stops_start_up(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 7: "Rules are validated at start-up with clear errors." (a file that is not YAML)."""
    config = with_rules(servers, tmp_path, {"closing.yaml": "rules: [\n  - name: x\n"})
    _config_error(cli("check", config=config), "closing.yaml")


def test_deadline_rule_with_bad_value_stops_start_up(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 7: "the deadlines per priority. Rules are validated at start-up with clear errors."."""
    config = with_rules(servers, tmp_path, {"deadlines.yaml": {"high": {"first_response": -3}}})
    _config_error(cli("check", config=config), "deadlines.yaml", "first_response")


# === SPEC 8: templates and language =======================================================


def test_default_language_is_indonesian(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 8: "Jinja2, one per mail kind named above, in Bahasa Indonesia (default) and English"."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    ack = mf.text_of(mails(servers, REQ, "ack")[0])
    assert "Terima kasih" in ack and "tiket" in ack
    assert "Thank you" not in ack


def test_language_en_writes_english(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "`language: id               # id | en`"; SPEC 8: "... in Bahasa Indonesia (default) and
    English"."""
    config = make_config(servers, tmp_path, language="en")
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    ack = mf.text_of(mails(servers, REQ, "ack")[0])
    assert "Thank you" in ack and "ticket" in ack
    assert "Terima kasih" not in ack


def test_operator_template_overrides_default(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 8: "The operator can override any template from `templates_dir`."; README:
    "`templates_dir/id/<kind>.txt` (and `en/`, optional `.html`) override any mail body"."""
    config = with_templates(servers, tmp_path,
                            {"id/ack.txt": "SALAM DARI OPERATOR. Nomor tiket Anda {{ number }}.\n"})
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    number = only_ticket(config)["number"]
    ack = mf.text_of(mails(servers, REQ, "ack")[0])
    assert "SALAM DARI OPERATOR" in ack and number in ack
    staff = mf.text_of(mails(servers, mf.STAFF[0], "staff_new")[0])
    assert "SALAM DARI OPERATOR" not in staff


def test_operator_english_template_used_with_language_en(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 8: "The operator can override any template from `templates_dir`." (the English one, with
    `language: en`)."""
    config = with_templates(servers, tmp_path,
                            {"en/ack.txt": "GREETINGS FROM THE OPERATOR, ticket {{ number }}.\n"}, language="en")
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    ack = mf.text_of(mails(servers, REQ, "ack")[0])
    assert "GREETINGS FROM THE OPERATOR" in ack


def test_template_cannot_set_headers_or_subject(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 8: "Subjects and headers are built by code, never by a template, and cannot be injected."."""
    config = with_templates(servers, tmp_path,
                            {"id/ack.txt": f"Subject: DIBAJAK\nBcc: {REQ2}\nX-Evil: 1\n\nTiket {{{{ number }}}}.\n"})
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    ack = mails(servers, REQ, "ack")[0]
    assert "DIBAJAK" not in str(ack["Subject"])
    assert f"[{PREFIX} #" in str(ack["Subject"])
    assert ack["Bcc"] is None and ack["X-Evil"] is None
    assert not mails(servers, REQ2)


def test_requester_subject_cannot_inject_headers(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 8: "Subjects and headers are built by code ... and cannot be injected." (an encoded subject that
    carries a line break and a header)."""
    config = make_config(servers, tmp_path)
    raw, _ = mf.mail(REQ, "x", "Akun saya terkunci.")
    evil = "=?utf-8?b?QWt1biB0ZXJrdW5jaQ0KQmNjOiBzYXJpQGRpbmFzLnRlc3Q=?="  # "Akun terkunci\r\nBcc: sari@dinas.test"
    raw = raw.replace(b"Subject: x", b"Subject: " + evil.encode())
    servers.append(mf.UNIT, raw)
    run_once(config)
    ack = mails(servers, REQ, "ack")[0]
    assert ack["Bcc"] is None
    assert not mails(servers, REQ2)
    assert "\n" not in str(ack["Subject"])


def test_check_reports_template_syntax_error_with_file_and_line(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 8: override templates; "a broken one gives a clear error" (brief); README: "`check` also reports a
    template with a syntax error, with its file and line"."""
    config = with_templates(servers, tmp_path, {"id/ack.txt": "Halo\n{{ number }}\n{% if x %}\nbelum ditutup\n"})
    result = cli("check", config=config)
    assert result.returncode == 78, out(result)
    assert "ack.txt" in out(result) and "line" in out(result).lower()


def test_broken_template_keeps_message_in_inbox(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "A broken operator template leaves the message in the INBOX too and alerts once a day."; SPEC 2:
    "Nothing is ever deleted."."""
    config = with_templates(servers, tmp_path, {"id/ack.txt": "Halo {{ number | no_such_filter }}\n"})
    raw, _ = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.")
    servers.append(mf.UNIT, raw)
    cli("run", "--once", config=config)
    assert len(servers.fetch(mf.UNIT, "INBOX")) == 1
    assert not mails(servers, REQ, "ack")


def test_words_file_of_wrong_shape_stops_start_up(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "`templates_dir/id/words.yaml` ... must keep the shipped shape (seven days, twelve months, ...): a
    wrong one stops start-up with 78, naming the key"."""
    config = with_templates(servers, tmp_path, {"id/words.yaml": {"days": ["Senin", "Selasa"]}})
    raw, _ = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.")
    servers.append(mf.UNIT, raw)
    _config_error(cli("run", "--once", config=config), "days")
    assert not mails(servers, REQ)


def test_words_file_changes_only_the_words_it_names(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "`templates_dir/id/words.yaml` changes only the words it names"."""
    config = with_templates(servers, tmp_path, {"id/words.yaml": {"timezones": {"Asia/Jakarta": "WAKTU-BATAM"}}})
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    ack = mf.text_of(mails(servers, REQ, "ack")[0])
    assert "WAKTU-BATAM" in ack, ack
    assert "Senin" in ack  # the days it did not name keep their shipped words


# === more operator promises (README "Operation", "Configuration", "Monthly recap") =========


def test_check_reports_server_problems_beside_an_unwritable_location(servers: LocalMailServers,
                                                                    tmp_path: Path) -> None:
    """README: "`check` reports every problem and exits with the gravest: 78 when the database, archive or key
    location cannot be written (it tries, and names the path), else 69, else 77"."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file")
    config = make_config(servers, tmp_path, archive_dir=str(blocker / "archive"),
                         smtp={"host": "127.0.0.1", "port": closed_port(), "security": "none"})
    result = cli("check", config=config)
    assert result.returncode == 78, out(result)
    assert str(blocker) in out(result)
    smtp_lines = [ln for ln in out(result).splitlines() if "SMTP" in ln]
    assert smtp_lines and not any(" ok" in ln for ln in smtp_lines), out(result)


def test_run_refuses_an_unwritable_database_location_with_78(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "`run` refuses such a location at start with 78 too, so systemd does not restart it in vain"."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file")
    config = make_config(servers, tmp_path, database=str(blocker / "mailbot.db"))
    raw, _ = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.")
    servers.append(mf.UNIT, raw)
    result = cli("run", "--once", config=config)
    assert result.returncode == 78, out(result)
    assert str(blocker) in out(result)
    assert len(servers.fetch(mf.UNIT, "INBOX")) == 1


def test_tickets_listing_fits_80_columns_with_unit_time_zone(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "`tickets` fits 80 columns (a wider terminal shows more of each subject), with times in the unit's
    time zone (`CREATED (WIB)`)"."""
    config = make_config(servers, tmp_path, timezone="Asia/Makassar")
    deliver(servers, config, REQ, "Tidak bisa login ke aplikasi SPSE versi 4.5 sejak pembaruan kemarin sore "
            "padahal tender ditutup besok", "Akun saya tidak bisa login.")
    result = cli("tickets", config=config, env={"COLUMNS": "80"})
    assert result.returncode == 0, out(result)
    lines = result.stdout.splitlines()
    assert all(len(ln) <= 80 for ln in lines), [len(ln) for ln in lines]
    assert "CREATED (WITA)" in result.stdout


def test_ticket_full_adds_quoted_history(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "`ticket NUMBER` shows the history and, under each message, its new text (quoted history left
    out); `--full` adds the quoted history and the text of automatic mail as it was sent"."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci sejak pagi.")
    ack = mails(servers, REQ, "ack")[0]
    raw, _ = mf.reply_as_client(ack, REQ, "Ini tambahan: nomor HP saya 0812-1111-2222.")
    servers.append(mf.UNIT, raw)
    run_once(config)
    number = only_ticket(config)["number"]
    short = cli("ticket", number, config=config).stdout
    full = cli("ticket", number, "--full", config=config).stdout
    assert "0812-1111-2222" in short and "0812-1111-2222" in full
    quoted = "> Terima kasih, pesan Anda telah kami terima"
    assert quoted not in short
    assert quoted in full
    assert "Bapak/Ibu" in full or "Yth." in full  # the ack's own text as it was sent


def test_rekap_csv_is_excel_friendly_and_formula_safe(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "**CSV**: UTF-8 with a byte-order mark ..., comma-separated, CRLF rows ...; row 1 is the header. A
    cell that starts with `=`, `+`, `-` or `@` gets a leading `'`"."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Rumus", "=HYPERLINK(\"http://x.test\",\"klik\") tolong bantu")
    target = tmp_path / "rekap.csv"
    result = cli("report", "rekap", "--month", _this_month(config), "--output", target, config=config)
    assert result.returncode == 0, out(result)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == RECAP_COLUMNS
    assert rows[1][4].startswith("'="), rows[1][4]


def test_rekap_of_a_month_without_tickets_is_the_header_alone(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "A month without tickets gives the header alone."."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    result = cli("report", "rekap", "--month", "2020-01", "--format", "csv", config=config)
    assert result.returncode == 0, out(result)
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert rows == [RECAP_COLUMNS]


def test_summary_in_english_with_language_en(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: the summary is "in the unit's `language` (Indonesian by default, or English)"; subject
    "`Ringkasan bulanan November 2026` / `Monthly summary November 2026`"."""
    config = make_config(servers, tmp_path, language="en")
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    result = cli("report", "summary", "--month", _this_month(config), "--send", config=config)
    assert result.returncode == 0, out(result)
    subjects = [str(m["Subject"]) for m in mails(servers, HEAD)]
    assert any(s.startswith("Monthly summary") for s in subjects), subjects


def test_ack_max_age_hours_skips_acknowledging_old_mail(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 5/12: "Messages older than `ack_max_age_hours` (default 72) when first seen, such as an old backlog at
    the first start, become tickets without an acknowledgement."."""
    from datetime import datetime, timedelta

    old = datetime.now(UTC) - timedelta(days=4)
    config = make_config(servers, tmp_path)
    raw, _ = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.", date=old)
    servers.append(mf.UNIT, raw, msg_time=old)
    run_once(config)
    assert len(tickets_json(config)) == 1
    assert not mails(servers, REQ, "ack")
    # the same backlog with a longer allowance is acknowledged
    other = tmp_path / "longer"
    other.mkdir()
    config2 = make_config(servers, other, ack_max_age_hours=200)
    raw2, _ = mf.mail(REQ2, "Lupa password", "Saya lupa password.", date=old)
    servers.append(mf.UNIT, raw2, msg_time=old)
    run_once(config2)
    assert mails(servers, REQ2, "ack")


def test_reopen_days_decides_reopen_or_new_ticket(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 4 E5 / SPEC 12 `reopen_days: 14`: "requester writes on `closed` | within `reopen_days` (default 14) →
    `open`; later → new ticket that cites the old one"."""
    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    staff_reply(servers, config, "#tutup")
    closed = mails(servers, REQ, "closed")[-1]
    raw, _ = mf.reply_as_client(closed, REQ, "Maaf, masih terkunci lagi.")
    servers.append(mf.UNIT, raw)
    run_once(config)
    found = tickets_json(config)
    assert len(found) == 1 and found[0]["state"] == "open", found


def test_staff_notify_list_address_gets_notifications(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 2/12: "Staff learn of new tickets and updates through notifications sent to `mailboxes[].staff_notify`
    (a list address) or, if unset, to every staff address"."""
    box = mf.mailbox_block(servers)
    box["staff_notify"] = "helpdesk-list@lpse.test"  # unknown user: lands in the catch-all mailbox
    config = make_config(servers, tmp_path, mailboxes=[box])
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    assert not mails(servers, mf.STAFF[0], "staff_new")
    notices = mails(servers, "catchall@lpse.test", "staff_new")
    assert notices and "helpdesk-list@lpse.test" in str(notices[0]["To"])


def test_display_name_and_folder_names_are_configurable(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 2: "Everything mailbot sends is From the unit mailbox address (display name configurable)"; "moved to
    the `Processed` folder (name configurable)"."""
    box = mf.mailbox_block(servers, processed_folder="Selesai Diproses")
    box["display_name"] = "Layanan LPSE Kota Uji"
    config = make_config(servers, tmp_path, mailboxes=[box])
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    ack = mails(servers, REQ, "ack")[0]
    assert "Layanan LPSE Kota Uji" in str(ack["From"]) and mf.UNIT in str(ack["From"])
    assert len(servers.fetch(mf.UNIT, "Selesai Diproses")) == 1
    assert servers.fetch(mf.UNIT, "Processed") == []


def test_json_log_format_gives_json_lines(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "`log: {format: json, level: info}   # json | console`"; README: "Logs go to stdout as JSON lines
    (`log.format: json`) for the journal"."""
    config = make_config(servers, tmp_path, log={"format": "json", "level": "info"})
    raw, _ = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.")
    servers.append(mf.UNIT, raw)
    result = run_once(config)
    lines = [ln for ln in (result.stdout + result.stderr).splitlines() if ln.strip()]
    assert len(lines) > 1, lines
    for line in lines:
        json.loads(line)


def test_the_whole_documented_shape_is_accepted(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "The shape:" (every key of the documented example, servers pointed at loopback), plus "Other keys:
    `limits:` ..., `smtp.max_retry_hours`, `reports: {monthly: true}`"."""
    data = {
        "timezone": "Asia/Jakarta",
        "database": str(tmp_path / "mailbot.db"),
        "archive_dir": str(tmp_path / "archive"),
        "rules_dir": None,
        "templates_dir": None,
        "language": "id",
        "log": {"format": "json", "level": "info"},
        "calendar": {"workdays": ["mon", "tue", "wed", "thu", "fri"], "hours": "08:00-16:00",
                     "country_holidays": "ID", "holiday_categories": ["public", "government"],
                     "extra_holidays": ["2026-12-31"]},
        "auth": {"mode": "token", "trusted_authserv_id": "mail.lpse.test"},
        "autoreply_limit": 5,
        "ack_max_age_hours": 72,
        "alert_after_minutes": 30,
        "reopen_days": 14,
        "secret_key_file": str(tmp_path / "secret.key"),
        "escalation": {"address": mf.LKPP, "senders": ["*@lkpp.test"], "relay_status": True},
        "smtp": {"host": servers.host, "port": servers.smtp_port, "security": "none", "username": mf.UNIT,
                 "password": "${MB_TEST_SMTP_PW}", "max_retry_hours": 120},
        "limits": {"max_message_bytes": 26214400, "max_header_bytes": 65536, "message_seconds": 30,
                   "ticket_mails_per_hour": 10},
        "reports": {"monthly": True},
        "mailboxes": [{
            "name": "btm", "address": mf.UNIT, "display_name": "Helpdesk LPSE Kota Uji", "tag_prefix": "LPSE-BTM",
            "imap": {"host": servers.host, "port": servers.imap_port, "security": "none", "username": mf.UNIT,
                     "password_file": "imap.pass", "folder": "INBOX", "processed_folder": "Processed",
                     "quarantine_folder": "Quarantine", "idle": True, "poll_seconds": 60},
            "smtp": None, "staff": list(mf.STAFF), "staff_notify": None, "coordinators": [COORD], "heads": [HEAD]}],
    }
    (tmp_path / "imap.pass").write_text(servers.password_for(mf.UNIT))
    config = write_yaml(tmp_path / "config.yaml", data)
    result = cli("check", config=config, env={"MB_TEST_SMTP_PW": "x"})
    assert result.returncode == 0, out(result)


def test_secrets_from_systemd_credentials_directory(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "Under systemd ... secrets can come from `$CREDENTIALS_DIRECTORY`"; README:
    "`password_file: ${CREDENTIALS_DIRECTORY}/imap` reads a secret that systemd hands over"."""
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "imap").write_text(servers.password_for(mf.UNIT) + "\n")
    box = mf.mailbox_block(servers)
    del box["imap"]["password"]
    box["imap"]["password_file"] = "${CREDENTIALS_DIRECTORY}/imap"
    config = make_config(servers, tmp_path, mailboxes=[box])
    result = cli("check", config=config, env={"CREDENTIALS_DIRECTORY": str(creds)})
    assert result.returncode == 0, out(result)


def test_relative_data_paths_follow_state_directory(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: "Under systemd, relative data paths resolve against `$STATE_DIRECTORY`"."""
    state = tmp_path / "state"
    state.mkdir()
    data = mf.config_data(servers, tmp_path, database="db/unit.db", archive_dir="arsip", secret_key_file="key/secret")
    config = write_yaml(tmp_path / "etc" / "config.yaml", data)
    raw, _ = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.")
    servers.append(mf.UNIT, raw)
    run_once(config, env={"STATE_DIRECTORY": str(state)})
    assert (state / "db" / "unit.db").is_file()
    assert list((state / "arsip").rglob("*.eml"))
    assert (state / "key" / "secret").is_file()
    assert not (tmp_path / "etc" / "db").exists()


def test_bad_timezone_stops_with_78(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: `timezone: Asia/Jakarta`; "bad values stop start-up with exit 78 and a message naming the key"."""
    config = make_config(servers, tmp_path, timezone="Asia/Atlantis")
    _config_error(cli("check", config=config), "timezone")


def test_bad_extra_holiday_stops_with_78(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 12: `extra_holidays: []`; "bad values stop start-up with exit 78 and a message naming the key"."""
    config = make_config(servers, tmp_path, calendar={"extra_holidays": ["31-12-2026x"]})
    _config_error(cli("check", config=config), "extra_holidays")


def test_check_reports_every_problem_beside_a_broken_rule(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "`check` reports every problem and exits with the gravest"; SPEC 10: "`check` | validate config
    and rules, log in to IMAP and SMTP, report each problem clearly" (a broken rule and a refused login)."""
    config = with_rules(servers, tmp_path,
                        {"priority.yaml": {"rules": [{"name": "operator-urgent", "value": "urgent", "pattern": "x"}]}},
                        mailboxes=[mf.mailbox_block(servers, password="wrong-password")])
    result = cli("check", config=config)
    assert result.returncode == 78, out(result)
    assert "operator-urgent" in out(result)
    imap_lines = [ln for ln in out(result).splitlines() if "IMAP" in ln]
    assert imap_lines, out(result)


def test_check_reports_template_with_unknown_filter(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "`check` also reports a template with a syntax error, with its file and line" (an unknown filter
    is an error Jinja2 finds when it compiles the template)."""
    config = with_templates(servers, tmp_path, {"id/ack.txt": "Halo\n{{ number | no_such_filter }}\n"})
    result = cli("check", config=config)
    assert result.returncode == 78, out(result)
    assert "ack.txt" in out(result)


def test_broken_template_alerts_coordinators(servers: LocalMailServers, tmp_path: Path) -> None:
    """README: "A broken operator template leaves the message in the INBOX too and alerts once a day."."""
    config = with_templates(servers, tmp_path, {"id/ack.txt": "Halo {{ number | no_such_filter }}\n"})
    raw, _ = mf.mail(REQ, "Akun terkunci", "Akun saya terkunci.")
    servers.append(mf.UNIT, raw)
    cli("run", "--once", config=config)
    cli("run", "--once", config=config)
    alerts = [m for m in mails(servers, COORD) if m["X-Mailbot-Kind"] != "digest"]
    assert len(alerts) == 1, [(m["X-Mailbot-Kind"], str(m["Subject"])) for m in mails(servers, COORD)]


def test_operator_html_template_adds_html_alternative(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 8: "plain text always, HTML alternative where it helps"; README: "`templates_dir/id/<kind>.txt` (and
    `en/`, optional `.html`) override any mail body"."""
    config = with_templates(servers, tmp_path, {"id/ack.html": "<p><b>HTML OPERATOR</b> tiket {{ number }}</p>\n"})
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    ack = mails(servers, REQ, "ack")[0]
    html = ack.get_body(preferencelist=("html",))
    plain = ack.get_body(preferencelist=("plain",))
    assert plain is not None and "Terima kasih" in plain.get_content()
    assert html is not None and "HTML OPERATOR" in html.get_content()


def test_daemon_sends_monthly_summary_on_first_working_day(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`--send` mails it to heads and coordinators (also sent by the daemon on the first working day of
    each month)"; SPEC 12: `reports: {monthly: true}`."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    config = make_config(servers, tmp_path)
    deliver(servers, config, REQ, "Akun terkunci", "Akun saya terkunci.")
    created = datetime.fromisoformat(only_ticket(config)["created_at"]).astimezone(ZoneInfo("Asia/Jakarta"))
    # the first working day of the next month: Monday to Friday, not an Indonesian public or
    # government holiday (SPEC 6's calendar by default; 1 January is a Friday in 2027)
    import holidays

    off = holidays.country_holidays("ID", categories=("public", "government"))
    first = (created.replace(day=1) + timedelta(days=32)).replace(day=1, hour=8, minute=5, second=0, microsecond=0)
    while first.weekday() >= 5 or first.date() in off:
        first += timedelta(days=1)
    result = cli("sweep", "--now", first.isoformat(), config=config)
    assert result.returncode == 0, out(result)
    subjects = [str(m["Subject"]) for m in mails(servers, HEAD)]
    assert any("Ringkasan bulanan" in s for s in subjects), subjects
    again = cli("sweep", "--now", (first + timedelta(hours=2)).isoformat(), config=config)
    assert again.returncode == 0
    assert sum("Ringkasan bulanan" in str(m["Subject"]) for m in mails(servers, HEAD)) == 1


def test_run_under_systemd_notifies_ready(servers: LocalMailServers, tmp_path: Path) -> None:
    """SPEC 10: "`run` | the daemon ...; systemd notify and watchdog when run by systemd"."""
    config = make_config(servers, tmp_path)
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(1.0)
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "NOTIFY_SOCKET": str(sock_path),
               "WATCHDOG_USEC": "4000000"}
    environ.pop("MAILBOT_CONFIG", None)
    proc = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=str(ROOT), env=environ,
                            start_new_session=True)
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not ("READY=1" in " ".join(seen) and "WATCHDOG=1" in " ".join(seen)):
            try:
                seen.append(sock.recv(4096).decode())
            except TimeoutError:
                continue
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    finally:
        sock.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    joined = " ".join(seen)
    assert "READY=1" in joined, seen
    assert "WATCHDOG=1" in joined, seen

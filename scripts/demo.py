"""A local demo of the main job against real mail servers on loopback.

Starts Dovecot (IMAP on 127.0.0.1:10143) and an SMTP server (127.0.0.1:10025)
with the users of `config.yaml`, drops sample mails from requesters into the unit
mailbox, lets mailbot answer them with `run --once`, has a staff member reply from
"their mail client", and prints what every mailbox received.

Every run is the same: the demo's data (the database, archive and key that
`config.yaml` names, under data/) and its mailboxes (demo-run/) are reset at the
start, on purpose, and the demo says so. The tickets stay afterwards, so
`mailbot tickets` and `mailbot ticket NUMBER` show them. It lives in the checkout,
not in the installed package: it needs the test harness (tests/localmail.py).

Run: bash scripts/demo [--imap-port N] [--smtp-port N] [--config FILE]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import errno
import os
import re
import secrets
import shutil
import socket
import sys
import time
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tests.localmail

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.errors import ConfigError
from mailbot.parsers import parse_message
from mailbot.settings import Config
from tests.localmail import LocalMailError, LocalMailServers

ROOT = Path(__file__).resolve().parents[1]

PDF = b"%PDF-1.4\n% demo attachment\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _mail(sender: str, name: str, to: str, subject: str, body: str, *, in_reply_to: str | None = None,
          attachment: tuple[str, bytes] | None = None) -> bytes:
    # Like a mail client: long headers (our Message-IDs) are folded, never RFC 2047-encoded.
    msg = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    if attachment:
        msg.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return msg.as_bytes()


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    return str(part.get_content()) if part is not None else ""


def _show(servers: LocalMailServers, user: str, folder: str = "INBOX") -> list[EmailMessage]:
    found = [email.message_from_bytes(raw, policy=email.policy.default) for raw in servers.fetch(user, folder)]
    print(f"\n== {user} {folder}: {len(found)} message(s)")
    for msg in found:
        files = [p.get_filename() or "?" for p in msg.iter_attachments()]
        print(f"   - {msg['Subject']}" + (f"  [attachments: {', '.join(files)}]" if files else ""))
    return found  # type: ignore[return-value]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bash scripts/demo", description="mailbot's local demo on loopback")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml", help="default: config.yaml")
    parser.add_argument("--imap-port", type=int, help="IMAP port instead of the config's (10143)")
    parser.add_argument("--smtp-port", type=int, help="SMTP port instead of the config's (10025)")
    return parser.parse_args(argv)


def demo_config(args: argparse.Namespace) -> Path:
    """config.yaml itself, or with other ports a copy in data/ (same data paths, made absolute)."""
    if args.imap_port is None and args.smtp_port is None:
        return args.config
    base = args.config.resolve().parent
    data = yaml.safe_load(args.config.read_text(encoding="utf-8"))
    for key, default in (("database", "data/mailbot.db"), ("archive_dir", "data/archive"),
                         ("secret_key_file", "data/secret.key")):
        data[key] = str(base / data.get(key, default))
    for box in data["mailboxes"]:
        imap = box["imap"]
        if imap.get("password_file"):
            imap["password_file"] = str(base / imap["password_file"])
        if args.imap_port:
            imap["port"] = args.imap_port
        if args.smtp_port:
            (box.get("smtp") or data["smtp"])["port"] = args.smtp_port
    path = base / "data" / "demo-config.yaml"
    path.write_text("# Written by scripts/demo for other ports; config.yaml is the commented original.\n"
                    + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


def reset(cfg: Config, run_dir: Path) -> list[Path]:
    """Remove the previous demo's tickets, archive, key and mailboxes; what was there."""
    db = cfg.database
    found = [p for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"),
                         cfg.archive_dir, cfg.secret_key_file, run_dir) if p.exists()]
    for path in found:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.pop("STATE_DIRECTORY", None)  # the demo's data stays beside its config, not in systemd's place
    root = args.config.resolve().parent
    password = secrets.token_hex(8)
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "demo-imap.pass").write_text(password + "\n")
    try:
        config_path = demo_config(args)
        cfg = load_config(config_path)
    except (ConfigError, OSError, yaml.YAMLError) as exc:
        print(f"demo: {args.config}: {exc}", file=sys.stderr)
        return 78
    box = cfg.mailboxes[0]
    servers_cfg = [box.imap, box.smtp]
    if not all(s.host in ("127.0.0.1", "localhost") for s in servers_cfg):
        print(f"demo: {config_path} names servers that are not on loopback; the demo resets its data, so it"
              " only runs with a demo config such as config.yaml", file=sys.stderr)
        return 78
    for what, port, option in (("IMAP", box.imap.port, "--imap-port"), ("SMTP", box.smtp.port, "--smtp-port")):
        if port_taken(port):
            print(f"demo: port {port} ({what}) on 127.0.0.1 is already in use, by another demo still running or"
                  f" another program.\nPick free ports, for example: bash scripts/demo {option} {port + 1000}"
                  f" (both: --imap-port 11143 --smtp-port 11025)", file=sys.stderr)
            return 69
    removed = reset(cfg, root / "demo-run")
    rel = [str(p.relative_to(root)) if p.is_relative_to(root) else str(p) for p in removed]
    if removed:
        print("Starting afresh, as every demo run does: removed the previous run's " + ", ".join(rel))
    else:
        print("First run: the demo keeps its tickets in data/ and its mailboxes in demo-run/ (reset each run)")
    users = [box.address, *box.staff, *box.coordinators, *box.heads, "budi@vendor.test", "sari@dinas.test"]
    if cfg.escalation.address:
        users.append(cfg.escalation.address)
    servers = LocalMailServers(root / "demo-run", users, password=password, imap_port=box.imap.port,
                               smtp_port=box.smtp.port)
    try:
        number = run_demo(servers, cfg, config_path)
    except LocalMailError as exc:
        print(f"demo: the local mail servers failed: {exc}", file=sys.stderr)
        return 1
    show_next(root, config_path, args.config, number)
    return 0


def run_demo(servers: LocalMailServers, cfg: Config, config_path: Path) -> str:
    box = cfg.mailboxes[0]
    with servers:
        print(f"Local Dovecot on 127.0.0.1:{servers.imap_port}, SMTP on 127.0.0.1:{servers.smtp_port}")
        print("\n1. Two requesters write to the unit mailbox", box.address)
        servers.send(_mail("budi@vendor.test", "Budi Santoso", box.address,
                           "Akun SPSE terkunci – tidak bisa login",
                           "Selamat pagi,\n\nakun SPSE saya (PT Maju Jaya) terkunci setelah salah kata sandi.\n"
                           "Tangkapan layar terlampir.\n\nBudi Santoso\n0812-0000-1111\n",
                           attachment=("tangkapan-layar.pdf", PDF)), "budi@vendor.test", [box.address])
        servers.send(_mail("sari@dinas.test", "Sari Dewi", box.address, "Pertanyaan jadwal tender ulang",
                           "Mohon informasi, apakah jadwal tender ulang bisa diubah oleh PPK?\n\nSari"),
                     "sari@dinas.test", [box.address])
        print("\n2. mailbot run --once: tickets, acknowledgements, staff notifications")
        cli.main(["--config", str(config_path), "run", "--once"])
        _show(servers, "budi@vendor.test")
        notices = _show(servers, box.staff[0])

        print("\n3. Staff answer Budi from their mail client (reply with quoted history), and add a note")
        notice = next(n for n in notices if "Akun SPSE" in str(n["Subject"]))
        quoted = "\n".join("> " + line for line in _text(notice).splitlines())
        reply = _mail(box.staff[0], "Petugas Helpdesk", box.address, "Re: " + str(notice["Subject"]),
                      "Yth. Bapak Budi,\n\nakun Bapak sudah kami buka kembali. Silakan login ulang dan\n"
                      "ganti kata sandi melalui menu Ganti Password.\n\nSalam,\nHelpdesk LPSE\n\n"
                      f"Pada {notice['Date']}, {notice['From']} menulis:\n{quoted}\n",
                      in_reply_to=str(notice["Message-ID"]))
        servers.send(reply, box.staff[0], [box.address])
        note = _mail(box.staff[1], "Petugas 2", box.address, "Re: " + str(notice["Subject"]),
                     "#catatan sudah dicek di ADP, akun memang terkunci", in_reply_to=str(notice["Message-ID"]))
        servers.send(note, box.staff[1], [box.address])
        cli.main(["--config", str(config_path), "run", "--once"])

        print("\n4. What the requesters received (From the unit address only, never a staff address)")
        for msg in _show(servers, "budi@vendor.test"):
            print("     " + _text(msg).strip().splitlines()[0][:70])
        _show(servers, "sari@dinas.test")
        _show(servers, box.address, box.imap.processed_folder)
        _show(servers, box.address, box.imap.quarantine_folder)

        print("\n5. The tickets (mailbot tickets / mailbot ticket NUMBER):\n")
        cli.main(["--config", str(config_path), "tickets"])
        budi = next(m for m in servers.fetch("budi@vendor.test"))
        number = parse_message(budi).subject.split("#", 1)[1].split("]", 1)[0]
        print()
        cli.main(["--config", str(config_path), "ticket", number])
        show_window(servers, cfg, config_path)
    return number


def _page_lines(html: str, *markers: str) -> list[str]:
    """The lines of a page's text that hold one of `markers`, tags taken out."""
    text = re.sub(r"<[^>]+>", " ", html.replace("&lt;", "<").replace("&gt;", ">"))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    found = [line for line in lines if line and "http" not in line and any(m in line for m in markers)]
    return list(dict.fromkeys(found))


def show_window(servers: LocalMailServers, cfg: Config, config_path: Path) -> None:
    """6. The window (`mailbot web`, SPEC 13), served for a moment: Budi's status link from his
    mail, and the head signed in by the link mailed to them."""
    from tests.webwindow import Client, links_in, path_of, serving

    if cfg.web is None or cfg.web.url is None:
        return
    if port_taken(cfg.web.port):
        print(f"\n6. (the window's port {cfg.web.port} is in use: its step is left out)")
        return
    print(f"\n6. The window (mailbot web on {cfg.web.listen}): every mail to Budi links to his ticket's page")
    head = cfg.mailboxes[0].heads[0]
    budi = [link for raw in servers.fetch("budi@vendor.test") for link in links_in(_text(_parsed(raw)))
            if "/status/" in link]
    with serving(config_path):
        client = Client(cfg.web.port)
        print("   ", budi[-1])
        for line in _page_lines(client.get(path_of(budi[-1])).text, "Status", "Kami sudah", "Tiket 20"):
            print("     " + line[:100])
        print(f"    the head asks on /masuk; the link comes by mail to {head}; opened, the open tickets:")
        client.ask_link(head)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not _signin_link(servers, head):
            time.sleep(0.2)
        client.get(path_of(_signin_link(servers, head)))
        for line in _page_lines(client.get("/").text, "Terbuka:", "Lewat batas waktu")[:2]:
            print("     " + line[:100])


def _parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def _signin_link(servers: LocalMailServers, address: str) -> str:
    from tests.webwindow import links_in

    found = [link for raw in servers.fetch(address) if _parsed(raw)["X-Mailbot-Kind"] == "web_signin"
             for link in links_in(_text(_parsed(raw)))]
    return found[-1] if found else ""


def show_next(root: Path, config_path: Path, default_config: Path, number: str) -> None:
    mailbot = ".venv/bin/mailbot" + ("" if config_path == default_config else f" --config {config_path}")
    data = root / "data"
    steps = [
        (f"{mailbot} tickets", "the tickets, as staff see them"),
        (f"{mailbot} ticket {number} --full", "one ticket: its history and every text"),
        (f"{mailbot} ticket {number} --json", "the same for scripts"),
        (f"ls {data / 'archive'}", "raw .eml of every message in and out"),
        (f"{mailbot} web", "the window: the status links in Budi's mail open at http://localhost:8025/"),
        (str(default_config), "the configuration the demo ran with, commented"),
        ("docs/operator/install.md", "a real mailbox under systemd"),
    ]
    width = max(len(command) for command, _ in steps) + 3
    print("\nDemo done: the mail servers are stopped, the tickets stay in data/.\nWhat to look at next:")
    for command, why in steps:
        print(f"  {command:<{width}}{why}")
    print("Run the demo again to see it all anew: it resets data/ and demo-run/ first.")


if __name__ == "__main__":
    sys.exit(main())

"""A local demo of the main job against real mail servers on loopback.

Starts Dovecot (IMAP on 127.0.0.1:10143) and an SMTP server (127.0.0.1:10025)
with the users of `config.yaml`, drops sample mails from requesters into the unit
mailbox, lets mailbot answer them with `run --once`, has a staff member reply from
"their mail client", and prints what every mailbox received. The tickets stay in
`data/mailbot.db`, so `mailbot tickets` and `mailbot ticket NUMBER` show them after.
"""

from __future__ import annotations

import email
import email.policy
import secrets
import shutil
import sys
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout: tests.localmail

from mailbot import cli
from mailbot.config import load_config
from mailbot.parsers import parse_message
from tests.localmail import LocalMailServers

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


def main(config_path: Path = Path("config.yaml")) -> int:
    root = config_path.resolve().parent
    password = secrets.token_hex(8)
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "demo-imap.pass").write_text(password + "\n")
    cfg = load_config(config_path)
    box = cfg.mailboxes[0]
    users = [box.address, *box.staff, *box.coordinators, *box.heads, "budi@vendor.test", "sari@dinas.test"]
    if cfg.escalation.address:
        users.append(cfg.escalation.address)
    assert box.smtp.port and box.imap.port
    shutil.rmtree(root / "demo-run", ignore_errors=True)  # fresh mailboxes each time
    servers = LocalMailServers(root / "demo-run", users, password=password, imap_port=box.imap.port,
                               smtp_port=box.smtp.port)
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
    print("\nDemo done; servers stopped. Look again with: mailbot tickets   and   mailbot ticket", number)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("config.yaml")))

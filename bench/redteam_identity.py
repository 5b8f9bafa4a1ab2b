"""Per-field accuracy of the consultation form (seed 003) on the held-out sets.

Run: python bench/redteam_identity.py [tests/data/redteam_identity_a.yaml ...]

Set A was looked at while fixing; set B was not (the honest figure).
Mimics the daemon: each requester message is parsed by parse_message; the first one
opens the ticket (classify.as_problem), each one's contact_of() is merged into the
ticket's contact (Contact.merged), and at escalation identity.identity_of() fills what is
still empty from the stored bodies (msg.new_text) and the From display name.
"""
from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's mailbot, not an installed one

from mailbot.core.classify import as_problem, contact_of
from mailbot.core.identity import identity_of
from mailbot.model import Address, Contact, State, Ticket
from mailbot.parsers.mime import parse_message

FIELDS = {"nama": "name", "instansi": "organisation", "alamat": "address", "telepon": "phone"}
NO_IDENTITY = "Mohon bantuan, akun saya bermasalah."


def raw_mail(sender: str, subject: str, body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Helpdesk LPSE Kota Batam <lpse@batam.go.id>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 3, 16, 9, 0, tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain="example.id")
    msg.set_content(body)
    return msg.as_bytes()


def extract(case: dict) -> dict[str, str]:
    texts = list(case.get("earlier") or [])
    if not texts and re.match(r"^(re|bls|balas)\s*:", case["subject"], re.IGNORECASE):
        texts = [NO_IDENTITY]  # a reply: the ticket was opened by a mail that said nothing of who they are
    texts.append(case["body"])
    contact, bodies = Contact(), []
    for index, body in enumerate(texts):
        msg = parse_message(raw_mail(case["from"], case["subject"], body))
        if index == 0:
            msg = as_problem(msg)
        contact = contact.merged(contact_of(msg))
        bodies.append(msg.new_text)
    name, addr = parseaddr(case["from"])
    now = datetime.now(UTC)
    ticket = Ticket(id=1, mailbox="btm", number="2026-00001", state=State.OPEN, requester=Address(addr, name),
                    subject=case["subject"], created_at=now, updated_at=now, contact=contact)
    return identity_of(ticket, tuple(bodies))


def norm(field: str, value: str) -> str:
    value = value.strip()
    if field == "telepon":
        digits = re.sub(r"\D", "", value.split("ext")[0])
        return "0" + digits[2:] if digits.startswith("62") else digits
    return re.sub(r"[\s,.;:()\-]+", " ", value.lower()).strip()


def grade(field: str, got: str, expected: str | list[str]) -> str:
    options = expected if isinstance(expected, list) else [expected]
    g = norm(field, got)
    if any(norm(field, o) == g for o in options):
        return "ok"
    if not g:
        return "missing"
    if any(o and (norm(field, o) in g or g in norm(field, o)) for o in options) and field != "telepon":
        return "partial"
    return "WRONG"


def main(paths: list[str]) -> None:
    for path in paths:
        cases = yaml.safe_load(Path(path).read_text())
        tally = {f: {"ok": 0, "partial": 0, "missing": 0, "WRONG": 0} for f in FIELDS}
        bad = []
        for case in cases:
            got = extract(case)
            for field, key in FIELDS.items():
                verdict = grade(field, got.get(key, ""), case["expect"][field])
                tally[field][verdict] += 1
                if verdict != "ok":
                    bad.append(f"  {case['id']} {field:8} {verdict:7} got={got.get(key, '')!r} "
                               f"want={case['expect'][field]!r}")
        print(f"== {path}: {len(cases)} cases")
        for field, t in tally.items():
            print(f"  {field:8} ok {t['ok']:3}  partial {t['partial']:2}  missing {t['missing']:2}  "
                  f"WRONG {t['WRONG']:2}"
                  f"  accuracy {t['ok'] / len(cases):.2f}")
        print("\n".join(bad))


if __name__ == "__main__":
    main(sys.argv[1:] or [str(ROOT / "tests/data/redteam_identity_a.yaml"),
                          str(ROOT / "tests/data/redteam_identity_b.yaml")])

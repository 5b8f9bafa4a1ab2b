"""What a requester's acknowledgement asks for that their first mail already gave, and what it
fails to ask for: the reading of a mail and its signature (`core/identity.missing_from`).

The ack asks for five things (name, agency or company, phone, the tender's or package's code,
a screenshot or other file); it must not ask for what the mail gave (Budi wrote all of it and
is asked again: the complaint), nor stay silent on what it did not give (nobody asks then).
Each case goes the path of a first mail: the whole message built and parsed (`parse_message`),
read as a new ticket's problem (`classify.as_problem`), its form fields read (`contact_of`: the
labels, the signature, the From's name) and `missing_from` asked. Three sources:

  ack       tests/data/ack_asks/requests.yaml: 30 first mails labelled with all five (written
            after the reading, by its hand: regressions and the errors it shows)
  redteam   the first mails of tests/data/redteam_identity_a.yaml (looked at while the identity
            reading was fixed) and _b.yaml (never looked at): name, agency, phone as labelled
            there, the tender's code as tests/data/ack_asks/redteam_tender_codes.yaml labels it
  corpora   every mail of ../shared/corpora (English and generic mail, no SPSE tender among
            them): a tender code read there is a false one

Per field and in all: given (the label), asked again (given, yet asked for), not asked (not
given, yet taken as given). "before" is the ack before the reading: it asked for all five of
everyone, every given field asked again.

Run: .venv/bin/python bench/ack_asks.py [-v]   (-v prints every case with an error)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailbot.core.classify import as_problem, contact_of
from mailbot.core.identity import ASKED, missing_from, tender_code
from mailbot.errors import BadMessageError
from mailbot.parsers.mime import parse_message

DATA = ROOT / "tests" / "data"
CORPORA = ROOT.parent / "shared" / "corpora"
REDTEAM_FIELDS = {"name": "nama", "organisation": "instansi", "phone": "telepon"}


@dataclass(frozen=True)
class Case:
    id: str
    sender: str
    subject: str
    body: str
    files: tuple[str, ...]
    given: dict[str, bool]


def raw_mail(case: Case) -> bytes:
    msg = EmailMessage()
    msg["From"] = case.sender
    msg["To"] = "Helpdesk LPSE Kota Batam <lpse@batam.go.id>"
    msg["Subject"] = case.subject
    msg["Date"] = format_datetime(datetime(2026, 3, 16, 9, 0, tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain="example.id")
    msg.set_content(case.body)
    for name in case.files:
        kind = ("image", "png") if name.lower().endswith((".png", ".jpg", ".jpeg")) else ("application", "pdf")
        msg.add_attachment(b"\x89PNG\r\n\x1a\n" + bytes(300), maintype=kind[0], subtype=kind[1], filename=name)
    return msg.as_bytes()


def asked_of(case: Case) -> set[str]:
    msg = as_problem(parse_message(raw_mail(case)))
    return set(missing_from(contact_of(msg), msg))


def ack_cases() -> list[Case]:
    items = yaml.safe_load((DATA / "ack_asks" / "requests.yaml").read_text(encoding="utf-8"))
    return [Case(i["id"], i["from"], i["subject"], i["body"], tuple(i.get("files") or ()), dict(i["given"]))
            for i in items]


def redteam_cases(part: str) -> list[Case]:
    codes = yaml.safe_load((DATA / "ack_asks" / "redteam_tender_codes.yaml").read_text(encoding="utf-8"))
    found = []
    for item in yaml.safe_load((DATA / f"redteam_identity_{part}.yaml").read_text(encoding="utf-8")):
        if item["id"] not in codes:
            continue  # a reply on a ticket: no acknowledgement answers it
        given = {field: _stated(item["expect"][label]) for field, label in REDTEAM_FIELDS.items()}
        given |= {"tender": bool(codes[item["id"]]), "screenshot": False}
        found.append(Case(item["id"], item["from"], item["subject"], item["body"], (), given))
    return found


def _stated(expected: object) -> bool:
    return any(bool(str(e).strip()) for e in (expected if isinstance(expected, list) else [expected]))


def report(name: str, cases: list[Case], verbose: bool) -> None:
    again = dict.fromkeys(ASKED, 0)
    unasked = dict.fromkeys(ASKED, 0)
    given = dict.fromkeys(ASKED, 0)
    for case in cases:
        asked = asked_of(case)
        errors = []
        for field in ASKED:
            given[field] += case.given[field]
            if case.given[field] and field in asked:
                again[field] += 1
                errors.append(f"{field} asked again")
            if not case.given[field] and field not in asked:
                unasked[field] += 1
                errors.append(f"{field} not asked")
        if verbose and errors:
            print(f"    {case.id}: {', '.join(errors)}")
    print(f"{name}: {len(cases)} first mails")
    for field in ASKED:
        print(f"  {field:12} given {given[field]:3}  asked again {again[field]:3} (before: {given[field]:3})  "
              f"not asked though missing {unasked[field]:3} (before: 0)")
    total_given, total_fields = sum(given.values()), len(cases) * len(ASKED)
    print(f"  all fields   given {total_given:3} of {total_fields}  asked again {sum(again.values()):3} "
          f"(before: {total_given})  not asked though missing {sum(unasked.values()):3} (before: 0)")
    quiet = sum(1 for case in cases if not asked_of(case) and all(case.given.values()))
    print(f"  mails that gave all five and are asked for nothing: {quiet} of "
          f"{sum(all(c.given.values()) for c in cases)} (before: 0)")


def corpora(verbose: bool) -> None:
    paths = sorted(p for p in CORPORA.rglob("*") if p.is_file() and p.suffix in (".eml", ".txt"))
    read = []
    for path in paths:
        try:
            msg = parse_message(path.read_bytes())
            text = f"{msg.subject}\n{msg.text}"
        except BadMessageError:  # a reply's body alone (reply-fixtures)
            text = path.read_text(encoding="utf-8", errors="replace")
        code = tender_code(text)
        if code:
            read.append((path.relative_to(CORPORA), code))
    print(f"corpora: {len(paths)} mails; a tender code read in {len(read)}")
    for path, code in read if verbose else ():
        print(f"    {path}: {code}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", action="store_true")
    options = parser.parse_args(argv)
    report("ack (tests/data/ack_asks)", ack_cases(), options.v)
    report("redteam A (looked at)", redteam_cases("a"), options.v)
    report("redteam B (held out)", redteam_cases("b"), options.v)
    if CORPORA.is_dir():
        corpora(options.v)
    return 0


if __name__ == "__main__":
    sys.exit(main())

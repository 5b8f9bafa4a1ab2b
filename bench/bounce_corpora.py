"""Other projects' delivery reports through the real mailbox: how many mailbot answers (SPEC 5).

Starts the local Dovecot and SMTP servers, puts into the unit INBOX every
message of the corpora gathered from other projects (`tests/data/flufl_bounce`, `bounced`,
`mail_parser`, and sisimai's set-of-emails when the shared corpora are there) with the test
set's requesters who write that their mail "gagal terkirim", handles them in one pass at a
fixed moment and sends the outbox over SMTP. What each file is was read by hand (the labels
live in `tests/test_parsers_bounce_corpora.py`, sisimai's by its file names). Prints:

* delivery reports answered: any mail from mailbot to a report's From, Sender, Reply-To
  or Return-Path (read from the outbox and back over IMAP); how the reports were recorded;
* false bounces: people's mail and auto-replies the parser took for a bounce (a person
  whose mail is a "bounce" never gets an ack);
* the requesters: tickets opened and acks sent to them.

Run: .venv/bin/python bench/bounce_corpora.py [SHARED_DIR]
"""

from __future__ import annotations

import email
import email.policy
import sys
import tempfile
from collections import Counter
from datetime import datetime, timedelta
from email.utils import getaddresses
from pathlib import Path
from zoneinfo import ZoneInfo

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.errors import BadMessageError
from mailbot.io import logs
from mailbot.parsers import parse_message

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.conftest import CATCHALL, USERS
from tests.localmail import LocalMailServers
from tests.mailfactory import UNIT, mail, write_config
from tests.test_parsers_bounce_corpora import AUTOMATIC_NO_REPORT, PEOPLE
from tests.test_parsers_bounce_evidence import PERSONS_WORDS
from tests.test_reliability_faults import URGENT

DATA = ROOT / "tests" / "data"
MOMENT = datetime(2026, 11, 23, 10, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
# sisimai's messages that are no delivery report: RFC 3834 auto-replies and feedback (ARF)
# reports by their names; "not a bounce" and two bounces a person forwarded ("Fwd: ...").
SISIMAI_PEOPLE = ("not/is-not-bounce-01.eml", "not/is-not-bounce-02.eml", "bsd/lhost-sendmail-14.eml",
                  "err/make-test-36.eml")


def labelled(shared: Path) -> list[tuple[str, str, bytes]]:
    """(label, name, raw) of every corpus message: "report", "person" or "automatic"."""
    found: list[tuple[str, str, bytes]] = []
    for corpus in ("flufl_bounce", "bounced", "mail_parser"):
        for path in sorted((DATA / corpus).iterdir()):
            if path.suffix in (".txt", ".eml"):
                name = f"{corpus}/{path.name}"
                label = "person" if name in PEOPLE else "automatic" if name in AUTOMATIC_NO_REPORT else "report"
                found.append((label, name, path.read_bytes()))
    sisimai = shared / "corpora" / "set-of-emails" / "maildir"
    for path in sorted(sisimai.rglob("*.eml")) if sisimai.exists() else []:
        name = path.relative_to(sisimai).as_posix()
        label = "person" if name in SISIMAI_PEOPLE else \
            "automatic" if path.name.startswith(("rfc3834-", "arf-")) else "report"
        found.append((label, f"sisimai/{name}", path.read_bytes()))
    return found


def requesters() -> list[tuple[str, bytes]]:
    """The test set's requesters whose words say their mail failed, each from its own domain."""
    names = ("penawaran-gagal-terkirim", "pesan-tidak-terkirim", "re-own-mail-not-delivered",
             "re-penawaran-gagal-terkirim")
    found = [(_sender(raw), raw) for raw in ((DATA / "bounces" / f"human-{n}.eml").read_bytes() for n in names)]
    for i, subject in enumerate(URGENT):
        sender = f"penyedia{i}@urgent{i}.test"
        found.append((sender, mail(sender, subject, "Sudah dicoba berkali-kali, mohon segera dibantu.",
                                   date=MOMENT - timedelta(minutes=5))[0]))
    for i, words in enumerate(PERSONS_WORDS):
        sender = f"penyedia{i}@words{i}.test"
        found.append((sender, mail(sender, "Penawaran gagal terkirim", words, date=MOMENT - timedelta(minutes=5))[0]))
    return found


def _sender(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    return getaddresses([str(msg.get("from", ""))])[0][1].lower()


def addresses_of(raw: bytes) -> set[str]:
    """Every address a message could be answered at: From, Sender, Reply-To, Return-Path."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    fields = [str(v) for name in ("from", "sender", "reply-to", "return-path") for v in msg.get_all(name, [])]
    return {a.lower() for _, a in getaddresses(fields) if "@" in a}


def bounce(raw: bytes) -> bool | None:
    """Whether the parser takes the message for a bounce; None when it refuses it."""
    try:
        return parse_message(raw).is_bounce
    except BadMessageError:
        return None


def read_as(raw: bytes) -> str:
    """What the parser takes a message for: a bounce, other automatic mail, a person's mail."""
    try:
        msg = parse_message(raw)
    except BadMessageError:
        return "refused"
    return "bounce" if msg.is_bounce else "automatic, no bounce" if msg.is_automatic else "a person's mail"


def main() -> None:
    logs.configure("console", "error")
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared"
    corpus = labelled(shared)
    people = requesters()
    with (tempfile.TemporaryDirectory() as tmp,
          LocalMailServers(Path(tmp) / "mail", USERS, catchall=CATCHALL) as servers):
        for _, _, raw in corpus:
            servers.append(UNIT, raw, msg_time=MOMENT - timedelta(minutes=5))
        for _, raw in people:
            servers.append(UNIT, raw, msg_time=MOMENT - timedelta(minutes=5))
        config = write_config(servers, Path(tmp), autoreply_limit=10_000, limits={"ticket_mails_per_hour": 10_000})
        app = App(load_config(config), clock=lambda: MOMENT)
        app.poll_all()
        app.flush_outbox()
        outbox = {a.lower() for (a,) in app.store.db.query("select address from outbox_rcpt")}
        sent = [(a.lower(), str(m["X-Mailbot-Kind"])) for raw in servers.fetch(CATCHALL)
                for m in [email.message_from_bytes(raw, policy=email.policy.default)]
                for _, a in getaddresses([str(v) for v in m.get_all("To", [])])]
        answered_at = outbox | {a for a, _ in sent}
        acked = {a for a, kind in sent if kind == "ack"}
        reports = [(name, raw) for label, name, raw in corpus if label == "report"]
        answered = [name for name, raw in reports if addresses_of(raw) & answered_at]
        ways = Counter(read_as(raw) for _, raw in reports)
        not_reports = [(label, name, raw) for label, name, raw in corpus if label != "report"]
        false = [name for _, name, raw in not_reports if bounce(raw)]
        persons = [(name, raw) for label, name, raw in corpus if label == "person"]
        persons_acked = [name for name, raw in persons if addresses_of(raw) & acked]
        tickets = {t.requester.addr.lower() for t in app.store.search.tickets()}
        print(f"corpora: {len(corpus)} messages ({len(reports)} delivery reports, {len(persons)} people's mail, "
              f"{len(not_reports) - len(persons)} auto-replies and bulk mail)")
        print(f"{len(answered)} of {len(reports)} delivery reports answered" + (f": {', '.join(answered)}" if answered
                                                                                 else ""))
        print("delivery reports read as:", dict(ways.most_common()))
        print(f"false bounces: {len(false)} of {len(not_reports)} people's mail and auto-replies"
              + (f": {', '.join(false)}" if false else ""))
        print(f"people's mail of the corpora acked: {len(persons_acked)} of {len(persons)}")
        print(f"requesters whose mail 'gagal terkirim': {sum(a in tickets for a, _ in people)} of {len(people)} "
              f"opened a ticket, {sum(a in acked for a, _ in people)} acked")
        print(f"Processed: {len(servers.fetch(UNIT, 'Processed'))}, "
              f"Quarantine: {len(servers.fetch(UNIT, 'Quarantine'))}, INBOX: {len(servers.fetch(UNIT))}")


if __name__ == "__main__":
    main()

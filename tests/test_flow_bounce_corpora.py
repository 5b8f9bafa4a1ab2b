"""Other projects' bounce corpora, and two forms of report that were answered once, through the real mailbox.

SPEC 5: no automatic answer to a bounce or delivery report; a bounce of something mailbot
sent is attached to that ticket and staff are alerted; a bounce of mail the unit never sent
(backscatter of spam in its name) is recorded and never answered. Subject words alone never
make a requester's mail automatic: "Penawaran saya gagal terkirim" opens a ticket.

The corpora are real mail of other projects, copied unchanged (`tests/data/*/NOTICE.md`):
flufl.bounce's 117 messages (GNU Mailman's detectors' test set), bounced's three and a
selection of mail-parser's. They reach a private Dovecot; `mailbot` handles them at a fixed
moment and sends over SMTP; what it sent is read back over IMAP (mail to outside addresses
lands in the catch-all mailbox).
"""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests import mailfactory as mf

DATA = Path(__file__).parent / "data"
WIB = ZoneInfo("Asia/Jakarta")
MOMENT = datetime(2026, 11, 23, 10, 30, tzinfo=WIB)  # a Monday morning
CATCHALL = "catchall@lpse.test"
UNIT_PEOPLE = (*mf.STAFF, mf.COORDINATOR, mf.HEAD)

# What the corpus files are that are no delivery report (read by hand, tests/data/*/NOTICE.md).
PEOPLE = ("flufl_bounce/groupwise_03.txt", "mail_parser/mail_test_14.eml", "mail_parser/mail_test_18.eml",
          "mail_parser/mail_test_19.eml")
NOT_REPORTS = (*PEOPLE, "flufl_bounce/qmail_08.txt", "mail_parser/mail_test_13.eml", "mail_parser/mail_test_16.eml",
               *(f"mail_parser/{n}.eml" for n in ("mail_malformed_3", "mail_test_3", "mail_test_8", "mail_test_12",
                                                  "mail_test_17")))
# The test set's requesters who write that their mail failed (tests/data/bounces/human-*.eml).
REQUESTERS = {"human-penawaran-gagal-terkirim.eml": "budi@cvmaju.test",
              "human-pesan-tidak-terkirim.eml": "sari.dewi@dinas.test",
              "human-re-own-mail-not-delivered.eml": "budi@cvmaju.test",
              "human-re-penawaran-gagal-terkirim.eml": "budi@cvmaju.test"}


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def arrives(servers, raw: bytes, minutes_before: int = 5) -> None:
    """`raw` reaches the unit's INBOX a few minutes before MOMENT."""
    servers.append(mf.UNIT, raw, msg_time=MOMENT - timedelta(minutes=minutes_before))


def reports() -> list[Path]:
    every = [p for name in ("flufl_bounce", "bounced", "mail_parser") for p in sorted((DATA / name).iterdir())
             if p.suffix in (".txt", ".eml")]
    return [p for p in every if f"{p.parent.name}/{p.name}" not in NOT_REPORTS]


def senders_of(raw: bytes) -> set[str]:
    """Every address a report could be answered at: From, Sender, Reply-To, Return-Path."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    fields = [str(v) for name in ("from", "sender", "reply-to", "return-path") for v in msg.get_all(name, [])]
    return {a.lower() for _, a in getaddresses(fields) if "@" in a}


def sent_to(servers) -> list[tuple[str, str]]:
    """(recipient, mailbot kind) of every mail that reached an outside address, read back over IMAP."""
    out = []
    for msg in mf.inbox(servers, CATCHALL):
        for _, addr in getaddresses([str(v) for v in msg.get_all("To", [])]):
            out.append((addr.lower(), str(msg["X-Mailbot-Kind"])))
    return out


def outbox_to(config: Path) -> set[str]:
    rows = Store(load_config(config).database).db.execute("select address from outbox_rcpt").fetchall()
    return {a.lower() for (a,) in rows}


def unmatched_reasons(config: Path) -> list[str]:
    import json

    rows = Store(load_config(config).database).db.execute(
        "select detail from events where kind = 'automatic_unmatched' and ticket_id is null").fetchall()
    return [json.loads(detail)["reason"] for (detail,) in rows]


def test_no_delivery_report_of_other_projects_is_answered_and_requesters_still_are(env):
    """119 real delivery reports of flufl.bounce, bounced and mail-parser
    (two of them were acknowledged: simple_20, "RE: ... (delivery failed)" quoting nothing, and
    simple_43, Exim's words from ndr@ returning a list's mail) arrive with the corpora's other
    mail and the test set's requesters whose offers "gagal terkirim". No report's sender gets
    any mail; each requester and each person of the corpora gets a ticket and an ack; no
    report is backscatter staff hear of."""
    servers, config = env
    found = reports()
    answerable: set[str] = set()
    for path in found:
        raw = path.read_bytes()
        answerable |= senders_of(raw)
        arrives(servers, raw)
    for name in NOT_REPORTS:
        arrives(servers, (DATA / name).read_bytes())
    for name in REQUESTERS:
        arrives(servers, (DATA / "bounces" / name).read_bytes())
    mf.handle_at(config, MOMENT)

    assert len(found) == 119 and len(answerable) >= 100
    assert servers.fetch(mf.UNIT) == []
    assert outbox_to(config) & answerable == set()
    assert {a for a, _ in sent_to(servers)} & answerable == set()
    acked = {a for a, kind in sent_to(servers) if kind == "ack"}
    people = {"reservas@yyyyy.cu", "example@example.com", "comma.name@example.com", "bob@example.com"}
    assert set(REQUESTERS.values()) | people <= acked
    store = Store(load_config(config).database)
    requesters = {t.requester.addr for t in store.search.tickets()}
    assert set(REQUESTERS.values()) | people <= requesters and not requesters & answerable
    for user in UNIT_PEOPLE:
        assert mf.of_kind(mf.inbox(servers, user), "staff_alert") == []


def test_the_two_reports_this_corpus_found_answered_are_recorded_as_bounces(env):
    """simple_20 and simple_43 alone: recorded as bounces of mail the unit never sent, no
    ticket, no mail to anyone."""
    servers, config = env
    for name in ("simple_20.txt", "simple_43.txt"):
        arrives(servers, (DATA / "flufl_bounce" / name).read_bytes())
    mf.handle_at(config, MOMENT)
    assert sent_to(servers) == []
    assert [m for u in UNIT_PEOPLE for m in mf.inbox(servers, u) if m["X-Mailbot-Kind"] != "digest"] == []
    assert Store(load_config(config).database).search.tickets() == []
    assert sorted(unmatched_reasons(config)) == ["bounce: failure report from a mail system",
                                                 "bounce: failure report in a mail system's words"]
    assert len(servers.fetch(mf.UNIT, "Processed")) == 2 and servers.fetch(mf.UNIT, "Quarantine") == []


# The two forms in words other than the first fixtures (tests/data/bounces/*.eml.in).

def request_and_ack(servers, config: Path, requester: str = "sari@dinas.test") -> EmailMessage:
    raw, _ = mf.mail(requester, "Akun terkunci", "Mohon akun kami dibuka.", date=MOMENT - timedelta(minutes=20))
    arrives(servers, raw, minutes_before=20)
    mf.handle_at(config, MOMENT - timedelta(minutes=15))
    return mf.latest(servers, requester, "ack")


def report(name: str, to: str, ack: EmailMessage | None = None, body: str = "") -> bytes:
    text = (DATA / "bounces" / name).read_text()
    subject = str(ack["Subject"]) if ack is not None else "Pemenang undian LPSE"
    message_id = str(ack["Message-ID"]).strip("<>") if ack is not None else "spam.77@bulk.example"
    body = body or (mf.text_of(ack) if ack is not None else "")
    return (text.replace("@@TO@@", to).replace("@@DOMAIN@@", to.split("@")[1]).replace("@@SUBJECT@@", subject)
            .replace("@@MESSAGE_ID@@", message_id).replace("@@BODY@@", body).replace("\n", "\r\n").encode())


def mail_since_ack(servers, requester: str) -> list[tuple[str, str]]:
    """What went out after the requester's ack: to outside addresses, and to the unit's people."""
    outside = [(a, k) for a, k in sent_to(servers) if not (a == requester and k == "ack")]
    inside = [(u, str(m["X-Mailbot-Kind"])) for u in UNIT_PEOPLE for m in mf.inbox(servers, u)
              if m["X-Mailbot-Kind"] not in ("staff_new", "digest")]
    return outside + inside


def test_a_gateways_report_written_like_a_reply_quoting_nothing_is_never_answered(env):
    """Form (a) in other words: "RE: <our subject> (tidak terkirim)" from the gateway's ordinary
    address, "Pesan Anda tidak dapat disampaikan kepada <requester>", quoting nothing, citing
    nothing. It was acknowledged as a new requester's mail; now it is recorded as a bounce,
    answered by nothing. (Its tag alone does not attach it: SPEC 3.)"""
    servers, config = env
    ack = request_and_ack(servers, config)
    arrives(servers, report("gateway-re-tidak-terkirim.eml.in", "sari@dinas.test", ack))
    mf.handle_at(config, MOMENT)
    assert mail_since_ack(servers, "sari@dinas.test") == []
    assert unmatched_reasons(config) == ["bounce: failure report in a mail system's words"]
    assert len(Store(load_config(config).database).search.tickets()) == 1
    assert servers.fetch(mf.UNIT, "Quarantine") == []


def test_a_gateways_report_written_like_a_reply_citing_our_ack_alerts_staff_and_is_never_answered(env):
    """The same form citing our ack (In-Reply-To), "Sorry, we were unable to deliver your
    message to <requester>": a bounce of mail mailbot sent, attached to its ticket, staff
    alerted, never answered."""
    servers, config = env
    ack = request_and_ack(servers, config)
    arrives(servers, report("gateway-re-unable-to-deliver.eml.in", "sari@dinas.test", ack))
    mf.handle_at(config, MOMENT)
    assert [(a, k) for a, k in mail_since_ack(servers, "sari@dinas.test") if k != "staff_alert"] == []
    [alert] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_alert")
    assert "2026-00001" in mf.text_of(alert) and "tidak terkirim" in mf.text_of(alert)
    store = Store(load_config(config).database)
    [ticket] = store.search.tickets()
    kinds = [e["kind"] for e in store.history.events_of(ticket.id)]
    assert [k for k in kinds if k == "bounce_received"] == ["bounce_received"]


def test_backscatter_from_a_mail_system_naming_no_address_is_recorded_and_never_answered(env):
    """Form (b) in other words: a gateway's report from nds@ ("not delivered to one or more of
    its recipients", no address named) returning spam sent in the unit's name, a mail the unit
    never sent. It was acknowledged; now it is recorded, and nobody gets any mail of it."""
    servers, config = env
    raw = report("ndr-no-address-attached.eml.in", "andi@pemkab.test",
                 body="Selamat! Anda pemenang undian LPSE. Kirim data rekening Anda segera.")
    arrives(servers, raw)
    mf.handle_at(config, MOMENT)
    assert sent_to(servers) == []
    assert [m for u in UNIT_PEOPLE for m in mf.inbox(servers, u) if m["X-Mailbot-Kind"] != "digest"] == []
    assert Store(load_config(config).database).search.tickets() == []
    assert unmatched_reasons(config) == ["bounce: failure report from a mail system"]
    assert len(servers.fetch(mf.UNIT, "Processed")) == 1


def test_the_same_report_returning_our_ack_is_attached_and_alerted(env):
    servers, config = env
    ack = request_and_ack(servers, config)
    arrives(servers, report("ndr-no-address-attached.eml.in", "sari@dinas.test", ack))
    mf.handle_at(config, MOMENT)
    assert [(a, k) for a, k in mail_since_ack(servers, "sari@dinas.test") if k != "staff_alert"] == []
    [alert] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_alert")
    assert "2026-00001" in mf.text_of(alert) and "tidak terkirim" in mf.text_of(alert)
    store = Store(load_config(config).database)
    [ticket] = store.search.tickets()
    kinds = [e["kind"] for e in store.history.events_of(ticket.id)]
    assert [k for k in kinds if k == "bounce_received"] == ["bounce_received"]


@pytest.mark.parametrize("words", [
    "Penawaran saya gagal terkirim ke pokja@lpse.test, batas jam 14.00.",
    ("Selamat siang, saya mengirim penawaran ke pokja tapi mendapat balasan: \"Your message could not be "
    "delivered to pokja@lpse.test\". Mohon bantuan."),
    "Pesan saya tidak bisa terkirim ke pokja@lpse.test:\nhost mx.lpse.test said: 550 5.1.1 User unknown",
])
def test_a_requesters_words_about_their_failed_offer_open_a_ticket_with_an_ack(env, words):
    """SPEC 5: a person's own words about their failed offer are a request, answered."""
    servers, config = env
    raw, _ = mf.mail("budi@vendor.test", "RE: Penawaran gagal terkirim (delivery failed)", words,
                     date=MOMENT - timedelta(minutes=5))
    arrives(servers, raw)
    mf.handle_at(config, MOMENT)
    assert [m["X-Mailbot-Kind"] for m in mf.inbox(servers, "budi@vendor.test")] == ["ack"]
    [ticket] = Store(load_config(config).database).search.tickets()
    assert ticket.requester.addr == "budi@vendor.test"
    assert "pokja@lpse.test" in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_new"))

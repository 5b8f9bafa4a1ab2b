"""Other projects' bounce corpora through the parser (SPEC 5). Pure.

`tests/data/flufl_bounce/` (GNU Mailman's detectors' 117 messages), `tests/data/bounced/`
and `tests/data/mail_parser/` hold real mail gathered from those projects, copied
unchanged (their NOTICE.md files say from where and under what licence). What each file is
was read by hand and is written here, not taken from mailbot: a delivery report is never
answered (it is automatic, whatever mail it returns and whether or not it quotes it), and
no person's mail or auto-reply is taken for a bounce (a false bounce is a requester who
never gets an ack). The over-the-wire side is `tests/test_flow_bounce_corpora.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.parsers import parse_message
from tests.shared import SHARED

DATA = Path(__file__).parent / "data"
SISIMAI = SHARED / "corpora" / "set-of-emails" / "maildir"


def corpus(name: str) -> list[Path]:
    return sorted(p for p in (DATA / name).iterdir() if p.suffix in (".txt", ".eml"))


# What the files are that are no delivery report (tests/data/*/NOTICE.md).
PEOPLE = {"flufl_bounce/groupwise_03.txt",  # a hotel's reply to a reservation
          *(f"mail_parser/{n}.eml" for n in ("mail_malformed_3", "mail_test_3", "mail_test_8", "mail_test_12",
                                             "mail_test_14", "mail_test_17", "mail_test_18", "mail_test_19"))}
AUTOMATIC_NO_REPORT = {"flufl_bounce/qmail_08.txt",  # an auto-reply, Precedence: auto_reply
                       "mail_parser/mail_test_13.eml",  # a webinar newsletter (List-Id)
                       "mail_parser/mail_test_16.eml"}  # GTUBE test spam, Precedence: junk


def reports() -> list[str]:
    every = [f"{p.parent.name}/{p.name}" for name in ("flufl_bounce", "bounced", "mail_parser") for p in corpus(name)]
    return [n for n in every if n not in PEOPLE | AUTOMATIC_NO_REPORT]


def test_the_corpora_hold_what_their_notices_say():
    assert len(corpus("flufl_bounce")) == 117 and len(corpus("bounced")) == 3 and len(corpus("mail_parser")) == 11
    assert len(reports()) == 115 + 3 + 1


@pytest.mark.parametrize("name", reports())
def test_no_delivery_report_of_another_project_is_answered(name):
    """Every delivery report is automatic mail: mailbot answers none (SPEC 5)."""
    msg = parse_message((DATA / name).read_bytes())
    assert msg.is_automatic, (name, msg.subject)


@pytest.mark.parametrize("name", [
    "flufl_bounce/simple_20.txt",  # "RE: ... : non remis (delivery failed)", "Your message could not be delivered to"
    "flufl_bounce/simple_43.txt",  # Exim's words from ndr@, the attached original a list's mail, no address named
    "flufl_bounce/simple_36.txt",  # "System Administrator"@: "Remote host said: 550 unknown user <...>"
    "flufl_bounce/simple_35.txt",  # "Postmaster\@example.com"@: a delay warning
    "flufl_bounce/bounce_01.txt",  # From "Jetmail System" <>, Precedence: bulk: it was quarantined
])
def test_the_reports_issue_58_found_answered_or_lost_are_bounces(name):
    """Two forms of report were once answered on this corpus; three more
    were answered or quarantined for want of a sender. Each is recorded as the bounce it is."""
    msg = parse_message((DATA / name).read_bytes())
    assert msg.is_automatic and msg.is_bounce, (name, msg.auto_reason)
    assert msg.delivery is not None


def test_the_exim_report_naming_no_address_names_the_returned_mails_recipient():
    """Exim's "could not be delivered to one or more of its recipients" names none: the
    recipient of the mail it returns is the failed one."""
    report = parse_message((DATA / "flufl_bounce/simple_43.txt").read_bytes()).delivery
    assert report is not None and report.failed and report.recipients == ("test-a@listserv.our-domain.de",)


@pytest.mark.parametrize("name", sorted(PEOPLE))
def test_peoples_mail_of_the_corpora_is_no_bounce(name):
    msg = parse_message((DATA / name).read_bytes())
    assert not msg.is_bounce, (name, msg.auto_reason)


def test_the_persons_reply_in_the_bounce_corpus_is_answered():
    """groupwise_03: a hotel answering "RE: Vuille - (PO28169) - IND", kept upstream so no
    detector takes it for a bounce: a person, answered like one."""
    assert parse_message((DATA / "flufl_bounce/groupwise_03.txt").read_bytes()).auto_reason is None


@pytest.mark.parametrize("name", sorted(AUTOMATIC_NO_REPORT))
def test_auto_replies_and_bulk_mail_of_the_corpora_are_automatic_but_no_bounce(name):
    msg = parse_message((DATA / name).read_bytes())
    assert msg.is_automatic and not msg.is_bounce, (name, msg.auto_reason)


@pytest.mark.skipif(not SISIMAI.exists(), reason="the shared corpora are not beside this clone")
def test_sisimais_auto_replies_and_peoples_mail_are_no_bounce():
    """sisimai's set-of-emails: its RFC 3834 auto-replies and the two messages it keeps as
    "is not a bounce" stay what they are."""
    names = [*sorted(SISIMAI.rglob("rfc3834-*.eml")), SISIMAI / "not/is-not-bounce-01.eml",
             SISIMAI / "not/is-not-bounce-02.eml"]
    bounces = [p.name for p in names if parse_message(p.read_bytes()).is_bounce]
    assert len(names) == 8 + 2 and bounces == []

"""Whose reply answers which request for direction (seed 004 section 1
steps 7-8; SPEC 4 E12b, E12d, E12f), pure.

Expected values from the issue's words: a word is a reply to the direction request (or its
reminder) on that ticket, from an address of the audience it went to; an answer to a digest
or an alert is no direction on a reported case; only the head's own word ends the head's wait
and only the coordinators' own word ends theirs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.config.load import parse_config
from mailbot.core.directions import requests_answered
from mailbot.core.trust import Citation
from mailbot.settings import MailboxConfig

COORDINATOR = "koordinator@batam.go.id"
HEAD = "kepala@batam.go.id"
STAFF = "helpdesk1@batam.go.id"
TICKET = "2026-00042"


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> MailboxConfig:
    path: Path = tmp_path_factory.mktemp("cfg") / "config.yaml"
    cfg = parse_config({
        "smtp": {"host": "127.0.0.1", "security": "none"},
        "escalation": {"address": "helpdesk-lpse@lkpp.go.id", "senders": ["*@lkpp.go.id"]},
        "mailboxes": [{"name": "btm", "address": "lpse@batam.go.id", "imap": {"host": "imap.batam.go.id"},
                       "staff": [STAFF], "coordinators": [COORDINATOR], "heads": [HEAD]}],
    }, path)
    return cfg.mailboxes[0]


def cite(kind: str, letters: str, ticket: str | None = TICKET) -> Citation:
    return Citation(ticket, frozenset(letters), kind, f"mb.btm.{ticket}.{kind}.a{letters}@lpse")


HEAD_CASE = cite("head_case", "h")
COORDINATOR_CASE = cite("coordinator_case", "c")
HEAD_REMINDER = cite("direction_reminder", "hs")
COORDINATOR_REMINDER = cite("direction_reminder", "cs")


@pytest.mark.parametrize(("sender", "citations", "answers"), [
    (HEAD, (HEAD_CASE,), {"heads"}),
    (HEAD, (HEAD_REMINDER,), {"heads"}),
    ("Kepala@Batam.go.id", (HEAD_CASE,), {"heads"}),  # addresses compare without case
    (COORDINATOR, (COORDINATOR_CASE,), {"coordinators"}),
    (COORDINATOR, (COORDINATOR_REMINDER,), {"coordinators"}),
    # the other audience's request, forwarded or quoted: not theirs to answer
    (COORDINATOR, (HEAD_CASE,), set()),
    (COORDINATOR, (HEAD_REMINDER,), set()),
    (HEAD, (COORDINATOR_CASE,), set()),
    # staff in copy of the reminder, a requester, LKPP: no one asked them
    (STAFF, (HEAD_REMINDER,), set()),
    ("budi@vendor.co.id", (HEAD_CASE,), set()),
    ("helpdesk-lpse@lkpp.go.id", (COORDINATOR_CASE,), set()),
    # mail that asks nothing about the reported case: the digest, an alert, an overdue notice
    (COORDINATOR, (cite("digest", "ch", None),), set()),
    (HEAD, (cite("digest", "ch", None),), set()),
    (COORDINATOR, (cite("unverified", "c"),), set()),
    (COORDINATOR, (cite("overdue_staff", "c"),), set()),
    (HEAD, (cite("staff_direction", "s"),), set()),
    # the request on another ticket
    (HEAD, (cite("head_case", "h", "2026-00041"),), set()),
])
def test_only_an_answer_to_the_request_from_its_audience_answers_it(box, sender, citations, answers):
    assert requests_answered(citations, TICKET, sender, box) == frozenset(answers)


def test_a_reply_matched_to_no_ticket_answers_nothing(box):
    assert requests_answered((HEAD_CASE,), None, HEAD, box) == frozenset()

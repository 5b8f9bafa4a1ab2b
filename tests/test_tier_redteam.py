"""Red-team of the coordinator/head tier and LKPP's desk replies (issue 9), over real Dovecot + SMTP."""

from __future__ import annotations

import pytest

from mailbot.core.model import State
from tests.mailfactory import LKPP, deliver, latest, mail, text_of, write_config
from tests.test_ladder import (
    REQUESTER,
    _ids,
    assert_nothing_internal_reached,
    escalate,
    events,
    kinds_in,
    the_ticket,
)


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    yield servers, write_config(servers, tmp_path)
    assert_nothing_internal_reached(servers, REQUESTER)


def zendesk(escalation, comment: str) -> bytes:
    """A Zendesk-style desk's update: its marker line, the newest comment, then the whole
    conversation unquoted (our escalation with its staff note included), no `>` anywhere."""
    mid, refs = _ids(escalation)
    body = ("##- Silakan ketik balasan Anda di atas baris ini -##\n\n"
            "----------------------------------------------\n\n"
            f"Agus (Helpdesk LKPP)\n\n23 Nov 2026, 10.15 WIB\n\n{comment}\n\n"
            "----------------------------------------------\n\n"
            f"Helpdesk LPSE Uji\n\n23 Nov 2026, 09.15 WIB\n\n{text_of(escalation)}\n")
    return mail(LKPP, f"[Helpdesk LKPP] Re: {escalation['Subject']}", body, in_reply_to=mid, references=refs,
                name="Helpdesk LKPP")[0]


def test_lkpps_desk_repeating_our_staff_note_is_not_read_as_its_own_words(env):
    """SPEC E13/E15: the staff note "di luar kewenangan kami" went to LKPP with the escalation
    (the suite's usual note); LKPP's desk asks for data above the whole unquoted conversation.
    The unit's own words are not LKPP's: the ticket is not handed back to the unit as
    'returned' (state open, where `#permintaan-data` is refused): the request reaches the requester."""
    servers, config = env
    escalation = escalate(servers, config)  # note: "Mohon bantuan, di luar kewenangan kami."
    deliver(servers, config, zendesk(escalation, "Mohon dikirimkan screenshot pesan error dan kode tender."))
    assert [d.get("class") for k, d in events(config) if k == "lkpp_replied"] == ["need_info"]
    assert the_ticket(config).state is State.AWAITING_INFO
    assert "Mohon dikirimkan screenshot" in text_of(latest(servers, REQUESTER, "need_info"))
    assert "kewenangan kami" not in text_of(latest(servers, REQUESTER, "need_info"))
    assert kinds_in(servers, REQUESTER) == ["ack", "escalated_user", "need_info"]

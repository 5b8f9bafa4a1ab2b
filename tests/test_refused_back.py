"""A mail to LKPP refused for good (SPEC 5) undoes the move it made: the core decides where
the ticket goes back to (`plan.refused_back`); the outbox is handed that and writes it."""

from __future__ import annotations

from mailbot.core.plan import refused_back
from mailbot.core.plan_inputs import Setup
from mailbot.core.worktime import build_calendar
from mailbot.model import State, TimerKind
from tests.test_lifecycle import BOX, CFG, NOW, RULES, ticket

SETUP = Setup(CFG, BOX, RULES, build_calendar(CFG))


def test_a_refused_escalation_gives_the_case_back_to_the_unit():
    """`escalate` refused: `open` again, and LKPP is no longer chased for status or progress."""
    moved = refused_back("escalate", ticket(State.ESCALATED), SETUP, NOW)
    assert moved is not None
    back, timers = moved
    assert back.state is State.OPEN
    assert {TimerKind.LKPP_STATUS, TimerKind.LKPP_PROGRESS} <= set(timers.clear)


def test_refused_data_for_lkpp_waits_for_the_requester_again():
    """`forward_info` refused (SOP-015 step 9): LKPP still waits for the data, so `awaiting_info`."""
    moved = refused_back("forward_info", ticket(State.ESCALATED), SETUP, NOW)
    assert moved is not None
    assert moved[0].state is State.AWAITING_INFO


def test_a_ticket_that_left_escalated_meanwhile_is_left_alone():
    for state in (State.OPEN, State.ANSWERED, State.AWAITING_INFO, State.RESOLVED, State.CLOSED):
        for kind in ("escalate", "forward_info"):
            assert refused_back(kind, ticket(state), SETUP, NOW) is None, (kind, state)

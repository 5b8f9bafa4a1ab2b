"""Mutation check of the lifecycle table: does flipping any one cell fail a test?

For every cell of `mailbot.core.lifecycle.TABLE` it makes each mutant of that cell in
turn: another target state (each of the other five), each effect dropped, the cell
removed (the event refused there), and for each cell the table refuses where the event
can happen at all, the cell allowed (borrowing the event's first row). Cells no message
can reach are left out (`REACHABLE`, read off `core/classify.py`): a requester's
confirmation exists only on a resolved ticket, a new ticket only where none matched,
and no staff or LKPP event happens without a ticket; mutants there are equivalent. So
are effects a row names that no message of its event can set off (`INERT`). Each mutant
runs the SPEC-table tests (`tests/test_lifecycle.py`) in-process; a mutant that no test
fails "survives".
Prints the score and every survivor. Goal: no survivor.
Run: .venv/bin/python bench/mutate_table.py
"""

from __future__ import annotations

import io
import sys
import time
from contextlib import redirect_stdout
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailbot.core import lifecycle
from mailbot.model import State

TESTS = [str(ROOT / "tests" / "test_lifecycle.py")]


class _Quiet:
    def pytest_configure(self, config: pytest.Config) -> None:
        config.option.verbose = -2


def tests_fail() -> bool:
    with redirect_stdout(io.StringIO()):
        code = pytest.main(["-q", "-x", "-p", "no:cacheprovider", *TESTS], plugins=[_Quiet()])
    return code != 0


E = lifecycle.Event
TICKET_STATES = tuple(State)
O, A, ES, I, R, C = (State.OPEN, State.ANSWERED, State.ESCALATED, State.AWAITING_INFO, State.RESOLVED,
                     State.CLOSED)
REACHABLE = {
    E.REQUESTER_NEW: (None,), E.REQUESTER_MAIL: (O, A, ES, I, C),
    E.REQUESTER_CONFIRM: (R,), E.REQUESTER_REJECT: (R,),
    E.REQUESTER_SILENT: (R, C),  # `closing` on resolved, `after_closing` on closed
    E.REQUESTER_LATE_CONFIRM: (C,),  # `after_closing` reads only a closed ticket's mail
    # `_again`: a copy joins only a ticket still waiting for the unit (and the store offers
    # only those tickets' openings: `waiting_openings`)
    E.REQUESTER_AGAIN: (O, A, ES),
    # `_from_requester`: an answer to LKPP's request exists while the ticket waits for it
    # (awaiting_info), or once a first answer went on (escalated, citing the need_info mail)
    E.REQUESTER_EMPTY: (I, ES), E.REQUESTER_MORE_INFO: (ES,),
    E.STAFF_UNMATCHED: (None,), E.LKPP_UNMATCHED: (None,), E.AUTOMATIC: (None, *TICKET_STATES),
    # `_intake`: a call or visit is a new mail; on a ticket's thread it is refused (intake_in_reply)
    E.STAFF_INTAKE: (None,), E.STAFF_INTAKE_ANSWERED: (None,), E.STAFF_INTAKE_HELD: (None,),
    E.INTAKE_NOT_STAFF: (None,),  # `classify`: only a requester's mail that matches no ticket
    E.DIRECTION_GENERAL: (None,),  # `_from_staff`: only coordinators' or heads' mail with no ticket
}
# Effects a row names that no message of its event can set off: dropping one is an equivalent
# mutant. (event, effect): why.
INERT = {
    (E.STAFF_META, "set_contact"): "a `#data` line makes the message STAFF_DATA (`staff_event`), never STAFF_META",
}


def reachable(event: lifecycle.Event, state: State | None) -> bool:
    return state in REACHABLE.get(event, TICKET_STATES)


def mutants() -> list[tuple[str, dict]]:
    table = lifecycle.TABLE
    found: list[tuple[str, dict]] = []
    for (event, state), row in table.items():
        effective = row.to if row.to is not None else state
        for target in TICKET_STATES:
            if target != effective and state is not None:
                found.append((f"{event}@{state}: to {target}", {**table, (event, state): replace(row, to=target)}))
        for effect in row.effects:
            if (event, effect) in INERT:
                continue
            effects = tuple(e for e in row.effects if e != effect)
            found.append((f"{event}@{state}: without {effect}",
                          {**table, (event, state): replace(row, effects=effects)}))
        if event is not lifecycle.Event.COMMAND_ERROR:
            smaller = {k: v for k, v in table.items() if k != (event, state)}
            found.append((f"{event}@{state}: refused", smaller))
    for event in lifecycle.Event:
        rows = [row for (e, _), row in table.items() if e is event]
        for state in [*State, None]:
            if (event, state) not in table and rows and reachable(event, state):
                found.append((f"{event}@{state}: allowed", {**table, (event, state): rows[0]}))
    return found


def main() -> None:
    original = lifecycle.TABLE
    assert not tests_fail(), "the tests fail on the unmutated table"
    start = time.perf_counter()
    survivors = []
    everything = mutants()
    for name, table in everything:
        lifecycle.TABLE = table  # decide() reads the module's TABLE through row_for()
        try:
            if not tests_fail():
                survivors.append(name)
        finally:
            lifecycle.TABLE = original
    killed = len(everything) - len(survivors)
    print(f"table mutants: {len(everything)}  killed: {killed}  survived: {len(survivors)}  "
          f"score: {killed / len(everything):.1%}  ({time.perf_counter() - start:.0f} s)")
    for name in survivors:
        print("  survived:", name)


if __name__ == "__main__":
    main()

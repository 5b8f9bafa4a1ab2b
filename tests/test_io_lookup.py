"""The look-up before classification (`io/lookup.known`) reads no clock and no word list of its own.

The time is the caller's (a short ticket number is this year's, else last
year's, by the pipeline's `now`), and the command words it looks for before the
commands are read come from the commands' table (`core/command_table.COMMANDS`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from mailbot.core.commands import NAMES, RELAYS, spelled
from mailbot.io import lookup
from mailbot.io.store import Store
from mailbot.model import State
from tests.test_lifecycle import BOX, CFG, COORDINATOR, RULES, message, ticket


@pytest.fixture
def store(store_location):
    store = Store(store_location)
    yield store
    store.close()


def test_a_short_ticket_number_is_read_in_the_callers_year(store):
    """"tiket 42" names this year's 00042, else last year's: the year of the `now` passed in."""
    with store.unit_of_work():
        store.tickets.insert_ticket(replace(ticket(State.OPEN), id=None, mailbox=BOX.name, number="2020-00042"))
    msg = message(COORDINATOR, "Mohon tiket 42 segera dijawab.")
    found = lookup.known(store, b"k" * 32, BOX, CFG, RULES, msg, datetime(2021, 3, 1, tzinfo=UTC))
    assert [t.number for t in found.mentioned] == ["2020-00042"]
    later = lookup.known(store, b"k" * 32, BOX, CFG, RULES, msg, datetime(2026, 3, 1, tzinfo=UTC))
    assert later.mentioned == ()


def test_the_relay_words_are_the_tables_spellings_of_the_relay_commands():
    """`#teruskan`, `#relay`, `#permintaan-data`, `#need-info` (SPEC 4), as the table spells them."""
    assert {NAMES[name] for name in RELAYS} == {("teruskan", "relay"), ("permintaan-data", "need-info")}
    for word in ("teruskan", "RELAY", "Permintaan-Data", "need-info"):
        assert lookup._RELAY.search(f"#{word}\nSudah dijawab LKPP."), word
    for other in ("#selesai", "#eskalasi", "#catatan permintaan data", "#needinfo"):
        assert lookup._RELAY.search(other) is None, other


def test_a_new_spelling_in_the_table_is_looked_for_without_another_edit():
    """One edit: a spelling added to the commands' table is found by the pattern built from it."""
    table = {**NAMES, "relay": (*NAMES["relay"], "lanjutkan")}
    assert spelled(RELAYS).search("#lanjutkan") is None
    assert spelled(RELAYS, table).search("#lanjutkan") is not None
    assert lookup._RELAY.pattern == spelled(RELAYS).pattern

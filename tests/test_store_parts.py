"""The store split by what it keeps: `Store` holds the engine and the unit
of work, and each part is an attribute of its own (`store.outbox.enqueue(...)`), so "go to
definition" lands on the part's method and a consumer can be handed the parts it uses.
One connection and one unit of work are shared by every part, so a message's ticket,
history, outbox and timers commit together or not at all (SPEC: one message, one unit of work)."""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot.io.store import Store
from mailbot.io.store.arrivals import Arrivals
from mailbot.io.store.copies import Copies
from mailbot.io.store.handlings import Handlings
from mailbot.io.store.history import History
from mailbot.io.store.intake import Intake
from mailbot.io.store.mailboxes import Mailboxes
from mailbot.io.store.memory import Memory
from mailbot.io.store.messages import Messages
from mailbot.io.store.meta import Meta
from mailbot.io.store.outbox import Outbox
from mailbot.io.store.restored import Restored
from mailbot.io.store.search import Search
from mailbot.io.store.tickets import Tickets
from mailbot.io.store.timers import Timers
from mailbot.io.store.versions import Versions
from mailbot.model import Address, State, Ticket

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

# docs/architecture.md and the package's docstring name the parts; each is the store's attribute.
PARTS = {"tickets": Tickets, "intake": Intake, "search": Search, "messages": Messages, "arrivals": Arrivals,
         "history": History, "outbox": Outbox, "timers": Timers, "memory": Memory, "restored": Restored,
         "copies": Copies, "mailboxes": Mailboxes, "metadata": Meta, "versions": Versions, "handlings": Handlings}


def test_each_part_is_an_attribute_of_its_own_and_store_forwards_none_of_their_methods(tmp_path):
    """No facade of re-exported methods. `Store` keeps the engine's own
    (close, group_commit, sync) and the unit of work; whatever a part does is called on the part."""
    store = Store(tmp_path / "mailbot.db")
    try:
        for name, kind in PARTS.items():
            assert type(getattr(store, name)) is kind, name
        own = {name for name, _ in inspect.getmembers(Store, callable) if not name.startswith("_")}
        assert own == {"of", "unit_of_work", "close", "group_commit", "sync"}
        for kind in PARTS.values():
            methods = {name for name, _ in inspect.getmembers(kind, inspect.isfunction) if not name.startswith("_")}
            assert not methods & own, kind.__name__
            assert [m for m in methods if hasattr(store, m) and m not in PARTS] == [], kind.__name__
    finally:
        store.close()


def test_every_part_works_on_the_one_database(store_location):
    store = Store(store_location)
    try:
        assert {id(getattr(store, part).db) for part in PARTS} == {id(store.database)}
        assert store.db.conn is store.database.conn
    finally:
        store.close()


def test_a_failing_unit_of_work_keeps_nothing_of_any_part(store_location):
    """Ticket, history, outbox and timer rows written in one unit are rolled back together,
    on either engine."""
    store = Store(store_location)
    ticket = Ticket(id=None, mailbox="t", number="2026-00001", state=State.OPEN,
                    requester=Address("a@vendor.test", "A"), subject="Masalah", created_at=NOW, updated_at=NOW)
    try:
        with pytest.raises(RuntimeError), store.unit_of_work():
            saved = store.tickets.insert_ticket(ticket)
            assert saved.id is not None
            store.history.add_event("t", saved.id, NOW, "mailbot", "ticket_opened")
            store.outbox.enqueue(mailbox="t", ticket_id=saved.id, message_id="<m@x>", kind="ack",
                                 mail_from="t@lpse.test",
                                 rcpt=("a@vendor.test",), raw=b"mail", auto=True, now=NOW)
            store.timers.set_timer("t", saved.id, "first_response", NOW, NOW, replace=False)
            store.metadata.set_meta("probe", "1")
            raise RuntimeError("the message failed")
        counts = [store.db.execute(f"select count(*) from {table}").fetchone()[0]
                  for table in ("tickets", "events", "outbox", "timers")]
        assert counts == [0, 0, 0, 0]
        assert store.metadata.meta("probe") is None
    finally:
        store.close()


# Consumers handed the parts they use at wiring, never the whole store:
# what each reads and writes shows in its signature.
HANDED_PARTS = ("mailbot/flow/alerts.py", "mailbot/daemon/sent_folder.py", "mailbot/web/status.py")


@pytest.mark.parametrize("module", HANDED_PARTS)
def test_a_consumer_handed_parts_never_holds_the_store(module):
    tree = ast.parse((Path(__file__).resolve().parents[1] / module).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert "Store" not in imported
    assert "MainThreadStore" not in imported

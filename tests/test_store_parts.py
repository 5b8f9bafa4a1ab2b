"""The store split by what it keeps (issue 46): `Store` composes small parts over one
`Database`, and callers keep calling `store.enqueue(...)`. One connection and one unit of
work are shared by every part, so a message's ticket, history, outbox and timers commit
together or not at all (SPEC: one message, one unit of work)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mailbot.io.store import Store
from mailbot.io.store.facade import _PartMethod
from mailbot.model import Address, State, Ticket

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _forwarded() -> dict[str, _PartMethod[Any, Any]]:
    return {name: attr for name, attr in vars(Store).items() if isinstance(attr, _PartMethod)}


def test_each_store_method_is_the_method_of_one_part(tmp_path):
    """`store.enqueue` is the outbox part's `enqueue`, bound to that store's part."""
    store = Store(tmp_path / "mailbot.db")
    try:
        forwarded = _forwarded()
        assert len(forwarded) > 100
        for name, attr in forwarded.items():
            bound = getattr(store, name)
            assert bound.__func__ is attr.method, name
            assert bound.__self__ is getattr(store, attr.part), name
    finally:
        store.close()


def test_every_part_works_on_the_one_database(store_location):
    store = Store(store_location)
    try:
        parts = {attr.part for attr in _forwarded().values()} - {"database"}
        assert {id(getattr(store, part).db) for part in parts} == {id(store.database)}
        assert store.db.conn is store.database.conn
    finally:
        store.close()


def test_a_failing_unit_of_work_keeps_nothing_of_any_part(store_location):
    """Ticket, history, outbox and timer rows written in one unit are rolled back together,
    on either engine (issue 47)."""
    store = Store(store_location)
    ticket = Ticket(id=None, mailbox="t", number="2026-00001", state=State.OPEN,
                    requester=Address("a@vendor.test", "A"), subject="Masalah", created_at=NOW, updated_at=NOW)
    try:
        with pytest.raises(RuntimeError), store.unit_of_work():
            saved = store.insert_ticket(ticket)
            assert saved.id is not None
            store.add_event("t", saved.id, NOW, "mailbot", "ticket_opened")
            store.enqueue(mailbox="t", ticket_id=saved.id, message_id="<m@x>", kind="ack", mail_from="t@lpse.test",
                          rcpt=("a@vendor.test",), raw=b"mail", auto=True, now=NOW)
            store.set_timer("t", saved.id, "first_response", NOW, NOW, replace=False)
            store.set_meta("probe", "1")
            raise RuntimeError("the message failed")
        counts = [store.db.execute(f"select count(*) from {table}").fetchone()[0]
                  for table in ("tickets", "events", "outbox", "timers")]
        assert counts == [0, 0, 0, 0]
        assert store.meta("probe") is None
    finally:
        store.close()

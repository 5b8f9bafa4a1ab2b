"""One store, two engines: the same parts over SQLite and over PostgreSQL.

The PostgreSQL leg runs against a private cluster the tests start themselves
(tests/pgcluster.py: Debian's binaries, initdb and pg_ctl in a temporary directory, a
loopback port), never the host's. What is asserted is what mailbot promises whichever
engine holds its rows: ticket numbers counted per mailbox and year (SPEC 2: `2026-00001`),
a unit of work kept whole or not at all, the outbox's marks, due timers, arrivals and the
quarantine, big mail kept byte for byte; a PostgreSQL database has the shape the
migrations make, a known drift mended, a foreign shape refused by name (78).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mailbot.errors import ConfigError, DatabaseUnreachableError, LoginRefusedError
from mailbot.io import schema
from mailbot.io.migrations import MIGRATIONS, SCHEMA_VERSION
from mailbot.io.store import BLOB_PIECE, Store
from mailbot.io.store.postgres import display, placeholders
from mailbot.io.store.times import ts
from mailbot.model import Address, State, Ticket

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def _ticket(number: str, requester: str = "a@vendor.test", mailbox: str = "t") -> Ticket:
    return Ticket(id=None, mailbox=mailbox, number=number, state=State.OPEN, requester=Address(requester, "A"),
                  subject="Masalah", created_at=NOW, updated_at=NOW)


def test_ticket_numbers_count_per_mailbox_and_year(store_location):
    store = Store(store_location)
    try:
        with store.unit_of_work():
            numbers = [store.tickets.next_number("btm", 2026) for _ in range(3)]
            other = store.tickets.next_number("tpi", 2026)
            next_year = store.tickets.next_number("btm", 2027)
        assert numbers == ["2026-00001", "2026-00002", "2026-00003"]
        assert (other, next_year) == ("2026-00001", "2027-00001")
        assert store.tickets.raise_counter("btm", 2026, 10) == 3  # restore: at least the backup's count
        assert store.tickets.raise_counter("btm", 2026, 5) is None
        with store.unit_of_work():
            assert store.tickets.next_number("btm", 2026) == "2026-00011"
    finally:
        store.close()


def test_a_ticket_its_participants_and_its_references_read_back(store_location):
    store = Store(store_location)
    try:
        with store.unit_of_work():
            saved = store.tickets.insert_ticket(_ticket("2026-00001"))
            assert saved.id is not None
            store.tickets.add_participant(saved.id, "Staff1@LPSE.test")
            store.tickets.add_participant(saved.id, "staff1@lpse.test")  # once
            store.tickets.record_counterpart_ref("t", saved.id, "k1", "LKPP-77", "number", "<l@lkpp>", NOW)
            store.tickets.record_counterpart_ref("t", saved.id, "k1", "LKPP-78", "number", "<m@lkpp>",
                                                 NOW)  # first kept
        again = store.tickets.ticket_by_number("t", "2026-00001")
        assert again is not None and again.id == saved.id
        assert again.requester.addr == "a@vendor.test"
        assert "staff1@lpse.test" in list(again.participants)
        found, keys = store.tickets.ticket_by_refs("t", ["k1"])
        assert found is not None and found.id == saved.id and keys == frozenset({"k1"})
        assert store.tickets.ticket_by_number("t", "2026-00002") is None
        assert [t.number for t in store.search.find_tickets(mailbox="t", requester="VENDOR")] == ["2026-00001"]
        assert store.search.state_counts("t") == {"open": 1}
        assert store.search.unclosed_numbers("t", 30) == {"open": (["2026-00001"], 0)}  # the digest names them
    finally:
        store.close()


def test_nested_units_roll_back_alone_and_the_outer_one_keeps_the_rest(store_location):
    store = Store(store_location)
    try:
        with store.unit_of_work():
            store.metadata.set_meta("kept", "1")
            with pytest.raises(RuntimeError), store.unit_of_work():
                store.metadata.set_meta("dropped", "1")
                raise RuntimeError("one part failed")
        assert (store.metadata.meta("kept"), store.metadata.meta("dropped")) == ("1", None)
    finally:
        store.close()


def test_the_outbox_queues_counts_and_finishes_mail(store_location):
    store = Store(store_location)
    try:
        big = bytes(range(256)) * (BLOB_PIECE // 256 + 3)  # past the piece size: the big-mail column
        with store.unit_of_work():
            small_id = store.outbox.enqueue(mailbox="t", ticket_id=None, message_id="<a@x>", kind="ack",
                                            mail_from="lpse@lpse.test", rcpt=("Budi@Vendor.test",), raw=b"mail",
                                            auto=True, now=NOW)
            big_id = store.outbox.enqueue(mailbox="t", ticket_id=None, message_id="<b@x>", kind="reply",
                                          mail_from="lpse@lpse.test", rcpt=("sari@dinas.test",), raw=big, auto=False,
                                          now=NOW)
        assert store.outbox.due_outbox_ids(NOW, ("t",)) == [small_id, big_id]
        rows = {row.id: row for row in store.outbox.outbox_rows([small_id, big_id])}
        assert rows[small_id].raw == b"mail" and rows[big_id].raw == big
        # the loop limits count automatic mail to one inbox: one within the hour, one since
        assert store.outbox.auto_sent_to("budi@vendor.test", NOW - timedelta(minutes=5),
                                         NOW - timedelta(hours=1)) == (1, 1)
        assert store.outbox.auto_sent_to("sari@dinas.test", NOW, NOW - timedelta(hours=1)) == (0, 0)
        with store.unit_of_work():
            store.outbox.outbox_retry(big_id, ("sari@dinas.test",), "451 try later", NOW + timedelta(minutes=5),
                                      server=True)
            store.outbox.outbox_finish(small_id, NOW + timedelta(seconds=3), accepted=("budi@vendor.test",),
                                       drop_raw=False)
        assert store.outbox.due_outbox_ids(NOW + timedelta(minutes=1), ("t",)) == []
        assert store.outbox.server_held_ids(NOW + timedelta(minutes=1), ("t",)) == [big_id]
        assert store.outbox.outbox_counts() == {"pending": 1, "sent": 1}
        store.outbox.outbox_drop_raw([small_id])
        kept = store.db.execute("select raw, raw_big from outbox where id = ?", [small_id]).fetchone()
        assert (bytes(kept[0]), kept[1]) == (b"", None)
    finally:
        store.close()


def test_due_timers_arrivals_and_the_quarantine(store_location):
    store = Store(store_location)
    try:
        with store.unit_of_work():
            saved = store.tickets.insert_ticket(_ticket("2026-00001"))
            assert saved.id is not None
            store.timers.set_timer("t", saved.id, "first_response", NOW, NOW + timedelta(minutes=10), replace=False)
            store.arrivals.record_arrival(mailbox="t", uidvalidity=7, uid=3, message_id="<m@x>", outcome="ticket",
                                          folder="Processed", at=NOW)
            store.arrivals.record_quarantine(mailbox="t", uid=4, uidvalidity=None, message_id="<q@x>",
                                             reason="unreadable",
                                             at=NOW, archive_path=None)
        assert store.timers.due_timers("t", NOW) == []
        assert [t.kind for t in store.timers.due_timers("t", NOW + timedelta(minutes=10))] == ["first_response"]
        arrived = store.arrivals.arrival("t", 7, 3)
        assert arrived is not None and arrived.folder == "Processed"
        assert store.arrivals.arrival("t", 7, 4) is None
        assert store.arrivals.quarantine_known("t", None, 4)  # a missing UIDVALIDITY matches a missing one
        assert not store.arrivals.quarantine_known("t", 7, 4)
        store.history.add_event("t", saved.id, NOW, "mailbot", "intake_held", number="2026-00009", problem="x")
        assert store.history.event_exists("t", "intake_held", NOW, number="2026-00009")
    finally:
        store.close()


def test_a_postgresql_database_has_the_shape_the_migrations_make(pg_cluster, tmp_path):
    """The tables and columns of a fresh SQLite file made by the migrations, FTS5's own
    tables aside (the search index is a plain table there), are those of a fresh PostgreSQL
    database; and nothing differs at opening."""
    url = pg_cluster.database()
    store = Store(url)
    sqlite = Store(tmp_path / "m.db")
    try:
        have = {t: set(store.database.columns(t)) for t in store.database.tables()}
        made = schema.read(sqlite.db.conn)
        virtual = {n for n, t in made.items() if t.sql.upper().startswith("CREATE VIRTUAL TABLE")}
        want = {n: set(t.columns) for n, t in made.items()
                if n not in virtual and not any(n.startswith(f"{v}_") for v in virtual)}
        # the search index is a table of its own there: FTS5's columns and the ticket's id
        want["ticket_search"] = {r[1] for r in sqlite.db.conn.execute("pragma table_info(ticket_search)")} | {"id"}
        assert have == want
        assert store.versions.schema_version() == len(MIGRATIONS)
        assert store.versions.differences() == []
    finally:
        store.close()
        sqlite.close()


def test_a_known_drift_is_mended_and_a_foreign_shape_refused(pg_cluster):
    url = pg_cluster.database()
    Store(url).close()
    store = Store(url)
    store.db.execute("drop index idx_tickets_mailbox_state")
    store.db.execute("alter table tickets drop column taken_by")
    store.close()
    reopened = Store(url)  # the daemon's opening mends what adds without touching a row
    assert sorted(reopened.mended) == [
        f"column tickets.taken_by is missing (schema {SCHEMA_VERSION}): added",
        f"index idx_tickets_mailbox_state of table tickets is missing (schema {SCHEMA_VERSION}): added"]
    reopened.db.execute("alter table tickets alter column rating type text")
    reopened.close()
    with pytest.raises(ConfigError, match=r"column tickets.rating is TEXT, expected INTEGER"):
        Store(url)


def test_a_database_of_other_tables_is_refused(pg_cluster):
    url = pg_cluster.database()
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create table invoices (id integer)")
    with pytest.raises(ConfigError, match="invoices"):
        Store(url)


def test_an_unreachable_database_is_named_without_its_password():
    """A database that cannot be reached is a server unreachable (SPEC 10: 69, waited
    out by the daemon), no longer a configuration error (78, which the unit does not restart)."""
    url = "postgresql://mailbot:s3cret-pw@127.0.0.1:1/mailbot"
    with pytest.raises(DatabaseUnreachableError) as refused:
        Store(url)
    assert not isinstance(refused.value, ConfigError)
    assert "s3cret-pw" not in str(refused.value)
    assert "postgresql://mailbot:***@127.0.0.1:1/mailbot" in str(refused.value)
    assert display("postgresql://u@h/db") == "postgresql://u@h/db"


@pytest.mark.parametrize(("said", "kind", "named"), [
    (('connection failed: connection to server at "10.0.0.5", port 5432 failed: Connection refused\n'
     "\tIs the server running on that host and accepting TCP/IP connections?"), DatabaseUnreachableError,
     "cannot be reached: Connection refused"),
    (('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  the database system is '
     "starting up"), DatabaseUnreachableError, "the database system is starting up"),
    ("failed to resolve host 'db.lpse.test': [Errno -3] Temporary failure in name resolution",
     DatabaseUnreachableError, "cannot be reached: failed to resolve host"),
    ('connection failed: connection to server at "10.0.0.5", port 5432 failed: timeout expired',
     DatabaseUnreachableError, "timeout expired"),
    (('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  sorry, too many clients '
     "already"), DatabaseUnreachableError, "too many clients"),
    ('connection failed: connection to server at "10.0.0.5", port 5432 failed: fe_sendauth: no password supplied',
     LoginRefusedError, "refused the login: no password was given"),
    (('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  password authentication '
     'failed for user "mailbot"'), LoginRefusedError, "refused the login: the password was refused"),
    (('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  no pg_hba.conf entry for '
     'host "10.0.0.9", user "mailbot", database "mailbot", no encryption'), LoginRefusedError, "no pg_hba.conf entry"),
    (('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  role "mailbot" is not '
     "permitted to log in"), LoginRefusedError, "is not permitted to log in"),
    (('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  database "mailbt" does not '
     "exist"), ConfigError, 'database "mailbt" does not exist'),
    (('connection failed: connection to server at "10.0.0.5", port 5432 failed: server does not support SSL, but SSL '
     "was required"), ConfigError, "does not support SSL"),
])
def test_why_a_connection_failed_is_ranked_as_spec_10_ranks_it(said, kind, named):
    """Unreachable (69, waited out), a refused login (77), a URL naming no usable
    database (78), each with the cause in its own words, the address named by the URL."""
    from mailbot.io.store.pg_access import failure

    found = failure("postgresql://mailbot@db.lpse.test/mailbot", OSError(said), password_given=False)
    assert type(found) is kind
    assert named in str(found) and "postgresql://mailbot@db.lpse.test/mailbot" in str(found)
    assert "connection to server at" not in str(found)


def test_placeholders_leave_quoted_text_and_casts_alone():
    assert placeholders("select ? where a like '%?%' and b = ?") == "select %s where a like '%%?%%' and b = %s"
    assert placeholders("select x::text from t where a = :start and b < :end", named=True) == \
        "select x::text from t where a = %(start)s and b < %(end)s"


# --- beyond one host: who does what, and a process that lost its turn --------

HOLDER = r"""
import sys
from mailbot.io.store import Store
from mailbot.io.store.postgres import LeaseLost

store = Store(sys.argv[1], lease_seconds=float(sys.argv[2]))
print("locked" if store.database.try_lock("mailbox:btm") else "refused", flush=True)
for line in sys.stdin:
    try:
        with store.unit_of_work():
            store.metadata.set_meta("stopped_wrote", "yes")
        print("written", flush=True)
    except LeaseLost as exc:
        print("lost:", exc, flush=True)
"""


def test_a_mailbox_is_one_sessions_at_a_time(pg_cluster):
    url = pg_cluster.database()
    first, second = Store(url), Store(url)
    try:
        assert first.database.try_lock("mailbox:btm")
        assert not second.database.try_lock("mailbox:btm")
        assert second.database.try_lock("mailbox:tpi")  # another mailbox is free
        assert first.database.holds("mailbox:btm") and not second.database.holds("mailbox:btm")
        first.database.unlock("mailbox:btm")
        assert second.database.try_lock("mailbox:btm")
    finally:
        first.close()
        second.close()


def test_a_process_stopped_past_its_lease_loses_its_mailbox_and_writes_nothing_when_it_wakes(pg_cluster):
    """SIGSTOP for twice the lease: the server ends the silent session, another process takes
    the mailbox; continued, the stopped one's next unit of work fails (LeaseLost) and its
    write is not in the database."""
    import signal
    import subprocess
    import sys
    import time

    url, lease = pg_cluster.database(), 1.5
    Store(url).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, url, str(lease)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    other = Store(url, lease_seconds=lease)
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "locked"
        assert not other.database.try_lock("mailbox:btm")
        holder.send_signal(signal.SIGSTOP)
        time.sleep(2 * lease + 1)
        assert other.database.try_lock("mailbox:btm")  # taken over
        holder.send_signal(signal.SIGCONT)
        holder.stdin.write("write\n")
        holder.stdin.flush()
        answer = holder.stdout.readline().strip()
        assert answer.startswith("lost:") and "mailbox:btm" in answer
        assert other.metadata.meta("stopped_wrote") is None
    finally:
        holder.kill()
        holder.wait(timeout=10)
        other.close()


WRITER = r"""
import sys, time
from mailbot.io.store import Store

store = Store(sys.argv[1], lease_seconds=float(sys.argv[2]))
print("open", flush=True)
sys.stdin.readline()
with store.unit_of_work():
    store.metadata.set_meta(sys.argv[3], "yes")
    print("writing", flush=True)
    time.sleep(3600)  # frozen (SIGSTOP) in the middle of its unit of work
"""


def test_a_frozen_host_holds_the_other_hosts_writes_up_for_one_lease_not_one_a_process(pg_cluster):
    """A host frozen (a paused virtual machine: SIGSTOP to all its processes) while its daemon
    is inside a unit of work and its sender waits for its turn to write. The writer's session
    ends after the lease; the waiter must not then be given the turn while frozen and hold it
    for a lease more: another host writes within one lease (it waited two, 10.9 s for a 5 s
    lease in CI's run of tests/test_ops_shared_store.py, when the waiter's blocking wait was
    granted in its sleep)."""
    import signal
    import subprocess
    import sys
    import time

    url, lease = pg_cluster.database(), 3.0
    Store(url).close()
    frozen = [subprocess.Popen([sys.executable, "-c", WRITER, url, str(lease), name], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True) for name in ("daemon", "sender")]
    other = Store(url, lease_seconds=lease)
    try:
        for proc in frozen:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
        daemon, sender = frozen
        daemon.stdin.write("go\n")  # type: ignore[union-attr]
        daemon.stdin.flush()  # type: ignore[union-attr]
        assert daemon.stdout.readline().strip() == "writing"  # type: ignore[union-attr]
        sender.stdin.write("go\n")  # type: ignore[union-attr]
        sender.stdin.flush()  # type: ignore[union-attr]
        time.sleep(0.3)  # the sender waits for its turn
        for proc in frozen:
            proc.send_signal(signal.SIGSTOP)
        frozen_at = time.monotonic()
        with other.unit_of_work():
            other.metadata.set_meta("other", "yes")
        waited = time.monotonic() - frozen_at
        assert waited <= lease + 1.0, f"another host wrote {waited:.1f} s after the freeze (lease {lease} s)"
        assert other.metadata.meta("daemon") is None and other.metadata.meta("sender") is None
    finally:
        for proc in frozen:
            proc.kill()
            proc.wait(timeout=10)
        other.close()


def test_a_silent_process_without_locks_is_served_again_after_its_session_ended(pg_cluster):
    url = pg_cluster.database()
    store = Store(url, lease_seconds=1.0)
    try:
        store.database._stop.set()  # no heartbeat: the server ends the session after a second
        store.database.conn.execute("select 1")
        import time

        time.sleep(2.5)  # the server has ended the session by now
        with store.unit_of_work():
            store.metadata.set_meta("after", "1")
        assert store.metadata.meta("after") == "1"
    finally:
        store.close()


def test_units_of_work_of_two_processes_are_one_writer_at_a_time(pg_cluster):
    """A part reads, then writes in one unit (a timer still unchanged, a count): two sessions
    doing so at once lose no update, as on one SQLite file (BEGIN IMMEDIATE)."""
    import threading

    url = pg_cluster.database()
    Store(url).close()
    stores = [Store(url), Store(url)]

    def count(store: Store) -> None:
        for _ in range(100):
            with store.unit_of_work():
                n = int(store.metadata.meta("n") or 0)
                store.metadata.set_meta("n", str(n + 1))

    try:
        workers = [threading.Thread(target=count, args=(s,)) for s in stores]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
        assert stores[0].metadata.meta("n") == "200"
    finally:
        for s in stores:
            s.close()


def _end_session(of: Store, by: Store) -> None:
    """What the server does to a process silent past its lease, done at once: its session ended
    (waited for, up to 5 s: without a timeout pg_terminate_backend only signals the backend,
    whose locks then lingered for a moment, and the count after it was 2 in one run of 3)."""
    pid = of.database.conn.info.backend_pid
    by.database.execute("select pg_terminate_backend(?, 5000)", [pid])


def test_every_act_in_flight_under_a_lost_session_fails_until_it_ends_and_no_write_goes_through(pg_cluster):
    """Two passes in flight in one process (two mailboxes), the session ends: not only the
    first statement after it fails (LeaseLost) but every one, until each act whose lock was
    lost has ended; a standing lock (a mailbox served) is dropped without holding others up."""
    from mailbot.io.store.postgres import LeaseLost

    url = pg_cluster.database()
    store, other = Store(url), Store(url)
    try:
        db = store.database
        assert db.try_lock("intake:btm") and db.try_lock("intake:tpi") and db.try_lock("serve:btm", standing=True)
        _end_session(store, other)
        with pytest.raises(LeaseLost, match="intake:btm"):
            db.try_lock("intake:dum")
        assert other.database.try_lock("intake:btm")  # another host took the mailbox meanwhile
        for _ in range(2):  # the other pass's write, and anything else, still fails
            with pytest.raises(LeaseLost), store.unit_of_work():
                store.metadata.set_meta("stale_write", "1")
        db.unlock("intake:btm")  # the first pass ends
        with pytest.raises(LeaseLost, match="intake:tpi"), store.unit_of_work():
            store.metadata.set_meta("stale_write", "1")
        db.unlock("intake:tpi")  # the second ends: the process works again, holding nothing
        assert "serve:btm" not in db.held and db.held == set()
        with store.unit_of_work():
            store.metadata.set_meta("fresh_write", "1")
        assert other.metadata.meta("stale_write") is None and other.metadata.meta("fresh_write") == "1"
    finally:
        store.close()
        other.close()


def test_a_group_commit_refused_under_a_lost_session_leaves_the_next_group_whole(pg_cluster):
    """A batch's slice opens a group commit while its mailbox's pass is in flight under a session
    the server ended (a host stopped past its lease and continued): the group's first statement
    fails (LeaseLost). Once that pass has ended, the next group is a group again: it commits
    without waiting for the WAL flush each, and its end syncs (a synchronous commit)."""
    from mailbot.io.store.postgres import LeaseLost

    url = pg_cluster.database()
    store, other = Store(url), Store(url)
    try:
        db = store.database
        assert db.try_lock("intake:btm")
        _end_session(store, other)
        with pytest.raises(LeaseLost, match="intake:btm"), store.group_commit():
            pass
        db.unlock("intake:btm")
        setting = lambda: db.execute("show synchronous_commit").fetchone()[0]
        with store.group_commit():
            inside = setting()
            with store.unit_of_work():
                store.metadata.set_meta("grouped_write", "1")
        assert inside == "off" and setting() == "on"
        assert other.metadata.meta("synced") is not None  # the group's end synced
        assert other.metadata.meta("grouped_write") == "1"
    finally:
        store.close()
        other.close()


def test_daemons_are_counted_by_a_shared_lock_taken_again_on_a_new_session(pg_cluster):
    url = pg_cluster.database()
    first, second, third = Store(url), Store(url), Store(url)
    try:
        first.database.join("daemons")
        second.database.join("daemons")
        assert third.database.members("daemons") == 2
        _end_session(first, third)
        assert third.database.members("daemons") == 1
        first.database.execute("select 1")  # the next statement opens a new session, counted again
        assert third.database.members("daemons") == 2
        second.close()
        assert wait_until(lambda: third.database.members("daemons") == 1)
    finally:
        first.close()
        third.close()


def test_daemons_of_another_database_on_the_same_server_are_not_counted(pg_cluster):
    """Two units' stores in one PostgreSQL server (a database each, as a province's server
    holds several LPSE): each counts its own daemons only. Counted with the other unit's,
    a unit's daemons took too small a share each and left some of its mailboxes unserved."""
    ours, theirs = pg_cluster.database(), pg_cluster.database()
    stores = [Store(ours), Store(theirs), Store(theirs)]
    try:
        for store in stores:
            store.database.join("daemons")
        assert stores[0].database.members("daemons") == 1
        assert stores[1].database.members("daemons") == 2
    finally:
        for store in stores:
            store.close()


def wait_until(check, seconds: float = 5.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_a_senders_earlier_mail_reads_back_newest_first(store_location):
    """A staff member's signature is learned from their latest mail to the mailbox
    (`Messages.earlier_texts`): theirs only, received only, from `since` on, newest first."""
    store = Store(store_location)
    try:
        with store.unit_of_work():
            for n, (sender, direction, days) in enumerate([
                    ("sari@lpse.test", "in", 10), ("sari@lpse.test", "in", 2), ("andi@lpse.test", "in", 1),
                    ("sari@lpse.test", "out", 1), ("sari@lpse.test", "in", 400), ("sari@lpse.test", "in", 3)]):
                at = ts(NOW - timedelta(days=days))
                store.messages.record_message(mailbox="t", message_id=f"m{n}@x", direction=direction, role="staff",
                                              ticket_id=None, kind="staff_reply", sender=sender, recipients="",
                                              subject="s", at=at, archive_path=None, size=1, attachments=0, body="",
                                              full_text=f"text {n}", received_at=at, content_hash=None)
        assert store.messages.earlier_texts("t", "Sari@lpse.test", NOW - timedelta(days=180)) == ["text 1", "text 5",
                                                                                                  "text 0"]
        assert store.messages.earlier_texts("t", "sari@lpse.test", NOW - timedelta(days=180), limit=2) == ["text 1",
                                                                                                           "text 5"]
        assert store.messages.earlier_texts("other", "sari@lpse.test", NOW - timedelta(days=180)) == []
    finally:
        store.close()

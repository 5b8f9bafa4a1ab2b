"""The schema's history: one function per version, applied in order by `Store` at start.

Version N of the database is what `MIGRATIONS[:N]` made; `SCHEMA_VERSION` is the
version this code writes. A migration only adds (tables, columns, indexes, rows derived
from rows already there) and runs in the same transaction as the version it records, so
a database is always at one version (`io/store/versions.py`). Old versions' databases are
pinned by tests/test_ops_upgrade.py; `io/schema` compares the result with what this
version expects.
"""

from __future__ import annotations

from collections.abc import Callable

from mailbot.core.counterpart import Reference
from mailbot.core.inboxes import inbox_key
from mailbot.io.quiet_import import UNUSED, without

with without(*UNUSED):
    import sqlite_utils


def _v1(db: sqlite_utils.Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("counters").create({"mailbox": str, "year": int, "last": int}, pk=("mailbox", "year"))
    db.table("tickets").create(
        {
            "id": int, "mailbox": str, "number": str, "state": str, "requester": str,
            "requester_name": str, "subject": str, "category": str, "priority": str,
            "assignee": str, "language": str, "created_at": str, "updated_at": str,
            "first_response_at": str, "resolved_at": str, "resolved_by": str, "closed_at": str,
            "rating": int, "lkpp_ticket": str, "reopened_from": int,
        },
        pk="id",
        not_null={"mailbox", "number", "state", "requester", "created_at", "updated_at"},
    )
    db.table("tickets").create_index(["mailbox", "number"], unique=True)
    db.table("tickets").create_index(["mailbox", "state"])
    db.table("tickets").create_index(["mailbox", "requester"])
    db.table("tickets").create_index(["mailbox", "lkpp_ticket"])
    db.table("participants").create({"ticket_id": int, "address": str}, pk=("ticket_id", "address"))
    db.table("messages").create(
        {
            "id": int, "mailbox": str, "message_id": str, "direction": str, "role": str,
            "ticket_id": int, "kind": str, "sender": str, "recipients": str, "subject": str,
            "at": str, "archive_path": str, "size": int, "attachments": int,
        },
        pk="id",
        not_null={"mailbox", "message_id", "direction", "at"},
    )
    db.table("messages").create_index(["mailbox", "direction", "message_id"], unique=True)
    db.table("messages").create_index(["mailbox", "message_id"])
    db.table("messages").create_index(["ticket_id"])
    db.table("events").create(
        {"id": int, "mailbox": str, "ticket_id": int, "at": str, "actor": str, "kind": str, "detail": str},
        pk="id",
        not_null={"mailbox", "at", "actor", "kind"},
    )
    db.table("events").create_index(["ticket_id"])
    db.table("events").create_index(["mailbox", "kind", "at"])
    db.table("outbox").create(
        {
            "id": int, "mailbox": str, "ticket_id": int, "message_id": str, "kind": str,
            "mail_from": str, "rcpt": str, "raw": bytes, "auto": int, "created_at": str,
            "status": str, "attempts": int, "next_attempt_at": str, "last_error": str,
            "sent_at": str,
        },
        pk="id",
        not_null={"mailbox", "message_id", "kind", "mail_from", "rcpt", "raw", "created_at", "status"},
        defaults={"status": "pending", "attempts": 0, "auto": 0},
    )
    db.table("outbox").create_index(["status", "next_attempt_at"])
    db.table("outbox").create_index(["ticket_id", "created_at"])
    db.table("outbox_rcpt").create({"outbox_id": int, "address": str, "auto": int, "at": str},
                                   pk=("outbox_id", "address"))
    db.table("outbox_rcpt").create_index(["address", "at"])
    db.table("imap_state").create(
        {"mailbox": str, "folder": str, "uidvalidity": int, "last_uid": int, "updated_at": str},
        pk=("mailbox", "folder"),
    )
    db.table("quarantine").create(
        {
            "id": int, "mailbox": str, "uid": int, "uidvalidity": int, "message_id": str,
            "reason": str, "at": str, "archive_path": str,
        },
        pk="id",
    )
    db.table("quarantine").create_index(["mailbox", "message_id"])


def _v2(db: sqlite_utils.Database) -> None:
    """SLA timers, due ones found by an indexed query (SPEC section 6)."""
    db.table("timers").create(
        {"id": int, "mailbox": str, "ticket_id": int, "kind": str, "started_at": str, "due_at": str, "step": int,
         "active": int},
        pk="id",
        not_null={"mailbox", "ticket_id", "kind", "started_at", "due_at"},
        defaults={"step": 0, "active": 1},
    )
    db.table("timers").create_index(["active", "due_at"])
    db.table("timers").create_index(["ticket_id", "active"])


def _v3(db: sqlite_utils.Database) -> None:
    """Texts and arrival times for `ticket N` and the reports; the consultation form on
    the ticket; what the outbox needs to hold, retry and record failures."""
    messages = db.table("messages")
    messages.add_column("body", str)  # in: the new text; out: the text relayed, if any
    messages.add_column("full_text", str)  # in: the whole text with quotes
    messages.add_column("received_at", str)  # in: when it reached the mailbox
    messages.add_column("content_hash", str)  # in: hash of what the message says, trace headers aside
    db.table("quarantine").add_column("content_hash", str)
    tickets = db.table("tickets")
    for column in ("contact_name", "contact_org", "contact_address", "contact_phone"):
        tickets.add_column(column, str)
    outbox = db.table("outbox")
    outbox.add_column("audience", str)  # requester | staff | coordinators | heads | lkpp | sender
    outbox.add_column("slot_at", str)  # when the loop limits let it go (its first send time)
    outbox.add_column("held", int, not_null_default=0)  # 1: held back by a loop limit
    outbox.add_column("rcpt_done", str)  # JSON list of recipients already accepted
    outbox.add_column("failed_at", str)
    timers = db.table("timers")
    timers.add_column("error", str)
    timers.add_column("failures", int, not_null_default=0)


def _v4(db: sqlite_utils.Database) -> None:
    """The monthly reports find a month's tickets by their opening time, of one mailbox or all,
    and their mail's SMTP acceptance time from the index alone (not the rows with the raw mail)."""
    db.table("tickets").create_index(["mailbox", "created_at"])
    db.table("tickets").create_index(["created_at"])
    db.table("outbox").create_index(["ticket_id", "message_id", "sent_at"])


# Active timers whose breach time is not their due_at (they fired, or their breach counts
# from their start under the ticket's current priority): few, as they belong to open tickets.
BREACH_KNOWN = "active = 1 and (step > 0 or kind in ('first_response', 'lkpp_progress', 'awaiting_info'))"


def _v5(db: sqlite_utils.Database) -> None:
    """The digest and `tickets --overdue` read only what may be overdue: open tickets by age,
    due timers by (active, due_at), and the active timers whose breach is read from their
    start or that fired already (partial indexes)."""
    db.execute("create index if not exists tickets_unclosed_by_age on tickets (mailbox, created_at) "
               "where state != 'closed'")
    db.execute(f"create index if not exists timers_breach_known on timers (mailbox) where {BREACH_KNOWN}")


def _v6(db: sqlite_utils.Database) -> None:
    """A big mail's bytes go in the outbox row's last column (`raw` is then empty): SQLite
    writes a last-column zeroblob without building it in memory, and the bytes are then
    written into it a piece at a time (`Outbox.enqueue`)."""
    db.table("outbox").add_column("raw_big", bytes)


def _v7(db: sqlite_utils.Database) -> None:
    """The pending mail that waits only because its server took no mail (no session, MAIL
    FROM refused): due again as soon as that server takes mail. A table of its own, so the
    outbox's big-mail column stays its last (`_v6`)."""
    db.table("outbox_server_held").create({"outbox_id": int}, pk="outbox_id")


def _v8(db: sqlite_utils.Database) -> None:
    """mailbot's Message-IDs that reached people outside their audience (staff answering a
    notice with LKPP in Cc): the role letters that hold them now (`trust.exposed`)."""
    db.table("exposed").create({"mailbox": str, "message_id": str, "audience": str, "at": str},
                               pk=("mailbox", "message_id"))


def _v9(db: sqlite_utils.Database) -> None:
    """Where each message that reached the INBOX went: one row per IMAP message (its INBOX
    UIDVALIDITY and UID), written in the same transaction as its record, naming the record
    (`message_id`: the messages or quarantine row it is kept under), the outcome and the
    folder it is moved to; after the move, its UID there where the server says so (UIDPLUS
    COPYUID). The move reads these rows (moved => recorded) and `mailbot audit` compares
    the folders with them."""
    db.table("arrivals").create(
        {"id": int, "mailbox": str, "uidvalidity": int, "uid": int, "message_id": str, "outcome": str,
         "folder": str, "at": str, "dest_uidvalidity": int, "dest_uid": int, "moved_at": str},
        pk="id", not_null={"mailbox", "uidvalidity", "uid", "message_id", "outcome", "folder", "at"})
    db.table("arrivals").create_index(["mailbox", "uidvalidity", "uid"], unique=True)
    db.table("arrivals").create_index(["mailbox", "folder", "dest_uidvalidity", "dest_uid"])
    db.table("arrivals").create_index(["mailbox", "message_id"])


def _v10(db: sqlite_utils.Database) -> None:
    """How a ticket came in (SPEC 3: e-mail, a phone call, a visit) and the staff member who
    took the call or visit; tickets from before came by e-mail."""
    tickets = db.table("tickets")
    tickets.add_column("channel", str)
    tickets.add_column("taken_by", str)


def _v11(db: sqlite_utils.Database) -> None:
    """The inbox each recipient's address reaches (`inboxes.inbox_key`: case, `+tag`, Gmail's
    dots), so the loop limits count `target+1@` and `target+2@` as one inbox."""
    db.table("outbox_rcpt").add_column("inbox", str)
    rows = list(db.execute("select rowid, address from outbox_rcpt").fetchall())
    if rows:  # an UPDATE opens a transaction: none on a fresh database (run outside `atomic`, as tests do)
        db.conn.executemany("update outbox_rcpt set inbox = ? where rowid = ?",
                            [(inbox_key(address or ""), rowid) for rowid, address in rows])
    db.table("outbox_rcpt").create_index(["inbox", "at"])
    db.table("outbox").create_index(["mailbox", "kind", "created_at"])  # the acks of the last hour


def _v12(db: sqlite_utils.Database) -> None:
    """The counterpart's own ticket reference: on the ticket, the one its later mail
    to LKPP carries, exactly as LKPP's system wrote it and its form; and every reference LKPP's
    verified mail brought, by its key (`counterpart.Reference.key`), to match LKPP's mail by."""
    db.table("tickets").add_column("lkpp_ref", str)
    db.table("tickets").add_column("lkpp_ref_form", str)
    db.table("counterpart_refs").create(
        {"mailbox": str, "key": str, "ticket_id": int, "ref": str, "form": str, "message_id": str, "at": str},
        pk=("mailbox", "key"), not_null={"mailbox", "key", "ticket_id", "ref", "form", "at"})


def _v13(db: sqlite_utils.Database) -> None:
    """The mail received in the last hour, read by its arrival (`Messages.received_from_domain`:
    a responder answering from rotating addresses)."""
    db.table("messages").create_index(["mailbox", "direction", "at"])


def _v14(db: sqlite_utils.Database) -> None:
    """The unit's memory (`core/similar`, `io/solved`): one row per solved ticket with its
    terms and the solution's text, an FTS5 index over the terms that finds the candidates
    alike to a new case, and in how many solved cases each term stands (`solved_terms`; the
    empty term holds how many cases there are), read by key where FTS5's vocabulary table
    would scan. The terms are made by mailbot (stemmed, numbers dropped) and only split on
    spaces here; `box` is the mailbox as one token, so that a look-up stays in its mailbox
    inside the index. `solved_pending` lists the tickets changed since they were last
    indexed (`update_ticket` adds them, `io/solved.sync` indexes them: it needs the rules'
    words, which the store has not); every solved ticket of before is listed here."""
    db.execute("create table solved_cases (ticket_id integer primary key, mailbox text not null, "
               "box text not null, number text not null, subject text, solved_at text not null, "
               "problem_terms text not null, solution_terms text not null, solution text not null)")
    db.execute("create virtual table solved_fts using fts5(box, problem_terms, solution_terms, "
               "content='solved_cases', content_rowid='ticket_id', tokenize='unicode61', detail='column')")
    db.execute("create trigger solved_cases_in after insert on solved_cases begin "
               "insert into solved_fts (rowid, box, problem_terms, solution_terms) "
               "values (new.ticket_id, new.box, new.problem_terms, new.solution_terms); end")
    db.execute("create trigger solved_cases_out after delete on solved_cases begin "
               "insert into solved_fts (solved_fts, rowid, box, problem_terms, solution_terms) "
               "values ('delete', old.ticket_id, old.box, old.problem_terms, old.solution_terms); end")
    db.execute("create table solved_terms (term text primary key, cases integer not null) without rowid")
    db.execute("create table solved_pending (ticket_id integer primary key)")
    db.execute("insert into solved_pending (ticket_id) select id from tickets where state in ('resolved', 'closed')")


# Full-text search for `mailbot tickets --search`: one FTS5 row per ticket, its
# rowid the ticket's id, holding the subject, the requester (address and name) and the new
# text of every message that reached the mailbox on it (requester, staff, LKPP). Triggers
# keep it as mail is stored, whatever code path writes the rows; a ticket's row is rewritten
# only when a message joins it or its subject or requester changes, never on a state change.
_SEARCH_REQUESTER = "new.requester || ' ' || coalesce(new.requester_name, '')"
_SEARCH_TRIGGERS = (
    ("create trigger ticket_search_opened after insert on tickets begin "
    "insert into ticket_search (rowid, subject, requester, text) "
    f"values (new.id, coalesce(new.subject, ''), {_SEARCH_REQUESTER}, ''); end"),
    ("create trigger ticket_search_renamed after update of subject, requester, requester_name on tickets "
    "when new.subject is not old.subject or new.requester is not old.requester "
    "or new.requester_name is not old.requester_name begin "
    f"update ticket_search set subject = coalesce(new.subject, ''), requester = {_SEARCH_REQUESTER} "
    "where rowid = new.id; end"),
    ("create trigger ticket_search_message after insert on messages "
    "when new.direction = 'in' and new.ticket_id is not null and coalesce(new.body, '') != '' begin "
    "update ticket_search set text = text || char(10) || new.body where rowid = new.ticket_id; end"),
    ("create trigger ticket_search_message_joined after update of ticket_id on messages "
    "when new.direction = 'in' and new.ticket_id is not null and new.ticket_id is not old.ticket_id "
    "and coalesce(new.body, '') != '' begin "
    "update ticket_search set text = text || char(10) || new.body where rowid = new.ticket_id; end"),
)


def _v15(db: sqlite_utils.Database) -> None:
    """`ticket_search`, the full-text index of `tickets --search` (FTS5; accents folded, so
    "pengadaan" finds "Pengadaan" and "e-purchasing" its parts), filled for the tickets already
    stored and kept by triggers from then on (`_SEARCH_TRIGGERS`)."""
    db.execute("create virtual table ticket_search using fts5 "
               "(subject, requester, text, tokenize = 'unicode61 remove_diacritics 2')")
    db.execute("insert into ticket_search (rowid, subject, requester, text) "
               "select t.id, coalesce(t.subject, ''), t.requester || ' ' || coalesce(t.requester_name, ''), "
               "coalesce((select group_concat(m.body, char(10)) from messages m where m.ticket_id = t.id "
               "and m.direction = 'in' and coalesce(m.body, '') != ''), '') from tickets t")
    for trigger in _SEARCH_TRIGGERS:
        db.execute(trigger)


def _v16(db: sqlite_utils.Database) -> None:
    """Each arrival's content hash: `mailbot audit` knows a copy in Processed that a server
    without UIDPLUS left unnamed by its Message-ID and its content (a list's copy of a
    recorded message is recorded too); the received messages by archive path, for the
    audit's "an archived copy no record names"."""
    db.table("arrivals").add_column("content_hash", str)
    db.table("messages").create_index(["archive_path"])  # the audit's "an archived copy with no record"


def _v17(db: sqlite_utils.Database) -> None:
    """LKPP's ticket numbers that mailbot recorded before counterpart references existed
    (`_v12`): a reference, so LKPP's later mail that cites only its number is matched and
    counts as LKPP's, as it does for a number learned since (`counterpart`). Those versions
    recorded the number only from LKPP's authenticated mail, as today's learns a reference;
    as today's, not a number the ticket's own subject holds (the requester's words), nor one
    another ticket holds already (one reference names one case: the first ticket keeps it)."""
    rows = list(db.execute(
        "select t.id, t.mailbox, t.lkpp_ticket, t.subject, coalesce((select max(e.at) from events e "
        "where e.ticket_id = t.id and e.kind = 'lkpp_ticket_recorded'), t.updated_at) "
        "from tickets t where coalesce(t.lkpp_ticket, '') != '' and t.lkpp_ref is null order by t.id").fetchall())
    learned = [(mailbox, Reference(number, "number", number).key, ticket_id, number, "number", at)
               for ticket_id, mailbox, number, subject, at in rows if number.lower() not in (subject or "").lower()]
    if learned:  # an INSERT opens a transaction: none on a fresh database (see `_v11`)
        db.conn.executemany("insert or ignore into counterpart_refs (mailbox, key, ticket_id, ref, form, at) "
                            "values (?, ?, ?, ?, ?, ?)", learned)


def _v18(db: sqlite_utils.Database) -> None:
    """What was done after the backup a restore put back: the mail mailbot sent
    (from the archive and the replaced database) and the ticket each received message was
    filed under (from the replaced database). The mail handled after the backup comes back
    through the INBOX once; a ticket it opens takes the number its requester was mailed,
    and a mail it causes that went out then is recorded as sent, not sent again (`claimed_at`)."""
    db.table("restored").create(
        {"id": int, "mailbox": str, "direction": str, "message_id": str, "number": str, "kind": str,
         "recipients": str, "in_reply_to": str, "at": str, "archive_path": str, "claimed_at": str},
        pk="id", not_null={"mailbox", "direction", "message_id"})
    db.table("restored").create_index(["mailbox", "direction", "message_id"], unique=True)
    db.table("restored").create_index(["mailbox", "in_reply_to"])
    db.table("restored").create_index(["mailbox", "number", "kind"])


def _v19(db: sqlite_utils.Database) -> None:
    """A walk-in's queue number (seed 004 section 1 step 2: `Nomor Antrian` on the
    form): kept on the ticket for the guest book (`report tamu`) and `tickets --json`."""
    db.table("tickets").add_column("queue_number", str)


def _v20(db: sqlite_utils.Database) -> None:
    """Seed 002's condition on 3x24 hours, "dengan syarat kelengkapan dokumen pendukung
    terpenuhi" (SPEC 6): the waits for the requester's documents, which
    the standard leaves out, and who asked for them (LKPP, or the unit's `#minta-data`).
    No row is rewritten: a ticket waiting at the upgrade waits since its last change
    (`store.tickets._waits`), its earlier waits are not reconstructed."""
    tickets = db.table("tickets")
    tickets.add_column("waiting_since", str)
    tickets.add_column("waited_seconds", float)
    tickets.add_column("info_asked_by", str)


def _v21(db: sqlite_utils.Database) -> None:
    """A copy of each mail mailbot sends is kept in the mailbox's `sent_folder`, so
    the mailbox itself can tell every number ever mailed when a restore has lost the
    database and the archive: a note per sent mail whose copy is not appended yet. Mail
    sent before this version has no note (its copy was never promised)."""
    db.table("sent_copies").create(
        {"outbox_id": int, "mailbox": str, "at": str, "tries": int, "last_error": str},
        pk="outbox_id", not_null={"mailbox", "at"}, defaults={"tries": 0})
    db.table("sent_copies").create_index(["mailbox", "outbox_id"])


# The search index one row per message, inserted once (schema 22). Schema 15's index held one
# row per ticket and each message appended its text to it, so FTS5 deleted and indexed again the
# ticket's whole growing text for every message, and a new ticket's row was inserted, then at
# once rewritten by its first message. Now a ticket has a row of its own (its subject and
# requester) and each message that reached the mailbox on it a row of its text, never rewritten;
# a search finds the tickets that have every word in one of their rows (`store/search`). The
# index keeps no copy of the text (`content=''`): the rows' rowid says whose words they are,
# the ticket's id times `SEARCH_ROW_SPAN` plus the message's id (0 for the ticket's own row), so
# the index walked backwards by rowid lists the newest tickets first. A new ticket's row and its
# message's are written by the store as the message is recorded, in one statement
# (`Search.index`: FTS5 writes a segment of the index at each statement that changes it); the
# triggers keep what changes later: a ticket's subject or requester, a message filed under a
# ticket after it was recorded (a held call's form).
SEARCH_ROW_SPAN = 1 << 32
_TICKET_WORDS = "coalesce({0}.subject, ''), {0}.requester || ' ' || coalesce({0}.requester_name, '')"
_ROW_SEARCH_TRIGGERS = (
    # a contentless index forgets a row by being told its words again (FTS5's 'delete')
    ("create trigger ticket_search_renamed after update of subject, requester, requester_name on tickets "
     "when new.subject is not old.subject or new.requester is not old.requester "
     "or new.requester_name is not old.requester_name begin "
     "insert into ticket_search (ticket_search, rowid, subject, requester, text) "
     f"values ('delete', old.id * {SEARCH_ROW_SPAN}, {_TICKET_WORDS.format('old')}, ''); "
     "insert into ticket_search (rowid, subject, requester, text) "
     f"values (new.id * {SEARCH_ROW_SPAN}, {_TICKET_WORDS.format('new')}, ''); end"),
    # a message filed under a ticket later joins it; the earlier one keeps its words
    ("create trigger ticket_search_message_joined after update of ticket_id on messages "
     "when new.direction = 'in' and new.ticket_id is not null and new.ticket_id is not old.ticket_id "
     "and coalesce(new.body, '') != '' begin "
     "insert into ticket_search (rowid, subject, requester, text) "
     f"values (new.ticket_id * {SEARCH_ROW_SPAN} + new.id, '', '', new.body); end"),
)


def _v22(db: sqlite_utils.Database) -> None:
    """`ticket_search` one row per message, inserted once (`SEARCH_ROW_SPAN`): schema 15's
    index of one row per ticket, rewritten whole by each of its messages, replaced and filled
    again from the tickets and messages stored. Its column size records are not kept
    (`columnsize=0`): no search ranks by them."""
    for trigger in ("ticket_search_opened", "ticket_search_renamed", "ticket_search_message",
                    "ticket_search_message_joined"):
        db.execute(f"drop trigger if exists {trigger}")
    db.execute("drop table if exists ticket_search")
    db.execute("create virtual table ticket_search using fts5 (subject, requester, text, content = '', "
               "columnsize = 0, tokenize = 'unicode61 remove_diacritics 2')")
    db.execute("insert into ticket_search (rowid, subject, requester, text) "
               f"select t.id * {SEARCH_ROW_SPAN}, {_TICKET_WORDS.format('t')}, '' from tickets t")
    db.execute("insert into ticket_search (rowid, subject, requester, text) "
               f"select m.ticket_id * {SEARCH_ROW_SPAN} + m.id, '', '', m.body from messages m "
               "where m.direction = 'in' and m.ticket_id is not null and coalesce(m.body, '') != ''")
    for trigger in _ROW_SEARCH_TRIGGERS:
        db.execute(trigger)


def _v23(db: sqlite_utils.Database) -> None:
    """The ack budget's counts (SPEC 5, `History.counted_acks`): how many counted acks go or
    went at each moment to each domain, by mailbox and moment, so the budget reads the acks
    of the hour around a mail and those held after it, and not every `ack_counted` event of
    the last days with its JSON read. Filled from those events."""
    db.execute("create table ack_slots (mailbox text not null, slot text not null, domain text not null, "
               "acks integer not null, primary key (mailbox, slot, domain))")
    rows = list(db.execute("select mailbox, json_extract(detail, '$.slot'), coalesce(json_extract(detail, "
                           "'$.domain'), ''), count(*) from events where kind = 'ack_counted' "
                           "and json_extract(detail, '$.slot') is not null group by 1, 2, 3").fetchall())
    if rows:  # an INSERT opens a transaction: none on a fresh database (see `_v11`)
        db.conn.executemany("insert into ack_slots (mailbox, slot, domain, acks) values (?, ?, ?, ?)", rows)


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9, _v10, _v11, _v12, _v13, _v14, _v15, _v16, _v17, _v18, _v19, _v20,
    _v21, _v22, _v23)
SCHEMA_VERSION = len(MIGRATIONS)

"""Acceptance 1, over real servers: today's mailbot takes over the database an older
landed mailbot wrote, and the mail in flight goes on.

Each database under tests/data/upgrade/ was written by the mailbot of that commit itself
(4ecd155: schema 2; aceb61d: a schema 3 that made less than today's; f1ab2fc: schema 5),
driven over real Dovecot and SMTP as its own tests drove it (tests/data/upgrade/README.md):
2026-00001 escalated, LKPP's desk acknowledged it with its own ticket number; 2026-00002
closed by its requester's "YA 5"; 2026-00003 open; 2026-00004 escalated, no word from LKPP.
Its signing key beside it. Today's mailbot opens it in the unit's data directory, with the
mailbox where the old one left it, and then:

- a new request is acked with the next number (2026-00005), the old tickets as they were;
- an agent of LKPP's desk answers 2026-00001 from the desk's ticket, naming the case only by
  the number its acknowledgement gave (SPEC 3: "later LKPP mail citing it is matched by it";
  a number proves nothing, SPEC 9, so it reaches the requester when staff pass it on from
  the unverified alert), and a person at LKPP answers 2026-00004 by replying to the escalation mail from a mail
  client (In-Reply-To, References): each answer reaches the requester, read back from their
  INBOX; staff answer 2026-00003 with `#selesai` in a reply to the old mailbot's notice.

The passes run at fixed moments (`App` with a clock, as `mailbot run --once` does
otherwise): an hour after the old mailbot's last write, when no deadline of the old tickets
has fallen due, then on 2026-11-26 after the deadlines the old mailbot set for its
escalations (SPEC 6), which go on as they would have.
"""

from __future__ import annotations

import email.policy
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from mailbot.io.migrations import SCHEMA_VERSION
from mailbot.io.store import Store, moment
from mailbot.model import State
from tests import mailfactory as mf

DATA = Path(__file__).resolve().parent / "data" / "upgrade"
BUDI, SARI = "budi@vendor.test", "sari@dinas.test"
LKPP_NUMBER = "2026112410000017"  # the number LKPP's desk gave 2026-00001 (tests/data/upgrade/make.py)
OLD_STATES = {"2026-00001": State.ESCALATED, "2026-00002": State.CLOSED, "2026-00003": State.OPEN,
              "2026-00004": State.ESCALATED}


def install_old_data(commit: str, config: Path, servers) -> datetime:  # type: ignore[no-untyped-def]
    """The old mailbot's database and key where today's config looks for them; the INBOX
    position as the old one left it (every message it had read was handled: UIDNEXT - 1 of
    the unit's mailbox, which these servers made afresh). The old mailbot's last write."""
    cfg = load_config(config)
    conn = sqlite3.connect(cfg.database)
    conn.executescript((DATA / f"{commit}.sql").read_text())
    with servers.imap(mf.UNIT) as client:
        selected = client.select_folder("INBOX")
    conn.execute("update imap_state set uidvalidity = ?, last_uid = ? where folder = 'INBOX'",
                 [selected[b"UIDVALIDITY"], selected[b"UIDNEXT"] - 1])
    conn.commit()
    [[last]] = conn.execute("select max(at) from events").fetchall()
    conn.close()
    shutil.copyfile(DATA / f"{commit}.key", cfg.secret_key_file)
    cfg.secret_key_file.chmod(0o600)
    return moment(last)


def one_pass(config: Path, at: datetime) -> None:
    """One pass of `mailbot run --once` at `at`: mail read and stored, timers, the outbox sent;
    nothing may wait (a storage failure, a failed mailbox, unsent mail would)."""
    app = App(load_config(config), clock=lambda: at)
    try:
        result = app.run_once()
        assert all(isinstance(n, int) for n in result.mailboxes.values()), result
        assert (app.storage_failures, app.deferred_mail, app.misconfigured) == (0, 0, {}), result
    finally:
        app.store.close()


def sent_mail(config: Path, ticket: str, kind: str) -> EmailMessage:
    """The mail the old mailbot sent (its outbox keeps the raw message)."""
    conn = sqlite3.connect(load_config(config).database)
    try:
        [[raw]] = conn.execute("select o.raw from outbox o join tickets t on t.id = o.ticket_id "
                               "where t.number = ? and o.kind = ?", [ticket, kind]).fetchall()
    finally:
        conn.close()
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def states(config: Path) -> dict[str, State]:
    store = Store(load_config(config).database, readonly=True)
    try:
        return {t.number: t.state for t in store.search.tickets()}
    finally:
        store.close()


@pytest.mark.parametrize("commit", ["4ecd155", "aceb61d", "f1ab2fc"])
def test_an_older_mailbots_database_goes_on_with_its_tickets_and_lkpps_answers(commit, fresh_mailboxes, tmp_path,
                                                                                capsys):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    at = install_old_data(commit, config, servers) + timedelta(hours=1)
    # the old mailbot's mail as its recipients keep it (LKPP, staff), read before today's runs
    escalation_4, notice_3 = sent_mail(config, "2026-00004", "escalate"), sent_mail(config, "2026-00003", "staff_new")

    # the operator's check names the old schema and does not fail on it
    assert cli.main(["--config", str(config), "check"]) == 0
    assert "older than this mailbot's" in capsys.readouterr().out

    # (b) a new request: acked with the number after the old ones; (c) the old tickets as they were
    servers.append(mf.UNIT, mf.mail(SARI, "Cara menambah anggota Pokja di SPSE",
                                    "Selamat siang, bagaimana cara menambah anggota Pokja pada paket tender?")[0])
    one_pass(config, at)
    assert Store(load_config(config).database).versions.schema_version() == SCHEMA_VERSION
    [ack] = mf.of_kind(mf.inbox(servers, SARI), "ack")
    assert "[LPSE-T #2026-00005]" in str(ack["Subject"]), ack["Subject"]
    assert states(config) == {**OLD_STATES, "2026-00005": State.OPEN}

    # the old tickets' deadlines run on (SPEC 6): two working days after 2026-00004's escalation
    # with no word from LKPP (its timer due 2026-11-26 16:00 WIB), a status request to LKPP and
    # a status notice to the requester; a working day after LKPP's acknowledgement of
    # 2026-00001, a reminder to LKPP in the thread of LKPP's own number
    later = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
    one_pass(config, later)
    [overdue] = mf.of_kind(mf.inbox(servers, mf.LKPP), "overdue_lkpp")
    assert "[LPSE-T #2026-00004]" in str(overdue["Subject"]), overdue["Subject"]
    [status] = mf.of_kind(mf.inbox(servers, BUDI), "status_user")
    assert "[LPSE-T #2026-00004]" in str(status["Subject"]), status["Subject"]
    reminders = mf.of_kind(mf.inbox(servers, mf.LKPP), "remind_lkpp")
    assert reminders and all(f"[LPSE-T #2026-00001] [Ticket#{LKPP_NUMBER}]" in str(m["Subject"])
                             for m in reminders), [m["Subject"] for m in reminders]
    assert states(config) == {**OLD_STATES, "2026-00005": State.OPEN}

    # (a) an agent of LKPP's desk answers 2026-00001 from the desk's own ticket: only its number,
    # which its acknowledgement brought to the old mailbot, names the case (no tag, no References,
    # and no escalation key: the old mailbot's escalation had none). The number threads it onto
    # the case, but proves nothing: it waits for staff, who pass it on
    servers.append(mf.UNIT, mf.mail(mf.LKPP, f"[Ticket#{LKPP_NUMBER}] Gagal upload dokumen penawaran tender 12345",
                                    "Yth. Helpdesk LPSE,\n\nPermasalahan upload dokumen penawaran telah kami perbaiki, "
                                    "silakan dicoba kembali.\n\nSalam,\nHelpdesk LKPP", to=mf.UNIT)[0])
    # and a person at LKPP answers 2026-00004 from a mail client, replying to the escalation
    servers.append(mf.UNIT, mf.reply_as_client(escalation_4, mf.LKPP, "Akun sudah kami sinkronkan dengan ADP, "
                                               "silakan login kembali.", to=mf.UNIT)[0])
    # staff answer 2026-00003 by replying to the old mailbot's notice of it (its Message-ID of
    # the first signed format, whose audience the old outbox's recipients tell)
    servers.append(mf.UNIT, mf.reply_as_client(notice_3, "staff2@lpse.test", "#selesai\nJadwal berubah karena adendum "
                                               "dokumen pemilihan, silakan cek pengumuman di SPSE.")[0])
    one_pass(config, later + timedelta(minutes=5))
    assert not any("telah kami perbaiki" in mf.text_of(m) for m in mf.inbox(servers, BUDI))
    alert = next(m for m in mf.of_kind(mf.inbox(servers, "staff1@lpse.test"), "unverified")
                 if "telah kami perbaiki" in mf.text_of(m))
    servers.append(mf.UNIT, mf.reply_as_client(alert, "staff1@lpse.test", "#teruskan")[0])
    one_pass(config, later + timedelta(minutes=10))
    assert any("karena adendum dokumen pemilihan" in mf.text_of(m) for m in mf.inbox(servers, SARI))
    texts = [mf.text_of(m) for m in mf.inbox(servers, BUDI)]
    assert any("telah kami perbaiki" in t for t in texts), texts
    assert any("sudah kami sinkronkan dengan ADP" in t for t in texts), texts
    assert states(config) == {**OLD_STATES, "2026-00001": State.ESCALATED, "2026-00003": State.RESOLVED,
                              "2026-00004": State.RESOLVED, "2026-00005": State.OPEN}
    # the requester's mail carries the ticket's own tag, never LKPP's number alone
    to_budi = [m for m in mf.inbox(servers, BUDI) if "telah kami perbaiki" in mf.text_of(m)]
    assert all("[LPSE-T #2026-00001]" in str(m["Subject"]) for m in to_budi), [m["Subject"] for m in to_budi]

"""A call or visit written down is never lost (SPEC 3, 6), over real Dovecot
and SMTP, in the default `auth.mode: token`.

A `#telepon` form sent as a new mail proves no sender: it is held under a reserved number
until that staff address replies `#buka`. A held form its sender never answers was forgotten:
no reminder, not in `tickets`, the digest or the recap. Now its sender is reminded once, 30
working minutes after it was held (SPEC 6 `held_form`); it stays in `tickets` (state `held`),
in every digest, in the month's recap and in the summary until it is opened or cancelled. A
form confirmed late opens its ticket at the call's time; a cancelled one is listed nowhere.
Every pass runs at a fixed instant (Tuesday 24 November 2026, WIB).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
CALLER = "sari@dinas.test"
HEAD = "kepala@lpse.test"
COORDINATOR = "koordinator@lpse.test"
CALL = f"""#telepon
Nama: Sari Wulandari
Instansi: Dinas Pendidikan
Telepon: 0812 3456 7890
Email: {CALLER}
Waktu: 09.40
Permasalahan: Tidak bisa mengunggah dokumen penawaran tender 10023456.
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.fixture
def held(fresh_mailboxes, tmp_path):
    """The form reached the mailbox at 10:00 as a new mail: held, its sender asked to confirm."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, mf.mail(mf.STAFF[0], "telepon", CALL, date=at("2026-11-24T10:00"))[0],
                   msg_time=at("2026-11-24T10:00"))
    mf.handle_at(config, at("2026-11-24T10:00"))
    [notice] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "intake_confirm")
    number = str(notice["X-Mailbot-Ticket"])
    return servers, config, notice, number


def confirmations(servers) -> list:
    return mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "intake_confirm")


def tickets(config, *args: str) -> list[dict]:
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        assert cli.main(["--config", str(config), "tickets", "--json", *args]) == 0
    return json.loads(out.getvalue())


def recap(config, tmp_path) -> list[list[str]]:
    path = tmp_path / "rekap.csv"
    assert cli.main(["--config", str(config), "report", "rekap", "--month", "2026-11", "--output", str(path)]) == 0
    return list(csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline="")))[1:]


def summary(config, tmp_path) -> str:
    page = tmp_path / "summary.html"
    assert cli.main(["--config", str(config), "report", "summary", "--month", "2026-11", "--output", str(page)]) == 0
    return page.read_text("utf-8")


def digests(servers) -> list:
    return mf.of_kind(mf.inbox(servers, HEAD), "digest")


def opened(config) -> list:
    store = Store(load_config(config).database)
    try:
        return store.search.tickets()
    finally:
        store.close()


def test_a_form_never_confirmed_is_reminded_once_and_listed_everywhere(held, tmp_path):
    servers, config, _notice, number = held
    mf.sweep(config, at("2026-11-24T10:29"))  # within the 30 working minutes
    assert len(confirmations(servers)) == 1
    mf.sweep(config, at("2026-11-24T10:31"))
    [_first, reminder] = confirmations(servers)
    assert reminder["To"] == mf.STAFF[0] and str(reminder["X-Mailbot-Ticket"]) == number
    text = " ".join(mf.text_of(reminder).split())
    assert "PENGINGAT" in text and "#buka" in text and "Tidak bisa mengunggah dokumen penawaran" in text
    mf.sweep(config, at("2026-11-24T14:00"))  # once
    assert len(confirmations(servers)) == 2
    assert mf.inbox(servers, CALLER) == []  # nothing opened: the caller hears nothing yet

    [listed] = tickets(config)
    assert (listed["number"], listed["state"], listed["channel"]) == (number, "held", "telepon")
    assert listed["created_at"].startswith("2026-11-24T09:40") and listed["taken_by"] == mf.STAFF[0]
    assert [t["number"] for t in tickets(config, "--state", "held")] == [number]
    assert tickets(config, "--state", "open") == []

    mf.sweep(config, at("2026-11-25T08:00"))  # the next working day's digest lists it
    digest = digests(servers)[-1]
    assert "2026-11-25" in str(digest["Date"]) or "25 Nov 2026" in str(digest["Date"])
    body = " ".join(mf.text_of(digest).split())
    assert "Formulir telepon/kunjungan yang belum dibuka (1)" in body and number in body
    assert "Sari Wulandari" in body and mf.STAFF[0] in body

    [row] = recap(config, tmp_path)
    assert row[1] == "2026-11-24" and row[2] == CALLER and "Sari Wulandari" in row[3]
    assert "Tidak bisa mengunggah dokumen penawaran" in row[4] and "Belum dibuka" in row[6]
    page = summary(config, tmp_path)
    assert "belum dibuka" in page and number in page


def test_a_form_confirmed_late_opens_at_the_calls_time_and_leaves_the_lists(held, tmp_path):
    """#buka in answer to the reminder, the next morning: the ticket is the call's (09:40), the
    caller gets the ack, the form is no longer held, and both requests to confirm it are on the ticket."""
    servers, config, _notice, number = held
    mf.sweep(config, at("2026-11-24T10:31"))
    reminder = confirmations(servers)[-1]
    answer = mf.parse(mf.reply_as_client(reminder, mf.STAFF[0], "#buka")[0])
    servers.append(mf.UNIT, answer.as_bytes(), msg_time=at("2026-11-25T09:00"))
    mf.handle_at(config, at("2026-11-25T09:00"))
    [ticket] = opened(config)
    assert ticket.number == number and ticket.created_at == at("2026-11-24T09:40")
    assert len(mf.of_kind(mf.inbox(servers, CALLER), "ack")) == 1
    [listed] = tickets(config)
    assert (listed["number"], listed["state"]) == (number, "open")
    [row] = recap(config, tmp_path)
    assert row[1] == "2026-11-24" and "Belum dibuka" not in row[6]
    store = Store(load_config(config).database)
    try:
        kinds = [m["kind"] for m in store.messages.messages_of(ticket.id)]
    finally:
        store.close()
    assert kinds.count("intake_confirm") == 2  # the first request and its reminder are the ticket's
    mf.sweep(config, at("2026-11-26T08:00"))
    assert "belum dibuka" not in mf.text_of(digests(servers)[-1])
    mf.sweep(config, at("2026-11-26T10:00"))
    assert len(confirmations(servers)) == 2  # no reminder after it opened


def test_a_cancelled_form_is_listed_nowhere_and_never_reminded(held, tmp_path):
    servers, config, notice, _number = held
    answer = mf.parse(mf.reply_as_client(notice, mf.STAFF[0], "Bukan saya yang mengirim ini.")[0])
    servers.append(mf.UNIT, answer.as_bytes(), msg_time=at("2026-11-24T10:10"))
    mf.handle_at(config, at("2026-11-24T10:10"))
    mf.sweep(config, at("2026-11-24T11:00"))
    assert len(confirmations(servers)) == 1
    assert tickets(config) == [] and recap(config, tmp_path) == []
    mf.sweep(config, at("2026-11-25T08:00"))
    assert "belum dibuka" not in mf.text_of(digests(servers)[-1])

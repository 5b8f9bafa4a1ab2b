"""SOP-015 against a real ticket system: Debian's Request Tracker 5 plays Helpdesk LKPP's
desk. RT answers through its own code: its "[lkpp.test #N] AutoReply:", its
agents' answers from the web UI (In-Reply-To our escalation) and from the REST 1.0 CLI
(no In-Reply-To, only References: <RT-Ticket-N@lkpp.test>), its "Resolved:" notice, all
with RT's stock `Precedence: bulk` or with it turned off. mailbot must learn RT's
reference, thread RT's answers onto the ticket, relay what the requester must read, send
the requester's data onto the same RT ticket, and raise no unverified alert for RT's mail.
"""

from __future__ import annotations

import os

import pytest

from mailbot.config.load import load_config
from mailbot.io.store import Store
from mailbot.model import State
from tests import mailfactory as mf
from tests.rtdesk import RTDesk, rt_available

REQUESTER = "budi@vendor.test"
COORDINATOR = "koordinator@lpse.test"


@pytest.fixture
def rt_installed() -> None:
    """Skip without Request Tracker, unless running in CI, where that is an error."""
    if rt_available():
        return
    reason = "Request Tracker is not installed; apt-get install request-tracker5 rt5-db-sqlite (scripts/setup)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason} -- required because CI is set", pytrace=False)
    pytest.skip(reason)


def _store(config) -> Store:
    return Store(load_config(config).database)


def _to_desk(servers, desk: RTDesk, before: int) -> list[int]:
    """The mail mailbot sent to LKPP's address since `before`, handed to RT; the RT tickets."""
    sent = servers.fetch(mf.LKPP)[before:]
    return [desk.receive(raw) for raw in sent]


@pytest.mark.parametrize(("precedence", "asks_from", "solves_from"), [
    (True, "web", "cli"),
    (False, "cli", "web"),
], ids=["rt-stock-precedence-bulk", "rt-precedence-off"])
def test_sop_015_with_request_tracker_as_lkpps_desk(rt_installed, fresh_mailboxes, tmp_path, precedence, asks_from,
                                                     solves_from):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    desk = RTDesk(tmp_path / "rt", (servers.host, servers.smtp_port), precedence=precedence)
    answer = {"web": desk.answer_web, "cli": desk.answer_cli}

    raw, _ = mf.mail(REQUESTER, "Tidak bisa reset akun penyedia",
                     "Selamat siang,\nakun saya terkunci dan reset password tidak berhasil.\n\n"
                     "Budi Santoso\nPT Maju Jaya",
                     name="Budi Santoso")
    mf.deliver(servers, config, raw)
    notice = mf.latest(servers, mf.STAFF[0])
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan reset akun penyedia.")
    mf.deliver(servers, config, raw)
    [rt_ticket] = _to_desk(servers, desk, 0)
    # the escalation's subject carries the key that proves the desk's answers LKPP's
    # (the CLI's have no In-Reply-To, and RT's reference alone is a counter)
    assert "[ref:" in str(mf.latest(servers, mf.LKPP)["Subject"])

    # RT's AutoReply carries its reference: learned, recorded as automatic, told to no requester
    mf.run_once(config)
    store = _store(config)
    [ticket] = store.search.tickets()
    assert ticket.state is State.ESCALATED
    assert ticket.lkpp_ref == f"[lkpp.test #{rt_ticket}]"
    requester_mail = len(mf.inbox(servers, REQUESTER))

    # SOP-015 steps 5-7: the agent asks for data; it reaches the requester
    answer[asks_from](rt_ticket, "Agar dapat kami tindak lanjuti, mohon dilengkapi data dukung berupa NIP dan "
                                 "surat permohonan reset akun yang ditandatangani PA/KPA.")
    mf.run_once(config)
    assert _store(config).search.tickets()[0].state is State.AWAITING_INFO
    request = mf.latest(servers, REQUESTER)
    assert len(mf.inbox(servers, REQUESTER)) == requester_mail + 1
    assert "ditandatangani PA/KPA" in mf.text_of(request)

    # SOP-015 steps 8-10: the requester's data goes to the same RT ticket, RT's reference exactly
    sent_to_lkpp = len(servers.fetch(mf.LKPP))
    raw, _ = mf.reply_as_client(request, REQUESTER, "Berikut NIP saya 198701012010011001, surat menyusul hari ini.")
    mf.deliver(servers, config, raw)
    forwarded = mf.latest(servers, mf.LKPP)
    assert f"[lkpp.test #{rt_ticket}]" in str(forwarded["Subject"])
    assert _to_desk(servers, desk, sent_to_lkpp) == [rt_ticket]
    mf.run_once(config)  # RT's own mail about that correspondence, if any

    # SOP-015 step 13: the agent's solution reaches the requester
    answer[solves_from](rt_ticket, "Akun sudah kami reset, silakan login kembali dan ganti password Anda.")
    mf.run_once(config)
    assert _store(config).search.tickets()[0].state is State.RESOLVED
    solution = mf.latest(servers, REQUESTER)
    assert "sudah kami reset" in mf.text_of(solution)

    # RT's "Resolved:" notice: recorded, relayed to no one, no unverified alert
    before_requester = len(mf.inbox(servers, REQUESTER))
    desk.resolve(rt_ticket)
    mf.run_once(config)
    assert len(mf.inbox(servers, REQUESTER)) == before_requester
    for person in (*mf.STAFF, COORDINATOR):
        assert mf.of_kind(mf.inbox(servers, person), "unverified") == []

    # the requester confirms: closed with the rating
    raw, _ = mf.reply_as_client(solution, REQUESTER, "YA 5\nTerima kasih.")
    mf.deliver(servers, config, raw)
    ticket = _store(config).search.tickets()[0]
    assert ticket.state is State.CLOSED and ticket.rating == 5
    assert [t[0] for t in desk.tickets()] == [rt_ticket]  # one RT ticket for the escalation
    assert not any("[ref:" in str(m["Subject"]) or "[ref:" in mf.text_of(m) for m in mf.inbox(servers, REQUESTER))

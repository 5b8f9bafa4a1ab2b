"""SPEC 9: a Message-ID that reached an outside party never vouches for staff.

The status request of SOP-015 step 12 (`overdue_lkpp`) goes To Helpdesk LKPP with staff
and coordinators in Cc, so its signed Message-ID is in LKPP's mailbox too. In the default
`auth.mode: token`, citing it under a staff From must prove nothing: whoever reads LKPP's
mailbox could otherwise resolve the ticket in staff's name and have the unit mail any
"solution" to the requester. Staff's own reply-all to it then takes the unproven-staff
path (E19); they act by replying to mailbot's notification, or with `auth.mode: authres`,
where the unit's own server proves the From domain.
"""

from __future__ import annotations

from mailbot.config.load import load_config
from mailbot.io.store import Store
from mailbot.model import State
from tests import mailfactory as mf
from tests.test_ladder import at

REQUESTER = "budi@vendor.test"
COORDINATOR = "koordinator@lpse.test"
SCAM = "#selesai\nSilakan transfer biaya aktivasi ke rek 123 a.n. X."


VOUCHED = "mx.lpse.test; dkim=pass header.d=lpse.test; dmarc=pass header.from=lpse.test"


def escalated_and_chased(servers, config, vouched: bool = False):
    """A ticket escalated on Friday 15:30 that LKPP left unanswered: the status request goes out
    on Tuesday (2 working days), To LKPP with staff and coordinators in copy."""
    servers.append(mf.UNIT, mf.mail(REQUESTER, "Tidak bisa kirim penawaran", "Muncul error.")[0])
    mf.handle_at(config, at("2026-11-20T14:00"))
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    escalation = mf.parse(mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan.")[0])
    if vouched:
        escalation["Authentication-Results"] = VOUCHED
    servers.append(mf.UNIT, escalation.as_bytes())
    mf.handle_at(config, at("2026-11-20T15:30"))
    mf.sweep(config, at("2026-11-24T15:31"))
    overdue = mf.latest(servers, mf.LKPP, "overdue_lkpp")
    assert {mf.STAFF[0], COORDINATOR} <= set(str(overdue["Cc"]).replace(",", " ").split())
    return notice, overdue


def the_ticket(config):
    [ticket] = Store(load_config(config).database).search.tickets()
    return ticket


def to_requester(servers) -> list[str]:
    return [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)]


def reply_all(original, sender: str, text: str) -> bytes:
    """Thunderbird's Reply All to the status request: To the Reply-To (the unit), Cc the rest."""
    raw, _ = mf.reply_as_client(original, sender, text)
    msg = mf.parse(raw)
    msg["Cc"] = ", ".join([mf.LKPP, COORDINATOR, mf.STAFF[1]])
    return msg.as_bytes()


def test_a_status_request_to_lkpp_does_not_let_lkpp_act_as_staff(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    _notice, overdue = escalated_and_chased(servers, config)
    servers.append(mf.UNIT, mf.reply_as_client(overdue, mf.STAFF[0], SCAM)[0])  # written at LKPP, From forged
    mf.handle_at(config, at("2026-11-24T15:40"))
    assert the_ticket(config).state is State.ESCALATED
    assert "resolved" not in to_requester(servers)
    [alert] = mf.of_kind(mf.inbox(servers, COORDINATOR), "unverified")
    assert mf.STAFF[0] in mf.text_of(alert) and "Helpdesk LKPP" in mf.text_of(alert)


def test_an_lkpp_answer_to_the_status_request_still_acts(fresh_mailboxes, tmp_path):
    """The status request was sent to LKPP: its answer to it is proven (E14)."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    _notice, overdue = escalated_and_chased(servers, config)
    servers.append(mf.UNIT, mf.reply_as_client(overdue, mf.LKPP, "Permasalahan sudah kami perbaiki, silakan dicoba "
                                                                 "kembali.\n\nSalam,\nHelpdesk LKPP")[0])
    mf.handle_at(config, at("2026-11-24T15:40"))
    assert the_ticket(config).state is State.RESOLVED
    assert "resolved_lkpp" in to_requester(servers)


def test_staffs_reply_all_to_the_status_request_is_unverified_and_their_notice_still_works(fresh_mailboxes,
                                                                                            tmp_path):
    """SPEC 9 / E19 in token mode: staff's genuine #selesai by Reply All to the status request
    cannot be told from LKPP's forgery: no command runs, the coordinators hear why, and the
    same command in reply to mailbot's staff notification acts."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    notice, overdue = escalated_and_chased(servers, config)
    servers.append(mf.UNIT, reply_all(overdue, mf.STAFF[0], "#selesai\nSilakan bersihkan cache browser."))
    mf.handle_at(config, at("2026-11-24T15:40"))
    assert the_ticket(config).state is State.ESCALATED and "resolved" not in to_requester(servers)
    [alert] = mf.of_kind(mf.inbox(servers, COORDINATOR), "unverified")
    assert "bersihkan cache" in mf.text_of(alert)
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nSilakan bersihkan cache browser.")[0])
    mf.handle_at(config, at("2026-11-24T15:50"))
    assert the_ticket(config).state is State.RESOLVED
    [solution] = mf.of_kind(mf.inbox(servers, REQUESTER), "resolved")
    assert "bersihkan cache" in mf.text_of(solution)


def test_staffs_reply_all_to_the_status_request_acts_when_the_units_server_vouches(fresh_mailboxes, tmp_path):
    """auth.mode authres: the unit's server proves the From domain, which LKPP cannot forge, so
    staff's Reply All to the status request acts; LKPP's forgery, failing that check, does not."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth={"mode": "authres", "trusted_authserv_id": "mx.lpse.test"})
    _notice, overdue = escalated_and_chased(servers, config, vouched=True)
    forged = mf.parse(mf.reply_as_client(overdue, mf.STAFF[0], SCAM)[0])
    forged["Authentication-Results"] = "mx.lpse.test; dmarc=fail header.from=lpse.test"
    servers.append(mf.UNIT, forged.as_bytes())
    mf.handle_at(config, at("2026-11-24T15:40"))
    assert the_ticket(config).state is State.ESCALATED
    genuine = mf.parse(reply_all(overdue, mf.STAFF[0], "#selesai\nSilakan bersihkan cache browser."))
    genuine["Authentication-Results"] = VOUCHED
    servers.append(mf.UNIT, genuine.as_bytes())
    mf.handle_at(config, at("2026-11-24T15:50"))
    assert the_ticket(config).state is State.RESOLVED
    [solution] = mf.of_kind(mf.inbox(servers, REQUESTER), "resolved")
    assert "bersihkan cache" in mf.text_of(solution) and "rek 123" not in mf.text_of(solution)


def test_staff_answering_lkpp_from_their_notice_does_not_let_lkpp_act_as_staff(fresh_mailboxes, tmp_path):
    """Staff answer LKPP by replying to mailbot's notice of LKPP's mail and adding LKPP in
    Cc: LKPP's copy cites the notice's staff-only Message-ID. From then on that Message-ID
    proves no staff message (whoever reads LKPP's mailbox holds it); staff's own reply,
    sent before, is theirs and is kept; replying to a later notice still acts."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    servers.append(mf.UNIT, mf.mail(REQUESTER, "Tidak bisa kirim penawaran", "Muncul error.")[0])
    mf.handle_at(config, at("2026-11-23T09:00"))
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon bantuan.")[0])
    mf.handle_at(config, at("2026-11-23T09:10"))
    escalation = mf.latest(servers, mf.LKPP, "escalate")
    servers.append(mf.UNIT, mf.reply_as_client(escalation, mf.LKPP, "Sedang kami periksa bersama tim teknis, "
                                                                     "mohon ditunggu.\n\nSalam,\nHelpdesk LKPP")[0])
    mf.handle_at(config, at("2026-11-23T10:00"))
    update = mf.latest(servers, mf.STAFF[0])  # mailbot's notice of LKPP's mail, to staff only
    answer = mf.parse(mf.reply_as_client(update, mf.STAFF[0], "Yth. Helpdesk LKPP, terima kasih, kami tunggu.")[0])
    answer["Cc"] = mf.LKPP
    servers.append(mf.UNIT, answer.as_bytes())
    servers.append(mf.LKPP, answer.as_bytes())  # the copy LKPP gets
    mf.handle_at(config, at("2026-11-23T10:10"))
    # whoever reads LKPP's mailbox, as staff1
    forged = mf.reply_as_client(mf.latest(servers, mf.LKPP), mf.STAFF[0], SCAM)[0]
    servers.append(mf.UNIT, forged)
    mf.handle_at(config, at("2026-11-23T10:20"))
    [ticket] = Store(load_config(config).database).search.tickets()
    assert ticket.state is State.ESCALATED
    assert "resolved" not in [m["X-Mailbot-Kind"] for m in mf.inbox(servers, REQUESTER)]
    assert mf.of_kind(mf.inbox(servers, COORDINATOR), "unverified")  # the coordinators are told (E19)
    # a later notice, never out of the unit, still proves staff
    servers.append(mf.UNIT, mf.reply_as_client(escalation, mf.LKPP, "Mohon dikirimkan tangkapan layar error.")[0])
    mf.handle_at(config, at("2026-11-23T11:00"))
    fresh = mf.latest(servers, mf.STAFF[0])
    servers.append(mf.UNIT, mf.reply_as_client(fresh, mf.STAFF[0], "#catatan\nSudah kami minta ke pengguna.")[0])
    mf.handle_at(config, at("2026-11-23T11:10"))
    events = Store(load_config(config).database).history.events_of(ticket.id)
    kinds = [e["kind"] for e in events]
    assert kinds.count("unverified_note") == 1 and "note" in kinds[kinds.index("unverified_note"):], kinds

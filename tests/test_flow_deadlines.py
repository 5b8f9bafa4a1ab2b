"""Issue "Deadlines": SLA timers, overdue mail and the digest over real Dovecot and SMTP.

Mail is handled by the real daemon code with a fixed clock (time is an argument), and
the timers run through `mailbot sweep --now`, a fresh process state each time, so a
restart between sweeps is part of every step.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.io.store import Store
from mailbot.model import State
from tests import mailfactory as mf

WIB = ZoneInfo("Asia/Jakarta")
REQUESTER = "budi@vendor.test"
COORDINATOR = "koordinator@lpse.test"
HEAD = "kepala@lpse.test"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


@pytest.fixture
def env(fresh_mailboxes, tmp_path):
    return fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)


def kinds(servers, user) -> list[str]:
    return [str(mf.parse(raw)["X-Mailbot-Kind"]) for raw in servers.fetch(user)]


def not_digest(servers, user) -> list[str]:
    return [k for k in kinds(servers, user) if k != "digest"]


def ticket(config):
    [t] = Store(load_config(config).database).search.tickets()
    return t


def open_and_escalate(servers, config, opened: datetime, escalated: datetime):
    raw, _ = mf.mail(REQUESTER, "Gagal kirim penawaran", "Tidak bisa kirim penawaran, error 500.")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, opened)
    notice = mf.parse(servers.fetch(mf.STAFF[0])[-1])
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#eskalasi\nMohon dicek.")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, escalated)
    assert ticket(config).state is State.ESCALATED
    return mf.parse(servers.fetch(mf.LKPP)[-1])


def test_lkpp_status_overdue_reminders_and_reset(env):
    """Acceptance 2 and 5: overdue_lkpp exactly once after 2 working days, then daily reminders."""
    servers, config = env
    escalation = open_and_escalate(servers, config, at("2026-11-20T14:00"), at("2026-11-20T15:30"))
    assert kinds(servers, mf.LKPP) == ["escalate"]

    mf.sweep(config, at("2026-11-24T15:29"))  # 1 minute before Tuesday 15:30
    assert kinds(servers, mf.LKPP) == ["escalate"]
    assert "status_user" not in kinds(servers, REQUESTER)

    mf.sweep(config, at("2026-11-24T15:31"))  # 1 minute after
    assert kinds(servers, mf.LKPP) == ["escalate", "overdue_lkpp"]
    overdue = mf.parse(servers.fetch(mf.LKPP)[-1])
    copies = {a.addr_spec for a in overdue["Cc"].addresses}
    assert copies == {*mf.STAFF, COORDINATOR}
    assert "overdue_lkpp" in not_digest(servers, mf.STAFF[0]) and "overdue_lkpp" in not_digest(servers, COORDINATOR)
    assert kinds(servers, REQUESTER).count("status_user") == 1

    mf.sweep(config, at("2026-11-24T15:32"))  # a second sweep: nothing more
    mf.sweep(config, at("2026-11-24T17:00"))
    assert kinds(servers, mf.LKPP) == ["escalate", "overdue_lkpp"]
    assert kinds(servers, REQUESTER).count("status_user") == 1

    mf.sweep(config, at("2026-11-25T15:31"))  # the next working day: one reminder
    mf.sweep(config, at("2026-11-25T15:40"))
    assert kinds(servers, mf.LKPP) == ["escalate", "overdue_lkpp", "remind_lkpp"]

    # an LKPP reply resets the progress timer: no reminder at Thursday 15:31, one a day after the reply
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "Masih dalam penanganan tim teknis kami.", to=mf.UNIT)
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-25T16:30"))  # after closing: the working day runs from Thursday 08:00
    mf.sweep(config, at("2026-11-26T15:31"))
    assert kinds(servers, mf.LKPP) == ["escalate", "overdue_lkpp", "remind_lkpp"]
    mf.sweep(config, at("2026-11-27T08:01"))
    assert kinds(servers, mf.LKPP) == ["escalate", "overdue_lkpp", "remind_lkpp", "remind_lkpp"]
    events = Store(load_config(config).database).history.events_of(ticket(config).id)
    fired = [json.loads(e["detail"])["timer"] for e in events if e["kind"] == "timer_fired"]
    # the 3x24h resolution standard passed on Monday 14:00 too: coordinators were told once
    assert fired == ["resolution", "lkpp_status", "lkpp_progress", "lkpp_progress"]
    assert not_digest(servers, COORDINATOR).count("overdue_staff") == 1


def asked_for_data(servers, config):
    """Opened Monday 09:00, escalated 10:00, LKPP asks for a screenshot at 11:00: awaiting_info."""
    escalation = open_and_escalate(servers, config, at("2026-11-23T09:00"), at("2026-11-23T10:00"))
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "Mohon dilengkapi screenshot pesan error.", to=mf.UNIT)
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-23T11:00"))
    assert ticket(config).state is State.AWAITING_INFO


def test_awaiting_info_reminds_then_closes(env):
    """Acceptance 3: remind_user after 2 working days, closed with notice after 5."""
    servers, config = env
    asked_for_data(servers, config)

    mf.sweep(config, at("2026-11-25T10:59"))
    assert "remind_user" not in kinds(servers, REQUESTER)
    mf.sweep(config, at("2026-11-25T11:01"))
    assert kinds(servers, REQUESTER).count("remind_user") == 1
    mf.sweep(config, at("2026-11-30T10:59"))  # Monday, 4 working days 23h59m after the request
    assert ticket(config).state is State.AWAITING_INFO
    mf.sweep(config, at("2026-11-30T11:01"))
    assert ticket(config).state is State.CLOSED
    assert kinds(servers, REQUESTER)[-1] == "closed"
    mf.sweep(config, at("2026-12-01T11:01"))
    assert kinds(servers, REQUESTER).count("closed") == 1


def test_confirm_close_after_three_working_days(env):
    """Acceptance 3: a resolved ticket with no answer closes after 3 working days."""
    servers, config = env
    raw, _ = mf.mail(REQUESTER, "Cara ganti email akun", "Bagaimana cara mengganti email akun?")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-23T09:00"))
    notice = mf.parse(servers.fetch(mf.STAFF[0])[-1])
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nSilakan ajukan melalui verifikator.")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-23T10:00"))
    mf.sweep(config, at("2026-11-26T09:59"))
    assert ticket(config).state is State.RESOLVED
    # past 72 hours since opening, but the solution went out after one: the 3x24h
    # standard (seed 002) was met, and the coordinators are not told it was missed
    assert "overdue_staff" not in not_digest(servers, COORDINATOR)
    mf.sweep(config, at("2026-11-26T10:01"))
    assert ticket(config).state is State.CLOSED
    assert kinds(servers, REQUESTER)[-1] == "closed"


def test_first_response_overdue_and_digest(env):
    """Acceptance 3 and 4: overdue_staff to staff and coordinators; the digest lists exactly the overdue."""
    servers, config = env
    raw, _ = mf.mail(REQUESTER, "Akun terkunci", "Akun saya terkunci.")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-23T09:00"))
    raw, _ = mf.mail("sari@dinas.test", "Jadwal pelatihan", "Kapan jadwal pelatihan berikutnya?")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-23T14:00"))
    store = Store(load_config(config).database)
    first, second = store.search.tickets()
    second_notice = mf.parse(servers.fetch(mf.STAFF[0])[-1])
    raw, _ = mf.reply_as_client(second_notice, mf.STAFF[1], "Jadwal ada di website LPSE.")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-23T14:30"))

    mf.sweep(config, at("2026-11-23T13:01"))  # 4 working hours after 09:00
    overdue = mf.parse(servers.fetch(mf.STAFF[0])[-1])
    assert overdue["X-Mailbot-Kind"] == "overdue_staff" and first.number in overdue["Subject"]
    assert COORDINATOR in {a.addr_spec for a in overdue["Cc"].addresses}
    assert not_digest(servers, COORDINATOR).count("overdue_staff") == 1

    mf.sweep(config, at("2026-11-24T08:05"))  # the next working day: digest to heads and coordinators
    # mailbot first started Monday at 09:00: its first digest is Tuesday's
    [tuesday] = mf.of_kind([mf.parse(r) for r in servers.fetch(HEAD)], "digest")
    body = mf.text_of(tuesday)
    # the overdue section lists exactly the overdue ticket (the counts by state name every open one)
    overdue_part = body.split("Tiket yang melewati batas waktu (1):", 1)[1].split("Untuk memberi arahan", 1)[0]
    assert first.number in overdue_part and second.number not in overdue_part
    # Indonesian by default; the unit and the day tell one unit's digests from another's and from each other
    assert str(tuesday["Subject"]) == "Ringkasan harian Helpdesk LPSE Uji - Selasa, 24 November 2026"
    assert COORDINATOR in {a.addr_spec for a in tuesday["Cc"].addresses}
    mf.sweep(config, at("2026-11-24T09:00"))
    assert len(mf.of_kind([mf.parse(r) for r in servers.fetch(HEAD)], "digest")) == 1  # once per working day


def test_tickets_overdue_lists_what_is_overdue_and_why(env, capsys):
    """`mailbot tickets --overdue` lists overdue tickets now, with the timer and on whom it waits."""
    from datetime import UTC, timedelta

    servers, config = env
    raw, _ = mf.mail(REQUESTER, "Akun terkunci", "Akun saya terkunci.")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, datetime.now(UTC) - timedelta(days=7))
    raw, _ = mf.mail("sari@dinas.test", "Pertanyaan baru", "Baru saja saya kirim.")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, datetime.now(UTC))
    capsys.readouterr()
    assert cli.main(["--config", str(config), "tickets", "--overdue"]) == 0
    out = capsys.readouterr().out
    first, second = Store(load_config(config).database).search.tickets()
    assert first.number in out and second.number not in out
    assert "first_response" in out and "staff" in out


def test_lkpp_status_breach_stays_overdue_after_the_status_request(env):
    """A fired lkpp_status stays in `tickets --overdue` and the digest until LKPP writes.

    Escalated Monday 10:00; the status request goes out Wednesday 10:00. Thursday 08:00
    (before the first progress reminder and the 3x24h standard) the digest still lists
    the ticket as waiting on LKPP; an LKPP status reply then ends that breach.
    """
    from mailbot.daemon.wiring import App

    servers, config = env

    def overdue(moment):
        app = App(load_config(config), clock=lambda: moment)
        try:
            return [(str(o.kind), o.on_whom) for box in app.cfg.mailboxes for _, o in app.overdue(box, moment)]
        finally:
            app.store.close()

    escalation = open_and_escalate(servers, config, at("2026-11-23T09:30"), at("2026-11-23T10:00"))
    mf.sweep(config, at("2026-11-25T10:01"))
    assert kinds(servers, mf.LKPP).count("overdue_lkpp") == 1
    assert overdue(at("2026-11-25T10:02")) == [("lkpp_status", "LKPP")]
    mf.sweep(config, at("2026-11-26T08:00"))
    [*_, thursday] = mf.of_kind([mf.parse(r) for r in servers.fetch(HEAD)], "digest")
    assert ticket(config).number in mf.text_of(thursday)
    # after the first progress reminder was due (10:00), still one LKPP breach, beside the 3x24h one
    assert sorted(overdue(at("2026-11-26T10:30"))) == [("lkpp_status", "LKPP"), ("resolution", "LKPP")]

    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "Masih dalam penanganan tim teknis kami.", to=mf.UNIT)
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-26T08:30"))
    assert overdue(at("2026-11-26T08:31")) == []


def test_a_rejected_solution_left_unanswered_reaches_staff_and_coordinators(env):
    """The requester answers TIDAK to the solution (E4): the ticket is `open`, waiting for
    staff; 4 working hours later nobody has answered, so staff and the coordinators are
    told it was reopened; once staff answer, nothing more comes."""
    servers, config = env
    raw, _ = mf.mail(REQUESTER, "Ganti email akun", "Mohon bantuan ganti email akun.")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-23T09:00"))
    notice = mf.parse(servers.fetch(mf.STAFF[0])[-1])
    raw, _ = mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nSilakan ajukan melalui verifikator.")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-23T09:30"))
    [solution] = mf.of_kind([mf.parse(r) for r in servers.fetch(REQUESTER)], "resolved")
    raw, _ = mf.reply_as_client(solution, REQUESTER, "TIDAK, masih belum bisa pak.", to=mf.UNIT)
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-23T10:00"))
    assert ticket(config).state is State.OPEN
    mf.sweep(config, at("2026-11-23T13:59"))
    assert "overdue_staff" not in not_digest(servers, mf.STAFF[0])
    mf.sweep(config, at("2026-11-23T14:01"))
    [overdue] = mf.of_kind([mf.parse(r) for r in servers.fetch(mf.STAFF[0])], "overdue_staff")
    assert "dibuka kembali oleh pengguna dan belum ditanggapi petugas" in " ".join(mf.text_of(overdue).split())
    assert COORDINATOR in {a.addr_spec for a in overdue["Cc"].addresses}
    raw, _ = mf.reply_as_client(overdue, mf.STAFF[0], "Baik pak, kami cek ulang akun Bapak.")
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, at("2026-11-23T14:30"))
    assert ticket(config).state is State.ANSWERED
    mf.sweep(config, at("2026-11-24T14:01"))
    assert not_digest(servers, mf.STAFF[0]).count("overdue_staff") == 1


def test_a_data_request_waiting_for_the_requester_is_not_laid_at_lkpps_door(env):
    """LKPP asks for a screenshot Monday 11:00 (SOP-015 steps 7-9). Wednesday 08:00 the
    requester still has until 11:00 to send it and LKPP owes nothing while it waits: the
    digest lists no overdue ticket (it said 'belum ada perkembangan dari LKPP', waiting on
    Helpdesk LKPP since Tuesday), and no progress reminder goes to LKPP."""
    servers, config = env
    asked_for_data(servers, config)
    mf.sweep(config, at("2026-11-24T11:01"))
    mf.sweep(config, at("2026-11-25T08:00"))
    wednesday = mf.of_kind([mf.parse(r) for r in servers.fetch(HEAD)], "digest")[-1]
    body = " ".join(mf.text_of(wednesday).split())
    assert "Rabu, 25 November 2026" in body
    assert "belum ada perkembangan dari LKPP" not in body, body
    assert "Tidak ada tiket yang melewati batas waktu" in body
    assert kinds(servers, mf.LKPP) == ["escalate"]


def test_mail_that_arrived_while_the_daemon_was_down_is_due_from_its_arrival(env, capsys):
    """The daemon read the mailbox Friday 11:00, then stopped. A mail reached the mailbox
    Friday 14:00 (4 working hours: due Monday 10:00; 3x24h: Monday 14:00) and is handled
    when the daemon is back, Monday 09:30: staff are told it is overdue at 10:01, not 13:31,
    the coordinators at 14:01, and the ticket shows it was opened Friday (SPEC 6)."""
    servers, config = env
    mf.handle_at(config, at("2026-11-20T11:00"))  # an ordinary pass: nothing new
    raw, _ = mf.mail(REQUESTER, "Akun terkunci", "Akun saya terkunci sejak pagi.", date=at("2026-11-20T14:00"))
    servers.append(mf.UNIT, raw, msg_time=at("2026-11-20T14:00"))
    mf.handle_at(config, at("2026-11-23T09:30"))
    assert kinds(servers, REQUESTER) == ["ack"]
    assert ticket(config).created_at == at("2026-11-20T14:00")
    mf.sweep(config, at("2026-11-23T09:59"))
    assert "overdue_staff" not in not_digest(servers, mf.STAFF[0])
    mf.sweep(config, at("2026-11-23T10:01"))
    assert not_digest(servers, mf.STAFF[0]).count("overdue_staff") == 1
    mf.sweep(config, at("2026-11-23T14:01"))
    assert not_digest(servers, COORDINATOR).count("overdue_staff") == 2  # first response, then 3x24h
    capsys.readouterr()
    assert cli.main(["--config", str(config), "ticket", ticket(config).number]) == 0
    assert "2026-11-20 14:00" in capsys.readouterr().out


def test_a_mail_whose_server_date_is_not_its_arrival_opens_when_handled(env):
    """Mailbot read the mailbox Monday 09:00. At 11:00 it finds two mails the server dates
    outside that span: one staff moved back into the INBOX from Junk (it keeps Sunday's
    date), one dated in the future by a server clock that runs ahead. Both were new to
    mailbot at 11:00: due 15:00, not at once, and never before they came."""
    servers, config = env
    mf.handle_at(config, at("2026-11-23T09:00"))
    for sender, moment in (("sari@dinas.test", "2026-11-22T10:00"), ("andi@cv.test", "2026-11-23T12:00")):
        servers.append(mf.UNIT, mf.mail(sender, "Tidak bisa login", "Mohon dibantu.", date=at(moment))[0],
                       msg_time=at(moment))
    mf.handle_at(config, at("2026-11-23T11:00"))
    tickets = Store(load_config(config).database).search.tickets()
    assert [t.created_at for t in tickets] == [at("2026-11-23T11:00")] * 2
    mf.sweep(config, at("2026-11-23T14:59"))
    assert "overdue_staff" not in not_digest(servers, mf.STAFF[0])
    mf.sweep(config, at("2026-11-23T15:01"))
    assert not_digest(servers, mf.STAFF[0]).count("overdue_staff") == 2


def test_a_mail_that_just_reached_the_server_opens_on_the_daemons_clock(env):
    """A mail the server received moments ago (by the host's clock) was not missed while
    mailbot was down: its ticket opens on the daemon's own clock, the one `sweep --now`
    and the deadlines run on, however that clock and the server's stand apart."""
    servers, config = env
    mf.handle_at(config, at("2026-11-20T11:00"))  # a pass on the daemon's clock, days from the host's
    servers.append(mf.UNIT, mf.mail(REQUESTER, "Akun terkunci", "Akun saya terkunci.")[0])  # received now
    mf.handle_at(config, at("2026-12-01T09:00"))
    assert ticket(config).created_at == at("2026-12-01T09:00")
    mf.sweep(config, at("2026-12-01T12:59"))
    assert "overdue_staff" not in not_digest(servers, mf.STAFF[0])
    mf.sweep(config, at("2026-12-01T13:01"))
    assert "overdue_staff" in not_digest(servers, mf.STAFF[0])


def test_a_first_start_times_its_backlog_from_the_start(env):
    """mailbot starts for the first time Monday 09:00 and finds Friday's mail in the INBOX:
    it was never mailbot's to be late on (SPEC 5's backlog at the first start); staff owe
    a first response by 13:00, the usual time."""
    servers, config = env
    raw, _ = mf.mail(REQUESTER, "Akun terkunci", "Akun saya terkunci.", date=at("2026-11-20T14:00"))
    servers.append(mf.UNIT, raw, msg_time=at("2026-11-20T14:00"))
    mf.handle_at(config, at("2026-11-23T09:00"))
    mf.sweep(config, at("2026-11-23T12:59"))
    assert "overdue_staff" not in not_digest(servers, mf.STAFF[0])
    mf.sweep(config, at("2026-11-23T13:01"))
    assert "overdue_staff" in not_digest(servers, mf.STAFF[0])


def test_a_late_overdue_notice_is_not_followed_by_the_regular_one_minutes_later(env):
    """Opened Friday 09:00, first response due 13:00. The daemon was down from Friday 12:00
    and is back Monday 12:50: staff get the overdue notice then, and the next one Tuesday
    at 13:00, not a second one ten minutes later (SPEC 6: again each working day)."""
    servers, config = env
    raw, _ = mf.mail(REQUESTER, "Akun terkunci", "Mohon dibuka.", date=at("2026-11-20T09:00"))
    servers.append(mf.UNIT, raw, msg_time=at("2026-11-20T09:00"))
    mf.handle_at(config, at("2026-11-20T09:00"))
    mf.sweep(config, at("2026-11-20T11:59"))
    mf.sweep(config, at("2026-11-23T12:50"))  # back on Monday
    mf.sweep(config, at("2026-11-23T13:01"))
    mf.sweep(config, at("2026-11-23T15:59"))
    assert not_digest(servers, mf.STAFF[0]).count("overdue_staff") == 1
    mf.sweep(config, at("2026-11-24T13:01"))
    assert not_digest(servers, mf.STAFF[0]).count("overdue_staff") == 2


def test_a_late_status_request_to_lkpp_is_not_followed_by_a_reminder_a_minute_later(env):
    """Escalated Friday 15:30: LKPP owes a status Tuesday 15:30 (SOP-015 step 12). The
    daemon is down then and back Wednesday 15:29: LKPP gets the status request, and its
    daily progress reminder (step 14) Thursday 15:30, not Wednesday 15:30 as well."""
    servers, config = env
    open_and_escalate(servers, config, at("2026-11-20T14:00"), at("2026-11-20T15:30"))
    mf.sweep(config, at("2026-11-24T15:00"))
    mf.sweep(config, at("2026-11-25T15:29"))
    assert kinds(servers, mf.LKPP) == ["escalate", "overdue_lkpp"]
    mf.sweep(config, at("2026-11-25T15:31"))
    assert kinds(servers, mf.LKPP) == ["escalate", "overdue_lkpp"]
    mf.sweep(config, at("2026-11-26T15:31"))
    assert kinds(servers, mf.LKPP) == ["escalate", "overdue_lkpp", "remind_lkpp"]


def solved_and_closed(servers, config):
    """Opened Monday 09:00, solved 10:00 (well within 3x24h), confirmed 'YA 5' at 11:00."""
    servers.append(mf.UNIT, mf.mail(REQUESTER, "Akun terkunci", "Akun saya terkunci.")[0])
    mf.handle_at(config, at("2026-11-23T09:00"))
    notice = mf.parse(servers.fetch(mf.STAFF[0])[-1])
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nAkun sudah kami buka kembali.")[0])
    mf.handle_at(config, at("2026-11-23T10:00"))
    [solution] = mf.of_kind([mf.parse(r) for r in servers.fetch(REQUESTER)], "resolved")
    servers.append(mf.UNIT, mf.reply_as_client(solution, REQUESTER, "YA 5", to=mf.UNIT)[0])
    mf.handle_at(config, at("2026-11-23T11:00"))
    assert ticket(config).state is State.CLOSED
    return solution


def resolution_notices(servers) -> list[str]:
    """The 3x24h notices the coordinators got (not the first-response ones, which go to staff)."""
    return [mf.text_of(m) for m in mf.of_kind([mf.parse(r) for r in servers.fetch(COORDINATOR)], "overdue_staff")
            if mf.STAFF[0] not in str(m["To"])]


def test_a_ticket_reopened_past_the_3x24h_standard_is_told_to_the_coordinators(env):
    """The requester writes again Friday 09:00 (E5: within reopen_days, the ticket reopens).
    The standard counts from the opening (seed 002), so the digest lists the ticket as past
    it at once; the coordinators are told so once, as of any ticket past it (SPEC 6)."""
    servers, config = env
    solution = solved_and_closed(servers, config)
    servers.append(mf.UNIT, mf.reply_as_client(solution, REQUESTER, "Maaf pak, akun saya terkunci lagi.",
                                               to=mf.UNIT)[0])
    mf.handle_at(config, at("2026-11-27T09:00"))
    assert ticket(config).state is State.OPEN
    mf.sweep(config, at("2026-11-27T09:05"))
    friday = mf.of_kind([mf.parse(r) for r in servers.fetch(HEAD)], "digest")[-1]
    assert "3x24 jam" in mf.text_of(friday)
    [told] = resolution_notices(servers)
    assert "3x24" in told
    mf.sweep(config, at("2026-11-30T09:05"))
    assert len(resolution_notices(servers)) == 1


def test_a_ticket_told_past_the_standard_is_not_told_again_when_reopened(env):
    """Left unanswered past 3x24h (the coordinators told Thursday 09:00), closed by staff
    Thursday 10:00, reopened by the requester Friday: the same breach, told once."""
    servers, config = env
    servers.append(mf.UNIT, mf.mail(REQUESTER, "Akun terkunci", "Akun saya terkunci.")[0])
    mf.handle_at(config, at("2026-11-23T09:00"))
    mf.sweep(config, at("2026-11-26T09:01"))
    assert len(resolution_notices(servers)) == 1
    notice = mf.parse(servers.fetch(mf.STAFF[0])[0])
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#tutup\nAkun sudah dibuka.")[0])
    mf.handle_at(config, at("2026-11-26T10:00"))
    [closed] = mf.of_kind([mf.parse(r) for r in servers.fetch(REQUESTER)], "closed")
    servers.append(mf.UNIT, mf.reply_as_client(closed, REQUESTER, "Belum bisa login pak.", to=mf.UNIT)[0])
    mf.handle_at(config, at("2026-11-27T09:00"))
    assert ticket(config).state is State.OPEN
    mf.sweep(config, at("2026-11-27T09:05"))
    mf.sweep(config, at("2026-11-30T09:05"))
    assert len(resolution_notices(servers)) == 1


def test_data_sent_while_the_daemon_was_down_beats_the_auto_close(env):
    """LKPP asked for a screenshot; the requester was reminded, and sent it half an hour
    before the ticket would close without it, while the daemon was down. When `mailbot run`
    is back (after the close deadline), the screenshot goes on to LKPP (SOP-015 step 9, E3)
    and the ticket stays with LKPP: it is not closed "for lack of data" first and then
    reopened to staff with the data never forwarded. Dates are relative to the host's clock,
    which `run` reads."""
    from datetime import UTC, timedelta

    from mailbot.core.worktime import WorkCalendar

    servers, config = env
    cal = WorkCalendar.build()
    requested = cal.start_of_working_day((datetime.now(UTC) - timedelta(days=21)).date()) + timedelta(hours=1)
    closes = cal.add_working_days(requested, 5)  # awaiting_info_close
    assert closes < datetime.now(UTC) - timedelta(hours=1)
    escalation = open_and_escalate(servers, config, requested - timedelta(minutes=40),
                                   requested - timedelta(minutes=20))
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "Mohon dilengkapi screenshot pesan error.", to=mf.UNIT)
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, requested)
    mf.sweep(config, cal.add_working_days(requested, 2) + timedelta(minutes=1))
    assert kinds(servers, REQUESTER).count("remind_user") == 1
    [request] = mf.of_kind([mf.parse(r) for r in servers.fetch(REQUESTER)], "need_info")
    raw, _ = mf.mail(REQUESTER, f"Re: {request['Subject']}", "Berikut screenshot error-nya.",
                     in_reply_to=str(request["Message-ID"]).strip("<>"),
                     attachments=(("error.png", "image/png", b"\x89PNG"),))
    servers.append(mf.UNIT, raw, msg_time=closes - timedelta(minutes=30))

    proc = mf.daemon(config)
    try:
        assert mf.wait_for(
            lambda: "forward_info" in kinds(servers, mf.LKPP) or "closed" in kinds(servers, REQUESTER), 60)
        assert mf.wait_for(lambda: not servers.fetch(mf.UNIT), 30)
    finally:
        mf.stop(proc)
    assert "forward_info" in kinds(servers, mf.LKPP)
    assert "closed" not in kinds(servers, REQUESTER)
    assert ticket(config).state is State.ESCALATED


def test_cuti_bersama_announced_after_escalation_moves_the_status_deadline(env):
    """SPEC 6 (working time, `extra_holidays` included): a ticket escalated Tuesday 29 Dec 2026
    10:00 owes LKPP's status by Thursday 31 Dec 10:00. The government then declares 31 Dec
    cuti bersama and the operator adds it and restarts: no status request goes to LKPP on the
    holiday; it goes once, on Monday 4 Jan 2027 after 10:00."""
    servers, config = env
    open_and_escalate(servers, config, at("2026-12-29T09:00"), at("2026-12-29T10:00"))
    config = mf.write_config(servers, config.parent, calendar={"extra_holidays": ["2026-12-31"]})
    mf.sweep(config, at("2026-12-31T10:01"))
    mf.sweep(config, at("2027-01-04T09:59"))
    assert "overdue_lkpp" not in kinds(servers, mf.LKPP)
    mf.sweep(config, at("2027-01-04T10:01"))
    mf.sweep(config, at("2027-01-04T10:02"))
    assert kinds(servers, mf.LKPP).count("overdue_lkpp") == 1
    assert not_digest(servers, REQUESTER).count("status_user") == 1


def test_a_day_off_declared_later_holds_lkpps_progress_reminder_in_a_wita_unit(fresh_mailboxes, tmp_path):
    """A unit in Makassar (WITA). Escalated Monday 23 Nov 2026 10:00; LKPP answers with a
    status Wednesday 25 Nov 10:00, so its next progress report is due Thursday 26 Nov 10:00
    WITA (SOP-015 step 14: every working day). The regional government then declares
    Thursday a day off and the operator adds it to `extra_holidays`: no reminder goes to
    LKPP on the day off, one goes on Friday after 10:00 WITA, and it names that deadline."""
    wita = ZoneInfo("Asia/Makassar")
    servers = fresh_mailboxes

    def local(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=wita)

    config = mf.write_config(servers, tmp_path, timezone="Asia/Makassar")
    escalation = open_and_escalate(servers, config, local("2026-11-23T09:00"), local("2026-11-23T10:00"))
    raw, _ = mf.reply_as_client(escalation, mf.LKPP, "Status: masih dalam penanganan tim teknis kami.", to=mf.UNIT)
    servers.append(mf.UNIT, raw)
    mf.handle_at(config, local("2026-11-25T10:00"))
    config = mf.write_config(servers, tmp_path, timezone="Asia/Makassar", calendar={"extra_holidays": ["2026-11-26"]})
    mf.sweep(config, local("2026-11-26T10:01"))
    mf.sweep(config, local("2026-11-27T09:59"))
    assert "remind_lkpp" not in kinds(servers, mf.LKPP)
    mf.sweep(config, local("2026-11-27T10:01"))
    mf.sweep(config, local("2026-11-27T10:02"))
    assert kinds(servers, mf.LKPP).count("remind_lkpp") == 1
    assert "Jumat, 27 November 2026 10:00 WITA" in " ".join(mf.text_of(mf.parse(servers.fetch(mf.LKPP)[-1])).split())


def test_end_to_end_a_solution_rejected_after_72_hours_reaches_the_coordinators_once(fresh_mailboxes, tmp_path):
    """A solution rejected past 3x24 h reaches the coordinators once, through the daemon (the
    pure sweeps are in test_deadlines.py): opened Friday 09:00, solved Friday 09:30; the sweep on
    Monday 09:00 (72 h) finds the solution standing; the requester says TIDAK Tuesday 10:00:
    the coordinators get the 3x24h notice at the next sweep, once."""
    servers, config = fresh_mailboxes, mf.write_config(fresh_mailboxes, tmp_path)
    servers.append(mf.UNIT, mf.mail(REQUESTER, "Ganti email akun", "Mohon bantuan ganti email akun.")[0])
    mf.handle_at(config, at("2026-11-20T09:00"))
    notice = mf.parse(servers.fetch(mf.STAFF[0])[-1])
    servers.append(mf.UNIT, mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nSilakan ajukan melalui verifikator.")[0])
    mf.handle_at(config, at("2026-11-20T09:30"))
    mf.sweep(config, at("2026-11-23T09:01"))
    [solution] = mf.of_kind([mf.parse(r) for r in servers.fetch(REQUESTER)], "resolved")
    servers.append(mf.UNIT, mf.reply_as_client(solution, REQUESTER, "TIDAK, masih belum bisa pak.", to=mf.UNIT)[0])
    mf.handle_at(config, at("2026-11-24T10:00"))
    mf.sweep(config, at("2026-11-24T10:05"))
    mf.sweep(config, at("2026-11-25T10:05"))

    def told() -> list[str]:
        # the 3x24h notice says so in its first words; every notice's footer names the 3x24h
        # deadline too, so "3x24" anywhere in the text no longer tells them apart
        return [str(m["Subject"])
                for m in mf.of_kind([mf.parse(r) for r in servers.fetch(COORDINATOR)], "overdue_staff")
                if "melewati standar waktu penyelesaian 3x24" in " ".join(mf.text_of(m).split())]
    assert len(told()) == 1, told()

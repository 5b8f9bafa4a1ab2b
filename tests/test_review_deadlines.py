"""Review of today's deadline changes: simulated sweeps over pure plan/fire."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from mailbot.core.deadlines import find_overdue, fire, plan
from mailbot.core.model import Audience, State, Ticket, Timer, TimerKind
from tests.test_deadlines import CAL, D, ticket, wib

K = TimerKind


class Sim:
    """Timers as the store keeps them: plan's sets/clears applied, due ones fired."""

    def __init__(self, t: Ticket, now: datetime) -> None:
        self.t = t
        self.timers: dict[TimerKind, Timer] = {}
        self.sent: list[tuple[datetime, str, str, Audience]] = []
        self._apply(plan(None, t, None, now, CAL, D), now)

    def _apply(self, p, now):
        for kind in p.clear:
            self.timers.pop(kind, None)
        for timer in p.set:
            self.timers[timer.kind] = timer

    def move(self, now: datetime, **kw: object) -> None:
        self.sweep(now)
        old, self.t = self.t, replace(self.t, updated_at=now, **kw)  # type: ignore[arg-type]
        self._apply(plan(old, self.t, None, now, CAL, D, active=set(self.timers), running=dict(self.timers)), now)

    def sweep(self, now: datetime) -> None:
        for kind, timer in sorted(self.timers.items(), key=lambda kv: kv[1].due_at):
            while timer.due_at <= now:
                firing = fire(timer, self.t, timer.due_at, CAL, D)
                self.sent += [(timer.due_at, str(kind), s.kind, s.to) for s in firing.sends]
                if firing.next_due is None:
                    self.timers.pop(kind)
                    break
                timer = Timer(kind, timer.started_at, firing.next_due, timer.step + 1)
                self.timers[kind] = timer


def test_a_rejected_solution_past_3x24h_is_told_to_the_coordinators_once() -> None:
    """Opened Friday 08:00, solved Friday 09:00 (before today the 72 h notice fired anyway);
    the requester rejects it Tuesday 10:00, after the 72 hours: the ticket is now past the
    3x24h standard (the summary and the digest say so), so the coordinators are told once
    (SPEC 6 resolution: 'coordinators told once')."""
    fri = wib(11, 20, 8)
    sim = Sim(ticket(created_at=fri, updated_at=fri), fri)
    sim.move(wib(11, 20, 9), state=State.RESOLVED, first_response_at=wib(11, 20, 9), resolved_at=wib(11, 20, 9))
    sim.move(wib(11, 24, 10), state=State.OPEN)  # E4: TIDAK, after the 72 hours ran out (Monday 08:00)
    assert [o.kind for o in find_overdue(sim.t, list(sim.timers.values()), wib(11, 24, 11), CAL, D)
            ] == [K.RESOLUTION]  # the digest lists the breach
    sim.sweep(wib(11, 24, 12))
    told = [s for s in sim.sent if s[1] == "resolution"]
    assert len(told) == 1 and told[0][3] is Audience.COORDINATORS, sim.sent


def test_end_to_end_a_solution_rejected_after_72_hours_reaches_the_coordinators_once(fresh_mailboxes, tmp_path):
    """The same through the daemon: opened Friday 09:00, solved Friday 09:30; the sweep on
    Monday 09:00 (72 h) finds the solution standing; the requester says TIDAK Tuesday 10:00:
    the coordinators get the 3x24h notice at the next sweep, once."""
    from tests.mailfactory import (
        STAFF,
        UNIT,
        handle_at,
        mail,
        of_kind,
        parse,
        reply_as_client,
        sweep,
        write_config,
    )
    from tests.test_flow_deadlines import COORDINATOR, REQUESTER, at

    servers, config = fresh_mailboxes, write_config(fresh_mailboxes, tmp_path)
    servers.append(UNIT, mail(REQUESTER, "Ganti email akun", "Mohon bantuan ganti email akun.")[0])
    handle_at(config, at("2026-11-20T09:00"))
    notice = parse(servers.fetch(STAFF[0])[-1])
    servers.append(UNIT, reply_as_client(notice, STAFF[0], "#selesai\nSilakan ajukan melalui verifikator.")[0])
    handle_at(config, at("2026-11-20T09:30"))
    sweep(config, at("2026-11-23T09:01"))
    [solution] = of_kind([parse(r) for r in servers.fetch(REQUESTER)], "resolved")
    servers.append(UNIT, reply_as_client(solution, REQUESTER, "TIDAK, masih belum bisa pak.", to=UNIT)[0])
    handle_at(config, at("2026-11-24T10:00"))
    sweep(config, at("2026-11-24T10:05"))
    sweep(config, at("2026-11-25T10:05"))

    def told() -> list[str]:
        return [str(m["Subject"]) for m in of_kind([parse(r) for r in servers.fetch(COORDINATOR)], "overdue_staff")
                if "3x24" in " ".join(str(p.get_payload(decode=True) or b"", "utf-8", "replace")
                                    for p in m.walk() if not p.is_multipart())]
    assert len(told()) == 1, told()

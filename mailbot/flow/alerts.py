"""Telling the coordinators of what fails: one place builds a system alert and sends it.

Every alert of the daemon (an unreadable mailbox, a failing MOVE, quarantined mail, a
refused reload, an operator's problem, a failing timer or digest, the daily audit's
findings) is queued in the outbox once per occasion: a key in the store's meta holds the
occasion last told, so a restart or the next look does not tell it again. A storage
outage cannot go through the outbox (it lives in the failing database): it is sent
straight through SMTP (`direct`), by the daemon only (the sender process leaves it to the
daemon, which meets the failing store on its next write).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from mailbot.core.audit import Finding
from mailbot.errors import StorageError
from mailbot.flow.health import Health
from mailbot.flow.notices import Notifier
from mailbot.flow.signals import Signals
from mailbot.io import smtp
from mailbot.io.store import UnitOfWork, database_errors, ts
from mailbot.io.store.arrivals import Arrivals
from mailbot.io.store.meta import Meta
from mailbot.model import AUTO_GENERATED, Audience, Send
from mailbot.settings import Config, MailboxConfig


def system_alert(alert: Mapping[str, object], items: Iterable[str] = ()) -> Send:
    """The coordinators' mail of one alert: `alert` names it ("alert": its kind) and its facts."""
    return Send("system_alert", Audience.COORDINATORS, auto=AUTO_GENERATED,
                context={"reason": "", "items": list(items), **alert})


class Alerts:
    """The coordinators' alerts of one configuration, and the watch that raises them."""

    def __init__(self, cfg: Config, metadata: Meta, arrivals: Arrivals, unit_of_work: UnitOfWork, mailer: Notifier,
                 health: Health, signals: Signals, clock: Callable[[], datetime], log: Any, *,
                 direct: bool = True) -> None:
        self.cfg, self.mailer, self.health, self.signals = cfg, mailer, health, signals
        self.metadata, self.arrivals, self.unit_of_work = metadata, arrivals, unit_of_work  # the store's parts it uses
        self.clock, self.log = clock, log
        self.direct_allowed = direct  # False in the sender process: the daemon tells of storage outages

    def once(self, box: MailboxConfig, now: datetime, key: str, value: str, alert: Mapping[str, object],
             items: Iterable[str] = (), *, storage_raises: bool = True) -> int:
        """The alert queued unless `key` holds `value` already (told before); 1 if queued now.
        A failure to queue it is logged; a storage failure is the caller's (`storage_raises`)."""
        try:
            if self.metadata.meta(key) == value:
                return 0
            with self.unit_of_work():
                self.mailer.enqueue(box, system_alert(alert, items), None, None, now)
                self.metadata.set_meta(key, value)
        except database_errors(StorageError, OSError):
            if storage_raises:
                raise
            self.log.exception("alert_failed", mailbox=box.name, key=key)
            return 0
        except Exception:
            self.log.exception("alert_failed", mailbox=box.name, key=key)
            return 0
        self.log.warning("coordinators_alerted", mailbox=box.name, alert=alert.get("alert"))
        return 1

    def reload_refused(self, why: str) -> None:
        """A config refused on reload: the coordinators of every mailbox are told once per
        distinct problem (the old config goes on serving them)."""
        now = self.clock()
        value = hashlib.sha256(why.encode()).hexdigest()[:16]
        for box in self.cfg.mailboxes:
            self.once(box, now, f"alerted:reload:{box.name}", value, {"alert": "reload_refused", "error": why},
                      storage_raises=False)

    def problem(self, box: MailboxConfig, cause: str, reason: str) -> None:
        """Something the operator must fix (a broken template, ...): coordinators told once a day."""
        now = self.clock()
        today = now.astimezone(self.cfg.timezone).date().isoformat()
        self.once(box, now, f"alerted:{cause}:{box.name}", today, {"alert": "problem", "reason": reason},
                  storage_raises=False)

    def findings(self, box: MailboxConfig, findings: list[Finding], today: str) -> int:
        """One alert naming the audit's findings no alert named before; the audit of `today` done."""
        now = self.clock()
        fresh = [f for f in findings if self.metadata.meta(f"alerted:audit:{box.name}:{f.key}") is None]
        with self.unit_of_work():
            if fresh:
                alert = {"alert": "audit", "count": len(fresh)}
                self.mailer.enqueue(box, system_alert(alert, [f.line() for f in fresh[:50]]), None, None, now)
                for finding in fresh:
                    self.metadata.set_meta(f"alerted:audit:{box.name}:{finding.key}", today)
            self.metadata.set_meta(f"audited:{box.name}", today)
        if fresh:
            self.log.warning("coordinators_alerted", mailbox=box.name, alert="audit", findings=len(fresh))
        return len(fresh)

    # --- the watch ------------------------------------------------------------------------

    def watch(self) -> int:
        """SPEC 6: one alert to coordinators when a mailbox stays unreadable, the outbox
        stays unsendable (log and systemd status: mail may not get out), storage fails
        (log, systemd status and a mail sent around the database), or mail is
        quarantined. Returns the number of alerts queued."""
        alerts = 0
        for box in self.cfg.mailboxes:
            try:
                alerts += self._watch(box)
            except database_errors(StorageError, OSError) as exc:
                self.storage_failed(box, exc)
            except Exception:
                self.log.exception("watch_failed", mailbox=box.name)
        return alerts

    def _watch(self, box: MailboxConfig) -> int:
        now = self.clock()
        limit = timedelta(minutes=self.cfg.alert_after_minutes)
        health = self.health
        alerts = 0
        since = health.failing_since.get(f"imap:{box.name}")
        if since and now - since >= limit:
            alerts += self.once(box, now, f"alerted:imap:{box.name}", ts(since), {
                "alert": "mailbox_unreadable", "since": self.local(since),
                "error": health.failing_why.get(f"imap:{box.name}", "")})
        since = health.failing_since.get(f"move:{box.name}")
        if since and now - since >= limit:
            alerts += self.once(box, now, f"alerted:move:{box.name}", ts(since), {
                "alert": "move_failing", "since": self.local(since),
                "folder": health.failing_folder.get(f"move:{box.name}", ""),
                "error": health.failing_why.get(f"move:{box.name}", "")})
        since = health.failing_since.get(f"copy:{box.name}")
        if since and now - since >= limit:  # what a restore on a new host would read is missing
            alerts += self.once(box, now, f"alerted:copy:{box.name}", ts(since), {"alert": "problem", "reason": (
                f"Since {self.local(since)} the server refuses the copies of the mail mailbot sends in the "
                f"{health.failing_folder.get(f'copy:{box.name}', '')} folder "
                f"({health.failing_why.get(f'copy:{box.name}', '')}). Mail is still handled and sent; the "
                "copies wait and are tried again at every pass (check the quota or the folder's rights). A restore "
                "on a new host reads that folder to know which ticket numbers were mailed.")})
        self.unsendable(box, now)
        last = int(self.metadata.meta(f"alerted:quarantine:{box.name}") or 0)
        fresh = self.arrivals.quarantined(box.name, after=last)
        if fresh:
            items = [f"{self.local(q.at)} {q.message_id}: {q.reason}" for q in fresh[:20]]
            alert = {"alert": "quarantined", "count": len(fresh), "folder": box.imap.quarantine_folder}
            alerts += self.once(box, now, f"alerted:quarantine:{box.name}", str(max(q.id for q in fresh)), alert,
                                items)
        return alerts

    def unsendable(self, box: MailboxConfig, now: datetime) -> bool:
        """An outbox unsendable for `alert_after_minutes` is logged and shown to systemd."""
        since = self.health.failing_since.get(f"smtp:{box.name}")
        if not since or now - since < timedelta(minutes=self.cfg.alert_after_minutes):
            return False
        self.log.error("outbox_unsendable", mailbox=box.name, since=since.isoformat())
        self.signals.notify(f"STATUS=outbox of {box.name} unsendable since {since.isoformat()}")
        return True

    def sendable(self, box: MailboxConfig, now: datetime) -> None:
        """The server took mail again: an outage that `unsendable` told of is said to be
        over, in the log and in systemd's status, which would otherwise go on saying it."""
        since = self.health.recovered(f"smtp:{box.name}")
        if since is None or now - since < timedelta(minutes=self.cfg.alert_after_minutes):
            return
        self.log.info("outbox_sendable", mailbox=box.name, unsendable_since=since.isoformat())
        self.signals.notify(f"STATUS=outbox of {box.name} sending again since {now.isoformat()} "
                            f"(after an outage from {since.isoformat()})")

    # --- storage outages --------------------------------------------------------------------

    def storage_failed(self, box: MailboxConfig, exc: BaseException) -> None:
        """Disk full, database locked or read-only: mail stays in the INBOX until it works again.

        The coordinators are told once per outage by a mail sent straight through SMTP,
        since the outbox lives in the database that fails. The log says it as an error once,
        and again when the reason changes; each retry meanwhile at info.
        """
        now = self.clock()
        self.health.storage_failed()  # `run --once` exits 75 after any: mail stayed in the INBOX
        key = f"storage:{box.name}"
        known = self.health.known(key, str(exc))
        since = self.health.failing(key, now, why=str(exc))
        if known:
            self.log.info("storage_still_unavailable", mailbox=box.name, error=str(exc), since=since.isoformat())
        else:
            self.log.error("storage_unavailable", mailbox=box.name, error=str(exc), since=since.isoformat())
        self.signals.notify(f"STATUS=storage failing for {box.name} since {since.isoformat()}: {exc}"[:400])
        if self.direct_allowed and now - since >= timedelta(minutes=self.cfg.alert_after_minutes) \
                and key not in self.health.alerted_outages:
            alert: dict[str, object] = {"alert": "storage_failing", "since": self.local(since), "error": str(exc)}
            if self.direct(box, alert):
                self.health.alerted_outages.add(key)

    def storage_works(self, box: MailboxConfig) -> None:
        if self.health.recovered(f"storage:{box.name}") is not None:
            self.log.info("storage_recovered", mailbox=box.name)

    def direct(self, box: MailboxConfig, alert: Mapping[str, object]) -> bool:
        """A system alert sent straight through SMTP, without the outbox (which may be down)."""
        now = self.clock()
        try:
            row = self.mailer.detached(box, system_alert(alert), now)
            results: list[smtp.Delivery] = []
            smtp.deliver(box.smtp, iter([row]), results.append, timeout=box.smtp.timeout)
        except Exception:
            self.log.exception("direct_alert_failed", mailbox=box.name)
            return False
        ok = bool(results and results[0].accepted)
        self.log.warning("coordinators_alerted_directly", mailbox=box.name, delivered=ok)
        return ok

    def local(self, moment: datetime) -> str:
        """A moment as the unit's staff read it: local date and time."""
        return moment.astimezone(self.cfg.timezone).strftime("%Y-%m-%d %H:%M")

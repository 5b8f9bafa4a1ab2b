"""Mail that no message decided (alerts, notices, reports, reminders): planned, then queued.

The core plans it (`core.plan.plan`) as it plans a message's mail, with what the store
knows of its ticket (`io/lookup.past`); the composer (`io/compose`) renders and queues
the plans and decides nothing. This shell sits above both, next to the pipeline and the
timekeeper, so that nothing under `mailbot/io` calls a decision the core owns.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from mailbot.core.lifecycle import Decision
from mailbot.core.plan import plan
from mailbot.core.plan_inputs import Past, Setup
from mailbot.core.trust import sender_vouched
from mailbot.io import lookup
from mailbot.io.compose import Composer
from mailbot.io.store import Store
from mailbot.model import InboundMessage, OutboxRow, Send, Ticket
from mailbot.settings import MailboxConfig


def notify(composer: Composer, store: Store, setup: Setup, sends: tuple[Send, ...], ticket: Ticket | None,
           now: datetime, *, msg: InboundMessage | None = None) -> list[str]:
    """Mail that no message decided: planned and queued the way a message's mail is."""
    decision = replace(Decision(ticket), sends=sends)
    past = lookup.past(store, setup.box, setup.cfg, decision, msg, None, now)
    planned = plan(decision, ticket, msg, past, setup, now,
                   vouched=msg is not None and sender_vouched(msg, setup.cfg.auth))
    return composer.queue(setup, replace(planned, timers=None), ticket, msg, now)


class Notifier:
    """Queues mail that no message decided, for the shells that need to (timers, the outbox, reports)."""

    def __init__(self, composer: Composer, store: Store, setups: dict[str, Setup]) -> None:
        self.composer = composer
        self.store = store
        self.setups = setups

    def enqueue(self, box: MailboxConfig, send: Send, ticket: Ticket | None, msg: InboundMessage | None,
                now: datetime) -> list[str]:
        """One mail, within the caller's transaction; the kinds queued."""
        return notify(self.composer, self.store, self.setups[box.name], (send,), ticket, now, msg=msg)

    def detached(self, box: MailboxConfig, send: Send, now: datetime) -> OutboxRow:
        """One mail for SMTP that never touches the store (alerts about the store itself): planned
        with no ticket and no past, rendered by the composer."""
        setup = self.setups[box.name]
        [mail] = plan(Decision(None, sends=(send,)), None, None, Past(), setup, now).mails
        return self.composer.detached(setup, mail, now)

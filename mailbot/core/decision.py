"""The decision of one message (or timer), and the draft that builds it up as the lifecycle
table's effects run (`effects.EFFECTS`). Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from mailbot.core.facts import Event, Facts, Policy
from mailbot.core.trust import Trust
from mailbot.model import Audience, HistoryEvent, Send, Ticket


@dataclass(frozen=True)
class Decision:
    """What one message (or timer) changes. `ticket` None: no ticket is touched."""

    ticket: Ticket | None
    new_ticket: bool = False
    events: tuple[HistoryEvent, ...] = ()
    sends: tuple[Send, ...] = ()
    label: str = ""  # the event, for logs and the message record
    exempt: bool = False  # caused by an authenticated staff or LKPP message: never held back (SPEC 5)
    sop: str = ""  # the table row's SOP step
    elsewhere: tuple[tuple[str, HistoryEvent], ...] = ()  # (ticket number, event) for other tickets it names
    held: bool = False  # `ticket` is a held intake (SPEC 9): a number is reserved, no ticket is saved
    adopt: tuple[str, ...] = ()  # Message-IDs recorded before the ticket existed (a held intake's) that are its now
    passed_on: tuple[tuple[str, Send], ...] = ()  # (ticket number, mail) for other tickets it names


class Draft:
    """The decision as its effects build it up: each effect of a table row is handed the draft,
    changes its ticket, records history and asks for mail (`Send`); `lifecycle.decide` makes
    the frozen `Decision` of what they left."""

    def __init__(self, facts: Facts, trust: Trust, policy: Policy, now: datetime, event: Event,
                 ticket: Ticket | None) -> None:
        self.facts, self.trust, self.policy, self.now, self.event = facts, trust, policy, now, event
        self.ticket = ticket
        self.opened = False
        self.held = False
        self.adopt: tuple[str, ...] = ()
        self.events: list[HistoryEvent] = []
        self.sends: list[Send] = []
        self.elsewhere: list[tuple[str, HistoryEvent]] = []
        self.passed_on: list[tuple[str, Send]] = []

    @property
    def actor(self) -> str:
        return self.facts.message.from_addr.addr

    @property
    def text(self) -> str:
        msg = self.facts.message
        return msg.new_text or msg.text

    @property
    def body(self) -> str:
        """The text below a staff message's command lines."""
        return self.facts.commands.body if self.facts.commands else self.text

    def record(self, kind: str, detail: Mapping[str, object] | None = None, actor: str | None = None) -> None:
        self.events.append(HistoryEvent(kind, actor or self.actor, dict(detail or {})))

    def send(self, kind: str, to: Audience, **kw: object) -> None:
        self.sends.append(Send(kind, to, **kw))  # type: ignore[arg-type]

    def change(self, **fields: object) -> None:
        assert self.ticket is not None
        self.ticket = replace(self.ticket, **fields)  # type: ignore[arg-type]


Effect = Callable[[Draft], None]

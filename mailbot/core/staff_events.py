"""The event a staff, coordinator's or head's reply makes by its commands and words (SPEC 4,
E6-E12h). Pure.

A state command makes its own event (`command_table.COMMANDS`); without one, the commands
that ride along make theirs, a note's first, then the form's data, then metadata, and
`#riwayat` alone its own; with no command the words are an answer to the requester
(staff's) or direction (a coordinator's or head's), and no words at all are told so.
`classify` corrects the event by where the reply went and what it answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mailbot.core.command_table import BY_NAME
from mailbot.core.commands import ParsedCommands
from mailbot.core.events import Event
from mailbot.model import Role

# Of the events the commands beside no state command make, the one the reply makes: a note
# keeps the text below as such, `#data` fills the form, metadata is changed; `#riwayat`
# alone only reads the ticket (beside others it rides along with them).
_ALONE = (Event.STAFF_NOTE, Event.STAFF_DATA, Event.STAFF_META, Event.STAFF_HISTORY)


@dataclass(frozen=True)
class _Said:
    """What a staff message says: its commands and body, whether it says nothing, its sender's role."""

    parsed: ParsedCommands
    empty: bool  # no words below the commands and no file
    role: Role

    @property
    def stated(self) -> Event | None:
        """The event its state command makes, if it has one."""
        command = self.parsed.state_command
        return BY_NAME[command.name].event if command is not None else None

    @property
    def needs_text(self) -> bool:
        """Its state command sends its text (`StaffCommand.needs_text`: `#jawab`, `#minta-data`)."""
        command = self.parsed.state_command
        return command is not None and BY_NAME[command.name].needs_text

    @property
    def commanded(self) -> Event | None:
        """The event its commands make beside no state command (`_ALONE`)."""
        made = {BY_NAME[c.name].event for c in self.parsed.commands}
        return next((event for event in _ALONE if event in made), None)


# The first row that applies names the event; None: the one its commands make.
_STAFF_EVENTS: tuple[tuple[str, Callable[[_Said], bool], Event | None], ...] = (
    # `#jawab` or `#minta-data` with nothing to relay: its sender is told, nothing is sent
    ("an empty answer", lambda s: s.needs_text and s.empty, Event.STAFF_EMPTY),
    ("a state command", lambda s: s.stated is not None, None),
    ("commands beside no state command", lambda s: s.commanded is not None, None),
    ("nothing new above or below the quote", lambda s: s.empty, Event.STAFF_EMPTY),  # the sender is told
    ("a coordinator's or head's words", lambda s: s.role is not Role.STAFF, Event.DIRECTION),  # SPEC 1: internal
    ("staff's words", lambda s: True, Event.STAFF_REPLY),
)


def staff_event(role: Role, parsed: ParsedCommands, attachments: bool) -> Event:
    """The event a staff, coordinator's or head's reply makes (`_STAFF_EVENTS`)."""
    said = _Said(parsed, not parsed.body.strip() and not attachments, role)
    event = next(event for _, applies, event in _STAFF_EVENTS if applies(said))
    made = event or said.stated or said.commanded
    assert made is not None  # the rows that name none apply only where the commands make one
    return made

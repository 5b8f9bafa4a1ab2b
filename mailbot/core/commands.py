"""Staff commands read from the unquoted top of a reply (SPEC sections 4 and 9). Pure.

Commands are lines starting with `#` before any other text; Indonesian and English
spellings are equal and case does not matter. Blank lines between command lines are
no text (Outlook writes every line as a paragraph, which reads as a blank line after
it), so a known command after them still counts, and so is a greeting above them
("Selamat siang Pak,", "Dear all,"): SPEC 4 lets a greeting line alone stand before the
commands, and it is not relayed (it greets whoever reads the notice, not the requester,
and a relay starts with the template's own salutation). Anything below the first ordinary
line is the body: the note, the escalation note, or the text relayed to the requester. A
known command down there was meant to run and cannot: the message is refused (E18), so
that staff learn where commands go and the requester never reads a `#selesai` line; a
`#` line that names no command ("#1 Buka menu", "#SPSE") is text. Only the new text of a
reply is ever looked at, so a `#tutup` quoted from a requester's mail can never run.

Lines are read as people type them in real mail clients: a colon or a full stop
after the word (`#catatan: ...`, `#Selesai.`), a space after the sign, no-break
spaces and zero-width characters from HTML mail, the full-width sign of phone
keyboards, an address book entry or an Outlook `mailto:` link after `#tugaskan`.

Which words are commands, what each takes and how they combine is the command table's
(`command_table.COMMANDS`, a row per command); this module reads a reply's lines by it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mailbot.core.command_table import (
    BY_NAME,
    CATEGORIES,
    COMMANDS,
    DATA_FIELDS,
    PRIORITIES,
    SILENT,
    Kind,
    address_in,
    named,
)
from mailbot.core.greetings import only_greets
from mailbot.model import Refusal

# The values the commands' arguments take, read here as well (the call and visit forms read
# categories and addresses as the commands do; the guide's test checks the values it lists):
# `__all__` lists only these re-exports (mypy's explicit re-export), as in `lifecycle`.
__all__ = ["CATEGORIES", "DATA_FIELDS", "PRIORITIES", "SILENT", "address_in"]

MAX_COMMAND_LINES = 10

# canonical name -> spellings, in the table's order (`command_table.COMMANDS`)
NAMES: dict[str, tuple[str, ...]] = {c.name: c.spellings for c in COMMANDS}
# The answers to a held call's or visit's confirmation request, and to nothing else (SPEC 3, 9).
FORM_ANSWERS = named(Kind.FORM_ANSWER)
_BY_SPELLING = {spelling: name for name, spellings in NAMES.items() for spelling in spellings}
# The commands that act on the case; one of them per message at most.
STATE_COMMANDS = named(Kind.STATE)
# The commands that pass LKPP's answer on to the requester (`#teruskan`, `#permintaan-data`):
# a staff mail that names one needs that answer looked up before it is classified.
RELAYS = tuple(c.name for c in COMMANDS if c.needs == "lkpp_answer")
# The commands that only read the ticket: they change nothing and answer their sender alone,
# whose mail is their confirmation (no `command_ok` for them alone).
READ_ONLY = named(Kind.READS)
SIGNS = ("#", "\uff03")  # the full-width sign is what some phone keyboards type
# "#word", the sign and the word maybe apart, punctuation after the word, then the rest
_LINE = re.compile("[" + "".join(SIGNS) + r"]\s*([^\W\d_][\w-]*)?[:;.,!]*\s*(.*)", re.DOTALL)
# zero-width characters HTML mail leaves in its text (Outlook's &#8203;, a byte-order mark)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def _command_line(line: str) -> str | None:
    """The line as a command line (stripped, invisible characters gone), or None."""
    cleaned = line.translate(_INVISIBLE).strip()
    return cleaned if cleaned.startswith(SIGNS) else None


@dataclass(frozen=True)
class Command:
    name: str  # canonical English name
    arg: str | None = None  # normalised argument: "high", "pengaduan", an address, "silent"
    typed: str = field(default="", compare=False)  # as its sender wrote it, lower-cased: "#eskalasi"

    @property
    def shown(self) -> str:
        """The command as its sender knows it: their spelling, else the Indonesian one."""
        return self.typed or "#" + BY_NAME[self.name].spellings[0]


@dataclass(frozen=True)
class ParsedCommands:
    commands: tuple[Command, ...]
    body: str  # the text after the command lines
    errors: tuple[Refusal, ...]  # one per problem, for `command_error`

    @property
    def state_command(self) -> Command | None:
        return next((c for c in self.commands if c.name in STATE_COMMANDS), None)

    def has(self, name: str) -> bool:
        return any(c.name == name for c in self.commands)


def parse_commands(new_text: str) -> ParsedCommands:
    """Split a staff reply's new text into its command lines and its body."""
    lines = new_text.splitlines()
    read = _read_commands(lines, _commands_start(lines))
    errors = list(read.errors)
    if read.seen <= MAX_COMMAND_LINES:
        errors += _commands_below(lines[read.end:])
    body = "\n".join([*read.notes, *lines[read.end:]]).strip("\n")
    errors += _combination_errors(read.commands)
    return ParsedCommands(read.commands, body.strip(), tuple(errors))


@dataclass(frozen=True)
class _Read:
    """The command lines at the top of a reply, as read."""

    commands: tuple[Command, ...]
    errors: tuple[Refusal, ...]
    notes: tuple[str, ...]  # text on a command line after the command ("#catatan ..."): the body's first lines
    end: int  # the index of the first line that is no command line
    seen: int  # how many command lines were read (one past MAX_COMMAND_LINES at most)


def _read_commands(lines: list[str], index: int) -> _Read:
    """The command lines from `index` on, up to the first other line, MAX_COMMAND_LINES at most."""
    commands: list[Command] = []
    errors: list[Refusal] = []
    notes: list[str] = []
    seen = 0
    while index < len(lines) and (line := _command_line(lines[index])) is not None:
        seen += 1
        index = _next_command(lines, index + 1)
        if seen > MAX_COMMAND_LINES:
            errors.append(Refusal("too_many_lines", value=str(MAX_COMMAND_LINES)))
            break
        command, error, rest = _parse_line(line)
        if error:
            errors.append(error)
        elif command:
            commands.append(command)
            if rest:
                notes.append(rest)
    return _Read(tuple(commands), tuple(errors), tuple(notes), index, seen)


def _combination_errors(commands: tuple[Command, ...]) -> list[Refusal]:
    """One state command per message at most, and no note beside one (SPEC 4)."""
    errors: list[Refusal] = []
    states = [c for c in commands if c.name in STATE_COMMANDS]
    if len(states) > 1:
        errors.append(Refusal("several_states", command=", ".join(c.shown for c in states),
                              value=", ".join(c.name for c in states)))
    if any(BY_NAME[c.name].kind is Kind.NOTE for c in commands) and states:
        errors.append(Refusal("note_with_state", command=states[0].shown, name=states[0].name))
    return errors


def _commands_start(lines: list[str]) -> int:
    """Where reading commands starts: the first line that is not blank, or the known
    command below greeting lines ("Selamat siang Pak,", "Dear all," and a blank line),
    which are then neither commands nor body."""
    first = _after_blanks(lines, 0)
    index = first
    while index < len(lines) and only_greets(lines[index].translate(_INVISIBLE).strip()):
        index = _after_blanks(lines, index + 1)
    if index == first or index == len(lines) or not _known(lines[index]):
        return first
    return index


def command_word(line: str) -> tuple[str, str] | None:
    """A `#` line read as people type it: (its word, lower-cased, "" when it has none; the
    rest of the line), or None for any other line. The word may name no command."""
    cleaned = _command_line(line)
    match = _LINE.match(cleaned) if cleaned is not None else None
    if match is None:
        return None
    return (match.group(1) or "").lower(), match.group(2).strip()


def spelled(names: Iterable[str], table: Mapping[str, tuple[str, ...]] = NAMES) -> re.Pattern[str]:
    """Any spelling of these commands (both languages, any case) anywhere in a text: what a
    shell looks for before the commands are read, taken from the table so that a new
    spelling takes one edit there."""
    words = (spelling for name in names for spelling in table[name])
    return re.compile("(" + "|".join(map(re.escape, words)) + ")", re.IGNORECASE)


def command_name(word: str) -> str | None:
    """The canonical name of a command word in either language ("selesai" -> "resolve")."""
    return _BY_SPELLING.get(word.lower())


def _after_blanks(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].translate(_INVISIBLE).strip():
        index += 1
    return index


def _known(line: str) -> bool:
    """Whether `line` is a command line of a known command word, whatever its argument."""
    return _word(line) in _BY_SPELLING


def _word(line: str) -> str:
    """The command word of a `#` line, lower-cased; "" for any other line."""
    cleaned = _command_line(line)
    match = _LINE.match(cleaned) if cleaned is not None else None
    return (match.group(1) or "").lower() if match is not None else ""


def _commands_below(body: list[str]) -> list[Refusal]:
    """A refusal for each known command below ordinary text: not run, and not relayed."""
    return [Refusal("not_at_top", command=f"#{_word(line)}") for line in body if _known(line)]


def _next_command(lines: list[str], index: int) -> int:
    """Where reading goes on after a command line: past blank lines when a known
    command follows them ("#prioritas tinggi", a blank line, "#eskalasi"); else here,
    so that a `#` line after a paragraph break that names no command stays body text."""
    after = _after_blanks(lines, index)
    if after == index or after == len(lines):
        return index
    return after if _known(lines[after]) else index


def _parse_line(line: str) -> tuple[Command | None, Refusal | None, str]:
    """One `#word args` line -> (command, error, free text that belongs to the body): the
    command's row (`command_table`) reads what follows its word."""
    match = _LINE.match(line)
    word = (match.group(1) or "").lower() if match else ""
    rest = match.group(2).strip() if match else ""
    name = _BY_SPELLING.get(word)
    if name is None:
        shown = word or (line[1:].split() or ["?"])[0]
        return None, Refusal("unknown_command", command=f"#{shown}"), ""
    argument = BY_NAME[name].argument
    if argument is None:  # the rest opens the body
        return Command(name, typed=f"#{word}"), None, rest
    value, problem, body = argument(rest)
    if problem is not None:
        return None, Refusal(problem, command=f"#{word}", value=rest, name=name), ""
    return Command(name, value, typed=f"#{word}"), None, body

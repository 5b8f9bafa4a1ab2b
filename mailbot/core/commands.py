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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from mailbot.core.greetings import only_greets
from mailbot.model import Refusal

MAX_COMMAND_LINES = 10

# canonical name -> spellings
NAMES: dict[str, tuple[str, ...]] = {
    "escalate": ("eskalasi", "escalate"),
    "resolve": ("selesai", "resolve"),
    "close": ("tutup", "close"),
    "note": ("catatan", "note"),
    "priority": ("prioritas", "priority"),
    "category": ("kategori", "category"),
    "assign": ("tugaskan", "assign"),
    "relay": ("teruskan", "relay"),
    "need_info": ("permintaan-data", "need-info"),
    "coordinator": ("koordinator", "coordinator"),
    "data": ("data",),
    "answer": ("jawab", "answer"),
    "send_ack": ("kirim-tanda-terima", "send-ack"),  # issue 37: an ack that waited for staff
    "answer_like": ("jawab-seperti", "answer-like"),  # issue 36: resolve with a solved case's solution
    "history": ("riwayat", "history"),  # issue 45 point 9 (E12h): the ticket's history, to its asker alone
    "open_form": ("buka", "open"),  # issue 44: the explicit yes that opens a held call or visit
    "cancel_form": ("batal", "cancel"),  # issue 44: cancels it (as does any other answer)
    "lpse_support": ("lpse-support",),  # E12e (issue 48): filed by hand in LKPP's LPSE Support; one spelling
    "report_head": ("lapor-kepala", "report-head"),  # E12f (issue 48): the case to the heads of unit
    "request_info": ("minta-data", "request-info"),  # E12g (issue 48): the unit asks the requester for documents
}
# The answers to a held call's or visit's confirmation request, and to nothing else (SPEC 3, 9).
FORM_ANSWERS = frozenset({"open_form", "cancel_form"})
_BY_SPELLING = {spelling: name for name, spellings in NAMES.items() for spelling in spellings}
# The commands that act on the case; one of them per message at most.
STATE_COMMANDS = frozenset({"escalate", "resolve", "close", "relay", "need_info", "coordinator", "answer",
                            "answer_like", "lpse_support", "report_head", "request_info"})
# The commands that pass LKPP's answer on to the requester (`#teruskan`, `#permintaan-data`):
# a staff mail that names one needs that answer looked up before it is classified.
RELAYS = ("relay", "need_info")
# The commands that only read the ticket: they change nothing and answer their sender alone,
# whose mail is their confirmation (no `command_ok` for them alone).
READ_ONLY = frozenset({"history"})
# `#jawab-seperti 2026-00042 [text]`: the solved case's number, then text that opens the body
_CASE_NUMBER = re.compile(r"#?\s*(\d{4})\s*-\s*(\d{1,5})\b[:;.,]*\s*(.*)", re.DOTALL)
# `#lpse-support NOMOR [text]` (E12e): LPSE Support's ticket number as its application shows
# it (letters and digits, dashes, dots or slashes between, a digit somewhere: "2611004217",
# "LS-2026-004321", as ticket systems write them, issue 59), then text that opens the body
_SUPPORT_NUMBER = re.compile(r"(?:no(?:mor)?\.?|number|tiket|ticket)?\s*[:#]?\s*"
                             r"((?=[A-Za-z0-9./-]*\d)[A-Za-z0-9]+(?:[-./][A-Za-z0-9]+)*)[:;.,]*(?:\s+(.*))?$",
                             re.DOTALL | re.IGNORECASE)
# `#data FIELD VALUE`: the consultation form's fields (seed 003), Indonesian and English.
DATA_FIELDS = {"nama": "name", "name": "name", "instansi": "organisation", "perusahaan": "organisation",
               "organisation": "organisation", "organization": "organisation", "company": "organisation",
               "alamat": "address", "address": "address", "telepon": "phone", "telp": "phone", "hp": "phone",
               "phone": "phone"}

PRIORITIES = {"tinggi": "high", "sedang": "normal", "rendah": "low", "high": "high", "normal": "normal", "low": "low"}
CATEGORIES = {
    "pengaduan": "pengaduan", "pertanyaan": "pertanyaan", "konsultasi": "konsultasi",
    "complaint": "pengaduan", "question": "pertanyaan", "consultation": "konsultasi",
}
SILENT = ("diam", "silent")
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
SIGNS = ("#", "\uff03")  # the full-width sign is what some phone keyboards type
# "#word", the sign and the word maybe apart, punctuation after the word, then the rest
_LINE = re.compile("[" + "".join(SIGNS) + r"]\s*([^\W\d_][\w-]*)?[:;.,!]*\s*(.*)", re.DOTALL)
# zero-width characters HTML mail leaves in its text (Outlook's &#8203;, a byte-order mark)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_TRAILING = ".,;:!"


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
        return self.typed or "#" + NAMES[self.name][0]


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
    if any(c.name == "note" for c in commands) and states:
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


def address_in(text: str) -> str | None:
    """The one e-mail address a value holds, written as mail clients and address books do
    (`budi@x.id`, `<budi@x.id>`, `Budi <budi@x.id>`, `mailto:`), lower-cased; else None."""
    return _address(text)


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
    """One `#word args` line -> (command, error, free text that belongs to the body)."""
    match = _LINE.match(line)
    word = (match.group(1) or "").lower() if match else ""
    rest = match.group(2).strip() if match else ""
    name = _BY_SPELLING.get(word)
    if name is None:
        shown = word or (line[1:].split() or ["?"])[0]
        return None, Refusal("unknown_command", command=f"#{shown}"), ""
    if name == "answer_like":
        return _answer_like(word, rest)
    if name == "lpse_support":
        return _lpse_support(word, rest)
    argument = _ARGUMENTS.get(name)
    if argument is None:  # escalate / resolve / note / coordinator / answer: the rest opens the body
        return Command(name, typed=f"#{word}"), None, rest
    value, problem = argument(rest, rest.rstrip(_TRAILING).strip().lower())  # "#prioritas tinggi." is "tinggi"
    if problem is not None:
        return None, Refusal(problem, command=f"#{word}", value=rest, name=name), ""
    return Command(name, value, typed=f"#{word}"), None, ""


def _answer_like(word: str, rest: str) -> tuple[Command | None, Refusal | None, str]:
    """`#jawab-seperti 2026-00042 [text]`: the solved case's number, then text that opens the body."""
    case = _CASE_NUMBER.match(rest)
    if case is None:
        return None, Refusal("answer_like_value", command=f"#{word}", value=rest, name="answer_like"), ""
    number = f"{case.group(1)}-{int(case.group(2)):05d}"
    return Command("answer_like", number, typed=f"#{word}"), None, case.group(3).strip()


def _lpse_support(word: str, rest: str) -> tuple[Command | None, Refusal | None, str]:
    """`#lpse-support 12345 [text]`: the number LPSE Support gave the case staff filed there,
    kept as written (it is LKPP's reference), then text that opens the body."""
    found = _SUPPORT_NUMBER.match(rest.strip())
    if found is None or len(found.group(1)) > 40:
        return None, Refusal("lpse_support_value", command=f"#{word}", value=rest, name="lpse_support"), ""
    return Command("lpse_support", found.group(1), typed=f"#{word}"), None, (found.group(2) or "").strip()


# A command's argument -> (normalised value, None) or (None, the code of what it needs,
# a `Refusal` code). Each is given the argument as written and as a lower-cased word without trailing punctuation.
_Argument = Callable[[str, str], tuple[str | None, str | None]]


def _one_of(table: dict[str, str], needs: str) -> _Argument:
    def read(rest: str, word: str) -> tuple[str | None, str | None]:
        value = table.get(word)
        return (value, None) if value is not None else (None, needs)
    return read


def _assignee(rest: str, word: str) -> tuple[str | None, str | None]:
    address = _address(rest)
    return (address, None) if address is not None else (None, "assign_value")


def _close_how(rest: str, word: str) -> tuple[str | None, str | None]:
    if not word:
        return None, None
    return ("silent", None) if word in SILENT else (None, "close_value")


def _nothing(rest: str, word: str) -> tuple[str | None, str | None]:
    return (None, "no_argument") if word else (None, None)


def _form_field(rest: str, word: str) -> tuple[str | None, str | None]:
    field, _, value = rest.partition(" ")
    key = DATA_FIELDS.get(field.lower().strip(":"))
    if key is None or not value.strip():
        return None, "data_value"
    return f"{key}={value.strip()[:200]}", None


_ARGUMENTS: dict[str, _Argument] = {
    "priority": _one_of(PRIORITIES, "priority_value"),
    "category": _one_of(CATEGORIES, "category_value"),
    "assign": _assignee,
    "close": _close_how,
    "relay": _nothing,
    "need_info": _nothing,
    "history": _nothing,  # always this ticket's: a number after it is refused, not ignored
    "data": _form_field,
}


def _address(text: str) -> str | None:
    """The address in `budi@x.id`, `<budi@x.id>`, `Budi <budi@x.id>` or Outlook's
    `budi@x.id<mailto:budi@x.id>`, lower-cased; None when there is none."""
    inside: list[str] = re.findall(r"<([^<>]*)>", text)
    for candidate in (*inside, text):
        address = candidate.strip()
        if address[:7].lower() == "mailto:":
            address = address[7:]
        address = address.strip().rstrip(_TRAILING).lower()
        if _ADDRESS.match(address):
            return address
    return None

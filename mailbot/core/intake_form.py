"""A phone call or a visit as staff write it down: the consultation form in a mail (SPEC 3). Pure.

Seed 003 (and seed 000, seed 004 section 1 for visitors) has the helpdesk fill in the
"Formulir Konsultasi" while the caller talks: Hari/Tanggal and Waktu; A. the caller's
Nama, Nama Instansi/Perusahaan, Alamat, Nomor Telepon/HP; B. Permasalahan; C.
Jawaban/Solusi. Staff send it to the unit address as a new mail whose first line is
`#telepon` / `#phone` or `#datang` / `#visit` (`opening`), and `read_form` reads the rest.

It is read as people type it, not as the paper lays it out: labels in any order, in any
case, with or without a colon (or "=", a dash, dot leaders), list markers ("a. Nama :"),
bold marks, values over several lines, and tables pasted from Word or Excel (tab- or
pipe-separated), as label/value rows or as a header row over a row of values (a row of
the unit's recap). The labels are data (`rules/intake.yaml`, `IntakeWords`).

Where a colon is missing, a label is a label only where it cannot be the problem's own
words: inside the free text of Permasalahan or Jawaban a line "Jawaban dari LKPP belum
ada" stays text, and only a label alone on its line, or one with a colon, or a phone,
e-mail, date or time in the shape of one, starts another field. Lines that belong to no
label are the problem when no Permasalahan is labelled, else kept as a note: nothing
staff wrote is dropped. A date and time of the call ("Waktu:", "Tanggal:") are read in
Indonesian and English ways of writing them, in the unit's zone unless WIB/WITA/WIT
says otherwise (`core/calltime`: the ways are a table there).

`_Reader` reads the form a line at a time: a line goes to the first of its line readers
that takes it (blank, `#` command, table row, heading, a lone colon, a label), else it is
more of the field being filled.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo

from mailbot.core.calltime import Written, called_at, read_when
from mailbot.core.commands import (
    CATEGORIES,
    Command,
    address_in,
    command_name,
    command_word,
    parse_commands,
)
from mailbot.core.greetings import only_greets
from mailbot.core.identity import is_signature
from mailbot.core.own_signature import Writer, signed_below
from mailbot.model import Contact, Refusal

CHANNELS = ("email", "telepon", "datang")  # how a ticket came in: by mail, by phone, in person
FIELDS = ("name", "organisation", "address", "phone", "email", "problem", "answer", "date", "time", "category",
          "queue", "rating", "ignore")
FREE_TEXT = frozenset({"problem", "answer"})  # paragraphs: blank lines inside them
MULTILINE = FREE_TEXT | {"organisation", "address"}  # a value may go on over the next lines
# Commands that may stand right below `#telepon`: set on the new ticket as on any (E11).
# `#selesai` there (or anywhere in the form) says the caller was answered on the spot.
WITH_INTAKE = frozenset({"priority", "category", "assign"})
SIGNATURE_LINES = 6  # a closing and the name, position and office below it, at most
SHORT_LIMIT = 200  # characters of a name, agency, address or phone number kept (as `#data` does)

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None) | {0xa0: " ", 0x202f: " "}
# A list marker or a section letter before a label: "a. Nama", "B. PERMASALAHAN", "1) Nama", "- Nama"
_MARKER = re.compile(r"^(?:\s*(?:[-*\u2022\u00b7>\u2013\u2014]+|\(?(?:[a-z]|\d{1,2}|[ivx]{1,4})[.)])(?=\s|$)\s*)+",
                     re.IGNORECASE)
_MARKER_CELL = re.compile(r"^\(?(?:[a-z]|\d{1,2}|[ivx]{1,4})[.)]?$|^[-*\u2022:]+$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^[:\uff1a=]+$")  # a cell that only separates a label from its value
_TABLE_RULE = re.compile(r"^[\s|:+=-]+$")  # "|---|:---|" under a Markdown header, "+----+" borders
# A real address: atoms, a domain of labels, a top-level domain of letters.
_EMAIL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PHONE = re.compile(r"^[+(]?\d[\d\s().+/-]{4,}\d(?:\s*(?:ext\.?|ext|x)\s*\d+)?$", re.IGNORECASE)


@dataclass(frozen=True)
class IntakeWords:
    """The words of the form (`rules/intake.yaml`): labels per field, and what dates say."""

    channels: tuple[tuple[str, tuple[str, ...]], ...]  # channel -> command words ("telepon": "telepon", "phone")
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # field -> labels
    headings: tuple[str, ...] = ()
    none: tuple[str, ...] = ()  # "-", "tidak ada": the field is empty
    months: tuple[tuple[int, tuple[str, ...]], ...] = ()
    weekdays: tuple[str, ...] = ()
    zones: tuple[tuple[str, int], ...] = ()  # "wib" -> 7 (hours east of UTC)
    days_before: tuple[tuple[str, int], ...] = ()  # "kemarin" -> 1
    afternoon: tuple[str, ...] = ()  # "sore": an hour before 12 is after noon
    midday: tuple[str, ...] = ()  # "siang": an hour before 6 is after noon
    sign_offs: tuple[str, ...] = ()  # "salam", "terima kasih": the sender's closing below the form

    def channel_of(self, word: str) -> str | None:
        word = word.lower()
        return next((channel for channel, words in self.channels if word in words), None)

    @functools.cached_property
    def _labels(self) -> tuple[re.Pattern[str], dict[str, str]]:
        by_key = {_key(label): name for name, labels in self.fields for label in labels}
        alternatives = sorted({_pattern(label) for _name, labels in self.fields for label in labels},
                              key=len, reverse=True)
        line = re.compile(
            r"^\**(?P<label>" + "|".join(alternatives) + r")(?![^\W_])\**"
            r"(?P<sep>\s*\.{2,}\s*[:\uff1a=]?|\s*[:\uff1a=]|\s+[-\u2013\u2014]+(?=\s|$)|)\**\s*(?P<value>.*)$",
            re.IGNORECASE | re.DOTALL)
        return line, by_key

    @functools.cached_property
    def _month_of(self) -> dict[str, int]:
        return {word: number for number, words in self.months for word in words}

    @functools.cached_property
    def _plain_sets(self) -> tuple[frozenset[str], frozenset[str], dict[str, int]]:
        return (frozenset(_key(h) for h in self.headings), frozenset(_key(n) for n in self.none),
                {z.lower(): hours for z, hours in self.zones})

    def label(self, line: str) -> tuple[str, str, str, str] | None:
        """(field, the label as typed, its separator, the value) when the line starts with a label."""
        pattern, by_key = self._labels
        match = pattern.match(line)
        if match is None:
            return None
        name = by_key.get(_key(match.group("label")))
        if name is None:  # pragma: no cover - every alternative comes from a label
            return None
        return name, match.group("label").strip(), match.group("sep").strip(), match.group("value").strip()

    def heading(self, line: str) -> bool:
        return _key(line) in self._plain_sets[0]

    def is_none(self, value: str) -> bool:
        return _key(value) in self._plain_sets[1]

    def is_sign_off(self, line: str) -> bool:
        return re.sub(r"[^\w]+", " ", line.lower()).strip() in self.sign_offs

    def month(self, word: str) -> int | None:
        return self._month_of.get(word.lower().rstrip("."))

    def zone(self, word: str) -> int | None:
        return self._plain_sets[2].get(word.lower())


def _key(text: str) -> str:
    """A label as compared: lower case, without white space, full stops and markers."""
    return re.sub(r"[\s.*_:]+", "", text.lower())


def _pattern(label: str) -> str:
    """A label as a pattern: "No. HP" matches "no hp", "No.HP" and "NO HP"; "Instansi/Perusahaan"
    matches "Instansi / Perusahaan"."""
    parts = [p for p in re.split(r"(/)|[\s.]+", label.strip().lower()) if p]
    out: list[str] = []
    for part in parts:
        if part == "/":
            out.append(r"\s*/\s*")
            continue
        if out and not out[-1].endswith("/\\s*"):
            out.append(r"[\s.]*")
        out.append(re.escape(part))
    return "".join(out)


@dataclass(frozen=True)
class Form:
    """The consultation form as read; `errors` say which field to fix (nothing is opened then)."""

    contact: Contact = field(default_factory=Contact)
    email: str = ""  # the caller's address, "" when none was given
    problem: str = ""
    answer: str | None = None  # the answer given on the spot; None: not answered yet
    called_at: datetime | None = None  # when the call or visit was, if the form says; else the mail's time
    category: str | None = None
    notes: str = ""  # lines that belong to no field (besides the problem): kept as an internal note
    commands: tuple[Command, ...] = ()  # `#prioritas`, `#kategori`, `#tugaskan` below `#telepon`
    errors: tuple[Refusal, ...] = ()
    queue: str = ""  # a walk-in's `Nomor Antrian` (seed 004 section 1 step 2)
    rating: int | None = None  # `Nilai: 1-5`, the caller's or visitor's rating of the service (seed 002)

    @property
    def answered(self) -> bool:
        return self.answer is not None


def opening(text: str, words: IntakeWords) -> tuple[str, str, str] | None:
    """(channel, the command as typed, the text below it) when the first line of `text` (a
    greeting line aside, as above any command) is `#telepon`, `#datang` or their spellings."""
    lines = text.splitlines()
    index = _next_filled(lines, 0)
    if index < len(lines) and only_greets(lines[index].translate(_INVISIBLE).strip()) \
            and command_word(lines[index]) is None:
        index = _next_filled(lines, index + 1)
    if index >= len(lines):
        return None
    found = command_word(lines[index])
    channel = words.channel_of(found[0]) if found else None
    if found is None or channel is None:
        return None
    rest = "\n".join(([found[1]] if found[1] else []) + lines[index + 1:])
    return channel, "#" + found[0], rest


def _next_filled(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].translate(_INVISIBLE).strip():
        index += 1
    return index


_Label = tuple[str, str, str, str]  # a label found: field, the label as typed, its separator, the value


class _Reader:
    """The form read line by line: the field being filled, and what each field holds."""

    def __init__(self, words: IntakeWords) -> None:
        self.words = words
        self.values: dict[str, list[str]] = {}
        self.typed: dict[str, str] = {}  # field -> its label as staff typed it, for refusals
        self.current: str | None = None
        self.orphans: list[str] = []
        self.header: list[tuple[str, str] | None] | None = None  # a pasted table's header: (field, label) per column
        self.rows = 0
        self.resolve = False
        self.errors: list[Refusal] = []

    def line(self, raw: str) -> None:
        """One line of the form: the first of these readers that takes it, else it is more of
        the field being filled (`more`). Each reader is given the line, and the line without
        its list marker ("a. Nama :" -> "Nama :")."""
        line = raw.translate(_INVISIBLE).rstrip()
        bare = _unmarked(line.strip())
        for reader in (self.blank_line, self.command_line, self.table_row, self.heading, self.colon_cell,
                       self.labelled):
            if reader(line, bare):
                return
        self.more(line)

    # --- the line readers, in the order `line` asks them --------------------------------------

    def blank_line(self, line: str, bare: str) -> bool:
        """A blank line: it ends a pasted table whose row of values was read (not one between
        the header and its row), and a field that is not free text (`blank`)."""
        if line.strip():
            return False
        if self.header is not None and self.rows:
            self.header = None
        self.blank()
        return True

    def command_line(self, line: str, bare: str) -> bool:
        """A `#` line in the form: `#selesai` opens the answer; another known command cannot
        run here; a `#` line that names no command is text ("#1 buka menu")."""
        found = command_word(line)
        if found is None:
            return False
        word, rest = found
        name = command_name(word)
        if name == "resolve":
            self.resolve = True
            self.put("answer", "#" + word, rest)
            return True
        if name is not None:  # below the form's first line: not where commands go
            code = "not_at_top" if name in WITH_INTAKE else "intake_command"
            self.errors.append(Refusal(code, command="#" + word))
            return True
        return False

    def table_row(self, line: str, bare: str) -> bool:
        """A row of a table pasted from Word or Excel, tab- or pipe-separated (`table`); any
        other line ends the table."""
        if ("\t" in line or "|" in line) and self.table(line):
            return True
        self.header = None
        return False

    def heading(self, line: str, bare: str) -> bool:
        """The paper form's title or a section heading ("B. PERMASALAHAN"): no data, and the
        end of the field above it."""
        if not (self.words.heading(bare) or self.words.heading(line)):
            return False
        self.current = None
        return True

    def colon_cell(self, line: str, bare: str) -> bool:
        """The colon cell of a form pasted as one cell per line: the label still waits."""
        return self.awaiting() and bool(_SEPARATOR.match(bare))

    def labelled(self, line: str, bare: str) -> bool:
        """A line that starts with a label, read as that field where it is one (`takes`)."""
        found = self.words.label(bare)
        if found is None or self.is_awaited_value(found) or not self.takes(found):
            return False
        name, typed, sep, value = found
        if name in FREE_TEXT and not sep and value:
            value = bare  # "Masalah tidak bisa login": the label word is part of the sentence
        self.put(name, typed, value)
        return True

    # --- what a line does to the fields ---------------------------------------------------------

    def is_awaited_value(self, found: _Label) -> bool:
        """Whether a line that starts with the waiting field's own label, without a colon, is
        its value: "Perusahaan Daerah Air Minum" under "Instansi"."""
        name, _typed, sep, value = found
        return self.awaiting() and name == self.current and not sep and bool(value)

    def takes(self, found: _Label) -> bool:
        """Whether a line that starts with a label is that field (see the module docstring):
        with a colon or alone on its line it is; without one, where its value has the field's
        shape (`_shape`), or for a field of free words, outside the free text of another."""
        name, _typed, sep, value = found
        if sep or not value:
            return True
        shaped = _shape(name, value, self.words)
        return shaped if shaped is not None else self.current not in FREE_TEXT

    def put(self, name: str, typed: str, value: str) -> None:
        """A label and the value on its line: a new field, or more of a free text one; a second
        value of a field that holds one is kept, as a note."""
        self.typed.setdefault(name, typed)
        held = self.values.setdefault(name, [])
        if name == "ignore":  # "Pemberi Penjelasan", "Petugas": the sender is who took the call
            held.append(value)
        elif name not in FREE_TEXT and _filled(held):
            self.current = None
            if value:
                self.orphans.append(f"{typed}: {value}")
            return
        elif not held:
            held.append(value)
        elif value:
            held += ["", value]  # the label again in free text: a new paragraph of it
        self.current = name

    def awaiting(self) -> bool:
        """Whether the field being filled has its label and no value yet: "Nama" alone on its
        line, its value further down (a Word table in an HTML mail: one cell per paragraph)."""
        return (self.current is not None and self.current != "ignore"
                and not _filled(self.values.get(self.current, [])))

    def more(self, line: str) -> None:
        """A line that names no field: more of the field being filled, else a stray line."""
        if self.current in MULTILINE or self.awaiting():
            assert self.current is not None
            self.values[self.current].append(line.strip())
        else:
            self.current = None
            if re.search(r"[^\W_]", line):  # "(          )", a rule: the paper form's lines, no data
                self.orphans.append(line.strip())

    def blank(self) -> None:
        if self.awaiting():
            return  # "Nama", a blank line, ":" or the value: the label still waits for it
        if self.current in FREE_TEXT:
            self.values[self.current].append("")
        else:
            self.current = None
            if self.orphans and self.orphans[-1]:
                self.orphans.append("")

    # --- a pasted table ---------------------------------------------------------------------

    def table(self, line: str) -> bool:
        """A row of a pasted table: a border, a header row, a row of values under it, or a
        label/value row; False for a row that starts with no label (no table of the form)."""
        cells = _cells(line)
        filled = [c for c in cells if c and not _MARKER_CELL.match(c)]
        if _TABLE_RULE.match(line) or not filled:
            return True  # a border ("|---|", "+----+"), or a row of empty cells and markers
        header = self.header_of(cells)
        if header is not None:
            self.header, self.rows, self.current = header, 0, None
            return True
        if self.header is not None:
            self.values_row(self.header, cells)
            return True
        return self.label_row(filled)

    def header_of(self, cells: list[str]) -> list[tuple[str, str] | None] | None:
        """The row as a header, (field, label as typed) per column: two cells or more that
        are labels alone, none a label with its value."""
        labels = [self.words.label(_unmarked(c)) for c in cells]
        if any(found is not None and found[3] for found in labels):
            return None
        columns = [(found[0], found[1]) if found is not None else None for found in labels]
        return columns if sum(1 for c in columns if c is not None) >= 2 else None

    def values_row(self, header: list[tuple[str, str] | None], cells: list[str]) -> None:
        """The row of values under a header (a row of the unit's recap). A form is one call:
        a second row is refused."""
        self.rows += 1
        if self.rows > 1:
            self.errors.append(Refusal("intake_rows", value=str(self.rows)))
            return
        for column, cell in zip(header, cells, strict=False):
            if column is not None and cell:
                self.put(column[0], column[1], cell)
        self.current = None

    def label_row(self, filled: list[str]) -> bool:
        """A label and its value in the row's cells ("Nama | : | Budi")."""
        first = self.words.label(_unmarked(filled[0]))
        if first is None:
            return False
        name, typed, _sep, value = first
        rest = [_unsep(c) for c in filled[1:]]
        self.put(name, typed, " ".join(v for v in (value, *rest) if v))
        return True

    # --- the values read ----------------------------------------------------------------------

    def text(self, name: str, joiner: str = " ") -> str:
        """A field's value: its lines joined by `joiner` (by "\\n": paragraphs), "" where it
        says there is none ("-", "tidak ada")."""
        lines = [v.strip() for v in self.values.get(name, [])]
        text = joiner.join(v for v in lines if v) if joiner != "\n" else _paragraphs(lines)
        return "" if self.words.is_none(text) else text

    def short(self, name: str, joiner: str = " ") -> str:
        return self.text(name, joiner)[:SHORT_LIMIT]

    def when_written(self) -> list[Written]:
        """The form's Tanggal and Waktu, those left empty or saying none aside."""
        written = []
        for name in ("date", "time"):
            text = " ".join(v.strip() for v in self.values.get(name, []) if v.strip())
            if text and not self.words.is_none(text):
                written.append(Written(self.typed.get(name, name), text, time_field=name == "time"))
        return written

    def when_shown(self) -> str:
        """The form's Tanggal and Waktu as staff wrote them, for a refusal of the two."""
        return " ".join(" ".join(v.strip() for v in self.values.get(name, [])) for name in ("date", "time")).strip()


def _unmarked(text: str) -> str:
    """A line or cell without the list marker or section letter before its label (unless
    that is all it is)."""
    return _MARKER.sub("", text) or text


def _filled(held: list[str]) -> bool:
    return any(v.strip() for v in held)


def _cells(line: str) -> list[str]:
    if "|" in line:
        inner = line.strip()
        inner = inner.removeprefix("|")
        inner = inner.removesuffix("|")
        return [c.strip() for c in inner.split("|")]
    return [c.strip() for c in line.split("\t")]


def _unsep(cell: str) -> str:
    """A value cell without the colon a Word form puts before it ("Nama | : | Budi")."""
    return re.sub(r"^[:\uff1a=]+\s*", "", cell).strip()


def _shape(name: str, value: str, words: IntakeWords) -> bool | None:
    """For a label without a colon: whether the value has its field's shape (a phone number,
    an address, a date or time); None for fields of free words (name, agency, problem)."""
    if name == "phone":
        return bool(_PHONE.match(value))
    if name == "email":
        return address_in(value) is not None
    if name in ("date", "time"):
        found = read_when(value, words, hour_alone=name == "time")
        return found.says_when and not found.leftover
    if name == "queue":
        return bool(_QUEUE.match(value))
    if name == "rating":
        return rating_of(value) is not None
    return None


# A queue number as a counter's machine prints it: "12", "A-012", "B 7", "A12".
_QUEUE = re.compile(r"^[A-Za-z]{0,3}[-\s.]?\d{1,4}$")
_RATING = re.compile(r"^\s*([1-5])(?:[.,]0)?(?:\s*(?:/|dari|of|out of)\s*5)?(?![\d/.,]?\d)", re.IGNORECASE)
_RATING_WORDS = {"satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "one": 1, "two": 2, "three": 3, "four": 4,
                 "five": 5}


def rating_of(value: str) -> int | None:
    """A rating 1-5 as staff write what the caller said: "5", "4/5", "4 dari 5", "5 (sangat
    puas)", "lima"; None for anything else."""
    found = _RATING.match(value)
    if found is not None:
        return int(found.group(1))
    word = re.match(r"^\s*([^\W\d_]+)", value)
    return _RATING_WORDS.get(word.group(1).lower()) if word else None


def read_form(text: str, words: IntakeWords, received_at: datetime, tz: tzinfo,
              writer: Writer | None = None) -> Form:
    """The form below `#telepon` / `#datang` (`opening`); `received_at`: when the mail
    arrived, which a time without a date and a date without a year are read against;
    `writer`: the staff member who sent it, whose signature under the form is no field."""
    lines = _without_closing(text.splitlines(), words, writer or Writer())
    top, start = _top_commands(lines)
    reader = _Reader(words)
    commands, reader.errors = _intake_commands(top)
    for line in lines[start:]:
        reader.line(line)
    return _form(reader, commands, received_at, tz)


def _intake_commands(top: list[str]) -> tuple[tuple[Command, ...], list[Refusal]]:
    """The commands right below `#telepon` that are set on the new ticket (`WITH_INTAKE`),
    and the refusals of the others."""
    if not top:
        return (), []
    parsed = parse_commands("\n".join(top))
    refused = [Refusal("intake_command", command=c.shown) for c in parsed.commands if c.name not in WITH_INTAKE]
    return tuple(c for c in parsed.commands if c.name in WITH_INTAKE), [*parsed.errors, *refused]


def _without_closing(lines: list[str], words: IntakeWords, writer: Writer) -> list[str]:
    """The form without the sender's closing in its last paragraph ("Salam,\\nAndi",
    "Terima kasih,\\nAndi Helpdesk\\nLPSE Kota Batam", a signature block), or right under its
    last field (`_signed_under_field`): it is no part of the caller's problem, answer or notes."""
    start, end = _last_paragraph(lines)
    block = [_visible(line) for line in lines[start:end]]
    if start and _is_closing(block, words):
        return lines[:start]
    signed = _signed_under_field(lines[:end], words, writer)
    return lines[:signed] if signed is not None else lines


# The fields a signature's own lines may name: its phone ("Telp. 0778-123456", "HP 0812..."),
# its e-mail, the writer's post ("Petugas Helpdesk LPSE").
_SIGNATURE_FIELDS = frozenset({"phone", "email", "ignore"})


def _field_line(line: str, words: IntakeWords) -> bool:
    """A line the form reads as a field: a label with its colon ("Email: rina@..."), or a label
    a signature has no line of ("Nama Rina"). A signature's own "Telp. 0778-123456" is none."""
    label = words.label(_unmarked(_visible(line)))
    return label is not None and (bool(label[2]) or label[0] not in _SIGNATURE_FIELDS)


def _signed_under_field(lines: list[str], words: IntakeWords, writer: Writer) -> int | None:
    """Where the sender's signature starts right under the form's last field, with no blank
    line between ("Waktu: 09.15" over "Salam,", "Andi"; "Nilai: 5" over "Andi Pratama",
    "Helpdesk LPSE Kota Uji"; as aerc and NeoMutt append a signature file and as staff sign by
    hand), or None. A field line with its value ends what is written above it, as a sentence
    does (`own_signature.signed_below` reads the lines below it whole); the signature's own
    lines may name a phone or an e-mail without a colon, never a field of the form."""
    filled = [i for i, line in enumerate(lines) if _visible(line)]
    for i in filled[-(SIGNATURE_LINES + 1):-1]:
        found = words.label(_unmarked(_visible(lines[i])))
        if found is None or not found[3]:
            continue
        below = lines[i + 1:]
        if any(_field_line(line, words) for line in below):
            continue
        start = signed_below([_visible(line) for line in below], writer)
        if start is not None:
            return i + 1 + start
    return None


def _last_paragraph(lines: list[str]) -> tuple[int, int]:
    """Where the last paragraph starts and ends (blank lines below it aside)."""
    end = len(lines)
    while end and not _visible(lines[end - 1]):
        end -= 1
    start = end
    while start and _visible(lines[start - 1]):
        start -= 1
    return start, end


def _is_closing(block: list[str], words: IntakeWords) -> bool:
    """Whether a paragraph is a sign-off with a few lines under it, or a signature. One with
    a label of the form is never a closing."""
    if not block or any(words.label(_unmarked(line)) for line in block):
        return False
    return (words.is_sign_off(block[0]) and len(block) <= SIGNATURE_LINES) or is_signature(block, "")


def _visible(line: str) -> str:
    """A line without invisible characters and the white space around it."""
    return line.translate(_INVISIBLE).strip()


def _top_commands(lines: list[str]) -> tuple[list[str], int]:
    """The command lines right below `#telepon` (blank lines between them aside), and where
    the form starts. `#selesai` is read with the form: its text is the answer."""
    top: list[str] = []
    index = 0
    while index < len(lines):
        line = _visible(lines[index])
        if line:
            found = command_word(line)
            if found is None or command_name(found[0]) == "resolve":
                break
            top.append(line)  # a known command, or an unknown `#word`, refused as in any reply
        index += 1
    return top, index


def _form(reader: _Reader, commands: tuple[Command, ...], received_at: datetime, tz: tzinfo) -> Form:
    """The fields read as a form, and what is refused in them, in the order of the form."""
    problem, notes = reader.text("problem", "\n"), _paragraphs(reader.orphans)
    if not problem and notes:
        problem, notes = notes, ""  # lines under no label are the problem when none is labelled
    answer = reader.text("answer", "\n") or ("" if reader.resolve else None)  # `#selesai` alone: answered
    email, email_refused = _email(reader)
    category, category_refused = _category(reader)
    rating, rating_refused = _rating(reader)
    called, time_refused = called_at(reader.when_written(), reader.when_shown(), reader.words, received_at, tz)
    errors = [*reader.errors, *([] if problem else [Refusal("intake_problem")]), *email_refused,
              *category_refused, *rating_refused, *time_refused]
    contact = Contact(reader.short("name"), reader.short("organisation", ", "), reader.short("address", ", "),
                      reader.short("phone"))
    return Form(contact, email, problem, answer, called, category, notes, commands, tuple(errors),
                queue=reader.short("queue"), rating=rating)


def _rating(reader: _Reader) -> tuple[int | None, list[Refusal]]:
    """`Nilai`: the caller's rating 1-5 (seed 002), as `rating_of` reads it."""
    written = reader.text("rating")
    if not written:
        return None, []
    rating = rating_of(written)
    if rating is None:
        return None, [Refusal("intake_rating", command=reader.typed.get("rating", "Nilai"), value=written)]
    return rating, []


def _email(reader: _Reader) -> tuple[str, list[Refusal]]:
    """The caller's address: of "budi@x.id (pribadi)" or "budi@x.id / budi@y.id", the first
    address written."""
    written = reader.text("email")
    if not written:
        return "", []
    candidate = next((t for t in re.split(r"[\s,;/]+", written) if "@" in t), written)
    found = address_in(candidate) or address_in(written)
    if found is None or not _EMAIL.match(found):
        return "", [Refusal("intake_email", command=reader.typed.get("email", "Email"), value=written)]
    return found, []


def _category(reader: _Reader) -> tuple[str | None, list[Refusal]]:
    """The category written, as `#kategori` names them."""
    written = reader.text("category")
    if not written:
        return None, []
    category = CATEGORIES.get(written.lower().rstrip("."))
    if category is None:
        return None, [Refusal("intake_category", command=reader.typed.get("category", "Kategori"), value=written)]
    return category, []


def _paragraphs(lines: Iterable[str]) -> str:
    """Lines as text, runs of blank lines folded to one, none at either end."""
    kept: list[str] = []
    for line in lines:
        line = line.strip()
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()


def form_detail(form: Form) -> dict[str, object]:
    """The form as the ticket's history keeps it (and a held intake, SPEC 9, waits with)."""
    return {
        "name": form.contact.name, "organisation": form.contact.organisation, "address": form.contact.address,
        "phone": form.contact.phone, "email": form.email, "problem": form.problem, "answer": form.answer,
        "called_at": form.called_at.isoformat() if form.called_at else None, "category": form.category,
        "notes": form.notes, "commands": [[c.name, c.arg, c.typed] for c in form.commands],
        "queue": form.queue, "rating": form.rating,
    }


def form_of(detail: Mapping[str, object]) -> Form:
    """`form_detail` read back."""
    def text(key: str) -> str:
        value = detail.get(key)
        return value if isinstance(value, str) else ""

    answer = detail.get("answer")
    called = detail.get("called_at")
    commands = detail.get("commands")
    return Form(
        Contact(text("name"), text("organisation"), text("address"), text("phone")), text("email"), text("problem"),
        answer if isinstance(answer, str) else None,
        datetime.fromisoformat(called) if isinstance(called, str) and called else None,
        text("category") or None, text("notes"),
        tuple(Command(str(c[0]), c[1] if isinstance(c[1], str) else None, typed=str(c[2]))
              for c in commands if isinstance(c, list) and len(c) == 3) if isinstance(commands, list) else (),
        queue=text("queue"), rating=rating if isinstance(rating := detail.get("rating"), int) else None)


@dataclass(frozen=True)
class Consultation:
    """A consultation by phone or in person that opens a ticket (seed 003's "Formulir
    Konsultasi"): its form, who took it, when it was."""

    channel: str  # telepon | datang
    typed: str  # the command as staff typed it: "#telepon", "#visit"
    form: Form
    staff: str  # who took the call (the mail's sender)
    called_at: datetime  # the form's time, else the mail's arrival: where the ticket's timers start
    number: str | None = None  # a held intake's reserved number (SPEC 9), once its sender confirms it
    adopt: tuple[str, ...] = ()  # a held intake's form mail and notice: they go on the ticket when it opens

    def detail(self) -> dict[str, object]:
        """What a held intake waits with, in the history (`intake_held`)."""
        return {**form_detail(self.form), "channel": self.channel, "typed": self.typed, "staff": self.staff,
                "called_at": self.called_at.isoformat()}


@dataclass(frozen=True)
class HeldForm:
    """A call or visit held under a reserved number (SPEC 3, 9), neither opened by its
    sender's `#buka` nor cancelled: still waiting, never forgotten."""

    number: str
    held_at: datetime  # when mailbot read its form and asked its sender to confirm it
    intake: Consultation
    reminded: bool = False  # its sender was asked again (`intake_reminded`)


def held_intake(detail: Mapping[str, object], notice: str) -> Consultation | None:
    """A held intake read back from its `intake_held` record; `notice`: the Message-ID of the
    mail that asked its sender to confirm it."""
    channel, called, number = detail.get("channel"), detail.get("called_at"), detail.get("number")
    if channel not in CHANNELS or not isinstance(called, str) or not isinstance(number, str):
        return None
    form = replace(form_of(detail), called_at=datetime.fromisoformat(called))
    message_id = detail.get("message_id")
    return Consultation(str(channel), str(detail.get("typed") or "#" + str(channel)), form,
                        str(detail.get("staff") or ""), datetime.fromisoformat(called), number,
                        tuple(m for m in (message_id, notice) if isinstance(m, str) and m))


def title_of(problem: str, limit: int = 100) -> str:
    """A ticket's subject from the problem: its first line, cut at a word to `limit`."""
    first = next((line.strip() for line in problem.splitlines() if line.strip()), "")
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return (cut if len(cut) > limit // 2 else first[:limit]).rstrip(" ,.;:") + "…"

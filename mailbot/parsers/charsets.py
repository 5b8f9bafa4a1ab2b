"""Turning bytes of a declared (and often wrong) charset into text, never failing.

Mail lies about charsets all the time: Korean Outlook says `ks_c_5601-1987`, Japanese
phones say `Shift_JIS` and use Windows extensions, gateways write `unknown-8bit` or
`x-unknown`, and "iso-8859-1" text is usually windows-1252. We try the declared charset
under its best superset, then UTF-8, then latin-1, which maps every byte.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable

# Declared name -> the codec that actually decodes what senders put under it
# (usually a superset the sender's software really used).
_ALIASES: dict[str, str] = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ks_c_5601-1989": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "ms_kanji": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "iso-2022-jp-ms": "iso2022_jp_ext",
    "euc-jp": "euc_jis_2004",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "ascii",
    "ansi_x3.4-1968": "ascii",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "cp-850": "cp850",
}

_NOT_MAIL = frozenset(
    {"unicode-escape", "unicode_escape", "raw-unicode-escape", "raw_unicode_escape",
     "undefined", "idna", "punycode", "mbcs", "oem", "palmos"}
)  # fmt: skip

# Names that carry no information at all: skip straight to the fallbacks.
_UNKNOWN = frozenset({"unknown-8bit", "x-unknown", "unknown", "x-user-defined", "default", ""})


def codec_for(charset: str | None) -> str | None:
    """The Python text codec for a declared MIME charset, or None when unusable."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    if name in _UNKNOWN:
        return None
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # Refuse bytes-to-bytes codecs such as "base64" or "zlib" a sender may name, and
    # Python-specific ones that would interpret backslashes or punycode.
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_MAIL:
        return None
    return info.name


# Declared charsets that are so often wrong that valid UTF-8 wins over them: valid
# non-ASCII UTF-8 is vanishingly unlikely in real latin-1 or windows-1252 text.
_WEAK = frozenset({"ascii", "cp1252", "latin_1", "iso8859-1"})
WEAK_CHARSETS = _WEAK  # for the header reader: a hint this weak is no hint


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode `data`; return the text and a defect note when we had to fall back.

    The order is the declared charset (aliased), UTF-8, windows-1252, latin-1; for
    the weak ASCII and latin-1 labels UTF-8 goes first. Latin-1 maps every byte, so
    the result is always some text, never an exception.
    """
    codec = codec_for(charset)
    if codec is not None and codec.startswith("iso2022_jp"):
        text = _iso2022jp(data, codec)
        if text is not None:
            return text, None
    for name in _order(codec):
        try:
            text = data.decode(name)
        except (UnicodeError, LookupError, ValueError, TypeError):
            continue
        return text, _fallback_note(charset, codec, name)
    return data.decode("latin-1"), f"text not valid {charset or 'us-ascii'}, decoded as latin-1"


def _order(codec: str | None) -> list[str]:
    """The codecs tried in turn: the declared one first, but for a weak label UTF-8 first."""
    if codec in _WEAK:
        return ["utf-8", codec, "cp1252"]
    if codec is not None:
        return [codec, "utf-8", "cp1252"]
    return ["utf-8", "cp1252"]


def _iso2022jp(data: bytes, codec: str) -> str | None:
    """ISO-2022-JP text, the Windows extensions included (`decode_iso2022jp_ms`); None when it is not."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return decode_iso2022jp_ms(data)


def _fallback_note(charset: str | None, codec: str | None, name: str) -> str | None:
    """The defect note for text the codec `name` read: an unknown declared charset, or text
    not valid in a declared one that is not weak; None when the declared charset read it."""
    declared = (charset or "").strip().strip("\"'").lower()
    if codec is None and declared not in _UNKNOWN:
        return f"unknown charset {charset!r}, decoded as {name}"
    if codec is not None and codec not in _WEAK and name != codec:
        return f"text not valid {charset}, decoded as {name}"
    return None


# --- ISO-2022-JP as Windows writes it ----------------------------------------------------------

_ISO2022_ESCAPE = re.compile(rb"\x1b(\(B|\(J|\(I|\$@|\$B|\$\(D|\$\(Q|\$\(O|&@\x1b\$B)")


def decode_iso2022jp_ms(data: bytes) -> str | None:
    """ISO-2022-JP with the Windows extensions (CP50220/CP50221), or None when it is not.

    Outlook and Japanese phones label mail ISO-2022-JP and still write NEC's row 13
    (circled numbers, ㈱, ㌔) and IBM's kanji, which Python's iso2022_jp codecs refuse. Each
    JIS X 0208 pair is turned into its Shift_JIS bytes and read as cp932, which holds
    every extension; half-width katakana (ESC ( I, or SO/SI) likewise.
    """
    reader = _JisReader(data)
    try:
        while reader.pos < len(data):
            if not reader.step():
                return None
    except UnicodeDecodeError:
        return None
    return "".join(reader.out)


_DOUBLE_BYTE = (b"$@", b"$B", b"(Q", b"(O")  # JIS X 0208 and JIS X 0213 modes: a character is two bytes


class _JisReader:
    """ISO-2022-JP read a byte (or a pair) at a time: the mode the last escape chose, and
    whether SO shifted to half-width katakana."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.out: list[str] = []
        self.mode = b"(B"
        self.pos = 0
        self.shifted = False

    def step(self) -> bool:
        """Read what stands at `pos`; False when it cannot be ISO-2022-JP."""
        byte = self.data[self.pos]
        if byte == 0x1B:
            return self._escape()
        if byte in (0x0E, 0x0F):  # SO/SI: half-width katakana in or out
            self.shifted = byte == 0x0E
            self.pos += 1
            return True
        if byte > 0x7F:
            return False  # 8-bit: not ISO-2022-JP at all
        if self.mode in _DOUBLE_BYTE and 0x21 <= byte <= 0x7E:
            return self._pair(byte)
        if self.mode == b"(D" and 0x21 <= byte <= 0x7E:  # JIS X 0212: not in cp932
            pair = self.data[self.pos : self.pos + 2]
            self.out.append(pair.join((b"\x1b$(D", b"\x1b(B")).decode("iso2022_jp_2", "replace"))
            self.pos += 2
            return True
        self.out.append(self._single(byte))
        self.pos += 1
        return True

    def _escape(self) -> bool:
        match = _ISO2022_ESCAPE.match(self.data, self.pos)
        if match is None:
            return False
        self.mode = match.group(1)[-2:]
        self.pos = match.end()
        return True

    def _pair(self, byte: int) -> bool:
        if self.pos + 1 >= len(self.data):
            return False
        self.out.append(_jis_pair(byte, self.data[self.pos + 1]))
        self.pos += 2
        return True

    def _single(self, byte: int) -> str:
        """One byte: half-width katakana in its mode (or shifted), else ASCII."""
        if (self.mode == b"(I" or self.shifted) and 0x21 <= byte <= 0x5F:
            return bytes([byte + 0x80]).decode("cp932")
        return chr(byte)


def _jis_pair(j1: int, j2: int) -> str:
    """One JIS X 0208 character (row j1, cell j2) as cp932 reads its Shift_JIS form."""
    if not 0x21 <= j2 <= 0x7E:
        raise UnicodeDecodeError("iso2022_jp", bytes([j1, j2]), 0, 2, "not a JIS pair")
    s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
    s2 = j2 + (0x1F + (j2 >= 0x60) if j1 % 2 else 0x7E)
    return bytes([s1, s2]).decode("cp932")


# --- unlabelled 8-bit text -----------------------------------------------------------------------

# The charsets unlabelled 8-bit headers come in, most likely first where scores tie:
# Western and Central European Windows, Cyrillic (Windows and KOI8), then the CJK ones.
_GUESSES = ("cp1252", "cp1250", "cp1251", "koi8_r", "cp932", "euc_jp", "cp949", "gb18030", "big5hkscs")


def guess_decode(data: bytes) -> str:
    """Text of unlabelled 8-bit bytes (a header written raw by an old client): UTF-8 when
    valid, else the candidate whose reading looks most like writing (`_implausibility`);
    latin-1 when none decodes."""
    return data.decode(guess_charset(data) or "latin-1")


def guess_charset(data: bytes) -> str | None:
    """The codec `guess_decode` reads `data` with; None when no candidate decodes it. All of
    a message's raw headers together make the better guess: a client writes them in one
    charset, and a two-letter name alone fits several."""
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[float, int, str] | None = None
    for rank, name in enumerate(_GUESSES):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        score = (_implausibility(text, japanese=name in ("cp932", "euc_jp")), rank, name)
        if best is None or score[:2] < best[:2]:
            best = score
    return best[2] if best is not None else None


def _script(ch: str) -> str:
    """A coarse writing system of one non-ASCII letter: what a reading may not mix."""
    code = ord(ch)
    if code < 0x250 or 0x1E00 <= code < 0x1F00:
        return "latin"
    if 0x370 <= code < 0x400:
        return "greek"
    if 0x400 <= code < 0x530:
        return "cyrillic"
    if 0xAC00 <= code < 0xD7B0:
        return "hangul"
    if 0x3040 <= code < 0x3100 or 0x4E00 <= code < 0xA000 or 0x3400 <= code < 0x4DC0:
        return "cjk"
    return "other"


def _implausibility(text: str, *, japanese: bool = False) -> float:
    """How unlike writing a reading is, per non-ASCII character: controls, private or
    unassigned code points, half-width katakana, Hangul jamo, rare ideographs and
    syllables (in none of the national standard sets), a script change between
    neighbouring letters, a capital after a small letter inside a word (KOI8 read as
    windows-1251 swaps the cases), accented Latin letters side by side (Cyrillic read as
    windows-1252: "Ïðèâåò"), a sign or digit between two letters ("Za¿ó³æ"), and, for a
    Japanese reading, ideographs with no kana at all (the EUC charsets of China, Korea
    and Japan share one byte shape; Japanese writing without kana is a name at most).
    Plain ASCII costs nothing."""
    bad = 0.0
    count = 0
    previous = ""  # the letter before, "" after anything else
    for i, ch in enumerate(text):
        if ch < "\x80":
            previous = ch if ch.isalpha() else ""
            continue
        count += 1
        cost, previous = _char_cost(ch, previous, text[i + 1 : i + 2])
        bad += cost
    if japanese and not any("\u3040" <= ch < "\u3100" for ch in text):
        bad += 0.2 * sum(1 for ch in text if "\u4e00" <= ch < "\ua000")
    return bad / count if count else 0.0


def _char_cost(ch: str, previous: str, following: str) -> tuple[float, str]:
    """What one non-ASCII character costs after the letter `previous` and before the
    character `following`, and the letter it leaves as the previous one ("" for none)."""
    category = unicodedata.category(ch)
    if category[0] == "C" or 0xFF61 <= ord(ch) <= 0xFF9F or 0x3130 <= ord(ch) < 0x3190:
        return 3.0, ""
    if category[0] == "L":
        return _letter_cost(ch, previous) + _ideograph_in_word(ch, previous, following), ch
    if category == "Sc":
        return 1.5 * following.isalpha(), ""  # "£ukasz": a currency sign before a letter
    if category[0] in "SPN":
        return (2.0 if previous and following.isalpha() else 0.5), ""  # "Za¿ó³æ": a sign between letters
    return 0.0, ""


def _ideograph_in_word(ch: str, previous: str, following: str) -> float:
    """"Solicita誽o": an ideograph or a Hangul syllable inside a Latin word."""
    inside = previous.isascii() and following.isascii() and following.isalpha()
    return 2.0 if inside and _script(ch) in ("cjk", "hangul") else 0.0


def _letter_cost(ch: str, previous: str) -> float:
    """`_implausibility` of one non-ASCII letter after the letter `previous` ("" for none):
    the sum of what each of `_LETTER_COSTS` finds."""
    script = _script(ch)
    return float(sum(cost(ch, script, previous) for cost in _LETTER_COSTS))


def _other_script(ch: str, script: str, previous: str) -> float:
    """A letter of no script a mail is written in here."""
    return 1.0 if script == "other" else 0.0


def _rare_ideograph(ch: str, script: str, previous: str) -> float:
    """An ideograph in none of the national standard sets."""
    return 2.0 if script == "cjk" and unicodedata.name(ch, "").startswith("CJK") and not _common_han(ch) else 0.0


def _rare_syllable(ch: str, script: str, previous: str) -> float:
    """A Hangul syllable outside KS X 1001 (Python spells the rest in 8 bytes)."""
    return 2.0 if script == "hangul" and len(_encoded(ch, "euc_kr")) != 2 else 0.0


def _script_change(ch: str, script: str, previous: str) -> float:
    """Neighbouring letters of two scripts; "Zaї": no word mixes Latin and Cyrillic letters."""
    if previous >= "\x80" and _script(previous) != script:
        return 2.0
    return 2.0 if previous and previous < "\x80" and script in ("cyrillic", "greek") else 0.0


def _swapped_case(ch: str, script: str, previous: str) -> float:
    """A capital after a small letter inside a word (KOI8 read as windows-1251)."""
    return 1.5 if previous.islower() and ch.isupper() else 0.0


def _accented_pair(ch: str, script: str, previous: str) -> float:
    """Accented Latin letters side by side (Cyrillic read as windows-1252: "Ïðèâåò")."""
    return 1.0 if script == "latin" and previous >= "\x80" and _script(previous) == "latin" else 0.0


_LETTER_COSTS: tuple[Callable[[str, str, str], float], ...] = (
    _other_script, _rare_ideograph, _rare_syllable, _script_change, _swapped_case, _accented_pair,
)


def _common_han(ch: str) -> bool:
    return _encodes(ch, "gb2312") or _encodes(ch, "big5") or _encodes(ch, "euc_jp")


def _encodes(ch: str, codec: str) -> bool:
    return bool(_encoded(ch, codec))


def _encoded(ch: str, codec: str) -> bytes:
    try:
        return ch.encode(codec)
    except UnicodeEncodeError:
        return b""

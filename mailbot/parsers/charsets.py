"""Turning bytes of a declared (and often wrong) charset into text, never failing.

Mail lies about charsets all the time: Korean Outlook says `ks_c_5601-1987`, Japanese
phones say `Shift_JIS` and use Windows extensions, gateways write `unknown-8bit` or
`x-unknown`, and "iso-8859-1" text is usually windows-1252. We try the declared charset
under its best superset, then UTF-8, then latin-1, which maps every byte.
"""

from __future__ import annotations

import codecs

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


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode `data`; return the text and a defect note when we had to fall back.

    The order is the declared charset (aliased), UTF-8, windows-1252, latin-1; for
    the weak ASCII and latin-1 labels UTF-8 goes first. Latin-1 maps every byte, so
    the result is always some text, never an exception.
    """
    codec = codec_for(charset)
    if codec in _WEAK:
        order = ["utf-8", codec, "cp1252"]
    elif codec is not None:
        order = [codec, "utf-8", "cp1252"]
    else:
        order = ["utf-8", "cp1252"]
    declared = (charset or "").strip().strip("\"'").lower()
    for name in order:
        try:
            text = data.decode(name)
        except (UnicodeError, LookupError, ValueError, TypeError):
            continue
        if codec is None and declared not in _UNKNOWN:
            return text, f"unknown charset {charset!r}, decoded as {name}"
        if codec is not None and codec not in _WEAK and name != codec:
            return text, f"text not valid {charset}, decoded as {name}"
        return text, None
    return data.decode("latin-1"), f"text not valid {charset or 'us-ascii'}, decoded as latin-1"

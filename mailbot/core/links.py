"""What a mail client would make a link of, made inert. Pure.

Anyone can write to the unit with a victim's address in From and a lure in the Subject
or the display name ("verifikasi di s.id/spse-verifikasi"); the unit's answer must not
hand it back as a working link From a government address. A list of top-level domains
of our own missed one-letter hosts (s.id, t.me) and every TLD it did not name (.gov,
.shop, .app); `linkify-it-py` (the Python port of markdown-it's linkifier, MIT) knows
every IANA top-level domain, schemes, `mailto:` and e-mail addresses, as the linkifiers
of webmail and mail apps do. Before it looks, the text is read as a browser reads a
host name (UTS 46): fullwidth letters and the dots that IDNA takes for a full stop
(`。` `．` `｡`) count as their ASCII selves, so `ｓ．ｉｄ` is caught too. Bare IPv4
addresses, which some clients link, are caught by their shape.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from linkify_it import LinkifyIt
from linkify_it.tlds import TLDS

# Names reserved for tests and private networks (RFC 2606, 6761, 6762): not in IANA's list,
# yet a client on such a network, or a test, links them as any other host.
_RESERVED_TLDS = ("test", "example", "invalid", "localhost", "local", "internal", "lan", "home", "corp")
# Characters IDNA (UTS 46) maps to a full stop in a host name, and the one-dot leader a
# look-alike uses; each becomes "[.]" in a defanged host, as "." does.
_DOTS = "\u3002\uff0e\uff61\u2024\ufe52"
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?:/\S*)?(?![\w.])")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]{0,15}):(//)?", re.IGNORECASE)


@cache
def _linkifier() -> LinkifyIt:
    return LinkifyIt(options={"fuzzy_link": True, "fuzzy_email": True, "fuzzy_ip": True}).tlds(
        [*TLDS, *_RESERVED_TLDS], True)


def _as_host(text: str) -> str:
    """`text` with each character as a host name reads it, position for position."""
    out = []
    for char in text:
        if char in _DOTS:
            out.append(".")
            continue
        folded = unicodedata.normalize("NFKC", char)
        out.append(folded if len(folded) == 1 else char)
    return "".join(out)


def link_spans(text: str) -> list[tuple[int, int]]:
    """Where in `text` a linkifier would make a link (start, end), in order, not overlapping."""
    if not text:
        return []
    read = _as_host(text)
    linkifier = _linkifier()
    # linkify-it's own quick look first (it finds no link where it says none may be): a
    # display name or a plain sentence costs a tenth of a full match
    found = linkifier.match(read) if linkifier.pretest(read) else None
    spans = [(m.index, m.last_index) for m in (found or [])]
    spans += [m.span() for m in _IPV4.finditer(read)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _inert(word: str) -> str:
    """One link as security notices write it: `hxxp[:]//host[.]test/x`, `mailto[:]a@b[.]id`."""
    scheme = _SCHEME.match(word)
    head = ""
    if scheme and (scheme.group(2) or scheme.group(1).lower() in ("mailto", "tel", "sms", "callto")):
        name = re.sub(r"^(h)tt(ps?)$", r"\1xx\2", scheme.group(1), flags=re.IGNORECASE)
        head = f"{name}[:]{scheme.group(2) or ''}"
        word = word[scheme.end():]
    return head + "".join("[.]" if char == "." or char in _DOTS or _as_host(char) == "." else char
                          for char in word)


def defang(text: str) -> str:
    """The text with everything a mail client would make a link of made inert, still readable."""
    out, at = [], 0
    for start, end in link_spans(text):
        out.append(text[at:start])
        out.append(_inert(text[start:end]))
        at = end
    out.append(text[at:])
    return "".join(out)


def has_link(text: str) -> bool:
    """Whether a mail client would make a link of anything in `text`."""
    return bool(link_spans(text))

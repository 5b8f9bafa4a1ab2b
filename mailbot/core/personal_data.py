"""Whether a text holds what identifies or unlocks someone: personal data. Pure.

Read where a solved case's solution would go to another requester (`#jawab-seperti`):
a password, a one-time code, a user ID, an NPWP, NIK or NIB, an
account or phone number, an e-mail address, a link outside the unit's domains, a
company or a street, and whatever names the old requester (`requester_data`). `unfit`
reads the text a line at a time through an ordered table of small checks (`_HOLDS`),
each returning what it found or None, and errs towards refusing: staff can always write
the answer themselves. The label words are `rules/similar.yaml`'s `private`
(`core/similar.Private`), every language together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from mailbot.core.links import link_spans
from mailbot.core.requester_data import ADDRESS, Requester, names_requester
from mailbot.core.similar import Private, Unfit, Vocabulary

# --- what a reused solution may not carry -----------------------------------------

# LKPP's own domains: its helpdesk and the national procurement portal. The unit's mailbox
# domains and those of `escalation` join them (`link_domains`).
LKPP_DOMAINS = ("lkpp.go.id", "inaproc.id")


def link_domains(configured: Sequence[str] | None, mailboxes: Iterable[str],
                 escalation: Iterable[str]) -> frozenset[str]:
    """The domains a reused solution may link to: the operator's list (`similar.
    allowed_link_domains`) when there is one; else the unit's mailbox domains, the domains
    of `escalation.address` and `escalation.senders` ("*@lkpp.go.id", "*@*.lkpp.go.id" are
    lkpp.go.id) and `LKPP_DOMAINS`. A domain allows its subdomains."""
    if configured is not None:
        return frozenset(d.lower().strip(".") for d in configured)
    found = set(LKPP_DOMAINS)
    for address in (*mailboxes, *escalation):
        domain = address.lower().rpartition("@")[2].lstrip("*.")
        if domain and "." in domain and not any(c in domain for c in "*?[]"):
            found.add(domain)
    return frozenset(found)


def unfit(solution: str, words: Vocabulary, requester: Requester) -> Unfit | None:
    """What in a solved case's solution identifies or unlocks someone, or links outside the
    unit's and LKPP's domains, on its first line that holds any; None when it may go to
    another requester (`#jawab-seperti`). Like `names_requester`, it errs towards
    refusing: staff can always write the answer themselves.

    - a password, a PIN, a one-time code, a user ID: a value after its label ("password
      sementara: Lpse#2026x", "kata sandi baru Anda adalah Xy7!ab", "PIN 4821", "OTP 482913",
      "username Anda PTMAJUJAYA"), or after a ":" later in the label's sentence ("token
      APENDO untuk paket Bapak: 731 904"); without a label, a token mixing letters, digits
      and a sign ("Lpse#2026x") or joining words and digits by "_" ("rekanan_sbr2019"); a
      label followed by a word is an instruction ("masukkan user ID dan password Anda",
      "kode OTP akan dikirim");
    - an NPWP, NIK, NIB, account or virtual-account number, a phone number: a number after
      its label, an NPWP or a phone by its shape, and any other number of ten digits or more
      that no label makes a tender's, a package's or a ticket's, nor "Rp" an amount; the
      unit's own (`Requester.contacts`) excepted;
    - an e-mail address other than the unit's own, and a link (written whole, bare, or
      defanged as hxxp[:]//host[.]id) to a host outside `Requester.domains`;
    - a company by its legal form before a name in capitals ("PT Cahaya Nusantara"), a
      street by its word before one ("Jl. Imam Bonjol No. 17"), whoever's, the unit's own
      street excepted;
    - what `names_requester` finds of the old requester.
    Labels are `words.private`'s (`rules/similar.yaml`), every language together."""
    lines = solution.splitlines()
    for index in range(len(lines)):
        held = _held_on(lines, index, words, requester)
        if held is not None:
            return _named_earlier(lines[:index], words, requester) or held
    return _named_earlier(lines, words, requester, whole=solution)


def _held_on(lines: list[str], index: int, words: Vocabulary, requester: Requester) -> Unfit | None:
    """What line `index` holds (`_line_unfit`), or with the next line where it ends in ":"
    or "=" (`_held_with_next`); not a number a label at the end of the line before makes
    no one's ("tender kode" at the end of one line, its number at the start of the next)."""
    held = _line_unfit(lines[index], words, requester)
    if held is None:
        held = _held_with_next(lines, index, words, requester)
    if held is not None and held.kind == "number" and _read_with_before(lines, index, words, requester):
        return None
    return held


def _held_with_next(lines: list[str], index: int, words: Vocabulary, requester: Requester) -> Unfit | None:
    """What a line ending in ":" or "=" holds with the next line that is not blank:
    "Password:" on a line of its own, the value on the next."""
    line = lines[index]
    following = next((n for n in lines[index + 1:] if n.strip()), "")
    if not line.rstrip().endswith((":", "=")) or not following:
        return None
    held = _line_unfit(f"{line.rstrip()} {following.strip()}", words, requester)
    return None if held is None else replace(held, line=f"{line.strip()} {following.strip()}")


def _read_with_before(lines: list[str], index: int, words: Vocabulary, requester: Requester) -> bool:
    """Whether line `index`, read after the line before that is not blank, holds nothing."""
    before = next((n for n in reversed(lines[:index]) if n.strip()), "")
    return bool(before) and _line_unfit(f"{before.rstrip()} {lines[index].strip()}", words, requester) is None


def _named_earlier(lines: list[str], words: Vocabulary, requester: Requester, whole: str | None = None) -> Unfit | None:
    """What `names_requester` finds of the old requester on these lines, with the line; with
    `whole`, also what only the whole text names (a company's name across a line's end)."""
    public = requester.public | {f"@{d}" for d in requester.domains}
    who = replace(requester, public=public)
    for line in lines:
        kind, named = names_requester(line, words, who)
        if kind:
            return Unfit(kind, named, line.strip())
    if whole is not None:
        kind, named = names_requester(whole, words, who)
        if kind:
            return Unfit(kind, named, named)
    return None


_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")
# A link or an address written so that no client links it: "hxxps[:]//host[.]id", "budi [at] gmail [dot] com".
_REFANG = (
    (re.compile(r"\bh(?:xx|\*\*|XX)p(s?)\b", re.IGNORECASE), r"http\1"),
    (re.compile(r"\s?[\[({]\s*(?:\.|dot|titik)\s*[\])}]\s?", re.IGNORECASE), "."),
    (re.compile(r"\s?[\[({]\s*(?:@|at)\s*[\])}]\s?", re.IGNORECASE), "@"),
    (re.compile(r"[\[({]\s*:\s*[\])}]"), ":"),
)
# An address spelled out: "budi at gmail dot com", "budi (at) gmail titik com".
_SPELLED_DOT = re.compile(r"\s+(?:dot|titik)\s+", re.IGNORECASE)
# the user part from where its run begins (lookbehind): tried from each of its characters, a
# 12,000-letter word took seconds per line
_SPELLED = re.compile(r"(?<![\w.+-])([\w.+-]+)\s+(?:at|@)\s+([\w-]+(?:\s+(?:dot|titik)\s+[\w-]+)+)", re.IGNORECASE)
_SIGNS = "!#$%&*?^~@"
_OPEN_CLOSE = "\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb()[]{}<>*"
_NUMBER_KINDS = frozenset({"npwp", "nik", "nib", "account", "phone", "none"})


def _bare(token: str) -> str:
    """A token without the quotes, brackets and stops around it: "[Ticket#20261124]." is
    "Ticket#20261124"; a sign a password may end with ("!", "?") stays."""
    return re.sub(r"[.,;:\"'`\u201d\u2019\u00bb)\]}>*/]+$", "", token.lstrip(_OPEN_CLOSE))


def _readable(line: str) -> str:
    """A line as a reader (and a linkifier) reads it: compatibility forms as their plain
    selves ("\uff10\uff18\uff11\uff12" is 0812), invisible characters dropped, defanged links
    and addresses whole again."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", line))
    for pattern, whole in _REFANG:
        text = pattern.sub(whole, text)
    return _SPELLED.sub(lambda m: f"{m.group(1)}@{re.sub(_SPELLED_DOT, '.', m.group(2))}", text)


def _line_unfit(line: str, words: Vocabulary, requester: Requester) -> Unfit | None:
    """The first thing `_HOLDS` finds on one line, read as a reader reads it (`_readable`)."""
    text = _readable(line)
    consumed: list[tuple[int, int]] = []  # the numbers labels read: no shape reads them again
    for _, check in _HOLDS:
        found = check(text, words, requester, consumed)
        if found is not None:
            return Unfit(found[0], found[1], line.strip())
    return None


def _labelled_value(text: str, words: Vocabulary, requester: Requester,
                    consumed: list[tuple[int, int]]) -> tuple[str, str] | None:
    """The first value after its label (`_labelled`); the numbers read up to it are in `consumed`."""
    return next(iter(_labelled(text, words, requester, consumed)), None)


def _unlabelled_value(text: str, words: Vocabulary, requester: Requester,
                      consumed: list[tuple[int, int]]) -> tuple[str, str] | None:
    """A value by its shape alone (`_unlabelled`), past the numbers labels read."""
    return _unlabelled(text, words.private, requester, consumed)


def _named_thing(text: str, words: Vocabulary, requester: Requester,
                 consumed: list[tuple[int, int]]) -> tuple[str, str] | None:
    """A company by its legal form before a name in capitals ("PT Cahaya Nusantara"), a
    street by its word before one ("Jl. Imam Bonjol No. 17"), whoever's they are; the unit's
    own street (`Requester.contacts`) excepted. Vocabulary of the language are no name there:
    "PT Anda", "Jl. tersebut"."""
    private = words.private
    for kind, heads in (("firm", private.firms), ("street", private.streets)):
        found = _headed_name(text, kind, heads, words, requester) if heads else None
        if found is not None:
            return kind, found
    return None


def _headed_name(text: str, kind: str, heads: frozenset[str], words: Vocabulary, requester: Requester) -> str | None:
    """The first name after one of `heads` that names someone (`_named_thing`)."""
    for found in _head_pattern(tuple(sorted(heads))).finditer(text):
        first = found.group(2).split()[0].lower()
        if first in words.stopwords or first in words.private.between or len(first) < 3 and kind == "firm":
            continue
        if kind == "street" and _public_street(found.group(0), requester):
            continue
        return str(found.group(0)).strip()
    return None


_HEADS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _head_pattern(heads: tuple[str, ...]) -> re.Pattern[str]:
    """A legal form or a street's word, any case, then one to four words in capitals."""
    pattern = _HEADS.get(heads)
    if pattern is None:
        alternatives = "|".join(re.escape(h) for h in sorted(heads, key=len, reverse=True))
        pattern = _HEADS[heads] = re.compile(
            rf"(?<![^\W\d_])(?i:({alternatives}))\.?[ \t]+((?:[A-Z][^\W_]*\.?[ \t]*){{1,4}})")
    return pattern


def _public_street(found: str, requester: Requester) -> bool:
    """Whether a street the solution names is one of the unit's own (`Requester.contacts`)."""
    street = re.findall(r"[^\W_]+", found.lower())[1:3]
    return any(street and " ".join(street) in " ".join(re.findall(r"[^\W_]+", c.lower()))
               for c in requester.contacts)


def _allowed(host: str, domains: frozenset[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


def _address_or_link(text: str, words: Vocabulary, requester: Requester,
                     consumed: list[tuple[int, int]]) -> tuple[str, str] | None:
    """A link to a host outside the allowed domains, or an address other than the unit's."""
    for start, end in link_spans(text):
        host = _link_host(text[start:end])
        if host is not None and not _allowed(host, requester.domains):
            return "link", text[start:end]
    public = {a.lower() for a in requester.public}
    for found in ADDRESS.finditer(text):
        address = found.group(0).rstrip(".").lower()
        if address not in public and not _allowed(address.rpartition("@")[2], requester.domains):
            return "email", found.group(0).rstrip(".")
    return None


_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):(//)?", re.IGNORECASE)
_NO_HOST_SCHEMES = ("mailto", "tel", "sms", "callto")  # an address (read as one) or a number (read as one)


def _link_host(link: str) -> str | None:
    """The host a link leads to, without its port; None for a link to no host: an address
    or a number by its scheme ("mailto:", "tel:") or bare (read as what they are), and a
    bare version or form's mask (`_numbers_only`)."""
    scheme = _SCHEME.match(link)
    if scheme and scheme.group(1).lower() in _NO_HOST_SCHEMES:
        return None
    rest = link[scheme.end():] if scheme else link
    if "@" in rest.split("/")[0] and not (scheme and scheme.group(2)):
        return None  # a bare address
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    bare = re.sub(r":\d+$", "", host)
    return None if not scheme and _numbers_only(bare, host, rest) else bare


def _numbers_only(bare: str, host: str, rest: str) -> bool:
    """Whether a link written without a scheme, port or path is a version ("4.5.2.1", as
    often as a host) or a form's mask ("XX.XXX.XXX.X-XXX.XXX")."""
    return bare == host and host == rest and bool(re.fullmatch(r"[\d.]+|[xX.-]+", host))


# A check of `_line_unfit`: the line as read, the words, the requester, and the numbers
# labels have read so far (a check adds to them); a category and the words that hold it.
_LineCheck = Callable[[str, Vocabulary, Requester, list[tuple[int, int]]], tuple[str, str] | None]

# What one line of a reused solution may not hold, in order: each row what its
# check reports and the check. A value after its label comes before one by its shape,
# so that a number a label makes a tender's or a package's is no one's.
_HOLDS: tuple[tuple[str, _LineCheck], ...] = (
    ("link, email", _address_or_link),
    ("password, code, user, npwp, nik, nib, account, phone", _labelled_value),
    ("npwp, phone, number, user, password", _unlabelled_value),
    ("firm, street", _named_thing),
)


def _is_label(token: str, kinds: Mapping[str, str]) -> bool:
    return re.sub(r"[\s_.\-]", "", token) in kinds


def _labelled(text: str, words: Vocabulary, requester: Requester,
              consumed: list[tuple[int, int]]) -> Iterable[tuple[str, str]]:
    """A value after its label: ("password", "password sementara: Lpse#2026x"). The numbers
    labels read (a tender's too) are added to `consumed`. Where the words after a label
    lead to no value, a ":" later in its sentence does ("token verifikasi APENDO untuk
    dokumen Bapak: 731 904", "user ID anggota yang baru: pokja3_dinkes.yanti")."""
    private = words.private
    if not private.labels:
        return
    pattern, kinds = _label_pattern(private.labels)
    lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    for label in pattern.finditer(lower):
        kind = kinds[re.sub(r"[\s_.\-]", "", label.group(0))]
        found = _value(text, label.end(), kind, False, words, requester, consumed, kinds)
        if found is None:
            clause = re.match(r"[^.;!?:]{0,80}?(?:[.;!?](?=\s|$)|:)", text[label.end():])
            if clause and clause.group(0).endswith(":"):
                found = _value(text, label.end() + clause.end(), kind, True, words, requester, consumed, kinds,
                               far=True)
        if isinstance(found, tuple):
            yield found[0], text[label.start():found[1]].strip().rstrip(".,;")


_TOKEN = re.compile(r"\s*(\S+)")


def _value(text: str, at: int, kind: str, explicit: bool, words: Vocabulary, requester: Requester,
           consumed: list[tuple[int, int]], kinds: Mapping[str, str],
           far: bool = False) -> tuple[str, int] | None | bool:
    """The value of a label of `kind` after `at`, past the words that may stand between:
    (its category, where it ends); False when what follows is no value, or a number that
    is no one's; None when the words after the label lead nowhere. `far`: after a ":" other
    words stand before, where only a value by its shape counts (a digit, a sign, "_"), not
    a plain word ("ask the user to tell us: whether ...")."""
    for _ in range(8):
        token = _TOKEN.match(text, at)
        if token is None:
            return False
        raw, start = token.group(1), token.start(1)
        core = _bare(raw.lstrip("/-")).rstrip("!?")
        parts = [p for p in re.split(r"/", core.lower()) if p]
        if _stands_between(core, parts, words.private, kinds):
            explicit = explicit or _says_value(raw, core, words.private)
            kind = _nearer_kind(kind, parts, kinds)
            at = token.end()
            continue
        number = _labelled_number(text, raw, start, kind, explicit)
        if number is not None:
            consumed.append(number[:2])
            return _number_value(number, kind, requester)
        last = not re.search(r"[^\W_]", text[token.end():])
        if _word_value(kind, raw, core, explicit, last, far, words):
            # "Password: rahasia", "username: budi" end their line, "password 'sandi-lpse'" is
            # quoted: a word there is the value
            return kind, start + len(raw)
        return None if not explicit else False
    return None


def _stands_between(core: str, parts: list[str], private: Private, kinds: Mapping[str, str]) -> bool:
    """Whether a token after a label is passed over: a sign, or words that stand between a
    label and its value ("Anda", "a.n.", another label: "NPWP/NIK")."""
    return not core or not re.search(r"[^\W_]", core) or all(_skippable(p, private, kinds) for p in parts)


def _says_value(raw: str, core: str, private: Private) -> bool:
    """Whether a token says that the value follows: a ":" or "=", or "adalah", "is"."""
    return any(c in ":=" for c in raw) or core.lower() in private.says


def _nearer_kind(kind: str, parts: list[str], kinds: Mapping[str, str]) -> str:
    """The category of a label between a label and its value: "login dengan PIN 4821": the
    nearer label names the value; "password akun": not (a password's or a code's label
    keeps its category past a user's)."""
    nearer = next((kinds[k] for p in reversed(parts) if (k := re.sub(r"[\s_.\-]", "", p)) in kinds), kind)
    return kind if kind in ("password", "code") and nearer == "user" else nearer


def _labelled_number(text: str, raw: str, start: int, kind: str, explicit: bool) -> tuple[int, int, str] | None:
    """The number a token at `start` begins with, as people group it (`_run`: "4821",
    "(0778) 123456"; a code after its ":" in groups of any size), when it is the label's
    to judge: always for a number's label, for a password's, a code's or a user's when it
    is long enough. None where letters come before its first digit ("SPSE4")."""
    first = re.search(r"[+(]?\d", raw)
    if first is None or re.search(r"[^\W\d_]", raw[:first.start()]):
        return None
    number = _run(text, start + first.start(), loose=explicit and kind in ("password", "code"))
    if number is None or not (kind in _NUMBER_KINDS or len(number[2]) >= (5 if kind == "user" else 4)):
        return None
    return number


def _number_value(number: tuple[int, int, str], kind: str, requester: Requester) -> tuple[str, int] | bool:
    """(its category, where it ends) for a number after its label; False for one that is
    no one's: a tender's or a package's (category "none"), too short for its label, a
    form's placeholder ("000000"), or a phone of the unit's own."""
    _, end, digits = number
    if kind == "none" or len(digits) < 6 and kind in _NUMBER_KINDS or len(set(digits)) == 1:
        return False
    if kind == "phone" and _public_phone(digits, requester):
        return False
    return kind, end


def _word_value(kind: str, raw: str, core: str, explicit: bool, last: bool, far: bool, words: Vocabulary) -> bool:
    """Whether a word after a password's, a code's or a user's label is its value: by its
    shape (`_is_value`), or for a password or a user ID after a ":" at the end of its line,
    or quoted, when it is no stop word."""
    if kind in _NUMBER_KINDS:
        return False
    if _is_value(kind, core, explicit and not far, words):
        return True
    said = explicit and last and not far or _quoted(raw)
    return kind in ("password", "user") and said and core.lower() not in words.stopwords


def _skippable(word: str, private: Private, kinds: Mapping[str, str]) -> bool:
    """A word between a label and its value: "Anda", "a.n.", "barunya", or another label ("NPWP/NIK")."""
    word = word.removesuffix("nya") if len(word) > 5 and word.endswith("nya") else word
    return (not word or word in private.between or word.replace(".", "") in private.between
            or _is_label(word, kinds))


def _quoted(raw: str) -> bool:
    return len(raw) > 2 and raw[0] in "\"'`\u201c\u2018\u00ab" and raw.rstrip(".,;:")[-1:] in "\"'`\u201d\u2019\u00bb"


def _is_word(token: str, words: Vocabulary) -> bool:
    """A word of the language, not a value: "Anda", "sesuai", "dikirim", "SPSE"."""
    low = token.lower()
    if "-" in low.strip("-"):  # "e-mail", "e-katalog", "log-in", "masing-masing"
        parts = low.split("-")
        return len(set(parts)) == 1 or all(len(part) <= 2 or _is_word(part, words) for part in parts)
    return (low in words.stopwords or low in words.private.between or words.known(low)
            or (words.stem(low) != low and words.known(words.stem(low))))


def _is_value(kind: str, token: str, explicit: bool, words: Vocabulary) -> bool:
    """Whether the first word after a password's, a code's or a user ID's label is its
    value (`_VALUE_SHAPES`); never an address or a link, nor a word too short to be one."""
    if len(token) < (3 if kind == "user" else 4) or ADDRESS.fullmatch(token) or "://" in token:
        return False
    shape = _VALUE_SHAPES.get(kind)
    return shape is not None and shape(token, explicit, words)


def _digits_letters(token: str) -> tuple[int, int]:
    return sum(c.isdigit() for c in token), sum(c.isalpha() for c in token)


def _camel(token: str) -> bool:
    """A capital inside a word: "sandiLpse", "SIKaP"."""
    return bool(re.search(r"[a-z][A-Z]", token))


def _looks_password(token: str, explicit: bool, words: Vocabulary) -> bool:
    """A password: a digit, a sign or a capital inside; after a ":", any word that is no
    word of the language."""
    digits, _ = _digits_letters(token)
    signs = any(c in _SIGNS for c in token)
    return digits > 0 or signs or _camel(token) or (explicit and not _is_word(token, words))


def _looks_code(token: str, explicit: bool, words: Vocabulary) -> bool:
    """A one-time code: four digits, or digits and letters in five characters or more;
    after a ":", any word that is no word of the language."""
    digits, letters = _digits_letters(token)
    return digits >= 4 or (digits > 0 and letters > 0 and len(token) >= 5) or (
        explicit and not _is_word(token, words))


def _looks_user(token: str, explicit: bool, words: Vocabulary) -> bool:
    """A user ID: letters with a digit, words joined by ".", "_" or "-", capitals that are
    no word ("PTMAJUJAYA", not "SIKaP"); after a ":", any word that is no word of the
    language. A number is a user ID by its label and five digits, not here ("login pada
    2024": a year)."""
    digits, letters = _digits_letters(token)
    if not letters:
        return False
    joined = not _is_word(token, words) and bool(re.search(r"[^\W_][._-][^\W_]|_", token))
    capitals = (letters >= 6 and token.isupper() or _camel(token)) and not _is_word(token, words)
    return digits > 0 or joined or capitals or (explicit and not _is_word(token, words))


# How a value looks after its label, by the label's category (`_is_value`): a token, and
# whether a ":" or "adalah" said that the value follows.
_VALUE_SHAPES: Mapping[str, Callable[[str, bool, Vocabulary], bool]] = {
    "password": _looks_password,
    "code": _looks_code,
    "user": _looks_user,
}


def _run(text: str, start: int, loose: bool = False) -> tuple[int, int, str] | None:
    """The number that starts at `start` as people group it: "0812 3456 7890", "+62 812-3456-
    7890", "(0778) 123456", "01.234.567.8-901.000"; (start, end, its digits). Groups join as
    `_next_group` says; a number written onto letters is part of a word ("2026x", "15menit")."""
    first = _FIRST_GROUP.match(text, start)
    if first is None or not re.search(r"\d", first.group(0)):
        return None
    end, digits, last = first.end(), re.sub(r"\D", "", first.group(0)), first.group(0)
    while end < len(text) and (more := _next_group(text, end, last, loose)) is not None:
        end, digits, last = more.end(), digits + re.sub(r"\D", "", more.group(1)), more.group(1)
    if end < len(text) and text[end].isalpha():
        return None
    return start, end, digits


_FIRST_GROUP = re.compile(r"\(?\+?\d+\)?")
_JOINED_GROUP = re.compile(r"[.\-](\d+)")
_SPACED_GROUP = re.compile(r" (\(?\d{3,}\)?)")
_LOOSE_GROUP = re.compile(r" (\d+)")


def _next_group(text: str, end: int, last: str, loose: bool) -> re.Match[str] | None:
    """The group of digits that goes on a number at `end`, after its group `last`: one
    joined by "." or "-", or one of three digits or more after a space when `last` has
    three or more or opens the number ("+62", "(0778)"), so that "24-11-2026 10.00" is a
    date and a time, not one number; `loose`, a code after its label's ":", any group
    after a space ("66 14 09")."""
    joined = _JOINED_GROUP.match(text, end)
    if joined:
        return joined
    spaced = (_LOOSE_GROUP if loose else _SPACED_GROUP).match(text, end)
    if spaced and (loose or len(re.sub(r"\D", "", last)) >= 3 or last.startswith(("+", "("))):
        return spaced
    return None


def _public_phone(digits: str, requester: Requester) -> bool:
    core = re.sub(r"^(?:62|0)", "", digits)
    return any(re.sub(r"^(?:62|0)", "", re.sub(r"\D", "", p)) == core for p in requester.contacts if p)


_VERSION = re.compile(r"\d{1,2}\.\d{1,2}(?:\.\d+)+")  # "4.5.20231201": a version with its build
# A ticket number of LKPP's desks (OTRS, Znuny): the day it was opened and a counter,
# "2026052010000321". No NIK starts so (no province is numbered 20).
_DESK_TICKET = re.compile(r"20\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{8}")
_NPWP = re.compile(r"\d{2}\.\d{3}\.\d{3}\.\d[.-]\d{3}\.\d{3}")
_AMOUNT = re.compile(r"\d{1,3}(?:\.\d{3})+")


_NUMBER_START = re.compile(r"[+(]?\d")


def _unlabelled(text: str, private: Private, requester: Requester,
                consumed: list[tuple[int, int]]) -> tuple[str, str] | None:
    """What its shape alone gives away: an NPWP written as one, a phone number, a number of
    ten digits or more no label explains (`_unlabelled_number`); else a token that joins
    words and digits by "_" or mixes letters, digits and signs (`_unlabelled_token`)."""
    return _unlabelled_number(text, private, requester, consumed) or _unlabelled_token(text)


def _unlabelled_number(text: str, private: Private, requester: Requester,
                       consumed: list[tuple[int, int]]) -> tuple[str, str] | None:
    """The first number, as people group it (`_run`), that gives someone away by its shape
    (`_number_shape`); a number inside a word or a name is passed over."""
    at = 0
    while (start := _NUMBER_START.search(text, at)) is not None:
        begin = start.start()
        if _inside_name(text, begin):
            # "SPSE4", "Ticket#2026112410000017", "EPURCH-2026-118832", a path
            at = _past(text, start.end(), str.isdigit)
            continue
        number = _run(text, begin)
        if number is None:
            at = _past(text, start.end(), str.isalnum)
            continue
        at = number[1]
        found = _number_shape(text, number, private, requester, consumed)
        if found is not None:
            return found
    return None


def _inside_name(text: str, begin: int) -> bool:
    """Whether the digit at `begin` goes on a word, a tag, a path or a dashed reference."""
    if not begin:
        return False
    before = text[begin - 1]
    return before.isalnum() or before in "#@/_" or (before in "-." and begin > 1 and text[begin - 2].isalnum())


def _past(text: str, at: int, belongs: Callable[[str], bool]) -> int:
    """Where the characters from `at` that `belongs` takes end."""
    while at < len(text) and belongs(text[at]):
        at += 1
    return at


def _number_shape(text: str, number: tuple[int, int, str], private: Private, requester: Requester,
                  consumed: list[tuple[int, int]]) -> tuple[str, str] | None:
    """What one number gives away by its shape: ("npwp", ...), ("phone", ...) unless the
    unit's own, ("number", ...) for ten digits or more that are no desk's ticket; None for
    one read with its label, a form's placeholder ("99.999.999.9-999.999"), an amount or a
    version."""
    begin, end, digits = number
    if any(s <= begin < e for s, e in consumed) or len(set(digits)) == 1:
        return None
    written = text[begin:end].lstrip("(")
    if _amount_or_version(text, begin, end, written, private):
        return None
    if _NPWP.fullmatch(written):
        return "npwp", written
    if _phone_shaped(written, digits):
        return None if _public_phone(digits, requester) else ("phone", written)
    if len(digits) >= 10 and not _DESK_TICKET.fullmatch(digits):
        return "number", written
    return None


def _amount_or_version(text: str, begin: int, end: int, written: str, private: Private) -> bool:
    """Whether a number is money by a word beside it ("Rp", "rupiah") or its thousands
    ("1.250.000"), or a version with its build ("4.5.20231201")."""
    before = re.search(r"([^\W\d_]+)\W{0,2}$", text[:begin])
    after = re.match(r"\W{0,3}([^\W\d_]+)", text[end:])
    return bool((before and before.group(1).lower() in private.amounts)
                or (after and after.group(1).lower() in private.amounts)
                or _AMOUNT.fullmatch(written) or _VERSION.fullmatch(written))


def _unlabelled_token(text: str) -> tuple[str, str] | None:
    """The first token that is a user ID (`_user_shaped`) or a password (`_password_shaped`)
    by its shape alone."""
    for token in re.finditer(r"\S+", text):
        core = _bare(token.group(0))
        if _user_shaped(core):
            return "user", core
        if _password_shaped(core):
            return "password", core
    return None


def _password_shaped(token: str) -> bool:
    """A password by its shape: letters, digits and a sign in 6 to 40 characters
    ("Lpse#2026x"); not a tag ("#123"), a link, an address nor a ticket ("Ticket#2026")."""
    return bool(6 <= len(token) <= 40 and re.search(r"[^\W\d_]", token) and re.search(r"\d", token)
                and any(c in _SIGNS for c in token.rstrip("!?")) and not token.startswith("#")
                and "://" not in token and not ADDRESS.search(token) and not re.fullmatch(r"[^\W\d_]+#\d+", token))


def _user_shaped(token: str) -> bool:
    """A user ID by its shape: words and digits joined by "_" ("rekanan_sbr2019", "PYD_0417KBR",
    "pokja3_dinkes.yanti"); not a file ("penawaran_2026.pdf"), an address, nor an error's
    name in capitals ("ERR_HTTP2_PROTOCOL_ERROR")."""
    if not re.fullmatch(r"[^\W_]+(?:[._-][^\W_]+)*_[^\W_]+(?:[._-][^\W_]+)*", token) or not re.search(r"\d", token):
        return False
    return not (re.search(r"\.[^\W\d_]{2,4}$", token) or token.isupper() and token.count("_") >= 2)


def _phone_shaped(written: str, digits: str) -> bool:
    """A phone number by its shape: Indonesia's country code or a mobile prefix, or a trunk
    "0" with an area code set apart ("0778-123456", "(021) 1234 5678")."""
    if written.startswith("+"):
        return 9 <= len(digits) <= 15
    if digits.startswith(("628", "08")):
        return 10 <= len(digits) <= 14
    if digits.startswith("0") and 9 <= len(digits) <= 12:
        return bool(re.match(r"0\d{1,3}[ .\-)]", written))  # "(021) 2991 2450" read without its "("
    return False


_LABELS: dict[tuple[tuple[str, str], ...], tuple[re.Pattern[str], dict[str, str]]] = {}


def _label_pattern(labels: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for every label, longest first, its words joined by a space, "-", "_",
    "." or nothing; and each label's category by its letters alone ("userid")."""
    found = _LABELS.get(labels)
    if found is None:
        kinds = {re.sub(r"[\s_.\-]", "", label): kind for label, kind in labels}
        alternatives = "|".join(
            r"[\s_.\-]*".join(re.escape(w) for w in re.split(r"[\s_.\-]+", label) if w)
            for label in sorted({label for label, _ in labels}, key=len, reverse=True))
        found = _LABELS[labels] = (re.compile(rf"(?<![^\W\d_])(?:{alternatives})(?![^\W\d_])"), kinds)
    return found

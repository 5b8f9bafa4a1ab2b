"""What of one requester, as their solved ticket recorded them, a text names. Pure.

A solution in the unit's memory was written for one requester: it may name them (their
name, an address they wrote from, their phone, company or street). `names_requester`
finds that, an ordered table of small checks (`_NAMING`), each returning the words that
name them or None; it errs towards refusing, since staff can always write the answer
themselves. Whether a solution holds anyone's data is `personal_data.unfit`, which asks
this too; the words it reads are `rules/similar.yaml`'s (`core/similar.Vocabulary`).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from mailbot.core.similar import Vocabulary

_LEGAL_FORM = r"(?:pt|cv|ud|fa|firma|koperasi|kop|perum|persero|tbk)"
_LEGAL_FORMS = re.compile(rf"^(?:{_LEGAL_FORM}\b\.?[\s,]*)+|(?:[\s,(]+{_LEGAL_FORM}\b\.?\)?)+$")
_LETTER_BEFORE, _LETTER_AFTER = r"(?<![^\W\d_])", r"(?![^\W\d_])"
# A form of address before a capitalised name: "Pak Budi", "Ibu Sari Dewi", "Sdr. Andi", "Mr. Smith".
_TITLES = ("bapak", "bpk", "pak", "ibu", "bu", "sdr", "sdri", "saudara", "saudari", "mas", "mbak", "mba", "kak",
           "mr", "mrs", "ms", "miss")
_TITLED = re.compile(r"(?<![^\W\d_])(?:" + "|".join(f"[{t[0].upper()}{t[0]}]{t[1:]}" for t in _TITLES)
                     + r")\.?[ \t]+([A-Z][^\W\d_]{2,}(?:[ \t]+[A-Z][^\W\d_]{2,})*)")
# What follows a form of address and is an office, not a person: "Bapak Kepala Dinas", "Ibu Ketua Pokja".
_OFFICES = frozenset({
    "kepala", "ketua", "anggota", "direktur", "pimpinan", "pejabat", "sekretaris", "bendahara", "kasubag", "kabag",
    "kabid", "kasi", "camat", "lurah", "bupati", "walikota", "gubernur", "menteri", "admin", "administrator",
    "operator", "verifikator", "petugas", "staf", "staff", "pokja", "panitia", "ppk", "helpdesk", "pengguna",
    "penyedia", "agency", "user", "customer", "manager", "manajer", "pemilik", "owner", "kota", "ibu", "bapak"})
# Vocabulary an address's user part often is without naming anyone: "info@", "admin@", "pengadaan@".
_GENERIC_USERS = frozenset({
    "info", "admin", "administrator", "office", "contact", "kontak", "sales", "support", "marketing", "mail",
    "email", "helpdesk", "tender", "lelang", "procurement", "purchasing", "pokja", "lpse", "ukpbj", "ppk",
    "sekretariat", "kantor", "bagian", "keuangan", "umum", "finance", "noreply"})
# Mail domains shared by many people or by a whole government: no one is named by them.
_SHARED_DOMAINS = re.compile(
    r"(?:^|\.)(?:gmail\.com|googlemail\.com|yahoo\.com|yahoo\.co\.id|ymail\.com|rocketmail\.com|hotmail\.com|"
    r"outlook\.com|outlook\.co\.id|live\.com|msn\.com|icloud\.com|me\.com|aol\.com|protonmail\.com|proton\.me|"
    r"mail\.com|gmx\.com|zoho\.com|yandex\.com)$|\.(?:go|ac|sch|mil|desa)\.id$|\.gov(?:\.\w+)?$")
# Old Indonesian spelling, still in many names: "Djoko Soesilo" is "Joko Susilo".
_OLD_SPELLINGS = (("dj", "j"), ("tj", "c"), ("oe", "u"), ("sj", "sy"), ("nj", "ny"), ("ch", "kh"))
# an e-mail address anywhere in a text, its user part from where its run begins (lookbehind): tried
# from each character of a 12,000-letter word, the run was read again from each (seconds)
ADDRESS = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _folded(text: str) -> str:
    """Text as a reader compares names: case, width ("Ｂｕｄｉ"), accents ("José") and
    invisible characters (a zero-width space, a soft hyphen) set aside, so that a solution
    cannot name its requester past the check by writing them another way than recorded."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    return unicodedata.normalize("NFC", kept)


def _modern(text: str) -> str:
    for old, new in _OLD_SPELLINGS:
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class Requester:
    """A requester as their solved ticket recorded them (what of them a solution
    may not carry to another requester). `addresses` are every address they wrote from or
    copied on that ticket; `public` the addresses and domains the unit itself gives out
    (its mailbox, its staff, LKPP), which name no requester; `staff` the staff's names."""

    name: str = ""
    addresses: tuple[str, ...] = ()
    phone: str = ""
    company: str = ""
    postal: str = ""
    public: frozenset[str] = frozenset()
    staff: tuple[str, ...] = ()
    # the domains a reused solution may link to and write addresses of (subdomains
    # too: `link_domains`), and the unit's own phones and street addresses, which name no one
    domains: frozenset[str] = frozenset()
    contacts: tuple[str, ...] = ()  # its phone numbers and street addresses (`similar.public_contacts`)


# A check of `names_requester`: the solution as written and as folded (`_folded`), the
# words, the requester; the words of the solution that name them, or None.
_Check = Callable[[str, str, Vocabulary, Requester], str | None]


def names_requester(solution: str, words: Vocabulary, requester: Requester) -> tuple[str, str]:
    """What of a requester, as recorded on their ticket, a solution names, and the words
    that name it: ("name", "Pak Budi"), or ("", "") for nothing: the first of `_NAMING`'s
    checks that finds something. The check errs towards refusing: a solution that goes to
    another requester must carry no one's data, and staff can always write it. Case,
    width, accents and invisible characters do not count."""
    text = _folded(solution)
    for kind, check in _NAMING:
        found = check(solution, text, words, requester)
        if found is not None:
            return kind, found
    return "", ""


def _public_addresses(requester: Requester) -> tuple[set[str], set[str]]:
    """The addresses the unit gives out, folded, and their domains: they name no requester."""
    public = {_folded(a) for a in requester.public}
    return public, {a.rpartition("@")[2] for a in public}


def _own_address(solution: str, text: str, words: Vocabulary, requester: Requester) -> str | None:
    """One of the requester's addresses, whole, by its user part where that is no word
    ("budi.santoso88", "budisantoso"; not "info" nor "pengadaan"), or by its own domain
    where that is no shared one (cv-maju.co.id, not gmail.com or a government's)."""
    public, public_domains = _public_addresses(requester)
    for raw in requester.addresses:
        found = _address_named(raw, text, words, public, public_domains)
        if found is not None:
            return found
    return None


def _address_named(raw: str, text: str, words: Vocabulary, public: set[str], public_domains: set[str]) -> str | None:
    """What of one recorded address `text` holds: the address, its user part or its domain."""
    address = _folded(raw.strip())
    user, _, domain = address.rpartition("@")
    if not user or address in public:
        return None
    if address in text:
        return raw
    if _user_id(user, words) and re.search(rf"(?<![\w.-]){re.escape(user)}(?![\w-])", text):
        return user
    if (domain not in public_domains and not _SHARED_DOMAINS.search(domain)
            and re.search(rf"(?<![\w-]){re.escape(domain)}(?![\w-])", text)):
        return domain
    return None


def _other_address(solution: str, text: str, words: Vocabulary, requester: Requester) -> str | None:
    """Any address the unit does not give out, whoever's."""
    public, public_domains = _public_addresses(requester)
    for found in ADDRESS.finditer(text):
        other = found.group(0).rstrip(".")
        if other not in public and other.rpartition("@")[2] not in public_domains:
            return other
    return None


def _recorded_name(solution: str, text: str, words: Vocabulary, requester: Requester) -> str | None:
    """Any word of the recorded name that is no stop word, office or title ("Bapak",
    "S.T."), in old spelling or new ("Djoko" is "Joko")."""
    modern = _modern(text)
    recorded: list[str] = re.findall(r"[^\W\d_]{3,}", _folded(requester.name))
    for word in recorded:
        if word in words.stopwords or word in _OFFICES or word in _GENERIC_USERS:
            continue  # a From of "Ketua Pokja" or "Admin Tender" is an office, not a name
        if re.search(rf"{_LETTER_BEFORE}{re.escape(_modern(word))}{_LETTER_AFTER}", modern):
            return word
    return None


def _titled_name(solution: str, text: str, words: Vocabulary, requester: Requester) -> str | None:
    """A capitalised name after a form of address ("Pak Budi") that is no office and no
    staff member's: the name a ticket did not record. Read as written, capitals and all."""
    staff = {w for n in requester.staff for w in re.findall(r"[^\W\d_]+", _folded(n))}
    for titled in _TITLED.finditer(unicodedata.normalize("NFKC", solution)):
        first = _folded(titled.group(1).split()[0])
        if first not in words.stopwords and first not in _OFFICES and first not in staff:
            return str(titled.group(0))
    return None


def _recorded_phone(solution: str, text: str, words: Vocabulary, requester: Requester) -> str | None:
    """A recorded phone by its digits without the country or trunk prefix, however grouped;
    each number of a field that holds several ("0778-123456 / 0811 222 333")."""
    digits = re.sub(r"[^0-9]", "", text)
    for number in re.split(r"[/,;&]|\b(?:atau|or|dan|and)\b", requester.phone):
        core = re.sub(r"^(?:62|0)", "", re.sub(r"\D", "", _folded(number)))
        if len(core) >= 6 and core in digits:
            return number.strip()
    return None


def _recorded_company(solution: str, text: str, words: Vocabulary, requester: Requester) -> str | None:
    """The recorded company by its name without the legal form, its words joined by
    anything or nothing, or by any two of its words in a row (`_company_spans`)."""
    for span in _company_spans(_folded(requester.company).strip(), words):
        flexible = r"[\W_]*".join(re.escape(part) for part in span)
        if sum(map(len, span)) >= 3 and re.search(rf"(?<![^\W_]){flexible}(?![^\W_])", text):
            return " ".join(span)
    return None


def _company_spans(company: str, words: Vocabulary) -> list[list[str]]:
    """The company's name without its legal form; and for a firm of three words or more,
    each two of them in a row that are no stop words (a firm's, not "Pemerintah Kota
    Batam"'s "Kota Batam": a government has no legal form)."""
    firm = re.findall(r"\w+", _LEGAL_FORMS.sub("", company))
    spans = [firm]
    if len(firm) >= 3 and _LEGAL_FORMS.search(company):
        spans += [list(pair) for pair in itertools.pairwise(firm)
                  if all(len(w) >= 3 and w not in words.stopwords for w in pair)]
    return spans


_STREET_WORDS = frozenset({"jl", "jln", "jalan", "gg", "gang"})


def _recorded_street(solution: str, text: str, words: Vocabulary, requester: Requester) -> str | None:
    """The recorded postal address by its street ("Jl. Engku Putri No. 1"), without the word
    for a street, when it is long enough to name one place."""
    street = re.findall(r"\w+", _folded(requester.postal).split(",")[0])
    street = street[1:] if street[:1] and street[0] in _STREET_WORDS else street
    if sum(map(len, street)) < 6:
        return None
    flexible = r"[\W_]+".join(re.escape(part) for part in street)
    return " ".join(street) if re.search(rf"(?<![^\W_]){flexible}(?![^\W_])", text) else None


# What `names_requester` looks for, in order: each row the category it reports
# and its check.
_NAMING: tuple[tuple[str, _Check], ...] = (
    ("address", _own_address),       # the requester's addresses, their user parts and own domains
    ("address", _other_address),     # any address the unit does not give out
    ("name", _recorded_name),        # the recorded name, by any of its words
    ("name", _titled_name),          # "Pak Budi": a name the ticket did not record
    ("phone", _recorded_phone),      # the recorded phones, however grouped
    ("company", _recorded_company),  # the recorded company, without its legal form
    ("postal", _recorded_street),    # the recorded street
)


def _user_id(user: str, words: Vocabulary) -> bool:
    """Whether an address's user part names its owner: "budi.santoso88", "budisantoso";
    not "info", "pengadaan" or another word people use for an office's address."""
    if len(user) < 5 or user in _GENERIC_USERS:
        return False
    if re.search(r"[\d._-]", user):
        return True
    return len(user) >= 6 and user not in words.stopwords and not words.known(user) and words.stem(user) == user

"""The requester's identity for an escalation, as far as the mail tells it. Pure.

SOP-015 step 1 forwards the problem to LKPP; LKPP needs to know who is affected,
the fields of the "Formulir Konsultasi" (seed 003): name, agency or company,
address, phone. Requesters often write these as "Nama: ..." lines or in their
signature; we take what is there and never guess beyond it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

from mailbot.core.links import has_link
from mailbot.model import Address, Contact, InboundMessage, Ticket, has_mailbox
from mailbot.parsers.quotes import own_text

_ORG_WORDS = r"instansi|perusahaan|badan usaha|satker|dinas|organisasi|company|agency"
_FIELD = {
    "name": r"nama(?: lengkap| pengguna)?|name",
    # the seed 003 form's own label: "b. Nama Instansi/Perusahaan :"
    "organisation": rf"(?:nama )?(?:{_ORG_WORDS})(?:\s*/\s*(?:{_ORG_WORDS}))?",
    "address": r"alamat(?: kantor| perusahaan| instansi)?|address",
    "phone": r"(?:no(?:mor)?\.? ?)?(?:telp|telepon|telpon|hp|handphone|wa|whatsapp|phone|ponsel)(?:\s*/\s*(?:hp|wa))?",
}
# A line's indentation: blanks but the line break. `^\s*` in a MULTILINE pattern also ran
# over the blank lines before a line, so each line start of a run of them read the whole
# rest of the run: 8,000 blank lines took a request past its 30 s (`limits.message_seconds`)
# and into Quarantine. What it found is found the same from the line's own start.
_INDENT = r"[^\S\n]*"
# The form lists its fields as "a. Nama :", "b. ..."; a requester copies that.
_ITEM = r"(?:[a-e1-9][.)]\s*)?"
# The value up to the line's last non-blank (one blank only where nothing follows, as `.+?` gave),
# the blanks after it possessive: `.+?\s*$` tried `\s*$` from each blank of a run inside the value
# ("Nama: a", 100,000 blanks, "x": 33 s).
_LINE = {key: re.compile(rf"^{_INDENT}{_ITEM}(?:{pattern})\s*[:=]\s*(?P<value>.*?\S|[^\S\n])[^\S\n]*+$",
                         re.IGNORECASE | re.MULTILINE)
         for key, pattern in _FIELD.items()}
# "Telp. 0778-123456", "HP 0812 3456 7890": a phone label and a number, no colon needed.
_PHONE_LINE = re.compile(rf"^{_INDENT}{_ITEM}(?:{_FIELD['phone']})\.?\s*+[:=]?\s*+"
                         rf"(?P<value>\+?\(?\d[\d\s().-]{{5,24}})\s*$", re.IGNORECASE | re.MULTILINE)
_PHONE = re.compile(r"(?<![\d+])(?:\+62[-\s.]?|62|0)8\d{1,3}[-\s.]?\d{3,4}[-\s.]?\d{3,5}(?!\d)")
_ORG_NAME = (r"(?:PT|CV|UD|Koperasi|Dinas|Badan|Kantor|Sekretariat|Rumah Sakit|RSUD|UKPBJ|Yayasan|Pemerintah)\b"
             r"[^\n]{2,80}")
_ORG = re.compile(rf"^{_INDENT}({_ORG_NAME})$", re.MULTILINE)
# A signature's position line names the company after it: "Direktur CV Maju Jaya".
_POSITION = (r"(?:direktur(?: utama)?|wakil direktur|dirut|komisaris|pemilik|owner|manajer|manager|"
             r"kepala|sekretaris|bendahara|staf+|admin(?:istrasi)?|marketing|director|pejabat pengadaan|ppk)")
_POSITION_ORG = re.compile(rf"^{_INDENT}{_POSITION}\b[^\n]{{0,30}}?\s(?:pada |di |of |at )?({_ORG_NAME})$",
                           re.IGNORECASE | re.MULTILINE)
# A street address on a line of its own, as signatures give it: "Jl. Engku Putri No. 1, Batam";
# it has a number somewhere ("Jalan keluarnya bagaimana?" is a question, not an address).
_STREET = re.compile(rf"^{_INDENT}((?:jl|jln|jalan)\.?\s+[a-z0-9](?=[^\n]*\d)[^\n]{{2,110}}?)\s*$",
                     re.IGNORECASE | re.MULTILINE)
_SIGN_OFF = re.compile(r"^\W*(?:salam(?: hormat)?|hormat (?:saya|kami)|wassalam\w*|regards|best regards|kind regards|"
                       r"best|cheers|sincerely|ttd\.?)\W*$", re.IGNORECASE)
# A From display name that names an office, not a person: "Ketua Pokja", "Admin Tender", "Helpdesk".
_ROLE_NAME = re.compile(r"\b(?:pokja|panitia|ukpbj|lpse|admin|administrator|helpdesk|ketua|sekretariat|bagian|"
                        r"tender|pengadaan|info|marketing|kantor)\b", re.IGNORECASE)
_CONTACT_BITS = re.compile(r"@|https?://|www\.|^\W*(?:\+?\d[\d\s().-]{6,})\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    name: str = ""
    organisation: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def identify_texts(texts: tuple[str, ...], requester: Address) -> Identity:
    """The identity the requester's own texts state (earliest first), with their From."""
    found = _fields(texts)
    found.setdefault("email", requester.addr)
    _from_display_name(found, requester.name, texts)
    _from_signature(found, texts)
    return Identity(**found)


def _from_signature(found: dict[str, str], texts: tuple[str, ...]) -> None:
    """A name no label and no From display name gave: the one the writer signs with, the
    line under their sign-off ("Terima kasih," / "Budi Santoso") or over the company, position
    or phone of their signature (`_signed_off_name`), in their own text, earliest first."""
    if found.get("name"):
        return
    for text in map(own_text, texts):
        if name := _signed_off_name(text):
            found["name"] = name
            return


# The closing words a signature's name follows, besides the sign-offs: "Terima kasih,", "Thanks", "Rgds".
_THANKS = re.compile(r"^\W*(?:terima ?kasih|terimakasih|makasih|trims|tks|thanks?(?: you)?|thx|rgds|br|warm regards|"
                     r"salam hangat)\b[\w\s]{0,20}?\W*$", re.IGNORECASE)
_SIGNATURE_TAIL = 8  # lines: a signature stands at the end of what the writer wrote
# "Saya, Joko dari CV Sentosa", "sy Dedi dr CV Anugrah": the writer names themselves in a sentence.
_NAME_IN_SENTENCE = re.compile(r"\b(?i:saya|sy|aku|nama saya)\s*,?\s+([A-Z][a-z]+(?: [A-Z][a-z]+){0,3})\s*,?\s+"
                               r"(?i:dari|dr|dri|selaku|sebagai)\b")
# Words of an office or a department, never of a person's name: "Purchasing Dept.", "Tim Pengadaan".
_OFFICE_WORDS = re.compile(r"\b(?:purchasing|dept|department|divisi|procurement|finance|keuangan|accounting|sales|"
                           r"team|tim|customer|service|direksi|manajemen|management|hrd|legal|perusahaan)\b",
                           re.IGNORECASE)


def _signed_off_name(text: str) -> str:
    """The name a text is signed with: the first person's line after its last sign-off (a
    company or a position before it passed over), a line right above a company, a position
    at one or a phone, a name alone on the last line, or the writer naming themselves ("Saya,
    Joko dari CV Sentosa"); "" when none is a person's name (a company, an office, a
    greeting, a sentence)."""
    lines = [line.strip() for line in text.strip().splitlines()][-_SIGNATURE_TAIL:]
    signed_off = _after_sign_off(lines)
    if signed_off is not None:
        return signed_off
    match = _NAME_IN_SENTENCE.search(text)
    return _above_contact(lines) or _alone_at_the_end(lines) or (_person(match.group(1)) if match else "")


def _after_sign_off(lines: list[str]) -> str | None:
    """The first person's line after the last sign-off ("" when none is); None: no sign-off."""
    for index in range(len(lines) - 1, -1, -1):
        if _SIGN_OFF.match(lines[index]) or _THANKS.match(lines[index]):
            return next((name for line in lines[index + 1:index + 5] if (name := _person(line))), "")
    return None


def _above_contact(lines: list[str]) -> str:
    """A person's line right above a company, a position at one or a phone."""
    for above, below in itertools.pairwise(lines):
        if (_ORG.match(below) or _POSITION_ORG.match(below) or _PHONE_LINE.match(below) or _mobile(below)) \
                and (name := _person(above)):
            return name
    return ""


def _alone_at_the_end(lines: list[str]) -> str:
    """A short name alone on the last line, under a blank one: "...Mohon dicek pak.\n\nAndre"."""
    if len(lines) >= 3 and not lines[-2] and len(lines[-1].split()) <= 4:
        return _person(lines[-1])
    return ""


def _person(line: str) -> str:
    """The person's name a signature line gives, or ""."""
    name = _name_of_line(line)
    if (not name or _words(name) & _ADDRESS_WORDS or _not_a_person(name) or _CONTACT_BITS.search(name)
            or _OFFICE_WORDS.search(name) or _SIGN_OFF.match(name) or _THANKS.match(name)):
        return ""
    return name


def _from_display_name(found: dict[str, str], display: str, texts: tuple[str, ...]) -> None:
    """What a From display name adds: a person's name; a company ("PT Sinar Abadi",
    "Direktur CV Maju Jaya") is the instansi, and an office ("Ketua Pokja") is neither."""
    display = display.strip()
    if not display:
        return
    if org := _POSITION_ORG.fullmatch(display) or _ORG.fullmatch(display):
        found.setdefault("organisation", org.group(1).strip())
    elif not _ROLE_NAME.search(display):
        found.setdefault("name", _signed_name(in_order(display), texts))


# "Wijaya, Stefanus": a directory's "Last, First"; "Siti Aminah, S.E." is a name and a degree.
_LAST_FIRST = re.compile(r"([^\W\d_][\w'-]*(?: [^\W\d_][\w'-]*)?), ([^\W\d_][\w'-]*(?: [^\W\d_][\w'-]*)?)")
# A line that is only a name as people sign: capitalised words, initials, titles with dots.
_NAME_LINE = re.compile(r"[A-Z][\w'.-]*(?:,? [A-Z][\w'.-]*){0,5}")
# Forms of address and greetings: "Pak Joko" names someone, not who signs.
_ADDRESS_WORDS = frozenset({
    "yth", "kepada", "kpd", "dear", "pak", "bpk", "bu", "bapak", "ibu", "sdr", "sdri", "saudara", "mas", "mbak", "kak",
    "halo", "hai", "hi", "salam", "selamat", "terima", "kasih", "regards", "thanks", "tim", "team"})


def in_order(display: str) -> str:
    """A "Last, First" display name as the person is called ("Stefanus Wijaya")."""
    match = _LAST_FIRST.fullmatch(display)
    if match is None or any(len(word) <= 3 or not word[1:].islower() for word in match.group(2).split()):
        return display  # "Aminah, S.E.", "Sari, ST" or "Dewi, SKom": a degree after the comma
    return f"{match.group(2)} {match.group(1)}"


# A link or a host name; not the academic titles of Indonesian names ("Budi, S.Kom., M.T.").
# A host name's labels from the start of their run only: tried from each letter of a long word
# (a display name of 32,000 letters) the search read the rest of the word again each time.
_LINK_LIKE = re.compile(
    r"//|\bwww\.|@|(?<![a-z0-9-])[a-z0-9-]{2,}+\.[a-z0-9-]{2,}+\.[a-z]{2,}|"
    r"(?<![a-z0-9-])[a-z0-9-]{3,}+\.(?:com|net|org|id|io|xyz|info|co|me|ly|site|online|top|biz|link|click|test)\b",
    re.IGNORECASE)


def shown_name(address: Address) -> str:
    """The name mailbot's mail calls a person by: "Dear Stefanus Wijaya", not "Dear Wijaya,
    Stefanus"; none where the display name holds a link or a host name."""
    name = in_order(address.name)
    if _LINK_LIKE.search(name) or has_link(name) or len(name) > 80:
        name = ""  # a display name is the sender's to choose: mailbot never greets anyone with a link
    return name


def labelled(address: Address) -> str:
    """A person as staff read them in a notice: `Name <address>`, or the address alone."""
    name = shown_name(address)
    return f"{name} <{address.addr}>" if name else address.addr


def identity_of(ticket: Ticket, requester_texts: tuple[str, ...]) -> dict[str, str]:
    """The consultation form (seed 003): what staff set or the requester stated, else what
    their mail shows (`requester_texts`: their new texts, oldest first)."""
    found = identify_texts(requester_texts, ticket.requester)
    form = ticket.contact
    return {"name": form.name or found.name, "organisation": form.organisation or found.organisation,
            "address": form.address or found.address, "phone": form.phone or found.phone,
            "email": ticket.requester.addr if has_mailbox(ticket.requester.addr) else ""}


# SPSE's tender and package codes as requesters write them: "kode tender 10234567", "Kode Lelang:
# 10566778", "paket 12345678", "ID paket 7712345", "tender nomor 10455667", "RUP 29871234", "bid for
# tender 10299887"; a bare "Kode 11004455" on a package's line. A number of 5 to 15 digits after
# the words; never a date, an amount, an NPWP or a phone number, which no such word introduces.
_TENDER_WORDS = (r"(?:tender|paket|lelang|seleksi|non[- ]?tender|pengadaan langsung|penunjukan langsung|rup|"
                 r"package|e-?purchasing)")
_CODE_WORDS = r"(?:kode|kd|id|no|nomor|nomer|number|code|#)"
_TENDER = re.compile(
    rf"(?<![\w-])(?:{_CODE_WORDS}\.?\s*{_TENDER_WORDS}|{_TENDER_WORDS}(?:\s*{_CODE_WORDS})?)\.?\s*+[:=#]?\s*+"
    rf"(?:no\.?\s*+)?(\d{{5,15}})(?![\d.,/-]*\d)|(?<![\w-])(?:kode|kd)\.?\s*+[:=#]?\s*+(\d{{7,15}})(?![\d.,/-]*\d)",
    re.IGNORECASE)


def tender_code(text: str) -> str:
    """The tender or package code a text names (the first), "" when it names none."""
    match = _TENDER.search(text)
    return (match.group(1) or match.group(2)) if match else ""


# What a requester's acknowledgement asks for, in this order (seed 003's form, and what LKPP
# needs of a problem under SOP-015 step 1: the tender's code and the error on screen).
ASKED = ("name", "organisation", "phone", "tender", "screenshot")


def missing_from(contact: Contact, msg: InboundMessage) -> list[str]:
    """What the requester has not given yet (`ASKED`): the consultation form's fields their mail
    and its signature state (`contact`, as `contact_of` read it, the From's name included), a
    tender or package code in its subject or text, a file (a screenshot, a scan). Their ack asks
    for these alone: Budi, who wrote all of it and attached the screenshot, is asked for nothing."""
    given = {"name": bool(contact.name.strip()), "organisation": bool(contact.organisation.strip()),
             "phone": bool(contact.phone.strip()),
             "tender": bool(tender_code(f"{msg.subject}\n{msg.text or msg.new_text}")),
             "screenshot": bool(msg.attachments)}
    return [key for key in ASKED if not given[key]]


def _signed_name(display: str, texts: tuple[str, ...]) -> str:
    """The name the requester signs with when it is the display name and more: From
    "Joko", signed "Joko Susilo", "Mira Anggraini | Staff Tender" or "oki saputra - 0896..."."""
    words = _words(display)
    for text in map(own_text, texts):
        for line in text.splitlines():
            name = _name_of_line(line.strip())
            if name and words < _words(name) and not _words(name) & _ADDRESS_WORDS and not _not_a_person(name):
                return name
    return display


# Words of a street, a place or a procurement package: "Jl. Ahmad Yani", "Pembangunan Jalan Andi Jaya".
_PLACE_WORDS = frozenset({
    "jl", "jln", "jalan", "gg", "gang", "komplek", "kompleks", "perumahan", "blok", "kota", "kabupaten", "kab",
    "provinsi", "kecamatan", "kelurahan", "desa", "pembangunan", "rehabilitasi", "renovasi", "peningkatan",
    "paket", "gedung", "proyek", "kegiatan", "belanja", "jasa"})


def _not_a_person(line: str) -> bool:
    """A company named after its owner ("PT Rudi Karya Mandiri", "Direktur CV Hendra Jaya"), an
    office, a street or a package that holds the sender's name: not the name they sign with."""
    return bool(_ORG.fullmatch(line) or _POSITION_ORG.fullmatch(line) or _ROLE_NAME.search(line)
                or _words(line) & _PLACE_WORDS)


# from the start of a run of blanks only (the leftmost match starts there anyway): not from each blank of it
_SEPARATOR = re.compile(r"(?<!\s)\s++(?:[|\u00b7\u2022/]|-{1,2}|\u2013|\u2014)\s+")


def _name_of_line(line: str) -> str:
    """The name a signature line gives: the whole line as a name, or its first piece
    before a separator when what follows is a position or a number."""
    if len(line) > 100:
        return ""
    if len(line) <= 60 and _NAME_LINE.fullmatch(line):
        return line
    first, *rest = _SEPARATOR.split(line, maxsplit=1)
    if not rest or len(first) > 40 or not re.fullmatch(r"[^\W\d_]+(?: [^\W\d_]+){1,3}", first):
        return ""
    return first if _NAME_LINE.fullmatch(first) or re.search(r"\d{4}|@", rest[0]) else ""


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[^\W\d_]+", text.lower())}


def _fields(texts: tuple[str, ...]) -> dict[str, str]:
    """The fields the texts state, earliest text first; within a text, the first finder of
    `_FINDERS` that finds a field wins."""
    found: dict[str, str] = {}
    for text in map(own_text, texts):  # never a forwarded or quoted signature: someone else's
        for key, find in _FINDERS:
            if key not in found and (value := find(text)) is not None:
                found[key] = value
    return found


def _labelled(pattern: re.Pattern[str]) -> Callable[[str], str | None]:
    """A field written as "Nama: ...", "b. Nama Instansi/Perusahaan : ..."."""
    def find(text: str) -> str | None:
        match = pattern.search(text)
        return match.group("value")[:120] if match else None
    return find


def _phone_line(text: str) -> str | None:
    """ "Telp. 0778-123456": a phone label and a number."""
    match = _PHONE_LINE.search(text)
    return match.group("value").strip() if match else None


def _mobile(text: str) -> str | None:
    """A mobile number anywhere in the text."""
    match = _PHONE.search(text)
    return match.group(0) if match else None


def _company(text: str) -> str | None:
    """A company on a position line ("Direktur CV Maju Jaya") or on a line of its own."""
    match = _POSITION_ORG.search(text) or _ORG.search(text)
    return match.group(1).strip() if match else None


# A phone after its label within a line: "Telp. (0778) 456789 | Fax. (0778) 456790", "WA: 0857 1234 9876".
_PHONE_IN_LINE = re.compile(rf"(?<!\w)(?:{_FIELD['phone']}|tel)\.?\s*+[:=]?\s*+(\+?\(?\d[\d\s().-]{{5,22}}\d)",
                            re.IGNORECASE)
# A line that is a phone number alone, as signatures give a landline: "0778-123456", "(0778) 470 1122".
_PHONE_ALONE = re.compile(rf"^{_INDENT}((?:\+62|\(?0)[\d\s().-]{{7,18}}\d)\s*$", re.MULTILINE)


def _phone_in_line(text: str) -> str | None:
    match = _PHONE_IN_LINE.search(text)
    return match.group(1).strip() if match else None


def _phone_alone(text: str) -> str | None:
    """A line of a phone number alone: 9 to 13 digits (an NPWP has 15)."""
    return next((m.group(1) for m in _PHONE_ALONE.finditer(text) if 9 <= len(re.sub(r"\D", "", m.group(1))) <= 13),
                None)


# "Kami dari PT Harapan Baru ...", "sy Dedi dr CV Anugrah Teknik": a company in a sentence, its name capitalised.
_ORG_IN_SENTENCE = re.compile(r"\b(?i:dari|dr|dri)\s+((?:PT|CV|UD)\.? [A-Z][\w.&'-]*(?: [A-Z][\w.&'-]*){0,4})")


def _company_piece(text: str) -> str | None:
    """A company as one piece of a signature's line ("Wahyu - CV Teknik Mandiri - 0812 ..."), or
    named in a sentence."""
    for line in text.splitlines():
        for piece in _SEPARATOR.split(line.strip())[1:]:
            if match := _ORG.fullmatch(piece.strip()):
                return match.group(1).strip()
    match = _ORG_IN_SENTENCE.search(text)
    return match.group(1).strip() if match else None


def _street(text: str) -> str | None:
    match = _STREET.search(text)
    return match.group(1) if match else None


# How each field is found in a text, in order: the labelled lines, then what signatures show.
_FINDERS: tuple[tuple[str, Callable[[str], str | None]], ...] = (
    *((key, _labelled(pattern)) for key, pattern in _LINE.items()),
    ("phone", _phone_line),
    ("phone", _mobile),
    ("phone", _phone_in_line),
    ("phone", _phone_alone),
    ("organisation", _company),
    ("organisation", _company_piece),
    ("address", _street),
)


def is_signature(lines: list[str], name: str) -> bool:
    """Whether these lines are only a sign-off and signature (name, position, company, phone).

    SPEC E4: a requester's reply to a solution that holds only their signature says
    neither yes nor no; it must not reopen the ticket. `name` is the From display name
    (and the names the ticket knows). A signature is recognised by its shape: lines that
    are a known kind (a sign-off, a phone or e-mail, a company, the sender's name) anchor
    it, and the rest may be what no list names, a position or an office written as a
    title ("Pejabat Pembuat Komitmen", "BPBD Kota Uji", "Agus Salim, S.T.").
    """
    words = {w for w in re.findall(r"\w+", name.lower()) if len(w) > 1}
    known = [_signature_line(line, words) for line in lines]
    if not lines or not any(known):
        return False
    return all(k or _title_line(line) for k, line in zip(known, lines, strict=True))


def is_signature_line(line: str, name: str = "") -> bool:
    """Whether one line may be part of a signature: a known kind (sign-off, phone, e-mail,
    company, address, the sender's `name`) or a title ("Pejabat Pembuat Komitmen")."""
    words = {w for w in re.findall(r"\w+", name.lower()) if len(w) > 1}
    return _signature_line(line, words) or _title_line(line)


def is_title_block(lines: list[str]) -> bool:
    """Whether these one to three lines are each written as a title ("Agen Helpdesk LKPP"):
    a name or an office under the last sentence of a mail."""
    return 0 < len(lines) <= 3 and all(_title_line(line) for line in lines)


# The kinds of line a signature is made of: a sign-off, a phone or e-mail, a company, a
# position at one, a street, a phone line, a labelled field.
_SIGNATURE_KINDS: tuple[Callable[[str], re.Match[str] | None], ...] = (
    _SIGN_OFF.match, _CONTACT_BITS.search, _ORG.match, _POSITION_ORG.match, _STREET.match, _PHONE_LINE.match,
    *(pattern.match for pattern in _LINE.values()),
)


def _signature_line(line: str, name_words: set[str]) -> bool:
    """A line of a known signature kind, or one made only of the sender's name."""
    text = line.strip()
    if any(kind(text) for kind in _SIGNATURE_KINDS):
        return True
    own = {w for w in re.findall(r"\w+", text.lower()) if len(w) > 1}
    return bool(own) and own <= name_words


# Small words a title keeps in lower case: "Kepala Seksi Kedaruratan dan Logistik", "Head of IT".
_TITLE_JOINERS = frozenset({"dan", "di", "pada", "ke", "dari", "untuk", "of", "and", "the", "for", "at", "&", "/", "-",
                            "bin", "binti", "van", "de", "der", "la"})
# Words of a sentence, never of a title, whatever their case: "Akun Saya Terkunci Lagi" is an answer.
_SENTENCE_WORDS = frozenset({"saya", "sy", "kami", "aku", "sudah", "sdh", "belum", "blm", "masih", "tidak", "tdk",
                             "lagi", "bisa", "tapi", "namun", "mohon", "tolong", "i", "we", "my", "is", "not", "still"})
_TITLE_MAX_WORDS = 8


def _title_line(line: str) -> bool:
    """A short line written as a title, every word capitalised but the joiners: no sentence."""
    text = line.strip()
    tokens = [token.strip("()[],.;:'\"") for token in text.split()]
    return _title_length(text, tokens) and _capitalised_as_title(tokens)


def _title_length(text: str, tokens: list[str]) -> bool:
    """As short as a title, with no question or exclamation."""
    return 0 < len(tokens) <= _TITLE_MAX_WORDS and len(text) <= 80 and not re.search(r"[?!]", text)


def _capitalised_as_title(tokens: list[str]) -> bool:
    """Every word capitalised but the joiners, and none a sentence's."""
    capitalised = [t for t in tokens if t[:1].isupper()]
    others = _lower_case_words(tokens)
    return (bool(capitalised) and all(t.lower() in _TITLE_JOINERS for t in others)
            and not any(t.lower() in _SENTENCE_WORDS for t in tokens))


def _lower_case_words(tokens: list[str]) -> list[str]:
    """The tokens with a letter that do not start with a capital."""
    return [t for t in tokens if t and not t[:1].isupper() and any(c.isalpha() for c in t)]


def identify(messages: list[InboundMessage]) -> Identity:
    """Collect the requester's identity from their messages, earliest first."""
    texts = tuple(m.text or m.new_text for m in messages)
    found = _fields(texts)
    if messages:
        found.setdefault("email", messages[0].from_addr.addr)
        _from_display_name(found, next((m.from_addr.name for m in messages if m.from_addr.name), ""), texts)
        _from_signature(found, texts)
    return Identity(**found)


_SIGNATURE_LINE = 60  # characters: a signature's line is a name, a title, a number


def unsigned(text: str, name: str) -> str:
    """The text without its closing sign-off and signature paragraphs (`identity.is_signature`):
    the desk's own name under every answer ("Salam, Agen Helpdesk LKPP") is no part of what
    it says, and the trained second opinion must not read it as a reason."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    while len(paragraphs) > 1:
        lines = [line for line in paragraphs[-1].splitlines() if line.strip()]
        if any(len(line) > _SIGNATURE_LINE or len(line.split()) > 8 for line in lines) \
                or not (is_signature(lines, name) or is_title_block(lines)):
            break  # a sentence ("Terima kasih atas kelengkapan dokumen ...") is no signature
        paragraphs.pop()
    return "\n\n".join(paragraphs)

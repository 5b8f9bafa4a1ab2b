"""Greetings at the start of a line, as people open a mail ("Selamat siang Pak,", "Yth.
Bapak/Ibu,", "Dear all,", "Assalamualaikum wr. wb."). Pure.

A requester's answer to a solution is read after its greeting (`closing`), and staff
commands may stand below one (`commands`).
"""

from __future__ import annotations

import re

# A greeting at the start of a line: greeting words ("Selamat siang", "Yth.", "Dear",
# "Assalamualaikum wr. wb."), an apology for answering late ("Maaf baru balas"), forms of
# address ("Pak", "Bapak/Ibu", "min") or both. A
# line that holds only greetings and a name says nothing yet; after a greeting on the
# same line ("Siang pak, sudah bisa", "Bu masih gagal upload") the rest decides.
_GREETING = re.compile(
    r"^\W*(?:(?:(?:(?:selamat|slmt|met|sugeng)\s+)?(?:pagi|siang|sore|malam|petang|enjing|sonten|dalu)|assalamu\W?alaikum|assalamualaikum|"
    r"salam(?:\s+sejahtera|\s+hormat)?|(?:kepada\s+|kpd\.?\s+)?yth|yang\s+terhormat|kepada|dengan\s+hormat|"
    # an apology for answering late: "Mohon maaf pak baru balas.", "Maaf telat respon bu,"
    r"(?:mohon\s+|minta\s+)?ma+af(?:\s+(?:pak|bu|bapak|ibu|min|mas|mbak|kak))?\s+(?:baru|telat|terlambat|lama)\s+"
    r"(?:sempat\s+|bisa\s+)?(?:mem|me|di|ng)?(?:balas|bales|respon|respons|jawab|kabari)\w*|"
    r"halo+|hallo+|helo+|hello+|hai+|hi+|hey|dear|greetings|good\s+(?:morning|afternoon|evening|day)|wr|wb|"
    r"pak|bpk|bu|bapak|ibu|mas|mbak|mba|kak|min|gan|admin|sir|madam|bang|om|tim|team|rekan|mr|mrs|ms)"
    r"\b\.?[\s,.!:;/-]*)+",
    re.IGNORECASE,
)
# A word of a name after a greeting ("Pak Andi", "Yth. Helpdesk LPSE Kota Batam"): any
# word that an answer is made of is none.
_NAME_WORD = re.compile(
    r"(?!(?:sudah|sdh|udah|udh|dah|telah|belum|blm|belom|masih|tetap|tidak|tdk|gak|ga|gk|nggak|enggak|bukan|"
    r"jangan|sama|saja|aja|juga|lagi|ya|yaa|iya|ok|oke|okay|siap|baik|bisa|bs|berhasil|sukses|gagal|error|eror|"
    r"masalah|masalahnya|permasalahan|kendala|mohon|tolong|minta|bagaimana|gimana|apakah|apa|kenapa|kok|cara|"
    r"tapi|tp|namun|saya|sy|kami|aku|akan|nanti|coba|untuk|yang|ini|itu|terima|kasih|makasih|thanks|thank|thx|"
    r"trims|selesai|tutup|ditutup|silakan|silahkan|boleh|sekarang|nih|dong|login|upload|akun|aplikasi|dokumen|"
    r"file|paket|tender|penawaran|nilai|puas|is|it|still|not|no|yes|the|i|we|my|can|cannot|works|working|done|"
    r"please|problem|issue|and|but|dan|sejak|tadi|kemarin|hari|sudahkah)\b)"
    r"[^\W\d_][\w'\u2019.-]{0,29}(?![\w'\u2019])[\s,.!:;/-]*",
    re.IGNORECASE,
)
_GREETING_WORDS = 8  # greetings and name words read after the first greeting, at most


def rests_after_greeting(line: str) -> list[str]:
    """What may follow a greeting at the start of `line`, shortest greeting first; [] if none."""
    head = _GREETING.match(line)
    if head is None:
        return []
    rest = line[head.end():]
    rests = [rest.strip()]
    for _ in range(_GREETING_WORDS):
        step = _GREETING.match(rest) or _NAME_WORD.match(rest)
        if step is None or not step.group():
            break
        rest = rest[step.end():]
        rests.append(rest.strip(" \t,.!:;/-"))
    return rests


def only_greets(line: str) -> bool:
    """Whether `line` holds only greetings and a name ("Bu Rina,", "Halo", "Dear all,")."""
    rests = rests_after_greeting(line)
    return bool(rests) and not rests[-1]


# The opening of a letter to the unit: a greeting ("Yth.", "Dear", "Selamat siang") that ends
# the line with a comma or nothing and names the unit ("Yth. Bapak/Ibu Bidang Layanan dan
# Dukungan LPSE Kabupaten Batang,", "Dear LPSE helpdesk team,"), a short line that says nothing
# else; or a letter's address block ("Kepada Yth." / "Tim Helpdesk LPSE Kota Batam" / "di Tempat").
_SALUTATION_WORDS = 14
# a sentence ends inside the line: it says something ("Yth.", "Kab.", "Sdri." are no sentence)
_SENTENCE = re.compile(r"[^\W\d_]{5,}[.]\s+\S|[!?]")
_AT_PLACE = re.compile(r"^\W*di\s*(?:tempat|[-\u2013\u2014.]+)?\W*$", re.IGNORECASE)
_ADDRESS_LINES = 3  # "Kepada Yth." and at most this many lines of whom, down to "di Tempat"
# what names the unit in a greeting; "Pengguna SPSE", "Bapak/Ibu" greet whoever reads it
UNIT_WORDS = re.compile(r"\b(?:lpse|help\s*desk|layanan\s+pengadaan)\b", re.IGNORECASE)


def _greets(line: str) -> bool:
    """Whether `line` only greets: greetings and a name, or a short greeting line that ends
    with a comma and holds no sentence."""
    if only_greets(line):
        return True
    text = line.strip()
    return (_GREETING.match(text) is not None and len(text.split()) <= _SALUTATION_WORDS
            and not _SENTENCE.search(text.rstrip(",:;")) and text[-1:] in {",", ":"})


def _opening(lines: list[str], i: int) -> int:
    """How many lines from `i` open a letter to the unit (0: none): a greeting line that names
    it, or "Kepada Yth." with the lines naming it down to "di Tempat"."""
    line = lines[i]
    if not _greets(line):
        return 0
    if UNIT_WORDS.search(line):
        return 1
    if only_greets(line) and rests_after_greeting(line)[0] == "":  # "Kepada Yth." alone
        block = lines[i + 1:i + 2 + _ADDRESS_LINES]
        end = next((k for k, below in enumerate(block) if _AT_PLACE.match(below)), None)
        if end is not None and any(UNIT_WORDS.search(below) for below in block[:end]):
            return end + 2
    return 0


def without_salutation(text: str) -> str:
    """A letter's words without the opening that greets the unit: what LKPP wrote to
    the unit ("Yth. Helpdesk LPSE Kota Batam,", "Dear LPSE Batang team,", "Kepada Yth. / Tim
    Helpdesk LPSE / di Tempat") is passed on to the requester under the unit's own greeting, as
    LKPP's answer, never as a letter addressed to the unit. Only that opening goes, with a bare
    "Dengan hormat," below it: a greeting of whoever reads it ("Yth. Bapak/Ibu Pengguna SPSE,")
    and a greeting with words on its line ("Yth. Helpdesk LPSE, sudah kami perbaiki.") stay
    whole, and a text that is nothing but a greeting is kept as it is."""
    lines = text.splitlines()
    i = next((k for k, line in enumerate(lines) if line.strip()), len(lines))
    taken = _opening(lines, i) if i < len(lines) else 0
    if not taken:
        return text
    i += taken
    while i < len(lines) and (not lines[i].strip() or only_greets(lines[i])):
        i += 1
    rest = lines[i:]
    return "\n".join(rest) if any(line.strip() for line in rest) else text

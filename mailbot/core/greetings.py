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
    r"^\W*(?:(?:(?:(?:selamat|slmt|met)\s+)?(?:pagi|siang|sore|malam|petang)|assalamu\W?alaikum|assalamualaikum|"
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

"""Ticket numbers as people write them in a mail's text: the full form ("2026-00042",
"2026/00042") and the short one that heads and coordinators write under the digest
("tiket 42"). The store looks the numbers up; what they are is read here, once.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"\b(\d{4})[-/](\d{5})\b")  # "2026-00042", also "2026/00042"
# A short form as heads and coordinators write it under the digest: "tiket 42", "tiket no. 00042", "ticket #42"
# (the year is the digest's, `mentioned_numbers`); a count is none: "tiket 3 hari yang lalu", "Ticket 1 of 2".
# The blanks are possessive (`\s*+`): nothing after them is a blank, and with plain `\s*` three runs
# split a run of blanks every way ("tiket" and 2,000 blanks: 26 s).
_SHORT_NUMBER = re.compile(r"\b(?:tiket|ticket|tkt)\s*+(?:no\.?|nomor|nmr|number|nr\.?)?\s*+#?\s*+(\d{1,5})\b"
                           r"(?![-/.,]\d)"
                           r"(?!\s*(?:hari|minggu|pekan|bulan|tahun|jam|menit|detik|days?|weeks?|months?|years?|hours?"
                           r"|minutes?|of|dari|lagi|lainnya|lain|sekaligus|buah|tiket|tickets?)\b)",
                           re.IGNORECASE)


def mentioned_numbers(text: str) -> tuple[str, ...]:
    """Ticket numbers (YYYY-NNNNN) a text names, in order, once each."""
    return tuple(dict.fromkeys(f"{year}-{seq}" for year, seq in _NUMBER.findall(text)))


def short_numbers(text: str) -> tuple[int, ...]:
    """Ticket numbers a text names without their year ("tiket 42"), in order, once each."""
    return tuple(dict.fromkeys(int(m.group(1)) for m in _SHORT_NUMBER.finditer(text)))

"""Text as the rules read it: flattened, and cut into sentences.

Mail wraps its lines anywhere, so a phrase is searched in the text with its line breaks
and blank runs folded (`flatten`); the LKPP and closing rules weigh each sentence on its
own (`sentences`), as a hedge or a question in one sentence says nothing of the next.
Only the first `MAX_TEXT` characters are read: the phrases that decide sit near the top,
and a crafted megabyte of text must not make every rule scan it (SPEC section 9).
"""

from __future__ import annotations

import re

MAX_TEXT = 20_000
# A list item at the start of a line: "- kode tender", "2. NPWP", "b) username".
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022\u00b7\u2023\u25aa\u2013]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+", re.IGNORECASE)
# A run of stops, whole, before a blank: tried from a run's first stop only and never given
# back, so a run that no blank follows (20,000 full stops) costs one look, not one per stop
_SENTENCE_END = re.compile(r"(?<![.?!])[.?!]++(?=\s)")
# Mail written without full stops still starts sentences with these words; a capitalised
# one after a lower-case word starts a new sentence ("... sudah kami reset Mohon dicoba").
_SENTENCE_START = re.compile(
    r"(?<=[\w)\]\"'])\s+(?=(?:Mohon|Silakan|Silahkan|Apabila|Jika|Bila|Terima kasih|Demikian|Apakah|Namun|"
    r"Sementara|Saat ini|Untuk|Please|Could you|Can you|Would you|Kindly|If|Thank|Thanks|However)\b)"
)
# A full stop after these does not end a sentence ("Yth. Bapak", "s.d. besok", "a.n. Budi").
_ABBREVIATIONS = frozenset({
    "yth", "no", "nomor", "s.d", "sd", "dll", "dsb", "dst", "bpk", "sdr", "sdri", "tn", "ny", "jl", "jln", "telp",
    "tlp", "kab", "kec", "kel", "prov", "a.n", "u.p", "dr", "ir", "hj", "st", "e.g", "i.e", "etc", "vs", "mr",
    "mrs", "ms", "pt", "cv", "tbk", "ref", "lamp", "nip", "ttd", "ybs", "bapak/ibu", "tgl", "hlm",
})


def flatten(text: str, limit: int = MAX_TEXT) -> str:
    """Fold line breaks and runs of white space to one space, so wrapped mail matches."""
    return " ".join(text[:limit].split())


def sentences(text: str, limit: int = MAX_TEXT) -> tuple[str, ...]:
    """The text as flattened sentences, for rules that weigh each sentence on its own.

    A blank line or a list item starts a new block, so a greeting, each paragraph and
    each item of a list stand alone even without punctuation; inside a block, wrapped
    lines are joined and the block is cut after `?`, `!` and after a full stop that
    ends a word (not "Yth.", "s.d.", an initial or a number such as 14.00).
    """
    blocks: list[str] = []
    current: list[str] = []
    for line in text[:limit].splitlines():
        if (not line.strip() or _LIST_ITEM.match(line)) and current:
            blocks.append(" ".join(current))
            current = []
        if line.strip():
            current.append(line)
    if current:
        blocks.append(" ".join(current))
    result: list[str] = []
    for block in blocks:
        result.extend(split_sentences(" ".join(block.split())))
    return tuple(part for part in result if part)


def split_sentences(block: str) -> list[str]:
    """One flattened block cut into sentences (see `sentences`)."""
    result: list[str] = []
    for flat in _SENTENCE_START.split(block):
        start = 0
        for end in _SENTENCE_END.finditer(flat):
            if end.group() == "." and _no_sentence_end(flat[start : end.start()]):
                continue
            result.append(flat[start : end.end()].strip())
            start = end.end()
        if flat[start:].strip():
            result.append(flat[start:].strip())
    return result


def _no_sentence_end(before: str) -> bool:
    """Whether a full stop after `before` ends no sentence: after an initial, an abbreviation
    ("Yth.", "s.d."), or the number of a list item ("2. NPWP")."""
    word = before.rsplit(" ", 1)[-1].lower()
    if (len(word) == 1 and word.isalpha()) or word in _ABBREVIATIONS:
        return True
    return word.isdigit() and " " not in before.strip()

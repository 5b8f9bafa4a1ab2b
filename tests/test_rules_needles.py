"""The quick look before a rule's regex (`mailbot.rules.needles`) never changes an answer.

The property: for every pattern of the shipped rules and every text, the search with
the look gives the same match as the regex alone. Texts: real mail (the corpora's
subjects and bodies), Indonesian helpdesk wording, and each pattern's own words
written as the regex engine still matches them case-insensitively (capitals, Turkish
dotted and dotless i, the long s, the Kelvin sign), where a naive lower() would miss.
"""

import re

import pytest

from mailbot.errors import BadMessageError
from mailbot.parsers import parse_message
from mailbot.parsers.literals import fold
from mailbot.rules import flatten, load_rules
from mailbot.rules.needles import needles, search
from tests.shared import SHARED

CORPORA = SHARED / "corpora"


def shipped_patterns() -> list[re.Pattern[str]]:
    rules = load_rules(None)
    found: list[re.Pattern[str]] = []
    for section in ("lkpp", "lkpp_tickets", "closing", "ratings", "category", "priority"):
        for rule in getattr(rules, section):
            found += [*rule.patterns, *rule.unless, *rule.unless_sentence]
    return found


def corpus_texts(limit: int = 400) -> list[str]:
    texts: list[str] = []
    for path in sorted(CORPORA.rglob("*")):
        if not path.is_file() or path.name in ("LICENSE", "README", "README.md") or len(texts) >= limit:
            continue
        try:
            msg = parse_message(path.read_bytes())
        except BadMessageError:  # refused by the parser: no text to look at
            continue
        texts += [flatten(msg.subject), flatten(msg.new_text)[:3000]]
    return texts


HELPDESK = [
    "Selamat pagi, saya tidak bisa upload dokumen penawaran karena muncul error pada aplikasi SPSE.",
    "Mohon bantuan, akun kami terblokir padahal tender ditutup hari ini pukul 15.00 WIB.",
    "Bagaimana cara mengubah data perusahaan? Terima kasih.",
    "Server LPSE down sejak tadi pagi, tidak dapat diakses sama sekali.",
    "DENGAN HORMAT, KAMI INGIN BERTANYA TENTANG JADWAL PELATIHAN.",
    "Pengaduan: pokja tidak menjawab sanggahan kami.",
]


def variants(word: str) -> list[str]:
    """The word as the engine still matches it under IGNORECASE."""
    return [word.upper(), word.title(), word.replace("i", "İ"), word.replace("i", "ı"), word.replace("s", "ſ"),
            word.replace("k", "\u212a"), word.upper().replace("I", "ı")]


def test_the_look_never_changes_a_match_of_any_shipped_pattern():
    patterns = shipped_patterns()
    texts = [*corpus_texts(), *HELPDESK]
    looked = 0
    for pattern in patterns:
        words = needles(pattern) or ()
        looked += bool(words)
        own = [f"awal {v} tengah {v} akhir" for word in words[:6] for v in variants(word)]
        for text in [*texts, *own]:
            plain = pattern.search(text)
            quick = search(pattern, text)
            assert (quick and quick.span()) == (plain and plain.span()), (pattern.pattern, text[:200])
    assert looked > len(patterns) // 2  # most patterns start with words: the look is used


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\b(gagal|error|eror)\b.{0,40}\b(upload|unggah)", ("eror", "error", "gagal")),
    (r"meng(upload|unggah)\b", ("mengunggah", "mengupload")),
    (r"\b(batas (akhir|waktu)|deadline)\b", ("batas akhir", "batas waktu", "deadline")),
    (r"(?=tolong)tolong bantu", ("tolong bantu",)),
    (r"[abc]def", ("def",)),  # starts with a class: the words after it, which every match holds
    (r"(ab|)cde", ("cde",)),  # an empty alternative: nothing every match starts with, but "cde" it holds
    (r"^(?:\W*\w+\W+){0,3}?(apa|kapan)\b", ("apa", "kapan")),  # words after a repeat
    (r"\w+(ab|)\d", None),  # nothing every match holds: always run
    (r"ab?cde", None),  # "a" alone is too short to be worth a look
    (r"\?", None),
    (r"(?P<rating>[1-5])", None),
])
def test_the_needles_are_words_every_match_holds(pattern, expected):
    assert needles(re.compile(pattern, re.IGNORECASE)) == expected


def test_a_pattern_without_ignorecase_is_always_run():
    assert needles(re.compile(r"gagal upload")) is None


def test_folding_ascii_text_makes_one_exactly_what_the_engine_takes_for_one():
    """Plain ASCII text takes a shorter way through `fold`: it must agree with the engine
    on every pair of characters, and with the long way on a text that is not ASCII."""
    import re

    chars = [chr(code) for code in range(128)]
    for a in chars:
        for b in chars:
            assert (fold(a) == fold(b)) == bool(re.fullmatch(re.escape(a), b, re.IGNORECASE)), (a, b)
    assert fold("Kontrak SPSE ſudah") == fold("kontrak spse sudah") == "kontrak spse sudah"
    assert fold("\u212aONTRAK") == fold("KONTRAK")


def test_folding_makes_one_what_the_engine_takes_for_one():
    assert fold("DİBLOKİR") == fold("diblokir") and fold("ſerver") == fold("server") == fold("SERVER")
    assert fold("\u212aontrak") == fold("kontrak") and fold("dıblokır") == fold("diblokir")


def test_one_look_at_all_sentences_never_misses_a_sentence_that_matches():
    """`in_none` says a pattern matches none of a body's sentences only where
    searching each sentence finds nothing: every shipped pattern, over the sentences of real
    mail and of Indonesian helpdesk wording (each corpus body's sentences one group), and over
    sentences at the edges a joined look could blur (a pattern's own words alone, first, last)."""
    from mailbot.rules.needles import in_none
    from mailbot.rules.text import sentences

    groups = [sentences(text) for text in [*corpus_texts(), " ".join(HELPDESK), "\n\n".join(HELPDESK)]]
    groups = [g for g in groups if g]
    told = 0
    for pattern in shipped_patterns():
        words = needles(pattern) or ()
        own = [(w, "Terima kasih.") for w in words[:4]] + [("Selamat pagi.", w) for w in words[:4]]
        for group in [*groups, *own, ("?",), ("ya?", "tidak")]:
            if in_none(pattern, tuple(group)):
                told += 1
                assert not any(pattern.search(text) for text in group), (pattern.pattern, group[:3])
    assert told > 0


@pytest.mark.parametrize(("pattern", "texts"), [
    (r"^tidak bisa", ("Halo.", "tidak bisa login")),  # ^ is each sentence's start
    (r"login$", ("tidak bisa login", "Terima kasih.")),  # $ each sentence's end
    (r"\bbisa\b", ("tidak", "bisa")),
    (r"(?<!tidak )bisa", ("tidak", "bisa")),  # a look-behind: the neighbour would be seen, so each is looked at
    (r"\Abisa", ("tidak", "bisa")),
    (r"bisa(?!\s)", ("bisa", "login")),
])
def test_a_pattern_matching_one_sentence_alone_is_never_told_to_match_none(pattern, texts):
    from mailbot.rules.needles import in_none

    compiled = re.compile(pattern, re.IGNORECASE)
    assert any(compiled.search(t) for t in texts)
    assert not in_none(compiled, texts)


@pytest.mark.parametrize(("pattern", "expected"), [
    (r"\b(tidak|ga) (adil|wajar)\b", [{"tidak adil", "tidak wajar", "ga adil", "ga wajar"}]),
    (r"\b(kami|saya)\s+(?:\w+\s+)?(pokja|ppk)\b", [{"kami", "saya"}, {"pokja", "ppk"}]),
    (r"meng(upload|unggah)\b", [{"mengupload", "mengunggah"}]),
    (r"\be[- ]?kontrak\b", [{"ekontrak", "e-kontrak", "e kontrak"}]),
    (r"(ab|)cde", [{"abcde", "cde"}]),
    (r"^(?:\W*\w+\W+){0,8}?(apa|kapan)\b.*\?", [{"apa", "kapan"}, {"?"}]),
    # an alternation whose alternatives cannot all be spelled out: one word of each alternative's own
    (r"(?:(\w+) lagi|masih) (gagal|error)", [{" lagi", "masih"}, {" gagal", " error"}]),
    (r"(?:gagal|error)+ upload", [{"gagal", "error"}, {" upload"}]),  # a repeat taken once at least holds its words
    (r"x?\d+", []),
    (r"\w+(ab|)\d", []),
])
def test_the_required_words_are_sets_every_match_holds_one_of(pattern, expected):
    from mailbot.parsers.literals import required

    assert sorted(map(sorted, required(re.compile(pattern, re.IGNORECASE)))) == sorted(map(sorted, expected))


def test_the_index_finds_exactly_the_words_a_text_holds():
    """`NeedleIndex.present`: one scan finds the same words `word in text` finds for each, on
    real mail and on texts made of the words themselves, overlapping and nested."""
    from mailbot.parsers.literals import fold
    from mailbot.rules.needles import NeedleIndex

    index = NeedleIndex(shipped_patterns())
    words = {word for sets, _ in index.looks.values() for found in sets for word in found}
    made = ["".join(sorted(words)[i::37]) for i in range(37)] + [" ".join(sorted(words))]
    for text in [*corpus_texts(120), *HELPDESK, *made]:
        haystack = fold(text)
        assert index.present(haystack) == {word for word in words if word in haystack}, text[:200]


def test_one_look_with_the_index_never_misses_a_sentence_that_matches():
    """`in_none` with the index of the shipped patterns says a pattern matches none of a
    body's sentences only where searching each finds nothing (as without it, above)."""
    from mailbot.parsers.literals import required
    from mailbot.rules.needles import NeedleIndex, in_none
    from mailbot.rules.text import sentences

    patterns = shipped_patterns()
    index = NeedleIndex(patterns)
    groups = [sentences(text) for text in [*corpus_texts(), " ".join(HELPDESK), "\n\n".join(HELPDESK)]]
    own = [(w, "Terima kasih.") for pattern in patterns for words in required(pattern) for w in sorted(words)[:2]]
    told = 0
    for group in [*[g for g in groups if g], *own, ("?",), ("ya?", "tidak")]:  # a group's words found once
        for pattern in patterns:
            if in_none(pattern, tuple(group), index):
                told += 1
                assert not any(pattern.search(text) for text in group), (pattern.pattern, group[:3])
    assert told > 0


def test_the_rules_the_words_point_to_give_every_verdict_asking_each_rule_gives():
    """`guess_category` and `guess_priority` ask only the rules whose patterns the message's
    words leave possible (`Rule.hopeless`); asking every rule with no index gives the same
    verdict, reason and all, on real mail and on the helpdesk's own wording."""
    from mailbot.rules.tables import _first, _weigh
    from mailbot.rules.text import sentences

    rules = load_rules(None)
    mails = [(text[:80], text) for text in corpus_texts(300)] + [(h, h) for h in HELPDESK] + [
        (f"{a} {b}", f"{b}. {a}") for a, b in zip(HELPDESK, reversed(HELPDESK), strict=True)]
    told = set()
    for subject, body in mails:
        flat_subject, flat_body = flatten(subject), flatten(body)
        category = _weigh(rules.category, flat_subject, flat_body, sentences(body))
        assert rules.guess_category(subject, body) == (category or rules.guess_category("", "")), subject
        priority = _first(rules.priority, flat_subject, flat_body)
        assert rules.guess_priority(subject, body) == (priority or rules.guess_priority("", "")), subject
        told.add((category and category.value, priority and priority.value))
    assert len(told) >= 4  # the texts meet several categories and priorities, not only the defaults

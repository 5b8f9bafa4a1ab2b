"""The shipped rules compile at their first use (`mailbot.rules.lazy_pattern`), and that
changes no answer: the shipped files are checked here whole, as an operator's file is
checked at start, and the lazily loaded tables are the checked ones, pattern for pattern.
"""

import copy
import re
from pathlib import Path

import pytest
import yaml

from mailbot.errors import ConfigError
from mailbot.rules import load_rules
from mailbot.rules.lazy_pattern import LazyPattern
from mailbot.rules.rule_files import SECTIONS, load_tables
from mailbot.rules.yaml_files import DEFAULTS_DIR

TEXTS = [
    "Mohon bantuan, akun kami terblokir padahal tender ditutup hari ini pukul 15.00 WIB.",
    "Ya, sudah bisa. Terima kasih, nilai 5",
    "Tidak, masih error saat unggah dokumen penawaran",
    "Re: [Ticket#2026112110000123] Permohonan reset akun",
    "Your ticket has been closed. State: closed",
    "Mohon dilengkapi data berikut: NPWP dan nama paket",
    "",
]


def patterns_of(tables: dict[str, dict[str, list]]) -> list[tuple[str, str, str, re.Pattern[str]]]:
    return [(kind, section, rule.name, pattern) for kind, sections in tables.items() for section, rules in
            sections.items() for rule in rules for pattern in (*rule.patterns, *rule.unless, *rule.unless_sentence)]


def test_the_shipped_files_pass_the_checks_an_operators_file_passes() -> None:
    tables, defaults = load_tables({}, check_shipped=True)
    checked = patterns_of(tables)
    assert len(checked) > 300
    assert all(isinstance(pattern, re.Pattern) for *_, pattern in checked)
    assert set(defaults) == {"category", "priority"}


def test_lazily_loaded_rules_are_the_checked_ones_and_compile_only_when_asked() -> None:
    lazy_tables, lazy_defaults = load_tables({})
    checked_tables, checked_defaults = load_tables({}, check_shipped=True)
    assert lazy_defaults == checked_defaults
    lazy, checked = patterns_of(lazy_tables), patterns_of(checked_tables)
    assert [where for *where, _ in lazy] == [where for *where, _ in checked]
    assert all(isinstance(p, LazyPattern) and p._compiled is None for *_, p in lazy)
    for (*where, pattern), (*_, compiled) in zip(lazy, checked, strict=True):
        assert pattern.pattern == compiled.pattern, where
        for text in TEXTS:
            found, expected = pattern.search(text), compiled.search(text)
            assert (found and (found.span(), found.groupdict())) == (expected and (expected.span(),
                                                                                   expected.groupdict())), where
        assert pattern.flags == compiled.flags and pattern == compiled and hash(pattern) == hash(compiled)
        assert pattern.search.__self__ is pattern.compiled  # once compiled, no call of ours in between


def test_a_lazy_pattern_is_a_value_as_a_compiled_one_is() -> None:
    rules = load_rules(None)
    copied = copy.deepcopy(rules.closing)
    assert copied == rules.closing and copy.copy(rules.closing[0].patterns[0]) is rules.closing[0].patterns[0]


def test_a_question_compiles_one_pattern_not_the_table() -> None:
    rules = load_rules(None)
    verdict = rules.lkpp_ticket("Re: [Ticket#2026112110000123] Permohonan", "")
    assert verdict == "2026112110000123"
    compiled = [p for rule in rules.lkpp_tickets for p in rule.patterns if p._compiled is not None]
    untouched = [p for rule in (*rules.closing, *rules.category) for p in rule.patterns]
    assert compiled and all(p._compiled is None for p in untouched)


@pytest.mark.parametrize("kind", sorted(SECTIONS))
def test_an_operators_file_has_its_kind_checked_at_start(tmp_path: Path, kind: str) -> None:
    """An operator's word list goes into the shipped patterns of its kind: a broken one stops
    start-up naming the word, though only shipped rules use it."""
    words = list(yaml.safe_load((DEFAULTS_DIR / f"{kind}.yaml").read_text(encoding="utf-8")).get("words") or ())
    if not words:
        pytest.skip(f"rules/{kind}.yaml defines no words")
    (tmp_path / f"{kind}.yaml").write_text(f"words:\n  {words[0]}: ['(unclosed']\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"word '{words[0]}'.*invalid regular expression"):
        load_rules(tmp_path)

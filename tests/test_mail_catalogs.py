"""The mails written once for every language: `mailbot/templates/_mails/<kind>.txt`
holds the structure, its words in `{% trans %}` blocks with English message ids, and each
other language's catalog (`templates/<lang>/mails.po`) holds their words. Adding a language
is its catalog and its words.yaml, not a copy of every template.

What must hold for that: the Indonesian catalog words every message the shared templates
use, and only those; an operator's own template of a kind still wins (and an old copy that
includes `id/_footer.txt` still finds it); an operator's own catalog rewords what it names.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from mailbot.io.render import Renderer
from mailbot.io.words import words
from tests.test_templates import context

SHARED = resources.files("mailbot").joinpath("templates", "_mails")


def messages() -> set[str]:
    """Every message of the shared templates, as the i18n extension looks them up."""
    env = Renderer().env
    found: set[str] = set()
    for item in SHARED.iterdir():
        for _line, function, message in env.extract_translations(item.read_text("utf-8")):
            # a message with values is listed as a tuple, the message first; pgettext's
            # message after its context, the two joined as gettext joins them
            singular = message if isinstance(message, str) else message[0]
            if function == "pgettext":
                singular = f"{message[0]}\x04{message[1]}"
            assert isinstance(singular, str), message
            found.add(singular)
    return found


def test_the_indonesian_catalog_words_every_message_and_no_other() -> None:
    catalog = {**words("id").mails.messages, **words("id").mails.plurals}
    used = messages()
    assert sorted(used - catalog.keys()) == []
    assert sorted(catalog.keys() - used) == []
    assert len(used) > 100


def test_english_needs_no_catalog() -> None:
    assert words("en").mails.messages == words("en").mails.plurals == {}


def test_an_operators_template_of_a_shared_kind_still_wins(tmp_path: Path) -> None:
    """A copy of the per-language template an operator kept (ours are gone)
    is used, and its include of the per-language footer finds the shared one, in Indonesian."""
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "escalated_user.txt").write_text('Halo {{ requester_name }}.\n{% include "id/_footer.txt" %}',
                                                       encoding="utf-8")
    text, html = Renderer(tmp_path).body("escalated_user", "id", context())
    assert html is None
    assert text == ("Halo Budi Santoso.\n\n--\nHelpdesk LPSE Kota Batam\nlpse@batam.go.id\nMohon balas email ini "
                    "tanpa mengubah subjek agar pesan Anda tercatat pada tiket 2026-00042.\n")
    english, _ = Renderer(tmp_path).body("escalated_user", "en", context())
    assert english.startswith("Dear Budi Santoso,\n")


def test_an_operators_catalog_rewords_what_it_names(tmp_path: Path) -> None:
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "mails.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Thank you for your patience.\\n"\nmsgstr "Terima kasih.\\n"\n', encoding="utf-8")
    text, _ = Renderer(tmp_path).body("escalated_user", "id", context())
    assert "\nTerima kasih.\n" in text
    assert "Yth. Bapak/Ibu Budi Santoso," in text
    assert "kesabaran" not in text


def test_a_count_of_one_takes_the_singular_where_the_language_has_one() -> None:
    """English says "1 working day" and "3 working days"; Indonesian has one form."""
    one = {"confirm_days": 1, "close_days": 1}
    english, _ = Renderer().body("resolved_lkpp", "en", context(**one))
    indonesian, _ = Renderer().body("resolved_lkpp", "id", context(**one))
    assert "within 1 working day, the ticket" in english
    assert "dalam 1 hari kerja, tiket" in indonesian
    many, _ = Renderer().body("resolved_lkpp", "en", context())
    assert "within 3 working days, the ticket" in many


def test_a_catalog_picks_the_form_its_plural_rule_names(tmp_path: Path) -> None:
    """A language of two forms (an operator's English catalog here) chooses by its `Plural-Forms`."""
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "mails.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Thank you for your patience.\\n"\nmsgstr "Thanks.\\n"\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s dag"\nmsgstr[1] "%(n)s dagen"\n',
        encoding="utf-8")
    said = words("en", tmp_path)
    assert (said.ngettext("%(n)s day", "%(n)s days", 1), said.ngettext("%(n)s day", "%(n)s days", 2)) == (
        "%(n)s dag", "%(n)s dagen")
    assert said.gettext("Thank you for your patience.\n") == "Thanks.\n"

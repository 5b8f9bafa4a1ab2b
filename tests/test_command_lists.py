"""The command lists staff read in mailbot's mail are the parser's, both ways (issue 45, point 7).

An error mail's "Perintah yang tersedia" and every notice's footer list each command the
parser acts on (`core/commands.parse_commands`), in the mail's language, and nothing the
parser refuses; as tests/test_guides.py holds the staff guide to the parser.
"""

from __future__ import annotations

import re

import pytest

from mailbot.core.commands import NAMES, parse_commands
from mailbot.io.render import Renderer
from tests.test_templates import render

# Mail that ends with the footer's list, and the error mail's full list.
FOOTED = ("staff_new", "staff_alert", "overdue_staff", "assigned", "intake_opened", "staff_lkpp", "coordinator_case",
         "head_case")


def _listed(text: str, start: str) -> set[str]:
    """The `#words` of the list that begins at the line starting with `start`."""
    index = text.index(start)
    return {m.lower() for m in re.findall(r"#[\w-]+", text[index:])}


def _spoken(language: str) -> set[str]:
    """The spelling of each command a mail of that language is expected to name: Indonesian
    mail the first (Indonesian) spelling, English mail the English one."""
    index = 1 if language == "en" else 0
    return {"#" + (names[index] if len(names) > index else names[0]) for names in NAMES.values()}


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_error_mail_lists_every_command_the_parser_acts_on_and_no_other(language):
    text = render(Renderer(), "command_error", language)
    head = "Perintah yang tersedia" if language == "id" else "Available commands"
    listed = _listed(text, head)
    for word in listed:  # the parser knows each (it may want an argument, but the word is a command)
        assert not any(e.code == "unknown_command" for e in parse_commands(word).errors), word
    assert listed == _spoken(language)
    assert {"#jawab", "#jawab-seperti", "#kirim-tanda-terima"} <= listed or language == "en"


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("kind", FOOTED)
def test_every_notice_footer_lists_every_command(language, kind):
    text = render(Renderer(), kind, language)
    head = "Perintah di baris awal balasan" if language == "id" else "Commands on the first lines of a reply"
    listed = _listed(text, head)
    assert listed == _spoken(language), kind

"""The window's one output boundary (SPEC 13): every page is rendered here, and whatever a
template writes passes `visible` and then HTML escaping.

As `io/terminal.py` is for the command line, this is the one way out to a browser: the
Jinja2 environment's `finalize` shows every control character of every value as a visible
escape (`\\x1b`, `\\u202e`: OSC 52, a bidi override, a C1 CSI read as text, not obeyed), and
autoescaping writes `<script>` as text. A page added later gets both without asking. Only
markup the templates themselves write (and `Markup` made here, never from outside text) is
left as it is.

The words are the mail's (`templates/<lang>/words.yaml`, its `web:` section and the
reports' labels), in the unit's language; the machinery is the mail's Jinja2 with the
operator's `templates_dir` first, so a unit may reword a page as it rewords a mail.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from mailbot.core.controls import visible
from mailbot.io.words import language_of, words


def shown(value: Any) -> Any:
    """A value as a page may show it: text with its control characters as visible escapes;
    our own markup and anything not text as they are (autoescaping comes after)."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return visible(value)


class Pages:
    """The window's pages, from `mailbot/web/templates` (the operator's `templates_dir/web/` first)."""

    def __init__(self, language: str, templates_dir: Path | None = None) -> None:
        self.language = language_of(language)
        self.templates_dir = templates_dir
        loaders: list[jinja2.BaseLoader] = []
        if templates_dir is not None:
            loaders.append(jinja2.FileSystemLoader(str(templates_dir / "web")))
        loaders.append(jinja2.PackageLoader("mailbot.web", "templates"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=True,  # every page is HTML
            finalize=shown,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )

    @property
    def words(self) -> dict[str, Any]:
        return words(self.language, self.templates_dir).table

    def render(self, page: str, **context: Any) -> str:
        """A whole page in the unit's language."""
        table = self.words
        return self.env.get_template(page).render(language=self.language, w=table["web"], report=table["report"],
                                                  roles=table["roles"], story_mails=table["story_mails"],
                                                  deadlines=table["deadlines"], **context)

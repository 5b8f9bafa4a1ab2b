"""What of a solved case's answer goes to another requester (`#jawab-seperti`). Pure.

An answer in the unit's memory was a letter to one requester: it may open with their greeting
("Selamat siang Bapak Budi,"), close with its writer's signature ("Salam,\\nAgus - Helpdesk
LKPP"), and tell what was done for them ("alamat email sudah kami perbarui"). The solution is
what may go on: the greeting and the signature are left out by structure (greeting lines at
the top, `greetings.only_greets`; signature paragraphs at the end, `identity.unsigned`), and
the lines that tell what was done are shown to staff to check (the `done` words of
`rules/similar.yaml`'s `private`), never cut by a guess: only staff know whether it was done
for this requester too. Staff see the whole text before it goes (`answer_preview`), and send
it with a second `#jawab-seperti` in answer to that preview, or write their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mailbot.core.decision import Draft, Effect
from mailbot.core.greetings import only_greets
from mailbot.core.identity import unsigned
from mailbot.model import AUTO_REPLIED, Audience

PREVIEW = "answer_preview"  # the mail that shows staff a reused answer before it goes


def reused(solution: str) -> str:
    """The solution without the old letter's greeting lines and its closing signature."""
    lines = solution.strip().splitlines()
    while lines and (not lines[0].strip() or only_greets(lines[0].strip())):
        lines.pop(0)
    return unsigned("\n".join(lines), "").strip() if lines else ""


def done_lines(text: str, words: Iterable[str]) -> tuple[str, ...]:
    """The lines of `text` that tell what was done for a case's requester (any of `words`, as
    whole words, case set aside)."""
    found = [w for w in words if w.strip()]
    if not found:
        return ()
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in sorted(found, key=len, reverse=True))
                         + r")(?!\w)", re.IGNORECASE)
    return tuple(line.strip() for line in text.splitlines() if pattern.search(line))


def previewed(preview: str, reused_text: str) -> bool:
    """Whether a preview staff saw holds this solution as it would go now (the same case)."""
    return bool(reused_text) and reused_text.strip() in preview


def _preview_answer(s: Draft) -> None:
    """`#jawab-seperti NUMBER` mails its sender what the requester would receive, and
    which of its lines tell what was done for the solved case's own requester; nothing goes to
    the requester until the same command answers this preview (`classify._answer_like`)."""
    past = s.facts.answer_like
    assert past is not None
    s.record("answer_previewed", {"number": past.number})
    s.send(PREVIEW, Audience.SENDER, auto=AUTO_REPLIED, text=s.body,
           context={"case": past.number, "done": list(past.done), "reusing": True})


# The names `lifecycle._ROWS` gives these effects.
REUSE_EFFECTS: dict[str, Effect] = {"preview_answer": _preview_answer}

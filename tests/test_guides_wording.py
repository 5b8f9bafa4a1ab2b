"""What the guides' examples and sentences say, read as a new staff
member or coordinator reads them (pure: the guides' text only).

- An example of an answer to a requester, pasted as it is, must fit any requester: it
  greeted a woman "Bapak".
- One person has one address: the `#tugaskan` examples named Sari at two domains.
- The recap's 1,500-character cut is the XLSX's only; the CSV keeps the whole text.
- `#eskalasi` sends LKPP the text under it, not the ticket's earlier `#catatan` notes.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAFF_GUIDE = ROOT / "docs" / "panduan-petugas.md"
COORDINATOR_GUIDE = ROOT / "docs" / "panduan-koordinator.md"
# The operator's guide is an index (docs/operator.md) and its chapters (docs/operator/).
OPERATOR_CHAPTERS = tuple(sorted((ROOT / "docs" / "operator").glob("*.md")))
OPERATOR_RECAP = ROOT / "docs" / "operator" / "reports.md"
OPERATOR_COMMANDS = ROOT / "docs" / "operator" / "commands.md"
GUIDES = (STAFF_GUIDE, COORDINATOR_GUIDE, ROOT / "docs" / "operator.md", *OPERATOR_CHAPTERS)

# Commands whose text reaches the requester; a block that starts with no command is a plain answer.
TO_REQUESTER = ("#selesai", "#solved", "#jawab", "#answer")
# Forms of address that say the requester is a man or a woman; "Bapak/Ibu" fits anyone.
GENDERED = re.compile(r"\b(?:Bapak|Ibu|Pak|Bu|Mas|Mbak|Sdr|Sdri|Mr|Mrs|Ms)\b\.?")


def _blocks(text: str) -> list[str]:
    return re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def _to_requester(block: str) -> bool:
    first = block.strip().splitlines()[0].strip().lower() if block.strip() else ""
    return not first.startswith("#") or first.startswith(TO_REQUESTER)


def test_every_example_answer_to_a_requester_fits_a_man_or_a_woman() -> None:
    answers = [(guide.name, block) for guide in (STAFF_GUIDE, COORDINATOR_GUIDE)
               for block in _blocks(guide.read_text(encoding="utf-8")) if _to_requester(block)]
    staff_examples = [block for name, block in answers if name == STAFF_GUIDE.name]
    assert any(block.lstrip().startswith("#selesai") for block in staff_examples)  # the table was read
    gendered = [(name, match.group(), block.strip().splitlines()[0]) for name, block in answers
                for match in GENDERED.finditer(block.replace("Bapak/Ibu", ""))]
    assert not gendered, gendered


def _assignees(text: str) -> set[str]:
    """Addresses in `#tugaskan`/`#assign` examples and in the Outlook `mailto:` form of one."""
    lines = [line for line in text.splitlines() if re.search(r"#(?:tugaskan|assign)\b|<mailto:", line)]
    return {a.lower() for line in lines for a in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", line)}


def test_one_person_has_one_address_in_the_assignment_examples() -> None:
    found = {guide.name: _assignees(guide.read_text(encoding="utf-8")) for guide in GUIDES}
    everyone = set().union(*found.values())
    assert everyone, found
    by_person: dict[str, set[str]] = {}
    for address in everyone:
        by_person.setdefault(address.partition("@")[0], set()).add(address)
    assert all(len(addresses) == 1 for addresses in by_person.values()), by_person
    # staff of the staff guide's unit (`lpse@batam.go.id`) have its domain
    assert all(a.endswith("@batam.go.id") for a in found[STAFF_GUIDE.name]), found[STAFF_GUIDE.name]


def _sentence_with(text: str, needle: str) -> str:
    flat = " ".join(text.split())
    start = flat.index(needle)
    begin = max(flat.rfind(". ", 0, start), flat.rfind("\n", 0, start)) + 1
    end = flat.find(". ", start)
    return flat[begin:end if end > 0 else len(flat)]


def test_the_recap_cut_is_said_to_be_the_xlsxs_only() -> None:
    for guide, figure in ((COORDINATOR_GUIDE, "1.500"), (OPERATOR_RECAP, "1,500")):
        sentence = _sentence_with(guide.read_text(encoding="utf-8"), figure)
        assert "XLSX" in sentence or "there" in sentence, (guide.name, sentence)
        assert "CSV" in sentence, (guide.name, sentence)


def _table_row(text: str, command: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"| `{command}`"))


def test_the_guides_say_escalation_sends_the_text_under_it_not_earlier_notes() -> None:
    staff = STAFF_GUIDE.read_text(encoding="utf-8")
    row = _table_row(staff, "#eskalasi")
    assert "`#catatan`" in row and "tidak" in row, row
    example = staff[staff.index("**`#eskalasi`**"):staff.index("**`#selesai`**")]
    assert "`#catatan`" in example, example
    operator = _table_row(OPERATOR_COMMANDS.read_text(encoding="utf-8"), "#eskalasi")
    assert "`#catatan`" in operator and "not" in operator, operator

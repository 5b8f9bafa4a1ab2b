"""The guides for people (issue 34): the README links them, and the staff guide lists every
command the code accepts and no command it does not, both spellings, with examples that
run. The list in the guide is read from its "Daftar perintah" table; the parser's is its
table of spellings and the words that open a ticket for a call or a visit (rules/intake.yaml).
A new command without a line in the guide fails here."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from mailbot.core.commands import CATEGORIES, DATA_FIELDS, NAMES, PRIORITIES, SILENT, parse_commands
from mailbot.core.intake_form import opening, read_form
from mailbot.rules import load_rules

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "panduan-petugas.md"


def _code_commands() -> set[str]:
    """Every `#word` the code acts on: the reply commands' spellings and the words that open
    a ticket for a phone call or a visit (`rules/intake.yaml`, as shipped)."""
    replies = {s for names in NAMES.values() for s in names}
    return replies | {w for _, words in load_rules().intake.channels for w in words}


def _section(text: str, title: str) -> str:
    start = text.index(f"\n### {title}\n")
    ends = [i for i in (text.find("\n## ", start + 1), text.find("\n### ", start + 1)) if i > 0]
    return text[start:min(ends, default=len(text))]


def _guide_commands() -> set[str]:
    """The `#word` spellings in the first column of the guide's command table."""
    table = _section(GUIDE.read_text(encoding="utf-8"), "Daftar perintah")
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| ")]
    return {m.lower() for cell in first_cells for m in re.findall(r"`#([\w-]+)`", cell)}


def test_the_readme_is_a_front_page_that_links_the_guides() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for guide in ("docs/panduan-petugas.md", "docs/panduan-koordinator.md", "docs/operator.md"):
        assert f"]({guide}" in readme, guide
        assert (ROOT / guide).is_file(), guide
    assert "bash scripts/demo" in readme and "bash scripts/test" in readme
    assert len(readme) < 6000  # a front page, the rest lives in the guides


def _anchors(text: str) -> set[str]:
    """The anchors a Markdown viewer (GitHub's rule) makes of a page's headings, outside
    fenced code: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)}


def test_every_link_between_the_guides_lands() -> None:
    """Issue 46: the operator's guide is an index and chapters; every relative link of the
    README and the guides names a file that exists and, after '#', a heading it has."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    assert ROOT / "docs" / "operator" / "install.md" in pages  # the chapters were read
    broken = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            path, _, anchor = target.partition("#")
            landing = (page.parent / path).resolve() if path else page
            if not landing.is_file():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and landing.suffix == ".md" and anchor not in _anchors(landing.read_text(encoding="utf-8")):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, broken


def test_the_architecture_page_names_where_one_message_enters() -> None:
    """docs/architecture.md's `walk-entry: FILE:FUNCTION:PARAMETER` names a function that
    exists in that file and takes that parameter, and the tests it cites exist."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    [entry] = re.findall(r"^walk-entry: (\S+)$", text, flags=re.MULTILINE)
    path, function, parameter = entry.split(":")
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    owner, _, name = function.rpartition(".")
    scope = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == owner) if owner else tree
    [found] = [n for n in ast.iter_child_nodes(scope) if isinstance(n, ast.FunctionDef) and n.name == name]
    assert parameter in [a.arg for a in (*found.args.args, *found.args.kwonlyargs)], entry
    cited = set(re.findall(r"`(tests/test_\w+\.py)`", text))
    assert cited and all((ROOT / test).is_file() for test in cited), sorted(cited)


def test_every_command_the_parser_knows_is_in_the_staff_guide() -> None:
    missing = _code_commands() - _guide_commands()
    assert not missing, f"commands the code accepts but the staff guide does not list: {sorted(missing)}"


def test_every_command_in_the_staff_guide_is_one_the_parser_accepts() -> None:
    guide = _guide_commands()
    assert len(guide) >= 20  # both spellings of a dozen commands, not an empty table read wrong
    channels = load_rules().intake
    unknown = sorted(word for word in guide if channels.channel_of(word) is None
                     and any(e.code == "unknown_command" for e in parse_commands(f"#{word}").errors))
    assert not unknown, f"the staff guide lists commands the code refuses: {unknown}"
    assert guide <= _code_commands()


def test_the_guides_phone_call_example_is_a_form_mailbot_reads() -> None:
    """The `#telepon` example opens a ticket for a call with the form's fields, no refusal."""
    text = GUIDE.read_text(encoding="utf-8")
    block = re.search(r"```\n(#telepon\n.*?)```", text, re.DOTALL)
    assert block is not None
    rules = load_rules()
    opened = opening(block.group(1), rules.intake)
    assert opened is not None and opened[0] == "telepon"
    form = read_form(opened[2], rules.intake, datetime(2026, 11, 24, 5, 0, tzinfo=UTC), ZoneInfo("Asia/Jakarta"))
    assert not form.errors, form.errors
    assert form.contact.name == "Rina Wulandari" and form.email == "rina@cvmajujaya.co.id"
    assert form.problem.startswith("Tidak bisa mengunggah dokumen penawaran")


def test_every_argument_value_is_in_the_staff_guide() -> None:
    """Priorities, categories, the consultation form's fields and `diam` as the parser takes them."""
    table = _section(GUIDE.read_text(encoding="utf-8"), "Daftar perintah")
    words = set(re.findall(r"`([\w-]+)`", table))
    for value in (*PRIORITIES, *CATEGORIES, *DATA_FIELDS, *SILENT):
        assert value in words, value


def test_the_guides_examples_run() -> None:
    """Every example block in "Contoh setiap perintah" that starts with a command parses
    without a refusal, and together they show every command."""
    examples = _section(GUIDE.read_text(encoding="utf-8"), "Contoh setiap perintah")
    blocks = re.findall(r"```\n(.*?)```", examples, re.DOTALL)
    shown: set[str] = set()
    for block in blocks:
        parsed = parse_commands(block)
        assert not parsed.errors, (block, parsed.errors)
        shown |= {c.name for c in parsed.commands}
    assert shown == set(NAMES)


def test_the_guide_says_a_command_below_text_does_not_run() -> None:
    """Issue 34 point 6, as the guide shows it: its counter-example really is refused."""
    text = GUIDE.read_text(encoding="utf-8")
    assert "Sudah saya telepon pengguna.\n#tutup\n" in text
    parsed = parse_commands("Sudah saya telepon pengguna.\n#tutup")
    assert not parsed.commands and [e.code for e in parsed.errors] == ["not_at_top"]


# --- issue 59: the guide and the mail agree on what a notice says ---------------------------

COORDINATOR_GUIDE = ROOT / "docs" / "panduan-koordinator.md"


def _rendered_footer(**changes: object) -> list[str]:
    """A staff notice's footer as the Indonesian mail writes it, from its "Tiket ... saat ini" line."""
    from mailbot.io.render import Renderer
    from tests.test_templates import context

    text, _ = Renderer().body("staff_new", "id", context(**changes))
    return text[text.index("Tiket 2026-00042 saat ini"):].rstrip("\n").splitlines()


def test_the_guides_footer_example_is_what_a_notice_says() -> None:
    """The example under "Bagian bawah setiap pemberitahuan" is the footer of a new ticket's notice
    for the ticket it describes (open, high priority, complaint, in Tuesday 09:00): line for line."""
    section = _section(GUIDE.read_text(encoding="utf-8"), "Bagian bawah setiap pemberitahuan")
    [block] = re.findall(r"```\n(.*?)```", section, re.DOTALL)
    shown = block.rstrip("\n").splitlines()
    assert shown[0] == "Tiket 2026-00042 saat ini: Terbuka, prioritas Tinggi, kategori Pengaduan."
    rendered = _rendered_footer(
        state="open", priority="high", category="pengaduan", situation=["mailbox"],
        deadlines=[{"kind": "first_response", "at": "2026-11-24T10:00:00+07:00", "past": False},
                   {"kind": "resolution", "at": "2026-11-27T09:00:00+07:00", "past": False}])
    assert shown == rendered


def test_the_guides_table_of_offered_commands_is_what_the_notices_offer() -> None:
    """Each row of the guide's table (state names as the mail writes them) lists, with the
    commands "yang selalu ada", exactly what a notice on a ticket in that state offers once
    LKPP has answered on it; and no notice offers #buka or #batal."""
    from mailbot.io.words import words

    section = _section(GUIDE.read_text(encoding="utf-8"), "Bagian bawah setiap pemberitahuan")
    always = set(re.findall(r"`(#[\w-]+)`", section[section.index("Yang selalu ada:"):].split(".")[0]))
    assert always == {"#catatan", "#prioritas", "#kategori", "#tugaskan", "#data", "#jawab", "#riwayat"}
    states = {name: code for code, name in words("id")["report"]["states"].items()}
    rows = [line.split("|")[1:3] for line in section.splitlines() if line.startswith("| ") and "`" in line
            or line.startswith("| Ditutup")]
    seen = set()
    for names, commands in rows:
        for name in (n.strip() for n in names.split(",")):
            state = states[name]
            seen.add(state)
            footer = " ".join(_rendered_footer(state=state, situation=["lkpp_answer", "mailbox"]))
            offered = set(re.findall(r"(#[\w-]+)", footer[:footer.index("Semua perintah")]))
            assert offered == always | set(re.findall(r"`(#[\w-]+)`", commands)), name
            assert not {"#buka", "#batal"} & offered
    assert seen == {"open", "answered", "escalated", "awaiting_info", "resolved", "closed"}


def test_the_subjects_the_guides_quote_are_the_mails() -> None:
    """What the guides tell staff and coordinators to look for is what the mail's subject says."""
    from mailbot.io.words import words

    said = words("id").table
    staff = " ".join(GUIDE.read_text(encoding="utf-8").split())
    coordinator = " ".join(COORDINATOR_GUIDE.read_text(encoding="utf-8").split())
    assert f'"{said["subjects"]["answer_preview"].rstrip(":")}"' in staff
    assert said["subjects"]["intake_cancelled"].rstrip(":") in staff
    for case in ("answered_coordinator", "answered_head"):
        assert said["case_subjects"]["staff_direction"][case].rstrip(":") in coordinator
    assert f'`{said["history_file"]}-NOMOR.txt`' in staff


def test_the_guide_says_what_a_visit_answered_without_mail_becomes() -> None:
    """Issue 59 point 2: the guide's `#datang` example (answered, no e-mail) is said to open closed,
    with nothing more to do, as its notice says."""
    text = " ".join(GUIDE.read_text(encoding="utf-8").split())
    assert "tiketnya langsung berstatus **Ditutup**" in text
    assert "tidak ada lagi yang perlu dikerjakan (tanpa `#selesai` atau `#tutup`)" in text
    notice = " ".join(_rendered_footer(state="closed"))
    assert "#selesai" not in notice and "#tutup" not in notice

"""The guides for people: the README links them, and the staff guide lists every
command the code accepts and no command it does not, both spellings, with examples that
run. The list in the guide is read from its "Daftar perintah" table; the parser's is its
table of spellings and the words that open a ticket for a call or a visit (rules/intake.yaml).
A new command without a line in the guide fails here."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from email.message import EmailMessage
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
    """The operator's guide is an index and chapters; every relative link of the
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
    """As the guide shows it: its counter-example really is refused."""
    text = GUIDE.read_text(encoding="utf-8")
    assert "Sudah saya telepon pengguna.\n#tutup\n" in text
    parsed = parse_commands("Sudah saya telepon pengguna.\n#tutup")
    assert not parsed.commands and [e.code for e in parsed.errors] == ["not_at_top"]


# --- the guide and the mail agree on what a notice says ---------------------------

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
    """The guide's `#datang` example (answered, no e-mail) is said to open closed,
    with nothing more to do, as its notice says."""
    text = " ".join(GUIDE.read_text(encoding="utf-8").split())
    assert "tiketnya langsung berstatus **Ditutup**" in text
    assert "tidak ada lagi yang perlu dikerjakan (tanpa `#selesai` atau `#tutup`)" in text
    notice = " ".join(_rendered_footer(state="closed"))
    assert "#selesai" not in notice and "#tutup" not in notice


# --- every example of both guides, run as written ----------------------------------------------
#
# Each fenced example of the staff and the coordinator guide is sent as the guide says to send
# it (a reply to the mail it names, a new mail to the unit, a command line), from the six mail
# clients' default layouts in turn (`tests/mail_clients.py`), signed without a `-- ` line, and
# what the guide says happens is read back over IMAP. The footer example is a notice's footer
# (above); a ticket number an example names ("2026-00042") is the ticket it is sent about.

STAFF_SIGNATURE = "Salam,\nAndi Pratama\nHelpdesk LPSE Uji\nTelp. 0778-123456"
COORDINATOR_SIGNATURE = "Salam,\nHendra\nKoordinator Helpdesk LPSE"
HEAD_SIGNATURE = "Hormat saya,\nIr. Bambang Susilo\nKepala UKPBJ Kota Uji"
SIGNED = ("Andi Pratama", "0778-123456", "Hendra", "Koordinator Helpdesk LPSE", "Bambang Susilo", "Kepala UKPBJ")
SARI = "sari@batam.go.id"  # the staff member the guide's `#tugaskan` example names


def _examples(path: Path) -> list[str]:
    """Every fenced block of a guide, as a reader copies it (the list item's indent taken off)."""
    found = re.findall(r"^( *)```[^\n]*\n(.*?)^ *```", path.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)
    return ["\n".join(line[len(indent):] for line in block.splitlines()) for indent, block in found]


def _starts(block: str, first: str) -> bool:
    """Whether an example opens with `first`: its first line, a command with its arguments after
    it, or the start of a line of text."""
    line = block.splitlines()[0]
    return line == first or line.startswith(first + " ") or (not first.startswith("#") and line.startswith(first))


def example(path: Path, first: str) -> str:
    """The one example of a guide that opens with `first` (`_starts`)."""
    [found] = [block for block in _examples(path) if _starts(block, first)]
    return found


# Every example, by the start of its first line, and the test below that runs it as written.
STAFF_EXAMPLES = {
    "Tiket 2026-00042 saat ini": "test_the_guides_footer_example_is_what_a_notice_says",
    "Sudah saya telepon pengguna.": "test_the_staff_guides_replies_run_as_written",
    "#telepon": "test_the_staff_guides_calls_and_visits_run_as_written",
    "#datang": "test_the_staff_guides_calls_and_visits_run_as_written",
    "Selamat siang Bapak/Ibu,": "test_the_staff_guides_replies_run_as_written",
    "#jawab": "test_the_staff_guides_replies_run_as_written",
    "#catatan": "test_the_staff_guides_replies_run_as_written",
    "#eskalasi": "test_the_staff_guides_replies_run_as_written",
    "#lpse-support": "test_the_staff_guides_replies_run_as_written",
    "#selesai": "test_the_staff_guides_replies_run_as_written",
    "#jawab-seperti": "test_the_staff_guides_answer_like_example_runs_as_written",
    "#tutup diam": "test_the_staff_guides_replies_run_as_written",
    "#teruskan": "test_the_staff_guides_lkpp_examples_run_as_written",
    "#permintaan-data": "test_the_staff_guides_lkpp_examples_run_as_written",
    "#minta-data": "test_the_staff_guides_replies_run_as_written",
    "#koordinator": "test_the_staff_guides_replies_run_as_written",
    "#lapor-kepala": "test_the_staff_guides_replies_run_as_written",
    "#data": "test_the_staff_guides_replies_run_as_written",
    "#prioritas": "test_the_staff_guides_replies_run_as_written",
    "#tugaskan": "test_the_staff_guides_replies_run_as_written",
    "#kirim-tanda-terima": "test_the_staff_guides_send_ack_example_runs_as_written",
    "#riwayat": "test_the_staff_guides_replies_run_as_written",
    "#buka": "test_the_staff_guides_calls_and_visits_run_as_written",
    "#batal": "test_the_staff_guides_calls_and_visits_run_as_written",
    "mailbot tickets": "test_the_guides_command_lines_run_as_written",
}
COORDINATOR_EXAMPLES = {
    "Mohon dicek dulu": "test_the_coordinator_guides_examples_run_as_written",
    "#jawab": "test_the_coordinator_guides_examples_run_as_written",
    "Segera koordinasikan": "test_the_coordinator_guides_examples_run_as_written",
    "2026-00042 dan 2026-00051": "test_the_coordinator_guides_examples_run_as_written",
    "mailbot report": "test_the_guides_command_lines_run_as_written",
}


def test_every_example_of_both_guides_is_run_here() -> None:
    """Each fenced example of both guides is one of the tables above (one start, one example),
    and each test the tables name is in this file: a new example without a test fails here."""
    names = {n for n, value in globals().items() if n.startswith("test_") and callable(value)}
    for path, table in ((GUIDE, STAFF_EXAMPLES), (COORDINATOR_GUIDE, COORDINATOR_EXAMPLES)):
        blocks = _examples(path)
        starts = [[first for first in table if _starts(block, first)] for block in blocks]
        assert all(len(found) == 1 for found in starts), [(b[:40], s) for b, s in zip(blocks, starts, strict=True)]
        assert sorted(s[0] for s in starts) == sorted(table), path.name
        assert set(table.values()) <= names


def _signed_nowhere(text: str) -> None:
    for shown in SIGNED:
        assert shown not in text, shown


def _between(text: str, start: str, end: str) -> list[str]:
    text = text.replace("\r\n", "\n")
    begin = text.index(start) + len(start)
    return _lines(text[begin:text.index(end, begin)])


def _unsigned_text(msg: EmailMessage) -> str:
    """A mail to a requester above the unit's signature (its `--` line)."""
    from tests import mailfactory as mf

    return mf.text_of(msg).replace("\r\n", "\n").split("\n--\n")[0]


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.replace("\r\n", "\n").splitlines() if line.strip()]


def _config(servers, tmp_path, **overrides):  # type: ignore[no-untyped-def]
    from tests import mailfactory as mf

    box = mf.mailbox_block(servers)
    box["staff"] = [*box["staff"], SARI]
    return mf.write_config(servers, tmp_path, mailboxes=[box], **overrides)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Jakarta"))


def _requester(key: str) -> str:
    return f"{key}@vendor.test"


def _open(servers, config, keys: list[str], moment: datetime):  # type: ignore[no-untyped-def]
    """One requester's ticket per key; the staff notice of each, by key."""
    from tests import mailfactory as mf

    mf.arrive_all(servers, config, [mf.mail(_requester(k), f"Kendala akun SPSE ({k})", "Selamat pagi,\nakun SPSE "
                                            "saya terkunci sejak kemarin.\n\nBudi Santoso", name="Budi Santoso")[0]
                                    for k in keys], moment)
    notices = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    return {k: next(n for n in notices if f"({k})" in str(n["Subject"])) for k in keys}


def _ticket(config, notice):  # type: ignore[no-untyped-def]
    from tests import mailfactory as mf

    store = mf.store_of(config)
    try:
        return store.tickets.ticket_by_number("t", str(notice["X-Mailbot-Ticket"]))
    finally:
        store.close()


def _history(config, notice) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    import json

    from tests import mailfactory as mf

    store = mf.store_of(config)
    try:
        ticket = store.tickets.ticket_by_number("t", str(notice["X-Mailbot-Ticket"]))
        return [(e["kind"], json.loads(e["detail"]) if e["detail"] else {}) for e in store.history.events_of(ticket.id)]
    finally:
        store.close()


def _staff_reply(client: str, notice, text: str) -> bytes:  # type: ignore[no-untyped-def]
    from tests import mail_clients as mc
    from tests import mailfactory as mf

    return mc.reply(client, notice, mf.STAFF[0], text, STAFF_SIGNATURE, name="Andi Pratama")


REPLIES = ("Selamat siang Bapak/Ibu,", "#jawab", "#catatan", "#eskalasi", "#lpse-support", "#selesai", "#tutup diam",
           "#minta-data", "#koordinator", "#lapor-kepala", "#data", "#prioritas", "#tugaskan", "#riwayat",
           "Sudah saya telepon pengguna.")


def test_the_staff_guides_replies_run_as_written(fresh_mailboxes, tmp_path) -> None:
    """Each reply example of the staff guide, a reply to a new ticket's notice: what its
    paragraph in "Contoh setiap perintah" (and section 3's counter-example) says happens."""
    from mailbot.model import State
    from tests import mail_clients as mc
    from tests import mailfactory as mf

    servers = fresh_mailboxes
    config = _config(servers, tmp_path)
    keys = [f"r{n}" for n in range(len(REPLIES))]
    notices = _open(servers, config, keys, _at("2026-11-23T09:00"))
    typed = {key: example(GUIDE, first) for key, first in zip(keys, REPLIES, strict=True)}
    mf.arrive_all(servers, config, [_staff_reply(mc.CLIENTS[n % 6], notices[k], typed[k]) for n, k in enumerate(keys)],
                  _at("2026-11-23T09:10"))
    key = dict(zip(REPLIES, keys, strict=True))

    def to_requester(first: str, kind: str | None = None) -> list[EmailMessage]:
        return mf.delivered(servers, _requester(key[first]), kind)

    def kinds(first: str) -> list[str]:
        return [str(m["X-Mailbot-Kind"]) for m in to_requester(first)]

    def state(first: str) -> State:
        return _ticket(config, notices[key[first]]).state  # type: ignore[no-any-return]

    # no command: the requester reads the new text, from the unit's address, without the quote
    [answer] = to_requester("Selamat siang Bapak/Ibu,", "staff_reply")
    assert str(answer["From"]).endswith(f"<{mf.UNIT}>") or str(answer["From"]) == mf.UNIT
    assert _lines(_unsigned_text(answer)) == _lines(typed[key["Selamat siang Bapak/Ibu,"]])
    # #jawab: the same, and the ticket is not solved
    [answered] = to_requester("#jawab", "staff_reply")
    assert _lines(_unsigned_text(answered)) == _lines(typed[key["#jawab"]])[1:]
    assert state("#jawab") is State.ANSWERED
    # #catatan: a note; the requester receives nothing
    notes = [d["text"] for k, d in _history(config, notices[key["#catatan"]]) if k == "note"]
    assert notes == ["Sudah saya telepon, pengguna akan mengirim scan KTP siang ini."]
    assert kinds("#catatan") == ["ack"]
    # #eskalasi: the whole case and the text under it to LKPP; the requester is told
    escalations = {str(m["X-Mailbot-Ticket"]): m for m in mf.of_kind(mf.inbox(servers, mf.LKPP), "escalate")}
    for first in ("#eskalasi", "#prioritas"):
        sent = mf.text_of(escalations[str(notices[key[first]]["X-Mailbot-Ticket"])])
        assert " ".join(_lines(typed[key[first]])[-2 if first == "#eskalasi" else -1:]) in " ".join(_lines(sent))
        assert "akun SPSE saya terkunci sejak kemarin" in sent
        assert state(first) is State.ESCALATED and kinds(first) == ["ack", "escalated_user"]
    ticket = _ticket(config, notices[key["#prioritas"]])
    assert (ticket.priority, ticket.category) == ("high", "pengaduan")
    # #lpse-support: the number is LKPP's reference, the ticket escalated, no mail to LKPP
    filed = _ticket(config, notices[key["#lpse-support"]])
    assert (filed.lkpp_ticket, filed.state) == ("123456", State.ESCALATED)
    assert str(notices[key["#lpse-support"]]["X-Mailbot-Ticket"]) not in escalations
    assert kinds("#lpse-support") == ["ack", "escalated_user"]
    [filing] = [d for k, d in _history(config, notices[key["#lpse-support"]]) if k == "lpse_support_filed"]
    assert filing["note"] == "Dilaporkan lewat LPSE Support karena menyangkut data di server LKPP."
    # #selesai: the solution, asking YA or TIDAK
    [solution] = to_requester("#selesai", "resolved")
    assert " ".join(_lines(typed[key["#selesai"]])[1:]) in " ".join(_lines(mf.text_of(solution)))
    assert "YA" in mf.text_of(solution) and "TIDAK" in mf.text_of(solution)
    assert state("#selesai") is State.RESOLVED
    # #tutup diam: closed, the requester not told
    assert state("#tutup diam") is State.CLOSED and kinds("#tutup diam") == ["ack"]
    # #minta-data: the unit's own request, the ticket waits for the data
    [request] = to_requester("#minta-data", "request_info")
    assert " ".join(_lines(typed[key["#minta-data"]])[1:]) in " ".join(_lines(mf.text_of(request)))
    assert state("#minta-data") is State.AWAITING_INFO
    # #koordinator, #lapor-kepala: the case with the staff member's note
    for first, address, kind in (("#koordinator", mf.COORDINATOR, "coordinator_case"),
                                 ("#lapor-kepala", mf.HEAD, "head_case")):
        [case] = [m for m in mf.of_kind(mf.inbox(servers, address), kind)
                  if m["X-Mailbot-Ticket"] == notices[key[first]]["X-Mailbot-Ticket"]]
        assert " ".join(_lines(typed[key[first]])[1:]) in " ".join(_lines(mf.text_of(case)))
        _signed_nowhere(mf.text_of(case))
    # #data: the consultation form's fields
    contact = _ticket(config, notices[key["#data"]]).contact
    assert (contact.name, contact.organisation, contact.phone, contact.address) == (
        "Budi Santoso", "PT Maju Jaya", "0812 3456 7890", "Jl. Engku Putri No. 1, Batam")
    # #tugaskan: the assignee, who receives the whole case
    assert _ticket(config, notices[key["#tugaskan"]]).assignee == SARI
    assert [m["X-Mailbot-Ticket"] for m in mf.delivered(servers, SARI, "assigned")] == [
        notices[key["#tugaskan"]]["X-Mailbot-Ticket"]]
    # #riwayat: the story to the asker alone, its full record attached; the ticket unchanged
    number = str(notices[key["#riwayat"]]["X-Mailbot-Ticket"])
    [story] = [m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "history") if m["X-Mailbot-Ticket"] == number]
    assert [p.get_filename() for p in story.iter_attachments()] == [f"riwayat-{number}.txt"]
    assert not [m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[1]), "history")]
    assert state("#riwayat") is State.OPEN and kinds("#riwayat") == ["ack"]
    # the counter-example: not run, the staff member told why, nothing to the requester
    number = str(notices[key["Sudah saya telepon pengguna."]]["X-Mailbot-Ticket"])
    [refused] = [m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")
                 if m["X-Mailbot-Ticket"] == number]
    assert "#tutup ada di bawah teks lain sehingga tidak dijalankan" in " ".join(mf.text_of(refused).split())
    assert state("Sudah saya telepon pengguna.") is State.OPEN and kinds("Sudah saya telepon pengguna.") == ["ack"]
    assert len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "command_error")) == 1
    for k in keys:  # no staff signature reaches a requester, LKPP or the assignee
        for mail in mf.delivered(servers, _requester(k)):
            _signed_nowhere(mf.text_of(mail))
    for mail in (*mf.inbox(servers, mf.LKPP), *mf.delivered(servers, SARI)):
        _signed_nowhere(mf.text_of(mail))


UNSURE = ("Yth. Helpdesk LPSE Uji,\n\nTerlampir kami sampaikan Surat Edaran Deputi tentang pemeliharaan server SPSE "
          "tanggal 28 November.")
LKPP_SIGNATURE = "Salam,\nAgus - Helpdesk LKPP"


def test_the_staff_guides_lkpp_examples_run_as_written(fresh_mailboxes, tmp_path) -> None:
    """`#teruskan` and `#permintaan-data` in answer to LKPP's mail mailbot could not tell
    (section 4 step 3): it goes to the requester as it is, or as a request for data (the
    ticket then waits for the data); LKPP's agent's signature stays behind."""
    from mailbot.model import State
    from tests import mail_clients as mc
    from tests import mailfactory as mf

    servers = fresh_mailboxes
    config = _config(servers, tmp_path)
    notices = _open(servers, config, ["relay", "need"], _at("2026-11-23T09:00"))
    mf.arrive_all(servers, config, [_staff_reply("gmail", n, "#eskalasi\nMohon bantuan.") for n in notices.values()],
                  _at("2026-11-23T09:10"))
    escalations = {str(m["X-Mailbot-Ticket"]): m for m in mf.of_kind(mf.inbox(servers, mf.LKPP), "escalate")}
    mf.arrive_all(servers, config, [mc.reply("outlook", escalations[str(n["X-Mailbot-Ticket"])], mf.LKPP, UNSURE,
                                             LKPP_SIGNATURE, name="Helpdesk LKPP") for n in notices.values()],
                  _at("2026-11-23T10:00"))
    unclear = {str(m["X-Mailbot-Ticket"]): m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_lkpp")}
    assert len(unclear) == 2 and all("tidak dapat dikenali" in mf.text_of(m) for m in unclear.values())
    mf.arrive_all(servers, config, [
        _staff_reply("aerc", unclear[str(notices["relay"]["X-Mailbot-Ticket"])], example(GUIDE, "#teruskan")),
        _staff_reply("alpine", unclear[str(notices["need"]["X-Mailbot-Ticket"])], example(GUIDE, "#permintaan-data")),
    ], _at("2026-11-23T10:10"))

    said = "Terlampir kami sampaikan Surat Edaran Deputi tentang pemeliharaan server SPSE tanggal 28 November."
    [relayed] = mf.delivered(servers, _requester("relay"), "relay")
    assert _between(mf.text_of(relayed), "----- jawaban Helpdesk LKPP -----", "----- akhir jawaban -----") == [said]
    [asked] = mf.delivered(servers, _requester("need"), "need_info")
    assert _between(mf.text_of(asked), "----- permintaan Helpdesk LKPP -----", "----- akhir permintaan -----") == [said]
    assert _ticket(config, notices["need"]).state is State.AWAITING_INFO
    for mail in (relayed, asked):
        assert "Agus" not in mf.text_of(mail)
        _signed_nowhere(mf.text_of(mail))


def test_the_staff_guides_answer_like_example_runs_as_written(fresh_mailboxes, tmp_path) -> None:
    """`#jawab-seperti NOMOR` with text on its line: staff first receive "Pratinjau jawaban
    (belum dikirim)": the solved case's solution with the text above it; the requester nothing."""
    from tests import mail_clients as mc
    from tests import mailfactory as mf

    servers = fresh_mailboxes
    config = _config(servers, tmp_path)
    first = _open(servers, config, ["solved"], _at("2026-11-23T09:00"))["solved"]
    solution = "Akun penyedia yang terkunci dapat dibuka melalui menu Lupa Password pada halaman login SPSE."
    mf.arrive_all(servers, config, [_staff_reply("neomutt", first, f"#selesai\n{solution}")], _at("2026-11-23T09:10"))
    [resolved] = mf.delivered(servers, _requester("solved"), "resolved")
    mf.arrive_all(servers, config, [mf.reply_as_client(resolved, _requester("solved"), "YA 5")[0]],
                  _at("2026-11-23T09:20"))
    second = _open(servers, config, ["again"], _at("2026-11-23T10:00"))["again"]
    number = str(first["X-Mailbot-Ticket"])
    typed = example(GUIDE, "#jawab-seperti").replace("2026-00042", number)
    mf.arrive_all(servers, config, [_staff_reply("thunderbird", second, typed)], _at("2026-11-23T10:10"))

    [preview] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "answer_preview")
    assert "Pratinjau jawaban (belum dikirim)" in str(preview["Subject"])
    shown = " ".join(_between(mf.text_of(preview), "----- jawaban yang akan dikirim -----",
                              "----- akhir jawaban -----"))
    assert "Akun Anda juga sudah kami buka." in shown and solution in shown.replace("| ", "")
    _signed_nowhere(shown)
    assert [m["X-Mailbot-Kind"] for m in mf.delivered(servers, _requester("again"))] == ["ack"]
    del mc


CALLS = {"open": "#buka", "cancel": "#batal"}


def test_the_staff_guides_calls_and_visits_run_as_written(fresh_mailboxes, tmp_path) -> None:
    """The `#telepon` and `#datang` examples, sent as new mails and signed: held until their sender
    answers "TIKET BELUM DIBUKA" with the `#buka` example (the call opens with the form's fields,
    the caller gets the number; the visit, answered and without e-mail, opens closed), or with
    the `#batal` example (no ticket, the coordinators told)."""
    from mailbot.model import State
    from tests import mail_clients as mc
    from tests import mailfactory as mf

    servers = fresh_mailboxes
    config = _config(servers, tmp_path)
    call, visit = example(GUIDE, "#telepon"), example(GUIDE, "#datang")
    mf.arrive_all(servers, config, [
        mc.new_mail("aerc", mf.STAFF[0], "Telepon Rina", call, STAFF_SIGNATURE, name="Andi Pratama"),
        mc.new_mail("neomutt", mf.STAFF[0], "Kunjungan Rina", visit, STAFF_SIGNATURE, name="Andi Pratama"),
        mc.new_mail("outlook", mf.STAFF[0], "Telepon Rina (salah isi)", call, STAFF_SIGNATURE, name="Andi Pratama"),
    ], _at("2026-11-24T10:00"))
    # the numbers are reserved in the order the mails arrived: the call, the visit, the wrong call
    held = sorted(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "intake_confirm"), key=lambda m: m["X-Mailbot-Ticket"])
    assert len(held) == 3
    for mail in held:
        assert "Catatan lain pada formulir" not in mf.text_of(mail)
        _signed_nowhere(mf.text_of(mail).split("#buka")[0])
    mf.arrive_all(servers, config, [
        _staff_reply(client, mail, example(GUIDE, command))
        for client, mail, command in zip(("gmail", "alpine", "thunderbird"), held, ("#buka", "#buka", "#batal"),
                                         strict=True)
    ], _at("2026-11-24T10:10"))

    opened = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "intake_opened")
    assert len(opened) == 2
    tickets = [_ticket(config, m) for m in opened]
    [phoned] = [t for t in tickets if t.channel == "telepon"]
    [came] = [t for t in tickets if t.channel == "datang"]
    assert (phoned.contact.name, phoned.contact.organisation, phoned.contact.address, phoned.contact.phone) == (
        "Rina Wulandari", "CV Maju Jaya", "Jl. Raja Ali Haji No. 7, Batam", "0812-7700-4455")
    assert phoned.requester.addr == "rina@cvmajujaya.co.id" and phoned.state is State.OPEN
    assert [m["X-Mailbot-Kind"] for m in mf.delivered(servers, "rina@cvmajujaya.co.id")] == ["ack"]
    assert (came.state, came.queue_number, came.contact.name) == (State.CLOSED, "A-012", "Rina Wulandari")
    for mail in opened:
        assert "Catatan lain pada formulir" not in mf.text_of(mail)
        _signed_nowhere(mf.text_of(mail))
    [cancelled] = mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "intake_cancelled")
    assert "Saya tidak mengirim formulir ini." in mf.text_of(cancelled)
    _signed_nowhere(mf.text_of(cancelled).split("Saya tidak mengirim formulir ini.")[1])


def test_the_staff_guides_send_ack_example_runs_as_written(fresh_mailboxes, tmp_path) -> None:
    """A new ticket's notice says "Tanda terima TIDAK dikirim" (the unit's server marks the sender
    `dmarc=fail`); the `#kirim-tanda-terima` example in answer sends the requester a neutral ack."""
    from tests import mailfactory as mf

    servers = fresh_mailboxes
    config = _config(servers, tmp_path, auth={"mode": "token", "trusted_authserv_id": "mx.lpse.test"})
    sender = _requester("ack")
    raw, _ = mf.mail(sender, "Akun terkunci", "Akun SPSE saya terkunci.", name="Budi Santoso",
                     headers={"Authentication-Results": "mx.lpse.test; dmarc=fail header.from=vendor.test"})
    mf.arrive_all(servers, config, [raw], _at("2026-11-23T09:00"))
    [notice] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    assert "Tanda terima TIDAK dikirim" in " ".join(mf.text_of(notice).split())
    assert mf.delivered(servers, sender) == []
    mf.arrive_all(servers, config, [_staff_reply("outlook", notice, example(GUIDE, "#kirim-tanda-terima"))],
                  _at("2026-11-23T09:10"))
    [ack] = mf.delivered(servers, sender, "ack")
    assert "Akun terkunci" not in str(ack["Subject"]) and "Budi" not in mf.text_of(ack)
    assert str(notice["X-Mailbot-Ticket"]) in mf.text_of(ack)


def test_the_coordinator_guides_examples_run_as_written(fresh_mailboxes, tmp_path) -> None:
    """The coordinator's direction and `#jawab`, answers to the case mailed by `#koordinator`; the
    head's recommendation, an answer to `#lapor-kepala`; the answer to the morning digest naming
    two tickets. Each reaches staff in its writer's words (the digest answer once per ticket, under
    that ticket's tag), `#jawab` reaches the requester; no signature goes anywhere."""
    from tests import mail_clients as mc
    from tests import mailfactory as mf

    servers = fresh_mailboxes
    config = _config(servers, tmp_path)
    notices = _open(servers, config, ["direction", "answer", "head"], _at("2026-11-23T09:00"))
    mf.arrive_all(servers, config, [
        mf.reply_as_client(notices["direction"], mf.STAFF[0], "#koordinator\nMohon arahan.")[0],
        mf.reply_as_client(notices["answer"], mf.STAFF[0], "#koordinator\nMohon arahan.")[0],
        mf.reply_as_client(notices["head"], mf.STAFF[0], "#lapor-kepala\nMohon rekomendasi.")[0],
    ], _at("2026-11-23T09:10"))
    number = {k: str(n["X-Mailbot-Ticket"]) for k, n in notices.items()}
    cases = {str(m["X-Mailbot-Ticket"]): m for m in mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "coordinator_case")}
    [report] = mf.of_kind(mf.inbox(servers, mf.HEAD), "head_case")
    direction, answer = example(COORDINATOR_GUIDE, "Mohon dicek dulu"), example(COORDINATOR_GUIDE, "#jawab")
    recommendation = example(COORDINATOR_GUIDE, "Segera koordinasikan")
    mf.arrive_all(servers, config, [
        mc.reply("aerc", cases[number["direction"]], mf.COORDINATOR, direction, COORDINATOR_SIGNATURE, name="Hendra"),
        mc.reply("alpine", cases[number["answer"]], mf.COORDINATOR, answer, COORDINATOR_SIGNATURE, name="Hendra"),
        mc.reply("outlook", report, mf.HEAD, recommendation, HEAD_SIGNATURE, name="Bambang Susilo"),
    ], _at("2026-11-23T09:30"))

    passed = {str(m["X-Mailbot-Ticket"]): m for m in mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_direction")}
    for key, words in (("direction", direction), ("head", recommendation)):
        assert _between(mf.text_of(passed[number[key]]), "----- arahan -----", "----- akhir arahan -----") == \
            _lines(words), key
    assert str(passed[number["answer"]]["Subject"]).startswith(
        f"[LPSE-T #{number['answer']}] Jawaban koordinator kepada pengguna:")
    [answered] = mf.delivered(servers, _requester("answer"), "staff_reply")
    assert _lines(_unsigned_text(answered)) == _lines(answer)[1:]

    mf.sweep(config, _at("2026-11-24T08:00"))
    [digest] = mf.of_kind(mf.inbox(servers, mf.COORDINATOR), "digest")
    said = example(COORDINATOR_GUIDE, "2026-00042 dan 2026-00051").replace(
        "2026-00042", number["direction"]).replace("2026-00051", number["head"])
    before = len(mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_direction"))
    mf.arrive_all(servers, config, [mc.reply("aerc", digest, mf.COORDINATOR, said, COORDINATOR_SIGNATURE,
                                             name="Hendra")], _at("2026-11-24T08:30"))
    per_ticket = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_direction")[before:]
    assert sorted((str(m["X-Mailbot-Ticket"]), tuple(_between(mf.text_of(m), "----- arahan -----",
                                                               "----- akhir arahan -----"))) for m in per_ticket) == \
        sorted([(number["direction"], tuple(_lines(said))), (number["head"], tuple(_lines(said)))])
    for mail in (*mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_direction"), answered):
        _signed_nowhere(mf.text_of(mail).split("----- akhir arahan -----")[0])


def _command_lines(path: Path, first: str) -> list[list[str]]:
    """The command lines of a guide's example of `mailbot` commands, as a shell splits them,
    without the comment after `#` and without the program's name."""
    import shlex

    return [shlex.split(line, comments=True)[1:] for line in example(path, first).splitlines() if line.strip()]


def test_the_guides_command_lines_run_as_written(fresh_mailboxes, tmp_path, monkeypatch, capsys) -> None:
    """The staff guide's `mailbot tickets` lines find the ticket they describe; the coordinator
    guide's `mailbot report` lines write their files, and `--send` mails the summary to the head.
    A ticket number a line names ("2026-00042") is the ticket there is."""
    from mailbot.cli import main as cli
    from tests import mailfactory as mf

    servers = fresh_mailboxes
    config = _config(servers, tmp_path)
    raw, _ = mf.mail(_requester("upload"), "Gagal upload dokumen", "Muncul pesan Kode 500 saat gagal upload dokumen "
                     "penawaran.", name="Budi Santoso", date=_at("2026-11-03T09:00"))
    mf.arrive_all(servers, config, [raw], _at("2026-11-03T09:00"))
    [notice] = mf.of_kind(mf.inbox(servers, mf.STAFF[0]), "staff_new")
    number = str(notice["X-Mailbot-Ticket"])
    monkeypatch.chdir(tmp_path)
    for args in _command_lines(GUIDE, "mailbot tickets"):
        args = [number if a == "2026-00042" else a for a in args]
        assert cli.main(["--config", str(config), *args]) == 0, args
        shown = capsys.readouterr().out
        if args[0] == "ticket" or any(a in ("--search", "--since") for a in args):
            assert number in shown, args
    for args in _command_lines(COORDINATOR_GUIDE, "mailbot report"):
        assert cli.main(["--config", str(config), *args]) == 0, args
        if "--output" in args:
            assert (tmp_path / args[args.index("--output") + 1]).stat().st_size > 0, args
    assert mf.of_kind(mf.inbox(servers, mf.HEAD), "monthly_summary")

"""`#riwayat` / `#history`: a ticket's history by mail (SPEC E12h), over real
Dovecot and SMTP.

Staff without a terminal ask for a ticket's history by replying `#riwayat` to its notice; the
staff member who asked, and nobody else, receives it (SPEC E12h: "the ticket's history mailed
back to that staff member; internal"). It changes nothing on the ticket; unauthenticated, it
runs as no other command does (E19).

The mail itself tells the ticket's story in the mailbox's language (who wrote
what and when, what mailbot sent, how the state moved), short and readable; the full record,
as `mailbot ticket N --full` prints it, is the attached file. Its expected lines are the
command line's own output for the same ticket, captured here.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest

from mailbot.cli import main as cli
from tests.mailfactory import (
    LKPP,
    STAFF,
    deliver,
    inbox,
    latest,
    mail,
    of_kind,
    parse,
    reply_as_client,
    text_of,
    write_config,
)

REQUESTER = "budi@vendor.test"
COORDINATOR = "koordinator@lpse.test"
HEAD = "kepala@lpse.test"
ELSEWHERE = "sari@dinas.test"  # a Reply-To the staff member's mail names: never written to
CATCHALL = "catchall@lpse.test"  # what the test SMTP server delivers to any other address
PROBLEM = "Selamat pagi,\nakun SPSE saya terkunci sejak kemarin sore.\n\nBudi Santoso\n0812-7000-1234"
ANSWER = "Silakan gunakan menu Lupa Password pada halaman login SPSE."
NOTE = "#catatan Sudah saya telepon, pengguna akan mengirim scan KTP siang ini."
EVERYONE = (REQUESTER, STAFF[1], COORDINATOR, HEAD, LKPP, ELSEWHERE, CATCHALL)


def reply(original: EmailMessage, sender: str, text: str, **headers: str) -> bytes:
    """A reply to `original` as a mail client writes it, with extra headers (a Reply-To)."""
    raw, _ = reply_as_client(original, sender, text)
    msg = parse(raw)
    for name, value in headers.items():
        msg[name] = value
    return msg.as_bytes()


def ticket_full(config, number: str, capsys) -> list[str]:
    """What `mailbot ticket NUMBER --full` prints now (80 columns: COLUMNS is set)."""
    capsys.readouterr()
    assert cli.main(["--config", str(config), "ticket", number, "--full"]) == 0
    return capsys.readouterr().out.splitlines()


def counts(servers) -> dict[str, int]:
    return {user: len(inbox(servers, user)) for user in EVERYONE}


def record(msg: EmailMessage) -> tuple[str, str]:
    """The file a history mail carries: its name and its text."""
    [part] = list(msg.iter_attachments())
    return str(part.get_filename()), part.get_payload(decode=True).decode("utf-8")


def history_block(msg: EmailMessage, number: str) -> list[str]:
    """The full record a history mail carries (the attached file), line by line."""
    name, text = record(msg)
    assert name in (f"riwayat-{number}.txt", f"history-{number}.txt"), name
    lines = text.rstrip("\n").splitlines()
    assert lines[0].startswith(f"Ticket {number} (t): ")
    return lines


def in_order(wanted: list[str], found: list[str]) -> bool:
    """Whether every line of `wanted` stands in `found`, in the same order."""
    rest = iter(found)
    return all(any(line == other for other in rest) for line in wanted)


@pytest.fixture
def answered(fresh_mailboxes, tmp_path, monkeypatch):
    """A ticket a requester opened, answered by staff (open -> answered) with a note on it."""
    monkeypatch.setenv("COLUMNS", "80")
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    deliver(servers, config, mail(REQUESTER, "Akun SPSE terkunci", PROBLEM, name="Budi Santoso")[0])
    notice = latest(servers, STAFF[0], "staff_new")
    number = re.search(r"#(\d{4}-\d{5})\]", str(notice["Subject"])).group(1)  # type: ignore[union-attr]
    deliver(servers, config, reply_as_client(notice, STAFF[0], ANSWER)[0])
    deliver(servers, config, reply_as_client(notice, STAFF[0], NOTE)[0])
    return servers, config, notice, number


def test_riwayat_mails_the_cli_history_to_the_staff_member_who_asked_and_no_one_else(answered, capsys):
    servers, config, notice, number = answered
    before = ticket_full(config, number, capsys)
    sent_before = counts(servers)
    deliver(servers, config, reply(notice, STAFF[0], "#riwayat", **{"Reply-To": ELSEWHERE}))

    [history] = of_kind(inbox(servers, STAFF[0]), "history")
    assert history["To"] == STAFF[0] and history["Cc"] is None  # the configured address, not the Reply-To
    assert history["Auto-Submitted"] == "auto-generated"
    assert f"[LPSE-T #{number}]" in str(history["Subject"]) and "Riwayat tiket" in str(history["Subject"])
    assert "jangan diteruskan kepada pengguna" in text_of(history)
    block = history_block(history, number)  # the attached record
    # the view as the command line printed it a moment before, line for line, and after it the
    # request itself (the history holds the message that asked for it)
    assert in_order(before, block), "\n".join(block)
    after = ticket_full(config, number, capsys)
    assert in_order(block, after)  # nothing in the mail the command line does not print
    assert len(block) > len(before)
    text = "\n".join(block)
    for said in ("akun SPSE saya terkunci sejak kemarin sore.", ANSWER, "Sudah saya telepon, pengguna akan",
                 "state: answered", "from=open to=answered", "history_requested", "| #riwayat"):
        assert said in text, said
    assert "0812-7000-1234" in text  # the requester's data: it goes to the unit's staff member alone

    # nobody else heard a thing: not the requester, the other staff, the coordinators, the
    # head, LKPP, nor the Reply-To; the one who asked got the history and nothing besides
    assert counts(servers) == sent_before
    assert [m["X-Mailbot-Kind"] for m in inbox(servers, STAFF[0])][-1:] == ["history"]
    assert "state: answered" in "\n".join(after)  # it changed nothing

    # the English spelling, on the history mail itself: the first history is not repeated inside
    deliver(servers, config, reply(history, STAFF[0], "#history"))
    first, second = of_kind(inbox(servers, STAFF[0]), "history")
    again = history_block(second, number)
    assert in_order(block, again)
    assert "      (the ticket's history as it stood then; not repeated here)" in again  # the first mail
    assert "      | #history" in again
    assert text_of(second).count("jangan diteruskan kepada pengguna") == 1
    assert len(text_of(second)) < 2 * len(text_of(first))
    assert counts(servers) == sent_before


def test_riwayat_in_a_new_mail_runs_nothing_and_sends_no_history(answered):
    """E19 (token mode): a new mail with the ticket's tag cites no mail sent to staff; no
    history leaves, the staff address is told it was not run, coordinators are alerted."""
    servers, config, _notice, number = answered
    sent_before = counts(servers)
    deliver(servers, config, mail(STAFF[0], f"[LPSE-T #{number}] Akun SPSE terkunci", "#riwayat")[0])
    assert not any(of_kind(inbox(servers, user), "history") for user in (STAFF[0], *EVERYONE))
    assert of_kind(inbox(servers, STAFF[0]), "not_run")
    assert of_kind(inbox(servers, COORDINATOR), "unverified")
    assert len(inbox(servers, REQUESTER)) == sent_before[REQUESTER]


def test_history_in_an_english_mailbox(fresh_mailboxes, tmp_path, monkeypatch, capsys):
    """`#history` with the mailbox in English: the mail's words are English, its lines the view's."""
    monkeypatch.setenv("COLUMNS", "80")
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, language="en")
    deliver(servers, config, mail(REQUESTER, "Account locked", "My SPSE account is locked since yesterday.")[0])
    notice = latest(servers, STAFF[0], "staff_new")
    number = re.search(r"#(\d{4}-\d{5})\]", str(notice["Subject"])).group(1)  # type: ignore[union-attr]
    before = ticket_full(config, number, capsys)
    deliver(servers, config, reply_as_client(notice, STAFF[0], "#History.")[0])
    [history] = of_kind(inbox(servers, STAFF[0]), "history")
    assert "Ticket history" in str(history["Subject"])
    assert "do not forward it to the requester" in text_of(history)
    assert in_order(before, history_block(history, number))
    assert not of_kind(inbox(servers, STAFF[0]), "command_ok")
    assert len(inbox(servers, REQUESTER)) == 1  # the ack alone


def test_the_escalation_key_is_masked_in_the_history_mail(answered, capsys):
    """The ticket's escalation key (`[ref:...]` in the subject of mail to LKPP) goes
    to LKPP alone; the command line shows the operator the subject as it went, the history mail
    the same line with the key's letters as asterisks (columns kept). Nothing else changes."""
    servers, config, notice, number = answered
    deliver(servers, config, reply_as_client(notice, STAFF[0], "#eskalasi\nMohon bantuan reset akun.")[0])
    [escalation] = of_kind(inbox(servers, LKPP), "escalate")
    code = re.search(r"\[ref:([a-z2-7]{10})\]", str(escalation["Subject"])).group(1)  # type: ignore[union-attr]
    before = ticket_full(config, number, capsys)
    assert any(code in line for line in before)
    deliver(servers, config, reply_as_client(notice, STAFF[0], "#riwayat")[0])
    [history] = of_kind(inbox(servers, STAFF[0]), "history")
    assert code not in text_of(history).lower() and code not in record(history)[1].lower()
    masked = [line.replace(code, "*" * len(code)) for line in before]
    assert in_order(masked, history_block(history, number))
    assert "[ref:**********]" in record(history)[1]


def test_riwayat_tells_the_tickets_story_in_the_mailboxs_language(answered):
    """The mail reads as the ticket's story, in Indonesian: who wrote what and
    when (their words, not event codes), what mailbot sent to whom, how the state moved; lines
    as people wrote them, never cut with an ellipsis; a few dozen lines, not a thousand."""
    servers, config, notice, number = answered
    deliver(servers, config, reply(notice, STAFF[0], "#riwayat"))
    [history] = of_kind(inbox(servers, STAFF[0]), "history")
    body = text_of(history)
    lines = body.splitlines()
    assert "Jalannya tiket (waktu WIB):" in lines
    assert f"Tiket {number}: Akun SPSE terkunci" in lines and "Pengguna: Budi Santoso <budi@vendor.test>" in lines
    said = "\n".join(lines)
    for told in (f"{REQUESTER} (pengguna) menulis:", "    | akun SPSE saya terkunci sejak kemarin sore.",
                 f"mailbot mengirim tanda terima kepada {REQUESTER}.",
                 f"{STAFF[0]} (petugas helpdesk) menulis:", f"    | {ANSWER}",
                 f"mailbot mengirim jawaban petugas kepada {REQUESTER}.",
                 "Status tiket: Terbuka -> Dijawab.",
                 "    | #catatan Sudah saya telepon, pengguna akan mengirim scan KTP siang ini.",
                 "    | #riwayat"):
        assert told in said, told
    # in this order: the requester's mail, the ack, the answer, the state it moved the ticket to
    order = [said.index(t) for t in (f"{REQUESTER} (pengguna) menulis:", "mailbot mengirim tanda terima",
                                     f"    | {ANSWER}", "Status tiket: Terbuka -> Dijawab.", "    | #catatan")]
    assert order == sorted(order)
    # no English event codes or field dumps, no line cut with an ellipsis
    for code in ("state: answered", "mail_queued", "from=open", "staff_replied", "History (times", "…"):
        assert code not in body, code
    assert len(lines) < 80
    assert f"Tiket {number} saat ini: Dijawab" in body  # what the ticket is now, and what applies

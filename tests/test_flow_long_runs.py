"""A requester's mail with a long run in it (thousands of blank lines, one endless word) is
answered like any other mail (SPEC 3, SPEC 9).

What reads the requester's words (their identity's fields, the autoresponder's repeats) must
cost a scan of the text, not a scan of the rest of it from every line: with patterns that
let `^\\s*` run over the blank lines below a line start, or `\\S*\\d\\S*` try every letter of a
word without a digit, a 16 KB run of blank lines or a 100 KB word took a request past its
30 s (`limits.message_seconds`, the default here) and into Quarantine, the mailbox stalled
meanwhile. So did a run inside a line (a letter, thousands of blanks, a letter: each blank was
tried as the end of a field's name), a From field of thousands of commas or one endless word,
and a requester's answer to a solution with a long run in it. Real servers on loopback; the
ack and the staff's update are read back over IMAP.
"""

from __future__ import annotations

import re
import time

import pytest

from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests import mailfactory as mf

RUNS = {
    "blank lines": "\n" * 20_000,
    "blank lines with spaces": " \n" * 20_000,
    "one endless word": "a" * 100_000,
    # inside a line: after a word, a field's label, a company's name
    "blanks inside a line": "Mohon dicek" + " " * 20_000 + "ya\n",
    "a line of blanks under a blank line": "\n" + " " * 20_000 + "x\n",
    "a form field with blanks inside": "Nama: Budi" + " " * 100_000 + "Santoso\n",
    "a company line with blanks inside": "\nSalam,\nBudi Santoso\nCV Maju Jaya" + " " * 16_000 + "x\n",
    # a label, blanks, something that is not what the label names (a second red-team round)
    "a tender code's label with blanks after it": "kode tender" + " " * 60_000 + "x\n",
    "a phone's label with blanks after it": "Telp" + " " * 60_000 + "x\n",
    "a forward's marker with blanks after it": "Begin forwarded message" + " " * 60_000 + "x\n",
    # a question word after runs of marks (a third round): the category rule split each run
    # between two words up to eight ways; 147 bytes took 25 s
    "a question word after runs of marks": ("a" + " ," * 6) * 9 + "a apakah bisa dibantu?\n",
}
# the From field as a crafted mail writes it (the address the ack goes to is in angle brackets)
FROM_FIELDS = {
    "a display name of one endless word": "a" * 32_000 + " <budi@vendor.test>",
    "a display name of commas": ", " * 30_000 + "<budi@vendor.test> x",
}


# a requester's answer to a solution: what tells an out-of-office from an answer reads it
ANSWERS = {
    "an absence with blanks inside": "Saya sedang cuti a" + " " * 32_000 + "a",
    "a courtesy with an endless word": "Baik, " + "a" * 128_000,
}
REQUEST = "Selamat pagi, akun SPSE kami terkunci sejak kemarin sore, mohon dibantu dibuka kembali.\n"
MORE = ("Berikut kami tambahkan data perusahaan kami untuk tiket ini, mohon diperiksa kembali oleh "
        "Bapak dan Ibu di helpdesk LPSE.\n")
SIGNATURE = "\nSalam,\nBudi Santoso\nCV Maju Jaya\nTelp. 0778-123456\n"


@pytest.mark.parametrize("run", RUNS)
def test_a_request_and_its_reply_with_a_long_run_in_them_are_answered(fresh_mailboxes, tmp_path, run):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail("budi@vendor.test", "Akun terkunci", REQUEST + RUNS[run] + SIGNATURE)
    mf.deliver(servers, config, raw)
    ack = mf.latest(servers, "budi@vendor.test", "ack")
    reply, reply_id = mf.reply_as_client(ack, "budi@vendor.test", MORE + RUNS[run] + SIGNATURE)
    mf.deliver(servers, config, reply)

    assert servers.fetch(mf.UNIT, "Quarantine") == []
    assert len(servers.fetch(mf.UNIT, "Processed")) == 2
    update = mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_update"))
    assert "Berikut kami tambahkan data perusahaan" in update
    store = Store.of(load_config(config))
    try:
        [ticket] = store.search.tickets()
        assert reply_id in {m.message_id for m in store.messages.thread_of(ticket.id)}
        assert ticket.requester.addr == "budi@vendor.test"
    finally:
        store.close()


@pytest.mark.parametrize("field", FROM_FIELDS)
def test_a_request_whose_from_field_is_crafted_is_answered(fresh_mailboxes, tmp_path, field):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw = mf.with_from(mf.mail("budi@vendor.test", "Akun terkunci", REQUEST + SIGNATURE)[0], FROM_FIELDS[field])
    mf.deliver(servers, config, raw)

    assert servers.fetch(mf.UNIT, "Quarantine") == []
    assert len(servers.fetch(mf.UNIT, "Processed")) == 1
    assert mf.of_kind(mf.inbox(servers, "budi@vendor.test"), "ack")
    assert "akun SPSE kami terkunci" in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_new"))


@pytest.mark.parametrize("answer", ANSWERS)
def test_an_answer_to_a_solution_with_a_long_run_in_it_is_handled(fresh_mailboxes, tmp_path, answer):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail("budi@vendor.test", "Akun terkunci", REQUEST + SIGNATURE)[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#selesai\nAkun Anda sudah kami buka "
                                                                         "kembali, silakan login.")[0])
    solution = mf.latest(servers, "budi@vendor.test", "resolved")
    reply, reply_id = mf.reply_as_client(solution, "budi@vendor.test", ANSWERS[answer])
    mf.deliver(servers, config, reply)

    assert servers.fetch(mf.UNIT, "Quarantine") == []
    assert len(servers.fetch(mf.UNIT, "Processed")) == 3
    store = Store.of(load_config(config))
    try:
        [ticket] = store.search.tickets()
        assert reply_id in {m.message_id for m in store.messages.thread_of(ticket.id)}
    finally:
        store.close()


def test_a_message_out_of_time_is_quarantined_without_its_header_read_again_as_long(fresh_mailboxes, tmp_path,
                                                                                    monkeypatch):
    """A message out of its time is recorded in Quarantine by its header block, read again.
    That second read had no budget: a From field a pattern read in quadratic time took the
    message past its 30 s, then as long again (58 s for a 60 KB field), the mailbox waiting.
    Here every read of this sender's mail spins for a minute, standing in for such a pattern
    (the known ones are mended above): the message is quarantined with its reason and its
    Message-ID within seconds of its budget (2 s), not after the minute."""
    from mailbot.flow import pipeline

    parse = pipeline.parse_message

    def slow_parse(raw: bytes, **options: object) -> object:
        if b"lambat@vendor.test" in raw:
            end = time.monotonic() + 60
            while time.monotonic() < end:
                pass
        return parse(raw, **options)

    monkeypatch.setattr(pipeline, "parse_message", slow_parse)
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, limits={"message_seconds": 2})
    raw, message_id = mf.mail("lambat@vendor.test", "Akun terkunci", REQUEST + SIGNATURE)
    started = time.monotonic()
    mf.deliver(servers, config, raw)
    took = time.monotonic() - started

    [quarantined] = servers.fetch(mf.UNIT, "Quarantine")
    assert b"lambat@vendor.test" in quarantined
    assert took < 20, f"the mailbox waited {took:.0f} s"
    store = Store.of(load_config(config))
    try:
        [record] = store.arrivals.quarantined()
        assert (record.message_id, record.reason) == (message_id, "message took longer than 2 s")
    finally:
        store.close()


def test_a_coordinators_mail_naming_a_ticket_with_blanks_after_it_is_handled(fresh_mailboxes, tmp_path):
    """What a coordinator or head writes is read for the tickets it names ("tiket 42") before
    anything vouches for the sender: "tiket", 20,000 blanks and a letter took minutes."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    raw, _ = mf.mail(mf.COORDINATOR, "Mohon dicek", "Mohon dicek tiket" + " " * 20_000 + "x\n")
    mf.deliver(servers, config, raw)

    assert servers.fetch(mf.UNIT, "Quarantine") == []
    assert len(servers.fetch(mf.UNIT, "Processed")) == 1


def test_a_staff_command_with_blanks_after_it_is_handled(fresh_mailboxes, tmp_path):
    """A staff reply's `#lpse-support no`, 60,000 blanks and a mark: read as a command, whoever
    sent it, before anything vouches for the sender."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail("budi@vendor.test", "Akun terkunci", REQUEST + SIGNATURE)[0])
    notice = mf.latest(servers, mf.STAFF[0], "staff_new")
    mf.deliver(servers, config, mf.reply_as_client(notice, mf.STAFF[0], "#lpse-support no" + " " * 60_000 + "!")[0])

    assert servers.fetch(mf.UNIT, "Quarantine") == []
    assert len(servers.fetch(mf.UNIT, "Processed")) == 2


def test_a_request_whose_authentication_results_nest_comments_deeply_is_answered(fresh_mailboxes, tmp_path):
    """The authres library reads nested comments by recursion: 500 "(" in the topmost
    Authentication-Results (1 KB) ended in Quarantine as an internal error. A field that cannot
    be read vouches for no one; the request is answered as any unvouched one."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, auth=mf.AUTHRES)
    nested = "mx.lpse.test; dmarc=pass " + "(" * 500 + "x" + ")" * 500 + " header.from=vendor.test"
    raw, _ = mf.mail("budi@vendor.test", "Akun terkunci", REQUEST + SIGNATURE,
                     headers={"Authentication-Results": nested})
    mf.deliver(servers, config, raw)

    assert servers.fetch(mf.UNIT, "Quarantine") == []
    assert len(servers.fetch(mf.UNIT, "Processed")) == 1
    assert "akun SPSE kami terkunci" in mf.text_of(mf.latest(servers, mf.STAFF[0], "staff_new"))


def test_a_from_field_of_commas_and_blanks_without_an_address_is_refused_for_its_from(fresh_mailboxes, tmp_path):
    """2,000 ", " and 2,000 blanks, folded, then "!" (4 KB): no address to answer, so Quarantine
    is right; but for its From, at once, not for its time after the mailbox waited (the name
    pattern read it in cubic time: 1,000 of each took 4.8 s, 2,000 over the 30 s)."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    text = ", " * 2_000 + " " * 2_000
    # cut every 70 characters, not at blanks as `mf.with_from` folds: folded at blanks, the old
    # pattern read this field in 2 s and the test passed against it
    lines = [text[i:i + 70] for i in range(0, len(text), 70)]
    field = "\n".join(line if i == 0 or line.startswith(" ") else " " + line for i, line in enumerate(lines)) + "!"
    raw = mf.mail("budi@vendor.test", "Akun terkunci", REQUEST + SIGNATURE)[0]
    assert raw.startswith(b"From: budi@vendor.test\n")
    mf.deliver(servers, config, b"From: " + field.encode() + raw[len(b"From: budi@vendor.test"):])

    assert len(servers.fetch(mf.UNIT, "Quarantine")) == 1
    store = Store.of(load_config(config))
    try:
        [record] = store.arrivals.quarantined()
        assert "From" in record.reason and "longer than" not in record.reason, record.reason
    finally:
        store.close()


# what a staff member writes down of a call as the caller spelled it (the consultation form),
# and the answer to the form: a field that cannot be read is refused by name (SPEC 3, 9)
FORM_FIELDS = {
    "a date with blanks after its day": ("Tanggal: 1" + " " * 40_000 + "x", "command_error", "- Tanggal: '1 "),
    "a date of zone words": ("Tanggal: " + "wib " * 32_000, "intake_confirm", "Tidak bisa login ke SPSE"),
    "an address of full stops": ("Email: a@" + "a." * 40_000 + "<x", "command_error", "- Email: 'a@a.a."),
}
CALL = "#telepon\nNama: Rina Wulandari\nInstansi: CV Maju Jaya\nTelepon: 0812 7700 4455\n"


@pytest.mark.parametrize("field", FORM_FIELDS)
def test_a_call_form_with_a_long_run_in_a_field_is_answered(fresh_mailboxes, tmp_path, field):
    """A call's form is read for its date, time and the caller's address: a day, 40,000 blanks
    and a letter, 32,000 zone words, or an address of 40,000 full stops took the staff's mail
    past its 30 s and into Quarantine, unanswered (the date's separator split a run of blanks
    three ways, each zone word was removed from the whole text again, the address's last full
    stop was looked for from each one). Now the form is refused for the field, or held for
    its sender to open (token mode), as the same form with a short field is."""
    line, kind, said = FORM_FIELDS[field]
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    body = CALL + line + "\nPermasalahan: Tidak bisa login ke SPSE sejak pagi.\n"
    mf.deliver(servers, config, mf.mail(mf.STAFF[0], "telepon", body)[0])

    assert servers.fetch(mf.UNIT, "Quarantine") == []
    assert len(servers.fetch(mf.UNIT, "Processed")) == 1
    text = mf.text_of(mf.latest(servers, mf.STAFF[0], kind))
    assert said in text
    if kind == "command_error":  # the field is quoted back by its start, not whole
        assert " …'" in text and len(text) < 10_000, len(text)


def test_a_solution_with_a_long_token_in_it_is_reused_for_another_requester(fresh_mailboxes, tmp_path):
    """`#jawab-seperti NUMBER` reads the old solution for addresses and personal data before it
    is shown to staff and goes to the new requester: a token of 40,000 letters in it was read
    again from each of its letters (13 s at 12,000), and the staff's reply ended in Quarantine."""
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path)
    mf.deliver(servers, config, mf.mail("budi@vendor.test", "Akun terkunci", REQUEST + SIGNATURE)[0])
    first = mf.latest(servers, mf.STAFF[0], "staff_new")
    solution = "#selesai\nAkun Anda sudah kami buka kembali, silakan login.\nCatatan: " + "a" * 40_000 + "\n"
    mf.deliver(servers, config, mf.reply_as_client(first, mf.STAFF[0], solution)[0])
    mf.deliver(servers, config, mf.mail("sari@dinas.test", "Akun terkunci juga",
                                        "Selamat siang, akun SPSE saya terkunci juga, mohon dibantu.\n")[0])
    second = mf.latest(servers, mf.STAFF[0], "staff_new")
    number = re.search(r"#(\d{4}-\d{5})\]", str(first["Subject"]))
    assert number, first["Subject"]
    mf.deliver(servers, config, mf.reply_as_client(second, mf.STAFF[0], f"#jawab-seperti {number[1]}")[0])
    preview = mf.latest(servers, mf.STAFF[0], "answer_preview")  # staff see what goes first
    assert "Akun Anda sudah kami buka kembali" in mf.text_of(preview)
    mf.deliver(servers, config, mf.reply_as_client(preview, mf.STAFF[0], f"#jawab-seperti {number[1]}")[0])

    assert servers.fetch(mf.UNIT, "Quarantine") == []
    assert len(servers.fetch(mf.UNIT, "Processed")) == 5
    assert "Akun Anda sudah kami buka kembali" in mf.text_of(mf.latest(servers, "sari@dinas.test", "resolved"))

"""Pure core: tokens, matching, commands."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from mailbot.config.load import parse_config
from mailbot.core.commands import parse_commands
from mailbot.core.internal import redact
from mailbot.core.matching import base_subject, find_tag, resolve, role_of
from mailbot.core.tokens import make_message_id, verify
from mailbot.io.keys import load_or_create_key
from mailbot.model import Address, Role, State, Ticket

KEY = b"k" * 64
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


STAFF_AND_COORDINATORS = frozenset({"s", "c"})


def test_signed_message_id_round_trip():
    """A generated Message-ID verifies and names mailbox, ticket, kind and audience."""
    mid = make_message_id(KEY, "btm", "2026-00042", "staff_new", "batam.go.id", STAFF_AND_COORDINATORS)
    token = verify(KEY, mid)
    assert token is not None
    assert (token.mailbox, token.ticket, token.kind, token.audience) == (
        "btm", "2026-00042", "staff_new", STAFF_AND_COORDINATORS)


def test_forged_message_id_is_rejected():
    """Changing the ticket or the audience, or using another key, breaks the signature."""
    mid = make_message_id(KEY, "btm", "2026-00042", "staff_new", "batam.go.id", frozenset({"r"}))
    assert verify(KEY, mid.replace("2026-00042", "2026-00043")) is None
    assert verify(KEY, mid.replace(".ar.", ".as.")) is None  # a requester's token made a staff one
    assert verify(b"x" * 64, mid) is None
    assert verify(KEY, "CAF=abc@mail.gmail.com") is None


def test_message_ids_of_the_first_format_still_verify_without_audience():
    """Tokens sent before audiences were signed keep working; their audience comes from the outbox."""
    nonce = "0123456789"
    signed = f"btm\x002026-00042\x00ack\x00{nonce}".encode()  # mailbox, ticket, kind, nonce
    sig = base64.b32encode(hmac.new(KEY, signed, hashlib.sha256).digest()[:10]).decode().lower()
    token = verify(KEY, f"mb.btm.2026-00042.ack.{nonce}.{sig}@batam.go.id")
    assert token is not None and token.ticket == "2026-00042" and token.audience is None


def test_key_file_created_once_private(tmp_path):
    """The key is created at first start with mode 0600 and then reused."""
    path = tmp_path / "secret.key"
    key = load_or_create_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_key(path) == key


@pytest.mark.parametrize(
    "subject",
    [
        "[LPSE-BTM #2026-00042] Reset password",
        "Re: [LPSE-BTM #2026-00042] Reset password",
        "RE: Fwd: [LPSE-BTM #2026-00042] Reset",
        "Bls: Balas: [lpse-btm #2026-00042]",
        "Tr: FW: tolong [LPSE-BTM#2026-00042] dicek",
        "Re: Permohonan reset kata sandi akun SPSE Dinas PU [LPSE-BTM #2026-00042",  # cut short by a client
        "LPSE-BTM #2026-00042 masih belum bisa",  # typed by hand, no brackets
    ],
)
def test_tag_found_after_any_prefix(subject):
    """SPEC 3: the tag counts anywhere, after any reply prefix."""
    assert find_tag(subject, "LPSE-BTM") == "2026-00042"


def test_other_units_tag_is_not_ours():
    """Another prefix is not our tag."""
    assert find_tag("Re: [LPSE-TPI #2026-00042] x", "LPSE-BTM") is None
    assert find_tag("Re: [XLPSE-BTM #2026-00042] x", "LPSE-BTM") is None  # a longer prefix that ends like ours
    assert find_tag("Re: [OLD-LPSE-BTM #2026-00042] x", "LPSE-BTM") is None
    assert find_tag("Re: [LPSE-BTM #2026-000421] x", "LPSE-BTM") is None  # not our number's shape


def test_base_subject_drops_prefixes_and_tags():
    """A new ticket's title has no Re:/Fwd: and no tags."""
    assert base_subject("Re: Fwd: [LPSE-BTM #2026-00001] Akun terkunci", "LPSE-BTM") == "Akun terkunci"
    assert base_subject("Bls: RE:  Permohonan   reset", "LPSE-BTM") == "Permohonan reset"


def _cfg(tmp_path):
    return parse_config({
        "smtp": {"host": "127.0.0.1", "security": "none"},
        "escalation": {"address": "helpdesk-lpse@lkpp.go.id", "senders": ["*@lkpp.go.id"]},
        "mailboxes": [{"name": "btm", "address": "lpse@batam.go.id", "imap": {"host": "imap.batam.go.id"},
                       "staff": ["helpdesk1@batam.go.id"], "coordinators": ["koordinator@batam.go.id"],
                       "heads": ["kepala@batam.go.id"]}],
    }, tmp_path / "c.yaml")


def test_roles(tmp_path):
    """SPEC 1: staff lists, LKPP patterns, everyone else is a requester."""
    cfg = _cfg(tmp_path)
    box = cfg.mailboxes[0]
    senders = cfg.escalation.senders
    assert role_of("Helpdesk1@Batam.go.id", box, senders) is Role.STAFF
    assert role_of("koordinator@batam.go.id", box, senders) is Role.COORDINATOR
    assert role_of("kepala@batam.go.id", box, senders) is Role.HEAD
    assert role_of("helpdesk-lpse@lkpp.go.id", box, senders) is Role.LKPP
    assert role_of("budi@vendor.co.id", box, senders) is Role.REQUESTER
    assert role_of("lpse@batam.go.id", box, senders) is Role.SELF


@pytest.mark.parametrize("written", [
    "helpdesk1@batam.go.id", "HELPDESK1@Batam.go.id", "helpdesk1[at]batam.go.id", "helpdesk1 [at] batam.go.id",
    "helpdesk1(at)batam(dot)go(dot)id", "helpdesk1 {at} batam [dot] go [dot] id", "helpdesk1 at batam dot go dot id",
    "koordinator @ batam.go.id", "kepala(at)batam[titik]go[titik]id",
])
def test_internal_addresses_are_redacted_however_a_signature_spells_them(tmp_path, written):
    """SPEC 1: an internal address spelled against harvesting is still one; the unit's address stands there."""
    box = _cfg(tmp_path).mailboxes[0]
    assert redact(f"Hubungi {written} bila perlu.", box) == "Hubungi lpse@batam.go.id bila perlu."


def test_redaction_leaves_other_words_and_addresses_alone(tmp_path):
    box = _cfg(tmp_path).mailboxes[0]
    text = "Saya at kantor; budi@vendor.co.id, helpdesk2@batam.go.id, kepala sekolah at batam dot com."
    assert redact(text, box) == text


@pytest.mark.parametrize("other", [
    "wakil.kepala@batam.go.id", "subkepala@batam.go.id", "kepala@batam.go.id.co", "kepala@batam.go.ide",
    "wakil.kepala at batam dot go dot id",
])
def test_redaction_leaves_a_longer_address_holding_an_internal_one_alone(tmp_path, other):
    """SPEC 1 hides the unit's internal addresses, and only those: a colleague in the same
    Pemda domain ("wakil.kepala@...") whom staff tell the requester to write to kept the
    staff address's letters replaced, "wakil.lpse@batam.go.id", an address nobody reads."""
    box = _cfg(tmp_path).mailboxes[0]
    text = f"Silakan hubungi {other} untuk surat tugas."
    assert redact(text, box) == text


def _ticket(**kw) -> Ticket:
    base = {"id": 7, "mailbox": "btm", "number": "2026-00007", "state": State.OPEN,
            "requester": Address("budi@vendor.test", "Budi"), "subject": "x", "created_at": NOW, "updated_at": NOW,
            "participants": frozenset({"budi@vendor.test", "rekan@vendor.test"})}
    base.update(kw)
    return Ticket(**base)


def test_tag_honoured_for_participants_only():
    """SPEC 3: a stranger citing the tag opens a new ticket citing the old one."""
    t = _ticket()
    assert resolve("budi@vendor.test", Role.REQUESTER, t, ()).ticket == t
    assert resolve("rekan@vendor.test", Role.REQUESTER, t, ()).via == "tag"
    assert resolve("helpdesk1@batam.go.id", Role.STAFF, t, ()).ticket == t
    stranger = resolve("orang@lain.test", Role.REQUESTER, t, ())
    assert stranger.ticket is None and stranger.cited == t


def test_reference_used_when_tag_is_lost():
    """SPEC 3: In-Reply-To/References match when the subject lost its tag."""
    t = _ticket()
    match = resolve("budi@vendor.test", Role.REQUESTER, None, (t,))
    assert match.ticket == t and match.via == "reference"


def test_commands_read_from_top_only():
    """Commands are lines starting with # before any other text; a known command below the
    text is not read as one (it refuses the message: `test_a_command_below_other_text_is_refused`)."""
    parsed = parse_commands("\n#Tutup diam\n#PRIORITAS tinggi\nTerima kasih\n#catatan bukan perintah")
    assert [(c.name, c.arg) for c in parsed.commands] == [("close", "silent"), ("priority", "high")]
    assert parsed.body == "Terima kasih\n#catatan bukan perintah"
    assert [(e.code, e.command) for e in parsed.errors] == [("not_at_top", "#catatan")]


def test_english_and_indonesian_spellings_are_equal():
    """#note equals #catatan, #escalate equals #eskalasi, case-insensitive."""
    for text in ("#note hello", "#CATATAN hello"):
        parsed = parse_commands(text)
        assert [c.name for c in parsed.commands] == ["note"] and parsed.body == "hello"
    assert parse_commands("#Escalate\nmohon dibantu").commands[0].name == "escalate"
    assert parse_commands("#eskalasi").commands[0].name == "escalate"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("#hapus", "unknown command #hapus"),
        ("#prioritas darurat", "#prioritas needs one of"),
        ("#kategori lain", "#kategori needs one of"),
        ("#tugaskan budi", "#tugaskan needs an email address"),
        ("#tutup sekarang", "#tutup takes only"),
        ("#selesai\n#tutup", "only one of"),
        ("#catatan x\n#eskalasi", "cannot be combined"),
        ("\n".join(["#prioritas tinggi"] * 11), "more than 10 command lines"),
    ],
)
def test_malformed_commands_are_errors(text, error):
    """Unknown or malformed commands produce an error line naming the problem."""
    assert any(error in str(e) for e in parse_commands(text).errors)


@pytest.mark.parametrize(
    ("text", "commands", "body"),
    [
        ("#selesai: Sudah kami reset.", [("resolve", None)], "Sudah kami reset."),  # a colon after the word
        ("#catatan:cek log dulu", [("note", None)], "cek log dulu"),
        ("#Selesai.\nSudah bisa login.", [("resolve", None)], "Sudah bisa login."),  # a full stop, a comma
        ("#tutup,\nTerima kasih", [("close", None)], "Terima kasih"),
        ("# selesai\nSudah.", [("resolve", None)], "Sudah."),  # a space after the sign
        ("#selesai\u00a0Sudah direset", [("resolve", None)], "Sudah direset"),  # HTML mail's no-break space
        ("#tutup\u00a0diam", [("close", "silent")], ""),
        ("\u200b#eskalasi\u200b\nMohon dibantu", [("escalate", None)], "Mohon dibantu"),  # Outlook's &#8203;
        ("\ufeff\n#catatan sudah ditelepon", [("note", None)], "sudah ditelepon"),
        ("\uff03selesai\nBeres", [("resolve", None)], "Beres"),  # a phone keyboard's full-width sign
        ("#prioritas: Tinggi.", [("priority", "high")], ""),
        ("#kategori Pengaduan!", [("category", "pengaduan")], ""),
        ("#tutup diam.", [("close", "silent")], ""),
        ("#teruskan.", [("relay", None)], ""),
        ("#tugaskan Sari Dewi <Sari@LPSE.test>", [("assign", "sari@lpse.test")], ""),  # from the address book
        ("#tugaskan sari@lpse.test<mailto:sari@lpse.test>", [("assign", "sari@lpse.test")], ""),  # Outlook's link
        ("#assign sari@lpse.test.", [("assign", "sari@lpse.test")], ""),
        ("#data: nama Budi Santoso", [("data", "name=Budi Santoso")], ""),
    ],
)
def test_commands_as_mail_clients_and_people_write_them(text, commands, body):
    """SPEC 4: a command is a line starting with # at the top, case aside. Punctuation after
    the word, a space after the sign, invisible characters and no-break spaces from HTML
    mail, and an address in any usual form are still that command, not an error."""
    parsed = parse_commands(text)
    assert [(c.name, c.arg) for c in parsed.commands] == commands
    assert parsed.body == body and parsed.errors == ()


@pytest.mark.parametrize(
    ("text", "commands", "body"),
    [
        # Outlook writes each line as a paragraph: blank lines between the command lines
        ("#prioritas tinggi\n\n#eskalasi\nMohon dibantu.", [("priority", "high"), ("escalate", None)],
         "Mohon dibantu."),
        ("#selesai\n\n#prioritas rendah\nSilakan login ulang.", [("resolve", None), ("priority", "low")],
         "Silakan login ulang."),
        ("#kategori pertanyaan\n\n\n\u200b\n#Tutup\n\nSudah dijawab lewat telepon.",
         [("category", "pertanyaan"), ("close", None)], "Sudah dijawab lewat telepon."),
        # after a paragraph break, a # line that names no command is the body's, not an error
        ("#selesai\n\n#1 Buka menu Lupa Password.", [("resolve", None)], "#1 Buka menu Lupa Password."),
        # and a # line below ordinary text that names no command is text
        ("#selesai\nLangkahnya:\n#1 Buka menu Lupa Password.", [("resolve", None)],
         "Langkahnya:\n#1 Buka menu Lupa Password."),
    ],
)
def test_blank_lines_between_command_lines(text, commands, body):
    """SPEC 4: commands are the # lines "before any other text"; a blank line is no text, so a
    second command after one still runs and never reaches the requester or LKPP as body."""
    parsed = parse_commands(text)
    assert [(c.name, c.arg) for c in parsed.commands] == commands
    assert parsed.body == body and parsed.errors == ()


@pytest.mark.parametrize(
    ("text", "commands", "body"),
    [
        ("Selamat siang Pak,\n#selesai\nAkun sudah dibuka, silakan login kembali.", [("resolve", None)],
         "Akun sudah dibuka, silakan login kembali."),
        ("Dear all,\n\n#eskalasi\nMohon dibantu", [("escalate", None)], "Mohon dibantu"),
        ("Bu Rina,\n#prioritas tinggi\n#selesai Sudah kami reset.", [("priority", "high"), ("resolve", None)],
         "Sudah kami reset."),
        ("Yth. Bapak/Ibu,\n\nSelamat pagi,\n#selesai\nSilakan login ulang.", [("resolve", None)],
         "Silakan login ulang."),
        ("Halo\n#catatan sudah ditelepon", [("note", None)], "sudah ditelepon"),
        ("Assalamualaikum wr. wb.\n#eskalasi\nMohon dicek.", [("escalate", None)], "Mohon dicek."),
        ("\u200bPak,\n#tutup", [("close", None)], ""),
        ("Halo Bapak,\n#tutup", [("close", None)], ""),
        ("Dear all,\n#tutup", [("close", None)], ""),
        ("Selamat pagi,\n\n#tutup diam", [("close", "silent")], ""),
        # a greeting above a # line that names no command: all text, as before
        ("Pak,\n#1 Buka menu Lupa Password.", [], "Pak,\n#1 Buka menu Lupa Password."),
    ],
)
def test_commands_below_a_greeting_run(text, commands, body):
    """SPEC 4: "a greeting line alone ("Halo Bapak,", "Dear all,") may stand before them
    and is not relayed": the commands run and the body starts below them."""
    parsed = parse_commands(text)
    assert [(c.name, c.arg) for c in parsed.commands] == commands
    assert parsed.body == body and parsed.errors == ()


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("Sudah kami reset, silakan login kembali.\n#selesai", "#selesai"),
        ("Pak, sudah kami cek.\n\n#Eskalasi\nMohon dibantu", "#eskalasi"),
        ("#selesai\nSudah direset.\n\n#tutup", "#tutup"),
        ("#eskalasi\nMohon dicek.\n#prioritas darurat", "#prioritas"),
        # SPEC 4: only a greeting line alone may stand before the commands
        ("Halo Bapak, sudah saya cek.\n#tutup", "#tutup"),
        ("Halo Bapak,\nsudah saya telepon.\n#tutup", "#tutup"),
        ("Mohon maaf atas keterlambatannya.\n#tutup", "#tutup"),
    ],
)
def test_a_command_below_other_text_is_refused(text, command):
    """SPEC 4: commands stand before any other text. One further down was meant to run: the
    message is refused (E18) rather than relayed with the # line in it, and staff are told
    where commands go."""
    [refusal] = [e for e in parse_commands(text).errors if e.code == "not_at_top"]
    assert refusal.command == command and "first lines of the reply" in str(refusal)


@pytest.mark.parametrize("text", ["Sudah dicek.\n#SPSE versi 4.5 sudah terpasang", "Langkah:\n#1 Buka menu"])
def test_a_hash_line_that_names_no_command_below_text_is_text(text):
    parsed = parse_commands(text)
    assert parsed.commands == () and parsed.errors == () and parsed.body == text


@pytest.mark.parametrize("text", ["#selesaikan", "#123", "#", "#tutup sekarang.", "#tugaskan Sari Dewi"])
def test_near_misses_are_still_errors(text):
    """What is not a command word, or not a valid argument, stays an error: the staff member is told."""
    parsed = parse_commands(text)
    assert parsed.commands == () and parsed.errors


def test_plain_reply_has_no_commands():
    """A reply without # lines is all body."""
    parsed = parse_commands("Silakan coba reset melalui menu Lupa Password.\n\nSalam")
    assert parsed.commands == () and parsed.body.startswith("Silakan")


# --- a post that reached the mailbox directly and through a mailing list (SPEC 3, 9) --------------

_POST = "Silakan bersihkan cache browser lalu coba lagi.\n\nPada Sen, 23 Nov 2026, Helpdesk menulis:\n> Akun terkunci"
_MAILMAN = ("\n_______________________________________________\nhelpdesk-lpse mailing list\n"
            "helpdesk-lpse@lists.lpse.test\n")


def _parsed(sender: str, subject: str, text: str, *, listed: bool) -> object:
    from email.message import EmailMessage

    from mailbot.parsers import parse_message
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = sender, "lpse@lpse.test", subject, "<post-1@lpse.test>"
    if listed:
        msg["List-Id"] = "Helpdesk LPSE <helpdesk-lpse.lists.lpse.test>"
    msg.set_content(text)
    return parse_message(msg.as_bytes())


def _first(text: str = _POST, sender: str = "staff1@lpse.test", attachments: int = 0) -> object:
    from mailbot.model import Seen
    return Seen("handled", "in", "hash-of-the-first", sender, "Re: [LPSE-T #2026-00001] Akun terkunci", text,
                attachments)


@pytest.mark.parametrize("subject,text", [
    ("[helpdesk-lpse] Re: [LPSE-T #2026-00001] Akun terkunci", _POST + "\n" + _MAILMAN),  # Mailman
    ("Re: [helpdesk-lpse] [LPSE-T #2026-00001] Akun terkunci", _POST),  # a list without a footer
    ("Re: [LPSE-T #2026-00001] Akun terkunci",
     _POST + "\n\n-- \nYou received this message because you are subscribed to the Google Groups \"pengadaan\" group."),
])
def test_a_list_copy_of_a_handled_post_is_the_same_message(subject, text):
    """The same author, subject (but for the list's tag) and text (but for the list's footer)."""
    from mailbot.core.matching import list_copy
    assert list_copy(_parsed("staff1@lpse.test", subject, text, listed=True), _first())  # type: ignore[arg-type]


def test_the_direct_copy_after_the_list_copy_is_the_same_message():
    from mailbot.core.matching import list_copy
    direct = _parsed("staff1@lpse.test", "Re: [LPSE-T #2026-00001] Akun terkunci", _POST, listed=False)
    assert list_copy(direct, _first(_POST + "\n" + _MAILMAN))  # type: ignore[arg-type]


@pytest.mark.parametrize("sender,subject,text,listed,attachments", [
    # other words above the footer: a different message under a reused Message-ID (SPEC 9)
    ("staff1@lpse.test", "[helpdesk-lpse] Re: [LPSE-T #2026-00001] Akun terkunci",
     "#tutup\n" + _POST + "\n" + _MAILMAN, True, 0),
    # another author
    ("staff2@lpse.test", "[helpdesk-lpse] Re: [LPSE-T #2026-00001] Akun terkunci", _POST + "\n" + _MAILMAN, True, 0),
    # another subject, another ticket's tag
    ("staff1@lpse.test", "[helpdesk-lpse] Re: [LPSE-T #2026-00002] Akun terkunci", _POST + "\n" + _MAILMAN, True, 0),
    # text added below, not under a footer's rule
    ("staff1@lpse.test", "[helpdesk-lpse] Re: [LPSE-T #2026-00001] Akun terkunci", _POST + "\n\nSudah saya tutup.",
     True, 0),
    # a long "footer": more than a list writes
    ("staff1@lpse.test", "[helpdesk-lpse] Re: [LPSE-T #2026-00001] Akun terkunci",
     _POST + "\n" + _MAILMAN + "baris\n" * 20, True, 0),
    # the first had an attachment this one lacks
    ("staff1@lpse.test", "[helpdesk-lpse] Re: [LPSE-T #2026-00001] Akun terkunci", _POST + "\n" + _MAILMAN, True, 1),
    # a footer on a copy that is no list mail
    ("staff1@lpse.test", "Re: [LPSE-T #2026-00001] Akun terkunci", _POST + "\n" + _MAILMAN, False, 0),
    # the same subject and words and no sign of a list: the bytes differ elsewhere (another file)
    ("staff1@lpse.test", "Re: [LPSE-T #2026-00001] Akun terkunci", _POST, False, 0),
])
def test_anything_else_under_a_known_message_id_is_another_message(sender, subject, text, listed, attachments):
    from mailbot.core.matching import list_copy
    assert not list_copy(_parsed(sender, subject, text, listed=listed), _first(attachments=attachments))  # type: ignore[arg-type]


def test_a_mail_under_the_id_of_mail_mailbot_sent_is_new_unless_it_is_that_mail():
    """The Message-ID of an ack, reused by the requester's client for another mail,
    is handled as new under its own id; the ack itself come back is the same mail; a sent
    row from before hashes were kept does not make a received mail the same."""
    from mailbot.core.matching import same_or_reused
    from mailbot.model import Seen
    from mailbot.parsers import content_hash, parse_message
    raw = (b"From: lpse@lpse.test\nTo: budi@vendor.test\nSubject: [LPSE-T #2026-00001] Diterima\n"
           b"Message-ID: <ack-1@lpse.test>\n\nTiket Anda tercatat.\n")
    other = raw.replace(b"From: lpse@lpse.test\nTo: budi@vendor.test", b"From: budi@vendor.test\nTo: lpse@lpse.test")
    other = other.replace(b"Tiket Anda tercatat.", b"Dokumen kontrak tidak bisa diunduh.")
    sent = Seen("handled", "out", content_hash(raw))
    msg, reused = same_or_reused(parse_message(other), sent, content_hash(other))
    assert reused == "ack-1@lpse.test" and msg.message_id.startswith("ack-1@lpse.test.reused-")
    back = b"Received: from relay.lpse.test\nReturn-Path: <lpse@lpse.test>\n" + raw.replace(b"\n", b"\r\n")
    msg, reused = same_or_reused(parse_message(back), sent, content_hash(back))
    assert reused is None and msg.message_id == "ack-1@lpse.test"
    unhashed = Seen("handled", "out", None)
    msg, reused = same_or_reused(parse_message(raw), unhashed, content_hash(raw))
    assert reused == "ack-1@lpse.test"

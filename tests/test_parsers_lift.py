"""Big base64 bodies are decoded straight from the message bytes (memory), with the
same result the standard library's parser gives for the same mail."""

from __future__ import annotations

import base64
import email
import email.policy
import random
from email.message import EmailMessage

import pytest

from mailbot.parsers import mime
from mailbot.parsers.mime import parse_message

BIG = 300_000  # over mime.LIFT_FROM


def stdlib_files(raw: bytes) -> list[tuple[str, bytes]]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return [(p.get_filename(), p.get_content()) for p in msg.iter_attachments()]  # type: ignore[attr-defined]


def request(*files: tuple[str, str, bytes], body: str = "Mohon bantuan, dokumen terlampir.") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "budi@vendor.test"
    msg["To"] = "lpse@lpse.test"
    msg["Subject"] = "Dokumen"
    msg["Message-ID"] = "<m1@vendor.test>"
    msg.set_content(body)
    for name, ctype, data in files:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def test_assumption_the_sizes_used_here_are_lifted():
    assert mime.LIFT_FROM < BIG * 4 // 3


@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
def test_big_files_read_as_the_standard_library_reads_them(linesep):
    rng = random.Random(1)
    files = [("a.pdf", "application/pdf", rng.randbytes(BIG)), ("kecil.png", "image/png", rng.randbytes(100)),
             ("b.zip", "application/zip", rng.randbytes(BIG + 1))]  # the last part, before the close delimiter
    raw = request(*files).as_bytes(policy=email.policy.default.clone(linesep=linesep))
    parsed = parse_message(raw)
    assert [(a.filename, a.data) for a in parsed.attachments] == stdlib_files(raw)
    assert [a.data for a in parsed.attachments] == [f[2] for f in files]
    assert parsed.text == "Mohon bantuan, dokumen terlampir."


def test_base64_in_several_padded_chunks_is_joined_as_mail_clients_do():
    """Some senders concatenate separately encoded chunks ('...==' in the middle)."""
    first, second = b"x" * 200_001, b"y" * 200_002
    encoded = base64.encodebytes(first) + base64.encodebytes(second)
    raw = (b"From: budi@vendor.test\nTo: lpse@lpse.test\nSubject: x\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nhalo\n"
           b"--B\nContent-Type: application/octet-stream; name=\"f.bin\"\nContent-Transfer-Encoding: base64\n\n"
           + encoded + b"--B--\n")
    [file] = parse_message(raw).attachments
    assert file.data == first + second


def test_a_big_base64_text_body_is_the_text():
    text = "Baris keluhan pengguna tentang unggah penawaran.\n" * 8000
    msg = EmailMessage()
    msg["From"] = "budi@vendor.test"
    msg["Subject"] = "x"
    msg.set_content(text, cte="base64")  # the body itself, base64, far over the size
    msg.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="a.pdf")
    raw = msg.as_bytes()
    assert len(raw) > mime.LIFT_FROM and b"Baris keluhan" not in raw
    parsed = parse_message(raw)
    assert parsed.text == text.rstrip() and [a.data for a in parsed.attachments] == [b"%PDF"]


def test_a_forwarded_message_with_a_big_file_keeps_its_bytes(monkeypatch):
    inner = request(("a.pdf", "application/pdf", random.Random(2).randbytes(BIG)))
    outer = EmailMessage()
    outer["From"] = "staf@lpse.test"
    outer["To"] = "lpse@lpse.test"
    outer["Subject"] = "Fwd: Dokumen"
    outer.set_content("Diteruskan.")
    outer.add_attachment(inner)
    raw = outer.as_bytes()
    lifted = parse_message(raw)
    monkeypatch.setattr(mime, "LIFT_FROM", 10**12)
    whole = parse_message(raw)
    assert [a.data for a in lifted.attachments] == [a.data for a in whole.attachments]
    forwarded = email.message_from_bytes(lifted.attachments[0].data, policy=email.policy.default)
    assert stdlib_files(forwarded.as_bytes()) == [("a.pdf", random.Random(2).randbytes(BIG))]


def test_text_that_merely_looks_like_a_part_is_left_alone():
    """A big base64-looking run in a part that does not declare base64 stays text."""
    blob = base64.encodebytes(b"z" * BIG).decode()
    raw = (b"From: budi@vendor.test\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n"
           b"--B\nContent-Type: text/plain\n\n" + blob.encode() + b"--B--\n")
    assert parse_message(raw).text == blob.rstrip()


# --- the content hash, a piece at a time -------------------------------------------------------


def defined_hash(raw: bytes) -> str:
    """The content hash as defined (what databases already hold): the message with CRLF and
    lone CR as LF, leading line ends dropped; content fields (name lower-cased, value's
    blanks folded) then the body without its trailing blanks."""
    import hashlib
    import re

    fields = (b"from", b"sender", b"reply-to", b"to", b"cc", b"subject", b"date", b"message-id", b"in-reply-to",
              b"references", b"mime-version", b"content-type", b"content-transfer-encoding")
    data = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n").lstrip(b"\n")
    end = data.find(b"\n\n")
    head, body = (data[:end], data[end + 2:]) if end >= 0 else (data, b"")
    digest = hashlib.sha256()
    for match in re.finditer(rb"^([\x21-\x39\x3b-\x7e]{1,200}):[ \t]*(.*(?:\n[ \t].*)*)", head, re.MULTILINE):
        if match.group(1).lower() in fields:
            digest.update(match.group(1).lower() + b":" + b" ".join(match.group(2).split()) + b"\n")
    digest.update(b"\n")
    digest.update(body.rstrip())
    return digest.hexdigest()


def test_the_content_hash_is_the_defined_one_for_any_line_endings(monkeypatch):
    from mailbot.parsers.mime import content_hash

    monkeypatch.setattr(mime, "_HASH_PIECE", 16)  # many pieces, cut near every kind of line end
    rng = random.Random(9)
    breaks = [b"\r\n", b"\n", b"\r", b"\r\r\n", b"\n\r", b" \r\n", b"\t\n"]
    for _ in range(300):
        words = [rng.choice([b"Subject: x", b"From: a@b.test", b"X-Trace: 1", b"", b"body", b" folded", b"."])
                 for _ in range(rng.randint(0, 30))]
        raw = b"".join(w + rng.choice(breaks) for w in words) + rng.choice([b"", b"tail", b"  \r\n\r\n"])
        assert content_hash(raw) == defined_hash(raw), raw


def test_the_content_hash_of_real_mail_is_the_defined_one():
    from mailbot.parsers.mime import content_hash
    from tests.shared import SHARED

    corpora = SHARED / "corpora"
    files = sorted(p for p in corpora.rglob("*") if p.is_file() and p.suffix in (".eml", ".txt", ".msg", ""))[:400]
    assert files
    for path in files:
        raw = path.read_bytes()
        assert content_hash(raw) == defined_hash(raw), path
    big = request(("a.pdf", "application/pdf", random.Random(4).randbytes(3 * 2**20))).as_bytes()
    assert content_hash(big) == defined_hash(big)

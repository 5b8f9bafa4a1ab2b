"""A unit's mailbox on Google Workspace, where folders are labels.

The suite's Dovecot is shaped as Gmail answers (`GMAIL_FOLDERS`, `GMAIL_CAPABILITY`): the
`[Gmail]` tree beside the INBOX, each folder marked with its RFC 6154 use as Gmail's LIST
marks it (`(\\All \\HasNoChildren) "/" "[Gmail]/All Mail"`), Gmail's post-login CAPABILITY
word for word, and its greeting. Processed and Quarantine are labels of mailbot's own,
made at the top level. A Processed or Quarantine named after one of the `[Gmail]` folders
would lose mail: Gmail empties Trash and Spam after 30 days, All Mail already holds every
message (moving there only archives), Starred and Important are views. `check` refuses
such a folder by the mark the server gives it (78), and the daemon leaves the mail in the
INBOX.

What is not shown: Gmail's labels themselves (a message under several labels at once, with
its own UID under each) are Dovecot's copies here, not one message.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import pytest
import yaml

from mailbot.cli import main as cli
from mailbot.config.load import load_config
from mailbot.errors import ConfigError
from tests import mailfactory as mf
from tests.localmail import LocalMailServers

# Gmail's answer to CAPABILITY after the login, as clients record it
GMAIL_CAPABILITY = ("IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE "
                    "ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE "
                    "APPENDLIMIT=35651584")
# Gmail's system labels as its LIST shows them under "[Gmail]" (English interface)
GMAIL_FOLDERS = "".join(f'  mailbox "[Gmail]/{name}" {{\n    special_use = {use}\n    auto = create\n  }}\n'
                        for name, use in (("All Mail", "\\All"), ("Drafts", "\\Drafts"), ("Sent Mail", "\\Sent"),
                                          ("Spam", "\\Junk"), ("Starred", "\\Flagged"), ("Trash", "\\Trash"),
                                          ("Important", "\\Important")))
CATCHALL = "catchall@lpse.test"


@pytest.fixture(scope="module")
def gmail(dovecot_installed, tmp_path_factory):  # type: ignore[no-untyped-def]
    local = LocalMailServers(tmp_path_factory.mktemp("gmail"), (mf.UNIT, *mf.STAFF, mf.COORDINATOR),
                             catchall=CATCHALL, imap_capability=GMAIL_CAPABILITY, folders=GMAIL_FOLDERS,
                             greeting="Gimap ready for requests from 127.0.0.1")
    with local:
        yield local


def _check(config) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli.main(["--config", str(config), "check"])
    return code, out.getvalue()


def _request(servers: LocalMailServers, requester: str) -> None:
    servers.send(mf.mail(requester, "Akun terkunci", "Mohon bantuan, akun saya terkunci.")[0], requester, [mf.UNIT])


def _create(servers: LocalMailServers, folder: str) -> None:
    with servers.imap(mf.UNIT) as client:
        if not client.folder_exists(folder):
            client.create_folder(folder)


def _listed(servers: LocalMailServers) -> dict[str, tuple[bytes, ...]]:
    with servers.imap(mf.UNIT) as client:
        return {name: flags for flags, _, name in client.list_folders()}


def test_a_request_is_answered_and_kept_under_processed_beside_gmails_own_folders(gmail, tmp_path):
    """Gmail's answers as they are (its CAPABILITY, its marked folders): `check` passes, the
    request is answered, and the mail leaves the INBOX for the Processed label, not for a
    folder of Gmail's."""
    config = mf.write_config(gmail, tmp_path)
    code, said = _check(config)
    assert code == 0 and "IDLE MOVE UIDPLUS" in said, said
    _request(gmail, "gmail@vendor.test")
    assert cli.main(["--config", str(config), "run", "--once"]) == 0
    assert len([m for m in mf.of_kind(mf.inbox(gmail, CATCHALL), "ack") if "gmail@vendor.test" in str(m["To"])]) == 1
    assert gmail.fetch(mf.UNIT) == [] and len(gmail.fetch(mf.UNIT, "Processed")) == 1
    folders = _listed(gmail)
    assert b"\\All" in folders["[Gmail]/All Mail"] and b"\\Trash" in folders["[Gmail]/Trash"], folders
    assert {"Processed", "Quarantine"} <= set(folders)  # labels of its own, at the top level
    assert gmail.fetch(mf.UNIT, "[Gmail]/Trash") == [] and gmail.fetch(mf.UNIT, "[Gmail]/Spam") == []


@pytest.mark.parametrize(("key", "folder", "use"), [
    ("processed_folder", "[Gmail]/All Mail", "\\All"),  # only archives: the mail never leaves All Mail
    ("processed_folder", "[Gmail]/Trash", "\\Trash"),  # deleted for good after 30 days
    ("quarantine_folder", "[Gmail]/Spam", "\\Junk"),  # the same
    ("processed_folder", "[Gmail]/Starred", "\\Flagged"),  # a view: moving there stars the mail
    ("quarantine_folder", "[Gmail]/Important", "\\Important"),
    ("processed_folder", "Arsip", "\\Noselect"),  # a folder of folders: it holds no mail
    ("sent_folder", "[Gmail]/Trash", "\\Trash"),  # the copies a restore reads would go
])
def test_a_folder_gmail_empties_or_only_shows_is_refused_and_the_mail_stays(gmail, tmp_path, key, folder, use):
    """Each such folder refused by `check` (78) with the folder and its mark named, and by
    `run --once`, which moves nothing there: the request waits in the INBOX."""
    if folder == "Arsip":
        _create(gmail, "Arsip/2026")
    requester = f"{key.split('_')[0]}-{use[1:].lower()}@vendor.test"
    config = mf.write_config(gmail, tmp_path, mailboxes=[mf.mailbox_block(gmail, **{key: folder})])
    code, said = _check(config)
    assert code == 78, said
    assert f"imap.{key}: {folder!r}" in said and f"server's {use} folder" in said, said
    _request(gmail, requester)
    assert cli.main(["--config", str(config), "run", "--once"]) == 78
    assert len(gmail.fetch(mf.UNIT)) == 1  # waiting in the INBOX, not moved where it would be lost
    assert not [m for m in mf.of_kind(mf.inbox(gmail, CATCHALL), "ack") if requester in str(m["To"])]
    # the next test finds an empty INBOX: this one's request is handled with the default folders
    assert cli.main(["--config", str(mf.write_config(gmail, tmp_path)), "run", "--once"]) == 0
    assert gmail.fetch(mf.UNIT) == []


@pytest.mark.parametrize(("imap", "said"), [
    ({"processed_folder": "INBOX"}, "imap.processed_folder: 'INBOX' is also mailboxes[0].imap.folder"),
    ({"quarantine_folder": "inbox"}, "imap.quarantine_folder: 'inbox' is also mailboxes[0].imap.folder"),
    ({"folder": "Helpdesk", "quarantine_folder": "Helpdesk"}, "quarantine_folder: 'Helpdesk' is also"),
    ({"processed_folder": "Selesai", "quarantine_folder": "Selesai"}, "quarantine_folder: 'Selesai' is also"),
    ({"sent_folder": "processed"}, "imap.sent_folder: 'processed' is also mailboxes[0].imap.processed_folder"),
    ({"processed_folder": "Sent"}, "imap.sent_folder: 'Sent' is also mailboxes[0].imap.processed_folder"),  # default
    ({"sent_folder": "INBOX"}, "imap.sent_folder: 'INBOX' is also mailboxes[0].imap.folder"),
])
def test_the_folder_read_processed_quarantine_and_sent_must_be_folders_of_their_own(tmp_path, imap, said):
    """Handled mail moved into the folder read would be read again at every pass; a copy of
    sent mail among handled mail would be taken for mail no record names."""
    data = {"database": str(tmp_path / "m.db"), "archive_dir": str(tmp_path / "a"),
            "secret_key_file": str(tmp_path / "k"), "escalation": {"address": mf.LKPP},
            "smtp": {"host": "127.0.0.1", "port": 25, "security": "none"},
            "mailboxes": [{"address": mf.UNIT, "staff": list(mf.STAFF),
                           "imap": {"host": "127.0.0.1", "password": "x", **imap}}]}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as refused:
        load_config(path, secrets=False)
    assert said in str(refused.value), str(refused.value)


def test_gmails_own_sent_folder_may_keep_the_copies(gmail, tmp_path):
    """`sent_folder: "[Gmail]/Sent Mail"`, the folder Gmail marks \\Sent, passes
    `check`; the copies of what went land there, one APPEND each (Gmail offers no
    MULTIAPPEND), and no label of mailbot's own is made for them."""
    with gmail.imap(mf.UNIT) as client:  # the label an earlier test's default made
        if client.folder_exists("Sent"):
            client.delete_folder("Sent")
    box = mf.mailbox_block(gmail, sent_folder="[Gmail]/Sent Mail")
    config = mf.write_config(gmail, tmp_path, mailboxes=[box])
    code, said = _check(config)
    assert code == 0 and "copies of sent mail in '[Gmail]/Sent Mail'" in said, said
    before = len(gmail.fetch(mf.UNIT, "[Gmail]/Sent Mail"))
    _request(gmail, "terkirim@vendor.test")
    assert cli.main(["--config", str(config), "run", "--once"]) == 0
    went = [m for m in mf.inbox(gmail, CATCHALL) + mf.inbox(gmail, mf.STAFF[0])
            if "terkirim@vendor.test" in str(m["To"]) or "terkirim@vendor.test" in mf.text_of(m)]
    kept = [m["Message-ID"] for m in map(mf.parse, gmail.fetch(mf.UNIT, "[Gmail]/Sent Mail")[before:])
            if m["X-Mailbot-Kind"] != "digest"]  # the daily digest goes at its hour, whatever the test does
    assert went and sorted(kept) == sorted(m["Message-ID"] for m in went), (kept, [m["Message-ID"] for m in went])
    assert "Sent" not in _listed(gmail)

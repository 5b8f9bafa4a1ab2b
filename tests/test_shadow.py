"""`mailbot shadow` (SPEC 10): a unit's month, played over the real Dovecot and SMTP, handled
again by this version on a scratch store, nothing sent, and compared with the record.

The month (2-6 November 2026, Asia/Jakarta): requesters write, staff answer and escalate by
command, LKPP answers with a status, an autoresponder answers our mail, a server returns an
acknowledgement as undeliverable, a first-response deadline passes and its timers fire, the
digest goes each morning, a requester confirms a solution. Shadowed by the version and the
configuration that handled it, nothing differs (exit 0); with one change each (a staff address
removed, a category rule, a template, `autoreply_limit`), exactly the messages the change
touches are listed, with the kind of difference it makes (exit 1); the real store's and
archive's bytes stay as they were and no mail leaves.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from mailbot.cli import main as cli
from tests import mailfactory as mf
from tests.conftest import CATCHALL, empty_mailbox

WIB = ZoneInfo("Asia/Jakarta")
BUDI, SARI, DEDI = "budi@vendor.test", "sari@dinas.test", "dedi@vendor.test"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def notice_of(servers, subject_words: str):
    """The staff notice (to the first staff member) of the ticket whose subject holds the words."""
    return next(m for m in reversed(mf.inbox(servers, mf.STAFF[0]))
                if m["X-Mailbot-Kind"] == "staff_new" and subject_words in str(m["Subject"]))


def bounce_of(ack) -> bytes:
    """A Postfix delivery report returning our acknowledgement."""
    return ("From: MAILER-DAEMON@mx.vendor.test (Mail Delivery System)\r\nTo: lpse@lpse.test\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.vendor.test>\r\n"
            "Date: Wed, 04 Nov 2026 09:04:00 +0700\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
            "--R\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host mx.vendor.test.\r\n"
            "I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
            "<dedi@vendor.test>: mailbox unavailable\r\n"
            "--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.vendor.test\r\n\r\n"
            "Final-Recipient: rfc822; dedi@vendor.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
            "--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            f"From: {ack['From']}\r\nTo: dedi@vendor.test\r\nSubject: {ack['Subject']}\r\n"
            f"Message-ID: {ack['Message-ID']}\r\n\r\n--R--\r\n").encode()


def out_of_office(original) -> bytes:
    raw, _ = mf.mail(BUDI, f"Out of office: {original['Subject']}",
                     "Saya sedang cuti sampai 9 November. Pesan Anda akan saya baca setelah itu.",
                     in_reply_to=str(original["Message-ID"]).strip("<>"),
                     headers={"Auto-Submitted": "auto-replied"})
    return raw


class Daemon:
    """The daemon's timers as it runs them: a sweep every half hour of the working day (at :15
    and :45, so that no sweep shares its moment with a message), its mail sent at once."""

    def __init__(self, config: Path) -> None:
        from mailbot.config.load import load_config
        from mailbot.daemon.wiring import App

        self.now = at("2026-11-01T00:00")
        self.app = App(load_config(config), clock=lambda: self.now)

    def sweep_until(self, moment: datetime) -> None:
        step = self.now.replace(minute=15 if self.now.minute < 15 else 45, second=0)
        while step < moment:
            if 7 <= step.hour < 17:
                self.now = step
                self.app.sweep()
                self.app.flush_outbox()
            step = step.replace(minute=45) if step.minute == 15 else (step.replace(minute=15) + timedelta(hours=1))
        self.now = moment


@pytest.fixture(scope="module")
def month(mailservers, tmp_path_factory):
    """The unit's month, handled as the daemon handled it: (servers, config, messages by name)."""
    servers = mailservers
    for user in servers.users:
        empty_mailbox(servers, user)
    tmp = tmp_path_factory.mktemp("month")
    config = mf.write_config(servers, tmp)
    daemon = Daemon(config)
    names: dict[str, str] = {}

    def arrives(name: str, raw: bytes, moment: str) -> None:
        daemon.sweep_until(at(moment))
        names[name] = str(mf.parse(raw)["Message-ID"]).strip("<>")
        servers.append(mf.UNIT, raw)
        mf.handle_at(config, at(moment))

    arrives("login", mf.mail(BUDI, "Tidak bisa login SPSE", "Selamat pagi, saya tidak bisa login ke SPSE sejak "
                             "kemarin. Mohon bantuannya.", name="Budi Santoso")[0], "2026-11-02T09:00")
    arrives("schedule", mf.mail(BUDI, "Jadwal tender berubah", "Apakah jadwal tender paket jalan desa diundur? "
                                "Di SPSE tanggalnya berubah.", name="Budi Santoso")[0], "2026-11-02T09:20")
    arrives("answer", mf.reply_as_client(notice_of(servers, "login"), mf.STAFF[0],
                                         "Silakan gunakan menu lupa password di halaman login SPSE.")[0],
            "2026-11-02T10:00")
    arrives("locked", mf.mail(SARI, "Akun terkunci", "Akun saya terkunci setelah salah memasukkan password tiga "
                              "kali.", name="Sari")[0], "2026-11-02T13:00")
    arrives("escalate", mf.reply_as_client(notice_of(servers, "terkunci"), mf.STAFF[1],
                                           "#eskalasi\nMohon bantuan membuka akun.")[0], "2026-11-02T14:00")
    arrives("lkpp", mf.reply_as_client(mf.latest(servers, mf.LKPP, "escalate"), mf.LKPP,
                                       "Permasalahan sedang kami proses oleh tim teknis.")[0], "2026-11-03T10:00")
    arrives("away", out_of_office(mf.latest(servers, BUDI, "staff_reply")), "2026-11-03T11:00")
    arrives("upload", mf.mail(DEDI, "Gagal upload dokumen penawaran", "Upload dokumen penawaran selalu gagal "
                              "dengan pesan error 500.")[0], "2026-11-04T09:00")
    arrives("bounce", bounce_of(mf.latest(servers, CATCHALL, "ack")), "2026-11-04T09:05")
    arrives("solved", mf.reply_as_client(notice_of(servers, "login"), mf.STAFF[0],
                                         "#selesai\nPassword sudah berhasil direset.")[0], "2026-11-05T10:00")
    arrives("thanks", mf.reply_as_client(mf.latest(servers, BUDI, "resolved"), BUDI,
                                         "YA, sudah bisa. Terima kasih.")[0], "2026-11-05T11:00")
    daemon.sweep_until(at("2026-11-06T17:00"))
    daemon.app.store.close()
    return servers, config, names


def shadow(config: Path, tmp: Path, *extra: str) -> tuple[int, list[dict]]:
    """`mailbot shadow` over the month: its exit status and the report's differences."""
    report = tmp / "report"
    code = cli.main(["--config", str(config), "shadow", "--since", "2026-11-01", "--until", "2026-11-08",
                     "--report", str(report), *extra])
    rows = [json.loads(line) for line in Path(f"{report}.jsonl").read_text("utf-8").splitlines()]
    return code, rows


def test_the_version_that_handled_the_month_finds_no_difference(month, tmp_path, capsys):
    _servers, config, _names = month
    code, rows = shadow(config, tmp_path)
    assert rows == [] and code == 0, json.dumps(rows, indent=1, ensure_ascii=False)


def candidate(config: Path, tmp: Path, **changes) -> Path:
    """The month's config with top-level keys changed (`mailboxes` given as a function of the
    mailbox block), written beside it as a candidate."""
    data = yaml.safe_load(config.read_text())
    for key, value in changes.items():
        data[key] = value(data[key]) if callable(value) else value
    path = tmp / "candidate.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def listed(rows: list[dict], names: dict[str, str]) -> dict[str, list[str]]:
    """The messages the report lists, by the month's names, with their kinds of difference."""
    by_id = {mid: name for name, mid in names.items()}
    return {by_id.get(r["message_id"], r["message_id"]): r["kinds"] for r in rows if r["message_id"]}


def test_a_staff_address_removed_lists_what_that_member_did_and_what_reached_them(month, tmp_path):
    """staff2 leaves the config: their #eskalasi is no staff member's any more, so LKPP's answer
    finds no escalation; every notice to all staff loses a recipient. Staff1's answer and
    command, the autoresponder's mail and the bounce's ticket alert to... the bounce alert went
    to all staff too. What staff2 never saw is not listed."""
    _servers, config, names = month
    one_staff = candidate(config, tmp_path, mailboxes=lambda boxes: [{**boxes[0], "staff": [mf.STAFF[0]]}])
    code, rows = shadow(config, tmp_path, "--candidate", str(one_staff))
    found = listed(rows, names)
    assert code == 1
    assert set(found) == {"login", "schedule", "locked", "escalate", "lkpp", "upload", "bounce", "thanks"}, found
    for name in ("login", "schedule", "locked", "upload", "bounce", "thanks"):  # a notice to all staff
        assert found[name] == ["mails"], (name, found[name])
    assert "role" in found["escalate"]
    assert {"event", "states"} & set(found["lkpp"]) or "ticket" in found["lkpp"], found["lkpp"]
    timers = [r for r in rows if r["message_id"] is None]
    assert timers and all(r["kinds"] == ["timer_mails"] for r in timers)
    assert any(mf.STAFF[1] in " ".join(r["recorded"]["mails"]) for r in timers)


def test_a_category_rule_changed_lists_the_message_it_reclassifies(month, tmp_path):
    """A rule of the operator's makes "jadwal tender" a consultation: Budi's question about the
    schedule is the one message whose ticket it classifies otherwise."""
    _servers, config, names = month
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "category.yaml").write_text(
        "rules:\n  - name: schedule-is-consultation\n    value: konsultasi\n    weight: 20\n"
        "    pattern: '\\bjadwal tender\\b'\n")
    code, rows = shadow(config, tmp_path, "--candidate", str(candidate(config, tmp_path, rules_dir=str(rules))))
    found = listed(rows, names)
    assert code == 1
    assert list(found) == ["schedule"] and "category" in found["schedule"], found
    assert rows[0]["recorded"]["category"] == ["category: pertanyaan", "priority: low"]
    assert "category: konsultasi" in rows[0]["candidate"]["category"]


def test_a_template_changed_lists_the_mails_it_words_otherwise(month, tmp_path):
    """The Indonesian acknowledgement gets one more line: the four messages that were acked
    are listed, for the words of their mail alone."""
    _servers, config, names = month
    templates = tmp_path / "templates" / "id"
    templates.mkdir(parents=True)
    shipped = (Path(cli.__file__).parents[1] / "templates" / "_mails" / "ack.txt").read_text("utf-8")
    (templates / "ack.txt").write_text(shipped + "\nSalam hangat dari tim Helpdesk LPSE.\n", "utf-8")
    code, rows = shadow(config, tmp_path, "--candidate",
                        str(candidate(config, tmp_path, templates_dir=str(templates.parent))))
    found = listed(rows, names)
    assert code == 1
    assert found == {name: ["mail_text"] for name in ("login", "schedule", "locked", "upload")}, found
    assert all(len(r["recorded"]["mail_text"]) == 1 and r["recorded"]["mail_text"][0].startswith("ack -> ")
               for r in rows)


def test_autoreply_limit_lowered_lists_the_second_ack_of_the_hour(month, tmp_path):
    """SPEC 5: at most `autoreply_limit` automatic answers an hour to one outside address. At 1,
    Budi's second request of the morning (twenty minutes after his first) is not acked at once;
    nothing else in the month sent one address two automatic answers within an hour."""
    _servers, config, names = month
    code, rows = shadow(config, tmp_path, "--candidate", str(candidate(config, tmp_path, autoreply_limit=1)))
    found = listed(rows, names)
    assert code == 1
    assert list(found) == ["schedule"] and "mails" in found["schedule"], found
    [row] = [r for r in rows if r["message_id"] == names["schedule"]]
    assert "ack -> budi@vendor.test" in row["recorded"]["mails"]
    assert "ack -> budi@vendor.test" not in row["candidate"]["mails"]


def test_nothing_is_sent_and_the_store_and_archive_are_only_read(month, tmp_path):
    """The shadow's candidate mails (a template changed, so it makes new ones) reach nobody: every
    mailbox holds what it held; the real store's and archive's bytes are as they were."""
    servers, config, _names = month
    from mailbot.config.load import load_config

    cfg = load_config(config)

    def fingerprint() -> dict[str, str]:
        files = [cfg.database, *sorted(p for p in cfg.archive_dir.rglob("*") if p.is_file())]
        return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    def mailboxes() -> dict[str, int]:
        return {user: len(servers.fetch(user)) for user in servers.users}

    before, held = fingerprint(), mailboxes()
    templates = tmp_path / "templates" / "id"
    templates.mkdir(parents=True)
    (templates / "ack.txt").write_text("Tiket {{ number }} kami terima.\n", "utf-8")
    code, _ = shadow(config, tmp_path, "--candidate",
                     str(candidate(config, tmp_path, templates_dir=str(templates.parent), autoreply_limit=1)))
    assert code == 1
    assert fingerprint() == before
    assert mailboxes() == held
    assert sorted(p.name for p in cfg.database.parent.iterdir() if p.name.startswith(cfg.database.name)) == \
        sorted(p.name for p in cfg.database.parent.iterdir() if p.name.startswith(cfg.database.name))

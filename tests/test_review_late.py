"""Late review: regressions of 9fd4386..HEAD, each proved by running it."""

from __future__ import annotations

import pytest

from tests.rawsmtp import Clock, RawSmtp, flush_for, make_app, new_ticket, rows


@pytest.fixture
def raw_smtp(fresh_mailboxes):
    with RawSmtp() as server:
        yield fresh_mailboxes, server


def test_a_healthy_mail_is_not_starved_behind_a_slow_one_to_the_same_domain(raw_smtp, tmp_path):
    """One address whose RCPT always times out (a tarpitted unknown mailbox, a callout
    that never answers) must not keep every other mail to its domain from ever being tried:
    the skipped mail is backed off in step with the slow one, so it is due in the very pass
    the slow one is, and skipped again, until max_retry_hours marks it failed untried."""
    servers, smtp = raw_smtp
    clock = Clock()
    app = make_app(servers, smtp, tmp_path, clock, timeout=1, max_retry_hours=2)
    smtp.script.rcpt_delay["salah@vendor.test"] = 2.0
    new_ticket(servers, "salah@vendor.test", "Akun terkunci")
    new_ticket(servers, "budi@vendor.test", "Jadwal tender tidak bisa diubah")
    app.poll_all()
    flush_for(app, clock, 150, step=5)
    print([(r["kind"], r["rcpt"], r["status"], r["attempts"], (r["last_error"] or "")[:50]) for r in rows(app)])
    tried = [c for c in smtp.script.commands if c.lower().startswith("rcpt to:<budi@vendor.test")]
    assert tried, "budi's ack was never even tried"
    assert smtp.script.copies("budi@vendor.test", "ack")


def test_lkpp_answer_only_in_an_attached_mail_is_not_relayed_as_attached_with_nothing(fresh_mailboxes, tmp_path):
    """LKPP's desk sends its answer as an attached mail (Outlook "forward as attachment" of
    the officer's answer) with no text of its own: the requester must not be told the answer
    is attached to a mail that carries nothing."""
    from email.message import EmailMessage

    from tests.mailfactory import (
        LKPP,
        STAFF,
        UNIT,
        deliver,
        latest,
        mail,
        parse,
        reply_as_client,
        write_config,
    )
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    deliver(servers, config, mail("budi@vendor.test", "Tidak bisa kirim penawaran", "Muncul error.")[0])
    notice = latest(servers, STAFF[0])
    deliver(servers, config, reply_as_client(notice, STAFF[0], "#eskalasi\nMohon bantuan.")[0])
    escalation = latest(servers, LKPP)
    inner = EmailMessage()
    inner["From"], inner["To"], inner["Subject"] = "petugas@lkpp.test", LKPP, "Jawaban"
    inner.set_content("Silakan hapus cache browser lalu login ulang; masalah sudah kami perbaiki.")
    answer = parse(reply_as_client(escalation, LKPP, "", to=UNIT)[0])
    answer.add_attachment(inner)
    deliver(servers, config, answer.as_bytes())
    before = len(servers.fetch("budi@vendor.test", "INBOX"))
    staff_seen = latest(servers, STAFF[0])
    print("staff got:", staff_seen["X-Mailbot-Kind"], staff_seen["Subject"])
    deliver(servers, config, reply_as_client(staff_seen, STAFF[0], "#teruskan")[0])
    got = servers.fetch("budi@vendor.test", "INBOX")[before:]
    for raw in got:
        m = parse(raw)
        print(m["X-Mailbot-Kind"], [p.get_content_type() for p in m.walk()])
        print(m.get_body(("plain",)).get_content()[:600])
        if "terlampir" in m.get_body(("plain",)).get_content():
            assert list(m.iter_attachments()), "told 'terlampir' with nothing attached"


def test_head_general_remark_with_a_count_is_not_a_ticket_recommendation(fresh_mailboxes, tmp_path):
    """'Mohon semua tiket 1 minggu terakhir dicek' is general direction about no one ticket;
    the short form reads it as ticket 1 (this year's 2026-00001). Nothing reaches the
    requester either way (SPEC: direction is internal)."""
    from tests.test_ladder import HEAD
    from tests.test_ladder_mail_redteam import (
        at,
        deliver,
        events,
        kinds_in,
        latest,
        open_ticket,
        outlook,
        sweep,
        the_ticket,
        write_config,
    )
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    open_ticket(servers, config, at=at("2026-11-23T09:00"))
    ticket = the_ticket(config)
    assert ticket.number.endswith("-00001")
    sweep(config, at("2026-11-24T08:05"))
    digest = latest(servers, HEAD, "digest")
    deliver(servers, config, outlook(digest, HEAD, "Mohon semua tiket 1 minggu terakhir dicek ulang.\n\nKepala"))
    assert kinds_in(servers, "budi@vendor.test") == ["ack"]
    assert "recommendation" not in [k for k, _ in events(config, ticket)]

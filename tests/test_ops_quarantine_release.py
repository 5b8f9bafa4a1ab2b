"""Day two: an operator fixes what sent a message to Quarantine and hands it back."""
from __future__ import annotations

import yaml

from tests.mailfactory import PDF, UNIT, inbox, mail, of_kind, run_once, write_config


def _big_request() -> bytes:
    """A bidder's request with the scanned bid documents attached: over a small size limit."""
    raw, _ = mail("budi@vendor.test", "Dokumen penawaran tidak bisa diunggah",
                  "Selamat siang, dokumen penawaran kami gagal diunggah ke SPSE. Terlampir hasil pindaian.\nBudi",
                  attachments=(("penawaran.pdf", "application/pdf", PDF * 40),))
    return raw


def _raise_limit(config, **limits: int) -> None:
    data = yaml.safe_load(config.read_text())
    data["limits"] = limits
    config.write_text(yaml.safe_dump(data))


def _release(servers) -> bytes:
    """The one quarantined message dragged back into the INBOX in a mail client; its bytes."""
    [held] = servers.fetch(UNIT, "Quarantine")
    with servers.imap(UNIT) as client:
        client.select_folder("Quarantine")
        client.move(client.search("ALL"), "INBOX")
    return held


def test_a_message_moved_back_from_quarantine_after_the_cause_is_fixed_becomes_a_ticket(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, limits={"max_message_bytes": 4096})
    raw = _big_request()
    servers.append(UNIT, raw)
    run_once(config)
    assert len(servers.fetch(UNIT, "Quarantine")) == 1
    # The coordinator asks the operator to let such files through: a bigger limit, and the
    # message dragged from Quarantine back into the INBOX in a mail client.
    _raise_limit(config, max_message_bytes=26214400)
    held = _release(servers)
    run_once(config)
    assert servers.fetch(UNIT, "Quarantine") == []
    assert servers.fetch(UNIT, "Processed") == [held]
    acks = of_kind(inbox(servers, "budi@vendor.test"), "ack")
    assert len(acks) == 1 and "#" in str(acks[0]["Subject"])
    notices = of_kind(inbox(servers, "staff1@lpse.test"), "staff_new")
    assert len(notices) == 1 and "Dokumen penawaran" in str(notices[0]["Subject"])


def _many_pages() -> bytes:
    """Bid documents photographed page by page on a phone: one JPEG per page."""
    pages = tuple((f"halaman-{i:02d}.jpg", "image/jpeg", b"\xff\xd8\xff\xe0" + bytes([i]) * 64) for i in range(12))
    raw, _ = mail("budi@vendor.test", "Dokumen penawaran tidak bisa diunggah",
                  "Selamat siang, dokumen penawaran kami gagal diunggah ke SPSE. Terlampir foto tiap halaman.\nBudi",
                  attachments=pages)
    return raw


def test_a_message_released_after_a_limit_is_raised_becomes_a_ticket_once(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, limits={"max_attachments": 10})
    servers.append(UNIT, _many_pages())
    run_once(config)
    assert len(servers.fetch(UNIT, "Quarantine")) == 1
    _raise_limit(config, max_attachments=100)
    held = _release(servers)
    run_once(config)
    assert servers.fetch(UNIT, "Quarantine") == []
    assert servers.fetch(UNIT, "Processed") == [held]
    assert len(of_kind(inbox(servers, "budi@vendor.test"), "ack")) == 1
    assert len(of_kind(inbox(servers, "staff1@lpse.test"), "staff_new")) == 1


def test_the_coordinators_quarantine_alert_names_the_unit_in_its_subject(fresh_mailboxes, tmp_path):
    """A coordinator's inbox lists alerts by subject: "Peringatan sistem:" alone said neither
    which unit nor anything after its colon."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, limits={"max_attachments": 10})
    servers.append(UNIT, _many_pages())
    run_once(config)
    [alert] = of_kind(inbox(servers, "koordinator@lpse.test"), "system_alert")
    subject = str(alert["Subject"])
    assert "Helpdesk LPSE Uji" in subject and not subject.rstrip().endswith(":")

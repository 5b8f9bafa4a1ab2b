"""A MOVE the server keeps refusing (Processed made read-only, a mailbox over
quota) is not an outage. Over the real Dovecot, with `mailbot run` on IDLE: acks keep
coming within 2 s of each mail, the coordinators are alerted once, and when the folder is
writable again every message is moved, none lost and none handled twice.
"""

from __future__ import annotations

import os
import time

import yaml

from mailbot.config.load import load_config
from mailbot.io.store import Store
from tests import mailfactory as mf

COORDINATOR = "koordinator@lpse.test"
REQUESTERS = tuple(f"admin@penyedia{i}.test" for i in range(10))  # ten firms, each writing its own words
REQUESTS = (
    ("Akun terkunci", "Akun SPSE kami terkunci setelah salah kata sandi tiga kali."),
    ("Jadwal tender", "Jadwal tahapan pengumuman tidak tampil di halaman paket."),
    ("Sertifikat elektronik", "Sertifikat elektronik kantor kami sudah habis masa berlakunya."),
    ("Unggah penawaran gagal", "Dokumen penawaran selalu gagal diunggah sejak tadi pagi."),
    ("Ganti email", "Bagaimana cara mengganti alamat email yang terdaftar?"),
    ("Verifikasi berkas", "Berkas verifikasi perusahaan sudah kami kirim minggu lalu, mohon dicek."),
    ("Lupa kata sandi", "Saya lupa kata sandi dan tautan reset tidak pernah datang."),
    ("Kualifikasi", "Formulir isian kualifikasi tidak bisa disimpan."),
    ("Sanggahan", "Kami ingin mengajukan sanggahan, di mana menu untuk itu?"),
    ("Aktivasi akun", "Akun baru belum aktif padahal sudah datang ke kantor LPSE."),
)


def acks_to(servers, requester: str) -> list:  # type: ignore[no-untyped-def]
    """Acks addressed to `requester` (these addresses share the catch-all mailbox)."""
    return [m for m in mf.of_kind(mf.inbox(servers, servers.mailbox_for(requester)), "ack")
            if requester in str(m["To"])]


def test_a_read_only_processed_folder_neither_slows_acks_nor_loses_mail(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = mf.write_config(servers, tmp_path, alert_after_minutes=0.05,  # 3 s
                             log={"format": "json", "level": "info"})
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][0]["imap"].update({"idle": True, "poll_seconds": 30})
    config.write_text(yaml.safe_dump(data))
    processed = servers.base_dir / "mail" / mf.UNIT / "Maildir" / "Processed"
    acked: list[float] = []
    proc = mf.daemon(config)
    try:
        servers.append(mf.UNIT, mf.mail("budi@vendor.test", "Akun terkunci", "Mohon dibuka.")[0])
        assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, "budi@vendor.test"), "ack"), 30)
        assert mf.wait_for(lambda: len(servers.fetch(mf.UNIT, "Processed")) == 1, 10)
        try:
            for sub in ("cur", "new", "tmp"):  # the server may no longer write Processed
                os.chmod(processed / sub, 0o500)
            for i in range(10):
                requester = REQUESTERS[i]
                servers.append(mf.UNIT, mf.mail(requester, *REQUESTS[i])[0])
                start = time.monotonic()
                assert mf.wait_for(lambda r=requester: acks_to(servers, r), 30, 0.05)
                acked.append(time.monotonic() - start)
                time.sleep(1)
            assert mf.wait_for(lambda: mf.of_kind(mf.inbox(servers, COORDINATOR), "system_alert"), 30)
            assert len(servers.fetch(mf.UNIT, "Processed")) == 1
            assert len(servers.fetch(mf.UNIT, "INBOX")) == 10  # recorded and answered, waiting to be moved
        finally:
            for sub in ("cur", "new", "tmp"):
                os.chmod(processed / sub, 0o700)
        servers.append(mf.UNIT, mf.mail("sari@dinas.test", "Satu lagi", "Setelah folder bisa ditulis lagi.")[0])
        assert mf.wait_for(lambda: len(servers.fetch(mf.UNIT, "Processed")) == 12, 60)
        assert servers.fetch(mf.UNIT, "INBOX") == []
        time.sleep(12)  # one more look of the daemon at itself: no second alert
    finally:
        out = mf.stop(proc)
        print(out[-8000:])
    assert max(acked) <= 2.0, acked
    alerts = mf.of_kind(mf.inbox(servers, COORDINATOR), "system_alert")
    assert len(alerts) == 1, [a["Subject"] for a in alerts]
    assert "Processed" in alerts[0].get_body(preferencelist=("plain",)).get_content()
    store = Store(load_config(config).database)
    received = [r["message_id"] for r in store.db.query("select message_id from messages where direction = 'in'")]
    assert len(received) == len(set(received)) == 12  # each mail recorded once
    assert [len(acks_to(servers, r)) for r in REQUESTERS] == [1] * 10  # one ack each, none sent twice
    assert len(mf.of_kind(mf.inbox(servers, "budi@vendor.test"), "ack")) == 1
    assert len(mf.of_kind(mf.inbox(servers, "sari@dinas.test"), "ack")) == 1
    assert '"mailbox_unavailable"' not in out and '"retrying_later"' not in out

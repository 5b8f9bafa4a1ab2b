"""Day two: the host clock was days ahead (a VM resumed with a wrong clock), then NTP
corrected it: mail queued meanwhile must not wait until the real time reaches the wrong one."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from mailbot.config.load import load_config
from mailbot.daemon.wiring import App
from tests.mailfactory import inbox, mail, write_config

REAL = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def test_mail_queued_while_the_clock_was_ahead_goes_out_after_the_correction(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    cfg = load_config(config)
    ahead = App(cfg, clock=lambda: REAL + timedelta(days=3))
    assert ahead.handle(cfg.mailboxes[0], mail("budi@vendor.test", "Akun terkunci", "Mohon dibuka.")[0],
                        REAL).status == "processed"
    ahead.store.close()  # corrected before the sender got to it (or the SMTP server was down meanwhile)
    corrected = App(cfg, clock=lambda: REAL + timedelta(minutes=5))
    sent, _failed = corrected.flush_outbox()
    assert sent == 2 and len(inbox(servers, "budi@vendor.test")) == 1, "the ack waits three days"

"""Day two: `mailbot run` started twice on one config (systemd plus a manual run)."""
from __future__ import annotations

import sqlite3
import time

import yaml

from tests.mailfactory import UNIT, daemon, inbox, mail, of_kind, stop, wait_for, write_config


def test_two_daemons_on_one_config_handle_each_message_once(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, log={"format": "json", "level": "info"}, alert_after_minutes=0.02)
    data = yaml.safe_load(config.read_text())
    data["mailboxes"][0]["imap"]["idle"] = True
    config.write_text(yaml.safe_dump(data))
    first, second = daemon(config), daemon(config)
    try:
        time.sleep(3)
        second_alive = second.poll() is None
        for i in range(40):
            # forty vendors, each its own domain: forty alike mails from one would be a loop
            servers.append(UNIT, mail(f"user{i:02d}@vendor{i:02d}.test", f"Masalah {i}", "Mohon bantuan.")[0])
        assert wait_for(lambda: len(servers.fetch(UNIT, "Processed")) == 40, 60)
        handled = time.monotonic()
        # every ack, waited for (a loaded host delivers them later than an idle one), then a
        # while longer (8 s after the last move at least): an alert the race caused comes by then
        wait_for(lambda: len(of_kind(inbox(servers, "catchall@lpse.test"), "ack")) >= 40, 60)
        time.sleep(max(3.0, 8.0 - (time.monotonic() - handled)))
    finally:
        out1, out2 = stop(first), stop(second)
    # each message once in Processed: two MOVEs of one message at once would copy it twice
    assert len(servers.fetch(UNIT, "Processed")) == 40
    conn = sqlite3.connect(tmp_path / "mailbot.db")
    tickets = conn.execute("select count(*) from tickets").fetchone()[0]
    acks = [m for m in of_kind(inbox(servers, "catchall@lpse.test"), "ack")]
    alerts = of_kind(inbox(servers, "koordinator@lpse.test"), "system_alert")
    print("second alive after start:", second_alive, "tickets", tickets, "acks", len(acks),
          "storage_unavailable lines", out1.count("storage_unavailable"), out2.count("storage_unavailable"),
          "alerts", [a["Subject"] for a in alerts])
    print([l for l in (out1 + out2).splitlines() if "error" in l.lower()][:5])
    assert tickets == 40 and len(acks) == 40
    assert servers.fetch(UNIT, "Quarantine") == []
    assert not alerts, "a harmless race must not tell the coordinators that storage fails"

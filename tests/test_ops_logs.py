"""Day two: the journal holds no secrets and no requester bodies at info."""
from __future__ import annotations

import json

import yaml

from tests.mailfactory import (
    STAFF,
    UNIT,
    daemon,
    latest,
    mail,
    reply_as_client,
    stop,
    wait_for,
    write_config,
)


def test_json_log_lines_carry_no_secret_and_no_body(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, log={"format": "json", "level": "info"})
    data = yaml.safe_load(config.read_text())
    password = data["mailboxes"][0]["imap"]["password"]
    data["mailboxes"][0]["imap"]["idle"] = True
    config.write_text(yaml.safe_dump(data))
    proc = daemon(config)
    try:
        servers.append(UNIT, mail("budi@vendor.test", "Akun", "RAHASIA-BODY-1 NIK 3171234567890001")[0])
        assert wait_for(lambda: len(servers.fetch(UNIT, "Processed")) == 1, 30)
        assert wait_for(lambda: len(servers.fetch(STAFF[0])) >= 1, 30)
        notice = latest(servers, STAFF[0], "staff_new")
        servers.append(UNIT, reply_as_client(notice, STAFF[0], "#catatan RAHASIA-NOTE-2")[0])
        servers.append(UNIT, b"From: x@vendor.test\r\nSubject: broken\r\n\r\nRAHASIA-BODY-3 " + b"\xff" * 10 + b"\r\n")
        assert wait_for(lambda: len(servers.fetch(UNIT, "INBOX")) == 0, 30)
    finally:
        out = stop(proc)
    # wrong password: the refused login
    data["mailboxes"][0]["imap"]["password"] = "WRONG-PASSWORD-XYZ"
    config.write_text(yaml.safe_dump(data))
    proc = daemon(config)
    import time
    time.sleep(4)
    out += stop(proc)
    key = (tmp_path / "secret.key").read_bytes().strip().decode(errors="replace")
    lines = [line for line in out.splitlines() if line.strip()]
    for line in lines:
        json.loads(line)  # one JSON object a line
    for secret in (password, "WRONG-PASSWORD-XYZ", key, "RAHASIA-BODY-1", "RAHASIA-NOTE-2", "RAHASIA-BODY-3",
                   "3171234567890001"):
        assert secret not in out, secret

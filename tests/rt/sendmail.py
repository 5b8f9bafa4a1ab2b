#!/usr/bin/env python3
"""RT's $SendmailPath in tests/test_rt_desk.py: `sendmail -oi -t` that hands the message
to the test's SMTP server (RT32_SMTP=host:port), recipients from To/Cc/Bcc, as Postfix's
sendmail would. Standard library only: RT runs it with the system python3."""

import email
import email.policy
import os
import re
import smtplib
import sys
from email.utils import getaddresses

raw = sys.stdin.buffer.read()
msg = email.message_from_bytes(raw, policy=email.policy.compat32)
rcpt = [a for _, a in getaddresses([str(v) for k in ("To", "Cc", "Bcc") for v in msg.get_all(k, [])]) if a]
host, port = os.environ["RT32_SMTP"].rsplit(":", 1)
with smtplib.SMTP(host, int(port)) as smtp:
    lines = re.sub(rb"\r?\n", b"\r\n", raw)  # sendmail reads a local file's lines, SMTP wants CRLF
    smtp.sendmail(os.environ.get("RT32_SENDER", "helpdesk@lkpp.test"), rcpt, lines)

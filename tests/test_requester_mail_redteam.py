"""Red team, requesters (SPEC 3-5): mail as SPSE users' clients really send it, over the
real Dovecot and SMTP, read back as the requester and staff see it."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

from tests import mailfactory as mf
from tests.test_acceptance_blind import REQ, STAFF1, Desk, _resolved, desk  # noqa: F401


def gmail_reaction(original: EmailMessage, sender: str, emoji: str) -> bytes:
    """A Gmail emoji reaction: text/plain (the emoji), the reaction JSON, text/html;
    In-Reply-To the message reacted to (developers.google.com/gmail/reactions/format)."""
    msg = MIMEMultipart("alternative")
    msg.attach(MIMEText(emoji, "plain", "utf-8"))
    part = MIMEBase("text", "vnd.google.email-reaction+json")
    part.set_payload(json.dumps({"emoji": emoji, "version": 1}, ensure_ascii=False), "utf-8")
    msg.attach(part)
    msg.attach(MIMEText(f'<p style="font-size:50px;margin-top:0;margin-bottom:0">{emoji}</p>', "html", "utf-8"))
    msg["From"] = f"Budi Santoso <{sender}>"
    msg["To"] = mf.UNIT
    msg["Subject"] = "Re: " + str(original["Subject"])
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    msg["In-Reply-To"] = str(original["Message-ID"])
    msg["References"] = str(original["Message-ID"])
    return msg.as_bytes()


def test_a_thumbs_up_reaction_to_the_solution_closes_the_ticket(desk: Desk) -> None:  # noqa: F811
    """SPEC E4: the requester taps 👍 on the solution in Gmail. It reopened the ticket and
    told staff the requester had not accepted the solution; it is a confirmation."""
    number = _resolved(desk)
    solution = desk.about(REQ, number)[-1]
    staff_before = len(desk.about(STAFF1, number))

    desk.deliver(gmail_reaction(solution, REQ, "👍"))

    assert desk.ticket(number)["state"] == "closed"
    assert [m["X-Mailbot-Kind"] for m in desk.about(REQ, number)][-1] == "closed"
    told = desk.about(STAFF1, number)[staff_before:]
    assert not any("dibuka kembali" in mf.text_of(m) for m in told), [mf.text_of(m) for m in told]

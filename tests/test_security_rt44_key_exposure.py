"""The escalation key once a requester holds it, over real Dovecot and SMTP.

The key `[ref:xxxxxxxxxx]` authenticates LKPP's mail "as a signed Message-ID sent to LKPP"
(SPEC 9). A signed Message-ID that reaches an outsider is recorded as exposed
(`trust.exposed`, the `exposed` table) and proves nothing from then on. The key has no such
bookkeeping: its Citation carries no message_id, so `exposed()` skips it, and it is a fixed
HMAC of mailbox and ticket, the same on every mail of the case, never rotated.

1. LKPP's desk answers with the requester in Cc (an agent's reply-all, a desk that adds the
   end user): the requester now holds the key. Their forged "LKPP solution" (key only, no
   In-Reply-To) resolves the ticket and is mailed From the unit, and enters the memory.
   The same with the Message-ID (control) is refused.
2. LKPP's verified answer attaches our escalation printed/saved under its subject (Outlook's
   "Save as" names the file by the subject, ':' made '_'): the requester's mail carries
   the key's code in the file name and in "Lampiran dari Helpdesk LKPP: ...".
"""

from __future__ import annotations

import re

from mailbot.model import State
from tests.mailfactory import LKPP, PDF, STAFF, deliver, inbox, mail, of_kind, text_of, write_config
from tests.test_security_desk_reference import _escalated, _ticket

VICTIM = "budi@vendor.test"
CODE = re.compile(r"\[ref:([a-z2-7]{10})\]")
PHISH = "Akun sudah kami reset. Kirim user ID dan password SPSE Anda ke petugas verifikasi kami hari ini."


def _code(escalation) -> str:
    match = CODE.search(str(escalation["Subject"]))
    assert match, escalation["Subject"]
    return match.group(1)


def _lkpp_copy(servers):
    return [m for m in inbox(servers, VICTIM) if LKPP in str(m["From"])][-1]


def _desk_answer_with_requester_in_cc(servers, config, escalation, *, by_key: bool) -> None:
    """The genuine desk asks for data; the requester is in Cc and gets LKPP's mail directly."""
    subject = f"[lkpp.test #5] {escalation['Subject']}"
    if by_key:  # an RT agent on the command line: the key, no In-Reply-To
        raw, _ = mail(LKPP, subject, "Mohon kirimkan surat permohonan reset.", cc=(VICTIM,),
                      headers={"References": "<RT-Ticket-5@lkpp.test>"})
    else:  # a web answer: In-Reply-To our escalation; subject without the key
        raw, _ = mail(LKPP, CODE.sub("", subject), "Mohon kirimkan surat permohonan reset.", cc=(VICTIM,),
                      in_reply_to=str(escalation["Message-ID"]).strip("<>"))
    servers.append(VICTIM, raw)  # the requester's own copy, from LKPP's server
    deliver(servers, config, raw)
    assert _ticket(config, "2026-00001").state is State.AWAITING_INFO


def test_control_a_message_id_the_requester_saw_in_cc_no_longer_proves_lkpp(fresh_mailboxes, tmp_path):
    """Held: the Message-ID the requester saw in LKPP's In-Reply-To is recorded as exposed."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    escalation = _escalated(servers, config, VICTIM, "Akun penyedia terkunci")
    _desk_answer_with_requester_in_cc(servers, config, escalation, by_key=False)
    before = len(inbox(servers, VICTIM))
    copy = _lkpp_copy(servers)  # what the requester holds: LKPP's mail
    forged, _ = mail(LKPP, f"RE: {copy['Subject']}", PHISH, name="Helpdesk LKPP",
                     in_reply_to=str(copy["In-Reply-To"]).strip("<>"))
    deliver(servers, config, forged)
    assert _ticket(config, "2026-00001").state is State.AWAITING_INFO
    assert len(inbox(servers, VICTIM)) == before


def test_a_key_the_requester_saw_in_cc_still_proves_lkpp(fresh_mailboxes, tmp_path):
    """FINDING: the same exposure through the key: the forgery resolves the case From the unit."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    escalation = _escalated(servers, config, VICTIM, "Akun penyedia terkunci")
    _desk_answer_with_requester_in_cc(servers, config, escalation, by_key=True)
    before = len(inbox(servers, VICTIM))
    copy = _lkpp_copy(servers)
    assert CODE.search(str(copy["Subject"]))  # the requester holds the key
    forged, _ = mail(LKPP, f"RE: {copy['Subject']}", PHISH, name="Helpdesk LKPP")
    deliver(servers, config, forged)
    assert _ticket(config, "2026-00001").state is State.AWAITING_INFO
    assert len(inbox(servers, VICTIM)) == before
    assert of_kind(inbox(servers, STAFF[0]), "unverified")  # staff decide


def test_no_mail_to_the_requester_carries_the_keys_code_in_a_file_name(fresh_mailboxes, tmp_path):
    """FINDING: the verified desk answer attaches our escalation saved under its subject; the
    code reaches the requester ('[ref_xxxxxxxxxx]' in the file name and the body's list)."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    escalation = _escalated(servers, config, VICTIM, "Akun penyedia terkunci")
    code = _code(escalation)
    saved_as = str(escalation["Subject"]).replace(":", "_") + ".pdf"  # as Windows names a saved mail
    raw, _ = mail(LKPP, f"RE: {escalation['Subject']}",
                  "Akun sudah kami reset, silakan login kembali. Terlampir surat eskalasi Anda.",
                  in_reply_to=str(escalation["Message-ID"]).strip("<>"),
                  attachments=((saved_as, "application/pdf", PDF),))
    deliver(servers, config, raw)
    assert _ticket(config, "2026-00001").state is State.RESOLVED
    for m in inbox(servers, VICTIM):
        names = [str(p.get_filename() or "") for p in m.iter_attachments()]
        assert code not in str(m["Subject"]) and code not in text_of(m) and all(code not in n for n in names), \
            (m["X-Mailbot-Kind"], names)


def test_a_key_rebuilt_from_a_file_name_proves_lkpp(fresh_mailboxes, tmp_path):
    """FINDING, the chain: with the code from the file name the requester writes '[ref:CODE]'
    and their forged solution is LKPP's."""
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    escalation = _escalated(servers, config, VICTIM, "Akun penyedia terkunci")
    saved_as = str(escalation["Subject"]).replace(":", "_") + ".pdf"
    raw, _ = mail(LKPP, f"RE: {escalation['Subject']}", "Mohon lengkapi surat terlampir lalu kirim kembali.",
                  in_reply_to=str(escalation["Message-ID"]).strip("<>"),
                  attachments=((saved_as, "application/pdf", PDF),))
    deliver(servers, config, raw)
    got = inbox(servers, VICTIM)[-1]
    names = " ".join(str(p.get_filename() or "") for p in got.iter_attachments()) + text_of(got)
    leaked = re.search(r"\[ref[_:]([a-z2-7]{10})\]", names)
    if leaked is None:
        return  # nothing leaked: the attack ends here
    before = _ticket(config, "2026-00001").state
    forged, _ = mail(LKPP, f"[LPSE-T #2026-00001] [ref:{leaked.group(1)}] Akun penyedia terkunci", PHISH,
                     name="Helpdesk LKPP")
    deliver(servers, config, forged)
    assert _ticket(config, "2026-00001").state is before
    assert all("petugas verifikasi" not in text_of(m) for m in inbox(servers, VICTIM))

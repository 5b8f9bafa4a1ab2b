"""Everything staff read is in the unit's language, over real Dovecot and SMTP.

A staff notice said why an ack was held in operator English ("(acks_per_hour of 2 acks an
hour to new addresses reached)"); the coordinators' alert too. They now say it in the
mailbox's language, from the words, while the ticket's history keeps the operator's English.
"""

from __future__ import annotations

from tests.mailfactory import STAFF, deliver, inbox, mail, of_kind, text_of, write_config

COORDINATOR = "koordinator@lpse.test"
OPERATOR_WORDS = ("acks_per_hour", "acks an hour", "autoreply_limit", "has its share")


def test_a_held_ack_is_explained_to_staff_and_coordinators_in_indonesian(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, limits={"acks_per_hour": 2})
    for n in range(3):
        deliver(servers, config, mail(f"pengguna{n}@domain{n}.test", f"Pertanyaan {n}",
                                      f"Selamat pagi, bagaimana cara mendaftar sebagai penyedia? ({n})")[0])
    held = [m for m in of_kind(inbox(servers, STAFF[0]), "staff_new") if "pengguna2@" in text_of(m)]
    assert held, [text_of(m)[:200] for m in inbox(servers, STAFF[0])]
    notice = text_of(held[0])
    assert "batas 2 tanda terima per jam ke alamat baru tercapai" in notice, notice
    assert not any(w in notice for w in OPERATOR_WORDS), notice
    alerts = of_kind(inbox(servers, COORDINATOR), "rate_limited")
    assert alerts and not any(w in text_of(alerts[0]) for w in OPERATOR_WORDS), text_of(alerts[0])


def test_a_staff_command_not_run_is_told_to_the_staff_address_never_a_reply_to(fresh_mailboxes, tmp_path):
    """Point 6 (SPEC E19): `#tutup` sent as a new mail with the ticket's tag is not run;
    the staff address the configuration lists hears it was not run, why and what to do, at that
    address, not at the Reply-To the mail names."""
    from tests.mailfactory import latest

    servers = fresh_mailboxes
    config = write_config(servers, tmp_path)
    deliver(servers, config, mail("budi@vendor.test", "Akun terkunci", "Akun saya terkunci.")[0])
    subject = str(latest(servers, STAFF[0], "staff_new")["Subject"])
    raw, _ = mail(STAFF[0], subject, "#tutup\nSudah selesai lewat telepon.", headers={"Reply-To": "sari@dinas.test"})
    deliver(servers, config, raw)
    [told] = of_kind(inbox(servers, STAFF[0]), "not_run")
    assert "TIDAK dijalankan" in text_of(told) and "BALAS langsung email pemberitahuan" in text_of(told)
    assert "bukan balasan atas email yang dikirim mailbot" in text_of(told)  # why, in Indonesian
    assert of_kind(inbox(servers, "sari@dinas.test"), "not_run") == []
    assert of_kind(inbox(servers, COORDINATOR), "unverified")

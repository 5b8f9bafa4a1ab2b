"""Red team, "no single domain takes more than its share of the budget"
(since all of it but the reserve of a fifth kept for the other domains).

The share is counted per exact recipient domain (`plan.msg_domain`), so one registered
domain with a wildcard MX and no DMARC takes the whole hour's budget through subdomains
(`u0@s0.attacker.test`, `u1@s1.attacker.test`, ...), and an unauthenticated requester of
another domain is no longer acked at once (compare test_security_ack_flood's
test_one_domain_takes_no_more_than_its_share_and_the_others_are_acked_at_once).
"""

from __future__ import annotations

from tests.mailfactory import UNIT, handle_at, mail, write_config
from tests.test_security_ack_flood import TOKEN, acks_to, at, result


def test_subdomains_of_one_domain_take_no_more_than_its_share(fresh_mailboxes, tmp_path):
    servers = fresh_mailboxes
    config = write_config(servers, tmp_path, auth=TOKEN)
    flood = [f"user{n}@s{n}.attacker.test" for n in range(60)]
    words = ["jadwal", "akun", "dokumen", "upload", "lelang", "kontrak"]
    for n, sender in enumerate(flood):
        servers.append(UNIT, mail(sender, f"Pertanyaan {n}", f"Mohon info {words[n % 6]} {words[(n // 6) % 6]} "
                                  f"{words[(n // 36) % 6]} paket {n}.", headers=result(sender, "none"))[0])
    other = "sari@dinas.test"
    servers.append(UNIT, mail(other, "Lupa password", "Mohon reset kata sandi saya.", headers=result(other, "none"))[0])
    handle_at(config, at("2026-11-23T10:00"))
    assert sum(acks_to(servers, s) for s in flood) == 48  # 60 less the reserve of a fifth
    assert acks_to(servers, other) == 1

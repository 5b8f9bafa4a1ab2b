"""auth.mode authres: the topmost Authentication-Results of the trusted server decides."""

from __future__ import annotations

import pytest

from mailbot.parsers.authres import authres_passes

ID = "mail.batam.go.id"


@pytest.mark.parametrize(("values", "sender", "passed"), [
    ((f"{ID}; dmarc=pass (p=none) header.from=batam.go.id",), "helpdesk1@batam.go.id", True),
    ((f"{ID}; dkim=pass header.d=batam.go.id; spf=fail",), "helpdesk1@batam.go.id", True),
    ((f"{ID}; spf=pass smtp.mailfrom=helpdesk1@batam.go.id",), "helpdesk1@batam.go.id", True),
    ((f"{ID}; dkim=pass header.d=mailer.example.net",), "helpdesk1@batam.go.id", False),
    ((f"{ID}; dmarc=fail header.from=batam.go.id",), "helpdesk1@batam.go.id", False),
    (("evil.example; dmarc=pass", f"{ID}; dmarc=pass"), "helpdesk1@batam.go.id", False),
    ((f"{ID}; none",), "helpdesk1@batam.go.id", False),
    ((), "helpdesk1@batam.go.id", False),
    ((f"{ID}; dkim=pass header.d=lkpp.go.id",), "helpdesk-lpse@lkpp.go.id", True),
])
def test_topmost_trusted_header_decides(values, sender, passed):
    """Only the topmost header counts, only from the trusted server, only with aligned passes."""
    assert authres_passes(values, ID, sender)[0] is passed


def test_forged_copy_below_is_ignored():
    """A forged dmarc=pass below the real header does not help."""
    values = (f"{ID}; dmarc=fail header.from=batam.go.id", f"{ID}; dmarc=pass header.from=batam.go.id")
    ok, reason = authres_passes(values, ID, "helpdesk1@batam.go.id")
    assert not ok and "no aligned" in reason


@pytest.mark.parametrize(("value", "sender", "passed"), [
    # the attacks of an unaligned dmarc=pass; a ';' hidden in a quoted mailfrom
    (f"{ID}; dmarc=pass header.from=evil.test", "helpdesk1@batam.go.id", False),
    (f'{ID}; spf=fail smtp.mailfrom="x;dmarc=pass"@evil.test', "helpdesk1@batam.go.id", False),
    (f'{ID}; spf=pass smtp.mailfrom="x;dmarc=pass header.from=batam.go.id"@evil.test',
     "helpdesk1@batam.go.id", False),
    (f"{ID} (dmarc=pass header.from=batam.go.id); dmarc=none", "helpdesk1@batam.go.id", False),  # a comment
    # relaxed alignment: a parent domain, never a public suffix
    (f"{ID}; dkim=pass header.d=batam.go.id", "helpdesk1@mail.batam.go.id", True),
    (f"{ID}; dkim=pass header.d=go.id", "helpdesk1@batam.go.id", False),
    (f"{ID}; spf=pass smtp.mailfrom=bounce@evilbatam.go.id", "helpdesk1@batam.go.id", False),
    (f"{ID}; dmarc=pass header.from=mail.batam.go.id", "helpdesk1@batam.go.id", False),  # dmarc: exact
    (f"{ID}; dmarc=pass (p=reject) header.from=BATAM.GO.ID", "Helpdesk1@Batam.go.id", True),
    ("garbage ;; = =", "helpdesk1@batam.go.id", False),
])
def test_only_results_aligned_with_the_from_domain_count(value, sender, passed):
    """SPEC 9: dmarc=pass counts only for the From domain; spf/dkim only aligned; parsed strictly."""
    assert authres_passes((value,), ID, sender)[0] is passed

"""SPEC 13: what the window's links and cookies carry, signed with the key (pure).

A status link opens one ticket for its requester; nothing countable stands in for it (a
number with another's signature, a changed letter, another requester, another key). A
sign-in link is for one browser, ends 15 minutes after it was made, and is no session (nor
a session a sign-in link)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailbot.core import web_tokens as wt

KEY = b"k" * 64
OTHER_KEY = b"o" * 64
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
BROWSER, OTHER_BROWSER = "a" * 32, "b" * 32


def test_a_status_link_opens_its_ticket_for_its_requester_only():
    token = wt.status_token(KEY, "btm", "2026-00042", "Budi@Vendor.test")
    claim = wt.status_claim(token)
    assert claim is not None and (claim.mailbox, claim.number) == ("btm", "2026-00042")
    assert wt.status_valid(KEY, claim, "budi@vendor.test")  # the address's case is no matter
    assert not wt.status_valid(KEY, claim, "sari@dinas.test")
    assert not wt.status_valid(OTHER_KEY, claim, "budi@vendor.test")  # a new key revokes it


def test_nothing_countable_opens_a_status_page():
    token = wt.status_token(KEY, "btm", "2026-00042", "budi@vendor.test")
    mailbox, number, sig = token.split(".")
    assert len(sig) == 26  # 128 bits
    for forged in (f"{mailbox}.2026-00043.{sig}", f"{mailbox}.{number}.{sig[:-1]}a"
                   if not sig.endswith("a") else f"{mailbox}.{number}.{sig[:-1]}b", f"lain.{number}.{sig}"):
        claim = wt.status_claim(forged)
        assert claim is None or not wt.status_valid(KEY, claim, "budi@vendor.test"), forged
    for junk in (f"{mailbox}.{number}", number, "", "btm.2026-00042.<script>", f"{token}/x"):
        assert wt.status_claim(junk) is None, junk


def test_a_status_link_works_until_status_link_days_after_closing():
    closed = NOW
    assert not wt.status_expired(None, NOW + timedelta(days=400), 30)  # an open ticket's works
    assert not wt.status_expired(closed, closed + timedelta(days=30) - timedelta(seconds=1), 30)
    assert wt.status_expired(closed, closed + timedelta(days=30), 30)


def test_a_signin_link_is_for_its_browser_and_fifteen_minutes():
    token = wt.signin_token(KEY, "Kepala@lpse.test", BROWSER, NOW)
    signed = wt.signin_verified(KEY, token, BROWSER, NOW + timedelta(minutes=14, seconds=59))
    assert signed is not None and signed.address == "kepala@lpse.test" and signed.nonce
    assert signed.ends == NOW + timedelta(minutes=15)
    assert wt.signin_verified(KEY, token, BROWSER, NOW + timedelta(minutes=15)) is None
    assert wt.signin_verified(KEY, token, OTHER_BROWSER, NOW) is None  # a scanner or another browser
    assert wt.signin_verified(KEY, token, "", NOW) is None
    assert wt.signin_verified(OTHER_KEY, token, BROWSER, NOW) is None


def test_a_signin_link_cannot_be_turned_to_another_address_or_time():
    token = wt.signin_token(KEY, "kepala@lpse.test", BROWSER, NOW)
    who, ends, nonce, sig = token.split(".")
    other = wt.signin_token(KEY, "staff1@lpse.test", BROWSER, NOW).split(".")[0]
    later = str(int(ends) + 3600)
    for forged in (f"{other}.{ends}.{nonce}.{sig}", f"{who}.{later}.{nonce}.{sig}", f"{who}.{ends}.{'0' * 20}.{sig}"):
        assert wt.signin_verified(KEY, forged, BROWSER, NOW) is None, forged


def test_a_session_is_no_signin_link_and_the_reverse():
    session = wt.session_token(KEY, "kepala@lpse.test", BROWSER, NOW + timedelta(hours=8))
    assert wt.session_verified(KEY, session, BROWSER, NOW + timedelta(hours=7)).address == "kepala@lpse.test"
    assert wt.session_verified(KEY, session, BROWSER, NOW + timedelta(hours=8)) is None
    assert wt.session_verified(KEY, session, OTHER_BROWSER, NOW) is None
    assert wt.signin_verified(KEY, session, BROWSER, NOW) is None
    link = wt.signin_token(KEY, "kepala@lpse.test", BROWSER, NOW)
    assert wt.session_verified(KEY, link, BROWSER, NOW) is None


def test_the_signin_forms_value_is_the_browsers():
    value = wt.form_token(KEY, BROWSER)
    assert wt.form_valid(KEY, BROWSER, value)
    assert not wt.form_valid(KEY, OTHER_BROWSER, value)
    assert not wt.form_valid(KEY, "", wt.form_token(KEY, ""))

"""mailbot: the email-driven helpdesk and SOP-015 escalation bot for LPSE units."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    """`mailbot.__version__`, found only when asked (`mailbot.version`: it may ask git)."""
    if name == "__version__":
        from mailbot.version import current

        return current()
    raise AttributeError(f"module 'mailbot' has no attribute {name!r}")

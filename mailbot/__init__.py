"""mailbot: the email-driven helpdesk and SOP-015 escalation bot for LPSE units."""

__version__ = "0.1.0"

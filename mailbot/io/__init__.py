"""The shells: the only code that talks to SQLite, IMAP, SMTP, the archive and templates.

Each module owns one outside party and turns what it says into core values (and back);
policy lives in `mailbot.core`.
"""

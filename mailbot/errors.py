"""The small exception hierarchy; only the CLI turns these into exit codes."""


class MailbotError(Exception):
    """Base of every error mailbot raises on purpose."""


class ConfigError(MailbotError):
    """The configuration or rules are invalid; start-up stops with exit 78."""


class TransientError(MailbotError):
    """A server or resource is unavailable for now; retry with backoff."""


class UnreachableError(TransientError):
    """A mail server cannot be reached or refuses our login (exit 69 for `check`)."""


class StorageError(TransientError):
    """The database or the archive cannot be written now (disk full, locked, read-only)."""


class BadMessageError(MailbotError):
    """One message cannot be handled; it goes to Quarantine with this reason."""


class LoginRefusedError(UnreachableError):
    """A mail server was reached but refused our login (exit 77 for `check`)."""

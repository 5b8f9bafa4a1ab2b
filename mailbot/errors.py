"""The small exception hierarchy; only the CLI turns these into exit codes."""


class MailbotError(Exception):
    """Base of every error mailbot raises on purpose."""


class ConfigError(MailbotError):
    """The configuration or rules are invalid; start-up stops with exit 78."""


class TransientError(MailbotError):
    """A server or resource is unavailable for now; retry with backoff."""


class MissingFolderError(TransientError):
    """The mailbox's IMAP folder does not exist: `check` says so (exit 78), `run` retries
    with backoff, as the operator may create it meanwhile."""


class UnreachableError(TransientError):
    """A mail server cannot be reached or refuses our login (exit 69 for `check`)."""


class ServerBusyError(UnreachableError):
    """The server took the login but holds no more sessions for the user now (its connection
    limit, RFC 5530's [LIMIT] or [INUSE]): another program holds them. Not a refused login:
    nothing to mend in mailbot's configuration, and it is tried again (exit 69 for `check`)."""


class StorageError(TransientError):
    """The database or the archive cannot be written now (disk full, locked, read-only)."""


class DatabaseUnreachableError(StorageError, UnreachableError):
    """The PostgreSQL server cannot be reached now (down, still starting, the network): the
    daemon waits and tries again, at start as later; a command exits 69."""


class BadMessageError(MailbotError):
    """One message cannot be handled; it goes to Quarantine with this reason."""


class LoginRefusedError(UnreachableError):
    """A mail server was reached but refused our login (exit 77 for `check`)."""


class RefusedMessageError(BadMessageError):
    """Past a size or structure cap (SPEC 9): quarantined, and a human sender is told.

    `notice` says which: `too_large` or `too_complex`.
    """

    def __init__(self, reason: str, notice: str) -> None:
        super().__init__(reason)
        self.notice = notice

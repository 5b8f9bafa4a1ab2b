"""The running process. `wiring` (`App`) builds one configuration's parts, the composition
root; the service runs them (watcher threads, the main thread that owns the store, signals,
systemd); beside them the passes over a mailbox, the sender process, the sent folder, the
audit, recovery after a restore, and a start that waits for its database.

Nothing below this package imports it: the flow, the shells and the core are handed what they
use when `wiring` builds them.
"""

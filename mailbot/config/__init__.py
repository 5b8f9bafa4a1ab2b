"""`config.yaml` into one frozen `Config` (`mailbot/settings.py`), loaded once, every key checked.

`load.py` reads the file and the top-level keys; each block has a module of its own
(`mailboxes_block`, `server_blocks` with `oauth2_block`, `calendar_block`, `web_block`), and
`fields` holds the readers they all check values with. An error names the key; only the
command line turns it into an exit status.
"""

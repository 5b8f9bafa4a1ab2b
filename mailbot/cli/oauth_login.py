"""`mailbot oauth login --mailbox NAME`: the one-time device code sign-in of a mailbox's
OAuth2 login, on a host without a browser."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from mailbot.exit_codes import EX_CONFIG, EX_OK
from mailbot.io.terminal import say

if TYPE_CHECKING:
    from mailbot.settings import Config


def cmd_oauth(cfg: Config, args: argparse.Namespace) -> int:
    """`mailbot oauth login --mailbox NAME`: the device code sign-in, whose refresh
    token the daemon then refreshes its access tokens with (`io/oauth.py`)."""
    from mailbot.io import oauth

    box = cfg.mailbox(args.mailbox)
    server = box.smtp if args.smtp or box.imap.oauth2 is None else box.imap
    if server.oauth2 is None:
        say(f"mailbot: mailbox {box.name}: neither its imap nor its smtp block has an oauth2 block", file=sys.stderr)
        return EX_CONFIG
    oauth.device_login(server.oauth2, f"{server.host}:{server.port}", say)
    return EX_OK

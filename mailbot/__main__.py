"""`python -m mailbot` is the `mailbot` command (for a checkout without the script installed)."""

import sys

from mailbot.cli import main

sys.exit(main())

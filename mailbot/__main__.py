"""`python -m mailbot` is the `mailbot` command (for a checkout without the script installed)."""

import sys

from mailbot.cli.main import main

if __name__ == "__main__":  # imported as a module (a scan of the package's modules), it does nothing
    sys.exit(main())

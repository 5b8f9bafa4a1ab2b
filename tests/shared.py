"""Where the shared material (SPEC, seeds, corpora) is: `MAILBOT_SHARED` when set, as the
README says, else `../shared` beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(os.environ.get("MAILBOT_SHARED") or Path(__file__).resolve().parents[2] / "shared")

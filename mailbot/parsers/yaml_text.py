"""YAML text into Python values, read one way everywhere mailbot reads its data files.

libyaml's safe loader where PyYAML was built with it: the words, rules and delivery-report
lists are read at every start of the daemon and of its sender, and the pure-Python loader
takes about ten times as long (0.09 s of CPU a start for the two languages' words alone).
Both loaders are safe loaders and build the same values. `yaml` is imported on the first
read, so that importing the parsers (and the core, which imports them) loads no I/O library.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SHIPPED_RULES = Path(__file__).resolve().parents[1] / "rules"


def load_yaml(text: str) -> Any:
    """The value a YAML document holds; PyYAML's YAMLError where it holds none."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def shipped_rules(name: str) -> Any:
    """One of the package's own rules files (`rules/NAME.yaml`), as shipped."""
    return load_yaml((SHIPPED_RULES / f"{name}.yaml").read_text("utf-8"))

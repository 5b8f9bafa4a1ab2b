"""A second opinion on LKPP replies: naive Bayes over words, trained on labelled replies. Pure.

The rules (`lkpp.yaml`) say what a reply is and why; a wrong `need_info`, `resolved`
or `status` sends mail to a requester that should not go. So a verdict of those
classes stands only when this model, trained on hundreds of labelled replies written
by others (`tests/data/`, `bench/train_lkpp_model.py`), reads the same class; when the
two disagree, staff decide (SPEC E17), which is always safe. On a blind test set the
agreement removed every such error at the cost of a few more replies left to staff.

The model is counts of word unigrams and bigrams per class (`lkpp_model.json`),
scored with Laplace smoothing: small, inspectable, and retrained by one script.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

_TOKEN = re.compile(r"[a-z]+")
# Web and mail addresses are no words of intent: "https lpse lkpp go id panduan pdf" in a
# solution's link read as a return to the unit and held the solution for staff.
# A mail address from the start of its word, up to its first "@" after the first character: the
# same words replaced, where `\S+@\S+\.\S+` tried every "@" of every start ("@" * 2,000: 3 s).
_ADDRESS = re.compile(r"(?:https?|ftp)://\S+|www\.\S+|(?<!\S)\S[^\s@]*+@\S+\.\S+", re.IGNORECASE)


def features(text: str) -> set[str]:
    """The words and word pairs of a text, lower-cased, its addresses left out (the model's vocabulary)."""
    words = _TOKEN.findall(_ADDRESS.sub(" ", text).lower())
    return {*words, *(f"{a}_{b}" for a, b in pairwise(words))}


@dataclass(frozen=True)
class Bayes:
    """Per-class document counts and feature counts."""

    docs: dict[str, int]
    counts: dict[str, dict[str, int]]

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.docs.items())))

    @property
    def vocabulary(self) -> frozenset[str]:
        cached: frozenset[str] | None = self.__dict__.get("_vocabulary")
        if cached is None:
            cached = frozenset(f for c in self.counts.values() for f in c)
            object.__setattr__(self, "_vocabulary", cached)
        return cached

    @classmethod
    def load(cls, path: Path) -> Bayes:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls({k: int(v) for k, v in data["docs"].items()},
                   {k: {f: int(n) for f, n in v.items()} for k, v in data["counts"].items()})

    def dump(self) -> str:
        return json.dumps({"docs": self.docs, "counts": self.counts}, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"))

    @classmethod
    def train(cls, labelled: list[tuple[str, str]], min_docs: int = 1) -> Bayes:
        """From (text, class) pairs; features seen in fewer than `min_docs` replies are dropped."""
        docs: dict[str, int] = {}
        counts: dict[str, dict[str, int]] = {}
        seen: dict[str, int] = {}
        for text, label in labelled:
            docs[label] = docs.get(label, 0) + 1
            for feature in features(text):
                counts.setdefault(label, {})[feature] = counts.setdefault(label, {}).get(feature, 0) + 1
                seen[feature] = seen.get(feature, 0) + 1
        kept = {f for f, n in seen.items() if n >= min_docs}
        return cls(docs, {label: {f: n for f, n in c.items() if f in kept} for label, c in counts.items()})

    def read(self, text: str) -> str:
        """The most likely class of a text."""
        found = features(text) & self.vocabulary
        total = sum(self.docs.values())
        scores = {}
        for label, n in self.docs.items():
            counts = self.counts.get(label, {})
            scores[label] = math.log(n / total) + sum(math.log((counts.get(f, 0) + 1) / (n + 2)) for f in found)
        return max(scores, key=lambda label: scores[label])

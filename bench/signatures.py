"""How well a staff reply's own signature is kept out of what mailbot relays.

The cases (`tests/data/signatures/cases.yaml`, NOTICE.md beside it) are replies from other
projects' fixture suites, written in many clients' styles (a `-- ` signature as NeoMutt and
Thunderbird write it, a mobile client's footer, a name block with no delimiter as Alpine's
default, Outlook's and the HTML of nine webmail and desktop clients write it), each with its
upstream's answer: the writer's text and their signature. None was written by whoever wrote
mailbot's rule. Each case goes through the path a staff reply takes: the whole message is
parsed (`parse_message`), then its writer's signature is cut (`own_signature.unsigned`, the
writer's names from its From).

Three readings, each case's outcome in all three:
  parser     the parser's new text alone (what mailbot relayed before)
  shape      with the signature known by its shape (a staff member's first mail)
  learned    with an earlier mail of theirs too: another fixture's text under the same signature

Two shares, over the cases with a signature and over every case:
  kept out   no line of the signature is left
  cut        a line of the writer's text is missing (must be zero: a cut of real words is
             worse than a signature kept)

Run: .venv/bin/python bench/signatures.py [-v] [--time]   (-v prints every case not kept out, every cut)

`--time`: what the step costs on intake's hot path: `parse_message` over 300 of
bench/ingest.py's generated requests (median of 9 passes), and the signature step of a staff
reply with five earlier mails of its writer (median per reply).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import yaml

from mailbot.core.own_signature import Writer, unsigned
from mailbot.parsers.mime import parse_message

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
CASES = DATA / "signatures" / "cases.yaml"
READINGS = ("parser", "shape", "learned")


@dataclass(frozen=True)
class Case:
    id: str
    source: str
    client: str
    sender: str
    raw: bytes
    text: str
    signature: str


def load() -> list[Case]:
    """The cases, each as a message its sender's client could have sent."""
    found = []
    for entry in yaml.safe_load(CASES.read_text(encoding="utf-8")):
        sender = entry.get("sender") or ""
        found.append(Case(entry["id"], entry["source"], entry["client"], sender, _raw(entry, sender),
                          entry["text"] or "", entry["signature"] or ""))
    return found


def _raw(entry: dict[str, str], sender: str) -> bytes:
    if "eml" in entry:
        return (DATA / entry["eml"]).read_bytes()
    msg = EmailMessage()
    msg["From"] = sender if "@" in sender else f"{sender} <writer@example.com>" if sender else "writer@example.com"
    msg["To"] = "Helpdesk LPSE <lpse@lpse.test>"
    msg["Subject"] = "Re: [LPSE-T #2026-00001] Pertanyaan"
    msg["Message-ID"] = f"<{entry['id']}@example.com>"
    if "html_file" in entry:
        msg.set_content((DATA / entry["html_file"]).read_text(encoding="utf-8", errors="replace"), subtype="html")
    else:
        msg.set_content(entry["body"])
    return msg.as_bytes()


def _lines(text: str) -> Counter[str]:
    return Counter(" ".join(line.split()).casefold() for line in text.replace("\u00a0", " ").splitlines()
                   if line.strip())


def kept_out(got: str, case: Case) -> bool:
    """No line of the signature is left (beyond the same line in the writer's own text)."""
    left, own = _lines(got), _lines(case.text)
    return all(left[line] <= own[line] for line in _lines(case.signature))


def cut(got: str, case: Case) -> bool:
    """A line of the writer's text is missing."""
    left = _lines(got)
    return any(left[line] < count for line, count in _lines(case.text).items())


def readings(cases: list[Case]) -> list[tuple[Case, dict[str, str]]]:
    """Each case with what each reading leaves of it."""
    found = []
    for n, case in enumerate(cases):
        msg = parse_message(case.raw)
        name, address = parseaddr(case.sender)
        names = tuple(x for x in (msg.from_addr.name, name, address.partition("@")[0]) if x)
        other = next(c.text for c in cases[n + 1:] + cases[:n] if c.text and c.text != case.text)
        earlier = (f"{other}\n\n{case.signature}",) if case.signature else ()
        found.append((case, {
            "parser": msg.new_text,
            "shape": unsigned(msg.new_text, Writer(names)),
            "learned": unsigned(msg.new_text, Writer(names, "", earlier)),
        }))
    return found


def timing() -> None:
    """The cost of parsing and of the signature step (see the module docstring)."""
    sys.path.insert(0, str(DATA.parents[1]))  # bench/ingest.py's mail, as `python bench/...` runs it
    from bench.ingest import request

    rng = random.Random(20261122)
    raws = [request(rng, i, f"pengguna{i}@vendor.test") for i in range(300)]
    passes = []
    for _ in range(9):
        start = time.perf_counter()
        for raw in raws:
            parse_message(raw)
        passes.append(time.perf_counter() - start)
    print(f"parse_message over 300 ingest requests: median {statistics.median(passes) * 1000:.0f} ms "
          f"({statistics.median(passes) / 300 * 1000:.2f} ms a message), best {min(passes) * 1000:.0f} ms")
    texts = [parse_message(raw).text for raw in raws[:60]]
    signature = "\n\nSari Wulandari\nHelpdesk LPSE Uji"
    for label, earlier in (("not", texts[:5]), ("", tuple(t + signature for t in texts[:5]))):
        writer = Writer(("Sari Wulandari", "sari.wulandari"), "Helpdesk LPSE Uji", tuple(earlier))
        costs = []
        for text in texts:
            start = time.perf_counter()
            unsigned(text + signature, writer)
            costs.append(time.perf_counter() - start)
        print(f"signature step, 5 earlier mails {label or 'all'} signed alike: median "
              f"{statistics.median(costs) * 1e6:.0f} us a reply")


def main() -> None:
    if "--time" in sys.argv:
        timing()
        return
    verbose = "-v" in sys.argv
    results = readings(load())
    signed = [(c, r) for c, r in results if c.signature]
    print(f"{len(results)} replies, {len(signed)} with a signature, {len({c.client for c, _ in results})} client "
          f"styles, sources: {', '.join(sorted({c.source for c, _ in results}))}")
    print(f"{'reading':<9} {'kept out':>14} {'cut':>12}")
    for reading in READINGS:
        out = sum(kept_out(r[reading], c) for c, r in signed)
        cuts = [c.id for c, r in results if cut(r[reading], c)]
        print(f"{reading:<9} {out:4d}/{len(signed)} {100 * out / len(signed):5.1f} %  "
              f"{len(cuts):3d}/{len(results)} {100 * len(cuts) / len(results):4.1f} %")
        if verbose:
            for case, got in ((c, r[reading]) for c, r in results):
                if cut(got, case) or (case.signature and not kept_out(got, case)):
                    print(f"    {case.id} ({case.client}): {'CUT ' if cut(got, case) else 'kept '}{got[-160:]!r}")
    print("by style (shape): " + ", ".join(
        f"{style} {sum(kept_out(r['shape'], c) for c, r in signed if c.client == style)}/"
        f"{sum(1 for c, _ in signed if c.client == style)}" for style in sorted({c.client for c, _ in signed})))
    print("goal: cut 0; a signature kept is better than a word cut")


if __name__ == "__main__":
    main()

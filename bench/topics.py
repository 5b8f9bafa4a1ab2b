"""How well the summary's recurring topics group a month's tickets, and how fast.

Quality, on the labelled set tests/data/similar_cases (its README says how it was
written): every solved case's problem (subject and the requester's words) and every new
request is a ticket of a month, labelled with its topic; `single-*` cases and `none`
requests are topics of one. The set is split by topic: the tuning part holds the topics
of requests_a-c (and the odd-numbered single cases), the held-out part the topics of
requests_d-e (the even-numbered single cases and the `none` requests). Nothing is tuned
on the held-out part.

For each part it prints, for each (pair, merge) of a grid of `core/grouping`'s two
thresholds:
  whole part      pairwise precision and recall of the grouping against the labels (of the
                  pairs of tickets put in one group, the share with one topic; of the pairs
                  with one topic, the share put in one group), and the purity of the five
                  largest groups (the share of each that is its commonest topic)
  seeded months   20 months per part (seeded, reproducible): five "hot" topics with all their
                  tickets (7-10), every other topic with 1 or 2, every topic of one; of their
                  five largest groups, the share that is >= 80 % one topic ("pure"), the
                  share of the hot topics that is the commonest topic of one of them ("found"),
                  and the months where both hold for all five ("all")
and the same for the tuning part (odd ids) of tests/data/topics_fresh by each of its two
readers' labels (below), and picks the thresholds with the most pure groups plus hot
topics found over those three tuning parts (ties: similar_cases' pairwise F1);
`core/grouping.PAIR` and `MERGE` are that pick. Each ticket is made into terms as the
summary makes it (`reports/recurring.told`: the subject's twice, then the text's).

Speed: a store filled with a month of --tickets tickets (default 7,700, the most a unit's
month holds) whose requests are the labelled texts varied (words dropped, a sentence of
another ticket of the topic added, tender numbers) and one-off requests (words of the
set's vocabulary drawn at random), in proportions following a long tail; each ticket's life
as bench/reports.py writes it. Then, in this process, best of --runs:
  anchor          the summary's figures as before this section: the month's tickets
                  without texts, then `figures.summarize`
  with topics     `reports.outputs.summarize`: the tickets with texts, the figures and the
                  recurring topics
and the topics' parts (terms, pairs, linkage), with the five largest groups at that scale
and their purity against the generator's labels.

With --fresh, the same at core/grouping's values (or --pair/--merge) on tests/data/topics_fresh,
a month written independently of the labelled set and of this code's words, with new
wording (its README says how), labelled by two readers (the writer, and a second person
who grouped the same mails for an FAQ without seeing the first labels): each ticket told
as the summary tells it (subject, and the requester's words without greeting and
signature: `reports.gist`). Its tuning part is the odd ids, its held-out part the even
ones; it prints, against each reader's labels, core/grouping's groups, the same grouping
with each term weighed once and the subject once ("mailbot before", as before the repeats
counted: the anchor), and the other reader's, each part and the whole as one month
(pairwise precision/recall, the five largest groups) and as 20 seeded months (seed 2026,
as the acceptance test seeds them): how two persons agree is the bar to read the code's
figures against. Its held-out part is never tuned on: thresholds are picked on the tuning
parts above.

With --sizes, months of 300 to 7,700 tickets made as the speed part makes them (below),
from each labelled set, three seeds each: whether the five largest groups are pure and
the five commonest topics found, and how much of the commonest topic its largest group
holds, beside the same months grouped without `grouping.join_by_all_pairs` (the anchor).

Run: .venv/bin/python bench/topics.py [--tickets 7700] [--runs 3] [--grid-only | --speed-only] [--fresh] [--sizes]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import reports as reports_bench  # bench/reports.py: a ticket's life in the store

from mailbot.core import grouping
from mailbot.core.similar import Vocabulary
from mailbot.daemon.wiring import build_calendar
from mailbot.io.store import Store
from mailbot.reports import figures, outputs, queries, recurring
from mailbot.reports.gist import gist
from mailbot.reports.values import Month
from mailbot.rules import _read, load_rules
from mailbot.rules.similar_words import load_words

DATA = ROOT / "tests" / "data" / "similar_cases"
FRESH = ROOT / "tests" / "data" / "topics_fresh"
PAIRS = (0.1, 0.125, 0.15, 0.175, 0.2, 0.25)
MERGES = (0.1, 0.125, 0.15, 0.175, 0.2, 0.25)
PURE = 0.8  # a group is pure when this share of it is one topic
MONTHS = 20  # seeded months per part
HOT = 4  # the tickets a topic has in a part at least, to be one of a seeded month's hot topics
SHOWN = 5
CENTROID = grouping.CENTROID


@dataclass(frozen=True)
class Item:
    key: str
    topic: str
    subject: str
    text: str
    tuning: bool

    @property
    def alone(self) -> bool:
        """A topic of one ticket (no pair of tickets shares it)."""
        return self.topic.startswith(("single-", "none"))


def load() -> list[Item]:
    """The labelled set as tickets of a month, each with its part."""
    request_file = {}
    raw: list[tuple[str, str, str, str]] = []
    for path in sorted(DATA.glob("requests_*.yaml")):
        for it in yaml.safe_load(path.read_text(encoding="utf-8")):
            request_file.setdefault(it["topic"], path.stem[-1])
            topic = it["topic"] if it["topic"] != "none" else f"none-{it['id']}"
            raw.append((str(it["id"]), topic, it["subject"], it["text"]))
    for path in sorted(DATA.glob("solved_*.yaml")):
        for it in yaml.safe_load(path.read_text(encoding="utf-8")):
            raw.append((f"s{it['id']}", it["topic"], it["subject"], it["problem"]))

    def tuning(key: str, topic: str) -> bool:
        if topic.startswith("single-"):
            return int(key.lstrip("s")) % 2 == 1
        if topic.startswith("none"):
            return False
        return request_file[topic] in "abc"

    return [Item(k, t, s, x, tuning(k, t)) for k, t, s, x in raw]


def pairwise(found: Sequence[Sequence[int]], topics: Sequence[str], alone: Sequence[bool]) -> tuple[float, float]:
    """Precision and recall of the pairs put together against the pairs of one topic."""
    together = sum(len(g) * (len(g) - 1) // 2 for g in found)
    right = sum(1 for g in found for a, b in combinations(g, 2) if topics[a] == topics[b] and not alone[a])
    sizes = Counter(t for t, a in zip(topics, alone, strict=True) if not a)
    labelled = sum(c * (c - 1) // 2 for c in sizes.values())
    return (right / together if together else 1.0), (right / labelled if labelled else 1.0)


def judge_top(top: Sequence[Sequence[int]], topics: Sequence[str], hot: Sequence[str]) -> tuple[int, int]:
    """How many of the top groups are pure, and how many hot topics lead one of them."""
    leads = [Counter(topics[i] for i in g).most_common(1)[0] for g in top]
    pure = sum(count / len(g) >= PURE for (_, count), g in zip(leads, top, strict=True))
    return pure, len(set(hot) & {t for t, _ in leads})


def seeded_months(items: Sequence[Item], seed: int) -> list[tuple[list[str], list[Item]]]:
    """MONTHS months of the part: five hot topics whole, others 1-2 tickets, all topics of one."""
    rng = random.Random(seed)
    by_topic: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        by_topic[it.topic].append(it)
    # a hot topic is one that recurs: at least HOT tickets of the part (every busy topic of
    # similar_cases and of topics_fresh's first reader; not the pairs of its second reader)
    themes = sorted(t for t, its in by_topic.items() if not its[0].alone and len(its) >= HOT)
    months = []
    for _ in range(MONTHS):
        hot = rng.sample(themes, SHOWN)
        month: list[Item] = []
        for topic, its in sorted(by_topic.items()):
            month += its if its[0].alone or topic in hot else its[:rng.randint(1, 2)]
        months.append((hot, month))
    return months


def quality(items: list[Item], words: Vocabulary) -> dict[tuple[float, float], dict[str, tuple[float, ...]]]:
    """The grid on the labelled set's two parts, and on the tuning part (odd ids) of the
    independent month by each of its readers' labels (seeded as --fresh seeds them)."""
    parts = [(name, [it for it in items if it.tuning is part], 36)
             for part, name in ((True, "tuning"), (False, "held-out"))]
    for reader in ("first", "second"):
        parts.append((f"fresh-{reader[0]}", [it for it in load_fresh(reader) if it.tuning], 2026))
    terms = {it.key: recurring.told(words, it.subject, it.text) for _, chosen, _ in parts for it in chosen}
    table: dict[tuple[float, float], dict[str, tuple[float, ...]]] = {}
    for name, chosen, seed in parts:
        months = seeded_months(chosen, seed=seed)
        for pair in PAIRS:
            for merge in MERGES:
                found = [g.members for g in grouping.groups([terms[it.key] for it in chosen], pair=pair, merge=merge,
                                                         centroid=CENTROID)]
                topics = [it.topic for it in chosen]
                precision, recall = pairwise(found, topics, [it.alone for it in chosen])
                top_pure, _ = judge_top(found[:SHOWN], topics, [])
                pure = hot_found = whole = 0
                for hot, month in months:
                    top = [g.members for g in grouping.groups([terms[it.key] for it in month], pair=pair,
                                                              merge=merge,
                                                              centroid=CENTROID)[:SHOWN]]
                    p, h = judge_top(top, [it.topic for it in month], hot)
                    pure, hot_found, whole = pure + p, hot_found + h, whole + (p == SHOWN and h == SHOWN)
                table.setdefault((pair, merge), {})[name] = (
                    precision, recall, top_pure / SHOWN, pure / (SHOWN * MONTHS), hot_found / (SHOWN * MONTHS),
                    whole / MONTHS)
    return table


TUNING = ("tuning", "fresh-f", "fresh-s")  # the parts the thresholds are picked on


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def print_quality(table: dict[tuple[float, float], dict[str, tuple[float, ...]]]) -> None:
    print("parts: tuning and held-out of similar_cases; fresh-f and fresh-s: the tuning part of topics_fresh "
          "by its first and its second reader's labels")
    print(f"{'pair':>5} {'merge':>5}  {'part':8} {'precision':>9} {'recall':>6} {'F1':>5} {'top-5 pure':>10} | "
          f"seeded months: {'pure':>5} {'found':>5} {'all':>5}")
    for (pair, merge), parts in table.items():
        for name, (p, r, top, pure, found, whole) in parts.items():
            mark = " <- core/grouping" if (pair, merge) == (grouping.PAIR, grouping.MERGE) else ""
            print(f"{pair:5.3f} {merge:5.3f}  {name:8} {p:9.1%} {r:6.1%} {f1(p, r):5.2f} {top:10.0%} | "
                  f"{'':15}{pure:5.0%} {found:5.0%} {whole:5.0%}{mark}")

    def score(key: tuple[float, float]) -> tuple[float, float]:
        return (sum(table[key][part][3] + table[key][part][4] for part in TUNING), f1(*table[key]["tuning"][:2]))

    best = max(table, key=score)
    print("picked on the tuning parts (most pure groups + hot topics found in the seeded months of "
          f"{', '.join(TUNING)}; "
          f"then similar_cases' F1): pair {best[0]}, merge {best[1]}; core/grouping has pair {grouping.PAIR}, "
          f"merge {grouping.MERGE}")
    for name in ("tuning", "held-out"):
        p, r, top, pure, found, whole = table[(grouping.PAIR, grouping.MERGE)][name]
        print(f"  at core/grouping's values, {name:8}: pairwise precision {p:.1%} recall {r:.1%}; seeded months: "
              f"{pure:.0%} of the five largest groups >= {PURE:.0%} one topic, {found:.0%} of hot topics found, "
              f"{whole:.0%} of months with all five pure and found")


# --- the independent month (tests/data/topics_fresh) --------------------------------------


def load_fresh(reader: str = "first") -> list[Item]:
    """tests/data/topics_fresh as tickets of a month, each told as the summary tells it (its
    subject and the requester's words without greeting and signature, `reports.gist`),
    labelled by the `reader` ("first": the writer's topics in month_*.yaml; "second":
    second_reader.yaml, another person's grouping of the same mails for an FAQ); its
    tuning part is the odd ids, its held-out part the even ones."""
    second = {}
    if reader == "second":
        second = {it["id"]: it["topic"] for it in yaml.safe_load((FRESH / "second_reader.yaml").read_text("utf-8"))}
    raw = []
    for path in sorted(FRESH.glob("month_*.yaml")):
        for it in yaml.safe_load(path.read_text(encoding="utf-8")):
            raw.append((it["id"], second.get(it["id"], it["topic"]), it["subject"], it["text"]))
    sizes = Counter(topic for _, topic, _, _ in raw)
    return [Item(f"f{n}", topic if sizes[topic] > 1 or topic.startswith("single-") else f"single-{topic}",
                 subject, gist(text), n % 2 == 1) for n, topic, subject, text in raw]


def judged(found: Callable[[Sequence[Item]], list[Sequence[int]]], chosen: list[Item]) -> tuple[float, ...]:
    """A grouping of one part judged against the part's labels: as one month (pairwise
    precision and recall, how many of its five largest groups are pure and lead one of
    the five busiest topics) and as seeded months (their five largest groups: the share
    pure, the share of hot topics found, the share of months with all five)."""
    topics = [it.topic for it in chosen]
    whole = found(chosen)
    precision, recall = pairwise(whole, topics, [it.alone for it in chosen])
    busy = [t for t, _ in Counter(it.topic for it in chosen if not it.alone).most_common(SHOWN)]
    pure, leading = judge_top(whole[:SHOWN], topics, busy)
    pure_n = hot_n = months = 0
    for hot, month in seeded_months(chosen, seed=2026):
        p, h = judge_top(found(month)[:SHOWN], [it.topic for it in month], hot)
        pure_n, hot_n, months = pure_n + p, hot_n + h, months + (p == SHOWN and h == SHOWN)
    return precision, recall, pure, leading, pure_n / (SHOWN * MONTHS), hot_n / (SHOWN * MONTHS), months / MONTHS


def print_fresh(words: Vocabulary, pair: float = grouping.PAIR, merge: float = grouping.MERGE) -> None:
    """At core/grouping's values, against each reader's labels: each part (tuning: odd
    ids, held-out: even ids) and the whole as one month and as 20 seeded months (seed
    2026, as the acceptance test seeds them). Beside it, as the bar a person reaches,
    each reader's own grouping judged against the other reader's labels."""
    readers = {name: load_fresh(name) for name in ("first", "second")}
    terms = {it.key: recurring.told(words, it.subject, it.text) for it in readers["first"]}
    once = {it.key: words.terms(f"{it.subject}\n{it.text}", memory=False) for it in readers["first"]}
    print(f"\ntopics_fresh (written independently, two readers' labels): {len(terms)} tickets; core/grouping at "
          f"pair {pair}, merge {merge}, centroid {CENTROID}; 'before': each term once, the subject once "
          f"(as before the repeats counted)")
    print(f"{'labels':7} {'grouping':20} {'part':8} {'precision':>9} {'recall':>6} {'top-5 pure':>10} {'leading':>7} | "
          f"seeded months: {'pure':>5} {'found':>5} {'all':>5}")

    def code(month: Sequence[Item]) -> list[Sequence[int]]:
        return [g.members for g in grouping.groups([terms[it.key] for it in month], pair=pair, merge=merge,
                                                   centroid=CENTROID)]

    def before(month: Sequence[Item]) -> list[Sequence[int]]:
        return [g.members for g in grouping.groups([once[it.key] for it in month], pair=pair, merge=merge,
                                                   centroid=CENTROID, repeats=False)]

    def by_reader(name: str) -> Callable[[Sequence[Item]], list[Sequence[int]]]:
        labels = {it.key: it.topic for it in readers[name]}

        def found(month: Sequence[Item]) -> list[Sequence[int]]:
            members: dict[str, list[int]] = defaultdict(list)
            for i, it in enumerate(month):
                members[labels[it.key]].append(i)
            return sorted((m for m in members.values() if len(m) >= 2), key=lambda m: (-len(m), m[0]))
        return found

    for name, items in readers.items():
        other = "second" if name == "first" else "first"
        for label, found in (("mailbot", code), ("mailbot before", before), (f"the {other} reader", by_reader(other))):
            for part, chosen in (("tuning", [it for it in items if it.tuning]),
                                 ("held-out", [it for it in items if not it.tuning]), ("whole", items)):
                p, r, pure, leading, s_pure, s_found, s_all = judged(found, chosen)
                print(f"{name:7} {label:20} {part:8} {p:9.1%} {r:6.1%} {pure:8}/{SHOWN} {leading:5}/{SHOWN} | "
                      f"{'':15}{s_pure:5.0%} {s_found:5.0%} {s_all:5.0%}")


# --- months by size -----------------------------------------------------------------------

SIZES = (300, 600, 1200, 3000, 7700)
SIZE_SEEDS = (1, 2, 3)


def print_sizes(words: Vocabulary) -> None:
    """Months of 300 to 7,700 tickets made by `synthetic` from each labelled set (similar_cases,
    and topics_fresh by its first reader), three seeds each: of the five largest groups, how
    many are >= 80 % one topic ("pure") and how many of the five commonest topics lead one
    ("found"), and how much of the commonest topic its largest group holds ("largest").
    Anchor: the same months grouped as before `grouping.join_by_all_pairs` (each ticket's
    `NEIGHBOURS` most alike pairs only), in this run."""
    print("\nmonths by size (three seeds each; pure and found of 15 groups; largest: the commonest topic's "
          "tickets in its largest group):")
    print(f"{'set':14} {'tickets':>7} | {'anchor: without join_by_all_pairs':>46} | {'now':>46}")
    sets = (("similar_cases", load()), ("topics_fresh", load_fresh("first")))
    for name, items in sets:
        for count in SIZES:
            cells = []
            for all_pairs in (False, True):
                pure = found = held = total = 0
                spent = 0.0
                for seed in SIZE_SEEDS:
                    made = synthetic(items, count, seed=count * 10 + seed)
                    terms = [recurring.told(words, subject, text) for subject, text, _ in made]
                    labels = [label for _, _, label in made]
                    began = time.perf_counter()
                    found_groups = [g.members for g in grouping.groups(terms, all_pairs=all_pairs)]
                    spent = max(spent, time.perf_counter() - began)
                    sizes = Counter(label for label in labels if not label.startswith("one-off"))
                    hot = [t for t, _ in sizes.most_common(SHOWN)]
                    p, h = judge_top(found_groups[:SHOWN], labels, hot)
                    pure, found = pure + p, found + h
                    top, top_count = sizes.most_common(1)[0]
                    held += max((sum(labels[i] == top for i in g) for g in found_groups), default=0)
                    total += top_count
                cells.append(f"pure {pure:2}/15 found {found:2}/15 largest {held / total:4.0%} {spent:4.1f} s")
            print(f"{name:14} {count:7,} | {cells[0]:>46} | {cells[1]:>46}")


# --- speed ------------------------------------------------------------------------------


def synthetic(items: list[Item], count: int, seed: int = 7700) -> list[tuple[str, str, str]]:
    """`count` requests (subject, text, label): topics in a long tail, a quarter one-offs."""
    rng = random.Random(seed)
    by_topic: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        if not it.alone:
            by_topic[it.topic].append(it)
    themes = sorted(by_topic)
    rng.shuffle(themes)
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(themes))]
    vocabulary = sorted({w.strip(".,?!()").lower() for it in items for w in it.text.split()} - {""})
    made = []
    for n in range(count):
        if rng.random() < 0.25:  # a one-off: words of the set's vocabulary, drawn alike
            text = " ".join(rng.sample(vocabulary, rng.randint(6, 20)))
            made.append((" ".join(rng.sample(vocabulary, 3)), text, f"one-off-{n}"))
            continue
        topic = rng.choices(themes, weights)[0]
        it = rng.choice(by_topic[topic])
        kept = [w for w in it.text.split() if rng.random() > 0.15] or it.text.split()
        text = " ".join(kept)
        if rng.random() < 0.3:
            text += " " + rng.choice(by_topic[topic]).text
        if rng.random() < 0.4:
            text += f" Kode tender {rng.randint(10**6, 10**8)}."
        made.append((it.subject if rng.random() < 0.7 else rng.choice(by_topic[topic]).subject, text, topic))
    return made


def fill(store: Store, made: list[tuple[str, str, str]], month: Month) -> None:
    rng = random.Random(10)
    w = reports_bench.Writer(store)
    tz = reports_bench.WIB
    days = [datetime.combine(d, datetime.min.time(), tz) for d in month.days()]
    weights = [0.15 if d.weekday() >= 5 else 1.0 for d in days]
    starts = sorted(reports_bench.arrival(rng, d) for d in rng.choices(days, weights, k=len(made)))
    with store.unit_of_work():
        for n, opened in enumerate(starts, start=1):
            reports_bench.write_ticket(w, rng, n, f"{month.year}-{n:06d}", opened)
        w.flush()
        for n, (subject, text, _) in enumerate(made, start=1):
            store.db.execute("update tickets set subject = ? where id = ?", [subject, n])
            store.db.execute("update messages set body = ?, full_text = ? "
                             "where ticket_id = ? and kind = 'ticket_opened'",
                             [text, text, n])


def best(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - began)
    return min(times), result


def speed(items: list[Item], count: int, runs: int) -> None:
    month = Month(reports_bench.YEAR, 11)
    made = synthetic(items, count)
    with tempfile.TemporaryDirectory() as tmp:
        cfg_path = reports_bench.config(Path(tmp))
        from mailbot.config.load import load_config

        cfg = load_config(cfg_path)
        store = Store(Path(tmp) / "bench.db")
        began = time.perf_counter()
        fill(store, made, month)
        print(f"store filled with {count:,} tickets of {month} in {time.perf_counter() - began:.1f} s")
        rules, cal = load_rules(cfg.rules_dir), build_calendar(cfg)
        box, now = cfg.mailboxes[0], datetime(reports_bench.YEAR, 12, 15, tzinfo=reports_bench.WIB)
        start, end = month.start(cfg.timezone), month.end(cfg.timezone)

        def anchor() -> object:
            return figures.summarize(queries.month_tickets(store, start, end, box.name), month, cal,
                                     rules.deadlines, now)

        def whole() -> object:
            return outputs.summarize(store, cfg, rules, cal, month, box, now)

        rules.similar.terms("warm the stemmer")
        anchor_s, _ = best(runs, anchor)
        whole_s, summary = best(runs, whole)
        load_s, loaded = best(runs, lambda: queries.month_tickets(store, start, end, box.name, texts=True))
        records = list(loaded)  # type: ignore[call-overload]
        terms_s, made_terms = best(runs, lambda: [recurring.told(rules.similar, r.subject, recurring.problem(r))
                                                  for r in records])
        terms: list[list[str]] = made_terms  # type: ignore[assignment]
        pairs_s, edges = best(runs, lambda: grouping.alike_pairs(terms))
        link_s, _ = best(runs, lambda: grouping.average_linkage(len(records), edges, grouping.MERGE))  # type: ignore[arg-type]
        groups_s, found = best(runs, lambda: grouping.groups(terms))
        once = [rules.similar.terms(f"{r.subject}\n{recurring.problem(r)}", memory=False) for r in records]
        before_s, _ = best(runs, lambda: grouping.groups(once, repeats=False))
        store.close()
    print(f"at {count:,} tickets (best of {runs}, this process, 2-core shared host):")
    print(f"  anchor: summary figures without topics (tickets without texts + figures)  {anchor_s:6.2f} s")
    print(f"  summary with topics (tickets with texts + figures + topics)             {whole_s:6.2f} s "
          f"(+{whole_s - anchor_s:.2f} s)")
    print(f"    of which: tickets with texts {load_s:.2f} s, terms {terms_s:.2f} s, grouping {groups_s:.2f} s "
          f"(pairs {pairs_s:.2f} s, {len(edges):,} pairs; linkage {link_s:.2f} s)")  # type: ignore[arg-type]
    print(f"    anchor: the grouping with each term once and the subject once (before the repeats counted) "
          f"{before_s:.2f} s")
    labels = {r.number: made[r.id - 1][2] for r in records}
    print("  five largest groups at that scale (count, commonest label's share, sample's subject):")
    for g in found[:SHOWN]:  # type: ignore[index]
        top, share = Counter(labels[records[i].number] for i in g.members).most_common(1)[0]
        print(f"    {g.size:5,}  {share / g.size:5.0%} {top:24} {records[g.sample].subject!r}")
    shown = [t.subject for t in summary.topics]  # type: ignore[attr-defined]
    print(f"  the summary's section shows: {shown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=7700)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--grid-only", action="store_true")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--fresh", action="store_true",
                        help="also measure tests/data/topics_fresh, the month written independently")
    parser.add_argument("--sizes", action="store_true",
                        help="also measure months of 300 to 7,700 tickets made from both labelled sets")
    parser.add_argument("--centroid", type=float, default=grouping.CENTROID,
                        help="core/grouping's centroid threshold to measure the grid at")
    parser.add_argument("--pair", type=float, default=grouping.PAIR, help="--fresh at this pair threshold")
    parser.add_argument("--merge", type=float, default=grouping.MERGE, help="--fresh at this merge threshold")
    options = parser.parse_args(argv)
    global CENTROID
    CENTROID = options.centroid
    items = load()
    words = load_words(None, _read)
    print(f"labelled set: {len(items)} tickets, {len({it.topic for it in items})} topics; tuning part "
          f"{sum(it.tuning for it in items)}, held-out part {sum(not it.tuning for it in items)}")
    if not options.speed_only:
        print_quality(quality(items, words))
    if options.fresh:
        print_fresh(words, options.pair, options.merge)
    if options.sizes:
        print_sizes(words)
    if not options.grid_only:
        speed(items, options.tickets, options.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())

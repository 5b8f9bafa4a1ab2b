"""Groups of alike cases: which of a month's tickets tell the same problem. Pure.

The monthly summary's "Permasalahan yang sering muncul" shows the largest
groups, so that the unit can write an FAQ. A ticket is its terms (`core/similar.Vocabulary`:
the same words, stop words, spellings and stemming as the unit's memory, numbers
dropped) as often as it says them, its subject's twice (`reports/recurring.told`); a term
weighs its `idf` among the month's tickets times 1 + ln(how often the ticket says it), and
two tickets are alike by a weighted Dice coefficient (of each term the smaller of their two
weights, summed, over the mean of their own). (A suggestion measures with the geometric
mean, `core/similar.likeness`, since a long mail meets a short solved case there; here two
first mails meet, and the thresholds below were measured with Dice.)

Why the repeats count: by the month's idf alone, the words of a requester's story said once
in the month ("laptop", "putih", "64bit") outweigh the problem's word seven requesters of
78 wrote ("spamkodok"), so a topic told with different stories fell apart into pairs. A
requester names the problem in the subject and says it again in the text; their story's
words come once. Measured by bench/topics.py on the month written independently
(tests/data/topics_fresh, 20 seeded months of each part, by its writer's labels; share of
the five largest groups >= 80 % one topic / share of hot topics found): odd half 57 % / 72 %
before, 80 % / 81 % after; even half 67 % / 70 %, 92 % / 76 %; whole 86 % / 80 %, 91 % / 81 %;
by its second reader's labels 50 / 64, 32 / 47 and 48 / 66 before, 65 / 82, 64 / 68 and
52 / 78 after; on tests/data/similar_cases' tuning part 77 % / 86 % before, 89 % / 94 %
after, and its held-out part 92 % / 96 %, 85 % / 93 %. Tried on the same parts and left
out, before the repeats counted: words one ticket holds dropped (one-offs then matched any
group by their common words), the idf of the rarest words capped, a second-order likeness
(two tickets alike to the same neighbours), a Dirichlet mixture for short texts (GSDMM);
with them: a cosine instead of Dice, and synonyms and English words made Indonesian in
`similar.yaml` (8 points of 600 more on the tuning parts, within noise between seeds, and
3 of 35 fewer right first suggestions on the unit's memory's independent requests).

The grouping is average linkage (UPGMA) over the pairs at least `PAIR` alike: start with
every ticket alone, merge the two groups whose tickets are on average most alike, stop
when no two groups reach `MERGE` on average. A pair under `PAIR` counts as not alike at
all, so a group is never held together by a chain of neighbours, and a large group is
only joined by what is like most of it. (Tried on the same data before this choice,
at their best thresholds: mutual nearest neighbours and Taylor-Butina stars, whose groups
mixed "akun", "login" and "password" topics or split each topic, reached a pairwise F1 of
at most 0.31 on the tuning part and 0.47 on the held-out part, average linkage 0.47 and
0.59.)
bench/topics.py measures `PAIR` and `MERGE` on the tuning parts, of tests/data/similar_cases
(the topics of requests_a-c) and of tests/data/topics_fresh (its odd ids, by each of its
two readers' labels), and reads the held-out parts at the same values; with the repeats
counted its grid picks these values again.

Scale: a month holds up to ~8,000 tickets. The pairs' shared weights are sums over
the terms' postings (for each ticket, the tickets that share each of its terms), done by
numpy's `bincount`, so their cost is the sum of the squared document frequencies, not
n²; each ticket keeps its `NEIGHBOURS` most alike pairs. A month where a few words are in
every ticket would make that sum n² times the words: the commonest words (the least
telling: their idf is near 0) are then left out until the sum is under `WORK`. Keeping
few pairs per ticket splits a topic of more than `NEIGHBOURS` tickets into parts that
average linkage cannot join: a ticket's pairs are filled by the tickets worded most like
it, and every pair left out counts as not alike. So the groups are linked again by all
their pairs (`join_by_all_pairs`: the same postings read once more, each pair summed into
its two groups' link, not kept), which is the average linkage of every pair as long as
no ticket has more than `NEIGHBOURS` alike ones, and nearly that beyond. (Before it, in
months of 600 to 7,700 tickets made from the two labelled sets, three seeds each, the
commonest problem's largest group held 11-55 % of its tickets and 6-10 of the 15
commonest problems led one of the five groups shown; after it 32-83 % and 10-14, at
0.7-1.2 s more at 7,700 tickets; bench/topics.py --sizes.) Then groups whose centroids are
`CENTROID` alike are joined (`join_alike_groups`); `CENTROID` is the lowest value that
changes nothing on the tuning part's months, where no topic is that large.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mailbot.core.similar import idf

# Measured by bench/topics.py on the tuning part (see the module docstring).
PAIR = 0.1  # two tickets less alike than this count as not alike
MERGE = 0.175  # two groups merge while their tickets are at least this alike on average
NEIGHBOURS = 40  # the most alike pairs each ticket keeps
WORK = 150_000_000  # postings read at most (the sum of squared document frequencies)
CENTROID = 0.4  # groups whose words are this alike (cosine of their centroids) are one


@dataclass(frozen=True)
class Group:
    """Alike cases, given by their index in the input: `sample` is the one most alike to
    the rest (the group's face), `members` all of them in input order."""

    members: tuple[int, ...]
    sample: int
    cohesion: float  # the average likeness of its pairs, 0-1

    @property
    def size(self) -> int:
        return len(self.members)


def groups(cases: Sequence[Sequence[str]], *, pair: float = PAIR, merge: float = MERGE,
           neighbours: int = NEIGHBOURS, work: int = WORK,
           centroid: float = CENTROID, all_pairs: bool = True, repeats: bool = True) -> list[Group]:
    """The groups of two or more alike cases (each case given by its terms, a term as often
    as the case says it), largest first; of equal size, the more alike first, then the one
    whose sample came first. (`all_pairs=False` leaves out `join_by_all_pairs`, and
    `repeats=False` weighs a term once however often it comes: bench/topics.py's anchors.)"""
    postings = Postings(cases, work, repeats=repeats)
    edges = _kept_pairs(postings, pair, neighbours)
    clusters = average_linkage(len(cases), edges, merge)
    if all_pairs:
        clusters = join_by_all_pairs(clusters, postings, pair=pair, merge=merge)
    clusters = join_alike_groups(clusters, cases, centroid)
    near: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (i, j), value in edges.items():
        near[i].append((j, value))
        near[j].append((i, value))
    found = [_group(members, near) for members in clusters if len(members) >= 2]
    found.sort(key=lambda g: (-g.size, -g.cohesion, g.sample))
    return found


class Postings:
    """The month's terms as postings: for each ticket its terms' ids and weights, for each
    term its tickets and their weights of it. A term weighs its idf (the commonest left out,
    `_too_common`) times 1 + ln(how often the ticket says it)."""

    def __init__(self, cases: Sequence[Sequence[str]], work: int, repeats: bool = True) -> None:
        counts = [Counter(c) for c in cases]
        self.n = len(counts)
        weight = _term_weights(counts, work)
        index = {t: k for k, t in enumerate(weight)}
        w = np.array(list(weight.values()), dtype=np.float64)
        self.rows: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        for c in counts:
            ids, values = _ticket_terms(c, index, w, repeats)
            self.rows.append(ids)
            self.values.append(values)
        self.totals = np.array([v.sum() if v.size else 0.0 for v in self.values], dtype=np.float64)
        self.arrays, self.weights = _by_term(self.rows, self.values, len(index))

    def alike(self, i: int, pair: float) -> tuple[np.ndarray, np.ndarray]:
        """The other tickets at least `pair` alike to ticket `i`, and how alike: the weight
        they share (of each term, the smaller of their two weights) over the mean of their
        own, a weighted Dice coefficient."""
        ids = self.rows[i]
        if not ids.size or self.totals[i] <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        keys = ids.tolist()
        shared = np.bincount(np.concatenate([self.arrays[k] for k in keys]),
                             weights=np.concatenate([np.minimum(v, self.weights[k])
                                                     for k, v in zip(keys, self.values[i].tolist(), strict=True)]),
                             minlength=self.n)
        shared[i] = 0.0
        near = np.flatnonzero(shared)
        score = 2 * shared[near] / (self.totals[i] + self.totals[near])
        keep = score >= pair
        return near[keep], score[keep]


def _term_weights(counts: Sequence[Counter[str]], work: int) -> dict[str, float]:
    """Each term's idf among the month's tickets, the commonest left out (`_too_common`)."""
    df = Counter(t for c in counts for t in c)
    left_out = _too_common(df, work)
    return {t: idf(c, len(counts)) for t, c in df.items() if t not in left_out}


def _ticket_terms(counts: Counter[str], index: Mapping[str, int], w: np.ndarray,
                  repeats: bool) -> tuple[np.ndarray, np.ndarray]:
    """A ticket's terms (their ids) and its weight of each: the term's idf times 1 + ln(how
    often the ticket says it), or the idf alone without `repeats`."""
    kept = [t for t in counts if t in index]
    ids = np.fromiter((index[t] for t in kept), dtype=np.int64, count=len(kept))
    often = np.fromiter((1.0 + math.log(counts[t]) if repeats else 1.0 for t in kept), dtype=np.float64,
                        count=len(kept))
    return ids, often * w[ids]


def _by_term(rows: Sequence[np.ndarray], values: Sequence[np.ndarray],
             terms: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The postings: for each term the tickets that say it, in ticket order, and their weights of it."""
    postings: list[list[int]] = [[] for _ in range(terms)]
    posted: list[list[float]] = [[] for _ in range(terms)]
    for i, (ids, weights) in enumerate(zip(rows, values, strict=True)):
        for k, v in zip(ids.tolist(), weights.tolist(), strict=True):
            postings[k].append(i)
            posted[k].append(v)
    return [np.array(p, dtype=np.int64) for p in postings], [np.array(p, dtype=np.float64) for p in posted]


def alike_pairs(cases: Sequence[Sequence[str]], *, pair: float = PAIR, neighbours: int = NEIGHBOURS,
                work: int = WORK) -> dict[tuple[int, int], float]:
    """The pairs (i < j) at least `pair` alike, each case keeping its `neighbours` most alike."""
    return _kept_pairs(Postings(cases, work), pair, neighbours)


def _kept_pairs(postings: Postings, pair: float, neighbours: int) -> dict[tuple[int, int], float]:
    edges: dict[tuple[int, int], float] = {}
    for i in range(postings.n):
        near, score = postings.alike(i, pair)
        if near.size > neighbours:
            top = np.argpartition(-score, neighbours - 1)[:neighbours]
            near, score = near[top], score[top]
        for j, value in zip(near.tolist(), score.tolist(), strict=True):
            edges[(i, j) if i < j else (j, i)] = value
    return edges


def join_by_all_pairs(clusters: list[list[int]], postings: Postings, *, pair: float = PAIR,
                      merge: float = MERGE) -> list[list[int]]:
    """Groups joined by average linkage over all their pairs at least `pair` alike (not
    only each ticket's `NEIGHBOURS` kept), while two groups are at least `merge` alike on
    average; a ticket alone joins a group so too (with many tickets worded the same, their
    kept pairs all point at the same few, and the others were left alone), but not
    another ticket alone (their pair was weighed by the linkage already).

    The link of two groups is the sum of their pairs' likeness, and a sum of a joined group
    is the sum of its parts', so each pair is read once (from its lower ticket) and only
    the sums per two groups are kept: memory grows with the groups, not the pairs."""
    if not any(len(c) >= 2 for c in clusters):
        return clusters
    links = _group_links(clusters, postings, pair)
    joined = average_linkage(len(clusters), links, merge, sizes=[len(c) for c in clusters])
    return [sorted(m for k in parts for m in clusters[k]) for parts in joined]


def _group_links(clusters: list[list[int]], postings: Postings, pair: float) -> dict[tuple[int, int], float]:
    """For two groups (k < l), the summed likeness of their pairs at least `pair` alike, of
    a group of two or more and another group (two tickets alone were weighed by the linkage
    already)."""
    group = np.zeros(postings.n, dtype=np.int64)
    for k, members in enumerate(clusters):
        group[members] = k
    big = np.array([len(c) >= 2 for c in clusters])
    links: dict[tuple[int, int], float] = defaultdict(float)
    for i in range(postings.n):
        near, score = postings.alike(i, pair)
        own = int(group[i])
        across = (near > i) & (group[near] != own)
        if not big[own]:
            across &= big[group[near]]  # two tickets alone were weighed by the linkage already
        if not across.any():
            continue
        summed = np.bincount(group[near[across]], weights=score[across], minlength=len(clusters))
        for other in np.flatnonzero(summed).tolist():
            links[(own, other) if own < other else (other, own)] += float(summed[other])
    return links


def _too_common(df: Counter[str], work: int) -> set[str]:
    """The commonest terms, left out until the postings to read are at most `work`."""
    cost = sum(c * c for c in df.values())
    dropped: set[str] = set()
    for term, count in sorted(df.items(), key=lambda item: (-item[1], item[0])):
        if cost <= work:
            break
        dropped.add(term)
        cost -= count * count
    return dropped


def average_linkage(n: int, edges: Mapping[tuple[int, int], float], merge: float, *,
                    sizes: Sequence[int] | None = None) -> list[list[int]]:
    """Clusters of 0..n-1 by average linkage over `edges` (pairs not given count as 0),
    merging while the best pair of clusters is at least `merge` alike on average. With
    `sizes`, each of 0..n-1 stands for that many tickets and its edges are the sums of
    their pairs' likeness (`join_by_all_pairs`).

    The candidates wait in a heap, the most alike first; a pair popped whose clusters were
    merged since, or whose average changed since it was pushed, is an old figure and passed."""
    clusters = _Clusters(n, edges, sizes)
    heap = [(-average, i, j) for (i, j) in edges if (average := clusters.average(i, j)) >= merge]
    heapq.heapify(heap)
    while heap:
        negative, a, b = heapq.heappop(heap)
        if clusters.is_current(a, b, -negative):
            for average, other, new in clusters.merge(a, b):
                if average >= merge:
                    heapq.heappush(heap, (-average, min(new, other), max(new, other)))
    return [sorted(m) for m in clusters.members.values()]


class _Clusters:
    """The clusters of average linkage as it goes: each cluster's members and weight (how
    many tickets it stands for), and the summed likeness of each two that have any."""

    def __init__(self, n: int, edges: Mapping[tuple[int, int], float], sizes: Sequence[int] | None) -> None:
        self.members: dict[int, list[int]] = {i: [i] for i in range(n)}
        self.weight: dict[int, int] = {i: sizes[i] if sizes is not None else 1 for i in range(n)}
        self.link: dict[int, dict[int, float]] = defaultdict(dict)  # cluster -> cluster -> summed likeness
        for (i, j), value in edges.items():
            self.link[i][j] = value
            self.link[j][i] = value
        self.fresh = n  # the next new cluster's number

    def average(self, a: int, b: int) -> float:
        """How alike two clusters' tickets are on average."""
        return self.link[a][b] / (self.weight[a] * self.weight[b])

    def is_current(self, a: int, b: int, average: float) -> bool:
        """Whether a pair from the heap is two clusters still there, at the average it was pushed with."""
        return a in self.members and b in self.members and self.average(a, b) == average

    def merge(self, a: int, b: int) -> list[tuple[float, int, int]]:
        """Clusters `a` and `b` as one new cluster; its average with each cluster it has a
        link to, (average, that cluster, the new one)."""
        new, self.fresh = self.fresh, self.fresh + 1
        self.members[new] = self.members.pop(a) + self.members.pop(b)
        self.weight[new] = self.weight.pop(a) + self.weight.pop(b)
        summed: dict[int, float] = defaultdict(float)
        for old in (a, b):
            for other, value in self.link.pop(old).items():
                if other not in (a, b):
                    summed[other] += value
                    del self.link[other][old]
        self.link[new] = dict(summed)
        for other, value in summed.items():
            self.link[other][new] = value
        return [(value / (self.weight[new] * self.weight[other]), other, new) for other, value in summed.items()]


def join_alike_groups(clusters: list[list[int]], cases: Sequence[Sequence[str]],
                      centroid: float) -> list[list[int]]:
    """Groups of two or more whose centroids (each term's share of the members, times its
    idf) have a cosine of at least `centroid`, joined, the most alike first, until none is.

    Each ticket keeps only its `NEIGHBOURS` most alike pairs, so a topic of hundreds of
    tickets has too few pairs between its parts for average linkage to join them (at 7,700
    tickets its largest topic came out as five groups of ~110); their centroids, which
    do not depend on a group's size, are alike."""
    big = [c for c in clusters if len(c) >= 2]
    rest = [c for c in clusters if len(c) < 2]
    if len(big) < 2:
        return clusters
    df = _document_frequency(cases)
    while True:
        cosine = _cosines([_centroid(members, cases, df, len(cases)) for members in big])
        rows, cols = np.nonzero(np.triu(cosine) >= centroid)
        if not rows.size:
            return big + rest
        big = _joined_pairs(big, rows.tolist(), cols.tolist(), cosine[rows, cols])


def _document_frequency(cases: Sequence[Sequence[str]]) -> Counter[str]:
    """Of each term, how many tickets say it."""
    return Counter(t for c in cases for t in set(c))


def _shared_terms(centroids: Sequence[Mapping[str, float]]) -> dict[str, int]:
    """The terms of two centroids or more, numbered in their order: only those add to a cosine."""
    spread = Counter(t for c in centroids for t in c)
    return {t: k for k, t in enumerate(sorted(t for t, count in spread.items() if count >= 2))}


def _cosines(centroids: Sequence[Mapping[str, float]]) -> np.ndarray:
    """The cosine of each two centroids (0 on the diagonal), over their shared terms."""
    index = _shared_terms(centroids)
    matrix = np.zeros((len(centroids), len(index)), dtype=np.float32)
    for row, c in enumerate(centroids):
        norm = math.sqrt(sum(v * v for v in c.values())) or 1.0
        for term, value in c.items():
            column = index.get(term)
            if column is not None:
                matrix[row, column] = value / norm
    cosine = matrix @ matrix.T
    np.fill_diagonal(cosine, 0.0)
    return cosine


def _joined_pairs(big: list[list[int]], rows: list[int], cols: list[int], alike: np.ndarray) -> list[list[int]]:
    """The groups after one round of joining: the pairs (rows[k], cols[k]) taken the most
    `alike` first, each group joined once a round, then the groups not joined."""
    taken: set[int] = set()
    joined: list[list[int]] = []
    for k in np.argsort(-alike, kind="stable").tolist():
        a, b = rows[k], cols[k]
        if a in taken or b in taken:
            continue
        taken.update((a, b))
        joined.append(sorted(big[a] + big[b]))
    return joined + [g for i, g in enumerate(big) if i not in taken]


def _centroid(members: list[int], cases: Sequence[Sequence[str]], df: Counter[str], n: int) -> dict[str, float]:
    """A group's words: each term's share of its members times the term's idf."""
    counts = Counter(t for m in members for t in set(cases[m]))
    return {t: c / len(members) * idf(df[t], n) for t, c in counts.items()}


def _group(members: list[int], near: dict[int, list[tuple[int, float]]]) -> Group:
    """A cluster with its sample (the member most alike to the others; the first of equals)."""
    inside = set(members)
    alike = {m: sum(value for other, value in near.get(m, ()) if other in inside) for m in members}
    sample = max(members, key=lambda m: (alike[m], -m))
    pairs = len(members) * (len(members) - 1)
    return Group(tuple(members), sample, sum(alike.values()) / pairs)

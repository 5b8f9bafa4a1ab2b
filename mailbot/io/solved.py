"""The unit's memory in the store: solved tickets remembered as they are solved, and the
solved cases alike to a new one (`core/similar` decides what is alike).

The store lists every ticket it updates (`solved_pending`, in the unit of work that
changes it); `sync` indexes those (remembers a resolved or closed one with its solution,
forgets any other) before every look-up and in every pass of the daemon, so the index
follows the tickets without each place that changes a ticket knowing of it. A case's
problem is the requester's new texts before the answer, its solution the text the
requester received (`Memory.solved_material`): new text only, never quoted history.
`ensure_index` (at start-up) indexes every solved ticket again when the words that make
terms changed (`rules/similar.yaml`, an operator's rules_dir).

A look-up scores candidates term by term (the rarest of the new case's terms first, each
weighted by its `idf`, the problem's words twice the solution's) until it has read
`POSTINGS` index entries, and `core/similar.likeness` scores the best `CANDIDATES` of
them: FTS5's own bm25 ordering reads every case that shares any term, 150-190 ms a
look-up at 100,000 cases (bench/similar_cases.py), where this stays under 20 ms.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mailbot.core.similar import SolvedCase, Suggestion, Vocabulary, memory_idf, suggest
from mailbot.io.store import Store, moment, ts
from mailbot.model import State, Ticket

CANDIDATES = 30  # the best-scored candidates that `core/similar.likeness` scores
POSTINGS = 5000  # index entries a look-up reads at most (after its rarest term, always read)
_INDEXED_WITH = "solved_index_words"  # meta: the words the index was built with


def box_token(mailbox: str) -> str:
    """A mailbox's name as one index token (letters and digits only)."""
    return "m" + hashlib.sha256(mailbox.encode("utf-8")).hexdigest()[:12]


def sync(store: Store, words: Vocabulary, limit: int = 500) -> int:
    """Index the tickets changed since they were last indexed; how many were (none on a
    read-only store: `tickets`, `report` read the index as the daemon left it)."""
    done = 0
    if store.readonly:
        return done
    while True:
        pending = store.memory.solved_pending(limit)
        if not pending:
            return done
        for ticket_id in pending:
            ticket = store.tickets.ticket_by_id(ticket_id)
            if ticket is None:
                store.memory.forget_solved(ticket_id)
            else:
                remember(store, words, ticket)
        store.memory.solved_done(pending)
        done += len(pending)


def remember(store: Store, words: Vocabulary, ticket: Ticket) -> None:
    """Index a resolved or closed ticket (with its solution), forget any other."""
    if ticket.id is None:
        return
    if ticket.state not in (State.RESOLVED, State.CLOSED):
        store.memory.forget_solved(ticket.id)
        return
    problem, answer = store.memory.solved_material(ticket.id)
    if answer is None:
        store.memory.forget_solved(ticket.id)  # closed without a word to the requester: nothing to reuse
        return
    solved = ticket.resolved_at or ticket.closed_at or ticket.updated_at
    store.memory.remember_solved(row_of(words, ticket.id, ticket.mailbox, ticket.number, ticket.subject, solved,
                                        problem, answer["body"]))


def row_of(words: Vocabulary, ticket_id: int, mailbox: str, number: str, subject: str, solved: datetime,
           problem: Sequence[str], solution: str) -> dict[str, Any]:
    """The index row of one solved case."""
    return {"ticket_id": ticket_id, "mailbox": mailbox, "box": box_token(mailbox), "number": number,
            "subject": subject, "solved_at": ts(solved),
            "problem_terms": " ".join(words.terms(query_text(subject, problem))),
            "solution_terms": " ".join(words.terms(solution)), "solution": solution}


def ensure_index(store: Store, words: Vocabulary) -> int:
    """Index every solved ticket again if the index was built with other words (or never),
    and whatever is pending: returns how many tickets were indexed."""
    signature = _signature(words)
    if store.readonly:
        return 0
    with store.unit_of_work():
        if store.metadata.meta(_INDEXED_WITH) != signature:
            store.memory.queue_all_solved()
            store.metadata.set_meta(_INDEXED_WITH, signature)
        return sync(store, words)


def _signature(words: Vocabulary) -> str:
    text = repr((sorted(words.stopwords), sorted(words.spellings.items()), sorted(words.phrases.items()),
                 words.stem("pendaftaran"), words.stem("dikecilin"),  # Sastrawi's affixes, and the chat's
                 words.terms("nyari tombol2nya passwordmu kata sandinya")))  # the chat's nasals, clitics
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def similar(store: Store, words: Vocabulary, mailbox: str, text: str, *, exclude: int | None = None,
            threshold: float | None = None, limit: int = 3) -> tuple[Suggestion, ...]:
    """The solved cases of `mailbox` most alike to a problem told in `text` (subject and
    the requester's words), up to `limit`, none under the threshold."""
    sync(store, words)
    terms = list(dict.fromkeys(words.terms(text)))
    if not terms:
        return ()
    counts = store.memory.term_counts(["", *terms])  # the empty term holds how many cases there are
    total = int(counts.pop("", 0))
    weights = {t: memory_idf(counts.get(t, 0), total) for t in terms}
    score = _scores(store, box_token(mailbox), terms, counts, weights)
    score.pop(exclude or 0, None)
    best = heapq.nlargest(CANDIDATES, score, key=lambda i: (score[i], i))  # ties: the later case
    cases = [case_of(r) for r in store.memory.solved_rows(best)]
    _weigh_case_terms(store, cases, weights, total)
    options: dict[str, Any] = {"limit": limit}
    if threshold is not None:
        options["threshold"] = threshold
    return suggest(terms, cases, weights, **options)


_COLUMNS = (("problem_terms", 1.0), ("solution_terms", 0.5))  # the problem's words count twice the solution's


def _scores(store: Store, box: str, terms: list[str], counts: dict[str, int],
            weights: dict[str, float]) -> dict[int, float]:
    """Each solved case's score by the index: the sum of its shared terms' weights (`_COLUMNS`),
    reading the rarest terms first until `POSTINGS` entries are read (the rarest always)."""
    score: dict[int, float] = defaultdict(float)
    read = 0
    # a term no solved case holds finds nothing; of the rest, the rarest tell the most
    for term in sorted((t for t in terms if counts.get(t)), key=lambda t: (counts[t], t)):
        if read and read + counts[term] > POSTINGS:
            break
        read += counts[term]
        for column, weight in _COLUMNS:
            for ticket_id in store.memory.solved_postings(box, column, term):
                score[ticket_id] += weight * weights[term]
    return score


def _weigh_case_terms(store: Store, cases: list[SolvedCase], weights: dict[str, float], total: int) -> None:
    """Add to `weights` the candidates' own terms (`likeness` weighs both sides' terms)."""
    case_terms = {t for c in cases for t in (*c.problem_terms, *c.solution_terms)} - set(weights)
    if case_terms:
        more = store.memory.term_counts(sorted(case_terms))
        weights.update({t: memory_idf(more.get(t, 0), total) for t in case_terms})


def case_of(row: dict[str, Any]) -> SolvedCase:
    return SolvedCase(row["ticket_id"], row["number"], row["subject"] or "", moment(row["solved_at"]),
                      tuple(row["problem_terms"].split()), tuple(row["solution_terms"].split()), row["solution"])


def query_text(subject: str, texts: Sequence[str]) -> str:
    """What a new case is looked up by: its subject and the requester's words."""
    return "\n".join([subject, *texts])

"""Question (+history) → ranked Hits: dense (Chroma) and BM25 (jieba) fused by reciprocal rank."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.ingest.embed import CachedEmbedder
from assistant.ingest.store import Index, Snapshot
from assistant.lang.lexicon import YEAR, Lexicon, normalize_query
from assistant.types import Hit

_FOLLOWUP_START = re.compile(r"^(那|那么|那在|还有|另外|and\b|what about\b|how about\b|and for\b|also\b)", re.I)
_FOLLOWUP_END = re.compile(r"(呢|呢？|呢\?)$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
EXPANSION_WEIGHT = 0.5  # glossary terms are hints, not the user's words
# Words by which a question names a kind of document (Document.kind).
DOCUMENT_KINDS = {
    "reply": re.compile(r"答复|复函|回复|\breply\b|\bresponse\b", re.I),
    "plan": re.compile(r"规划|\bplan\b", re.I),
    "news": re.compile(r"新闻|报道|\bnews\b|\barticle\b", re.I),
}
# Weight of each retriever's normalized score beside its reciprocal rank (dense, BM25); Settings carries the
# same defaults. Measured on the gold set (evals/README.md): BM25's margin matters more than the embedding's.
SCORE_WEIGHTS = (0.5, 1.0)
CITY_POOL = 3  # a city's chunk competes for a slot when it ranks within top_k * CITY_POOL


@dataclass(frozen=True)
class Query:
    """A question made ready for search."""

    text: str  # normalized, with follow-ups resolved against the history
    keywords: list[str]  # BM25 tokens of the question itself, then of its expansions (no repeats)
    expansion_keywords: list[str]  # the tokens that come only from expansions (weighted lower)
    expansions: list[str]  # glossary terms added to the question
    english: bool
    places: list[str]  # place names the (resolved) question mentions
    concepts: list[tuple[str, tuple[str, ...]]] = ()  # type: ignore[assignment]  # term → terms that stand for it
    carried: frozenset[str] = frozenset()  # concept terms that only the previous question brought (weighted lower)

    @property
    def own_keywords(self) -> list[str]:
        """The keywords at full weight: the question's own, without expansions or carried-over words."""
        extra = set(self.expansion_keywords)
        return [t for t in self.keywords if t not in extra]


def is_english(text: str) -> bool:
    """True when the question is written mostly in Latin letters."""
    latin = len(re.findall(r"[A-Za-z]", text))
    return latin > 2 * len(_CJK.findall(text))


def _last_user_turn(history: Sequence[dict]) -> str:
    for message in reversed(history):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return message["content"]
    return ""


def resolve_followup(question: str, history: Sequence[dict], lexicon: Lexicon) -> str:
    """Carry the previous question's subject into a dependent follow-up ("那厦门呢？", "And for X?").

    The previous question is kept, minus the places and years the follow-up replaces.
    """
    previous = normalize_query(_last_user_turn(history))
    if not previous:
        return question
    short = len(_CJK.findall(question)) <= 12 if not is_english(question) else len(question.split()) <= 8
    dependent = _FOLLOWUP_START.search(question) or _FOLLOWUP_END.search(question.strip()) or short
    if not dependent:
        return question
    new_places = lexicon.places_in(question)
    if new_places:
        for place in lexicon.places_in(previous):
            previous = previous.replace(place, "")
    if YEAR.search(question):
        previous = YEAR.sub("", previous).replace("年年", "年")
    if any(words.search(question) for words in DOCUMENT_KINDS.values()):
        # "And what did the 2025 reply say?" asks another document than the plan the last question named.
        for words in DOCUMENT_KINDS.values():
            previous = words.sub("", previous)
    return f"{previous} {question}"


def build_query(question: str, history: Sequence[dict], lexicon: Lexicon) -> Query:
    """Normalize, resolve follow-ups, expand with the glossary, and tokenize for BM25."""
    asked = normalize_query(question)
    text = resolve_followup(asked, history or [], lexicon)
    expansions = lexicon.expand(text)
    tokens = list(dict.fromkeys(lexicon.tokenize(text)))
    concepts = lexicon.concepts(text)
    carried: frozenset[str] = frozenset()
    carried_tokens: list[str] = []
    if text != asked:
        # A follow-up's own words are its focus ("省级技术转移机构呢？" after a question on 技术经纪人);
        # the words carried over from the previous question are context, and count for less (like expansions).
        asked_concepts = {term for term, _ in lexicon.concepts(asked)}
        carried = frozenset(term for term, _ in concepts if term not in asked_concepts)
        asked_tokens = set(lexicon.tokenize(asked))
        carried_tokens = [t for t in tokens if t not in asked_tokens]
    own = [t for t in tokens if t not in carried_tokens]
    expanded = [t for term in expansions for t in lexicon.tokenize(term) if t not in tokens]
    extra = list(dict.fromkeys(carried_tokens + expanded))
    return Query(
        text=text,
        keywords=own + extra,
        expansion_keywords=extra,
        expansions=expansions,
        english=is_english(question),
        places=lexicon.places_in(text),
        concepts=concepts,
        carried=carried,
    )


def fuse_rankings(
    rankings: Sequence[Sequence[str]], rrf_k: int, weights: Sequence[float] | None = None
) -> dict[str, float]:
    """Reciprocal rank fusion: sum of weight / (rrf_k + rank) over the rankings a chunk appears in."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, chunk_id in enumerate(ranking, start=1):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (rrf_k + rank)
    return fused


def normalized(ranked: Sequence[tuple[str, float]], floor: float | None) -> dict[str, float]:
    """Scores scaled to 0..1 by the best one: from `floor` (BM25's natural 0), or from the worst listed
    (cosine similarity, which has no natural zero)."""
    if not ranked:
        return {}
    top = max(s for _, s in ranked)
    low = min(s for _, s in ranked) if floor is None else floor
    span = top - low
    return {c: (s - low) / span for c, s in ranked} if span > 0 else {}


def _number_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def document_naming(text: str, snap: Snapshot) -> tuple[set[str], bool]:
    """Documents the question names, and whether it names them firmly: by 文号 (bracket style and spacing
    ignored) or by year and kind ("2025年的答复", "the 2023 reply", "2023年和2025年这两份答复") is firm; by kind
    alone ("规划里…") is not — "规划里怎么安排的，现在成效如何？" also asks about documents it does not name."""
    key = _number_key(text)
    by_number = {d.doc_id for d in snap.docs.values() if d.doc_number and _number_key(d.doc_number) in key}
    if by_number:
        return by_number, True
    named: set[str] = set()
    dated = False
    for kind, words in DOCUMENT_KINDS.items():
        for match in words.finditer(text):
            # Years earlier in the same clause pick that year's document(s): "2025年的答复", "the 2025 reply",
            # "2023年和2025年这两份答复"; a kind word with no year names every document of that kind.
            clause = re.split(r"[，。？！；,.?!;]", text[: match.start()])[-1]
            years = set(YEAR.findall(clause))
            dated = dated or bool(years)
            named |= {d.doc_id for d in snap.docs.values() if d.kind == kind and (not years or d.date[:4] in years)}
    return named, dated


def place_documents(places: Sequence[str], snap: Snapshot) -> set[str]:
    """Documents whose city is one the question names (empty when no document is about those places)."""
    if not places:
        return set()
    return {d.doc_id for d in snap.docs.values() if d.city and d.city in places}


def give_each_group_a_slot(
    best: list[str],
    pool: Sequence[str],
    group_of: Callable[[str], str],
    fit: Callable[[str], float] | None = None,
) -> list[str]:
    """Each group (city, or named document) with a candidate in the pool gets one slot in the top-k.

    A missing group is represented by its pool member that best fits the question (`fit`, e.g. the share of
    the question's words it contains; ties go to the higher-ranked) — not by a letterhead or signature block
    that only the embedding liked. The slot is taken from the lowest-ranked chunk of the group holding the
    most slots.
    """
    chosen = list(best)
    order = {c: i for i, c in enumerate(pool)}
    for chunk_id in pool:
        present = [group_of(c) for c in chosen]
        group = group_of(chunk_id)
        if chunk_id in chosen or group in present or len(set(present)) >= len(chosen):
            continue
        crowded = max(set(present), key=present.count)
        if present.count(crowded) < 2:
            break
        members = [c for c in pool if group_of(c) == group]
        pick = max(members, key=lambda c: (fit(c), -order[c])) if fit else chunk_id
        victim = max(i for i, c in enumerate(chosen) if group_of(c) == crowded)
        chosen[victim] = pick
    return sorted(chosen, key=lambda c: pool.index(c) if c in pool else len(pool))


def _doc_city(snap: Snapshot, doc_id: str) -> str:
    doc = snap.docs.get(doc_id)
    return doc.city if doc else ""


class Retriever:
    """Hybrid retrieval over a snapshot; `mode` selects hybrid, dense-only or BM25-only (for baselines)."""

    def __init__(
        self,
        index: Index,
        snapshot: Callable[[], Snapshot],
        embedder: CachedEmbedder,
        lexicon: Lexicon,
        mode: str = "hybrid",
        candidate_k: int = 30,
        rrf_k: int = 60,
        weights: tuple[float, float] = (1.0, 1.0),
        score_weights: tuple[float, float] = SCORE_WEIGHTS,
    ) -> None:
        self.index = index
        self.snapshot = snapshot
        self.embedder = embedder
        self.lexicon = lexicon
        self.mode = mode
        self.candidate_k = candidate_k
        self.rrf_k = rrf_k
        self.weights = weights  # (dense, bm25) in the rank fusion
        self.score_weights = score_weights  # (dense, bm25) normalized-score bonus on top of it

    def dense(self, query: Query, snap: Snapshot, within: set[str] | None = None) -> list[tuple[str, float]]:
        if query.english and query.expansions:
            # The multilingual model matches English to Chinese loosely; averaging with the embedding of
            # the question's Chinese glossary terms pulls the query toward the Chinese wording (measured).
            both = self.embedder.embed_queries([query.text, " ".join(query.expansions[:12])])
            vector = both.mean(axis=0)
            vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
        else:
            vector = self.embedder.embed_queries([query.text])[0]
        # Inside named documents, look deeper so their passages are not crowded out by the rest.
        found = self.index.dense_search(vector, self.candidate_k * (4 if within else 1))
        keep = [(cid, score) for cid, score in found if cid in snap.chunks]
        if within:
            keep = [(cid, score) for cid, score in keep if snap.chunks[cid].doc_id in within]
        return keep[: self.candidate_k]

    def keyword(self, query: Query, snap: Snapshot, within: set[str] | None = None) -> list[tuple[str, float]]:
        if snap.bm25 is None or not query.keywords:
            return []
        extra = set(query.expansion_keywords)
        own = query.own_keywords
        scores = np.asarray(snap.bm25.get_scores(own)) if own else np.zeros(len(snap.chunk_ids))
        if extra:
            scores = scores + EXPANSION_WEIGHT * np.asarray(snap.bm25.get_scores(sorted(extra)))
        if within:
            scores = np.where(snap.rows_within(within), scores, 0.0)
        order = np.argsort(-scores)[: self.candidate_k]
        found = [(snap.chunk_ids[i], float(scores[i])) for i in order if scores[i] > 0]
        return [(cid, score) for cid, score in found if cid in snap.chunks]  # a chunk re-ingested since: skipped

    def retrieve(self, query: Query, top_k: int) -> list[Hit]:
        """The top_k chunks for a prepared query, best first."""
        snap = self.snapshot()
        if not snap.chunks:
            return []
        loosely, firmly = document_naming(query.text, snap)
        named = loosely if firmly else set()
        dense = self.dense(query, snap, named) if self.mode in ("hybrid", "dense") else []
        keyword = self.keyword(query, snap, named) if self.mode in ("hybrid", "bm25") else []
        by_place = set() if named else place_documents(query.places, snap)
        if named or by_place:
            # The question names documents (by 文号, or year and kind): search inside them only. Or it names
            # the cities some documents cover: search those, plus passages elsewhere that name the place.
            def inside(chunk_id: str) -> bool:
                chunk = snap.chunks[chunk_id]
                return chunk.doc_id in (named or by_place) or (not named and any(p in chunk.text for p in query.places))

            dense = [(c, s) for c, s in dense if inside(c)]
            keyword = [(c, s) for c, s in keyword if inside(c)]
        fused = fuse_rankings([[c for c, _ in dense], [c for c, _ in keyword]], self.rrf_k, self.weights)
        # Rank fusion alone ignores margins: a passage BM25 scores far above the rest ties with one both
        # retrievers rank middling. Each retriever's normalized score adds up to one top rank's worth.
        for ranked_scores, weight, floor in (
            (keyword, self.score_weights[1], 0.0),
            (dense, self.score_weights[0], None),
        ):
            for c, bonus in normalized(ranked_scores, floor).items():
                fused[c] = fused.get(c, 0.0) + weight * bonus / (self.rrf_k + 1)
        dense_at = {c: (rank, s) for rank, (c, s) in enumerate(dense, start=1)}
        keyword_at = {c: (rank, s) for rank, (c, s) in enumerate(keyword, start=1)}
        ranked = sorted(fused, key=lambda c: -fused[c])
        best = ranked[:top_k]
        pool = ranked[: top_k * CITY_POOL]
        own = query.own_keywords

        def fit(chunk_id: str) -> float:
            text = snap.chunks[chunk_id].text.lower()
            return sum(len(t) for t in own if t in text)

        if len(named) > 1:
            # "规划和2025年答复": every document the question names gets a slot.
            best = give_each_group_a_slot(best, pool, lambda c: snap.chunks[c].doc_id, fit)
        elif loosely and not named:
            # "规划里怎么安排的，现在如何？": the documents named by kind, and the others, each get a slot.
            best = give_each_group_a_slot(best, pool, lambda c: str(snap.chunks[c].doc_id in loosely), fit)
        elif not named and len(query.places) != 1 and self.mode == "hybrid":
            # A question about no place, or several: each city speaks.
            best = give_each_group_a_slot(best, pool, lambda c: _doc_city(snap, snap.chunks[c].doc_id), fit)
        return [
            Hit(
                chunk=snap.chunks[c],
                score=fused[c],
                dense_rank=dense_at.get(c, (0, 0.0))[0],
                dense_score=dense_at.get(c, (0, 0.0))[1],
                bm25_rank=keyword_at.get(c, (0, 0.0))[0],
                bm25_score=keyword_at.get(c, (0, 0.0))[1],
            )
            for c in best
        ]

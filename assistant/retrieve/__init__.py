"""Intent → ranked Hits: dense (Chroma) and BM25 (jieba) fused, confined to named documents or places."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np

from assistant.ingest.embed import CachedEmbedder
from assistant.ingest.store import Index, Snapshot
from assistant.query.vocabulary import load_vocabulary
from assistant.retrieve.diversity import best_of_each_group, give_each_group_a_slot
from assistant.retrieve.fusion import Ranked, fuse
from assistant.retrieve.scope import documents_of_kinds, place_documents
from assistant.settings import RetrievalSettings
from assistant.types import Chunk, Hit, Intent, Query

Mode = Literal["hybrid", "dense", "bm25"]


class Retriever:
    """Hybrid retrieval over a snapshot; `mode` selects hybrid, dense-only or BM25-only (for baselines)."""

    def __init__(
        self,
        index: Index,
        snapshot: Callable[[], Snapshot],
        embedder: CachedEmbedder,
        settings: RetrievalSettings,
        mode: Mode = "hybrid",
    ) -> None:
        self.index = index
        self.snapshot = snapshot
        self.embedder = embedder
        self.settings = settings
        self.mode = mode

    def dense(
        self, query: Query, snap: Snapshot, within: set[str] | None = None, allowed: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """Chunks by cosine similarity to the question, only inside `within` (named or allowed documents);
        `allowed` (a scope the user chose) is applied inside Chroma, so a small scope still fills its k."""
        if query.english and query.expansions:
            # The multilingual model matches English to Chinese loosely; averaging with the embedding of
            # the question's Chinese glossary terms pulls the query toward the Chinese wording (measured).
            both = self.embedder.embed_queries([query.text, " ".join(query.expansions[:12])])
            vector = both.mean(axis=0)
            vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
        else:
            vector = self.embedder.embed_queries([query.text])[0]
        k = self.settings.candidate_k
        found = self.index.dense_search(vector, k * (self.settings.named_depth if within is not None else 1), allowed)
        # Each chunk is read once: one re-ingested meanwhile (another process's ingest) is skipped, not raised.
        read = [(cid, score, snap.chunks.get(cid)) for cid, score in found]
        return [(cid, score) for cid, score, c in read if c is not None and (within is None or c.doc_id in within)][:k]

    def keyword(
        self, query: Query, snap: Snapshot, within: set[str] | None = None, depth: int | None = None
    ) -> list[tuple[str, float]]:
        """Chunks by BM25 over jieba tokens (the best `depth`, default candidate_k); expansion and carried-over
        words count for less."""
        if snap.bm25 is None or not query.keywords:
            return []
        extra = set(query.expansion_keywords)
        own = query.own_keywords
        scores = np.asarray(snap.bm25.get_scores(own)) if own else np.zeros(len(snap.chunk_ids))
        if extra:
            scores = scores + self.settings.expansion_weight * np.asarray(snap.bm25.get_scores(sorted(extra)))
        if within is not None:
            scores = np.where(snap.rows_within(within), scores, 0.0)
        order = np.argsort(-scores)[: depth or self.settings.candidate_k]
        found = [(snap.chunk_ids[i], float(scores[i])) for i in order if scores[i] > 0]
        return [(cid, score) for cid, score in found if cid in snap.chunks]  # a chunk re-ingested since: skipped

    def retrieve(self, intent: Intent, top_k: int, allowed: set[str] | None = None) -> list[Hit]:
        """The top_k chunks for a question, best first; `allowed` (doc_ids) is a scope the user chose."""
        snap = self.snapshot()
        if not snap.chunks or allowed == set():
            return []
        named = set(intent.constraints.documents)
        if named:
            # "某市2024年印发的办法与另一市新规相比…": a place the named documents are not about brings its own documents in.
            for place in intent.constraints.places:
                theirs = place_documents([place], snap.docs)
                if theirs and not theirs & named:
                    named |= theirs
        if allowed is not None:
            named &= allowed
        within = named or allowed  # both rankings are masked to these documents
        query = intent.query
        dense = self.dense(query, snap, within, allowed) if self.mode in ("hybrid", "dense") else []
        # "哪些文件提到了…" must see every document that says it, not the first candidate_k passages.
        depth = self.settings.candidate_k * _WHICH_DOCUMENTS_DEPTH if intent.which_documents else None
        keyword = self.keyword(query, snap, within, depth) if self.mode in ("hybrid", "bm25") else []
        by_place = set() if named else place_documents(intent.constraints.places, snap.docs)
        if by_place:
            # The question names places some documents are about: search those, plus passages elsewhere that
            # name the place.
            def inside(chunk_id: str) -> bool:
                chunk = snap.chunks.get(chunk_id)
                return chunk is not None and (
                    chunk.doc_id in by_place or any(p in chunk.text for p in intent.constraints.places)
                )

            dense = [(c, s) for c, s in dense if inside(c)]
            keyword = [(c, s) for c, s in keyword if inside(c)]
        fused = fuse(
            dense,
            keyword,
            self.settings.rrf_k,
            (self.settings.dense_weight, self.settings.bm25_weight),
            (self.settings.dense_score_weight, self.settings.bm25_score_weight),
        )
        # The candidates are read once, here: a passage another process's ingest replaced since it was ranked is
        # skipped instead of failing the question.
        chunks = {c: chunk for c in fused if (chunk := snap.chunks.get(c)) is not None}
        ranked = sorted(chunks, key=lambda c: -fused[c])
        leaders = [[(c, s) for c, s in ranking[:1] if c in chunks] for ranking in (dense, keyword)]
        best = with_leaders(self._diversify(intent, chunks, snap, ranked, top_k, named), leaders)
        return [_hit(chunks[c], fused[c], dense, keyword) for c in best]

    def _diversify(
        self,
        intent: Intent,
        chunks: Mapping[str, Chunk],
        snap: Snapshot,
        ranked: list[str],
        top_k: int,
        named: set[str],
    ) -> list[str]:
        """The top_k with one slot for each named document, each kind-named group, or each place's documents."""
        best, pool = ranked[:top_k], ranked[: top_k * self.settings.group_pool]
        # What the question is about, without the words that pick its documents (years, places, "答复"): every
        # chunk of a named document meets those, the letterhead best of all.
        vocab = load_vocabulary()
        naming = {*intent.constraints.years, *(p.lower() for p in intent.constraints.places)}
        # An English question's own words match no Chinese passage: its Chinese terms say what it is about.
        words = intent.query.keywords if intent.english else intent.query.own_keywords
        own = [
            t
            for t in words
            if t not in naming
            and not t.isdigit()
            and not any(t in p or p in t for p in naming)
            and not vocab.kinds_named(t)
        ]

        def fit(chunk_id: str) -> float:
            text = chunks[chunk_id].text.lower()
            return sum(len(t) for t in own if t in text)

        def doc_of(chunk_id: str) -> str:
            return chunks[chunk_id].doc_id

        kinds = documents_of_kinds(intent.constraints.kinds, snap.docs) if not named else set()
        if intent.which_documents:
            # "哪些文件提到了…": each document's passage that says it most plainly, whichever retriever found it;
            # a question about replies, replies only.
            of_kind = [c for c in ranked if doc_of(c) in kinds] if kinds else ranked
            return best_of_each_group(of_kind or ranked, doc_of, fit, top_k)
        if len(named) > 1:
            # "方案和2024年通知": every document the question names gets a slot.
            return give_each_group_a_slot(best, pool, doc_of, fit)
        if kinds:
            # "方案中怎么部署，进展怎样？": the documents named by kind, and the others, each get a slot.
            return give_each_group_a_slot(best, pool, lambda c: str(doc_of(c) in kinds), fit)
        if not named and len(intent.constraints.places) != 1 and self.mode == "hybrid":
            # A question about no place, or several: each place's documents speak. A place the question names
            # is looked for among all the candidates: one document with many passages on the topic can fill
            # the pool ("温州、泉州、厦门…分别" where 泉州 has a whole reply on it).
            among = ranked if intent.constraints.places else pool
            return give_each_group_a_slot(best, among, lambda c: _doc_city(snap, doc_of(c)), fit)
        return best


_WHICH_DOCUMENTS_DEPTH = 10  # "哪些文件提到了…" reads this many times candidate_k keyword passages


def with_leaders(best: list[str], leaders: Sequence[Ranked]) -> list[str]:
    """`best` with each ranking's first chunk in it: a passage one retriever ranks first by a margin can sit low in
    the other ranking and fall out of the fused top_k (a sentence that states a list verbatim under an unrelated
    heading). Each missing leader takes the place of the lowest-ranked chunk that is no leader."""
    best = list(best)
    wanted = [r[0][0] for r in leaders if r]
    for leader in wanted:
        if leader in best or not best:
            continue
        spare = next((i for i in range(len(best) - 1, -1, -1) if best[i] not in wanted), None)
        if spare is not None:
            best[spare] = leader
    return best


def _doc_city(snap: Snapshot, doc_id: str) -> str:
    doc = snap.docs.get(doc_id)
    return doc.city if doc else ""


def _hit(chunk: Chunk, score: float, dense: Ranked, keyword: Ranked) -> Hit:
    dense_at = next(((r, s) for r, (c, s) in enumerate(dense, start=1) if c == chunk.chunk_id), (0, 0.0))
    keyword_at = next(((r, s) for r, (c, s) in enumerate(keyword, start=1) if c == chunk.chunk_id), (0, 0.0))
    return Hit(
        chunk=chunk,
        score=score,
        dense_rank=dense_at[0],
        dense_score=dense_at[1],
        bm25_rank=keyword_at[0],
        bm25_score=keyword_at[1],
    )

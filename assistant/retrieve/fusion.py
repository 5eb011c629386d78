"""Rank fusion: reciprocal rank plus each retriever's normalized score (so margins count)."""

from __future__ import annotations

from collections.abc import Sequence

Ranked = Sequence[tuple[str, float]]  # (chunk_id, score), best first


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


def normalized(ranked: Ranked, floor: float | None) -> dict[str, float]:
    """Scores scaled to 0..1 by the best one: from `floor` (BM25's natural 0), or from the worst listed
    (cosine similarity, which has no natural zero)."""
    if not ranked:
        return {}
    top = max(s for _, s in ranked)
    low = min(s for _, s in ranked) if floor is None else floor
    span = top - low
    return {c: (s - low) / span for c, s in ranked} if span > 0 else {}


def fuse(
    dense: Ranked, keyword: Ranked, rrf_k: int, weights: tuple[float, float], score_weights: tuple[float, float]
) -> dict[str, float]:
    """Fused scores of the dense and keyword rankings.

    Rank fusion alone ignores margins: a passage BM25 scores far above the rest ties with one both retrievers
    rank middling. Each retriever's normalized score adds up to one top rank's worth.
    """
    fused = fuse_rankings([[c for c, _ in dense], [c for c, _ in keyword]], rrf_k, weights)
    for ranked, weight, floor in ((keyword, score_weights[1], 0.0), (dense, score_weights[0], None)):
        for chunk_id, bonus in normalized(ranked, floor).items():
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight * bonus / (rrf_k + 1)
    return fused

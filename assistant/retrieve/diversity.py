"""Diversity in the top-k: each group (place, named document) with a good candidate gets a slot."""

from __future__ import annotations

from collections.abc import Callable, Sequence


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
    return sorted(chosen, key=lambda c: order.get(c, len(pool)))


def best_of_each_group(
    ranked: Sequence[str], group_of: Callable[[str], str], fit: Callable[[str], float], top_k: int
) -> list[str]:
    """One chunk per group, the groups in order of their first appearance in `ranked`: each group's member that
    best fits the question (ties to the higher-ranked); up to top_k groups, then the best of the rest."""
    order = {c: i for i, c in enumerate(ranked)}
    groups: dict[str, list[str]] = {}
    for chunk_id in ranked:
        groups.setdefault(group_of(chunk_id), []).append(chunk_id)
    chosen = [max(members, key=lambda c: (fit(c), -order[c])) for members in groups.values()][:top_k]
    chosen += [c for c in ranked if c not in chosen][: top_k - len(chosen)]
    return chosen

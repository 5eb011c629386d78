"""Which documents a question confines its search to: those it names, or those about the places it names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.lang.places import gazetteer
from assistant.types import Document


def place_documents(places: Sequence[str], docs: Mapping[str, Document]) -> set[str]:
    """Documents about a place the question names, or a place inside it or containing it (晋江 ↔ 泉州 ↔ 福建)."""
    places_ = gazetteer()
    wanted = [p for p in (places_.get(name) for name in places) if p is not None]
    found = set()
    for doc in docs.values():
        home = places_.get(doc.city) if doc.city else None
        if home is not None and any(home.within(w) or w.within(home) for w in wanted):
            found.add(doc.doc_id)
    return found


def documents_of_kinds(kinds: Sequence[str], docs: Mapping[str, Document]) -> set[str]:
    """Documents of the kinds a question names without a year ("规划里…")."""
    return {d.doc_id for d in docs.values() if d.kind in kinds}

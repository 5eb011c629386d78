"""Which documents a question confines its search to: those it names, those about the places it names, and
the scope a user chose (Scope → documents, and the scope in words for the answer)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from assistant.lang.places import gazetteer
from assistant.types import Document, Scope


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
    """Documents of the kinds a question names without a year ("按方案…")."""
    return {d.doc_id for d in docs.values() if d.kind in kinds}


# Document.kind in words, as the UI and the scope description show it.
KIND_WORDS = {
    "reply": "答复",
    "plan": "规划",
    "news": "新闻",
    "measures": "政策措施",
    "notice": "通知",
    "other": "其他",
}
_FILTER_KEYS = {"city": "cities", "issuer": "issuers", "kind": "kinds", "doc_id": "doc_ids", "document": "doc_ids"}


class ScopeError(ValueError):
    """Filters that cannot be read (an unknown key, a value of the wrong type)."""


def _strings(value: object, key: str) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
        raise ScopeError(f"filter {key!r} takes a string or a list of strings")
    return tuple(v.strip() for v in values if v.strip())


def scope_from_filters(filters: Scope | Mapping[str, Any] | None) -> Scope:
    """A Scope from a Scope or a mapping such as {"city": ["厦门"], "kind": "reply", "date_from": "2025"}.

    Singular and plural keys are both accepted (city/cities, issuer/issuers, kind/kinds, doc_id/doc_ids).
    """
    if filters is None or isinstance(filters, Scope):
        return filters or Scope()
    if not isinstance(filters, Mapping):
        raise ScopeError("filters must be an object")
    fields: dict[str, Any] = {}
    for key, value in filters.items():
        name = _FILTER_KEYS.get(key, key)
        if name in ("cities", "issuers", "kinds", "doc_ids"):
            fields[name] = fields.get(name, ()) + _strings(value, key)
        elif name in ("date_from", "date_to"):
            if value is not None and not isinstance(value, str | int):
                raise ScopeError(f"filter {key!r} takes a date such as 2025 or 2025-05-20")
            fields[name] = "" if value is None else str(value).strip()
            try:
                _date_range(fields[name]) if fields[name] else None  # fails early on a date it cannot read
            except ScopeError as exc:
                raise ScopeError(f"filter {key!r}: {exc}") from exc
        else:
            raise ScopeError(f"unknown filter {key!r} (use city, issuer, kind, date_from, date_to, doc_ids)")
    kinds = tuple(_kind_value(k) for k in fields.get("kinds", ()))
    return Scope(**{**fields, "kinds": kinds})


def _kind_value(kind: str) -> str:
    """ "答复" or "reply" → "reply"."""
    return next((k for k, word in KIND_WORDS.items() if kind in (word, k)), kind)


def _date_range(date: str) -> tuple[str, str]:
    """The first and last day a possibly partial date ("2023", "2023-5", "2023-05-20") stands for, in ISO form."""
    try:
        parts = [int(p) for p in date.split("-")[:3]]
    except ValueError as exc:
        raise ScopeError(f"not a date: {date!r} (use 2025 or 2025-05-20)") from exc
    first = parts + [1, 1][len(parts) - 1 :]
    last = parts + [12, 31][len(parts) - 1 :]
    return "-".join(f"{n:02d}" for n in first[:3]), "-".join(f"{n:02d}" for n in last[:3])


def in_scope(doc: Document, scope: Scope) -> bool:
    """True when the document meets every filter of the scope."""
    if scope.doc_ids and doc.doc_id not in scope.doc_ids:
        return False
    if scope.cities and doc.city not in scope.cities:
        return False
    if scope.issuers and not any(i and i in doc.issuer for i in scope.issuers):
        return False
    if scope.kinds and doc.kind not in scope.kinds:
        return False
    if scope.date_from or scope.date_to:
        if not doc.date:
            return False
        first, last = _date_range(doc.date)
        if scope.date_from and last < _date_range(scope.date_from)[0]:
            return False
        if scope.date_to and first > _date_range(scope.date_to)[1]:
            return False
    return True


def documents_in_scope(scope: Scope, documents: Iterable[Document]) -> set[str]:
    """The doc_ids of the documents inside the scope."""
    return {d.doc_id for d in documents if in_scope(d, scope)}


def describe_scope(scope: Scope, titles: Mapping[str, str] | None = None) -> str:
    """The scope in words: "仅在：厦门 · 答复 · 2025年以后"; "" for no scope."""
    if not scope:
        return ""
    parts = ["、".join(scope.cities), "、".join(scope.issuers), "、".join(KIND_WORDS.get(k, k) for k in scope.kinds)]
    if scope.date_from and scope.date_to:
        parts.append(f"{_year_words(scope.date_from)}至{_year_words(scope.date_to)}")
    elif scope.date_from:
        parts.append(f"{_year_words(scope.date_from)}以后")
    elif scope.date_to:
        parts.append(f"{_year_words(scope.date_to)}以前")
    if scope.doc_ids:
        parts.append("、".join(f"《{(titles or {}).get(d) or d}》" for d in scope.doc_ids))
    return "仅在：" + " · ".join(p for p in parts if p)


def _year_words(date: str) -> str:
    """ "2025" → "2025年", "2025-03-01" → "2025年3月1日"."""
    pieces = [p for p in date.split("-") if p]
    units = ("年", "月", "日")
    return "".join(f"{int(p) if i else p}{units[i]}" for i, p in enumerate(pieces[:3]))

"""The Answerer contract both answerers meet: the retrieved passages of one reading of a question → an Answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from assistant.answer.compose import compose_answer
from assistant.ingest.store import Snapshot
from assistant.settings import AnswerSettings, RefusalSettings
from assistant.types import Answer, Hit, Intent


@runtime_checkable
class Answerer(Protocol):
    """Writes the answer to a question from its retrieved passages (verification is the pipeline's)."""

    def answer(self, intent: Intent, hits: Sequence[Hit], snap: Snapshot, fallback: Answer | None = None) -> Answer:
        """The answer; `fallback`, already composed from the same hits, is given when this answerer cannot do better."""
        ...


class ExtractiveAnswerer:
    """Verbatim sentences with [n] citations, or a graded refusal (compose_answer under its settings)."""

    def __init__(self, settings: AnswerSettings, refusal: RefusalSettings) -> None:
        self.settings = settings
        self.refusal = refusal

    def answer(self, intent: Intent, hits: Sequence[Hit], snap: Snapshot, fallback: Answer | None = None) -> Answer:
        """The extractive answer; it always answers or refuses, so `fallback` is not needed."""
        return compose_answer(intent, hits, snap, self.settings, self.refusal)

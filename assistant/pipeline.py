"""Assistant: wires load → chunk → index → retrieve → answer; builds real components in from_settings()."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from assistant.answer.answerer import Answerer, ExtractiveAnswerer
from assistant.answer.llm import LLMAnswerer
from assistant.answer.parts import MAX_PARTS, join_parts, part_budget
from assistant.answer.verify import check_answer
from assistant.ingest.embed import CachedEmbedder, embedder_from_settings
from assistant.ingest.repair import open_index, repair_index_files
from assistant.ingest.store import Index, IngestReport, Snapshot
from assistant.lang.lexicon import Lexicon, load_lexicon
from assistant.library import DocumentInfo, Library, ProgressCallback
from assistant.query.intent import leans_on_previous, read_intent
from assistant.question import early_answer, usable_history, without_pictographs
from assistant.retrieve import Retriever
from assistant.retrieve.scope import describe_scope, documents_in_scope, scope_from_filters
from assistant.settings import Settings, configure_offline
from assistant.types import Answer, Document, Hit, Intent, Scope, Turn

NO_SCOPE = Scope()
Filters = Scope | Mapping[str, Any] | None  # a Scope, or {"city": …, "issuer": …, "kind": …, "date_from": …, …}
History = Sequence[Mapping[str, object]] | None  # chat turns as a surface sends them; unreadable ones are dropped


class Assistant:
    """The policy QA assistant: ingest a corpus, answer questions with cited verbatim passages."""

    def __init__(
        self,
        settings: Settings,
        index: Index,
        embedder: CachedEmbedder,
        lexicon: Lexicon,
        llm: LLMAnswerer | None = None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.lexicon = lexicon
        self.llm = llm
        self.library = Library(settings, index, embedder)
        self.extractive: Answerer = ExtractiveAnswerer(settings.answer, settings.refusal)
        self.retriever = Retriever(index, self.snapshot, embedder, settings.retrieval, settings.retrieval_mode)
        self.config_hash = settings.config_hash()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Assistant:
        """Build the real embedder, vector store and lexicon from settings."""
        configure_offline()
        settings = settings or Settings()
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        recovered = repair_index_files(settings)  # damaged files are set aside, with a warning
        embedder = embedder_from_settings(settings)
        lexicon = load_lexicon(settings.corpus_dir / "glossary.toml")
        index = open_index(settings, embedder, lexicon, recovered)
        llm: LLMAnswerer | None = None
        if settings.llm_configured:
            from assistant.answer.llm import build_llm

            llm = build_llm(settings)
        return cls(settings, index, embedder, lexicon, llm)

    def snapshot(self) -> Snapshot:
        """The current consistent view of the index (see Library.snapshot)."""
        return self.library.snapshot()

    def ingest(self, progress: bool | ProgressCallback = False) -> IngestReport:
        """Index new and changed files, drop removed ones; a file with its indexed size and mtime is not even read."""
        return self.library.ingest(progress)

    def add_file(self, name: str, data: bytes, progress: bool | ProgressCallback = False) -> IngestReport:
        """Save an uploaded file into the corpus and ingest it; a bad file raises DocumentError naming it."""
        return self.library.add_file(name, data, progress)

    def delete_document(self, doc_id: str) -> IngestReport:
        """Remove a document's file from the corpus and its chunks from the index."""
        return self.library.delete_document(doc_id)

    def reindex_document(self, doc_id: str) -> IngestReport:
        """Read, chunk and index one document's file again (embeddings come from the cache when unchanged)."""
        return self.library.reindex_document(doc_id)

    def document(self, doc_id: str) -> Document | None:
        """A document with its full cleaned text (for a viewer), or None."""
        return self.library.document(doc_id)

    def documents(self) -> list[DocumentInfo]:
        """The indexed documents with their chunk counts."""
        return self.library.documents()

    def retrieve(self, question: str, history: History = None, top_k: int | None = None) -> list[Hit]:
        """The passages a question retrieves, best first (before any answering)."""
        snap = self.snapshot()
        intent = read_intent(question, usable_history(history), self.lexicon, snap.docs, snap.df)
        return self.retriever.retrieve(intent, top_k or self.settings.top_k)

    async def aask(
        self,
        question: str,
        history: History = None,
        *,
        top_k: int | None = None,
        mode: str | None = None,
        filters: Filters = None,
        instructions: str = "",
    ) -> Answer:
        """Answer a question (async core), from the documents inside `filters` only when given; `instructions`
        (a caller's system message) reach the LLM answerer only: the extractive answerer has no prompt."""
        scope = scope_from_filters(filters)
        history_ = usable_history(history)
        return await asyncio.to_thread(self._answer, question, history_, top_k, mode, scope, instructions)

    def ask(
        self,
        question: str,
        history: History = None,
        *,
        top_k: int | None = None,
        mode: str | None = None,
        filters: Filters = None,
        instructions: str = "",
    ) -> Answer:
        """Answer a question (sync wrapper around aask)."""
        coroutine = self.aask(question, history, top_k=top_k, mode=mode, filters=filters, instructions=instructions)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coroutine)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    async def astream(
        self,
        question: str,
        history: History = None,
        *,
        top_k: int | None = None,
        mode: str | None = None,
        filters: Filters = None,
        instructions: str = "",
    ) -> AsyncIterator[str | Answer]:
        """Answer a question as it is written: text pieces, then the final Answer.

        The final Answer is verified and may differ from the streamed text (sentences dropped, or an
        extractive fallback): show its text once it arrives.
        """
        history = usable_history(history)
        scope = scope_from_filters(filters)
        llm = self._llm_for(mode)
        if llm is None:
            answer = await self.aask(question, history, top_k=top_k, mode=mode, filters=scope)  # no prompt
            lines = answer.text.split("\n")
            for i, line in enumerate(lines):
                yield line + ("\n" if i < len(lines) - 1 else "")
            yield answer
            return
        started = time.perf_counter()
        found = await asyncio.to_thread(self._evidence, question, history, top_k, llm, scope)
        if isinstance(found, Answer):
            yield found.text
            yield found
            return
        intent, hits, snap, answer = found
        retrieved = time.perf_counter()
        if answer.refused:
            yield answer.text
        else:
            async for piece in llm.astream(replace(intent, instructions=instructions), hits, snap, fallback=answer):
                if isinstance(piece, Answer):
                    answer = piece
                else:
                    yield piece
        yield self._verified(answer, started, retrieved)

    def ask_with_hits(
        self, question: str, history: History = None, top_k: int | None = None
    ) -> tuple[Answer, list[Hit]]:
        """The extractive answer as ask() composes it (part by part for a multi-part question), with the passages
        it drew on: evaluation reads its retrieval metrics from the passages the answer used."""
        started = time.perf_counter()
        snap = self.snapshot()
        history_ = usable_history(history)
        intent = read_intent(question, history_, self.lexicon, snap.docs, snap.df)
        answer, hits = self._extractive(intent, snap, top_k, None, history_)
        retrieved = time.perf_counter()
        return self._verified(
            replace(answer, question=question, config_hash=self.config_hash), started, retrieved
        ), hits

    def answer_from_hits(self, question: str, hits: list[Hit], history: History = None) -> Answer:
        """The extractive answer (verified) composed from given passages (for baselines)."""
        started = time.perf_counter()
        snap = self.snapshot()
        intent = read_intent(question, usable_history(history), self.lexicon, snap.docs, snap.df)
        answer = self.extractive.answer(intent, hits, snap)
        return self._verified(replace(answer, config_hash=self.config_hash), started, started)

    def _llm_for(self, mode: str | None) -> LLMAnswerer | None:
        return self.llm if (mode or self.settings.answer_mode) == "llm" else None

    def _answer(
        self,
        question: str,
        history: Sequence[Turn],
        top_k: int | None,
        mode: str | None,
        scope: Scope = NO_SCOPE,
        instructions: str = "",
    ) -> Answer:
        started = time.perf_counter()
        llm = self._llm_for(mode)
        found = self._evidence(question, history, top_k, llm, scope)
        if isinstance(found, Answer):
            return found
        intent, hits, snap, answer = found
        retrieved = time.perf_counter()
        if llm is not None and not answer.refused:
            answer = llm.answer(replace(intent, instructions=instructions), hits, snap, fallback=answer)
        return self._verified(answer, started, retrieved)

    def _evidence(
        self,
        question: str,
        history: Sequence[Turn],
        top_k: int | None,
        llm: LLMAnswerer | None,
        scope: Scope = NO_SCOPE,
    ) -> Answer | tuple[Intent, list[Hit], Snapshot, Answer]:
        """An early answer, or the question's intent, the retrieved passages and the extractive answer.

        With an LLM, a follow-up is first condensed into a standalone question and retrieval uses that.
        A multi-part question is answered part by part (each part reads the ones before it as history).
        """
        snap = self.snapshot()
        early = early_answer(question, snap, scope, self.lexicon, self.settings.max_question_chars)
        if early is not None:
            return early
        question = without_pictographs(question)
        standalone = llm.condense(question, history) if llm is not None and history else None
        intent = read_intent(standalone or question, [] if standalone else history, self.lexicon, snap.docs, snap.df)
        allowed = documents_in_scope(scope, snap.docs.values()) if scope else None
        where = describe_scope(scope, {d.doc_id: d.title for d in snap.docs.values()}) if scope else ""
        answer, hits = self._extractive(intent, snap, top_k, allowed, [] if standalone else history)
        if len(intent.parts) > 1:
            return replace(answer, scope=where)  # answered part by part: final, no LLM pass over the whole
        return intent, hits, snap, replace(answer, question=question, config_hash=self.config_hash, scope=where)

    def _extractive(
        self, intent: Intent, snap: Snapshot, top_k: int | None, allowed: set[str] | None, earlier: Sequence[Turn]
    ) -> tuple[Answer, list[Hit]]:
        """The extractive answer and the passages it drew on: part by part for a multi-part question."""
        if len(intent.parts) > 1:
            return self._answer_parts(intent, snap, top_k, allowed, earlier)
        hits = self.retriever.retrieve(intent, top_k or self.settings.top_k, allowed)
        return self.extractive.answer(intent, hits, snap), hits

    def _answer_parts(
        self, intent: Intent, snap: Snapshot, top_k: int | None, allowed: set[str] | None, earlier: Sequence[Turn]
    ) -> tuple[Answer, list[Hit]]:
        """Each part retrieved and answered on its own, composed in order; a part without support is named.
        Also the passages the parts drew on, interleaved best first (each part's best, then each one's second…)."""
        answers: list[Answer] = []
        used: list[list[Hit]] = []
        parts = intent.parts[:MAX_PARTS]
        answerer = ExtractiveAnswerer(part_budget(self.settings.answer, len(parts)), self.settings.refusal)
        places: tuple[str, ...] = ()
        for i, part in enumerate(parts):
            # The first part reads the conversation; a later one reads the part before it only when it leans on it
            # ("B呢？"): one with its own subject stands alone.
            history: list[Turn] = (
                list(earlier)
                if i == 0
                else [{"role": "user", "content": parts[i - 1]}]
                if leans_on_previous(part)
                else []
            )
            part_intent = read_intent(part, history, self.lexicon, snap.docs, snap.df)
            if i and not history and not part_intent.constraints.places and places:
                # A part with a subject of its own but no place ("某市研发投入几何？专利授权了几件？") is still
                # about the place the part before named.
                scoped = replace(part_intent.constraints, places=places)
                part_intent = replace(part_intent, constraints=scoped)
            places = part_intent.constraints.places
            hits = self.retriever.retrieve(part_intent, top_k or self.settings.top_k, allowed)
            answers.append(check_answer(answerer.answer(part_intent, hits, snap)))
            used.append(hits)
        interleaved = [group[i] for i in range(max(map(len, used), default=0)) for group in used if i < len(group)]
        unique = list({h.chunk.chunk_id: h for h in interleaved}.values())
        return replace(join_parts(intent.question, answers, intent.english), config_hash=self.config_hash), unique

    @staticmethod
    def _verified(answer: Answer, started: float, retrieved: float) -> Answer:
        """The answer checked by verify (whichever answerer wrote it), with its timings."""
        answer = check_answer(answer)
        done = time.perf_counter()
        timings = {
            "retrieve_ms": round((retrieved - started) * 1000, 2),
            "answer_ms": round((done - retrieved) * 1000, 2),
            "total_ms": round((done - started) * 1000, 2),
        }
        return replace(answer, timings=timings)

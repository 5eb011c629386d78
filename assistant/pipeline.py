"""Assistant: wires load → chunk → index → retrieve → answer; builds real components in from_settings()."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import tempfile
import threading
import time
import unicodedata
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant.answer.compose import compose_answer
from assistant.answer.llm import LLMAnswerer
from assistant.answer.parts import MAX_PARTS, join_parts
from assistant.answer.verify import check_answer
from assistant.ingest.chunk import split_document
from assistant.ingest.embed import CachedEmbedder, embedder_from_settings
from assistant.ingest.load import DocumentError, is_ignored, load_corpus, load_file, text_key
from assistant.ingest.readers import SUPPORTED_SUFFIXES
from assistant.ingest.repair import open_index, repair_index_files
from assistant.ingest.store import Index, IngestReport, Snapshot, indexed_text
from assistant.lang.lexicon import Lexicon, is_english, load_lexicon
from assistant.query.intent import read_intent
from assistant.query.smalltalk import small_talk
from assistant.retrieve import Retriever
from assistant.retrieve.scope import describe_scope, documents_in_scope, scope_from_filters
from assistant.settings import Settings, configure_offline
from assistant.types import Answer, Document, Hit, Intent, Scope

NO_SCOPE = Scope()
Filters = Scope | dict[str, Any] | None  # a Scope, or {"city": …, "issuer": …, "kind": …, "date_from": …, …}

ProgressCallback = Callable[[int, int, str], None]  # (done, total, what)
# Emoji and pictographs, dingbats, the emoji variation selector and tag characters: no meaning for search.
_PICTOGRAPHS = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\U000e0020-\U000e007f]")


@dataclass(frozen=True)
class DocumentInfo:
    """A document as listed to users: its metadata and how many chunks it has."""

    document: Document
    chunks: int


def safe_file_name(name: str) -> str:
    """A plain file name from an uploaded name: no folders, no `..`, no control or shell characters."""
    base = Path(str(name).replace("\\", "/")).name
    base = re.sub(r"[\x00-\x1f/:*?\"<>|]+", "_", base).strip(" .")
    if not base or base.startswith(".") or base.lower() in ("manifest.toml", "glossary.toml"):
        raise DocumentError(name or "(unnamed)", "not an acceptable file name")
    return base[:150]


def _invalid_question(question: str, limit: int) -> str:
    """Why a question cannot be searched, or "" when it can."""
    if not isinstance(question, str) or not question.strip():
        return "问题为空，请输入一个问题。 / The question is empty."
    if len(question) > limit:
        return f"问题过长（{len(question)} 字符，上限 {limit}），请缩短后再问。 / The question is too long ({len(question)} characters; the limit is {limit})."
    if not any(unicodedata.category(ch)[0] in "LN" for ch in question):
        return "问题中没有文字，请换一种问法。 / The question has no words in it."
    return ""


def usable_history(history: Any) -> list[dict]:
    """The chat turns that can be read: dicts with a string role and text content; anything else is dropped."""
    if not isinstance(history, list | tuple):
        return []
    turns = []
    for turn in history:
        if not isinstance(turn, dict) or not isinstance(turn.get("role"), str):
            continue
        content = turn.get("content")
        if isinstance(content, list):  # multimodal parts: keep their text
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        if isinstance(content, str):
            turns.append({**turn, "content": content})
    return turns


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
        self._snapshot: Snapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._checked = 0.0  # when the store's generation was last compared with the snapshot's
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
        """The current consistent view of the index; reloaded when any process over the index has ingested.

        The store's generation number is read at most every `reload_check_s` seconds (one SQLite row).
        """
        with self._snapshot_lock:
            now = time.monotonic()
            if self._snapshot is None or (
                now - self._checked >= self.settings.reload_check_s
                and self.index.generation != self._snapshot.generation
            ):
                self._snapshot = self.index.snapshot()
            if now - self._checked >= self.settings.reload_check_s:
                self._checked = now
            return self._snapshot

    def ingest(self, progress: bool | ProgressCallback = False) -> IngestReport:
        """Index new and changed files, drop removed ones; a file with its indexed size and mtime is not even read."""
        started, started_ns = time.perf_counter(), time.time_ns()
        stamps = self.index.current_files(damaged=self.index.missing_vectors()[0])
        documents, errors = load_corpus(
            self.settings.corpus_dir, self.settings.max_file_bytes, prefer=self.index.store.hashes(), known=stamps
        )
        with self.index.ingest_lock():
            todo, removed, unchanged = self.index.plan(documents)
            current = set(unchanged)  # read again (touched, copied) but the same: remember the new size and mtime
            self.index.store.restamp(
                {d.doc_id: _file_stamp(d, started_ns) for d in documents if d.text and d.doc_id in current}
            )
            known = set(self.index.store.hashes())
            chunked = [(doc, split_document(doc, self.settings.chunk_max_tokens)) for doc in todo]
            total = self.embedder.count_missing([indexed_text(doc, c) for doc, chunks in chunked for c in chunks])
            report_progress = _progress_reporter(progress, total)
            embedded = 0
            for doc, chunks in chunked:
                embedded += self.index.write_document(
                    doc, chunks, report_progress, _file_stamp(doc, started_ns), doc.doc_id in known
                )
            for doc_id in removed:
                self.index.remove_document(doc_id)
            self.index.publish(changed=bool(todo or removed))
        with self._snapshot_lock:
            self._snapshot = self.index.snapshot()
        return IngestReport(
            added=[d.doc_id for d in todo if d.doc_id not in known],
            updated=[d.doc_id for d in todo if d.doc_id in known],
            removed=removed,
            unchanged=unchanged,
            errors=[str(e) for e in errors],
            chunks_embedded=embedded,
            seconds=round(time.perf_counter() - started, 3),
        )

    def add_file(self, name: str, data: bytes, progress: bool | ProgressCallback = False) -> IngestReport:
        """Save an uploaded file into the corpus and ingest it; a bad file raises DocumentError naming it.

        The file is checked before it is written, so a rejected upload changes nothing.
        """
        safe = safe_file_name(name)
        if Path(safe).suffix.lower() not in SUPPORTED_SUFFIXES or is_ignored(Path(safe)):
            raise DocumentError(safe, f"not a document file (one of {', '.join(SUPPORTED_SUFFIXES)}; not README*)")
        if len(data) > self.settings.max_file_bytes:
            raise DocumentError(safe, f"file too large ({len(data)} bytes > {self.settings.max_file_bytes})")
        corpus = self.settings.corpus_dir
        corpus.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=corpus.parent) as scratch:
            probe = Path(scratch) / safe
            probe.write_bytes(data)
            document = load_file(probe)  # raises DocumentError with the reason
            other = self.snapshot().docs.get(self.index.store.doc_with_text_key(text_key(document.text)) or "")
            if other is not None and other.doc_id != document.doc_id:
                raise DocumentError(safe, f"same text as {Path(other.source_path).name}, already indexed")
            os.replace(probe, corpus / safe)
        report = self.ingest(progress)
        mine = [e for e in report.errors if e.startswith(f"{safe}: ")]
        if mine:
            raise DocumentError(safe, mine[0].split(": ", 1)[-1])
        return report

    def delete_document(self, doc_id: str) -> IngestReport:
        """Remove a document's file from the corpus and its chunks from the index."""
        snap = self.snapshot()
        doc = snap.docs.get(doc_id)
        if doc is None:
            raise KeyError(f"no document {doc_id!r}")
        path = Path(doc.source_path)
        corpus = self.settings.corpus_dir.resolve()
        if path.resolve().parent != corpus and corpus not in path.resolve().parents:
            raise DocumentError(path, "is outside the corpus folder; not deleted")
        path.unlink(missing_ok=True)
        return self.ingest()

    def reindex_document(self, doc_id: str) -> IngestReport:
        """Read, chunk and index one document's file again (embeddings come from the cache when unchanged)."""
        if doc_id not in self.snapshot().docs:
            raise KeyError(f"no document {doc_id!r}")
        with self.index.ingest_lock():
            self.index.remove_document(doc_id)
        return self.ingest()

    def document(self, doc_id: str) -> Document | None:
        """A document with its full cleaned text (for a viewer), or None."""
        snap = self.snapshot()
        doc = snap.docs.get(doc_id)
        return replace(doc, text=snap.document_text(doc_id)) if doc else None

    def documents(self) -> list[DocumentInfo]:
        """The indexed documents with their chunk counts."""
        snap = self.snapshot()
        counts = self.index.store.chunk_counts()
        return [DocumentInfo(d, counts.get(d.doc_id, 0)) for d in sorted(snap.docs.values(), key=lambda d: d.doc_id)]

    def retrieve(self, question: str, history: Sequence[dict] | None = None, top_k: int | None = None) -> list[Hit]:
        """The passages a question retrieves, best first (before any answering)."""
        intent = read_intent(question, usable_history(history), self.lexicon, self.snapshot().docs)
        return self.retriever.retrieve(intent, top_k or self.settings.top_k)

    async def aask(
        self,
        question: str,
        history: Sequence[dict] | None = None,
        *,
        top_k: int | None = None,
        mode: str | None = None,
        filters: Filters = None,
    ) -> Answer:
        """Answer a question (async core), from the documents inside `filters` only when given."""
        scope = scope_from_filters(filters)
        return await asyncio.to_thread(self._answer, question, usable_history(history), top_k, mode, scope)

    def ask(
        self,
        question: str,
        history: Sequence[dict] | None = None,
        *,
        top_k: int | None = None,
        mode: str | None = None,
        filters: Filters = None,
    ) -> Answer:
        """Answer a question (sync wrapper around aask)."""
        coroutine = self.aask(question, history, top_k=top_k, mode=mode, filters=filters)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coroutine)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    async def astream(
        self,
        question: str,
        history: Sequence[dict] | None = None,
        *,
        top_k: int | None = None,
        mode: str | None = None,
        filters: Filters = None,
    ) -> AsyncIterator[str | Answer]:
        """Answer a question as it is written: text pieces, then the final Answer.

        The final Answer is verified and may differ from the streamed text (sentences dropped, or an
        extractive fallback): show its text once it arrives.
        """
        history = usable_history(history)
        scope = scope_from_filters(filters)
        llm = self._llm_for(mode)
        if llm is None:
            answer = await self.aask(question, history, top_k=top_k, mode=mode, filters=scope)
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
            async for piece in llm.astream(intent.query, hits, snap, fallback=answer):
                if isinstance(piece, Answer):
                    answer = piece
                else:
                    yield piece
        yield self._verified(answer, started, retrieved)

    def answer_from_hits(self, question: str, hits: list[Hit], history: Sequence[dict] | None = None) -> Answer:
        """The extractive answer (verified) composed from given passages (for baselines)."""
        started = time.perf_counter()
        snap = self.snapshot()
        intent = read_intent(question, usable_history(history), self.lexicon, snap.docs)
        answer = compose_answer(intent, hits, snap, self.settings.answer, self.settings.refusal)
        return self._verified(replace(answer, config_hash=self.config_hash), started, started)

    def _llm_for(self, mode: str | None) -> LLMAnswerer | None:
        return self.llm if (mode or self.settings.answer_mode) == "llm" else None

    def _answer(
        self, question: str, history: list[dict], top_k: int | None, mode: str | None, scope: Scope = NO_SCOPE
    ) -> Answer:
        started = time.perf_counter()
        llm = self._llm_for(mode)
        found = self._evidence(question, history, top_k, llm, scope)
        if isinstance(found, Answer):
            return found
        intent, hits, snap, answer = found
        retrieved = time.perf_counter()
        if llm is not None and not answer.refused:
            answer = llm.answer(intent.query, hits, snap, fallback=answer)
        return self._verified(answer, started, retrieved)

    def _early_answer(self, question: str, snap: Snapshot, scope: Scope) -> Answer | None:
        """The answer to a question that is not searched (invalid, small talk, an empty scope, nothing indexed)."""
        english = isinstance(question, str) and is_english(question)
        problem = _invalid_question(question, self.settings.max_question_chars)
        if problem:
            return Answer(
                question=str(question)[:200], text=problem, citations=[], refused=True, refusal_kind="invalid_question"
            )
        talk = small_talk(question, snap, self.lexicon)  # a greeting, a request for help, or no words it knows
        if talk is not None:
            return talk
        if scope and not documents_in_scope(scope, snap.docs.values()) and snap.chunks:
            where = describe_scope(scope, {d.doc_id: d.title for d in snap.docs.values()})
            text = (
                f"文档库中没有符合筛选条件（{where}）的文档，请放宽筛选。 / No document matches the filter ({where})."
            )
            return Answer(
                question=question, text=text, citations=[], refused=True, refusal_kind="empty_scope", scope=where
            )
        if not snap.chunks:
            text = (
                "The index is empty: run `python -m assistant ingest` (or `make run`) first."
                if english
                else "索引为空：请先运行 `python -m assistant ingest`（或 `make run`）建立索引。"
            )
            return Answer(question=question, text=text, citations=[], refused=True, refusal_kind="no_index")
        return None

    def _evidence(
        self, question: str, history: list[dict], top_k: int | None, llm: LLMAnswerer | None, scope: Scope = NO_SCOPE
    ) -> Answer | tuple[Intent, list[Hit], Snapshot, Answer]:
        """An early answer, or the question's intent, the retrieved passages and the extractive answer.

        With an LLM, a follow-up is first condensed into a standalone question and retrieval uses that.
        A multi-part question is answered part by part (each part reads the ones before it as history).
        """
        snap = self.snapshot()
        early = self._early_answer(question, snap, scope)
        if early is not None:
            return early
        question = _PICTOGRAPHS.sub("", question)  # "补贴？😀" retrieves and answers like "补贴？"
        standalone = llm.condense(question, history) if llm is not None and history else None
        intent = read_intent(standalone or question, [] if standalone else history, self.lexicon, snap.docs)
        allowed = documents_in_scope(scope, snap.docs.values()) if scope else None
        where = describe_scope(scope, {d.doc_id: d.title for d in snap.docs.values()}) if scope else ""
        if len(intent.parts) > 1:
            return replace(self._answer_parts(intent, snap, top_k, allowed), scope=where)
        hits = self.retriever.retrieve(intent, top_k or self.settings.top_k, allowed)
        answer = compose_answer(intent, hits, snap, self.settings.answer, self.settings.refusal)
        return intent, hits, snap, replace(answer, question=question, config_hash=self.config_hash, scope=where)

    def _answer_parts(self, intent: Intent, snap: Snapshot, top_k: int | None, allowed: set[str] | None) -> Answer:
        """Each part retrieved and answered on its own, composed in order; a part without support is named."""
        answers, history = [], []
        parts = intent.parts[:MAX_PARTS]
        # The parts share one answer's budget: a short answer each.
        budget = self.settings.answer.model_copy(
            update={
                "max_sentences": max(1, self.settings.answer.max_sentences // len(parts)),
                "max_chars": max(self.settings.answer.max_sentence_chars, self.settings.answer.max_chars // len(parts)),
            }
        )
        for part in parts:
            part_intent = read_intent(part, history, self.lexicon, snap.docs)
            hits = self.retriever.retrieve(part_intent, top_k or self.settings.top_k, allowed)
            answer = compose_answer(part_intent, hits, snap, budget, self.settings.refusal)
            answers.append(check_answer(answer))
            history = [{"role": "user", "content": part}]
        return replace(join_parts(intent.question, answers, intent.english), config_hash=self.config_hash)

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


def _file_stamp(doc: Document, loaded_ns: int) -> tuple[int, int]:
    """(size, mtime_ns) of a document's file; (-1, -1), which never matches, if it is gone or changed after loading."""
    try:
        stat = Path(doc.source_path).stat()
    except OSError:
        return (-1, -1)
    return (-1, -1) if stat.st_mtime_ns >= loaded_ns else (stat.st_size, stat.st_mtime_ns)


def _progress_reporter(progress: bool | ProgressCallback, total: int) -> Callable[[int], None]:
    """Turn the `progress` argument into a per-batch callback (tqdm bar, user callback, or nothing)."""
    if callable(progress):
        done = [0]

        def call(n: int) -> None:
            done[0] += n
            progress(done[0], total, "embedding")

        return call
    if progress and total:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="embedding passages", unit="passage")
        return bar.update
    return lambda n: None

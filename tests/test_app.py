"""app.py helpers that need no browser: how answers stream, and what a missing report shows."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import app
from assistant.types import Answer
from assistant.ui.report_view import load_report

FINAL = Answer(question="q", text="甲：“一。”[1]\n乙：“二。”[1]", citations=[], refused=False)


class AskOnly:
    """An assistant without astream: answers in one piece."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.calls: list[dict] = []

    async def aask(self, question, history=None, **options):
        self.calls.append(options)
        return self.answer


class Streaming(AskOnly):
    """An assistant with astream, yielding the given chunks and then the Answer."""

    def __init__(self, answer: Answer, chunks: list[str]) -> None:
        super().__init__(answer)
        self.chunks = chunks

    async def astream(self, question, history=None, **options):
        self.calls.append(options)
        for chunk in self.chunks:
            yield chunk
        yield self.answer


async def collect(assistant) -> list:
    return [item async for item in app.answer_stream(assistant, "q", [], top_k=3, mode="extractive")]


async def test_answer_stream_uses_astream_when_the_assistant_has_it():
    fake = Streaming(FINAL, ["甲", "甲：“一", "甲：“一。”"])
    items = await collect(fake)
    assert items == ["甲", "甲：“一", "甲：“一。”", FINAL]
    assert fake.calls == [{"top_k": 3, "mode": "extractive"}]


async def test_answer_stream_accumulates_delta_chunks():
    items = await collect(Streaming(FINAL, ["Hello", " world"]))
    assert items[:2] == ["Hello", "Hello world"]


async def test_answer_stream_without_astream_yields_growing_prefixes_then_answer(monkeypatch):
    monkeypatch.setattr(app, "STREAM_DELAY", 0)
    items = await collect(AskOnly(FINAL))
    partials, final = items[:-1], items[-1]
    assert final is FINAL
    assert partials and all(FINAL.text.startswith(p) for p in partials)
    assert [len(p) for p in partials] == sorted(len(p) for p in partials)


async def test_answer_stream_yields_refusal_at_once():
    refusal = Answer(question="q", text="文档中没有找到。", citations=[], refused=True, refusal_kind="not_covered")
    assert await collect(AskOnly(refusal)) == [refusal]


def test_missing_report_says_how_to_make_one(tmp_path: Path):
    summary, charts, report = load_report(tmp_path)
    assert summary == charts == "" and "make eval" in report


class NoAdding:
    """An assistant whose add_file must not be reached."""

    settings = SimpleNamespace(max_file_bytes=16)

    def add_file(self, *args, **kwargs):
        raise AssertionError("the file should have been rejected before add_file")


def test_upload_of_unsupported_type_is_rejected_naming_the_file(tmp_path: Path):
    path = tmp_path / "photo.png"
    path.write_bytes(b"\x89PNG")
    ok, message = app.add_one(NoAdding(), path, progress=None)
    assert not ok and "photo.png" in message and "unsupported" in message


def test_upload_larger_than_the_limit_is_rejected_before_reading(tmp_path: Path):
    path = tmp_path / "huge.txt"
    path.write_text("很长" * 100, encoding="utf-8")
    ok, message = app.add_one(NoAdding(), path, progress=None)
    assert not ok and "huge.txt" in message and "too large" in message

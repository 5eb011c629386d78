"""Shared fixtures: the full-corpus assistant is built once per session, in a temporary folder."""

from __future__ import annotations

from assistant.settings import configure_offline

configure_offline()  # before any library reads the environment

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from assistant import Assistant, Settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
# The seed documents, by file name in CORPUS.
REPLY_2023 = "quanzhou-2023-63-reply-pilot-bases.txt"
REPLY_2025 = "quanzhou-2025-81-reply-sti-industry-fusion.txt"
REPLY_2026 = "quanzhou-2026-108-reply-tech-transfer.txt"
PLAN = "quanzhou-14th-five-year-sti-plan.txt"
NEWS = "xiamen-2026-tech-transfer-measures-news.txt"

# Hypothesis writes its caches (some while collecting) under the working directory: keep them out of the repo.
set_hypothesis_home_dir(
    os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY") or Path(tempfile.gettempdir()) / "policyqa-hypothesis"
)


@pytest.fixture(scope="session")
def embedding_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Embeddings by text hash, kept in pytest's cache folder so reruns embed only changed passages."""
    cache = getattr(request.config, "cache", None)  # None under `-p no:cacheprovider`
    folder = Path(cache.mkdir("policyqa")) if cache is not None else tmp_path_factory.mktemp("embeddings")
    return folder / "embeddings.sqlite"


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory: pytest.TempPathFactory, embedding_cache: Path) -> Settings:
    """Settings over a copy of the real corpus, with the index in a session temp folder."""
    root = tmp_path_factory.mktemp("corpus-index")
    corpus = root / "corpus"
    shutil.copytree(CORPUS, corpus)
    return Settings(
        corpus_dir=corpus, index_dir=root / "index", collection="policyqa_test", embed_cache=embedding_cache
    )


@pytest.fixture(scope="session")
def assistant(corpus_settings: Settings) -> Assistant:
    """An assistant over the full corpus, ingested once per session."""
    built = Assistant.from_settings(corpus_settings)
    built.ingest()
    return built


def make_settings(tmp_path: Path, **overrides) -> Settings:
    """Settings for a small throwaway corpus under tmp_path."""
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    shutil.copy(CORPUS / "glossary.toml", corpus / "glossary.toml")
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index", **overrides)


def assistant_over(root: Path, files: dict[str, str], glossary: bool = True, **overrides) -> Assistant:
    """An ingested assistant over a throwaway corpus of `files` (name → text) under root; without the seed
    glossary when `glossary` is False (a corpus nobody wrote one for)."""
    settings = make_settings(root, **overrides)
    if not glossary:
        (settings.corpus_dir / "glossary.toml").unlink()
    for name, text in files.items():
        (settings.corpus_dir / name).write_text(text, encoding="utf-8")
    built = Assistant.from_settings(settings)
    built.ingest()
    return built


FULL_CORPUS_FIXTURES = {"assistant", "corpus_settings"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that builds or uses the full-corpus index is `slow`, so `make test-fast` leaves it out."""
    for item in items:
        if FULL_CORPUS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """A headless Debian chromium for one test module (browser_support.chromium)."""
    from browser_support import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def full_url(assistant: Assistant) -> Iterator[str]:
    """The app over the full corpus (the session index; read only), mounted in the HTTP API as in production."""
    from browser_support import serve_app

    with serve_app(assistant, mounted=True) as url:
        yield url

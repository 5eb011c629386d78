"""Files → Document: read any supported format, clean it, attach metadata (text and manifest)."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.ingest.clean import clean_text
from assistant.ingest.metadata import FIELDS, extract_metadata, find_aliases
from assistant.ingest.readers import SUPPORTED_SUFFIXES, UnreadableError, read_text
from assistant.types import Document

if TYPE_CHECKING:
    from assistant.ingest.chunkstore import FileStamp  # chunkstore imports this module

MANIFEST = "manifest.toml"
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_.\-\u4e00-\u9fff]+")


@dataclass(frozen=True)
class LoadError:
    """A file that was not loaded (or was skipped), and why; loading goes on without it."""

    path: str
    message: str

    def __str__(self) -> str:
        """The path from the corpus folder and the reason, once: "sub/a.txt: binary file, not text"."""
        reason = self.message.removeprefix(f"{Path(self.path).name}: ")
        return f"{self.path}: {reason}"


class DocumentError(Exception):
    """A file that cannot become a Document; the message starts with the file's name."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.name = Path(path).name or str(path)  # "/" has no name: show it as given
        self.reason = reason
        super().__init__(f"{self.name}: {reason}")


def load_corpus(
    corpus_dir: Path, max_file_bytes: int, prefer: Collection[str] = (), known: Mapping[str, FileStamp] | None = None
) -> tuple[list[Document], list[LoadError]]:
    """Every document in `corpus_dir` (recursively), and what was skipped or failed, file by file.

    Files with the same text are one document: the others are reported as copies and skipped. The copy
    kept is one whose doc_id is in `prefer` (already indexed), else the first by path. A file in `known`
    (path → FileStamp) with the same size and mtime is not read: its stored Document (text "") stands in.
    """
    known = known or {}
    keys: dict[str, str] = {}
    corpus_dir = Path(corpus_dir)
    manifest, errors = read_manifest(corpus_dir / MANIFEST)
    documents: list[Document] = []
    seen_ids: dict[str, str] = {}
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(corpus_dir).as_posix()
        if is_ignored(path.relative_to(corpus_dir)):
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            errors.append(LoadError(relative, f"{path.name}: skipped, unsupported file type '{path.suffix}'"))
            continue
        stat = path.stat()
        size = stat.st_size
        stamp = known.get(str(path))
        if size > max_file_bytes:
            errors.append(LoadError(relative, f"{path.name}: file too large ({size} bytes > {max_file_bytes})"))
            continue
        if stamp is not None and (stamp.size, stamp.mtime_ns) == (size, stat.st_mtime_ns):
            document = stamp.document  # unchanged since it was indexed: not read, not hashed
            keys[document.doc_id] = stamp.text_key
        else:
            try:
                document = load_file(path, manifest.get(relative) or manifest.get(path.name))
            except DocumentError as exc:
                errors.append(LoadError(relative, str(exc)))
                continue
            except Exception as exc:  # a reader bug on one file must not stop the others
                errors.append(LoadError(relative, f"{path.name}: unexpected error ({type(exc).__name__}: {exc})"))
                continue
        if document.doc_id in seen_ids:
            message = f"{path.name}: skipped, doc_id '{document.doc_id}' already used by {seen_ids[document.doc_id]}"
            errors.append(LoadError(relative, message))
            continue
        seen_ids[document.doc_id] = relative
        documents.append(document)
    documents, copies = drop_copies(documents, seen_ids, prefer, keys)
    return documents, errors + copies


def drop_copies(
    documents: list[Document],
    relative: dict[str, str],
    prefer: Collection[str] = (),
    keys: Mapping[str, str] | None = None,
) -> tuple[list[Document], list[LoadError]]:
    """One document per distinct cleaned text; each copy is reported naming the file it duplicates.

    `relative` maps each doc_id to its file's path in the corpus folder; `keys` gives the text keys of
    documents whose text was not read.
    """
    groups: dict[str, list[Document]] = {}
    for document in documents:
        groups.setdefault((keys or {}).get(document.doc_id) or text_key(document.text), []).append(document)
    kept: list[Document] = []
    errors: list[LoadError] = []
    for group in groups.values():
        keeper = next((d for d in group if d.doc_id in prefer), group[0])
        kept.append(keeper)
        for copy in group:
            if copy is not keeper:
                where = relative[copy.doc_id]
                message = f"{Path(where).name}: skipped, same text as {relative[keeper.doc_id]}"
                errors.append(LoadError(where, message))
    order = {d.doc_id: n for n, d in enumerate(documents)}
    return sorted(kept, key=lambda d: order[d.doc_id]), sorted(errors, key=lambda e: e.path)


def text_key(text: str) -> str:
    """What makes two documents copies of each other: their cleaned text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_ignored(relative: Path) -> bool:
    # Hidden files, READMEs and the corpus's own TOML configuration (manifest, glossary) are not documents.
    name = relative.name
    return (
        any(part.startswith(".") for part in relative.parts)
        or name.upper().startswith("README")
        or name.lower().endswith(".toml")
    )


def read_manifest(path: Path) -> tuple[dict[str, dict[str, Any]], list[LoadError]]:
    """Manifest entries by file name; a broken manifest is reported and loading goes on without it."""
    if not path.is_file():
        return {}, []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return {}, [LoadError(path.name, f"{path.name}: invalid manifest, ignored ({exc})")]
    entries: dict[str, dict[str, Any]] = {}
    errors: list[LoadError] = []
    for name, entry in data.items():
        if isinstance(entry, dict):
            entries[name] = entry
        else:
            errors.append(LoadError(path.name, f"{path.name}: entry '{name}' is not a table, ignored"))
    return entries, errors


def load_file(path: Path, manifest_entry: dict[str, Any] | None = None) -> Document:
    """One file → a cleaned Document; raises DocumentError (naming the file) for a bad file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(path, f"cannot read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise DocumentError(path, "empty file (no text)")
    try:
        raw_text = read_text(data, path.suffix.lower())
    except UnreadableError as exc:
        raise DocumentError(path, str(exc)) from exc
    if not raw_text.strip():
        raise DocumentError(path, "empty file (whitespace only)")
    text = clean_text(raw_text)
    if not text.strip():
        raise DocumentError(path, "no text left after removing web-page boilerplate")
    doc_id = make_doc_id(path, data)
    fields = extract_metadata(text)
    fields.update(_manifest_fields(manifest_entry))
    return Document(
        doc_id=doc_id,
        text=text,
        title=fields["title"] or doc_id,
        source_path=str(path),
        content_hash=_content_hash(data, manifest_entry),
        issuer=fields["issuer"],
        doc_number=fields["doc_number"],
        date=fields["date"],
        city=fields["city"],
        kind=fields["kind"],
        addressee=fields["addressee"],
        aliases=find_aliases(text),
    )


def _content_hash(data: bytes, manifest_entry: dict[str, Any] | None) -> str:
    """The file's bytes and its manifest entry: editing either re-indexes the document."""
    fields = _manifest_fields(manifest_entry)
    extra = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode() if fields else b""
    return hashlib.sha256(data + extra).hexdigest()


def manifest_digest(corpus_dir: Path) -> int:
    """A digest of the corpus's manifest.toml (0 when there is none), to notice an edit to it."""
    path = Path(corpus_dir) / MANIFEST
    return int(hashlib.sha256(path.read_bytes()).hexdigest()[:12], 16) if path.is_file() else 0


def make_doc_id(path: Path, data: bytes) -> str:
    """The file stem, reduced to characters safe in ids, URLs and chunk ids (no '#')."""
    stem = _UNSAFE_ID_CHARS.sub("_", path.stem).strip("._-")
    return stem or f"doc-{hashlib.sha256(data).hexdigest()[:12]}"


def _manifest_fields(entry: dict[str, Any] | None) -> dict[str, str]:
    """The manifest's non-empty values for known fields; they override what the text said."""
    fields: dict[str, str] = {}
    for key, value in (entry or {}).items():
        if key not in FIELDS or value in (None, ""):
            continue
        fields[key] = value.isoformat()[:10] if isinstance(value, date | datetime) else str(value).strip()
    return fields

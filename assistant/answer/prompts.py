"""Prompt templates in prompts/*.md with $variables; rendering fails on a missing or an unexpected variable."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"


class PromptError(ValueError):
    """A template that cannot be rendered with the values given (or cannot be read)."""


@dataclass(frozen=True)
class Prompt:
    """One template: its name (file stem), source text and the $variables it uses."""

    name: str
    source: str

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(Template(self.source).get_identifiers())

    def render(self, **values: str) -> str:
        """The template with every variable substituted; a missing or extra value raises PromptError."""
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            raise PromptError(
                f"prompt {self.name!r}: missing {sorted(missing) or '-'}, unexpected {sorted(extra) or '-'}"
            )
        return Template(self.source).substitute(values)


def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> Prompt:
    """prompts/{name}.md, checked to be a valid template."""
    path = Path(directory) / f"{name}.md"
    try:
        source = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise PromptError(f"cannot read prompt {path}: {exc}") from exc
    if not Template(source).is_valid():
        raise PromptError(f"prompt {path} has a malformed $placeholder (write $$ for a literal $)")
    return Prompt(name, source)


def prompt_hash(prompts: Iterable[Prompt]) -> str:
    """sha256 of the templates' sources (not of the rendered text): which prompt version answered."""
    digest = hashlib.sha256()
    for prompt in sorted(prompts, key=lambda p: p.name):
        digest.update(f"{prompt.name}\n{prompt.source}\n\0".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class PromptSet:
    """The prompts the LLM answerer uses, loaded together so one hash names them."""

    system: Prompt
    answer: Prompt
    condense: Prompt
    refusal: Prompt
    instructions: Prompt  # a caller's own system message, added under the rules (LLM mode)

    @classmethod
    def load(cls, directory: Path = PROMPTS_DIR) -> PromptSet:
        names = ("system", "answer", "condense", "refusal", "instructions")
        return cls(*(load_prompt(name, directory) for name in names))

    @property
    def hash(self) -> str:
        return prompt_hash((self.system, self.answer, self.condense, self.refusal, self.instructions))

    @property
    def refusal_phrase(self) -> str:
        return self.refusal.render()

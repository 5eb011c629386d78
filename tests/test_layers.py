"""Layer contract: each folder of assistant/ imports only from the layers below it (checked with ast)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "assistant"
# Lowest first. A module may import from its own layer and any layer listed before it.
LAYERS = [
    ("base", ["assistant.types", "assistant.settings"]),
    ("lang", ["assistant.lang"]),
    ("ingest", ["assistant.ingest"]),
    ("query", ["assistant.query"]),
    ("retrieve", ["assistant.retrieve"]),
    ("answer", ["assistant.answer"]),
    ("pipeline", ["assistant.pipeline", "assistant.library", "assistant.question"]),
    ("surfaces", ["assistant.http", "assistant.ui", "assistant.__main__"]),
]


def layer_of(module: str) -> int | None:
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[str]:
    """Every assistant.* module a file imports, at any depth of the file (lazy imports count too)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return [m for m in found if m.startswith("assistant.")]


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if module_name(p) != "assistant")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_imports_only_from_layers_below(path):
    own = layer_of(module_name(path))
    assert own is not None, f"{module_name(path)} belongs to no layer: add it to LAYERS"
    upward = [m for m in imports_of(path) if (layer_of(m) or 0) > own]
    assert upward == [], f"{module_name(path)} imports from a higher layer: {upward}"


def test_every_layer_has_modules():
    ranks = {layer_of(module_name(p)) for p in MODULES}
    assert ranks == set(range(len(LAYERS)))


def test_an_upward_import_is_caught(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from assistant.pipeline import Assistant\n", encoding="utf-8")
    assert [m for m in imports_of(bad) if (layer_of(m) or 0) > layer_of("assistant.ingest.load")]

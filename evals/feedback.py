"""`python -m evals.feedback export`: thumbs-down answers from the UI as candidate gold items for a person to review.

Each line has the gold set's fields (question, history, evidence from the answer's citations), plus what the
assistant answered and the user's comment; `reference`, `key_facts` and `answerable` are left for the reviewer.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.settings import Settings
from assistant.ui.feedback import FILE_NAME, FeedbackStore


def candidate_item(row: dict[str, Any]) -> dict[str, Any]:
    """A thumbs-down feedback row as a gold-set candidate (needs review before it joins evals/gold.jsonl)."""
    return {
        "id": f"feedback-{row['id']:04d}",
        "category": "feedback",
        "question": row["question"],
        "history": row["history"],
        "reference": "",  # to be written by the reviewer
        "key_facts": [],
        "evidence": [{"doc_id": c["doc_id"], "quote": c["quote"]} for c in row["citations"]],
        "answerable": None,
        "review": {
            "answer": row["answer"],
            "refused": bool(row["refused"]),
            "citations": row["citations"],
            "comment": row["comment"],
        },
    }


def export(store: FeedbackStore, out: Path | None) -> int:
    """Write the thumbs-down rows as JSON lines to `out` (stdout when None); how many were written."""
    lines = [json.dumps(candidate_item(r), ensure_ascii=False) for r in store.rows(liked=False)]
    text = "".join(line + "\n" for line in lines)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    return len(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.feedback", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("export", help="write the thumbs-down answers as candidate gold items (JSON lines)")
    cmd.add_argument("--index-dir", type=Path, default=None, help=f"folder holding {FILE_NAME} (default: settings)")
    cmd.add_argument("--out", type=Path, default=None, help="output file (default: stdout)")
    args = parser.parse_args(argv)
    index_dir = args.index_dir or Settings().index_dir
    if not (index_dir / FILE_NAME).is_file():
        print(f"no feedback yet: {index_dir / FILE_NAME} does not exist", file=sys.stderr)
        return 1
    count = export(FeedbackStore.beside_index(index_dir), args.out)
    print(f"{count} thumbs-down answers exported" + (f" to {args.out}" if args.out else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

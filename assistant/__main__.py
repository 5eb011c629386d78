"""CLI: `python -m assistant ingest`, `python -m assistant ask "…" [--json]`, `python -m assistant docs`."""

from __future__ import annotations

from assistant.settings import configure_offline

configure_offline()  # before any library reads the environment

import argparse
import json
import sys
from dataclasses import asdict

from assistant import Answer, Assistant, Settings
from assistant.ingest.store import IndexBusyError, IndexCorruptError


def _print_answer(answer: Answer, as_json: bool) -> None:
    if as_json:
        payload = {
            "question": answer.question,
            "text": answer.text,
            "refused": answer.refused,
            "refusal_kind": answer.refusal_kind,
            "mode": answer.mode,
            "notice": answer.notice,
            "verification": answer.verification,
            "citations": [asdict(c) for c in answer.citations],
            "timings": answer.timings,
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    print(answer.text)
    if answer.notice:
        print(f"\n({answer.notice})")
    for c in answer.citations:
        where = " · ".join(x for x in (c.doc_number or c.title, c.date, c.section) if x)
        print(f"\n[{c.n}] {where}\n    {c.text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("ingest", help="index new and changed files in the corpus folder")
    ask = sub.add_parser("ask", help="answer a question with cited passages")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--top-k", type=int, default=None)
    ask.add_argument("--mode", choices=["extractive", "llm"], default=None)
    sub.add_parser("docs", help="list the indexed documents")
    args = parser.parse_args(argv)

    settings = Settings()
    try:
        assistant = Assistant.from_settings(settings)
        if args.command == "ingest":
            report = assistant.ingest(progress=True)
            for error in report.errors:
                print(f"skipped: {error}", file=sys.stderr)
            print(
                f"ingested {len(report.added)} new, {len(report.updated)} changed, "
                f"{len(report.removed)} removed, {len(report.unchanged)} unchanged; "
                f"{report.chunks_embedded} chunks in {report.seconds:.1f}s"
            )
            return 0
        if args.command == "docs":
            for info in assistant.documents():
                d = info.document
                print(f"{d.doc_id}\t{d.doc_number or '-'}\t{d.date or '-'}\t{info.chunks} chunks\t{d.title}")
            return 0
        answer = assistant.ask(args.question, top_k=args.top_k, mode=args.mode)
        _print_answer(answer, args.json)
        return 2 if answer.refusal_kind in ("no_index", "invalid_question") else 0
    except (IndexBusyError, IndexCorruptError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

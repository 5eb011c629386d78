"""PNG charts of a run (matplotlib, Agg): per-category accuracy, baseline comparison, latency distribution."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager

_CJK_FONTS = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "SimHei")


def _style() -> Any:
    """rc settings: a CJK-capable font when one is installed, else matplotlib's default."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    cjk = [name for name in _CJK_FONTS if name in installed]
    return {"font.sans-serif": [*cjk, "DejaVu Sans"], "axes.unicode_minus": False, "figure.dpi": 110}


def _bar_labels(ax: Any, bars: Any) -> None:
    for bar in bars:
        height = bar.get_height()
        ax.annotate(
            f"{100 * height:.0f}%", (bar.get_x() + bar.get_width() / 2, height), ha="center", va="bottom", fontsize=7
        )


def category_chart(path: Path, by_category: Mapping[str, Mapping[str, Any]]) -> None:
    """Full system: key-fact accuracy per answerable category, refusal recall for unanswerable ones."""
    labels, values = [], []
    for category, summary in by_category.items():
        if summary["answerable"]:
            labels.append(category)
            values.append(summary["key_fact_accuracy"] or 0.0)
        else:
            labels.append(f"{category}\n(refusal recall)")
            values.append(summary["refusal_recall"] or 0.0)
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(9, 4))
        _bar_labels(ax, ax.bar(labels, values, color="#4C72B0"))
        ax.set(ylim=(0, 1.08), ylabel="key-fact accuracy", title="Full system: key-fact accuracy per category")
        ax.tick_params(axis="x", labelsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def baseline_chart(path: Path, overall: Mapping[str, Mapping[str, Any]]) -> None:
    """Systems side by side: evidence recall@5 and key-fact accuracy."""
    names = list(overall)
    metrics = [("recall_at_5", "evidence recall@5"), ("key_fact_accuracy", "key-fact accuracy")]
    width = 0.38
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(8, 4))
        for i, (key, label) in enumerate(metrics):
            xs = [n + (i - 0.5) * width for n in range(len(names))]
            _bar_labels(ax, ax.bar(xs, [overall[name][key] or 0.0 for name in names], width, label=label))
        ax.set_xticks(range(len(names)), names)
        ax.set(ylim=(0, 1.1), title="Baselines in the same run")
        ax.legend(loc="upper right", fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def latency_chart(path: Path, latencies: Mapping[str, Sequence[float]]) -> None:
    """Distribution of per-question answer latency for each system (log-spaced bins)."""
    values = [v for series in latencies.values() for v in series if v > 0]
    if not values:
        return
    low, high = max(min(values), 0.01), max(values)
    edges = [low * (high / low) ** (i / 40) for i in range(41)] if high > low else [low * 0.9, high * 1.1]
    with plt.rc_context(_style()):
        fig, ax = plt.subplots(figsize=(8, 4))
        for name, series in latencies.items():
            ax.hist([max(v, low) for v in series], bins=edges, histtype="step", linewidth=1.6, label=name)
        ax.set_xscale("log")
        ax.set(xlabel="answer latency per question (ms, log scale)", ylabel="questions", title="Latency distribution")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)


def draw_charts(folder: Path, summaries: Mapping[str, Any], latencies: Mapping[str, Sequence[float]]) -> list[str]:
    """All charts of a run into a folder; returns their file names."""
    names = []
    if "full" in summaries:
        category_chart(folder / "category_accuracy.png", summaries["full"]["by_category"])
        names.append("category_accuracy.png")
    baseline_chart(folder / "baselines.png", {name: s["overall"] for name, s in summaries.items()})
    names.append("baselines.png")
    latency_chart(folder / "latency.png", latencies)
    return [*names, "latency.png"] if (folder / "latency.png").exists() else names

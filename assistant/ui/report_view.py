"""The evaluation report in plain words: one headline chart, a sentence per number, when and on what it was
measured; the full report (Markdown and every chart) kept for one click further."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HEADLINE_CHART = "baselines.png"  # the chart that compares this system with the simpler ones
# (metric key, sentence with {v} for the value): what each number means for someone asking questions.
SENTENCES = (
    ("recall_at_5", "在 {v} 的可回答问题中，含有答案的原文段落排在检索结果的前 5 位。"),
    ("key_fact_accuracy", "{v} 的回答包含标准答案中的关键数字或名称。"),
    ("citation_support", "{v} 的引用编号都指向真正写着该句话的原文段落（数字从不改动）。"),
    ("refusal_recall", "文档没有答案的问题中，{v} 被如实回答“文档未涉及”，而不是编造。"),
    ("false_refusal_rate", "文档有答案的问题中，只有 {v} 被误答为“文档未涉及”。"),
)


def strip_report_images(markdown: str) -> str:
    """The report without its local image links (the charts are shown separately)."""
    return re.sub(r"^!\[[^\]]*\]\((?!https?:)[^)]*\)\s*$\n?", "", markdown, flags=re.M)


def charts_html(images: Sequence[tuple[str, str]]) -> str:
    """Report charts (name, base64 PNG) as inline images, so no file needs serving."""
    figures = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{html.escape(name)}</figcaption></figure>"
        for name, data in images
    )
    return f'<div class="pqa-charts">{figures}</div>' if figures else ""


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%".replace(".0%", "%")


def summary_html(report: dict[str, Any], headline: str = "") -> str:
    """The headline in words: when, on what, one chart, and a sentence for each number of the full system."""
    overall = report.get("systems", {}).get("full", {}).get("summary", {}).get("overall", {})
    created = str(report.get("created", "")).replace("T", " ")[:16]
    measured = (
        f"测于 {html.escape(created)}，用 {overall.get('items', report.get('items', '?'))} 道标准问题"
        f"（其中 {overall.get('unanswerable', '?')} 道文档没有答案），题库 <code>{html.escape(str(report.get('gold', '')))}</code>。"
    )
    sentences = "".join(
        f"<li><b>{_percent(overall[key])}</b> · {html.escape(text.format(v=_percent(overall[key])))}</li>"
        for key, text in SENTENCES
        if isinstance(overall.get(key), int | float)
    )
    speed = overall.get("latency_p50_ms")
    if isinstance(speed, int | float):
        sentences += f"<li><b>{speed:.0f} ms</b> · 一半的问题在 {speed:.0f} 毫秒内答完（本机测得）。</li>"
    chart = (
        f'<img class="pqa-headline-chart" alt="{HEADLINE_CHART}" src="data:image/png;base64,{headline}">'
        if headline
        else ""
    )
    return (
        f'<div class="pqa-eval-summary"><div class="pqa-eval-when">{measured}</div>{chart}'
        f'<ul class="pqa-eval-sentences">{sentences}</ul></div>'
    )


def load_report(folder: Path) -> tuple[str, str, str]:
    """(summary in words, every chart as HTML, the report's Markdown without local image links)."""
    path = folder / "report.md"
    if not path.is_file():
        return "", "", "### 还没有评测报告 · No report yet — run `make eval`."
    images = [(p.name, base64.b64encode(p.read_bytes()).decode()) for p in sorted(folder.glob("*.png"))]
    markdown = strip_report_images(path.read_text(encoding="utf-8"))
    try:
        report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = {}
    headline = dict(images).get(HEADLINE_CHART) or (images[0][1] if images else "")
    return summary_html(report, headline), charts_html(images), markdown

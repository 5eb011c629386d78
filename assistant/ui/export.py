"""An Answer as a standalone Markdown file (download, copy): the answer, then its sources with their passages."""

from __future__ import annotations

from assistant.types import Answer
from assistant.ui.render import REFUSAL_LABELS, answer_text


def answer_markdown(answer: Answer) -> str:
    """An answer with its sources as a standalone Markdown file."""
    lines = [f"# {answer.question}", ""]
    if answer.notice:
        lines += [f"> ⚠ {answer.notice}", ""]
    if answer.scope:
        lines += [f"*{answer.scope}*", ""]
    if answer.refused:
        lines += [f"**{REFUSAL_LABELS.get(answer.refusal_kind or 'not_covered', '')}**", ""]
    text = answer_text(answer)
    lines += [line if line.lstrip().startswith("|") else line + "  " for line in text.splitlines()] + [""]
    if answer.citations:
        lines += ["## 出处 Sources", ""]
    for c in answer.citations:
        where = "，".join(x for x in (c.doc_number, c.date) if x)
        lines.append(f"**[{c.n}]** {c.title}" + (f"（{where}）" if where else "") + "  ")
        if c.section:
            lines.append(f"章节：{c.section}  ")
        if c.quote:
            lines.append(f"引文：“{c.quote}”")
        lines += ["", *(f"> {line}" if line.strip() else ">" for line in c.text.splitlines()), ""]
    return "\n".join(lines).rstrip() + "\n"

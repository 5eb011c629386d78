"""Gradio chat UI: wires the Assistant to a chat; no pipeline logic here."""

from __future__ import annotations

import gradio as gr

from assistant import Answer, Assistant, Settings

EXAMPLES = ["中试基地能获得什么补贴？", "What subsidy does a pilot-scale base get?", "国家高新技术企业2023年目标值是多少？"]


def render(answer: Answer) -> str:
    """The answer text followed by its numbered sources."""
    parts = [answer.text]
    for c in answer.citations:
        where = " · ".join(x for x in (c.doc_number or c.title, c.date, c.section) if x)
        parts.append(f"**[{c.n}]** {where}\n> {c.text}")
    return "\n\n".join(parts)


def build_ui(assistant: Assistant) -> gr.Blocks:
    with gr.Blocks(title="科技政策问答 Policy QA") as demo:
        gr.Markdown("## 科技政策问答 · Policy QA\n回答均摘自文件原文，并标注出处。")
        chat = gr.Chatbot(height=520, label="对话")
        box = gr.Textbox(placeholder="输入问题，例如：中试基地能获得什么补贴？", label="问题")
        gr.Examples(EXAMPLES, inputs=box)

        async def respond(question: str, history: list[dict]):
            answer = await assistant.aask(question, history=history)
            history = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": render(answer)}]
            return "", history

        box.submit(respond, [box, chat], [box, chat])
    return demo


if __name__ == "__main__":
    build_ui(Assistant.from_settings(Settings())).launch()

"""The Gradio surface: tabs, their handlers and the HTML they render."""

from typing import Any

# Gradio is untyped at this seam: a handler returns one value or gr.update() per output component.
Updates = tuple[Any, ...]

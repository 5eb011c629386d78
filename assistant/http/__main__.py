"""`python -m assistant.http [--workers N]`: serve the HTTP API with uvicorn (POLICYQA_HTTP_HOST / POLICYQA_HTTP_PORT).

With N workers, N processes serve one index folder (and, with POLICYQA_CHROMA_HOST, one Chroma server);
an ingest through any of them reaches the others within `reload_check_s`. See docs/serving.md.
"""

from __future__ import annotations

from assistant.settings import configure_offline

configure_offline()  # before any library reads the environment

import argparse
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.pipeline import Assistant


def app(assistant: Assistant | None = None) -> FastAPI:
    """The app over an assistant (by default built from the environment: uvicorn's factory, once per worker)."""
    from assistant import Assistant
    from assistant.http import create_app

    assistant = assistant or Assistant.from_settings()
    assistant.snapshot()  # open BM25 now, not during the first request
    return create_app(assistant)


def main(argv: list[str] | None = None) -> None:
    """Optionally ingest, then serve with one or more worker processes."""
    import uvicorn

    from assistant import Assistant, Settings
    from assistant.http.auth import exposure_warning

    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m assistant.http", description=__doc__)
    parser.add_argument("--host", default=settings.http_host)
    parser.add_argument("--port", type=int, default=settings.http_port)
    parser.add_argument("--workers", type=int, default=1, help="serving processes (one per core is a good start)")
    parser.add_argument("--ingest", action="store_true", help="index new and changed files before serving")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    warning = exposure_warning(settings, args.host)
    if warning:
        logging.getLogger("assistant.http").warning(warning)
    assistant = Assistant.from_settings(settings) if args.ingest or args.workers == 1 else None
    if assistant is not None and args.ingest:
        assistant.ingest(progress=True)
    # Several workers: each process builds its own assistant; this one only supervises.
    target = "assistant.http.__main__:app" if args.workers > 1 else app(assistant)
    del assistant
    options = {"workers": args.workers} if args.workers > 1 else {}
    uvicorn.run(target, factory=args.workers > 1, host=args.host, port=args.port, access_log=args.access_log, **options)


if __name__ == "__main__":
    main()

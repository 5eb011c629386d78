"""`python -m assistant.http`: serve the HTTP API alone with uvicorn (POLICYQA_HTTP_HOST / POLICYQA_HTTP_PORT)."""

from __future__ import annotations

from assistant.settings import configure_offline

configure_offline()  # before any library reads the environment

import argparse
import logging


def main(argv: list[str] | None = None) -> None:
    """Build the assistant from settings and serve it."""
    import uvicorn

    from assistant import Assistant, Settings
    from assistant.http import create_app
    from assistant.http.auth import exposure_warning

    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m assistant.http", description=__doc__)
    parser.add_argument("--host", default=settings.http_host)
    parser.add_argument("--port", type=int, default=settings.http_port)
    parser.add_argument("--ingest", action="store_true", help="index new and changed files before serving")
    parser.add_argument("--access-log", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    warning = exposure_warning(settings, args.host)
    if warning:
        logging.getLogger("assistant.http").warning(warning)
    assistant = Assistant.from_settings(settings)
    if args.ingest:
        assistant.ingest(progress=True)
    assistant.snapshot()  # build BM25 now, not during the first request
    uvicorn.run(create_app(assistant), host=args.host, port=args.port, access_log=args.access_log)


if __name__ == "__main__":
    main()

"""Local servers for tests: a free 127.0.0.1 port, an ASGI app served by uvicorn in a thread, a `chroma run`."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve_asgi(app: object, port: int | None = None, ready_timeout: float = 20) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a daemon thread on 127.0.0.1; yield its base URL (no trailing slash)."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + ready_timeout
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def generous(settings: object, **overrides: object):
    """Guards from `settings` with rate and concurrency limits no load test reaches (plus any overrides)."""
    from assistant.http.limits import Guards

    wide = {"ask_burst": 100_000, "upload_burst": 100_000, "max_concurrent_answers": 64, **overrides}
    return Guards.from_settings(settings.model_copy(update=wide))  # type: ignore[attr-defined]


@contextmanager
def chroma_server(data: Path) -> Iterator[int]:
    """A `chroma run` server subprocess on a free port with its data in `data`; yields the port."""
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    command = [str(chroma), "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(data / "db")]
    with (data / "server.log").open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(f"http://127.0.0.1:{port}/api/v2/heartbeat", process, data / "server.log", 60)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    """Wait until `url` answers 200; fail with the process's log if it exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"{url} did not answer in {timeout} s:\n{log.read_text()[-3000:]}"
        time.sleep(0.25)

"""The serving process (`python -m assistant.http` in a subprocess) and concurrent HTTP clients against it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.stats import proc_status_mb, summarize_ms

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(**settings: str) -> dict[str, str]:
    """The environment for a child process: offline rules, passive OpenMP, and POLICYQA_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYQA_")}
    env |= {
        "OMP_WAIT_POLICY": "PASSIVE",
        "ANONYMIZED_TELEMETRY": "False",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(REPO),
    }
    return env | {f"POLICYQA_{k.upper()}": v for k, v in settings.items()}


@contextmanager
def background(
    command: list[str], env: dict[str, str], log: Path, ready_url: str, timeout: float
) -> Iterator[subprocess.Popen]:
    """A child process, yielded once `ready_url` answers 200; terminated on exit."""
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if httpx.get(ready_url, timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[2]} did not start; log:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    startup_s: float  # until /api/health answers: imports, model load, BM25 build
    idle_rss_mb: float


@contextmanager
def assistant_server(env: dict[str, str], log: Path, timeout: float = 900) -> Iterator[Server]:
    """`python -m assistant.http` on a free port over an already ingested index."""
    port = free_port()
    started = time.perf_counter()
    command = [sys.executable, "-m", "assistant.http", "--host", "127.0.0.1", "--port", str(port)]
    with background(command, env, log, f"http://127.0.0.1:{port}/api/health", timeout) as process:
        startup = round(time.perf_counter() - started, 2)
        yield Server(process, f"http://127.0.0.1:{port}", startup, proc_status_mb(process.pid, "VmRSS"))


async def _hammer(url: str, questions: list[str], clients: int, duration: float) -> dict:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    end = time.monotonic() + duration

    async def client(offset: int, http: httpx.AsyncClient) -> None:
        i = offset
        while time.monotonic() < end:
            question = questions[i % len(questions)]
            i += clients
            started = time.perf_counter()
            try:
                response = await http.post("/api/ask", json={"question": question})
                statuses[str(response.status_code)] += 1
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - started)
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        started = time.monotonic()
        await asyncio.gather(*(client(k, http) for k in range(clients)))
        elapsed = time.monotonic() - started
    return {
        "clients": clients,
        "duration_s": round(elapsed, 1),
        "requests": sum(statuses.values()),
        "throughput_rps": round(len(latencies) / elapsed, 2),
        "latency": summarize_ms(latencies),
        "errors": sum(n for status, n in statuses.items() if status != "200"),
        "statuses": dict(statuses),
    }


def hammer(server: Server, questions: list[str], clients: int = 8, duration: float = 60) -> dict:
    """`clients` concurrent clients asking in a loop for `duration` seconds; then the server's peak RSS."""
    result = asyncio.run(_hammer(server.url, questions, clients, duration))
    result["server_peak_rss_mb"] = proc_status_mb(server.process.pid)
    result["server_startup_s"] = server.startup_s
    result["server_idle_rss_mb"] = server.idle_rss_mb
    return result

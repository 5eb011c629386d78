"""The serving processes (`python -m assistant.http --workers N` in a subprocess) and concurrent HTTP clients.

Two loads: `repeated` cycles the gold questions (after the first pass every query embedding is a cache
hit); `fresh` sends variants never asked before (a polite prefix or suffix), so each one is embedded.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
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
    # The load is one client machine asking as fast as it can: the per-client rate limits and answer slots
    # (docs/security.md) would turn it into a measurement of the 429s, so they are opened wide here.
    unlimited = {"ask_burst": "100000", "ask_rate_per_minute": "6000000", "max_concurrent_answers": "64"}
    return env | {f"POLICYQA_{k.upper()}": v for k, v in {**unlimited, **settings}.items()}


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


_PREFIXES_ZH = ["", "请问", "我想了解：", "麻烦问一下，", "想咨询一下：", "您好，", "请帮我查一下：", "老师好，"]
_SUFFIXES_ZH = ["", "谢谢。", "请注明出处。", "麻烦了。", "盼复。", "急需了解。", "请简要回答。", "多谢！"]
_PREFIXES_EN = ["", "Please tell me: ", "I would like to know: ", "Quick question: ", "Hello, ", "Could you check: "]
_SUFFIXES_EN = ["", " Thanks.", " Please cite the source.", " Thank you!", " Briefly, please.", " Cheers."]


def fresh_questions(questions: list[str]) -> list[str]:
    """Every question in every polite wrapping, none of them the bare question: texts never asked before."""
    out = []
    for question in questions:
        english = question.isascii()
        prefixes, suffixes = (_PREFIXES_EN, _SUFFIXES_EN) if english else (_PREFIXES_ZH, _SUFFIXES_ZH)
        out += [p + question + s for p, s in itertools.product(prefixes, suffixes) if p or s]
    return sorted(out, key=lambda q: hash(q) % 1000003)  # interleave the questions, deterministically per run


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (uvicorn's supervisor and its workers)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            found += process_tree(int(child))
    return found


def tree_rss_mb(pid: int, field: str = "VmHWM") -> dict[str, float]:
    """`field` of the largest process of the tree (one replica) and the sum over the tree."""
    values = []
    for member in process_tree(pid):
        with suppress(FileNotFoundError, KeyError):
            values.append(proc_status_mb(member, field))
    return {"max": max(values, default=0.0), "total": round(sum(values), 1)}


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    startup_s: float  # until /api/health answers: imports, model load, opening the index
    idle_rss_mb: dict[str, float]
    workers: int


@contextmanager
def assistant_server(env: dict[str, str], log: Path, workers: int = 1, timeout: float = 900) -> Iterator[Server]:
    """`python -m assistant.http --workers N` on a free port over an already ingested index."""
    port = free_port()
    started = time.perf_counter()
    command = [sys.executable, "-m", "assistant.http", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers)]
    with background(command, env, log, f"http://127.0.0.1:{port}/api/health", timeout) as process:
        url = f"http://127.0.0.1:{port}"
        while workers > 1 and len(process_tree(process.pid)) < workers + 1:
            time.sleep(0.1)  # health answered by the first worker: wait until the others are forked
        startup = round(time.perf_counter() - started, 2)
        for _ in range(4 * workers):  # every worker past its first request
            httpx.get(f"{url}/api/health", timeout=60)
        yield Server(process, url, startup, tree_rss_mb(process.pid, "VmRSS"), workers)


async def _hammer(url: str, questions: list[str], clients: int, duration: float, fresh: bool) -> dict:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    end = time.monotonic() + duration

    sent = itertools.count()

    async def client(offset: int, http: httpx.AsyncClient) -> None:
        i = offset
        while time.monotonic() < end:
            n = next(sent) if fresh else i
            if fresh and n >= len(questions):
                break  # every variant asked once; the report's request count shows it
            question = questions[n % len(questions)]
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
    """Both loads, repeated then fresh: `clients` concurrent clients for `duration` seconds each; then peak RSS.

    Peak RSS: `server_peak_rss_mb` is the largest replica (one process), `server_total_rss_mb` all of them.
    """
    result = asyncio.run(_hammer(server.url, questions, clients, duration, fresh=False))
    result["fresh"] = asyncio.run(_hammer(server.url, fresh_questions(questions), clients, duration, fresh=True))
    peak = tree_rss_mb(server.process.pid)
    result |= {"server_peak_rss_mb": peak["max"], "server_total_rss_mb": peak["total"], "workers": server.workers}
    result |= {"server_startup_s": server.startup_s, "server_idle_rss_mb": server.idle_rss_mb["max"]}
    return result

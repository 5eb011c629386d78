"""Rate limits per client (token buckets), a cap on answers computed at once, and a time limit per answer.

In-process state: each replica limits its own clients. Behind a load balancer, put the same limits (or
a shared store such as slowapi + Redis) in front; see docs/security.md.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Depends

from assistant.http.audit import audit_path
from assistant.http.auth import AccessPolicy, admin_dependency, reader_dependency
from assistant.http.schemas import ApiError
from assistant.settings import Settings

T = TypeVar("T")
_MAX_CLIENTS = 10_000  # buckets kept; the least recently seen client is forgotten first


class RateLimiter:
    """A token bucket per client: `burst` requests at once, then `per_minute`, refilled continuously."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = max(per_minute, 1e-9) / 60.0
        self.burst = max(int(burst), 1)
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Spend one token of `client`'s bucket: 0.0 when allowed, else the seconds until one is free."""
        now = self.clock()
        with self._lock:
            tokens, seen = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - seen) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > _MAX_CLIENTS:
                self._buckets.popitem(last=False)
        return wait

    def check(self, client: str) -> None:
        """Raise a 429 with Retry-After (whole seconds, at least 1) when `client` is over its limit."""
        wait = self.take(client)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(
                429,
                f"too many requests; retry in {seconds} s / 请求过于频繁，请 {seconds} 秒后再试",
                "rate_limited",
                {"Retry-After": str(seconds)},
            )


class AnswerSlots:
    """At most `limit` answers computed at once; a request waits `queue_timeout` for a slot (then 503),
    and an answer running longer than `timeout` is abandoned with a 504 (its worker thread finishes alone)."""

    def __init__(self, limit: int, queue_timeout: float, timeout: float) -> None:
        self.limit = max(int(limit), 1)
        self.queue_timeout = queue_timeout
        self.timeout = timeout
        self._slots: asyncio.Semaphore | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        if self._slots is None:  # created on first use, inside the server's event loop
            self._slots = asyncio.Semaphore(self.limit)
        return self._slots

    async def acquire(self) -> None:
        try:
            await asyncio.wait_for(self._semaphore().acquire(), self.queue_timeout)
        except TimeoutError:
            raise ApiError(
                503,
                "the server is answering as many questions as it can; retry shortly / 服务繁忙，请稍后再试",
                "overloaded",
                {"Retry-After": str(max(1, math.ceil(self.queue_timeout)))},
            ) from None

    def release(self) -> None:
        self._semaphore().release()

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Await `work()` in a slot, within the time limit (called only once a slot is free)."""
        await self.acquire()
        try:
            return await asyncio.wait_for(work(), self.timeout)
        except TimeoutError:
            raise ApiError(504, f"the answer took longer than {self.timeout:g} s / 回答超时", "timeout") from None
        finally:
            self.release()


@dataclass
class Guards:
    """What every route checks: who is asking (FastAPI dependencies), how often, how many at once; the audit log."""

    reader: Callable[..., Any]  # dependency → the client's rate-limit key, or 401
    admin: Callable[..., Any]  # dependency → the caller's audit name, or 401/403
    asks: RateLimiter
    changes: RateLimiter
    slots: AnswerSlots
    audit: Path

    @classmethod
    def from_settings(cls, settings: Settings | None) -> Guards:
        """The guards the settings describe; an object without the fields gets the defaults (open reading)."""
        policy = AccessPolicy.from_settings(settings)

        def get(name: str, default: float) -> float:
            return getattr(settings, name, default)

        return cls(
            reader=reader_dependency(policy),
            admin=admin_dependency(policy),
            asks=RateLimiter(get("ask_rate_per_minute", 30.0), int(get("ask_burst", 10))),
            changes=RateLimiter(get("upload_rate_per_minute", 6.0), int(get("upload_burst", 3))),
            slots=AnswerSlots(
                int(get("max_concurrent_answers", 4)), get("answer_queue_timeout", 10.0), get("answer_timeout", 60.0)
            ),
            audit=audit_path(settings)
            if settings is not None
            else Path(tempfile.gettempdir()) / "policyqa-audit.jsonl",
        )

    def asking(self) -> Callable[..., Any]:
        """A dependency: a reader within the question rate limit."""

        async def ask_limited(client: str = Depends(self.reader)) -> str:
            self.asks.check(client)
            return client

        return ask_limited

    def changing(self) -> Callable[..., Any]:
        """A dependency: an admin within the corpus-change rate limit; returns the audit name."""

        async def change_limited(who: str = Depends(self.admin)) -> str:
            self.changes.check(who)
            return who

        return change_limited

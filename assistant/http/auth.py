"""Who may read and who may change the corpus: the admin token, the optional API keys, loopback.

Shared by the HTTP routes (as FastAPI dependencies) and the Gradio UI (app.py), so every surface applies
the same rule. Tokens are compared with `hmac.compare_digest`, and every key is compared, so the time a
check takes says nothing about which key came close.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.http.schemas import ApiError
from assistant.settings import Settings

LOOPBACK_ONLY = (
    "corpus changes are allowed from loopback only while POLICYQA_ADMIN_TOKEN is not set "
    "/ 未设置管理令牌时只能在本机修改文档库"
)
_bearer = HTTPBearer(auto_error=False, description="POLICYQA_ADMIN_TOKEN or one of POLICYQA_API_KEYS")

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


@dataclass(frozen=True)
class AccessPolicy:
    admin_token: str = ""
    api_keys: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings | None) -> AccessPolicy:
        """The policy the settings describe (an object without the fields gets the open defaults)."""
        token_text, keys_text = (_secret(getattr(settings, name, "")) for name in ("admin_token", "api_keys"))
        return cls(token_text.strip(), tuple(k.strip() for k in keys_text.split(",") if k.strip()))


def _secret(value: object) -> str:
    """A SecretStr's text (or a plain string's, as `Settings.model_copy(update=…)` leaves it)."""
    return str(value.get_secret_value() if hasattr(value, "get_secret_value") else value or "")


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and an IPv4-mapped loopback; a name or nothing is not loopback."""
    try:
        address = ipaddress.ip_address((host or "").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _matches(secret: str, candidates: tuple[str, ...]) -> bool:
    given = secret.encode()
    return any([hmac.compare_digest(given, c.encode()) for c in candidates])  # a list: no early exit


def admin_refusal(policy: AccessPolicy, token: str | None, host: str | None) -> tuple[int, str] | None:
    """(status, reason) when this caller may not change the corpus, else None."""
    if policy.admin_token:
        if not token:
            return 401, "an admin token is required (Authorization: Bearer …) / 需要管理令牌"
        if not _matches(token, (policy.admin_token,)):
            return 401, "the admin token is not valid / 管理令牌无效"
        return None
    return None if is_loopback(host) else (403, LOOPBACK_ONLY)


def reader_refusal(policy: AccessPolicy, token: str | None) -> tuple[int, str] | None:
    """(401, reason) when API keys are configured and the caller has none of them (the admin token counts)."""
    if not policy.api_keys:
        return None
    allowed = policy.api_keys + ((policy.admin_token,) if policy.admin_token else ())
    if token and _matches(token, allowed):
        return None
    return 401, "a valid API key is required (Authorization: Bearer …)"


def actor(token: str | None, host: str | None) -> str:
    """How the audit log names a caller: the token's hash prefix (never the token), else the address."""
    if token:
        return f"token:{hashlib.sha256(token.encode()).hexdigest()[:12]}"
    return f"{'loopback' if is_loopback(host) else 'client'}:{host or '?'}"


def _refuse(refusal: tuple[int, str]) -> ApiError:
    status, reason = refusal
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return ApiError(status, reason, "unauthorized" if status == 401 else "forbidden", headers)


def _host(request: Request) -> str | None:
    return request.client.host if request.client else None


def admin_dependency(policy: AccessPolicy) -> Callable[..., Any]:
    """A dependency returning the caller's audit name, or refusing with 401/403.

    The Bearer scheme is declared in the OpenAPI schema only when a token is configured; without one
    the route takes no credentials and answers loopback callers only.
    """
    if not policy.admin_token:

        async def loopback_admin(request: Request) -> str:
            refusal = admin_refusal(policy, None, _host(request))
            if refusal:
                raise _refuse(refusal)
            return actor(None, _host(request))

        return loopback_admin

    async def token_admin(request: Request, credentials: Credentials = None) -> str:
        token = credentials.credentials if credentials else None
        refusal = admin_refusal(policy, token, _host(request))
        if refusal:
            raise _refuse(refusal)
        return actor(token, _host(request))

    return token_admin


def reader_dependency(policy: AccessPolicy) -> Callable[..., Any]:
    """A dependency returning the caller's rate-limit key (its key's hash, else its address), or a 401."""
    if not policy.api_keys:

        async def open_reader(request: Request) -> str:
            return actor(None, _host(request))

        return open_reader

    async def keyed_reader(request: Request, credentials: Credentials = None) -> str:
        token = credentials.credentials if credentials else None
        refusal = reader_refusal(policy, token)
        if refusal:
            raise _refuse(refusal)
        return actor(token, _host(request))

    return keyed_reader


def exposure_warning(settings: Settings | None, host: str) -> str:
    """What to tell the operator at start-up when another machine could reach an app that has no admin token."""
    if AccessPolicy.from_settings(settings).admin_token or is_loopback(host) or host == "localhost":
        return ""
    return (
        f"Serving on {host} without POLICYQA_ADMIN_TOKEN: only clients on this machine (loopback) may change the "
        "corpus; set POLICYQA_ADMIN_TOKEN to allow signed-in admins elsewhere. Behind a local reverse proxy that "
        "does not set X-Forwarded-For every client looks local: set the token. / 未设置管理令牌：仅本机可修改文档库。"
    )

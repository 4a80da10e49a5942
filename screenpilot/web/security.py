"""Who may use the console. It moves a real mouse, so every request is checked:

- the token, when there is one (always, off loopback): `Authorization: Bearer TOKEN`, the
  `screenpilot_token` cookie the page sets, or `?token=` (what the printed link carries);
- on loopback, the Host header must name the loopback too, so a web page whose name was
  pointed at 127.0.0.1 (DNS rebinding) cannot reach it;
- a request that changes something, sent by a browser, must come from the console's own page
  (its Origin), so another site open in the same browser cannot start a run;
- a body larger than an upload may be is refused from its Content-Length, before it is read.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "screenpilot_token"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _hostname(host_header: str) -> str:
    if host_header.startswith("["):  # [::1]:7860
        return host_header[1:].split("]", 1)[0]
    return host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header


class Guard:
    """ASGI middleware that refuses requests the console must not serve."""

    def __init__(self, app: ASGIApp, *, token: str | None, loopback: bool, max_body: int) -> None:
        self.app, self.token, self.loopback = app, token, loopback
        self.max_body = max_body

    def presented(self, request: Request) -> str | None:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        return request.cookies.get(COOKIE) or request.query_params.get("token")

    def problem(self, request: Request) -> tuple[int, str] | None:
        host = request.headers.get("host", "")
        if self.loopback and _hostname(host) not in LOOPBACK_NAMES:
            return 403, f"this console answers only to loopback names, not {host!r}"
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            origin = request.headers.get("origin")
            if origin is not None and origin != f"{request.url.scheme}://{host}":
                return 403, f"requests from {origin} are not accepted"
        if self.token is not None:
            given = self.presented(request) or ""
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return 401, (
                    "a token is needed: open the link `screenpilot serve` printed, or send "
                    "`Authorization: Bearer TOKEN`"
                )
        try:
            length = int(request.headers.get("content-length") or 0)
        except ValueError:
            return 400, "a malformed Content-Length"
        if length > self.max_body:  # refused before a byte of it is read
            return 413, f"the request is {length / 2**20:.1f} MB; uploads are limited to 20 MB"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        problem = self.problem(request)
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, message = problem
        response: Any
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
            "accept", ""
        ):
            response = JSONResponse({"detail": message}, status_code=status)
        else:
            response = PlainTextResponse(f"{status}: {message}\n", status_code=status)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        await response(scope, receive, send)

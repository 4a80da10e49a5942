"""Who may use the console. It moves a real mouse, so every request is checked:

- the token, when there is one (always, off loopback): `Authorization: Bearer TOKEN`, the
  `screenpilot_token` cookie the page sets, or `?token=` (what the printed link carries);
- on loopback, the Host header must name the loopback (`localhost`, `127.0.0.1` or
  `[::1]`, any port, any letter case), so a web page whose name was pointed at 127.0.0.1
  (DNS rebinding) cannot reach it; a missing or malformed Host is refused too;
- a request that changes something, sent by a browser, must come from the console's own page
  (its Origin), so another site open in the same browser cannot start a run;
- a body larger than an upload may be is refused: from its Content-Length before it is read,
  and, whatever the headers say (a chunked body has no length), by counting its bytes as they
  arrive: the route that reads past the limit gets no more, and the client a 413.

Why not Starlette's `TrustedHostMiddleware` for the Host check: it lets through the same
hosts (given `["localhost", "127.0.0.1", "[::1]"]` it compares the name, lower-cased, with
the port dropped and an IPv6 literal kept in brackets, and refuses a missing or malformed
Host; `tests/test_board.py` holds this guard to the same decisions on a table of headers),
but it refuses with a bare `400 Invalid host header` in plain text. The console's clients
read `{"detail": sentence}`: the page shows the sentence, and a refused host is a 403 that
says what the console answers to. It would also have to sit apart from this guard, which
checks the Origin against the same Host header.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "screenpilot_token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
#: RFC 9110's Host: a registered name or IPv4 address, or an IP literal in brackets; then an
#: optional port of digits.
_HOST = re.compile(r"(?P<name>[a-z0-9._~%!$&'()*+,;=-]+|\[(?P<ip6>[0-9a-f:.]+)\])(?::[0-9]+)?")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def is_loopback_name(name: str | None) -> bool:
    """Whether a Host header's name (see `host_name`) is this machine's loopback: `localhost`,
    any 127.0.0.0/8 address (a console bound to 127.0.0.2 prints that link) or `[::1]`. A
    rebinding page reaches the console under a DNS name, never under an address literal."""
    if name is None:
        return False
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.IPv4Address(name).is_loopback
    except ValueError:
        return False


def host_name(header: str | None) -> str | None:
    """The host a Host header names, lower-cased, without its port, an IPv6 address kept in
    its brackets (`[::1]`); None for a missing or malformed header."""
    if header is None:
        return None
    match = _HOST.fullmatch(header.lower())
    if match is None:
        return None
    if match["ip6"] is not None:
        try:
            ipaddress.IPv6Address(match["ip6"])
        except ValueError:
            return None
    return match["name"]


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
        host = request.headers.get("host")
        if self.loopback and not is_loopback_name(host_name(host)):
            named = "no Host header" if host is None else repr(host)
            return 403, f"this console answers only to loopback names, not {named}"
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
            await self._counted(scope, receive, send)
            return
        await self._refuse(request, *problem, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with its body counted as it arrives. Past the limit the app is told
        the client left, whatever it answers then is dropped, and the client gets a 413."""
        body = _CountedBody(receive, self.max_body)
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if body.exceeded and not started:
                return  # the app's answer to a body cut short (a 400, say): ours goes instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, body.receive, guarded_send)
        except Exception:
            if not body.exceeded:
                raise
            # What the app made of a body that stopped coming: the 413 below says it all.
        if body.exceeded and not started:
            message = "the request is larger than 20 MB, the limit for uploads"
            # Mid-body: closing stops a client that would send on and on (uvicorn would read
            # and drop the rest of a kept-alive connection's body).
            await self._refuse(Request(scope), 413, message, send, close=True)

    async def _refuse(
        self, request: Request, status: int, message: str, send: Send, *, close: bool = False
    ) -> None:
        scope = request.scope
        response: Any
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
            "accept", ""
        ):
            response = JSONResponse({"detail": message}, status_code=status)
        else:
            response = PlainTextResponse(f"{status}: {message}\n", status_code=status)
        if status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        if close:
            response.headers["Connection"] = "close"
        await response(scope, _nothing_more, send)


async def _nothing_more() -> Message:
    return {"type": "http.disconnect"}


class _CountedBody:
    """The app's `receive`, counting body bytes; past `limit` it stops reading the client
    (nothing beyond the limit is ever held) and tells the app the client has gone."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive, self.limit = receive, limit
        self.received = 0
        self.exceeded = False

    async def receive(self) -> Message:
        if self.exceeded:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.exceeded = True
                raise BodyTooLargeError(f"the body passed {self.limit} bytes")
        return message


class BodyTooLargeError(Exception):
    """Raised into the app when its request body passes the limit (the guard answers 413)."""

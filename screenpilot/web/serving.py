"""Running the console under uvicorn: in the foreground for `screenpilot serve`, or in a
background thread (tests, scripts) that stops cleanly."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0 picks a free one); OSError when it cannot be.
    It listens at once, so a client that comes before the server has started waits in the
    queue instead of being refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _server(app: Any) -> Any:
    import uvicorn

    # Quiet access logs: a live view polls and streams, and the CLI prints what matters.
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=3)
    return uvicorn.Server(config)


def serve(app: Any, sock: socket.socket) -> None:
    """Serve until Ctrl+C (uvicorn handles the signal and shuts down gracefully)."""
    _server(app).run(sockets=[sock])


class BackgroundServer:
    """`with BackgroundServer(app) as url:` serves `app` on a free loopback port meanwhile."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = listen(host, port)
        bound_host, bound_port = self.sock.getsockname()[:2]
        self.url = f"http://{bound_host}:{bound_port}"
        self.server = _server(app)
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the console did not start")
            time.sleep(0.02)
        return self.url

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=15)
        self.sock.close()

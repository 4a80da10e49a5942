"""The output of a phone command that never ends (`getevent`), line by line as it is printed.

The adb client (`devices.adb`) reads each answer whole, which a stream never finishes, so this
speaks adb's smart-socket protocol to the server itself: a request is 4 hex digits of length
and the payload, the answer `OKAY` or `FAIL` + 4 hex digits + a message;
`host:transport:<serial>` turns the connection to the device and `shell:<command>` starts the
command, whose output then flows until either side closes. `shell:` (not `exec:`) because a
PTY keeps the command's stdout line-buffered; lines may then end in CRLF, which is stripped.
Closing the socket makes adbd hang up the shell, so the command ends on the phone too.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

from screenpilot.devices.adb import AdbError


class AdbStream:
    """`command` running in `serial`'s shell behind the adb server at host:port."""

    def __init__(
        self, host: str, port: int, serial: str, command: str, *, timeout: float = 15.0
    ) -> None:
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as error:
            raise AdbError(f"no adb server on {host}:{port} ({error})") from None
        try:
            self._request(f"host:transport:{serial}")
            self._request(f"shell:{command}")
        except BaseException:
            self.close()
            raise
        self._sock.settimeout(None)  # from here on output comes when the phone has some
        self.command = command

    def lines(self) -> Iterator[str]:
        """Each line as it arrives (without its line end), until the stream closes."""
        pending = b""
        while True:
            try:
                chunk = self._sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                if pending:
                    yield pending.decode("utf-8", errors="replace")
                return
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for line in complete:
                yield line.rstrip(b"\r").decode("utf-8", errors="replace")

    def close(self) -> None:
        """End the command (idempotent); a thread reading `lines()` sees the end."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes a recv() blocked in another thread
        self._sock.close()

    def __enter__(self) -> AdbStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, payload: str) -> None:
        data = payload.encode()
        try:
            self._sock.sendall(f"{len(data):04x}".encode() + data)
            status = self._exact(4)
            if status == b"OKAY":
                return
            if status != b"FAIL":
                raise AdbError(f"adb answered {payload!r} with {status!r}, not OKAY or FAIL")
            message = self._exact(int(self._exact(4), 16)).decode("utf-8", errors="replace")
        except (OSError, ValueError) as error:
            raise AdbError(f"adb dropped the connection during {payload!r}: {error}") from None
        raise AdbError(f"adb refused {payload!r}: {message.strip()}")

    def _exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self._sock.recv(size - len(data))
            if not chunk:
                raise OSError("closed")
            data += chunk
        return data

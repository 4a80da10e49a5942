"""The adb client: the only module that imports pure-python-adb (`ppadb`).

Kept small so the client library could be swapped: it lists devices with their state and
runs `shell:` and `exec:` services, every call with a timeout, every failure turned into an
`AdbError` a user can act on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from screenpilot.errors import ScreenpilotError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5037


class AdbError(ScreenpilotError):
    """Talking to the adb server or a device failed."""


class AdbConnectionLostError(AdbError):
    """The connection dropped mid-call (worth one reconnect)."""


def server_address() -> tuple[str, int]:
    """Where the adb server is: what the adb tool itself reads (`ANDROID_ADB_SERVER_ADDRESS`,
    `ANDROID_ADB_SERVER_PORT`), else 127.0.0.1:5037."""
    host = os.environ.get("ANDROID_ADB_SERVER_ADDRESS") or DEFAULT_HOST
    port = os.environ.get("ANDROID_ADB_SERVER_PORT") or str(DEFAULT_PORT)
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise AdbError(f"ANDROID_ADB_SERVER_PORT={port!r} is not a port number (1-65535)")
    return host, int(port)


@dataclass(frozen=True)
class DeviceEntry:
    """One line of `adb devices`: a serial and its state (device, unauthorized, offline...)."""

    serial: str
    state: str


class AdbClient:
    """An adb server at host:port, spoken to through pure-python-adb."""

    def __init__(
        self, host: str | None = None, port: int | None = None, *, timeout: float = 15.0
    ) -> None:
        """`host`/`port` default to `server_address()`."""
        if host is None or port is None:
            env_host, env_port = server_address()
            host, port = host or env_host, port or env_port
        try:
            from ppadb.client import Client
        except ImportError:
            raise AdbError(
                "the android extra is not installed: pip install 'screenpilot[android]'"
            ) from None
        self.host, self.port, self.timeout = host, port, timeout
        self._client: Any = Client(host, port)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def devices(self) -> list[DeviceEntry]:
        """Every device the server knows, whatever its state."""
        with self._connection() as conn:
            self._send(conn, "host:devices")
            listing = self._call(conn.receive)
        return [
            DeviceEntry(*line.split()[:2])
            for line in listing.splitlines()
            if len(line.split()) >= 2
        ]

    def shell(self, serial: str, command: str, *, timeout: float | None = None) -> bytes:
        """Output of `command` run by the device's shell (through a PTY on old devices)."""
        return self._service(serial, f"shell:{command}", timeout)

    def exec_out(self, serial: str, command: str, *, timeout: float | None = None) -> bytes:
        """Raw output of `command` (no PTY: binary output arrives intact)."""
        return self._service(serial, f"exec:{command}", timeout)

    # ------------------------------------------------------------------ internals
    def _service(self, serial: str, request: str, timeout: float | None) -> bytes:
        with self._connection(timeout) as conn:
            self._send(conn, f"host:transport:{serial}")
            self._send(conn, request)
            data: bytes = self._call(conn.read_all)
        return bytes(data)

    def _connection(self, timeout: float | None = None) -> Any:
        try:
            return self._client.create_connection(timeout=timeout or self.timeout)
        except RuntimeError:
            raise AdbError(
                f"no adb server on {self.address} - start it with `adb start-server` "
                "(or point --adb at the right host:port)"
            ) from None

    def _send(self, conn: Any, request: str) -> None:
        try:
            self._call(conn.send, request)
        except RuntimeError as error:
            raise AdbError(_explain(str(error), request)) from None

    def _call(self, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except TimeoutError:
            raise AdbError(
                f"adb did not answer within {self.timeout:g} s (device busy, hung or gone?)"
            ) from None
        except (OSError, ConnectionError) as error:
            raise AdbConnectionLostError(
                f"the connection to adb at {self.address} dropped: {error}"
            ) from None


def _explain(raw: str, request: str) -> str:
    """A FAIL reply from the server, as a sentence with what to do about it."""
    message = raw.removeprefix("ERROR: 'FAIL' ")
    message = (
        message[4:]
        if len(message) > 4 and all(c in "0123456789abcdef" for c in message[:4])
        else message
    )
    low = message.lower()
    serial = request.rsplit(":", 1)[-1]
    if "unauthorized" in low:
        return (
            f"device {serial} is unauthorized: unlock it and accept the 'Allow USB debugging' "
            "prompt, then try again"
        )
    if "offline" in low:
        return f"device {serial} is offline: reconnect it (or restart adb with `adb reconnect`)"
    if "not found" in low:
        return f"device {serial} is not connected (adb says: {message.strip()})"
    if "''" in raw or not message.strip():
        return f"the adb server closed the connection during {request!r}"
    return f"adb refused {request!r}: {message.strip()}"

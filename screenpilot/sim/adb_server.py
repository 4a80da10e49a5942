"""A loopback adb server that serves simulated phones (a stand-in for a real adb server with
real devices), speaking adb's smart-socket protocol.

A request is 4 hex digits of length and a payload; the answer is `OKAY` (+ data) or `FAIL`
+ 4 hex digits + a message. `host:transport:<serial>` (pure-python-adb) or
`host:tport:serial:<serial>` (newer clients) turns the same socket towards one device, whose
`shell:` / `exec:` services then stream their output until the socket closes. That is all a
client needs to drive a phone, so the real pure-python-adb library runs against this server
unchanged. A `getevent` that streams stays open, sending events as the phone's person makes
them, until the client closes its end (as adbd hangs up the shell) or the server closes.
Devices can be listed as unauthorized or offline, unplugged mid-run, or made to hang, to test
how the client side copes.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from collections.abc import Iterable

from screenpilot.sim.phone import SimulatedPhone
from screenpilot.sim.phone_input import EventStream

#: What `host:version` answers: adb's protocol version 41, which real clients expect.
ADB_VERSION = 41


def _framed(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return f"{len(data):04x}".encode() + data


class FakeAdbServer:
    """Serves `phones` on 127.0.0.1 until `close()`; `state` maps serials to a device state
    other than "device" ("unauthorized", "offline")."""

    def __init__(self, phones: Iterable[SimulatedPhone], *, port: int = 0) -> None:
        self.phones = {phone.serial: phone for phone in phones}
        self.state: dict[str, str] = {}
        self.hanging: set[str] = set()
        self.requests: list[str] = []
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._clients: dict[socket.socket, str] = {}  # open connections -> serial ("" host)
        self._listener = socket.create_server(("127.0.0.1", port))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def __enter__(self) -> FakeAdbServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        _shut(self._listener)  # shutdown() wakes the thread blocked in accept(); close() does not
        with self._lock:
            for client in list(self._clients):
                _shut(client)
        self._thread.join(timeout=5)

    def unplug(self, serial: str) -> None:
        """The cable is pulled: the device disappears and its open connections drop."""
        with self._lock:
            self.phones.pop(serial, None)
            for client, on in list(self._clients.items()):
                if on == serial:
                    _shut(client)

    # ------------------------------------------------------------------ serving
    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._clients[client] = ""
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        phone: SimulatedPhone | None = None
        try:
            while True:
                header = _recv_exact(client, 4)
                if header is None:
                    return
                payload = _recv_exact(client, int(header, 16))
                if payload is None:
                    return
                request = payload.decode("utf-8", errors="replace")
                self.requests.append(request)
                if phone is not None:
                    self._device_service(client, phone, request)
                    return
                phone = self._host_service(client, request)
                if phone is None:
                    return  # one host request per connection; the real client waits for the close
                with self._lock:
                    self._clients[client] = phone.serial
        except OSError:
            return
        finally:
            with self._lock:
                self._clients.pop(client, None)
            _shut(client)

    def _host_service(self, client: socket.socket, request: str) -> SimulatedPhone | None:
        """Answer a host request; returns the phone a transport request switched to."""
        if request == "host:version":
            client.sendall(b"OKAY" + _framed(f"{ADB_VERSION:04x}"))
        elif request in ("host:devices", "host:devices-l"):
            lines = "".join(
                f"{serial}\t{self.state.get(serial, 'device')}\n" for serial in self.phones
            )
            client.sendall(b"OKAY" + _framed(lines))
        elif request in ("host:features", "host:host-features") or (
            request.startswith("host-serial:") and request.endswith(":features")
        ):
            # No shell_v2 among the device's features: clients then use plain shell: streams.
            client.sendall(b"OKAY" + _framed("cmd"))
        elif request.startswith(("host:transport:", "host:tport:serial:", "host:transport-any")):
            serial = request.rsplit(":", 1)[-1]
            if request.startswith("host:transport-any"):
                serial = next(iter(self.phones), "")
            phone = self.phones.get(serial)
            problem = self._unusable(serial, phone)
            if problem:
                client.sendall(b"FAIL" + _framed(problem))
                return None
            reply = b"OKAY"
            if request.startswith("host:tport:"):
                reply += struct.pack("<Q", 1)
            client.sendall(reply)
            return phone
        else:
            client.sendall(b"FAIL" + _framed(f"unknown host service '{request}'"))
        return None

    def _unusable(self, serial: str, phone: SimulatedPhone | None) -> str:
        if phone is None:
            return f"device '{serial}' not found"
        state = self.state.get(serial, "device")
        if state == "unauthorized":
            return (
                "device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\n"
                "Try 'adb kill-server' if that seems wrong.\n"
                "Otherwise check for a confirmation dialog on your device."
            )
        if state == "offline":
            return "device offline"
        return ""

    def _device_service(self, client: socket.socket, phone: SimulatedPhone, request: str) -> None:
        if not request.startswith(("shell:", "exec:")):
            client.sendall(b"FAIL" + _framed(f"unsupported service '{request}'"))
            return
        if phone.serial in self.hanging:
            client.sendall(b"OKAY")
            self._closed.wait()  # never answers; the client's timeout must end it
            return
        stream = phone.open_stream(request)
        if stream is not None:
            client.sendall(b"OKAY")
            self._pump(client, stream)
            return
        output = phone.handle(request)
        client.sendall(b"OKAY" + output)

    def _pump(self, client: socket.socket, stream: EventStream) -> None:
        """Send what a streaming command prints until it exits, the client hangs up or the
        server closes; then stop the command."""
        try:
            while not self._closed.is_set():
                chunk = stream.read(timeout=0.05)
                if chunk is None:
                    return
                if chunk:
                    client.sendall(chunk)
                readable, _, _ = select.select([client], [], [], 0)
                if readable and not client.recv(4096):
                    return  # the client closed its end (what it sends would be stdin)
        except ValueError:
            return  # unplug() or close() closed the socket under us
        finally:
            stream.close()


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()

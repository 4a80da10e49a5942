"""A private virtual X desktop: Xvfb + openbox + a D-Bus session bus, and app launching.

Used by the tests, the benchmarks and the demo (when there is no display). Everything
started here is stopped when the context ends; nothing outlives it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from screenpilot.errors import ScreenpilotError


class VirtualDisplayError(ScreenpilotError):
    """A virtual desktop could not be started."""


REQUIRED = ("Xvfb", "openbox", "xdotool", "xclip", "xdpyinfo", "dbus-daemon")


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise VirtualDisplayError("no free X display number between :90 and :199")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class XSession:
    """A running virtual desktop: its environment and the processes to stop."""

    display: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, argv: Sequence[str], **env: str) -> subprocess.Popen[bytes]:
        """Start a program on this desktop, in its own process group (stopped at the end)."""
        process = subprocess.Popen(
            list(argv),
            env={**self.env, **env},
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        _stop(process)

    def wait_for_window(self, name: str, timeout: float = 20.0) -> str:
        """The id of a visible window whose title contains `name`, once it is mapped."""
        return wait_for_window(name, env=self.env, timeout=timeout)


def wait_for_window(name: str, *, env: dict[str, str] | None = None, timeout: float = 20.0) -> str:
    """The id of a visible window whose title contains `name` (on `env`'s DISPLAY, or the
    current one), once it is mapped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", name],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if found.returncode == 0 and found.stdout.strip():
            return found.stdout.split()[0]
        time.sleep(0.1)
    raise VirtualDisplayError(f"no window named {name!r} appeared within {timeout:g} s")


@contextmanager
def pointed_at(session: XSession) -> Iterator[None]:
    """DISPLAY and the D-Bus address point at `session` inside the block; put back after."""
    saved = {k: os.environ.get(k) for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS")}
    os.environ["DISPLAY"] = session.display
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = session.env["DBUS_SESSION_BUS_ADDRESS"]
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def x_session(width: int = 1920, height: int = 1080) -> Iterator[XSession]:
    """Start Xvfb, openbox and a D-Bus session bus; stop all of them afterwards."""
    missing = [tool for tool in REQUIRED if shutil.which(tool) is None]
    if missing:
        raise VirtualDisplayError(
            f"a virtual desktop needs {', '.join(missing)}: "
            "run scripts/system-packages.sh (Debian/Ubuntu), which installs them"
        )
    n = _free_display()
    display = f":{n}"
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY",)}
    env["DISPLAY"] = display
    session = XSession(display, env)
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    session.processes.append(xvfb)
    bus: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["xdpyinfo"], env=env, capture_output=True, check=False).returncode:
            if time.monotonic() > deadline or xvfb.poll() is not None:
                raise VirtualDisplayError(f"Xvfb did not start on {display}")
            time.sleep(0.05)
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # its activation chatter is not the user's business
            start_new_session=True,
            # Services it starts (the AT-SPI bus launcher) keep their settings in memory: a
            # test switching accessibility on must not write the user's dconf database.
            env={**env, "GSETTINGS_BACKEND": "memory"},
        )
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().decode().strip()
        session.processes.append(bus)
        session.start(["openbox"])
        time.sleep(0.3)
        yield session
    finally:
        for process in reversed(session.processes):
            _stop(process)
        if bus is not None and bus.stdout is not None:
            bus.stdout.close()

"""The X clipboard: read it, serve text for a paste, give the user's content back.

An X selection lives only while a process serves it. Text for a paste is served from this
process (`x11_selection`), which can tell when the program has fetched it; the user's own
content, put back afterwards, is served by one xclip kept as a child in the foreground
(`-quiet`) and ended in `close()`: no xclip outlives the device that started it.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import time

from screenpilot.devices.x11_selection import QUIET, SelectionError, SelectionServer
from screenpilot.errors import ScreenpilotError

log = logging.getLogger(__name__)

#: How long a program is given to fetch a paste served by xclip (which tells nothing).
XCLIP_PASTE = 0.3


class ClipboardError(ScreenpilotError):
    """The clipboard could not be used."""


class Clipboard:
    """The CLIPBOARD selection of one X display."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        if shutil.which("xclip") is None:
            raise ClipboardError(
                "xclip is not installed; it is needed to type non-ASCII text "
                "(apt-get install xclip)"
            )
        self._env = env
        self._owner: subprocess.Popen[bytes] | None = None
        self._server: SelectionServer | None = None
        # Even if nobody calls close(), no xclip outlives this interpreter.
        atexit.register(self.release)

    def read(self) -> bytes | None:
        """The clipboard's text, or None when it is empty or holds no text."""
        try:
            done = subprocess.run(
                ["xclip", "-selection", "clipboard", "-o"],
                capture_output=True, timeout=2, env=self._env, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return None
        return done.stdout if done.returncode == 0 else None

    def own(self, data: bytes, timeout: float = 2.0) -> None:
        """Serve `data` as the clipboard until `release()`; returns once it is served."""
        self.release()
        owner = subprocess.Popen(
            ["xclip", "-quiet", "-selection", "clipboard", "-i"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=self._env,
        )  # fmt: skip
        assert owner.stdin is not None
        owner.stdin.write(data)
        owner.stdin.close()
        self._owner = owner
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if owner.poll() is not None:
                break
            if self.read() == data:
                return
            time.sleep(0.01)
        self.release()
        raise ClipboardError("xclip did not take the clipboard (is the X server still there?)")

    def offer(self, data: bytes) -> None:
        """Serve `data` as the clipboard for a paste: `taken()` says when a program has
        fetched it. Served from this process (`x11_selection`), or by xclip when the text
        is too long for that."""
        self.release()
        display = (self._env if self._env is not None else os.environ).get("DISPLAY")
        try:
            self._server = SelectionServer(display, data)
        except SelectionError as error:
            log.debug("the clipboard goes through xclip: %s", error)
            self.own(data)
        except Exception as error:  # python-xlib could not reach the server
            raise ClipboardError(f"the clipboard could not be served: {error}") from None

    def taken(self, timeout: float) -> bool:
        """Wait until what `offer()` served has been fetched; False when that did not happen
        within `timeout` seconds. xclip tells nothing: its text is given `XCLIP_PASTE` s."""
        if self._server is None:
            time.sleep(min(timeout, XCLIP_PASTE))
            return True
        return self._server.fetched(timeout, quiet=QUIET)

    def release(self) -> None:
        """Stop serving what `own()` or `offer()` put there (the clipboard is empty after
        this)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        owner, self._owner = self._owner, None
        if owner is not None and owner.poll() is None:
            owner.terminate()
            try:
                owner.wait(timeout=2)
            except subprocess.TimeoutExpired:
                owner.kill()
                owner.wait()

    def close(self) -> None:
        self.release()
        atexit.unregister(self.release)

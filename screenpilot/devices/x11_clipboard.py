"""The X clipboard through xclip: read it, own it for a paste, give the user's content back.

An X selection lives only while a process serves it, so putting text on the clipboard means
keeping an xclip running. This module keeps at most one, as a child it started in the
foreground (`-quiet`), and ends it in `close()`: no xclip outlives the device that started it.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import time

from screenpilot.errors import ScreenpilotError


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

    def own(self, data: bytes, timeout: float = 2.0, *, pastes: int | None = None) -> None:
        """Serve `data` as the clipboard until `release()`, or until it has been pasted
        `pastes` times (`taken()` says when); returns once it is served."""
        self.release()
        loops = ["-loops", str(pastes)] if pastes else []
        owner = subprocess.Popen(
            ["xclip", "-quiet", *loops, "-selection", "clipboard", "-i"],
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
            # Reading the data would count as a paste; asking what it offers does not.
            if self._offers() if pastes else self.read() == data:
                return
            time.sleep(0.01)
        self.release()
        raise ClipboardError("xclip did not take the clipboard (is the X server still there?)")

    def taken(self, timeout: float) -> bool:
        """Wait until what `own(..., pastes=N)` served has been pasted N times (its xclip has
        ended); False when that did not happen within `timeout` seconds."""
        owner = self._owner
        if owner is None:
            return True
        try:
            owner.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _offers(self) -> bool:
        """Whether the clipboard's owner offers text (a TARGETS request, which xclip does
        not count as a paste)."""
        try:
            done = subprocess.run(
                ["xclip", "-selection", "clipboard", "-o", "-t", "TARGETS"],
                capture_output=True, timeout=2, env=self._env, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0 and b"UTF8_STRING" in done.stdout

    def release(self) -> None:
        """Stop serving what `own()` put there (the clipboard is empty after this)."""
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

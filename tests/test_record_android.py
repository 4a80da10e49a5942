"""`screenpilot record --device android:SERIAL` end to end (issue 14's done-when for phones):
a person logs in on the simulated phone - taps the username field, types, taps the password
field, types a password, taps Sign in - while `screenpilot record` runs as a user runs it,
reading the touches from `getevent` over adb; SIGINT stops it. `screenpilot script` then
replays the file on a phone whose login form a status banner pushed down, and the phone's
own state says whether it logged in. The password appears nowhere a person could read it:
not in the file, the run folder or either program's output.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from screenpilot.sim.adb_server import FakeAdbServer
from screenpilot.sim.phone import SimulatedPhone
from screenpilot.sim.phone_apps import BANNER

pytestmark = pytest.mark.integration

SECRET = "Pw-7;$(id)x"
SERIAL = "R58M123ABC"
#: How long a person's hand pauses between two actions.
PAUSE = 0.7


class Recording:
    """`screenpilot record OUT ...` as a subprocess; `stop()` sends SIGINT and waits."""

    def __init__(self, out: Path, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "screenpilot", "record", str(out), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=out.parent,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.text: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.text.append(line)
            self.lines.put(line)

    def wait_for(self, words: str, timeout: float = 60.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if words in self.lines.get(timeout=0.2):
                    return
            except queue.Empty:
                if self.process.poll() is not None:
                    break
        raise AssertionError(f"never printed {words!r}: {''.join(self.text)}")

    def stop(self) -> str:
        time.sleep(1.5)  # the screen after the last step is part of the recording
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        time.sleep(0.2)
        return "".join(self.text)


def nowhere(secret: str, folder: Path, *outputs: str) -> None:
    """`secret` is in no file of the run folder `folder` and in none of `outputs`."""
    assert folder.is_dir()
    for path in folder.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path
    for text in outputs:
        assert secret not in text


def test_a_recorded_phone_login_replays_on_a_shifted_layout(tmp_path: Path) -> None:
    phone = SimulatedPhone(serial=SERIAL)
    task = tmp_path / "phone_login.yaml"
    with FakeAdbServer([phone]) as server:
        env = {**os.environ, "ANDROID_ADB_SERVER_PORT": str(server.port)}
        recording = Recording(task, env, "--device", f"android:{SERIAL}")
        recording.wait_for("Recording on")
        assert phone.input_devices.open_streams == 1  # getevent runs on the phone
        person = phone.person
        for act in (
            lambda: person.tap(540, 570),  # the username field
            lambda: person.types("bob"),
            lambda: person.tap(540, 850),  # the password field
            lambda: person.types(SECRET),
            lambda: person.tap(540, 1070),  # Sign in
        ):
            act()
            time.sleep(PAUSE)
        printed = recording.stop()
        assert recording.process.returncode == 0, printed
        assert phone.input_devices.open_streams == 0  # the recorder left nothing running
    assert phone.logged_in_as == "bob" and phone.fields["password"] == SECRET
    assert not any(c.startswith("input ") for c in phone.commands)  # it only watched
    written = task.read_text(encoding="utf-8")
    assert "bob" in written and "${password}" in written, (written, printed)
    assert "SCREENPILOT_PASSWORD" in written and "SCREENPILOT_PASSWORD" in printed
    assert "username" in written.casefold() and "Sign in" in written, written
    assert "point" not in written.casefold(), written  # every target in words

    shifted = SimulatedPhone(serial=SERIAL, banner="Your session expired. Sign in again.")
    assert next(n for n in shifted.nodes() if n.rid.endswith("username")).bounds[1] == 500 + BANNER
    with FakeAdbServer([shifted]) as server:
        env = {
            **os.environ,
            "ANDROID_ADB_SERVER_PORT": str(server.port),
            "SCREENPILOT_PASSWORD": SECRET,
        }
        done = subprocess.run(
            [sys.executable, "-m", "screenpilot", "script", str(task), "--device",
             f"android:{SERIAL}", "--yes", "-o", "runs"],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert shifted.logged_in_as == "bob" and shifted.fields["password"] == SECRET
    assert shifted.interpreted == []  # the password reached the phone as one literal word
    nowhere(SECRET, tmp_path / "runs", written, printed, done.stdout, done.stderr)

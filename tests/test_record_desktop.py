"""`screenpilot record` on real programs (issue 14's done-when): xdotool drives a yad (GTK)
form and the demo's Tk form through XTEST, as a person's input arrives at the X server, while
`screenpilot record` runs as a user runs it; SIGINT stops it. The file it writes is then
replayed by `screenpilot script` on a fresh copy of the form that was moved and resized, and
the form's own output is checked. The typed password appears nowhere a person could read it.

The tests find where to click before the recording starts: yad's fields from its
accessibility tree, the Tk form's entries right of the labels OCR reads.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from screenpilot.demo_form import TK_FORM
from screenpilot.devices.virtual_display import XSession
from screenpilot.perception.ocr import ScreenReader
from tests.desktop_apps import wait_for_a_still_screen

pytestmark = pytest.mark.integration

SECRET = "Pw-7;$(id)x"


def xdo(xsession: XSession, *args: str) -> None:
    subprocess.run(["xdotool", *args], env=xsession.env, check=True, timeout=30)


class Recording:
    """`screenpilot record OUT` as a subprocess; `stop()` sends SIGINT and waits."""

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

    def stop(self, sig: int = signal.SIGINT) -> str:
        time.sleep(1.0)  # the screen after the last step is part of the recording
        if sig:
            self.process.send_signal(sig)
        self.process.wait(timeout=60)
        time.sleep(0.2)
        return "".join(self.text)


def script(task: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "screenpilot", "script", str(task), "-o", "runs", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=task.parent,
        timeout=180,
        check=False,
    )


def nowhere(secret: str, folder: Path, *outputs: str) -> None:
    """`secret` is in no file of the run folder `folder` and in none of `outputs`."""
    assert folder.is_dir()
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in (".yaml", ".jsonl", ".html", ".json", ".txt"):
            assert secret not in path.read_text(encoding="utf-8", errors="replace"), path
    for text in outputs:
        assert secret not in text


def test_a_recorded_tk_form_replays_on_a_moved_and_resized_copy(
    xsession: XSession, tmp_path: Path, reader: ScreenReader
) -> None:
    from screenpilot.devices.desktop import Desktop

    env = {**os.environ, **xsession.env}
    form = xsession.start(
        ["/usr/bin/python3", str(TK_FORM), str(tmp_path / "first.json"), "Name", "Email", "PIN"]
    )
    xsession.wait_for_window("Tk form")
    wait_for_a_still_screen()
    with Desktop(accessibility=False) as desktop:
        shot = desktop.screenshot()
    read = {e.name: e.box for e in reader.elements(shot.pixels, shot.geometry)}
    task = tmp_path / "tk.yaml"
    recording = Recording(task, env)
    recording.wait_for("Recording on")
    # Each entry is right of its label.
    for label, text in zip(("Name", "Email", "PIN"), ("Ada Lovelace", "ada@example.org", SECRET),
                           strict=True):  # fmt: skip
        box = read[label]
        xdo(xsession, "mousemove", str(int(box.x2 + 170)), str(int(box.center.y)), "click", "1")
        time.sleep(0.4)
        xdo(xsession, "type", "--delay", "25", text)
        time.sleep(0.4)
    submit = read["Submit"].center
    xdo(xsession, "mousemove", str(int(submit.x)), str(int(submit.y)), "click", "1")
    printed = recording.stop()
    assert recording.process.returncode == 0, printed
    written = task.read_text(encoding="utf-8")
    assert json.loads((tmp_path / "first.json").read_text())["name"] == "Ada Lovelace", (
        written,
        printed,
    )
    xsession.stop(form)

    assert "the Name field" in written and "the Email field" in written, (written, printed)
    assert "${password}" in written and "SCREENPILOT_PASSWORD" in written, written
    assert "the Submit button" in written or "Submit" in written, written

    again = xsession.start(["/usr/bin/python3", str(TK_FORM), str(tmp_path / "again.json"),
                            "Name", "Email", "PIN"])  # fmt: skip
    wid = xsession.wait_for_window("Tk form")
    xdo(xsession, "windowsize", wid, "760", "420")
    xdo(xsession, "windowmove", wid, "900", "500")
    time.sleep(1.0)
    done = script(task, {**env, "SCREENPILOT_PASSWORD": SECRET})
    assert done.returncode == 0, done.stdout + done.stderr
    saved = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    assert saved == {
        "name": "Ada Lovelace", "email": "ada@example.org", "pin": SECRET, "subscribe": False,
    }  # fmt: skip
    xsession.stop(again)
    nowhere(SECRET, tmp_path / "runs", written, printed, done.stdout, done.stderr)


YAD_FORM = (
    'exec yad --title="{title}" --geometry={geometry} --form --field=Name --field=City '
    '--field=Password:H > "{out}"\n'
)


def test_a_recorded_yad_form_replays_on_a_moved_and_resized_copy(
    xsession: XSession, tmp_path: Path
) -> None:
    from screenpilot.devices.desktop import Desktop

    env = {**os.environ, **xsession.env}
    first = tmp_path / "first.sh"
    first.write_text(YAD_FORM.format(title="Contact", geometry="420x260+150+120",
                                     out=tmp_path / "first.txt"))  # fmt: skip
    form = xsession.start(["sh", str(first)])
    xsession.wait_for_window("Contact")
    time.sleep(1.0)
    with Desktop() as desktop:
        elements = desktop.elements()
    entries = sorted((e for e in elements if e.role == "entry"), key=lambda e: e.box.y1)
    ok = next(e for e in elements if e.role == "button" and e.name == "OK")
    assert len(entries) == 3, elements

    task = tmp_path / "yad.yaml"
    recording = Recording(task, env)
    recording.wait_for("Recording on")
    for entry, text in zip(entries, ("Zoë Stone", "Lyon", SECRET), strict=True):
        centre = entry.box.center
        xdo(xsession, "mousemove", str(int(centre.x)), str(int(centre.y)), "click", "1")
        time.sleep(0.4)
        xdo(xsession, "type", "--delay", "25", text)
        time.sleep(0.4)
    xdo(xsession, "mousemove", str(int(ok.box.center.x)), str(int(ok.box.center.y)), "click", "1")
    printed = recording.stop()
    assert recording.process.returncode == 0, printed
    form.wait(timeout=10)
    assert (tmp_path / "first.txt").read_text(encoding="utf-8").startswith("Zo")
    written = task.read_text(encoding="utf-8")
    assert "the Name field" in written and "the City field" in written, written
    assert "${password}" in written and "the OK button" in written, written

    again = tmp_path / "again.sh"
    again.write_text(YAD_FORM.format(title="Contact", geometry="640x420+800+400",
                                     out=tmp_path / "again.txt"))  # fmt: skip
    second = xsession.start(["sh", str(again)])
    xsession.wait_for_window("Contact")
    time.sleep(1.0)
    # Typing into a password field asks for confirmation; --yes gives it up front.
    done = script(task, {**env, "SCREENPILOT_PASSWORD": SECRET}, "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    second.wait(timeout=10)
    assert (tmp_path / "again.txt").read_text(encoding="utf-8") == f"Zoë Stone|Lyon|{SECRET}|\n"
    nowhere(SECRET, tmp_path / "runs", written, printed, done.stdout, done.stderr)


def test_the_stop_chord_ends_the_recording_and_never_reaches_the_program(
    xsession: XSession, tmp_path: Path
) -> None:
    import re

    env = {**os.environ, **xsession.env}
    keys = tmp_path / "keys.txt"
    # xev prints every key event its window gets.
    logger = xsession.start(
        [
            "sh",
            "-c",
            f'exec xev -event keyboard -geometry 500x300+300+300 -name "Key log" > "{keys}"',
        ]
    )
    xsession.wait_for_window("Key log")
    xdo(xsession, "mousemove", "550", "450", "click", "1")  # the window takes the focus
    time.sleep(0.5)
    task = tmp_path / "chord.yaml"
    recording = Recording(task, env)
    recording.wait_for("Recording on")
    xdo(xsession, "type", "--delay", "25", "abc")
    time.sleep(0.4)
    xdo(xsession, "key", "ctrl+alt+shift+x")
    printed = recording.stop(sig=0)  # no signal: the chord alone ends it
    assert recording.process.returncode == 0, printed
    assert "{type: type, text: abc}" in task.read_text(encoding="utf-8")
    time.sleep(0.3)
    xsession.stop(logger)
    got = re.findall(r"KeyPress event.*?keysym 0x[0-9a-f]+, (\w+)\)", keys.read_text(), re.S)
    # The program got the typing and nothing of the chord's key (the modifiers may pass).
    assert got[:3] == ["a", "b", "c"], got
    assert not {"x", "X"} & set(got), got


def test_a_save_recorded_in_mousepad_waits_for_its_dialog(
    xsession: XSession, tmp_path: Path
) -> None:
    """A program nobody here wrote: a shortcut opens a dialog, the recording waits for it
    before typing into it, and a title that changes in the same window is no new window."""
    env = {**os.environ, **xsession.env}
    home = tmp_path / "home"
    home.mkdir()
    saved = tmp_path / "saved.txt"
    editor = xsession.start(["mousepad", "--disable-server"], HOME=str(home))
    xsession.wait_for_window("Mousepad")
    wait_for_a_still_screen()
    task = tmp_path / "save.yaml"
    recording = Recording(task, env)
    recording.wait_for("Recording on")
    xdo(xsession, "mousemove", "900", "500", "click", "1")
    time.sleep(0.4)
    xdo(xsession, "type", "--delay", "20", "hello world")
    time.sleep(0.4)
    xdo(xsession, "key", "ctrl+s")
    xsession.wait_for_window("Save As")
    time.sleep(1.0)
    xdo(xsession, "type", "--delay", "20", str(saved))
    time.sleep(0.4)
    xdo(xsession, "key", "Return")
    time.sleep(1.0)
    printed = recording.stop()
    assert recording.process.returncode == 0, printed
    xsession.stop(editor)
    assert saved.read_text(encoding="utf-8") == "hello world"
    steps = [line.strip() for line in task.read_text(encoding="utf-8").splitlines()
             if line.startswith("  - ")]  # fmt: skip
    assert steps == [
        "- {type: type, text: hello world, target: the first field}",
        "- {type: key, keys: [ctrl, s]}",
        "- {type: wait, until_text: Save As, timeout: 10.0}",
        f"- {{type: type, text: {saved}, target: the Name field, press_enter: true}}",
        steps[-1],
    ], steps
    assert steps[-1].startswith("- {type: wait, until_text:"), steps

"""The desktop device on a real Xvfb: capture, geometry, input, text entry, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import time
import tkinter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from screenpilot.actions import parse_action
from screenpilot.actions.executor import Executor, GroundingError
from screenpilot.devices.desktop import Desktop, DesktopError
from screenpilot.devices.virtual_display import XSession
from screenpilot.perception.geometry import Rect, ScreenPoint
from screenpilot.perception.ocr import RapidOcr, ScreenReader
from tests.desktop_apps import start_tk_form, wait_for_a_still_screen

ENTRY_APP = """
import sys, tkinter as tk
root = tk.Tk(); root.title("Echo"); root.geometry("600x200+100+100")
text = tk.StringVar()
tk.Entry(root, textvariable=text, font=("DejaVu Sans", 16), width=30).pack(pady=30)
def dump(*_):
    open(sys.argv[1], "w", encoding="utf-8").write(text.get())
text.trace_add("write", dump)
root.mainloop()
"""


@pytest.fixture
def desktop(xsession: XSession) -> Iterator[Desktop]:
    with Desktop() as d:
        yield d


def our_xclips() -> list[str]:
    """xclip processes this test process started (the device's own clipboard helpers)."""
    out = subprocess.run(
        ["pgrep", "-P", str(os.getpid()), "-x", "xclip"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.split()


@pytest.fixture
def echo(xsession: XSession, tmp_path: Path) -> Iterator[Path]:
    """A Tk entry that mirrors its text into a file, focused and ready for typing."""
    out = tmp_path / "echo.txt"
    app = xsession.start(["/usr/bin/python3", "-c", ENTRY_APP, str(out)])
    window = xsession.wait_for_window("Echo")
    subprocess.run(["xdotool", "windowactivate", "--sync", window], env=xsession.env, check=True)
    subprocess.run(
        ["xdotool", "mousemove", "400", "165", "click", "1"], env=xsession.env, check=True
    )
    yield out
    xsession.stop(app)


def echoed(path: Path, expected: str, timeout: float = 5.0) -> str:
    """The app's mirror file once it shows `expected` (X events arrive asynchronously)."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if text == expected:
            break
        time.sleep(0.05)
    return text


def test_screenshot_is_rgb_with_the_monitor_geometry(desktop: Desktop) -> None:
    shot = desktop.screenshot()
    assert shot.pixels.shape == (1080, 1920, 3) and shot.pixels.dtype == np.uint8
    assert shot.geometry.screen == Rect(width=1920, height=1080)
    assert shot.geometry.image.width == 1920


def test_pixels_are_rgb_and_raw_keeps_the_device_layout(
    xsession: XSession, desktop: Desktop
) -> None:
    code = (
        "import tkinter as tk; r = tk.Tk(); r.title('Colour'); "
        "r.geometry('200x200+300+300'); r.configure(bg='#ff2000'); r.mainloop()"
    )
    app = xsession.start(["/usr/bin/python3", "-c", code])
    try:
        xsession.wait_for_window("Colour")
        shot = desktop.screenshot()
        assert shot.pixels[400, 400].tolist() == [255, 32, 0]
        assert shot.layout == "BGRA" and shot.raw[400, 400, :3].tolist() == [0, 32, 255]
    finally:
        xsession.stop(app)


def test_region_grabs_crop_and_map_back(xsession: XSession) -> None:
    with Desktop(region=Rect(left=100, top=50, width=400, height=300)) as d:
        shot = d.screenshot()
        assert shot.pixels.shape == (300, 400, 3)
        assert d.geometry.shown_box.x1 == 100 and d.geometry.shown_box.y1 == 50


def test_unicode_text_arrives_and_the_clipboard_is_restored(
    desktop: Desktop, echo: Path, xsession: XSession
) -> None:
    subprocess.run(
        ["xclip", "-selection", "clipboard", "-i", "-loops", "3"],
        input=b"user's own clipboard",
        env=xsession.env,
        check=True,
        timeout=5,
    )
    desktop.type_text("Zoë 北京 ;$(x)`y` %s")
    assert echoed(echo, "Zoë 北京 ;$(x)`y` %s") == "Zoë 北京 ;$(x)`y` %s"
    restored = subprocess.run(
        ["xclip", "-selection", "clipboard", "-o"],
        capture_output=True,
        env=xsession.env,
        check=True,
        timeout=5,
    )
    assert restored.stdout == b"user's own clipboard"
    assert len(our_xclips()) == 1  # serving the restored clipboard
    desktop.close()
    assert our_xclips() == []


def test_ascii_is_typed_and_chords_work(desktop: Desktop, echo: Path) -> None:
    desktop.type_text("hello world")
    assert echoed(echo, "hello world") == "hello world"
    desktop.key(["backspace"])
    desktop.key(["shift", "home"])
    desktop.key(["delete"])
    assert echoed(echo, "") == ""


def test_a_click_outside_every_monitor_is_refused(desktop: Desktop) -> None:
    with pytest.raises(DesktopError, match=r"\(2500, 10\) is outside every monitor"):
        desktop.click(ScreenPoint(x=2500, y=10))


def test_corner_targets_are_kept_off_the_fail_safe_corner(desktop: Desktop) -> None:
    desktop.click(ScreenPoint(x=0, y=0))  # would trip pyautogui's fail-safe on (0, 0)
    import pyautogui

    assert tuple(pyautogui.position()) == (4, 4)


def test_unknown_monitor_and_missing_display_are_clear_errors(xsession: XSession) -> None:
    with pytest.raises(DesktopError, match="there is no monitor 3"):
        Desktop(monitor=3)
    saved = os.environ.pop("DISPLAY")
    try:
        with pytest.raises(DesktopError, match="no DISPLAY is set"):
            Desktop()
        os.environ["DISPLAY"] = ":199"
        with pytest.raises(DesktopError, match="cannot reach the X server at DISPLAY=:199"):
            Desktop()
    finally:
        os.environ["DISPLAY"] = saved


def test_targets_that_match_nothing_or_several_are_explicit(
    xsession: XSession, desktop: Desktop, tmp_path: Path
) -> None:
    app = start_tk_form(xsession, tmp_path / "o.json")
    try:
        executor = Executor(desktop, reader=ScreenReader(RapidOcr()))
        with pytest.raises(
            GroundingError, match="nothing on the screen matches 'the Cancel button'"
        ):
            executor.run(parse_action({"type": "click", "target": "the Cancel button"}))
        with pytest.raises(GroundingError, match="'the field' is ambiguous"):
            executor.run(parse_action({"type": "click", "target": "the field"}))
    finally:
        xsession.stop(app)


def test_a_click_with_no_visible_effect_fails_verification(desktop: Desktop) -> None:
    executor = Executor(desktop, settle_timeout=0.5)
    result = executor.run(parse_action({"type": "click", "target": [900, 900]}))
    assert not result.ok
    assert "no visible effect" in result.verdict.reason


def test_the_window_closing_mid_run_is_a_clear_failure(
    xsession: XSession, desktop: Desktop, tmp_path: Path
) -> None:
    app = start_tk_form(xsession, tmp_path / "o.json")
    executor = Executor(desktop, reader=ScreenReader(RapidOcr()))
    assert executor.run(parse_action({"type": "click", "target": "the Name field"})).ok
    xsession.stop(app)
    # The process has ended; the X server takes the window down a moment later.
    wait_for_a_still_screen()
    with pytest.raises(GroundingError, match="nothing on the screen matches 'the Email field'"):
        executor.run(parse_action({"type": "type", "text": "x", "target": "the Email field"}))


@pytest.mark.integration
def test_losing_the_x_server_is_a_clear_error(tmp_path: Path) -> None:
    from screenpilot.devices.virtual_display import x_session

    saved = os.environ.get("DISPLAY")
    with x_session(640, 480) as session:
        os.environ["DISPLAY"] = session.display
        try:
            d = Desktop(accessibility=False)
            session.stop(session.processes[0])  # Xvfb
            with pytest.raises(DesktopError, match="DISPLAY=" + session.display):
                d.screenshot()
            with pytest.raises(DesktopError, match="lost the X server"):
                d.click(ScreenPoint(x=10, y=10))
        finally:
            if saved is not None:
                os.environ["DISPLAY"] = saved
    assert tkinter  # the Tk test app needs Debian's python3-tk; fail early if it is missing


GESTURE_APP = """
import json, os, sys, tkinter as tk
root = tk.Tk(); root.title("Gestures"); root.geometry("500x400+100+100")
out = sys.argv[1]
scale = tk.Scale(root, from_=0, to=100, orient="horizontal", length=400)
scale.pack(pady=10)
box = tk.Listbox(root, height=8, font=("DejaVu Sans", 14))
for i in range(100):
    box.insert("end", f"row {i}")
box.pack(fill="both", expand=True)
def dump(*_):
    with open(out + ".tmp", "w") as f:  # written aside and renamed: readers never see half
        json.dump({"scale": scale.get(), "top": box.nearest(0)}, f)
    os.replace(out + ".tmp", out)
    root.after(50, dump)
root.after(50, dump)
root.mainloop()
"""


@pytest.fixture
def gestures(xsession: XSession, tmp_path: Path) -> Iterator[Path]:
    out = tmp_path / "gestures.json"
    app = xsession.start(["/usr/bin/python3", "-c", GESTURE_APP, str(out)])
    xsession.wait_for_window("Gestures")
    deadline = time.monotonic() + 5
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield out
    xsession.stop(app)


def state(path: Path) -> dict[str, int]:
    time.sleep(0.2)
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def test_drag_and_scroll_move_real_widgets(desktop: Desktop, gestures: Path) -> None:
    assert state(gestures) == {"scale": 0, "top": 0}
    executor = Executor(desktop)
    # The Scale's slider starts at the left end of its trough (x 150-550 at y 161 with
    # openbox's frame); drag it most of the way right.
    drag = executor.run(parse_action({"type": "drag", "start": [167, 161], "end": [480, 161]}))
    assert drag.ok, drag.verdict.reason
    assert state(gestures)["scale"] > 50
    scroll = executor.run(
        parse_action({"type": "scroll", "direction": "down", "amount": 5, "target": [300, 350]})
    )
    assert scroll.ok, scroll.verdict.reason
    assert state(gestures)["top"] > 0


def test_control_characters_are_refused_before_reaching_the_keyboard(desktop: Desktop) -> None:
    with pytest.raises(DesktopError, match="control characters"):
        desktop.type_text("abc\x1b[2J")


def test_a_missing_helper_program_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from screenpilot.devices.x11_clipboard import Clipboard, ClipboardError

    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ClipboardError, match="apt-get install xclip"):
        Clipboard()

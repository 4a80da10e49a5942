"""OCR elements and the field detector, on synthetic frames and on a real Tk window."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import XSession
from screenpilot.perception.geometry import Rect
from screenpilot.perception.ocr import OcrLine, RapidOcr, ScreenReader, find_fields

FORMS = Path(__file__).resolve().parent.parent / "examples" / "forms"


def test_find_fields_sees_white_entries_and_not_the_page() -> None:
    frame = np.full((400, 600, 3), 217, dtype=np.uint8)  # a grey window
    frame[50:80, 100:400] = 255  # an entry
    frame[120:150, 100:400] = 255
    frame[128:142, 110:160] = 0  # with text in it
    frame[200:215, 100:115] = 255  # a small square: a checkbox, not a field
    fields = find_fields(frame)
    assert fields == [
        Rect(left=100, top=50, width=300, height=30),
        Rect(left=100, top=120, width=300, height=30),
    ]
    white_page = np.full((400, 600, 3), 255, dtype=np.uint8)
    assert find_fields(white_page) == []


class CountingEngine:
    """Records the size of every image it is asked to read (real OCR underneath)."""

    def __init__(self, engine: RapidOcr) -> None:
        self.engine, self.areas = engine, []

    def read(self, pixels: np.ndarray) -> list[OcrLine]:
        self.areas.append(pixels.shape[0] * pixels.shape[1])
        return self.engine.read(pixels)


def test_only_the_changed_field_is_read_again(tk_form: Path, xsession: XSession) -> None:
    engine = CountingEngine(RapidOcr())
    reader = ScreenReader(engine)
    with Desktop(accessibility=False) as desktop:
        first = desktop.screenshot()
        before = {ln.text for ln in reader.lines(first.pixels)}
        assert {"Name", "Email", "Subscribe", "Submit"} <= before
        # Tab moves the focus on, so no blinking caret sits after the word being read.
        for command in (
            ["mousemove", "450", "258", "click", "1"],
            ["type", "Alice"],
            ["key", "Tab"],
        ):
            subprocess.run(["xdotool", *command], env=xsession.env, check=True)
        second = desktop.screenshot()
        engine.areas.clear()
        after = {ln.text for ln in reader.lines(second.pixels)}
        assert after == before | {"Alice"}
        assert 0 < reader.last_read_area < 0.05
        assert sum(engine.areas) < 0.05 * 1920 * 1080
        # and the incremental answer is what a fresh full read says
        fresh = {ln.text for ln in ScreenReader(RapidOcr()).lines(second.pixels)}
        assert after == fresh

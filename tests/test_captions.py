"""Captions of drawn buttons the OCR detector passed over: only buttons without text are
read, in one batch, and a face already read is not read again."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from screenpilot.perception.captions import CaptionReader
from screenpilot.perception.change import Frame
from screenpilot.perception.geometry import Rect
from screenpilot.perception.shapes import Control


class CountingRecogniser:
    """Reads each crop as the shade of its middle pixel (a stand-in for the recogniser)."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def recognise(self, crops: Sequence[Frame]) -> list[tuple[str, float]]:
        self.batches.append(len(crops))
        return [(str(int(c[c.shape[0] // 2, c.shape[1] // 2, 0])), 0.9) for c in crops]


def keypad() -> tuple[Frame, list[Control]]:
    frame = np.full((100, 300, 3), 255, np.uint8)
    controls = []
    for i, shade in enumerate((7, 8, 9)):
        box = Rect(left=10 + 90 * i, top=10, width=80, height=40)
        frame[12:48, 12 + 90 * i : 88 + 90 * i] = shade
        controls.append(Control("button", box, None, 0.9))
    controls.append(Control("entry", Rect(left=10, top=60, width=280, height=30), None, 0.9))
    return frame, controls


def test_buttons_without_text_are_read_in_one_batch_and_once() -> None:
    frame, controls = keypad()
    recogniser = CountingRecogniser()
    reader = CaptionReader(recogniser)
    ocr_read = [Rect(left=110, top=20, width=20, height=20)]  # the middle key has its text
    found = reader.captions(frame, controls, ocr_read)
    assert [text for text, _, _ in found] == ["7", "9"]
    assert recogniser.batches == [2]  # the entry and the key with text are left alone
    again = reader.captions(frame, controls, ocr_read)
    assert again == found and recogniser.batches == [2]  # the same faces are not read twice


def test_unsure_readings_name_nothing() -> None:
    frame, controls = keypad()

    class Unsure(CountingRecogniser):
        def recognise(self, crops: Sequence[Frame]) -> list[tuple[str, float]]:
            return [("?", 0.3) for _ in crops]

    assert CaptionReader(Unsure()).captions(frame, controls, []) == []


def _face_with(*bars: tuple[int, int, int, int]) -> Frame:
    """A 30x54 light button face with dark rectangles (x, y, w, h) drawn on it."""
    face = np.full((30, 54, 3), 240, np.uint8)
    for x, y, w, h in bars:
        face[y : y + h, x : x + w] = 40
    return face


def test_the_plainest_signs_are_told_by_their_shape() -> None:
    from screenpilot.perception.captions import shape_sign

    assert shape_sign(_face_with((23, 14, 8, 2))) == "-"
    assert shape_sign(_face_with((22, 11, 10, 2), (22, 16, 10, 2))) == "="
    assert shape_sign(_face_with((26, 20, 3, 3))) == "."
    slash = _face_with()
    for row in range(13):
        slash[8 + row, 31 - row // 2 : 33 - row // 2] = 40
    assert shape_sign(slash) == "/"
    # Not signs: a bar at the bottom ("_"), a dot at mid height, a letter-like block.
    assert shape_sign(_face_with((23, 25, 8, 2))) is None
    assert shape_sign(_face_with((26, 13, 3, 3))) is None
    assert shape_sign(_face_with((20, 8, 12, 14))) is None
    assert shape_sign(_face_with()) is None


def test_a_button_with_only_an_unsure_reading_is_read_again() -> None:
    frame, controls = keypad()
    recogniser = CountingRecogniser()
    reader = CaptionReader(recogniser)
    plus = Rect(left=110, top=20, width=20, height=20)  # OCR read the middle key unsure
    found = reader.captions(frame, controls, [plus], unsure=[plus])
    assert [text for text, _, _ in found] == ["7", "8", "9"]

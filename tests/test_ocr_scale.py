"""OCR with its models on drawn frames (tests/rendered_form.py): small text at 3840x2160 is
read, the field it labels grounded on every step of typing into it, and what a step changed
is read as it is drawn. Integration tier: the `reader` fixture loads the models."""

from __future__ import annotations

import pytest

from screenpilot.perception.geometry import ScreenGeometry
from screenpilot.perception.grounding import Found, ground
from screenpilot.perception.ocr import ScreenReader
from tests.rendered_form import LABELS, TYPED, filling_in, form, typing_email

UHD = (3840, 2160)


@pytest.mark.parametrize("scale", [1.0, 2.0], ids=["100%", "200%"])
def test_every_label_is_read_and_its_field_found_at_4k(reader: ScreenReader, scale: float) -> None:
    """At 3840x2160 rapidocr's own pipeline shrank the frame to 2048 px and read 0 of 7
    labels drawn at 100%: the detector now sees tiles at the frame's resolution."""
    texts = {ln.text for ln in ScreenReader(reader.engine).lines(form(*UHD, scale).frame)}
    assert set(LABELS) <= texts, texts
    geometry = ScreenGeometry.for_screen(*UHD)
    steps = ScreenReader(reader.engine)  # one reader, reading each frame incrementally
    found = []
    for shown in typing_email(*UHD, scale, steps=10):
        answer = ground("the Email field", steps.elements(shown.frame, geometry))
        assert isinstance(answer, Found), answer
        found.append(answer.box)
    # ... and it is the same box every time: the field right of "Email".
    assert len(set(found)) == 1
    field = found[0]
    email = next(ln for ln in steps.lines(shown.frame) if ln.text == "Email")
    middle = email.box.top + email.box.height / 2  # on the label's row (OCR pads its box)
    assert field.x1 > email.box.left + email.box.width and field.y1 <= middle <= field.y2


@pytest.mark.parametrize("size", [(1920, 1080), UHD], ids=["1080p", "4k"])
def test_what_each_step_drew_is_read_incrementally(
    reader: ScreenReader, size: tuple[int, int]
) -> None:
    """A form typed into, a dialog shown over it, then gone: after every change the text
    drawn is among the incremental reader's lines."""
    shots = filling_in(*size, typed=TYPED if size[0] < 3000 else TYPED[-1:])
    steps = ScreenReader(reader.engine)
    for n, shown in enumerate(shots):
        read = {ln.text for ln in steps.lines(shown.frame)}
        assert shown.texts <= read, (n, sorted(shown.texts - read))

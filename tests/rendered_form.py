"""A contact form drawn with PIL (DejaVu Sans) at any frame size and scale, and sequences of
frames over it whose text is known: the form typed into, a dialog shown over it, then gone.

At scale 1 the labels are 13-16 px, as a desktop draws them at 100%; scale 2 is a HiDPI
screen at 200%. `bench/ocr_scale.py` and tests/test_ocr_scale.py read these frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
LABELS = ("Full name", "Email", "Phone", "Street", "City", "Postcode", "Country")
#: Text sizes (px at scale 1) of the labels, in turn.
LABEL_SIZES = (13, 14, 15, 16)
TITLE = "Contact details"
TYPED = (("Full name", "Ada Lovelace"), ("Email", "ada@example.org"), ("City", "London"))
DIALOG = ("Discard changes?", "Your edits will be lost.", "Cancel", "Discard")

Frame = NDArray[np.uint8]


@dataclass(frozen=True)
class Shown:
    """One frame and the text drawn on it."""

    frame: Frame
    texts: frozenset[str]


def _font(px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT), round(px))


def form(
    width: int, height: int, scale: float = 1.0, values: dict[str, str] | None = None
) -> Shown:
    """The form on a grey desktop, its fields holding `values`."""
    values = values or {}
    image = Image.new("RGB", (width, height), (236, 236, 236))
    draw = ImageDraw.Draw(image)
    s = scale
    x0, y0 = int(width * 0.3), int(height * 0.2)
    draw.rectangle(
        (x0 - 20 * s, y0 - 44 * s, x0 + 460 * s, y0 + 300 * s),
        fill=(246, 246, 246),
        outline=(180, 180, 180),
    )
    draw.text((x0, y0 - 34 * s), TITLE, font=_font(16 * s), fill=(20, 20, 20))
    border = max(1, round(s))
    for i, label in enumerate(LABELS):
        y = y0 + i * 40 * s
        draw.text((x0, y + 6 * s), label, font=_font(LABEL_SIZES[i % 4] * s), fill=(30, 30, 30))
        fx = x0 + 110 * s
        draw.rectangle(
            (fx, y, fx + 300 * s, y + 28 * s),
            fill=(255, 255, 255),
            outline=(150, 150, 150),
            width=border,
        )
        if values.get(label):
            draw.text((fx + 6 * s, y + 6 * s), values[label], font=_font(14 * s), fill=(10, 10, 10))
    texts = {TITLE, *LABELS, *(v for v in values.values() if v)}
    return Shown(np.asarray(image), frozenset(texts))


def with_dialog(shown: Shown, scale: float = 1.0) -> Shown:
    """A confirmation dialog drawn over `shown`'s frame."""
    image = Image.fromarray(shown.frame.copy())
    draw = ImageDraw.Draw(image)
    s, (width, height) = scale, image.size
    x0, y0 = int(width * 0.45), int(height * 0.5)
    border = max(1, round(s))
    draw.rectangle(
        (x0, y0, x0 + 360 * s, y0 + 150 * s),
        fill=(250, 250, 250),
        outline=(120, 120, 120),
        width=border,
    )
    title, body, *buttons = DIALOG
    draw.text((x0 + 20 * s, y0 + 16 * s), title, font=_font(15 * s), fill=(20, 20, 20))
    draw.text((x0 + 20 * s, y0 + 50 * s), body, font=_font(13 * s), fill=(60, 60, 60))
    for i, caption in enumerate(buttons):
        bx = x0 + 150 * s + i * 105 * s
        draw.rectangle(
            (bx, y0 + 100 * s, bx + 90 * s, y0 + 130 * s),
            fill=(225, 225, 225),
            outline=(130, 130, 130),
            width=border,
        )
        draw.text((bx + 16 * s, y0 + 107 * s), caption, font=_font(14 * s), fill=(20, 20, 20))
    return Shown(np.asarray(image), shown.texts | set(DIALOG))


def filling_in(
    width: int, height: int, scale: float = 1.0, typed: tuple[tuple[str, str], ...] = TYPED
) -> list[Shown]:
    """The empty form, then the form as each of `typed` is typed into its field (after two
    letters, and all), then a dialog over it, then the form again. (Two: a lone capital
    "L" is too little for the detector, on a full read as on any other.)"""
    values: dict[str, str] = {}
    frames = [form(width, height, scale)]
    for label, text in typed:
        for count in (2, len(text)):
            values[label] = text[:count]
            frames.append(form(width, height, scale, dict(values)))
    frames.append(with_dialog(frames[-1], scale))
    frames.append(form(width, height, scale, dict(values)))
    return frames


def typing_email(width: int, height: int, scale: float = 1.0, steps: int = 10) -> list[Shown]:
    """The form, then `steps` frames each with one more letter in the Email field."""
    address = "grace.hopper@navy.example"
    return [form(width, height, scale, {"Email": address[:n]}) for n in range(steps + 1)]

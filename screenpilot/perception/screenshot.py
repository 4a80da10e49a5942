"""A screenshot with the geometry that says where its pixels are, and an observation."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenGeometry

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True, eq=False)
class Screenshot:
    """Pixels of one capture, in the layout the device delivered them, and the geometry
    that places them on the screen.

    `raw` is what change detection compares (no conversion: at 1080p turning BGRA into RGB
    costs ~10 ms, more than the capture itself); `pixels` is the RGB view that OCR, the
    field finder and the model get, made on first use.
    """

    raw: NDArray[np.uint8]
    geometry: ScreenGeometry
    taken_at: float
    layout: Literal["RGB", "RGBA", "BGRA"] = "RGB"

    @cached_property
    def pixels(self) -> NDArray[np.uint8]:
        """H x W x 3 RGB."""
        if self.layout == "RGB":
            return self.raw
        if self.layout == "RGBA":
            return np.ascontiguousarray(self.raw[:, :, :3])
        from PIL import Image

        h, w = self.raw.shape[:2]
        raw = np.ascontiguousarray(self.raw)
        return np.asarray(Image.frombuffer("RGB", (w, h), raw, "raw", "BGRX"))

    def image(self) -> Image.Image:
        from PIL import Image

        return Image.fromarray(self.pixels)


@dataclass(frozen=True, eq=False)
class Observation:
    """What the agent knows about the screen at one moment."""

    screenshot: Screenshot
    elements: list[Element] = field(default_factory=list)

    @property
    def geometry(self) -> ScreenGeometry:
        return self.screenshot.geometry

"""A screenshot with the geometry that says where its pixels are, and an observation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenGeometry

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True, eq=False)
class Screenshot:
    """RGB pixels (H x W x 3, uint8) of the capture and the geometry that places them."""

    pixels: NDArray[np.uint8]
    geometry: ScreenGeometry
    taken_at: float

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

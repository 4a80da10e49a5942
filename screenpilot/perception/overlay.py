"""Pictures that explain a grounding: the visual-token grid and the box, on the screenshot.

Each visual token Qwen3-VL saw covers one cell of the grid (32x32 pixels of the image it was
sent, mapped back to the screen); the grounded box is drawn over it. Seeing which tokens the
box spans is how a user understands why a click landed where it did.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageDraw

from screenpilot.perception.geometry import ScreenBox, ScreenGeometry
from screenpilot.perception.mrope import token_boxes

GRID = (0, 160, 255)
BOX = (255, 40, 40)


def grounding_overlay(
    screen: Image.Image,
    geometry: ScreenGeometry,
    boxes: Sequence[ScreenBox] = (),
    *,
    grid: bool = True,
    label: str = "",
) -> Image.Image:
    """A copy of `screen` (a screenshot of `geometry.screen`) with the token grid of the
    image that was sent, and `boxes` (the first one labelled), drawn on it."""
    out = screen.convert("RGB").copy()
    draw = ImageDraw.Draw(out, "RGBA")
    left, top = geometry.screen.left, geometry.screen.top
    sx = out.width / geometry.screen.width
    sy = out.height / geometry.screen.height

    def px(b: ScreenBox) -> tuple[float, float, float, float]:
        return ((b.x1 - left) * sx, (b.y1 - top) * sy, (b.x2 - left) * sx, (b.y2 - top) * sy)

    if grid:
        for cell in token_boxes(geometry):
            draw.rectangle(px(cell.box), outline=(*GRID, 90), width=1)
    for number, box in enumerate(boxes):
        x1, y1, x2, y2 = px(box)
        draw.rectangle((x1, y1, x2, y2), outline=(*BOX, 255), width=3)
        if label and number == 0:
            draw.text((x1 + 4, max(0, y1 - 14)), label, fill=(*BOX, 255))
    return out

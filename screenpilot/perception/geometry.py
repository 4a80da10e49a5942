"""Coordinate frames and the one object that converts between them.

Three frames, each with its own point and box types so that a value can never cross a frame
unnoticed (mypy rejects a `ModelPoint` where a `ScreenPoint` is expected):

- model frame: what Qwen3-VL answers, 0..1000 on both axes relative to the image it was shown
  (the phone tool's prompt says 999, so the divisor is a parameter);
- image frame: pixels of the screenshot that was sent, after any crop and resize;
- screen frame: what the input device takes - on X the virtual-screen coordinates of a monitor
  (its offset included), on HiDPI systems logical points, on Android the touch coordinates of
  the display as `wm size` reports it (override included).

All frames use continuous coordinates with pixel *i* covering [i, i + 1). Model and image
points may lie anywhere on the image's extent [0, size]; screen points are clamped to
[0, size - 1] (plus the monitor's offset) so that input always lands on a real pixel.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator

from screenpilot.errors import GeometryError

#: A coordinate: a real, finite number (not a string, not a bool, not NaN or infinity).
Coordinate = Annotated[float, Field(strict=True, allow_inf_nan=False)]

#: The two model-frame divisors in use: `computer_use` says 1000x1000, `mobile_use` 999x999.
MODEL_SCALE = 1000

#: Default distance kept between a target and a screen corner. pyautogui's fail-safe fires
#: when the pointer sits exactly on a corner; a few pixels of margin keep us clear of it.
CORNER_MARGIN = 4


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _XY(_Frozen):
    x: Coordinate
    y: Coordinate


class _Box(_Frozen):
    x1: Coordinate
    y1: Coordinate
    x2: Coordinate
    y2: Coordinate

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.x2 < self.x1 or self.y2 < self.y1:
            corners = f"({self.x1}, {self.y1}, {self.x2}, {self.y2})"
            raise ValueError(f"a box needs x1 <= x2 and y1 <= y2, got {corners}")
        return self

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1


class ModelPoint(_XY):
    """A point as Qwen3-VL writes it: 0..1000 on both axes, relative to the image it saw."""

    x: Annotated[Coordinate, Field(ge=0, le=MODEL_SCALE)]
    y: Annotated[Coordinate, Field(ge=0, le=MODEL_SCALE)]


class ModelBox(_Box):
    """A box as Qwen3-VL writes it (`bbox_2d`): 0..1000, relative to the image it saw."""

    x1: Annotated[Coordinate, Field(ge=0, le=MODEL_SCALE)]
    y1: Annotated[Coordinate, Field(ge=0, le=MODEL_SCALE)]
    x2: Annotated[Coordinate, Field(ge=0, le=MODEL_SCALE)]
    y2: Annotated[Coordinate, Field(ge=0, le=MODEL_SCALE)]


class ImagePoint(_XY):
    """A point in pixels of the image that was sent (after crop and resize)."""


class ImageBox(_Box):
    """A box in pixels of the image that was sent."""


class ScreenPoint(_XY):
    """A point in the input device's coordinates; usable directly as an action target."""

    kind: Literal["point"] = "point"


class ScreenBox(_Box):
    """A box in the input device's coordinates; usable directly as an action target."""

    kind: Literal["box"] = "box"

    @property
    def center(self) -> ScreenPoint:
        return ScreenPoint(x=(self.x1 + self.x2) / 2, y=(self.y1 + self.y2) / 2)

    def contains(self, point: ScreenPoint) -> bool:
        return self.x1 <= point.x <= self.x2 and self.y1 <= point.y <= self.y2


class Size(_Frozen):
    """A width and height in whole pixels (or whole input units)."""

    width: PositiveInt
    height: PositiveInt

    @classmethod
    def parse(cls, text: str) -> Size:
        """Read `"1920x1080"` (also `1920X1080`, `1920*1080`)."""
        parts = text.lower().replace("*", "x").split("x")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise ValueError(f"expected a size like 1920x1080, got {text!r}")
        return cls(width=int(parts[0]), height=int(parts[1]))

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


class Rect(_Frozen):
    """An axis-aligned rectangle with whole-unit origin and size; the origin may be negative
    (a monitor left of or above the primary one)."""

    left: int = 0
    top: int = 0
    width: PositiveInt
    height: PositiveInt

    @property
    def size(self) -> Size:
        return Size(width=self.width, height=self.height)

    def holds_middle_of(self, inner: Rect) -> bool:
        """Whether `inner`'s middle pixel lies in this rectangle."""
        x, y = inner.left + inner.width // 2, inner.top + inner.height // 2
        return self.left <= x < self.left + self.width and self.top <= y < self.top + self.height


class ScreenGeometry(_Frozen):
    """How one observation's pixels relate to the device's input coordinates.

    The chain is: model frame -> image (what was sent) -> crop inside the capture -> capture
    pixels -> screen (input units). One of these is recorded with every step so a report or a
    replay can always tell where a click really landed.
    """

    screen: Rect = Field(description="The area the capture covers, in input coordinates.")
    capture: Size = Field(description="Pixel size of the raw screenshot (physical pixels).")
    crop: Rect | None = Field(
        default=None, description="The part of the capture that was sent, in capture pixels."
    )
    image: Size = Field(description="Pixel size of the image that was sent, after any resize.")
    corner_margin: int = Field(default=CORNER_MARGIN, ge=0)

    @model_validator(mode="after")
    def _crop_inside_capture(self) -> Self:
        c = self.crop
        if c is not None and (
            c.left < 0
            or c.top < 0
            or c.left + c.width > self.capture.width
            or c.top + c.height > self.capture.height
        ):
            raise ValueError(
                f"crop {c.width}x{c.height}+{c.left}+{c.top} lies outside the "
                f"{self.capture} capture"
            )
        if 2 * self.corner_margin >= min(self.screen.width, self.screen.height):
            raise ValueError(
                f"corner_margin {self.corner_margin} leaves no room on a "
                f"{self.screen.width}x{self.screen.height} screen"
            )
        return self

    # ----------------------------------------------------------------- construction
    @classmethod
    def for_screen(
        cls,
        width: int,
        height: int,
        *,
        left: int = 0,
        top: int = 0,
        scale: float = 1.0,
        image: Size | None = None,
    ) -> ScreenGeometry:
        """A full-screen capture of a `width` x `height` screen (input units) at `left`, `top`.

        `scale` is physical pixels per input unit (2.0 on a HiDPI display at 200 %); the
        image defaults to the capture itself, unresized.
        """
        if not scale > 0:
            raise ValueError(f"scale must be a positive number, got {scale}")
        capture = Size(width=round(width * scale), height=round(height * scale))
        return cls(
            screen=Rect(left=left, top=top, width=width, height=height),
            capture=capture,
            image=image or capture,
        )

    @property
    def crop_rect(self) -> Rect:
        """The sent part of the capture (the whole capture when nothing was cropped)."""
        return self.crop or Rect(width=self.capture.width, height=self.capture.height)

    def with_image(self, image: Size) -> ScreenGeometry:
        """The same capture and crop, sent at another image size (after a resize)."""
        return self._replace(image=image)

    def cropped(self, box: ScreenBox, image: Size | None = None) -> ScreenGeometry:
        """A geometry for a crop of this capture around `box` (screen frame), e.g. to ground
        again on a zoomed region. The crop covers the whole box, clipped to the capture; the
        image defaults to the crop's own pixel size."""
        s = self.screen_box
        if box.x2 < s.x1 or box.x1 > s.x2 or box.y2 < s.y1 or box.y1 > s.y2:
            raise GeometryError(
                f"cannot crop to ({box.x1:g}, {box.y1:g})-({box.x2:g}, {box.y2:g}): it does not "
                f"overlap the screen ({s.x1:g}, {s.y1:g})-({s.x2:g}, {s.y2:g})"
            )
        sx, sy = self._capture_per_unit()
        cap = self.capture
        left = min(max(0, math.floor((box.x1 - self.screen.left) * sx)), cap.width - 1)
        top = min(max(0, math.floor((box.y1 - self.screen.top) * sy)), cap.height - 1)
        right = min(cap.width, max(left + 1, math.ceil((box.x2 - self.screen.left) * sx)))
        bottom = min(cap.height, max(top + 1, math.ceil((box.y2 - self.screen.top) * sy)))
        crop = Rect(left=left, top=top, width=right - left, height=bottom - top)
        return self._replace(crop=crop, image=image or crop.size)

    # ----------------------------------------------------------------- model <-> image
    def model_to_image(self, point: ModelPoint, scale: int = MODEL_SCALE) -> ImagePoint:
        """Model frame -> image pixels, clamped onto the image."""
        return ImagePoint(
            x=_clamp(point.x / scale * self.image.width, 0, self.image.width),
            y=_clamp(point.y / scale * self.image.height, 0, self.image.height),
        )

    def image_to_model(self, point: ImagePoint, scale: int = MODEL_SCALE) -> ModelPoint:
        """Image pixels -> model frame (unrounded; the model itself writes whole numbers)."""
        return ModelPoint(
            x=_clamp(point.x / self.image.width * scale, 0, scale),
            y=_clamp(point.y / self.image.height * scale, 0, scale),
        )

    # ----------------------------------------------------------------- image <-> screen
    def image_to_screen(self, point: ImagePoint) -> ScreenPoint:
        """Image pixels -> screen, clamped into the screen and kept off its corners."""
        return self.guard(self._unguarded_screen(point))

    def screen_to_image(self, point: ScreenPoint) -> ImagePoint:
        """Screen -> image pixels, clamped onto the image.

        A point outside the area the image shows lands on the image's edge; use
        `shows()` first where that would be wrong.
        """
        crop = self.crop_rect
        sx, sy = self._capture_per_unit()
        cx = (point.x - self.screen.left) * sx
        cy = (point.y - self.screen.top) * sy
        return ImagePoint(
            x=_clamp((cx - crop.left) * self.image.width / crop.width, 0, self.image.width),
            y=_clamp((cy - crop.top) * self.image.height / crop.height, 0, self.image.height),
        )

    # ----------------------------------------------------------------- model <-> screen
    def model_to_screen(self, point: ModelPoint, scale: int = MODEL_SCALE) -> ScreenPoint:
        """Where a point the model named lands on the device (clamped, off the corners)."""
        return self.image_to_screen(self.model_to_image(point, scale))

    def screen_to_model(self, point: ScreenPoint, scale: int = MODEL_SCALE) -> ModelPoint:
        """How the model would name a screen point on this observation's image."""
        return self.image_to_model(self.screen_to_image(point), scale)

    def model_box_to_screen(self, box: ModelBox, scale: int = MODEL_SCALE) -> ScreenBox:
        """A model-frame box (`bbox_2d`) on the screen, clamped into it.

        Corners of a box are not click targets, so only clamping applies; click its `center`
        through `guard()`.
        """
        a = self._unguarded_screen(self.model_to_image(ModelPoint(x=box.x1, y=box.y1), scale))
        b = self._unguarded_screen(self.model_to_image(ModelPoint(x=box.x2, y=box.y2), scale))
        return ScreenBox(x1=a.x, y1=a.y, x2=b.x, y2=b.y)

    def image_box_to_screen(self, box: ImageBox) -> ScreenBox:
        """A box in pixels of the sent image (an OCR line, a detected field) on the screen,
        clamped into it."""
        a = self._unguarded_screen(ImagePoint(x=box.x1, y=box.y1))
        b = self._unguarded_screen(ImagePoint(x=box.x2, y=box.y2))
        return ScreenBox(x1=a.x, y1=a.y, x2=b.x, y2=b.y)

    def screen_box_to_model(self, box: ScreenBox, scale: int = MODEL_SCALE) -> ModelBox:
        a = self.screen_to_model(ScreenPoint(x=box.x1, y=box.y1), scale)
        b = self.screen_to_model(ScreenPoint(x=box.x2, y=box.y2), scale)
        return ModelBox(x1=a.x, y1=a.y, x2=b.x, y2=b.y)

    # ----------------------------------------------------------------- screen rules
    @property
    def screen_box(self) -> ScreenBox:
        """The screen area the capture covers, as a box of valid points."""
        s = self.screen
        return ScreenBox(x1=s.left, y1=s.top, x2=s.left + s.width - 1, y2=s.top + s.height - 1)

    @property
    def shown_box(self) -> ScreenBox:
        """The part of `screen_box` the sent image shows (all of it unless cropped)."""
        crop = self.crop_rect
        sx, sy = self._capture_per_unit()
        s, b = self.screen, self.screen_box
        return ScreenBox(
            x1=s.left + crop.left / sx,
            y1=s.top + crop.top / sy,
            x2=min(b.x2, s.left + (crop.left + crop.width) / sx),
            y2=min(b.y2, s.top + (crop.top + crop.height) / sy),
        )

    def shows(self, point: ScreenPoint) -> bool:
        """Whether the sent image shows this screen point."""
        return self.shown_box.contains(point)

    def clamp(self, point: ScreenPoint) -> ScreenPoint:
        """The nearest point on the screen."""
        b = self.screen_box
        return ScreenPoint(x=_clamp(point.x, b.x1, b.x2), y=_clamp(point.y, b.y1, b.y2))

    def guard(self, point: ScreenPoint) -> ScreenPoint:
        """Clamp onto the screen, then move a point lying within `corner_margin` of a corner
        (on both axes) out to the margin, so input never parks the pointer on a corner."""
        p = self.clamp(point)
        b, m = self.screen_box, self.corner_margin
        near_x = p.x < b.x1 + m or p.x > b.x2 - m
        near_y = p.y < b.y1 + m or p.y > b.y2 - m
        if not (near_x and near_y):
            return p
        return ScreenPoint(x=_clamp(p.x, b.x1 + m, b.x2 - m), y=_clamp(p.y, b.y1 + m, b.y2 - m))

    def in_corner_zone(self, point: ScreenPoint) -> bool:
        """Whether `guard()` would move this (on-screen) point away from a corner."""
        return self.guard(point) != self.clamp(point)

    # ----------------------------------------------------------------- internals
    def _replace(self, **changes: object) -> ScreenGeometry:
        # Unlike model_copy(update=...), this validates the result.
        return type(self).model_validate({**dict(self), **changes})

    def _capture_per_unit(self) -> tuple[float, float]:
        return (
            self.capture.width / self.screen.width,
            self.capture.height / self.screen.height,
        )

    def _unguarded_screen(self, point: ImagePoint) -> ScreenPoint:
        crop = self.crop_rect
        sx, sy = self._capture_per_unit()
        # Onto the image first: a wild point must not overflow on its way to the screen.
        x = _clamp(point.x, 0, self.image.width)
        y = _clamp(point.y, 0, self.image.height)
        cx = crop.left + x * crop.width / self.image.width
        cy = crop.top + y * crop.height / self.image.height
        return self.clamp(ScreenPoint(x=self.screen.left + cx / sx, y=self.screen.top + cy / sy))


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)

"""Grounding with Qwen3-VL: a description in words -> a box on the screen, with a confidence.

The confidence is read from the model itself (`confidence.coordinate_confidence`): how
likely the box's centre is to lie on the element, from the alternatives the model weighed at
each digit of the coordinates, weighted by place value. A low one can be flagged, sent to a
person, or - done here when `zoom` is on - answered again on a zoomed crop around the first
answer, mapped back to the screen through the crop's geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

from screenpilot.models.confidence import coordinate_confidence
from screenpilot.models.parsing import GroundedRegion, parse_grounding
from screenpilot.models.prompts import grounding_prompt
from screenpilot.models.runtime import (
    THINKING_TOKENS,
    Generation,
    Message,
    Runtime,
    Sampling,
    room_to_think,
)
from screenpilot.perception.geometry import ModelBox, ScreenBox, ScreenGeometry, ScreenPoint
from screenpilot.perception.screenshot import Screenshot
from screenpilot.perception.sizing import VisualBudget

__all__ = ["ModelGrounding", "Qwen3VLGrounder", "coordinate_confidence"]


@dataclass(frozen=True)
class ModelGrounding:
    """Where the model put a description, how sure it was, and what it answered."""

    description: str
    box: ScreenBox
    confidence: float | None  # None when the runtime gave no log-probabilities
    label: str
    raw: str
    geometry: ScreenGeometry
    zoomed: bool = False

    @property
    def point(self) -> ScreenPoint:
        return self.geometry.guard(self.box.center)


class Qwen3VLGrounder:
    """Grounds descriptions on screenshots through a Qwen3-VL runtime."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        budget: VisualBudget | None = None,
        # The confidence is a lower bound on the chance of a hit. A re-ask costs one call on
        # a crop; a miss costs a verification and a retry and may press something else, so
        # a click with less than 4-in-5 odds is worth a second look.
        min_confidence: float = 0.8,
        zoom: bool = True,
        max_new_tokens: int = 96,
        thinking_tokens: int = THINKING_TOKENS,
    ) -> None:
        self.runtime = runtime
        self.budget = budget or VisualBudget()
        self.min_confidence = min_confidence
        self.zoom = zoom
        self.sampling = Sampling(max_new_tokens=max_new_tokens)
        #: Added for a Thinking checkpoint (the runtime's `thinks`): its box comes after its
        #: reasoning, which 96 tokens would cut off.
        self.thinking_tokens = thinking_tokens

    def ground(self, screenshot: Screenshot, description: str) -> ModelGrounding:
        """The box of `description` on this screenshot. Raises ModelParseError when the
        answer holds no usable box."""
        geometry = screenshot.geometry
        first = self._ask(
            screenshot,
            geometry.with_image(self.budget.resize(geometry.crop_rect.size)),
            description,
        )
        if not self.zoom or first.confidence is None or first.confidence >= self.min_confidence:
            return first
        # Zoom: a crop three times the first box (at least a quarter of the screen's side)
        # around its centre, sent at full resolution.
        b, screen = first.box, geometry.screen_box
        half_w = max(1.5 * b.width, screen.width / 8)
        half_h = max(1.5 * b.height, screen.height / 8)
        c = b.center
        area = ScreenBox(
            x1=max(screen.x1, c.x - half_w),
            y1=max(screen.y1, c.y - half_h),
            x2=min(screen.x2, c.x + half_w),
            y2=min(screen.y2, c.y + half_h),
        )
        crop = geometry.cropped(area)
        crop = crop.with_image(self.budget.resize(crop.crop_rect.size))
        second = self._ask(screenshot, crop, description)
        if second.confidence is not None and second.confidence > first.confidence:
            return ModelGrounding(**{**second.__dict__, "zoomed": True})
        return first

    def _ask(
        self, screenshot: Screenshot, geometry: ScreenGeometry, description: str
    ) -> ModelGrounding:
        crop = geometry.crop_rect
        image = screenshot.image().crop(
            (crop.left, crop.top, crop.left + crop.width, crop.top + crop.height)
        )
        image = image.resize((geometry.image.width, geometry.image.height))
        answer: Generation = self.runtime.generate(
            [Message.user(image, grounding_prompt(description))],
            room_to_think(self.sampling, self.runtime, self.thinking_tokens),
            logprobs=True,
        )
        region: GroundedRegion = parse_grounding(answer.text)[0]
        box = region.box or ModelBox(
            x1=region.center.x, y1=region.center.y, x2=region.center.x, y2=region.center.y
        )
        return ModelGrounding(
            description=description,
            box=geometry.model_box_to_screen(box),
            confidence=coordinate_confidence(answer.tokens),
            label=region.label,
            raw=answer.raw,
            geometry=geometry,
        )

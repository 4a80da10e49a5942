"""Grounding on a picture a person hands in: `screenpilot ground` and the console's playground.

With a Qwen3-VL runtime the model places the description (its answer, a confidence read from
its own token probabilities, the visual-token grid in the overlay); without one, OCR reads the
picture and the words are grounded the way the agent grounds them on a live screen.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from PIL import Image

from screenpilot.models.runtime import Runtime
from screenpilot.perception.geometry import ScreenBox, ScreenGeometry
from screenpilot.perception.ocr import RapidOcr, ScreenReader
from screenpilot.perception.overlay import grounding_overlay
from screenpilot.perception.screenshot import Screenshot

Status = Literal["found", "ambiguous", "not_found"]
_OCR_LOCK = threading.Lock()


@dataclass(frozen=True)
class PictureGrounding:
    """Where a description was found on a picture (pixels of that picture)."""

    description: str
    status: Status
    answer: str  # the model's answer, or why OCR grounding chose (or could not choose)
    by: Literal["qwen3-vl", "ocr"]
    geometry: ScreenGeometry
    boxes: list[ScreenBox] = field(default_factory=list)
    confidences: list[float | None] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """`{"answer", "bbox": [[x1, y1, x2, y2], ...], "confidence": [...], ...}`."""
        return {
            "description": self.description,
            "status": self.status,
            "answer": self.answer,
            "by": self.by,
            "bbox": [[round(b.x1), round(b.y1), round(b.x2), round(b.y2)] for b in self.boxes],
            "confidence": [None if c is None else round(c, 3) for c in self.confidences],
        }

    def overlay(self, picture: Image.Image) -> Image.Image:
        """The picture with the box drawn (every candidate's when ambiguous), and the
        visual-token grid when the model grounded it."""
        return grounding_overlay(
            picture,
            self.geometry,
            self.boxes,
            grid=self.by == "qwen3-vl",
            label=self.description,
        )


def ground_picture(
    picture: Image.Image,
    description: str,
    *,
    runtime: Runtime | None = None,
    ocr: RapidOcr | None = None,
) -> PictureGrounding:
    """Find `description` on `picture`. Raises ScreenpilotError when the model fails."""
    rgb = picture.convert("RGB")
    shot = Screenshot(np.asarray(rgb), ScreenGeometry.for_screen(*rgb.size), 0.0)
    if runtime is not None:
        from screenpilot.models.grounder import Qwen3VLGrounder

        placed = Qwen3VLGrounder(runtime).ground(shot, description)
        return PictureGrounding(
            description,
            "found",
            placed.raw,
            "qwen3-vl",
            placed.geometry,
            [placed.box],
            [placed.confidence],
        )
    from screenpilot.perception.grounding import Ambiguous, Found
    from screenpilot.perception.grounding import ground as ground_words

    with _OCR_LOCK:  # one engine, shared by a console's requests
        elements = ScreenReader(ocr or RapidOcr()).elements(shot.pixels, shot.geometry)
    result = ground_words(description, elements)
    if isinstance(result, Found):
        return PictureGrounding(
            description,
            "found",
            result.why,
            "ocr",
            shot.geometry,
            [result.box],
            [result.confidence],
        )
    status: Status = "ambiguous" if isinstance(result, Ambiguous) else "not_found"
    shown = result.candidates if isinstance(result, Ambiguous) else []
    return PictureGrounding(
        description,
        status,
        result.message(),
        "ocr",
        shot.geometry,
        [c.element.box for c in shown],
        [c.score for c in shown],
    )

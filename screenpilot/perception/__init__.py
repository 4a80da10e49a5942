"""What the agent makes of pixels, independent of the device: coordinate frames
(`geometry`), Qwen3-VL image sizing (`sizing`) and MRoPE positions (`mrope`), screenshots and
observations (`screenshot`), UI elements (`elements`), OCR with word boxes (`ocr`), controls
found by their drawn outline (`shapes`, `outlines`, `captions`; OpenCV through `opencv`),
descriptions taken apart and grounded without a model (`descriptions`, `grounding`), change
detection and the wait for a still screen (`change`), and overlays (`overlay`). The frames
and sizing are re-exported here."""

from screenpilot.perception.geometry import (
    ImageBox,
    ImagePoint,
    ModelBox,
    ModelPoint,
    Rect,
    ScreenBox,
    ScreenGeometry,
    ScreenPoint,
    Size,
)
from screenpilot.perception.sizing import VisualBudget, smart_resize

__all__ = [
    "ImageBox",
    "ImagePoint",
    "ModelBox",
    "ModelPoint",
    "Rect",
    "ScreenBox",
    "ScreenGeometry",
    "ScreenPoint",
    "Size",
    "VisualBudget",
    "smart_resize",
]

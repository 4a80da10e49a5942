"""What the agent makes of pixels, independent of the device: coordinate frames
(`geometry`) and Qwen3-VL image sizing (`sizing`). Later issues add screenshots and
observations, MRoPE positions, UI elements, OCR, grounding and change detection."""

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

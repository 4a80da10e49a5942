"""OpenCV, imported when a pixel routine first needs it (it comes with rapidocr, the `ocr`
extra), so `import screenpilot` and runs with accessibility only never load it."""

from __future__ import annotations

from typing import Any

from screenpilot.errors import ScreenpilotError


class OpenCvMissingError(ScreenpilotError):
    """OpenCV, which finding controls and changed regions needs, is not installed."""


def cv2_module() -> Any:
    """The `cv2` module, or OpenCvMissingError saying how to install it."""
    try:
        import cv2
    except ImportError:
        raise OpenCvMissingError(
            "finding controls and changed regions needs OpenCV: pip install 'screenpilot[ocr]'"
        ) from None
    return cv2

"""Checks on a picture handed to the console: what it really is (by its bytes, not by the name
or the type the browser claims), how big it is, and how many pixels it would decode to."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from screenpilot.errors import ScreenpilotError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: A 20 MB PNG can hold a far larger picture than any screen; 8K x 8K is plenty.
MAX_PIXELS = 8192 * 8192
KINDS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


class UploadError(ScreenpilotError):
    """A rejected upload; `status` is the HTTP status that says why (413 too big, 415 not a
    picture of an accepted kind, 400 a broken one)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def sniff(data: bytes) -> str | None:
    """PNG, JPEG or WEBP from the file's first bytes; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def read_picture(data: bytes) -> Image.Image:
    """The decoded picture, or UploadError."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(413, f"the file is {len(data) / 2**20:.1f} MB; the limit is 20 MB")
    if not data:
        raise UploadError(400, "the file is empty")
    kind = sniff(data)
    if kind is None:
        raise UploadError(415, "not a PNG, JPEG or WEBP picture (judged by its contents)")
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise UploadError(
                    413, f"{width}x{height} is too many pixels; the limit is 8192x8192"
                )
            probe.load()
            return probe.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as error:
        raise UploadError(400, f"a broken {kind} file: {error}") from None

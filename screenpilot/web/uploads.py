"""Checks on a picture handed to the console: what it really is (by its bytes, not by the name
or the type the browser claims), how big it is, and how many pixels it would decode to.

Every check that can be made from the header is made before a pixel is decoded: a small file
can declare a huge picture (a 211 KB PNG of 8192x8192 decodes to 200 MB) or carry compressed
metadata chunks that inflate to gigabytes. Pillow's own limits are kept low in this process
too (`MAX_IMAGE_PIXELS`, its text-chunk caps), and whatever Pillow raises on a broken file
becomes an `UploadError` with a status: a bad picture is never a server error.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib

from PIL import Image, PngImagePlugin, UnidentifiedImageError

from screenpilot.errors import ScreenpilotError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Beyond any screen (an 8K one is 33 M pixels), yet small enough that a few at once decode
#: in a few hundred MB.
MAX_PIXELS = 40_000_000
#: A side longer than this is no screenshot (a 1 x 67,108,864 "picture" is a trap for
#: whatever scales it next).
MAX_SIDE = 16384
#: Metadata a PNG may carry once inflated: a colour profile or a text chunk is a few KB.
MAX_CHUNK_BYTES = 1024 * 1024
KINDS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}

# Pillow reads these at decode time. Its bomb check raises past twice MAX_IMAGE_PIXELS; the
# explicit header check below comes first, so this only backs it up. Its warning (between
# once and twice the limit) is for a picture that is refused anyway: it would say nothing.
Image.MAX_IMAGE_PIXELS = min(Image.MAX_IMAGE_PIXELS or MAX_PIXELS, MAX_PIXELS)
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
PngImagePlugin.MAX_TEXT_CHUNK = min(PngImagePlugin.MAX_TEXT_CHUNK, MAX_CHUNK_BYTES)
PngImagePlugin.MAX_TEXT_MEMORY = min(PngImagePlugin.MAX_TEXT_MEMORY, 8 * MAX_CHUNK_BYTES)

#: What Pillow raises on files it cannot read: broken headers (SyntaxError), truncated data
#: (OSError), chunks over its caps (ValueError), short structures (struct.error, EOFError),
#: bad compressed streams (zlib.error).
_BROKEN = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
    IndexError,
    TypeError,
)


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


def check_size(width: int, height: int) -> None:
    """UploadError (413) for a picture too large to decode, from its declared size."""
    if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
        raise UploadError(
            413,
            f"{width}x{height} is too many pixels; the limit is {MAX_PIXELS // 1_000_000} "
            f"million pixels and {MAX_SIDE} a side",
        )
    if width < 1 or height < 1:
        raise UploadError(400, f"a picture of {width}x{height} pixels has nothing to show")


def read_picture(data: bytes) -> Image.Image:
    """The decoded picture (RGB), or UploadError. Slow for a large picture: call it off the
    event loop."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(413, f"the file is {len(data) / 2**20:.1f} MB; the limit is 20 MB")
    if not data:
        raise UploadError(400, "the file is empty")
    kind = sniff(data)
    if kind is None:
        raise UploadError(415, "not a PNG, JPEG or WEBP picture (judged by its contents)")
    if kind == "PNG":
        _check_png_chunks(data)
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as probe:
            check_size(*probe.size)  # from the header: nothing decoded yet
            probe.load()
            return probe.convert("RGB")
    except Image.DecompressionBombError:
        raise UploadError(413, f"too many pixels; the limit is {MAX_PIXELS:,}") from None
    except _BROKEN as error:
        raise UploadError(400, f"a broken {kind} file: {_said(error)}") from None


def _check_png_chunks(data: bytes) -> None:
    """UploadError (413) for a PNG whose metadata chunk (a colour profile, a text) is larger
    than any real one; read from the chunk headers, nothing inflated. Pillow caps what such a
    chunk may inflate to; this refuses the file before it tries."""
    at = 8
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind in (b"IDAT", b"IEND"):
            return  # pixel data from here on: its size is bounded by the picture's
        if length > MAX_CHUNK_BYTES:
            name = kind.decode("latin-1", "replace")
            raise UploadError(
                413, f"the PNG's {name!r} chunk is {length:,} bytes; the limit is 1 MB"
            )
        at += 12 + length


def _said(error: BaseException) -> str:
    """What Pillow said, short (some of its messages quote the bytes they choked on)."""
    text = str(error) or type(error).__name__
    return text if len(text) <= 200 else text[:200] + "..."

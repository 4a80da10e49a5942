"""The frames of a screen recording that a model reads to tell what a person did.

A recording at 30 frames a second holds far more pictures than a model needs or can take in
one prompt, and most of them repeat the one before: a screen that stands still says nothing
new. So frames are taken at a fixed interval (1 s by default), a frame that barely differs
from the last one kept is skipped, and the last frame of the video is always kept (it shows
how the task ended). When more frames differ than the limit allows, every other frame kept
so far is let go and the interval doubles, so what is kept stays spread over the whole video
and memory stays bounded, however long it is. Each kept frame keeps its time in the video.

"Barely differs" is judged on a grayscale copy at most 640 px long: fewer than one pixel in
10,000 changed by more than an eighth of the brightness range. Codec noise and a blinking text
cursor stay below that; a word typed, a pointer moved or a page changed do not.

Frames go to the model as PIL images no larger than `MAX_FRAME_SIDE`; the runtime sizes them
for Qwen3-VL itself. OpenCV (the `ocr` extra installs it) decodes mp4, webm, mkv and the other
formats its FFmpeg reads; it is imported only when a video is read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from screenpilot.errors import InvalidInputError
from screenpilot.perception.sizing import MAX_ASPECT_RATIO

if TYPE_CHECKING:
    from PIL import Image

DEFAULT_INTERVAL = 1.0
DEFAULT_MAX_FRAMES = 16
#: The most frames one prompt may carry; each costs hundreds of visual tokens.
MAX_FRAMES_LIMIT = 64
#: The longest side of a frame sent to the model, in pixels.
MAX_FRAME_SIDE = 1280
#: The longest side of the grayscale copy two frames are compared on.
COMPARE_SIDE = 640
#: How much a pixel's brightness (0..255) must change to count as changed.
PIXEL_CHANGE = 32
#: The share of the compared pixels that must change for a frame to differ.
CHANGED_SHARE = 1e-4
# Time stamps are compared with this slack, so a frame at 0.9999999 s counts as 1 s.
_EPSILON = 1e-6


class VideoError(InvalidInputError):
    """A video that cannot be read here: missing, not a video, empty, or no OpenCV."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"video {path}", [("", reason)])


@dataclass(frozen=True)
class VideoFrame:
    """One frame kept: its number in the video (from 0), its time in seconds, the picture."""

    index: int
    seconds: float
    image: Image.Image


@dataclass(frozen=True)
class _Kept:
    index: int
    seconds: float
    pixels: Any  # BGR, 3 channels, longest side at most MAX_FRAME_SIDE
    gist: Any  # grayscale, longest side at most COMPARE_SIDE


def read_frames(
    path: Path, *, interval: float = DEFAULT_INTERVAL, max_frames: int = DEFAULT_MAX_FRAMES
) -> list[VideoFrame]:
    """The frames of the video at `path` worth showing a model, in time order: at most
    `max_frames`, about `interval` seconds apart or more, still stretches skipped, the last
    frame always among them. Raises `VideoError` for a video that cannot be read and
    `InvalidInputError` for settings that make no sense."""
    _check_settings(interval, max_frames)
    cv2 = _opencv(path)
    source = _checked_file(path)
    capture = _open(cv2, path, source)
    try:
        kept, tail, count = _sample(cv2, capture, path, interval, max_frames)
    finally:
        capture.release()
    if count == 0:
        raise VideoError(path, "it has no frames")
    if tail is None or tail.index != count - 1:
        # The last frame was only skimmed past (the video's own frame count was wrong or
        # missing): decode it on a second, cheap pass.
        tail = _frame_at(cv2, path, source, count - 1) or tail
    if tail is None:
        raise VideoError(path, f"none of its {count} frames could be decoded")
    if not kept or kept[-1].index != tail.index:
        kept.append(tail)
    return [_frame(cv2, item) for item in kept]


def _check_settings(interval: float, max_frames: int) -> None:
    problems: list[tuple[str, str]] = []
    if not (isinstance(interval, int | float) and math.isfinite(interval) and interval > 0):
        problems.append(("interval", f"must be a number of seconds above 0, not {interval!r}"))
    if isinstance(max_frames, bool) or not isinstance(max_frames, int):
        problems.append(("max_frames", f"must be a whole number, not {max_frames!r}"))
    elif not 2 <= max_frames <= MAX_FRAMES_LIMIT:
        problems.append(
            ("max_frames", f"must be from 2 (the first and the last frame) to "
                           f"{MAX_FRAMES_LIMIT}, not {max_frames}")
        )  # fmt: skip
    if problems:
        raise InvalidInputError("video sampling", problems)


def _opencv(path: Path) -> Any:
    try:
        import cv2
    except ImportError:
        raise VideoError(
            path, "reading a video needs OpenCV (cv2), which the ocr extra installs: "
                  "pip install 'screenpilot[ocr]'"
        ) from None  # fmt: skip
    return cv2


def _checked_file(path: Path) -> str:
    """The absolute path to hand OpenCV: starting with "/", FFmpeg never reads it as a
    URL (a file named `http:x` stays a file)."""
    if not path.exists():
        raise VideoError(path, "no such file")
    if path.is_dir():
        raise VideoError(path, "it is a folder, not a video file")
    if not path.is_file():
        raise VideoError(path, "it is not a regular file")
    if path.stat().st_size == 0:
        raise VideoError(path, "the file is empty")
    return str(path.resolve())


def _open(cv2: Any, path: Path, source: str) -> Any:
    capture = _quietly(cv2, lambda: cv2.VideoCapture(source, cv2.CAP_FFMPEG))
    if not capture.isOpened():
        capture.release()
        raise VideoError(
            path,
            "OpenCV cannot read it as a video (not a video, or a format its FFmpeg lacks; "
            "mp4, webm and mkv recordings are read)",
        )
    return capture


def _quietly(cv2: Any, open_video: Callable[[], Any]) -> Any:
    """OpenCV warns on stderr about a file it cannot open; the error raised says it better."""
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    if logging is None:
        return open_video()
    level = logging.getLogLevel()
    logging.setLogLevel(min(level, logging.LOG_LEVEL_ERROR))
    try:
        return open_video()
    finally:
        logging.setLogLevel(level)


def _sample(
    cv2: Any, capture: Any, path: Path, interval: float, max_frames: int
) -> tuple[list[_Kept], _Kept | None, int]:
    """One pass over the video: the frames kept, the last frame decoded and how many
    frames there were. Frames between the sampling times are only skimmed (grab), which
    costs a fraction of decoding them into pictures (retrieve)."""
    fps = capture.get(cv2.CAP_PROP_FPS)
    fps = fps if math.isfinite(fps) and 0 < fps <= 1000 else 0.0
    reported = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    reported = int(reported) if math.isfinite(reported) and reported > 0 else 0
    kept: list[_Kept] = []
    tail: _Kept | None = None
    step, due_at, seconds, index = interval, 0.0, 0.0, -1
    while capture.grab():
        index += 1
        seconds = _time_of(cv2, capture, index, fps, seconds)
        due = seconds + _EPSILON >= due_at
        if not due and index < reported - 1:
            continue
        ok, pixels = capture.retrieve()
        if not ok or pixels is None:
            continue
        frame = _keep(cv2, path, index, seconds, pixels)
        tail = frame
        if not due:
            continue
        while due_at <= seconds + _EPSILON:
            due_at += step
        if not kept or _differs(cv2, frame.gist, kept[-1].gist):
            kept.append(frame)
            if len(kept) >= max_frames:  # one place stays free for the last frame
                kept = kept[::2]
                step *= 2
    return kept, tail, index + 1


def _time_of(cv2: Any, capture: Any, index: int, fps: float, previous: float) -> float:
    """The frame's time in seconds: its own time stamp (right for recordings whose frame
    rate varies, as screen recorders' often does), else its number over the frame rate."""
    stamp = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
    if math.isfinite(stamp) and stamp >= previous and (stamp > 0 or index == 0):
        return float(stamp)
    return index / fps if fps else previous


def _frame_at(cv2: Any, path: Path, source: str, index: int) -> _Kept | None:
    capture = _open(cv2, path, source)
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
        fps = fps if math.isfinite(fps) and 0 < fps <= 1000 else 0.0
        seconds = 0.0
        for number in range(index + 1):
            if not capture.grab():
                return None
            seconds = _time_of(cv2, capture, number, fps, seconds)
        ok, pixels = capture.retrieve()
        return _keep(cv2, path, index, seconds, pixels) if ok and pixels is not None else None
    finally:
        capture.release()


def _keep(cv2: Any, path: Path, index: int, seconds: float, pixels: Any) -> _Kept:
    height, width = pixels.shape[:2]
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise VideoError(
            path, f"its {width}x{height} frames are more elongated than Qwen3-VL accepts"
        )
    if pixels.ndim == 2:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    elif pixels.shape[2] == 4:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_BGRA2BGR)
    pixels = _fit(cv2, pixels, MAX_FRAME_SIDE)
    gray = cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY)
    return _Kept(index, seconds, pixels, _fit(cv2, gray, COMPARE_SIDE))


def _fit(cv2: Any, pixels: Any, side: int) -> Any:
    height, width = pixels.shape[:2]
    scale = side / max(width, height)
    if scale >= 1:
        return pixels
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def _differs(cv2: Any, gist: Any, previous: Any) -> bool:
    if gist.shape != previous.shape:
        return True
    changed = int((cv2.absdiff(gist, previous) > PIXEL_CHANGE).sum())
    return changed >= max(1.0, CHANGED_SHARE * int(gist.size))


def _frame(cv2: Any, kept: _Kept) -> VideoFrame:
    from PIL import Image

    rgb = cv2.cvtColor(kept.pixels, cv2.COLOR_BGR2RGB)
    return VideoFrame(kept.index, kept.seconds, Image.fromarray(rgb))

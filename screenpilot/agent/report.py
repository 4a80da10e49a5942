"""The HTML report of a run (`report.html` in its folder), built from its trajectory: during
the run from the frames still in memory (`ReportDraft`), afterwards from the folder alone.

A person opens it after a failure, so it leads with what went wrong: the final status, the
failed steps (linked to their sections), then the run's facts. Each step reads as one
sentence ("Step 3: click the OK button - FAILED (target not found): ..."), its pictures
cropped to the region that mattered - the placed targets, or for a target that was not
found the candidates grounding came nearest to - with the full frame one click away; the raw
action, the model's answer, the thought, timings and the safety decision are folded away.

This module prepares those views; `report.html.j2` (autoescaped Jinja2) lays them out.
Pictures are embedded as JPEG so the file can be mailed alone. Records arrive with secrets
already masked and nothing here adds text of its own from the screen.
"""

from __future__ import annotations

import base64
import io
import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from screenpilot.actions.wording import target_words
from screenpilot.perception.geometry import ScreenBox, ScreenGeometry
from screenpilot.trajectory.records import Failure, StepRecorded
from screenpilot.trajectory.store import Trajectory

if TYPE_CHECKING:
    from jinja2 import Template
    from PIL import Image

    from screenpilot.perception.screenshot import Screenshot

log = logging.getLogger(__name__)

TEMPLATE = "report.html.j2"
#: Widest a cropped picture is shown; wider crops are scaled down.
CROP_WIDTH = 900
#: Longest side of the embedded full frame (a 1080p screen comes down to about 100 KB).
FULL_SIDE = 1280
#: Pixels of the frame kept around the drawn marks, and the smallest crop (so a click on a
#: tiny checkbox still shows its label and neighbours).
PAD, MIN_CROP = (80, (480, 300))
#: A crop covering more than this share of the frame is no crop: the frame is shown whole.
MOST_OF_FRAME = 0.7
JPEG_QUALITY = 75
#: Longest reason a step's sentence carries; the whole one is a click away.
REASON_CHARS = 240

TARGET_COLOUR, POINT_COLOUR, CANDIDATE_COLOUR = (220, 30, 30), (255, 190, 0), (190, 0, 190)

#: A failure kind in the words of the step's sentence.
FAILURE_WORDS: dict[Failure, str] = {
    "verification": "effect not seen",
    "grounding": "target not found",
    "refused": "refused",
    "device": "device error",
    "environment": "environment lost",
}


@dataclass(frozen=True)
class Mark:
    """One thing drawn on a frame, in image pixels: a box, a point, or both."""

    label: str
    colour: tuple[int, int, int]
    box: tuple[float, float, float, float] | None = None
    point: tuple[float, float] | None = None


@dataclass(frozen=True)
class Picture:
    """A frame as the page shows it: the crop (None when the whole frame is the picture),
    the full frame, or only a note saying why there is no picture."""

    caption: str
    full: str | None = None
    crop: str | None = None
    file: str | None = None
    note: str = ""


@dataclass(frozen=True)
class StepView:
    """One step, ready for the template."""

    step: StepRecorded
    anchor: str
    verdict: Literal["ok", "failed", "planned"]
    verdict_words: str
    pictures: list[Picture] = field(default_factory=list)
    action_json: str = ""

    @property
    def title(self) -> str:
        return f"Step {self.step.index}: {self.step.summary}"

    @property
    def found(self) -> str:
        """How the main target was found: "ocr entry 'Name' (label left), confidence 0.93"."""
        main = self.step.main_target
        if main is None or main.source is None:
            return ""
        words = " ".join(w for w in (main.source, main.element_role) if w)
        words += f" {main.name!r}" if main.name else ""
        words += f" ({main.why})" if main.why else ""
        return words + ("" if main.confidence is None else f", confidence {main.confidence:.2f}")

    @property
    def reason(self) -> str:
        """The reason as the step's sentence gives it: without the nearest candidates
        when the page lists them anyway, and at most REASON_CHARS long."""
        reason = self.step.reason
        if self.step.candidates:
            reason = reason.partition("; nearest: ")[0]
        return _short(reason, REASON_CHARS)

    @property
    def sentence(self) -> str:
        """The step, its verdict and the reason in one line."""
        reason = f": {self.reason}" if self.reason else ""
        return f"{self.title} \N{EM DASH} {self.verdict_words}{reason}"


def build_report(folder: Path, draft: ReportDraft | None = None) -> Path:
    """Write `report.html` into a run folder from its trajectory; returns its path. The
    pictures a `draft` drew during the run are used as they are; the rest are drawn from
    the folder's PNGs."""
    folder = Path(folder)
    run = Trajectory.load(folder)
    drawn = draft.pictures() if draft is not None else {}
    from_folder = _opener(folder)

    def view(step: StepRecorded) -> StepView:
        made = drawn.get(step.index)
        if made is not None and made.names == (step.screenshot, step.after):
            return _step_view(step, made.pictures)
        return _step_view(step, _pictures(step, from_folder))

    # Decoding, drawing and scaling the pictures is most of the work, and Pillow lets go
    # of the interpreter lock for it: the steps are drawn side by side.
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        views = list(pool.map(view, run.steps))
    page = _template().render(
        run=run,
        start=run.start,
        end=run.end,
        steps=views,
        failed=[view for view in views if view.verdict == "failed"],
        failure_words=FAILURE_WORDS,
    )
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


@dataclass(frozen=True)
class _Drawn:
    """A step's pictures, and the names of the frames they were drawn from."""

    names: tuple[str | None, str | None]
    pictures: list[Picture]


class ReportDraft:
    """The report's pictures drawn while the run goes on, each step's as soon as it is
    recorded, from the frames still in memory and on a thread of its own: the run's end
    then only writes the page (`build_report(folder, draft)`), and no PNG is read back.
    What it draws is what the folder's PNGs give (they hold the same pixels)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report")
        self._drawn: dict[int, Future[_Drawn]] = {}

    def add(self, step: StepRecorded, frames: Mapping[str, Screenshot]) -> None:
        """Draw `step`'s pictures from `frames` (its PNG names to the screenshots saved
        under them)."""

        def draw() -> _Drawn:
            return _Drawn((step.screenshot, step.after), _pictures(step, _from_memory(frames)))

        self._drawn[step.index] = self._pool.submit(draw)

    def pictures(self) -> dict[int, _Drawn]:
        """Every step's pictures, by step number, once drawn; the thread then ends. A step
        whose drawing failed is left out (the report draws it from the folder)."""
        done = {}
        for index, future in self._drawn.items():
            try:
                done[index] = future.result()
            except Exception:
                log.exception("drawing step %d's pictures failed", index)
        self._pool.shutdown(wait=True)
        return done


def _opener(folder: Path) -> Callable[[str], Image.Image]:
    def open_png(name: str) -> Image.Image:
        from PIL import Image

        with Image.open(folder / name) as opened:
            return opened.convert("RGB")

    return open_png


def _from_memory(frames: Mapping[str, Screenshot]) -> Callable[[str], Image.Image]:
    def open_frame(name: str) -> Image.Image:
        if name not in frames:
            raise FileNotFoundError(name)
        return frames[name].image()

    return open_frame


@cache
def _template() -> Template:
    from jinja2 import Environment, StrictUndefined

    text = resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8")
    environment = Environment(
        autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return environment.from_string(text)


def _step_view(step: StepRecorded, pictures: list[Picture]) -> StepView:
    verdict: Literal["ok", "failed", "planned"]
    if step.ok is None:
        verdict, words = "planned", "planned (dry run)"
    elif step.ok:
        verdict, words = "ok", "ok"
    else:
        kind = FAILURE_WORDS.get(step.failure) if step.failure is not None else None
        verdict, words = "failed", f"FAILED ({kind})" if kind else "FAILED"
    return StepView(
        step=step,
        anchor=f"step-{step.index}",
        verdict=verdict,
        verdict_words=words,
        pictures=pictures,
        action_json=step.action.model_dump_json(indent=2, exclude_none=True),
    )


def _pictures(step: StepRecorded, open_frame: Callable[[str], Image.Image]) -> list[Picture]:
    """The step's before picture, and its after picture when the action ran."""
    marks = _marks(step)
    # The after frame shows the same region, with the targets only: candidates belong to
    # the frame grounding looked at.
    after_marks = [m for m in marks if m.colour != CANDIDATE_COLOUR]
    pictures = [_picture(open_frame, step.screenshot, step.geometry, marks, "before", step.ok)]
    if step.after is not None or (step.ok is not None and step.screenshot is not None):
        pictures.append(
            _picture(open_frame, step.after, step.geometry, after_marks, "after", step.ok)
        )
    return pictures


def _marks(step: StepRecorded) -> list[Mark]:
    """What to draw, in screen coordinates turned into the frame's pixels later."""
    marks: list[Mark] = []
    gesture = any(t.role != "target" for t in step.targets)
    # An element without a name (a field found by its shape) is labelled with the words
    # the action used for it.
    asked = {role: target_words(target) for role, target in step.action.targets}
    for placed in step.targets:
        name = placed.name or asked.get(placed.role, "")
        label = f"{placed.role}: {name}" if gesture else name or "target"
        marks.append(
            Mark(
                label=_short(label),
                colour=TARGET_COLOUR,
                box=_corners(placed.box) if placed.box is not None else None,
                point=(placed.point.x, placed.point.y),
            )
        )
    for number, candidate in enumerate(step.candidates, start=1):
        label = f"{number} {_short(candidate.name, 24)} {candidate.score:.2f}"
        marks.append(Mark(label=label, colour=CANDIDATE_COLOUR, box=_corners(candidate.box)))
    return marks


def _corners(box: ScreenBox) -> tuple[float, float, float, float]:
    return (box.x1, box.y1, box.x2, box.y2)


def _short(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[: most - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _picture(
    open_frame: Callable[[str], Image.Image],
    name: str | None,
    geometry: ScreenGeometry | None,
    marks: list[Mark],
    which: str,
    ok: bool | None,
) -> Picture:
    """Open one of a step's frames and make its embedded views, or say why there are none."""
    from PIL import Image

    if name is None:
        if which == "after":
            why = "the action did not run" if ok is False else "no screen was recorded after it"
        else:
            why = "nothing ran (dry run)" if ok is None else "no screenshot was recorded"
        return Picture(caption=which, note=f"No {which} picture: {why}.")
    try:
        image = open_frame(name)
    except FileNotFoundError:
        return Picture(caption=which, note=f"{name} is missing from the run folder.")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        # OSError covers a file that is no image or is cut short; Pillow raises SyntaxError
        # for some broken PNG chunks.
        return Picture(caption=which, file=name, note=f"{name} could not be read ({error}).")
    drawn = [_to_pixels(mark, geometry, image.size) for mark in marks]
    _draw(image, drawn)
    region = _region(drawn, image.size)
    crop = None
    if region is not None:
        cropped = image.crop(region)
        cropped.thumbnail((CROP_WIDTH, CROP_WIDTH * 2), Image.Resampling.BILINEAR)
        crop = _jpeg(cropped)
    # Bilinear (antialiased when shrinking, as all Pillow's filters but nearest are) keeps
    # the text of a screen legible at half the cost of the bicubic default.
    image.thumbnail((FULL_SIDE, FULL_SIDE), Image.Resampling.BILINEAR)
    return Picture(caption=which, full=_jpeg(image), crop=crop, file=name)


def _to_pixels(mark: Mark, geometry: ScreenGeometry | None, size: tuple[int, int]) -> Mark:
    """A mark in screen coordinates, moved into the pixels of a frame of `size`: the PNG is
    the whole capture of `geometry.screen` (physical pixels on a HiDPI screen)."""
    if geometry is None:
        return mark
    screen = geometry.screen
    sx, sy = size[0] / screen.width, size[1] / screen.height

    def x(value: float) -> float:
        return (value - screen.left) * sx

    def y(value: float) -> float:
        return (value - screen.top) * sy

    box = mark.box
    point = mark.point
    return Mark(
        label=mark.label,
        colour=mark.colour,
        box=(x(box[0]), y(box[1]), x(box[2]), y(box[3])) if box is not None else None,
        point=(x(point[0]), y(point[1])) if point is not None else None,
    )


def _draw(image: Image.Image, marks: list[Mark]) -> None:
    from PIL import ImageDraw, ImageFont

    draw = ImageDraw.Draw(image)
    # Sized by the longer side, so a portrait phone frame gets labels as legible as a
    # desktop's once both are scaled to the page.
    side = max(image.size)
    width = max(2, round(side / 600))
    font = ImageFont.load_default(max(12, round(side / 100)))
    points = [m.point for m in marks if m.point is not None and m.colour == TARGET_COLOUR]
    if len(points) == 2:  # a drag or swipe: the path from start to end
        draw.line((*points[0], *points[1]), fill=POINT_COLOUR, width=width)
    for mark in marks:
        if mark.box is not None:
            # A white rim keeps the outline visible on a button of its own colour.
            x1, y1, x2, y2 = mark.box
            rim = (x1 - width, y1 - width, x2 + width, y2 + width)
            draw.rectangle(rim, outline=(255, 255, 255), width=width)
            draw.rectangle(mark.box, outline=mark.colour, width=width)
        if mark.point is not None:
            x, y, r = *mark.point, 4 * width
            draw.ellipse((x - r, y - r, x + r, y + r), outline=POINT_COLOUR, width=width)
            draw.ellipse((x - width, y - width, x + width, y + width), fill=mark.colour)
    for mark in marks:  # labels last, so no outline crosses one
        if not mark.label:
            continue
        anchor = mark.box[:2] if mark.box is not None else mark.point
        if anchor is None:
            continue
        left, top, right, bottom = draw.textbbox((0, 0), mark.label, font=font)
        w, h = right - left, bottom - top
        x = min(max(0.0, anchor[0]), max(0.0, image.width - w - 4))
        y = anchor[1] - h - 6
        if y < 0:  # no room above: below the box (or the point)
            y = mark.box[3] + 2 if mark.box is not None else anchor[1] + 8
        draw.rectangle((x, y, x + w + 4, y + h + 4), fill=mark.colour)
        draw.text((x + 2 - left, y + 2 - top), mark.label, fill=(255, 255, 255), font=font)


def _region(marks: list[Mark], size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The part of a frame worth showing first: every mark, padded, at least MIN_CROP, kept
    inside the frame; None when there is nothing to crop to or it is most of the frame."""
    xs: list[float] = []
    ys: list[float] = []
    for mark in marks:
        if mark.box is not None:
            xs += [mark.box[0], mark.box[2]]
            ys += [mark.box[1], mark.box[3]]
        if mark.point is not None:
            xs.append(mark.point[0])
            ys.append(mark.point[1])
    if not xs:
        return None
    width, height = size
    left, right = _span(min(xs), max(xs), MIN_CROP[0], width)
    top, bottom = _span(min(ys), max(ys), MIN_CROP[1], height)
    if (right - left) * (bottom - top) > MOST_OF_FRAME * width * height:
        return None
    return left, top, right, bottom


def _span(low: float, high: float, least: int, limit: int) -> tuple[int, int]:
    """[low, high] padded and widened about its middle to `least`, shifted to lie in
    [0, limit] (and cut to it when the frame is smaller)."""
    low, high = max(0.0, min(low, limit)) - PAD, min(float(limit), max(high, 0.0)) + PAD
    if high - low < least:
        middle = (low + high) / 2
        low, high = middle - least / 2, middle + least / 2
    if low < 0:
        low, high = 0.0, high - low
    if high > limit:
        low, high = max(0.0, low - (high - limit)), float(limit)
    return round(low), round(high)


def _jpeg(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

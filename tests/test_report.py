"""The run report as a person reads it after a failure: run folders written by hand with
`TrajectoryWriter` and small synthetic frames, the page read back as HTML."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from screenpilot.actions.guard import SafetyDecision
from screenpilot.actions.vocabulary import ACTION_ADAPTER
from screenpilot.agent.report import FULL_SIDE as FULL
from screenpilot.agent.report import build_report
from screenpilot.perception.geometry import ScreenBox, ScreenGeometry, ScreenPoint
from screenpilot.perception.screenshot import Screenshot
from screenpilot.trajectory.records import (
    Candidate,
    PlacedTarget,
    RunEnded,
    RunStarted,
    StepRecorded,
    StepTimings,
)
from screenpilot.trajectory.store import TrajectoryWriter

W, H = 1200, 800


def frame(width: int = W, height: int = H) -> Screenshot:
    """A grey screen with a lighter panel, like a dialog on a desktop."""
    pixels = np.full((height, width, 3), 110, dtype=np.uint8)
    pixels[height // 4 : height // 2, width // 4 : width // 2] = 200
    return Screenshot(pixels, ScreenGeometry.for_screen(width, height), taken_at=0.0)


def step(index: int, **fields: Any) -> StepRecorded:
    fields.setdefault("action", {"type": "click", "target": "the OK button"})
    fields["action"] = ACTION_ADAPTER.validate_python(fields["action"])
    fields.setdefault("summary", "click the OK button")
    fields.setdefault("ok", True)
    fields.setdefault("geometry", ScreenGeometry.for_screen(W, H))
    return StepRecorded(time=float(index), index=index, **fields)


def write_run(
    folder: Path,
    steps: list[StepRecorded],
    *,
    end: RunEnded | None = None,
    instruction: str = "click the OK button",
    dry_run: bool = False,
    frames: dict[str, Screenshot] | None = None,
) -> Path:
    """A run folder: the records, and a frame for every screenshot a step names (unless
    `frames` says which to write)."""
    folder.mkdir(parents=True, exist_ok=True)
    writer = TrajectoryWriter(folder)
    writer.write(
        RunStarted(
            time=0.0, instruction=instruction, policy="rules", device="FakeDevice", dry_run=dry_run
        )
    )
    for record in steps:
        writer.write(record)
        for name in (record.screenshot, record.after):
            if name is not None and (frames is None or name in frames):
                writer.save_screenshot((frames or {}).get(name, frame()), name)
    if end is not None:
        writer.write(end)
    writer.close()
    return folder


def ended(status: str = "failure", message: str = "step 2 failed", steps: int = 2) -> RunEnded:
    return RunEnded(time=99.0, status=status, message=message, steps=steps, seconds=4.2)


@dataclass
class Piece:
    """A run of text or an image of the page, and where it sits."""

    text: str
    section: str | None
    in_details: bool
    tag: str


@dataclass
class Page(HTMLParser):
    """The page's text and images, each with the step section and <details> it is in."""

    pieces: list[Piece] = field(default_factory=list)
    images: list[Piece] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # ids and classes in document order

    def __post_init__(self) -> None:
        super().__init__()
        self._stack: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        section = found.get("id") if tag == "section" else None
        self.order += [v for k, v in attrs if k in ("id", "class") and v]
        if tag == "img":
            self.images.append(Piece(found.get("src") or "", *self._where(), tag))
            return
        if tag in ("meta", "br", "hr", "link"):
            return
        self._stack.append((tag, section))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if data.strip():
            tag = self._stack[-1][0] if self._stack else ""
            self.pieces.append(Piece(data, *self._where(), tag))

    def _where(self) -> tuple[str | None, bool]:
        section = next((s for _, s in reversed(self._stack) if s), None)
        return section, any(tag == "details" for tag, _ in self._stack)

    def text_of(self, section: str) -> str:
        return " ".join(p.text for p in self.pieces if p.section == section)


def heading(html: str, section: str) -> str:
    """A step's sentence: the text of its section's <h2>."""
    found = re.search(rf'<section id="{section}"[^>]*>\s*<h2>(.*?)</h2>', html, re.S)
    assert found, section
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", found.group(1)))).strip()


def read(folder: Path) -> tuple[str, Page]:
    html = build_report(folder).read_text(encoding="utf-8")
    page = Page()
    page.feed(html)
    return html, page


def decoded(src: str) -> Image.Image:
    assert src.startswith("data:image/jpeg;base64,"), src[:40]
    return Image.open(io.BytesIO(base64.b64decode(src.partition(",")[2])))


def failed_grounding(index: int = 2) -> StepRecorded:
    return step(
        index,
        ok=False,
        failure="grounding",
        reason="nothing on the screen matches 'the OK button'",
        screenshot=f"step-{index:04d}.png",
        candidates=[
            Candidate(
                box=ScreenBox(x1=320, y1=260, x2=420, y2=290),
                source="ocr",
                element_role="button",
                name="Okay-ish",
                score=0.41,
            ),
            Candidate(
                box=ScreenBox(x1=440, y1=260, x2=540, y2=290),
                source="a11y",
                element_role="button",
                name="Cancel",
                score=0.22,
            ),
        ],
    )


def clicked(index: int = 1, *, after: bool = True) -> StepRecorded:
    return step(
        index,
        summary="click the Name field",
        action={"type": "click", "target": "the Name field"},
        reason="the screen changed",
        targets=[
            PlacedTarget(
                point=ScreenPoint(x=400, y=300),
                source="ocr",
                element_role="entry",
                name="Name",
                why="label left",
                confidence=0.93,
                box=ScreenBox(x1=350, y1=290, x2=460, y2=312),
            )
        ],
        timings=StepTimings(ground=0.1, act=0.02, settle=0.3, verify=0.05),
        seconds=0.47,
        screenshot=f"step-{index:04d}.png",
        after=f"step-{index:04d}-after.png" if after else None,
    )


def test_a_failed_grounding_shows_its_screenshot_and_the_candidates_it_considered(
    tmp_path: Path,
) -> None:
    _html, page = read(write_run(tmp_path, [clicked(), failed_grounding()], end=ended()))
    text = page.text_of("step-2")
    assert "Okay-ish" in text and "Cancel" in text and "0.41" in text
    assert "no screenshot" not in text.lower()
    pictures = [i for i in page.images if i.section == "step-2"]
    crop, full = (decoded(p.text) for p in pictures[:2])
    assert not pictures[0].in_details and pictures[1].in_details  # the full frame, folded
    assert full.size == (W, H)
    assert crop.width < W and crop.height < H and crop.width >= 480
    # The candidates are drawn on the crop (their purple boxes).
    rgb = np.asarray(crop.convert("RGB")).astype(int)
    assert ((rgb[..., 0] > 150) & (rgb[..., 1] < 80) & (rgb[..., 2] > 150)).sum() > 50
    assert "No after picture: the action did not run." in text


def test_the_failures_are_listed_at_the_top_linked_to_their_steps(tmp_path: Path) -> None:
    html, _page = read(write_run(tmp_path, [clicked(), failed_grounding()], end=ended()))
    first_step = html.index('id="step-1"')
    failures = html.index('class="failures"')
    assert failures < first_step and html.index("step 2 failed") < first_step
    listed = html[failures:first_step]
    assert 'href="#step-2"' in listed and 'href="#step-1"' not in listed
    assert "target not found" in listed
    assert html.index("policy") < first_step and "FakeDevice" in html[:first_step]
    assert heading(html, "step-2") == (
        "Step 2: click the OK button \N{EM DASH} FAILED (target not found): "
        "nothing on the screen matches 'the OK button'"
    )
    assert heading(html, "step-1").startswith("Step 1: click the Name field \N{EM DASH} ok")


def test_a_dry_run_step_reads_as_planned(tmp_path: Path) -> None:
    folder = write_run(
        tmp_path,
        [step(1, ok=None, geometry=None)],
        end=ended("dry_run", "planned only", 1),
        dry_run=True,
    )
    html, page = read(folder)
    assert "planned (dry run)" in heading(html, "step-1")
    assert "FAILED" not in html
    assert "nothing ran (dry run)" in page.text_of("step-1")
    assert 'class="planned"' in html


def test_html_in_names_and_instructions_is_escaped(tmp_path: Path) -> None:
    evil = failed_grounding()
    evil = evil.model_copy(
        update={
            "summary": "click <img src=x onerror=alert(2)>",
            "candidates": [evil.candidates[0].model_copy(update={"name": "<b>bold</b>"})],
        }
    )
    folder = write_run(tmp_path, [evil], end=ended(), instruction="<script>alert(1)</script>")
    html, page = read(folder)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "<b>bold</b>" not in html
    assert "<b>bold</b>" in page.text_of("step-2")  # shown as text


def test_a_run_without_an_end_reads_as_unfinished(tmp_path: Path) -> None:
    html, _page = read(write_run(tmp_path, [clicked()]))
    assert "unfinished (the run was stopped)" in html
    assert html.index("unfinished") < html.index('id="step-1"')


def test_a_missing_or_corrupt_picture_gives_a_note_not_a_crash(tmp_path: Path) -> None:
    folder = write_run(tmp_path, [clicked(1), clicked(2)], end=ended("success", "", 2), frames={})
    (folder / "step-0002.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a picture")
    _html, page = read(folder)
    assert "step-0001.png is missing from the run folder." in page.text_of("step-1")
    assert "step-0002.png could not be read" in page.text_of("step-2")
    assert not page.images


def test_the_raw_action_and_the_model_answer_are_folded_away(tmp_path: Path) -> None:
    raw = '<tool_call>{"name": "computer_use"}</tool_call>'
    folder = write_run(
        tmp_path,
        [clicked().model_copy(update={"raw": raw, "thought": "the Name field first"})],
        end=ended("success", "", 1),
    )
    html, page = read(folder)
    json_pieces = [p for p in page.pieces if '"type": "click"' in p.text]
    assert json_pieces and all(p.in_details and p.section == "step-1" for p in json_pieces)
    for words in (raw, "the Name field first", "0.30 s"):
        found = [p for p in page.pieces if words in p.text]
        assert found and all(p.in_details for p in found), words
    assert "&lt;tool_call&gt;" in html


def test_before_and_after_are_cropped_to_the_same_region(tmp_path: Path) -> None:
    html, page = read(write_run(tmp_path, [clicked()], end=ended("success", "", 1)))
    shown = [decoded(p.text) for p in page.images if not p.in_details]
    assert len(shown) == 2 and shown[0].size == shown[1].size
    assert shown[0].width < W and shown[0].height < H
    assert "step-0001-after.png" in html  # the PNG beside the report, one click away
    assert "found: ocr entry 'Name' (label left), confidence 0.93" in page.text_of("step-1")


def test_a_drag_draws_and_crops_to_both_ends(tmp_path: Path) -> None:
    drag = step(
        1,
        summary="drag from the file to the bin",
        action={"type": "drag", "start": "the file", "end": "the bin"},
        targets=[
            PlacedTarget(role="start", point=ScreenPoint(x=100, y=120), name="file"),
            PlacedTarget(role="end", point=ScreenPoint(x=900, y=160), name="bin"),
        ],
        screenshot="step-0001.png",
    )
    _html, page = read(write_run(tmp_path, [drag], end=ended("success", "", 1)))
    crop = decoded(next(p.text for p in page.images if not p.in_details))
    assert crop.width >= 800 * 900 / (800 + 2 * 80) - 1  # both ends, padded, then scaled
    assert crop.height < H


def test_a_refused_step_says_why_in_its_sentence_and_its_safety_line(tmp_path: Path) -> None:
    refused = failed_grounding(1).model_copy(
        update={
            "failure": "refused",
            "reason": "the target says 'delete'",
            "candidates": [],
            "safety": SafetyDecision(decision="refuse", reason="the target says 'delete'"),
        }
    )
    html, page = read(write_run(tmp_path, [refused], end=ended("refused", "refused", 1)))
    assert "FAILED (refused): the target says 'delete'" in heading(html, "step-1")
    assert "safety: refused: the target says 'delete'" in page.text_of("step-1")


def test_marks_land_where_the_input_went_on_a_hidpi_frame(tmp_path: Path) -> None:
    # A 1200x800 screen captured at 200 %: the PNG has twice the pixels of the screen frame.
    geometry = ScreenGeometry.for_screen(W, H, scale=2)
    hidpi = clicked(after=False).model_copy(update={"geometry": geometry})
    big = Screenshot(frame(2 * W, 2 * H).pixels, geometry, taken_at=0.0)
    folder = write_run(
        tmp_path, [hidpi], end=ended("success", "", 1), frames={"step-0001.png": big}
    )
    _, page = read(folder)
    full = decoded(next(p.text for p in page.images if p.in_details))
    assert full.size == (FULL, FULL * H // W)
    rgb = np.asarray(full.convert("RGB")).astype(int)
    ys, xs = np.nonzero((rgb[..., 0] > 170) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90))
    shrink = FULL / (2 * W)  # the embedded full frame is scaled down to FULL pixels wide
    # The red box (350, 290)-(460, 312) in the screen frame, at twice its size in pixels.
    assert abs(xs.min() - 2 * 350 * shrink) <= 4 and abs(xs.max() - 2 * 460 * shrink) <= 4
    assert abs(ys.max() - 2 * 312 * shrink) <= 4


def test_the_sentence_leaves_the_nearest_candidates_to_their_table(tmp_path: Path) -> None:
    long = failed_grounding(1)
    reason = long.reason + "; nearest: button 'Okay-ish' at (320, 260)-(420, 290), score 0.41"
    folder = write_run(tmp_path, [long.model_copy(update={"reason": reason})], end=ended())
    html, page = read(folder)
    assert heading(html, "step-1").endswith("nothing on the screen matches 'the OK button'")
    whole = [p for p in page.pieces if "nearest: button" in p.text]
    assert len(whole) == 1 and whole[0].in_details


def test_the_pictures_drawn_during_the_run_are_those_the_folder_gives(tmp_path: Path) -> None:
    """The recorder draws each step's pictures from its frames as it goes; the page it
    writes at the end is the one the folder's PNGs rebuild, and it reads no PNG back."""
    from unittest import mock

    from screenpilot.agent.observers import Frames, TrajectoryRecorder

    def bgra(shot: Screenshot) -> Screenshot:  # what mss captures: BGRX bytes
        raw = np.dstack([shot.pixels[:, :, ::-1], np.full(shot.pixels.shape[:2], 255, np.uint8)])
        return Screenshot(np.ascontiguousarray(raw), shot.geometry, taken_at=0.0, layout="BGRA")

    before, after = frame(), frame()
    after.pixels[300:330, 350:470] = (40, 90, 200)  # the field, focused
    recorder = TrajectoryRecorder(tmp_path)
    recorder.started(
        RunStarted(time=0.0, instruction="x", policy="rules", device="FakeDevice", dry_run=False)
    )
    recorder.after_action(clicked(1), Frames(bgra(before), bgra(after)))
    recorder.after_action(failed_grounding(2), Frames(bgra(after), None))
    with mock.patch("PIL.Image.open", side_effect=AssertionError("a PNG was read back")):
        recorder.ended(ended())
    assert recorder.report is not None
    drawn = recorder.report.read_text(encoding="utf-8")
    assert drawn.count("data:image/jpeg") >= 4
    assert drawn == build_report(tmp_path).read_text(encoding="utf-8")

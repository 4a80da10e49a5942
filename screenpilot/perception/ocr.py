"""Elements read from pixels: OCR'd text and words (rapidocr, offline) and drawn controls.

OCR of a whole 1080p frame costs 0.5-1.5 s on 2 cores, too slow for every step. The
`ScreenReader` keeps the last frame and its text, and on the next frame re-reads only the
regions that changed (`perception.change`), grown to take in any old line they cut, keeping
the rest. A form where one field changed costs one small crop instead of the whole screen.
Every read leaves out the blank margins of what it is given (`drawn_part`): a window on a
bare desktop is read, not the backdrop around it.

OCR reads a line ("15 16 17 18 19 20 21", a calendar row) as one; rapidocr also places each
word of it (from where its characters fell in the recogniser's columns), so every word of a
several-word line becomes an element of its own too, and "click 15" hits the 15.

Inputs have no text of their own, so OCR alone cannot see them: `perception.shapes` finds
entries, checkboxes, radios, buttons and combo boxes by their drawn shape (15-45 ms a 1080p
frame, so every frame is searched whole). Text inside an entry or combo is its value, or its
placeholder when it is drawn dim.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from screenpilot.errors import ScreenpilotError
from screenpilot.perception.captions import CaptionReader
from screenpilot.perception.change import Frame, changed_regions
from screenpilot.perception.elements import Element, numbered
from screenpilot.perception.geometry import ImageBox, Rect, ScreenBox, ScreenGeometry
from screenpilot.perception.ocr_tiles import DETECT_LIMIT, needs_tiles, read_tiled
from screenpilot.perception.opencv import cv2_module
from screenpilot.perception.shapes import Control, find_controls
from screenpilot.perception.text_lines import OcrLine, OcrWord, quad_box, split_words

__all__ = [
    "OcrEngine",
    "OcrError",
    "OcrLine",
    "OcrWord",
    "RapidOcr",
    "ScreenReader",
    "split_words",
    "text_in",
]

log = logging.getLogger(__name__)

_MISSING = "OCR is not installed: pip install 'screenpilot[ocr]'"
#: Past this share of the frame changed, one full read is cheaper than many crops.
FULL_READ_SHARE = 0.4
#: A reading of three characters or fewer under this score leaves its button to be read
#: again on its own (`perception.captions`).
SURE_SIGN = 0.9
#: Backdrop kept around what is drawn when a read leaves blank margins out (`drawn_part`).
BLANK_PAD = 16


class OcrError(ScreenpilotError):
    """The OCR engine is missing or failed."""


class OcrEngine(Protocol):
    """Anything that reads lines of text from an RGB frame."""

    def read(self, pixels: Frame) -> list[OcrLine]: ...


class RapidOcr:
    """rapidocr with the models bundled in its wheel (no download, no network).

    Making one costs nothing; rapidocr is imported and its models loaded (about a second on
    two cores) when it first reads, so a run whose program has an accessibility tree never
    pays for OCR it does not use. A missing install is still told at once."""

    def __init__(self) -> None:
        if importlib.util.find_spec("rapidocr") is None:
            raise OcrError(_MISSING)
        self._loaded: Any = None
        self._loading = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the models have been loaded yet."""
        return self._loaded is not None

    def load_in_background(self) -> None:
        """Start loading the models in a thread of their own, for a caller that knows it
        will read and has other work first (the demo starts its display and form). A read
        before they are loaded waits for them; a load that fails is tried again, and told,
        by the first read."""

        def load() -> None:
            with contextlib.suppress(Exception):
                _ = self._engine

        threading.Thread(target=load, name="ocr-models", daemon=True).start()

    @property
    def _engine(self) -> Any:
        if self._loaded is None:
            with self._loading:
                if self._loaded is None:
                    self._loaded = _load_engine()
        return self._loaded

    def recognise(self, crops: Sequence[Frame]) -> list[tuple[str, float]]:
        """One line of text read from each crop by the recogniser alone (no detection):
        the captions of buttons too small for the detector."""
        from rapidocr.ch_ppocr_rec import TextRecInput

        if not crops:
            return []
        # The engine's own recogniser, loaded once; calling the engine with use_det=False
        # would switch detection off for every later call too.
        recogniser = self._engine._load_rec_model()
        bgr = [np.ascontiguousarray(c[:, :, ::-1]) for c in crops]
        out = recogniser(TextRecInput(img=bgr))
        return [(str(t), float(s)) for t, s in zip(out.txts or (), out.scores, strict=True)]

    def read(self, pixels: Frame) -> list[OcrLine]:
        if needs_tiles(pixels):  # a 4K screen: rapidocr would look at it shrunk
            return read_tiled(self._engine, pixels)
        return self.read_whole(pixels)

    def read_whole(self, pixels: Frame) -> list[OcrLine]:
        """`pixels` read by rapidocr's own pipeline in one go (shrunk past `DETECT_LIMIT`
        px a side: what `read` did for every frame before 4K screens were tiled)."""
        # rapidocr expects BGR like OpenCV; an RGB frame reads worse on coloured text.
        result = self._engine(np.ascontiguousarray(pixels[:, :, ::-1]), return_word_box=True)
        if result.boxes is None:
            return []
        # rapidocr drops the words of a line it could not place, which shifts the rest: words
        # are used only when every line has its own.
        words = getattr(result, "word_results", None)
        if words is None or len(words) != len(result.txts):
            words = [None] * len(result.txts)
        lines = []
        for quad, text, score, placed in zip(
            result.boxes, result.txts, result.scores, words, strict=True
        ):
            box = quad_box(quad)
            text = str(text).strip()  # rapidocr may end a line with a space
            lines.append(OcrLine(text, box, float(score), split_words(text, box, placed)))
        return lines


def _load_engine() -> Any:
    try:
        with _each_config_parsed_once():
            from rapidocr import RapidOCR
    except ImportError:
        raise OcrError(_MISSING) from None
    return RapidOCR(
        params={
            # Its warnings are for a person running rapidocr by hand: "the text detection
            # result is empty" comes with every crop that holds no text (a cleared field).
            "Global.log_level": "error",
            # Screen text stands upright. The angle classifier turns some short words of a
            # crop over ("City:" read as ":ti5"), never rightly.
            "Global.use_cls": False,
            # Never upscale: the default grows every crop to a 736 px short side, which
            # makes a one-field crop cost as much as a whole screen.
            "Det.limit_type": "max",
            "Det.limit_side_len": DETECT_LIMIT,
            # One line at a time: in a batch every line is padded to the widest one's
            # shape, so a line's reading (and whether it passes the score floor) hung on
            # which others were read with it, and re-reading one region of a frame could
            # disagree with reading the whole. Alone, each line reads the same wherever
            # it is read, and no slower (a Tk form: 262 ms against 298 ms).
            "Rec.rec_batch_num": 1,
        }
    )


_PATCHING = threading.Lock()


@contextlib.contextmanager
def _each_config_parsed_once() -> Iterator[None]:
    """While rapidocr is imported, a YAML file it parses twice is parsed once: two of its
    modules each parse its 85 KB table of models (`default_models.yaml`, 0.1 s apiece) and
    only read it. Nothing changes once the import is over, nor when rapidocr is imported
    already (or omegaconf is not the one this was written against)."""
    try:
        from omegaconf import OmegaConf
    except ImportError:  # rapidocr's own import then says what is missing
        yield
        return
    with _PATCHING:
        original = vars(OmegaConf).get("load")  # the staticmethod itself, put back as it was
        if "rapidocr.main" in sys.modules or not isinstance(original, staticmethod):
            yield
            return
        parse = OmegaConf.load
        parsed: dict[str, Any] = {}

        def load_once(path: Any) -> Any:
            if not isinstance(path, str | os.PathLike):  # an open file: parsed as it comes
                return parse(path)
            key = os.path.realpath(path)
            if key not in parsed:
                parsed[key] = parse(key)
            return parsed[key]

        OmegaConf.load = staticmethod(load_once)  # type: ignore[method-assign, assignment]
        try:
            yield
        finally:
            OmegaConf.load = original  # type: ignore[method-assign]


def _overlaps(a: Rect, b: Rect) -> bool:
    return (
        a.left < b.left + b.width
        and b.left < a.left + a.width
        and a.top < b.top + b.height
        and b.top < a.top + a.height
    )


def _union(a: Rect, b: Rect) -> Rect:
    left, top = min(a.left, b.left), min(a.top, b.top)
    right = max(a.left + a.width, b.left + b.width)
    bottom = max(a.top + a.height, b.top + b.height)
    return Rect(left=left, top=top, width=right - left, height=bottom - top)


class ScreenReader:
    """Turns frames into OCR and field elements, re-reading only what changed."""

    def __init__(self, engine: OcrEngine, *, min_score: float = 0.5) -> None:
        self.engine = engine
        self.min_score = min_score
        # An engine that can also recognise a crop on its own names buttons the detector
        # passed over (a calculator's "7").
        recognise = getattr(engine, "recognise", None)
        self._captions = CaptionReader(engine) if callable(recognise) else None  # type: ignore[arg-type]
        self._frame: Frame | None = None
        self._lines: list[OcrLine] = []
        # Where keys went since the last `lines` (None in the list: somewhere unknown).
        self._keyed: list[Rect | None] = []
        self.last_read_area = 0.0  # share of the frame the last call OCR'd (for benchmarks)

    def keys_went_to(self, region: Rect | None) -> None:
        """Say that keys were sent to `region` (None: wherever the focus is): the next
        `lines` reads every change there, a stroke as thin as a caret too (a deleted "l"
        is one), unless `read_region` has read it since."""
        self._keyed.append(region)

    def lines(self, frame: Frame) -> list[OcrLine]:
        """All text lines of `frame`, reusing the previous frame's where nothing changed."""
        h, w = frame.shape[:2]
        if self._frame is None or self._frame.shape != frame.shape:
            lines = self._read(frame, Rect(width=w, height=h))
            self.last_read_area = 1.0
        else:
            keyed, self._keyed = self._keyed, []

            def no_text(changed: NDArray[np.bool_], where: Rect) -> bool:
                if any(k is None or _overlaps(k, where) for k in keyed):
                    return False
                return _no_text_in(changed)

            regions = self._grow(changed_regions(self._frame, frame, unless=no_text))
            area = sum(r.width * r.height for r in regions) / (w * h)
            self.last_read_area = area
            if area > FULL_READ_SHARE:
                lines = self._read(frame, Rect(width=w, height=h))
                self.last_read_area = 1.0
            else:
                kept = [ln for ln in self._lines if not any(_overlaps(ln.box, r) for r in regions)]
                lines = kept + [ln for r in regions for ln in self._read(frame, r)]
        self._frame, self._lines = frame, lines
        return lines

    def elements(self, frame: Frame, geometry: ScreenGeometry) -> list[Element]:
        """OCR'd lines, the words of several-word lines, and drawn controls (with the text
        inside an entry or combo as its value or placeholder), in the screen frame."""
        lines = [ln for ln in self.lines(frame) if ln.score >= self.min_score and ln.text.strip()]
        controls = _drawn_controls(frame)
        lines = [_beside_indicators(ln, controls) for ln in lines]
        found = []
        for ln in lines:
            found.append(_text(ln.text, ln.box, ln.score, geometry))
            found += [_text(w.text, w.box, w.score, geometry) for w in ln.words]
        controls = [c for c in controls if not _in_a_word(c, lines)]
        found += [_control(c, lines, frame, geometry) for c in controls]
        if self._captions is not None:
            read = [ln.box for ln in lines]
            # A sign OCR read unsure of ("+" at 0.6) is read again on its button's face.
            unsure = [ln.box for ln in lines if len(ln.text) <= 3 and ln.score < SURE_SIGN]
            for text, face, score in self._captions.captions(frame, controls, read, unsure):
                found.append(_text(text, face, score, geometry))
        return numbered(found, "ocr")

    def read_region(self, frame: Frame, region: Rect) -> list[OcrLine]:
        """OCR one region of a frame now (no reuse): for checking what a field shows. The
        reading is kept: the next `lines` reads that region again only where it changed
        after `frame`."""
        lines = self._read(frame, region)
        self._learn(frame, region, lines)
        return lines

    def _learn(self, frame: Frame, region: Rect, lines: list[OcrLine]) -> None:
        """Take `lines`, read from `region` of `frame`, as what that region now shows:
        the region's pixels and lines replace the ones last read there. Not when an old
        line crosses the region's edge (its part outside would be lost)."""
        if self._frame is None or self._frame.shape != frame.shape:
            return
        h, w = frame.shape[:2]
        left, top = max(0, region.left), max(0, region.top)
        right = min(w, region.left + region.width)
        bottom = min(h, region.top + region.height)
        if right <= left or bottom <= top:
            return
        region = Rect(left=left, top=top, width=right - left, height=bottom - top)
        if any(_overlaps(ln.box, region) and not _inside(ln.box, region) for ln in self._lines):
            return
        if frame is not self._frame:
            seen = self._frame.copy()  # the frame itself may be a screenshot kept elsewhere
            seen[top:bottom, left:right] = frame[top:bottom, left:right]
            self._frame = seen
        self._lines = [ln for ln in self._lines if not _overlaps(ln.box, region)] + lines
        # What keys did there is read now.
        self._keyed = [k for k in self._keyed if k is None or not _inside(k, region)]

    def _grow(self, regions: list[Rect]) -> list[Rect]:
        """Widen changed regions until every old line lies wholly inside one or wholly
        outside all, and no two regions overlap: a region that cut a line would have its
        piece read as a line of its own (a cut-off word, or a stroke read as "00网")."""
        grown = list(regions)
        changed = True
        while changed:
            changed = False
            for i, region in enumerate(grown):
                for line in self._lines:
                    if _overlaps(line.box, region) and not _inside(line.box, region):
                        region = _union(region, line.box)
                        changed = True
                grown[i] = region
            merged: list[Rect] = []
            for region in grown:
                for j, other in enumerate(merged):
                    if _overlaps(region, other):
                        merged[j] = _union(region, other)
                        changed = True
                        break
                else:
                    merged.append(region)
            grown = merged
        return grown

    def _read(self, frame: Frame, region: Rect) -> list[OcrLine]:
        drawn = drawn_part(frame, region)
        if drawn is None:
            return []
        crop = frame[drawn.top : drawn.top + drawn.height, drawn.left : drawn.left + drawn.width]
        return [ln.moved(drawn.left, drawn.top) for ln in self.engine.read(crop)]


#: Least width and height of a focus ring, and how far in from its outer edge it is drawn.
RING_LEAST, RING_DEPTH = (16, 12), 2
#: Widest a text caret is drawn, and its least height.
CARET_WIDTH, CARET_LEAST = 2, 8


def _no_text_in(changed: NDArray[np.bool_]) -> bool:
    """Whether a change (a mask of its changed pixels) is a field's focus shown or taken
    away and nothing else, which no text could be in. Each stroke of it is either
    - an outline: a rectangle's edge no more than `RING_DEPTH` px deep, nothing changed
      inside it (a focus ring), or
    - a caret: a bar no wider than `CARET_WIDTH` px, the height of a line of text (a text
      caret blinking, or gone from the field that lost focus).
    A lone "l" or "I" drawn as a one-stroke bar (typed, deleted) looks the same: where keys
    went the reader reads every change (`keys_went_to`), so this misses only an
    application changing its own text by such a letter and nothing else."""
    count, labels, stats, _ = cv2_module().connectedComponentsWithStats(
        np.ascontiguousarray(changed).view(np.uint8), connectivity=8
    )
    for label in range(1, count):
        x, y, w, h = (int(v) for v in stats[label, :4])
        if w <= CARET_WIDTH and h >= CARET_LEAST:
            continue
        if w < RING_LEAST[0] or h < RING_LEAST[1]:
            return False
        d = RING_DEPTH
        if (labels[y + d : y + h - d, x + d : x + w - d] == label).any():
            return False
    return True


def _drawn_controls(frame: Frame) -> list[Control]:
    """`find_controls` of the drawn part of the frame (its blank margins hold none)."""
    h, w = frame.shape[:2]
    drawn = drawn_part(frame, Rect(width=max(1, w), height=max(1, h)))
    if drawn is None:
        return []
    if drawn.width == w and drawn.height == h:
        return find_controls(frame)
    crop = frame[drawn.top : drawn.top + drawn.height, drawn.left : drawn.left + drawn.width]
    return [
        replace(
            c,
            box=c.box.model_copy(
                update={"left": c.box.left + drawn.left, "top": c.box.top + drawn.top}
            ),
        )
        for c in find_controls(crop)
    ]


def drawn_part(frame: Frame, region: Rect, pad: int = BLANK_PAD) -> Rect | None:
    """`region` less its blank margins: the rows and columns at its edges that are all one
    colour (the desktop's backdrop around a window) hold no text, and OCR costs what it is
    given to look at (a whole 1080p frame's first read 1.6 s, the window alone 0.35 s).
    Kept `pad` pixels wide of the drawn part, since OCR drops a letter that touches the
    edge of its crop; None when the region is blank or empty."""
    pixels: NDArray[Any] = frame
    if frame.ndim == 3 and frame.shape[2] == 4 and frame.flags.c_contiguous:
        pixels = frame.view(np.uint32)[:, :, 0]  # a 4-byte pixel compared as one word
    crop = pixels[region.top : region.top + region.height, region.left : region.left + region.width]
    if crop.size == 0:
        return None
    h, w = crop.shape[:2]
    corner = crop[0, 0]
    if crop.ndim == 3:  # channel by channel: several times quicker than any(axis=2)
        differs = crop[:, :, 0] != corner[0]
        for channel in range(1, min(3, crop.shape[2])):
            differs |= crop[:, :, channel] != corner[channel]
    else:
        differs = crop != corner
    rows, columns = np.flatnonzero(differs.any(axis=1)), np.flatnonzero(differs.any(axis=0))
    if rows.size == 0:
        return None
    top, bottom = max(0, int(rows[0]) - pad), min(h, int(rows[-1]) + 1 + pad)
    left, right = max(0, int(columns[0]) - pad), min(w, int(columns[-1]) + 1 + pad)
    return Rect(
        left=region.left + left, top=region.top + top, width=right - left, height=bottom - top
    )


def _inside(box: Rect, region: Rect) -> bool:
    return (
        box.left >= region.left
        and box.top >= region.top
        and box.left + box.width <= region.left + region.width
        and box.top + box.height <= region.top + region.height
    )


def _to_screen(box: Rect, geometry: ScreenGeometry) -> ScreenBox:
    """A box in capture pixels (what the device captured) on the screen."""
    return geometry.image_box_to_screen(
        ImageBox(x1=box.left, y1=box.top, x2=box.left + box.width - 1, y2=box.top + box.height - 1)
    )


def _text(text: str, box: Rect, score: float, geometry: ScreenGeometry) -> Element:
    return Element(
        id="",
        role="text",
        name=text,
        box=_to_screen(box, geometry),
        source="ocr",
        score=min(1.0, score),
    )


def _in_a_word(control: Control, lines: Sequence[OcrLine]) -> bool:
    """A checkbox or radio that OCR read as a letter within a word (a round 'o' in a label):
    it lies inside a line that goes on to both sides of it. An indicator OCR took in with its
    caption ("O Large", "Remember me [x]") stays, and so does one that a line's padded box
    took in at its end ("Pro" read from a crop, its box reaching over the radio before it):
    a letter has a good part of a character of the word on each side."""
    if control.kind not in ("checkbox", "radio"):
        return False
    box = control.box

    def inside(ln: OcrLine) -> bool:
        side = max(box.width // 2, round(0.6 * ln.box.width / max(1, len(ln.text))))
        return (
            ln.box.holds_middle_of(box)
            and box.left - ln.box.left > side
            and (ln.box.left + ln.box.width) - (box.left + box.width) > side
        )

    return any(inside(ln) for ln in lines)


def _beside_indicators(line: OcrLine, controls: Sequence[Control]) -> OcrLine:
    """The line without a checkbox or radio its padded box reached over at its start (a
    caption read from a crop: "Pro" boxed from the ring before it), so that the caption
    lies right of the indicator it names."""
    box = line.box
    for c in controls:
        if c.kind not in ("checkbox", "radio") or not box.holds_middle_of(c.box):
            continue
        right = c.box.left + c.box.width
        start = c.box.left - box.left <= 0.6 * box.width / max(1, len(line.text))
        if start and box.left + box.width - right >= 0.5 * box.height:
            width = box.left + box.width - right
            return OcrLine(
                line.text,
                Rect(left=right, top=box.top, width=width, height=box.height),
                line.score,
                line.words,
            )
    return line


def _control(
    control: Control, lines: Sequence[OcrLine], frame: Frame, geometry: ScreenGeometry
) -> Element:
    states: frozenset[str] = frozenset()
    if control.checked is not None:
        states = frozenset({"checkable", "checked"} if control.checked else {"checkable"})
    value = placeholder = ""
    if control.kind in ("entry", "combo"):
        # OCR pads its boxes by several pixels: a line is inside when its middle is.
        inside = [ln for ln in lines if control.box.holds_middle_of(ln.box)]
        shown = text_in(inside)
        face = _shrunk(control.box, 3)
        if shown and all(_dim(frame, _clipped(ln.box, face)) for ln in inside):
            placeholder = shown
        else:
            value = shown
    return Element(
        id="",
        role=control.kind,
        value=value,
        placeholder=placeholder,
        states=states,
        box=_to_screen(control.box, geometry),
        source="pixels",
        score=control.confidence,
    )


def _shrunk(box: Rect, by: int) -> Rect:
    return Rect(
        left=box.left + by,
        top=box.top + by,
        width=max(1, box.width - 2 * by),
        height=max(1, box.height - 2 * by),
    )


def _clipped(box: Rect, within: Rect) -> Rect | None:
    left, top = max(box.left, within.left), max(box.top, within.top)
    right = min(box.left + box.width, within.left + within.width)
    bottom = min(box.top + box.height, within.top + within.height)
    if right <= left or bottom <= top:
        return None
    return Rect(left=left, top=top, width=right - left, height=bottom - top)


#: Placeholders are drawn at about half the contrast text has (GTK, Qt: the text colour at
#: half alpha; Chromium: #757575 on white); values reach nearly the full contrast.
DIM_CONTRAST = 0.7


def _dim(frame: Frame, box: Rect | None) -> bool:
    """The text in `box` is drawn faint: its darkest (or, on a dark face, brightest) strokes
    stay far from the full contrast its background allows."""
    if box is None:
        return False
    crop = frame[box.top : box.top + box.height, box.left : box.left + box.width]
    if crop.size == 0:
        return False
    luma = crop.mean(axis=2) if crop.ndim == 3 else crop.astype(float)
    face = float(np.median(luma))
    # The 99.5th percentile, not the maximum: one stray pixel (a caret, a border) is not text.
    strongest = float(np.percentile(np.abs(luma - face), 99.5))
    possible = max(face, 255.0 - face)
    return possible > 0 and strongest < DIM_CONTRAST * possible


def text_in(lines: Sequence[OcrLine]) -> str:
    """The lines' text, in reading order, joined by spaces."""
    ordered = sorted(lines, key=lambda ln: (ln.box.top // 8, ln.box.left))
    return " ".join(ln.text for ln in ordered)

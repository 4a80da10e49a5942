"""OCR elements (lines, words, and the drawn controls they fill), on synthetic frames and on a
real Tk window."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import XSession
from screenpilot.perception.geometry import Rect, ScreenGeometry
from screenpilot.perception.grounding import Found, ground
from screenpilot.perception.ocr import (
    BLANK_PAD,
    OcrLine,
    OcrWord,
    RapidOcr,
    ScreenReader,
    drawn_part,
    split_words,
)
from screenpilot.perception.shapes import find_controls
from tests.desktop_apps import wait_for_a_still_screen

FORMS = Path(__file__).resolve().parent.parent / "examples" / "forms"


def test_drawn_entries_are_found_and_not_the_page() -> None:
    frame = np.full((400, 600, 3), 217, dtype=np.uint8)  # a grey window
    frame[50:80, 100:400] = 255  # an entry
    frame[120:150, 100:400] = 255
    frame[128:142, 110:160] = 0  # with text in it
    frame[200:215, 100:115] = 255  # a small square: a checkbox (not a field)
    found = [(c.kind, c.box, c.checked) for c in find_controls(frame)]
    assert found == [
        ("entry", Rect(left=100, top=50, width=300, height=30), None),
        ("entry", Rect(left=100, top=120, width=300, height=30), None),
        ("checkbox", Rect(left=100, top=200, width=15, height=15), False),
    ]
    white_page = np.full((400, 600, 3), 255, dtype=np.uint8)
    assert find_controls(white_page) == []


def _rect(left: int, top: int, width: int, height: int) -> Rect:
    return Rect(left=left, top=top, width=width, height=height)


def _quad(left: int, top: int, right: int, bottom: int) -> list[list[int]]:
    return [[left, top], [right, top], [right, bottom], [left, bottom]]


def test_a_calendar_row_is_split_into_its_words() -> None:
    line = _rect(100, 20, 180, 20)
    # rapidocr's pieces for a Latin line: whole words, each placed where it was read.
    pieces = [(day, 0.99, _quad(100 + 26 * i, 20, 118 + 26 * i, 40)) for i, day in
              enumerate(["15", "16", "17", "18", "19", "20", "21"])]  # fmt: skip
    words = split_words("15 16 17 18 19 20 21", line, pieces)
    assert [w.text for w in words] == ["15", "16", "17", "18", "19", "20", "21"]
    assert words[0] == OcrWord("15", _rect(100, 20, 18, 20), 0.99)
    assert words[6].box == _rect(256, 20, 18, 20)
    # With CJK in the line it places single characters; they are joined back into words.
    chars = [(ch, 0.9, _quad(10 + 15 * i, 0, 24 + 15 * i, 30)) for i, ch in enumerate("Zoë北京")]
    words = split_words("Zoë 北京", _rect(10, 0, 80, 30), chars)
    assert [(w.text, w.box.left, w.box.width) for w in words] == [("Zoë", 10, 44), ("北京", 55, 29)]


def test_words_fall_back_to_character_positions() -> None:
    line = _rect(0, 0, 140, 20)
    # Pieces that do not spell the line (or none at all): each character gets 10 px here.
    for pieces in (None, [("15", 1.0, _quad(0, 0, 20, 20))]):
        words = split_words("15 16 17 18 19", line, pieces)
        assert [(w.text, w.box.left, w.box.width) for w in words] == [
            ("15", 0, 20), ("16", 30, 20), ("17", 60, 20), ("18", 90, 20), ("19", 120, 20)
        ]  # fmt: skip
    assert split_words("Submit", line, None) == ()  # one word: the line is its own word


class ScriptedEngine:
    """Reads the lines it is told (placed in the whole frame) that reach into the crop it
    is given, relative to that crop, as a real engine would read them there."""

    def __init__(self, lines: list[OcrLine]) -> None:
        self.lines, self.crops = lines, []

    def read(self, pixels: np.ndarray) -> list[OcrLine]:
        self.crops.append(pixels.shape[:2])
        top, left = _corner_in_frame(pixels)
        h, w = pixels.shape[:2]
        inside = [
            ln
            for ln in self.lines
            if ln.box.left < left + w
            and left < ln.box.left + ln.box.width
            and ln.box.top < top + h
            and top < ln.box.top + ln.box.height
        ]
        return [ln.moved(-left, -top) for ln in inside]


def _corner_in_frame(crop: np.ndarray) -> tuple[int, int]:
    """Where a crop (a view of a frame, as the reader cuts them) starts in its frame."""
    frame = crop if crop.base is None else crop.base
    offset = crop.__array_interface__["data"][0] - frame.__array_interface__["data"][0]
    row_bytes = crop.strides[0]
    return offset // row_bytes, (offset % row_bytes) // crop.strides[1]


def _entry_frame(ink: int) -> np.ndarray:
    """A grey window with one white entry holding a word drawn in grey level `ink`."""
    frame = np.full((200, 400, 3), 230, np.uint8)
    frame[40:70, 50:350] = 255
    frame[40, 50:350] = frame[69, 50:350] = frame[40:70, 50] = frame[40:70, 349] = 180
    frame[48:62, 58:70] = ink  # the "word"
    frame[48:62, 74:90] = ink
    return frame


def test_text_in_an_entry_is_its_placeholder_when_dim_and_its_value_when_not() -> None:
    geometry = ScreenGeometry.for_screen(400, 200)
    line = OcrLine("Your name", _rect(55, 45, 40, 20), 0.98,
                   (OcrWord("Your", _rect(55, 45, 16, 20), 0.98),
                    OcrWord("name", _rect(72, 45, 22, 20), 0.97)))  # fmt: skip
    for ink, value, placeholder in ((140, "", "Your name"), (30, "Your name", "")):
        elements = ScreenReader(ScriptedEngine([line])).elements(_entry_frame(ink), geometry)
        entry = next(e for e in elements if e.source == "pixels")
        assert (entry.role, entry.value, entry.placeholder) == ("entry", value, placeholder)
        texts = [(e.name, e.box.x1) for e in elements if e.role == "text"]
        assert texts == [("Your name", 55), ("Your", 55), ("name", 72)]


def test_a_round_letter_inside_a_word_is_not_a_radio() -> None:
    frame = np.full((100, 300, 3), 255, np.uint8)
    cv2.circle(frame, (150, 50), 7, (120, 120, 120), 1, cv2.LINE_AA)  # alone, it is a radio
    assert [c.kind for c in find_controls(frame)] == ["radio"]
    geometry = ScreenGeometry.for_screen(300, 100)
    around = OcrLine("lock", _rect(120, 38, 70, 24), 0.9)  # OCR read it as the o of a word
    assert [e.role for e in ScreenReader(ScriptedEngine([around])).elements(frame, geometry)] == [
        "text"
    ]
    caption = OcrLine("O Large", _rect(140, 38, 90, 24), 0.9)  # read with its caption: stays
    roles = {e.role for e in ScreenReader(ScriptedEngine([caption])).elements(frame, geometry)}
    assert roles == {"text", "radio"}
    # A crop's reading of the caption after it, its padded box reaching over the radio
    # (Chromium's "( ) Pro"): less than a character of it lies left of the ring.
    padded = OcrLine("Pro", _rect(134, 36, 63, 32), 0.9)
    roles = {e.role for e in ScreenReader(ScriptedEngine([padded])).elements(frame, geometry)}
    assert roles == {"text", "radio"}
    # ... and it names the radio it follows, not the next one to its right ("( ) Team").
    cv2.circle(frame, (230, 50), 7, (120, 120, 120), 1, cv2.LINE_AA)
    elements = ScreenReader(ScriptedEngine([padded])).elements(frame, geometry)
    found = ground("Pro", elements, intent="check")
    assert isinstance(found, Found) and found.element.box.x1 < 150, found


def test_words_move_with_the_region_that_was_read_again() -> None:
    frame = np.full((200, 400, 3), 255, np.uint8)
    frame[5:15, 5:35] = 0  # a line drawn in the corner
    halves = (
        OcrWord("a", _rect(205, 105, 10, 10), 0.9),
        OcrWord("b", _rect(225, 105, 10, 10), 0.9),
    )
    word = OcrLine("a b", _rect(205, 105, 30, 10), 0.9, halves)
    engine = ScriptedEngine([word])
    reader = ScreenReader(engine)
    assert reader.lines(frame) == []
    changed = frame.copy()
    changed[100:120, 200:260] = 0
    lines = reader.lines(changed)
    assert engine.crops[1] != (200, 400)  # only the changed region was read again
    assert len(lines) == 1 and lines[0].box.left == 205  # back in the frame's pixels
    assert lines[0].words[1].box.left - lines[0].box.left == 20


def test_blank_margins_are_not_read_and_a_blank_frame_not_at_all() -> None:
    frame = np.full((300, 500, 3), 40, np.uint8)  # the desktop's backdrop
    frame[100:180, 200:320] = 230  # a window
    line = OcrLine("Name", _rect(210, 110, 40, 16), 0.9)
    engine = ScriptedEngine([line])
    (read,) = ScreenReader(engine).lines(frame)
    assert engine.crops == [(80 + 2 * BLANK_PAD, 120 + 2 * BLANK_PAD)]  # the window, padded
    assert read.box == line.box
    blank = ScriptedEngine([line])
    assert ScreenReader(blank).lines(np.full((300, 500, 3), 40, np.uint8)) == []
    assert blank.crops == []
    assert drawn_part(frame, _rect(0, 0, 150, 300)) is None  # left of the window: nothing
    # X frames (four bytes a pixel) are compared a word a pixel, to the same answer.
    four = np.ascontiguousarray(np.dstack([frame, np.zeros(frame.shape[:2], np.uint8)]))
    assert drawn_part(four, _rect(0, 0, 500, 300)) == drawn_part(frame, _rect(0, 0, 500, 300))


def test_a_region_never_cuts_a_line_it_grew_over() -> None:
    """A changed region widened over one old line can come to cut another: it grows again
    until every old line is wholly in or out (a cut line read again was 'Street' lost)."""
    reader = ScreenReader(ScriptedEngine([]))
    # Listed so that one pass over them meets City last: only then does the region reach
    # the lines before it.
    reader._lines = [
        OcrLine("Postcode", _rect(150, 130, 80, 20), 0.99),
        OcrLine("Street", _rect(100, 115, 60, 20), 0.99),
        OcrLine("City", _rect(100, 100, 40, 20), 0.99),
    ]
    assert reader._grow([_rect(90, 90, 30, 20)]) == [_rect(90, 90, 140, 60)]


class CountingEngine:
    """Records the size of every image it is asked to read (real OCR underneath)."""

    def __init__(self, engine: RapidOcr) -> None:
        self.engine, self.areas = engine, []

    def read(self, pixels: np.ndarray) -> list[OcrLine]:
        self.areas.append(pixels.shape[0] * pixels.shape[1])
        return self.engine.read(pixels)


def _sure(lines: list[OcrLine]) -> list[OcrLine]:
    return [ln for ln in lines if ln.score >= 0.6]


def _words(lines: list[OcrLine]) -> set[str]:
    """The texts of lines with a letter or digit in them: a drawn checkbox OCR takes for a
    box glyph ("□" at 0.56) is read in one crop and not in another, and is a shape's to find."""
    return {ln.text for ln in lines if any(ch.isalnum() for ch in ln.text)}


def test_only_the_changed_field_is_read_again(tk_form: Path, xsession: XSession) -> None:
    engine = CountingEngine(RapidOcr())
    reader = ScreenReader(engine)
    with Desktop(accessibility=False) as desktop:
        first = desktop.screenshot()
        before = _words(reader.lines(first.pixels))
        assert {"Name", "Email", "Subscribe", "Submit"} <= before
        # Tab moves the focus on, so no blinking caret sits after the word being read.
        for command in (
            ["mousemove", "450", "258", "click", "1"],
            ["type", "Alice"],
            ["key", "Tab"],
        ):
            subprocess.run(["xdotool", *command], env=xsession.env, check=True)
        # Tk redraws a moment after the Tab: read once it has (the caret gone from "Alice").
        wait_for_a_still_screen()
        second = desktop.screenshot()
        engine.areas.clear()
        after = _words(reader.lines(second.pixels))
        assert after == before | {"Alice"}
        assert 0 < reader.last_read_area < 0.05
        assert sum(engine.areas) < 0.05 * 1920 * 1080
        # and the incremental answer is what a fresh full read says: every line either is
        # sure of is among the other's (the window's title-bar buttons read as "00网" at
        # 0.51, just over the engine's floor of 0.5, come and go with the rest of the
        # window's pixels, however the frame is read)
        kept = reader.lines(second.pixels)
        fresh = ScreenReader(RapidOcr()).lines(second.pixels)
        assert _words(_sure(kept)) <= _words(fresh) and _words(_sure(fresh)) <= _words(kept)
        assert "Alice" in _words(_sure(fresh))


@pytest.mark.integration
def test_a_crop_of_a_form_reads_every_label_upright() -> None:
    """A changed region of the Qt form (Fusion) as the reader crops it after typing: with
    rapidocr's angle classifier on, "City:" came out turned over (":ti5", "!5")."""
    crop = cv2.imread(str(Path(__file__).parent / "apps" / "qt_form_labels.png"))
    texts = [ln.text for ln in RapidOcr().read(np.ascontiguousarray(crop[:, :, ::-1]))]
    assert {"Name:", "Street:", "City:", "Country:"} <= set(texts), texts


def test_making_a_reader_loads_nothing_until_it_reads() -> None:
    """A run whose program has an accessibility tree makes a reader and never reads with
    it: rapidocr is not even imported until the first read."""
    import sys

    code = (
        "import sys\n"
        "from screenpilot.perception.ocr import RapidOcr, ScreenReader\n"
        "engine = RapidOcr(); ScreenReader(engine)\n"
        "assert not engine.loaded and 'rapidocr' not in sys.modules, 'loaded early'\n"
        "print('lazy')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "lazy", done.stderr


def test_a_missing_ocr_install_is_told_when_the_reader_is_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    from screenpilot.perception.ocr import OcrError

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "rapidocr" else real(name)
    )
    with pytest.raises(OcrError, match=r"pip install 'screenpilot\[ocr\]'"):
        RapidOcr()


def test_models_loaded_in_the_background_are_loaded_once_and_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The demo loads the models while its display comes up; its first read waits for
    that load instead of starting another."""
    import threading
    import time

    from screenpilot.perception import ocr

    made: list[str] = []
    gate = threading.Event()

    def slow_load() -> object:
        gate.wait(5)
        made.append(threading.current_thread().name)
        return "the engine"

    monkeypatch.setattr(ocr, "_load_engine", slow_load)
    engine = RapidOcr()
    engine.load_in_background()
    time.sleep(0.05)
    assert not engine.loaded
    threading.Timer(0.1, gate.set).start()
    assert engine._engine == "the engine"  # what a read uses: waits for the load
    assert made == ["ocr-models"] and engine.loaded


def test_a_failed_background_load_is_told_by_the_first_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from screenpilot.perception import ocr

    def broken() -> object:
        raise ocr.OcrError("OCR is not installed")

    monkeypatch.setattr(ocr, "_load_engine", broken)
    engine = RapidOcr()
    engine.load_in_background()
    with pytest.raises(ocr.OcrError, match="not installed"):
        _ = engine._engine


def test_a_config_rapidocr_parses_twice_while_imported_is_parsed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two of rapidocr's modules parse the same YAML table at import; while it is imported
    the second parse gets the first's result, and afterwards OmegaConf parses afresh."""
    import sys
    from unittest import mock

    monkeypatch.delitem(sys.modules, "rapidocr.main", raising=False)  # as if not imported yet

    from omegaconf import OmegaConf

    from screenpilot.perception.ocr import _each_config_parsed_once

    table = tmp_path / "models.yaml"
    table.write_text("det:\n  small: a.onnx\n")
    original = vars(OmegaConf)["load"]
    with mock.patch("omegaconf.omegaconf.yaml.load", wraps=__import__("yaml").load) as parsed:
        with _each_config_parsed_once():
            first, second = OmegaConf.load(table), OmegaConf.load(str(table))
        assert first is second and parsed.call_count == 1
        assert first.det.small == "a.onnx"
        assert vars(OmegaConf)["load"] is original
        assert OmegaConf.load(table) is not first and parsed.call_count == 2


def test_a_field_read_where_it_was_typed_is_not_read_again() -> None:
    """What `read_region` read (the typed field, checked) is what the next `lines` keeps
    there: that region is read again only where it changed since."""
    frame = _entry_frame(255)  # an empty entry at (50, 40)-(350, 70)
    typed = _entry_frame(40)
    word = OcrLine("Ada", _rect(58, 48, 32, 14), 0.95)
    engine = ScriptedEngine([])
    reader = ScreenReader(engine)
    assert reader.lines(frame) == []
    engine.lines = [word]
    field = _rect(50, 40, 300, 30)
    assert reader.read_region(typed, field) == [word]
    read = len(engine.crops)
    assert reader.lines(typed) == [word] and len(engine.crops) == read  # nothing read
    elsewhere = typed.copy()
    elsewhere[120:140, 100:160] = 0
    engine.lines = [word, OcrLine("Sent", _rect(100, 120, 60, 20), 0.9)]
    assert {ln.text for ln in reader.lines(elsewhere)} == {"Ada", "Sent"}
    (crop,) = engine.crops[read:]
    assert crop[0] < 100  # the new line's region, not the field again
    # A line that reaches out of the region read is not cut short: nothing is learnt, and
    # the next read looks there again.
    other = ScreenReader(ScriptedEngine([word]))
    other.lines(typed)
    other.read_region(typed.copy(), _rect(50, 40, 20, 30))
    assert other._frame is typed and other._lines == [word]
    # Learning writes into a copy, never into the frame the caller gave the reader.
    kept = frame.copy()
    mine = ScreenReader(ScriptedEngine([]))
    mine.lines(frame)
    mine.read_region(typed, field)
    assert np.array_equal(frame, kept) and mine._frame is not frame


def test_a_focus_ring_or_a_caret_alone_is_not_read_again() -> None:
    frame = _entry_frame(40)
    word = OcrLine("Ada", _rect(58, 48, 32, 14), 0.95)
    engine = ScriptedEngine([word])
    reader = ScreenReader(engine)
    reader.lines(frame)
    read = len(engine.crops)
    focused = frame.copy()
    for d in (1, 2):  # a two-pixel ring around the entry
        focused[40 - d, 50 - d : 350 + d] = focused[69 + d, 50 - d : 350 + d] = (60, 110, 220)
        focused[40 - d : 70 + d, 50 - d] = focused[40 - d : 70 + d, 349 + d] = (60, 110, 220)
    focused[47:63, 94:96] = 0  # the caret after the word
    assert reader.lines(focused) == [word] and len(engine.crops) == read
    blinked = focused.copy()
    blinked[47:63, 94:96] = 255
    assert reader.lines(blinked) == [word] and len(engine.crops) == read
    # A stroke wider than a caret, or a small one, is read.
    changed = blinked.copy()
    for ink in (np.s_[47:63, 94:98], np.s_[50:60, 300:306]):
        changed = changed.copy()
        changed[ink] = 0
        reader.lines(changed)
        assert len(engine.crops) == read + 1
        read += 1


def test_where_keys_went_a_change_as_thin_as_a_caret_is_read() -> None:
    """Deleting an "l" changes a bar no wider than a caret: where keys were sent, the next
    read does not take it for one (and where they were not, a caret's blink is skipped)."""
    will = _entry_frame(255)
    will[48:62, 58:70] = 40  # "Wi"
    will[48:62, 74:76] = 40  # "l"
    will[48:62, 80:82] = 40  # "l"
    engine = ScriptedEngine([OcrLine("Will", _rect(58, 48, 24, 14), 0.95)])
    reader = ScreenReader(engine)
    reader.lines(will)
    wil = will.copy()
    wil[48:62, 80:82] = 255  # the last "l" deleted
    engine.lines = [OcrLine("Wil", _rect(58, 48, 18, 14), 0.95)]
    read = len(engine.crops)
    assert [ln.text for ln in reader.lines(wil)] == ["Will"]  # taken for a caret: not read
    reader.lines(will)  # back as it was (skipped too)
    assert len(engine.crops) == read
    reader.keys_went_to(_rect(40, 30, 320, 50))  # BackSpace into the entry
    assert [ln.text for ln in reader.lines(wil)] == ["Wil"]
    assert len(engine.crops) == read + 1
    # Keys to an unknown place: every change is read.
    engine.lines = [OcrLine("Will", _rect(58, 48, 24, 14), 0.95)]
    reader.keys_went_to(None)
    assert [ln.text for ln in reader.lines(will)] == ["Will"]

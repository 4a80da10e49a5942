"""Controls found by their drawn shape: on real widgets of every toolkit and theme the project
meets, and on synthetic frames for the edge cases.

The real widgets are small programs in tests/apps/ that show entries, checkboxes (checked
and not), radios, buttons and a combo, and report where their toolkit put each one. Every
widget must be found with its kind, an IoU of 0.5 or more with its true box, and its checked
state. False positives: no control that is not there, except openbox's minimise, maximise
and close buttons in the title bar (three squares with icons, found as buttons): at most 3
extra controls on a screen, all of them buttons.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import XSession
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import Rect, ScreenGeometry
from screenpilot.perception.grounding import Found, ground
from screenpilot.perception.ocr import ScreenReader, _drawn_controls
from screenpilot.perception.shapes import Control, box_iou, contains, find_controls
from tests.desktop_apps import wait_for_a_still_screen

APPS = Path(__file__).resolve().parent / "apps"
# Debian's interpreter has python3-gi, PyQt5 and python3-tk; the apps are separate programs.
SYSTEM_PYTHON = "/usr/bin/python3"
CHROMIUM = "/usr/bin/chromium"

#: The desktop toolkits and looks: the program, then its environment.
LOOKS: dict[str, tuple[list[str], dict[str, str]]] = {
    "adwaita": (["gtk_widgets.py"], {"GTK_THEME": "Adwaita"}),
    "adwaita-dark": (["gtk_widgets.py"], {"GTK_THEME": "Adwaita:dark"}),
    "gtk-200%": (["gtk_widgets.py"], {"GTK_THEME": "Adwaita", "GDK_SCALE": "2"}),
    "qt-fusion": (["qt_widgets.py", "-style", "Fusion"], {}),
    "tk": (["tk_widgets.py"], {}),
}
#: Extra controls a screen may show besides the app's: the window manager's title buttons.
MAX_EXTRA = 3


def _rect(box: list[float]) -> Rect:
    left, top = round(box[0]), round(box[1])
    return Rect(left=left, top=top, width=max(1, round(box[2])), height=max(1, round(box[3])))


def _describe(c: Control) -> str:
    b = c.box
    return f"{c.kind}(checked={c.checked}) at {b.left},{b.top} {b.width}x{b.height}"


def judge(found: list[Control], truth: list[dict[str, Any]]) -> tuple[list[str], list[Control]]:
    """What was missed or got wrong (one line each), and the found controls that match no
    widget. A widget marked "within" (Tk's classic check and radio buttons: Tk says only
    where the whole widget is) must have its control inside that box instead of IoU 0.5."""
    wrong, matched = [], set()
    for widget in truth:
        box = _rect(widget["box"])
        if widget.get("within"):
            near = [c for c in found if contains(box, c.box, slack=1)]
        else:
            near = [c for c in found if box_iou(c.box, box) >= 0.5]
        matched |= {id(c) for c in near}
        good = [c for c in near if c.kind == widget["kind"] and c.checked == widget["checked"]]
        if not good:
            seen = ", ".join(_describe(c) for c in near) or "nothing there"
            wrong.append(f"{widget['kind']}(checked={widget['checked']}) at {box}: {seen}")
    return wrong, [c for c in found if id(c) not in matched]


def assert_found(found: list[Control], truth: list[dict[str, Any]], max_extra: int) -> None:
    wrong, extra = judge(found, truth)
    assert not wrong, "\n".join(wrong)
    assert len(extra) <= max_extra and all(c.kind == "button" for c in extra), [
        _describe(c) for c in extra
    ]


def _wait_for(path: Path, timeout: float = 30.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size:
            data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
            return data
        time.sleep(0.1)
    raise AssertionError(f"the app wrote no {path.name} within {timeout:g} s")


# ---------------------------------------------------------------- synthetic frames, no display

LIGHT = {"window": (246, 245, 244), "face": (255, 255, 255), "line": (205, 199, 194),
         "text": (46, 52, 54), "accent": (53, 132, 228)}  # fmt: skip
DARK = {"window": (53, 53, 53), "face": (45, 45, 45), "line": (27, 27, 27),
        "text": (238, 238, 238), "accent": (21, 83, 158)}  # fmt: skip


def drawn_form(scale: int = 1, colours: dict[str, tuple[int, int, int]] = LIGHT) -> tuple[
    np.ndarray, list[dict[str, Any]]
]:  # fmt: skip
    """A form drawn with OpenCV the way toolkits draw theirs (1 px lines at 100%, a shaded
    button, a tick, a dot), and the true box of each control (in frame pixels)."""
    s, c = scale, colours
    frame = np.full((300 * s, 500 * s, 3), c["window"], np.uint8)
    truth: list[dict[str, Any]] = []

    def box(kind: str, x: int, y: int, w: int, h: int, checked: bool | None = None) -> None:
        truth.append({"kind": kind, "checked": checked, "box": [x * s, y * s, w * s, h * s]})

    def outline(x: int, y: int, w: int, h: int, fill: tuple[int, int, int]) -> None:
        cv2.rectangle(frame, (x * s, y * s), ((x + w) * s - 1, (y + h) * s - 1), fill, -1)
        cv2.rectangle(frame, (x * s, y * s), ((x + w) * s - 1, (y + h) * s - 1), c["line"], s)

    def text(words: str, x: int, y: int, size: float = 0.5) -> None:
        cv2.putText(frame, words, (x * s, y * s), cv2.FONT_HERSHEY_SIMPLEX, size * s, c["text"],
                    s, cv2.LINE_AA)  # fmt: skip

    outline(20, 20, 200, 30, c["face"])
    box("entry", 20, 20, 200, 30)
    outline(20, 60, 200, 30, c["face"])
    text("Paris", 28, 81)
    box("entry", 20, 60, 200, 30)
    for row in range(30 * s):  # a button's face darkens downwards
        shade = np.clip(np.array(c["window"], float) + 10 - 20 * row / (30 * s), 0, 255)
        frame[100 * s + row, 20 * s : 110 * s] = shade
    cv2.rectangle(frame, (20 * s, 100 * s), (110 * s - 1, 130 * s - 1), c["line"], s)
    text("Submit", 35, 121)
    box("button", 20, 100, 90, 30)
    outline(20, 140, 120, 30, c["face"])
    text("Red", 28, 161)
    cv2.fillPoly(frame, [np.array([[118, 150], [130, 150], [124, 157]]) * s], c["text"],
                 cv2.LINE_AA)  # fmt: skip
    box("combo", 20, 140, 120, 30)
    outline(20, 190, 16, 16, c["face"])
    box("checkbox", 20, 190, 16, 16, False)
    outline(20, 220, 16, 16, c["accent"])
    tick = np.array([[24, 228], [27, 232], [33, 224]]) * s
    cv2.polylines(frame, [tick], False, (255, 255, 255), 2 * s, cv2.LINE_AA)
    box("checkbox", 20, 220, 16, 16, True)
    for y, dot in ((198, False), (228, True)):
        cv2.circle(frame, (228 * s, y * s), 8 * s, c["face"], -1, cv2.LINE_AA)
        cv2.circle(frame, (228 * s, y * s), 8 * s, c["line"], s, cv2.LINE_AA)
        if dot:
            cv2.circle(frame, (228 * s, y * s), 3 * s, c["text"], -1, cv2.LINE_AA)
        box("radio", 220, y - 8, 17, 17, dot)
    text("Subscribe", 44, 203, 0.45)
    text("Remember me", 44, 233, 0.45)
    text("Small", 244, 203, 0.45)
    text("Large", 244, 233, 0.45)
    text("Good food, cool pools, bold goals", 20, 270, 0.6)
    return frame, truth


@pytest.mark.parametrize("scale", [1, 2], ids=["100%", "200%"])
@pytest.mark.parametrize("colours", [LIGHT, DARK], ids=["light", "dark"])
def test_a_drawn_form_is_read_at_any_scale_and_shade(
    scale: int, colours: dict[str, tuple[int, int, int]]
) -> None:
    frame, truth = drawn_form(scale, colours)
    assert_found(find_controls(frame), truth, max_extra=0)


@pytest.mark.parametrize("colours", [LIGHT, DARK], ids=["light", "dark"])
def test_a_window_on_a_bare_backdrop_gives_the_controls_it_gives_alone(
    colours: dict[str, tuple[int, int, int]],
) -> None:
    """The OCR reader looks for controls only in the drawn part of a frame: a form on an
    empty 1080p desktop gives the same controls, in the desktop's pixels."""
    form, _ = drawn_form(2, colours)
    desktop = np.full((1080, 1920, 3), (30, 30, 60), np.uint8)
    desktop[300 : 300 + form.shape[0], 700 : 700 + form.shape[1]] = form
    alone = [(c.kind, c.checked, c.box.left + 700, c.box.top + 300) for c in find_controls(form)]
    found = [(c.kind, c.checked, c.box.left, c.box.top) for c in _drawn_controls(desktop)]
    assert found == alone and len(found) == 8


def test_a_toolbar_is_not_an_entry_and_a_selection_is_part_of_its_entry() -> None:
    c = LIGHT
    frame = np.full((200, 500, 3), c["window"], np.uint8)
    cv2.rectangle(frame, (10, 10), (409, 59), c["line"], 1)  # a toolbar strip with 2 buttons
    for left in (20, 130):
        for row in range(30):
            frame[20 + row, left : left + 90] = 250 - row // 2
        cv2.rectangle(frame, (left, 20), (left + 89, 49), c["line"], 1)
        cv2.putText(frame, "Open", (left + 22, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.5, c["text"], 1)
    cv2.rectangle(frame, (10, 100), (309, 129), c["face"], -1)  # an entry
    cv2.rectangle(frame, (10, 100), (309, 129), c["line"], 1)
    cv2.rectangle(frame, (16, 106), (70, 123), c["accent"], -1)  # its selected text
    cv2.putText(frame, "Paris", (18, 120), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
    found = [(c.kind, c.box.left, c.box.top) for c in find_controls(frame)]
    assert found == [("button", 20, 20), ("button", 130, 20), ("entry", 10, 100)]


def test_phone_sized_boxes_are_found_too() -> None:
    # A phone at 3x density draws a one-line entry ~140 px tall and a WebView's text area
    # taller still; the simulated phone's login and notes screens draw both.
    from screenpilot.sim.phone import SimulatedPhone

    phone = SimulatedPhone()
    seen = {}
    for app in ("com.example.login", "com.example.notes"):
        phone.open_app(app)
        frame = np.asarray(phone.render().convert("RGB"))
        seen[app] = [(c.kind, c.box.top, c.box.height) for c in find_controls(frame)]
    assert seen["com.example.login"][:2] == [("entry", 500, 141), ("entry", 780, 141)]
    assert ("entry", 500, 161) in seen["com.example.notes"]


def test_frames_without_controls_give_none() -> None:
    for shape in [(0, 0, 3), (1, 1, 3), (5, 400, 3), (10, 10, 3), (1080, 1920, 3)]:
        assert find_controls(np.full(shape, 128, np.uint8)) == []
    white_page = np.full((400, 600, 3), 255, np.uint8)
    assert find_controls(white_page) == []
    noise = np.random.default_rng(7).integers(0, 256, (540, 960, 3), dtype=np.uint8)
    assert find_controls(noise) == []
    ramp = np.tile(np.linspace(0, 255, 960).astype(np.uint8)[None, :, None], (540, 1, 3))
    assert find_controls(ramp) == []  # a gradient steps by less than an edge


def test_grey_rgba_and_huge_frames_are_read_too() -> None:
    frame, truth = drawn_form()
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    assert {c.kind for c in find_controls(grey)} >= {"entry", "checkbox", "radio"}
    rgba = np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])
    assert find_controls(rgba) == find_controls(frame)
    huge = np.full((4320, 7680, 3), LIGHT["window"], np.uint8)  # 8K
    huge[3000:3300, 7000:7500] = frame
    moved = [{**t, "box": [t["box"][0] + 7000, t["box"][1] + 3000, *t["box"][2:]]} for t in truth]
    assert_found(find_controls(huge), moved, max_extra=0)
    assert find_controls(frame[:12, :12]) == []  # a corner of an entry is not one


@dataclass
class Shown:
    look: str
    pixels: np.ndarray
    truth: list[dict[str, Any]]


@pytest.fixture
def shown(request: pytest.FixtureRequest, xsession: XSession, tmp_path: Path) -> Iterator[Shown]:
    """The look's widget app on the test desktop: the screen's pixels and the true boxes."""
    program, env = LOOKS[request.param]
    out = tmp_path / "boxes.json"
    app = xsession.start([SYSTEM_PYTHON, str(APPS / program[0]), str(out), *program[1:]], **env)
    try:
        truth = _wait_for(out)
        # The pointer stays where an earlier test left it; a hovered button looks different.
        subprocess.run(["xdotool", "mousemove", "1900", "1060"], env=xsession.env, check=True)
        wait_for_a_still_screen()
        with Desktop(accessibility=False) as desktop:
            yield Shown(request.param, desktop.screenshot().pixels, truth)
    finally:
        xsession.stop(app)


@pytest.mark.parametrize("shown", list(LOOKS), indirect=True)
def test_every_widget_is_found_with_its_kind_and_state(shown: Shown) -> None:
    assert_found(find_controls(shown.pixels), shown.truth, MAX_EXTRA)


@pytest.mark.parametrize("shown", list(LOOKS), indirect=True)
def test_the_reader_names_entries_by_what_they_show(shown: Shown, reader: ScreenReader) -> None:
    elements = reader.elements(shown.pixels, ScreenGeometry.for_screen(1920, 1080))
    entries = [e for e in elements if e.role == "entry"]
    name, city = sorted(entries, key=lambda e: e.box.y1)[:2]
    # Tk's entry has no placeholder; the others show "Your name" dimmed.
    assert (name.value, name.placeholder) == ("", "" if shown.look == "tk" else "Your name")
    assert (city.value, city.placeholder) == ("Paris", "")
    assert [e.value for e in elements if e.role == "combo"] == ["Red"]
    checks = [e.checked for e in sorted(elements, key=lambda e: e.box.y1) if e.role == "checkbox"]
    assert checks[:2] == [False, True]
    assert all(e.source == "pixels" for e in elements if e.role != "text")


def _chromium_page(page: str, script: str) -> tuple[np.ndarray, Any]:
    """A 1920x1080 headless screenshot of an app page and what `script` says about it."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            tab = browser.new_page(viewport={"width": 1920, "height": 1080})
            tab.goto((APPS / page).as_uri())
            png = tab.screenshot()
            answer = tab.evaluate(script)
        finally:
            browser.close()
    bgr = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    return np.ascontiguousarray(bgr[:, :, ::-1]), answer


@pytest.mark.integration
def test_chromium_default_inputs_are_found() -> None:
    pixels, truth = _chromium_page("html_widgets.html", "boxes()")
    assert_found(find_controls(pixels), truth, max_extra=0)  # headless: no title bar


@pytest.mark.integration
def test_a_page_of_round_letters_has_no_controls_and_its_words_have_boxes(
    reader: ScreenReader,
) -> None:
    pixels, days = _chromium_page("html_text.html", "days()")
    assert [_describe(c) for c in find_controls(pixels)] == []
    elements = reader.elements(pixels, ScreenGeometry.for_screen(1920, 1080))
    assert [e for e in elements if e.source == "pixels"] == []
    row = [e for e in elements if e.name == "15 16 17 18 19 20 21"]
    assert len(row) == 1, [e.name for e in elements]
    for day in days:
        words = [e for e in elements if e.name == day["text"] and row[0].box.contains(e.box.center)]
        assert len(words) == 1, day
        assert _iou_screen(words[0], _rect(day["box"])) >= 0.5, (words[0].box, day)
    found = ground("15", elements, intent="click")
    assert isinstance(found, Found) and found.element.name == "15", found


def _iou_screen(element: Element, box: Rect) -> float:
    b = element.box
    drawn = Rect(
        left=round(b.x1), top=round(b.y1), width=round(b.width) or 1, height=round(b.height) or 1
    )
    return box_iou(drawn, box)


@pytest.fixture
def galculator(xsession: XSession, tmp_path: Path) -> Iterator[np.ndarray]:
    """galculator's keypad on the test desktop (its own config home), pointer parked away."""
    app = xsession.start(["galculator"], HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    try:
        xsession.wait_for_window("galculator")
        subprocess.run(["xdotool", "mousemove", "1900", "1060"], env=xsession.env, check=True)
        wait_for_a_still_screen()  # mapped is not yet drawn
        with Desktop(accessibility=False) as desktop:
            yield desktop.screenshot().pixels
    finally:
        xsession.stop(app)


@pytest.mark.integration
def test_every_key_of_a_calculator_is_a_button_named_by_its_sign(
    galculator: np.ndarray, reader: ScreenReader
) -> None:
    """The signs are lone glyphs the OCR detector passes over or reads unsure; '-' and '='
    are level bars, which once passed for a combo's arrow (and made the two-row '=' key no
    control at all)."""
    elements = reader.elements(galculator, ScreenGeometry.for_screen(1920, 1080))
    buttons = [e for e in elements if e.role == "button"]
    assert not [e for e in elements if e.role == "combo"], "a key is no combo"
    on_keys = {
        e.name
        for e in elements
        if any(b.box.contains(e.box.center) for b in buttons) and e.role == "text"
    }
    assert {"0", "1", "+/-"} <= on_keys, sorted(on_keys)
    # ("0" is also the display's.)
    for sign in ["7", "+", "-", "*", "/", "=", ".", "(", ")", "C", "AC", "sqrt"]:
        found = ground(sign, elements, intent="click")
        assert isinstance(found, Found), (sign, found)
        key = [b for b in buttons if b.box.contains(found.element.box.center)]
        assert len(key) == 1, (sign, found.element)
    equals = ground("=", elements, intent="click")
    assert isinstance(equals, Found)
    key = next(b for b in buttons if b.box.contains(equals.element.box.center))
    assert key.box.height > 1.2 * key.box.width  # the tall key spanning two rows

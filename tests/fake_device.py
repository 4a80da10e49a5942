"""A fake desktop for the fast tier: widgets drawn into a frame, input that changes them.

It keeps the `Device` protocol's promises the executor relies on: a click on a checkbox
flips it and redraws it, keys go to the focused entry (End, Shift+Home, Backspace edit it
as a one-line entry does), the accessibility elements it reports follow the widgets. Each
widget is a solid block in the frame whose shade follows its state and text, so change
detection sees what a person would. Everything it was asked to do is kept in `calls`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from screenpilot.errors import DeviceLostError
from screenpilot.perception.elements import Element, Role
from screenpilot.perception.geometry import ScreenBox, ScreenGeometry, ScreenPoint
from screenpilot.perception.screenshot import Screenshot

if TYPE_CHECKING:
    from screenpilot.agent.loop import Agent


@dataclass
class Widget:
    role: Role
    name: str
    box: tuple[int, int, int, int]
    value: str = ""
    checked: bool = False
    caret: int = 0
    selected: bool = False  # Shift+Home selected the text before the caret
    presses: int = 0  # a button redraws itself when pressed


@dataclass
class FakeDesktop:
    widgets: list[Widget]
    width: int = 640
    height: int = 480
    focus: Widget | None = None
    calls: list[tuple[str, object]] = field(default_factory=list)
    #: Keys the focused entry ignores (a spin box that will not clear, say).
    deaf_to: frozenset[str] = frozenset()
    #: After this many screenshots the device is gone (a closed X display, an unplugged
    #: phone): every later call raises DeviceLostError.
    lost_after: int | None = None
    shots: int = 0
    closed: bool = False
    #: Where the pointer is (None: the device cannot tell).
    pointer: ScreenPoint | None = None
    #: Typed text shows in its entry only after this many more screenshots (a busy app).
    type_lag: int = 0
    #: The next typing loses its last this many characters (keys dropped), once.
    drops: int = 0
    #: Chords that press a widget (by name), e.g. ctrl+s opening "Save as"; the press
    #: shows after `key_lag` more screenshots.
    chords: dict[str, str] = field(default_factory=dict)
    key_lag: int = 0
    #: A clicked entry takes the focus only after this many more screenshots (a browser
    #: busy with the click); keys before that go to the old focus.
    focus_lag: int = 0
    #: The tree it reports stops following the widgets, as a cached accessibility tree does
    #: when an event is lost, until `forget_elements()`: `elements()` answers what it
    #: answered when this was set.
    lost_events: bool = False
    _snapshot: list[Element] | None = None
    #: Effects waiting for their screenshot: (when `shots` reaches it, what happens).
    _due: list[tuple[int, Callable[[], None]]] = field(default_factory=list)

    def _later(self, lag: int, effect: Callable[[], None]) -> None:
        if lag <= 0:
            effect()
        else:
            self._due.append((self.shots + lag, effect))

    def close(self) -> None:
        self.closed = True

    def active_window_box(self) -> ScreenBox | None:
        return None

    def pointer_position(self) -> ScreenPoint | None:
        return self.pointer

    def __enter__(self) -> FakeDesktop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _alive(self) -> None:
        if self.lost_after is not None and self.shots >= self.lost_after:
            raise DeviceLostError("lost the fake display: it was closed")

    @property
    def geometry(self) -> ScreenGeometry:
        return ScreenGeometry.for_screen(self.width, self.height)

    def screenshot(self) -> Screenshot:
        self._alive()
        self.shots += 1
        for entry in [d for d in self._due if d[0] <= self.shots]:
            self._due.remove(entry)
            entry[1]()
        frame = np.full((self.height, self.width, 3), 255, np.uint8)
        for w in self.widgets:
            x1, y1, x2, y2 = w.box
            shade = (
                len(w.value) * 37 + 120 * w.checked + 60 * (w is self.focus) + 90 * w.presses
            ) % 200
            frame[y1 : y2 + 1, x1 : x2 + 1] = shade
        return Screenshot(frame, self.geometry, time.monotonic())

    def elements(self) -> list[Element]:
        if not self.lost_events:
            return self._tree()
        if self._snapshot is None:
            self._snapshot = self._tree()
        return self._snapshot

    def forget_elements(self) -> None:
        self.calls.append(("forget_elements", None))
        self.lost_events, self._snapshot = False, None

    def _tree(self) -> list[Element]:
        found = []
        for i, w in enumerate(self.widgets):
            states = {"enabled"}
            if w.role in ("checkbox", "radio"):
                states |= {"checkable"} | ({"checked"} if w.checked else set())
            if w.role == "entry":
                states.add("editable")
            if w is self.focus:
                states.add("focused")
            x1, y1, x2, y2 = w.box
            found.append(
                Element(
                    id=f"a11y-{i}",
                    role=w.role,
                    name=w.name,
                    value=w.value,
                    states=frozenset(states),
                    box=ScreenBox(x1=x1, y1=y1, x2=x2, y2=y2),
                    source="a11y",
                )
            )
        return found

    def _at(self, point: ScreenPoint) -> Widget | None:
        for w in self.widgets:
            x1, y1, x2, y2 = w.box
            if x1 <= point.x <= x2 and y1 <= point.y <= y2:
                return w
        return None

    def click(self, point: ScreenPoint | None, button: str = "left", count: int = 1) -> None:
        self._alive()
        self.calls.append(("click", point))
        w = self._at(point) if point is not None else None
        if w is None:
            return
        if w.role in ("checkbox", "radio"):
            w.checked = not w.checked
        if w.role == "button":
            w.presses += 1
        if w.role == "entry":

            def focus(w: Widget = w) -> None:
                self.focus, w.caret, w.selected = w, len(w.value) // 2, False  # lands mid-text

            self._later(self.focus_lag, focus)

    def key(self, keys: list[str]) -> None:
        self.calls.append(("key", "+".join(keys)))
        w = self.focus
        chord = "+".join(keys)
        pressed = [b for b in self.widgets if b.name == self.chords.get(chord)]
        for button in pressed:
            self._later(self.key_lag, lambda b=button: setattr(b, "presses", b.presses + 1))
        if w is None or chord in self.deaf_to:
            return
        if chord == "end":
            w.caret, w.selected = len(w.value), False
        elif chord == "shift+home":
            w.selected = True
        elif chord == "backspace":
            if w.selected:
                w.value, w.caret, w.selected = w.value[w.caret :], 0, False
            elif w.caret:
                w.value, w.caret = w.value[: w.caret - 1] + w.value[w.caret :], w.caret - 1

    def type_text(self, text: str) -> None:
        self.calls.append(("type", text))
        w = self.focus
        if self.drops:
            text, self.drops = text[: -self.drops], 0
        if w is not None:
            at = w.caret
            w.caret += len(text)

            def show(w: Widget = w, at: int = at, text: str = text) -> None:
                w.value = w.value[:at] + text + w.value[at:]

            self._later(self.type_lag, show)

    def move(self, point: ScreenPoint) -> None:
        self.calls.append(("move", point))

    def long_press(self, point: ScreenPoint, seconds: float) -> None:
        self.calls.append(("long_press", point))

    def drag(
        self, start: ScreenPoint | None, end: ScreenPoint, seconds: float | None = None
    ) -> None:
        self.calls.append(("drag", (start, end)))

    def scroll(self, direction: str, amount: int, at: ScreenPoint | None = None) -> None:
        self.calls.append(("scroll", direction))

    def system_button(self, button: str) -> None:
        self.calls.append(("system_button", button))

    def open_app(self, app: str) -> None:
        self.calls.append(("open_app", app))


class FakeClock:
    """Time that passes only when the agent sleeps: no fast test waits for real."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def fast_agent(device: FakeDesktop, policy: Any, output: Path | None, **options: Any) -> Agent:
    """An agent on the fake desktop that settles at once, on a clock of its own."""
    from screenpilot.actions.executor import Pacing
    from screenpilot.agent.loop import Agent

    clock = FakeClock()
    return Agent(
        device,
        policy,
        pacing=Pacing(settle_timeout=0.2, settle_interval=0.01, react=0.0),
        output=output,
        clock=clock,
        sleep=clock.sleep,
        **options,
    )

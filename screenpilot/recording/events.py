"""What a recorder saw: input events and snapshots of the screen, whatever the source.

Times are `time.monotonic()` seconds taken when the recorder received the event or began
the snapshot, so an event can be matched with the screen as it was just before it. Points
are in the screen frame (device input coordinates), as every target is.

A desktop source gives presses, releases and motion of mouse buttons, wheel clicks and key
presses with the text they type; a phone source gives touches as left-button presses, the
system keys as key presses (`back`, `home`, `enter`) and typed text as `TextChanged` (read
from the field's new content, since a soft keyboard's taps say nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from screenpilot.actions.vocabulary import Direction, MouseButton
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox, ScreenPoint
from screenpilot.perception.screenshot import Observation


@dataclass(frozen=True)
class Press:
    """A mouse button (or a finger) went down at `point`."""

    time: float
    point: ScreenPoint
    button: MouseButton = "left"


@dataclass(frozen=True)
class Release:
    """The button (or finger) came up at `point`."""

    time: float
    point: ScreenPoint
    button: MouseButton = "left"


@dataclass(frozen=True)
class Motion:
    """The pointer (or a finger that is down) moved to `point`."""

    time: float
    point: ScreenPoint


@dataclass(frozen=True)
class Wheel:
    """One click of the wheel towards `direction` ("up" shows what is above) at `point`."""

    time: float
    point: ScreenPoint
    direction: Direction


@dataclass(frozen=True)
class KeyPress:
    """A key went down. `key` is the vocabulary's name for it ("a", "enter", "ctrl", "f5",
    "back"); `text` is what it types with the modifiers held ("A" with shift), "" for a key
    that types nothing. `modifiers` are those held at the time, in vocabulary names."""

    time: float
    key: str
    text: str = ""
    modifiers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TextChanged:
    """The text of the input `field` became `text` (read from the screen, not the keys)."""

    time: float
    field: Element
    text: str


InputEvent = Press | Release | Motion | Wheel | KeyPress | TextChanged


@dataclass(frozen=True)
class Snapshot:
    """The screen at `time`: its observation (screenshot plus the device's own elements;
    OCR is added later, only to snapshots that name something), the title of the active
    window (a phone: its foreground package), that window's box and its identity (an X
    window id) when known: a window whose title changes is still the same window."""

    time: float
    observation: Observation
    window: str = ""
    window_box: ScreenBox | None = None
    window_id: str = ""

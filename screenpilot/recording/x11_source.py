"""The desktop's input as the X server sees it, through its RECORD extension.

RECORD hands a client a copy of every core input event the server processes (keys, buttons,
motion), from a person's keyboard and from XTEST (xdotool) alike. One thread blocks in
`record_enable_context` and turns each event into the recorder's events; another takes
snapshots of the screen (screenshot, accessibility elements, the active window) a few times
a second, reusing the elements while the pixels have not changed.

A key's text is looked up in the server's keyboard map at the moment it arrives (xdotool
types characters outside the layout by binding a spare key for an instant). The stop chord
is grabbed on the root window, so the focused program never receives it, and it is left out
of the recording.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from screenpilot.actions.keys import MODIFIERS, normalise_chord, normalise_key
from screenpilot.actions.vocabulary import Direction, MouseButton
from screenpilot.devices.desktop import Desktop
from screenpilot.devices.x11_typing import keysym_name
from screenpilot.errors import ScreenpilotError
from screenpilot.perception.geometry import ScreenPoint
from screenpilot.perception.screenshot import Observation
from screenpilot.recording import DEFAULT_STOP_KEY
from screenpilot.recording.events import KeyPress, Motion, Press, Release, Snapshot, Wheel
from screenpilot.recording.steps import Sink

#: Seconds between snapshots (each also costs a screenshot and, when pixels changed, an
#: accessibility read).
SNAPSHOT_INTERVAL = 0.15
#: How long the X server may take to start sending input events.
START_TIMEOUT = 10.0

# X's event codes and masks (X.h), kept here so the parsing reads plainly.
_KEY_PRESS, _BUTTON_PRESS, _BUTTON_RELEASE, _MOTION = 2, 4, 5, 6
_SHIFT, _LOCK, _CONTROL, _MOD1, _MOD2, _MOD4 = 1, 2, 4, 8, 16, 64
_MODIFIER_MASKS = {"shift": _SHIFT, "ctrl": _CONTROL, "alt": _MOD1, "super": _MOD4}
_ANY_KEY, _ANY_MODIFIER = 0, 1 << 15
_BUTTONS: dict[int, MouseButton] = {1: "left", 2: "middle", 3: "right"}
_WHEEL: dict[int, Direction] = {4: "up", 5: "down", 6: "left", 7: "right"}
#: X keysym names whose vocabulary name differs from what `normalise_key` makes of them.
_KEYSYM_NAMES = {
    "Return": "enter", "KP_Enter": "enter", "ISO_Left_Tab": "tab", "Prior": "pageup",
    "Next": "pagedown", "Control_L": "ctrl", "Control_R": "ctrl", "Alt_L": "alt",
    "Alt_R": "alt", "Shift_L": "shift", "Shift_R": "shift", "Super_L": "super",
    "Super_R": "super", "Meta_L": "alt", "Meta_R": "alt", "ISO_Level3_Shift": "alt",
    "Caps_Lock": "capslock", "Num_Lock": "numlock", "Print": "printscreen",
    "KP_Up": "up", "KP_Down": "down", "KP_Left": "left", "KP_Right": "right",
    "KP_Home": "home", "KP_End": "end", "KP_Prior": "pageup", "KP_Next": "pagedown",
    "KP_Delete": "delete", "KP_Insert": "insert",
}  # fmt: skip


class RecordingError(ScreenpilotError):
    """The desktop cannot be recorded (no RECORD extension, a stop key that cannot be
    grabbed)."""


class DesktopSource:
    """Input and snapshots of an X desktop. `on_stop` is called (from the event thread)
    when the person presses the stop chord."""

    touch = False

    def __init__(
        self,
        desktop: Desktop,
        *,
        stop_key: str = DEFAULT_STOP_KEY,
        on_stop: Callable[[], None] | None = None,
        interval: float = SNAPSHOT_INTERVAL,
    ) -> None:
        self.desktop = desktop
        self.stop_chord = normalise_chord(stop_key.split("+"))
        self.on_stop = on_stop
        self.interval = interval
        self._sink: Sink | None = None
        self._halt = threading.Event()
        self._enabled = threading.Event()
        self.failure: str | None = None
        self._threads: list[threading.Thread] = []
        self._control: Any = None
        self._record: Any = None
        self._keys: Any = None
        self._context: Any = None
        self._stop_code: int | None = None
        self._stop_mask = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self, sink: Sink) -> None:
        from Xlib import X
        from Xlib import display as xdisplay
        from Xlib.ext import record

        self._sink = sink
        name = self.desktop.display
        self._control = xdisplay.Display(name)
        if not self._control.has_extension("RECORD"):
            self._control.close()
            raise RecordingError(
                f"the X server at DISPLAY={name} has no RECORD extension, which recording "
                "needs (Xorg and Xvfb have it unless started with -extension RECORD)"
            )
        self._record = xdisplay.Display(name)
        self._keys = xdisplay.Display(name)
        self._grab_stop_key()
        self._context = self._control.record_create_context(
            0,
            [record.AllClients],
            [
                {
                    "core_requests": (0, 0),
                    "core_replies": (0, 0),
                    "ext_requests": (0, 0, 0, 0),
                    "ext_replies": (0, 0, 0, 0),
                    "delivered_events": (0, 0),
                    "device_events": (X.KeyPress, X.MotionNotify),
                    "errors": (0, 0),
                    "client_started": False,
                    "client_died": False,
                }
            ],
        )
        self._control.sync()
        first = self._take_snapshot(None)  # the screen as it was when recording began
        sink.snapshot(first)
        self._last_snapshot = first
        for target, label in ((self._listen, "x-record"), (self._watch, "snapshots")):
            thread = threading.Thread(target=target, name=f"screenpilot-{label}", daemon=True)
            thread.start()
            self._threads.append(thread)
        # Input before the server starts sending data would be lost: start() returns once
        # the RECORD stream has begun.
        if not self._enabled.wait(START_TIMEOUT):
            self.stop()
            raise RecordingError("the X server did not start sending input events")

    def stop(self) -> None:
        if self._halt.is_set():
            return
        self._halt.set()
        if self._context is not None:
            try:
                self._control.record_disable_context(self._context)
                self._control.sync()
            except Exception:  # the server went away: the threads end on their own
                pass
        for thread in self._threads:
            thread.join(timeout=5)
        if self._control is not None:
            try:
                if self._context is not None:
                    self._control.record_free_context(self._context)
                root = self._control.screen().root
                root.ungrab_key(_ANY_KEY, _ANY_MODIFIER)
                self._control.sync()
            except Exception:  # the server went away: nothing is left to free
                pass
        for display in (self._control, self._record, self._keys):
            if display is not None:
                with contextlib.suppress(Exception):
                    display.close()
        self._context = None

    # ------------------------------------------------------------------ the stop chord
    def _grab_stop_key(self) -> None:
        from Xlib import XK, X

        *mods, key = self.stop_chord
        keysym = XK.string_to_keysym(keysym_name(key))
        code = self._control.keysym_to_keycode(keysym) if keysym else 0
        if not code:
            raise RecordingError(f"the stop key {'+'.join(self.stop_chord)!r} has no key here")
        self._stop_code = code
        self._stop_mask = sum(_MODIFIER_MASKS[m] for m in mods)
        root = self._control.screen().root
        for extra in (0, _LOCK, _MOD2, _LOCK | _MOD2):  # Caps Lock / Num Lock on or off
            root.grab_key(code, self._stop_mask | extra, True, X.GrabModeAsync, X.GrabModeAsync)
        self._control.sync()

    # ------------------------------------------------------------------ events
    def _listen(self) -> None:
        try:
            self._record.record_enable_context(self._context, self._on_reply)
        except Exception as error:  # the server went away, or the context was freed under it
            if not self._halt.is_set():
                self.failure = f"the X server stopped sending input ({error})"
        finally:
            self._halt.set()

    def _on_reply(self, reply: Any) -> None:
        from Xlib.ext import record
        from Xlib.protocol import rq

        if reply.category == record.StartOfData:
            self._enabled.set()
            return
        if reply.category != record.FromServer or reply.client_swapped or not reply.data:
            return
        data, field = reply.data, rq.EventField(None)
        while data:
            event, data = field.parse_binary_value(data, self._record.display, None, None)
            self._on_event(event)

    def _on_event(self, event: Any) -> None:
        sink = self._sink
        if sink is None or self._halt.is_set():
            return
        now = time.monotonic()
        kind = event.type & 0x7F
        point = ScreenPoint(x=float(event.root_x), y=float(event.root_y))
        if kind == _KEY_PRESS:
            if event.detail == self._stop_code and _held(event.state) == self._stop_mask:
                if self.on_stop is not None:
                    self.on_stop()
                return
            pressed = self._key(event.detail, event.state, now)
            if pressed is not None:
                sink.event(pressed)
        elif kind == _BUTTON_PRESS and event.detail in _WHEEL:
            sink.event(Wheel(now, point, _WHEEL[event.detail]))
        elif kind == _BUTTON_PRESS and event.detail in _BUTTONS:
            sink.event(Press(now, point, _BUTTONS[event.detail]))
        elif kind == _BUTTON_RELEASE and event.detail in _BUTTONS:
            sink.event(Release(now, point, _BUTTONS[event.detail]))
        elif kind == _MOTION:
            sink.event(Motion(now, point))

    def _key(self, keycode: int, state: int, now: float) -> KeyPress | None:
        """The key press as the vocabulary names it, with the text it types."""
        syms = self._keys.get_keyboard_mapping(keycode, 1)
        row = list(syms[0]) if syms else []
        shifted = bool(state & _SHIFT)
        keysym = row[1] if shifted and len(row) > 1 and row[1] else (row[0] if row else 0)
        if not keysym:
            return None
        modifiers = frozenset(m for m, mask in _MODIFIER_MASKS.items() if state & mask)
        text = _keysym_text(keysym)
        if text and state & _LOCK and text.isalpha():
            text = text.lower() if shifted else text.upper()
        name = _keysym_name(keysym)
        key = _KEYSYM_NAMES.get(name, "")
        if not key:
            try:
                key = normalise_key(text if text and text != " " else name)
            except ValueError:
                return None
        if key in MODIFIERS:
            return KeyPress(now, key, "", modifiers)
        if modifiers - {"shift"}:
            # A shortcut names its key, not what it would type ("ctrl+a", not "ctrl+A").
            plain = _keysym_text(row[0]) if row else ""
            return KeyPress(now, normalise_key(plain) if plain else key, "", modifiers)
        return KeyPress(now, key, text if key not in ("enter", "tab") else "", modifiers)

    # ------------------------------------------------------------------ snapshots
    _last_snapshot: Snapshot | None = None

    def _watch(self) -> None:
        while not self._halt.wait(self.interval):
            try:
                snapshot = self._take_snapshot(self._last_snapshot)
            except ScreenpilotError as error:  # the X server is going away with the recording
                if not self._halt.is_set():
                    self.failure = str(error)
                self._halt.set()
                return
            if snapshot is not None and self._sink is not None:
                self._last_snapshot = snapshot
                self._sink.snapshot(snapshot)

    def _take_snapshot(self, previous: Snapshot | None) -> Snapshot:
        began = time.monotonic()
        shot = self.desktop.screenshot()
        if previous is not None and np.array_equal(previous.observation.screenshot.raw, shot.raw):
            elements = previous.observation.elements
            # The same pixels, held once: a recorder behind on naming keeps many snapshots.
            shot = dataclasses.replace(previous.observation.screenshot, taken_at=shot.taken_at)
        else:
            elements = self.desktop.elements()
        window = self.desktop.active_window()
        return Snapshot(
            began,
            Observation(shot, elements),
            window=window.title if window is not None else "",
            window_box=window.box if window is not None else None,
            window_id=str(window.xid) if window is not None else "",
        )


def _held(state: int) -> int:
    return state & (_SHIFT | _CONTROL | _MOD1 | _MOD4)


@functools.cache
def _keysym_names() -> dict[int, str]:
    from Xlib import XK

    names: dict[int, str] = {}
    for attribute in dir(XK):
        if attribute.startswith("XK_"):
            names.setdefault(getattr(XK, attribute), attribute[3:])
    return names


def _keysym_name(keysym: int) -> str:
    """The X name of a keysym ("Return", "F5", "a"), "" when unknown."""
    return _keysym_names().get(keysym, "")


def _keysym_text(keysym: int) -> str:
    """The character a keysym types: Latin-1 keysyms are their code point, Unicode ones
    0x01000000 plus theirs; anything else types nothing."""
    if 0x20 <= keysym <= 0x7E or 0xA0 <= keysym <= 0xFF:
        return chr(keysym)
    if keysym & 0xFF000000 == 0x01000000:
        return chr(keysym & 0x00FFFFFF)
    return ""

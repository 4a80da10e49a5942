"""A phone as a recording source: its touches and keys from `getevent`, its screen from
screenshots and uiautomator dumps, typed text from the fields' own content.

One thread streams `getevent -lt` (`adb_stream`) and decodes it (`getevent`) into Press /
Motion / Release / KeyPress events in screen pixels. Another takes snapshots - at the start,
once each gesture has settled (no finger down for `settle` seconds), whenever the UI tree
changes while the phone is idle, and every `refresh` seconds regardless (pixels can change
with no tree change) - and compares the input fields of successive dumps: a field whose text
changed yields `TextChanged(field=<the field as it was>, text=<its new text>)`, since a soft
keyboard's taps say nothing of what they type. A password field only ever shows its mask;
its change is delivered all the same, as the mask, and nothing here ever needs the text.

Typed text must come before the touch that ends the typing, so every finger down and key
press first dumps the tree and delivers the fields that changed, stamped just before the
press - only then the press itself. A snapshot taken then (when anything changed) is stamped
when it was taken, after the press: on a real phone a dump takes longer than a tap, so it may
well show the screen the tap opened, which must never name the tap's target.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass

from screenpilot.devices.android import AndroidDevice
from screenpilot.devices.uiautomator import UiDumpError, parse_dump, strip_dump
from screenpilot.errors import ScreenpilotError
from screenpilot.perception.elements import INPUT_ROLES, Element
from screenpilot.perception.geometry import ScreenBox
from screenpilot.perception.screenshot import Observation
from screenpilot.recording.adb_stream import AdbStream
from screenpilot.recording.events import (
    InputEvent,
    KeyPress,
    Press,
    Release,
    Snapshot,
    TextChanged,
)
from screenpilot.recording.getevent import (
    PhoneClock,
    ScreenMapping,
    TouchDecoder,
    find_touchscreen,
    orientation,
    parse_devices,
    parse_event,
    screen_size,
)
from screenpilot.recording.steps import Sink

log = logging.getLogger(__name__)
_PACKAGE = re.compile(r'<node [^>]*?package="([^"]*)"')
#: How far before a press the text typed before it is stamped (seconds).
BEFORE_PRESS = 0.001


@dataclass(frozen=True)
class _Tree:
    """One uiautomator dump: its elements and the package whose window it shows."""

    elements: list[Element]
    package: str
    ok: bool  # False: the dump failed (the UI was never idle); elements are then empty


class PhoneSource:
    """Records an `AndroidDevice`: `start(sink)` once, `stop()` once (idempotent).

    `poll` is how often the idle phone's tree is checked, `settle` how long after a gesture
    the screen is left to settle before its snapshot, `refresh` the longest time between
    snapshots. `failure` says why recording stopped early (the phone went away), else None.
    """

    touch = True

    def __init__(
        self,
        device: AndroidDevice,
        *,
        poll: float = 0.25,
        settle: float = 0.4,
        refresh: float = 2.0,
        dump_retries: int = 3,
    ) -> None:
        self.device = device
        self.poll, self.settle, self.refresh = poll, settle, refresh
        self.dump_retries = dump_retries
        self.failure: str | None = None
        self._sink: Sink | None = None
        self._stream: AdbStream | None = None
        self._decoder: TouchDecoder | None = None
        self._clock = PhoneClock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._device_lock = threading.Lock()  # one adb conversation about the screen at a time
        self._state = threading.Lock()
        self._finger_down = False
        self._last_input = 0.0  # when the last gesture or key ended
        self._inputs = 0  # gestures and keys so far
        self._snapshotted_inputs = 0  # ... as of the latest snapshot
        self._latest: Snapshot | None = None
        self._fields: list[Element] = []  # the input fields of the last good dump
        self._last_event = 0.0  # the time of the last touch or key delivered

    # ------------------------------------------------------------------ Source
    def start(self, sink: Sink) -> None:
        """Read the touch screen's geometry, start streaming, deliver the first snapshot."""
        if self._sink is not None:
            raise ScreenpilotError("a PhoneSource is started once")
        self._sink = sink
        device = self.device
        touchscreen = find_touchscreen(parse_devices(device.shell("getevent -p")))
        mapping = ScreenMapping.of(
            touchscreen,
            screen_size(device.shell("wm size")),
            orientation(device.shell("dumpsys display")),
        )
        self._decoder = TouchDecoder(touchscreen, mapping)
        adb = device.adb
        self._stream = AdbStream(
            adb.host, adb.port, device.serial, "getevent -lt", timeout=adb.timeout
        )
        try:
            with self._device_lock:
                self._refresh(force=True)
        except BaseException:
            self._stream.close()
            raise
        for name, target in (("getevent", self._read), ("snapshots", self._watch)):
            thread = threading.Thread(target=target, name=f"phone-{name}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        """End both threads and the getevent stream; returns when they are done."""
        self._stopping.set()
        if self._stream is not None:
            self._stream.close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=self.device.adb.timeout + 5)
                if thread.is_alive():
                    log.warning("%s did not stop in time", thread.name)

    @property
    def running(self) -> bool:
        """Whether any of its threads still runs."""
        return any(t.is_alive() for t in self._threads)

    # ------------------------------------------------------------------ touches and keys
    def _read(self) -> None:
        assert self._stream is not None and self._decoder is not None
        try:
            for line in self._stream.lines():
                received = time.monotonic()
                raw = parse_event(line)
                if raw is None:
                    continue
                for event in self._decoder.feed(raw, self._clock.time(raw.time, received)):
                    self._deliver(event)
        except ScreenpilotError as error:
            self._fail(f"reading the phone's touches failed: {error}")
            return
        if not self._stopping.is_set():
            self._fail("the phone's getevent stream ended (phone unplugged or adb restarted?)")

    def _deliver(self, event: InputEvent) -> None:
        assert self._sink is not None
        if isinstance(event, Press | KeyPress):
            with self._state:
                self._finger_down = self._finger_down or isinstance(event, Press)
            # Just before the press, and after whatever came before it.
            before = event.time - min(BEFORE_PRESS, (event.time - self._last_event) / 2)
            with self._device_lock:
                if not self._stopping.is_set():
                    self._refresh(force=False, typed_before=before)
        if isinstance(event, Release | KeyPress):
            with self._state:
                self._finger_down = False
                self._last_input = time.monotonic()
                self._inputs += 1
        self._last_event = event.time
        self._sink.event(event)

    # ------------------------------------------------------------------ the screen
    def _watch(self) -> None:
        while not self._stopping.wait(self.poll):
            with self._state:
                busy = self._finger_down or time.monotonic() - self._last_input < self.settle
                unseen = self._inputs != self._snapshotted_inputs
            if busy:
                continue
            latest = self._latest
            stale = latest is None or time.monotonic() - latest.time >= self.refresh
            try:
                with self._device_lock:
                    if not self._stopping.is_set():
                        self._refresh(force=unseen or stale)
            except ScreenpilotError as error:
                self._fail(f"reading the phone's screen failed: {error}")
                return

    def _refresh(self, *, force: bool, typed_before: float | None = None) -> None:
        """Dump the tree; deliver text changes, and a snapshot when anything changed or
        `force`, stamped when the dump began; text changes are stamped `typed_before` when
        a press waits on them."""
        assert self._sink is not None
        with self._state:
            inputs = self._inputs
        began = time.monotonic()
        tree = self._tree()
        changes = text_changes(self._fields, tree.elements) if tree.ok else []
        latest = self._latest
        # A failed dump says nothing new (an animation, a secure screen): only `force` shows it.
        same = not tree.ok or (
            latest is not None and _same(latest.observation.elements, tree.elements)
        )
        if not (force or changes or not same):
            return
        screenshot = self.device.screenshot()
        for before, text in changes:
            stamp = began if typed_before is None else typed_before
            self._sink.event(TextChanged(time=stamp, field=before, text=text))
        if tree.ok:
            self._fields = [e for e in tree.elements if e.role in INPUT_ROLES]
        snapshot = Snapshot(
            time=began, observation=Observation(screenshot, tree.elements), window=tree.package
        )
        self._latest = snapshot
        with self._state:
            self._snapshotted_inputs = max(self._snapshotted_inputs, inputs)
        self._sink.snapshot(snapshot)

    def _tree(self) -> _Tree:
        """The UI tree now, with the package it shows; a few tries while the UI is busy."""
        last = ""
        for attempt in range(self.dump_retries):
            output = self.device.shell("uiautomator dump /dev/tty")
            try:
                xml = strip_dump(output)
                elements = parse_dump(xml, self.device.geometry.screen_box)
            except UiDumpError as error:
                last = str(error)
                if attempt + 1 < self.dump_retries:
                    time.sleep(0.2)
                continue
            package = _PACKAGE.search(xml)
            return _Tree(elements, package[1] if package else "", ok=True)
        log.info("no UI tree for this snapshot: %s", last)
        return _Tree([], "", ok=False)

    def _fail(self, why: str) -> None:
        if not self._stopping.is_set():
            self.failure = why
            log.warning("%s", why)
            self._stopping.set()
            if self._stream is not None:
                self._stream.close()


def text_changes(before: list[Element], after: list[Element]) -> list[tuple[Element, str]]:
    """The input fields whose text differs between two dumps, as (the field as it was
    before, its text now), for fields focused in either dump (where typing goes).

    A field is matched by role and name (uiautomator names an entry by its resource id),
    the nearest when several share them, else by its box overlapping; the box alone would
    lose a field that the keyboard pushed up."""
    changed: list[tuple[Element, str]] = []
    old_fields = [e for e in before if e.role in INPUT_ROLES]
    for new in after:
        if new.role not in INPUT_ROLES:
            continue
        candidates = [o for o in old_fields if o.role == new.role and o.name == new.name]
        if not new.name or not candidates:
            candidates = [o for o in old_fields if _overlap(o.box, new.box) > 0.5]
        if not candidates:
            continue
        old = min(candidates, key=lambda o: _distance(o.box, new.box))
        focused = "focused" in old.states or "focused" in new.states
        if old.value != new.value and focused:
            changed.append((old, new.value))
    return changed


def _same(a: list[Element], b: list[Element]) -> bool:
    def key(elements: list[Element]) -> list[tuple[object, ...]]:
        return [(e.role, e.name, e.value, e.states, e.box) for e in elements]

    return key(a) == key(b)


def _overlap(a: ScreenBox, b: ScreenBox) -> float:
    """Intersection over union of two boxes."""
    w = min(a.x2, b.x2) - max(a.x1, b.x1)
    h = min(a.y2, b.y2) - max(a.y1, b.y1)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (a.width * a.height + b.width * b.height - inter)


def _distance(a: ScreenBox, b: ScreenBox) -> float:
    ca, cb = a.center, b.center
    return abs(ca.x - cb.x) + abs(ca.y - cb.y)

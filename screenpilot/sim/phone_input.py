"""The simulated phone's input hardware as the kernel shows it, and a person using it.

The evdev devices under /dev/input are those of a typical phone: side buttons (`gpio-keys`),
navigation keys, and a multitouch panel speaking protocol type B (slots, tracking ids) whose
axes are in panel units, not pixels (0..4095 across, 0..8191 down). `getevent -p` describes
them and `getevent` streams what they report, formatted as AOSP's toolbox getevent formats it
(labels with `-l`, `[seconds.micros]` with `-t`), to every stream open at the time.

Only a `Person` (a test standing in for one) makes events here: a finger going down, moving
and lifting, a key pressed, text typed on the soft keyboard. What `adb shell input ...`
injects never reaches this layer, as on a real phone, where it enters above the kernel.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

EV_SYN, EV_KEY, EV_ABS = 0x00, 0x01, 0x03
SYN_REPORT = 0x00
KEY_CODES = {
    "KEY_ENTER": 0x1C, "KEY_VOLUMEDOWN": 0x72, "KEY_VOLUMEUP": 0x73, "KEY_POWER": 0x74,
    "KEY_MENU": 0x8B, "KEY_BACK": 0x9E, "KEY_HOMEPAGE": 0xAC, "KEY_APPSELECT": 0x244,
    "BTN_TOOL_FINGER": 0x145, "BTN_TOUCH": 0x14A,
}  # fmt: skip
ABS_CODES = {
    "ABS_MT_SLOT": 0x2F, "ABS_MT_TOUCH_MAJOR": 0x30, "ABS_MT_POSITION_X": 0x35,
    "ABS_MT_POSITION_Y": 0x36, "ABS_MT_TRACKING_ID": 0x39, "ABS_MT_PRESSURE": 0x3A,
}  # fmt: skip
_LABELS = {
    EV_KEY: {code: name for name, code in KEY_CODES.items()},
    EV_ABS: {code: name for name, code in ABS_CODES.items()},
    EV_SYN: {SYN_REPORT: "SYN_REPORT"},
}
_TYPE_LABELS = {EV_SYN: "EV_SYN", EV_KEY: "EV_KEY", EV_ABS: "EV_ABS"}
_KEY_VALUES = {0: "UP", 1: "DOWN", 2: "REPEAT"}

#: How far a finger may wander (physical pixels) and still tap; Android's touch slop.
TOUCH_SLOP = 24
#: How long a still finger must stay down to be a long press, not a tap (seconds).
LONG_PRESS = 0.5


@dataclass(frozen=True)
class Axis:
    """One absolute axis of a device, as `EVIOCGABS` reports it."""

    code: int
    minimum: int
    maximum: int
    resolution: int = 0


@dataclass(frozen=True)
class EvdevDevice:
    """One /dev/input/eventN node: its name, the key codes and axes it reports, its props."""

    path: str
    name: str
    keys: tuple[int, ...] = ()
    axes: tuple[Axis, ...] = ()
    props: tuple[str, ...] = ()
    bus: tuple[int, int, int, int] = (0x0019, 0x0001, 0x0001, 0x0100)  # bus, vendor, product, ver

    def axis(self, code: int) -> Axis:
        return next(a for a in self.axes if a.code == code)


SIDE_KEYS = EvdevDevice(
    "/dev/input/event0",
    "gpio-keys",
    keys=(KEY_CODES["KEY_VOLUMEDOWN"], KEY_CODES["KEY_VOLUMEUP"], KEY_CODES["KEY_POWER"]),
)
NAV_KEYS = EvdevDevice(
    "/dev/input/event1",
    "qwerty2",
    keys=tuple(
        KEY_CODES[k] for k in ("KEY_ENTER", "KEY_MENU", "KEY_BACK", "KEY_HOMEPAGE", "KEY_APPSELECT")
    ),
)
TOUCHSCREEN = EvdevDevice(
    "/dev/input/event2",
    "fts_ts",
    keys=(KEY_CODES["BTN_TOOL_FINGER"], KEY_CODES["BTN_TOUCH"]),
    axes=(
        Axis(ABS_CODES["ABS_MT_SLOT"], 0, 9),
        Axis(ABS_CODES["ABS_MT_TOUCH_MAJOR"], 0, 255),
        Axis(ABS_CODES["ABS_MT_POSITION_X"], 0, 4095),
        Axis(ABS_CODES["ABS_MT_POSITION_Y"], 0, 8191),
        Axis(ABS_CODES["ABS_MT_TRACKING_ID"], 0, 65535),
        Axis(ABS_CODES["ABS_MT_PRESSURE"], 0, 255),
    ),
    props=("INPUT_PROP_DIRECT",),
    bus=(0x0018, 0x0000, 0x0000, 0x0000),
)
#: A person's key name -> (device, key code) of the key that sends it.
PERSON_KEYS = {
    "BACK": (NAV_KEYS, KEY_CODES["KEY_BACK"]),
    "HOME": (NAV_KEYS, KEY_CODES["KEY_HOMEPAGE"]),
    "APP_SWITCH": (NAV_KEYS, KEY_CODES["KEY_APPSELECT"]),
    "ENTER": (NAV_KEYS, KEY_CODES["KEY_ENTER"]),
}

# Which lines toolbox getevent prints for a device it opens (its PRINT_* flags).
_ERRORS, _DEVICE, _NAME, _INFO, _VERSION, _POSSIBLE, _PROPS = (1 << i for i in range(7))

_USAGE = (
    "Usage: getevent [-t] [-n] [-s switchmask] [-S] [-v [mask]] [-d] [-p] [-i] [-l] [-q] "
    "[-c count] [-r] [device]\n"
)


@dataclass(frozen=True)
class GeteventOptions:
    """A getevent command line, read the way its getopt loop reads it."""

    labels: bool = False
    timestamps: bool = False
    newline: str = "\n"
    flags: int = _ERRORS | _DEVICE | _NAME
    blocking: bool = True  # False: print the devices and exit (-p, -i)
    count: int = 0  # 0: stream until the client goes away
    device: str | None = None


def getevent_options(args: list[str]) -> GeteventOptions | str:
    """The options of `getevent ARGS`, or the text getevent prints when they are wrong."""
    labels = timestamps = flags_set = False
    newline, flags, count, dont_block = "\n", 0, 0, None
    rest: list[str] = []
    words = iter(args)
    for word in words:
        if not word.startswith("-") or word == "-":
            rest.append(word)
            continue
        letters = word[1:]
        for i, letter in enumerate(letters):
            tail = letters[i + 1 :]
            if letter in "cs":  # takes an argument: the rest of this word, else the next
                value = tail or next(words, "")
                if letter == "c":
                    if not value.isdigit():
                        return _USAGE
                    count, dont_block = int(value), False
                elif dont_block is None:
                    dont_block = True
                break
            if letter == "v":  # an optional argument, only glued on
                flags |= int(tail, 0) if tail.isdigit() else _DEVICE | _NAME | _INFO | _VERSION
                flags_set = True
                break
            if letter == "t":
                timestamps = True
            elif letter == "n":
                newline = ""
            elif letter == "l":
                labels = True
            elif letter == "p":
                flags |= _ERRORS | _DEVICE | _NAME | _POSSIBLE | _PROPS
                flags_set = True
                dont_block = True if dont_block is None else dont_block
            elif letter == "i":
                flags |= (1 << 8) - 1
                flags_set = True
                dont_block = True if dont_block is None else dont_block
            elif letter == "q":
                flags_set = True
            elif letter == "S":
                dont_block = True if dont_block is None else dont_block
            elif letter in "dr":
                pass  # HID descriptors and event rates: not modelled
            else:
                return f"getevent: invalid option -{letter}\n" + _USAGE
    if len(rest) > 1:
        return _USAGE
    device = rest[0] if rest else None
    if not flags_set:
        flags |= _ERRORS if device else _ERRORS | _DEVICE | _NAME
    return GeteventOptions(
        labels=labels,
        timestamps=timestamps,
        newline=newline,
        flags=flags,
        blocking=not dont_block,
        count=count,
        device=device,
    )


class EventStream:
    """One running `getevent`: the text it has printed and not yet sent, until it exits
    (after `-c` events) or is closed (its client went away)."""

    def __init__(self, hub: InputDevices, options: GeteventOptions, *, crlf: bool) -> None:
        self.options = options
        self.crlf = crlf
        self._hub = hub
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._left = options.count
        self.closed = False  # its client went away
        self.exited = False  # it printed its `-c` count of events

    def put(self, text: str) -> None:
        if text:
            self._lines.put((text.replace("\n", "\r\n") if self.crlf else text).encode())

    def event(self, stamp: float, device: EvdevDevice, kind: int, code: int, value: int) -> None:
        """Print one event; the stream exits once it has printed its `-c` count."""
        wanted = self.options.device in (None, device.path)
        if self.closed or self.exited or not wanted:
            return
        line = ""
        if self.options.timestamps:
            seconds = int(stamp)
            line += f"[{seconds:8d}.{int((stamp - seconds) * 1e6):06d}] "
        if self.options.device is None:
            line += f"{device.path}: "
        self.put(line + _event_text(kind, code, value, self.options.labels) + self.options.newline)
        if self.options.count:
            self._left -= 1
            if not self._left:
                self.exited = True
                self._lines.put(None)

    def read(self, timeout: float) -> bytes | None:
        """Output printed since the last read (b"" if none within `timeout`); None once
        getevent has exited and everything was read."""
        try:
            chunk = self._lines.get(timeout=timeout)
        except queue.Empty:
            return b""
        if chunk is None:
            return None
        parts = [chunk]
        while True:
            try:
                more = self._lines.get_nowait()
            except queue.Empty:
                break
            if more is None:
                self._lines.put(None)
                break
            parts.append(more)
        return b"".join(parts)

    def close(self) -> None:
        """The client went away: getevent gets SIGHUP and stops."""
        self.closed = True
        self._hub.forget(self)


@dataclass
class Finger:
    """The finger on the panel: where it went down and is now (physical pixels), and when."""

    tracking_id: int
    start: tuple[float, float]
    at: tuple[float, float]
    since: float


class InputDevices:
    """The phone's evdev devices, its open getevent streams and its clock (seconds since
    boot, what getevent's timestamps count)."""

    def __init__(self, devices: tuple[EvdevDevice, ...] = (SIDE_KEYS, NAV_KEYS, TOUCHSCREEN)):
        self.devices = devices
        self.touchscreen = next((d for d in devices if d.axes), None)
        self.finger: Finger | None = None
        self._streams: list[EventStream] = []
        self._lock = threading.Lock()
        self._booted = time.monotonic() - 8123.25
        self._next_tracking_id = 0x1A2

    def uptime(self) -> float:
        return time.monotonic() - self._booted

    @property
    def open_streams(self) -> int:
        """How many getevent processes are running now."""
        with self._lock:
            return len(self._streams)

    def describe(self, options: GeteventOptions) -> str:
        """What getevent prints as it opens the devices (all of `-p`'s output)."""
        chosen = [d for d in self._scan_order() if options.device in (None, d.path)]
        if options.device and not chosen:
            return f"could not open {options.device}, No such file or directory\n"
        return "".join(_opened(d, n, options) for n, d in enumerate(chosen, 1))

    def open_stream(self, options: GeteventOptions, *, crlf: bool = False) -> EventStream:
        """Start a getevent that streams from now on (it first prints the devices)."""
        stream = EventStream(self, options, crlf=crlf)
        stream.put(self.describe(options))
        with self._lock:
            self._streams.append(stream)
        return stream

    def forget(self, stream: EventStream) -> None:
        with self._lock:
            if stream in self._streams:
                self._streams.remove(stream)

    def emit(self, device: EvdevDevice, *events: tuple[str, str, int]) -> None:
        """One frame of `(type, code, value)` events (labels, e.g. `("EV_ABS",
        "ABS_MT_POSITION_X", 500)`) and the SYN_REPORT that ends it, all stamped now."""
        stamp = self.uptime()
        frame = [_coded(kind, code, value) for kind, code, value in events]
        frame.append((EV_SYN, SYN_REPORT, 0))
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            for kind, code, value in frame:
                stream.event(stamp, device, kind, code, value)

    def new_tracking_id(self) -> int:
        self._next_tracking_id = (self._next_tracking_id + 1) % 65536
        return self._next_tracking_id

    def _scan_order(self) -> list[EvdevDevice]:
        return sorted(self.devices, key=lambda d: d.path, reverse=True)  # as readdir lists them


def _coded(kind: str, code: str, value: int) -> tuple[int, int, int]:
    number = {"EV_KEY": EV_KEY, "EV_ABS": EV_ABS}[kind]
    return number, (KEY_CODES if number == EV_KEY else ABS_CODES)[code], value


def _event_text(kind: int, code: int, value: int, labels: bool) -> str:
    unsigned = value & 0xFFFFFFFF
    if not labels:
        return f"{kind:04x} {code:04x} {unsigned:08x}"
    type_label = _TYPE_LABELS.get(kind)
    code_label = _LABELS.get(kind, {}).get(code)
    value_label = _KEY_VALUES.get(value) if kind == EV_KEY else None
    text = f"{type_label:<12.12}" if type_label else f"{kind:04x}        "
    text += f" {code_label:<20.20}" if code_label else f" {code:04x}                "
    text += f" {value_label:<20.20}" if value_label else f" {unsigned:08x}            "
    return text


def _opened(device: EvdevDevice, number: int, options: GeteventOptions) -> str:
    """What getevent prints when it opens `device`, the `number`th it found."""
    flags, out = options.flags, ""
    bus, vendor, product, version = device.bus
    if flags & _DEVICE:
        out += f"add device {number}: {device.path}\n"
    if flags & _INFO:
        out += (
            f"  bus:      {bus:04x}\n  vendor    {vendor:04x}\n"
            f"  product   {product:04x}\n  version   {version:04x}\n"
        )
    if flags & _NAME:
        out += f'  name:     "{device.name}"\n'
    if flags & _INFO:
        out += '  location: ""\n  id:       ""\n'
    if flags & _VERSION:
        out += "  version:  1.0.1\n"
    if flags & _POSSIBLE:
        out += _possible_events(device, options.labels)
    if flags & _PROPS:
        out += "  input props:\n"
        out += "".join(f"    {p}\n" for p in device.props) or "    <none>\n"
    return out


def _possible_events(device: EvdevDevice, labels: bool) -> str:
    out = "  events:\n"
    for kind, name, codes in (
        (EV_KEY, "KEY", sorted(device.keys)),
        (EV_ABS, "ABS", sorted(a.code for a in device.axes)),
    ):
        for count, code in enumerate(codes):
            if count == 0:
                out += f"    {name} ({kind:04x}):"
            elif count % (4 if labels else 8) == 0 or kind == EV_ABS:
                out += "\n               "
            label = _LABELS[kind].get(code)
            if labels and label:
                out += f" {label:.20} " + " " * (20 - len(label))
            elif labels:
                out += f" {code:04x}                 "
            else:
                out += f" {code:04x} "
            if kind == EV_ABS:
                a = device.axis(code)
                out += (
                    f" : value 0, min {a.minimum}, max {a.maximum}, fuzz 0, flat 0, "
                    f"resolution {a.resolution}"
                )
        if codes:
            out += "\n"
    return out


class Touchable(Protocol):
    """What a person reaches of the phone (`phone.SimulatedPhone` is the one there is)."""

    width: int
    height: int
    override: tuple[int, int] | None
    input_devices: InputDevices

    def tap(self, x: float, y: float) -> None: ...
    def swipe(self, x1: float, y1: float, x2: float, y2: float) -> None: ...
    def press_key(self, key: str) -> None: ...
    def type_text(self, text: str) -> None: ...


@dataclass
class Person:
    """Someone using the phone with one finger, its keys and its soft keyboard. Points are
    screen pixels (the `wm size` frame, as screenshots show them). Every touch and key is
    reported to the open getevent streams and does to the apps what it would on a phone:
    a tap taps, a swipe scrolls, a still finger held long is a long press (which the apps
    ignore)."""

    phone: Touchable
    panel: InputDevices = field(init=False)

    def __post_init__(self) -> None:
        self.panel = self.phone.input_devices

    @property
    def screen(self) -> EvdevDevice:
        if self.panel.touchscreen is None:
            raise RuntimeError("this phone has no touch screen")
        return self.panel.touchscreen

    # ------------------------------------------------------------------ the finger
    def down(self, x: float, y: float) -> None:
        """The finger touches the screen at (x, y)."""
        if self.panel.finger is not None:
            raise RuntimeError("the finger is already down")
        point = self._physical(x, y)
        tracking_id = self.panel.new_tracking_id()
        self.panel.finger = Finger(tracking_id, point, point, time.monotonic())
        raw_x, raw_y = self._raw(point)
        self.panel.emit(
            self.screen,
            ("EV_ABS", "ABS_MT_TRACKING_ID", tracking_id),
            ("EV_ABS", "ABS_MT_POSITION_X", raw_x),
            ("EV_ABS", "ABS_MT_POSITION_Y", raw_y),
            ("EV_ABS", "ABS_MT_TOUCH_MAJOR", 6),
            ("EV_ABS", "ABS_MT_PRESSURE", 48),
            ("EV_KEY", "BTN_TOUCH", 1),
            ("EV_KEY", "BTN_TOOL_FINGER", 1),
        )

    def move(self, x: float, y: float) -> None:
        """The finger slides to (x, y); only the axes that changed are reported."""
        finger = self._finger()
        before = self._raw(finger.at)
        finger.at = self._physical(x, y)
        after = self._raw(finger.at)
        changed = [
            ("EV_ABS", code, new)
            for code, old, new in zip(
                ("ABS_MT_POSITION_X", "ABS_MT_POSITION_Y"), before, after, strict=True
            )
            if new != old
        ]
        if changed:
            self.panel.emit(self.screen, *changed)

    def up(self) -> None:
        """The finger lifts: the gesture it made acts on the phone."""
        finger = self._finger()
        self.panel.finger = None
        self.panel.emit(
            self.screen,
            ("EV_ABS", "ABS_MT_TRACKING_ID", -1),
            ("EV_KEY", "BTN_TOUCH", 0),
            ("EV_KEY", "BTN_TOOL_FINGER", 0),
        )
        (x1, y1), (x2, y2) = finger.start, finger.at
        if math.hypot(x2 - x1, y2 - y1) > TOUCH_SLOP:
            self.phone.swipe(x1, y1, x2, y2)
        elif time.monotonic() - finger.since < LONG_PRESS:
            self.phone.tap(x1, y1)

    # ------------------------------------------------------------------ gestures
    def tap(self, x: float, y: float) -> None:
        self.down(x, y)
        time.sleep(0.03)
        self.up()

    def long_press(self, x: float, y: float, seconds: float = 0.7) -> None:
        self.down(x, y)
        time.sleep(seconds)
        self.up()

    def swipe(
        self, x1: float, y1: float, x2: float, y2: float, seconds: float = 0.2, steps: int = 8
    ) -> None:
        self.down(x1, y1)
        for i in range(1, steps + 1):
            time.sleep(seconds / steps)
            self.move(x1 + (x2 - x1) * i / steps, y1 + (y2 - y1) * i / steps)
        self.up()

    def press(self, key: str) -> None:
        """A key: BACK, HOME, APP_SWITCH (recent apps) or ENTER; it acts when released."""
        device, code = PERSON_KEYS[key]
        label = next(name for name, number in KEY_CODES.items() if number == code)
        self.panel.emit(device, ("EV_KEY", label, 1))
        time.sleep(0.05)  # a press is held a moment
        self.panel.emit(device, ("EV_KEY", label, 0))
        self.phone.press_key(key)

    def types(self, text: str) -> None:
        """Text typed on the soft keyboard into the focused field. (A real keyboard's key
        taps are touches too; the simulated one sends none.)"""
        self.phone.type_text(text)

    # ------------------------------------------------------------------ frames
    def _finger(self) -> Finger:
        if self.panel.finger is None:
            raise RuntimeError("no finger is down")
        return self.panel.finger

    def _physical(self, x: float, y: float) -> tuple[float, float]:
        if self.phone.override is None:
            return x, y
        w, h = self.phone.override
        return x * self.phone.width / w, y * self.phone.height / h

    def _raw(self, point: tuple[float, float]) -> tuple[int, int]:
        """Physical pixels as the panel's units."""
        panel = self.screen
        values = []
        for value, size, code in (
            (point[0], self.phone.width, ABS_CODES["ABS_MT_POSITION_X"]),
            (point[1], self.phone.height, ABS_CODES["ABS_MT_POSITION_Y"]),
        ):
            axis = panel.axis(code)
            units = axis.maximum - axis.minimum + 1
            values.append(min(axis.maximum, axis.minimum + int(value * units / size)))
        return values[0], values[1]

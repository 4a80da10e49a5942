"""A phone's touches and keys read from `getevent`, as the recorder's events in screen pixels.

`getevent -p` lists the input devices; the touch screen is the one with ABS_MT_POSITION_X/Y
(or, on old single-touch panels, ABS_X/Y with BTN_TOUCH), and its axes are in panel units
(0..4095, 0..32767, ...), not pixels. A raw value maps to the screen by its place in the
axis range times `wm size` (the override when one is set: input follows it), turned by the
display's orientation (`dumpsys display`); `ScreenMapping` does that.

`getevent -lt` prints one line per kernel event: `[   8123.250266] /dev/input/event2: EV_ABS
ABS_MT_POSITION_X    000001f4`, numbers instead of labels without `-l`. A multitouch panel of
protocol type B reports each finger in a slot with a tracking id (-1, printed ffffffff, when
it lifts), only the axes that changed, and SYN_REPORT ends each frame; `TouchDecoder` follows
the first finger down through those frames and yields Press / Motion / Release (button
"left"), plus a KeyPress for BACK, HOME, recent apps and ENTER from any device. Lines it
cannot read (a device list, an error message, a line cut short) are skipped, never fatal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from screenpilot.errors import ScreenpilotError
from screenpilot.perception.geometry import ScreenPoint
from screenpilot.recording.events import InputEvent, KeyPress, Motion, Press, Release

#: Labels getevent prints for the numbers a touch screen and the system keys use.
TYPE_LABELS = {0x00: "EV_SYN", 0x01: "EV_KEY", 0x02: "EV_REL", 0x03: "EV_ABS", 0x04: "EV_MSC"}
CODE_LABELS = {
    "EV_SYN": {0x00: "SYN_REPORT", 0x01: "SYN_CONFIG", 0x02: "SYN_MT_REPORT", 0x03: "SYN_DROPPED"},
    "EV_ABS": {
        0x00: "ABS_X", 0x01: "ABS_Y", 0x18: "ABS_PRESSURE", 0x2F: "ABS_MT_SLOT",
        0x30: "ABS_MT_TOUCH_MAJOR", 0x31: "ABS_MT_TOUCH_MINOR", 0x35: "ABS_MT_POSITION_X",
        0x36: "ABS_MT_POSITION_Y", 0x37: "ABS_MT_TOOL_TYPE", 0x39: "ABS_MT_TRACKING_ID",
        0x3A: "ABS_MT_PRESSURE",
    },
    "EV_KEY": {
        0x1C: "KEY_ENTER", 0x66: "KEY_HOME", 0x72: "KEY_VOLUMEDOWN", 0x73: "KEY_VOLUMEUP",
        0x74: "KEY_POWER", 0x8B: "KEY_MENU", 0x9E: "KEY_BACK", 0xAC: "KEY_HOMEPAGE",
        0x244: "KEY_APPSELECT", 0x145: "BTN_TOOL_FINGER", 0x14A: "BTN_TOUCH",
    },
}  # fmt: skip
#: Kernel key -> the vocabulary's system button (Android's Generic.kl: KEY_HOMEPAGE is
#: HOME; KEY_HOME is MOVE_HOME, a text key).
SYSTEM_KEYS = {"KEY_BACK": "back", "KEY_HOMEPAGE": "home", "KEY_APPSELECT": "recents",
               "KEY_ENTER": "enter"}  # fmt: skip
_KEY_VALUES = {"UP": 0, "DOWN": 1, "REPEAT": 2}

_ADD = re.compile(r"add device \d+: (\S+)\s*$")
_NAME = re.compile(r'\s+name:\s+"(.*)"\s*$')
_SECTION = re.compile(r"\s+([A-Z]{2,3}) *\(([0-9a-f]{4})\):(.*)$")
_ABS = re.compile(
    r"\s*(\w+)\s*\*?\s*:\s*value (-?\d+), min (-?\d+), max (-?\d+)(?:, fuzz -?\d+, flat -?\d+"
    r"(?:, resolution -?\d+)?)?\s*$"
)
_CODE = re.compile(r"[A-Z][A-Z0-9_]+|[0-9a-f]{4}")
_EVENT = re.compile(
    r"(?:\[\s*(\d+)\.(\d{6})\]\s+)?(?:(/dev/input/\S+):\s+)?"
    r"(EV_[A-Z_]+|[0-9a-f]{4})\s+([A-Z][A-Z0-9_]*|[0-9a-f]{4})\s+"
    r"(UP|DOWN|REPEAT|[0-9a-f]{8})\s*"
)
_SIZE = re.compile(r"(Physical|Override) size:\s*(\d+)x(\d+)")
_ORIENTATION = re.compile(r"mCurrentOrientation=([0-3])\b")


class GeteventError(ScreenpilotError):
    """The phone's input devices cannot be read as a touch screen."""


@dataclass(frozen=True)
class AxisRange:
    """An absolute axis's range, both ends included."""

    minimum: int
    maximum: int


@dataclass(frozen=True)
class InputDevice:
    """One device of `getevent -p`: its node, name, key codes, axes (both by label, or as
    `0x...` where getevent knows no label) and input props."""

    path: str
    name: str = ""
    keys: frozenset[str] = frozenset()
    axes: dict[str, AxisRange] = field(default_factory=dict, hash=False)
    props: frozenset[str] = frozenset()

    @property
    def multitouch(self) -> bool:
        return {"ABS_MT_POSITION_X", "ABS_MT_POSITION_Y"} <= self.axes.keys()

    @property
    def single_touch(self) -> bool:
        return {"ABS_X", "ABS_Y"} <= self.axes.keys() and "BTN_TOUCH" in self.keys


def parse_devices(text: str) -> list[InputDevice]:
    """The devices `getevent -p` (or `-pl`, `-i`) describes; lines it cannot place are
    skipped."""
    found: list[_Found] = []
    section = ""
    for line in text.replace("\r", "").splitlines():
        added = _ADD.match(line)
        if added:
            found.append(_Found(added[1]))
            section = ""
            continue
        if not found:
            continue
        device, stripped = found[-1], line.strip()
        named = _NAME.match(line)
        if named:
            device.name = named[1]
        elif stripped == "input props:":
            section = "props"
        elif stripped == "events:":
            section = ""
        elif header := _SECTION.match(line):
            section = header[1]
            device.add(section, header[3])
        elif line.startswith("    ") and section:
            device.add(section, line)
        else:
            section = ""
    return [
        InputDevice(
            path=d.path,
            name=d.name,
            keys=frozenset(d.keys),
            axes=dict(d.axes),
            props=frozenset(d.props),
        )
        for d in found
    ]


@dataclass
class _Found:
    """A device of `getevent -p` while its lines are read."""

    path: str
    name: str = ""
    keys: set[str] = field(default_factory=set)
    axes: dict[str, AxisRange] = field(default_factory=dict)
    props: set[str] = field(default_factory=set)

    def add(self, section: str, text: str) -> None:
        """One line's worth of a section: key codes, an axis, or an input prop."""
        if section == "props":
            if not text.strip().startswith("<"):  # <none>, <not available
                self.props.add(text.strip())
        elif section == "ABS":
            axis = _ABS.match(text)
            if axis:
                self.axes[_label("EV_ABS", axis[1])] = AxisRange(int(axis[3]), int(axis[4]))
        elif section == "KEY":
            self.keys.update(_label("EV_KEY", code) for code in _CODE.findall(text))


def find_touchscreen(devices: Iterable[InputDevice]) -> InputDevice:
    """The touch screen among `devices`: a multitouch device (a direct one first: a touch
    pad is not a screen), else a single-touch panel."""
    ranked = sorted(
        (d for d in devices if d.multitouch or d.single_touch),
        key=lambda d: (not d.multitouch, "INPUT_PROP_DIRECT" not in d.props),
    )
    if not ranked:
        raise GeteventError(
            "no touch screen among the phone's input devices (none reports "
            "ABS_MT_POSITION_X/Y in `getevent -p`)"
        )
    return ranked[0]


def screen_size(wm_size: str) -> tuple[int, int]:
    """The size touches map to, from `wm size`: the override when set, else the physical."""
    sizes = {kind: (int(w), int(h)) for kind, w, h in _SIZE.findall(wm_size)}
    size = sizes.get("Override") or sizes.get("Physical")
    if size is None:
        raise GeteventError(f"cannot read a screen size from `wm size`: {wm_size.strip()!r}")
    return size


def orientation(dumpsys_display: str) -> int:
    """The display's rotation in quarter turns (0 natural, 1 = 90 degrees, ...) from
    `dumpsys display`; 0 when it does not say."""
    found = _ORIENTATION.search(dumpsys_display)
    return int(found[1]) if found else 0


@dataclass(frozen=True)
class ScreenMapping:
    """From a touch screen's raw axes to screen pixels. `width` x `height` is the display in
    its natural orientation (what `wm size` reports, whatever the rotation)."""

    x: AxisRange
    y: AxisRange
    width: int
    height: int
    rotation: int = 0

    @classmethod
    def of(
        cls, touchscreen: InputDevice, size: tuple[int, int], rotation: int = 0
    ) -> ScreenMapping:
        prefix = "ABS_MT_POSITION_" if touchscreen.multitouch else "ABS_"
        return cls(
            x=touchscreen.axes[prefix + "X"],
            y=touchscreen.axes[prefix + "Y"],
            width=size[0],
            height=size[1],
            rotation=rotation % 4,
        )

    def point(self, raw_x: int, raw_y: int) -> ScreenPoint:
        nx, ny = _share(raw_x, self.x), _share(raw_y, self.y)
        w, h = self.width, self.height
        x, y = {
            0: (nx * w, ny * h),
            1: (ny * h, (1 - nx) * w),  # the natural top edge is now on the left
            2: ((1 - nx) * w, (1 - ny) * h),
            3: ((1 - ny) * h, nx * w),
        }[self.rotation]
        return ScreenPoint(x=round(x, 1), y=round(y, 1))


def _share(raw: int, axis: AxisRange) -> float:
    """Where `raw` lies in the axis, 0 to just under 1 (as Android scales: by max-min+1)."""
    span = axis.maximum - axis.minimum + 1
    return min(max(raw - axis.minimum, 0), span - 1) / span


@dataclass(frozen=True)
class RawEvent:
    """One line of getevent: the phone's timestamp (seconds since boot; None without -t),
    the device node ("" when getevent was given one device), and the event by label."""

    time: float | None
    device: str
    type: str
    code: str
    value: int


def parse_event(line: str) -> RawEvent | None:
    """One getevent line (with or without labels, timestamps, device); None for anything
    else: device lists, errors, a line cut short or garbled."""
    found = _EVENT.fullmatch(line.strip("\r\n\x00 ") + " ")
    if found is None:
        return None
    seconds, micros, device, kind, code, value = found.groups()
    kind = TYPE_LABELS.get(int(kind, 16), kind) if _hex(kind) else kind
    code = _label(kind, code)
    if value in _KEY_VALUES:
        if kind != "EV_KEY":
            return None
        number = _KEY_VALUES[value]
    else:
        number = int(value, 16)
        number = number - (1 << 32) if number >= 1 << 31 else number
    stamp = int(seconds) + int(micros) / 1e6 if seconds is not None else None
    return RawEvent(time=stamp, device=device or "", type=kind, code=code, value=number)


@dataclass
class _Contact:
    tracking_id: int = -1
    x: int | None = None
    y: int | None = None


class TouchDecoder:
    """Turns the events of one touch screen (and any device's system keys) into the
    recorder's events. Stateful: feed it every line in order."""

    def __init__(self, touchscreen: InputDevice, mapping: ScreenMapping) -> None:
        self.path = touchscreen.path
        self.mapping = mapping
        self._axis_x, self._axis_y = (
            ("ABS_MT_POSITION_X", "ABS_MT_POSITION_Y")
            if touchscreen.multitouch
            else ("ABS_X", "ABS_Y")
        )
        self._slots: dict[int, _Contact] = {}
        self._slot = 0
        self._btn_touch = False
        self._tracked = False  # the panel reports tracking ids (protocol B)
        self._type_a = False  # ... or separates fingers with SYN_MT_REPORT (protocol A)
        self._frame_fingers = 0
        self._frame_other_finger = False
        self._frame_position = False
        self._dropping = False
        self._primary: int | None = None  # the slot of the finger the gesture follows
        self._last: ScreenPoint | None = None
        self._down = False

    @property
    def finger_down(self) -> bool:
        """Whether a finger is on the screen (as of the last complete frame)."""
        return self._down

    def feed(self, event: RawEvent, at: float) -> list[InputEvent]:
        """What `event` (received at `at`, monotonic seconds) completes: usually nothing,
        a touch frame's Press/Motion/Release at its SYN_REPORT, a system key's KeyPress."""
        if event.type == "EV_KEY" and event.code in SYSTEM_KEYS:
            return [KeyPress(time=at, key=SYSTEM_KEYS[event.code])] if event.value == 1 else []
        if event.device and event.device != self.path:
            return []
        if event.type == "EV_SYN":
            return self._sync(event.code, at)
        if self._dropping:
            return []
        if event.type == "EV_KEY" and event.code == "BTN_TOUCH":
            self._btn_touch = event.value != 0
        elif event.type == "EV_ABS":
            self._axis(event.code, event.value)
        return []

    def _axis(self, code: str, value: int) -> None:
        if code == "ABS_MT_SLOT":
            self._slot = value
        elif code == "ABS_MT_TRACKING_ID":
            self._tracked = True
            self._contact().tracking_id = value if value >= 0 else -1
        elif code in (self._axis_x, self._axis_y) and not self._frame_other_finger:
            contact = self._contact()
            if code == self._axis_x:
                contact.x = value
            else:
                contact.y = value
            self._frame_position = True

    def _contact(self) -> _Contact:
        return self._slots.setdefault(self._slot, _Contact())

    def _sync(self, code: str, at: float) -> list[InputEvent]:
        if code == "SYN_DROPPED":
            self._dropping = True  # the kernel's buffer overran: skip to the next report
            return []
        if code == "SYN_MT_REPORT":
            self._type_a = True
            self._frame_fingers += self._frame_position
            self._frame_other_finger = self._frame_position
            self._frame_position = False
            return []
        if code != "SYN_REPORT":
            return []
        if self._dropping:
            self._dropping = False
            return []
        fingers = self._frame_fingers
        self._frame_fingers, self._frame_other_finger, self._frame_position = 0, False, False
        return self._frame(at, fingers)

    def _active(self, frame_fingers: int) -> list[int]:
        """The slots with a finger on the screen after this frame."""
        if self._tracked:
            return sorted(s for s, c in self._slots.items() if c.tracking_id >= 0)
        if self._type_a:
            return [0] if frame_fingers else []
        return [0] if self._btn_touch else []

    def _frame(self, at: float, frame_fingers: int) -> list[InputEvent]:
        active = self._active(frame_fingers)
        if not self._down:
            if not active:
                return []
            primary = active[0]
            point = self._point(primary)
            if point is None:
                return []  # no position yet: the press waits for one
            self._primary, self._last, self._down = primary, point, True
            return [Press(time=at, point=point)]
        assert self._last is not None
        if not active:
            self._down, self._primary = False, None
            return [Release(time=at, point=self._last)]
        if self._primary not in active:
            return []  # the followed finger lifted while another stays: the gesture holds
        point = self._point(self._primary)
        if point is None or point == self._last:
            return []
        self._last = point
        return [Motion(time=at, point=point)]

    def _point(self, slot: int | None) -> ScreenPoint | None:
        contact = self._slots.get(slot) if slot is not None else None
        if contact is None or contact.x is None or contact.y is None:
            return None
        return self.mapping.point(contact.x, contact.y)


class PhoneClock:
    """Puts the phone's event timestamps on this machine's monotonic clock.

    The offset is the smallest (received - stamped) seen: the least delayed line bounds the
    true offset best, so an event's time is never later than its arrival and, clocks not
    drifting, never earlier than when it happened, and times stay in order. Each event thus
    keeps its real spacing (a long press stays long) even when lines arrive in bursts."""

    def __init__(self) -> None:
        self._offset: float | None = None

    def time(self, stamp: float | None, received: float) -> float:
        if stamp is None:
            return received
        offset = received - stamp
        if self._offset is None or offset < self._offset:
            self._offset = offset
        return stamp + self._offset


def _hex(text: str) -> bool:
    return len(text) == 4 and all(c in "0123456789abcdef" for c in text)


def _label(kind: str, code: str) -> str:
    if not _hex(code):
        return code
    number = int(code, 16)
    return CODE_LABELS.get(kind, {}).get(number, f"0x{number:04x}")

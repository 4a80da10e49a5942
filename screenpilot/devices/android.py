"""An Android phone over adb as a device: screenshots, uiautomator elements, input, text.

Text reaches the phone through its shell, so every word we send is single-quoted
(`phone_shell.shell_quote`) and nothing of it is ever interpreted there. `input text` has two
more rules: it types only its first argument, and it turns `%s` into a space - so text is
sent in pieces that never contain `%s`, with newlines and tabs as key events. Non-ASCII text
crashes `input text`; it goes through the ADBKeyBoard input method instead (switched to for
the occasion, the previous one restored after).
"""

from __future__ import annotations

import base64
import io
import logging
import re
import struct
import time
from collections.abc import Callable
from typing import Literal, TypeVar

import numpy as np

from screenpilot.devices.adb import AdbClient, AdbConnectionLostError, AdbError
from screenpilot.devices.phone_shell import shell_quote
from screenpilot.devices.protocol import Direction, SystemButtonName, UnsupportedActionError
from screenpilot.devices.uiautomator import UiDumpError, parse_dump, strip_dump
from screenpilot.errors import DeviceLostError
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import Rect, ScreenGeometry, ScreenPoint, Size
from screenpilot.perception.screenshot import Screenshot

log = logging.getLogger(__name__)
T = TypeVar("T")
Layout = Literal["RGB", "RGBA", "BGRA"]

ADB_KEYBOARD = "com.android.adbkeyboard/.AdbIME"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PACKAGE = re.compile(r"[A-Za-z][\w]*(\.[A-Za-z][\w]*)+")
_SIZE = re.compile(r"(Physical|Override) size:\s*(\d+)x(\d+)")
_BUTTONS = {"back": "KEYCODE_BACK", "home": "KEYCODE_HOME",
            "recents": "KEYCODE_APP_SWITCH", "enter": "KEYCODE_ENTER"}  # fmt: skip
_KEYS = {
    "enter": "KEYCODE_ENTER", "tab": "KEYCODE_TAB", "escape": "KEYCODE_ESCAPE",
    "backspace": "KEYCODE_DEL", "delete": "KEYCODE_FORWARD_DEL", "space": "KEYCODE_SPACE",
    "up": "KEYCODE_DPAD_UP", "down": "KEYCODE_DPAD_DOWN", "left": "KEYCODE_DPAD_LEFT",
    "right": "KEYCODE_DPAD_RIGHT", "home": "KEYCODE_MOVE_HOME", "end": "KEYCODE_MOVE_END",
    "pageup": "KEYCODE_PAGE_UP", "pagedown": "KEYCODE_PAGE_DOWN", "insert": "KEYCODE_INSERT",
    "ctrl": "KEYCODE_CTRL_LEFT", "alt": "KEYCODE_ALT_LEFT", "shift": "KEYCODE_SHIFT_LEFT",
    "super": "KEYCODE_META_LEFT", "menu": "KEYCODE_MENU", "volumeup": "KEYCODE_VOLUME_UP",
    "volumedown": "KEYCODE_VOLUME_DOWN", "volumemute": "KEYCODE_VOLUME_MUTE",
    "playpause": "KEYCODE_MEDIA_PLAY_PAUSE", "capslock": "KEYCODE_CAPS_LOCK",
}  # fmt: skip
#: Raw screencap pixel formats (Android's PixelFormat values) -> bytes per pixel.
_RAW_FORMATS = {1: 4, 2: 4, 3: 3, 5: 4}
#: How long one swipe step of a scroll moves the finger, as a share of the screen.
SCROLL_STEP = 0.08


class AndroidError(AdbError):
    """The phone cannot do what was asked, or answered something unusable."""


class PhoneLostError(AndroidError, DeviceLostError):
    """The phone (or the adb server) stopped answering: unplugged, rebooted, adb gone."""


class AndroidDevice:
    """One phone (by serial) behind an adb server."""

    def __init__(
        self,
        serial: str | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
        raw_screencap: bool = False,
        timeout: float = 15.0,
        dump_retries: int = 3,
    ) -> None:
        self.adb = AdbClient(host, port, timeout=timeout)
        self.serial = self._choose(serial)
        self.raw_screencap = raw_screencap
        self.dump_retries = dump_retries
        self._screen = self._screen_size()

    # ------------------------------------------------------------------ connection
    def _choose(self, serial: str | None) -> str:
        entries = self.adb.devices()
        if serial is not None:
            entry = next((e for e in entries if e.serial == serial), None)
            if entry is None:
                known = ", ".join(e.serial for e in entries) or "none"
                raise AndroidError(
                    f"no device {serial!r} on adb at {self.adb.address} (seen: {known})"
                )
        else:
            if not entries:
                raise AndroidError(
                    f"no device on adb at {self.adb.address}: connect a phone with USB "
                    "debugging on, or start an emulator"
                )
            if len(entries) > 1:
                listed = ", ".join(f"{e.serial} ({e.state})" for e in entries)
                raise AndroidError(
                    f"several devices are connected ({listed}): choose one by serial"
                )
            entry = entries[0]
        if entry.state == "unauthorized":
            raise AndroidError(
                f"device {entry.serial} is unauthorized: unlock it and accept the "
                "'Allow USB debugging' prompt"
            )
        if entry.state != "device":
            raise AndroidError(f"device {entry.serial} is {entry.state}: reconnect it")
        return entry.serial

    def active_window_box(self) -> None:
        """A phone shows one app at a time: no window to tell apart."""
        return None

    def pointer_position(self) -> None:
        """A touch screen has no pointer."""
        return None

    def close(self) -> None:
        """Nothing to let go of: every adb call opens and closes its own connection."""

    def __enter__(self) -> AndroidDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _retrying(self, call: Callable[[], T]) -> T:
        """Run an adb call, reconnecting once if the connection drops."""
        try:
            try:
                return call()
            except AdbConnectionLostError as first:
                log.warning("adb connection dropped (%s); trying once more", first)
                time.sleep(0.2)
                return call()
        except AdbConnectionLostError as error:
            raise PhoneLostError(f"lost {self.serial}: {error}") from None
        except AdbError as error:
            if _gone(str(error)):
                raise PhoneLostError(f"lost {self.serial}: {error}") from None
            raise

    def shell(self, command: str) -> str:
        """Run a command line in the device's shell; its output as text."""
        out = self._retrying(lambda: self.adb.shell(self.serial, command))
        return out.decode("utf-8", errors="replace")

    # ------------------------------------------------------------------ seeing
    def _screen_size(self) -> Size:
        """Touch coordinates follow `wm size`: the override when one is set."""
        sizes = {kind: (int(w), int(h)) for kind, w, h in _SIZE.findall(self.shell("wm size"))}
        size = sizes.get("Override") or sizes.get("Physical")
        if size is None:
            raise AndroidError(f"cannot read the screen size of {self.serial} from `wm size`")
        return Size(width=size[0], height=size[1])

    @property
    def geometry(self) -> ScreenGeometry:
        return ScreenGeometry.for_screen(self._screen.width, self._screen.height)

    def screenshot(self) -> Screenshot:
        """The screen, as PNG through `exec:screencap -p` or, with `raw_screencap`, as raw
        pixels (no PNG encoding on the phone: faster)."""
        command = "screencap" if self.raw_screencap else "screencap -p"
        data = self._retrying(lambda: self.adb.exec_out(self.serial, command))
        pixels, layout = _decode_raw(data) if self.raw_screencap else _decode_png(data)
        h, w = pixels.shape[:2]
        geometry = ScreenGeometry(
            screen=Rect(width=self._screen.width, height=self._screen.height),
            capture=Size(width=w, height=h),
            image=Size(width=w, height=h),
        )
        return Screenshot(raw=pixels, geometry=geometry, taken_at=time.time(), layout=layout)

    def elements(self) -> list[Element]:
        """The uiautomator tree's elements; a few retries when the UI is not idle; empty
        when the screen has no tree (a secure or WebView screen), so OCR takes over."""
        last = ""
        for attempt in range(self.dump_retries):
            output = self.shell("uiautomator dump /dev/tty")
            try:
                return parse_dump(strip_dump(output), self.geometry.screen_box)
            except UiDumpError as error:
                last = str(error)
                log.info("uiautomator dump failed (%s), attempt %d", error, attempt + 1)
                time.sleep(0.3)
        log.warning("giving up on the UI tree after %d tries: %s", self.dump_retries, last)
        return []

    # ------------------------------------------------------------------ acting
    def move(self, point: ScreenPoint) -> None:
        raise UnsupportedActionError("a touch screen has no pointer to hover with")

    def click(self, point: ScreenPoint | None, button: str = "left", count: int = 1) -> None:
        if point is None:
            raise UnsupportedActionError("a tap needs a place on the screen")
        if button != "left":
            raise UnsupportedActionError(f"a touch screen has no {button} button")
        x, y = self._place(point)
        for _ in range(count):
            self.shell(f"input tap {x} {y}")

    def long_press(self, point: ScreenPoint, seconds: float) -> None:
        x, y = self._place(point)
        self.shell(f"input swipe {x} {y} {x} {y} {round(seconds * 1000)}")

    def drag(
        self, start: ScreenPoint | None, end: ScreenPoint, seconds: float | None = None
    ) -> None:
        if start is None:
            raise UnsupportedActionError("a swipe on a touch screen needs its start")
        x1, y1 = self._place(start)
        x2, y2 = self._place(end)
        ms = "" if seconds is None else f" {round(seconds * 1000)}"
        self.shell(f"input swipe {x1} {y1} {x2} {y2}{ms}")

    def scroll(self, direction: Direction, amount: int, at: ScreenPoint | None = None) -> None:
        """Scroll like a wheel: "down" shows what is below, so the finger moves up."""
        box = self.geometry.screen_box
        centre = at or box.center
        reach = min(0.6, SCROLL_STEP * amount)
        dx = {"left": 1, "right": -1}.get(direction, 0) * reach * box.width
        dy = {"up": 1, "down": -1}.get(direction, 0) * reach * box.height
        end = self.geometry.guard(ScreenPoint(x=centre.x + dx, y=centre.y + dy))
        self.drag(self.geometry.guard(centre), end, 0.3)

    def key(self, keys: list[str]) -> None:
        codes = [_KEYS.get(k) or (f"KEYCODE_{k.upper()}" if k.isalnum() and len(k) == 1 else None)
                 for k in keys]  # fmt: skip
        if None in codes:
            missing = keys[codes.index(None)]
            raise UnsupportedActionError(f"no Android key code for {missing!r}")
        if len(codes) == 1:
            self.shell(f"input keyevent {codes[0]}")
        else:
            self.shell("input keycombination " + " ".join(str(c) for c in codes))

    def system_button(self, button: SystemButtonName) -> None:
        self.shell(f"input keyevent {_BUTTONS[button]}")

    def open_app(self, app: str) -> None:
        if not _PACKAGE.fullmatch(app):
            raise AndroidError(
                f"{app!r} is not an Android package name (like com.android.settings)"
            )
        out = self.shell(f"monkey -p {app} -c android.intent.category.LAUNCHER 1")
        if "Events injected" not in out:
            raise AndroidError(f"{app} has no launchable activity on {self.serial}: {out.strip()}")

    def type_text(self, text: str) -> None:
        """Type any text literally: `input text` for ASCII, ADBKeyBoard for the rest."""
        bad = sorted({repr(c) for c in text if ord(c) < 32 and c not in "\n\t"})
        if bad:
            raise AndroidError(f"refusing to type control characters {', '.join(bad)}")
        if text.isascii():
            for kind, piece in _pieces(text):
                if kind == "key":
                    self.shell(f"input keyevent {piece}")
                else:
                    out = self.shell(f"input text {shell_quote(piece)}")
                    if "Exception" in out:
                        raise AndroidError(
                            f"`input text` failed on the phone: {out.splitlines()[0]}"
                        )
            return
        self._type_with_adb_keyboard(text)

    def _type_with_adb_keyboard(self, text: str) -> None:
        installed = self.shell("ime list -s").split()
        if ADB_KEYBOARD not in installed:
            raise AndroidError(
                "typing non-ASCII text needs the ADBKeyBoard input method, which this phone "
                "lacks: install ADBKeyboard.apk (`adb install ADBKeyboard.apk`), then "
                f"`adb shell ime enable {ADB_KEYBOARD}`"
            )
        previous = self.shell("settings get secure default_input_method").strip()
        self.shell(f"ime set {ADB_KEYBOARD}")
        try:
            encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
            out = self.shell(f"am broadcast -a ADB_INPUT_B64 --es msg {encoded}")
            if "Broadcast completed" not in out:
                raise AndroidError(f"ADBKeyBoard did not take the text: {out.strip()}")
        finally:
            if previous and previous != ADB_KEYBOARD and previous != "null":
                self.shell(f"ime set {shell_quote(previous)}")

    def _place(self, point: ScreenPoint) -> tuple[int, int]:
        box = self.geometry.screen_box
        if not box.contains(point):
            raise AndroidError(
                f"({point.x:g}, {point.y:g}) is off the {self._screen} screen of {self.serial}"
            )
        p = self.geometry.guard(point)
        return round(p.x), round(p.y)


def _pieces(text: str) -> list[tuple[str, str]]:
    """ASCII text as (`"text"`, words for `input text`) and (`"key"`, key codes) pieces.

    Newlines and tabs become key events; a piece never holds "%s" (input text would type
    a space), so a '%' ends its piece.
    """
    pieces: list[tuple[str, str]] = []
    current = ""
    for ch in text:
        if ch in "\n\t":
            if current:
                pieces.append(("text", current))
                current = ""
            pieces.append(("key", "KEYCODE_ENTER" if ch == "\n" else "KEYCODE_TAB"))
            continue
        current += ch
        if ch == "%":
            pieces.append(("text", current))
            current = ""
    if current:
        pieces.append(("text", current))
    return pieces


def _decode_png(data: bytes) -> tuple[np.ndarray, Layout]:
    from PIL import Image

    if not data.startswith(PNG_SIGNATURE):
        if data.startswith(b"\x89PNG\r\r\n"):
            raise AndroidError(
                "the screenshot came back with LF turned into CRLF (a PTY shell): use exec:"
            )
        head = data[:60].decode("utf-8", errors="replace").strip()
        raise AndroidError(f"screencap did not return a PNG: {head or 'empty output'!r}")
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except OSError as error:
        raise AndroidError(f"the screenshot PNG is corrupt: {error}") from None
    return np.asarray(image.convert("RGB")), "RGB"


def _decode_raw(data: bytes) -> tuple[np.ndarray, Layout]:
    if len(data) < 12:
        raise AndroidError(f"raw screencap too short ({len(data)} bytes)")
    w, h, fmt = struct.unpack_from("<III", data)
    depth = _RAW_FORMATS.get(fmt)
    if depth is None:
        raise AndroidError(f"raw screencap pixel format {fmt} is not supported")
    for header in (16, 12):  # newer builds add a colour-space word
        if len(data) == header + w * h * depth:
            pixels = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(h, w, depth)
            if fmt == 5:  # BGRA_8888
                return pixels, "BGRA"
            return pixels, "RGBA" if depth == 4 else "RGB"
    raise AndroidError(
        f"raw screencap of {w}x{h} should be {w * h * depth} bytes of pixels, got {len(data)} "
        "(cut short?)"
    )


def _gone(message: str) -> bool:
    """Whether an adb error says the phone is no longer there (not a refused command)."""
    low = message.lower()
    return "is offline" in low or "is not connected" in low or "closed the connection" in low

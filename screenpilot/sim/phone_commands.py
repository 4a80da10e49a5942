"""The commands the simulated phone's shell runs, answered the way a phone answers them:
`screencap`, `uiautomator dump`, `wm size`, `dumpsys`, `getprop`, `settings`, `ime`, `am`,
`monkey`, `input tap|swipe|keyevent|text` and `getevent -p` (a `getevent` that streams is
served by the phone itself, `phone.SimulatedPhone.open_stream`, since it never ends).

The awkward parts are kept: `input text` uses only its first argument, turns `%s` into a space
and crashes on non-ASCII; `uiautomator dump` ends with its trailer on the same line and can
fail to get an idle state; touch coordinates are in the `wm size` override's frame.
"""

from __future__ import annotations

import base64
import io
import struct
from collections.abc import Callable
from typing import Protocol

from PIL import Image

from screenpilot.sim.phone_apps import ADB_KEYBOARD, LATIN_IME, PACKAGES
from screenpilot.sim.phone_input import InputDevices, getevent_options


class Phone(Protocol):
    """What the commands reach of the phone (`phone.SimulatedPhone` is the one there is)."""

    width: int
    height: int
    stack: list[str]
    ime: str
    override: tuple[int, int] | None
    flaky_dumps: int
    adb_keyboard_installed: bool
    input_devices: InputDevices

    def open_app(self, package: str) -> None: ...
    def press_key(self, key: str) -> None: ...
    def type_text(self, text: str) -> None: ...
    def tap(self, x: float, y: float) -> None: ...
    def swipe(self, x1: float, y1: float, x2: float, y2: float) -> None: ...
    def screen_image(self) -> Image.Image: ...
    def ui_dump(self) -> str: ...


Command = Callable[[Phone, list[str]], bytes]

_NPE = (
    "Exception occurred while executing 'text':\n"
    "java.lang.NullPointerException: Attempt to get length of null array\n"
    "\tat android.view.KeyCharacterMap.getEvents(KeyCharacterMap.java)\n"
    "\tat com.android.server.input.InputShellCommand.sendText(InputShellCommand.java)\n"
)


def run(phone: Phone, argv: list[str]) -> bytes:
    """Run one command line's words on `phone`; what it prints. Unknown programs get the
    shell's own complaint."""
    if not argv:
        return b""
    command = COMMANDS.get(argv[0].rsplit("/", 1)[-1])
    if command is None:
        return f"/system/bin/sh: {argv[0]}: inaccessible or not found\n".encode()
    return command(phone, argv[1:])


def _screencap(phone: Phone, args: list[str]) -> bytes:
    image = phone.screen_image()
    if "-p" in args:
        buffer = io.BytesIO()
        image.save(buffer, "PNG", compress_level=1)
        return buffer.getvalue()
    w, h = image.size  # raw: width, height, format (1 = RGBA_8888), colour space
    return struct.pack("<IIII", w, h, 1, 0) + image.convert("RGBA").tobytes()


def _uiautomator(phone: Phone, args: list[str]) -> bytes:
    if args[:1] != ["dump"]:
        return b"Usage: uiautomator dump [--compressed] [FILE]\n"
    if phone.flaky_dumps > 0:
        phone.flaky_dumps -= 1
        return b"ERROR: could not get idle state.\n"
    return (phone.ui_dump() + "UI hierchary dumped to: /dev/tty\n").encode()


def _wm(phone: Phone, args: list[str]) -> bytes:
    if args[:1] != ["size"]:
        return b""
    if len(args) == 1:
        text = f"Physical size: {phone.width}x{phone.height}\n"
        if phone.override:
            text += f"Override size: {phone.override[0]}x{phone.override[1]}\n"
        return text.encode()
    if args[1] == "reset":
        phone.override = None
    else:
        w, h = args[1].lower().split("x")
        phone.override = (int(w), int(h))
    return b""


def _dumpsys(phone: Phone, args: list[str]) -> bytes:
    if args[:1] == ["window"]:
        app = phone.stack[-1]
        return f"  mCurrentFocus=Window{{4f1e u0 {app}/{app}.MainActivity}}\n".encode()
    if args[:1] == ["display"]:
        return b"  mCurrentOrientation=0\n"
    return b""


def _getprop(phone: Phone, args: list[str]) -> bytes:
    return {"ro.build.version.sdk": b"34\n"}.get(args[0] if args else "", b"\n")


def _settings(phone: Phone, args: list[str]) -> bytes:
    if args == ["get", "secure", "default_input_method"]:
        return f"{phone.ime}\n".encode()
    return b"\n"


def _ime(phone: Phone, args: list[str]) -> bytes:
    installed = [LATIN_IME] + ([ADB_KEYBOARD] if phone.adb_keyboard_installed else [])
    if args[:1] == ["list"]:
        return "".join(f"{i}\n" for i in installed).encode()
    if args[:1] in (["set"], ["enable"]) and len(args) == 2:
        if args[1] not in installed:
            return f"Unknown input method {args[1]} cannot be selected for user #0\n".encode()
        if args[0] == "set":
            phone.ime = args[1]
            return f"Input method {args[1]} selected for user #0\n".encode()
        return f"Input method {args[1]}: already enabled for user #0\n".encode()
    return b""


def _am(phone: Phone, args: list[str]) -> bytes:
    if args[:1] == ["start"] and "-n" in args:
        phone.open_app(args[args.index("-n") + 1].split("/")[0])
        return b"Starting: Intent { cmp=... }\n"
    if args[:3] == ["broadcast", "-a", "ADB_INPUT_B64"] and args[3:4] == ["--es"]:
        # ADBKeyBoard types the broadcast's text only while it is the input method.
        if phone.ime == ADB_KEYBOARD and len(args) >= 6 and args[4] == "msg":
            phone.type_text(base64.b64decode(args[5]).decode("utf-8"))
        return (
            b"Broadcasting: Intent { act=ADB_INPUT_B64 flg=0x400000 (has extras) }\n"
            b"Broadcast completed: result=0\n"
        )
    return b""


def _monkey(phone: Phone, args: list[str]) -> bytes:
    if "-p" in args:
        package = args[args.index("-p") + 1]
        if package not in PACKAGES:
            return b"** No activities found to run, monkey aborted.\n"
        phone.open_app(package)
        return b"Events injected: 1\n"
    return b""


def _input(phone: Phone, args: list[str]) -> bytes:
    if not args:
        return b"Usage: input [<source>] <command> [<arg>...]\n"
    command, rest = args[0], args[1:]
    if command == "tap" and len(rest) >= 2:
        phone.tap(*_physical(phone, float(rest[0]), float(rest[1])))
    elif command == "swipe" and len(rest) >= 4:
        x1, y1 = _physical(phone, float(rest[0]), float(rest[1]))
        x2, y2 = _physical(phone, float(rest[2]), float(rest[3]))
        phone.swipe(x1, y1, x2, y2)
    elif command == "keyevent":
        for key in rest:
            phone.press_key(key)
    elif command == "text" and rest:
        text = rest[0]  # only the first argument counts
        if not text.isascii():
            return _NPE.encode()
        phone.type_text(text.replace("%s", " "))
    return b""


def _getevent(phone: Phone, args: list[str]) -> bytes:
    """`getevent -p` (or -i) describes the input devices and exits. A streaming getevent run
    here, where output is answered whole, prints what it prints before its first event."""
    options = getevent_options(args)
    if isinstance(options, str):
        return options.encode()
    return phone.input_devices.describe(options).encode()


def _physical(phone: Phone, x: float, y: float) -> tuple[float, float]:
    """Touch coordinates (the `wm size` override's frame) as physical display pixels."""
    if phone.override is None:
        return x, y
    return x * phone.width / phone.override[0], y * phone.height / phone.override[1]


#: Program name (the last part of its path) -> what it does.
COMMANDS: dict[str, Command] = {
    "screencap": _screencap,
    "uiautomator": _uiautomator,
    "wm": _wm,
    "dumpsys": _dumpsys,
    "getprop": _getprop,
    "settings": _settings,
    "ime": _ime,
    "am": _am,
    "monkey": _monkey,
    "input": _input,
    "getevent": _getevent,
}

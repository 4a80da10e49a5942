"""A simulated Android phone: enough of a real one to test the Android device against.

It answers the command lines a phone's shell gets over adb (`screencap`, `uiautomator dump`,
`wm size`, `dumpsys`, `ime`, `settings`, `am`, `monkey`, `input ...`) the way a phone does,
including the awkward parts: `input text` uses only its first argument, turns `%s` into a
space and crashes on non-ASCII; the uiautomator dump ends with its trailer on the same line,
leaves out the navigation bar, and a WebView screen has an empty tree. Its screen is drawn
with Pillow and changes as it is tapped, swiped and typed into. Every command line it gets
is recorded verbatim, and anything its shell would have interpreted is recorded apart.

Apps: a launcher, a login screen (username, password, Sign in), Settings (a list of 20
switches, longer than the screen) and Notes (a WebView-like page with one note field).
"""

from __future__ import annotations

import base64
import io
import struct
from dataclasses import dataclass, field
from functools import cache
from xml.sax.saxutils import quoteattr

from PIL import Image, ImageDraw, ImageFont

from screenpilot.devices.phone_shell import split_command

LATIN_IME = "com.android.inputmethod.latin/.LatinIME"
ADB_KEYBOARD = "com.android.adbkeyboard/.AdbIME"
LAUNCHER, LOGIN, SETTINGS, NOTES = (
    "com.android.launcher3",
    "com.example.login",
    "com.android.settings",
    "com.example.notes",
)
SETTING_NAMES = [
    "Wi-Fi",
    "Bluetooth",
    "Airplane mode",
    "Mobile data",
    "Hotspot",
    "NFC",
    "Location",
    "Auto-rotate",
    "Dark theme",
    "Night light",
    "Battery saver",
    "Do not disturb",
    "Vibrate on tap",
    "Screen lock sound",
    "Notifications on lock screen",
    "Auto-update apps",
    "Usage statistics",
    "Backup",
    "Nearby share",
    "Developer options",
]
STATUS_BAR, NAV_BAR, ROW = 80, 126, 200
_NPE = (
    "Exception occurred while executing 'text':\n"
    "java.lang.NullPointerException: Attempt to get length of null array\n"
    "\tat android.view.KeyCharacterMap.getEvents(KeyCharacterMap.java)\n"
    "\tat com.android.server.input.InputShellCommand.sendText(InputShellCommand.java)\n"
)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


@dataclass
class Node:
    """One view of the current screen, in physical pixels."""

    cls: str
    bounds: tuple[int, int, int, int]
    text: str = ""
    rid: str = ""
    desc: str = ""
    clickable: bool = False
    checkable: bool = False
    checked: bool = False
    focusable: bool = False
    focused: bool = False
    scrollable: bool = False
    password: bool = False
    action: str = ""  # what a tap does: "focus:<field>", "toggle:<i>", "open:<pkg>", "login"


@dataclass
class SimulatedPhone:
    """The state of one simulated device; `handle()` answers one adb service request."""

    serial: str = "emulator-5554"
    width: int = 1080
    height: int = 2400
    adb_keyboard_installed: bool = True
    flaky_dumps: int = 0
    pty_crlf: bool = False
    override: tuple[int, int] | None = None
    commands: list[str] = field(default_factory=list)
    interpreted: list[str] = field(default_factory=list)
    # app state
    stack: list[str] = field(default_factory=lambda: [LOGIN])
    fields: dict[str, str] = field(
        default_factory=lambda: {"username": "", "password": "", "note": ""}
    )
    focus: str | None = None
    logged_in_as: str | None = None
    switches: list[bool] = field(default_factory=lambda: [i % 3 == 0 for i in range(20)])
    scroll: int = 0
    ime: str = LATIN_IME
    recents: bool = False

    # ------------------------------------------------------------------ adb services
    def handle(self, service: str) -> bytes:
        """Answer `shell:<cmd>` or `exec:<cmd>` as the device would (the output bytes)."""
        kind, _, line = service.partition(":")
        self.commands.append(line)
        parsed = split_command(line)
        self.interpreted.extend(f"{line!r}: {what}" for what in parsed.interpreted)
        out = self._run(parsed.words)
        if kind == "shell" and self.pty_crlf:
            out = out.replace(b"\n", b"\r\n")  # what a PTY did to binary output on old devices
        return out

    def _run(self, argv: list[str]) -> bytes:
        if not argv:
            return b""
        name, args = argv[0].rsplit("/", 1)[-1], argv[1:]
        handler = getattr(self, f"_cmd_{name}", None)
        if handler is None:
            return f"/system/bin/sh: {argv[0]}: inaccessible or not found\n".encode()
        result: bytes = handler(args)
        return result

    # ------------------------------------------------------------------ commands
    def _cmd_screencap(self, args: list[str]) -> bytes:
        image = self.screen_image()
        if "-p" in args:
            buffer = io.BytesIO()
            image.save(buffer, "PNG", compress_level=1)
            return buffer.getvalue()
        w, h = image.size  # raw: width, height, format (1 = RGBA_8888), colour space
        return struct.pack("<IIII", w, h, 1, 0) + image.convert("RGBA").tobytes()

    def _cmd_uiautomator(self, args: list[str]) -> bytes:
        if args[:1] != ["dump"]:
            return b"Usage: uiautomator dump [--compressed] [FILE]\n"
        if self.flaky_dumps > 0:
            self.flaky_dumps -= 1
            return b"ERROR: could not get idle state.\n"
        return (self.ui_dump() + "UI hierchary dumped to: /dev/tty\n").encode()

    def _cmd_wm(self, args: list[str]) -> bytes:
        if args[:1] != ["size"]:
            return b""
        if len(args) == 1:
            text = f"Physical size: {self.width}x{self.height}\n"
            if self.override:
                text += f"Override size: {self.override[0]}x{self.override[1]}\n"
            return text.encode()
        if args[1] == "reset":
            self.override = None
        else:
            w, h = args[1].lower().split("x")
            self.override = (int(w), int(h))
        return b""

    def _cmd_dumpsys(self, args: list[str]) -> bytes:
        if args[:1] == ["window"]:
            app = self.stack[-1]
            return f"  mCurrentFocus=Window{{4f1e u0 {app}/{app}.MainActivity}}\n".encode()
        if args[:1] == ["display"]:
            return b"  mCurrentOrientation=0\n"
        return b""

    def _cmd_getprop(self, args: list[str]) -> bytes:
        return {"ro.build.version.sdk": b"34\n"}.get(args[0] if args else "", b"\n")

    def _cmd_settings(self, args: list[str]) -> bytes:
        if args == ["get", "secure", "default_input_method"]:
            return f"{self.ime}\n".encode()
        return b"\n"

    def _cmd_ime(self, args: list[str]) -> bytes:
        installed = [LATIN_IME] + ([ADB_KEYBOARD] if self.adb_keyboard_installed else [])
        if args[:1] == ["list"]:
            return "".join(f"{i}\n" for i in installed).encode()
        if args[:1] in (["set"], ["enable"]) and len(args) == 2:
            if args[1] not in installed:
                return f"Unknown input method {args[1]} cannot be selected for user #0\n".encode()
            if args[0] == "set":
                self.ime = args[1]
                return f"Input method {args[1]} selected for user #0\n".encode()
            return f"Input method {args[1]}: already enabled for user #0\n".encode()
        return b""

    def _cmd_am(self, args: list[str]) -> bytes:
        if args[:1] == ["start"] and "-n" in args:
            self._open(args[args.index("-n") + 1].split("/")[0])
            return b"Starting: Intent { cmp=... }\n"
        if args[:3] == ["broadcast", "-a", "ADB_INPUT_B64"] and args[3:4] == ["--es"]:
            if self.ime == ADB_KEYBOARD and len(args) >= 6 and args[4] == "msg":
                self._type(base64.b64decode(args[5]).decode("utf-8"))
            return (
                b"Broadcasting: Intent { act=ADB_INPUT_B64 flg=0x400000 (has extras) }\n"
                b"Broadcast completed: result=0\n"
            )
        return b""

    def _cmd_monkey(self, args: list[str]) -> bytes:
        if "-p" in args:
            package = args[args.index("-p") + 1]
            if package not in (LAUNCHER, LOGIN, SETTINGS, NOTES):
                return b"** No activities found to run, monkey aborted.\n"
            self._open(package)
            return b"Events injected: 1\n"
        return b""

    def _cmd_input(self, args: list[str]) -> bytes:
        if not args:
            return b"Usage: input [<source>] <command> [<arg>...]\n"
        command, rest = args[0], args[1:]
        if command == "tap" and len(rest) >= 2:
            self._tap(*self._to_physical(float(rest[0]), float(rest[1])))
        elif command == "swipe" and len(rest) >= 4:
            x1, y1 = self._to_physical(float(rest[0]), float(rest[1]))
            x2, y2 = self._to_physical(float(rest[2]), float(rest[3]))
            self._swipe(x1, y1, x2, y2)
        elif command == "keyevent":
            for key in rest:
                self._key(key)
        elif command == "text" and rest:
            text = rest[0]  # only the first argument counts
            if not text.isascii():
                return _NPE.encode()
            self._type(text.replace("%s", " "))
        return b""

    # ------------------------------------------------------------------ behaviour
    def _to_physical(self, x: float, y: float) -> tuple[float, float]:
        if self.override is None:
            return x, y
        return x * self.width / self.override[0], y * self.height / self.override[1]

    def _open(self, package: str) -> None:
        self.recents = False
        self.focus = None
        if package != self.stack[-1]:
            self.stack.append(package)

    def _key(self, key: str) -> None:
        key = key.removeprefix("KEYCODE_")
        if key in ("BACK", "4"):
            if self.recents:
                self.recents = False
            elif len(self.stack) > 1:
                self.stack.pop()
            self.focus = None
        elif key in ("HOME", "3"):
            self.recents = False
            self._open(LAUNCHER)
        elif key in ("APP_SWITCH", "187"):
            self.recents = True
        elif key in ("ENTER", "66"):
            if self.focus == "note":
                self._type("\n")
        elif key in ("DEL", "67") and self.focus:
            self.fields[self.focus] = self.fields[self.focus][:-1]
        elif key in ("TAB", "61") and self.focus:
            self._type("\t")

    def _type(self, text: str) -> None:
        if self.focus is not None:
            self.fields[self.focus] += text

    def _tap(self, x: float, y: float) -> None:
        for node in reversed(self.nodes()):
            left, top, right, bottom = node.bounds
            if node.action and left <= x < right and top <= y < bottom:
                verb, _, arg = node.action.partition(":")
                if verb == "focus":
                    self.focus = arg
                elif verb == "toggle":
                    self.switches[int(arg)] = not self.switches[int(arg)]
                elif verb == "open":
                    self._open(arg)
                elif verb == "login" and self.fields["username"] and self.fields["password"]:
                    self.logged_in_as = self.fields["username"]
                return
        self.focus = None

    def _swipe(self, x1: float, y1: float, x2: float, y2: float) -> None:
        if self.stack[-1] == SETTINGS and not self.recents:
            top = STATUS_BAR + 180
            extent = len(SETTING_NAMES) * ROW - (self.height - NAV_BAR - top)
            self.scroll = int(min(max(self.scroll + (y1 - y2), 0), extent))

    # ------------------------------------------------------------------ the screen
    def nodes(self) -> list[Node]:
        """The views on screen now, in drawing order (physical pixels)."""
        w, bottom = self.width, self.height - NAV_BAR
        if self.recents:
            return [Node("android.widget.TextView", (0, 300, w, 420), "Recent apps")]
        app = self.stack[-1]
        if app == LAUNCHER:
            return [
                Node(
                    "android.widget.TextView",
                    (80 + i * 320, 400, 360 + i * 320, 520),
                    label,
                    desc=label,
                    clickable=True,
                    action=f"open:{pkg}",
                )
                for i, (label, pkg) in enumerate(
                    (("Login", LOGIN), ("Settings", SETTINGS), ("Notes", NOTES))
                )
            ]
        if app == LOGIN:
            user, password = self.fields["username"], self.fields["password"]
            nodes = [
                Node("android.widget.TextView", (60, 200, w - 60, 320), "Sign in"),
                Node("android.widget.TextView", (60, 420, w - 60, 490), "Username"),
                Node(
                    "android.widget.EditText",
                    (60, 500, w - 60, 640),
                    user or "Username",
                    rid=f"{LOGIN}:id/username",
                    clickable=True,
                    focusable=True,
                    focused=self.focus == "username",
                    action="focus:username",
                ),
                Node("android.widget.TextView", (60, 700, w - 60, 770), "Password"),
                Node(
                    "android.widget.EditText",
                    (60, 780, w - 60, 920),
                    "•" * len(password) or "Password",
                    rid=f"{LOGIN}:id/password",
                    clickable=True,
                    focusable=True,
                    focused=self.focus == "password",
                    password=True,
                    action="focus:password",
                ),
                Node(
                    "android.widget.Button",
                    (60, 1000, w - 60, 1140),
                    "Sign in",
                    rid=f"{LOGIN}:id/sign_in",
                    clickable=True,
                    action="login",
                ),
            ]
            if self.logged_in_as:
                nodes.append(
                    Node(
                        "android.widget.TextView",
                        (60, 1220, w - 60, 1320),
                        f"Welcome, {self.logged_in_as}",
                    )
                )
            return nodes
        if app == SETTINGS:
            top = STATUS_BAR + 180
            nodes = [
                Node(
                    "android.widget.TextView", (40, STATUS_BAR + 40, w - 40, top - 20), "Settings"
                ),
                Node(
                    "androidx.recyclerview.widget.RecyclerView",
                    (0, top, w, bottom),
                    rid=f"{SETTINGS}:id/list",
                    scrollable=True,
                ),
            ]
            for i, name in enumerate(SETTING_NAMES):
                y = top + i * ROW - self.scroll
                if y + ROW <= top or y >= bottom:
                    continue
                row = (0, max(y, top), w, min(y + ROW, bottom))
                nodes.append(
                    Node("android.widget.LinearLayout", row, clickable=True, action=f"toggle:{i}")
                )
                nodes.append(
                    Node(
                        "android.widget.TextView",
                        (60, row[1], 800, row[3]),
                        name,
                        rid="android:id/title",
                    )
                )
                nodes.append(
                    Node(
                        "android.widget.Switch",
                        (860, row[1], 1020, row[3]),
                        "ON" if self.switches[i] else "OFF",
                        rid="android:id/switch_widget",
                        checkable=True,
                        checked=self.switches[i],
                    )
                )
            return nodes
        # Notes: a web page. Its tree is one empty WebView; only its pixels tell.
        return [
            Node("android.widget.TextView", (60, 200, w - 60, 320), "Notes"),
            Node("android.widget.TextView", (60, 420, w - 60, 490), "Note"),
            Node(
                "android.webkit.WebView",
                (60, 500, w - 60, 660),
                self.fields["note"],
                clickable=False,
                action="focus:note",
            ),
        ]

    def screen_image(self) -> Image.Image:
        """What `screencap` captures (override size when `wm size` set one)."""
        image = self.render()
        if self.override is not None:
            image = image.resize(self.override)
        return image

    def render(self) -> Image.Image:
        image = Image.new("RGB", (self.width, self.height), (250, 250, 250))
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, self.width, STATUS_BAR), fill=(32, 33, 36))
        draw.text((40, 18), "12:00", font=_font(40), fill="white")
        draw.text((self.width - 160, 18), "100%", font=_font(40), fill="white")
        nav = self.height - NAV_BAR
        draw.rectangle((0, nav, self.width, self.height), fill=(32, 33, 36))
        for cx, shape in ((270, "back"), (540, "home"), (810, "recent")):
            cy = nav + NAV_BAR // 2
            if shape == "home":
                draw.ellipse((cx - 28, cy - 28, cx + 28, cy + 28), outline="white", width=5)
            elif shape == "recent":
                draw.rectangle((cx - 24, cy - 24, cx + 24, cy + 24), outline="white", width=5)
            else:
                draw.polygon([(cx + 24, cy - 28), (cx + 24, cy + 28), (cx - 24, cy)], fill="white")
        for node in self.nodes():
            self._draw(draw, node)
        return image

    def _draw(self, draw: ImageDraw.ImageDraw, node: Node) -> None:
        left, top, right, bottom = node.bounds
        cls = node.cls.rsplit(".", 1)[-1]
        if cls == "EditText":
            draw.rounded_rectangle(
                node.bounds,
                radius=16,
                outline=(26, 115, 232) if node.focused else (150, 150, 150),
                width=4,
                fill="white",
            )
            empty = node.text in ("Username", "Password")
            draw.text(
                (left + 30, top + 40),
                node.text,
                font=_font(52),
                fill=(150, 150, 150) if empty else (20, 20, 20),
            )
        elif cls == "Button":
            draw.rounded_rectangle(node.bounds, radius=24, fill=(26, 115, 232))
            draw.text(
                ((left + right) // 2, (top + bottom) // 2),
                node.text,
                font=_font(54),
                fill="white",
                anchor="mm",
            )
        elif cls == "Switch":
            cy, on = (top + bottom) // 2, node.checked
            draw.rounded_rectangle(
                (left + 20, cy - 30, right - 20, cy + 30),
                radius=30,
                fill=(26, 115, 232) if on else (189, 193, 198),
            )
            knob = right - 70 if on else left + 70
            draw.ellipse(
                (knob - 40, cy - 40, knob + 40, cy + 40),
                fill="white",
                outline=(120, 120, 120),
                width=2,
            )
        elif cls == "WebView":
            draw.rectangle(node.bounds, outline=(150, 150, 150), width=4, fill="white")
            lines = (node.text or "").split("\n")
            draw.text((left + 30, top + 45), lines[-1], font=_font(56), fill=(20, 20, 20))
        elif cls == "TextView" and node.text:
            size = 64 if node.text in ("Sign in", "Settings", "Notes") and top < 400 else 52
            draw.text(
                (left, (top + bottom) // 2),
                node.text,
                font=_font(size),
                fill=(20, 20, 20),
                anchor="lm",
            )
        elif cls == "LinearLayout":
            draw.line((0, bottom - 1, self.width, bottom - 1), fill=(225, 225, 225), width=2)

    def ui_dump(self) -> str:
        """The uiautomator XML of the current screen (without the trailer)."""
        sx = sy = 1.0
        if self.override is not None:
            sx, sy = self.override[0] / self.width, self.override[1] / self.height
        app = LAUNCHER if self.recents else self.stack[-1]

        def attrs(node: Node, index: int) -> str:
            left, top, right, bottom = node.bounds
            box = (
                f"[{round(left * sx)},{round(top * sy)}][{round(right * sx)},{round(bottom * sy)}]"
            )
            values = {
                "index": str(index),
                "text": node.text,
                "resource-id": node.rid,
                "class": node.cls,
                "package": app,
                "content-desc": node.desc,
                "checkable": node.checkable,
                "checked": node.checked,
                "clickable": node.clickable,
                "enabled": True,
                "focusable": node.focusable,
                "focused": node.focused,
                "scrollable": node.scrollable,
                "long-clickable": False,
                "password": node.password,
                "selected": False,
                "bounds": box,
            }
            return " ".join(
                f"{k}={quoteattr(str(v).lower() if isinstance(v, bool) else str(v))}"
                for k, v in values.items()
            )

        if app == NOTES:  # a WebView's content is not in the tree
            children: list[Node] = []
            webview = [
                Node("android.webkit.WebView", (0, STATUS_BAR, self.width, self.height - NAV_BAR))
            ]
        else:
            children = self.nodes()
            webview = []
        # The tree stops above the navigation bar, which the screenshot still shows.
        root = Node("android.widget.FrameLayout", (0, 0, self.width, self.height - NAV_BAR))
        inner = "".join(f"<node {attrs(n, i)} />" for i, n in enumerate(children))
        inner += "".join(f"<node {attrs(n, len(children))} />" for n in webview)
        return (
            "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
            f'<hierarchy rotation="0"><node {attrs(root, 0)}>{inner}</node></hierarchy>'
        )

"""The simulated phone's apps: which screen is open, the views on it, and what a tap, a swipe,
a key or typed text does to them.

Apps: a launcher, a login screen (username, password, Sign in; a status `banner` above it
pushes the whole form down, so a replay that remembered points instead of words misses),
Settings (a list of 20 switches, longer than the screen) and Notes (a WebView-like page with
one note field). The navigation bar's three buttons (Back, Home, Recents) answer taps. All
positions are physical pixels of the display; turning touch coordinates into them is the
shell's business (`phone_commands`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

LATIN_IME = "com.android.inputmethod.latin/.LatinIME"
ADB_KEYBOARD = "com.android.adbkeyboard/.AdbIME"
LAUNCHER, LOGIN, SETTINGS, NOTES = (
    "com.android.launcher3",
    "com.example.login",
    "com.android.settings",
    "com.example.notes",
)
PACKAGES = (LAUNCHER, LOGIN, SETTINGS, NOTES)
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
#: How far a login banner pushes the form down (physical pixels).
BANNER = 240


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


@dataclass(kw_only=True)
class PhoneApps:
    """The apps' state on a `width` x `height` display, and the input that changes it."""

    width: int = 1080
    height: int = 2400
    stack: list[str] = field(default_factory=lambda: [LOGIN])
    fields: dict[str, str] = field(
        default_factory=lambda: {"username": "", "password": "", "note": ""}
    )
    focus: str | None = None
    logged_in_as: str | None = None
    switches: list[bool] = field(default_factory=lambda: [i % 3 == 0 for i in range(20)])
    scroll: int = 0
    recents: bool = False
    banner: str = ""

    # ------------------------------------------------------------------ input
    def open_app(self, package: str) -> None:
        """Bring `package` to the front (the recents screen closes, focus is lost)."""
        self.recents = False
        self.focus = None
        if package != self.stack[-1]:
            self.stack.append(package)

    def press_key(self, key: str) -> None:
        """A key event, by name (`KEYCODE_BACK` or `BACK`) or by number (`4`)."""
        key = key.removeprefix("KEYCODE_")
        if key in ("BACK", "4"):
            if self.recents:
                self.recents = False
            elif len(self.stack) > 1:
                self.stack.pop()
            self.focus = None
        elif key in ("HOME", "3"):
            self.recents = False
            self.open_app(LAUNCHER)
        elif key in ("APP_SWITCH", "187"):
            self.recents = True
        elif key in ("ENTER", "66"):
            if self.focus == "note":
                self.type_text("\n")
        elif key in ("DEL", "67") and self.focus:
            self.fields[self.focus] = self.fields[self.focus][:-1]
        elif key in ("TAB", "61") and self.focus:
            self.type_text("\t")

    def type_text(self, text: str) -> None:
        """Text into the focused field; without one it goes nowhere."""
        if self.focus is not None:
            self.fields[self.focus] += text

    def tap(self, x: float, y: float) -> None:
        """A tap at physical pixel (x, y): a navigation bar button presses its key; else the
        topmost view there with an action does it; a tap on nothing takes the focus away."""
        if y >= self.height - NAV_BAR:
            third = min(int(3 * x / self.width), 2)
            self.press_key(("BACK", "HOME", "APP_SWITCH")[third])
            return
        for node in reversed(self.nodes()):
            left, top, right, bottom = node.bounds
            if node.action and left <= x < right and top <= y < bottom:
                verb, _, arg = node.action.partition(":")
                if verb == "focus":
                    self.focus = arg
                elif verb == "toggle":
                    self.switches[int(arg)] = not self.switches[int(arg)]
                elif verb == "open":
                    self.open_app(arg)
                elif verb == "login" and self.fields["username"] and self.fields["password"]:
                    self.logged_in_as = self.fields["username"]
                return
        self.focus = None

    def swipe(self, x1: float, y1: float, x2: float, y2: float) -> None:
        """A swipe between physical pixels; only the Settings list scrolls."""
        if self.stack[-1] == SETTINGS and not self.recents:
            top = STATUS_BAR + 180
            extent = len(SETTING_NAMES) * ROW - (self.height - NAV_BAR - top)
            self.scroll = int(min(max(self.scroll + (y1 - y2), 0), extent))

    # ------------------------------------------------------------------ the views
    def nodes(self) -> list[Node]:
        """The views on screen now, in drawing order (physical pixels)."""
        if self.recents:
            return [Node("android.widget.TextView", (0, 300, self.width, 420), "Recent apps")]
        app = self.stack[-1]
        if app == LAUNCHER:
            return self._launcher()
        if app == LOGIN:
            return self._login()
        if app == SETTINGS:
            return self._settings()
        return self._notes()

    def _launcher(self) -> list[Node]:
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

    def _login(self) -> list[Node]:
        w, down = self.width, BANNER if self.banner else 0
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
        for node in nodes:
            left, top, right, bottom = node.bounds
            node.bounds = (left, top + down, right, bottom + down)
        if self.banner:
            banner = (60, STATUS_BAR + 20, w - 60, STATUS_BAR + BANNER - 20)
            nodes.insert(0, Node("android.widget.TextView", banner, self.banner))
        return nodes

    def _settings(self) -> list[Node]:
        w, bottom = self.width, self.height - NAV_BAR
        top = STATUS_BAR + 180
        nodes = [
            Node("android.widget.TextView", (40, STATUS_BAR + 40, w - 40, top - 20), "Settings"),
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

    def _notes(self) -> list[Node]:
        # A web page. Its uiautomator tree is one empty WebView (see phone_screen); only its
        # pixels tell what it holds.
        w = self.width
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

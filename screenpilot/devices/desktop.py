"""The Linux/X desktop as a device: mss screenshots, pyautogui input, xclip for Unicode text,
AT-SPI elements when an accessibility bus is there (switched on for programs started later),
and `open_app` through the desktop's own application entries (`desktop_apps`: found by id or
name, started with gtk-launch or their Exec line, their window waited for).

pyautogui and mss are imported when a `Desktop` is made, not when this module is imported,
so that `import screenpilot` works without a display. pyautogui's fail-safe stays on (a
person can abort by slamming the pointer into a corner); our own targets are kept off the
corners by the geometry, so the fail-safe only ever fires for a person.
"""

from __future__ import annotations

import logging
import os
import time
import unicodedata
from typing import Any

import numpy as np

from screenpilot.devices import a11y_bus, desktop_apps
from screenpilot.devices.a11y_windows import arrange, match_window
from screenpilot.devices.atspi import AccessibilityReader, load_pyatspi
from screenpilot.devices.protocol import Direction, SystemButtonName, UnsupportedActionError
from screenpilot.devices.x11_clipboard import Clipboard
from screenpilot.devices.x11_typing import UntypableError, press_chord, type_ascii
from screenpilot.devices.x11_windows import ActiveWindow, active_window
from screenpilot.errors import DeviceLostError, ScreenpilotError
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import Rect, ScreenBox, ScreenGeometry, ScreenPoint
from screenpilot.perception.screenshot import Screenshot

log = logging.getLogger(__name__)

# Canonical key names (actions/keys.py) that pyautogui spells differently.
_PYAUTOGUI_KEYS = {
    "super": "winleft", "escape": "esc", "menu": "apps", "printscreen": "printscreen",
    "playpause": "playpause", "nexttrack": "nexttrack", "prevtrack": "prevtrack",
}  # fmt: skip
#: How long a paste may take the application to fetch the clipboard.
PASTE_TIMEOUT = 1.0
#: Time between the pointer reaching a drag's start and the button going down.
_SETTLE = 0.05


class DesktopError(ScreenpilotError):
    """The desktop cannot be used: no display, no X server, a missing helper, a bad target."""


class XServerLostError(DesktopError, DeviceLostError):
    """The X server went away (or stopped answering) while the desktop was in use."""


def require_display() -> str:
    """The `DISPLAY` in use, once an X server answers there; else a DesktopError saying why."""
    display = os.environ.get("DISPLAY")
    if not display:
        raise DesktopError(
            "no DISPLAY is set: run inside an X session, or start a virtual one "
            "(`Xvfb :99 -screen 0 1920x1080x24 & export DISPLAY=:99`)"
        )
    try:
        from Xlib import display as xdisplay
        from Xlib.error import DisplayError

        xdisplay.Display(display).close()
    except DisplayError as error:
        raise DesktopError(f"cannot reach the X server at DISPLAY={display}: {error}") from None
    except ImportError:
        raise DesktopError(
            "the desktop extra is not installed: pip install 'screenpilot[desktop]'"
        ) from None
    return display


def _bind_pyautogui(pyautogui: Any, display: str) -> None:
    """Point pyautogui at `display`.

    pyautogui opens its X connection (and computes its fail-safe corners) once, at import,
    from the DISPLAY of that moment; a later Desktop on another display would otherwise
    send its clicks to the first one.
    """
    x11 = getattr(pyautogui, "_pyautogui_x11", None)
    if x11 is None or x11._display.get_display_name() == display:
        return
    from Xlib import display as xdisplay

    x11._display = xdisplay.Display(display)
    width, height = x11._size()
    pyautogui.FAILSAFE_POINTS[:] = [
        (0, 0),
        (0, height - 1),
        (width - 1, 0),
        (width - 1, height - 1),
    ]


class Desktop:
    """One monitor (or all of them) of an X display.

    `monitor` follows mss: 0 is the union of all monitors, 1.. each monitor. `region`, in
    pixels of that monitor, limits what screenshots show. `accessibility` reads AT-SPI
    elements when a D-Bus session with pyatspi is available, and switches the session's
    accessibility on (`a11y_bus.switch_on`) so that programs started afterwards expose theirs.
    """

    def __init__(
        self,
        monitor: int = 1,
        *,
        region: Rect | None = None,
        accessibility: bool = True,
    ) -> None:
        self.display = require_display()
        try:
            import mss
            import pyautogui
        except ImportError as error:
            raise DesktopError(
                f"the desktop extra is not installed ({error.name} is missing): "
                "pip install 'screenpilot[desktop]'"
            ) from None
        pyautogui.PAUSE = 0  # the default sleeps 0.1 s after every call
        pyautogui.FAILSAFE = True
        _bind_pyautogui(pyautogui, self.display)
        self._gui = pyautogui
        self._mss = mss.MSS(display=self.display)
        monitors = self._mss.monitors
        if not 0 <= monitor < len(monitors):
            self._mss.close()
            raise DesktopError(
                f"there is no monitor {monitor}: this display has {len(monitors) - 1} "
                "(0 means all of them)"
            )
        self._monitors = [dict(m) for m in monitors]
        area = monitors[monitor]
        screen = Rect(
            left=area["left"], top=area["top"], width=area["width"], height=area["height"]
        )
        self._grab = {
            "left": screen.left,
            "top": screen.top,
            "width": screen.width,
            "height": screen.height,
        }
        self._geometry = ScreenGeometry.for_screen(
            screen.width, screen.height, left=screen.left, top=screen.top
        )
        if region is not None:
            self._geometry = ScreenGeometry(
                screen=screen, capture=screen.size, crop=region, image=region.size
            )
        self._clipboard: Clipboard | None = None
        self._x: Any = None  # python-xlib connection for window queries, opened when asked
        #: What switching accessibility on found (None with `accessibility=False`).
        self.accessibility_status = a11y_bus.switch_on() if accessibility else None
        pyatspi = load_pyatspi() if accessibility else None
        self._a11y = AccessibilityReader(pyatspi) if pyatspi is not None else None

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Release the screen grabber and end any helper process (xclip)."""
        if self._clipboard is not None:
            self._clipboard.close()
        if self._x is not None:
            self._x.close()
            self._x = None
        self._mss.close()

    def __enter__(self) -> Desktop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ seeing
    @property
    def geometry(self) -> ScreenGeometry:
        return self._geometry

    @property
    def has_accessibility(self) -> bool:
        return self._a11y is not None

    def screenshot(self) -> Screenshot:
        """The chosen monitor (cropped to the region, if any) as RGB pixels."""
        try:
            shot = self._mss.grab(self._grab)
        except Exception as error:  # mss raises its own ScreenShotError, Xlib others
            raise XServerLostError(
                f"cannot capture the screen of DISPLAY={self.display}: {error}"
            ) from None
        # Kept as mss delivers it (BGRA); Screenshot.pixels converts to RGB when asked.
        bgra = np.frombuffer(shot.raw, dtype=np.uint8).reshape(shot.height, shot.width, 4)
        crop = self._geometry.crop
        if crop is not None:
            bgra = bgra[crop.top : crop.top + crop.height, crop.left : crop.left + crop.width]
        return Screenshot(raw=bgra, geometry=self._geometry, taken_at=time.time(), layout="BGRA")

    def elements(self) -> list[Element]:
        """Accessibility elements inside the captured area (empty without AT-SPI).

        Those of the active window carry the state 'active-window': AT-SPI's STATE_ACTIVE
        says which, or, when no window has it, the X active window does. A modal dialog hides
        the other windows of its application.
        """
        if self._a11y is None:
            return []
        read = self._a11y.read()
        fallback = None
        if read.windows and not any(w.active for w in read.windows):
            x = self._active_window()
            if x is not None:
                fallback = match_window(read.windows, pid=x.pid, title=x.title, box=x.box)
        shown = self._geometry.shown_box
        return [e for e in arrange(read, fallback) if shown.contains(e.box.center)]

    def forget_elements(self) -> None:
        """The next `elements()` reads the accessibility tree afresh, nothing taken from
        the last read (see `devices.a11y_cache`)."""
        if self._a11y is not None:
            self._a11y.forget()

    def active_window_box(self) -> ScreenBox | None:
        """The client area of the X active window (`_NET_ACTIVE_WINDOW`) in the screen frame,
        or None when the window manager names none."""
        x = self._active_window()
        return x.box if x is not None else None

    def pointer_position(self) -> ScreenPoint | None:
        """Where the X pointer is, in the screen frame (None when it is off this monitor)."""
        x, y = self._gui.position()
        point = ScreenPoint(x=float(x), y=float(y))
        return point if self._geometry.screen_box.contains(point) else None

    def active_window(self) -> ActiveWindow | None:
        """The X active window (its title and client area), or None when none is named."""
        return self._active_window()

    def _active_window(self) -> ActiveWindow | None:
        from Xlib import display as xdisplay
        from Xlib.error import ConnectionClosedError, DisplayError

        try:
            if self._x is None:
                self._x = xdisplay.Display(self.display)
            return active_window(self._x)
        except (DisplayError, ConnectionClosedError, OSError) as error:
            raise XServerLostError(
                f"lost the X server at DISPLAY={self.display}: {error}"
            ) from None

    # ------------------------------------------------------------------ acting
    def move(self, point: ScreenPoint) -> None:
        x, y = self._place(point)
        self._input(self._gui.moveTo, x, y)

    def click(self, point: ScreenPoint | None, button: str = "left", count: int = 1) -> None:
        # pyautogui sleeps `interval` after every click, the last one too: only multi-clicks
        # need the gap.
        gap = 0.05 if count > 1 else 0.0
        if point is None:
            self._input(self._gui.click, clicks=count, interval=gap, button=button)
            return
        x, y = self._place(point)
        self._input(self._gui.click, x, y, clicks=count, interval=gap, button=button)

    def long_press(self, point: ScreenPoint, seconds: float) -> None:
        x, y = self._place(point)
        self._input(self._gui.moveTo, x, y)
        self._input(self._gui.mouseDown, button="left")
        try:
            time.sleep(seconds)
        finally:
            self._input(self._gui.mouseUp, button="left")

    def drag(
        self, start: ScreenPoint | None, end: ScreenPoint, seconds: float | None = None
    ) -> None:
        if start is not None:
            self._input(self._gui.moveTo, *self._place(start))
            time.sleep(_SETTLE)
        x, y = self._place(end)
        self._input(self._gui.mouseDown, button="left")
        try:
            self._input(self._gui.moveTo, x, y, duration=0.3 if seconds is None else seconds)
        finally:
            self._input(self._gui.mouseUp, button="left")

    def scroll(self, direction: Direction, amount: int, at: ScreenPoint | None = None) -> None:
        where: dict[str, Any] = {}
        if at is not None:
            where["x"], where["y"] = self._place(at)
        if direction in ("up", "down"):
            self._input(self._gui.scroll, amount if direction == "up" else -amount, **where)
        else:
            self._input(self._gui.hscroll, amount if direction == "right" else -amount, **where)

    def key(self, keys: list[str]) -> None:
        """Press a chord (canonical key names, see actions/keys.py)."""
        x11 = getattr(self._gui, "_pyautogui_x11", None)
        if x11 is not None:
            try:
                # XTEST straight away: pyautogui's hotkey sleeps between keys and checks
                # the pointer on every one (~140 ms a chord).
                self._input(press_chord, x11._display, keys)
                return
            except UntypableError:
                pass  # a key this keyboard map lacks: pyautogui may know another way
        names = [_PYAUTOGUI_KEYS.get(k, k) for k in keys]
        unknown = [k for k in names if k not in self._gui.KEYBOARD_KEYS]
        if unknown:
            raise DesktopError(f"this desktop has no key {unknown[0]!r}")
        self._input(self._gui.hotkey, *names, interval=0.02)

    def type_text(self, text: str) -> None:
        """Type any text: keystrokes for ASCII (by the server's own keyboard map, see
        `x11_typing`: pyautogui's guess typed `<` as `>`), a clipboard paste for the rest.

        The user's clipboard is put back afterwards (served by one xclip child until
        `close()`).
        """
        bad = sorted({repr(c) for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"})
        if bad:
            raise DesktopError(f"refusing to type control characters {', '.join(bad)}")
        if text.isascii():
            x11 = getattr(self._gui, "_pyautogui_x11", None)
            if x11 is None:
                self._input(self._gui.write, text)
            else:
                try:
                    self._input(type_ascii, x11._display, text)
                except UntypableError as error:
                    raise DesktopError(str(error)) from None
            return
        if self._clipboard is None:
            self._clipboard = Clipboard()
        previous = self._clipboard.read()
        self._clipboard.offer(text.encode("utf-8"))
        self.key(["ctrl", "v"])
        # The application fetches the selection after the keystroke: the user's content
        # goes back once it has, or after a bound.
        if not self._clipboard.taken(timeout=PASTE_TIMEOUT):
            log.debug("no program fetched the pasted text within %s s", PASTE_TIMEOUT)
        if previous:
            self._clipboard.own(previous)
        else:
            self._clipboard.release()

    def system_button(self, button: SystemButtonName) -> None:
        """Enter is a key; Back is what browsers and file managers bind to Alt+Left.
        A desktop has no Home or Recents button."""
        if button == "enter":
            self.key(["enter"])
        elif button == "back":
            self.key(["alt", "left"])
        else:
            raise UnsupportedActionError(f"a desktop has no {button} button")

    def open_app(self, app: str, *, timeout: float = desktop_apps.WINDOW_TIMEOUT) -> None:
        """Start the application `app` names (.desktop id or Name, see `desktop_apps`) on this
        display and return once a new window of it shows. It stays open after `close()`."""
        env = {**os.environ, "DISPLAY": self.display}
        window = desktop_apps.open_application(app, env=env, timeout=timeout)
        log.info("%s opened: window %s", app, window)

    # ------------------------------------------------------------------ internals
    def _place(self, point: ScreenPoint) -> tuple[int, int]:
        """Whole input coordinates for a point, refusing points outside every monitor and
        keeping points off the captured screen's corners."""
        inside = any(
            m["left"] <= point.x < m["left"] + m["width"]
            and m["top"] <= point.y < m["top"] + m["height"]
            for m in self._monitors[1:] or self._monitors
        )
        if not inside:
            raise DesktopError(
                f"({point.x:g}, {point.y:g}) is outside every monitor of DISPLAY={self.display}"
            )
        if self._geometry.screen_box.contains(point):
            point = self._geometry.guard(point)
        return round(point.x), round(point.y)

    def _input(self, call: Any, *args: Any, **kwargs: Any) -> None:
        try:
            call(*args, **kwargs)
        except self._gui.FailSafeException:
            raise DesktopError(
                "stopped by pyautogui's fail-safe: the pointer was pushed into a screen corner"
            ) from None
        except (OSError, ConnectionError) as error:
            raise XServerLostError(
                f"lost the X server at DISPLAY={self.display}: {error}"
            ) from None
        except Exception as error:
            if type(error).__module__.startswith("Xlib"):
                raise XServerLostError(
                    f"lost the X server at DISPLAY={self.display}: {error}"
                ) from None
            raise

"""The X active window: which one the window manager says has the focus, where it is on the
root window, and which process owns it (EWMH properties read with python-xlib)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from screenpilot.perception.geometry import ScreenBox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActiveWindow:
    """The window `_NET_ACTIVE_WINDOW` names."""

    xid: int
    box: ScreenBox  # the client area (no decorations), in root = screen coordinates
    pid: int | None  # _NET_WM_PID, when the program set it
    title: str  # _NET_WM_NAME, else WM_NAME


def active_window(display: Any) -> ActiveWindow | None:
    """The active window of an open python-xlib `Display`, or None when the window manager
    names none (no EWMH window manager, nothing focused) or the window just went away."""
    from Xlib import X
    from Xlib.error import XError

    root = display.screen().root
    try:
        prop = root.get_full_property(display.intern_atom("_NET_ACTIVE_WINDOW"), X.AnyPropertyType)
        xid = int(prop.value[0]) if prop is not None and len(prop.value) else 0
        if not xid:
            return None
        window = display.create_resource_object("window", xid)
        geometry = window.get_geometry()
        # The geometry is relative to the window manager's frame around the client; where its
        # origin lies on the root window is a translation away.
        origin = root.translate_coords(window, 0, 0)
        pid_prop = window.get_full_property(display.intern_atom("_NET_WM_PID"), X.AnyPropertyType)
        name = window.get_full_property(
            display.intern_atom("_NET_WM_NAME"), display.intern_atom("UTF8_STRING")
        )
        if name is not None:
            raw = name.value
            title = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        else:
            title = str(window.get_wm_name() or "")
    except XError as error:  # the window closed between two requests
        log.debug("no active window: %s", error)
        return None
    pid = int(pid_prop.value[0]) if pid_prop is not None and len(pid_prop.value) else None
    return ActiveWindow(
        xid=xid,
        box=ScreenBox(
            x1=origin.x,
            y1=origin.y,
            x2=origin.x + geometry.width - 1,
            y2=origin.y + geometry.height - 1,
        ),
        pid=pid,
        title=title,
    )

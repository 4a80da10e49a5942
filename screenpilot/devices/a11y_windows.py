"""Which window an accessibility element belongs to, which window is active, and what a modal
dialog hides. Pure functions over what the AT-SPI reader found, so they test without a desktop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from screenpilot.perception.elements import Element, numbered
from screenpilot.perception.geometry import ScreenBox

#: Top-level roles of transient popups (GTK menus and combo lists are top-level "window"s).
#: They belong to whichever window of their application opened them: a modal dialog does not
#: hide them, and they share the active window's mark.
POPUP_ROLES = frozenset({"window", "popup menu", "menu", "tool tip"})
#: Top-level roles that sit in front of their application's other windows.
DIALOG_ROLES = frozenset({"dialog", "alert", "file chooser", "color chooser", "font chooser"})
ACTIVE = "active-window"


@dataclass(frozen=True)
class Window:
    """One top-level accessible of an application (a frame, a dialog, a Qt top-level widget)."""

    id: str  # f"{app name}:{pid}/{index among the application's children}"
    app: str  # f"{app name}:{pid}"
    pid: int
    role: str  # AT-SPI's role name
    name: str
    box: ScreenBox | None
    active: bool  # AT-SPI's STATE_ACTIVE
    modal: bool  # AT-SPI's STATE_MODAL


@dataclass(frozen=True)
class TreeRead:
    """One read of the desktop's accessibility tree, before arrangement."""

    windows: tuple[Window, ...]
    elements: tuple[Element, ...]  # each carries its window's id
    #: Accessibles visited (walked nodes plus Collection matches); MAX_NODES bounds it per
    #: window.
    nodes: int = 0
    #: Accessibles whose properties were asked of their application this read (the rest came
    #: from the reader's cache, see `a11y_cache`).
    asked: int = 0


def window_id(app_name: str, pid: int, index: int) -> str:
    return f"{app_name}:{pid}/{index}"


def arrange(read: TreeRead, active: str | None = None) -> list[Element]:
    """The elements worth showing, numbered `a11y-0`, ... in reading order.

    The active window is the one AT-SPI marks STATE_ACTIVE, else `active` (a window id found
    another way, e.g. from X). Its elements, and those of its application's popups, get the
    state 'active-window'. A modal dialog hides the other windows of its application: they
    cannot take input while it is up.
    """
    current = next((w for w in read.windows if w.active), None)
    if current is None and active is not None:
        current = next((w for w in read.windows if w.id == active), None)
    hidden = covered(read.windows, current)
    marked: set[str] = set()
    if current is not None:
        marked = {
            w.id
            for w in read.windows
            if w.id == current.id or (w.app == current.app and w.role in POPUP_ROLES)
        }
    kept: list[Element] = []
    for element in read.elements:
        if element.window in hidden:
            continue
        if element.window in marked:
            element = element.model_copy(update={"states": element.states | {ACTIVE}})
        kept.append(element)
    return numbered(kept, "a11y")


def covered(windows: Iterable[Window], current: Window | None) -> set[str]:
    """Ids of the windows a dialog hides: every other non-popup window of its application.

    The dialog is the active window when it is modal, or a dialog while its application has
    another window; failing that, the newest modal window of the application (a modal dialog
    blocks its application even while another program has the focus).
    """
    by_app: dict[str, list[Window]] = {}
    for w in windows:
        if w.role not in POPUP_ROLES:
            by_app.setdefault(w.app, []).append(w)
    hidden: set[str] = set()
    for app, group in by_app.items():
        if len(group) < 2:
            continue
        blocker: Window | None = None
        if (
            current is not None
            and current.app == app
            and current.role not in POPUP_ROLES
            and (current.modal or current.role in DIALOG_ROLES)
        ):
            blocker = current
        if blocker is None:
            modal = [w for w in group if w.modal]
            blocker = modal[-1] if modal else None
        if blocker is not None:
            hidden |= {w.id for w in group if w.id != blocker.id}
    return hidden


def _overlap(a: ScreenBox, b: ScreenBox) -> float:
    """Intersection over union of two boxes (0 when apart)."""
    w = min(a.x2, b.x2) - max(a.x1, b.x1) + 1
    h = min(a.y2, b.y2) - max(a.y1, b.y1) + 1
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    area = (a.width + 1) * (a.height + 1) + (b.width + 1) * (b.height + 1) - inter
    return inter / area


def match_window(
    windows: Iterable[Window], *, pid: int | None, title: str, box: ScreenBox
) -> str | None:
    """The id of the accessible window that is this X window (same process when the X window
    names one, then the same title or mostly the same area), or None."""
    best: tuple[float, str] | None = None
    for w in windows:
        if w.role in POPUP_ROLES or w.box is None or (pid is not None and w.pid != pid):
            continue
        score = _overlap(w.box, box) + (1.0 if title and w.name == title else 0.0)
        if best is None or score > best[0]:
            best = (score, w.id)
    # A title match counts 1; a bare area match must cover most of the window.
    return best[1] if best is not None and best[0] >= 0.6 else None

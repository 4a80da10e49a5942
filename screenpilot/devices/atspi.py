"""Elements from the AT-SPI accessibility tree (GTK, Qt, Chromium with accessibility on).

pyatspi is not on PyPI; it comes from Debian (python3-pyatspi, gir1.2-atspi-2.0,
at-spi2-core). From a virtual environment we look for it in Debian's dist-packages, added at
the *end* of the import path so the environment's own packages still win. Applications must
run in the same D-Bus session as the reader.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from screenpilot.perception.elements import Element, Role, numbered
from screenpilot.perception.geometry import ScreenBox

log = logging.getLogger(__name__)

_DEBIAN_PACKAGES = "/usr/lib/python3/dist-packages"

_ROLES: dict[str, Role] = {
    "push button": "button", "toggle button": "button", "button": "button",
    "check box": "checkbox", "check menu item": "checkbox", "switch": "checkbox",
    "radio button": "radio", "radio menu item": "radio",
    "text": "entry", "entry": "entry", "password text": "entry", "spin button": "entry",
    "editbar": "entry", "search box": "entry",
    "combo box": "combo", "list box": "combo",
    "label": "text", "static": "text", "heading": "text", "paragraph": "text",
    "caption": "text",
    "link": "link", "menu item": "menu", "menu": "menu", "page tab": "tab",
    "frame": "window", "dialog": "window", "window": "window",
}  # fmt: skip
_STATES = ("checked", "focused", "editable", "enabled", "sensitive", "selected", "checkable")
#: Reading stops after this many nodes, so a huge web page cannot stall a step.
MAX_NODES = 3000


def load_pyatspi() -> Any | None:
    """The pyatspi module, or None when it is not installed or no session bus is there."""
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    try:
        import pyatspi
    except ImportError:
        if not os.path.isdir(_DEBIAN_PACKAGES) or _DEBIAN_PACKAGES in sys.path:
            return None
        sys.path.append(_DEBIAN_PACKAGES)
        try:
            import pyatspi
        except ImportError:
            return None
    return pyatspi


class AccessibilityReader:
    """Reads the visible, named widgets of every application on the desktop."""

    def __init__(self, pyatspi: Any) -> None:
        self._at = pyatspi

    def elements(self) -> list[Element]:
        """Every showing widget with a box and a known role, in reading order."""
        found: list[Element] = []
        try:
            desktop = self._at.Registry.getDesktop(0)
            budget = [MAX_NODES]
            for app in desktop:
                if app is not None:
                    self._walk(app, found, budget)
        except Exception as error:  # the bus or an application went away mid-read
            log.warning("accessibility tree unreadable: %s", error)
        return numbered(found, "a11y")

    def _walk(self, node: Any, found: list[Element], budget: list[int]) -> None:
        if budget[0] <= 0:
            return
        budget[0] -= 1
        try:
            states = node.getState()
            showing = states.contains(self._at.STATE_SHOWING)
            role = _ROLES.get(node.getRoleName())
            if showing and role is not None:
                element = self._element(node, role, states)
                if element is not None:
                    found.append(element)
            if not showing and node.getRoleName() not in ("application",):
                return  # hidden subtrees hold nothing visible
            for i in range(node.childCount):
                self._walk(node.getChildAtIndex(i), found, budget)
        except Exception as error:  # one widget vanished; the rest is still worth reading
            log.debug("skipping an accessible: %s", error)

    def _element(self, node: Any, role: Role, states: Any) -> Element | None:
        ext = node.queryComponent().getExtents(self._at.DESKTOP_COORDS)
        if ext.width <= 0 or ext.height <= 0:
            return None
        name = node.name or self._labelled_by(node)
        value = ""
        if role == "entry":
            try:
                text = node.queryText()
                value = text.getText(0, text.characterCount)
            except NotImplementedError:
                value = ""
        names = {s: getattr(self._at, f"STATE_{s.upper()}", None) for s in _STATES}
        held = frozenset(
            s for s, code in names.items() if code is not None and states.contains(code)
        )
        if role in ("checkbox", "radio"):
            held |= {"checkable"}
        return Element(
            id="",
            role=role,
            name=name or "",
            value=value,
            states=held,
            box=ScreenBox(x1=ext.x, y1=ext.y, x2=ext.x + ext.width - 1, y2=ext.y + ext.height - 1),
            source="a11y",
        )

    def _labelled_by(self, node: Any) -> str:
        for relation in node.getRelationSet():
            if relation.getRelationType() == self._at.RELATION_LABELLED_BY:
                for i in range(relation.getNTargets()):
                    target = relation.getTarget(i)
                    if target is not None and target.name:
                        return str(target.name)
        return ""

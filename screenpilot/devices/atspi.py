"""Elements from the AT-SPI accessibility tree (GTK, Qt, Chromium with accessibility on).

pyatspi is not on PyPI; it comes from Debian (python3-pyatspi, gir1.2-atspi-2.0,
at-spi2-core). From a virtual environment we look for it in Debian's dist-packages, added at
the *end* of the import path so the environment's own packages still win. Applications must
run in the same D-Bus session as the reader.

Every property of every accessible is one D-Bus round trip to its application (nothing is
cached: the cache would need an event loop to stay true). A read therefore asks as little as
it can. Where the window offers the Collection interface (GTK, Chromium), one query returns
its showing widgets of the roles we keep, so no hidden node and no container is visited.
Elsewhere (Qt) the tree is walked, fetching states, role and child count once per node and
skipping subtrees that are not showing.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any

from screenpilot.devices.a11y_windows import DIALOG_ROLES, TreeRead, Window, arrange, window_id
from screenpilot.perception.elements import Element, Role
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
    # A dialog inside a page (role="dialog", <dialog>) is a window of its own to a person.
    "dialog": "window", "alert": "window",
    # Options of a list (Qt's combo popup, a list box) and the cells of a tree view (a
    # checklist's toggles are checkable cells); the page itself, so that what lies in it can
    # be told from the browser's own controls.
    "list item": "menu", "table cell": "text", "document web": "other",
}  # fmt: skip
_STATES = ("checked", "focused", "editable", "enabled", "sensitive", "selected", "checkable")
#: Input types (Chromium's text-input-type) that say what a field is for.
_INPUT_KINDS = frozenset({"email", "tel", "url", "search", "password", "number"})
#: Attributes that carry an input's hint text (GTK, Chromium).
_PLACEHOLDERS = ("placeholder-text", "placeholder")
#: Reading stops after this many accessibles (walked nodes, or Collection matches), so a huge
#: web page cannot stall a step.
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
        atspi = pyatspi.Atspi  # the GObject binding pyatspi wraps
        self._atspi = atspi
        self._codes = {s: getattr(pyatspi, f"STATE_{s.upper()}", None) for s in _STATES}
        showing = atspi.StateSet.new([atspi.StateType.SHOWING])
        # "button" and the like are role names of other AT-SPI versions: the walk still knows
        # them, the Collection rule has no code for them.
        codes = [getattr(atspi.Role, n.upper().replace(" ", "_"), None) for n in _ROLES]
        # One rule for all roles: the application walks its whole tree once per query.
        match = atspi.CollectionMatchType
        self._rule = atspi.MatchRule.new(
            showing, match.ALL,
            {}, match.NONE,
            [c for c in codes if c is not None], match.ANY,
            [], match.NONE,
            False,
        )  # fmt: skip

    # ------------------------------------------------------------------ reading
    def elements(self) -> list[Element]:
        """Every showing widget with a box and a known role, in reading order, arranged by
        window (see `a11y_windows.arrange`)."""
        return arrange(self.read())

    def read(self) -> TreeRead:
        """Windows and elements of every application, each element tagged with its window."""
        windows: list[Window] = []
        found: list[Element] = []
        budget = [MAX_NODES]
        try:
            for app in self._at.Registry.getDesktop(0):
                if app is not None and budget[0] > 0:
                    self._read_app(app, windows, found, budget)
        except Exception as error:  # the bus or the registry went away mid-read
            log.warning("accessibility tree unreadable: %s", error)
        return TreeRead(tuple(windows), tuple(found), nodes=MAX_NODES - budget[0])

    def census(self, seconds: float = 3.0) -> list[tuple[str, int]]:
        """(application name, accessibles counted) for every application exposing a tree;
        counting stops at MAX_NODES per application, and after `seconds` in all."""
        deadline = time.monotonic() + seconds
        counts: list[tuple[str, int]] = []
        try:
            apps = [a for a in self._at.Registry.getDesktop(0) if a is not None]
        except Exception as error:
            log.warning("accessibility registry unreadable: %s", error)
            return counts
        for app in apps:
            stack, seen = [app], 0
            while stack and seen < MAX_NODES and time.monotonic() < deadline:
                node = stack.pop()
                seen += 1
                try:
                    children = [node.getChildAtIndex(i) for i in range(node.childCount)]
                except Exception:  # a node vanished while counting
                    continue
                stack.extend(c for c in children if c is not None)
            try:
                name = str(app.name)
            except Exception:
                name = "?"
            counts.append((name, seen))
        return counts

    def _read_app(
        self, app: Any, windows: list[Window], found: list[Element], budget: list[int]
    ) -> None:
        try:
            name, pid = str(app.name), int(app.get_process_id())
            tops = [app.getChildAtIndex(i) for i in range(app.childCount)]
        except Exception as error:  # the application quit while we looked
            log.debug("skipping an application: %s", error)
            return
        for index, top in enumerate(tops):
            if top is None or budget[0] <= 0:
                continue
            try:
                window = self._window(top, name, pid, index)
                if window is None:
                    continue
                windows.append(window)
                if window.box is not None:
                    found.append(
                        Element(
                            id="",
                            role="window",
                            name=window.name,
                            states=frozenset({"dialog"} if window.role in DIALOG_ROLES else ()),
                            box=window.box,
                            source="a11y",
                            window=window.id,
                        )
                    )
                if "Collection" in self._atspi.Accessible.get_interfaces(top):
                    self._collect(top, window.id, found, budget)
                else:
                    self._walk(top, window.id, found, budget, top=True)
            except Exception as error:  # the window closed while we read it
                log.debug("skipping a window of %s: %s", name, error)

    def _window(self, top: Any, app_name: str, pid: int, index: int) -> Window | None:
        states = top.getState()
        if not states.contains(self._at.STATE_SHOWING):
            return None
        return Window(
            id=window_id(app_name, pid, index),
            app=f"{app_name}:{pid}",
            pid=pid,
            role=str(top.getRoleName()),
            name=str(top.name or ""),
            box=self._box(top),
            active=states.contains(self._at.STATE_ACTIVE),
            modal=states.contains(self._at.STATE_MODAL),
        )

    def _collect(self, top: Any, window: str, found: list[Element], budget: list[int]) -> None:
        """The showing widgets of a window with a known role, from one Collection query."""
        atspi = self._atspi
        matches = atspi.Collection.get_matches(
            top, self._rule, atspi.CollectionSortOrder.CANONICAL, budget[0], True
        )
        budget[0] -= len(matches)
        for node in matches:
            try:
                role_name = str(node.getRoleName())
                element = self._element(node, role_name, node.getState(), window)
            except Exception as error:  # one widget vanished; the rest is still worth it
                log.debug("skipping an accessible: %s", error)
                continue
            if element is not None:
                found.append(element)

    def _walk(
        self, node: Any, window: str, found: list[Element], budget: list[int], top: bool = False
    ) -> None:
        """Depth first through showing nodes (for toolkits without Collection, e.g. Qt)."""
        if budget[0] <= 0:
            return
        budget[0] -= 1
        try:
            states = node.getState()
            if not states.contains(self._at.STATE_SHOWING):
                return  # hidden subtrees hold nothing visible
            if not top:
                role_name = str(node.getRoleName())
                if role_name in _ROLES:
                    element = self._element(node, role_name, states, window)
                    if element is not None:
                        found.append(element)
            for i in range(node.childCount):
                self._walk(node.getChildAtIndex(i), window, found, budget)
        except Exception as error:  # one widget vanished; the rest is still worth reading
            log.debug("skipping an accessible: %s", error)

    # ------------------------------------------------------------------ one widget
    def _box(self, node: Any) -> ScreenBox | None:
        atspi = self._atspi
        if "Component" not in atspi.Accessible.get_interfaces(node):  # known without a call
            return None
        ext = atspi.Component.get_extents(node, atspi.CoordType.SCREEN)
        if ext.width <= 0 or ext.height <= 0:
            return None
        return ScreenBox(x1=ext.x, y1=ext.y, x2=ext.x + ext.width - 1, y2=ext.y + ext.height - 1)

    def _toggles(self, node: Any) -> bool:
        """Whether a cell's first action is "toggle" (GTK's check and radio list cells, which
        show 'checked' but never 'checkable')."""
        atspi = self._atspi
        if "Action" not in atspi.Accessible.get_interfaces(node):
            return False
        return bool(atspi.Action.get_n_actions(node)) and (
            str(atspi.Action.get_action_name(node, 0)) == "toggle"
        )

    def _element(self, node: Any, role_name: str, states: Any, window: str) -> Element | None:
        box = self._box(node)
        if box is None:
            return None
        role = _ROLES[role_name]
        name = node.name or self._labelled_by(node)
        held = {s for s, code in self._codes.items() if code is not None and states.contains(code)}
        if role_name == "table cell" and not name and ("checkable" in held or self._toggles(node)):
            role = "checkbox"  # the toggle column of a check or radio list
            held.add("checkable")
        if role_name == "document web":
            held.add("document")
        if role in ("checkbox", "radio"):
            held.add("checkable")
        if role_name == "password text":
            held.add("password")
        if role_name in DIALOG_ROLES:
            held.add("dialog")
        value = placeholder = ""
        if role == "entry":
            atspi = self._atspi
            if "Text" in atspi.Accessible.get_interfaces(node):
                value = str(atspi.Text.get_text(node, 0, -1))
            attributes = atspi.Accessible.get_attributes(node) or {}
            placeholder = next((attributes[k] for k in _PLACEHOLDERS if attributes.get(k)), "")
            kind = attributes.get("text-input-type", "")  # Chromium: <input type="email">
            if kind in _INPUT_KINDS:
                held.add(f"input:{kind}")
            if kind == "password":  # Chromium's <input type=password> is a plain entry
                held.add("password")
        return Element(
            id="",
            role=role,
            name=name or "",
            value=value,
            states=frozenset(held),
            placeholder=placeholder,
            window=window,
            box=box,
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

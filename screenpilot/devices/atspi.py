"""Elements from the AT-SPI accessibility tree (GTK, Qt, Chromium with accessibility on).

pyatspi is not on PyPI; it comes from Debian (python3-pyatspi, gir1.2-atspi-2.0,
at-spi2-core). From a virtual environment we look for it in Debian's dist-packages, added at
the *end* of the import path so the environment's own packages still win. Applications must
run in the same D-Bus session as the reader.

Every property of every accessible is one D-Bus round trip to its application, so a read
asks as little as it can. Where the window offers the Collection interface (GTK, Chromium),
one query returns its showing widgets of the roles we keep, so no hidden node and no
container is visited; the elements of such windows are kept between reads and only what may
have changed is asked again (the rules, and what toolkits do and do not tell, are in
`a11y_cache`). AT-SPI events say what changed: they queue on libatspi's connection between
reads and each read dispatches them itself (no thread, no main loop: libatspi is not
thread-safe), after its own calls to each application, whose answers come after any event
the application sent before them, so nothing an application did before the read is missed.
Elsewhere (Qt) the tree is walked every read, fetching states, role and child count once per
node and skipping subtrees that are not showing. Either way at most MAX_NODES accessibles are
read per window, those on the screen first.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import time
import weakref
from typing import Any

from screenpilot.devices.a11y_cache import (
    BOUNDS_TOLD,
    EXPIRY_S,
    Changes,
    Entry,
    NodeKey,
    Note,
    Refresh,
    WindowCache,
    plan,
    visible_first,
)
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
#: Reading a window stops after this many accessibles (walked nodes, or Collection matches),
#: so a huge web page cannot stall a step; those on the screen are read first.
MAX_NODES = 3000
#: Collection matches listed per window, of which MAX_NODES are read (those on the screen).
MATCH_LIMIT = 4 * MAX_NODES
#: Showing accessibles asked for with the widgets: their value says a scrolled window moved.
_PROBES = ("scroll bar",)
#: Events kept between two reads; past that they are thrown away and the cache with them.
MAX_NOTES = 100_000
#: The events that say an element changed (see `a11y_cache`).
_EVENTS = (
    "object:state-changed",
    "object:property-change",
    "object:text-changed",
    "object:bounds-changed",
    "object:attributes-changed",
    "object:children-changed",
)


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
    """Reads the visible, named widgets of every application on the desktop.

    With `cache` (the default) the elements of windows read through Collection are kept
    between reads and refreshed from AT-SPI events and per-window checks (`a11y_cache`);
    without it, or when no event listener can be registered, every read asks everything.
    """

    def __init__(self, pyatspi: Any, *, cache: bool = True) -> None:
        self._at = pyatspi
        atspi = pyatspi.Atspi  # the GObject binding pyatspi wraps
        self._atspi = atspi
        self._codes = {s: getattr(pyatspi, f"STATE_{s.upper()}", None) for s in _STATES}
        showing = atspi.StateSet.new([atspi.StateType.SHOWING])
        # "button" and the like are role names of other AT-SPI versions: the walk still knows
        # them, the Collection rule has no code for them.
        names = [*_ROLES, *_PROBES]
        codes = [getattr(atspi.Role, n.upper().replace(" ", "_"), None) for n in names]
        # One rule for all roles: the application walks its whole tree once per query.
        match = atspi.CollectionMatchType
        self._rule = atspi.MatchRule.new(
            showing, match.ALL,
            {}, match.NONE,
            [c for c in codes if c is not None], match.ANY,
            [], match.NONE,
            False,
        )  # fmt: skip
        self._caching = cache
        self._listener: Any = None
        self._notes: list[Note] = []
        self._overflow = False  # notes were thrown away: the cache cannot be trusted
        self._changes = Changes()
        self._windows: dict[NodeKey, WindowCache] = {}
        self._toolkits: dict[str, str] = {}
        self._last_read = float("-inf")
        self._screen: ScreenBox | None = None
        self._screen_known = False

    # ------------------------------------------------------------------ reading
    def forget(self) -> None:
        """Drop what the cache holds: the next read asks every element again. For a caller
        that doubts it (an event the toolkit should have sent never came)."""
        self._windows.clear()
        self._changes.forget()

    def elements(self) -> list[Element]:
        """Every showing widget with a box and a known role, in reading order, arranged by
        window (see `a11y_windows.arrange`)."""
        return arrange(self.read())

    def read(self) -> TreeRead:
        """Windows and elements of every application, each element tagged with its window."""
        self._listen()
        screen = self._screen_box()
        windows: list[Window] = []
        found: list[Element] = []
        shown: list[tuple[Window, Any, str]] = []  # windows with Collection: (w, top, bus)
        slots: list[int] = []  # where in `found` each of them goes
        queries: list[list[Any]] = []
        walked = asked = 0
        try:
            for app in self._at.Registry.getDesktop(0):
                if app is None:
                    continue
                for window, top, bus in self._app_windows(app):
                    windows.append(window)
                    if window.box is not None:
                        found.append(self._window_element(window))
                    try:
                        if "Collection" in self._atspi.Accessible.get_interfaces(top):
                            queries.append(self._query(top))
                            shown.append((window, top, bus))
                            slots.append(len(found))
                        else:
                            shows = _shown_part(window.box, screen)
                            nodes, _ = self._walk_window(top, window.id, found, shows)
                            walked += nodes
                            asked += nodes
                    except Exception as error:  # the window closed while we read it
                        log.debug("skipping a window %s: %s", window.id, error)
        except Exception as error:  # the bus or the registry went away mid-read
            log.warning("accessibility tree unreadable: %s", error)
        # Every application has answered a call of this read: what it told before is queued.
        dirty, moved = self._take_changes()
        kept: dict[NodeKey, WindowCache] = {}
        parts: list[list[Element]] = []
        for (window, top, bus), matches in zip(shown, queries, strict=True):
            part: list[Element] = []
            parts.append(part)
            try:
                cache, nodes, n_asked = self._read_window(
                    window, top, matches, dirty, bus in moved, bus, screen, part
                )
            except Exception as error:  # the window closed while we read it
                log.debug("skipping a window %s: %s", window.id, error)
                part.clear()
                continue
            walked += nodes
            asked += n_asked
            kept[_key(top)] = cache
        self._windows = kept if self._listener is not None else {}
        for slot, part in sorted(zip(slots, parts, strict=True), key=lambda p: -p[0]):
            found[slot:slot] = part
        self._last_read = time.monotonic()
        return TreeRead(tuple(windows), tuple(found), nodes=walked, asked=asked)

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

    # ------------------------------------------------------------------ events
    def _listen(self) -> None:
        """Register for the events that keep the cache true, once (lazily: a Desktop that
        never reads costs nothing). Without a listener nothing is kept between reads.

        The listener holds the reader weakly and is deregistered when the reader goes: a
        process makes a Desktop per task, and another reader's read dispatches every
        listener's events."""
        if not self._caching or self._listener is not None:
            return
        try:
            listener = self._atspi.EventListener.new(_Relay(self))
            for kind in _EVENTS:
                listener.register(kind)
        except Exception as error:
            log.warning("no AT-SPI event listener, every read asks everything: %s", error)
            self._caching = False
            return
        self._listener = listener
        weakref.finalize(self, _deregister, listener)

    def _note(self, event: Any) -> None:
        """The listener: runs for every event, so it only writes down what and where."""
        if len(self._notes) >= MAX_NOTES:  # unread for long: the next read starts afresh
            self._overflow = True
            self._notes.clear()
        try:
            source = event.source
            if source is None or source.app is None:
                return
            origin = None
            kind = str(event.type)
            if kind.startswith("object:bounds-changed"):
                rect = event.any_data
                origin = (int(rect.x), int(rect.y))
            self._notes.append(Note(kind, (str(source.app.bus_name), str(source.path)), origin))
        except Exception as error:  # an event about something already gone
            log.debug("unreadable AT-SPI event: %s", error)

    def _take_changes(self) -> tuple[dict[NodeKey, Refresh], set[str]]:
        """Dispatch the events queued since the last read and sort them against the cache;
        a cache that went unread too long (the bus may have dropped events) is dropped."""
        if self._listener is None:
            return {}, set()
        glib = importlib.import_module("gi.repository.GLib")
        context = glib.MainContext.default()
        while context.pending():
            context.iteration(False)
        notes, self._notes = self._notes, []
        if self._overflow or time.monotonic() - self._last_read > EXPIRY_S:
            self._overflow = False
            self._windows.clear()
            self._changes.forget()
        known = {k: e for w in self._windows.values() for k, e in w.entries.items()}
        return self._changes.sort(notes, known)

    # ------------------------------------------------------------------ windows
    def _app_windows(self, app: Any) -> list[tuple[Window, Any, str]]:
        try:
            name, pid = str(app.name), int(app.get_process_id())
            tops = [app.getChildAtIndex(i) for i in range(app.childCount)]
            bus = str(app.app.bus_name) if app.app is not None else name
        except Exception as error:  # the application quit while we looked
            log.debug("skipping an application: %s", error)
            return []
        found: list[tuple[Window, Any, str]] = []
        for index, top in enumerate(tops):
            if top is None:
                continue
            try:
                window = self._window(top, name, pid, index)
            except Exception as error:  # the window closed while we read it
                log.debug("skipping a window of %s: %s", name, error)
                continue
            if window is not None:
                found.append((window, top, bus))
        return found

    def _window_element(self, window: Window) -> Element:
        assert window.box is not None
        return Element(
            id="",
            role="window",
            name=window.name,
            states=frozenset({"dialog"} if window.role in DIALOG_ROLES else ()),
            box=window.box,
            source="a11y",
            window=window.id,
        )

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

    def _toolkit(self, top: Any, bus: str) -> str:
        if bus not in self._toolkits:
            try:
                self._toolkits[bus] = str(top.get_toolkit_name() or "").lower()
            except Exception:
                return ""
        return self._toolkits[bus]

    def _query(self, top: Any) -> list[Any]:
        """The showing widgets (and scroll bars) of a window, in one Collection query."""
        atspi = self._atspi
        order = atspi.CollectionSortOrder.CANONICAL
        return list(atspi.Collection.get_matches(top, self._rule, order, MATCH_LIMIT, True))

    def _read_window(
        self,
        window: Window,
        top: Any,
        matches: list[Any],
        dirty: dict[NodeKey, Refresh],
        moved: bool,
        bus: str,
        screen: ScreenBox | None,
        found: list[Element],
    ) -> tuple[WindowCache, int, int]:
        """The window's elements into `found`, asking only what the cache cannot answer:
        (the window's new cache, accessibles considered, accessibles asked)."""
        old = self._windows.get(_key(top), WindowCache())
        keys = [_key(m) for m in matches]
        nodes = dict(zip(keys, matches, strict=True))
        fresh: dict[NodeKey, ScreenBox | None] = {}

        def box_of(key: NodeKey) -> ScreenBox | None:
            if key not in fresh:
                fresh[key] = self._box(nodes[key])
            return fresh[key]

        probes = [k for k in keys if (e := old.entries.get(k)) and e.role_name in _PROBES]
        scroll = {k: self._scroll_value(nodes[k]) for k in probes}
        shows = _shown_part(window.box, screen)  # what can show of the window
        keys = visible_first([k for k in keys if k not in scroll], box_of, shows, MAX_NODES)
        all_boxes = (
            moved
            or _corner(window.box) != _corner(old.frame)  # moved; a resize tells its own
            or scroll != old.scroll
            or self._toolkit(top, bus) not in BOUNDS_TOLD
        )
        wanted = plan(old, keys, dirty, all_boxes=all_boxes)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "window %s: %d showing, moved container %s, frame %s -> %s, scroll %s -> %s,"
                " same list %s, %d dirty",
                window.id, len(keys), moved, old.frame, window.box, old.scroll, scroll,
                tuple(keys) == old.keys, sum(1 for k in keys if k in dirty),
            )  # fmt: skip
        cache = WindowCache(frame=window.box, scroll=scroll)
        cache.entries.update((k, old.entries[k]) for k in probes)
        asked = len(probes)
        for key in keys:
            want = wanted[key]
            entry = old.entries.get(key)
            if want:
                asked += 1
            try:
                if want == Refresh.ALL or entry is None:
                    entry = self._entry(nodes[key], window.id, box_of(key))
                    if entry.role_name in _PROBES:
                        scroll[key] = self._scroll_value(nodes[key])
                elif want == Refresh.BOX or key in fresh:  # a box asked is never wasted
                    entry = _moved(entry, box_of(key))
            except Exception as error:  # one widget vanished; the rest is still worth it
                log.debug("skipping an accessible: %s", error)
                continue
            element = entry.element
            if element is not None and element.window != window.id:
                element = element.model_copy(update={"window": window.id})
                entry = Entry(entry.role_name, element, entry.label)
            cache.entries[key] = entry
            if element is not None:
                found.append(element)
        cache.keys = tuple(k for k in keys if k in cache.entries and k not in scroll)
        return cache, len(keys) + len(probes), asked

    def _scroll_value(self, node: Any) -> float:
        """A scroll bar's value; NaN (never equal, so boxes are asked) when unreadable."""
        try:
            return float(self._atspi.Value.get_current_value(node))
        except Exception as error:  # the scroll bar went away
            log.debug("unreadable scroll bar: %s", error)
            return float("nan")

    def _entry(self, node: Any, window: str, box: ScreenBox | None) -> Entry:
        role_name = str(node.getRoleName())
        if role_name not in _ROLES:
            return Entry(role_name, None)
        element, label = self._element(node, role_name, node.getState(), window, box)
        return Entry(role_name, element, label)

    def _walk_window(
        self, top: Any, window: str, found: list[Element], screen: ScreenBox | None
    ) -> tuple[int, int]:
        """Walk a window's showing nodes (toolkits without Collection, e.g. Qt), subtrees on
        the screen first: (nodes visited, nodes deferred)."""
        budget = [MAX_NODES]
        later: list[Any] = []
        self._walk(top, window, found, budget, later, screen, top=True)
        deferred = len(later)
        while later and budget[0] > 0:
            node = later.pop(0)
            try:
                for i in range(node.childCount):
                    self._walk(node.getChildAtIndex(i), window, found, budget, None, screen)
            except Exception as error:  # the subtree vanished meanwhile
                log.debug("skipping an accessible: %s", error)
        return MAX_NODES - budget[0], deferred

    def _walk(
        self,
        node: Any,
        window: str,
        found: list[Element],
        budget: list[int],
        later: list[Any] | None,
        screen: ScreenBox | None,
        top: bool = False,
    ) -> None:
        """Depth first through showing nodes; a subtree wholly off the screen is put in
        `later` (when given), to be walked if the window's budget is left."""
        if budget[0] <= 0:
            return
        budget[0] -= 1
        try:
            states = node.getState()
            if not states.contains(self._at.STATE_SHOWING):
                return  # hidden subtrees hold nothing visible
            box: ScreenBox | None = None
            if not top:
                role_name = str(node.getRoleName())
                if role_name in _ROLES:
                    element, _ = self._element(node, role_name, states, window, self._box(node))
                    if element is not None:
                        found.append(element)
                        box = element.box
            count = node.childCount
            if count and later is not None and screen is not None and not top:
                box = box or self._box(node)
                if box is not None and not _meets(box, screen):
                    later.append(node)
                    return
            for i in range(count):
                self._walk(node.getChildAtIndex(i), window, found, budget, later, screen)
        except Exception as error:  # one widget vanished; the rest is still worth reading
            log.debug("skipping an accessible: %s", error)

    def _screen_box(self) -> ScreenBox | None:
        """The X screen (root window), once; None when it cannot be asked."""
        if not self._screen_known:
            self._screen_known = True
            self._screen = _x_screen()
        return self._screen

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

    def _element(
        self,
        node: Any,
        role_name: str,
        states: Any,
        window: str,
        box: ScreenBox | None,
    ) -> tuple[Element | None, NodeKey | None]:
        """The element an accessible at `box` makes (None without a box), and the accessible
        whose name it took (its labelled-by target), if any."""
        if box is None:
            return None, None
        role = _ROLES[role_name]
        name, label = str(node.name or ""), None
        if not name:
            name, label = self._labelled_by(node)
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
        element = Element(
            id="",
            role=role,
            name=name,
            value=value,
            states=frozenset(held),
            placeholder=placeholder,
            window=window,
            box=box,
            source="a11y",
        )
        return element, label

    def _labelled_by(self, node: Any) -> tuple[str, NodeKey | None]:
        """The name of the first labelled-by target that has one, and that target."""
        for relation in node.getRelationSet():
            if relation.getRelationType() == self._at.RELATION_LABELLED_BY:
                for i in range(relation.getNTargets()):
                    target = relation.getTarget(i)
                    if target is not None and target.name:
                        return str(target.name), _key(target)
        return "", None


class _Relay:
    """An event listener's callback that holds its reader weakly."""

    def __init__(self, reader: AccessibilityReader) -> None:
        self._reader = weakref.ref(reader)

    def __call__(self, event: Any) -> None:
        reader = self._reader()
        if reader is not None:
            reader._note(event)


def _deregister(listener: Any) -> None:
    for kind in _EVENTS:
        try:
            listener.deregister(kind)
        except Exception as error:  # the bus is gone already (at exit)
            log.debug("cannot deregister %s: %s", kind, error)
            return


def _key(node: Any) -> NodeKey:
    """An accessible's identity on the bus: (its application's bus name, its object path)."""
    return (str(node.app.bus_name), str(node.path))


def _moved(entry: Entry, box: ScreenBox | None) -> Entry:
    """The entry with its element at `box` (nothing to show without one)."""
    if entry.element is None or box is None:
        return Entry(entry.role_name, None, entry.label)
    if box == entry.element.box:
        return entry
    return Entry(entry.role_name, entry.element.model_copy(update={"box": box}), entry.label)


def _corner(box: ScreenBox | None) -> tuple[float, float] | None:
    return None if box is None else (box.x1, box.y1)


def _shown_part(window: ScreenBox | None, screen: ScreenBox | None) -> ScreenBox | None:
    """The part of the screen a window covers (where its widgets can be seen), or whichever
    of the two is known."""
    if window is None or screen is None:
        return window or screen
    if not _meets(window, screen):
        return screen
    return ScreenBox(
        x1=max(window.x1, screen.x1),
        y1=max(window.y1, screen.y1),
        x2=min(window.x2, screen.x2),
        y2=min(window.y2, screen.y2),
    )


def _meets(box: ScreenBox, screen: ScreenBox) -> bool:
    """Whether a box overlaps the screen at all."""
    return (
        box.x1 <= screen.x2 and screen.x1 <= box.x2 and box.y1 <= screen.y2 and screen.y1 <= box.y2
    )


def _x_screen() -> ScreenBox | None:
    """The X root window as a box (the AT-SPI desktop's own extents are a fixed 1024x768)."""
    display = os.environ.get("DISPLAY")
    if not display:
        return None
    try:
        from Xlib import display as xdisplay

        connection = xdisplay.Display(display)
    except Exception as error:  # no python-xlib, or no X server there
        log.debug("no X screen size: %s", error)
        return None
    try:
        root = connection.screen().root.get_geometry()
        return ScreenBox(x1=0, y1=0, x2=int(root.width) - 1, y2=int(root.height) - 1)
    except Exception as error:
        log.debug("no X screen size: %s", error)
        return None
    finally:
        connection.close()

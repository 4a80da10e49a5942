"""What an accessibility read may take from the last one, and what it must ask again.

Every property of every accessible is one D-Bus round trip (a 1,000-widget GTK window: about
5,000 of them, ~0.5 s), so `AccessibilityReader` keeps the elements of each window between
reads and asks again only what may have changed. Pure bookkeeping, so the rules test without
a desktop; what the toolkits do and do not tell (measured on Xvfb, GTK 3.24, Chromium, AT-SPI
2.46) decides them:

- A widget's name, text, states and attributes change with an AT-SPI event from the widget
  (property-change, text-changed, state-changed, attributes-changed): that one element is
  read again. A label's new text also renames the elements it labels (labelled-by).
- What is showing is asked every read: one Collection query per window lists its showing
  widgets, so an added, removed, hidden or scrolled-in widget is never missed (GTK attaches
  a widget to a grid without any children-changed event). When that list differs from the
  last one, every box of the window is asked again: a new widget usually moves others.
- Boxes: GTK sends bounds-changed for a widget whose allocation changes, but nothing when
  the window moves or a scrolled window scrolls, and nothing for children of a container
  with its own X window when that container moves. So a window whose frame moved (a resize
  that keeps the corner moves only what GTK tells of), one of whose scroll bars changed
  value, or whose application moved a container (a bounds-changed with a new origin from an
  accessible that is not an element) has all its boxes asked again. Chromium says nothing
  when a page or a scrolled box scrolls: outside GTK every box is asked every read (one call
  per element, not five).
- Table cells (GTK tree views) are not widgets, and no event is known to follow their rows'
  changes: they are read every time.
- Events queue on the connection between reads, and the bus drops what overflows its queue;
  after `EXPIRY_S` without a read the cache is not trusted and the next read is a full one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntFlag

from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox

#: An accessible, as D-Bus names it: (its application's bus name, its object path).
NodeKey = tuple[str, str]

#: Seconds between reads after which the queued events are no longer trusted to be complete.
EXPIRY_S = 30.0
#: Toolkits whose boxes change only with an event, a frame move or a scroll bar (see above).
BOUNDS_TOLD = frozenset({"gtk"})
#: Containers whose last origin is remembered; past that all are forgotten (each then moves
#: its application's boxes once more).
MAX_ORIGINS = 20_000
#: AT-SPI role names read at every read (no event tells when they change).
UNTOLD_ROLES = frozenset({"table cell"})


class Refresh(IntFlag):
    """What to ask an accessible again."""

    NOTHING = 0
    BOX = 1
    ALL = 3  # role, states, name, value ... and the box


@dataclass
class Entry:
    """One showing accessible of a window as last read."""

    role_name: str
    #: What the read made of it; None when it had nothing to show (no box yet).
    element: Element | None
    #: The accessible whose name became this element's name (labelled-by), if any.
    label: NodeKey | None = None


@dataclass
class WindowCache:
    """The last read of one top-level window (keyed by the window's own NodeKey)."""

    #: The showing accessibles in Collection order, as the last read listed them.
    keys: tuple[NodeKey, ...] = ()
    entries: dict[NodeKey, Entry] = field(default_factory=dict)
    #: The window's frame when last read (moving it moves every box).
    frame: ScreenBox | None = None
    #: The value of each showing scroll bar (scrolling moves what it scrolls).
    scroll: dict[NodeKey, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Note:
    """One AT-SPI event, as little as the listener needs to keep (it runs for every event)."""

    kind: str  # the event type, e.g. "object:state-changed:checked"
    key: NodeKey
    #: For bounds-changed: the new top-left corner.
    origin: tuple[int, int] | None = None


class Changes:
    """What the events since the last read say, once the cache that knows the elements looks.

    `origins` remembers where each non-element accessible that sent bounds-changed was, so a
    container that only grew (its children send their own events) is told from one that
    moved (its children may not).
    """

    def __init__(self) -> None:
        self.origins: dict[NodeKey, tuple[int, int]] = {}

    def sort(
        self, notes: Iterable[Note], known: Mapping[NodeKey, Entry]
    ) -> tuple[dict[NodeKey, Refresh], set[str]]:
        """(what to ask again of which element, bus names of applications whose boxes all
        have to be asked again) from the notes."""
        dirty: dict[NodeKey, Refresh] = {}
        moved: set[str] = set()
        renamed: list[NodeKey] = []
        if len(self.origins) > MAX_ORIGINS:  # containers of programs long gone, mostly
            self.origins.clear()
        for note in notes:
            if note.kind.startswith("object:bounds-changed"):
                if note.key in known:
                    dirty[note.key] = dirty.get(note.key, Refresh.NOTHING) | Refresh.BOX
                elif note.origin is not None and self.origins.get(note.key) != note.origin:
                    self.origins[note.key] = note.origin
                    moved.add(note.key[0])
                continue
            dirty[note.key] = Refresh.ALL
            if note.kind.startswith(("object:property-change", "object:text-changed")):
                renamed.append(note.key)
        if renamed:
            labels: dict[NodeKey, list[NodeKey]] = {}
            for key, entry in known.items():
                if entry.label is not None:
                    labels.setdefault(entry.label, []).append(key)
            for label in renamed:
                for key in labels.get(label, ()):
                    dirty[key] = Refresh.ALL
        return dirty, moved

    def forget(self) -> None:
        self.origins.clear()


def plan(
    cache: WindowCache,
    keys: Sequence[NodeKey],
    dirty: Mapping[NodeKey, Refresh],
    *,
    all_boxes: bool,
) -> dict[NodeKey, Refresh]:
    """What to ask of each showing accessible of a window (in `keys`, Collection order).

    New accessibles, those an event touched, those that showed nothing last time and roles
    no event covers are read whole; when `all_boxes` (the frame moved, a scroll bar moved,
    the toolkit does not tell bounds) or the list of showing accessibles changed, every
    other box is asked again; the rest is taken as it was.
    """
    boxes = all_boxes or tuple(keys) != cache.keys
    wanted: dict[NodeKey, Refresh] = {}
    for key in keys:
        entry = cache.entries.get(key)
        if entry is None or entry.element is None or entry.role_name in UNTOLD_ROLES:
            wanted[key] = Refresh.ALL
        else:
            told = dirty.get(key, Refresh.NOTHING)
            wanted[key] = told | Refresh.BOX if boxes else told
    return wanted


def on_screen(box: ScreenBox | None, screen: ScreenBox | None) -> bool:
    """Whether a box's center is on the screen (what `Desktop.elements` keeps); any box
    counts when the screen is not known."""
    if box is None:
        return False
    return screen is None or screen.contains(box.center)


def visible_first(
    keys: Sequence[NodeKey],
    box_of: Callable[[NodeKey], ScreenBox | None],
    screen: ScreenBox | None,
    cap: int,
) -> list[NodeKey]:
    """At most `cap` of `keys`, in their order: those whose box is on the screen first, the
    rest only while the cap allows. A long page scrolled to its end keeps what shows.

    `box_of` is asked for boxes only when there are more keys than the cap, and then in
    order, until `cap` keys on the screen are found.
    """
    if len(keys) <= cap:
        return list(keys)
    shown: list[int] = []
    for index, key in enumerate(keys):
        if len(shown) >= cap:
            break
        if on_screen(box_of(key), screen):
            shown.append(index)
    chosen = set(shown)
    for index in range(len(keys)):
        if len(chosen) >= cap:
            break
        chosen.add(index)
    return [keys[i] for i in sorted(chosen)]

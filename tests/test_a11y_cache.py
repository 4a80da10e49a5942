"""The accessibility cache: never a stale element, and few questions asked after the first read.

The integration tests change the widgets of a real GTK window (tests/apps/gtk_many.py) one
way after another - a label's text, an entry filled, a check toggled, a button renamed, added,
removed, hidden, shown, made insensitive, the window moved, a scrolled window scrolled - and
after each change compare a cached read with an uncached one made right after it in the same
process: they must be equal, and the change must show. The reader runs in its own Python
process (see tests/test_atspi.py for why); the rules alone test without a desktop.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from screenpilot.devices.a11y_cache import (
    Changes,
    Entry,
    Note,
    Refresh,
    WindowCache,
    plan,
    visible_first,
)
from screenpilot.devices.virtual_display import XSession, x_session
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, with python3-gi
MANY = Path(__file__).resolve().parent / "apps" / "gtk_many.py"

#: Reads on request: each "read" line is answered with the cached read's elements, the
#: number of accessibles it asked, and an uncached read's elements made right after.
READER = """
import json, sys
from screenpilot.devices import a11y_bus
from screenpilot.devices.a11y_windows import arrange
from screenpilot.devices import atspi
from screenpilot.devices.atspi import AccessibilityReader, load_pyatspi
if sys.argv[1:]:
    atspi.MAX_NODES = int(sys.argv[1])  # a cap to exceed
a11y_bus.switch_on()
pyatspi = load_pyatspi()
cached, fresh = AccessibilityReader(pyatspi), AccessibilityReader(pyatspi, cache=False)
def dump(read):
    return [e.model_dump(mode="json") for e in arrange(read)]
from gi.repository import GLib
import time
for line in sys.stdin:
    if line.strip() == "lose":  # the events of the last change reach us and are lost
        context, deadline = GLib.MainContext.default(), time.monotonic() + 5
        while not cached._notes and time.monotonic() < deadline:
            while context.pending():
                context.iteration(False)
            time.sleep(0.01)
        print(json.dumps({"lost": len(cached._notes)}), flush=True)
        cached._notes.clear()
        continue
    if line.strip() == "forget":
        cached.forget()
    read = cached.read()
    print(json.dumps({"cached": dump(read), "asked": read.asked, "nodes": read.nodes,
                      "fresh": dump(fresh.read())}), flush=True)
"""


class Window:
    """The GTK window and a reader process on one private desktop."""

    def __init__(self, session: XSession, count: int, *flags: str, cap: int = 0) -> None:
        self.app = subprocess.Popen(
            [SYSTEM_PYTHON, str(MANY), str(count), *flags],
            env=session.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self._line(self.app) == "ready"
        self.reader = subprocess.Popen(
            [sys.executable, "-c", READER, *([str(cap)] if cap else [])],
            env=session.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    @staticmethod
    def _line(process: subprocess.Popen[str]) -> str:
        assert process.stdout is not None
        return process.stdout.readline().strip()

    def change(self, command: str) -> None:
        assert self.app.stdin is not None
        self.app.stdin.write(command + "\n")
        self.app.stdin.flush()
        assert self._line(self.app) == "ok", command

    def lose_events(self) -> int:
        """Throw away the events the last change sent the reader; how many there were."""
        assert self.reader.stdin is not None
        self.reader.stdin.write("lose\n")
        self.reader.stdin.flush()
        return int(json.loads(self._line(self.reader))["lost"])

    def read(self, command: str = "read") -> tuple[list[Element], list[Element], int]:
        """(cached elements, uncached elements, accessibles the cached read asked); the
        command "forget" has the cached reader drop its cache first."""
        assert self.reader.stdin is not None
        self.reader.stdin.write(command + "\n")
        self.reader.stdin.flush()
        line = self._line(self.reader)
        assert line, "the reader process died"
        seen: dict[str, Any] = json.loads(line)
        cached = [Element.model_validate(e) for e in seen["cached"]]
        fresh = [Element.model_validate(e) for e in seen["fresh"]]
        return cached, fresh, int(seen["asked"])

    def close(self) -> None:
        for process in (self.reader, self.app):
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def session() -> Iterator[XSession]:
    with x_session() as s:
        yield s


def by_name(elements: list[Element]) -> dict[str, Element]:
    return {e.name: e for e in elements if e.role != "window"}


def values(elements: list[Element]) -> dict[str, str]:
    return {e.placeholder: e.value for e in elements if e.role == "entry"}


def assert_fresh(window: Window) -> tuple[list[Element], int]:
    cached, fresh, asked = window.read()
    assert cached == fresh  # the same elements, ids, boxes and states as an uncached read
    return cached, asked


# ---------------------------------------------------------------------- on a real desktop
@pytest.mark.integration
def test_every_change_to_a_gtk_window_shows_in_the_next_cached_read(session: XSession) -> None:
    window = Window(session, 200)
    try:
        first, asked = assert_fresh(window)
        assert asked == 200 and len(first) == 201  # and the window itself
        _, asked = assert_fresh(window)
        assert asked == 0  # nothing changed, nothing asked

        window.change("fill 3 typed here")
        seen, asked = assert_fresh(window)
        assert values(seen)["Entry 3"] == "typed here"
        assert asked <= 5, asked  # the entry, not the window

        window.change("toggle 5")
        seen, asked = assert_fresh(window)
        assert by_name(seen)["Check 5"].checked is True
        assert asked <= 5, asked

        window.change("label 0 A much longer label than before")  # it widens its column
        seen, _ = assert_fresh(window)
        names = by_name(seen)
        assert "Label 0" not in names and "A much longer label than before" in names
        before = {e.name: e.box for e in first}
        assert names["Button 0"].box.x1 > before["Button 0"].x1  # pushed right

        window.change("label 0 Short")  # and back: the columns move back (bounds events)
        seen, _ = assert_fresh(window)
        assert by_name(seen)["Button 0"].box == before["Button 0"]

        window.change("rename 7 Renamed")
        seen, _ = assert_fresh(window)
        assert "Renamed" in by_name(seen) and "Button 7" not in by_name(seen)

        window.change("add Added")  # GTK tells no children-changed for a grid attach
        seen, _ = assert_fresh(window)
        assert by_name(seen)["Added"].role == "button"

        window.change("remove 2")
        seen, _ = assert_fresh(window)
        assert "Button 2" not in by_name(seen)

        window.change("hide 4")
        seen, _ = assert_fresh(window)
        assert "Check 4" not in by_name(seen)
        window.change("show 4")
        seen, _ = assert_fresh(window)
        assert "Check 4" in by_name(seen)

        window.change("insensitive 1")
        seen, _ = assert_fresh(window)
        assert "enabled" not in by_name(seen)["Button 1"].states
        assert "enabled" in by_name(seen)["Button 3"].states

        window.change("move 300 200")  # GTK tells nothing when a window moves
        seen, _ = assert_fresh(window)
        moved = by_name(seen)["Button 3"].box
        assert (moved.x1 - before["Button 3"].x1, moved.y1 - before["Button 3"].y1) == (300, 200)
    finally:
        window.close()


@pytest.mark.integration
def test_a_cache_told_to_forget_reads_what_a_lost_event_hid(session: XSession) -> None:
    """With the events of a change lost, the cache still shows the old text (what the
    executor's late looks guard against); after `forget()` the read asks everything."""
    window = Window(session, 20)
    try:
        assert_fresh(window)
        window.change("fill 3 typed here")
        assert window.lose_events() >= 1
        cached, fresh, _ = window.read()
        assert values(cached)["Entry 3"] == "" and values(fresh)["Entry 3"] == "typed here"
        cached, fresh, asked = window.read("forget")
        assert cached == fresh and values(cached)["Entry 3"] == "typed here"
        assert asked == 20  # every widget asked again
    finally:
        window.close()


@pytest.mark.integration
def test_a_scrolled_gtk_window_is_read_again_where_it_scrolled(session: XSession) -> None:
    window = Window(session, 1000, "--scrolled")
    try:
        first, _ = assert_fresh(window)
        top = by_name(first)["Label 0"].box.y1
        # The first scroll moves containers GTK tells of; the later ones only the scroll bar,
        # too little to change what is showing.
        for pixels in (5, 6, 8):
            window.change(f"scroll {pixels}")
            seen, _ = assert_fresh(window)
            assert by_name(seen)["Label 0"].box.y1 == top - pixels
        window.change("scroll 100")
        assert_fresh(window)
    finally:
        window.close()


@pytest.mark.integration
def test_over_the_cap_a_window_keeps_what_can_be_seen(session: XSession) -> None:
    # GTK lists a grid's last rows first, and knows nothing of the screen: with the window's
    # lower half below the screen's edge and a cap of 200, the first 200 listed cannot be seen.
    window = Window(session, 1000, "--scrolled", cap=200)
    try:
        window.change("move 0 700")
        seen, _ = assert_fresh(window)
        widgets = [e for e in seen if e.role != "window"]
        assert len(widgets) == 200
        assert all(e.box.center.y < 1080 for e in widgets)  # the screen is 1920x1080
    finally:
        window.close()


#: A page whose keys change it: l renames the field's label, b the button, c toggles the
#: check box, v sets the field's value, d disables the button, s scrolls 7 px (Chromium tells
#: nothing), a adds a button at the top (everything below moves).
PAGE = """<!doctype html><html><head><title>Fresh page</title></head><body>
<div><label for=n id=nl>Name</label> <input id=n> <input type=checkbox id=c aria-label=Agree>
<button id=b>Go</button></div><div id=rows></div>
<script>
const rows = document.getElementById('rows');
for (let i = 0; i < 300; i++) {
  const d = document.createElement('div'); d.innerHTML = `<button>Row ${i}</button>`;
  rows.appendChild(d);
}
const byId = (id) => document.getElementById(id);
document.addEventListener('keydown', (e) => {
  if (e.key === 'l') byId('nl').textContent = 'Full name';
  if (e.key === 'b') byId('b').textContent = 'Go now';
  if (e.key === 'c') byId('c').checked = !byId('c').checked;
  if (e.key === 'v') byId('n').value = 'set by script';
  if (e.key === 'd') byId('b').disabled = true;
  if (e.key === 's') window.scrollBy(0, 7);
  if (e.key === 'a') { const b = document.createElement('button'); b.textContent = 'Added';
                       document.body.prepend(b); }
});
</script></body></html>"""


@pytest.mark.integration
def test_every_change_to_a_chromium_page_shows_in_the_next_cached_read(
    session: XSession, tmp_path: Path
) -> None:
    page = tmp_path / "fresh.html"
    page.write_text(PAGE, encoding="utf-8")
    # A small GTK window beside it (two applications); its reader switches accessibility
    # on, which Chromium has to find on when it starts.
    window = Window(session, 4)
    browser = None
    try:
        assert_fresh(window)
        browser = session.start(
            [
                "chromium",
                "--force-renderer-accessibility",
                "--no-sandbox",
                "--test-type",
                "--no-first-run",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--window-position=100,50",
                "--window-size=1000,800",
                f"--app={page.as_uri()}",
            ]
        )
        wid = session.wait_for_window("Fresh page", timeout=60)
        # While the page loads its document grows between the two reads of one request, so
        # they may differ then; once both show its rows they must agree, read after read.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            cached, fresh, _ = window.read()
            if "Row 5" in by_name(cached) and "Row 5" in by_name(fresh):
                break
            time.sleep(0.5)
        time.sleep(0.5)
        seen, _ = assert_fresh(window)
        top = by_name(seen)["Row 5"].box.y1
        for key in "lbcvdsa":
            # The page's change and the events it sends come after the key; the key after
            # xdotool returns. A moment for the renderer, then at once the two reads.
            subprocess.run(["xdotool", "key", "--window", wid, key], env=session.env, check=True)
            time.sleep(0.5)
            seen, _ = assert_fresh(window)
            if key == "s":
                assert by_name(seen)["Row 5"].box.y1 == top - 7
        names = by_name(seen)
        fields = {e.name: e.value for e in seen if e.role == "entry"}
        assert fields["Full name"] == "set by script"  # renamed by its label, then set
        assert names["Agree"].checked is True
        assert "enabled" not in names["Go now"].states
        assert "Added" in names
    finally:
        window.close()
        if browser is not None:
            session.stop(browser)


# ---------------------------------------------------------------------- the rules alone
def _box(y: int) -> ScreenBox:
    return ScreenBox(x1=10, y1=y, x2=90, y2=y + 20)


def _element(name: str, y: int = 0) -> Element:
    return Element(id="", role="button", name=name, box=_box(y), source="a11y")


def _cache(*names: str) -> WindowCache:
    keys = tuple((":1.1", f"/{n}") for n in names)
    entries = {k: Entry("push button", _element(n)) for k, n in zip(keys, names, strict=True)}
    return WindowCache(keys=keys, entries=entries)


def test_only_what_an_event_touched_is_asked_again() -> None:
    cache = _cache("a", "b", "c")
    keys = list(cache.keys)
    assert set(plan(cache, keys, {}, all_boxes=False).values()) == {Refresh.NOTHING}
    wanted = plan(cache, keys, {keys[1]: Refresh.ALL, keys[2]: Refresh.BOX}, all_boxes=False)
    assert list(wanted.values()) == [Refresh.NOTHING, Refresh.ALL, Refresh.BOX]
    # A moved frame or scroll bar, or a toolkit that tells no bounds: every box again.
    moved = plan(cache, keys, {keys[1]: Refresh.ALL}, all_boxes=True)
    assert list(moved.values()) == [Refresh.BOX, Refresh.ALL, Refresh.BOX]


def test_a_new_or_vanished_widget_asks_every_box_and_reads_the_newcomer() -> None:
    cache = _cache("a", "b")
    new = (":1.1", "/new")
    wanted = plan(cache, [*cache.keys, new], {}, all_boxes=False)
    assert wanted == {cache.keys[0]: Refresh.BOX, cache.keys[1]: Refresh.BOX, new: Refresh.ALL}
    assert plan(cache, [cache.keys[1]], {}, all_boxes=False) == {cache.keys[1]: Refresh.BOX}


def test_table_cells_and_boxless_entries_are_always_read() -> None:
    cache = _cache("a", "b")
    cell, empty = cache.keys
    cache.entries[cell] = Entry("table cell", _element("a"))
    cache.entries[empty] = Entry("push button", None)
    assert set(plan(cache, list(cache.keys), {}, all_boxes=False).values()) == {Refresh.ALL}


def test_events_sort_into_elements_renamed_labels_and_moved_containers() -> None:
    cache = _cache("entry", "label", "other")
    entry, label, other = cache.keys
    cache.entries[entry] = Entry("text", _element(""), label=label)
    changes = Changes()
    panel = (":1.1", "/panel")
    notes = [
        Note("object:property-change:accessible-name", label),
        Note("object:bounds-changed", other, (10, 0)),
        Note("object:bounds-changed", panel, (0, 0)),  # first seen: it may have moved
    ]
    dirty, moved = changes.sort(notes, cache.entries)
    # The entry takes its name from the label: renamed with it.
    assert dirty == {label: Refresh.ALL, entry: Refresh.ALL, other: Refresh.BOX}
    assert moved == {":1.1"}
    # The container grew but stayed where it was: its children tell their own moves.
    dirty, moved = changes.sort([Note("object:bounds-changed", panel, (0, 0))], cache.entries)
    assert dirty == {} and moved == set()
    _, moved = changes.sort([Note("object:bounds-changed", panel, (0, 40))], cache.entries)
    assert moved == {":1.1"}


def test_the_cap_keeps_what_is_on_the_screen() -> None:
    screen = ScreenBox(x1=0, y1=0, x2=1919, y2=1079)
    keys = [(":1.1", f"/{i}") for i in range(10)]
    # A page scrolled to its end: the first six are above the screen.
    boxes = {k: _box(-1000 + 100 * i if i < 6 else 100 * i) for i, k in enumerate(keys)}
    asked: list[tuple[str, str]] = []

    def box_of(key: tuple[str, str]) -> ScreenBox:
        asked.append(key)
        return boxes[key]

    assert visible_first(keys, box_of, screen, 10) == keys and asked == []  # under the cap
    assert visible_first(keys, box_of, screen, 4) == keys[6:]
    assert visible_first(keys, box_of, screen, 6) == [*keys[:2], *keys[6:]]  # then in order
    assert visible_first(keys, lambda k: None, None, 3) == keys[:3]

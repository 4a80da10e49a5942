"""A GTK 3 window of many small widgets that changes them when told (stdin), for accessibility
reads: the 1,000-widget benchmark and the cache freshness tests.

Usage: /usr/bin/python3 gtk_many.py N [--scrolled]
The window "Many widgets" holds N widgets in a grid of rows of four: a label "Label i", an
entry (placeholder "Entry i"), a check button "Check i" and a button "Button i". Compact CSS
fits 1,000 of them on a 1920x1080 screen; with --scrolled the grid sits in a 600 px tall
scrolled window instead. It prints "ready" once drawn, then reads one command a line and
answers "ok" once the change is drawn (or "error ..." for a command it does not know):

  label I TEXT      set label i's text          fill I TEXT     set entry i's text
  toggle I          toggle check i              rename I TEXT   set button i's label
  add TEXT          append a button TEXT        remove I        destroy button i
  hide I / show I   hide or show check i        insensitive I   make button i insensitive
  scroll PIXELS     scroll the grid down to     move X Y        move the window
"""

from __future__ import annotations

import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk  # noqa: E402

CSS = b"""
* { min-height: 0; min-width: 0; padding: 0; margin: 0; border-width: 0; font-size: 8px; }
entry { min-width: 40px; }
"""
COLUMNS = 6  # rows of four widgets, six rows side by side


def main(count: int, scrolled: bool) -> None:
    provider = Gtk.CssProvider()
    provider.load_from_data(CSS)
    window = Gtk.Window(title="Many widgets")
    Gtk.StyleContext.add_provider_for_screen(
        window.get_screen(), provider, Gtk.STYLE_PROVIDER_PRIORITY_APPLICATION
    )
    window.move(0, 0)
    grid = Gtk.Grid(row_spacing=1, column_spacing=2)
    labels: list[Gtk.Label] = []
    entries: list[Gtk.Entry] = []
    checks: list[Gtk.CheckButton] = []
    buttons: list[Gtk.Button] = []
    made = 0
    row = 0
    while made < count:
        for block in range(COLUMNS):
            kinds = (
                lambda i: Gtk.Label(label=f"Label {i}"),
                lambda i: Gtk.Entry(placeholder_text=f"Entry {i}", width_chars=6),
                lambda i: Gtk.CheckButton(label=f"Check {i}"),
                lambda i: Gtk.Button(label=f"Button {i}"),
            )
            for kind, make in enumerate(kinds):
                if made >= count:
                    break
                widget = make(row * COLUMNS + block)
                (labels, entries, checks, buttons)[kind].append(widget)
                grid.attach(widget, block * 4 + kind, row, 1, 1)
                made += 1
        row += 1
    extra = row  # where added buttons go
    scroller: Gtk.ScrolledWindow | None = None
    if scrolled:
        scroller = Gtk.ScrolledWindow()
        scroller.set_min_content_height(600)
        scroller.set_min_content_width(1200)
        scroller.add(grid)
        window.add(scroller)
    else:
        window.add(grid)

    def answer(text: str) -> bool:
        print(text, flush=True)
        return False

    def drawn(text: str) -> None:
        # After the next frame is laid out and painted (plus a moment for the bridge).
        clock = window.get_frame_clock()
        window.queue_draw()
        handler = [0]

        def painted(*_args: object) -> None:
            clock.disconnect(handler[0])
            GLib.timeout_add(30, answer, text)

        handler[0] = clock.connect("after-paint", painted)

    def command(line: str) -> None:
        nonlocal extra
        word, _, rest = line.strip().partition(" ")
        index, _, text = rest.partition(" ")
        if word == "label":
            labels[int(index)].set_text(text)
        elif word == "fill":
            entries[int(index)].set_text(text)
        elif word == "toggle":
            checks[int(index)].set_active(not checks[int(index)].get_active())
        elif word == "rename":
            buttons[int(index)].set_label(text)
        elif word == "add":
            button = Gtk.Button(label=rest)
            grid.attach(button, 0, extra, 4, 1)
            extra += 1
            button.show()
        elif word == "remove":
            buttons[int(index)].destroy()
        elif word == "hide":
            checks[int(index)].hide()
        elif word == "show":
            checks[int(index)].show()
        elif word == "insensitive":
            buttons[int(index)].set_sensitive(False)
        elif word == "scroll" and scroller is not None:
            scroller.get_vadjustment().set_value(float(index))
        elif word == "move":
            window.move(int(index), int(text))
        else:
            print(f"error {line.strip()!r}", flush=True)
            return
        drawn("ok")

    def readable(source: object, condition: object) -> bool:
        line = sys.stdin.readline()
        if not line:
            Gtk.main_quit()
            return False
        command(line)
        return True

    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, readable)
    window.connect("destroy", Gtk.main_quit)
    window.show_all()
    GLib.timeout_add(500, lambda: drawn("ready"))
    Gtk.main()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(int(sys.argv[1]), "--scrolled" in sys.argv[2:])

"""A GTK 3 window of entries, checkboxes, radios, buttons and a combo that reports where
GTK put each of them.

Usage: /usr/bin/python3 gtk_widgets.py OUTPUT.json [X Y]
Run it with GTK_THEME=Adwaita:dark or GDK_SCALE=2 for the other looks. Once the window is
drawn it writes a JSON list of {"kind", "checked", "box": [left, top, width, height]} in
root-window device pixels (scale included), then waits to be stopped.
"""

from __future__ import annotations

import json
import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk  # noqa: E402

# The indicator of a label-less check or radio button is drawn inside the button's own
# allocation with a few pixels of margin; zero margins make the allocation the drawn
# square itself, so the reported box is exactly what a person sees. The look is unchanged.
CSS = b"""
checkbutton, radiobutton { padding: 0; }
checkbutton check, radiobutton radio { margin: 0; }
"""


def main(output: str, x: int, y: int) -> None:
    provider = Gtk.CssProvider()
    provider.load_from_data(CSS)
    window = Gtk.Window(title="Shapes GTK")
    Gtk.StyleContext.add_provider_for_screen(
        window.get_screen(), provider, Gtk.STYLE_PROVIDER_PRIORITY_APPLICATION
    )
    window.move(x, y)
    grid = Gtk.Grid(row_spacing=14, column_spacing=12, margin=24)
    window.add(grid)
    widgets: list[tuple[str, bool | None, Gtk.Widget]] = []

    def row(label: str, widget: Gtk.Widget, kind: str, checked: bool | None = None) -> None:
        top = len(widgets)
        grid.attach(Gtk.Label(label=label, xalign=0), 0, top, 1, 1)
        holder = Gtk.Box()
        holder.pack_start(widget, False, False, 0)
        grid.attach(holder, 1, top, 1, 1)
        widgets.append((kind, checked, widget))

    name = Gtk.Entry(placeholder_text="Your name", width_chars=24)
    row("Name", name, "entry")
    city = Gtk.Entry(width_chars=24)
    city.set_text("Paris")
    row("City", city, "entry")
    for label, state in (("Subscribe", False), ("Remember me", True)):
        check = Gtk.CheckButton()
        check.set_active(state)
        row(label, check, "checkbox", state)
    first = Gtk.RadioButton()
    second = Gtk.RadioButton.new_from_widget(first)
    second.set_active(True)
    row("Small", first, "radio", False)
    row("Large", second, "radio", True)
    combo = Gtk.ComboBoxText()
    for colour in ("Red", "Green", "Blue"):
        combo.append_text(colour)
    combo.set_active(0)
    row("Colour", combo, "combo")
    buttons = Gtk.Box(spacing=12)
    submit, cancel = Gtk.Button(label="Submit"), Gtk.Button(label="Cancel")
    buttons.pack_start(submit, False, False, 0)
    buttons.pack_start(cancel, False, False, 0)
    grid.attach(buttons, 1, len(widgets), 1, 1)
    widgets += [("button", None, submit), ("button", None, cancel)]
    window.connect("destroy", Gtk.main_quit)
    window.show_all()
    # No widget holds the focus: a focused GTK entry hides its placeholder and blinks a caret.
    window.set_focus(None)

    def report() -> bool:
        gdk_window = window.get_window()
        if gdk_window is None:
            return True
        _, ox, oy = gdk_window.get_origin()
        scale = window.get_scale_factor()
        found = []
        for kind, checked, widget in widgets:
            x, y = widget.translate_coordinates(window, 0, 0)
            a = widget.get_allocation()
            box = [(ox + x) * scale, (oy + y) * scale, a.width * scale, a.height * scale]
            found.append({"kind": kind, "checked": checked, "box": box})
        with open(output, "w", encoding="utf-8") as f:
            json.dump(found, f)
        return False

    # A second after mapping, GTK has laid out and painted the window.
    GLib.timeout_add(1000, report)
    Gtk.main()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 4):
        sys.exit(__doc__)
    main(sys.argv[1], *(int(v) for v in sys.argv[2:4] or (120, 80)))

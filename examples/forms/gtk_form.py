"""A small GTK 3 form with an accessibility tree (run it with Debian's python3 and python3-gi).

Usage: python3 gtk_form.py OUTPUT.json
Submit writes {"name", "email", "subscribe"} as JSON to OUTPUT.json and shows "Saved".
"""

from __future__ import annotations

import json
import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import Gtk  # noqa: E402


def main(output: str) -> None:
    window = Gtk.Window(title="GTK form")
    window.set_default_size(640, 400)
    window.move(200, 150)
    grid = Gtk.Grid(column_spacing=16, row_spacing=16, margin=24)
    window.add(grid)
    entries = {}
    for row, label_text in enumerate(("Name", "Email")):
        label = Gtk.Label(label=label_text, xalign=0)
        entry = Gtk.Entry(width_chars=28)
        label.set_mnemonic_widget(entry)  # gives the entry a labelled-by relation
        grid.attach(label, 0, row, 1, 1)
        grid.attach(entry, 1, row, 1, 1)
        entries[label_text.lower()] = entry
    subscribe = Gtk.CheckButton(label="Subscribe")
    grid.attach(subscribe, 1, 2, 1, 1)
    status = Gtk.Label(label="", xalign=0)

    def submit(_button: Gtk.Button) -> None:
        data = {
            "name": entries["name"].get_text(),
            "email": entries["email"].get_text(),
            "subscribe": subscribe.get_active(),
        }
        with open(output, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        status.set_text("Saved")

    button = Gtk.Button(label="Submit")
    button.connect("clicked", submit)
    button.set_halign(Gtk.Align.START)
    grid.attach(button, 1, 3, 1, 1)
    grid.attach(status, 1, 4, 1, 1)
    window.connect("destroy", Gtk.main_quit)
    window.show_all()
    Gtk.main()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

"""A Tk window of entries, checkboxes, radios, buttons and a combo that reports where Tk put
each of them.

Usage: /usr/bin/python3 tk_widgets.py OUTPUT.json [X Y]
Once the window is drawn it writes a JSON list of {"kind", "checked", "box": [left, top,
width, height]} in root-window pixels (winfo_rootx/rooty/width/height), then waits to be
stopped. A ttk checkbox's or radio's box is its indicator (ttk's layout, read through
`identify`), not its caption; a classic one's is the whole widget, marked "within".
"""

from __future__ import annotations

import json
import sys
import tkinter as tk
from tkinter import ttk

#: The indicators' margin: left, top, right, bottom.
MARGIN = (0, 2, 4, 2)


def indicator(widget: tk.Widget, box: list[int]) -> list[int]:
    """The box of a ttk check or radio button's indicator: the pixels where Tk's own layout
    says its indicator element is (ttk `identify`), less its margin, so no caption and no
    gap is counted."""
    inside = [
        (x, y)
        for y in range(box[3])
        for x in range(box[2])
        if widget.identify(x, y).endswith("indicator")  # type: ignore[attr-defined]
    ]
    xs, ys = [x for x, _ in inside], [y for _, y in inside]
    left, top, right, bottom = MARGIN
    return [
        box[0] + min(xs) + left,
        box[1] + min(ys) + top,
        max(xs) - min(xs) + 1 - left - right,
        max(ys) - min(ys) + 1 - top - bottom,
    ]


def main(output: str, x: int, y: int) -> None:
    root = tk.Tk()
    root.title("Shapes Tk")
    root.geometry(f"+{x}+{y}")
    font = ("DejaVu Sans", 12)
    # ttk's indicators keep a margin (the gap to the caption) inside the parcel `identify`
    # reports; it is set here, to what the default theme uses, so it can be taken off.
    style = ttk.Style(root)
    for name in ("TCheckbutton", "TRadiobutton"):
        style.configure(name, indicatormargin=MARGIN)
    widgets: list[tuple[str, bool | None, tk.Widget]] = []
    within: set[int] = set()

    def row(label: str, widget: tk.Widget, kind: str, checked: bool | None = None) -> None:
        top = len(widgets)
        tk.Label(root, text=label, font=font).grid(row=top, column=0, padx=16, pady=8, sticky="w")
        widget.grid(row=top, column=1, padx=8, pady=8, sticky="w")
        widgets.append((kind, checked, widget))

    name = tk.Entry(root, font=font, width=22)
    row("Name", name, "entry")
    city = tk.Entry(root, font=font, width=22)
    city.insert(0, "Paris")
    row("City", city, "entry")
    states = [tk.BooleanVar(value=False), tk.BooleanVar(value=True)]
    for label, var in zip(("Subscribe", "Remember me"), states, strict=True):
        row(label, ttk.Checkbutton(root, text=label, variable=var), "checkbox", var.get())
    size = tk.StringVar(value="large")
    for label, value in (("Small", "small"), ("Large", "large")):
        radio = ttk.Radiobutton(root, text=label, variable=size, value=value)
        row(label, radio, "radio", size.get() == value)
    # Classic Tk buttons too (what tk.Checkbutton draws, as in screenpilot/demo_form/tk_form.py):
    # Tk says only where the whole widget is, so their boxes are marked "within": the
    # indicator is somewhere inside, with padding around it.
    bare = {"padx": 0, "pady": 0, "bd": 0, "highlightthickness": 0}
    classic = tk.BooleanVar(value=True)
    row("Classic", tk.Checkbutton(root, variable=classic, **bare), "checkbox", True)
    within.add(len(widgets) - 1)
    row("Classic radio", tk.Radiobutton(root, variable=size, value="small", **bare), "radio", False)
    within.add(len(widgets) - 1)
    combo = ttk.Combobox(root, values=["Red", "Green", "Blue"], font=font, width=12)
    combo.current(0)
    row("Colour", combo, "combo")
    buttons = tk.Frame(root)
    buttons.grid(row=len(widgets), column=1, padx=8, pady=8, sticky="w")
    for label in ("Submit", "Cancel"):
        button = tk.Button(buttons, text=label, font=font)
        button.pack(side="left", padx=(0, 12))
        widgets.append(("button", None, button))

    def report() -> None:
        found = []
        for i, (kind, checked, w) in enumerate(widgets):
            box = [w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(), w.winfo_height()]
            if kind in ("checkbox", "radio") and i not in within:
                box = indicator(w, box)
            found.append({"kind": kind, "checked": checked, "box": box, "within": i in within})
        with open(output, "w", encoding="utf-8") as f:
            json.dump(found, f)

    # Nothing keeps the focus (a focused entry would show a caret) once Tk has drawn.
    root.after(300, root.focus_set)
    root.after(1000, report)
    root.mainloop()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 4):
        sys.exit(__doc__)
    main(sys.argv[1], *(int(v) for v in sys.argv[2:4] or (120, 80)))

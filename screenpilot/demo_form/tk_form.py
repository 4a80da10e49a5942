"""A small Tk form with no accessibility tree: only its pixels tell what is on it.

Usage: python tk_form.py OUTPUT.json [--button TEXT] [LABEL ...]
(or python -m screenpilot.demo_form.tk_form). The fields are Name and Email unless other
labels are given. The button (Submit unless --button names it) writes each field (its label
in lower case) and "subscribe" as JSON to OUTPUT.json and shows "Saved".
"""

from __future__ import annotations

import json
import sys
import tkinter as tk


def main(output: str, labels: list[str], button: str = "Submit") -> None:
    root = tk.Tk()
    root.title("Tk form")
    root.geometry(f"640x{280 + 60 * len(labels)}+200+150")
    font = ("DejaVu Sans", 16)
    values = {label: tk.StringVar() for label in labels}
    subscribe = tk.BooleanVar()
    status = tk.StringVar(value="")
    for row, label in enumerate(labels):
        tk.Label(root, text=label, font=font).grid(row=row, column=0, padx=20, pady=14, sticky="w")
        tk.Entry(root, textvariable=values[label], font=font, width=24).grid(
            row=row, column=1, padx=10
        )
    below = len(labels)
    tk.Checkbutton(root, text="Subscribe", variable=subscribe, font=font).grid(
        row=below, column=1, pady=14, sticky="w"
    )

    def submit() -> None:
        data: dict[str, object] = {label.lower(): v.get() for label, v in values.items()}
        data["subscribe"] = subscribe.get()
        with open(output, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        status.set("Saved")

    tk.Button(root, text=button, font=font, command=submit).grid(
        row=below + 1, column=1, pady=14, sticky="w"
    )
    tk.Label(root, textvariable=status, font=font).grid(row=below + 2, column=1, sticky="w")
    root.mainloop()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    words = sys.argv[2:]
    button = "Submit"
    if words[:1] == ["--button"] and len(words) >= 2:
        button, words = words[1], words[2:]
    main(sys.argv[1], words or ["Name", "Email"], button)

"""A small Tk form with no accessibility tree: only its pixels tell what is on it.

Usage: python tk_form.py OUTPUT.json
Submit writes {"name", "email", "subscribe"} as JSON to OUTPUT.json and shows "Saved".
"""

from __future__ import annotations

import json
import sys
import tkinter as tk


def main(output: str) -> None:
    root = tk.Tk()
    root.title("Tk form")
    root.geometry("640x400+200+150")
    font = ("DejaVu Sans", 16)
    name, email, subscribe = tk.StringVar(), tk.StringVar(), tk.BooleanVar()
    status = tk.StringVar(value="")
    tk.Label(root, text="Name", font=font).grid(row=0, column=0, padx=20, pady=14, sticky="w")
    tk.Entry(root, textvariable=name, font=font, width=24).grid(row=0, column=1, padx=10)
    tk.Label(root, text="Email", font=font).grid(row=1, column=0, padx=20, pady=14, sticky="w")
    tk.Entry(root, textvariable=email, font=font, width=24).grid(row=1, column=1, padx=10)
    tk.Checkbutton(root, text="Subscribe", variable=subscribe, font=font).grid(
        row=2, column=1, pady=14, sticky="w"
    )

    def submit() -> None:
        data = {"name": name.get(), "email": email.get(), "subscribe": subscribe.get()}
        with open(output, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        status.set("Saved")

    tk.Button(root, text="Submit", font=font, command=submit).grid(
        row=3, column=1, pady=14, sticky="w"
    )
    tk.Label(root, textvariable=status, font=font).grid(row=4, column=1, sticky="w")
    root.mainloop()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

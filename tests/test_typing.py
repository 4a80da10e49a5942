"""Typing every printable ASCII character on the X desktop: the key and Shift level come from
the server's keyboard map (fast: a pc105-like map where `less` sits on its own key), then all
95 characters through a real Tk entry on Xvfb, read back from the app's own output."""

from __future__ import annotations

import string
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

import pytest

from screenpilot.devices.virtual_display import XSession
from screenpilot.devices.x11_typing import UntypableError, key_for, type_ascii

PRINTABLE = "".join(chr(c) for c in range(32, 127))


class Pc105:
    """A keyboard map as Xvfb's pc105 has it where pyautogui went wrong: `less` is level 1 of
    the key beside left Shift (94, `greater` at level 2) and level 2 of the comma key."""

    levels: ClassVar[dict[int, list[tuple[int, int]]]] = {
        ord("<"): [(94, 0), (59, 1)], ord(">"): [(94, 1), (60, 1)], ord(","): [(59, 0)],
        ord("a"): [(38, 0)], ord("A"): [(38, 1)], ord("€"): [],
    }  # fmt: skip

    def keysym_to_keycodes(self, keysym: int) -> list[tuple[int, int]]:
        return self.levels.get(keysym, [])

    def keysym_to_keycode(self, keysym: int) -> int:
        return 50  # Shift_L, Return, Tab alike here

    def sync(self) -> None:
        pass


def test_a_character_is_typed_on_a_key_that_has_it_unshifted_when_one_does() -> None:
    assert key_for(Pc105(), "<") == (94, False)  # not (94, True): that is ">"
    assert key_for(Pc105(), ">")[1] is True  # ">" is only ever shifted here
    assert key_for(Pc105(), "A") == (38, True) and key_for(Pc105(), "a") == (38, False)
    with pytest.raises(UntypableError, match="no key of this keyboard types"):
        key_for(Pc105(), "€")


def test_shift_is_held_only_around_the_characters_that_need_it() -> None:
    sent: list[tuple[int, int]] = []
    type_ascii(Pc105(), "<A", fake_input=lambda d, kind, code: sent.append((kind, code)))
    press, release = 2, 3  # X.KeyPress, X.KeyRelease
    assert sent == [(press, 94), (release, 94), (press, 50), (press, 38), (release, 38),
                    (release, 50)]  # fmt: skip


TK_ECHO = """
import sys, tkinter as tk
root = tk.Tk(); root.title("typing probe"); root.geometry("1400x80+40+40")
entry = tk.Entry(root, font=("TkFixedFont", 11)); entry.pack(fill="x", padx=10, pady=20)
entry.focus_force()
def done(event):
    open(sys.argv[1], "w", encoding="utf-8").write(entry.get()); root.destroy()
root.bind("<Escape>", done)
root.mainloop()
"""


def test_all_95_printable_ascii_characters_reach_a_tk_entry_exactly(
    xsession: object, tmp_path: Path
) -> None:
    from screenpilot.devices.desktop import Desktop
    from screenpilot.perception.geometry import ScreenPoint

    assert len(PRINTABLE) == 95 and set(string.printable) - set(PRINTABLE) <= set("\t\n\r\x0b\x0c")
    script, out = tmp_path / "echo.py", tmp_path / "typed.txt"
    script.write_text(TK_ECHO)
    app = subprocess.Popen([sys.executable, str(script), str(out)])
    try:
        with Desktop(accessibility=False) as desktop:
            time.sleep(1.5)  # the window maps and takes the focus
            desktop.click(ScreenPoint(x=700, y=80))
            time.sleep(0.2)
            desktop.type_text(PRINTABLE)
            time.sleep(0.3)
            desktop.key(["escape"])
        app.wait(timeout=10)
    finally:
        if app.poll() is None:
            app.kill()
    assert out.read_text(encoding="utf-8") == PRINTABLE


GTK_PASSWORD = """
import gi
gi.require_version("Gtk", "3.0")
from gi.repository import Gtk
w = Gtk.Window(title="GTK password probe"); w.move(200, 150); w.set_default_size(420, 120)
grid = Gtk.Grid(row_spacing=8, column_spacing=8, margin=16); w.add(grid)
label = Gtk.Label(label="Password"); entry = Gtk.Entry(); label.set_mnemonic_widget(entry)
entry.set_visibility(False); entry.set_hexpand(True)
grid.attach(label, 0, 0, 1, 1); grid.attach(entry, 1, 0, 1, 1)
w.connect("destroy", Gtk.main_quit); w.show_all(); Gtk.main()
"""


def test_a_gtk_password_field_is_verified_by_its_mask_count_never_written(
    xsession: XSession,
) -> None:
    from screenpilot.actions.executor import Executor
    from screenpilot.actions.vocabulary import TypeText
    from screenpilot.devices.desktop import Desktop

    with Desktop() as desktop:  # switches accessibility on before the app starts
        app = xsession.start(["/usr/bin/python3", "-c", GTK_PASSWORD])
        try:
            xsession.wait_for_window("GTK password probe")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                fields = [e for e in desktop.elements() if "password" in e.states]
                if fields:
                    break
                time.sleep(0.5)
            assert fields and fields[0].role == "entry"
            executor = Executor(desktop)
            typed = executor.run(TypeText(text="hunter2<>", target="Password", clear_first=True))
            assert typed.ok, typed.verdict
            assert "as many characters as were typed" in typed.verdict.reason
            assert not any(ch.isdigit() for ch in typed.verdict.reason)
            [now] = [e for e in desktop.elements() if "password" in e.states]
            assert len(now.value) == len("hunter2<>") and "hunter" not in now.value
        finally:
            xsession.stop(app)

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

"""Typing ASCII and pressing key chords on X by the keyboard map the server has now, through
XTEST (no pauses between events: the server queues them in order).

pyautogui looks a character's keysym up with `keysym_to_keycode` (the first key that has it,
at any level) and then decides about Shift from a fixed US list. On a pc105 keyboard (the
default of Xvfb and of most European layouts) `less` is first found on the extra key beside
the left Shift, unshifted, and Shift on that key gives `greater`: pyautogui typed `<` as `>`.
Here each character is looked up among all the keys and levels that carry its keysym, and
Shift is held exactly when the level found needs it.
"""

from __future__ import annotations

from typing import Any

#: Characters that are keys, not keysyms of their own code.
_NAMED = {"\n": "Return", "\t": "Tab"}


class UntypableError(LookupError):
    """No key of the current keyboard map gives this character at level 1 or 2."""


def key_for(display: Any, char: str) -> tuple[int, bool]:
    """The keycode that gives `char` and whether Shift must be held for it. `display` is a
    python-xlib Display (anything with `keysym_to_keycodes` and, for named keys,
    `keysym_to_keycode`)."""
    if char in _NAMED:
        from Xlib import XK

        code = display.keysym_to_keycode(XK.string_to_keysym(_NAMED[char]))
        if not code:
            raise UntypableError(f"this keyboard has no {_NAMED[char]} key")
        return int(code), False
    # Latin-1 keysyms are the characters' own codes (X11 keysymdef.h), printable ASCII too.
    levels = [(index, code) for code, index in display.keysym_to_keycodes(ord(char)) if index < 2]
    if not levels:
        raise UntypableError(f"no key of this keyboard types {char!r}")
    index, code = min(levels)  # unshifted when some key has it unshifted
    return int(code), index == 1


def type_ascii(display: Any, text: str, *, fake_input: Any = None) -> None:
    """Press and release the keys for `text` (printable ASCII, newlines and tabs) with XTEST,
    Shift held around the characters of level 2."""
    from Xlib import XK, X
    from Xlib.ext import xtest

    press = fake_input if fake_input is not None else xtest.fake_input
    shift = display.keysym_to_keycode(XK.string_to_keysym("Shift_L"))
    keys = [key_for(display, ch) for ch in text]  # all found before any is pressed
    for code, shifted in keys:
        if shifted:
            press(display, X.KeyPress, shift)
        press(display, X.KeyPress, code)
        press(display, X.KeyRelease, code)
        if shifted:
            press(display, X.KeyRelease, shift)
        display.sync()


#: X keysym names of the vocabulary's named keys (actions/keys.py) where they differ.
KEYSYM_NAMES = {
    "enter": "Return", "escape": "Escape", "tab": "Tab", "backspace": "BackSpace",
    "delete": "Delete", "insert": "Insert", "space": "space", "pageup": "Prior",
    "pagedown": "Next", "home": "Home", "end": "End", "up": "Up", "down": "Down",
    "left": "Left", "right": "Right", "pause": "Pause", "printscreen": "Print",
    "scrolllock": "Scroll_Lock", "capslock": "Caps_Lock", "numlock": "Num_Lock",
    "menu": "Menu", "ctrl": "Control_L", "alt": "Alt_L", "shift": "Shift_L",
    "super": "Super_L", "volumeup": "XF86AudioRaiseVolume",
    "volumedown": "XF86AudioLowerVolume", "volumemute": "XF86AudioMute",
    "playpause": "XF86AudioPlay", "nexttrack": "XF86AudioNext", "prevtrack": "XF86AudioPrev",
}  # fmt: skip


def keysym_name(key: str) -> str:
    """The X keysym name of a vocabulary key ("f5" -> "F5", "pageup" -> "Prior", "a" -> "a")."""
    if key in KEYSYM_NAMES:
        return KEYSYM_NAMES[key]
    if len(key) > 1 and key[0] == "f" and key[1:].isdigit():
        return key.upper()
    return key


def press_chord(display: Any, keys: list[str], *, fake_input: Any = None) -> None:
    """Press `keys` (vocabulary names) together and release them in reverse. A character
    that needs Shift on this keyboard gets it. Raises UntypableError for a key this keyboard
    map lacks."""
    from Xlib import XK, X
    from Xlib.ext import xtest

    press = fake_input if fake_input is not None else xtest.fake_input
    codes: list[int] = []
    for key in keys:
        if len(key) == 1:
            code, shifted = key_for(display, key)
            if shifted and "shift" not in keys:
                codes.append(int(display.keysym_to_keycode(XK.string_to_keysym("Shift_L"))))
        else:
            keysym = XK.string_to_keysym(keysym_name(key))
            code = int(display.keysym_to_keycode(keysym)) if keysym else 0
            if not code:
                raise UntypableError(f"this keyboard has no {key!r} key")
        codes.append(code)
    for code in codes:
        press(display, X.KeyPress, code)
    for code in reversed(codes):
        press(display, X.KeyRelease, code)
    display.sync()

"""Key names: one canonical spelling per key, the common aliases, and chord parsing.

Canonical names are lowercase words ("ctrl", "enter", "pageup", "f5") or a single printable
character ("a", "A", "/"); they are what the executors translate to pyautogui/xdotool names
and what `computer_use` tool calls carry. Anything else is refused with the nearest names,
so a typo like "ctrll" never becomes a silent no-op on the device.
"""

from __future__ import annotations

import difflib

MODIFIERS = frozenset({"ctrl", "alt", "shift", "super"})

_NAMED = {
    "enter", "tab", "escape", "backspace", "delete", "insert", "space",
    "up", "down", "left", "right", "home", "end", "pageup", "pagedown",
    "capslock", "numlock", "scrolllock", "printscreen", "pause", "menu",
    "volumeup", "volumedown", "volumemute", "playpause", "nexttrack", "prevtrack",
}  # fmt: skip
_FUNCTION = {f"f{n}" for n in range(1, 25)}

KEY_NAMES = frozenset(MODIFIERS | _NAMED | _FUNCTION)

# Looked up after lowercasing and dropping spaces, "_" and "-".
_ALIASES = {
    "control": "ctrl", "ctl": "ctrl", "lctrl": "ctrl", "rctrl": "ctrl",
    "controlleft": "ctrl", "controlright": "ctrl",
    "option": "alt", "altleft": "alt", "altright": "alt", "lalt": "alt", "ralt": "alt",
    "shiftleft": "shift", "shiftright": "shift", "lshift": "shift", "rshift": "shift",
    "win": "super", "windows": "super", "cmd": "super", "command": "super", "meta": "super",
    "logo": "super", "winleft": "super", "winright": "super",
    "return": "enter", "kpenter": "enter", "esc": "escape", "del": "delete", "ins": "insert",
    "back": "backspace", "bksp": "backspace", "spacebar": "space",
    "arrowup": "up", "arrowdown": "down", "arrowleft": "left", "arrowright": "right",
    "pgup": "pageup", "prior": "pageup", "pgdn": "pagedown", "next": "pagedown",
    "print": "printscreen", "prtsc": "printscreen", "prtscr": "printscreen",
    "apps": "menu", "contextmenu": "menu", "break": "pause",
}  # fmt: skip


def normalise_key(name: str) -> str:
    """The canonical name of one key, or ValueError naming the closest known keys."""
    if not isinstance(name, str):
        raise ValueError(f"a key name must be text, got {type(name).__name__}")
    if len(name) == 1:
        if name == " ":
            return "space"
        if name.isprintable():
            return name
        raise ValueError(f"{name!r} is a control character, not a key name")
    folded = name.strip().lower()
    for ch in " _-":
        folded = folded.replace(ch, "")
    if folded in KEY_NAMES:
        return folded
    if folded in _ALIASES:
        return _ALIASES[folded]
    if len(folded) == 1 and folded.isprintable():
        return folded
    close = difflib.get_close_matches(folded, sorted(KEY_NAMES | set(_ALIASES)), n=3)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ValueError(f"unknown key {name!r}{hint}")


def split_chord(text: str) -> list[str]:
    """Split "ctrl+shift+t" into its keys; a literal plus is written "+" or "ctrl++"."""
    if text == "+":
        return ["+"]
    if text.endswith("++"):
        return [*split_chord(text[:-2]), "+"] if len(text) > 2 else ["+", "+"]
    parts = text.split("+")
    if any(p.strip() == "" for p in parts):
        raise ValueError(f"cannot read the chord {text!r}: an empty key between '+' signs")
    return [p.strip() for p in parts]


def normalise_chord(keys: list[str]) -> list[str]:
    """Canonical names for a chord (keys held together), refusing empty and repeated keys."""
    if not keys:
        raise ValueError("a key chord needs at least one key")
    canonical = [normalise_key(k) for k in keys]
    seen: set[str] = set()
    for key in canonical:
        if key in seen:
            raise ValueError(f"the key {key!r} appears twice in the chord {keys!r}")
        seen.add(key)
    return canonical

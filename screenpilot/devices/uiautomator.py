"""UI elements from `uiautomator dump /dev/tty` output.

Real dumps have traps this handles: the XML is followed on the same line by
"UI hierchary dumped to: /dev/tty" (sic); errors come back as text ("ERROR: could not get
idle state.") instead of XML; WebView content is marked `clickable="false"` even where it
reacts to taps; the tree may stop short of the screenshot (no navigation bar); a dialog's root
need not start at (0, 0); and nodes can reach past the screen.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from screenpilot.errors import ScreenpilotError
from screenpilot.perception.elements import Element, Role, numbered
from screenpilot.perception.geometry import ScreenBox

_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")
_TRAILER = re.compile(r"UI hier\w+ dumped to: \S+\s*$")

# Class name (last part) -> role. Checked in order; the first substring that matches wins.
_CLASSES: list[tuple[str, Role]] = [
    ("EditText", "entry"), ("AutoCompleteTextView", "entry"), ("SearchView", "entry"),
    ("Switch", "checkbox"), ("CheckBox", "checkbox"), ("ToggleButton", "checkbox"),
    ("CheckedTextView", "checkbox"), ("RadioButton", "radio"),
    ("Spinner", "combo"), ("Button", "button"), ("ImageButton", "button"),
    ("TabWidget", "tab"), ("TextView", "text"),
]  # fmt: skip


class UiDumpError(ScreenpilotError):
    """The dump was not XML: an error message, or cut short."""


def strip_dump(output: str) -> str:
    """The XML part of a dump, or UiDumpError carrying the device's own message."""
    text = _TRAILER.sub("", output.replace("\r\n", "\n")).strip()
    start = text.find("<?xml")
    if start < 0:
        start = text.find("<hierarchy")
    if start < 0 or not text.rstrip().endswith("</hierarchy>"):
        message = text.splitlines()[0] if text else "empty output"
        raise UiDumpError(f"uiautomator gave no UI tree: {message}")
    return text[start:]


def parse_dump(xml: str, screen: ScreenBox) -> list[Element]:
    """Elements of a dump's XML, boxes clipped to `screen`; nodes wholly off it are dropped."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as error:
        raise UiDumpError(f"uiautomator's UI tree is not valid XML: {error}") from None
    found: list[Element] = []
    for node in root.iter("node"):
        element = _element(node.attrib, screen)
        if element is not None:
            found.append(element)
    return numbered(found, "ui")


def _element(a: dict[str, str], screen: ScreenBox) -> Element | None:
    match = _BOUNDS.fullmatch(a.get("bounds", ""))
    if match is None:
        return None
    left, top, right, bottom = (float(v) for v in match.groups())
    left, top = max(left, screen.x1), max(top, screen.y1)
    right, bottom = min(right, screen.x2 + 1), min(bottom, screen.y2 + 1)
    if right - left < 2 or bottom - top < 2:
        return None
    cls = a.get("class", "")
    role = _role(cls, a)
    text, desc = a.get("text", ""), a.get("content-desc", "")
    rid = a.get("resource-id", "").rsplit("/", 1)[-1]
    if role is None or (role in ("other", "text") and not (text or desc)):
        return None
    flags = ("checkable", "checked", "clickable", "enabled", "focusable", "focused",
             "scrollable", "long-clickable", "password", "selected")  # fmt: skip
    states = frozenset(f for f in flags if a.get(f) == "true")
    if "password" in states:
        states |= {"editable"}
    name = desc or text or rid.replace("_", " ")
    # A password field's text is its mask (as many dots as it holds) or its hint: only the
    # mask is kept, for verification to count.
    masked = bool(text) and all(ch in "•●*" for ch in text)
    value = text if role == "entry" and ("password" not in states or masked) else ""
    return Element(
        id="",
        role=role,
        name=name if role != "entry" else (desc or rid.replace("_", " ") or text),
        value=value,
        states=states,
        box=ScreenBox(x1=left, y1=top, x2=right - 1, y2=bottom - 1),
        source="uiautomator",
    )


def _role(cls: str, a: dict[str, str]) -> Role | None:
    short = cls.rsplit(".", 1)[-1]
    for part, role in _CLASSES:
        if part in short:
            return role
    if "WebView" in short:
        return None  # its content is not in the tree; OCR reads it
    if a.get("checkable") == "true":
        return "checkbox"
    if a.get("clickable") == "true" and (a.get("text") or a.get("content-desc")):
        return "button"
    if a.get("text") or a.get("content-desc"):
        return "other"
    return None

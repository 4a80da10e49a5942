"""What a task step asks of the screen: whether a condition holds (`holds`: text shown, an
element found) and the text of an element (`read_text`: its value, else its name, or the
value beside a label), looked for in the device's own elements before OCR's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from screenpilot.perception.elements import INPUT_ROLES, Element
from screenpilot.perception.grounding import Found, Grounding, ground
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.task_file import (
    Condition,
)


def holds(condition: Condition, observation: Observation) -> bool:
    if condition.negated is not None:
        return not holds(condition.negated, observation)
    if condition.text is not None:
        return shows_text(observation.elements, condition.text)
    assert condition.element is not None
    return isinstance(_find(condition.element, observation)[0], Found)


def _find(target: str, observation: Observation) -> tuple[Grounding, list[Element]]:
    """`target` grounded as the executor grounds it: on the device's own elements (its
    accessibility tree), then, when they lack it, on them with what OCR read. The OCR copy
    of a text the tree also holds does not make it ambiguous. Returns the result and the
    elements it was found among."""
    own = [e for e in observation.elements if e.source not in _PIXEL_SOURCES]
    layers = [own, list(observation.elements)] if own else [list(observation.elements)]
    for elements in layers:
        found = ground(target, elements)
        if isinstance(found, Found):
            break
    return found, elements


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def shows_text(elements: Sequence[Element], text: str) -> bool:
    """Whether some element's name or value contains `text` (case and spacing aside)."""
    wanted = _fold(text)
    return any(wanted in _fold(f"{e.name} {e.value}") for e in elements)


def read_text(observation: Observation, target: str, pattern: str | None) -> str:
    """The text of the element `target` names: its value, else its name. With `pattern`,
    the first match (group 1 if it has one) in that element or, for a label, in the nearest
    element right of it or below it. LookupError when nothing is found or matches."""
    found, elements = _find(target, observation)
    if not isinstance(found, Found):
        raise LookupError(f"nothing to read: {found.message()}")
    candidates = [found.element, *_beside(found.element, elements)]
    if pattern is None:
        element = candidates[0]
        labelled = [e for e in candidates[1:] if e.role in _VALUE_ROLES]
        if element.role == "text" and labelled and not element.value:
            # A label: what it labels (a field or a value, never a button beside it) holds
            # the value.
            return _text_of(labelled[0])
        return _text_of(element)
    regex = re.compile(pattern)
    for element in candidates:
        match = regex.search(_text_of(element))
        if match:
            return match.group(1) if regex.groups else match.group(0)
    raise LookupError(f"{pattern!r} matches nothing in {_text_of(found.element)!r} or beside it")


#: Elements read off the pixels rather than given by the device.
_PIXEL_SOURCES = frozenset({"ocr", "pixels"})
#: What a label can label: a field, or a value shown as text.
_VALUE_ROLES = INPUT_ROLES | {"text"}


def _text_of(element: Element) -> str:
    return element.value or element.name


def _beside(label: Element, elements: Sequence[Element], reach: float = 400) -> list[Element]:
    """Elements right of the label on its line, then below it, nearest first."""
    box = label.box
    right = [
        e for e in elements
        if e is not label and box.x2 - 2 <= e.box.x1 <= box.x2 + reach
        and abs(e.box.center.y - box.center.y) <= max(box.height, 12)
    ]  # fmt: skip
    below = [
        e for e in elements
        if e is not label and box.y2 - 2 <= e.box.y1 <= box.y2 + reach / 4
        and abs(e.box.x1 - box.x1) <= reach / 2
    ]  # fmt: skip
    right.sort(key=lambda e: e.box.x1 - box.x2)
    below.sort(key=lambda e: e.box.y1 - box.y2)
    return right + below

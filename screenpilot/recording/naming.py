"""Naming what a person pressed, in words that find the same thing again.

For a point on a snapshot the namer takes the element under it (`placement.element_at`: the
device's own elements first, then what OCR reads there) and tries descriptions from the most
natural to the most specific, keeping the first that grounds back to that same element on
that same snapshot:

1. its own name with its role ("the OK button", "the Email field");
2. the label that names it, by the rules grounding pairs labels with controls ("the Name
   field" for an unnamed entry right of "Name"), or its placeholder;
3. a relation to the nearest text ("the field right of Email", "the button below Total");
4. an ordinal among its kind ("the second field").

Only when none of them comes back to it is the place kept as a point: relative to the active
window when the window is known (it survives the window moving), else on the screen.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from screenpilot.actions.placement import element_at
from screenpilot.actions.targets import Description, Target, WindowPoint
from screenpilot.perception.elements import INPUT_ROLES, Element, Role
from screenpilot.perception.geometry import ScreenPoint
from screenpilot.perception.grounding import Found, Intent, ground, labelled_control
from screenpilot.perception.screenshot import Observation
from screenpilot.recording.events import Snapshot

#: The word a description uses for each role.
ROLE_WORD: dict[Role, str] = {
    "button": "button", "entry": "field", "field": "field", "combo": "list",
    "checkbox": "checkbox", "radio": "option", "link": "link", "menu": "menu", "tab": "tab",
}  # fmt: skip
_ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
#: Names longer than this make poor descriptions (a paragraph of OCR'd text).
_LONGEST_NAME = 60
#: Words that say an input holds a password, in the languages the safety words cover.
_PASSWORD_WORDS = re.compile(
    r"\b(?:password|passcode|passphrase|pass ?word|pin|passwort|kennwort|mot de passe|"
    r"contraseña|senha|wachtwoord|hasło|пароль|密码|密碼|パスワード|비밀번호)\b",
    re.IGNORECASE,
)
#: Snapshots whose OCR is kept.
_OCR_KEPT = 8
_MASK = re.compile(r"^[•●*·∙⋅◦]+$")


@dataclass(frozen=True)
class Named:
    """A target for the place a person pressed, how it was named and what is there."""

    target: Target
    how: str
    element: Element | None = None
    label: str = ""

    @property
    def in_words(self) -> bool:
        return isinstance(self.target, Description)


#: Reads a snapshot's pixels into elements (OCR); None where no reader is available.
PixelReader = Callable[[Snapshot], list[Element]]


class Namer:
    """Names places on snapshots; OCR (`read_pixels`) runs at most once per snapshot and
    only when the device's own elements do not name the place."""

    def __init__(self, read_pixels: PixelReader | None = None) -> None:
        self.read_pixels = read_pixels
        # Keyed by snapshot identity; each entry holds its snapshot, so an id is never reused
        # while its entry lives. The few newest are kept: naming looks back seconds at most.
        self._read: OrderedDict[int, tuple[Snapshot, list[Element]]] = OrderedDict()

    def elements(self, snapshot: Snapshot, *, with_ocr: bool = False) -> list[Element]:
        """The snapshot's elements, plus what OCR reads on it when asked (once per snapshot)."""
        own = snapshot.observation.elements
        if not with_ocr or self.read_pixels is None:
            return own
        key = id(snapshot)
        if key not in self._read:
            self._read[key] = (snapshot, self.read_pixels(snapshot))
            while len(self._read) > _OCR_KEPT:
                self._read.popitem(last=False)
        return own + self._read[key][1]

    def name(self, snapshot: Snapshot, point: ScreenPoint, intent: Intent = "any") -> Named:
        """The best target for `point` on `snapshot`, for an action that will `intent` it."""
        named = self._from(snapshot, self.elements(snapshot), point, intent)
        if named is None and self.read_pixels is not None:
            named = self._from(snapshot, self.elements(snapshot, with_ocr=True), point, intent)
        if named is not None:
            return named
        box = snapshot.window_box
        if box is not None and box.contains(point):
            offset = WindowPoint(x=point.x - box.x1, y=point.y - box.y1, window=snapshot.window)
            return Named(offset, "a point in the window: nothing there has a name")
        return Named(point, "a point on the screen: nothing there has a name")

    def _from(
        self, snapshot: Snapshot, elements: list[Element], point: ScreenPoint, intent: Intent
    ) -> Named | None:
        if not elements:
            return None
        element = element_at(Observation(snapshot.observation.screenshot, elements), point)
        if element is None:
            return None
        for words, how, label in candidates(element, elements):
            if grounds_back(words, elements, element, point, intent):
                return Named(Description(text=words), how, element, label)
        return None


def grounds_back(
    words: str, elements: Sequence[Element], element: Element, point: ScreenPoint, intent: Intent
) -> bool:
    """Whether `words` find `element` (or the thing at `point`) again on these elements."""
    found = ground(words, elements, intent=intent)
    if not isinstance(found, Found) or found.element is None:
        return False
    return found.element.id == element.id or found.element.box.contains(point)


def candidates(element: Element, elements: Sequence[Element]) -> Iterator[tuple[str, str, str]]:
    """Descriptions of `element`, most natural first, with how each names it and the label
    it leans on (for password detection)."""
    word = ROLE_WORD.get(element.role, "")
    name = _clean(element.name)
    source = "OCR text" if element.source in ("ocr", "pixels") else "its name"
    if name:
        if word:
            yield f"the {_quoted(name)} {word}", source, name
        elif element.role == "text":
            # A caption read inside a drawn control (OCR): "the Submit button".
            for around in elements:
                kind = ROLE_WORD.get(around.role, "")
                if kind and around.id != element.id and around.box.contains(element.box.center):
                    yield f"the {_quoted(name)} {kind}", source, name
                    break
        yield _quoted(name), source, name
    texts = _captions(element, elements)
    if element.role != "text":
        for label in _labels(element, elements, texts):
            yield f"the {_quoted(label)} {word or 'field'}", "the label beside it", label
    placeholder = _clean(element.placeholder)
    if placeholder:
        yield f"the {_quoted(placeholder)} {word or 'field'}", "its placeholder", placeholder
    if element.role != "text":
        for relation, text in _neighbours(element, texts):
            yield f"the {word or 'field'} {relation} {_quoted(text)}", f"{relation} a text", text
    if word:
        same = sorted(
            (e for e in elements if e.role == element.role),
            key=lambda e: (round(e.box.y1 / 8), e.box.x1),
        )
        index = next((i for i, e in enumerate(same) if e.id == element.id), None)
        if index is not None and index < len(_ORDINAL_WORDS):
            yield f"the {_ORDINAL_WORDS[index]} {word}", "its place among its kind", ""


def _captions(element: Element, elements: Sequence[Element]) -> list[Element]:
    """Texts that may name `element`: not the text inside an input (what was typed there is
    no label), and only from its own window when the source knows windows."""
    inputs = [e.box for e in elements if e.role in INPUT_ROLES and e.id != element.id]
    return [
        e
        for e in elements
        if e.role == "text"
        and e.id != element.id
        and _clean(e.name)
        and not any(box.contains(e.box.center) for box in inputs)
        and (not element.window or not e.window or e.window == element.window)
    ]


def _labels(element: Element, elements: Sequence[Element], texts: list[Element]) -> list[str]:
    """Names of the texts that label `element` by grounding's own pairing rules, the
    closest first (a caption on its row before a heading above it)."""
    roles = frozenset({element.role})
    if element.role in INPUT_ROLES:
        roles |= INPUT_ROLES
    controls = [e for e in elements if e.role != "text"]
    found = [
        (_closeness(t, element), _clean(t.name))
        for t in texts
        if (paired := labelled_control(t, controls, roles, texts)) is not None
        and paired.id == element.id
    ]
    ordered = [name for _, name in sorted(found)]
    return list(dict.fromkeys(ordered))


def _closeness(label: Element, element: Element) -> tuple[int, float]:
    """How directly a label sits by a control: on its row (left or right) before above it,
    nearer before farther."""
    a, b = label.box, element.box
    same_row = a.y1 < b.y2 and a.y2 > b.y1
    gap = abs(b.center.x - a.center.x) if same_row else abs(b.center.y - a.center.y)
    return (0 if same_row else 1, gap)


def _neighbours(element: Element, texts: list[Element]) -> list[tuple[str, str]]:
    """The nearest text left of the element on its row ("right of"), and above it
    ("below")."""
    box = element.box
    left = [
        (box.x1 - t.box.x2, t)
        for t in texts
        if t.box.x2 <= box.x1 + 2 and t.box.y1 < box.y2 and t.box.y2 > box.y1
    ]
    above = [
        (box.y1 - t.box.y2, t)
        for t in texts
        if t.box.y2 <= box.y1 + 2 and t.box.x1 < box.x2 and t.box.x2 > box.x1
    ]
    found = []
    if left:
        found.append(("right of", _clean(min(left, key=lambda g: g[0])[1].name)))
    if above:
        found.append(("below", _clean(min(above, key=lambda g: g[0])[1].name)))
    return found


def holds_a_password(element: Element | None, label: str = "") -> bool:
    """Whether typing into this element types a password: the source says so, its text is
    a mask, or its name or label says password."""
    if element is None:
        return bool(label and _PASSWORD_WORDS.search(label))
    if "password" in element.states or (element.value and _MASK.match(element.value)):
        return True
    words = " ".join((element.name, element.placeholder, label))
    return bool(_PASSWORD_WORDS.search(words))


def _clean(text: str) -> str:
    text = " ".join(text.split()).strip(" :*")
    return text if len(text) <= _LONGEST_NAME else ""


def _quoted(text: str) -> str:
    """A name as a description holds it: quoted when it has role or relation words that
    would otherwise be read as part of the description."""
    plain = re.fullmatch(r"[\w .@,'&+-]+", text) and not re.search(
        r"\b(?:the|of|in|right|left|below|above|under|over|next|after|first|second|last)\b",
        text,
        re.IGNORECASE,
    )
    return text if plain else '"' + text.replace('"', "'") + '"'

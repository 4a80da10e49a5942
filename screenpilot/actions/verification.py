"""Did the action do what it should? Checks run on the settled frame after an action.

- typing: the target now holds exactly what it held plus the text (or only the text after
  `clear_first`) - its accessible value, or what OCR reads there (a text wider than its
  field passes with "cannot verify the whole text" when its visible part matches); a
  password field by the number of its mask characters, never written down;
- a checkable element (accessibility): its checked state flipped;
- anything else that acts: the screen changed, near the target or anywhere;
- waits for text or an element: it appeared before the timeout.
A hover has nothing to see (X screenshots carry no pointer); answers and finishes do nothing
on the device. Everything else with no visible effect fails.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from screenpilot.actions.vocabulary import Action, Click, Hover, Key, TypeText, Wait
from screenpilot.perception.change import changed_fraction
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import Rect, ScreenBox, ScreenPoint
from screenpilot.perception.grounding import Found, ground

if TYPE_CHECKING:
    from screenpilot.actions.placement import Placed
    from screenpilot.perception.change import Frame
    from screenpilot.perception.screenshot import Observation, Screenshot

#: Share of pixels that must change for "the screen changed" (~200 pixels at 1080p).
SCREEN_EFFECT = 0.0001
#: Share of a target's neighbourhood that must change for "it changed there".
LOCAL_EFFECT = 0.002
#: Element sources that can be read again to see an element's new value or state.
TREE_SOURCES = ("a11y", "uiautomator")
#: Half the side of the box taken around a target given as a bare point, in pixels.
NEIGHBOURHOOD = 24


class Probe(Protocol):
    """What verification may do on the device after an action: look again, read the
    device's own elements, read text in a region of a frame, pause between looks."""

    @property
    def can_read(self) -> bool:
        """Whether `read_text` has an OCR engine behind it."""
        ...

    def observe(self) -> Observation:
        """A fresh screenshot with every element (the device's and OCR's)."""
        ...

    def elements(self) -> list[Element]:
        """The device's own elements now (accessibility, uiautomator)."""
        ...

    def read_text(self, pixels: Frame, region: Rect) -> str:
        """The text OCR reads in `region` of `pixels` ("" without an OCR engine)."""
        ...

    def settle(self) -> None:
        """Pause before looking again."""
        ...

    def now(self) -> float: ...


@dataclass(frozen=True)
class Verdict:
    """Whether the effect was seen, and in words what was checked."""

    ok: bool
    reason: str
    changed: float = 0.0


def verify(
    action: Action,
    placed: Placed | None,
    before: Observation,
    after: Screenshot | None,
    probe: Probe,
    *,
    intended: str | None = None,
) -> Verdict:
    """Check the action's effect on the settled screenshot `after` (None: nothing ran).
    `intended` is what a typed field should hold now, when the caller knows it better than
    the placed element's value (a retry that types only the missing part)."""
    if after is None:
        return Verdict(True, "nothing to check on the screen")
    changed = changed_fraction(before.screenshot.raw, after.raw)
    if isinstance(action, Wait):
        return _wait_outcome(action, probe, changed)
    if isinstance(action, Hover):
        return Verdict(True, "pointer moved (a hover shows nothing to check)", changed)
    if isinstance(action, Key) and changed <= SCREEN_EFFECT and _moves_the_caret(action.keys):
        # Ctrl+End in a document already at its end, Home in a field: the caret may move
        # where no frame shows it (it blinks), and nothing else is meant to change.
        return Verdict(True, f"{action.chord} moves the caret (nothing else to see)", changed)
    if isinstance(action, TypeText) and action.text:
        return _typed(action, placed, before, after, probe, changed, intended)
    if isinstance(action, Click) and placed is not None and placed.element is not None:
        state = placed.element.checked
        if state is not None and placed.element.source in TREE_SOURCES:
            now = _same_element(placed.element.box, probe)
            if now is not None and now.checked is not None:
                wanted = {"checked": True, "unchecked": False}.get(action.ensure or "")
                if now.checked != state and wanted in (None, now.checked):
                    return Verdict(
                        True,
                        f"{placed.element.name!r} is now "
                        f"{'checked' if now.checked else 'unchecked'}",
                        changed,
                    )
                return Verdict(
                    False,
                    f"{placed.element.name!r} is still {'checked' if state else 'unchecked'}",
                    changed,
                )
    if placed is not None:
        # A click shows its effect near where it landed: a check mark is ~200 pixels, too
        # few for the whole screen's threshold, plenty for its neighbourhood.
        near = placed.box or _around(placed.point, NEIGHBOURHOOD)
        local = _local_change(before, after, near)
        if local > LOCAL_EFFECT:
            return Verdict(True, f"the screen changed at the target ({local:.1%} of it)", changed)
    if changed > SCREEN_EFFECT:
        return Verdict(True, f"the screen changed ({changed:.2%})", changed)
    return Verdict(False, "no visible effect: the screen did not change", changed)


def intended_value(action: TypeText, placed: Placed | None) -> str | None:
    """What the field should hold once `action` is typed: the text itself after
    `clear_first`, else what the field held (its accessible value) plus the text, since
    typing adds at the end. None when the field's value before is not known."""
    if action.clear_first:
        return action.text
    element = placed.element if placed is not None else None
    if element is not None and element.source in TREE_SOURCES and element.role == "entry":
        return element.value + action.text
    return None


def _typed(
    action: TypeText,
    placed: Placed | None,
    before: Observation,
    after: Screenshot,
    probe: Probe,
    changed: float,
    intended: str | None,
) -> Verdict:
    text = action.text
    if placed is None or placed.box is None:
        if changed > SCREEN_EFFECT:
            return Verdict(True, "the screen changed where the focus is", changed)
        return Verdict(False, "no visible effect: typing changed nothing", changed)
    element = placed.element
    secret = element is not None and "password" in element.states
    if intended is None:
        intended = intended_value(action, placed)
    if element is not None and element.source in TREE_SOURCES and element.role == "entry":
        now = _same_element(element.box, probe)
        if now is not None and secret:
            if now.value or not intended:
                return _password_held(now.value, intended, changed)
            # The tree shows nothing of it (not even the mask): judged by its pixels below.
        elif now is not None:
            if now.value == intended or _was_a_hint(element.value, now.value, action):
                return Verdict(True, f"the field now holds {now.value!r}", changed)
            wanted = intended if intended is not None else text
            return Verdict(False, f"the field holds {now.value!r}, not {wanted!r}", changed)
    local = _local_change(before, after, placed.box)
    if not probe.can_read:
        if local > LOCAL_EFFECT:
            return Verdict(True, f"the field changed ({local:.1%} of it)", changed)
        ok = changed > SCREEN_EFFECT
        return Verdict(
            ok,
            "the screen changed (no OCR to read the field)" if ok else "no visible effect",
            changed,
        )
    region = field_region(placed.box, before)
    # What OCR read there before, plus the text (typing adds at the end), when nothing else
    # says what it should hold; read first, so the reader keeps the reading of after.
    had_read = probe.read_text(before.screenshot.pixels, region) if intended is None else None
    seen = probe.read_text(after.pixels, region)
    if secret or (_masked(seen) and not _masked(text)):
        # A password field shows dots (or, to OCR, nothing it can read) for what was typed.
        return _password_seen(seen, intended, local, changed)
    if intended is None:
        intended = (had_read or "").strip() + text
    shown = _caret_off(seen.strip()) if _fold(seen) != _fold(intended) else seen
    had = intended[: -len(text)] if intended.endswith(text) else ""
    if _fold(shown) == _fold(intended) or _typed_once(seen, text, had):
        return Verdict(True, f"OCR reads {seen!r} in the field", changed)
    if _wider_than_the_field(seen, intended, after, placed.box, before):
        return Verdict(
            True,
            "cannot verify the whole text (wider than the field): "
            f"OCR reads its visible end {seen!r}",
            changed,
        )
    return Verdict(False, f"OCR reads {seen!r} in the field, not {intended!r}", changed)


def _typed_once(seen: str, text: str, had: str) -> bool:
    """Whether OCR's words show the typed text exactly once and whole: its words in a row,
    none glued to other letters ("421" for "42", "bobbob" for "bob"), except its first word
    to the end of what the field held before (typing adds there: "Bob" + "son"). Words
    around it are tolerated: the padded region OCR reads catches stray marks and the caret."""
    want = [_fold(w) for w in text.split()]
    if not want:
        return False
    # Each word as read, and without a caret OCR took for a last "l", "i" or "|".
    words = [{_fold(w), _fold(_caret_off(w))} for w in seen.split()]
    glued = _fold(had.split()[-1]) if had.split() and not had[-1:].isspace() else ""
    if glued and not text[:1].isspace():
        want[0] = glued + want[0]
    n = len(want)
    found = sum(
        1
        for i in range(len(words) - n + 1)
        if all(w in read for w, read in zip(want, words[i : i + n], strict=True))
    )
    return found == 1


def _was_a_hint(before: str, now: str, action: TypeText) -> bool:
    """Whether the text a field showed before typing was its hint, not its value: Android's
    tree gives an empty field's hint as its text ("Username"), and typing, which only adds,
    cannot have removed it - yet the field now holds exactly the typed text."""
    return (
        not action.clear_first
        and bool(before)
        and now == action.text
        and not now.startswith(before)
    )


def _password_held(value: str, intended: str | None, changed: float) -> Verdict:
    """A password field read from the tree: its accessible text is the mask characters, as
    many as it holds. The count is checked, never written down (it tells a secret's length)."""
    if intended is None:
        ok = bool(value)
        said = "the password field holds text" if ok else "the password field is empty"
        return Verdict(ok, said, changed)
    if len(value) == len(intended) and (value == intended or _masked(value)):
        return Verdict(True, "the password field holds as many characters as were typed", changed)
    return Verdict(
        False, "the password field does not hold as many characters as were typed", changed
    )


def _password_seen(seen: str, intended: str | None, local: float, changed: float) -> Verdict:
    """A password field read by OCR: count its dots when OCR sees them, else the field must
    at least have changed. Never writes the count down."""
    dots = sum(1 for ch in seen if ch in _MASK)
    if dots and intended is not None:
        if dots == len(intended):
            return Verdict(True, "the password field shows as many dots as were typed", changed)
        return Verdict(
            False, "the password field does not show as many dots as were typed", changed
        )
    if local > LOCAL_EFFECT:
        return Verdict(True, f"the field changed ({local:.1%} of it); its text is masked", changed)
    return Verdict(False, "no visible effect in the password field", changed)


#: Share of a field's inner width that text fills when it is wider than the field.
FULL_FIELD = 0.8


def _wider_than_the_field(
    seen: str, intended: str, after: Screenshot, box: ScreenBox, before: Observation
) -> bool:
    """Whether OCR sees only part of a text too wide for its field: what it reads is the
    start or the end of the text (the field scrolls with the caret), and ink fills the
    field from side to side."""
    part, whole = _fold(_caret_off(seen.strip())), _fold(intended)
    if len(part) < 3 or len(part) >= len(whole):
        return False
    if not (whole.endswith(part) or whole.startswith(part)):
        return False
    inner = ScreenBox(x1=box.x1 + 4, y1=box.y1 + 3, x2=box.x2 - 4, y2=box.y2 - 3)
    r = _pixels_of(inner, before)
    field = after.pixels[r.top : r.top + r.height, r.left : r.left + r.width].astype(int)
    if field.size == 0:
        return False
    background = np.median(field.reshape(-1, field.shape[-1]), axis=0)
    ink = np.abs(field - background).max(axis=-1) > 60
    columns = np.flatnonzero(ink.any(axis=0))
    return columns.size > 0 and (columns[-1] - columns[0] + 1) >= FULL_FIELD * r.width


#: Keys that only move the caret or the selection, alone or with Ctrl/Shift.
_CARET_KEYS = frozenset({"home", "end", "left", "right", "up", "down", "pageup", "pagedown"})


def _moves_the_caret(keys: list[str]) -> bool:
    *mods, last = keys
    return last in _CARET_KEYS and set(mods) <= {"ctrl", "shift"}


def _wait_outcome(action: Wait, probe: Probe, changed: float) -> Verdict:
    if action.seconds is not None:
        return Verdict(True, f"waited {action.seconds:g} s", changed)
    deadline = probe.now() + action.limit
    while True:
        seen = probe.observe()
        if action.until_text is not None:
            words = " ".join(f"{e.name} {e.value}" for e in seen.elements)
            if _contains(words, action.until_text):
                return Verdict(True, f"{action.until_text!r} is visible", changed)
        elif action.until_element is not None and isinstance(
            ground(action.until_element, seen.elements), Found
        ):
            return Verdict(True, f"{action.until_element!r} is there", changed)
        if probe.now() >= deadline:
            wanted = action.until_text or action.until_element
            return Verdict(False, f"{wanted!r} did not appear within {action.limit:g} s", changed)
        probe.settle()


def _same_element(box: ScreenBox, probe: Probe) -> Element | None:
    """The device's element at the same place now (boxes may shift by a pixel)."""
    for element in probe.elements():
        b = element.box
        if max(abs(b.x1 - box.x1), abs(b.y1 - box.y1), abs(b.x2 - box.x2), abs(b.y2 - box.y2)) <= 2:
            return element
    return None


def field_region(box: ScreenBox, observation: Observation) -> Rect:
    """The pixels OCR is given to read a field: its box with generous padding (OCR drops a
    letter that touches the edge of what it is given)."""
    return _pixels_of(box, observation, pad=16)


def _pixels_of(box: ScreenBox, observation: Observation, pad: int = 0) -> Rect:
    """A screen box as a rectangle of the observation's pixels, padded and clipped."""
    g = observation.geometry
    a = g.screen_to_image(ScreenPoint(x=box.x1, y=box.y1))
    b = g.screen_to_image(ScreenPoint(x=box.x2, y=box.y2))
    h, w = observation.screenshot.raw.shape[:2]
    left, top = max(0, int(a.x) - pad), max(0, int(a.y) - pad)
    right, bottom = min(w, int(b.x) + 1 + pad), min(h, int(b.y) + 1 + pad)
    return Rect(left=left, top=top, width=max(1, right - left), height=max(1, bottom - top))


def _local_change(before: Observation, after: Screenshot, box: ScreenBox) -> float:
    """Changed share of the target's neighbourhood: the box, widened by twice its height to
    each side (a checkbox's square sits left of the caption OCR found)."""
    reach = 2 * max(box.height, 16)
    wide = ScreenBox(
        x1=box.x1 - reach, y1=box.y1 - box.height / 2, x2=box.x2 + reach, y2=box.y2 + box.height / 2
    )
    r = _pixels_of(wide, before)
    old = before.screenshot.raw[r.top : r.top + r.height, r.left : r.left + r.width]
    new = after.raw[r.top : r.top + r.height, r.left : r.left + r.width]
    return changed_fraction(old, new)


def _around(point: ScreenPoint, half: float) -> ScreenBox:
    return ScreenBox(x1=point.x - half, y1=point.y - half, x2=point.x + half, y2=point.y + half)


def _fold(text: str) -> str:
    """Case, width, spacing and accents folded away (OCR may drop an accent or a space)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch) and not ch.isspace())


def _contains(seen: str, typed: str) -> bool:
    return _fold(typed) in _fold(seen)


#: Characters a password field shows instead of its text (GTK's ●, Tk's *, browsers' •).
_MASK = frozenset("•●∙·*◦⏺")


def _masked(seen: str) -> bool:
    """OCR of a field that hides its text: nothing, or only bullets and stars."""
    return all(ch in _MASK or ch.isspace() for ch in seen)


def _caret_off(word: str) -> str:
    return word[:-1] if word[-1:] in ("|", "l", "i", "!") else word

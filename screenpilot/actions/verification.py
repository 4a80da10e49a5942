"""Did the action do what it should? Checks run on the settled frame after an action.

- typing: the text is now in the target - its accessible value, or what OCR reads there;
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
) -> Verdict:
    """Check the action's effect on the settled screenshot `after` (None: nothing ran)."""
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
        return _typed(action.text, action.clear_first, placed, before, after, probe, changed)
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


def _typed(
    text: str,
    replaced: bool,
    placed: Placed | None,
    before: Observation,
    after: Screenshot,
    probe: Probe,
    changed: float,
) -> Verdict:
    if placed is None or placed.box is None:
        if changed > SCREEN_EFFECT:
            return Verdict(True, "the screen changed where the focus is", changed)
        return Verdict(False, "no visible effect: typing changed nothing", changed)
    element = placed.element
    if (
        element is not None
        and element.source in TREE_SOURCES
        and element.role == "entry"
        and "password" not in element.states  # a password field shows dots, not the text
    ):
        now = _same_element(element.box, probe)
        if now is not None:
            held = _fold(now.value) == _fold(text) if replaced else _contains(now.value, text)
            if held:
                return Verdict(True, f"the field now holds {now.value!r}", changed)
            return Verdict(False, f"the field holds {now.value!r}, not {text!r}", changed)
    if not probe.can_read or (element is not None and "password" in element.states):
        local = _local_change(before, after, placed.box)
        if local > LOCAL_EFFECT:
            return Verdict(True, f"the field changed ({local:.1%} of it)", changed)
        ok = changed > SCREEN_EFFECT
        return Verdict(
            ok,
            "the screen changed (no OCR to read the field)" if ok else "no visible effect",
            changed,
        )
    # Generous padding: OCR drops a letter that touches the edge of what it is given.
    region = _pixels_of(placed.box, before, pad=16)
    seen = probe.read_text(after.pixels, region)
    local = _local_change(before, after, placed.box)
    if _masked(seen) and local > LOCAL_EFFECT:
        # A password field shows dots (or, to OCR, nothing it can read) for what was typed.
        return Verdict(True, f"the field changed ({local:.1%} of it); its text is masked", changed)
    if _contains(seen, text) and not (replaced and _runs_on(seen, text)):
        return Verdict(True, f"OCR reads {seen!r} in the field", changed)
    return Verdict(False, f"OCR reads {seen!r} in the field, not {text!r}", changed)


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


def _masked(seen: str) -> bool:
    """OCR of a field that hides its text: nothing, or only bullets, dots and stars."""
    return all(ch in "•●∙·*.°oO0 " for ch in seen)


def _runs_on(seen: str, typed: str) -> bool:
    """Whether every place the typed text shows up is glued to more letters or digits of
    the same word ("421" when "42" replaced a "1"): the old text was not cleared."""
    want = _fold(typed)
    words = [_fold(w).strip(".,:;") for w in seen.split() if want in _fold(w)]
    # OCR reads the text caret after the last letter as "|", "l" or "I".
    return bool(words) and all(w != want and _caret_off(w) != want for w in words)


def _caret_off(word: str) -> str:
    return word[:-1] if word[-1:] in ("|", "l", "i", "!") else word

"""Where an action's targets land on the screen, and how each was found: the `Placed` value,
the rules the executor places targets by (what grounding should look for, where typing with
no target goes, where a direction swipe ends, which element lies under a bare point, when
the observation's elements must be read), and `GroundingError` for words that match nothing
or several things."""

from __future__ import annotations

from dataclasses import dataclass

from screenpilot.actions.targets import Description, ElementRef
from screenpilot.actions.vocabulary import (
    Action,
    Click,
    Hover,
    Key,
    LongPress,
    Scroll,
    Swipe,
    SystemButton,
    TargetRole,
    TypeText,
)
from screenpilot.devices.protocol import Device
from screenpilot.errors import ScreenpilotError
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox, ScreenPoint
from screenpilot.perception.grounding import Ambiguous, Found, Intent, NotFound
from screenpilot.perception.screenshot import Observation


@dataclass(frozen=True)
class Placed:
    """One target of an action placed on the current screenshot: the point the input goes
    to, the box and element it belongs to when known, and the grounding when words were
    placed. `role` says which of the action's targets it is (see `Action.targets`)."""

    point: ScreenPoint
    box: ScreenBox | None = None
    element: Element | None = None
    grounding: Found | None = None
    role: TargetRole = "target"


def main_placement(placements: tuple[Placed, ...]) -> Placed | None:
    """The placement a person looks at first: the action's `target`, else where a drag or
    swipe ends, else its only one."""
    for role in ("target", "end", "start"):
        for placed in placements:
            if placed.role == role:
                return placed
    return None


class GroundingError(ScreenpilotError):
    """A target described in words matched nothing, or several things. `observation` is
    the screen it was looked for on (when known), so the failure can be shown."""

    def __init__(
        self, result: Ambiguous | NotFound, observation: Observation | None = None
    ) -> None:
        self.result = result
        self.observation = observation
        super().__init__(result.message())


def intent_of(action: Action) -> Intent:
    """What grounding should look for when the words name no role."""
    if isinstance(action, TypeText):
        return "type"
    if isinstance(action, Click) and action.ensure is not None:
        return "check"
    if isinstance(action, Click | LongPress | Hover):
        return "click"
    return "any"


def only_editable(observation: Observation) -> Placed | None:
    """Where to type when the action names no target: where the focus is (None: no click)
    when a focused element is known or nothing is known; else the one editable element
    when there is exactly one."""
    elements = observation.elements
    if any("focused" in e.states and e.role in ("entry", "combo") for e in elements):
        return None
    # Only a tree knows what is editable; a drawn box might be anything.
    editable = [e for e in elements if e.role == "entry" and e.source in ("a11y", "uiautomator")]
    if len(editable) == 1:
        e = editable[0]
        return Placed(observation.geometry.guard(e.box.center), e.box, e)
    return None


def needs_elements(action: Action, *, guarded: bool = False) -> bool:
    """Whether placing this action's targets needs the observation's elements. `guarded`:
    a safety guard will judge what the action touches, so a point needs the element under
    it, and a click, typing or Enter with no target the focused element or the one under
    the pointer (reading a tree costs ~15 ms; an unguarded click on a point goes without)."""
    if isinstance(action, TypeText) and action.target is None:
        return True  # to find the focused or the only editable element
    if any(isinstance(t, Description | ElementRef) for _, t in action.targets):
        return True
    if not guarded:
        return False
    if action.targets or isinstance(action, Click | Scroll):
        return True
    if isinstance(action, Key):
        return "enter" in action.keys or action.keys == ["space"]
    return isinstance(action, SystemButton) and action.button == "enter"


def element_at(observation: Observation, point: ScreenPoint) -> Element | None:
    """The element under a point: the smallest of the device's own (accessibility,
    uiautomator) whose box holds it, a control before the text or window around it; else
    the smallest OCR or pixel-found one there."""
    holding = [e for e in observation.elements if e.box.contains(point)]
    for sources in (("a11y", "uiautomator"), ("ocr", "pixels")):
        found = [e for e in holding if e.source in sources]
        controls = [e for e in found if e.role not in _SURROUNDINGS]
        if controls or found:
            best = min(controls or found, key=lambda e: e.box.width * e.box.height)
            if not best.name:
                # A control found by its drawn outline has neither a name nor a role to
                # trust (a Tk button can look like an entry): the text drawn there, read
                # whole (its line, not one of its words), is what the place says.
                words = [e for e in holding if e.name and e.role == "text"]
                if words:
                    return max(words, key=lambda e: len(e.name))
            return best
    return None


def under_pointer(device: Device, observation: Observation) -> Placed | None:
    """Where the pointer is, with the element under it, when the device can tell; None
    when it cannot."""
    point = device.pointer_position()
    if point is None:
        return None
    return Placed(point, element=element_at(observation, point))


#: Roles of what surrounds a control rather than being one: under a point, a button wins
#: over the label drawn inside it and the window around it.
_SURROUNDINGS = frozenset({"text", "window", "other"})


def swipe_end(action: Swipe, placements: list[Placed], before: Observation) -> Placed:
    """Where a swipe given by direction ends: `distance` (half by default) of the screen's
    extent from its start (mid-screen when it has none), kept on the screen."""
    screen = before.geometry.screen_box
    first = placements[0].point if placements else screen.center
    share = action.distance if action.distance is not None else 0.5
    dx = {"left": -1, "right": 1}.get(action.direction or "", 0) * share * screen.width
    dy = {"up": -1, "down": 1}.get(action.direction or "", 0) * share * screen.height
    end = before.geometry.guard(ScreenPoint(x=first.x + dx, y=first.y + dy))
    return Placed(end, element=element_at(before, end), role="end")

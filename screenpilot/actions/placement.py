"""Where an action's targets landed on the screen, and how each was found."""

from __future__ import annotations

from dataclasses import dataclass

from screenpilot.actions.vocabulary import TargetRole
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox, ScreenPoint
from screenpilot.perception.grounding import Found


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

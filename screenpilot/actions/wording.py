"""An action in a few words, for people: "type 'bob' into the Email field",
"click (960, 540)", "drag from the file to the Trash"."""

from __future__ import annotations

from screenpilot.actions.targets import Description, ElementRef, Target, WindowPoint
from screenpilot.actions.vocabulary import (
    Action,
    Key,
    OpenApp,
    Scroll,
    Swipe,
    SystemButton,
    Wait,
)
from screenpilot.perception.geometry import ScreenBox, ScreenPoint


def target_words(target: Target) -> str:
    """A target as a person would read it."""
    if isinstance(target, Description):
        return target.text
    if isinstance(target, ScreenPoint):
        return f"({target.x:.0f}, {target.y:.0f})"
    if isinstance(target, WindowPoint):
        return f"({target.x:.0f}, {target.y:.0f}) in the {target.window or 'active'} window"
    if isinstance(target, ScreenBox):
        return f"({target.center.x:.0f}, {target.center.y:.0f})"
    assert isinstance(target, ElementRef)
    return f"element {target.id}"


def summary(action: Action) -> str:
    """The action in one short line, naming every target it points at."""
    roles = {role: target_words(target) for role, target in action.targets}
    words = roles.get("target", "")
    if "start" in roles or "end" in roles:
        words = " ".join(
            f"{lead} {roles[role]}" for lead, role in (("from", "start"), ("to", "end"))
            if role in roles
        )  # fmt: skip
    detail = getattr(action, "text", "") if action.type in ("type", "answer") else ""
    if action.type == "type" and detail and words:
        words = f"into {words}"
    how = _how(action)
    return " ".join(p for p in (action.type, how, repr(detail) if detail else "", words) if p)


def _how(action: Action) -> str:
    """What an action without text or target does, in a word or two ("ctrl+s", "down 3")."""
    if isinstance(action, Key):
        return action.chord
    if isinstance(action, SystemButton):
        return action.button
    if isinstance(action, OpenApp):
        return repr(action.app)
    if isinstance(action, Scroll):
        return f"{action.direction} {action.amount}"
    if isinstance(action, Swipe) and action.direction is not None:
        return action.direction
    if isinstance(action, Wait):
        if action.seconds is not None:
            return f"{action.seconds:g} s"
        return f"for {action.until_text or action.until_element!r}"
    return ""

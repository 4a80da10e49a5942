"""Every action passes the safety policy before it runs: allow, ask a person, or refuse.

Asked about by default: acting on something whose words say delete, pay, buy, send,
transfer, sign out, uninstall, reset, format and the like, in the common UI languages (the
terms are data: `risk_words.yaml`, matched as `risk_words` says); typing into password
fields; system key chords; opening apps outside an allow-list. Refused: touching the screen
outside an allowed region.

What is judged is the *resolved* target: each of the action's places as the executor placed
it (the words it was described with, and the element found there, also under a bare point),
so a drag or swipe is judged at both ends and a model's `left_click [x, y]` on a "Delete
everything" button is asked about like the words "Delete everything". Words are judged with
the element's role: ticking a checkbox or a radio button is not the risky act, nor is
clicking or typing into a field, unless the typing ends in Enter (a newline), which submits;
a button, a menu item, a link or text is. Enter pressed as a key is judged on the focused
element. A non-interactive run refuses what it would have asked.

`SafetyPolicy` holds the rules; `SafetyGuard` is the executor's guard: the policy's decision,
with a person asked (through `Confirm`) when the policy says "ask".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from screenpilot.actions.guard import ALLOWED, SafetyDecision
from screenpilot.actions.placement import Placed
from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import (
    Action,
    Click,
    Hover,
    Key,
    OpenApp,
    SystemButton,
    TargetRole,
    TypeText,
)
from screenpilot.agent.risk_words import RiskTerm, RiskWords, default_words, plain_words
from screenpilot.perception.elements import INPUT_ROLES, Element
from screenpilot.perception.geometry import ScreenBox
from screenpilot.perception.screenshot import Observation


@dataclass
class SafetyPolicy:
    """The rules. `risky_words` None asks about the words file's terms (a tuple: about just
    those words); `allowed_apps` None allows every app; `allowed_region` None the whole
    screen; `extra_allowed` are words (or concepts of the words file, "send") a task file
    declares safe."""

    risky_words: tuple[str, ...] | None = None
    allowed_apps: set[str] | None = None
    allowed_region: ScreenBox | None = None
    extra_allowed: set[str] = field(default_factory=set)

    @property
    def words(self) -> RiskWords:
        """The vocabulary the policy matches targets against."""
        return default_words() if self.risky_words is None else _own_words(self.risky_words)

    def judge(
        self,
        action: Action,
        placements: tuple[Placed, ...] = (),
        observation: Observation | None = None,
    ) -> SafetyDecision:
        """The rule's decision on `action` with its targets placed as `placements` on
        `observation` (which tells the focused element, for typing and keys with no target)."""
        focused = _focused(observation)
        # What is refused comes first: a person's yes to a risky word must not carry an
        # action outside the allowed region.
        region = self.allowed_region
        points = [p.point for p in placements]
        if isinstance(action, TypeText) and not placements and focused is not None:
            points.append(focused.box.center)  # typing with no target goes to the focus
        for point in points:
            if region is not None and not region.contains(point):
                where = f"({point.x:.0f}, {point.y:.0f})"
                return SafetyDecision(
                    decision="refuse", reason=f"{where} is outside the allowed region"
                )
        risky = self._risky_words(action, placements, focused)
        if risky is not None:
            return SafetyDecision(decision="ask", reason=risky)
        if isinstance(action, TypeText) and any(
            e is not None and "password" in e.states for e in _typed_into(placements, focused)
        ):
            return SafetyDecision(decision="ask", reason="typing into a password field")
        chord = default_words().chord_in(action.keys) if isinstance(action, Key) else None
        if isinstance(action, Key) and chord is not None:
            return SafetyDecision(decision="ask", reason=f"the system chord {action.chord}")
        apps = self.allowed_apps
        if isinstance(action, OpenApp) and apps is not None and action.app not in apps:
            return SafetyDecision(
                decision="ask", reason=f"{action.app} is not among the allowed apps"
            )
        return ALLOWED

    def _risky_words(
        self, action: Action, placements: tuple[Placed, ...], focused: Element | None
    ) -> str | None:
        """Why the words of what the action acts on are risky, or None."""
        enter = _presses_enter(action)
        described = {r: t.text for r, t in action.targets if isinstance(t, Description)}
        roles: list[TargetRole] = list(described)
        roles += [p.role for p in placements if p.role not in roles]
        for role in roles:
            placed = next((p for p in placements if p.role == role), None)
            element = placed.element if placed is not None else None
            if not _acts_on(action, element, enter):
                continue
            texts = [element.name] if element is not None else []
            texts += [described[role]] if role in described else []
            term = self.words.first_in(texts, self.extra_allowed)
            if term is not None:
                submits = enter and element is not None and element.role in INPUT_ROLES
                return _reason(term, enter=submits)
        targeted = any(p.role == "target" for p in placements)
        if enter and focused is not None and not targeted and not _toggles(focused):
            term = self.words.first_in([focused.name], self.extra_allowed)
            if term is not None:
                return _reason(term, enter=True)
        return None


@cache
def _own_words(words: tuple[str, ...]) -> RiskWords:
    return plain_words(words)


def _reason(term: RiskTerm, *, enter: bool) -> str:
    said = term.text.casefold()
    base = f"the target says {said!r}" + (f" ({term.concept})" if said != term.concept else "")
    return f"Enter (a typed newline) where {base}" if enter else base


def _presses_enter(action: Action) -> bool:
    """Whether the action presses Enter (or Space, which activates a focused button)."""
    if isinstance(action, TypeText):
        return action.press_enter or "\n" in action.text
    if isinstance(action, Key):
        return "enter" in action.keys or action.keys == ["space"]
    return isinstance(action, SystemButton) and action.button == "enter"


def _toggles(element: Element) -> bool:
    return element.role in ("checkbox", "radio") or element.checked is not None


def _acts_on(action: Action, element: Element | None, enter: bool) -> bool:
    """Whether doing `action` to `element` is the kind of act risky words are about: pressing
    a button, a menu item, a link or text (OCR cannot tell those apart); not ticking a
    checkbox or radio button, not focusing or typing into a field unless the typing ends in
    Enter, not hovering."""
    if isinstance(action, Hover):
        return False
    if element is None:
        return not (isinstance(action, Click) and action.ensure is not None)
    if _toggles(element):
        return False
    if element.role in INPUT_ROLES:
        return isinstance(action, TypeText) and enter
    return True


def _focused(observation: Observation | None) -> Element | None:
    """The smallest element with the keyboard focus, if the observation knows one."""
    if observation is None:
        return None
    focused = [e for e in observation.elements if "focused" in e.states]
    return min(focused, key=lambda e: e.box.width * e.box.height, default=None)


def _typed_into(placements: tuple[Placed, ...], focused: Element | None) -> list[Element | None]:
    """The elements typing goes to: the placed target, else the focused element."""
    targets = [p.element for p in placements if p.role == "target"]
    return targets or [focused]


#: A confirmation callback: shown the action and the reason, answers True to go ahead.
Confirm = Callable[[Action, str], bool]


def refuse_all(_action: Action, _reason: str) -> bool:
    """The confirmation of a non-interactive run: nobody is there to say yes."""
    return False


class SafetyGuard:
    """The executor's guard: the policy's decision, a person asked when it says "ask".
    `shown` is how the action is shown to that person (secrets masked)."""

    def __init__(
        self,
        policy: SafetyPolicy,
        confirm: Confirm = refuse_all,
        shown: Callable[[Action], Action] = lambda action: action,
    ) -> None:
        self.policy, self.confirm, self.shown = policy, confirm, shown

    def __call__(
        self, action: Action, placements: tuple[Placed, ...], observation: Observation
    ) -> SafetyDecision:
        decision = self.policy.judge(action, placements, observation)
        if decision.decision != "ask":
            return decision
        confirmed = bool(self.confirm(self.shown(action), decision.reason))
        return decision.model_copy(update={"confirmed": confirmed})

"""Every action passes the safety policy before it runs: allow, ask a person, or refuse.

Risky by default: targets whose words say delete, pay, send, buy, uninstall, format and the
like; typing into password fields; system key chords; opening apps outside an allow-list;
touching the screen outside an allowed region. Every target of an action is judged as it was
placed (the words it was described with and the element found there), so a drag or swipe is
judged at both ends. A non-interactive run refuses what it would have asked.

`SafetyPolicy` holds the rules; `SafetyGuard` is the executor's guard: the policy's decision,
with a person asked (through `Confirm`) when the policy says "ask".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from screenpilot.actions.guard import ALLOWED, SafetyDecision
from screenpilot.actions.placement import Placed
from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import Action, Key, OpenApp, TypeText
from screenpilot.perception.geometry import ScreenBox
from screenpilot.perception.screenshot import Observation

RISKY_WORDS = (
    "delete", "remove", "erase", "wipe", "format", "reset", "uninstall", "pay", "payment",
    "purchase", "buy", "checkout", "order", "send", "transfer", "withdraw", "sign out",
    "log out", "factory", "unsubscribe", "close account", "drop",
)  # fmt: skip
SYSTEM_CHORDS = (
    {"ctrl", "alt", "delete"}, {"ctrl", "alt", "backspace"}, {"alt", "f4"}, {"super", "l"},
    {"ctrl", "alt", "t"}, {"ctrl", "q"}, {"ctrl", "w"},
)  # fmt: skip
_WORD = {w: re.compile(rf"\b{re.escape(w)}\b", re.IGNORECASE) for w in RISKY_WORDS}


@dataclass
class SafetyPolicy:
    """The rules. `allowed_apps` None allows every app; `allowed_region` None the whole
    screen."""

    risky_words: tuple[str, ...] = RISKY_WORDS
    allowed_apps: set[str] | None = None
    allowed_region: ScreenBox | None = None
    extra_allowed: set[str] = field(default_factory=set)  # words a task file declares safe

    def judge(self, action: Action, placements: tuple[Placed, ...] = ()) -> SafetyDecision:
        """The rule's decision on `action` with its targets placed as `placements`."""
        words = " ".join(_words_of(action, placements))
        for word in self.risky_words:
            pattern = _WORD.get(word) or re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
            if word not in self.extra_allowed and pattern.search(words):
                return SafetyDecision(decision="ask", reason=f"the target says {word!r}")
        if isinstance(action, TypeText) and any(
            p.element is not None and "password" in p.element.states for p in placements
        ):
            return SafetyDecision(decision="ask", reason="typing into a password field")
        if isinstance(action, Key) and any(chord <= set(action.keys) for chord in SYSTEM_CHORDS):
            return SafetyDecision(decision="ask", reason=f"the system chord {action.chord}")
        apps = self.allowed_apps
        if isinstance(action, OpenApp) and apps is not None and action.app not in apps:
            return SafetyDecision(
                decision="ask", reason=f"{action.app} is not among the allowed apps"
            )
        region = self.allowed_region
        for placed in placements:
            point = placed.point
            if region is not None and not region.contains(point):
                where = f"({point.x:.0f}, {point.y:.0f})"
                return SafetyDecision(
                    decision="refuse", reason=f"{where} is outside the allowed region"
                )
        return ALLOWED


def _words_of(action: Action, placements: tuple[Placed, ...]) -> Iterable[str]:
    for placed in placements:
        if placed.element is not None:
            yield placed.element.name
    for _, target in action.targets:
        if isinstance(target, Description):
            yield target.text


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
        decision = self.policy.judge(action, placements)
        if decision.decision != "ask":
            return decision
        confirmed = bool(self.confirm(self.shown(action), decision.reason))
        return decision.model_copy(update={"confirmed": confirmed})

"""Every action passes the safety policy before it runs: allow, ask a person, or refuse.

Risky by default: targets whose words say delete, pay, send, buy, uninstall, format and the
like; typing into password fields; system key chords; opening apps outside an allow-list;
touching the screen outside an allowed region. A non-interactive run refuses what it would
have asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import Action, Key, OpenApp, TypeText
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox, ScreenPoint

Decision = Literal["allow", "ask", "refuse"]

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


@dataclass(frozen=True)
class SafetyCheck:
    """The decision on one action and why."""

    decision: Decision
    reason: str = ""


@dataclass
class SafetyPolicy:
    """The rules. `allowed_apps` None allows every app; `allowed_region` None the whole
    screen."""

    risky_words: tuple[str, ...] = RISKY_WORDS
    allowed_apps: set[str] | None = None
    allowed_region: ScreenBox | None = None
    extra_allowed: set[str] = field(default_factory=set)  # words a task file declares safe

    def check(
        self, action: Action, point: ScreenPoint | None, element: Element | None
    ) -> SafetyCheck:
        words = " ".join(_words_of(action, element))
        for word in self.risky_words:
            pattern = _WORD.get(word) or re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
            if word not in self.extra_allowed and pattern.search(words):
                return SafetyCheck("ask", f"the target says {word!r}")
        if isinstance(action, TypeText) and element is not None and "password" in element.states:
            return SafetyCheck("ask", "typing into a password field")
        if isinstance(action, Key) and any(chord <= set(action.keys) for chord in SYSTEM_CHORDS):
            return SafetyCheck("ask", f"the system chord {action.chord}")
        apps = self.allowed_apps
        if isinstance(action, OpenApp) and apps is not None and action.app not in apps:
            return SafetyCheck("ask", f"{action.app} is not among the allowed apps")
        region = self.allowed_region
        if point is not None and region is not None and not region.contains(point):
            where = f"({point.x:.0f}, {point.y:.0f})"
            return SafetyCheck("refuse", f"{where} is outside the allowed region")
        return SafetyCheck("allow")


def _words_of(action: Action, element: Element | None) -> Iterable[str]:
    if element is not None:
        yield element.name
    target = getattr(action, "target", None)
    if isinstance(target, Description):
        yield target.text


#: A confirmation callback: shown the action and the reason, answers True to go ahead.
Confirm = Callable[[Action, str], bool]


def refuse_all(_action: Action, _reason: str) -> bool:
    """The confirmation of a non-interactive run: nobody is there to say yes."""
    return False

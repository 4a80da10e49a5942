"""Plainly worded instructions, no model: "type bob@example.org into Email, check Subscribe
and click Submit".

Clauses are split at commas, semicolons, "and" and "then" (never inside quotes) and each is
read by a small set of patterns into one or two typed actions with targets in words; the
executor grounds them on the newest screenshot (accessibility, uiautomator or OCR). A clause
it cannot read is an error that says what it did understand.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import ValidationError

from screenpilot.actions.vocabulary import (
    Action,
    Click,
    Finish,
    Key,
    OpenApp,
    Scroll,
    Swipe,
    SystemButton,
    TypeText,
    Wait,
    parse_action,
)
from screenpilot.errors import InvalidInputError
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import Outcome, Plan, PolicyError, Step

_SPLIT = re.compile(r"\s*(?:[,;]|\band then\b|\bthen\b|\band\b)\s*", re.IGNORECASE)
_TEXT = r"(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>\S+))"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            rf"^(?:type|enter|write|fill in|input)\s+{_TEXT}"
            r"\s+(?:into|in|on)\s+(?:the\s+)?(?P<target>.+)$",
            re.I,
        ),
        "type",
    ),
    (
        re.compile(rf"^(?:fill|set)\s+(?:the\s+)?(?P<target>.+?)\s+(?:with|to)\s+{_TEXT}$", re.I),
        "type",
    ),
    (re.compile(r"^(?:double[- ]click|double[- ]tap)\s+(?:on\s+)?(?P<target>.+)$", re.I), "double"),
    (re.compile(r"^right[- ]click\s+(?:on\s+)?(?P<target>.+)$", re.I), "right"),
    (re.compile(r"^long[- ]press\s+(?:on\s+)?(?P<target>.+)$", re.I), "long"),
    (re.compile(r"^(?:un)?(?:check|tick|toggle)\s+(?:the\s+)?(?P<target>.+)$", re.I), "check"),
    (
        re.compile(
            rf"^(?:select|choose|pick)\s+{_TEXT}\s+(?:from|in)\s+(?:the\s+)?(?P<target>.+)$", re.I
        ),
        "select",
    ),
    (re.compile(r"^press\s+(?P<keys>[\w+\-]+)$", re.I), "key"),
    (
        re.compile(r"^scroll\s+(?P<dir>up|down|left|right)(?:\s+(?P<n>\d+))?(?:\s+times)?$", re.I),
        "scroll",
    ),
    (re.compile(r"^swipe\s+(?P<dir>up|down|left|right)$", re.I), "swipe"),
    (re.compile(r"^(?:go|press)\s+(?P<button>back|home)$", re.I), "button"),
    (re.compile(r"^(?:show|open)\s+(?:the\s+)?recent(?:s| apps)$", re.I), "recents"),
    (re.compile(r"^(?:open|launch|start)\s+(?:the\s+)?(?:app\s+)?(?P<app>[\w.]+)$", re.I), "open"),
    (
        re.compile(rf"^wait\s+(?:for|until)\s+{_TEXT}(?:\s+(?:appears|is shown|shows))?$", re.I),
        "wait_text",
    ),
    (re.compile(r"^wait\s+(?P<n>\d+(?:\.\d+)?)\s*(?:s|sec|secs|seconds?)?$", re.I), "wait"),
    (
        re.compile(r"^(?:click|tap|press|hit|push)\s+(?:on\s+)?(?:the\s+)?(?P<target>.+)$", re.I),
        "click",
    ),
]


def split_clauses(instruction: str) -> list[str]:
    """Clauses of an instruction, split outside quotes."""
    parts, current, quote = [], [], ""
    i = 0
    text = instruction.strip().rstrip(".")
    while i < len(text):
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
            i += 1
            continue
        if ch in "\"'" and (i == 0 or not text[i - 1].isalnum()):
            quote = ch
            current.append(ch)
            i += 1
            continue
        match = _SPLIT.match(text, i)
        if match and match.end() > i:
            parts.append("".join(current))
            current = []
            i = match.end()
            continue
        current.append(ch)
        i += 1
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def read_clause(clause: str) -> list[Step]:
    """The steps one clause asks for; PolicyError when no pattern reads it."""
    for pattern, kind in _PATTERNS:
        m = pattern.match(clause)
        if m is None:
            continue
        g = m.groupdict()
        text = next((g[k] for k in ("dq", "sq", "bare") if g.get(k) is not None), "")
        target = (g.get("target") or "").strip()
        try:
            return _steps(kind, g, text, target)
        except ValidationError as error:
            problem = InvalidInputError.from_validation("action", error)
            raise PolicyError(f"{clause!r}: {problem}") from None
    raise PolicyError(f"cannot read {clause!r}")


def _steps(kind: str, g: dict[str, str], text: str, target: str) -> list[Step]:
    def one(action: Action, expect: str = "") -> list[Step]:
        return [Step(action, expect=expect)]

    if kind == "type":
        return one(
            TypeText(text=text, target=target, clear_first=False), f"{target} shows {text!r}"
        )
    if kind in ("click", "double", "right"):
        count = 2 if kind == "double" else 1
        button = "right" if kind == "right" else "left"
        return one(Click(target=target, button=button, count=count), "the screen reacts")
    if kind == "long":
        return one(parse_action({"type": "long_press", "target": target}))
    if kind == "check":
        return one(
            Click(target=f"{target} checkbox" if "box" not in target else target),
            f"{target} changes state",
        )
    if kind == "select":
        return [
            Step(Click(target=target), f"{target} opens"),
            Step(Click(target=text), f"{text} is chosen"),
        ]
    if kind == "key":
        return one(Key(keys=g["keys"]))
    if kind == "scroll":
        return one(Scroll(direction=g["dir"].lower(), amount=int(g.get("n") or 3)))
    if kind == "swipe":
        return one(Swipe(direction=g["dir"].lower()))
    if kind == "button":
        return one(SystemButton(button=g["button"].lower()))
    if kind == "recents":
        return one(SystemButton(button="recents"))
    if kind == "open":
        return one(OpenApp(app=g["app"]))
    if kind == "wait_text":
        return one(Wait(until_text=text))
    return one(Wait(seconds=float(g["n"])))


def read_instruction(instruction: str) -> list[Step]:
    """Every step of an instruction, or PolicyError naming the first clause it cannot read
    and what it understood before it."""
    steps: list[Step] = []
    clauses = split_clauses(instruction)
    if not clauses:
        raise PolicyError("the instruction is empty")
    for clause in clauses:
        try:
            steps.extend(read_clause(clause))
        except PolicyError as error:
            understood = "; ".join(s.action.type for s in steps) or "nothing yet"
            raise PolicyError(
                f"{error} (understood so far: {understood}). Try phrases like "
                '"click Submit", "type bob@example.org into Email", "check Subscribe", '
                '"select Blue from Color", "press Enter", "scroll down", "go back"'
            ) from None
    return steps


class RulesPolicy:
    """Runs an instruction's steps in order; a step that fails is tried once more on a fresh
    screenshot, then the run stops."""

    name = "rules"

    def __init__(self, retries: int = 1) -> None:
        self.retries = retries
        self._steps: list[Step] | None = None
        self._instruction = ""

    def plan(self, instruction: str, observation: Observation, history: Sequence[Outcome]) -> Plan:
        if self._steps is None or instruction != self._instruction:
            self._steps, self._instruction = read_instruction(instruction), instruction
        steps = self._steps
        done = sum(1 for o in history if o.ok)
        if done >= len(steps):
            return Plan(done=True, success=True, message=f"all {len(steps)} steps done")
        failures = [o for o in history if not o.ok and o.step == steps[done]]
        if len(failures) > self.retries:
            return Plan(
                done=True,
                success=False,
                message=f"step {done + 1} ({steps[done].action.type}) failed: "
                f"{failures[-1].reason}",
            )
        remaining = list(steps[done:])
        if not any(isinstance(s.action, Finish) for s in remaining):
            return Plan(
                steps=remaining, done=True, success=True, message=f"all {len(steps)} steps done"
            )
        return Plan(steps=remaining)

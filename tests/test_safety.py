"""The safety policy and guard (fast tier): which actions are allowed, asked about or
refused, judged on every placed target - a drag or swipe at both ends - and what a person's
answer does."""

from __future__ import annotations

import pytest

from screenpilot.actions import parse_action
from screenpilot.actions.executor import Executor, Pacing
from screenpilot.actions.guard import RefusedError
from screenpilot.actions.placement import Placed
from screenpilot.actions.vocabulary import Click, Drag, Swipe
from screenpilot.agent.safety import SafetyGuard, SafetyPolicy
from screenpilot.perception.elements import Element
from screenpilot.perception.geometry import ScreenBox, ScreenPoint
from screenpilot.perception.screenshot import Observation
from tests.fake_device import FakeDesktop, Widget

REGION = ScreenBox(x1=100, y1=100, x2=1800, y2=1000)


def _pin() -> Element:
    return Element(
        id="e",
        role="entry",
        name="PIN",
        states=frozenset({"password"}),
        box=ScreenBox(x1=0, y1=0, x2=9, y2=9),
        source="a11y",
    )


@pytest.mark.parametrize(
    ("action", "element", "decision", "reason"),
    [
        ({"type": "click", "target": "the Delete account button"}, None, "ask", "'delete'"),
        ({"type": "click", "target": "Pay now"}, None, "ask", "'pay'"),
        ({"type": "click", "target": "Submit"}, None, "allow", ""),
        ({"type": "key", "keys": "ctrl+alt+delete"}, None, "ask", "system chord"),
        ({"type": "type", "text": "x", "target": "the PIN"}, "password", "ask", "password field"),
        ({"type": "click", "target": [5, 5]}, None, "refuse", "outside the allowed region"),
    ],
)
def test_safety_rules(
    action: dict[str, object], element: str | None, decision: str, reason: str
) -> None:
    parsed = parse_action(action)
    target = getattr(parsed, "target", None)
    point = target if isinstance(target, ScreenPoint) else ScreenPoint(x=500, y=500)
    placed = Placed(point, element=_pin() if element else None)
    judged = SafetyPolicy(allowed_region=REGION).judge(parsed, (placed,))
    assert judged.decision == decision and reason in judged.reason


def test_a_drag_is_judged_at_both_ends() -> None:
    policy = SafetyPolicy(allowed_region=REGION)
    onto_trash = Drag(start="the report", end="the Delete forever button")
    ends = (Placed(ScreenPoint(x=200, y=200), role="start"),
            Placed(ScreenPoint(x=300, y=300), role="end"))  # fmt: skip
    assert policy.judge(onto_trash, ends).decision == "ask"
    out_of_bounds = (ends[0], Placed(ScreenPoint(x=1900, y=300), role="end"))
    judged = policy.judge(Drag(start="a", end="b"), out_of_bounds)
    assert judged.decision == "refuse" and "(1900, 300)" in judged.reason


def test_a_swipe_by_direction_is_judged_where_it_ends() -> None:
    """The executor computes a direction swipe's end, so a swipe off the allowed region is
    caught before the finger moves."""
    device = FakeDesktop([Widget("button", "Send", (10, 10, 60, 30))], width=640, height=480)
    policy = SafetyPolicy(allowed_region=ScreenBox(x1=0, y1=100, x2=640, y2=480))
    ex = Executor(device, guard=SafetyGuard(policy), pacing=Pacing(0.05, 0.01, 0.0))
    with pytest.raises(RefusedError, match="outside the allowed region"):
        ex.run(Swipe(start=ScreenPoint(x=320, y=300), direction="up", distance=0.6))
    assert not any(call[0] == "drag" for call in device.calls)


def test_a_drag_onto_a_risky_element_is_refused_unattended_and_sends_nothing() -> None:
    device = FakeDesktop(
        [
            Widget("text", "report.pdf", (10, 10, 100, 30)),
            Widget("button", "Erase all", (300, 300, 400, 330)),
        ]
    )
    ex = Executor(device, guard=SafetyGuard(SafetyPolicy()), pacing=Pacing(0.05, 0.01, 0.0))
    with pytest.raises(RefusedError) as refused:
        ex.run(Drag(start="report.pdf", end="the Erase all button"))
    assert refused.value.decision.decision == "ask" and refused.value.decision.confirmed is False
    assert "'erase'" in refused.value.decision.reason
    assert [p.role for p in refused.value.placements] == ["start", "end"]
    assert not any(call[0] == "drag" for call in device.calls)


def test_the_guard_asks_a_person_and_shows_the_action_masked() -> None:
    shown: list[str] = []

    def person(action: object, reason: str) -> bool:
        shown.append(f"{action} / {reason}")
        return True

    guard = SafetyGuard(SafetyPolicy(), person, lambda a: Click(target="the ••• button"))
    device = FakeDesktop([Widget("button", "Delete", (10, 10, 60, 30))])
    screen = Observation(device.screenshot(), [])
    decision = guard(parse_action({"type": "click", "target": "Delete"}), (), screen)
    assert decision.decision == "ask" and decision.confirmed is True and not decision.blocked
    assert shown and "•••" in shown[0] and "'delete'" in shown[0]


def test_a_word_a_task_declares_safe_is_allowed() -> None:
    policy = SafetyPolicy(extra_allowed={"send"})
    assert policy.judge(parse_action({"type": "click", "target": "Send"})).decision == "allow"

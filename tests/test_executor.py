"""The executor on a fake desktop (fast tier): what the action needs reaches grounding,
checkboxes are switched to a state rather than toggled, fields are replaced or added to,
and typing with no target goes where it should."""

from __future__ import annotations

from pathlib import Path

import pytest

from screenpilot.actions.executor import Executor, Pacing
from screenpilot.actions.vocabulary import Click, TypeText
from screenpilot.agent.loop import Agent
from screenpilot.policies.rules import RulesPolicy
from tests.fake_device import FakeDesktop, Widget


def form(**values: str) -> FakeDesktop:
    return FakeDesktop(
        [
            Widget("text", "Name", (20, 20, 80, 40)),
            Widget("entry", "", (100, 18, 400, 42), value=values.get("name", "")),
            Widget("text", "Age", (20, 60, 80, 80)),
            Widget("entry", "", (100, 58, 400, 82), value=values.get("age", "")),
            Widget("checkbox", "Subscribe", (20, 100, 200, 120), checked="sub" in values),
            Widget("button", "OK", (300, 150, 390, 180)),
        ]
    )


FAST = Pacing(settle_timeout=0.3, settle_interval=0.01, react=0.0)


def executor(device: FakeDesktop) -> Executor:
    return Executor(device, pacing=FAST)


@pytest.mark.parametrize(("ticked", "ensure", "clicks"), [
    (True, "checked", 0), (False, "checked", 1), (True, "unchecked", 1), (False, "unchecked", 0),
])  # fmt: skip
def test_a_click_that_ensures_a_state_clicks_only_when_needed(
    ticked: bool, ensure: str, clicks: int
) -> None:
    device = form(**({"sub": "1"} if ticked else {}))
    result = executor(device).run(Click(target="Subscribe checkbox", ensure=ensure))  # type: ignore[arg-type]
    assert result.ok, result.verdict
    assert sum(1 for call in device.calls if call[0] == "click") == clicks
    assert device.widgets[4].checked is (ensure == "checked")


def test_typing_into_a_label_lands_in_the_entry_beside_it_and_replaces_its_text() -> None:
    device = form(age="1")
    result = executor(device).run(TypeText(text="42", target="Age", clear_first=True))
    assert result.ok, result.verdict
    assert device.widgets[3].value == "42"
    assert result.placed is not None and result.placed.element is not None
    assert result.placed.element.role == "entry"


def test_a_field_that_would_not_clear_fails_instead_of_passing_as_containing_the_text() -> None:
    device = form(age="1")
    device.deaf_to = frozenset({"backspace"})  # the old "1" stays
    result = executor(device).run(TypeText(text="42", target="Age", clear_first=True))
    assert device.widgets[3].value == "142"
    assert not result.ok
    assert "holds '142', not '42'" in result.verdict.reason


def test_adding_to_a_field_types_at_its_end_not_where_the_click_landed() -> None:
    device = form(name="Bob")
    result = executor(device).run(TypeText(text=" Stone", target="Name"))
    assert result.ok, result.verdict
    assert device.widgets[1].value == "Bob Stone"


def test_typing_with_no_target_goes_to_the_focus_or_the_only_entry() -> None:
    device = form()
    device.focus = device.widgets[3]
    executor(device).run(TypeText(text="7"))
    assert device.widgets[3].value == "7"
    assert not any(call[0] == "click" for call in device.calls)
    single = FakeDesktop(
        [Widget("text", "Note", (10, 10, 60, 30)), Widget("entry", "", (80, 10, 300, 30))]
    )
    executor(single).run(TypeText(text="hello"))
    assert single.widgets[1].value == "hello"


def test_a_plain_instruction_fills_the_fake_form_through_the_agent(tmp_path: Path) -> None:
    device = form(sub="1", age="1")
    agent = Agent(device, RulesPolicy(), pacing=FAST, output=tmp_path)
    run = agent.run(
        "Type Bob Stone into Name, enter 42 in the Age box, tick Subscribe, then click OK."
    )
    assert run.ok, run.message
    assert [w.value for w in device.widgets if w.role == "entry"] == ["Bob Stone", "42"]
    assert device.widgets[4].checked  # already ticked: left alone, not toggled off
    assert device.widgets[5].presses == 1


def test_a_key_that_only_moves_the_caret_passes_unseen_and_one_that_does_nothing_fails() -> None:
    from screenpilot.actions.vocabulary import Key

    device = form(name="Bob")
    device.focus = device.widgets[1]
    assert executor(device).run(Key(keys=["ctrl", "end"])).ok
    silent = executor(device).run(Key(keys=["enter"]))  # nothing on the fake reacts to Enter
    assert not silent.ok and "no visible effect" in silent.verdict.reason


def test_two_clicks_on_one_spot_are_kept_apart_so_they_do_not_make_a_double_click() -> None:
    from screenpilot.actions.executor import DOUBLE_CLICK_TIME
    from screenpilot.perception.geometry import ScreenPoint

    device = form()
    slept: list[float] = []
    ex = Executor(device, settle_timeout=0.05, settle_interval=0.01, react=0.0, sleep=slept.append)
    at = ScreenPoint(x=340, y=165)
    ex.run(Click(target=at))
    slept.clear()
    ex.run(Click(target=at))
    assert slept and slept[0] > DOUBLE_CLICK_TIME - 0.2  # the second click waited
    slept.clear()
    ex.run(Click(target=ScreenPoint(x=40, y=110)))
    assert not slept or max(slept) < DOUBLE_CLICK_TIME - 0.2  # elsewhere: no wait

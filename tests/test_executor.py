"""The executor on a fake desktop (fast tier): what the action needs reaches grounding,
checkboxes are switched to a state rather than toggled, fields are replaced or added to,
and typing with no target goes where it should."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from screenpilot.actions.executor import Executor, Pacing, _checked_elsewhere
from screenpilot.actions.placement import Placed
from screenpilot.actions.verification import field_region
from screenpilot.actions.vocabulary import Click, TypeText
from screenpilot.agent.loop import Agent
from screenpilot.policies.rules import RulesPolicy
from tests.fake_device import FakeClock, FakeDesktop, Widget


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


FAST = Pacing(settle_timeout=0.3, settle_interval=0.01, react=0.0, late=0.5)


def executor(device: FakeDesktop) -> Executor:
    clock = FakeClock()
    return Executor(device, pacing=FAST, clock=clock, sleep=clock.sleep)


def fast(device: FakeDesktop, policy: Any, tmp_path: Path) -> Agent:
    clock = FakeClock()
    return Agent(device, policy, pacing=FAST, output=tmp_path, clock=clock, sleep=clock.sleep)


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


def test_typing_waits_for_a_slow_field_to_show_the_focus_and_not_for_a_focused_one() -> None:
    device = form()
    device.focus_lag = 3  # the click is taken three frames later
    busy = executor(device)
    result = busy.run(TypeText(text="Ada", target="Name"))
    assert result.ok, result.verdict
    assert device.widgets[1].value == "Ada"  # no key went before the focus
    # Clicking into the field that has the focus shows nothing new: no wait for it.
    clock = FakeClock()
    again = Executor(device, pacing=FAST, clock=clock, sleep=clock.sleep)
    shots = device.shots
    typed = []
    real = device.type_text
    device.type_text = lambda text: (typed.append(device.shots - shots), real(text))  # type: ignore[method-assign,func-returns-value]
    assert again.run(TypeText(text=" L", target="Name")).ok
    assert device.widgets[1].value == "Ada L"
    assert typed == [1]  # the one screenshot the step looked at, none after the click


def test_after_typing_into_a_tree_field_its_pixels_and_the_last_focus_need_not_be_still() -> None:
    device = form()
    device.focus = device.widgets[3]  # Age has the focus; Name is typed into
    ex = executor(device)
    before = ex.observe()
    name = next(e for e in before.elements if e.role == "entry" and e.box.y1 < 30)
    placed = Placed(point=name.box.center, box=name.box, element=name)
    regions = _checked_elsewhere(TypeText(text="x", target="Name"), placed, before)
    age = next(e for e in before.elements if "focused" in e.states)
    assert regions == [field_region(name.box, before), field_region(age.box, before)]
    assert _checked_elsewhere(Click(target="Name"), placed, before) == []
    read = Placed(
        point=name.box.center, box=name.box, element=name.model_copy(update={"source": "ocr"})
    )
    assert _checked_elsewhere(TypeText(text="x", target="Name"), read, before) == []  # OCR reads it


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
    agent = fast(device, RulesPolicy(), tmp_path)
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


# ---------------------------------------------------------------- exact typing and retries
def test_typing_passes_only_when_the_field_holds_what_it_held_plus_the_text() -> None:
    device = form(name="bob")
    device.deaf_to = frozenset({"backspace"})  # the old "bob" stays
    doubled = executor(device).run(TypeText(text="bob", target="Name", clear_first=True))
    assert device.widgets[1].value == "bobbob"
    assert not doubled.ok and "holds 'bobbob', not 'bob'" in doubled.verdict.reason
    added = executor(form(name="bob")).run(TypeText(text="bob", target="Name"))
    assert added.ok, added.verdict  # adding to a field: "bob" + "bob" is what was asked


def test_a_field_that_shows_its_text_late_passes_and_is_typed_once() -> None:
    device = form()
    device.type_lag = 4  # later than the settle, sooner than the longer look
    result = executor(device).run(TypeText(text="Bob Stone", target="Name"))
    assert result.ok, result.verdict
    assert "seen late" in result.verdict.reason
    assert [c for c in device.calls if c[0] == "type"] == [("type", "Bob Stone")]


def test_a_tree_that_missed_the_typing_is_read_afresh_before_the_step_fails() -> None:
    """A cached accessibility tree whose text-changed event never came still says '' after
    the typing: the late looks ask the device to read its tree afresh, and see 'Ada'."""
    device = form()
    device.lost_events = True
    result = executor(device).run(TypeText(text="Ada", target="Name"))
    assert result.ok, result.verdict
    assert "seen late" in result.verdict.reason and "'Ada'" in result.verdict.reason
    assert device.calls.count(("forget_elements", None)) == 1
    assert [c for c in device.calls if c[0] == "type"] == [("type", "Ada")]  # typed once
    # A field slow to show its text as well: the tree is read afresh once, not every look.
    slow = form()
    slow.lost_events, slow.type_lag = True, 7
    result = executor(slow).run(TypeText(text="Ada", target="Name"))
    assert result.ok and "seen late" in result.verdict.reason, result.verdict
    assert slow.calls.count(("forget_elements", None)) == 1


def test_a_chord_whose_effect_comes_late_is_pressed_once() -> None:
    from screenpilot.actions.vocabulary import Key

    device = form()
    device.widgets.append(Widget("button", "Save as", (420, 300, 600, 400)))
    device.chords, device.key_lag = {"ctrl+s": "Save as"}, 4
    result = executor(device).run(Key(keys=["ctrl", "s"]))
    assert result.ok, result.verdict
    assert device.calls.count(("key", "ctrl+s")) == 1


def test_a_retry_of_typing_types_only_what_the_field_lacks() -> None:
    device = form()
    device.drops = 2  # "Bob Sto" lands
    ex = executor(device)
    typing = TypeText(text="Bob Stone", target="Name")
    first = ex.run(typing)
    assert not first.ok and device.widgets[1].value == "Bob Sto"
    again = ex.run(typing)
    assert again.ok, again.verdict
    assert device.widgets[1].value == "Bob Stone"
    assert [c for c in device.calls if c[0] == "type"] == [("type", "Bob Stone"), ("type", "ne")]
    assert "typed only the part the field lacked" in again.verdict.reason


def test_a_retry_after_the_text_showed_too_late_types_nothing() -> None:
    device = form()
    device.type_lag = 400  # after verification gave up
    ex = Executor(device, pacing=Pacing(settle_timeout=0.05, settle_interval=0.01, late=0.1))
    typing = TypeText(text="Bob Stone", target="Name")
    assert not ex.run(typing).ok
    device.type_lag, device.shots = 0, 10_000  # now it shows
    again = ex.run(typing)
    assert again.ok, again.verdict
    assert device.widgets[1].value == "Bob Stone"
    assert [c for c in device.calls if c[0] == "type"] == [("type", "Bob Stone")]


def test_a_retry_into_a_field_holding_something_else_clears_it_first() -> None:
    device = form(name="Al")
    device.deaf_to = frozenset({"end"})  # the caret stays mid-text: "ABob Stonel"
    ex = executor(device)
    typing = TypeText(text="Bob Stone", target="Name")
    assert not ex.run(typing).ok
    device.deaf_to = frozenset()
    again = ex.run(typing)
    assert again.ok, again.verdict
    assert device.widgets[1].value == "AlBob Stone"  # what the step asked for, once
    assert "cleared the field" in again.verdict.reason


def test_scripted_retries_record_why_and_never_double_the_text(tmp_path: Path) -> None:
    from screenpilot.policies.scripted import ScriptedPolicy, load_task

    path = tmp_path / "task.yaml"
    path.write_text(
        "name: t\nsteps:\n  - {type: type, text: Bob Stone, target: Name, retries: 2}\n"
    )
    device = form()
    device.drops = 3
    agent = fast(device, ScriptedPolicy(load_task(path, env={})), tmp_path)
    run = agent.run("fill the form")
    assert run.ok, run.message
    assert device.widgets[1].value == "Bob Stone"
    [trajectory] = list(tmp_path.rglob("trajectory.jsonl"))
    text = trajectory.read_text()
    assert "retry 1: the last try failed" in text and "typed only the part" in text


def test_the_rules_policy_retries_a_step_with_its_reason(tmp_path: Path) -> None:
    device = form()
    device.drops = 2
    agent = fast(device, RulesPolicy(), tmp_path)
    run = agent.run("Type Bob Stone into Name.")
    assert run.ok, run.message
    assert device.widgets[1].value == "Bob Stone"
    [trajectory] = list(tmp_path.rglob("trajectory.jsonl"))
    assert "retry 1: the last try failed" in trajectory.read_text()

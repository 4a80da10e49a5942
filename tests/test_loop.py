"""The agent loop end to end on the fake desktop (fast tier): how a run ends - success,
stuck, budget, refused, cancelled, a lost device or model server - and what it records."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import jsonschema
import pytest

from screenpilot.actions.vocabulary import Answer, Click, Finish, TypeText
from screenpilot.agent.loop import Agent, Budgets
from screenpilot.agent.observers import Frames, Observer, Progress, Stop
from screenpilot.errors import ModelUnavailableError
from screenpilot.perception.geometry import ScreenPoint
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import Outcome, Plan, Step
from screenpilot.policies.model_policies import NativePolicy
from screenpilot.policies.replay import ReplayPolicy
from screenpilot.policies.rules import RulesPolicy
from screenpilot.trajectory.records import (
    RunEnded,
    RunStarted,
    StepRecorded,
    trajectory_json_schema,
)
from screenpilot.trajectory.store import Trajectory
from tests.fake_device import FakeDesktop, Widget, fast_agent
from tests.scripted_runtime import ScriptedRuntime, tool_call


def form(**values: str) -> FakeDesktop:
    return FakeDesktop(
        [
            Widget("text", "Name", (20, 20, 80, 40)),
            Widget("entry", "", (100, 18, 400, 42), value=values.get("name", "")),
            Widget("checkbox", "Subscribe", (20, 100, 200, 120)),
            Widget("button", "OK", (300, 150, 390, 180)),
            Widget("button", "Delete account", (420, 150, 600, 180)),
        ]
    )


def agent(device: FakeDesktop, policy: object, tmp_path: Path, **options: object) -> Agent:
    return fast_agent(device, policy, tmp_path, **options)


def lines(folder: Path | None) -> list[dict[str, object]]:
    assert folder is not None
    text = (folder / "trajectory.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


class Repeat:
    """A policy that plans the same action again and again."""

    name = "repeat"
    uses_model = False

    def __init__(self, action: Click) -> None:
        self.action, self.calls = action, 0

    def plan(self, instruction: str, observation: Observation, history: Sequence[Outcome]) -> Plan:
        self.calls += 1
        return Plan([Step(self.action)])


def test_a_run_that_succeeds_records_every_line_valid_against_the_schema(tmp_path: Path) -> None:
    device = form()
    result = agent(device, RulesPolicy(), tmp_path).run("type Bob into Name, then click OK")
    assert result.status == "success" and result.steps == 2, result.message
    assert device.widgets[1].value == "Bob" and device.widgets[3].presses == 1
    schema = trajectory_json_schema()
    recorded = lines(result.folder)
    for line in recorded:
        jsonschema.validate(line, schema)
    assert [line["kind"] for line in recorded] == ["start", "step", "step", "end"]
    run = Trajectory.load(result.folder)  # type: ignore[arg-type]
    assert isinstance(run.start, RunStarted) and isinstance(run.end, RunEnded)
    first = run.steps[0]
    assert isinstance(first.action, TypeText) and first.ok and first.failure is None
    assert first.main_target is not None and first.main_target.name == ""
    assert first.grounding is not None and first.grounding.startswith("a11y entry")
    assert first.timings is not None and first.seconds >= first.timings.act
    assert run.status == "success" and not run.failures and len(run.succeeded) == 2
    assert (result.folder / first.screenshot).exists()  # type: ignore[operator]
    assert result.report is not None and result.report.exists()


def test_the_model_drives_the_fake_desktop_through_its_tool_calls(tmp_path: Path) -> None:
    device = form()
    # OK is at (345, 165) of a 640x480 screen: 539/1000, 344/1000 in the model's frame.
    runtime = ScriptedRuntime(
        [tool_call("left_click", coordinate=[539, 344]), tool_call("terminate", status="success")]
    )
    result = agent(device, NativePolicy(runtime), tmp_path).run("press OK")
    assert result.status == "success" and result.model_calls == 2, result.message
    assert device.widgets[3].presses == 1
    click = Trajectory.load(result.folder).steps[0]  # type: ignore[arg-type]
    assert click.raw.startswith("Thought:") and click.main_target is not None
    assert abs(click.main_target.point.x - 345) < 2 and abs(click.main_target.point.y - 165) < 2


def test_the_same_action_without_effect_is_caught_as_stuck(tmp_path: Path) -> None:
    policy = Repeat(Click(target=ScreenPoint(x=620, y=460)))  # an empty spot
    result = agent(form(), policy, tmp_path, budgets=Budgets(max_steps=20)).run("click")
    assert result.status == "stuck" and "unchanged screen" in result.message
    assert result.steps == 6  # three tries, a new plan, three more
    reasons = [s.reason for s in Trajectory.load(result.folder).steps]  # type: ignore[arg-type]
    assert all("no visible effect" in r for r in reasons)


def test_a_run_stops_when_its_step_budget_is_used_up(tmp_path: Path) -> None:
    policy = Repeat(Click(target="the Subscribe checkbox"))  # ticks and unticks: has effect
    result = agent(form(), policy, tmp_path, budgets=Budgets(max_steps=4)).run("toggle")
    assert result.status == "budget" and "step budget of 4" in result.message
    assert result.steps == 4


def test_a_risky_click_is_refused_unattended_and_recorded(tmp_path: Path) -> None:
    device = form()
    result = agent(device, RulesPolicy(), tmp_path).run("click Delete account")
    assert result.status == "refused" and "the target says 'delete'" in result.message
    assert device.widgets[4].presses == 0
    step = Trajectory.load(result.folder).steps[0]  # type: ignore[arg-type]
    assert step.failure == "refused" and step.safety.decision == "ask"
    assert step.safety.confirmed is False and step.safety.blocked
    assert step.screenshot is not None  # what the screen was when it was refused


def test_a_risky_click_runs_once_a_person_confirms(tmp_path: Path) -> None:
    asked: list[str] = []
    device = form()
    result = agent(
        device, RulesPolicy(), tmp_path, confirm=lambda a, why: asked.append(why) or True
    ).run("click Delete account")
    assert result.status == "success" and device.widgets[4].presses == 1
    assert asked == ["the target says 'delete'"]
    step = Trajectory.load(result.folder).steps[0]  # type: ignore[arg-type]
    assert step.safety.confirmed is True and step.safety.sentence().endswith("confirmed")


class CancelAfterFirst(Observer):
    def __init__(self) -> None:
        self.agent: Agent | None = None

    def after_action(self, record: StepRecorded, frames: Frames) -> None:
        assert self.agent is not None
        self.agent.cancel()


def test_a_cancelled_run_ends_after_the_step_under_way(tmp_path: Path) -> None:
    canceller = CancelAfterFirst()
    run = agent(form(), RulesPolicy(), tmp_path, observers=[canceller])
    canceller.agent = run
    result = run.run("type Bob into Name, tick Subscribe, click OK")
    assert result.status == "cancelled" and result.steps == 1
    assert [line["kind"] for line in lines(result.folder)] == ["start", "step", "end"]


def test_a_lost_device_ends_the_run_at_once_with_everything_recorded(tmp_path: Path) -> None:
    device = form()
    device.lost_after = 3  # the first step's looks; the second step's first look fails
    result = agent(device, RulesPolicy(), tmp_path).run("tick Subscribe, click OK, click OK")
    assert result.status == "error" and "lost the fake display" in result.message
    run = Trajectory.load(result.folder)  # type: ignore[arg-type]
    assert run.end is not None and run.end.status == "error"
    assert run.steps[-1].failure == "environment"
    assert len(run.steps) <= 2  # not retried, not replanned


def test_a_model_server_that_is_gone_ends_the_run_as_error(tmp_path: Path) -> None:
    runtime = ScriptedRuntime([ModelUnavailableError("the model server at x is not answering")])
    result = agent(form(), NativePolicy(runtime), tmp_path).run("press OK")
    assert result.status == "error" and "not answering" in result.message
    assert Trajectory.load(result.folder).status == "error"  # type: ignore[arg-type]


def test_a_failed_step_is_planned_again_not_fatal(tmp_path: Path) -> None:
    runtime = ScriptedRuntime(
        [
            tool_call("left_click", coordinate=[990, 990]),  # nothing there
            tool_call("left_click", coordinate=[539, 344]),
            tool_call("terminate", status="success"),
        ]
    )
    result = agent(form(), NativePolicy(runtime), tmp_path).run("press OK")
    assert result.status == "success" and result.steps == 3
    run = Trajectory.load(result.folder)  # type: ignore[arg-type]
    assert [s.ok for s in run.steps] == [False, True, True]
    assert run.failures[0].failure == "verification"
    # The second call was told the first one failed.
    told = " ".join(str(part) for m in runtime.sent[1] for part in m.content)
    assert "FAILED" in told


def test_a_target_not_found_keeps_its_screenshot_and_the_nearest_candidates(
    tmp_path: Path,
) -> None:
    policy = Repeat(Click(target="the Cancel button"))
    result = agent(form(), policy, tmp_path, budgets=Budgets(max_steps=1)).run("cancel")
    step = Trajectory.load(result.folder).steps[0]  # type: ignore[arg-type]
    assert step.failure == "grounding" and "Cancel" in step.reason
    assert step.screenshot is not None and step.geometry is not None
    assert {"OK", "Delete account"} <= {
        c.name for c in step.candidates if c.element_role == "button"
    }


def test_a_dry_run_records_the_plan_and_touches_nothing(tmp_path: Path) -> None:
    device = form()
    result = agent(device, RulesPolicy(), tmp_path, dry_run=True).run(
        "type Bob into Name, click OK"
    )
    assert result.status == "dry_run" and result.steps == 2
    assert device.calls == [] and device.widgets[1].value == ""
    assert [s.ok for s in Trajectory.load(result.folder).steps] == [None, None]  # type: ignore[arg-type]


def test_a_dry_run_longer_than_the_step_budget_still_ends_as_a_dry_run(tmp_path: Path) -> None:
    class FivePresses:
        name, uses_model = "five presses", False

        def plan(self, instruction: str, observation: Observation, history: object) -> Plan:
            return Plan([Step(Click(target="OK"))] * 5, done=True, success=True)

    budgets = Budgets(max_steps=3)
    result = agent(form(), FivePresses(), tmp_path, dry_run=True, budgets=budgets).run("press OK")
    assert result.status == "dry_run" and result.ok, result.message
    assert result.steps == 3 and result.message == "3 steps planned, none run"


def test_a_run_answers_with_its_secrets_masked(tmp_path: Path) -> None:
    class Answering:
        name, uses_model = "answering", False

        def plan(self, instruction: str, observation: Observation, history: object) -> Plan:
            return Plan([Step(Answer(text="the code is hunter2"))], done=True, success=True)

    result = agent(form(), Answering(), tmp_path, secrets=["hunter2"]).run("what is the code?")
    assert result.status == "success" and result.answers == ["the code is •••"]


def test_secrets_never_reach_the_record_or_an_observer(tmp_path: Path) -> None:
    seen: list[str] = []

    class Watch(Observer):
        def after_action(self, record: StepRecorded, frames: Frames) -> None:
            seen.append(record.model_dump_json())

    device = form()
    result = agent(device, RulesPolicy(), tmp_path, secrets=["hunter2"], observers=[Watch()]).run(
        "type hunter2 into Name"
    )
    assert result.status == "success" and device.widgets[1].value == "hunter2"
    written = (result.folder / "trajectory.jsonl").read_text(encoding="utf-8")  # type: ignore[operator]
    assert "hunter2" not in written and "•••" in written
    assert seen and not any("hunter2" in s for s in seen)


def test_a_replay_runs_the_recorded_steps_on_a_fresh_screen(tmp_path: Path) -> None:
    first = agent(form(), RulesPolicy(), tmp_path).run("type Bob into Name, tick Subscribe")
    again = form()
    replayed = agent(again, ReplayPolicy(first.folder), tmp_path).run("replay")  # type: ignore[arg-type]
    assert replayed.status == "success", replayed.message
    assert again.widgets[1].value == "Bob" and again.widgets[2].checked


def test_the_loop_can_be_driven_one_step_at_a_time(tmp_path: Path) -> None:
    a = agent(form(), RulesPolicy(), tmp_path)
    run = a.start("click OK")
    assert a.step(run) is None  # the first turn plans
    record = a.step(run)
    assert isinstance(record, StepRecorded) and record.ok and record.index == 1
    assert run.ended is not None and run.ended.status == "success"
    result = a.finish(run)
    assert result.status == "success" and result.steps == 1


def test_an_observer_can_stop_a_run_before_an_action(tmp_path: Path) -> None:
    class NoMore(Observer):
        def before_action(self, progress: Progress) -> Stop | None:
            return Stop("budget", "enough") if progress.steps >= 1 else None

    result = agent(form(), RulesPolicy(), tmp_path, observers=[NoMore()]).run(
        "tick Subscribe, click OK"
    )
    assert result.status == "budget" and result.message == "enough" and result.steps == 1


@pytest.mark.parametrize("status", ["success", "failure"])
def test_a_finish_step_ends_the_run_with_its_status(tmp_path: Path, status: str) -> None:
    class Finisher:
        name, uses_model = "finisher", False

        def plan(self, instruction: str, observation: Observation, history: object) -> Plan:
            return Plan([Step(Finish(status=status, message="over"))])  # type: ignore[arg-type]

    result = agent(form(), Finisher(), tmp_path).run("finish")
    assert result.status == status and result.message == "over"


def test_an_observer_that_fails_still_leaves_a_run_with_its_end_recorded(tmp_path: Path) -> None:
    class Broken(Observer):
        def after_action(self, record: StepRecorded, frames: Frames) -> None:
            raise OSError("disk full")

    result = agent(form(), RulesPolicy(), tmp_path, observers=[Broken()]).run("click OK")
    assert result.status == "error" and "OSError: disk full" in result.message
    run = Trajectory.load(result.folder)  # type: ignore[arg-type]
    assert run.end is not None and run.end.status == "error" and len(run.steps) == 1


def test_the_cli_printer_shows_what_a_step_says_as_written() -> None:
    import io

    from rich.console import Console

    from screenpilot.cli.printer import StepPrinter

    screen = io.StringIO()
    printer = StepPrinter(Console(file=screen, width=200, color_system=None))
    record = StepRecorded(
        time=1.0, index=1, summary="type '[b]x[/b]' into Name", action=TypeText(text="[b]x[/b]"),
        ok=False, reason="OCR reads '[red]' in the field",
    )  # fmt: skip
    printer.after_action(record, Frames())
    shown = screen.getvalue()
    assert (
        "type '[b]x[/b]' into Name" in shown and "OCR reads '[red]'" in shown and "FAILED" in shown
    )

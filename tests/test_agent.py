"""The agent loop end to end: rules policy on the desktop forms and the simulated phone,
safety, loop detection, trajectories and reports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from screenpilot.actions import Click, parse_action
from screenpilot.agent.loop import Agent, Budgets
from screenpilot.agent.safety import SafetyPolicy
from screenpilot.devices.android import AndroidDevice
from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import XSession
from screenpilot.perception.ocr import ScreenReader
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import Outcome, Plan, Step
from screenpilot.policies.rules import RulesPolicy
from screenpilot.sim.adb_server import FakeAdbServer
from screenpilot.sim.phone import SimulatedPhone
from screenpilot.trajectory.store import Trajectory

FORMS = Path(__file__).resolve().parent.parent / "examples" / "forms"
FILL = (
    "type 'Zoë 北京' into the Name field, type bob@example.org into the Email field, "
    "check Subscribe, click Submit, wait for Saved"
)


def test_rules_fill_the_tk_form_and_write_a_report(
    tk_form: Path, reader: ScreenReader, tmp_path: Path
) -> None:
    with Desktop() as desktop:
        result = Agent(desktop, RulesPolicy(), reader=reader, output=tmp_path / "runs").run(FILL)
    assert result.status == "success", result.message
    assert json.loads(tk_form.read_text(encoding="utf-8")) == {
        "name": "Zoë 北京",
        "email": "bob@example.org",
        "subscribe": True,
    }
    assert result.model_calls == 0 and result.steps == 5
    steps = Trajectory.load(result.folder).steps  # type: ignore[arg-type]
    assert [s.ok for s in steps] == [True] * 5
    assert all((result.folder / s.screenshot).exists() for s in steps)  # type: ignore[operator]
    grounding = steps[0].grounding or ""
    box = steps[1].main_target.box if steps[1].main_target is not None else None
    assert (box is not None and "ocr" in grounding) or "pixels" in grounding
    report = result.report.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert "data:image/jpeg;base64," in report and "success" in report


@pytest.mark.integration
def test_rules_log_in_on_the_simulated_phone(tmp_path: Path) -> None:
    phone = SimulatedPhone()
    with FakeAdbServer([phone]) as server:
        device = AndroidDevice(port=server.port)
        result = Agent(
            device,
            RulesPolicy(),
            output=tmp_path,
            secrets=["hunter2"],
            confirm=lambda action, reason: True,
        ).run(
            "type bob into the Username field, type hunter2 into the Password field, "
            'click Sign in, wait for "Welcome, bob"'
        )
    assert result.status == "success", result.message
    assert phone.logged_in_as == "bob" and phone.fields["password"] == "hunter2"
    written = (result.folder / "trajectory.jsonl").read_text(encoding="utf-8")  # type: ignore[operator]
    assert "hunter2" not in written and "•••" in written  # the secret never reached the record
    assert "hunter2" not in result.report.read_text(encoding="utf-8")  # type: ignore[union-attr]


@pytest.mark.integration
def test_a_password_field_is_refused_without_a_person(tmp_path: Path) -> None:
    phone = SimulatedPhone()
    with FakeAdbServer([phone]) as server:
        result = Agent(AndroidDevice(port=server.port), RulesPolicy(), output=tmp_path).run(
            "type hunter2 into the Password field"
        )
    assert result.status == "refused" and "password field" in result.message
    assert phone.fields["password"] == ""  # nothing was typed


@pytest.mark.integration
def test_a_risky_action_is_refused_unattended_and_allowed_after_confirmation(
    tmp_path: Path,
) -> None:
    asked: list[str] = []

    def person(action: object, reason: str) -> bool:
        asked.append(reason)
        return True

    safety = SafetyPolicy(allowed_apps={"com.android.settings"})
    phone = SimulatedPhone()
    with FakeAdbServer([phone]) as server:
        device = AndroidDevice(port=server.port)
        refused = Agent(device, RulesPolicy(), output=tmp_path, safety=safety).run(
            "open com.example.notes"
        )
        assert refused.status == "refused" and "not among the allowed apps" in refused.message
        assert phone.stack[-1] != "com.example.notes"
        allowed = Agent(device, RulesPolicy(), output=tmp_path, safety=safety, confirm=person).run(
            "open com.example.notes"
        )
    assert allowed.status == "success"
    assert asked == ["com.example.notes is not among the allowed apps"]
    assert phone.stack[-1] == "com.example.notes"


class Stuck:
    """A stand-in policy that keeps asking for the same click on an empty spot."""

    name = "stuck"
    uses_model = False

    def __init__(self) -> None:
        self.calls = 0

    def plan(self, instruction: str, observation: Observation, history: Sequence[Outcome]) -> Plan:
        self.calls += 1
        return Plan(
            steps=[Step(Click(target=parse_action({"type": "click", "target": [900, 900]}).target))]
        )  # type: ignore[union-attr]


def test_a_stuck_policy_is_caught_by_loop_detection(xsession: XSession, tmp_path: Path) -> None:
    stuck = Stuck()
    with Desktop() as desktop:
        agent = Agent(desktop, stuck, output=tmp_path, budgets=Budgets(max_steps=20))
        agent.executor.settle_timeout = 0.3
        result = agent.run("click the empty desktop")
    assert result.status == "stuck"
    assert result.steps == 6  # three tries, a replan, three more
    assert stuck.calls == 6  # a plan per try: the failures make it replan each time


@pytest.mark.integration
def test_dry_run_executes_nothing_and_records_the_plan(tmp_path: Path) -> None:
    phone = SimulatedPhone()
    with FakeAdbServer([phone]) as server:
        result = Agent(
            AndroidDevice(port=server.port), RulesPolicy(), output=tmp_path, dry_run=True
        ).run("type bob into the Username field, click Sign in")
    assert result.status == "dry_run" and result.steps == 2
    assert phone.fields["username"] == "" and not any(c.startswith("input") for c in phone.commands)
    steps = Trajectory.load(result.folder).steps  # type: ignore[arg-type]
    assert [s.ok for s in steps] == [None, None]


@pytest.mark.integration
def test_a_model_server_that_does_not_answer_ends_the_run_with_its_record(
    tmp_path: Path,
) -> None:
    import socket

    from screenpilot.models.openai_client import OpenAIRuntime
    from screenpilot.policies.model_policies import PlannedPolicy

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    phone = SimulatedPhone()
    with FakeAdbServer([phone]) as server:
        result = Agent(
            AndroidDevice(port=server.port),
            PlannedPolicy(OpenAIRuntime(f"http://127.0.0.1:{port}/v1", retries=0)),
            output=tmp_path,
        ).run("log in as bob")
    assert result.status == "error" and "is the model server running" in result.message
    assert not result.ok and result.report is not None and result.report.exists()
    end = Trajectory.load(result.folder).records[-1]  # type: ignore[arg-type]
    assert end.kind == "end" and end.status == "error"

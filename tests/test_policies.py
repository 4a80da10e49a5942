"""Each policy end to end on the Tk form (and the phone for replay's sake), a stand-in model
for native and planned, the tiny random model for the plumbing, a killed run, a replay after
the window moved."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from screenpilot.actions.vocabulary import TypeText
from screenpilot.agent.loop import Agent, Budgets
from screenpilot.agent.observers import Frames, Observer
from screenpilot.agent.report import build_report
from screenpilot.demo_form import TK_FORM
from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import XSession
from screenpilot.models.local import LocalRuntime
from screenpilot.perception.ocr import ScreenReader
from screenpilot.perception.sizing import VisualBudget
from screenpilot.policies.base import PolicyError
from screenpilot.policies.model_policies import NativePolicy, PlannedPolicy
from screenpilot.policies.replay import ReplayPolicy
from screenpilot.policies.rules import RulesPolicy
from screenpilot.policies.scripted import ScriptedPolicy, load_task
from screenpilot.trajectory.records import StepRecorded
from screenpilot.trajectory.store import Trajectory
from tests.desktop_apps import start_tk_form, wait_for_a_still_screen
from tests.standin_model import StandInModel

FORMS = Path(__file__).resolve().parent.parent / "examples" / "forms"
EXPECTED = {"name": "Zoë 北京", "email": "bob@example.org", "subscribe": True}


def read(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


TASK = """\
name: Fill the Tk form
variables:
  email: bob@example.org
secrets:
  name: SCREENPILOT_TEST_NAME
steps:
  - {type: type, text: "${name}", target: the Name field}
  - {type: type, text: "${email}", target: the Email field, retries: 1}
  - {type: click, target: Subscribe checkbox}
  - {type: click, target: the Submit button}
  - assert: {text: Saved}
    timeout: 5
"""


def test_scripted_task_file_with_a_secret(
    tk_form: Path, reader: ScreenReader, tmp_path: Path
) -> None:
    (tmp_path / "task.yaml").write_text(TASK, encoding="utf-8")
    task = load_task(tmp_path / "task.yaml", env={"SCREENPILOT_TEST_NAME": "Zoë 北京"})
    with Desktop() as desktop:
        result = Agent(
            desktop,
            ScriptedPolicy(task),
            reader=reader,
            output=tmp_path / "runs",
            secrets=task.secrets,
        ).run(task.name)
    assert result.status == "success", result.message
    assert read(tk_form) == EXPECTED
    assert "Zoë 北京" not in (result.folder / "trajectory.jsonl").read_text(encoding="utf-8")  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("steps: []\n", "needs a non-empty `steps:` list"),
        ("steps:\n  - {type: click}\n  - {type: jump, target: x}\n", "task.yaml:3: invalid action"),
        (
            "steps:\n  - {type: type, text: '${who}', target: x}\n",
            "task.yaml:2: unknown variable ${who}",
        ),
        (
            "secrets:\n  pw: NOPE_NOT_SET\nsteps:\n  - {type: click, target: x}\n",
            "task.yaml:2: the secret 'pw'",
        ),
        ("steps:\n  - {assert: {colour: red}}\n", "task.yaml:2: `assert` takes"),
        ("steps: [\n", "not valid YAML"),
    ],
)
def test_task_files_are_validated_before_anything_runs(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "task.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(
        PolicyError, match=message.replace("$", r"\$").replace("{", r"\{").replace("}", r"\}")
    ):
        load_task(tmp_path / "task.yaml", env={})


INTENTS = [
    ("click", "the Name field"),
    ("type", "Zoë 北京"),
    ("click", "the Email field"),
    ("type", "bob@example.org"),
    ("click", "Subscribe"),
    ("click", "Submit"),
]
PLAN = [
    {"type": "type", "text": "Zoë 北京", "target": "the Name field"},
    {"type": "type", "text": "bob@example.org", "target": "the Email field"},
    {"type": "click", "target": "Subscribe checkbox"},
    {"type": "click", "target": "the Submit button"},
    {"type": "wait", "until_text": "Saved", "timeout": 5},
    {"type": "finish", "status": "success"},
]


def test_native_and_planned_with_a_stand_in_model(
    xsession: XSession, reader: ScreenReader, tmp_path: Path
) -> None:
    calls = {}
    for name in ("native", "planned"):
        out = tmp_path / f"{name}.json"
        app = start_tk_form(xsession, out)
        try:
            model = (
                StandInModel(reader, INTENTS)
                if name == "native"
                else StandInModel(reader, plan=PLAN)
            )
            policy = NativePolicy(model) if name == "native" else PlannedPolicy(model)
            with Desktop() as desktop:
                result = Agent(desktop, policy, reader=reader, output=tmp_path / "runs").run(
                    "Fill the form with Zoë 北京 and bob@example.org, subscribe, submit"
                )
            assert result.status == "success", (name, result.message)
            assert read(out) == EXPECTED
            calls[name] = result.model_calls
        finally:
            xsession.stop(app)
    assert calls == {"native": 7, "planned": 1}


def test_the_tiny_random_model_runs_through_the_loop(
    tiny_qwen: Path, xsession: XSession, tmp_path: Path
) -> None:
    runtime = LocalRuntime(tiny_qwen, budget=VisualBudget(max_tokens=256))
    with Desktop() as desktop:
        result = Agent(
            desktop,
            NativePolicy(runtime, budget=VisualBudget(max_tokens=256)),
            output=tmp_path,
            budgets=Budgets(max_model_calls=2),
        ).run("click Submit")
    # Random weights answer nonsense: each answer is recorded as unusable and asked again
    # until the model-call budget stops the run.
    assert result.status == "budget" and result.model_calls == 3
    steps = Trajectory.load(result.folder).steps  # type: ignore[arg-type]
    assert steps and all(s.thought.startswith("unusable answer") for s in steps)
    assert all(s.raw for s in steps)  # the raw model output is kept


def test_replay_survives_a_moved_window(
    reader: ScreenReader, tmp_path: Path, xsession: XSession
) -> None:
    first_out, second_out = tmp_path / "first.json", tmp_path / "second.json"
    app = xsession.start(["/usr/bin/python3", str(TK_FORM), str(first_out)])
    with Desktop() as desktop:
        xsession.wait_for_window("Tk form")
        first = Agent(desktop, RulesPolicy(), reader=reader, output=tmp_path / "runs").run(
            "type 'Zoë 北京' into the Name field, type bob@example.org into the Email field"
        )
        assert first.status == "success", first.message
        xsession.stop(app)
        # The same form again, empty, in another place on the screen.
        app = xsession.start(["/usr/bin/python3", str(TK_FORM), str(second_out)])
        window = xsession.wait_for_window("Tk form")
        subprocess.run(
            ["xdotool", "windowmove", "--sync", window, "900", "500"], env=xsession.env, check=True
        )
        wait_for_a_still_screen()
        try:
            replay = Agent(
                desktop,
                ReplayPolicy(first.folder),
                reader=ScreenReader(reader.engine),  # type: ignore[arg-type]
                output=tmp_path / "runs",
            ).run("replay")
            assert replay.status == "success", replay.message
            done = Agent(desktop, RulesPolicy(), reader=reader, output=None).run(
                "click Submit, wait for Saved"
            )
            assert done.status == "success", done.message
        finally:
            xsession.stop(app)
    assert read(second_out) == {"name": "Zoë 北京", "email": "bob@example.org", "subscribe": False}
    moved = Trajectory.load(replay.folder).steps  # type: ignore[arg-type]
    # Grounded afresh, not the old coordinates.
    assert all(r.main_target is not None and r.main_target.point.x > 900 for r in moved)


KILLED_RUN = """
import sys
from pathlib import Path
from screenpilot.agent.loop import Agent
from screenpilot.devices.android import AndroidDevice
from screenpilot.sim.adb_server import FakeAdbServer
from screenpilot.sim.phone import SimulatedPhone
from screenpilot.policies.rules import RulesPolicy
with FakeAdbServer([SimulatedPhone()]) as server:
    Agent(AndroidDevice(port=server.port), RulesPolicy(), output=Path(sys.argv[1])).run(
        "type bob into the Username field, wait 60 seconds")
"""


@pytest.mark.integration
def test_a_run_killed_with_sigkill_leaves_a_readable_trajectory(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(tmp_path)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = list(tmp_path.glob("*/trajectory.jsonl"))
        if runs and '"kind": "step"' in runs[0].read_text(encoding="utf-8"):
            break
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    folder = runs[0].parent
    records = Trajectory.load(folder).records
    assert [r.kind for r in records][:2] == ["start", "step"]
    step = records[1]
    assert isinstance(step, StepRecorded) and step.ok is True
    assert isinstance(step.action, TypeText) and step.action.text == "bob"
    report = build_report(folder).read_text(encoding="utf-8")
    assert "unfinished (the run was stopped)" in report


class Recording(StandInModel):
    """The stand-in, keeping every text it was sent."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.seen: list[str] = []

    def generate(self, messages, sampling=None, *, logprobs=False):  # type: ignore[no-untyped-def, override]
        self.seen += [p for m in messages for p in m.content if isinstance(p, str)]
        return super().generate(messages, logprobs=logprobs)


def test_secrets_never_reach_the_model(tk_form: Path, reader: ScreenReader, tmp_path: Path) -> None:
    model = Recording(
        reader, [("click", "the Name field"), ("type", "s3cr3t-Zoë"), ("click", "the Email field")]
    )
    with Desktop() as desktop:
        result = Agent(
            desktop, NativePolicy(model), reader=reader, output=tmp_path, secrets=["s3cr3t-Zoë"]
        ).run("fill the name")
    assert result.status == "success", result.message
    assert any("•••" in text for text in model.seen)
    assert not any("s3cr3t" in text for text in model.seen)


class CancelAfterAStep(Observer):
    def __init__(self, cancel: Callable[[], None]) -> None:
        self.cancel = cancel

    def after_action(self, record: StepRecorded, frames: Frames) -> None:
        self.cancel()


@pytest.mark.integration
def test_cancel_ends_the_run_cleanly_with_everything_recorded(tmp_path: Path) -> None:
    from screenpilot.devices.android import AndroidDevice
    from screenpilot.sim.adb_server import FakeAdbServer
    from screenpilot.sim.phone import SimulatedPhone

    with FakeAdbServer([SimulatedPhone()]) as server:
        agent = Agent(
            AndroidDevice(port=server.port),
            RulesPolicy(),
            output=tmp_path,
            observers=[CancelAfterAStep(lambda: agent.cancel())],
        )
        result = agent.run("type bob into the Username field, click Sign in")
    assert (result.status, result.steps) == ("cancelled", 1)
    run = Trajectory.load(result.folder)  # type: ignore[arg-type]
    assert [r.kind for r in run.records] == ["start", "step", "end"]
    assert (result.folder / run.steps[0].after).exists()  # type: ignore[operator]
    assert "after" in result.report.read_text(encoding="utf-8")  # type: ignore[union-attr]

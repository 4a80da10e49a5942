"""The agent loop: model calls per task (planned vs native) and loop overhead per step.

Run: .venv/bin/python bench/agent_loop.py [--runs 3] [--steps 30]
Starts its own Xvfb.
1. A five-field Tk form (Name, Email, Phone, City, Company + Subscribe + Submit) is filled by
   the native and the planned policy, both driven by the stand-in model of the tests (exact
   Qwen3-VL answer formats; it finds coordinates with the OCR grounder). Reports model calls
   per completed task and wall time per task (OCR included).
2. The loop's own overhead per step at 1920x1080: a policy that toggles the GTK form's
   checkbox at a known point, with the trajectory being recorded; the executor's sleeps
   (settle waits) are measured and taken out. No model is involved.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screenpilot.actions import Click
from screenpilot.agent.loop import Agent, Budgets
from screenpilot.agent.observers import Frames, Observer
from screenpilot.demo_form import TK_FORM
from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import x_session
from screenpilot.perception.geometry import ScreenPoint
from screenpilot.perception.grounding import Found, ground
from screenpilot.perception.ocr import RapidOcr, ScreenReader
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import Outcome, Plan, Step
from screenpilot.policies.model_policies import NativePolicy, PlannedPolicy
from screenpilot.trajectory.records import StepRecorded
from tests.standin_model import StandInModel

ROOT = Path(__file__).resolve().parent.parent
FIELDS = ["Name", "Email", "Phone", "City", "Company"]
VALUES = ["Zoë 北京", "bob@example.org", "5550123", "Lyon", "Acme"]
FORMS = ROOT / "examples" / "forms"


class Toggle:
    """Clicks one point again and again (a checkbox): the loop with nothing else to do."""

    name = "toggle"
    uses_model = False

    def __init__(self, point: ScreenPoint, steps: int) -> None:
        self.point, self.steps = point, steps

    def plan(self, instruction: str, observation: Observation, history: Sequence[Outcome]) -> Plan:
        if len(history) >= self.steps:
            return Plan(done=True)
        return Plan([Step(Click(target=self.point))])


class SleepMeter:
    def __init__(self) -> None:
        self.total = 0.0

    def __call__(self, seconds: float) -> None:
        start = time.perf_counter()
        time.sleep(seconds)
        self.total += time.perf_counter() - start


def model_calls(runs: int, reader: ScreenReader, session, tmp: Path) -> None:  # type: ignore[no-untyped-def]
    intents: list[tuple[str, str]] = []
    plan: list[dict[str, object]] = []
    for field, value in zip(FIELDS, VALUES, strict=True):
        intents += [("click", f"the {field} field"), ("type", value)]
        plan.append({"type": "type", "text": value, "target": f"the {field} field"})
    intents += [("click", "Subscribe"), ("click", "Submit")]
    plan += [
        {"type": "click", "target": "Subscribe checkbox"},
        {"type": "click", "target": "Submit"},
        {"type": "wait", "until_text": "Saved", "timeout": 5},
        {"type": "finish", "status": "success"},
    ]
    results: dict[str, list[tuple[int, float]]] = {"native": [], "planned": []}
    for run in range(runs):
        for name in ("native", "planned"):
            out = tmp / f"{name}-{run}.json"
            app = session.start(["/usr/bin/python3", str(TK_FORM), str(out), *FIELDS])
            session.wait_for_window("Tk form")
            model = (
                StandInModel(reader, intents)
                if name == "native"
                else StandInModel(reader, plan=plan)
            )
            policy = NativePolicy(model) if name == "native" else PlannedPolicy(model)
            start = time.perf_counter()
            with Desktop() as desktop:
                result = Agent(desktop, policy, reader=reader, output=tmp / "runs").run(
                    "fill the form"
                )
            seconds = time.perf_counter() - start
            session.stop(app)
            filled = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
            assert result.status == "success" and filled.get("company") == "Acme", (name, result)
            results[name].append((result.model_calls, seconds))
    print("five-field Tk form, stand-in model     model calls   seconds per task (median)")
    for name, rows in results.items():
        calls = statistics.median(r[0] for r in rows)
        seconds = statistics.median(r[1] for r in rows)
        print(f"{name:38} {calls:11.0f}   {seconds:8.1f}")
    native = statistics.median(r[0] for r in results["native"])
    ratio = native / statistics.median(r[0] for r in results["planned"])
    print(f"native / planned model calls: {ratio:.1f}x")


def loop_overhead(steps: int, session, tmp: Path) -> None:  # type: ignore[no-untyped-def]
    session.start(["/usr/bin/python3", str(FORMS / "gtk_form.py"), "/dev/null"])
    session.wait_for_window("GTK form")
    time.sleep(1)
    with Desktop() as desktop:
        box = ground("Subscribe checkbox", desktop.elements())
        assert isinstance(box, Found), box
        meter = SleepMeter()
        marks: list[tuple[float, float]] = []

        class Mark(Observer):
            def after_action(self, record: StepRecorded, frames: Frames) -> None:
                marks.append((time.perf_counter(), meter.total))

        agent = Agent(
            desktop,
            Toggle(box.point, steps),
            sleep=meter,
            output=tmp / "runs",
            budgets=Budgets(max_steps=steps + 1),
            observers=[Mark()],
        )
        result = agent.run("toggle")
    # From one recorded step to the next: everything the loop did, less the settle sleeps.
    per_step = [(t2 - t1) - (s2 - s1) for (t1, s1), (t2, s2) in itertools.pairwise(marks)]
    print(
        f"loop overhead per step, 1920x1080, {result.steps} steps, recording on: "
        f"median {statistics.median(per_step) * 1000:.1f} ms, "
        f"p90 {sorted(per_step)[int(0.9 * len(per_step))] * 1000:.1f} ms "
        f"(settle sleeps of {meter.total / result.steps * 1000:.0f} ms/step taken out)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    reader = ScreenReader(RapidOcr())
    with x_session() as session, tempfile.TemporaryDirectory() as tmp:
        os.environ["DISPLAY"] = session.display
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = session.env["DBUS_SESSION_BUS_ADDRESS"]
        model_calls(args.runs, reader, session, Path(tmp))
        loop_overhead(args.steps, session, Path(tmp))


if __name__ == "__main__":
    main()

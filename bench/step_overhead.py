"""Agent overhead per step on a 1920x1080 desktop, deliberate settle waits excluded.

Run: .venv/bin/python bench/step_overhead.py [--runs 40]
Starts its own Xvfb with the GTK form and clicks its Subscribe checkbox again and again
through the executor (observe, place, act, wait for the screen to settle, verify). The
executor's sleeps are counted and subtracted: what remains is the agent's own work per step.
Two cases, interleaved: the target as a screen point, and as words grounded through AT-SPI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screenpilot.actions import parse_action
from screenpilot.actions.executor import Executor
from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import x_session
from screenpilot.perception.grounding import Found, ground

FORMS = Path(__file__).resolve().parent.parent / "examples" / "forms"


class SleepMeter:
    """A sleep that also adds up how long it really slept (the OS overshoots a requested
    sleep by a millisecond or more; that is waiting too, not the agent's work)."""

    def __init__(self) -> None:
        self.total = 0.0

    def __call__(self, seconds: float) -> None:
        start = time.perf_counter()
        time.sleep(seconds)
        self.total += time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    with x_session() as session:
        os.environ["DISPLAY"] = session.display
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = session.env["DBUS_SESSION_BUS_ADDRESS"]
        session.start(["/usr/bin/python3", str(FORMS / "gtk_form.py"), "/dev/null"])
        session.wait_for_window("GTK form")
        time.sleep(1)
        with Desktop() as desktop:
            meter = SleepMeter()
            executor = Executor(desktop, sleep=meter)
            box = ground("Subscribe checkbox", desktop.elements())
            assert isinstance(box, Found), box
            cases = {
                "click a point": parse_action(
                    {"type": "click", "target": [box.point.x, box.point.y]}
                ),
                "click words via AT-SPI": parse_action(
                    {"type": "click", "target": "Subscribe checkbox"}
                ),
            }
            samples: dict[str, list[float]] = {name: [] for name in cases}
            failures = 0
            for _ in range(args.runs):
                for name, action in cases.items():
                    meter.total = 0.0
                    start = time.perf_counter()
                    result = executor.run(action)
                    samples[name].append(time.perf_counter() - start - meter.total)
                    failures += not result.ok
    print(
        f"{'per step, 1920x1080, median of ' + str(args.runs):40} {'overhead ms':>12} {'p90 ms':>8}"
    )
    for name, values in samples.items():
        p90 = sorted(values)[int(0.9 * len(values))] * 1000
        print(f"{name:40} {statistics.median(values) * 1000:12.1f} {p90:8.1f}")
    print(f"steps that failed verification: {failures}")


if __name__ == "__main__":
    main()

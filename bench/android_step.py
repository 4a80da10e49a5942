"""Per-step cost against the simulated phone at 1080x2400, PNG against raw screenshots.

Run: .venv/bin/python bench/android_step.py [--runs 20]
A loopback adb server serves the simulated phone; the real pure-python-adb client talks to
it. Each step taps a login field by its words, Username and Password in turn (tapping the
focused field again would rightly fail verification): capture + decode +
uiautomator elements + grounding + the tap + settle + verification. Reported per step:
- total time minus the executor's sleeps;
- of that, the simulated phone's own work (drawing, PNG encoding, building the XML), which
  a real phone would do on its own CPU;
- the rest: the host's overhead.
Then the host's decode cost alone, PNG against raw, on the same screen.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screenpilot.actions import parse_action
from screenpilot.actions.executor import Executor
from screenpilot.devices.android import AndroidDevice, _decode_png, _decode_raw
from screenpilot.sim.adb_server import FakeAdbServer
from screenpilot.sim.phone import SimulatedPhone


class Meter:
    """Adds up real time spent in a wrapped callable."""

    def __init__(self) -> None:
        self.total = 0.0

    def wrap(self, call):  # type: ignore[no-untyped-def]
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.total += time.perf_counter() - start

        return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    phone = SimulatedPhone()
    slept, phone_work = Meter(), Meter()
    phone.handle = phone_work.wrap(phone.handle)  # type: ignore[method-assign]
    rows: dict[str, dict[str, list[float]]] = {}
    with FakeAdbServer([phone]) as server:
        devices = {
            "PNG (exec:screencap -p)": AndroidDevice(port=server.port),
            "raw (exec:screencap)": AndroidDevice(port=server.port, raw_screencap=True),
        }
        executors = {name: Executor(d, sleep=slept.wrap(time.sleep)) for name, d in devices.items()}
        actions = [
            parse_action({"type": "click", "target": "the Username field"}),
            parse_action({"type": "click", "target": "the Password field"}),
        ]
        for name in executors:
            rows[name] = {"total": [], "phone": [], "host": []}
        step = 0
        for _ in range(args.runs):  # interleaved
            for name, executor in executors.items():
                action = actions[step % 2]  # the phone is shared: alternate the field
                step += 1
                slept.total = phone_work.total = 0.0
                start = time.perf_counter()
                result = executor.run(action)
                total = time.perf_counter() - start - slept.total
                assert result.ok, result.verdict
                rows[name]["total"].append(total)
                rows[name]["phone"].append(phone_work.total)
                rows[name]["host"].append(total - phone_work.total)
        png = phone.handle("exec:screencap -p")
        raw = phone.handle("exec:screencap")
    decode = {"PNG": [], "raw": []}  # type: dict[str, list[float]]
    for _ in range(args.runs):
        for name, call in (("PNG", lambda: _decode_png(png)), ("raw", lambda: _decode_raw(raw))):
            start = time.perf_counter()
            call()
            decode[name].append(time.perf_counter() - start)

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) * 1000:8.1f}"

    print(f"per step, 1080x2400, median of {args.runs}      total ms  phone ms   host ms")
    for name, r in rows.items():
        print(f"{name:38} {ms(r['total'])}  {ms(r['phone'])}  {ms(r['host'])}")
    print(
        f"host decode only: PNG {ms(decode['PNG'])} ms, raw {ms(decode['raw'])} ms "
        f"({statistics.median(decode['PNG']) / statistics.median(decode['raw']):.1f}x); "
        f"bytes: PNG {len(png):,}, raw {len(raw):,}"
    )


if __name__ == "__main__":
    main()

"""Log in on an Android phone through the Python API: no model, every step verified.

Usage:
  python examples/android_login.py --simulated          # the project's simulated phone
  python examples/android_login.py --serial SERIAL      # a real phone over adb
The password is read from $PHONE_PASSWORD (default for the simulated phone: s3cret) and is
masked in the run's trajectory and report.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from screenpilot.agent.loop import Agent
from screenpilot.agent.observers import Frames, Observer
from screenpilot.devices.android import AndroidDevice
from screenpilot.perception.ocr import RapidOcr, ScreenReader
from screenpilot.policies.rules import RulesPolicy
from screenpilot.trajectory.records import StepRecorded


class PrintSteps(Observer):
    """Prints each step as the agent records it (records carry types, not dict keys)."""

    def after_action(self, record: StepRecorded, frames: Frames) -> None:
        print(f"  {record.index}. {record.summary}: {record.reason}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Log in on an Android phone.")
    parser.add_argument("--simulated", action="store_true", help="use the simulated phone")
    parser.add_argument("--serial", help="which phone (adb devices)")
    parser.add_argument("--user", default="bob")
    parser.add_argument("--output", type=Path, default=Path("runs"))
    args = parser.parse_args()
    password = os.environ.get("PHONE_PASSWORD", "s3cret")

    with contextlib.ExitStack() as stack:
        port = None
        phone = None
        if args.simulated:
            from screenpilot.sim.adb_server import FakeAdbServer
            from screenpilot.sim.phone import SimulatedPhone

            phone = SimulatedPhone()
            port = stack.enter_context(FakeAdbServer([phone])).port
        device = AndroidDevice(args.serial, port=port)
        agent = Agent(
            device,
            RulesPolicy(),
            reader=ScreenReader(RapidOcr()),
            secrets=[password],
            # Typing into a password field is risky by default; this script means to.
            confirm=lambda action, reason: reason == "typing into a password field",
            output=args.output,
            observers=[PrintSteps()],
        )
        result = agent.run(
            f"type {args.user} into the Username field, type '{password}' into the Password "
            f"field, tap Sign in, wait for 'Welcome, {args.user}'"
        )
        print(f"{result.status}: {result.message} ({result.steps} steps)")
        print(f"report: {result.report}")
        if phone is not None:
            print(f"the simulated phone says: logged in as {phone.logged_in_as!r}")
        return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())

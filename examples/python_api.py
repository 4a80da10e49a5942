"""Fill the demo's Tk form (`screenpilot.demo_form`) from a plain-English instruction through
the Python API.

Usage: python examples/python_api.py
Uses the current X display, or starts a private virtual one when there is none. No model:
the rules policy reads the instruction, OCR finds the fields, every step is verified.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from screenpilot.agent.loop import Agent, Budgets
from screenpilot.agent.observers import Frames, Observer
from screenpilot.demo_form import TK_FORM_TITLE, tk_form_on_disk
from screenpilot.devices.desktop import Desktop
from screenpilot.devices.virtual_display import pointed_at, wait_for_window, x_session
from screenpilot.perception.ocr import RapidOcr, ScreenReader
from screenpilot.policies.rules import RulesPolicy
from screenpilot.trajectory.records import StepRecorded

INSTRUCTION = (
    "type 'Ada Lovelace' into the Name field, type ada@example.org into the Email field, "
    "check Subscribe, click Submit, wait for Saved"
)


class PrintSteps(Observer):
    """Prints each step as the agent records it (records carry types, not dict keys)."""

    def after_action(self, record: StepRecorded, frames: Frames) -> None:
        print(f"  {record.index}. {record.summary}: {record.reason}")


def main() -> int:
    with contextlib.ExitStack() as stack:
        if not os.environ.get("DISPLAY"):
            session = stack.enter_context(x_session())
            stack.enter_context(pointed_at(session))
        saved = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "form.json"
        form_script = stack.enter_context(tk_form_on_disk())  # the form the demo fills
        form = subprocess.Popen(["/usr/bin/python3", str(form_script), str(saved)])
        stack.callback(form.wait)
        stack.callback(form.terminate)
        wait_for_window(TK_FORM_TITLE)

        desktop = stack.enter_context(Desktop())
        agent = Agent(
            desktop,
            RulesPolicy(),
            reader=ScreenReader(RapidOcr()),
            budgets=Budgets(max_steps=20, max_seconds=120),
            observers=[PrintSteps()],
        )
        result = agent.run(INSTRUCTION)
        print(f"{result.status} in {result.seconds:.1f} s; report: {result.report}")
        if saved.exists():
            print("the form saved:", json.loads(saved.read_text(encoding="utf-8")))
        return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The policy that runs a recorded run again, with no model.

Its plan is the recorded run's successful steps, in order. Targets recorded in words are
grounded afresh on the screen of the replay, so it survives a window that moved; the first
step that fails ends the replay, as the recording has nothing to say about what then.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from screenpilot.errors import InvalidInputError
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import Outcome, Plan, PolicyError, Step
from screenpilot.trajectory.store import Trajectory


class ReplayPolicy:
    """The successful steps of a recorded run, again, with targets grounded afresh."""

    name = "replay"
    uses_model = False

    def __init__(self, run_folder: Path) -> None:
        try:
            recorded = Trajectory.load(Path(run_folder))
        except InvalidInputError as error:
            raise PolicyError(f"cannot replay {run_folder}: {error}") from None
        if not recorded.records:
            raise PolicyError(f"{run_folder} holds no trajectory to replay")
        self.instruction = recorded.instruction
        self.steps = [Step(s.action, expect=s.expect) for s in recorded.succeeded]
        if not self.steps:
            raise PolicyError(f"{run_folder} has no successful step to replay")

    def plan(self, instruction: str, observation: Observation, history: Sequence[Outcome]) -> Plan:
        done = sum(1 for o in history if o.ok)
        message = f"replayed {len(self.steps)} steps"
        if done >= len(self.steps):
            return Plan(done=True, success=True, message=message)
        if history and not history[-1].ok:
            return Plan(
                done=True,
                success=False,
                message=f"replay step {done + 1} failed: {history[-1].reason}",
            )
        return Plan(self.steps[done:], done=True, success=True, message=message)

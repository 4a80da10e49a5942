"""What a policy is: given the instruction, the current observation and what happened so
far, return a plan - a chain of typed actions, each with the effect it should have."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from screenpilot.actions.vocabulary import Action
from screenpilot.errors import ScreenpilotError
from screenpilot.perception.screenshot import Observation


class PolicyError(ScreenpilotError):
    """The policy cannot produce a plan (an instruction it cannot read, a broken task file)."""


@dataclass(frozen=True)
class Step:
    """One planned action, the effect expected of it, and the reasoning behind it."""

    action: Action
    expect: str = ""
    thought: str = ""


@dataclass(frozen=True)
class Plan:
    """The next actions to run. `done` ends the task (with `success` and a `message`)."""

    steps: list[Step] = field(default_factory=list)
    done: bool = False
    success: bool = True
    message: str = ""
    raw: str = ""  # what the model said, for the trajectory
    model_calls: int = 0


@dataclass(frozen=True)
class Outcome:
    """What became of one step: the agent's history entry, as policies see it."""

    step: Step
    ok: bool
    reason: str
    index: int = 0


class Policy(Protocol):
    """Decides what to do next. `uses_model` says whether what the policy is shown may
    reach a model (the agent then masks secrets in the history it passes)."""

    name: str
    uses_model: bool

    def plan(
        self, instruction: str, observation: Observation, history: Sequence[Outcome]
    ) -> Plan: ...

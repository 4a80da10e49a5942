"""RPA task files: YAML with variables, secrets from the environment, steps in the action
vocabulary (targets in words), waits, assertions and retries.

```yaml
name: Fill the contact form
variables: {email: bob@example.org}
secrets: {password: FORM_PASSWORD}      # read from the environment, never written anywhere
steps:
  - {type: type, text: "${email}", target: the Email field}
  - {type: type, text: "${password}", target: the Password field}
  - {type: click, target: Submit, retries: 2}
  - {assert: {text: Saved}, timeout: 5}
```

The format is `policies.task_file.TaskFile`, one pydantic model; `task_json_schema()`
exports it. A step is an action of the vocabulary (it has a `type`, and may add `retries`
and `expect`) or an `assert`.

`load_task` reads a file into a `Task`: variables and secrets are filled into the steps
(`${name}` anywhere in a step's text), then the whole file is validated before anything
runs. Every error names the file, the line and the field; a secret's value never appears in
one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from screenpilot.actions.vocabulary import ACTION_CLASSES, ACTION_TYPES
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import Outcome, Plan, PolicyError, Step
from screenpilot.policies.documents import UNKNOWN_KEY, Problem, YamlDocument, field_reason
from screenpilot.policies.task_file import (
    ActionStepOptions,
    TaskFile,
    TaskHeader,
    task_json_schema,
)

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["ScriptedPolicy", "Task", "TaskStep", "load_task", "task_json_schema"]

_VARIABLE = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True)
class TaskStep:
    """A step ready to run: what it does, how often it may be retried, its line."""

    step: Step
    retries: int
    line: int


@dataclass(frozen=True)
class Task:
    """A task file read for running: its steps with variables and secrets filled in."""

    name: str
    steps: list[TaskStep]
    #: The secrets' values, for the agent to mask; never shown.
    secrets: list[str] = field(repr=False)


def load_task(path: str | Path, env: Mapping[str, str] | None = None) -> Task:
    """Read and validate a task file (secrets from `env`, default the process environment).

    The header is read first (the steps need its variables), then the whole file with the
    variables filled in. Raises PolicyError naming the file, the line, the step and field."""
    env = os.environ if env is None else env
    document = YamlDocument.read(path, "task file")
    data = document.data
    values: dict[str, str] = {}
    secrets: list[str] = []
    if isinstance(data, Mapping):
        known = {k: v for k, v in data.items() if k in TaskHeader.model_fields}
        try:
            header = TaskHeader.model_validate(known)
        except ValidationError as error:
            raise document.fail(error, _describe, data=known) from None
        values = dict(header.variables)
        for name, variable in header.secrets.items():
            if variable not in env:
                line = document.line_of(("secrets", name))
                raise PolicyError(
                    f"{document.source}:{line}: the secret {name!r} needs the environment "
                    f"variable {variable} to be set"
                )
            values[name] = env[variable]
            secrets.append(env[variable])
        if isinstance(data.get("steps"), list):
            steps = [_filled(document, n, raw, values) for n, raw in enumerate(data["steps"])]
            data = {**data, "steps": steps}
    try:
        task = TaskFile.model_validate(data)
    except ValidationError as error:
        raise document.fail(error, _describe, data=data, hide=secrets) from None
    return Task(
        task.name or document.source.stem,
        [
            TaskStep(kind.step(), kind.retries, document.line_of(("steps", number)) or 0)
            for number, kind in enumerate(task.steps)
        ],
        secrets,
    )


def _filled(document: YamlDocument, number: int, raw: Any, values: Mapping[str, str]) -> Any:
    """A step's raw data with `${name}` replaced wherever it appears in its text."""

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _VARIABLE.sub(replace, value)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    def replace(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            known = ", ".join(f"${{{k}}}" for k in values) or "none"
            line = document.line_of(("steps", number))
            raise PolicyError(
                f"{document.source}:{line}: unknown variable ${{{match.group(1)}}} "
                f"(step {number + 1}; the task's variables and secrets: {known})"
            )
        return values[match.group(1)]

    return fill(raw)


def _describe(problem: Problem) -> str:
    """A problem in words: ``invalid click step: `target`: ... (step 2)``."""
    if problem.path[:1] != ("steps",) or len(problem.path) < 2:
        text = field_reason(problem.field(), problem.reason)
        if problem.reason == UNKNOWN_KEY and len(problem.path) == 1:
            text += f"; a task file takes {', '.join(TaskFile.model_fields)}"
        return text
    text = field_reason(problem.field(2), problem.reason)
    if "action step" in problem.tags:
        kind = next((tag for tag in problem.tags if tag in ACTION_TYPES), None)
        if kind is not None and problem.reason == UNKNOWN_KEY and len(problem.path) == 3:
            action = ACTION_CLASSES[ACTION_TYPES.index(kind)]
            fields = [*action.model_fields, *ActionStepOptions.model_fields]
            text += f"; a {kind} step takes {', '.join(fields)}"
        text = f"invalid {kind or 'action'} step: {text}"
    return f"{text} (step {int(problem.path[1]) + 1})"


class ScriptedPolicy:
    """Runs a task file's steps in order, retrying a step as often as it allows."""

    name = "scripted"
    uses_model = False

    def __init__(self, task: Task) -> None:
        self.task = task

    def plan(self, instruction: str, observation: Observation, history: Sequence[Outcome]) -> Plan:
        steps = self.task.steps
        done = sum(1 for o in history if o.ok)
        if done >= len(steps):
            return Plan(
                done=True, success=True, message=f"{self.task.name}: all {len(steps)} steps done"
            )
        current = steps[done]
        failures = [o for o in history if not o.ok and o.step == current.step]
        if len(failures) > current.retries:
            return Plan(
                done=True, success=False, message=f"line {current.line}: {failures[-1].reason}"
            )
        return Plan(
            steps=[s.step for s in steps[done:]],
            done=True,
            success=True,
            message=f"{self.task.name}: all {len(steps)} steps done",
        )

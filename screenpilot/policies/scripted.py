"""RPA task files: YAML with variables, secrets from the environment, steps in the action
vocabulary (targets in words), waits, assertions, retries and per-step timeouts.

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

The whole file is validated before anything runs; every error names the line it is on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from screenpilot.actions.vocabulary import Action, Wait, parse_action
from screenpilot.errors import InvalidInputError
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import Outcome, Plan, PolicyError, Step

_VARIABLE = re.compile(r"\$\{(\w+)\}")
_STEP_KEYS = {"retries", "timeout", "expect"}


@dataclass(frozen=True)
class TaskStep:
    step: Step
    retries: int
    line: int


@dataclass(frozen=True)
class Task:
    name: str
    steps: list[TaskStep]
    secrets: list[str]


class _LineLoader(yaml.SafeLoader):
    """Keeps each mapping's line number under the key `__line__`."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_task(path: str | Path, env: Mapping[str, str] | None = None) -> Task:
    """Read and validate a task file; TaskFileError-style PolicyError naming file and line."""
    path = Path(path)
    env = os.environ if env is None else env
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except OSError as error:
        raise PolicyError(f"cannot read the task file {path}: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise PolicyError(f"{where}: not valid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list) or not data["steps"]:
        raise PolicyError(f"{path}: a task file needs a non-empty `steps:` list")
    values: dict[str, str] = {
        str(k): str(v) for k, v in (data.get("variables") or {}).items() if k != "__line__"
    }
    secrets: list[str] = []
    for name, variable in (data.get("secrets") or {}).items():
        if name == "__line__":
            continue
        if str(variable) not in env:
            raise PolicyError(
                f"{path}:{data['secrets']['__line__']}: the secret {name!r} needs "
                f"the environment variable {variable} to be set"
            )
        values[str(name)] = env[str(variable)]
        secrets.append(env[str(variable)])
    steps = [_task_step(path, raw, values) for raw in data["steps"]]
    return Task(str(data.get("name") or path.stem), steps, secrets)


def _substitute(value: Any, values: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str):

        def replace(m: re.Match[str]) -> str:
            if m.group(1) not in values:
                raise PolicyError(f"{where}: unknown variable ${{{m.group(1)}}}")
            return values[m.group(1)]

        return _VARIABLE.sub(replace, value)
    if isinstance(value, dict):
        return {k: _substitute(v, values, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, values, where) for v in value]
    return value


def _task_step(path: Path, raw: Any, values: Mapping[str, str]) -> TaskStep:
    if not isinstance(raw, dict):
        raise PolicyError(f"{path}: every step must be a mapping, got {raw!r}")
    line = int(raw.pop("__line__", 0))
    where = f"{path}:{line}"
    raw = _substitute(raw, values, where)
    extras = {k: raw.pop(k) for k in list(raw) if k in _STEP_KEYS}
    try:
        retries = int(extras.get("retries", 0))
        timeout = float(extras["timeout"]) if "timeout" in extras else None
    except (TypeError, ValueError):
        raise PolicyError(f"{where}: `retries` and `timeout` must be numbers") from None
    action: Action
    try:
        if "assert" in raw:
            check = raw.pop("assert")
            if raw or not isinstance(check, dict) or set(check) - {"text", "element", "__line__"}:
                raise PolicyError(f"{where}: `assert` takes `text` or `element` and nothing else")
            action = (
                Wait(until_text=str(check["text"]), timeout=timeout or 1.0)
                if "text" in check
                else Wait(until_element=str(check["element"]), timeout=timeout or 1.0)
            )
            expect = f"{check.get('text') or check.get('element')} is shown"
        else:
            if timeout is not None and raw.get("type") == "wait" and "seconds" not in raw:
                raw["timeout"] = timeout
            action = parse_action(raw)
            expect = str(extras.get("expect", ""))
    except InvalidInputError as error:
        raise PolicyError(f"{where}: {error}") from None
    return TaskStep(Step(action, expect=expect), retries, line)


class ScriptedPolicy:
    """Runs a task file's steps in order, retrying a step as often as it allows."""

    name = "scripted"

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

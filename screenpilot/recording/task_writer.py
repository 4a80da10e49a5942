"""The task file a recording becomes: YAML that `screenpilot script` runs unchanged.

Each step is one line, an action in the task file's own shorthand (a target in words is a
plain string, a point `[x, y]`), so a person can read and edit the file. A typed password
is never written: its step types `${name}` and the file's `secrets:` names the environment
variable the value comes from at replay. Text that itself holds `${...}` (typed, or a name
read off the screen) is kept in `variables:` and referred to, so replaying takes it as
written rather than as a variable. The text is
checked by loading it as the runner does before anything is written.
"""

from __future__ import annotations

import datetime
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from screenpilot.actions.vocabulary import ACTION_ADAPTER, TypeText
from screenpilot.recording.steps import RecordedStep

#: The environment variable a secret named `name` is read from at replay.
SECRET_PREFIX = "SCREENPILOT_"
_VARIABLE = re.compile(r"\$\{")


def secret_variable(name: str) -> str:
    """The environment variable that holds the secret `name` at replay time."""
    return SECRET_PREFIX + re.sub(r"\W", "_", name).upper()


def task_text(
    steps: Sequence[RecordedStep], *, name: str, source: str = "", file: str = "THIS_FILE"
) -> str:
    """The task file for `steps`, as YAML text (with a comment header for people that
    calls the file `file`)."""
    secrets = {s.secret: secret_variable(s.secret) for s in steps if s.secret}
    variables: dict[str, str] = {}
    lines = [f"  - {_flow(_step_data(step, variables))}" for step in steps]
    header = [
        f"# Recorded by `screenpilot record`{f' from {source}' if source else ''} on "
        f"{datetime.date.today().isoformat()}. Replay it: screenpilot script {file}",
    ]
    for secret, env in secrets.items():
        header.append(f"# The {secret} typed while recording is not kept: set {env} to replay.")
    body: dict[str, Any] = {"name": name}
    if secrets:
        body["secrets"] = secrets
    if variables:
        body["variables"] = variables
    text = "\n".join(header) + "\n" + yaml.safe_dump(body, allow_unicode=True, sort_keys=False)
    text += "steps:\n" + ("\n".join(lines) + "\n" if lines else "  []\n")
    return text


def write_task(path: Path, steps: Sequence[RecordedStep], *, name: str, source: str = "") -> str:
    """Write the task file for `steps` to `path` (checked first: a file the runner would
    refuse is never written) and return its text."""
    text = task_text(steps, name=name, source=source, file=path.name)
    check_task_text(text, path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text


def check_task_text(text: str, folder: Path) -> None:
    """Load `text` as `screenpilot script` would (placeholder values for its secrets);
    raises the loader's InvalidInputError when it would refuse it."""
    from screenpilot.policies.task_loading import load_task

    loaded = yaml.safe_load(text) or {}
    env = {var: "recorded" for var in (loaded.get("secrets") or {}).values()}
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", suffix=".yaml", dir=folder, encoding="utf-8", delete=True
    ) as probe:
        probe.write(text)
        probe.flush()
        load_task(probe.name, env)


def _step_data(step: RecordedStep, variables: dict[str, str]) -> dict[str, Any]:
    action = step.action
    secret = isinstance(action, TypeText) and bool(step.secret)
    if secret:
        action = action.model_copy(update={"text": "${" + str(step.secret) + "}"})
    full = ACTION_ADAPTER.dump_python(action, mode="json")
    fields = type(action).model_fields
    data: dict[str, Any] = {"type": action.type}
    for key, value in full.items():
        # Nested targets keep their `kind`; only the step's own defaults are left out.
        if key != "type" and (fields[key].is_required() or value != fields[key].default):
            kept = value if secret and key == "text" else _literal(value, variables)
            data[key] = _shorthand(kept)
    if step.expect:
        data["expect"] = step.expect
    return data


def _literal(value: Any, variables: dict[str, str]) -> Any:
    """`value` with every text that holds `${` (typed, or read off the screen into a
    description) moved into `variables`, so the runner takes it as written."""
    if isinstance(value, str) and _VARIABLE.search(value):
        key = f"typed_{len(variables) + 1}"
        variables[key] = value
        return "${" + key + "}"
    if isinstance(value, dict):
        return {k: _literal(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal(v, variables) for v in value]
    return value


def _shorthand(value: Any) -> Any:
    """A target as a hand-written file gives it: words as a string, a point as [x, y]."""
    if isinstance(value, dict):
        kind = value.get("kind")
        if kind == "description":
            return value["text"]
        if kind == "point":
            return [_number(value["x"]), _number(value["y"])]
        if kind == "window_point":
            return {k: _number(v) for k, v in value.items()}
    return value


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _flow(data: dict[str, Any]) -> str:
    return yaml.safe_dump(
        data, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10_000
    ).strip()

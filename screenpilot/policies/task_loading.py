"""Task files read for running: `load_task` turns a file (and the files it includes) into a
`Task` of `Node`s, every `${name}` checked against what can define it (variables, secrets,
data columns, `read ... into`, a loop's `each`) and the whole file validated before anything
runs; `read_header` reads the header alone. Errors name the file, the line and the field; a
secret's value never appears in one. `fill_in` puts the values of the moment into a step.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, TypeAdapter, ValidationError

from screenpilot.actions.vocabulary import ACTION_CLASSES, ACTION_TYPES
from screenpilot.policies.base import PolicyError, Step
from screenpilot.policies.documents import (
    UNKNOWN_KEY,
    DataPath,
    Problem,
    YamlDocument,
    field_reason,
)
from screenpilot.policies.task_file import (
    ActionStepOptions,
    AssertStep,
    ForStep,
    IfStep,
    IncludeStep,
    StepOptions,
    TaskFile,
    TaskHeader,
    TaskStepKind,
)

_VARIABLE = re.compile(r"\$\{(\w+)\}")
STEP_ADAPTER: TypeAdapter[TaskStepKind] = TypeAdapter(TaskStepKind)
#: What a variable known only while the task runs (a value read, a loop's item, a data
#: column without a sample row) stands as while the file is checked.
_PLACEHOLDER = "1"


@dataclass(frozen=True)
class TaskStep:
    """A simple step ready to run: what it does, how often it may be retried, its line."""

    step: Step
    retries: int
    line: int


@dataclass(frozen=True)
class Node:
    """One step as written: its checked model, its data (with `${name}` still in it), where
    it stands, and the steps inside it (an if's then/else, a loop's or include's steps)."""

    model: BaseModel
    raw: Any
    source: Path
    line: int
    inner: tuple[tuple[Node, ...], ...] = ()

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class Task:
    """A task file read for running."""

    name: str
    source: Path
    program: tuple[Node, ...]
    on_error: tuple[Node, ...]
    #: The file's variables (and those given on the command line); secrets apart.
    variables: dict[str, str]
    #: The secrets' values by name, for filling; never shown.
    secret_values: dict[str, str] = field(repr=False)
    #: The header's data and output files, resolved against the file's folder.
    data: Path | None = None
    output: Path | None = None
    #: The variables `read` steps fill, in the order the file declares them.
    read_into: tuple[str, ...] = ()

    @property
    def secrets(self) -> list[str]:
        """The secrets' values, for the agent to mask."""
        return list(self.secret_values.values())

    @property
    def steps(self) -> list[TaskStep]:
        """The simple top-level steps filled with the file's own values (for a task without
        data or control steps, the whole task)."""
        values = {**self.variables, **self.secret_values}
        out = []
        for node in self.program:
            if isinstance(node.model, ActionStepOptions | AssertStep):
                model = STEP_ADAPTER.validate_python(fill_in(node.raw, values, lenient=True))
                retries = model.retries if isinstance(model, StepOptions) else 0
                out.append(TaskStep(simple_step(model), retries, node.line))
        return out


class Launcher(Protocol):
    """Starts the programs a task's `launch` steps name, and ends them with the row."""

    def launch(
        self, argv: Sequence[str], *, window: str | None = None, timeout: float = 30.0
    ) -> None: ...

    def stop_all(self) -> None: ...


# ---------------------------------------------------------------------- reading a file
def read_header(path: str | Path, env: Mapping[str, str] | None = None) -> TaskHeader:
    """A task file's header alone (name, variables, secrets, data, output), checked."""
    document = YamlDocument.read(path, "task file")
    header, _ = _header(document, env if env is not None else os.environ, {})
    return header


def load_task(
    path: str | Path,
    env: Mapping[str, str] | None = None,
    *,
    variables: Mapping[str, str] | None = None,
    columns: Sequence[str] = (),
    sample: Mapping[str, str] | None = None,
) -> Task:
    """Read and check a task file. `env` holds the secrets (default the process
    environment); `variables` override the file's own; `columns` are the data file's (the
    steps may use them) and `sample` one of its rows (to check the steps filled in).
    Raises PolicyError naming the file, the line, the step and the field."""
    env = os.environ if env is None else env
    document = YamlDocument.read(path, "task file")
    header, values = _header(document, env, dict(variables or {}))
    secrets = {
        name: values[name] for name in header.secrets
    }  # the header put the secrets' values in `values`
    plain = {k: v for k, v in values.items() if k not in secrets}
    filled = {**{c: _PLACEHOLDER for c in columns}, **dict(sample or {}), **values}
    reader = _Reader(env, set(columns), filled, list(secrets.values()))
    program, on_error = reader.read(document, header)
    folder = document.source.parent
    return Task(
        header.name or document.source.stem,
        document.source,
        program,
        on_error,
        plain,
        secrets,
        folder / header.data if header.data else None,
        folder / header.output if header.output else None,
        tuple(dict.fromkeys(reader.read_into)),
    )


def _header(
    document: YamlDocument, env: Mapping[str, str], overrides: dict[str, str]
) -> tuple[TaskHeader, dict[str, str]]:
    data = document.data
    known = (
        {k: v for k, v in data.items() if k in TaskHeader.model_fields}
        if isinstance(data, Mapping)
        else {}
    )
    try:
        header = TaskHeader.model_validate(known)
    except ValidationError as error:
        raise document.fail(error, _describe, data=known) from None
    values = {**header.variables, **overrides}
    for name, variable in header.secrets.items():
        if variable not in env:
            line = document.line_of(("secrets", name))
            raise PolicyError(
                f"{document.source}:{line}: the secret {name!r} needs the environment "
                f"variable {variable} to be set"
            )
        values[name] = env[variable]
    return header, values


class _Reader:
    """Reads a file and the files it includes into nodes, checking every `${name}`."""

    def __init__(
        self, env: Mapping[str, str], columns: set[str], values: dict[str, str], hide: list[str]
    ) -> None:
        self.env, self.columns, self.values, self.hide = env, columns, values, hide
        self.read_into: list[str] = []
        self._open: list[Path] = []

    def read(
        self, document: YamlDocument, header: TaskHeader
    ) -> tuple[tuple[Node, ...], tuple[Node, ...]]:
        data = document.data
        self._open.append(document.source.resolve())
        runtime = _runtime_names(data) if isinstance(data, Mapping) else set()
        self.read_into += _read_names(data)
        known = set(self.values) | self.columns | runtime
        if isinstance(data, Mapping):
            for key in ("steps", "on_error"):
                if isinstance(data.get(key), list):
                    for number, raw in enumerate(data[key]):
                        _check_names(document, (key, number), raw, known)
            sample = {**{n: _PLACEHOLDER for n in runtime}, **self.values}
            data = {
                **data,
                **{
                    key: [fill_in(raw, sample, lenient=True) for raw in data[key]]
                    for key in ("steps", "on_error")
                    if isinstance(data.get(key), list)
                },
            }
        try:
            task = TaskFile.model_validate(data)
        except ValidationError as error:
            raise document.fail(error, _describe, data=data, hide=self.hide) from None
        raw = document.data
        program = tuple(
            self._node(document, ("steps", n), raw["steps"][n], m) for n, m in enumerate(task.steps)
        )
        on_error = tuple(
            self._node(document, ("on_error", n), raw["on_error"][n], m)
            for n, m in enumerate(task.on_error)
        )
        self._open.pop()
        return program, on_error

    def _node(self, document: YamlDocument, path: DataPath, raw: Any, model: BaseModel) -> Node:
        line = document.line_of(path) or 0
        inner: tuple[tuple[Node, ...], ...] = ()
        if isinstance(model, IfStep):
            inner = (
                self._nodes(document, (*path, "then"), raw["then"], model.then),
                self._nodes(document, (*path, "else"), raw.get("else") or [], model.otherwise),
            )
        elif isinstance(model, ForStep):
            inner = (self._nodes(document, (*path, "steps"), raw["steps"], model.steps),)
        elif isinstance(model, IncludeStep):
            inner = (self._include(document, line, model),)
        return Node(model, raw, document.source, line, inner)

    def _nodes(
        self, document: YamlDocument, path: DataPath, raws: list[Any], models: Sequence[BaseModel]
    ) -> tuple[Node, ...]:
        return tuple(
            self._node(document, (*path, n), raw, m)
            for n, (raw, m) in enumerate(zip(raws, models, strict=True))
        )

    def _include(self, document: YamlDocument, line: int, step: IncludeStep) -> tuple[Node, ...]:
        target = document.source.parent / fill_in(step.include, self.values, lenient=True)
        if target.resolve() in self._open:
            chain = " -> ".join(p.name for p in [*self._open, target.resolve()])
            raise PolicyError(f"{document.source}:{line}: include goes round in a circle: {chain}")
        if not target.is_file():
            raise PolicyError(f"{document.source}:{line}: cannot include {target}: no such file")
        included = YamlDocument.read(target, "task file")
        header, values = _header(included, self.env, {})
        saved = self.values
        # The included file's own variables are defaults; the including file's win, and
        # what the include step passes wins over both.
        self.values = {**values, **saved, **step.variables}
        self.hide += [v for k, v in values.items() if k in header.secrets]
        try:
            program, _ = self.read(included, header)
        finally:
            self.values = saved
        return program


def _runtime_names(data: Mapping[str, Any]) -> set[str]:
    """Names that only get a value while the task runs: `read ... into`, a loop's `each`."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            if isinstance(value.get("read"), Mapping) and isinstance(
                value["read"].get("into"), str
            ):
                found.add(value["read"]["into"])
            if isinstance(value.get("for"), Mapping) and isinstance(value["for"].get("each"), str):
                found.add(value["for"]["each"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk([data.get("steps"), data.get("on_error")])
    return found


def _read_names(data: Any) -> list[str]:
    names: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            read = value.get("read")
            if isinstance(read, Mapping) and isinstance(read.get("into"), str):
                names.append(read["into"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    if isinstance(data, Mapping):
        walk(data.get("steps"))
    return names


def _check_names(document: YamlDocument, path: DataPath, raw: Any, known: set[str]) -> None:
    for name in _names_in(raw):
        if name not in known:
            listed = ", ".join(f"${{{k}}}" for k in sorted(known)) or "none"
            line = document.line_of(path)
            raise PolicyError(
                f"{document.source}:{line}: unknown variable ${{{name}}} (step {path[1] + 1}"  # type: ignore[operator]
                f"; what the task defines: {listed})"
            )


def _names_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield from _VARIABLE.findall(value)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _names_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from _names_in(v)


def fill_in(value: Any, values: Mapping[str, str], *, lenient: bool = False) -> Any:
    """`value` with `${name}` replaced wherever it appears in its text. An unknown name
    stays as written with `lenient`, else raises KeyError."""
    if isinstance(value, str):
        return _VARIABLE.sub(
            lambda m: values[m.group(1)] if m.group(1) in values or not lenient else m.group(0),
            value,
        )
    if isinstance(value, Mapping):
        return {k: fill_in(v, values, lenient=lenient) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_in(v, values, lenient=lenient) for v in value]
    return value


def _describe(problem: Problem) -> str:
    """A problem in words: ``invalid click step: `target`: ... (step 2)``."""
    if problem.path[:1] not in (("steps",), ("on_error",)) or len(problem.path) < 2:
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
    else:
        kind = next((t for t in problem.tags if t.endswith(" step")), None)
        if kind is not None and kind != "assert step":
            text = f"invalid {kind}: {text}"
    where = "on_error step" if problem.path[0] == "on_error" else "step"
    return f"{text} ({where} {int(problem.path[1]) + 1})"


def simple_step(model: BaseModel) -> Step:
    if isinstance(model, ActionStepOptions | AssertStep):
        return model.step()
    raise TypeError(f"{type(model).__name__} is not a simple step")

"""RPA task files: YAML with variables, secrets from the environment, data rows, steps in the
action vocabulary (targets in words), assertions, retries, programs to launch, branches on
what the screen shows, values read off it, loops and included files.

```yaml
name: Register customers
data: customers.csv                     # the steps run once per row; ${column} is its value
output: results.csv
variables: {site: Lyon}
secrets: {password: CRM_PASSWORD}       # read from the environment, never written anywhere
steps:
  - launch: [sh, register.sh]           # an argv list, never a shell; ended with the row
    window: Register
  - {type: type, text: "${name}", target: the Name field}
  - {type: click, target: the OK button, retries: 2}
  - if: {text: Duplicate}
    then: [{type: click, target: the OK button}]
    else:
      - read: {target: Customer number, pattern: '\\d+', into: number}
  - for: {each: item, in: "${items}"}
    steps: [{do: "tick ${item}"}]
  - include: common/logout.yaml
on_error:
  - {type: key, keys: escape}
```

The format is `policies.task_file.TaskFile`; `task_json_schema()` exports it. `load_task`
reads a file into a `Task`: its header, every `${name}` checked against what can define it
(variables, secrets, data columns, `read ... into`, a loop's `each`), the whole file
validated before anything runs, included files read in. Every error names the file, the
line and the field; a secret's value never appears in one.

`ScriptedPolicy` runs a task: the steps are filled with the current values when they are
reached, simple steps are handed to the agent in runs, and a control step (`if`, `read`,
`launch`, `for`, `include`, `do`) is worked out on the screen of that moment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, TypeAdapter, ValidationError

from screenpilot.actions.vocabulary import ACTION_CLASSES, ACTION_TYPES
from screenpilot.errors import ScreenpilotError
from screenpilot.perception.elements import INPUT_ROLES, Element
from screenpilot.perception.grounding import Found, Grounding, ground
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import Outcome, Plan, PolicyError, Step
from screenpilot.policies.documents import (
    UNKNOWN_KEY,
    DataPath,
    Problem,
    YamlDocument,
    field_reason,
    mask,
)
from screenpilot.policies.retrying import retried
from screenpilot.policies.task_file import (
    ActionStepOptions,
    AssertStep,
    Condition,
    DoStep,
    ForStep,
    IfStep,
    IncludeStep,
    LaunchStep,
    ReadStep,
    StepOptions,
    TaskFile,
    TaskHeader,
    TaskStepKind,
    task_json_schema,
    verb_instruction,
)

__all__ = [
    "Launcher",
    "ScriptedPolicy",
    "Task",
    "TaskStep",
    "load_task",
    "read_header",
    "task_json_schema",
]

_VARIABLE = re.compile(r"\$\{(\w+)\}")
_STEP_ADAPTER: TypeAdapter[TaskStepKind] = TypeAdapter(TaskStepKind)
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
                model = _STEP_ADAPTER.validate_python(_fill(node.raw, values, lenient=True))
                retries = model.retries if isinstance(model, StepOptions) else 0
                out.append(TaskStep(_simple_step(model), retries, node.line))
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
                    key: [_fill(raw, sample, lenient=True) for raw in data[key]]
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
        target = document.source.parent / _fill(step.include, self.values, lenient=True)
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


def _fill(value: Any, values: Mapping[str, str], *, lenient: bool = False) -> Any:
    """`value` with `${name}` replaced wherever it appears in its text. An unknown name
    stays as written with `lenient`, else raises KeyError."""
    if isinstance(value, str):
        return _VARIABLE.sub(
            lambda m: values[m.group(1)] if m.group(1) in values or not lenient else m.group(0),
            value,
        )
    if isinstance(value, Mapping):
        return {k: _fill(v, values, lenient=lenient) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values, lenient=lenient) for v in value]
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


def _simple_step(model: BaseModel) -> Step:
    if isinstance(model, ActionStepOptions | AssertStep):
        return model.step()
    raise TypeError(f"{type(model).__name__} is not a simple step")


# ---------------------------------------------------------------------- running a task
class TaskFailedError(ScreenpilotError):
    """A step of the task failed for good (after its retries)."""

    def __init__(self, node: Node, reason: str) -> None:
        self.node, self.reason = node, reason
        super().__init__(f"{node.where}: {reason}")


#: What the interpreter hands the agent (a run of steps) and what it gets back (their
#: outcomes, in order; the last one failed when the run stopped early).
Batch = list[Step]
Program = Generator[Batch, list[Outcome], None]


@dataclass
class _Context:
    values: dict[str, str]
    read: dict[str, str]
    look: Callable[[], Observation]
    launcher: Launcher | None
    secrets: list[str]


class ScriptedPolicy:
    """Runs a task's steps in order, retrying a step as often as it allows.

    `values` are the row's (data columns and variables given for this run, on top of the
    file's); `look` gives the settled screen with its elements (and OCR) for `if` and
    `read` (default: the screenshot the agent passes); `launcher` starts `launch` steps'
    programs. `read_values` holds what `read` steps took off the screen."""

    name = "scripted"
    uses_model = False

    def __init__(
        self,
        task: Task,
        *,
        values: Mapping[str, str] | None = None,
        look: Callable[[], Observation] | None = None,
        launcher: Launcher | None = None,
        program: Sequence[Node] | None = None,
    ) -> None:
        self.task = task
        self.look = look
        self.launcher = launcher
        self.read_values: dict[str, str] = {}
        self._values = {**task.variables, **dict(values or {}), **task.secret_values}
        self._nodes = tuple(program if program is not None else task.program)
        self._program: Program | None = None
        self._mark = 0
        self._observation: Observation | None = None

    def plan(self, instruction: str, observation: Observation, history: Sequence[Outcome]) -> Plan:
        self._observation = observation
        done = f"{self.task.name}: every step done"
        try:
            if self._program is None:
                context = _Context(
                    dict(self._values), self.read_values, self._screen, self.launcher,
                    self.task.secrets,
                )  # fmt: skip
                self._program = _run(self._nodes, context)
                batch = next(self._program)
            else:
                batch = self._program.send(_outcomes(history[self._mark :]))
        except StopIteration:
            return Plan(done=True, success=True, message=done)
        except TaskFailedError as error:
            return Plan(done=True, success=False, message=mask(str(error), self.task.secrets))
        self._mark = len(history)
        return Plan(steps=batch)

    def _screen(self) -> Observation:
        if self.look is not None:
            return self.look()
        assert self._observation is not None
        return self._observation


def _outcomes(new: Sequence[Outcome]) -> list[Outcome]:
    """The outcome of each step run since the last plan (loop detection may add a note
    about a step that already has its outcome: the first one counts)."""
    seen: set[int] = set()
    out = []
    for outcome in new:
        if outcome.index not in seen:
            seen.add(outcome.index)
            out.append(outcome)
    return out


def _run(nodes: Sequence[Node], context: _Context) -> Program:
    """The interpreter: runs of simple steps handed out, control steps worked out here."""
    simple: list[tuple[Node, BaseModel]] = []
    for node in nodes:
        if isinstance(node.model, ActionStepOptions | AssertStep):
            simple.append((node, _filled_model(node, context)))
            continue
        yield from _simple_run(simple)
        simple = []
        yield from _control(node, context)
    yield from _simple_run(simple)


def _simple_run(simple: list[tuple[Node, BaseModel]]) -> Program:
    """Hand out a run of simple steps; a failed one is tried again from there as often as
    its `retries` allow, its thought saying which try it is and why (the executor makes a
    typing retry type only what the field lacks)."""
    start = 0
    failures = [0] * len(simple)
    why = ""
    while start < len(simple):
        batch = [_simple_step(model) for _, model in simple[start:]]
        if why:
            batch[0] = retried(batch[0], failures[start], why)
        outcomes = yield batch
        why = ""
        ran_ok = 0
        for outcome in outcomes:
            if not outcome.ok:
                break
            ran_ok += 1
        start += ran_ok
        if start >= len(simple):
            return
        if len(outcomes) > ran_ok:  # the step at `start` failed
            failures[start] += 1
            node, model = simple[start]
            retries = model.retries if isinstance(model, StepOptions) else 0
            if failures[start] > retries:
                raise TaskFailedError(node, outcomes[ran_ok].reason)
            why = outcomes[ran_ok].reason


def _control(node: Node, context: _Context) -> Program:
    model = _filled_model(node, context)
    if isinstance(model, IfStep):
        holds = _holds(model.condition, context.look())
        yield from _run(node.inner[0] if holds else node.inner[1], context)
    elif isinstance(model, ForStep):
        items = [item.strip() for item in model.loop.items.split(";") if item.strip()]
        name = model.loop.each
        before = context.values.get(name)
        for item in items:
            context.values[name] = item
            yield from _run(node.inner[0], context)
        if before is None:
            context.values.pop(name, None)
        else:
            context.values[name] = before
    elif isinstance(model, IncludeStep):
        saved = dict(context.values)
        context.values.update(model.variables)
        yield from _run(node.inner[0], context)
        context.values = {**saved, **{k: v for k, v in context.values.items() if k in context.read}}
    elif isinstance(model, LaunchStep):
        if context.launcher is None:
            raise TaskFailedError(node, "`launch` needs a desktop to start programs on")
        try:
            context.launcher.launch(model.launch, window=model.window, timeout=model.timeout)
        except ScreenpilotError as error:
            raise TaskFailedError(node, str(error)) from None
    elif isinstance(model, ReadStep):
        spec = model.read
        tries = model.retries + 1
        for attempt in range(tries):
            try:
                value = read_text(context.look(), spec.target, spec.pattern)
                break
            except LookupError as error:
                if attempt == tries - 1:
                    raise TaskFailedError(node, str(error)) from None
        context.values[spec.into] = value
        context.read[spec.into] = value
    else:
        instruction = model.do if isinstance(model, DoStep) else verb_instruction(model)
        assert instruction is not None
        yield from _instruction(node, instruction, context)


def _instruction(node: Node, instruction: str, context: _Context) -> Program:
    """A plain instruction run by the rules policy, as `screenpilot run` would."""
    from screenpilot.policies.rules import RulesPolicy

    rules = RulesPolicy()
    history: list[Outcome] = []
    while True:
        try:
            plan = rules.plan(instruction, context.look(), history)
        except PolicyError as error:
            raise TaskFailedError(node, str(error)) from None
        if not plan.steps:
            if plan.done and plan.success:
                return
            raise TaskFailedError(node, plan.message or f"cannot do {instruction!r}")
        outcomes = yield list(plan.steps)
        history += [
            Outcome(o.step, o.ok, o.reason, len(history) + n + 1) for n, o in enumerate(outcomes)
        ]
        if all(o.ok for o in outcomes) and len(outcomes) == len(plan.steps) and plan.done:
            if plan.success:
                return
            raise TaskFailedError(node, plan.message)


def _filled_model(node: Node, context: _Context) -> BaseModel:
    """The step with the values of this moment filled in, checked again."""
    if isinstance(node.model, IfStep | ForStep):
        # Only the condition or the list is filled now: the inner steps when they are reached.
        key = "if" if isinstance(node.model, IfStep) else "for"
        raw = {**node.raw, key: _fill(node.raw[key], context.values, lenient=True)}
    else:
        raw = _fill(node.raw, context.values, lenient=True)
    try:
        return _STEP_ADAPTER.validate_python(raw)
    except ValidationError as error:
        reasons = "; ".join(
            f"`{'.'.join(str(p) for p in e['loc'][1:])}`: {e['msg']}" for e in error.errors()
        )
        raise TaskFailedError(
            node, mask(f"with this row's values: {reasons}", context.secrets)
        ) from None


# ---------------------------------------------------------------------- the screen
def _holds(condition: Condition, observation: Observation) -> bool:
    if condition.negated is not None:
        return not _holds(condition.negated, observation)
    if condition.text is not None:
        return shows_text(observation.elements, condition.text)
    assert condition.element is not None
    return isinstance(_find(condition.element, observation)[0], Found)


def _find(target: str, observation: Observation) -> tuple[Grounding, list[Element]]:
    """`target` grounded as the executor grounds it: on the device's own elements (its
    accessibility tree), then, when they lack it, on them with what OCR read. The OCR copy
    of a text the tree also holds does not make it ambiguous. Returns the result and the
    elements it was found among."""
    own = [e for e in observation.elements if e.source not in _PIXEL_SOURCES]
    layers = [own, list(observation.elements)] if own else [list(observation.elements)]
    for elements in layers:
        found = ground(target, elements)
        if isinstance(found, Found):
            break
    return found, elements


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def shows_text(elements: Sequence[Element], text: str) -> bool:
    """Whether some element's name or value contains `text` (case and spacing aside)."""
    wanted = _fold(text)
    return any(wanted in _fold(f"{e.name} {e.value}") for e in elements)


def read_text(observation: Observation, target: str, pattern: str | None) -> str:
    """The text of the element `target` names: its value, else its name. With `pattern`,
    the first match (group 1 if it has one) in that element or, for a label, in the nearest
    element right of it or below it. LookupError when nothing is found or matches."""
    found, elements = _find(target, observation)
    if not isinstance(found, Found):
        raise LookupError(f"nothing to read: {found.message()}")
    candidates = [found.element, *_beside(found.element, elements)]
    if pattern is None:
        element = candidates[0]
        labelled = [e for e in candidates[1:] if e.role in _VALUE_ROLES]
        if element.role == "text" and labelled and not element.value:
            # A label: what it labels (a field or a value, never a button beside it) holds
            # the value.
            return _text_of(labelled[0])
        return _text_of(element)
    regex = re.compile(pattern)
    for element in candidates:
        match = regex.search(_text_of(element))
        if match:
            return match.group(1) if regex.groups else match.group(0)
    raise LookupError(f"{pattern!r} matches nothing in {_text_of(found.element)!r} or beside it")


#: Elements read off the pixels rather than given by the device.
_PIXEL_SOURCES = frozenset({"ocr", "pixels"})
#: What a label can label: a field, or a value shown as text.
_VALUE_ROLES = INPUT_ROLES | {"text"}


def _text_of(element: Element) -> str:
    return element.value or element.name


def _beside(label: Element, elements: Sequence[Element], reach: float = 400) -> list[Element]:
    """Elements right of the label on its line, then below it, nearest first."""
    box = label.box
    right = [
        e for e in elements
        if e is not label and box.x2 - 2 <= e.box.x1 <= box.x2 + reach
        and abs(e.box.center.y - box.center.y) <= max(box.height, 12)
    ]  # fmt: skip
    below = [
        e for e in elements
        if e is not label and box.y2 - 2 <= e.box.y1 <= box.y2 + reach / 4
        and abs(e.box.x1 - box.x1) <= reach / 2
    ]  # fmt: skip
    right.sort(key=lambda e: e.box.x1 - box.x2)
    below.sort(key=lambda e: e.box.y1 - box.y2)
    return right + below

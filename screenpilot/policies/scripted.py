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

The format is `policies.task_file.TaskFile`; `task_json_schema()` exports it.
`load_task` (`policies.task_loading`) reads a file into a `Task`: its header, every
`${name}` checked against what can define it (variables, secrets, data columns, `read ...
into`, a loop's `each`), the whole file validated before anything runs, included files
read in. Every error names the file, the
line and the field; a secret's value never appears in one.

`ScriptedPolicy` runs a task: the steps are filled with the current values when they are
reached, simple steps are handed to the agent in runs, and a control step (`if`, `read`,
`launch`, `for`, `include`, `do`) is worked out on the screen of that moment.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from screenpilot.errors import ScreenpilotError
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import Outcome, Plan, PolicyError, Step
from screenpilot.policies.documents import (
    mask,
)
from screenpilot.policies.retrying import retried
from screenpilot.policies.screen_reading import holds, read_text, shows_text
from screenpilot.policies.task_file import (
    ActionStepOptions,
    AssertStep,
    DoStep,
    ForStep,
    IfStep,
    IncludeStep,
    LaunchStep,
    ReadStep,
    StepOptions,
    task_json_schema,
    verb_instruction,
)
from screenpilot.policies.task_loading import (
    STEP_ADAPTER,
    Launcher,
    Node,
    Task,
    TaskStep,
    fill_in,
    load_task,
    read_header,
    simple_step,
)

__all__ = [
    "Launcher",
    "ScriptedPolicy",
    "Task",
    "TaskStep",
    "load_task",
    "read_header",
    "read_text",
    "shows_text",
    "task_json_schema",
]


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
        batch = [simple_step(model) for _, model in simple[start:]]
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
        held = holds(model.condition, context.look())
        yield from _run(node.inner[0] if held else node.inner[1], context)
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
        raw = {**node.raw, key: fill_in(node.raw[key], context.values, lenient=True)}
    else:
        raw = fill_in(node.raw, context.values, lenient=True)
    try:
        return STEP_ADAPTER.validate_python(raw)
    except ValidationError as error:
        reasons = "; ".join(
            f"`{'.'.join(str(p) for p in e['loc'][1:])}`: {e['msg']}" for e in error.errors()
        )
        raise TaskFailedError(
            node, mask(f"with this row's values: {reasons}", context.secrets)
        ) from None

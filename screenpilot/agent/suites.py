"""The evaluation suite format: pydantic models of a suite file and of each of its tasks.

`agent.evaluation` runs what `load_suite` returns; `suite_json_schema()` exports the format.
`{suite}` (the suite file's folder) and `{tmp}` (a fresh folder per run) may appear in every
command, path and environment value; they are filled in when the task runs, not here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from screenpilot.policies.documents import UNKNOWN_KEY, Problem, YamlDocument, field_reason

CHECK_KINDS = ("file", "command", "stdout", "stdout_matches")


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"is not a regex: {error}") from None
    return pattern


Regex = Annotated[str, AfterValidator(_compiles)]
Seconds = Annotated[float, Field(gt=0, le=3600, allow_inf_nan=False)]
Command = Annotated[
    str | list[str],
    Field(
        description="A program and its arguments: one string split as a shell would "
        "(never run through one: a pipeline says `sh -c '...'` itself), or a list."
    ),
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)


class Check(_Model):
    """How a run is judged: every part given must hold. At least one of `file`, `command`,
    `stdout` and `stdout_matches`."""

    file: str | None = Field(
        None, description="A file the program writes; it must exist (and hold what follows)."
    )
    contains: str | None = Field(None, description="Text the `file` must hold.")
    matches: Regex | None = Field(
        None, description="A regular expression (Python's `re`) found in the `file`."
    )
    command: Command | None = Field(None, description="A command that must exit 0.")
    stdout: str | None = Field(None, description="Text the setup program must print.")
    stdout_matches: Regex | None = Field(
        None, description="A regular expression found in what the setup program printed."
    )
    exit_wait: float | None = Field(
        None,
        ge=0,
        le=600,
        description="Seconds the setup program is given to exit before its output is read "
        "(default 5; the task's `exit_wait` wins).",
    )

    @model_validator(mode="before")
    @classmethod
    def _checks_something(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not set(CHECK_KINDS) & set(data):
            raise ValueError("`check` takes `file`, `command`, `stdout` or `stdout_matches`")
        return data

    @model_validator(mode="after")
    def _file_for_contents(self) -> Self:
        if self.file is None and (self.contains is not None or self.matches is not None):
            raise ValueError("`contains` and `matches` are about a `file`: name it")
        return self

    @property
    def reads_stdout(self) -> bool:
        """Whether the check reads what the setup program printed."""
        return self.stdout is not None or self.stdout_matches is not None


class SuiteTask(_Model):
    """One task of a suite: the program to start, what to tell the agent (one instruction,
    several phrasings, or a task file) and how to check what became of it."""

    name: str = Field(min_length=1, description="Unique within the suite.")
    program: str = Field(
        "",
        description="The program the task exercises, for the per-program tables "
        "(default: the setup command's name).",
    )
    setup: Command | None = Field(None, description="Starts the application under test.")
    env: dict[str, str] = Field(
        default_factory=dict, description="Extra environment for the setup and after commands."
    )
    cwd: str | None = Field(None, description="The setup program's working folder (default {tmp}).")
    window: str | None = Field(None, description="The title of a window to wait for.")
    window_timeout: Seconds = Field(30, description="Seconds to wait for the window.")
    instruction: str | None = Field(None, description="What to tell the agent.")
    phrasings: list[str] | None = Field(
        None,
        json_schema_extra={"minItems": 1},
        description="Several ways of saying it, each its own run; the task passes when the "
        "first passes.",
    )
    task: str | None = Field(
        None, description="A task file to run instead, relative to the suite's folder."
    )
    after: Command | None = Field(
        None, description="Runs after the agent, before the check (e.g. to quit the program)."
    )
    check: Check = Field(description="How the run is judged, from what the program reports.")
    timeout: Seconds = Field(120, description="Seconds the agent may take.")
    exit_wait: float | None = Field(
        None,
        ge=0,
        le=600,
        description="Seconds the setup program is given to exit after `after` and before a "
        "stdout check (default 5).",
    )
    confirm: bool = Field(
        False, description="Allow the actions the safety policy would ask a person about."
    )
    notes: str | None = Field(None, description="Free text for the suite's readers.")

    @model_validator(mode="before")
    @classmethod
    def _named_and_checked(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "name" not in data or "check" not in data:
            raise ValueError("a task needs a `name` and a `check`")
        return data

    @field_validator("phrasings")
    @classmethod
    def _some_phrasings(cls, phrasings: list[str] | None) -> list[str] | None:
        if phrasings is not None and (not phrasings or not all(p.strip() for p in phrasings)):
            raise ValueError("`phrasings` is a non-empty list of instructions")
        return phrasings

    @model_validator(mode="after")
    def _one_way_to_say_it(self) -> Self:
        given = [k for k in ("instruction", "phrasings", "task") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "a task needs an `instruction`, `phrasings` or a `task`, one of them"
                + (f" (got {' and '.join(given)})" if given else "")
            )
        if self.check.reads_stdout and not self.setup:
            raise ValueError("a stdout check needs a `setup` program")
        return self

    def fields(self) -> dict[str, Any]:
        """The task as its file wrote it (only the keys it gave), as plain data."""
        return self.model_dump(exclude_unset=True)


class Suite(_Model):
    """An evaluation suite: tasks run one after another, each checked by what the program
    itself reports. Top-level keys starting with `x-` are ignored (a place for YAML anchors
    that several tasks refer to)."""

    model_config = ConfigDict(
        title="screenpilot evaluation suite",
        json_schema_extra={"patternProperties": {"^x-": {}}},
    )

    tasks: list[SuiteTask] = Field(json_schema_extra={"minItems": 1})

    @model_validator(mode="before")
    @classmethod
    def _tasks_and_anchors(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not data.get("tasks"):
            raise ValueError("a suite needs a non-empty `tasks:` list")
        return {k: v for k, v in data.items() if not str(k).startswith("x-")}

    @model_validator(mode="after")
    def _unique_names(self) -> Self:
        seen: set[str] = set()
        for task in self.tasks:
            if task.name in seen:
                raise ValueError(f"two tasks are named {task.name!r}")
            seen.add(task.name)
        return self


def load_suite(path: Path) -> list[SuiteTask]:
    """The tasks of a suite file, validated; PolicyError naming the file, line, task, field."""
    document = YamlDocument.read(path, "suite")
    try:
        return list(Suite.model_validate(document.data).tasks)
    except ValidationError as error:
        raise document.fail(error, lambda p: _describe(document, p)) from None


def _describe(document: YamlDocument, problem: Problem) -> str:
    """A problem in words: ``task 'a': `check.matches`: is not a regex: ...``."""
    if problem.path[:1] != ("tasks",) or len(problem.path) < 2:
        text = field_reason(problem.field(), problem.reason)
        if problem.reason == UNKNOWN_KEY and len(problem.path) == 1:
            text += "; a suite takes `tasks` (and keys starting with x-)"
        return text
    number = int(problem.path[1])
    raw = document.data["tasks"][number]
    name = raw.get("name") if isinstance(raw, Mapping) else None
    text = field_reason(problem.field(2), problem.reason)
    if problem.reason == UNKNOWN_KEY and len(problem.path) == 3:
        text += f"; a task takes {', '.join(SuiteTask.model_fields)}"
    elif problem.reason == UNKNOWN_KEY and problem.path[2:3] == ("check",):
        text += f"; `check` takes {', '.join(Check.model_fields)}"
    return f"task {name!r}: {text}" if name else f"task {number + 1}: {text}"


def suite_json_schema() -> dict[str, Any]:
    """JSON Schema (2020-12) of an evaluation suite file."""
    schema = TypeAdapter(Suite).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema

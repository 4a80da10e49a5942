"""Evaluation suites (`agent.evaluation`, format in `agent.suites`): the model, its errors,
its JSON Schema, and what the runner reads from it. Running suites: tests/test_real_apps.py."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from screenpilot.agent.evaluation import (
    load_suite,
    phrasings,
    program_of,
    select_runs,
    suite_json_schema,
)
from screenpilot.agent.suites import Suite
from screenpilot.policies.base import PolicyError

REPO = Path(__file__).resolve().parent.parent
#: Every suite the project ships (fill_email.yaml beside them is a task file).
SUITES = [
    p for p in sorted((REPO / "examples" / "suites").glob("*.yaml")) if p.name != "fill_email.yaml"
]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.name)
def test_every_example_suite_loads(path: Path) -> None:
    tasks = load_suite(path)
    assert tasks and all(t.name for t in tasks)
    assert len({t.name for t in tasks}) == len(tasks)


def test_the_forms_suite_reads_as_written() -> None:
    plain, from_file, gtk = load_suite(REPO / "examples" / "suites" / "forms.yaml")
    assert phrasings(plain) == [plain.instruction] and plain.timeout == 60
    assert phrasings(from_file) == [] and from_file.task == "fill_email.yaml"
    assert from_file.check.contains == '"email": "bob@example.org"'
    assert gtk.setup is not None and program_of(gtk) == "python3"
    # What a policy factory is given: the keys the file wrote, nothing more.
    fields = from_file.fields()
    assert fields["task"] == "fill_email.yaml" and "instruction" not in fields
    assert "phrasings" not in plain.fields() and "confirm" not in plain.fields()


def test_the_real_apps_suite_shares_anchored_environments() -> None:
    tasks = {t.name: t for t in load_suite(REPO / "examples" / "suites" / "real_apps.yaml")}
    web = tasks["web accept cookies"]
    assert web.env["ACCESSIBILITY_ENABLED"] == "1" and web.window_timeout == 60
    assert tasks["zenity password"].confirm is True
    assert tasks["zenity question yes"].setup == [
        "sh",
        "-c",
        'zenity --question --title=Backup --text="Start the backup now?" '
        "&& echo answer=yes || echo answer=no",
    ]
    assert tasks["xterm touch a file"].check.file == "{tmp}/done.txt"
    runs = select_runs(tasks.values(), programs=["yad"], first_phrasing_only=True)
    assert runs and all(program_of(r.task) == "yad" and r.phrasing == 0 for r in runs)


def test_numbers_are_read_as_the_text_they_are(tmp_path: Path) -> None:
    (task,) = load_suite(
        write(
            tmp_path,
            "tasks:\n  - {name: 7, setup: [sleep, 5], env: {N: 3}, instruction: go,"
            " check: {stdout: 12}}\n",
        )
    )
    assert (task.name, task.setup, task.env, task.check.stdout) == (
        "7",
        ["sleep", "5"],
        {"N": "3"},
        "12",
    )


BAD = [
    # (tasks, line, field or subject, reason)
    ("tasks: []\n", 1, "`tasks:`", "a suite needs a non-empty `tasks:` list"),
    ("[]\n", 1, "`tasks:`", "a suite needs a non-empty `tasks:` list"),
    ("tasks: [\n", 2, "YAML", "not valid YAML"),
    ("tasks:\n  - {name: x, instruction: go}\n", 2, "task 'x'", "needs a `name` and a `check`"),
    (
        "tasks:\n  - {name: a, instruction: x, check: {stdout: y}}\n",
        2,
        "task 'a'",
        "a stdout check needs a `setup` program",
    ),
    (
        "tasks:\n  - {name: a, instruction: x, check: {text: y}}\n",
        2,
        "task 'a'",
        "`check` takes `file`, `command`, `stdout` or `stdout_matches`",
    ),
    (
        "tasks:\n  - {name: a, instruction: x, check: {command: x, contains: y}}\n",
        2,
        "task 'a'",
        "`contains` and `matches` are about a `file`",
    ),
    (
        "tasks:\n  - name: a\n    instruction: x\n"
        "    check:\n      file: out.txt\n      colour: red\n",
        6,
        "task 'a': `check.colour`",
        "unknown key; `check` takes file, contains, matches,",
    ),
    (
        "tasks:\n  - {name: a, phrasings: [], check: {command: x}}\n",
        2,
        "task 'a'",
        "`phrasings` is a non-empty list of instructions",
    ),
    (
        "tasks:\n  - {name: a, phrasings: [go, ' '], check: {command: x}}\n",
        2,
        "task 'a'",
        "non-empty list of instructions",
    ),
    (
        "tasks:\n  - {name: a, instruction: x, colour: red, check: {command: x}}\n",
        2,
        "task 'a': `colour`",
        "unknown key; a task takes name, program, setup",
    ),
    (
        "tasks:\n  - {name: a, setup: x, instruction: x, check: {stdout_matches: '('}}\n",
        2,
        "task 'a': `check.stdout_matches`",
        "is not a regex: missing ), unterminated subpattern",
    ),
    (
        "tasks:\n  - {name: a, instruction: x, task: t.yaml, check: {command: x}}\n",
        2,
        "task 'a'",
        "needs an `instruction`, `phrasings` or a `task`, one of them (got instruction and task)",
    ),
    (
        "tasks:\n  - {name: a, check: {command: x}}\n",
        2,
        "task 'a'",
        "needs an `instruction`, `phrasings` or a `task`",
    ),
    (
        "tasks:\n  - {name: a, instruction: x, check: {command: x}}\n"
        "  - name: b\n    instruction: y\n    timeout: -1\n    check: {command: x}\n",
        5,
        "task 'b': `timeout`",
        "greater than 0",
    ),
    (
        "tasks:\n  - {name: a, instruction: x, env: [A], check: {command: x}}\n",
        2,
        "task 'a': `env`",
        "valid dictionary",
    ),
    (
        "tasks:\n  - {name: a, instruction: x, check: {command: x}}\n"
        "  - {name: a, instruction: y, check: {command: x}}\n",
        1,
        "'a'",
        "two tasks are named",
    ),
    (
        "colour: red\ntasks:\n  - {name: a, instruction: x, check: {command: x}}\n",
        1,
        "`colour`",
        "a suite takes `tasks`",
    ),
]


@pytest.mark.parametrize(("text", "line", "subject", "reason"), BAD)
def test_a_bad_suite_is_named_with_its_line_task_field_and_reason(
    tmp_path: Path, text: str, line: int, subject: str, reason: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as raised:
        load_suite(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert subject in message and reason in message, message


def test_a_task_without_a_name_is_told_by_its_number(tmp_path: Path) -> None:
    path = write(tmp_path, "tasks:\n  - {name: a, instruction: x, check: {command: x}}\n  - 3\n")
    with pytest.raises(PolicyError, match=r"suite.yaml:3: task 2: a task needs a `name`"):
        load_suite(path)


def schema_validator() -> jsonschema.Draft202012Validator:
    schema = suite_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", SUITES, ids=lambda p: p.name)
def test_the_json_schema_accepts_every_example_suite(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [e.message for e in schema_validator().iter_errors(data)] == []


@pytest.mark.parametrize(
    "data",
    [
        {"tasks": []},
        {"tasks": [{"name": "a", "instruction": "x"}]},
        {"tasks": [{"name": "a", "instruction": "x", "check": {"command": "x"}, "colour": 1}]},
        {"tasks": [{"name": "a", "instruction": "x", "check": {"command": "x", "text": "y"}}]},
        {"tasks": [{"name": "a", "instruction": "x", "check": {"command": "x"}}], "colour": 1},
    ],
)
def test_the_json_schema_refuses_what_the_model_refuses(data: dict[str, object]) -> None:
    assert not schema_validator().is_valid(data)
    with pytest.raises(ValueError):
        Suite.model_validate(data)


def test_the_json_schema_documents_every_field_and_allows_anchor_keys() -> None:
    schema = suite_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "screenpilot evaluation suite"
    for model in ("SuiteTask", "Check"):
        for name, field in schema["$defs"][model]["properties"].items():
            assert field.get("description"), (model, name)
    anchored = {
        "x-env": {"A": "1"},
        "tasks": [{"name": "a", "task": "t.yaml", "check": {"command": "true"}}],
    }
    assert schema_validator().is_valid(anchored)
    assert Suite.model_validate(anchored).tasks[0].task == "t.yaml"

"""Task files (`policies.scripted`): the format as a model, its errors, its JSON Schema."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from screenpilot.actions.targets import Description, ScreenPoint
from screenpilot.actions.vocabulary import ACTION_TYPES, Click, Key, Scroll, TypeText, Wait
from screenpilot.policies.base import PolicyError
from screenpilot.policies.scripted import load_task, task_json_schema
from screenpilot.policies.task_file import TaskFile

REPO = Path(__file__).resolve().parent.parent
#: Every task file the project ships or its tests use (a suite's task files included).
TASK_FILES = [
    *sorted((REPO / "examples" / "tasks").glob("*.yaml")),
    REPO / "examples" / "suites" / "fill_email.yaml",
]
ENV = {"PHONE_PASSWORD": "hunter2"}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "task.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.name)
def test_every_example_task_file_loads(path: Path) -> None:
    from screenpilot.policies.scripted import read_header
    from screenpilot.rpa.rows import read_rows

    data = read_header(path, ENV).data  # a data-driven file's steps use its columns
    columns = read_rows(path.parent / data)[0] if data else []
    task = load_task(path, env=ENV, columns=columns)
    assert task.name and task.steps
    assert all(step.line > 0 for step in task.steps)


def test_the_phone_task_reads_its_variables_secret_and_assertion() -> None:
    task = load_task(REPO / "examples" / "tasks" / "phone_login.yaml", env=ENV)
    assert task.name == "Log in on the phone"
    assert task.secrets == ["hunter2"]
    assert "secrets=" not in repr(task)  # the values stay out of any printed Task
    user, password, sign_in, welcome = task.steps
    assert user.step.action == TypeText(text="bob", target=Description(text="the Username field"))
    assert password.step.action == TypeText(
        text="hunter2", target=Description(text="the Password field")
    )
    assert (sign_in.retries, sign_in.line) == (1, 12)
    assert welcome.step.action == Wait(until_text="Welcome, bob", timeout=5)
    assert welcome.step.expect == "Welcome, bob is shown"


def test_steps_keep_their_options_and_shorthands(tmp_path: Path) -> None:
    task = load_task(
        write(
            tmp_path,
            """\
variables: {direction: down, clicks: 2, flag: true}
steps:
  - {type: scroll, direction: "${direction}", retries: 2, expect: the list moved}
  - {type: key, keys: ctrl+s}
  - {type: click, target: [10, 20]}
  - {type: type, text: "${clicks} ${flag}"}
  - {type: wait, until_text: Saved, timeout: 3}
  - assert: {element: the Logout button}
""",
        ),
        env={},
    )
    scroll, key, click, typed, wait, shown = task.steps
    assert scroll.step.action == Scroll(direction="down")
    assert (scroll.retries, scroll.step.expect) == (2, "the list moved")
    assert key.step.action == Key(keys=["ctrl", "s"])
    assert click.step.action == Click(target=ScreenPoint(x=10, y=20))
    assert typed.step.action == TypeText(text="2 True")  # as Python writes them, as before
    assert wait.step.action == Wait(until_text="Saved", timeout=3)
    assert shown.step.action == Wait(until_element="the Logout button", timeout=1)
    assert task.name == "task"  # the file's name when it has none


def test_a_secret_comes_from_the_environment_and_overrides_a_variable(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "variables: {pw: plain}\nsecrets: {pw: MY_PW}\nsteps:\n  - {type: type, text: '${pw}'}\n",
    )
    task = load_task(path, env={"MY_PW": "s3cret"})
    assert task.steps[0].step.action == TypeText(text="s3cret")
    assert task.secrets == ["s3cret"]


BAD = [
    # (file, line, field or subject, reason)
    ("steps: []\n", 1, "`steps:`", "needs a non-empty `steps:` list"),
    ("name: x\n", 1, "`steps:`", "needs a non-empty `steps:` list"),
    ("", None, "`steps:`", "needs a non-empty `steps:` list"),
    ("steps: [\n", 2, "YAML", "not valid YAML"),
    (
        "steps:\n  - {type: click}\n  - {type: jump, target: x}\n",
        3,
        "invalid action step: `type`",
        "'jump' is not one of 'click'",
    ),
    (
        "steps:\n  - {type: click, target: [1, 2, 3]}\n",
        2,
        "invalid click step: `target`",
        "a target list must be [x, y] or [x1, y1, x2, y2], got 3 numbers",
    ),
    (
        "steps:\n  - type: click\n    timeout: 5\n",
        3,
        "invalid click step: `timeout`",
        "unknown key; a click step takes type, target, button, count, ensure, retries, expect",
    ),
    (
        "steps:\n  - {type: wait, seconds: 2, timeout: 5}\n",
        2,
        "invalid wait step",
        "`timeout` applies only to waiting for text or an element",
    ),
    (
        "steps:\n  - {type: scroll, direction: down, retries: -1}\n",
        2,
        "invalid scroll step: `retries`",
        "greater than or equal to 0",
    ),
    ("steps:\n  - {click: x}\n", 2, "a step", "is an action (it has a `type`"),
    ("steps:\n  - {assert: {colour: red}}\n", 2, "`assert`", "takes `text` or `element`"),
    ("steps:\n  - {assert: {text: a, element: b}}\n", 2, "`assert`", "one of them"),
    ("steps:\n  - {assert: {text: a}, timeout: 0}\n", 2, "`timeout`", "greater than 0"),
    (
        "steps:\n  - {type: type, text: '${who}', target: x}\n",
        2,
        "${who}",
        "unknown variable",
    ),
    (
        "secrets:\n  pw: NOPE_NOT_SET\nsteps:\n  - {type: click, target: x}\n",
        2,
        "the secret 'pw'",
        "needs the environment variable NOPE_NOT_SET to be set",
    ),
    ("variables: {my-var: 1}\nsteps: [{type: click}]\n", 1, "`variables.my-var`", "not a name"),
    ("variables: {a: [1]}\nsteps: [{type: click}]\n", 1, "`variables.a`", "text, a number"),
    ("colour: red\nsteps: [{type: click}]\n", 1, "`colour`", "a task file takes name,"),
]


@pytest.mark.parametrize(("text", "line", "subject", "reason"), BAD)
def test_a_bad_task_file_is_named_with_its_line_field_and_reason(
    tmp_path: Path, text: str, line: int | None, subject: str, reason: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as raised:
        load_task(path, env={})
    message = str(raised.value)
    assert message.startswith(f"{path}:{line}: " if line else f"{path}: "), message
    assert subject in message and reason in message, message


def test_a_step_error_names_the_step_and_every_problem_has_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "steps:\n  - {type: click}\n  - type: swipe\n    start: [1, 2]\n  - {type: hover}\n",
    )
    with pytest.raises(PolicyError) as raised:
        load_task(path, env={})
    assert str(raised.value).splitlines() == [
        f"{path}:3: invalid swipe step: a swipe needs an end: give `end` (a target) or "
        "`direction` (step 2)",
        f"{path}:5: invalid hover step: `target`: is missing (step 3)",
    ]


def test_a_secret_never_appears_in_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "secrets: {pw: MY_PW}\nsteps:\n  - {type: '${pw}'}\n"
        '  - {type: open_app, app: "${pw}\\u0001"}\n',
    )
    with pytest.raises(PolicyError) as raised:
        load_task(path, env={"MY_PW": "hunter2"})
    message = str(raised.value)
    assert "hunter2" not in message
    assert "'•••' is not one of" in message and "(step 1)" in message and "(step 2)" in message


def schema_validator() -> jsonschema.Draft202012Validator:
    schema = task_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: p.name)
def test_the_json_schema_accepts_every_example_task_file(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [e.message for e in schema_validator().iter_errors(data)] == []


@pytest.mark.parametrize(
    "data",
    [
        {"steps": []},
        {"steps": [{"type": "jump"}]},
        {"steps": [{"type": "click", "timeout": 1}]},
        {"steps": [{"assert": {"colour": "red"}}]},
        {"steps": [{"assert": {"text": "a", "element": "b"}}]},
        {"steps": [{"type": "click"}], "colour": "red"},
        {"steps": [{"type": "scroll", "direction": "sideways"}]},
    ],
)
def test_the_json_schema_refuses_what_the_model_refuses(data: dict[str, object]) -> None:
    assert not schema_validator().is_valid(data)
    with pytest.raises(ValueError):
        TaskFile.model_validate(data)


def test_the_json_schema_has_a_step_per_action_and_the_shorthands() -> None:
    schema = task_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "screenpilot task file"
    actions = schema["properties"]["steps"]["items"]["oneOf"][0]["discriminator"]["mapping"]
    assert sorted(actions) == sorted(ACTION_TYPES)
    assert "AssertStep" in schema["$defs"]
    for field in ("retries", "expect"):
        assert schema["$defs"]["ClickStep"]["properties"][field]["description"]
    validator = schema_validator()
    assert validator.is_valid(
        {
            "steps": [
                {"type": "click", "target": "the OK button"},
                {"type": "click", "target": [1, 2]},
                {"type": "drag", "start": [0, 0, 10, 10], "end": {"element": "e3"}},
                {"type": "key", "keys": "ctrl+s"},
                {"type": "hover", "target": {"kind": "point", "x": 1, "y": 2}},
            ]
        }
    )

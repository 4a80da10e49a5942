"""Task-file control steps on the fake desktop (fast tier): if/then/else both ways, read
with and without a pattern, for, include, do and verb steps, launch through a launcher,
retries; and the checks a file passes before anything runs."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import pytest

from screenpilot.agent.loop import RunResult
from screenpilot.perception.screenshot import Observation
from screenpilot.policies.base import PolicyError
from screenpilot.policies.scripted import ScriptedPolicy, Task, load_task, read_text
from tests.fake_device import FakeDesktop, Widget, fast_agent


def form(banner: str = "") -> FakeDesktop:
    return FakeDesktop(
        [
            Widget("text", "Name", (20, 20, 80, 40)),
            Widget("entry", "", (100, 18, 400, 42)),
            Widget("checkbox", "Red", (20, 60, 120, 80)),
            Widget("checkbox", "Blue", (140, 60, 240, 80)),
            Widget("button", "OK", (300, 150, 390, 180)),
            Widget("text", "Customer number:", (20, 200, 160, 220)),
            Widget("text", "C-4711", (170, 200, 260, 220)),
            Widget("text", banner or " ", (20, 240, 300, 260)),
        ]
    )


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


class FakeLauncher:
    def __init__(self) -> None:
        self.started: list[tuple[list[str], str | None]] = []
        self.stopped = 0

    def launch(
        self, argv: Sequence[str], *, window: str | None = None, timeout: float = 30.0
    ) -> None:
        self.started.append((list(argv), window))

    def stop_all(self) -> None:
        self.stopped += 1


def run(
    device: FakeDesktop, task: Task, tmp_path: Path, **options: object
) -> tuple[RunResult, ScriptedPolicy]:
    policy = ScriptedPolicy(task, **options)  # type: ignore[arg-type]
    agent = fast_agent(device, policy, tmp_path / "runs")
    policy.look = lambda: agent.executor.observe()
    return agent.run(task.name), policy


@pytest.mark.parametrize(("banner", "ticked"), [("Duplicate entry", "Red"), ("", "Blue")])
def test_if_runs_then_or_else_as_the_screen_says(tmp_path: Path, banner: str, ticked: str) -> None:
    task = load_task(
        write(
            tmp_path,
            "t.yaml",
            """
        steps:
          - if: {text: duplicate}
            then:
              - {check: Red}
            else:
              - {type: click, target: Blue}
    """,
        )
    )
    device = form(banner)
    result, _ = run(device, task, tmp_path)
    assert result.status == "success", result.message
    assert {w.name for w in device.widgets if w.checked} == {ticked}


def test_not_inverts_a_condition_and_element_grounds_words(tmp_path: Path) -> None:
    task = load_task(
        write(
            tmp_path,
            "t.yaml",
            """
        steps:
          - if: {not: {element: the Cancel button}}
            then: [{type: click, target: Red}]
          - if: {element: the OK button}
            then: [{type: click, target: Blue}]
    """,
        )
    )
    device = form()
    assert run(device, task, tmp_path)[0].ok
    assert device.widgets[2].checked and device.widgets[3].checked


def test_read_takes_a_value_off_the_screen_into_a_variable_the_next_steps_use(
    tmp_path: Path,
) -> None:
    task = load_task(
        write(
            tmp_path,
            "t.yaml",
            """
        steps:
          - read: {target: Customer number, pattern: 'C-(\\d+)', into: number}
          - read: {target: Customer number, into: whole}
          - {type: type, text: "n${number}", target: the Name field}
    """,
        )
    )
    device = form()
    result, policy = run(device, task, tmp_path)
    assert result.ok, result.message
    assert policy.read_values == {"number": "4711", "whole": "C-4711"}
    assert device.widgets[1].value == "n4711"
    assert task.read_into == ("number", "whole")


def test_a_read_that_finds_nothing_fails_the_task_naming_the_line(tmp_path: Path) -> None:
    task = load_task(
        write(
            tmp_path,
            "t.yaml",
            """
        steps:
          - {type: click, target: Red}
          - read: {target: Invoice total, into: total}
    """,
        )
    )
    result, _ = run(form(), task, tmp_path)
    assert result.status == "failure" and "t.yaml:4:" in result.message
    assert "nothing to read" in result.message


def test_for_runs_its_steps_once_per_item(tmp_path: Path) -> None:
    task = load_task(
        write(
            tmp_path,
            "t.yaml",
            """
        variables: {colours: "Red; Blue"}
        steps:
          - for: {each: colour, in: "${colours}"}
            steps:
              - {do: "tick ${colour}"}
    """,
        )
    )
    device = form()
    result, _ = run(device, task, tmp_path)
    assert result.ok, result.message
    assert device.widgets[2].checked and device.widgets[3].checked


def test_include_runs_another_files_steps_with_this_files_variables(tmp_path: Path) -> None:
    (tmp_path / "common").mkdir()
    write(
        tmp_path / "common",
        "name.yaml",
        """
        variables: {who: nobody}
        steps:
          - {type: type, text: "${who} ${extra}", target: the Name field}
    """,
    )
    task = load_task(
        write(
            tmp_path,
            "t.yaml",
            """
        variables: {who: Zoë}
        steps:
          - {include: common/name.yaml, variables: {extra: 北京}}
          - {type: click, target: OK}
    """,
        )
    )
    device = form()
    assert run(device, task, tmp_path)[0].ok
    assert device.widgets[1].value == "Zoë 北京" and device.widgets[4].presses == 1


def test_include_in_a_circle_is_refused_before_anything_runs(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "steps:\n  - {include: b.yaml}\n")
    write(tmp_path, "b.yaml", "steps:\n  - {include: a.yaml}\n")
    with pytest.raises(PolicyError, match=r"circle: a\.yaml -> b\.yaml -> a\.yaml"):
        load_task(tmp_path / "a.yaml")


def test_launch_goes_through_the_launcher_with_the_row_values(tmp_path: Path) -> None:
    task = load_task(
        write(
            tmp_path,
            "t.yaml",
            """
            steps:
              - launch: [sh, register.sh, "${name}"]
                window: Register
              - {type: click, target: OK}
        """,
        ),
        columns=["name"],
    )
    launcher = FakeLauncher()
    result, _ = run(form(), task, tmp_path, values={"name": "Zoë"}, launcher=launcher)
    assert result.ok, result.message
    assert launcher.started == [(["sh", "register.sh", "Zoë"], "Register")]


def test_a_step_is_retried_as_often_as_it_says_then_fails_with_its_line(tmp_path: Path) -> None:
    task = load_task(
        write(
            tmp_path,
            "t.yaml",
            """
        steps:
          - {type: click, target: [620, 460], retries: 1}
    """,
        )
    )
    device = form()
    result, _ = run(device, task, tmp_path)
    assert result.status == "failure" and "t.yaml:3:" in result.message
    assert sum(1 for c in device.calls if c[0] == "click") == 2


@pytest.mark.parametrize(
    ("text", "columns", "message"),
    [
        (
            "steps:\n  - {type: type, text: '${nme}'}\n",
            ["name"],
            r"t.yaml:2: unknown variable \$\{nme\}",
        ),
        ("steps:\n  - read: {target: X}\n", [], r"t.yaml:2: .*`read.into`: .*missing"),
        ("steps:\n  - if: {text: A}\n    than: []\n", [], r"t.yaml:3: .*`than`: unknown key"),
        ("steps:\n  - launch: sh register.sh\n", [], r"t.yaml:2: .*as a list"),
        ("steps:\n  - read: {target: X, pattern: '(', into: n}\n", [], r"not a regular expression"),
        (
            "steps:\n  - for: {each: i, in: a}\n    steps: [{tik: x}]\n",
            [],
            r"t.yaml:3: .*a step is",
        ),
        ("steps:\n  - {include: missing.yaml}\n", [], r"t.yaml:2: cannot include .*missing.yaml"),
    ],
)
def test_bad_task_files_are_refused_with_file_and_line(
    tmp_path: Path, text: str, columns: list[str], message: str
) -> None:
    with pytest.raises(PolicyError, match=message):
        load_task(write(tmp_path, "t.yaml", text), columns=columns)


def test_a_column_the_steps_use_is_known_and_one_they_lack_is_not(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", "steps:\n  - {type: type, text: '${email}', target: Name}\n")
    assert load_task(path, columns=["email"]).program
    with pytest.raises(PolicyError, match=r"unknown variable \$\{email\}"):
        load_task(path, columns=["name"])


def test_read_text_takes_the_value_beside_a_label() -> None:
    device = form()
    observation = Observation(device.screenshot(), device.elements())
    assert read_text(observation, "Customer number", None) == "C-4711"
    assert read_text(observation, "Customer number", r"\d+") == "4711"
    with pytest.raises(LookupError, match="matches nothing"):
        read_text(observation, "Customer number", r"^\d{9}$")


def test_read_text_of_a_message_is_the_message_not_the_button_below_it() -> None:
    # A dialog's text with its OK button under it (zenity --info): the button is not what
    # the text labels, so reading the text gives the text.
    device = FakeDesktop(
        [
            Widget("text", "Customer number: 4711", (20, 20, 260, 40)),
            Widget("button", "OK", (20, 60, 110, 90)),
        ]
    )
    observation = Observation(device.screenshot(), device.elements())
    assert read_text(observation, "Customer number", None) == "Customer number: 4711"


def test_read_and_if_take_the_tree_first_so_ocr_of_the_same_text_is_no_rival() -> None:
    # What a row's `look` gives on a GTK dialog: the accessibility tree and OCR of the same
    # pixels. Both hold the message; grounding on both at once found it ambiguous.
    from screenpilot.perception.elements import Element
    from screenpilot.perception.geometry import ScreenBox
    from screenpilot.policies.screen_reading import holds as _holds
    from screenpilot.policies.task_file import Condition

    # The boxes as zenity --info has them: the tree's label is taller than the line OCR reads.
    device = FakeDesktop([Widget("text", "Customer number: 4711", (882, 512, 1098, 559))])
    ocr = Element(
        id="ocr-1", role="text", name="Customer number: 4711", source="ocr",
        box=ScreenBox(x1=882, y1=510, x2=1101, y2=529),
    )  # fmt: skip
    observation = Observation(device.screenshot(), [*device.elements(), ocr])
    assert read_text(observation, "Customer number", r"\d+") == "4711"
    assert _holds(Condition.model_validate({"element": "Customer number"}), observation)
    # Where the tree lacks it (a Tk window), OCR's element is found.
    only_ocr = Observation(device.screenshot(), [ocr])
    assert read_text(only_ocr, "Customer number", r"\d+") == "4711"

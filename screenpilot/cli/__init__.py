"""The `screenpilot` command line. The only layer that prints.

This module builds the app, its two consoles and the offline commands; `agent_commands`,
`task_commands`, `inspect_commands` and `serve_command` add the rest. Commands raise instead
of printing their errors: every command registered on `app` ends through
`failures.ending_of`, the one place that turns an error into a sentence and an exit code
(0 success, 1 a failure while working or a run that did not succeed, 2 bad input, 130
cancelled).
"""

from __future__ import annotations

import enum
import gc
import ipaddress
import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from screenpilot.cli.failures import (
    EXIT_BAD_INPUT,
    EXIT_CANCELLED,
    EXIT_FAILURE,
    BadInputError,
    ending_of,
    reading_input,
)
from screenpilot.errors import ScreenpilotError
from screenpilot.perception.geometry import ScreenGeometry, Size
from screenpilot.perception.sizing import VisualBudget
from screenpilot.version import __version__

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CANCELLED",
    "EXIT_FAILURE",
    "BadInputError",
    "app",
    "err",
    "is_loopback",
    "main",
    "out",
    "reading_input",
    "visual_budget",
]

out = Console(soft_wrap=True)
err = Console(stderr=True)


class _Commands(TyperGroup):
    """The group of all commands, and the one place where an error a command raised becomes
    the sentence it prints and the exit code it ends with (`failures.ending_of`)."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context has no public name
        try:
            return super().invoke(ctx)
        except (ScreenpilotError, KeyboardInterrupt) as error:
            sentence, code = ending_of(error)
            err.print(sentence)
            raise typer.Exit(code) from None


app = typer.Typer(
    cls=_Commands,
    name="screenpilot",
    help="A GUI automation agent: sees the screen, finds what an instruction talks about, "
    "acts, and proves each action worked.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        out.print(f"screenpilot {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """screenpilot - GUI automation you can trust."""


def is_loopback(host: str) -> bool:
    """Whether listening on `host` keeps a server on this machine (else it needs a key)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _size(text: str) -> Size:
    try:
        return Size.parse(text)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def visual_budget(min_tokens: int, max_tokens: int) -> VisualBudget:
    """The budget `--min-tokens` and `--max-tokens` give (a bad pair is a usage error)."""
    try:
        return VisualBudget(min_tokens=min_tokens, max_tokens=max_tokens)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


MinTokens = Annotated[int, typer.Option(help="Fewest visual tokens per image.")]
MaxTokens = Annotated[int, typer.Option(help="Most visual tokens per image (the budget).")]


@app.command()
def tokens(
    size: Annotated[str, typer.Argument(help="Screenshot size, e.g. 1920x1080.")],
    min_tokens: MinTokens = 64,
    max_tokens: MaxTokens = 16384,
) -> None:
    """How Qwen3-VL resizes a screenshot and how many visual tokens it costs."""
    budget = visual_budget(min_tokens, max_tokens)
    shot = _size(size)
    try:
        seen = budget.resize(shot)
    except ValueError as e:
        raise BadInputError(str(e)) from None
    t, h, w = budget.grid_thw(shot)
    out.print(
        f"{shot} -> {seen}: {budget.tokens(shot)} visual tokens "
        f"(image_grid_thw [{t}, {h}, {w}], {h // 2} rows x {w // 2} columns of 32 px)"
    )


class SchemaOf(enum.StrEnum):
    """What `screenpilot schema` describes."""

    trajectory = "trajectory"  # one line of a run's trajectory.jsonl
    actions = "actions"  # one action of the vocabulary
    task = "task"  # an RPA task file (`screenpilot script`)


@app.command()
def schema(
    of: Annotated[
        SchemaOf,
        typer.Option(
            "--of",
            help="trajectory: one line of a run's trajectory.jsonl; actions: one action; "
            "task: a task file.",
        ),
    ] = SchemaOf.actions,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead.")
    ] = None,
) -> None:
    """Print the JSON Schema of a trajectory line, an action or a task file."""
    described: Callable[[], dict[str, Any]]
    if of is SchemaOf.trajectory:
        from screenpilot.trajectory.records import trajectory_json_schema

        described = trajectory_json_schema
    elif of is SchemaOf.task:
        from screenpilot.policies.scripted import task_json_schema

        described = task_json_schema
    else:
        from screenpilot.actions.vocabulary import action_json_schema

        described = action_json_schema
    text = json.dumps(described(), indent=2)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        out.print(f"wrote {output}")


@app.command("tool-call")
def tool_call(
    call: Annotated[
        str,
        typer.Argument(
            help='A Qwen3-VL tool call as JSON, e.g. \'{"name": '
            '"computer_use", "arguments": {...}}\'.'
        ),
    ],
    screen: Annotated[str, typer.Option(help="The screen the call acts on.")] = "1920x1080",
    min_tokens: MinTokens = 64,
    max_tokens: MaxTokens = 16384,
) -> None:
    """Translate a Qwen3-VL tool call into screenpilot's typed action, in screen pixels."""
    from screenpilot.actions.vocabulary import action_to_json
    from screenpilot.models.tool_calls import parse_tool_call, tool_call_to_action

    geometry = _model_view(_size(screen), visual_budget(min_tokens, max_tokens))
    with reading_input():
        action = tool_call_to_action(parse_tool_call(call), geometry)
    typer.echo(action_to_json(action))


@app.command()
def tour() -> None:
    """A tour of the foundation, offline, with no model or device.

    How Qwen3-VL sees a desktop and a phone screen, and how its tool calls become typed,
    validated actions in screen pixels.
    """
    from screenpilot.actions.vocabulary import action_to_json
    from screenpilot.models.tool_calls import parse_tool_call, tool_call_to_action

    screens = {"desktop": Size(width=1920, height=1080), "phone": Size(width=1080, height=2400)}
    sizes = Table(title="What Qwen3-VL sees")
    for column in (
        "screen",
        "size",
        "sent at (default)",
        "tokens",
        "sent at (1280 budget)",
        "tokens",
    ):
        sizes.add_column(column)
    default, small = VisualBudget(), VisualBudget(max_tokens=1280)
    for name, size in screens.items():
        sizes.add_row(
            name,
            str(size),
            str(default.resize(size)),
            str(default.tokens(size)),
            str(small.resize(size)),
            str(small.tokens(size)),
        )
    out.print(sizes)

    # Answers in the shape Qwen3-VL gives them; coordinates are 0..1000 (0..999 on the phone).
    answers: list[tuple[str, dict[str, Any]]] = [
        (
            "desktop",
            {
                "name": "computer_use",
                "arguments": {"action": "left_click", "coordinate": [512, 300]},
            },
        ),
        (
            "desktop",
            {"name": "computer_use", "arguments": {"action": "key", "keys": ["Control", "s"]}},
        ),
        (
            "desktop",
            {
                "name": "computer_use",
                "arguments": {"action": "scroll", "pixels": -5, "coordinate": [500, 600]},
            },
        ),
        (
            "phone",
            {
                "name": "mobile_use",
                "arguments": {
                    "action": "swipe",
                    "coordinate": [500, 800],
                    "coordinate2": [500, 200],
                },
            },
        ),
        (
            "phone",
            {"name": "mobile_use", "arguments": {"action": "system_button", "button": "Back"}},
        ),
        (
            "phone",
            {"name": "mobile_use", "arguments": {"action": "click", "coordinate": [1200, 40]}},
        ),
    ]
    calls = Table(title="Tool calls -> typed actions (screen pixels, 1280-token budget)")
    calls.add_column("screen")
    calls.add_column("Qwen3-VL answer", overflow="fold")
    calls.add_column("screenpilot action", overflow="fold")
    for screen_name, answer in answers:
        geometry = _model_view(screens[screen_name], small)
        try:
            result = action_to_json(tool_call_to_action(parse_tool_call(answer), geometry))
        except ScreenpilotError as e:
            result = f"[red]refused:[/] {e}"
        calls.add_row(screen_name, json.dumps(answer["arguments"]), result)
    out.print(calls)
    out.print("Every action above was validated; the last answer was refused, not guessed at.")


def _model_view(screen: Size, budget: VisualBudget) -> ScreenGeometry:
    try:
        return ScreenGeometry.for_screen(screen.width, screen.height).with_image(
            budget.resize(screen)
        )
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def main() -> None:
    """Entry point of the `screenpilot` command."""
    try:
        app()
    finally:
        # Every object left is freed with the process: a last collection walking them (the
        # OCR engine's configuration alone is thousands) took 0.1-0.3 s of every exit.
        gc.freeze()


# The commands that drive devices live in their own module; importing it registers them.
from screenpilot.cli import (  # noqa: E402, F401
    agent_commands,
    inspect_commands,
    record_command,
    serve_command,
    task_commands,
)

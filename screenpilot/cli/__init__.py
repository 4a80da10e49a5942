"""The `screenpilot` command line. The only layer that prints.

Exit codes: 0 success, 1 a failure while working (or a run that did not succeed), 2 bad input
(usage, an invalid action, tool call, instruction or task file), 130 cancelled.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from screenpilot import __version__
from screenpilot.errors import ScreenpilotError
from screenpilot.perception.geometry import ScreenGeometry, Size
from screenpilot.perception.sizing import VisualBudget

app = typer.Typer(
    name="screenpilot",
    help="A GUI automation agent: sees the screen, finds what an instruction talks about, "
    "acts, and proves each action worked.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True)

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


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


def _budget(min_tokens: int, max_tokens: int) -> VisualBudget:
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
    budget = _budget(min_tokens, max_tokens)
    shot = _size(size)
    try:
        seen = budget.resize(shot)
    except ValueError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    t, h, w = budget.grid_thw(shot)
    out.print(
        f"{shot} -> {seen}: {budget.tokens(shot)} visual tokens "
        f"(image_grid_thw [{t}, {h}, {w}], {h // 2} rows x {w // 2} columns of 32 px)"
    )


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead.")
    ] = None,
) -> None:
    """Print the JSON Schema of the whole action vocabulary."""
    from screenpilot.actions.vocabulary import action_json_schema

    text = json.dumps(action_json_schema(), indent=2)
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

    geometry = _model_view(_size(screen), _budget(min_tokens, max_tokens))
    try:
        action = tool_call_to_action(parse_tool_call(call), geometry)
    except ScreenpilotError as e:
        err.print(f"[red]error:[/] {e}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
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


@app.command("serve-model")
def serve_model(
    model: Annotated[str, typer.Option(help="Hub id or local folder of a Qwen3-VL checkpoint.")] = (
        "Qwen/Qwen3-VL-4B-Instruct"
    ),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    api_key: Annotated[
        str | None, typer.Option(help="Require `Authorization: Bearer KEY` on every request.")
    ] = None,
    min_tokens: MinTokens = 64,
    max_tokens: MaxTokens = 16384,
) -> None:
    """Serve a local Qwen3-VL over an OpenAI-compatible API (POST /v1/chat/completions)."""
    from screenpilot.models.local import LocalRuntime
    from screenpilot.models.runtime import ModelRuntimeError
    from screenpilot.models.server import ModelServer

    if not is_loopback(host) and not api_key:
        err.print(
            f"[red]error:[/] listening on {host} needs --api-key (anyone could use the model)"
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    budget = _budget(min_tokens, max_tokens)
    with out.status(f"loading {model}..."):
        try:
            runtime = LocalRuntime(model, budget=budget)
        except ModelRuntimeError as e:
            err.print(f"[red]error:[/] {e}")
            raise typer.Exit(EXIT_FAILURE) from None
    try:
        server = ModelServer(runtime, model_name=model, host=host, port=port, api_key=api_key)
    except OSError as e:
        err.print(f"[red]error:[/] cannot listen on {host}:{port}: {e}")
        raise typer.Exit(EXIT_FAILURE) from None
    out.print(f"serving {model} at {server.url} on {runtime.device} (Ctrl+C stops)")
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


def _model_view(screen: Size, budget: VisualBudget) -> ScreenGeometry:
    try:
        return ScreenGeometry.for_screen(screen.width, screen.height).with_image(
            budget.resize(screen)
        )
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None


def main() -> None:
    """Entry point of the `screenpilot` command."""
    app()


# The commands that drive devices live in their own module; importing it registers them.
from screenpilot.cli import agent_commands, inspect_commands, serve_command  # noqa: E402, F401

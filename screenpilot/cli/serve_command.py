"""`screenpilot serve`, the local web console, and `screenpilot serve-model`, the small
OpenAI-compatible server for a local Qwen3-VL: both FastAPI apps under uvicorn."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from screenpilot.cli import (
    BadInputError,
    MaxTokens,
    MinTokens,
    app,
    is_loopback,
    out,
    visual_budget,
)
from screenpilot.cli.agent_commands import (
    ModelOpt,
    ModelTimeoutOpt,
    Output,
    ServerOpt,
    display_or_virtual,
)
from screenpilot.errors import ScreenpilotError


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 7860,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="SCREENPILOT_TOKEN",
            help="Require this token on every request. Off loopback one is always required "
            "(generated and printed when not given).",
        ),
    ] = None,
    model: ModelOpt = None,
    server: ServerOpt = None,
    model_timeout: ModelTimeoutOpt = 120.0,
    trust_server: Annotated[
        list[str] | None,
        typer.Option(
            metavar="URL",
            help="Another server that may have $OPENAI_API_KEY when a run names it "
            "(repeatable). Only the console's own --server has it otherwise: a run that "
            "names any other server sends it no key.",
        ),
    ] = None,
    confirm_timeout: Annotated[
        float, typer.Option(min=1.0, help="Seconds a risky action waits for an answer.")
    ] = 300.0,
    output: Output = Path("runs"),
) -> None:
    """The web console: start runs, watch them live, confirm risky actions, stop runs,
    ground elements on uploaded pictures, browse past runs. JSON API at /api, OpenAPI at
    /openapi.json. Starts a virtual display when there is none."""
    missing = [m for m in ("fastapi", "uvicorn", "multipart") if not importlib.util.find_spec(m)]
    if missing:
        raise ScreenpilotError(
            f"the console needs {', '.join(missing)}: pip install 'screenpilot[web]'"
        )
    from screenpilot.agent.assembly import make_runtime
    from screenpilot.web.console import create_app
    from screenpilot.web.runner import Runner
    from screenpilot.web.security import new_token
    from screenpilot.web.serving import listen
    from screenpilot.web.serving import serve as serve_app

    local = is_loopback(host)
    if token is not None and len(token) < 16:
        raise BadInputError("a token needs at least 16 characters")
    if not local and token is None:
        token = new_token()
        out.print(f"listening beyond this machine: requests need the token [bold]{token}[/]")
    try:
        sock = listen(host, port)
    except OSError as error:
        raise ScreenpilotError(
            f"cannot listen on {host}:{port}: {error.strerror or error}"
        ) from None
    output.mkdir(parents=True, exist_ok=True)
    runner = Runner(
        output,
        model=model,
        server=server,
        confirm_timeout=confirm_timeout,
        trusted=trust_server or (),
        runtimes=functools.partial(make_runtime, timeout=model_timeout),
    )
    console = create_app(runner, token=token, loopback=local)
    shown_host = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown_host = "THIS-MACHINE"
    link = f"http://{shown_host}:{sock.getsockname()[1]}/" + (f"?token={token}" if token else "")
    with contextlib.ExitStack() as stack:
        stack.enter_context(display_or_virtual())
        stack.callback(sock.close)
        out.print(
            f"screenpilot console at {link}  (runs in {output}; Ctrl+C stops)", highlight=False
        )
        try:
            serve_app(console, sock)
        except KeyboardInterrupt:  # uvicorn shut down cleanly, then passed Ctrl+C on
            pass
        finally:
            console.state.board.stop_all()
    out.print("console stopped")


@app.command("serve-model")
def serve_model(
    model: Annotated[str, typer.Option(help="Hub id or local folder of a Qwen3-VL checkpoint.")] = (
        "Qwen/Qwen3-VL-4B-Instruct"
    ),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    api_key: Annotated[
        str | None, typer.Option(help="Require `Authorization: Bearer KEY` on every request.")
    ] = None,
    min_tokens: MinTokens = 64,
    max_tokens: MaxTokens = 16384,
    dtype: Annotated[
        str | None,
        typer.Option(
            help="Weights as bfloat16, float16 or float32 (when not given: bfloat16 on a GPU,"
            " float32 on the CPU)."
        ),
    ] = None,
    attention: Annotated[
        str,
        typer.Option(help="Attention kernel: sdpa, flash_attention_2 (needs flash-attn) or eager."),
    ] = "sdpa",
) -> None:
    """Serve a local Qwen3-VL over an OpenAI-compatible API (POST /v1/chat/completions,
    GET /v1/models; OpenAPI at /openapi.json): streaming, tool calls, reasoning apart from
    the answer, log-probabilities with up to 5 alternatives, usage."""
    if not is_loopback(host) and not api_key:
        raise BadInputError(f"listening on {host} needs --api-key (anyone could use the model)")
    missing = [m for m in ("fastapi", "uvicorn") if not importlib.util.find_spec(m)]
    if missing:
        raise ScreenpilotError(
            f"the model server needs {', '.join(missing)}: pip install 'screenpilot[local,web]'"
        )
    from screenpilot.models.checkpoint import ATTENTIONS, DTYPES
    from screenpilot.models.local import LocalRuntime
    from screenpilot.web.model_server import create_app
    from screenpilot.web.serving import listen
    from screenpilot.web.serving import serve as serve_app

    if dtype is not None and dtype not in DTYPES:
        raise BadInputError(f"--dtype must be one of {', '.join(DTYPES)}, not {dtype!r}")
    if attention not in ATTENTIONS:
        raise BadInputError(
            f"--attention must be one of {', '.join(ATTENTIONS)}, not {attention!r}"
        )
    budget = visual_budget(min_tokens, max_tokens)
    try:  # before the model loads: a port in use is known at once
        sock = listen(host, port)
    except OSError as error:
        raise ScreenpilotError(
            f"cannot listen on {host}:{port}: {error.strerror or error}"
        ) from None
    with contextlib.closing(sock):
        with out.status(f"loading {model}..."):
            runtime = LocalRuntime(
                model,
                budget=budget,
                dtype=dtype,
                attention=attention,
            )
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{sock.getsockname()[1]}/v1"
        out.print(f"serving {model} at {url} on {runtime.device} (Ctrl+C stops)")
        with contextlib.suppress(KeyboardInterrupt):  # uvicorn has shut down cleanly
            serve_app(create_app(runtime, model_name=model, api_key=api_key), sock)

"""`screenpilot serve`: the local web console."""

from __future__ import annotations

import contextlib
import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from screenpilot.cli import EXIT_BAD_INPUT, EXIT_FAILURE, app, err, is_loopback, out
from screenpilot.cli.agent_commands import ModelOpt, Output, ServerOpt, _display


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
        err.print(
            f"[red]error:[/] the console needs {', '.join(missing)}: pip install 'screenpilot[web]'"
        )
        raise typer.Exit(EXIT_FAILURE)
    from screenpilot.web.console import create_app
    from screenpilot.web.runner import Runner
    from screenpilot.web.security import new_token
    from screenpilot.web.serving import listen
    from screenpilot.web.serving import serve as serve_app

    local = is_loopback(host)
    if token is not None and len(token) < 16:
        err.print("[red]error:[/] a token needs at least 16 characters")
        raise typer.Exit(EXIT_BAD_INPUT)
    if not local and token is None:
        token = new_token()
        out.print(f"listening beyond this machine: requests need the token [bold]{token}[/]")
    try:
        sock = listen(host, port)
    except OSError as error:
        err.print(f"[red]error:[/] cannot listen on {host}:{port}: {error.strerror or error}")
        raise typer.Exit(EXIT_FAILURE) from None
    output.mkdir(parents=True, exist_ok=True)
    runner = Runner(output, model=model, server=server, confirm_timeout=confirm_timeout)
    console = create_app(runner, token=token, loopback=local)
    shown_host = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown_host = "THIS-MACHINE"
    link = f"http://{shown_host}:{sock.getsockname()[1]}/" + (f"?token={token}" if token else "")
    with contextlib.ExitStack() as stack:
        stack.enter_context(_display())
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

"""The console's HTTP face: one page, and the JSON API behind it (OpenAPI at /openapi.json).

GET  /                          the page
GET  /api/config                defaults and limits the page shows
POST /api/runs                  start a run                      -> 202 {id, ...}
GET  /api/runs                  the runs started from this console
GET  /api/runs/{id}             one run's state (and the confirmation it waits for)
GET  /api/runs/{id}/events      its events as server-sent events, from the first
POST /api/runs/{id}/confirm     allow or refuse the action it waits on
POST /api/runs/{id}/stop        stop it after the current step
GET  /api/history               the runs recorded on disk, newest first
GET  /runs/{folder}/{file}      a recorded run's report, screenshots and trajectory
POST /api/ground                find an element on an uploaded picture
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
from collections.abc import AsyncIterator
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field

from screenpilot import __version__
from screenpilot.agent.assembly import POLICIES
from screenpilot.errors import ScreenpilotError
from screenpilot.web.board import Board, DeviceBusyError, LiveRun, RunRequest
from screenpilot.web.runner import Runner
from screenpilot.web.security import COOKIE, Guard
from screenpilot.web.uploads import MAX_UPLOAD_BYTES, UploadError, read_picture

_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
#: How long a screenshot the trajectory writer has not finished yet is waited for.
FILE_WAIT_SECONDS = 5.0
KEEPALIVE_SECONDS = 15.0


class Confirmation(BaseModel):
    """A person's answer to a risky action."""

    id: str = Field(description="The confirmation's id, from the `confirm` event.")
    allow: bool = Field(description="true: go ahead; false: refuse the action.")


class Grounded(BaseModel):
    """Where the element is on the uploaded picture (its pixels)."""

    description: str
    status: Literal["found", "ambiguous", "not_found"]
    answer: str
    by: Literal["qwen3-vl", "ocr"]
    bbox: list[list[int]]
    confidence: list[float | None]
    width: int
    height: int
    overlay: str = Field(description="The picture with the boxes drawn, as a PNG data URL.")


def create_app(
    runner: Runner,
    *,
    token: str | None = None,
    loopback: bool = True,
) -> FastAPI:
    """The console for `runner`'s output folder. `token` None means no token is asked
    (allowed on loopback only; `screenpilot serve` enforces that)."""
    board = Board(runner.output, runner)
    app = FastAPI(
        title="screenpilot console",
        version=__version__,
        summary="Start GUI automation runs, watch them live, confirm risky actions.",
        # The interactive docs pages pull scripts from a CDN: not on a page that holds the
        # token to a machine's mouse. The OpenAPI document itself is served.
        docs_url=None,
        redoc_url=None,
    )
    app.state.board = board
    # The form fields around the picture take a little room beyond the 20 MB of the file.
    app.add_middleware(Guard, token=token, loopback=loopback, max_body=MAX_UPLOAD_BYTES + 64 * 1024)

    def live_run(run_id: str) -> LiveRun:
        try:
            return board.get(run_id)
        except LookupError as error:
            raise HTTPException(404, str(error)) from None

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page(request: Request) -> Any:
        given = request.query_params.get("token")
        if given:  # the printed link: keep the token in a cookie, not in the address bar
            response = RedirectResponse("/", status_code=303)
            response.set_cookie(COOKIE, given, httponly=True, samesite="strict")
            return response
        html = resources.files("screenpilot.web").joinpath("page.html").read_text("utf-8")
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/api/config", tags=["console"])
    def config() -> dict[str, Any]:
        """The console's defaults and limits."""
        return {
            "version": __version__,
            "policies": list(POLICIES),
            "model": runner.model,
            "server": runner.server,
            "output": str(runner.output),
            "max_upload_bytes": MAX_UPLOAD_BYTES,
            "confirm_timeout": runner.confirm_timeout,
        }

    @app.post("/api/runs", status_code=202, tags=["runs"])
    def start_run(request: RunRequest) -> dict[str, Any]:
        """Start a run. 422 when it cannot run as asked; 409 when its device is busy."""
        try:
            runner.check(request)
            live = board.start(request)
        except DeviceBusyError as error:
            raise HTTPException(409, str(error)) from None
        except ScreenpilotError as error:
            raise HTTPException(422, str(error)) from None
        return live.summary()

    @app.get("/api/runs", tags=["runs"])
    def list_runs() -> list[dict[str, Any]]:
        """The runs started from this console, newest first."""
        return [live.summary() for live in board.live()]

    @app.get("/api/runs/{run_id}", tags=["runs"])
    def get_run(run_id: str) -> dict[str, Any]:
        """A run's state, and the confirmation it waits for, if any."""
        return live_run(run_id).summary()

    @app.get(
        "/api/runs/{run_id}/events",
        tags=["runs"],
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def events(run_id: str, request: Request) -> StreamingResponse:
        """Server-sent events: `status`, `step` (screenshot address, the grounded box as
        fractions of the screenshot, the action, the verdict), `confirm`, `confirmed`,
        `stopping` and finally `end`. Each carries an id; `Last-Event-ID` resumes."""
        live = live_run(run_id)
        try:
            last = int(request.headers.get("last-event-id", "0"))
        except ValueError:
            last = 0
        return StreamingResponse(
            _stream(live, last, request),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @app.post("/api/runs/{run_id}/confirm", tags=["runs"])
    def confirm(run_id: str, answer: Confirmation) -> dict[str, Any]:
        """Allow or refuse the risky action the run waits on. 409 when it waits on none."""
        live = live_run(run_id)
        try:
            live.answer(answer.id, answer.allow)
        except LookupError as error:
            raise HTTPException(409, str(error)) from None
        return {"id": answer.id, "allowed": answer.allow}

    @app.post("/api/runs/{run_id}/stop", tags=["runs"])
    def stop(run_id: str) -> dict[str, Any]:
        """Stop the run after the step under way (a pending confirmation is refused)."""
        live = live_run(run_id)
        live.stop()
        return live.summary()

    @app.get("/api/history", tags=["runs"])
    def history() -> list[dict[str, Any]]:
        """The runs recorded in the output folder, newest first, with their reports."""
        return board.history()

    @app.get("/runs/{folder}/{name}", tags=["runs"], response_class=FileResponse)
    async def run_file(folder: str, name: str) -> FileResponse:
        """A file of a recorded run: report.html, step-NNNN.png, trajectory.jsonl."""
        if not (_FILE_NAME.fullmatch(folder) and _FILE_NAME.fullmatch(name)):
            raise HTTPException(404, "no such file")
        path = runner.output / folder / name
        # A step's screenshot is written by a background thread just after the step is
        # announced: give it a moment rather than a 404.
        waited = 0.0
        while not path.is_file() and waited < FILE_WAIT_SECONDS and path.parent.is_dir():
            await asyncio.sleep(0.1)
            waited += 0.1
        if not path.is_file():
            raise HTTPException(404, f"{folder}/{name} does not exist")
        return FileResponse(path, headers={"Cache-Control": "no-store"})

    @app.post(
        "/api/ground",
        tags=["playground"],
        responses={
            400: {"description": "a broken picture"},
            413: {"description": "over 20 MB, or too many pixels"},
            415: {"description": "not a PNG, JPEG or WEBP picture"},
        },
    )
    async def ground(
        image: Annotated[UploadFile, File(description="A PNG, JPEG or WEBP up to 20 MB.")],
        description: Annotated[str, Form(min_length=1, max_length=500)],
        engine: Annotated[Literal["auto", "ocr", "model"], Form()] = "auto",
    ) -> Grounded:
        """Find an element on a picture: with the console's Qwen3-VL when it has one (or
        `engine=model`), else by OCR. Returns the boxes, confidences and an overlay."""
        data = await image.read(MAX_UPLOAD_BYTES + 1)
        try:
            picture = read_picture(data)
        except UploadError as error:
            raise HTTPException(error.status, str(error)) from None
        use_model = engine == "model" or (engine == "auto" and bool(runner.model or runner.server))
        if use_model and not (runner.model or runner.server):
            raise HTTPException(422, "this console has no model: start it with --model or --server")
        return await asyncio.to_thread(_ground, runner, picture, description, use_model)

    return app


def _ground(runner: Runner, picture: Any, description: str, use_model: bool) -> Grounded:
    from screenpilot.agent.picture_grounding import ground_picture

    try:
        runtime = runner.runtime(runner.model, runner.server) if use_model else None
        result = ground_picture(picture, description, runtime=runtime, ocr=runner.ocr)
    except ScreenpilotError as error:
        raise HTTPException(502 if use_model else 500, str(error)) from None
    buffer = io.BytesIO()
    result.overlay(picture).save(buffer, "PNG")
    return Grounded(
        **result.as_json(),
        width=picture.width,
        height=picture.height,
        overlay="data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(),
    )


async def _stream(live: LiveRun, last: int, request: Request) -> AsyncIterator[str]:
    """The run's events after `last`, as they come, until its `end` event."""
    quiet = 0.0
    while True:
        fresh = await asyncio.to_thread(live.events_after, last, 1.0)
        for event in fresh:
            last = event["id"]
            data = json.dumps(event["data"], ensure_ascii=False)
            yield f"id: {last}\nevent: {event['kind']}\ndata: {data}\n\n"
            if event["kind"] == "end":
                return
        if await request.is_disconnected():
            return
        quiet = 0.0 if fresh else quiet + 1.0
        if quiet >= KEEPALIVE_SECONDS:
            quiet = 0.0
            yield ": keep-alive\n\n"

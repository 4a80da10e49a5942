"""The console's HTTP face: one page, and the JSON API behind it (OpenAPI at /openapi.json).

GET  /                          the page
GET  /api/health                the console answers (and how many runs are under way)
GET  /api/config                defaults and limits the page shows
POST /api/runs                  start a run                      -> 202 {id, ...}
GET  /api/runs                  the runs started from this console
GET  /api/runs/{id}             one run's state (and the confirmation it waits for)
GET  /api/runs/{id}/events      its events as server-sent events, from the first
GET  /api/runs/{id}/log         the same events as one JSON list (no waiting)
POST /api/runs/{id}/confirm     allow or refuse the action it waits on
POST /api/runs/{id}/stop        stop it after the current step
GET  /api/history               the runs recorded on disk, newest first
GET  /runs/{folder}/{file}      a recorded run's report, screenshots and trajectory
POST /api/ground                find an element on an uploaded picture

Every JSON answer has a declared model (see /openapi.json); a refusal is `{"detail": ...}`.

Nothing a client sends can make the console hold much: bodies are counted as they arrive
(`web.security`), request fields have length limits, pictures are checked from their headers
before they are decoded, off the event loop and a few at a time (`web.uploads`), and event
streams wait on the event loop (no thread each), at most `max_streams` at once.
"""

from __future__ import annotations

import asyncio
import base64
import io
import re
from collections.abc import AsyncIterator
from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.types import Receive, Scope, Send

from screenpilot.agent.assembly import POLICIES
from screenpilot.errors import ScreenpilotError
from screenpilot.version import __version__
from screenpilot.web.board import (
    Board,
    DeviceBusyError,
    HistoryEntry,
    LiveRun,
    RunRequest,
    RunSummary,
)
from screenpilot.web.events import ConsoleEvent, server_sent
from screenpilot.web.runner import Runner
from screenpilot.web.security import COOKIE, Guard
from screenpilot.web.uploads import MAX_UPLOAD_BYTES, UploadError, read_picture

_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
#: How long a screenshot the trajectory writer has not finished yet is waited for.
FILE_WAIT_SECONDS = 5.0
KEEPALIVE_SECONDS = 15.0
#: Event streams open at once; one more is refused. Each costs a few KB and a wake-up per
#: event; 256 leaves room for the 200 viewers bench/console_load.py holds open.
MAX_STREAMS = 256
#: Pictures the playground holds at once, from decoding to its answer (one may take ~160 MB
#: to decode, and OCR a few hundred MB more); the others wait their turn, still encoded.
MAX_DECODES = 2


class Problem(BaseModel):
    """Why a request was refused: a sentence, or (a malformed body) one item per field."""

    detail: str | list[dict[str, Any]]


class Health(BaseModel):
    """The console answers."""

    status: Literal["ok"] = "ok"
    version: str
    running: int = Field(description="Runs under way.")


class ConsoleConfig(BaseModel):
    """The console's defaults and limits."""

    version: str
    policies: list[str]
    model: str | None = Field(description="The console's own model, if it has one.")
    server: str | None = Field(description="The console's own model server, if any.")
    output: str = Field(description="Where runs are recorded.")
    max_upload_bytes: int
    confirm_timeout: float = Field(description="Seconds a risky action waits for an answer.")


class Confirmation(BaseModel):
    """A person's answer to a risky action."""

    id: str = Field(max_length=64, description="The confirmation's id, from the `confirm` event.")
    allow: bool = Field(description="true: go ahead; false: refuse the action.")


class ConfirmationTaken(BaseModel):
    """The answer was passed to the run."""

    id: str
    allowed: bool


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
    board: Board | None = None,
    max_streams: int = MAX_STREAMS,
) -> FastAPI:
    """The console for `runner`'s output folder. `token` None means no token is asked
    (allowed on loopback only; `screenpilot serve` enforces that). `board` holds its runs
    (one of its own by default); `max_streams` event streams may be open at once."""
    if board is None:
        board = Board(runner.output, runner, confirm_timeout=runner.confirm_timeout)
    streams = _StreamSlots(max_streams)
    decodes = asyncio.Semaphore(MAX_DECODES)
    app = FastAPI(
        title="screenpilot console",
        version=__version__,
        summary="Start GUI automation runs, watch them live, confirm risky actions.",
        # The interactive docs pages pull scripts from a CDN: not on a page that holds the
        # token to a machine's mouse. The OpenAPI document itself is served.
        docs_url=None,
        redoc_url=None,
        # What the guard in front of every route answers (web.security).
        responses={
            401: {"model": Problem, "description": "a token is needed and was not given"},
            403: {"model": Problem, "description": "a foreign host name or origin"},
            413: {"model": Problem, "description": "a body larger than an upload may be"},
        },
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

    @app.get("/api/health", tags=["console"], response_model=Health)
    def health() -> Health:
        """The console answers; how many of its runs are under way."""
        running = sum(not live.finished for live in board.live())
        return Health(version=__version__, running=running)

    @app.get("/api/config", tags=["console"], response_model=ConsoleConfig)
    def config() -> ConsoleConfig:
        """The console's defaults and limits."""
        return ConsoleConfig(
            version=__version__,
            policies=list(POLICIES),
            model=runner.model,
            server=runner.server,
            output=str(runner.output),
            max_upload_bytes=MAX_UPLOAD_BYTES,
            confirm_timeout=runner.confirm_timeout,
        )

    @app.post(
        "/api/runs",
        status_code=202,
        tags=["runs"],
        response_model=RunSummary,
        responses={
            409: {"model": Problem, "description": "its device is busy with another run"},
            422: {"model": Problem, "description": "it cannot run as asked"},
        },
    )
    def start_run(request: RunRequest) -> RunSummary:
        """Start a run. 422 when it cannot run as asked; 409 when its device is busy."""
        try:
            runner.check(request)
            live = board.start(request)
        except DeviceBusyError as error:
            raise HTTPException(409, str(error)) from None
        except ScreenpilotError as error:
            raise HTTPException(422, str(error)) from None
        return live.summary()

    unknown_run: dict[int | str, dict[str, Any]] = {
        404: {"model": Problem, "description": "no such run in this console"}
    }

    @app.get("/api/runs", tags=["runs"], response_model=list[RunSummary])
    def list_runs() -> list[RunSummary]:
        """The runs started from this console, newest first."""
        return [live.summary() for live in board.live()]

    @app.get("/api/runs/{run_id}", tags=["runs"], response_model=RunSummary, responses=unknown_run)
    def get_run(run_id: str) -> RunSummary:
        """A run's state, and the confirmation it waits for, if any."""
        return live_run(run_id).summary()

    @app.get(
        "/api/runs/{run_id}/log",
        tags=["runs"],
        response_model=list[ConsoleEvent],
        responses=unknown_run,
    )
    def event_log(run_id: str, after: int = 0) -> list[ConsoleEvent]:
        """The run's events after number `after`, as they are now (the stream's events)."""
        return live_run(run_id).events_after(after, timeout=0)

    @app.get(
        "/api/runs/{run_id}/events",
        tags=["runs"],
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "One server-sent event per console event: the SSE `event` "
                "is its kind, `data` its data, `id` its number.",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
            **unknown_run,
            429: {"model": Problem, "description": "too many event streams are open"},
        },
    )
    async def events(run_id: str, request: Request) -> StreamingResponse:
        """Server-sent events: `status`, `step` (screenshot address, the grounded box as
        fractions of the screenshot, the action, the verdict), `confirm`, `confirmed`,
        `stopping` and finally `end`. Each carries an id; `Last-Event-ID` resumes. Each
        event's data is the `data` of its model in the `/log` answer (`ConsoleEvent`)."""
        live = live_run(run_id)
        try:
            last = int(request.headers.get("last-event-id", "0"))
        except ValueError:
            last = 0
        if not streams.take():
            raise HTTPException(
                429,
                f"{streams.limit} event streams are open, the most this console serves: "
                f"close one, or read /api/runs/{run_id}/log",
            )
        return _SlotStream(
            streams,
            _stream(live, last, request),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @app.post(
        "/api/runs/{run_id}/confirm",
        tags=["runs"],
        response_model=ConfirmationTaken,
        responses={
            **unknown_run,
            409: {"model": Problem, "description": "it waits on no such confirmation"},
        },
    )
    def confirm(run_id: str, answer: Confirmation) -> ConfirmationTaken:
        """Allow or refuse the risky action the run waits on. 409 when it waits on none."""
        live = live_run(run_id)
        try:
            live.answer(answer.id, answer.allow)
        except LookupError as error:
            raise HTTPException(409, str(error)) from None
        return ConfirmationTaken(id=answer.id, allowed=answer.allow)

    @app.post(
        "/api/runs/{run_id}/stop", tags=["runs"], response_model=RunSummary, responses=unknown_run
    )
    def stop(run_id: str) -> RunSummary:
        """Stop the run after the step under way (a pending confirmation is refused)."""
        live = live_run(run_id)
        live.stop()
        return live.summary()

    @app.get("/api/history", tags=["runs"], response_model=list[HistoryEntry])
    def history() -> list[HistoryEntry]:
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
        response_model=Grounded,
        responses={
            400: {"model": Problem, "description": "a broken picture"},
            413: {"model": Problem, "description": "over 20 MB, or too many pixels"},
            415: {"model": Problem, "description": "not a PNG, JPEG or WEBP picture"},
            422: {"model": Problem, "description": "no model to ground with, or bad fields"},
            500: {"model": Problem, "description": "OCR failed"},
            502: {"model": Problem, "description": "the model failed"},
        },
    )
    async def ground(
        image: Annotated[UploadFile, File(description="A PNG, JPEG or WEBP up to 20 MB.")],
        description: Annotated[str, Form(min_length=1, max_length=500)],
        engine: Annotated[Literal["auto", "ocr", "model"], Form()] = "auto",
    ) -> Grounded:
        """Find an element on a picture: with the console's Qwen3-VL when it has one (or
        `engine=model`), else by OCR. Returns the boxes, confidences and an overlay."""
        use_model = engine == "model" or (engine == "auto" and bool(runner.model or runner.server))
        if use_model and not (runner.model or runner.server):
            raise HTTPException(422, "this console has no model: start it with --model or --server")
        data = await image.read(MAX_UPLOAD_BYTES + 1)
        # Decoding and grounding take a while and memory: off the loop, a few pictures at a
        # time from decoding to the answer (one decoded and then left waiting for the OCR
        # engine would hold its pixels all that while).
        async with decodes:
            try:
                picture = await asyncio.to_thread(read_picture, data)
            except UploadError as error:
                raise HTTPException(error.status, str(error)) from None
            del data
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


class _StreamSlots:
    """How many event streams are open, and how many may be (used on the event loop only)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.open = limit, 0

    def take(self) -> bool:
        if self.open >= self.limit:
            return False
        self.open += 1
        return True

    def give_back(self) -> None:
        self.open -= 1


class _SlotStream(StreamingResponse):
    """A stream that gives its slot back however it ends (finished, the client gone)."""

    def __init__(self, slots: _StreamSlots, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._slots.give_back()


async def _stream(live: LiveRun, last: int, request: Request) -> AsyncIterator[str]:
    """The run's events after `last`, as they come, until its `end` event."""
    quiet = 0.0
    while True:
        fresh = await live.next_events(last, 1.0)
        for event in fresh:
            last = event.id
            yield server_sent(event)
            if event.kind == "end":
                return
        if await request.is_disconnected():
            return
        quiet = 0.0 if fresh else quiet + 1.0
        if quiet >= KEEPALIVE_SECONDS:
            quiet = 0.0
            yield ": keep-alive\n\n"

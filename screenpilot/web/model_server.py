"""`screenpilot serve-model`: an OpenAI-compatible chat completions server around a runtime.

So a GPU box can serve a laptop that drives the screen, and so OpenAI clients (the `openai`
SDK, the project's own client, anything that speaks the API) work against a local Qwen3-VL.
A FastAPI app served by uvicorn, as the console is:

GET  /v1/models             the one model served, as OpenAI lists models
POST /v1/chat/completions   text and base64 data-URL images in, the answer out: whole, or
                            with `stream: true` as server-sent events

This module reads the request: its turns become the runtime's `Message`s in Qwen3-VL's
shape (`tools` declared in the system turn as Qwen3-VL's chat template does, earlier tool
calls and results written back as `<tool_call>` and `<tool_response>`), its settings a
`Sampling`. `chat_reply` tells the answer, whole or streamed; `chat_format` is the wire
format. A runtime whose `generate` takes `on_text` (the local one) is streamed as it writes;
any other once its answer is whole.

A request that does not fit gets a 400 whose message says which field and why; errors come
back in OpenAI's shape, `{"error": {"message": ...}}`. It fetches no URLs: only `data:`
images are accepted. One request runs the model at a time. With an API key set, every
request must carry `Authorization: Bearer <key>` (compared in constant time); without one
the server is for this machine alone, so a request must name it (a loopback Host), which a
web page that points its own name at 127.0.0.1 (DNS rebinding) cannot do.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import inspect
import io
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from screenpilot.models.prompts import tools_system_prompt
from screenpilot.models.runtime import (
    Generation,
    Message,
    ModelRuntimeError,
    Runtime,
    Sampling,
    check_image,
)
from screenpilot.version import __version__
from screenpilot.web.chat_format import (
    ChatCompletion,
    ChatMessage,
    ChatRequest,
    ErrorReply,
    ModelCard,
    ModelList,
    TextPart,
)
from screenpilot.web.chat_reply import Generating, Reply
from screenpilot.web.security import host_name, is_loopback_name
from screenpilot.web.serving import BackgroundServer

#: Largest request body accepted (several 1080p PNG screenshots fit easily).
MAX_BODY = 64 * 1024 * 1024
#: Most images in one request (vLLM's `--limit-mm-per-prompt` idea): each decodes to up to
#: hundreds of MB before the model sees it, so a small body of flat PNGs must not hold many.
MAX_IMAGES = 8
#: Most answer tokens one request may ask for: a Thinking checkpoint's longest answers fit,
#: and no request holds the model for ever.
MAX_ANSWER_TOKENS = 40960


class BadRequestError(ValueError):
    """The request cannot be served; the message goes back to the client."""


# --- from the request to the runtime ---------------------------------------------------------


def _image(url: str) -> Any:
    from PIL import Image

    try:
        payload = base64.b64decode(url.split(",", 1)[1], validate=True)
        image = Image.open(io.BytesIO(payload))
        check_image(image)  # from the header, before a huge image is decoded
        image.load()
    except ModelRuntimeError as error:
        raise BadRequestError(str(error)) from None
    except (IndexError, binascii.Error, OSError, Image.DecompressionBombError) as error:
        raise BadRequestError(f"an image could not be read: {error}") from None
    return image.convert("RGB")


def _content(message: ChatMessage) -> list[Any]:
    return [p.text if isinstance(p, TextPart) else _image(p.image_url.url) for p in message.content]


def _with_calls(message: ChatMessage) -> list[Any]:
    """An assistant turn with the calls it made, written back as the model wrote them."""
    content = _content(message)
    for i, call in enumerate(message.tool_calls or []):
        fn = call.function
        try:
            arguments = json.loads(fn.arguments)
        except ValueError:
            arguments = None
        if not isinstance(arguments, dict):
            raise BadRequestError(
                f"`tool_calls`: the arguments of {fn.name!r} must be a JSON object as a string"
            )
        said = json.dumps({"name": fn.name, "arguments": arguments}, ensure_ascii=False)
        content.append(("\n" if i or content else "") + f"<tool_call>\n{said}\n</tool_call>")
    return content


def _messages(request: ChatRequest, *, tools: bool) -> list[Message]:
    """The request's turns in Qwen3-VL's shape: `developer` is a system turn, tool results are
    `<tool_response>`s in a user turn (one turn for results in a row), and the tools are
    declared after the first system turn's text."""
    turns: list[Message] = []
    for i, m in enumerate(request.messages):
        if m.role == "tool":
            response = ["<tool_response>\n", *_content(m), "\n</tool_response>"]
            if i and request.messages[i - 1].role == "tool":
                turns[-1] = Message("user", [*turns[-1].content, "\n", *response])
            else:
                turns.append(Message("user", response))
        elif m.role == "assistant":
            turns.append(Message("assistant", _with_calls(m)))
        else:
            turns.append(Message("system" if m.role == "developer" else m.role, _content(m)))
    if tools and request.tools:
        block = tools_system_prompt([t.model_dump(exclude_none=True) for t in request.tools])
        if turns[0].role == "system":
            turns[0] = Message("system", [*turns[0].content, "\n\n", block])
        else:
            turns.insert(0, Message.system(block))
    return turns


def _sampling(request: ChatRequest) -> Sampling:
    try:
        return Sampling(
            temperature=0.0 if request.temperature is None else request.temperature,
            top_p=1.0 if request.top_p is None else request.top_p,
            top_k=request.top_k,
            max_new_tokens=_first(request.max_tokens, request.max_completion_tokens, 256),
            # vLLM's switch for templates that can think; here it opens the answer with <think>.
            thinking=bool((request.chat_template_kwargs or {}).get("enable_thinking")),
        )
    except ValueError as error:
        raise BadRequestError(f"bad sampling settings: {error}") from None


def _first(*values: int | None) -> int:
    return next(v for v in values if v is not None)


def _check(request: ChatRequest) -> None:
    """What the request's fields ask together, or of this server, that it cannot give."""
    asked = _first(request.max_tokens, request.max_completion_tokens, 0)
    if asked > MAX_ANSWER_TOKENS:
        raise BadRequestError(
            f"bad sampling settings: at most {MAX_ANSWER_TOKENS} answer tokens, not {asked}"
        )
    images = sum(1 for m in request.messages for p in m.content if not isinstance(p, TextPart))
    if images > MAX_IMAGES:
        raise BadRequestError(f"{images} images in one request; at most {MAX_IMAGES}")
    if request.n is not None and request.n != 1:
        raise BadRequestError("`n`: this server gives one choice per request; leave out `n`")
    if request.top_logprobs is not None and not request.logprobs:
        raise BadRequestError("`top_logprobs` needs `logprobs`: true")
    if request.stream_options is not None and not request.stream:
        raise BadRequestError("`stream_options` applies only with `stream`: true")
    if request.stop:
        raise BadRequestError("`stop`: stop sequences are not supported here; leave `stop` out")
    if request.tool_choice not in (None, "auto", "none"):
        raise BadRequestError(
            '`tool_choice`: this server cannot force a tool call; use "auto" or "none"'
        )


#: The request fields that become `Sampling`: an error in one is called a sampling error.
_SAMPLING_FIELDS = frozenset(
    {"temperature", "top_p", "top_k", "max_tokens", "max_completion_tokens"}
)


def _problem(errors: Sequence[Any], content_type: str) -> str:
    """One sentence for what pydantic found wrong with a request body."""
    lines: list[str] = []
    for item in errors:
        where = [str(part) for part in item.get("loc", ())][1:]  # [0] is "body"
        kind, ctx = item.get("type"), item.get("ctx") or {}
        if kind == "json_invalid":
            return f"the body is not JSON: {ctx.get('error', item.get('msg'))}"
        if not where:
            sent_as = "" if "json" in content_type else ", sent as application/json"
            lines.append(f"the body must be a JSON object{sent_as}")
            continue
        reason = str(item.get("msg", "")).removeprefix("Value error, ")
        if kind == "too_short" and ctx.get("min_length") == 1:
            reason = "must be a non-empty list"
        line = f"`{'.'.join(where)}`: {reason}"
        lines.append(f"bad sampling settings: {line}" if where[0] in _SAMPLING_FIELDS else line)
    return "; ".join(dict.fromkeys(lines))


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message}}, status_code=status, headers=headers)


# --- the app ---------------------------------------------------------------------------------


class _Gate:
    """ASGI middleware: the API key, the loopback Host rule, and the body's size, checked
    before the body is read."""

    def __init__(self, app: ASGIApp, *, api_key: str | None) -> None:
        self.app, self.api_key = app, api_key

    def problem(self, request: Request) -> tuple[int, str] | None:
        if self.api_key is None:
            host = request.headers.get("host", "")
            if not is_loopback_name(host_name(host)):
                return 403, (
                    f"without an API key this server answers only to loopback names, not {host!r}"
                )
        else:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {self.api_key}".encode()):
                return 401, "missing or wrong API key"
        if request.method == "POST":
            length = request.headers.get("content-length")
            if length is None:
                return 411, "a request body needs a Content-Length"
            if not length.isdigit():
                return 400, "a malformed Content-Length"
            if int(length) > MAX_BODY:
                return 413, f"request over {MAX_BODY} bytes"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = self.problem(Request(scope)) if scope["type"] == "http" else None
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, message = problem
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        await _error(status, message, headers)(scope, receive, send)


def create_app(runtime: Runtime, *, model_name: str, api_key: str | None = None) -> FastAPI:
    """The OpenAI-compatible API over `runtime`, answering as `model_name`. Without
    `api_key` it serves loopback clients only (`screenpilot serve-model` listens off loopback
    only with a key)."""
    app = FastAPI(
        title="screenpilot model server",
        version=__version__,
        summary="Qwen3-VL over an OpenAI-compatible chat completions API.",
        docs_url=None,  # the docs pages pull scripts from a CDN; /openapi.json is served
        redoc_url=None,
        responses={400: {"model": ErrorReply}, 401: {"model": ErrorReply}},
    )
    app.add_middleware(_Gate, api_key=api_key)
    lock = threading.Lock()  # one generation at a time: the model is not thread-safe
    # A runtime says it streams (`streams`), or its `generate` takes `on_text` by name.
    streams = bool(getattr(runtime, "streams", False)) or (
        "on_text" in inspect.signature(runtime.generate).parameters
    )
    started = int(time.time())

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        return _error(400, _problem(error.errors(), request.headers.get("content-type", "")))

    @app.exception_handler(BadRequestError)
    async def bad(request: Request, error: BadRequestError) -> JSONResponse:
        return _error(400, str(error))

    @app.exception_handler(HTTPException)
    async def refused(request: Request, error: HTTPException) -> JSONResponse:
        message = str(error.detail)
        if error.status_code == 404:
            message = f"no {request.url.path} here"
        elif error.status_code == 405:
            message = f"{request.method} is not answered on {request.url.path}"
        return _error(error.status_code, message, error.headers)

    @app.get("/v1/models", response_model=ModelList)
    def models() -> ModelList:
        """The model this server runs."""
        return ModelList(data=[ModelCard(id=model_name, created=started)])

    @app.post(
        "/v1/chat/completions",
        response_model=ChatCompletion,
        responses={
            200: {"content": {"text/event-stream": {}}, "description": "With `stream`: chunks."},
            500: {"model": ErrorReply, "description": "The model failed."},
        },
    )
    def complete(request: ChatRequest) -> Any:
        """One chat completion in OpenAI's response shape, or its chunks with `stream`."""
        _check(request)
        tools = bool(request.tools) and request.tool_choice != "none"
        messages, sampling = _messages(request, tools=tools), _sampling(request)
        # A Thinking checkpoint opens `<think>` whatever the request says (`LocalRuntime.thinks`).
        thinking = sampling.thinking or bool(getattr(runtime, "thinks", False))
        logprobs = bool(request.logprobs)

        def generate(on_text: Callable[[str], None] | None) -> Generation:
            extra = {"on_text": on_text} if on_text is not None else {}
            with lock:
                return runtime.generate(messages, sampling, logprobs=logprobs, **extra)

        reply = Reply(model_name, thinking=thinking, tools=tools, top=request.top_logprobs or 0)
        if request.stream:
            run = Generating(generate, streams=streams)
            run.start()
            first = run.events.get()  # the first words; a failure before them is still a 500
            if isinstance(first, BaseException):
                return _error(500, f"{type(first).__name__}: {first}")
            include_usage = bool(request.stream_options and request.stream_options.include_usage)
            return StreamingResponse(
                reply.events(run, first, include_usage=include_usage),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        try:
            return reply.whole(generate(None))
        except Exception as error:  # the model failed: the client must hear it
            return _error(500, f"{type(error).__name__}: {error}")

    return app


class ModelServer:
    """Serves one runtime on host:port (0: a free one) in a background thread until
    `close()`; `url` is its /v1 base for a client."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        model_name: str,
        host: str = "127.0.0.1",
        port: int = 8000,
        api_key: str | None = None,
    ) -> None:
        self.app = create_app(runtime, model_name=model_name, api_key=api_key)
        self._background = BackgroundServer(self.app, host, port)
        self.port: int = self._background.sock.getsockname()[1]
        self.url = f"{self._background.url}/v1"

    def start(self) -> ModelServer:
        self._background.__enter__()
        return self

    def close(self) -> None:
        self._background.__exit__(None, None, None)

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

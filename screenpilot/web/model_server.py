"""`screenpilot serve-model`: a small OpenAI-compatible server around the local runtime.

So a GPU box can serve a laptop that drives the screen, and so the OpenAI-compatible client
is tested against a real HTTP server. A FastAPI app served by uvicorn, as the console is:

GET  /v1/models             the one model served
POST /v1/chat/completions   text and base64 data-URL images in, the answer out (with each
                            token's log-probability on request)

Requests and replies are pydantic models, so /openapi.json describes both. A request that
does not fit gets a 400 whose message says which field and why; errors come back in OpenAI's
shape, `{"error": {"message": ...}}`. It fetches no URLs: only `data:` images are accepted.
One request runs the model at a time. With an API key set, every request must carry
`Authorization: Bearer <key>`; without one the server is for this machine alone, so a request
must name it (a loopback Host), which a web page that points its own name at 127.0.0.1 (DNS
rebinding) cannot do.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator, Field, field_validator
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from screenpilot.models.runtime import Message, ModelRuntimeError, Runtime, Sampling, check_image
from screenpilot.version import __version__
from screenpilot.web.security import host_name, is_loopback_name
from screenpilot.web.serving import BackgroundServer

#: Largest request body accepted (several 1080p PNG screenshots fit easily).
MAX_BODY = 64 * 1024 * 1024


class BadRequestError(ValueError):
    """The request cannot be served; the message goes back to the client."""


# --- what a client sends ---------------------------------------------------------------------


class TextPart(BaseModel):
    type: Literal["text"]
    text: str = ""


class ImageURL(BaseModel):
    url: str = Field("", description="A `data:image/...;base64,` URL; nothing is fetched.")

    @field_validator("url")
    @classmethod
    def _only_data(cls, url: str) -> str:
        if not url.startswith("data:image/"):
            raise ValueError("only data: image URLs are accepted (this server fetches nothing)")
        return url


class ImagePart(BaseModel):
    type: Literal["image_url"]
    image_url: ImageURL


Part = Annotated[TextPart | ImagePart, Field(discriminator="type")]


def _as_parts(content: object) -> object:
    """Plain text is one text part: one shape to check, and to name in an error."""
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: Annotated[
        list[Part], BeforeValidator(_as_parts, json_schema_input_type=str | list[Part])
    ] = Field(description="Text, or a list of text and image parts.")


class ChatRequest(BaseModel):
    """A chat completion request; fields this server does not use are ignored."""

    model: str | None = Field(None, description="Ignored: the server has one model.")
    messages: list[ChatMessage] = Field(min_length=1)
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    logprobs: bool | None = None
    chat_template_kwargs: dict[str, Any] | None = Field(
        None, description="vLLM's; `enable_thinking` opens the answer with <think>."
    )


#: The request fields that become `Sampling`: an error in one is called a sampling error.
_SAMPLING_FIELDS = frozenset(
    {"temperature", "top_p", "top_k", "max_tokens", "max_completion_tokens"}
)


# --- what it answers -------------------------------------------------------------------------


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    owned_by: str = "screenpilot"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class TokenChance(BaseModel):
    token: str
    logprob: float
    top_logprobs: list[Any] = Field(default_factory=list)


class ChoiceLogprobs(BaseModel):
    content: list[TokenChance]


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: ChoiceLogprobs | None = Field(None, description="Only when asked for.")


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage


class ErrorBody(BaseModel):
    message: str


class ErrorReply(BaseModel):
    error: ErrorBody


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


def _messages(request: ChatRequest) -> list[Message]:
    return [
        Message(
            m.role,
            [p.text if isinstance(p, TextPart) else _image(p.image_url.url) for p in m.content],
        )
        for m in request.messages
    ]


def _sampling(request: ChatRequest) -> Sampling:
    try:
        return Sampling(
            temperature=request.temperature or 0.0,
            top_p=request.top_p or 1.0,
            top_k=request.top_k,
            max_new_tokens=request.max_tokens or request.max_completion_tokens or 256,
            # vLLM's switch for templates that can think; here it opens the answer with <think>.
            thinking=bool((request.chat_template_kwargs or {}).get("enable_thinking")),
        )
    except ValueError as error:
        raise BadRequestError(f"bad sampling settings: {error}") from None


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
        return ModelList(data=[ModelCard(id=model_name)])

    @app.post(
        "/v1/chat/completions",
        response_model=ChatCompletion,
        response_model_exclude_none=True,
        responses={500: {"model": ErrorReply, "description": "The model failed."}},
    )
    def complete(request: ChatRequest) -> ChatCompletion | JSONResponse:
        """One chat completion in OpenAI's response shape."""
        messages, sampling = _messages(request), _sampling(request)
        try:
            with lock:
                result = runtime.generate(messages, sampling, logprobs=bool(request.logprobs))
        except Exception as error:  # the model failed: the client must hear it
            return _error(500, f"{type(error).__name__}: {error}")
        chances = None
        if result.tokens is not None:
            chances = ChoiceLogprobs(
                content=[TokenChance(token=t.text, logprob=t.logprob) for t in result.tokens]
            )
        generated = len(result.tokens or [])
        return ChatCompletion(
            id=f"chatcmpl-{uuid.uuid4().hex[:16]}",
            created=int(time.time()),
            model=model_name,
            choices=[Choice(message=AssistantMessage(content=result.raw), logprobs=chances)],
            usage=Usage(
                prompt_tokens=result.prompt_tokens,
                completion_tokens=generated,
                total_tokens=result.prompt_tokens + generated,
            ),
        )

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

"""`screenpilot serve-model`: a small OpenAI-compatible server around the local runtime.

So a GPU box can serve a laptop that drives the screen, and so the OpenAI-compatible client
is tested against a real HTTP server. It answers `POST /v1/chat/completions` (text and
base64 data-URL images; log-probabilities on request) and `GET /v1/models`. It fetches no
URLs: only `data:` images are accepted. One request runs the model at a time. With an API
key set, requests must carry `Authorization: Bearer <key>`.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from screenpilot.models.runtime import Message, Runtime, Sampling

#: Largest request body accepted (several 1080p PNG screenshots fit easily).
MAX_BODY = 64 * 1024 * 1024


class BadRequestError(ValueError):
    """The request cannot be served; the message goes back to the client."""


def _image(url: str) -> Any:
    from PIL import Image

    if not url.startswith("data:image/"):
        raise BadRequestError("only data: image URLs are accepted (this server fetches nothing)")
    try:
        payload = base64.b64decode(url.split(",", 1)[1], validate=True)
        image = Image.open(io.BytesIO(payload))
        image.load()
    except (IndexError, binascii.Error, OSError) as error:
        raise BadRequestError(f"an image could not be read: {error}") from None
    return image.convert("RGB")


def _messages(body: dict[str, Any]) -> list[Message]:
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise BadRequestError("`messages` must be a non-empty list")
    messages = []
    for m in raw:
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            raise BadRequestError("each message needs a role: system, user or assistant")
        content = m.get("content")
        parts: list[Any] = []
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            for part in content:
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "text":
                    parts.append(str(part.get("text", "")))
                elif kind == "image_url":
                    parts.append(_image(str((part.get("image_url") or {}).get("url", ""))))
                else:
                    raise BadRequestError(f"unsupported content part {kind!r}")
        else:
            raise BadRequestError("message content must be text or a list of parts")
        messages.append(Message(m["role"], parts))
    return messages


def _sampling(body: dict[str, Any]) -> Sampling:
    try:
        return Sampling(
            temperature=float(body.get("temperature") or 0.0),
            top_p=float(body.get("top_p") or 1.0),
            top_k=int(body["top_k"]) if body.get("top_k") is not None else None,
            max_new_tokens=int(body.get("max_tokens") or body.get("max_completion_tokens") or 256),
            # vLLM's switch for templates that can think; here it opens the answer with <think>.
            thinking=bool((body.get("chat_template_kwargs") or {}).get("enable_thinking")),
        )
    except (TypeError, ValueError, AttributeError) as error:
        raise BadRequestError(f"bad sampling settings: {error}") from None


class ModelServer:
    """Serves one runtime on host:port in a background thread until `close()`."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        model_name: str,
        host: str = "127.0.0.1",
        port: int = 8000,
        api_key: str | None = None,
    ) -> None:
        self.runtime, self.model_name, self.api_key = runtime, model_name, api_key
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _reply(self, code: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if (
                    server.api_key
                    and self.headers.get("Authorization") != f"Bearer {server.api_key}"
                ):
                    self._reply(401, {"error": {"message": "missing or wrong API key"}})
                    return False
                return True

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                if self.path.rstrip("/") == "/v1/models":
                    self._reply(
                        200,
                        {
                            "object": "list",
                            "data": [
                                {
                                    "id": server.model_name,
                                    "object": "model",
                                    "owned_by": "screenpilot",
                                }
                            ],
                        },
                    )
                else:
                    self._reply(404, {"error": {"message": f"no {self.path} here"}})

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._reply(404, {"error": {"message": f"no {self.path} here"}})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY:
                    self._reply(413, {"error": {"message": f"request over {MAX_BODY} bytes"}})
                    return
                try:
                    body = json.loads(self.rfile.read(length) or b"null")
                    if not isinstance(body, dict):
                        raise BadRequestError("the body must be a JSON object")
                    self._reply(200, server.complete(body))
                except (json.JSONDecodeError, BadRequestError) as error:
                    self._reply(400, {"error": {"message": str(error)}})
                except Exception as error:  # the model failed: the client must hear it
                    self._reply(500, {"error": {"message": f"{type(error).__name__}: {error}"}})

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> ModelServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """One chat completion in OpenAI's response shape."""
        messages, sampling = _messages(body), _sampling(body)
        with self._lock:  # one generation at a time: the model is not thread-safe
            result = self.runtime.generate(messages, sampling, logprobs=bool(body.get("logprobs")))
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": result.raw},
            "finish_reason": "stop",
        }
        if result.tokens is not None:
            choice["logprobs"] = {
                "content": [
                    {"token": t.text, "logprob": t.logprob, "top_logprobs": []}
                    for t in result.tokens
                ]
            }
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model_name,
            "choices": [choice],
            "usage": {
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": len(result.tokens or []),
            },
        }

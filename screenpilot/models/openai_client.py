"""Qwen3-VL behind any OpenAI-compatible server: vLLM, SGLang, or `screenpilot serve-model`.

Images travel as base64 PNG data URLs, resized here to the visual-token budget first (less to
upload, and no reliance on the server's own pixel limits). Every request has a timeout.

What is tried again (`RetryPolicy`): a connection that fails, a request that times out, a 429
and a 5xx answer, a bounded number of times, with a doubling pause or the one the server asks
for in `Retry-After`. When the tries run out the server counts as gone:
`ModelUnavailableError`, on which the agent ends its run at once. Any other 4xx is the
request's fault and fails at once, naming the status and the server's message, as does a reply
that is not a chat completion, or one whose message content is not text (a number, an object);
content given as a list of parts, as OpenAI's format allows, is read as its text parts joined.

Built on httpx, not the openai SDK. The SDK retries the same way, but it brings a handful of
packages more (distro, jiter, tqdm, ...), its typed replies tuck what vLLM adds (such as
`reasoning_content`) away as extras, and the fields this client sends beyond OpenAI's (`top_k`,
`chat_template_kwargs`) would go through its `extra_body` escape hatch. One JSON POST and a
policy of twenty lines, which the tests drive with a clock that does not wait, weigh less.

Serving Qwen3-VL with vLLM (>= 0.11), on one GPU:

    vllm serve Qwen/Qwen3-VL-4B-Instruct --max-model-len 32768 \\
        --limit-mm-per-prompt '{"image": 4, "video": 0}'

and tensor-parallel over four GPUs (a larger checkpoint):

    vllm serve Qwen/Qwen3-VL-32B-Instruct --tensor-parallel-size 4 \\
        --mm-encoder-tp-mode data --max-model-len 32768 \\
        --limit-mm-per-prompt '{"image": 4, "video": 0}'
"""

from __future__ import annotations

import base64
import email.utils
import io
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from screenpilot.errors import ModelUnavailableError
from screenpilot.models.runtime import (
    GREEDY,
    TOP_LOGPROBS,
    Generation,
    Message,
    ModelRuntimeError,
    Sampling,
    TokenLogprob,
    check_image,
)
from screenpilot.perception.geometry import Size
from screenpilot.perception.sizing import VisualBudget


@dataclass(frozen=True)
class RetryPolicy:
    """How many times a request is tried again, and how long to wait before each."""

    retries: int = 2
    #: The pause before the first retry; each later one is twice the one before.
    first_pause: float = 0.5
    #: No pause is longer, not even one a server asks for: a step must not hang for minutes.
    longest_pause: float = 30.0

    def __post_init__(self) -> None:
        if self.retries < 0 or self.first_pause < 0 or self.longest_pause < 0:
            raise ValueError("a retry policy needs retries, first_pause and longest_pause >= 0")

    @property
    def tries(self) -> int:
        return self.retries + 1

    def pause(self, failed: int, retry_after: str | None = None, *, now: float = 0.0) -> float:
        """Seconds to wait after the `failed`-th failed try (1 for the first): the server's
        `Retry-After` (seconds, or an HTTP date judged against `now`) when it gave a usable
        one, else the doubling pause; never over `longest_pause`."""
        asked = _seconds_asked(retry_after, now) if retry_after else None
        chosen = asked if asked is not None else self.first_pause * 2 ** (failed - 1)
        return min(chosen, self.longest_pause)


def _seconds_asked(retry_after: str, now: float) -> float | None:
    text = retry_after.strip()
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)


#: Statuses that say "not now" rather than "not this request".
_RETRIED_STATUSES = frozenset({429}) | frozenset(range(500, 600))


class OpenAIRuntime:
    """A chat-completions endpoint at `base_url` (e.g. http://127.0.0.1:8000/v1).

    `transport`, `sleep` and `clock` are for tests: a fake server and a clock that does not
    really wait."""

    def __init__(
        self,
        base_url: str,
        *,
        model: str = "Qwen/Qwen3-VL-4B-Instruct",
        api_key: str | None = None,
        budget: VisualBudget | None = None,
        timeout: float = 120.0,
        retries: int = 2,
        deadline: float | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key = model, api_key
        self.budget = budget or VisualBudget()
        #: Seconds one try may take, and all tries with their pauses (None: no bound but
        #: the tries').
        self.timeout, self.deadline = timeout, deadline
        self.policy = RetryPolicy(retries=retries)
        #: Whether the served model thinks before it answers, learnt from its answers: a
        #: Thinking checkpoint's reasoning comes apart (`reasoning_content`) or before a
        #: `</think>`, asked for or not. The policies give such a model its thinking budget.
        self.thinks = False
        self._sleep, self._clock = sleep, clock
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(
            transport=transport, timeout=httpx.Timeout(timeout), headers=headers
        )

    def close(self) -> None:
        """Close the connections kept open to the server."""
        self._http.close()

    def generate(
        self, messages: Sequence[Message], sampling: Sampling = GREEDY, *, logprobs: bool = False
    ) -> Generation:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [self._message(m) for m in messages],
            "max_tokens": sampling.max_new_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
        }
        if sampling.top_k is not None:
            body["top_k"] = sampling.top_k
        if logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = TOP_LOGPROBS
        if sampling.thinking:
            body["chat_template_kwargs"] = {"enable_thinking": True}
        start = time.perf_counter()
        reply = self._post(body)
        try:
            choice = reply["choices"][0]
            message = choice["message"]
            raw = _text_of(message["content"], "content")
            # vLLM with a reasoning parser hands the thinking apart from the answer.
            field = "reasoning_content" if message.get("reasoning_content") else "reasoning"
            reasoning = _text_of(message.get(field), field)
            if reasoning:
                raw = f"<think>{reasoning}</think>{raw}"
            entries = ((choice.get("logprobs") or {}).get("content")) if logprobs else None
            tokens = [_token(e) for e in entries] if entries else None
            usage = reply.get("usage") or {}
            used = int(usage.get("prompt_tokens", 0))
            told = int(usage.get("completion_tokens", 0))
            finish = "length" if choice.get("finish_reason") == "length" else "stop"
        except _NotTextError as error:
            raise ModelRuntimeError(
                f"{self.url} answered a message whose {error}; an answer must be text or a "
                "list of text parts"
            ) from None
        except (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError):
            raise ModelRuntimeError(
                f"{self.url} answered something that is not a chat completion: {str(reply)[:200]}"
            ) from None
        generation = Generation.from_raw(
            raw,
            tokens=tokens,
            prompt_tokens=used,
            completion_tokens=told,
            finish_reason=finish,
            seconds=time.perf_counter() - start,
        )
        if generation.thinking or "</think>" in raw:
            self.thinks = True
        return generation

    def _message(self, message: Message) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        for item in message.content:
            if isinstance(item, str):
                parts.append({"type": "text", "text": item})
            else:
                check_image(item)
                seen = self.budget.resize(Size(width=item.width, height=item.height))
                image = item.convert("RGB").resize((seen.width, seen.height))
                buffer = io.BytesIO()
                image.save(buffer, "PNG")
                url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
                parts.append({"type": "image_url", "image_url": {"url": url}})
        return {"role": message.role, "content": parts}

    def _post(self, body: dict[str, Any]) -> Any:
        """The server's JSON answer: each try within `timeout` seconds (connecting and
        reading a reply that trickles in byte by byte), all of them and their pauses within
        `deadline` seconds when one is set."""
        data = json.dumps(body).encode()
        started = time.monotonic()
        deadline = started + (self.deadline if self.deadline is not None else float("inf"))
        last = ""
        for attempt in range(1, self.policy.tries + 1):
            retry_after: str | None = None
            try:
                response = self._fetch(data, min(deadline, time.monotonic() + self.timeout))
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
                raise ModelRuntimeError(f"{self.url} is not a server address: {error}") from None
            except (httpx.TimeoutException, _PastDeadlineError):
                last = f"no reply within {self.timeout:g} s"
                if time.monotonic() >= deadline:
                    break
            except httpx.TransportError as error:
                last = str(error) or type(error).__name__
            else:
                if response.is_success:
                    return self._json(response)
                if response.status_code not in _RETRIED_STATUSES:
                    raise ModelRuntimeError(self._refusal(response)) from None
                last = f"{_server_says(response)} ({response.status_code})"
                retry_after = response.headers.get("Retry-After")
            if attempt < self.policy.tries:
                pause = self.policy.pause(attempt, retry_after, now=self._clock())
                if time.monotonic() + pause >= deadline:
                    last += f"; no time left for another try within {deadline - started:g} s"
                    break
                self._sleep(pause)
        raise ModelUnavailableError(
            f"no answer from {self.url} after {attempt} tries (last: {last}); "
            "is the model server running?"
        )

    def _fetch(self, data: bytes, deadline: float) -> httpx.Response:
        """One POST, read chunk by chunk so that the deadline holds however slowly the
        server sends (httpx's timeouts bound each read, not the whole reply)."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise _PastDeadlineError
        headers = {"Content-Type": "application/json"}
        timeout = httpx.Timeout(left)
        with self._http.stream(
            "POST", self.url, content=data, headers=headers, timeout=timeout
        ) as streamed:
            chunks = []
            for chunk in streamed.iter_bytes():  # decoded (gzip and the like) already
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise _PastDeadlineError
        skip = ("content-encoding", "content-length", "transfer-encoding")
        headers = {k: v for k, v in streamed.headers.items() if k.lower() not in skip}
        return httpx.Response(
            streamed.status_code, headers=headers, content=b"".join(chunks),
            request=streamed.request,
        )  # fmt: skip

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past reading
            raise ModelRuntimeError(
                f"{self.url} answered something that is not JSON: {response.text[:200]!r}"
            ) from None

    def _refusal(self, response: httpx.Response) -> str:
        status = response.status_code
        if response.is_redirect:
            said = f"it points to {response.headers.get('Location', 'nowhere')}"
        else:
            said = _server_says(response)
        hint = "; check the API key ($OPENAI_API_KEY)" if status in (401, 403) else ""
        return f"{self.url} refused the request ({status}): {said}{hint}"


class _NotTextError(Exception):
    """A reply's message holds something other than text where the answer belongs."""


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "text" if isinstance(value, str) else "null"


def _text_of(value: object, field: str) -> str:
    """A message's `content` (or reasoning) as text. OpenAI's format allows a list of parts:
    the text ones are joined and the others (an image, say) left out; anything else is an
    answer no one can read, said in a sentence."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        raise _NotTextError(f"{field} is {_kind(value)}")
    texts = []
    for part in value:
        if isinstance(part, str):
            texts.append(part)
        elif not isinstance(part, dict):
            raise _NotTextError(f"{field} has a part that is {_kind(part)}")
        elif part.get("type") == "text":
            text = part.get("text")
            if not isinstance(text, str):
                raise _NotTextError(f"{field} has a text part whose text is {_kind(text)}")
            texts.append(text)
    return "".join(texts)


class _PastDeadlineError(Exception):
    """The request's whole time ran out while its reply was still coming."""


def _server_says(response: httpx.Response) -> str:
    """The message in an error reply: OpenAI's and vLLM's `error.message`, vLLM's older
    top-level `message`, FastAPI's `detail`; else the start of the body."""
    try:
        reply = response.json()
    except (ValueError, RecursionError):
        reply = None
    said: Any = None
    if isinstance(reply, dict):
        error = reply.get("error")
        said = error.get("message") if isinstance(error, dict) else error
        said = said or reply.get("message") or reply.get("detail")
    text = str(said) if said else response.text.strip() or response.reason_phrase
    return text[:300]


def _token(entry: dict[str, Any]) -> TokenLogprob:
    """One entry of an answer's `logprobs.content`, its `top_logprobs` included."""
    top = tuple((str(t["token"]), float(t["logprob"])) for t in entry.get("top_logprobs") or ())
    return TokenLogprob(str(entry["token"]), float(entry["logprob"]), top)

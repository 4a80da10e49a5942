"""The OpenAI-compatible client: what it sends, what it makes of the reply, and its retry
policy, against a scripted server (httpx's mock transport) with a clock that does not wait;
then once end to end through `serve-model`'s app on a loopback port."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Iterator, Sequence
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from PIL import Image

from screenpilot.errors import EnvironmentLostError, ModelUnavailableError
from screenpilot.models.openai_client import OpenAIRuntime, RetryPolicy
from screenpilot.models.runtime import (
    GREEDY,
    TOP_LOGPROBS,
    Generation,
    Message,
    ModelRuntimeError,
    Sampling,
)
from screenpilot.perception.geometry import Size
from screenpilot.perception.sizing import VisualBudget
from screenpilot.web.model_server import ModelServer

NOW = 1_800_000_000.0
HELLO = [Message.user("hi")]


def completion(content: str = "Done.", **extra: object) -> dict[str, object]:
    return {"choices": [{"message": {"role": "assistant", "content": content}}], **extra}


class Scripted:
    """Answers each request with the next scripted response (or raises it) and keeps the
    requests; the pauses the client takes are recorded instead of slept."""

    def __init__(self, *script: httpx.Response | Exception) -> None:
        self.script = list(script)
        self.requests: list[httpx.Request] = []
        self.pauses: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def client(self, retries: int = 2, **options: object) -> OpenAIRuntime:
        return OpenAIRuntime(
            "http://gpu-box:8000/v1/",
            retries=retries,
            transport=httpx.MockTransport(self),
            sleep=self.pauses.append,
            clock=lambda: NOW,
            **options,  # type: ignore[arg-type]
        )

    def sent(self, index: int = -1) -> dict[str, object]:
        body: dict[str, object] = json.loads(self.requests[index].content)
        return body


def ok(body: object = None) -> httpx.Response:
    return httpx.Response(200, json=completion() if body is None else body)


def test_the_request_carries_the_image_as_a_png_data_url_and_every_sampling_field() -> None:
    server = Scripted(ok())
    client = server.client(api_key="sk-local", budget=VisualBudget(max_tokens=1280))
    shot = Image.new("RGB", (1920, 1080), "white")
    client.generate(
        [Message.system("Be brief."), Message.user(shot, "Click Submit")],
        Sampling(temperature=0.7, top_p=0.9, top_k=20, max_new_tokens=64, thinking=True),
        logprobs=True,
    )
    request = server.requests[0]
    assert str(request.url) == "http://gpu-box:8000/v1/chat/completions"
    assert request.headers["Authorization"] == "Bearer sk-local"
    assert request.headers["Content-Type"] == "application/json"
    body = server.sent()
    messages: Any = body.pop("messages")
    assert body == {
        "model": "Qwen/Qwen3-VL-4B-Instruct",
        "max_tokens": 64,
        "temperature": 0.7,
        "top_p": 0.9,
        "top_k": 20,
        "logprobs": True,
        "top_logprobs": TOP_LOGPROBS,
        "chat_template_kwargs": {"enable_thinking": True},
    }
    system, user = messages
    assert system == {"role": "system", "content": [{"type": "text", "text": "Be brief."}]}
    image, text = user["content"]
    assert text == {"type": "text", "text": "Click Submit"}
    prefix = "data:image/png;base64,"
    url = image["image_url"]["url"]
    assert image["type"] == "image_url" and url.startswith(prefix)
    sent = Image.open(io.BytesIO(base64.b64decode(url[len(prefix) :])))
    # Resized here to the budget's size for the screen, not sent at full size.
    seen = VisualBudget(max_tokens=1280).resize(Size(width=1920, height=1080))
    assert sent.format == "PNG" and sent.size == (seen.width, seen.height) != shot.size


def test_greedy_without_logprobs_sends_no_optional_fields_and_no_key() -> None:
    server = Scripted(ok())
    server.client().generate(HELLO, GREEDY)
    assert "Authorization" not in server.requests[0].headers
    assert not {"top_k", "logprobs", "chat_template_kwargs"} & set(server.sent())


def test_the_reply_becomes_a_generation_with_thinking_tokens_and_prompt_size() -> None:
    reply = {
        "choices": [
            {
                "message": {"content": "Done.", "reasoning_content": "I look."},
                "logprobs": {
                    "content": [
                        {"token": "Do", "logprob": -0.5},
                        {"token": "ne.", "logprob": -0.25},
                    ]
                },
            }
        ],
        "usage": {"prompt_tokens": 1234},
    }
    answer = Scripted(ok(reply)).client().generate(HELLO, logprobs=True)
    assert isinstance(answer, Generation)
    assert (answer.thinking, answer.text, answer.prompt_tokens) == ("I look.", "Done.", 1234)
    assert [(t.text, t.logprob) for t in answer.tokens or []] == [("Do", -0.5), ("ne.", -0.25)]
    # Log-probabilities the client did not ask for are not handed on.
    assert Scripted(ok(reply)).client().generate(HELLO).tokens is None


@pytest.mark.parametrize(
    ("failed", "retry_after", "pause"),
    [
        (1, None, 0.5),
        (2, None, 1.0),
        (3, None, 2.0),
        (9, None, 30.0),  # doubling stops at the longest pause
        (1, "7", 7.0),  # the server's wish, though longer than the backoff
        (3, "0", 0.0),  # and shorter
        (1, "3600", 30.0),  # never longer than the longest pause
        (1, formatdate(NOW + 12, usegmt=True), 12.0),  # an HTTP date
        (1, formatdate(NOW - 60, usegmt=True), 0.0),  # already past
        (2, "soon", 1.0),  # not understood: the backoff
    ],
)
def test_the_pause_before_a_retry(failed: int, retry_after: str | None, pause: float) -> None:
    assert RetryPolicy().pause(failed, retry_after, now=NOW) == pytest.approx(pause, abs=0.01)


def test_a_retry_policy_refuses_negative_settings() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        RetryPolicy(retries=-1)


@pytest.mark.parametrize(
    "trouble",
    [
        httpx.Response(503, json={"error": {"message": "loading"}}),
        httpx.Response(500, text="boom"),
        httpx.Response(429, json={"message": "slow down"}),
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("server disconnected"),
    ],
    ids=["503", "500", "429", "refused", "timeout", "dropped"],
)
def test_a_passing_trouble_is_retried_with_a_growing_pause(
    trouble: httpx.Response | Exception,
) -> None:
    server = Scripted(trouble, trouble, ok())
    assert server.client(retries=2).generate(HELLO).text == "Done."
    assert len(server.requests) == 3 and server.pauses == [0.5, 1.0]


def test_a_busy_server_is_given_the_time_it_asks_for() -> None:
    busy = httpx.Response(429, headers={"Retry-After": "4"}, json={"error": "busy"})
    server = Scripted(busy, ok())
    server.client().generate(HELLO)
    assert server.pauses == [4.0]


@pytest.mark.parametrize(
    ("trouble", "last"),
    [
        (httpx.Response(503, json={"error": {"message": "loading"}}), "loading (503)"),
        (httpx.Response(429, json={"detail": "too many"}), "too many (429)"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "Connection refused"),
        (httpx.ReadTimeout("timed out"), "no reply within 5 s"),
    ],
)
def test_a_server_still_failing_after_the_retries_is_unavailable(
    trouble: httpx.Response | Exception, last: str
) -> None:
    server = Scripted(trouble, trouble, trouble)
    with pytest.raises(ModelUnavailableError) as caught:
        server.client(retries=2, timeout=5).generate(HELLO)
    message = str(caught.value)
    assert "after 3 tries" in message and last in message and "model server running" in message
    assert len(server.requests) == 3 and server.pauses == [0.5, 1.0]  # no pause after the last
    # What the agent loop needs to end the run at once rather than fail a step.
    assert isinstance(caught.value, EnvironmentLostError)


def test_no_retries_means_one_try_and_no_pause() -> None:
    server = Scripted(httpx.ConnectError("refused"))
    with pytest.raises(ModelUnavailableError, match="after 1 tries"):
        server.client(retries=0).generate(HELLO)
    assert len(server.requests) == 1 and server.pauses == []


@pytest.mark.parametrize(
    ("refusal", "said"),
    [
        (
            httpx.Response(400, json={"error": {"message": "max_tokens is too large"}}),
            "max_tokens is too large",
        ),
        (httpx.Response(400, json={"object": "error", "message": "bad image"}), "bad image"),
        (httpx.Response(404, text="no such route"), "no such route"),
        (httpx.Response(422, json={"detail": "messages: field required"}), "field required"),
        (
            httpx.Response(401, json={"error": {"message": "wrong key"}}),
            "wrong key; check the API key",
        ),
        (httpx.Response(307, headers={"Location": "/v2/chat"}), "it points to /v2/chat"),
        (httpx.Response(413), "Request Entity Too Large"),
    ],
)
def test_a_refusal_is_not_retried_and_names_the_status_and_the_servers_words(
    refusal: httpx.Response, said: str
) -> None:
    server = Scripted(refusal, ok())
    with pytest.raises(ModelRuntimeError) as caught:
        server.client().generate(HELLO)
    assert f"({refusal.status_code}): " in str(caught.value) and said in str(caught.value)
    assert len(server.requests) == 1 and server.pauses == []
    assert not isinstance(caught.value, EnvironmentLostError)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (httpx.Response(200, text="<html>surprise</html>"), "not JSON"),
        (httpx.Response(200, json={"choices": []}), "not a chat completion"),
        (httpx.Response(200, json=[1, 2]), "not a chat completion"),
        (httpx.Response(200, json={"choices": [{"message": "hi"}]}), "not a chat completion"),
        (httpx.Response(200, json=completion(usage="lots")), "not a chat completion"),
    ],
)
def test_a_reply_that_is_no_chat_completion_fails_at_once(
    reply: httpx.Response, reason: str
) -> None:
    server = Scripted(reply, ok())
    with pytest.raises(ModelRuntimeError, match=reason):
        server.client().generate(HELLO)
    assert len(server.requests) == 1


def test_an_address_that_is_no_http_url_is_told_apart() -> None:
    with pytest.raises(ModelRuntimeError, match="not a server address"):
        OpenAIRuntime("ftp://gpu-box/v1", retries=3, sleep=lambda _: None).generate(HELLO)


# --- end to end, over a real loopback socket ---------------------------------------------------


class FlakyModel:
    """A runtime that fails its first `failures` calls, then answers; it keeps what it got."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.asked: list[tuple[Sequence[Message], Sampling, bool]] = []

    def generate(
        self, messages: Sequence[Message], sampling: Sampling = GREEDY, *, logprobs: bool = False
    ) -> Generation:
        self.asked.append((messages, sampling, logprobs))
        if len(self.asked) <= self.failures:
            raise RuntimeError("CUDA out of memory")
        return Generation.from_raw("<think>a look</think>Done.", prompt_tokens=42)


@pytest.fixture
def serving() -> Iterator[Callable[[FlakyModel], ModelServer]]:
    started: list[ModelServer] = []

    def start(model: FlakyModel) -> ModelServer:
        started.append(ModelServer(model, model_name="flaky", port=0, api_key="k").start())
        return started[-1]

    yield start
    for one in started:
        one.close()


def test_through_serve_model_a_failed_generation_is_retried_and_the_answer_arrives(
    serving: Callable[[FlakyModel], ModelServer],
) -> None:
    model = FlakyModel(failures=1)
    loopback = serving(model)
    assert loopback.url.startswith("http://127.0.0.1:")
    pauses: list[float] = []
    client = OpenAIRuntime(loopback.url, model="flaky", api_key="k", sleep=pauses.append)
    shot = Image.new("RGB", (640, 480), "navy")
    answer = client.generate(
        [Message.user(shot, "Click OK")], Sampling(temperature=0.5, max_new_tokens=9)
    )
    assert (answer.thinking, answer.text, answer.prompt_tokens) == ("a look", "Done.", 42)
    assert pauses == [0.5] and len(model.asked) == 2  # the 500 was tried again
    messages, sampling, logprobs = model.asked[-1]
    picture, words = messages[0].content
    assert isinstance(picture, Image.Image) and picture.size == (640, 480)
    assert words == "Click OK" and not logprobs
    assert (sampling.temperature, sampling.max_new_tokens) == (0.5, 9)
    client.close()


def test_through_serve_model_a_model_that_keeps_failing_is_unavailable(
    serving: Callable[[FlakyModel], ModelServer],
) -> None:
    loopback = serving(FlakyModel(failures=99))
    client = OpenAIRuntime(loopback.url, api_key="k", retries=1, sleep=lambda _: None)
    with pytest.raises(ModelUnavailableError, match=r"CUDA out of memory \(500\)"):
        client.generate(HELLO)
    wrong_key = OpenAIRuntime(loopback.url, api_key="nope", sleep=lambda _: None)
    with pytest.raises(ModelRuntimeError, match=r"\(401\): missing or wrong API key"):
        wrong_key.generate(HELLO)


# ---------------------------------------------------------------- the request's deadline
class Trickle:
    """A loopback HTTP server that answers slowly: its headers at once, then one byte of
    the body every `gap` seconds (or, with `silent`, nothing at all)."""

    def __init__(self, gap: float = 0.1, *, silent: bool = False) -> None:
        import socket
        import threading

        self.gap, self.silent = gap, silent
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import time

        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.1)
                try:
                    conn.recv(65536)
                    if not self.silent:
                        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                    while not self.stop.is_set():
                        time.sleep(self.gap)
                        if not self.silent:
                            conn.sendall(b" ")
                except OSError:  # the client hung up (or a read timed out)
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.listener.close()


@pytest.mark.integration  # waits out a real deadline on a loopback server
@pytest.mark.parametrize("silent", [False, True], ids=["trickling", "silent"])
def test_the_timeout_bounds_the_whole_request_whatever_the_server_sends(silent: bool) -> None:
    import time

    server = Trickle(silent=silent)
    try:
        client = OpenAIRuntime(
            f"http://127.0.0.1:{server.port}/v1", timeout=1.5, deadline=1.5, retries=2
        )
        start = time.monotonic()
        with pytest.raises(ModelUnavailableError, match=r"no reply within 1.5 s"):
            client.generate(HELLO)
        assert time.monotonic() - start < 2.5  # not 1.5 s per read, nor per try
        client.close()
    finally:
        server.close()


def test_no_retry_starts_when_its_pause_would_pass_the_deadline() -> None:
    server = Scripted(httpx.Response(503, headers={"Retry-After": "30"}, json={}), ok())
    with pytest.raises(ModelUnavailableError, match="no time left for another try within 5 s"):
        server.client(timeout=5, deadline=5).generate(HELLO)
    assert len(server.requests) == 1 and server.pauses == []


def test_the_model_timeout_option_reaches_the_runtime_of_run_eval_and_serve(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from screenpilot.agent.assembly import DEFAULT_MODEL_TIMEOUT, make_runtime
    from screenpilot.cli import agent_commands, app

    runtime = make_runtime(None, "http://127.0.0.1:9/v1", timeout=3.0)
    assert isinstance(runtime, OpenAIRuntime) and runtime.timeout == 3.0
    assert DEFAULT_MODEL_TIMEOUT == 120.0
    seen: list[float] = []

    def stop_here(model: object, server: object, budget: object = None, *, timeout: float) -> None:
        seen.append(timeout)
        raise SystemExit(0)

    monkeypatch.setattr(agent_commands, "load_runtime", stop_here)
    cli = CliRunner()
    args = ["run", "click OK", "--server", "http://127.0.0.1:9/v1", "--model-timeout", "2.5"]
    result = cli.invoke(app, args)
    assert seen == [2.5], result.output
    for command in ("run", "eval", "serve"):
        shown = cli.invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output
        assert "--model-timeout" in shown

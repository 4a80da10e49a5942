"""The OpenAI-compatible client against `serve-model`'s server running the tiny model, on
loopback; and the client's behaviour with servers that are down, slow or talk nonsense."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image

from screenpilot.errors import ModelUnavailableError
from screenpilot.models.local import LocalRuntime
from screenpilot.models.openai_client import OpenAIRuntime
from screenpilot.models.runtime import Message, ModelRuntimeError, Sampling
from screenpilot.perception.sizing import VisualBudget
from screenpilot.web.model_server import ModelServer


@pytest.fixture(scope="module")
def served(tiny_qwen: Path) -> Iterator[ModelServer]:
    runtime = LocalRuntime(tiny_qwen, budget=VisualBudget(max_tokens=1280))
    with ModelServer(runtime, model_name="tiny", port=0, api_key="sekrit") as server:
        yield server


def test_chat_with_an_image_and_logprobs_through_http(served: ModelServer) -> None:
    client = OpenAIRuntime(
        served.url, model="tiny", api_key="sekrit", budget=VisualBudget(max_tokens=1280)
    )
    shot = Image.new("RGB", (1920, 1080), "white")
    result = client.generate(
        [Message.user(shot, "Click Submit")], Sampling(max_new_tokens=8), logprobs=True
    )
    assert 1222 < result.prompt_tokens < 1222 + 40  # the image arrived at the budget's size
    assert result.tokens is not None and 1 <= len(result.tokens) <= 8
    assert all(t.logprob <= 0 for t in result.tokens)


def test_the_server_refuses_bad_requests(served: ModelServer) -> None:
    def post(body: object, key: str = "sekrit") -> tuple[int, str]:
        request = urllib.request.Request(
            served.url + "/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    assert post({"messages": [{"role": "user", "content": "hi"}]}, key="wrong")[0] == 401
    code, text = post(
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "http://example.com/x.png"}}
                    ],
                }
            ]
        }
    )
    assert code == 400 and "only data: image URLs" in text
    code, text = post({"messages": []})
    assert code == 400 and "non-empty list" in text
    code, text = post({"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"})
    assert code == 400 and "bad sampling" in text


class _Nonsense(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path.startswith("/slow"):
            time.sleep(3)
        body = b"<html>surprise</html>" if "html" in self.path else b'{"choices": []}'
        if "reasoning" in self.path:  # vLLM with a reasoning parser: the thinking apart
            body = json.dumps(
                {"choices": [{"message": {"content": "Done.", "reasoning_content": "I look."}}]}
            ).encode()
        # A client that gave up on a slow answer has closed the connection.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def nonsense() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Nonsense)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_thinking_mode_opens_the_answer_with_think_through_the_server(
    served: ModelServer,
) -> None:
    client = OpenAIRuntime(served.url, model="tiny", api_key="sekrit")
    plain = client.generate([Message.user("Click Submit")], Sampling(max_new_tokens=2))
    thinking = client.generate(
        [Message.user("Click Submit")], Sampling(max_new_tokens=2, thinking=True)
    )
    # The assistant turn now starts with "<think>" and a newline: two more prompt tokens.
    assert thinking.prompt_tokens - plain.prompt_tokens == 2


def test_a_servers_separate_reasoning_becomes_the_thinking(nonsense: str) -> None:
    client = OpenAIRuntime(nonsense + "/reasoning")
    assert not client.thinks
    answer = client.generate([Message.user("hi")])  # not asked to think: it thinks anyway
    assert (answer.thinking, answer.text) == ("I look.", "Done.")
    assert client.thinks  # learnt from the answer: the policies give it a thinking budget


@pytest.mark.integration  # waits out real timeouts on loopback servers
def test_garbage_slow_and_missing_servers_are_clear_bounded_errors(nonsense: str) -> None:
    hello = [Message.user("hi")]
    with pytest.raises(ModelRuntimeError, match="not JSON"):
        OpenAIRuntime(nonsense + "/html").generate(hello)
    with pytest.raises(ModelRuntimeError, match="not a chat completion"):
        OpenAIRuntime(nonsense + "/empty").generate(hello)
    start = time.monotonic()
    with pytest.raises(ModelUnavailableError, match="after 2 tries"):
        OpenAIRuntime(nonsense + "/slow", timeout=0.5, retries=1).generate(hello)
    assert time.monotonic() - start < 3
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ModelUnavailableError, match="is the model server running"):
        OpenAIRuntime(f"http://127.0.0.1:{port}/v1", retries=1).generate(hello)


def test_serve_model_refuses_an_open_address_without_a_key() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "screenpilot", "serve-model", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "needs --api-key" in done.stderr


def test_the_serve_model_command_serves_the_tiny_model(tiny_qwen: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "screenpilot",
            "serve-model",
            "--model",
            str(tiny_qwen),
            "--port",
            str(port),
            "--max-tokens",
            "256",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        client = OpenAIRuntime(f"http://127.0.0.1:{port}/v1", retries=0, timeout=30)
        deadline = time.monotonic() + 60
        while True:
            try:
                result = client.generate([Message.user("hi")], Sampling(max_new_tokens=4))
                break
            except ModelUnavailableError:
                assert time.monotonic() < deadline, "serve-model did not come up"
                time.sleep(0.3)
        assert result.prompt_tokens > 0
    finally:
        server.terminate()
        server.wait(timeout=10)

"""`serve-model`'s app with a scripted runtime, in process: what it answers, what it refuses and
with which sentence, who may use it, and what /openapi.json says about it."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Sequence

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from screenpilot.models.runtime import GREEDY, Generation, Message, Sampling, TokenLogprob
from screenpilot.web.model_server import MAX_BODY, create_app


class Echo:
    """Answers "ok", with log-probabilities when asked; keeps what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[Sequence[Message], Sampling]] = []

    def generate(
        self, messages: Sequence[Message], sampling: Sampling = GREEDY, *, logprobs: bool = False
    ) -> Generation:
        self.asked.append((messages, sampling))
        tokens = [TokenLogprob("o", -0.1), TokenLogprob("k", -0.2)] if logprobs else None
        return Generation.from_raw("ok", tokens=tokens, prompt_tokens=7)


def png_url(width: int = 8, height: int = 6) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def api(runtime: Echo, key: str | None = None, host: str = "127.0.0.1") -> TestClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return TestClient(
        create_app(runtime, model_name="tiny", api_key=key),
        base_url=f"http://{host}:8000",
        headers=headers,
    )


HI = {"messages": [{"role": "user", "content": "hi"}]}


def test_a_completion_in_openais_shape_with_logprobs_on_request() -> None:
    runtime = Echo()
    client = api(runtime)
    plain = client.post("/v1/chat/completions", json=HI).json()
    assert plain["object"] == "chat.completion" and plain["model"] == "tiny"
    # Fields with nothing to say are null, as OpenAI sends them.
    assert plain["choices"] == [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "ok",
                "reasoning_content": None,
                "tool_calls": None,
            },
            "finish_reason": "stop",
            "logprobs": None,
        }
    ]
    assert plain["usage"] == {"prompt_tokens": 7, "completion_tokens": 0, "total_tokens": 7}
    asked = client.post("/v1/chat/completions", json={**HI, "logprobs": True}).json()
    assert asked["choices"][0]["logprobs"]["content"] == [
        {"token": "o", "logprob": -0.1, "top_logprobs": []},
        {"token": "k", "logprob": -0.2, "top_logprobs": []},
    ]
    listed = client.get("/v1/models").json()
    assert listed["object"] == "list"
    ((card,),) = [listed["data"]]
    assert card == {
        "id": "tiny",
        "object": "model",
        "owned_by": "screenpilot",
        "created": card["created"],
    }
    assert abs(card["created"] - time.time()) < 60  # when the server started


def test_the_request_reaches_the_runtime_as_messages_and_sampling() -> None:
    runtime = Echo()
    body = {
        "model": "whatever",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": png_url(), "detail": "high"}},
                    {"type": "text", "text": "Click OK"},
                ],
            },
        ],
        "temperature": 0.6,
        "top_p": 0.8,
        "top_k": 20,
        "max_completion_tokens": 33,
        "chat_template_kwargs": {"enable_thinking": True},
        "stream_options": None,  # fields it does not use are ignored
    }
    assert api(runtime).post("/v1/chat/completions", json=body).status_code == 200
    ((messages, sampling),) = runtime.asked
    assert [m.role for m in messages] == ["system", "user"]
    assert messages[0].content == ["Be brief."]
    picture, words = messages[1].content
    assert isinstance(picture, Image.Image) and picture.size == (8, 6) and words == "Click OK"
    assert sampling == Sampling(
        temperature=0.6, top_p=0.8, top_k=20, max_new_tokens=33, thinking=True
    )
    # Left out or null, the settings are greedy with 256 new tokens at most.
    api(runtime).post("/v1/chat/completions", json={**HI, "temperature": None})
    assert runtime.asked[-1][1] == Sampling(max_new_tokens=256)


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ({"messages": []}, "`messages`: must be a non-empty list"),
        ({}, "`messages`: Field required"),
        ([HI], "the body must be a JSON object"),
        (
            {"messages": [{"role": "robot", "content": "hi"}]},
            "`messages.0.role`: Input should be 'system', 'developer', 'user', 'assistant' or "
            "'tool'",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "video"}]}]},
            "`messages.0.content.0`: Input tag 'video'",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": "http://example.com/x.png"}}
                        ],
                    }
                ]
            },
            "only data: image URLs are accepted (this server fetches nothing)",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image_url", "image_url": {"url": "data:image/png;base64,@@"}}
                        ],
                    }
                ]
            },
            "an image could not be read",
        ),
        ({**HI, "temperature": "hot"}, "bad sampling settings: `temperature`: Input should be"),
        ({**HI, "top_p": 1.5}, "bad sampling settings: sampling needs"),
        ({**HI, "max_tokens": [1]}, "bad sampling settings: `max_tokens`"),
        ({**HI, "n": 2}, "`n`: this server gives one choice per request"),
        ({**HI, "top_logprobs": 3}, "`top_logprobs` needs `logprobs`: true"),
        ({**HI, "logprobs": True, "top_logprobs": 21}, "`top_logprobs`: Input should be less"),
        ({**HI, "stream_options": {"include_usage": True}}, "only with `stream`: true"),
        ({**HI, "stop": ["\n"]}, "`stop`: stop sequences are not supported here"),
        ({**HI, "tool_choice": "required"}, "`tool_choice`: this server cannot force"),
        (
            {**HI, "tools": [{"type": "function", "function": {"name": "rm -rf"}}]},
            "`tools.0.function.name`: String should match pattern",
        ),
    ],
)
def test_a_request_that_does_not_fit_is_a_400_with_a_sentence(body: object, sentence: str) -> None:
    runtime = Echo()
    reply = api(runtime).post("/v1/chat/completions", json=body)
    assert reply.status_code == 400
    assert sentence in reply.json()["error"]["message"]
    assert runtime.asked == []


def test_a_body_that_is_no_json_is_told_so() -> None:
    client = api(Echo())
    garbled = client.post(
        "/v1/chat/completions", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert garbled.status_code == 400 and "not JSON" in garbled.json()["error"]["message"]
    form = client.post(
        "/v1/chat/completions", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert "sent as application/json" in form.json()["error"]["message"]


def test_an_image_too_large_for_the_model_is_refused_before_it_is_decoded() -> None:
    body = {
        "messages": [
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": png_url(40000, 2)}}],
            }
        ]
    }
    reply = api(Echo()).post("/v1/chat/completions", json=body)
    # The client's fault, so a 400: a 500 would be tried again for nothing.
    assert reply.status_code == 400 and "too large" in reply.json()["error"]["message"]


def test_a_failing_model_is_a_500_that_names_the_failure() -> None:
    class Broken(Echo):
        def generate(
            self,
            messages: Sequence[Message],
            sampling: Sampling = GREEDY,
            *,
            logprobs: bool = False,
        ) -> Generation:
            raise RuntimeError("CUDA out of memory")

    reply = api(Broken()).post("/v1/chat/completions", json=HI)
    assert reply.status_code == 500
    assert reply.json() == {"error": {"message": "RuntimeError: CUDA out of memory"}}


def test_the_key_is_needed_on_every_path_when_one_is_set() -> None:
    keyed = api(Echo(), key="sekrit", host="gpu-box")  # with a key, any Host is fine
    assert keyed.get("/v1/models").status_code == 200
    for key in (None, "wrong"):
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        anonymous = TestClient(keyed.app, base_url="http://gpu-box")
        for reply in (
            anonymous.get("/v1/models", headers=headers),
            anonymous.post("/v1/chat/completions", json=HI, headers=headers),
            anonymous.get("/openapi.json", headers=headers),
        ):
            assert reply.status_code == 401 and reply.headers["WWW-Authenticate"] == "Bearer"
            assert reply.json() == {"error": {"message": "missing or wrong API key"}}


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_without_a_key_loopback_names_are_served(host: str) -> None:
    assert api(Echo(), host=host).get("/v1/models").status_code == 200


def test_without_a_key_another_name_for_this_machine_is_refused() -> None:
    # A page on evil.example whose name now points at 127.0.0.1 (DNS rebinding).
    reply = api(Echo(), host="evil.example").post("/v1/chat/completions", json=HI)
    assert reply.status_code == 403 and "loopback names" in reply.json()["error"]["message"]


def test_sizes_paths_and_methods_it_does_not_serve() -> None:
    client = api(Echo())
    big = client.post(
        "/v1/chat/completions", content=b"{}", headers={"Content-Length": str(MAX_BODY + 1)}
    )
    assert big.status_code == 413 and "request over" in big.json()["error"]["message"]
    missing = client.get("/v1/embeddings")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"message": "no /v1/embeddings here"}}
    wrong = client.get("/v1/chat/completions")
    assert wrong.status_code == 405 and "GET" in wrong.json()["error"]["message"]


def test_the_openapi_document_describes_requests_and_replies() -> None:
    document = api(Echo()).get("/openapi.json").json()
    chat = document["paths"]["/v1/chat/completions"]["post"]
    assert chat["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ChatRequest"
    )
    ok = chat["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ok.endswith("/ChatCompletion")
    assert chat["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorReply"
    )
    models = document["paths"]["/v1/models"]["get"]["responses"]["200"]
    assert models["content"]["application/json"]["schema"]["$ref"].endswith("/ModelList")
    schemas = document["components"]["schemas"]
    assert {"ChatCompletion", "ChatRequest", "ModelList", "Usage", "ImagePart"} <= set(schemas)
    content = schemas["ChatMessage"]["properties"]["content"]
    assert {"type": "string"} in content["anyOf"]  # plain text, or a list of parts

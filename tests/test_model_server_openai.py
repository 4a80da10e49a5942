"""`serve-model` through the official `openai` SDK, on loopback: whole and streamed answers,
reasoning apart from content, tool calls, log-probabilities, finish reasons, usage, the model
list and the key. A scripted runtime (fast tier) says exactly what is wanted; the tiny random
Qwen3-VL (integration tier) shows the local runtime really streams."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from screenpilot.models.parsing import split_thinking
from screenpilot.models.prompts import tool_declaration, tool_system_prompt, tools_system_prompt
from screenpilot.models.runtime import (
    GREEDY,
    FinishReason,
    Generation,
    Message,
    Sampling,
    TokenLogprob,
)
from screenpilot.web.answer_parts import AnswerStream, Piece, take_apart
from screenpilot.web.model_server import ModelServer

KEY = "sekrit-key-for-tests"

THOUGHT_AND_CALL = (
    "<think>\nThe user wants the weather in Paris.\n</think>\n\n"
    "I will look it up.\n<tool_call>\n"
    '{"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}\n</tool_call>'
)
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The forecast for a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
}


def _alternatives(step: int) -> tuple[tuple[str, float], ...]:
    return tuple((f"t{step}.{k}", -0.25 * (k + 1) - step) for k in range(5))


class Scripted:
    """Answers `raw`, heard three characters at a time (tags cut in half on purpose), with
    five alternatives per token when log-probabilities are asked; keeps what it was sent."""

    def __init__(
        self,
        raw: str = "Hello there, world.",
        *,
        finish: FinishReason = "stop",
        fail_after: int | None = None,
        pause: float = 0.0,
    ) -> None:
        self.raw, self.finish, self.fail_after, self.pause = raw, finish, fail_after, pause
        self.sent: list[tuple[Sequence[Message], Sampling]] = []
        self.stopped_by: BaseException | None = None
        self.released = threading.Event()
        self.released.set()

    def generate(
        self,
        messages: Sequence[Message],
        sampling: Sampling = GREEDY,
        *,
        logprobs: bool = False,
        on_text: Any = None,
    ) -> Generation:
        self.sent.append((messages, sampling))
        pieces = [self.raw[i : i + 3] for i in range(0, len(self.raw), 3)]
        if on_text is not None:
            for n, piece in enumerate(pieces):
                if n == self.fail_after:
                    raise RuntimeError("CUDA out of memory")
                try:
                    on_text(piece)
                except Exception as error:  # what stops generation: kept for the test
                    self.stopped_by = error
                    raise
                if n == 0:
                    assert self.released.wait(10), "the test never let the model go on"
                time.sleep(self.pause)
        tokens = [
            TokenLogprob(p, _alternatives(i)[0][1], _alternatives(i)) for i, p in enumerate(pieces)
        ]
        return Generation.from_raw(
            self.raw,
            tokens=tokens if logprobs else None,
            prompt_tokens=11,
            completion_tokens=len(pieces) + (self.finish == "stop"),
            finish_reason=self.finish,
        )


class Whole(Scripted):
    """A runtime that cannot stream: its `generate` takes no `on_text`."""

    def generate(  # type: ignore[override]
        self, messages: Sequence[Message], sampling: Sampling = GREEDY, *, logprobs: bool = False
    ) -> Generation:
        return super().generate(messages, sampling, logprobs=logprobs)


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ModelServer] = []

    def start(runtime: Any) -> openai.OpenAI:
        server = ModelServer(runtime, model_name="scripted", port=0, api_key=KEY).start()
        servers.append(server)
        return openai.OpenAI(base_url=server.url, api_key=KEY, max_retries=0, timeout=30)

    yield start
    for server in servers:
        server.close()


HI: list[Any] = [{"role": "user", "content": "What is the weather in Paris?"}]


def _text(message: Message) -> str:
    assert all(isinstance(part, str) for part in message.content)
    return "".join(str(part) for part in message.content)


def _collect(stream: Any) -> dict[str, Any]:
    """A stream's chunks joined: the text of each part, the tool calls, the finish reason,
    the log-probabilities, the usage, and how many chunks carried content."""
    got: dict[str, Any] = {"content": "", "reasoning": "", "calls": [], "logprobs": []}
    got.update(roles=[], finish=[], usage=None, content_chunks=0, chunks=0)
    for chunk in stream:
        assert chunk.object == "chat.completion.chunk" and chunk.model == "scripted"
        got["chunks"] += 1
        if not chunk.choices:
            got["usage"] = chunk.usage
            continue
        (choice,) = chunk.choices
        delta = choice.delta
        if delta.role:
            got["roles"].append(delta.role)
        if delta.content:
            got["content"] += delta.content
            got["content_chunks"] += 1
        got["reasoning"] += getattr(delta, "reasoning_content", None) or ""
        got["calls"] += delta.tool_calls or []
        if choice.logprobs:
            got["logprobs"] += choice.logprobs.content
        if choice.finish_reason:
            got["finish"].append(choice.finish_reason)
    return got


def test_the_streamed_answer_is_the_whole_one_in_pieces(serve: Any) -> None:
    runtime = Scripted("<think>Paris, in June.</think>\n\nIt will be sunny <b>all</b> week.")
    client = serve(runtime)
    whole = client.chat.completions.create(model="scripted", messages=HI)
    (choice,) = whole.choices
    assert choice.message.content == "It will be sunny <b>all</b> week."
    assert choice.message.reasoning_content == "Paris, in June."
    assert choice.finish_reason == "stop" and choice.message.tool_calls is None
    # The runtime's own split of the answer, which the agent uses.
    assert Generation.from_raw(runtime.raw).text == choice.message.content
    assert Generation.from_raw(runtime.raw).thinking == "Paris, in June."
    pieces = -(-len(runtime.raw) // 3)  # the scripted runtime's tokens, and its turn's end
    assert whole.usage is not None
    assert (whole.usage.prompt_tokens, whole.usage.completion_tokens) == (11, pieces + 1)
    assert whole.usage.total_tokens == 11 + pieces + 1

    streamed = _collect(client.chat.completions.create(model="scripted", messages=HI, stream=True))
    assert streamed["roles"] == ["assistant"]
    assert streamed["content"] == choice.message.content
    assert streamed["reasoning"] == "Paris, in June."
    assert streamed["content_chunks"] > 5  # in pieces as they came, not in one lump
    assert streamed["finish"] == ["stop"] and streamed["calls"] == []
    assert streamed["usage"] is None  # not asked for


def test_the_stream_is_sent_while_the_model_is_still_writing(serve: Any) -> None:
    runtime = Scripted("Hello there, world.")
    runtime.released.clear()  # the model stops after its first piece until told to go on
    client = serve(runtime)
    stream = client.chat.completions.create(model="scripted", messages=HI, stream=True)
    chunks = iter(stream)
    assert next(chunks).choices[0].delta.role == "assistant"
    assert next(chunks).choices[0].delta.content == "Hel"  # heard before the rest exists
    runtime.released.set()
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "lo there, world."
    )


def test_a_runtime_that_cannot_stream_sends_its_answer_once_it_is_whole(serve: Any) -> None:
    client = serve(Whole("<think>hm</think>Done."))
    streamed = _collect(client.chat.completions.create(model="scripted", messages=HI, stream=True))
    assert (streamed["reasoning"], streamed["content"]) == ("hm", "Done.")
    assert streamed["finish"] == ["stop"]


def test_usage_comes_last_in_a_stream_when_asked(serve: Any) -> None:
    client = serve(Scripted("Twelve chars"))
    streamed = _collect(
        client.chat.completions.create(
            model="scripted", messages=HI, stream=True, stream_options={"include_usage": True}
        )
    )
    usage = streamed["usage"]
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (11, 5, 16)


def test_an_answer_cut_short_finishes_with_length(serve: Any) -> None:
    client = serve(Scripted("A long story that goes on", finish="length"))
    whole = client.chat.completions.create(model="scripted", messages=HI, max_tokens=9)
    assert whole.choices[0].finish_reason == "length"
    streamed = _collect(
        client.chat.completions.create(model="scripted", messages=HI, max_tokens=9, stream=True)
    )
    assert streamed["finish"] == ["length"]


def test_tools_are_declared_as_qwen_expects_and_calls_come_back_as_tool_calls(
    serve: Any,
) -> None:
    runtime = Scripted(THOUGHT_AND_CALL)
    client = serve(runtime)
    asked = [{"role": "system", "content": "Be brief."}, *HI]
    whole = client.chat.completions.create(model="scripted", messages=asked, tools=[WEATHER])
    (choice,) = whole.choices
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "I will look it up."
    assert choice.message.reasoning_content == "The user wants the weather in Paris."
    assert choice.message.tool_calls is not None
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris", "days": 2}
    # The system turn: the caller's text, then the tools block of Qwen3-VL's chat template.
    system, user = runtime.sent[0][0]
    assert system.role == "system" and user.role == "user"
    assert _text(system) == "Be brief.\n\n" + tools_system_prompt([WEATHER])
    assert '<tools>\n{"type": "function", "function": {"name": "get_weather"' in _text(system)

    streamed = _collect(
        client.chat.completions.create(model="scripted", messages=HI, tools=[WEATHER], stream=True)
    )
    assert streamed["content"] == "I will look it up."
    assert streamed["reasoning"] == "The user wants the weather in Paris."
    assert streamed["finish"] == ["tool_calls"]
    (call,) = streamed["calls"]
    assert (call.index, call.type, call.function.name) == (0, "function", "get_weather")
    assert json.loads(call.function.arguments) == {"city": "Paris", "days": 2}
    # Without a system turn of its own the request gets one that only declares the tools.
    assert [m.role for m in runtime.sent[1][0]] == ["system", "user"]
    assert _text(runtime.sent[1][0][0]) == tools_system_prompt([WEATHER])


def test_the_tools_block_is_the_one_the_agent_prompt_opens_with() -> None:
    for tool in ("computer_use", "mobile_use"):
        block = tools_system_prompt([tool_declaration(tool)])
        assert tool_system_prompt(tool).startswith(block)
        assert block.endswith("</tool_call>")


@pytest.mark.parametrize(
    ("raw", "choice"),
    [
        ('<tool_call>\n{"name": "get_weather", "arguments": {"city": \n</tool_call>', "auto"),
        ('<tool_call>\n{"arguments": {"city": "Paris"}}\n</tool_call>', "auto"),
        ('<tool_call>\n{"name": "get_weather", "arguments": {}}', "auto"),  # never closed
        ('<tool_call>\n{"name": "get_weather", "arguments": {}}\n</tool_call>', "none"),
    ],
)
def test_a_call_that_cannot_be_read_or_was_not_wanted_stays_content(
    serve: Any, raw: str, choice: str
) -> None:
    runtime = Scripted(raw)
    client = serve(runtime)
    whole = client.chat.completions.create(
        model="scripted",
        messages=HI,
        tools=[WEATHER],
        tool_choice=choice,
    )
    assert whole.choices[0].message.content == raw
    assert whole.choices[0].message.tool_calls is None
    assert whole.choices[0].finish_reason == "stop"
    streamed = _collect(
        client.chat.completions.create(
            model="scripted",
            messages=HI,
            tools=[WEATHER],
            tool_choice=choice,
            stream=True,
        )
    )
    assert streamed["content"] == raw and streamed["calls"] == []
    if choice == "none":  # not declared to the model at all
        assert [m.role for m in runtime.sent[0][0]] == ["user"]


def test_a_conversation_with_tool_results_reaches_the_model_in_qwens_format(
    serve: Any,
) -> None:
    runtime = Scripted("It is sunny.")
    client = serve(runtime)
    history: list[Any] = [
        {"role": "developer", "content": "Be brief."},
        *HI,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Lyon"}'},
                },
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 24 C"},
        {"role": "tool", "tool_call_id": "call_2", "content": "rain, 17 C"},
    ]
    whole = client.chat.completions.create(model="scripted", messages=history, tools=[WEATHER])
    assert whole.choices[0].message.content == "It is sunny."
    turns = runtime.sent[0][0]
    assert [m.role for m in turns] == ["system", "user", "assistant", "user"]
    assert _text(turns[0]).startswith("Be brief.\n\n# Tools")
    assert _text(turns[2]) == (
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Lyon"}}\n</tool_call>'
    )
    assert _text(turns[3]) == (
        "<tool_response>\nsunny, 24 C\n</tool_response>\n"
        "<tool_response>\nrain, 17 C\n</tool_response>"
    )


@pytest.mark.parametrize(("asked", "kept"), [(0, 0), (3, 3), (5, 5), (20, 5)])
def test_top_logprobs_are_the_runtimes_best_alternatives(serve: Any, asked: int, kept: int) -> None:
    runtime = Scripted("Hello there.")
    client = serve(runtime)
    whole = client.chat.completions.create(
        model="scripted", messages=HI, logprobs=True, top_logprobs=asked
    )
    logprobs = whole.choices[0].logprobs
    assert logprobs is not None and logprobs.content is not None
    streamed = _collect(
        client.chat.completions.create(
            model="scripted", messages=HI, logprobs=True, top_logprobs=asked, stream=True
        )
    )
    for entries in (logprobs.content, streamed["logprobs"]):
        assert [e.token for e in entries] == ["Hel", "lo ", "the", "re."]
        for step, entry in enumerate(entries):
            assert entry.logprob == _alternatives(step)[0][1]
            assert [(t.token, t.logprob) for t in entry.top_logprobs] == list(
                _alternatives(step)[:kept]
            )
    plain = client.chat.completions.create(model="scripted", messages=HI)
    assert plain.choices[0].logprobs is None


def test_the_model_list_and_the_key(serve: Any) -> None:
    client = serve(Scripted())
    assert [m.id for m in client.models.list()] == ["scripted"]
    stranger = openai.OpenAI(base_url=str(client.base_url), api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        stranger.chat.completions.create(model="scripted", messages=HI)
    assert refused.value.status_code == 401
    assert "missing or wrong API key" in str(refused.value)
    with pytest.raises(openai.AuthenticationError):
        stranger.models.list()
    with pytest.raises(openai.AuthenticationError):
        stranger.chat.completions.create(model="scripted", messages=HI, stream=True)


def test_bad_requests_are_400s_that_say_why(serve: Any) -> None:
    client = serve(Scripted())
    cases: list[tuple[dict[str, Any], str]] = [
        ({"n": 2}, "one choice per request"),
        ({"top_logprobs": 2}, "`top_logprobs` needs `logprobs`: true"),
        ({"stop": "\n"}, "stop sequences are not supported"),
        ({"tool_choice": "required", "tools": [WEATHER]}, "cannot force a tool call"),
        ({"max_tokens": 10**9}, "at most 40960 answer tokens"),
        ({"max_tokens": 0}, "bad sampling settings"),
        ({"top_p": 0}, "bad sampling settings"),  # 0 is no default: it is refused
    ]
    for extra, sentence in cases:
        with pytest.raises(openai.BadRequestError, match=sentence) as refused:
            client.chat.completions.create(model="scripted", messages=HI, **extra)
        assert refused.value.status_code == 400


def test_the_event_stream_on_the_wire(serve: Any) -> None:
    client = serve(Scripted("Hi."))
    with httpx.stream(
        "POST",
        f"{client.base_url}chat/completions",
        json={"messages": HI, "stream": True},
        headers={"Authorization": f"Bearer {KEY}"},
    ) as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        body = reply.read().decode()
    events = body.split("\n\n")
    assert events[-2:] == ["data: [DONE]", ""]
    assert all(e.startswith("data: ") for e in events[:-1])
    first, *_, last = (json.loads(e.removeprefix("data: ")) for e in events[:-2])
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert last["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }


def test_a_model_that_fails_is_a_500_before_the_stream_and_an_error_event_in_it(
    serve: Any,
) -> None:
    client = serve(Scripted("Hello there.", fail_after=0))
    with pytest.raises(openai.InternalServerError, match="CUDA out of memory"):
        client.chat.completions.create(model="scripted", messages=HI, stream=True)
    client = serve(Scripted("Hello there.", fail_after=2))
    stream = client.chat.completions.create(model="scripted", messages=HI, stream=True)
    with pytest.raises(openai.APIError, match="CUDA out of memory"):
        for _ in stream:
            pass


def test_a_client_that_leaves_a_stream_stops_the_model(serve: Any) -> None:
    runtime = Scripted("word " * 1500, pause=0.01)  # 15 s of words, if nobody stops it
    client = serve(runtime)
    stream = client.chat.completions.create(model="scripted", messages=HI, stream=True)
    for n, _ in enumerate(stream):
        if n == 3:
            break
    stream.close()
    deadline = time.monotonic() + 10  # a loaded machine may be slow to see the hang-up
    while runtime.stopped_by is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert type(runtime.stopped_by).__name__ == "ClientLeftError"
    # The model is free again for the next client.
    assert client.chat.completions.create(model="scripted", messages=HI).choices


_BITS = st.sampled_from(
    ["<think>", "</think>", "<tool_call>", "</tool_call>", '{"name": "f", "arguments": {}}',
     "<", "{", "}", " ", "\n", "a", "Hello", "é"]
)  # fmt: skip


@given(
    bits=st.lists(_BITS, max_size=20),
    cuts=st.lists(st.integers(1, 7), max_size=40),
    thinking=st.booleans(),
    tools=st.booleans(),
)
def test_an_answer_streamed_in_any_pieces_is_taken_apart_as_the_whole_one(
    bits: list[str], cuts: list[int], thinking: bool, tools: bool
) -> None:
    raw = "".join(bits)
    stream, at = AnswerStream(thinking=thinking, tools=tools), 0
    got: list[Piece] = []
    for size in [*cuts, len(raw)]:
        got += stream.feed(raw[at : at + size])
        at += size
    rest, calls = stream.finish()
    parts = {"reasoning": "", "content": ""}
    for piece in [*got, *rest]:
        parts[piece.kind] += piece.text
    whole = take_apart(raw, thinking=thinking, tools=tools)
    assert (parts["reasoning"], parts["content"], calls) == (
        whole.reasoning,
        whole.content,
        whole.calls,
    )


@given(
    thought=st.text(st.sampled_from("ab \n<>/"), max_size=12),
    answer=st.text(st.sampled_from("ab \n<>/"), max_size=12),
    opened=st.booleans(),
)
def test_a_well_formed_answer_is_split_as_the_runtimes_split_it(
    thought: str, answer: str, opened: bool
) -> None:
    raw = ("" if opened else "<think>") + f"{thought}</think>{answer}"
    assume("think>" not in thought + answer)  # well-formed: one block, closed
    whole = take_apart(raw, thinking=opened)
    assert (whole.reasoning, whole.content) == split_thinking(raw)


# --- the tiny random Qwen3-VL, streamed for real (integration tier) ----------------------------


@pytest.fixture(scope="module")
def tiny_server(tiny_qwen: Path) -> Iterator[tuple[openai.OpenAI, Any]]:
    from screenpilot.models.local import LocalRuntime

    runtime = LocalRuntime(tiny_qwen)
    with ModelServer(runtime, model_name="scripted", port=0, api_key=KEY) as server:
        yield openai.OpenAI(base_url=server.url, api_key=KEY, max_retries=0, timeout=60), runtime


@pytest.mark.integration
def test_the_local_runtime_hears_its_answer_token_by_token(
    tiny_server: tuple[openai.OpenAI, Any],
) -> None:
    _, runtime = tiny_server
    heard: list[int] = []
    for prompt in ("Click the Submit button", "What is the weather in Paris?", "hi"):
        pieces: list[str] = []
        result = runtime.generate(
            [Message.user(prompt)], Sampling(max_new_tokens=24), on_text=pieces.append
        )
        # The pieces make the answer exactly, and listening changes nothing the model says.
        assert "".join(pieces).strip() == result.raw
        assert (
            result.raw == runtime.generate([Message.user(prompt)], Sampling(max_new_tokens=24)).raw
        )
        heard.append(len(pieces))
    # Random weights write broken UTF-8 too, held until a character is whole; but not always.
    assert max(heard) > 6


@pytest.mark.integration
def test_the_tiny_model_streamed_and_whole_say_the_same(
    tiny_server: tuple[openai.OpenAI, Any],
) -> None:
    client, _ = tiny_server
    asked: dict[str, Any] = {"model": "scripted", "messages": HI, "max_tokens": 12}
    whole = client.chat.completions.create(**asked, logprobs=True, top_logprobs=5)
    (choice,) = whole.choices
    assert choice.finish_reason == "length"  # the random model never ends its turn this soon
    assert whole.usage is not None and whole.usage.completion_tokens == 12
    assert choice.logprobs is not None and choice.logprobs.content is not None
    assert len(choice.logprobs.content) == 12
    for entry in choice.logprobs.content:
        assert len(entry.top_logprobs) == 5
        # Greedy: the token picked is the likeliest one.
        assert (entry.top_logprobs[0].token, entry.top_logprobs[0].logprob) == pytest.approx(
            (entry.token, entry.logprob)
        )
    streamed = _collect(
        client.chat.completions.create(**asked, stream=True, stream_options={"include_usage": True})
    )
    assert streamed["content"] == (choice.message.content or "")
    assert streamed["reasoning"] == (getattr(choice.message, "reasoning_content", None) or "")
    assert streamed["chunks"] > 4 and streamed["finish"] == ["length"]
    assert streamed["usage"].completion_tokens == 12
    assert streamed["usage"].prompt_tokens == whole.usage.prompt_tokens


def test_zero_settings_are_kept_not_taken_for_defaults(serve: Any) -> None:
    runtime = Scripted("Hi.")
    client = serve(runtime)
    client.chat.completions.create(model="scripted", messages=HI, temperature=0, max_tokens=7)
    sampling = runtime.sent[0][1]
    assert sampling.greedy and sampling.max_new_tokens == 7


def test_too_many_images_are_refused_before_any_is_decoded(serve: Any) -> None:
    runtime = Scripted()
    client = serve(runtime)
    pixel = "data:image/png;base64,not-even-decoded"
    parts = [{"type": "image_url", "image_url": {"url": pixel}} for _ in range(9)]
    with pytest.raises(openai.BadRequestError, match="9 images in one request; at most 8"):
        client.chat.completions.create(
            model="scripted", messages=[{"role": "user", "content": parts}]
        )
    assert runtime.sent == []


def test_earlier_calls_are_written_back_as_json_whatever_their_name(serve: Any) -> None:
    runtime = Scripted("ok")
    client = serve(runtime)

    def history(name: str, arguments: str) -> list[Any]:
        call = {"id": "c1", "type": "function", "function": {"name": name, "arguments": arguments}}
        return [*HI, {"role": "assistant", "content": None, "tool_calls": [call]}]

    client.chat.completions.create(model="scripted", messages=history('a"b', '{"x": 1}'))
    written = _text(runtime.sent[0][0][1])
    assert json.loads(written.split("\n")[1]) == {"name": 'a"b', "arguments": {"x": 1}}
    with pytest.raises(openai.BadRequestError, match="must be a JSON object"):
        client.chat.completions.create(model="scripted", messages=history("f", "not json"))


def test_a_runtime_that_says_it_streams_is_streamed_through_a_wrapper(serve: Any) -> None:
    inner = Scripted("Hello there.")

    class Wrapped:  # forwards everything: its signature names no on_text
        streams = True

        def generate(self, *args: Any, **options: Any) -> Generation:
            return inner.generate(*args, **options)

    client = serve(Wrapped())
    chunks = list(client.chat.completions.create(model="scripted", messages=HI, stream=True))
    texts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(texts) > 1 and "".join(texts) == "Hello there."  # in pieces, as written

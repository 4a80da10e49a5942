"""From what a runtime answered to what `serve-model` replies: a whole `chat.completion`, or
the server-sent events of a streamed one while the model is still writing it.

Both take the answer apart the same way (`answer_parts`), so a streamed answer joins into
exactly the message the whole reply would have held. The finish reason is `length` when the
model ran into `max_tokens`, else `tool_calls` when it called tools, else `stop`. The usage
is always counted; a stream sends it as its last chunk when asked
(`stream_options.include_usage`). In a stream the log-probabilities come with the chunk
that carries the finish reason: the runtime hears text, not tokens, as it goes.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool

from screenpilot.models.runtime import Generation, TokenLogprob
from screenpilot.web.answer_parts import AnswerStream, CalledTool, Piece, take_apart
from screenpilot.web.chat_format import (
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChoiceLogprobs,
    ChunkChoice,
    Delta,
    ErrorReply,
    FinishReason,
    FunctionCall,
    TokenChance,
    ToolCall,
    ToolCallDelta,
    TopChance,
    Usage,
)

log = logging.getLogger(__name__)

#: Runs the model: given a callback for its text as it comes (or None), returns the answer.
Generate = Callable[[Callable[[str], None] | None], Generation]


class ClientLeftError(Exception):
    """Raised into a generation whose stream nobody reads any more, to stop it."""


class Generating(threading.Thread):
    """A generation on a thread of its own, so its text can be sent while it is made.
    `events` gets each piece of text as it comes (from a runtime that streams), then the
    `Generation`, or the exception that ended it."""

    def __init__(self, generate: Generate, *, streams: bool) -> None:
        super().__init__(daemon=True)
        self._generate, self._streams = generate, streams
        self.events: queue.SimpleQueue[str | Generation | BaseException] = queue.SimpleQueue()
        self.left = threading.Event()  # the client is gone: stop at the next piece

    def _hear(self, text: str) -> None:
        if self.left.is_set():
            raise ClientLeftError
        self.events.put(text)

    def run(self) -> None:
        try:
            self.events.put(self._generate(self._hear if self._streams else None))
        except BaseException as error:  # handed to the stream, which tells the client
            self.events.put(error)


def _logprobs(tokens: list[TokenLogprob] | None, top: int) -> ChoiceLogprobs | None:
    if tokens is None:
        return None
    return ChoiceLogprobs(
        content=[
            TokenChance(
                token=t.text,
                logprob=t.logprob,
                top_logprobs=[TopChance(token=text, logprob=p) for text, p in t.top[:top]],
            )
            for t in tokens
        ]
    )


def _usage(result: Generation) -> Usage:
    generated = result.completion_tokens or len(result.tokens or [])
    return Usage(
        prompt_tokens=result.prompt_tokens,
        completion_tokens=generated,
        total_tokens=result.prompt_tokens + generated,
    )


def _finish(result: Generation, calls: list[CalledTool]) -> FinishReason:
    if result.finish_reason == "length":
        return "length"
    return "tool_calls" if calls else "stop"


def _call(called: CalledTool) -> FunctionCall:
    return FunctionCall(name=called.name, arguments=called.arguments)


def _call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


def _unstreamed(raw: str, streamed: str) -> str:
    """What of the answer was not heard while it was made: all of it, from a runtime that
    does not stream. The runtime trims the answer it returns, not the pieces it streamed."""
    head = streamed.lstrip()
    if raw.startswith(head):
        return raw[len(head) :]
    if not head.startswith(raw):
        log.warning("the streamed answer differs from the one returned; the streamed one stands")
    return ""


def _error_event(error: BaseException) -> str:
    reply = ErrorReply.model_validate({"error": {"message": f"{type(error).__name__}: {error}"}})
    return f"data: {reply.model_dump_json()}\n\n"


class Reply:
    """One completion: its id, time and model, and how an answer is told in it.
    `thinking`: the prompt opened `<think>`; `tools`: tool calls are read out of the answer;
    `top`: alternatives kept per token."""

    def __init__(self, model: str, *, thinking: bool, tools: bool, top: int) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex[:16]}"
        self.created, self.model = int(time.time()), model
        self.thinking, self.tools, self.top = thinking, tools, top

    def whole(self, result: Generation) -> ChatCompletion:
        """The answer as one `chat.completion`."""
        answer = take_apart(result.raw, thinking=self.thinking, tools=self.tools)
        calls = [ToolCall(id=_call_id(), function=_call(c)) for c in answer.calls]
        message = AssistantMessage(
            content=answer.content or (None if calls else ""),
            reasoning_content=answer.reasoning or None,
            tool_calls=calls or None,
        )
        choice = Choice(
            message=message,
            finish_reason=_finish(result, answer.calls),
            logprobs=_logprobs(result.tokens, self.top),
        )
        return ChatCompletion(
            id=self.id, created=self.created, model=self.model, choices=[choice],
            usage=_usage(result),
        )  # fmt: skip

    async def events(
        self, run: Generating, first: str | Generation, *, include_usage: bool
    ) -> AsyncIterator[str]:
        """The server-sent events of the answer `run` is making, whose first event came:
        the role, reasoning and content as they come, the tool calls, the finish reason,
        the usage if asked, then `[DONE]`. A failure midway is an error event, as OpenAI
        sends one. Closing this stops the generation."""
        answer = AnswerStream(thinking=self.thinking, tools=self.tools)
        try:
            yield self._chunk(Delta(role="assistant", content=""))
            streamed: list[str] = []
            event: str | Generation | BaseException = first
            while isinstance(event, str):
                streamed.append(event)
                for chunk in self._pieces(answer.feed(event)):
                    yield chunk
                event = await run_in_threadpool(run.events.get)
            if isinstance(event, BaseException):
                log.warning("the model failed while streaming: %s", event)
                yield _error_event(event)
                return
            pieces = answer.feed(_unstreamed(event.raw, "".join(streamed)))
            rest, calls = answer.finish()
            for chunk in self._pieces(pieces + rest):
                yield chunk
            if calls:
                deltas = [
                    ToolCallDelta(index=i, id=_call_id(), function=_call(c))
                    for i, c in enumerate(calls)
                ]
                yield self._chunk(Delta(tool_calls=deltas))
            yield self._chunk(
                Delta(),
                finish_reason=_finish(event, calls),
                logprobs=_logprobs(event.tokens, self.top),
            )
            if include_usage:
                yield self._event([], _usage(event))
            yield "data: [DONE]\n\n"
        finally:
            run.left.set()

    def _pieces(self, pieces: list[Piece]) -> list[str]:
        return [
            self._chunk(
                Delta(reasoning_content=p.text) if p.kind == "reasoning" else Delta(content=p.text)
            )
            for p in pieces
        ]

    def _chunk(self, delta: Delta, **choice: Any) -> str:
        return self._event([ChunkChoice(delta=delta, **choice)])

    def _event(self, choices: list[ChunkChoice], usage: Usage | None = None) -> str:
        chunk = ChatCompletionChunk(
            id=self.id, created=self.created, model=self.model, choices=choices, usage=usage
        )
        return f"data: {chunk.model_dump_json()}\n\n"

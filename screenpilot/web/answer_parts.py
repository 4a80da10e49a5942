"""A model's raw answer taken apart for the OpenAI chat format: its reasoning, its content and
its tool calls, the same whether the answer comes whole or piece by piece as it streams.

- `<think>...</think>` is reasoning. When the prompt opened `<think>` (thinking mode) the
  answer starts inside it; a block never closed stays reasoning (the model was cut off
  while thinking, so no answer had begun).
- With tools declared, each `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` block
  of the content is a tool call, and the text around the blocks stays content. Content is
  sent as it comes up to the first `<tool_call>`; from there it is held until the answer
  ends, when the blocks are read. If one cannot be read (broken JSON, no name, never closed)
  the held text goes out as content, tags and all: nothing the model wrote is lost.
- Reasoning and content lose their leading and trailing whitespace, as the runtimes trim
  the answer.

For a well-formed answer the reasoning and content are what `split_thinking` makes of it
(the runtimes' `Generation.thinking` and `.text`). They differ on a block never closed (the
answer, there) and on a `</think>` with no `<think>` before it when the prompt opened none
(split there; here it stays in the content, as a stream cannot take back what it sent).
Tool-call JSON is read with `parsing.json_values`, which bounds what it reads: model output
is data, never evaluated.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Literal

from screenpilot.models.parsing import ModelParseError, json_values

THINK, THOUGHT_END, TOOL_CALL = "<think>", "</think>", "<tool_call>"
_BLOCK = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)

Kind = Literal["reasoning", "content"]


@dataclass(frozen=True)
class Piece:
    """Text to send, and which part of the answer it belongs to."""

    kind: Kind
    text: str


@dataclass(frozen=True)
class CalledTool:
    """A function the model called: its name and its arguments as a JSON text."""

    name: str
    arguments: str


@dataclass(frozen=True)
class Answer:
    """A whole answer, taken apart."""

    reasoning: str
    content: str
    calls: list[CalledTool] = field(default_factory=list)


def _cut(text: str, tags: tuple[str, ...]) -> tuple[str, str | None, str]:
    """(text before the first of `tags`, that tag, text after it). Without a tag, the end of
    `text` that may be the start of one is kept back as the third part."""
    found = [(at, tag) for tag in tags if (at := text.find(tag)) >= 0]
    if found:
        at, tag = min(found)
        return text[:at], tag, text[at + len(tag) :]
    keep = 0  # the longest end of `text` that a tag starts with
    for tag in tags:
        for n in range(min(len(tag) - 1, len(text)), keep, -1):
            if text.endswith(tag[:n]):
                keep = n
                break
    return text[: len(text) - keep], None, text[len(text) - keep :]


class _Trimmed:
    """Text passed on as it comes, less its leading and trailing whitespace: whitespace is
    held until something other than whitespace follows it."""

    def __init__(self) -> None:
        self.started = False
        self._held = ""

    def feed(self, text: str) -> str:
        if not self.started:
            text = text.lstrip()
            if not text:
                return ""
            self.started = True
        text = self._held + text
        body = text.rstrip()
        self._held = text[len(body) :]
        return body


def read_tool_calls(text: str) -> tuple[list[CalledTool], str] | None:
    """The tool calls in `text` and the text around them, or None when a `<tool_call>` block
    is not a readable call."""
    calls: list[CalledTool] = []
    outside: list[str] = []
    last = 0
    for block in _BLOCK.finditer(text):
        outside.append(text[last : block.start()])
        last = block.end()
        call = _called(block.group(1))
        if call is None:
            return None
        calls.append(call)
    rest = text[last:]
    if TOOL_CALL in rest:  # a block never closed: cut off, or not a call at all
        return None
    return calls, "".join([*outside, rest])


def _called(body: str) -> CalledTool | None:
    try:
        values = json_values(body)
    except ModelParseError:
        return None
    if len(values) != 1 or not isinstance(values[0], dict):
        return None
    name, arguments = values[0].get("name"), values[0].get("arguments", {})
    if not isinstance(name, str) or not name or not isinstance(arguments, dict):
        return None
    return CalledTool(name, json.dumps(arguments, ensure_ascii=False))


class AnswerStream:
    """Takes an answer apart as its text arrives: `feed` each piece, then `finish`."""

    def __init__(self, *, thinking: bool = False, tools: bool = False) -> None:
        self._thinking = thinking  # inside a <think> block
        self._tools = tools
        self._raw = ""  # answer text not routed yet: it may end in half a tag
        self._content = ""  # content not passed on yet: it may end in half a <tool_call>
        self._calls: str | None = None  # the content from the first <tool_call> on
        self._trimmed: dict[Kind, _Trimmed] = {"reasoning": _Trimmed(), "content": _Trimmed()}

    def feed(self, text: str) -> list[Piece]:
        """What can be sent now that `text` has come."""
        out: list[Piece] = []
        self._raw += text
        while True:
            # Inside a block a second <think> means nothing and is dropped.
            tags = (THOUGHT_END, THINK) if self._thinking else (THINK,)
            before, tag, self._raw = _cut(self._raw, tags)
            self._route(before, out)
            if tag is None:
                return out
            if tag == THOUGHT_END:
                self._thinking = False
            elif not self._thinking:
                self._thinking = True
                if self._trimmed["reasoning"].started:  # blocks apart, as `split_thinking` has them
                    self._send("reasoning", "\n", out)

    def finish(self) -> tuple[list[Piece], list[CalledTool]]:
        """The rest of the answer, and its tool calls."""
        out: list[Piece] = []
        self._route(self._raw, out)  # half a tag at the very end is no tag
        self._raw = ""
        self._send("content", self._content, out)
        self._content = ""
        calls: list[CalledTool] = []
        if self._calls is not None:
            read = read_tool_calls(self._calls)
            calls, leftover = read if read is not None else ([], self._calls)
            self._send("content", leftover, out)
        return out, calls

    def _route(self, text: str, out: list[Piece]) -> None:
        if self._thinking:
            self._send("reasoning", text, out)
        elif not self._tools:
            self._send("content", text, out)
        elif self._calls is not None:
            self._calls += text
        else:
            before, tag, self._content = _cut(self._content + text, (TOOL_CALL,))
            self._send("content", before, out)
            if tag is not None:
                self._calls, self._content = tag + self._content, ""

    def _send(self, kind: Kind, text: str, out: list[Piece]) -> None:
        text = self._trimmed[kind].feed(text)
        if not text:
            return
        if out and out[-1].kind == kind:
            out[-1] = Piece(kind, out[-1].text + text)
        else:
            out.append(Piece(kind, text))


def take_apart(raw: str, *, thinking: bool = False, tools: bool = False) -> Answer:
    """A whole answer taken apart, exactly as `AnswerStream` would send it piece by piece."""
    stream = AnswerStream(thinking=thinking, tools=tools)
    pieces = stream.feed(raw)
    rest, calls = stream.finish()
    parts: dict[Kind, str] = {"reasoning": "", "content": ""}
    for piece in [*pieces, *rest]:
        parts[piece.kind] += piece.text
    return Answer(parts["reasoning"], parts["content"], calls)

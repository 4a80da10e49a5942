"""OpenAI's chat completions format as `serve-model` speaks it: what a client sends, what it
gets back whole, and the chunks of a streamed answer.

Pydantic models, so /openapi.json describes requests and replies. A request may carry fields
this server does not use (`seed`, `user`, `presence_penalty`, another server's extras): they
are ignored, as vLLM ignores them, so a client written for another server still works. Null
fields in a reply are sent as `null`, as OpenAI does, except in a chunk's `delta`, which
holds only what that chunk adds.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from screenpilot.models.runtime import TOP_LOGPROBS

#: OpenAI's upper bound on `top_logprobs`.
MAX_TOP_LOGPROBS = 20

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
    """Plain text is one text part, and no content (an assistant turn that only called tools)
    none: one shape to check, and to name in an error."""
    if content is None:
        return []
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


class CalledFunction(BaseModel):
    name: str
    arguments: str = Field("{}", description="The arguments, as a JSON text.")


class RequestToolCall(BaseModel):
    """A tool call of an earlier assistant turn, sent back as the conversation's history."""

    id: str | None = None
    type: Literal["function"] = "function"
    function: CalledFunction


class ChatMessage(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"] = Field(
        description="`developer` is read as `system`; `tool` is a tool's result."
    )
    content: Annotated[
        list[Part], BeforeValidator(_as_parts, json_schema_input_type=str | list[Part] | None)
    ] = Field(default_factory=list, description="Text, or a list of text and image parts.")
    tool_calls: list[RequestToolCall] | None = Field(
        None, description="An assistant turn's tool calls."
    )


class FunctionDeclaration(BaseModel):
    name: str = Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = Field(None, description="A JSON Schema object.")
    strict: bool | None = None


class Tool(BaseModel):
    type: Literal["function"]
    function: FunctionDeclaration


class NamedToolChoice(BaseModel):
    type: Literal["function"]
    function: dict[str, Any]


class StreamOptions(BaseModel):
    include_usage: bool | None = None


class ChatRequest(BaseModel):
    """A chat completion request; fields this server does not use are ignored."""

    model: str | None = Field(None, description="Ignored: the server has one model.")
    messages: list[ChatMessage] = Field(min_length=1)
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    n: int | None = Field(None, description="Only 1: one choice per request.")
    logprobs: bool | None = None
    top_logprobs: int | None = Field(
        None,
        ge=0,
        le=MAX_TOP_LOGPROBS,
        description="Alternatives per token (with `logprobs`); at most as many as the "
        f"runtimes keep ({TOP_LOGPROBS}).",
    )
    stream: bool | None = Field(None, description="Answer as server-sent events.")
    stream_options: StreamOptions | None = None
    stop: str | list[str] | None = Field(None, description="Not supported: leave it out.")
    tools: list[Tool] | None = Field(
        None, description="Functions the model may call, declared to it as Qwen3-VL expects."
    )
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = Field(
        None, description="`auto` (with tools, the default) or `none`."
    )
    chat_template_kwargs: dict[str, Any] | None = Field(
        None, description="vLLM's; `enable_thinking` opens the answer with <think>."
    )


# --- what it answers -------------------------------------------------------------------------


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "screenpilot"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class FunctionCall(BaseModel):
    name: str
    arguments: str = Field(description="The arguments, as a JSON text.")


class ToolCall(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str | None
    reasoning_content: str | None = Field(None, description="The model's thinking, if any.")
    tool_calls: list[ToolCall] | None = None


class TopChance(BaseModel):
    token: str
    logprob: float


class TokenChance(BaseModel):
    token: str
    logprob: float
    top_logprobs: list[TopChance] = Field(default_factory=list)


class ChoiceLogprobs(BaseModel):
    content: list[TokenChance]


FinishReason = Literal["stop", "length", "tool_calls"]


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: FinishReason = "stop"
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


class ToolCallDelta(BaseModel):
    index: int
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class Delta(BaseModel):
    """What one chunk adds to the answer; the fields it leaves alone are not sent."""

    role: Literal["assistant"] | None = None
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None

    @model_serializer(mode="wrap")
    def _only_what_is_added(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return {key: value for key, value in handler(self).items() if value is not None}


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    logprobs: ChoiceLogprobs | None = None
    finish_reason: FinishReason | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None


class ErrorBody(BaseModel):
    message: str


class ErrorReply(BaseModel):
    error: ErrorBody

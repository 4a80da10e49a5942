"""One interface for every Qwen3-VL runtime: messages with images in, text out.

A `Runtime` takes chat `Message`s whose content mixes text and PIL images, plus `Sampling`
settings (greedy by default: actions and grounding want the model's best guess, not a
sample), and returns a `Generation`: the answer with any `<think>` block taken out (kept in
`thinking` for the trajectory) and, when asked, each generated token's log-probability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, Protocol

from screenpilot.errors import ScreenpilotError
from screenpilot.models.parsing import split_thinking

if TYPE_CHECKING:
    from PIL import Image

Role = Literal["system", "user", "assistant"]


class ModelRuntimeError(ScreenpilotError):
    """The model could not be loaded or did not answer."""


@dataclass(frozen=True)
class Message:
    """One chat turn; `content` is text and images in the order the model should see them."""

    role: Role
    content: Sequence[str | Image.Image]

    @classmethod
    def user(cls, *content: str | Image.Image) -> Message:
        return cls("user", content)

    @classmethod
    def system(cls, text: str) -> Message:
        return cls("system", (text,))


@dataclass(frozen=True)
class Sampling:
    """How to pick tokens. temperature 0 is greedy decoding."""

    temperature: float = 0.0
    top_p: float = 1.0
    top_k: int | None = None
    max_new_tokens: int = 256
    #: Open the answer with `<think>`, as Qwen3-VL's Thinking checkpoints' chat template does,
    #: so the model reasons before it answers; the reasoning is kept apart from the answer.
    thinking: bool = False

    def __post_init__(self) -> None:
        if self.temperature < 0 or not 0 < self.top_p <= 1 or self.max_new_tokens < 1:
            raise ValueError(
                "sampling needs temperature >= 0, 0 < top_p <= 1 and max_new_tokens >= 1"
            )

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


#: Greedy decoding with the default token limit: what actions and grounding use.
GREEDY = Sampling()


#: Alternatives kept per generated token when log-probabilities are asked: OpenAI's most for
#: `top_logprobs`, and vLLM's default `max_logprobs`.
TOP_LOGPROBS = 20
#: Answer tokens added when the model thinks before it answers: Qwen3-VL's Thinking
#: checkpoints reason for one to several thousand tokens over a screenshot, and an answer
#: cut off inside its `<think>` holds no action or box at all.
THINKING_TOKENS = 8192


def room_to_think(sampling: Sampling, runtime: object, tokens: int = THINKING_TOKENS) -> Sampling:
    """`sampling` with `tokens` more answer tokens when the model thinks before it answers:
    asked to (`sampling.thinking`), or run by a runtime that found it is a Thinking checkpoint
    (its `thinks`: from the checkpoint's chat template, or from a server's answers)."""
    if not (sampling.thinking or getattr(runtime, "thinks", False)):
        return sampling
    return replace(sampling, max_new_tokens=sampling.max_new_tokens + tokens)


#: Why generation ended: the model closed its turn, or it ran into `max_new_tokens`.
FinishReason = Literal["stop", "length"]


@dataclass(frozen=True)
class TokenLogprob:
    """One generated token, as text, the log-probability the model gave it, and the most
    likely tokens at that place (text, log-probability), best first; the picked token is
    among them when it was one of the most likely."""

    text: str
    logprob: float
    top: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Generation:
    """What the model said: the answer, any thinking, and optionally token log-probabilities."""

    text: str
    raw: str
    thinking: str = ""
    tokens: list[TokenLogprob] | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: FinishReason = "stop"
    seconds: float = 0.0

    @classmethod
    def from_raw(cls, raw: str, **details: object) -> Generation:
        thinking, answer = split_thinking(raw)
        return cls(text=answer, raw=raw, thinking=thinking, **details)  # type: ignore[arg-type]


class Runtime(Protocol):
    """Anything that runs Qwen3-VL."""

    def generate(
        self, messages: Sequence[Message], sampling: Sampling = ..., *, logprobs: bool = False
    ) -> Generation: ...


@dataclass
class ChatPrompt:
    """Messages rendered in Qwen's chat format, with the images in the order they appear."""

    text: str
    images: list[Image.Image] = field(default_factory=list)


IMAGE_PLACEHOLDER = "<|vision_start|><|image_pad|><|vision_end|>"
#: Longest image side accepted; anything bigger is no screenshot (and a decompression bomb).
MAX_IMAGE_SIDE = 32768


def check_image(image: Image.Image) -> None:
    """Refuse images the model cannot take, with the reason, before any work is done."""
    from screenpilot.perception.geometry import Size
    from screenpilot.perception.sizing import VisualBudget

    if max(image.width, image.height) > MAX_IMAGE_SIDE:
        raise ModelRuntimeError(
            f"a {image.width}x{image.height} image is too large to send "
            f"(longest side over {MAX_IMAGE_SIDE} px): crop or scale it first"
        )
    try:
        VisualBudget().resize(Size(width=image.width, height=image.height))
    except ValueError as error:
        raise ModelRuntimeError(f"this image cannot be sent to Qwen3-VL: {error}") from None


def render_chat(messages: Sequence[Message], *, thinking: bool = False) -> ChatPrompt:
    """`<|im_start|>role\\n...<|im_end|>` turns, an image as vision start/pad/end (the
    processor widens the pad to the image's token count), then the assistant's turn opened
    (with `<think>` when `thinking`)."""
    parts: list[str] = []
    images: list[Image.Image] = []
    for message in messages:
        body = []
        for item in message.content:
            if isinstance(item, str):
                body.append(item)
            else:
                check_image(item)
                images.append(item)
                body.append(IMAGE_PLACEHOLDER)
        parts.append(f"<|im_start|>{message.role}\n{''.join(body)}<|im_end|>\n")
    parts.append("<|im_start|>assistant\n" + ("<think>\n" if thinking else ""))
    return ChatPrompt("".join(parts), images)

"""Qwen3-VL run locally with transformers: a hub id or a folder, GPU or CPU.

On CUDA the model runs in bf16 with SDPA attention (several GPUs through `device_map`); on
CPU in float32. The processor is the image-only one (no torchvision needed) with the
visual-token budget set where it takes effect, and `generate` gets the processor's whole
output - without `mm_token_type_ids` generation quietly falls back to 1-D positions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from screenpilot.models import checkpoint
from screenpilot.models.checkpoint import Attention, DType
from screenpilot.models.runtime import (
    GREEDY,
    TOP_LOGPROBS,
    Generation,
    Message,
    ModelRuntimeError,
    Sampling,
    TokenLogprob,
    render_chat,
)
from screenpilot.perception.sizing import VisualBudget

log = logging.getLogger(__name__)

DEFAULT_MODEL = "Qwen/Qwen3-VL-4B-Instruct"


class LocalRuntime:
    """A Qwen3-VL checkpoint loaded into this process."""

    #: `generate` hears the answer as it is written (`on_text`): serve-model streams it.
    streams = True

    def __init__(
        self,
        source: str | Path = DEFAULT_MODEL,
        *,
        budget: VisualBudget | None = None,
        device: str | None = None,
        device_map: str | dict[str, Any] | None = None,
        dtype: DType | None = None,
        attention: Attention = "sdpa",
    ) -> None:
        try:
            import torch
            import transformers
        except ImportError as error:
            raise ModelRuntimeError(
                f"the local runtime needs torch and transformers ({error.name} is missing): "
                "pip install torch==2.13.0 'screenpilot[local]'"
            ) from None
        checkpoint.check_transformers(transformers.__version__)
        from screenpilot.models.qwen_processor import load_processor

        self.source = str(source)
        self.budget = budget or VisualBudget()
        cuda = torch.cuda.is_available()
        self.device = device or ("cuda" if cuda else "cpu")
        on_gpu = self.device.startswith("cuda")
        self.dtype = checkpoint.pick_dtype(dtype, on_gpu=on_gpu)
        self.attention = checkpoint.check_attention(attention, on_gpu=on_gpu)
        local = Path(self.source)
        if (local.is_absolute() or self.source.startswith(".")) and not local.is_dir():
            raise ModelRuntimeError(f"no model folder at {self.source}")
        try:
            config = transformers.AutoConfig.from_pretrained(self.source)
        except (OSError, ValueError) as error:
            raise ModelRuntimeError(f"cannot load the model {self.source!r}: {error}") from None
        self.model_type = checkpoint.model_type(config)
        quantised = checkpoint.describe_quantisation(config, on_gpu=on_gpu)
        if quantised:
            log.info("%s is %s", self.source, quantised)
        try:
            self.processor = load_processor(self.source, self.budget)
        except (OSError, ValueError) as error:
            raise ModelRuntimeError(f"cannot load the model {self.source!r}: {error}") from None
        self.model = checkpoint.load_weights(
            self.source,
            config=config,
            dtype=self.dtype,
            attention=self.attention,
            device_map=device_map if device_map is not None else (self.device if on_gpu else None),
        )
        if device_map is None and not on_gpu:
            self.model.to(self.device)
        self.model.eval()
        #: A Thinking checkpoint: every answer opens with `<think>`, asked for or not.
        self.thinks = checkpoint.thinks(self.processor.tokenizer, self.source)
        self._torch = torch

    def generate(
        self,
        messages: Sequence[Message],
        sampling: Sampling = GREEDY,
        *,
        logprobs: bool = False,
        constraint: Callable[[int, Any], list[int]] | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Generation:
        """Run the model on the messages. `constraint(step, ids)` may limit which token ids
        can come next (constrained decoding, e.g. a JSON grammar); `step` counts generated
        tokens. `on_text(piece)` hears the answer while it is generated, mostly a piece per
        token (text ending in half a character waits for the rest); the pieces join into
        `raw` before its ends are trimmed of whitespace, the turn's end left out. An
        exception it raises stops generation and leaves this call."""
        torch = self._torch
        start = time.perf_counter()
        prompt = render_chat(messages, thinking=sampling.thinking or self.thinks)
        inputs = self.processor(
            images=prompt.images or None, text=[prompt.text], return_tensors="pt"
        ).to(self.model.device)
        options: dict[str, Any] = {
            "max_new_tokens": sampling.max_new_tokens,
            "do_sample": not sampling.greedy,
            "return_dict_in_generate": True,
            # The raw logits: the model's own distribution, before sampling settings or a
            # decoding constraint reshape it.
            "output_logits": logprobs,
        }
        if not sampling.greedy:
            options.update(temperature=sampling.temperature, top_p=sampling.top_p)
            if sampling.top_k is not None:
                options["top_k"] = sampling.top_k
        prompt_length = inputs["input_ids"].shape[1]
        if constraint is not None:
            options["prefix_allowed_tokens_fn"] = lambda _batch, ids: constraint(
                len(ids) - prompt_length, ids
            )
        tokenizer = self.processor.tokenizer
        ends = _end_ids(self.model, tokenizer)
        if on_text is not None:
            options["streamer"] = _text_streamer(tokenizer, ends, on_text)
        with torch.inference_mode():
            out = self.model.generate(**inputs, **options)
        new = out.sequences[0, prompt_length:].tolist()
        finished = bool(new) and new[-1] in ends
        while new and new[-1] in ends:
            new.pop()  # the turn's end and any padding after it are no part of the answer
        raw = tokenizer.decode(new, skip_special_tokens=False)
        raw = raw.replace("<|im_end|>", "").replace("<|endoftext|>", "").strip()
        tokens = None
        if logprobs:
            tokens = []
            for step, token_id in enumerate(new):
                if step >= len(out.logits):
                    break
                logp = torch.log_softmax(out.logits[step][0].float(), dim=-1)
                best = torch.topk(logp, min(TOP_LOGPROBS, logp.shape[-1]))
                top = tuple(
                    (tokenizer.decode([int(i)]), float(v))
                    for v, i in zip(best.values.tolist(), best.indices.tolist(), strict=True)
                )
                tokens.append(
                    TokenLogprob(tokenizer.decode([token_id]), float(logp[token_id]), top)
                )
        return Generation.from_raw(
            raw,
            tokens=tokens,
            prompt_tokens=int(prompt_length),
            completion_tokens=len(new) + (1 if finished else 0),
            finish_reason="stop" if finished else "length",
            seconds=time.perf_counter() - start,
        )


def _text_streamer(tokenizer: Any, ends: set[int], on_text: Callable[[str], None]) -> Any:
    """A transformers streamer that hands `on_text` the answer's new text as tokens come.

    Each step decodes only a short window (the tokens since the last piece, after the few
    before them), as vLLM does, so a long answer costs no more per token than a short one;
    text ending in half a UTF-8 character waits for the token that completes it."""
    from transformers.generation.streamers import BaseStreamer

    class TextPieces(BaseStreamer):  # type: ignore[misc]
        def __init__(self) -> None:
            self.ids: list[int] = []
            self.prompt = True  # generate() hands the prompt's ids over first
            self.start = self.read = 0  # the window's start; the end of what was sent

        def put(self, value: Any) -> None:
            if self.prompt:
                self.prompt = False
                return
            fresh = [t for t in value.reshape(-1).tolist() if t not in ends]
            if fresh:
                self.ids.extend(fresh)
                self.send(final=False)

        def end(self) -> None:
            if self.read < len(self.ids):
                self.send(final=True)

        def send(self, *, final: bool) -> None:
            sent = tokenizer.decode(self.ids[self.start : self.read], skip_special_tokens=False)
            text = tokenizer.decode(self.ids[self.start :], skip_special_tokens=False)
            if not final and (len(text) <= len(sent) or text.endswith("\ufffd")):
                return
            self.start, self.read = self.read, len(self.ids)
            if text[len(sent) :]:
                on_text(text[len(sent) :])

    return TextPieces()


def _end_ids(model: Any, tokenizer: Any) -> set[int]:
    """The token ids that end the model's turn (its generation config's end of sequence,
    which may be several, and the tokenizer's) and the padding after them."""
    ids: set[int] = set()
    config = getattr(model, "generation_config", None)
    for value in (getattr(config, "eos_token_id", None), getattr(config, "pad_token_id", None)):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list | tuple):
            ids.update(int(v) for v in value)
    for name in ("eos_token_id", "pad_token_id"):
        value = getattr(tokenizer, name, None)
        if isinstance(value, int):
            ids.add(value)
    return ids

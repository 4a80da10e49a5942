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

    def __init__(
        self,
        source: str | Path = DEFAULT_MODEL,
        *,
        budget: VisualBudget | None = None,
        device: str | None = None,
        device_map: str | dict[str, Any] | None = None,
    ) -> None:
        try:
            import torch
            from transformers import Qwen3VLForConditionalGeneration

            from screenpilot.models.qwen_processor import load_processor
        except ImportError as error:
            raise ModelRuntimeError(
                f"the local runtime needs torch and transformers ({error.name} is missing): "
                "pip install torch==2.13.0 'screenpilot[local]'"
            ) from None
        self.source = str(source)
        self.budget = budget or VisualBudget()
        cuda = torch.cuda.is_available()
        self.device = device or ("cuda" if cuda else "cpu")
        on_gpu = self.device.startswith("cuda")
        dtype = torch.bfloat16 if on_gpu else torch.float32
        local = Path(self.source)
        if (local.is_absolute() or self.source.startswith(".")) and not local.is_dir():
            raise ModelRuntimeError(f"no model folder at {self.source}")
        try:
            self.processor = load_processor(self.source, self.budget)
            self.model = Qwen3VLForConditionalGeneration.from_pretrained(
                self.source,
                dtype=dtype,
                attn_implementation="sdpa",
                device_map=device_map
                if device_map is not None
                else (self.device if on_gpu else None),
            )
        except (OSError, ValueError) as error:
            raise ModelRuntimeError(f"cannot load the model {self.source!r}: {error}") from None
        if device_map is None and not on_gpu:
            self.model.to(self.device)
        self.model.eval()
        self._torch = torch

    def generate(
        self,
        messages: Sequence[Message],
        sampling: Sampling = GREEDY,
        *,
        logprobs: bool = False,
        constraint: Callable[[int, Any], list[int]] | None = None,
    ) -> Generation:
        """Run the model on the messages. `constraint(step, ids)` may limit which token ids
        can come next (constrained decoding, e.g. a JSON grammar); `step` counts generated
        tokens."""
        torch = self._torch
        start = time.perf_counter()
        prompt = render_chat(messages, thinking=sampling.thinking)
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
        with torch.inference_mode():
            out = self.model.generate(**inputs, **options)
        new = out.sequences[0, prompt_length:].tolist()
        tokenizer = self.processor.tokenizer
        ends = _end_ids(self.model, tokenizer)
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

"""Loading a Qwen3-VL checkpoint whole, or refusing it with the reason.

A checkpoint's `config.json` names its model type: `qwen3_vl` for the dense sizes (2B, 4B,
8B, 32B) and `qwen3_vl_moe` for the mixture-of-experts ones (30B-A3B, 235B-A22B), whose MLPs
are routed experts. `AutoModelForImageTextToText` picks the class from that type; a fixed
dense class would load an MoE checkpoint with its experts "unexpected", its MLPs random and
only a warning to show for it. So every load asks transformers what it could not place and
refuses a model with any weight missing, unexpected or of the wrong shape.

What else is settled here, before any weight is read: the transformers version (the PIL
image processor the project uses came with 5.4), the model type, the attention kernel, the
dtype, and whether the checkpoint is a Thinking one.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path
from typing import Any, Literal

from screenpilot.models.runtime import ModelRuntimeError

log = logging.getLogger(__name__)

#: The first transformers with `image_processing_pil_qwen2_vl` (checked on the 5.3.0 and
#: 5.4.0 wheels), which the torchvision-free processor needs.
MIN_TRANSFORMERS = (5, 4)
#: Model types this runtime drives, and what they are.
MODEL_TYPES = {"qwen3_vl": "dense", "qwen3_vl_moe": "mixture of experts"}
DType = Literal["bfloat16", "float16", "float32"]
DTYPES: tuple[DType, ...] = ("bfloat16", "float16", "float32")
Attention = Literal["sdpa", "flash_attention_2", "eager"]
ATTENTIONS: tuple[Attention, ...] = ("sdpa", "flash_attention_2", "eager")
#: Weight names shown in a refusal; the rest are counted.
SHOWN_KEYS = 6


def check_transformers(version: str) -> None:
    """Refuse a transformers older than `MIN_TRANSFORMERS`, saying how to upgrade."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", version)[:2])
    if numbers < MIN_TRANSFORMERS:
        floor = ".".join(map(str, MIN_TRANSFORMERS))
        raise ModelRuntimeError(
            f"transformers {version} is too old for the local Qwen3-VL runtime (it needs "
            f"{floor} or newer): pip install 'transformers>={floor}'"
        )


def model_type(config: Any) -> str:
    """The checkpoint's model type, refused unless it is a Qwen3-VL one."""
    kind = str(getattr(config, "model_type", ""))
    if kind not in MODEL_TYPES:
        known = ", ".join(MODEL_TYPES)
        raise ModelRuntimeError(
            f"this checkpoint's model type is {kind or 'not given'!r}; the local runtime runs "
            f"Qwen3-VL ({known})"
        )
    return kind


def pick_dtype(name: DType | None, *, on_gpu: bool) -> DType:
    """The dtype asked for, or bf16 on a GPU and float32 on the CPU."""
    if name is None:
        return "bfloat16" if on_gpu else "float32"
    if name not in DTYPES:
        raise ModelRuntimeError(f"unknown dtype {name!r}; one of {', '.join(DTYPES)}")
    return name


def check_attention(name: Attention, *, on_gpu: bool) -> Attention:
    """Refuse an attention kernel that cannot run here."""
    if name not in ATTENTIONS:
        raise ModelRuntimeError(f"unknown attention {name!r}; one of {', '.join(ATTENTIONS)}")
    if name == "flash_attention_2":
        if not on_gpu:
            raise ModelRuntimeError("flash_attention_2 runs on a CUDA GPU only; use sdpa here")
        if importlib.util.find_spec("flash_attn") is None:
            raise ModelRuntimeError(
                "flash_attention_2 needs the flash-attn package: pip install flash-attn "
                "--no-build-isolation (or use sdpa)"
            )
    return name


def describe_quantisation(config: Any, *, on_gpu: bool) -> str | None:
    """A line on how a quantised checkpoint will run, or None for a plain one."""
    quant = getattr(config, "quantization_config", None)
    if not quant:
        return None
    method = (
        quant.get("quant_method") if isinstance(quant, dict) else getattr(quant, "quant_method", "")
    )
    method = str(method or "unknown")
    if method == "fp8" and not on_gpu:
        return "an FP8 checkpoint without a GPU: transformers turns its weights back into bf16"
    return f"a {method}-quantised checkpoint, loaded by transformers' own {method} support"


def refuse_partial(source: str, info: dict[str, Any]) -> None:
    """Raise when transformers could not place every weight of the checkpoint."""
    problems = []
    for key, said in (
        ("missing_keys", "missing from the checkpoint (they would start random)"),
        ("unexpected_keys", "in the checkpoint but not in the model (they would be dropped)"),
        ("mismatched_keys", "of another shape than the model's"),
    ):
        names = sorted(str(n if isinstance(n, str) else n[0]) for n in info.get(key) or ())
        if names:
            shown = ", ".join(names[:SHOWN_KEYS])
            more = f" and {len(names) - SHOWN_KEYS} more" if len(names) > SHOWN_KEYS else ""
            problems.append(f"{len(names)} weights {said}: {shown}{more}")
    if problems:
        raise ModelRuntimeError(
            f"{source!r} does not load whole, so the model would answer nonsense; "
            + "; ".join(problems)
        )


def load_weights(
    source: str,
    *,
    config: Any,
    dtype: DType,
    attention: Attention,
    device_map: str | dict[str, Any] | None,
) -> Any:
    """The model of the checkpoint (whose `config` was read already), through the class its
    model type names, every weight used (else `ModelRuntimeError`)."""
    import torch
    from transformers import AutoModelForImageTextToText

    try:
        model, info = AutoModelForImageTextToText.from_pretrained(
            source,
            config=config,
            dtype=getattr(torch, dtype),
            attn_implementation=attention,
            device_map=device_map,
            output_loading_info=True,
            # Reported (and refused below, by name) rather than raised as a bare RuntimeError.
            ignore_mismatched_sizes=True,
        )
    except (OSError, ValueError, ImportError, RuntimeError) as error:
        raise ModelRuntimeError(f"cannot load the model {source!r}: {error}") from None
    refuse_partial(source, info)
    return model


def thinks(tokenizer: Any, source: str) -> bool:
    """Whether the checkpoint is a Thinking one: its chat template opens `<think>` in the
    assistant's turn (Qwen3-VL's Thinking templates do, ignoring `enable_thinking`), or,
    without a template, its name says so."""
    template = getattr(tokenizer, "chat_template", None)
    if template:
        try:
            opened = tokenizer.apply_chat_template(
                [{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True
            )
        except Exception as error:  # a template that needs what a plain turn lacks
            log.debug("cannot render the chat template: %s", error)
        else:
            return str(opened).rstrip().endswith("<think>")
    return "thinking" in Path(source.rstrip("/")).name.lower()

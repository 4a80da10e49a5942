"""A full-size Qwen3-VL with random weights, built straight on its device in bf16 - and the
checks that it is built right.

Random weights run at the real model's speed, so this is how latency is measured without a
download. Two ways of building it go wrong quietly:
- materialising a `meta`-device model with `to_empty` leaves the rotary `inv_freq` buffers
  (computed, not loaded) as whatever bytes were in memory, so positions carry nothing, and
  unties the LM head from the embeddings of the checkpoints that tie them (2B, 4B);
- building in fp32 and casting afterwards needs twice the memory first (~18 GiB for the 4B).
So the model is constructed under the target device and dtype, every tensor initialised where it
lives, and the rotary buffers are recomputed from their own config afterwards anyway (it costs
nothing and keeps this right if a later transformers builds them lazily).
"""

from __future__ import annotations

from typing import Any

import torch


def transformers_config(config: dict[str, Any]) -> Any:
    """The transformers config object of a `config.json` dict (dense or MoE)."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    return CONFIG_MAPPING[config["model_type"]](
        **{k: v for k, v in config.items() if k != "model_type"}
    )


def build(config: dict[str, Any], device: str, dtype: torch.dtype, attention: str) -> Any:
    """A randomly initialised Qwen3-VL (the class the config names) on `device` in `dtype`."""
    from transformers import AutoModelForImageTextToText

    with torch.device(device):
        model = AutoModelForImageTextToText.from_config(
            transformers_config(config), dtype=dtype, attn_implementation=attention
        )
    recompute_rotary(model)
    model.tie_weights()
    return model.eval()


def rotary_modules(model: Any) -> dict[str, Any]:
    """The rotary embeddings of a model by name: the text MRoPE one and the ViT's 2-D one."""
    return {
        name: module
        for name, module in model.named_modules()
        if "RotaryEmbedding" in type(module).__name__ and hasattr(module, "original_inv_freq")
    }


def rotary_frequencies(module: Any, device: str | torch.device = "cpu") -> tuple[Any, float]:
    """(inv_freq, attention scaling) as the module's own constructor computes them: the text
    one by its rope type ("default" is its own method, others transformers' ROPE_INIT_FUNCTIONS),
    the vision one by its axial method (theta 10000 over head_dim / 2)."""
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    own = {
        "default": getattr(module, "compute_default_rope_parameters", None),
        "axial": getattr(module, "compute_axial_rope_parameters", None),
    }
    function = own.get(module.rope_type) or ROPE_INIT_FUNCTIONS[module.rope_type]
    with torch.device(device):
        inv_freq, scaling = function(module.config, device)
    return inv_freq.to(device=device, dtype=torch.float32), float(scaling)


@torch.no_grad()
def recompute_rotary(model: Any) -> None:
    """Overwrite every rotary buffer with its value computed from the module's config."""
    for module in rotary_modules(model).values():
        inv_freq, scaling = rotary_frequencies(module, module.inv_freq.device)
        module.inv_freq.copy_(inv_freq)
        module.original_inv_freq.copy_(inv_freq)
        module.attention_scaling = scaling


def checks(model: Any, config: dict[str, Any], reference: Any = None) -> dict[str, Any]:
    """What makes a random model a faithful stand-in, checked on the built model: rotary
    buffers equal to a CPU computation (and, given `reference`, a model built the ordinary way
    in fp32), the LM head tied exactly when the checkpoint ties it, and no NaN/inf from memory
    that was never initialised."""
    rotary = rotary_modules(model)
    result: dict[str, Any] = {
        "rotary_buffers": sorted(rotary),
        "rotary_match_cpu_computation": all(
            torch.equal(module.inv_freq.float().cpu(), rotary_frequencies(module)[0])
            for module in rotary.values()
        ),
    }
    if reference is not None:
        theirs = rotary_modules(reference)
        result["rotary_match_reference_model"] = sorted(theirs) == sorted(rotary) and all(
            torch.equal(rotary[name].inv_freq.cpu(), theirs[name].inv_freq.cpu())
            and torch.equal(rotary[name].original_inv_freq.cpu(), theirs[name].original_inv_freq)
            for name in rotary
        )
    head, embeddings = model.get_output_embeddings(), model.get_input_embeddings()
    shared = head.weight.data_ptr() == embeddings.weight.data_ptr()
    result["tied_embeddings"] = shared
    result["tying_as_released"] = shared == bool(config["tie_word_embeddings"])
    result["parameters_finite"] = all(bool(p.isfinite().all()) for p in model.parameters())
    result["parameters"] = sum(p.numel() for p in model.parameters())
    return result

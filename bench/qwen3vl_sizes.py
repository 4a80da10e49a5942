"""The released Qwen3-VL sizes as checkpoint `config.json` dicts, and tiny copies of them.

Plain data, no torch or transformers: the transformers benchmark builds its random models from
these dicts, and the vLLM benchmark (which runs in its own environment) writes them into a model
folder, so both measure exactly the same architecture.

Where the numbers come from (each one read from at least one of these):
- 2B / 4B / 8B: shared/reference/qwen3vl.md ("Released sizes"), checked against the released
  config.json files; 4B also as quoted from `Qwen/Qwen3-VL-4B-Instruct/config.json` in public
  write-ups (36 layers, 2560 hidden, 32/8 heads, head_dim 128, MLP 9728, tied embeddings; ViT 24 x
  1024, MLP 4096, deepstack [5, 11, 17]); 8B also from the GGUF metadata Ollama publishes for
  qwen3-vl:8b (36 blocks, 4096 embedding, 12288 feed-forward, 32/8 heads, key length 128; ViT 27
  blocks x 1152, deepstack [8, 16, 24]).
- 30B-A3B: a byte-for-byte transcription of `Qwen/Qwen3-VL-30B-A3B-Instruct/config.json` kept as a
  test fixture in a public parser (48 layers, 2048 hidden, 32/4 heads, head_dim 128, 128 experts,
  8 per token, expert MLP 768, `decoder_sparse_step` 1, no dense-MLP layers, untied; ViT 27 x 1152,
  MLP 4304, out 2048, deepstack [8, 16, 24]), and Megatron's recipe for it (the same numbers:
  --num-experts 128 --moe-router-topk 8 --moe-ffn-hidden-size 768 --num-query-groups 4,
  --untie-embeddings-and-output-weights).
- All: vocab 151936, rope_theta 5e6 with mrope_section [24, 20, 20] interleaved, 262144 positions,
  ViT patch 16, merge 2, temporal patch 2, 2304 learned positions; 2B and 4B tie the LM head to
  the embeddings, 8B and 30B-A3B do not.
Built with transformers 5.24 these give 2.13 B, 4.44 B, 8.77 B and 31.07 B parameters, the
published totals (an untied 4B would be 4.83 B).
"""

from __future__ import annotations

import copy
from typing import Any

# Token ids of the released checkpoints (shared/reference/qwen3vl.md).
ENDOFTEXT, IM_START, IM_END = 151643, 151644, 151645
VISION_START, VISION_END, IMAGE_PAD, VIDEO_PAD = 151652, 151653, 151655, 151656
VOCAB = 151936

_VIT_SMALL = {"depth": 24, "hidden_size": 1024, "intermediate_size": 4096, "deepstack": [5, 11, 17]}
_VIT_LARGE = {"depth": 27, "hidden_size": 1152, "intermediate_size": 4304, "deepstack": [8, 16, 24]}

#: name -> (text sizes, vision tower, tied embeddings, mixture of experts)
_SIZES: dict[str, tuple[dict[str, Any], dict[str, Any], bool, dict[str, Any] | None]] = {
    "2b": (
        {"hidden_size": 2048, "num_hidden_layers": 28, "num_attention_heads": 16,
         "num_key_value_heads": 8, "intermediate_size": 6144},
        _VIT_SMALL, True, None,
    ),
    "4b": (
        {"hidden_size": 2560, "num_hidden_layers": 36, "num_attention_heads": 32,
         "num_key_value_heads": 8, "intermediate_size": 9728},
        _VIT_SMALL, True, None,
    ),
    "8b": (
        {"hidden_size": 4096, "num_hidden_layers": 36, "num_attention_heads": 32,
         "num_key_value_heads": 8, "intermediate_size": 12288},
        _VIT_LARGE, False, None,
    ),
    "30b-a3b": (
        {"hidden_size": 2048, "num_hidden_layers": 48, "num_attention_heads": 32,
         "num_key_value_heads": 4, "intermediate_size": 6144},
        _VIT_LARGE, False,
        {"num_experts": 128, "num_experts_per_tok": 8, "moe_intermediate_size": 768,
         "decoder_sparse_step": 1, "mlp_only_layers": [], "norm_topk_prob": True},
    ),
}  # fmt: skip
MODELS = tuple(_SIZES)

#: What `tiny()` keeps of a text config; everything else shrinks to toy sizes (the vocabulary
#: stays the real one, so the ids above are valid and the LM head has its real shape).
_TINY_TEXT = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
              "num_key_value_heads": 1, "head_dim": 32, "intermediate_size": 128}  # fmt: skip
_TINY_MOE = {"num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32}
_TINY_VISION = {"depth": 2, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2,
                "num_position_embeddings": 64, "deepstack_visual_indexes": [0, 1]}  # fmt: skip


def hub_config(name: str) -> dict[str, Any]:
    """The `config.json` of the released checkpoint `name` (one of MODELS), in the layout the
    hub files use (`rope_scaling` + `rope_theta`, which transformers 5 still reads)."""
    if name not in _SIZES:
        raise ValueError(f"unknown Qwen3-VL size {name!r}; choose from {', '.join(MODELS)}")
    text, vit, tied, moe = _SIZES[name]
    model_type = "qwen3_vl_moe" if moe else "qwen3_vl"
    return {
        "architectures": [
            "Qwen3VLMoeForConditionalGeneration" if moe else "Qwen3VLForConditionalGeneration"
        ],
        "model_type": model_type,
        "torch_dtype": "bfloat16",
        "image_token_id": IMAGE_PAD,
        "video_token_id": VIDEO_PAD,
        "vision_start_token_id": VISION_START,
        "vision_end_token_id": VISION_END,
        "tie_word_embeddings": tied,
        "text_config": {
            "model_type": f"{model_type}_text",
            **text,
            **(moe or {}),
            "head_dim": 128,
            "hidden_act": "silu",
            "attention_bias": False,
            "rms_norm_eps": 1e-6,
            "vocab_size": VOCAB,
            "max_position_embeddings": 262144,
            "rope_theta": 5_000_000,
            "rope_scaling": {
                "rope_type": "default",
                "mrope_section": [24, 20, 20],
                "mrope_interleaved": True,
            },
            "tie_word_embeddings": tied,
            "bos_token_id": ENDOFTEXT,
            "eos_token_id": IM_END,
            "torch_dtype": "bfloat16",
        },
        "vision_config": {
            "model_type": model_type,
            "depth": vit["depth"],
            "hidden_size": vit["hidden_size"],
            "intermediate_size": vit["intermediate_size"],
            "num_heads": 16,
            "hidden_act": "gelu_pytorch_tanh",
            "in_channels": 3,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "out_hidden_size": text["hidden_size"],
            "num_position_embeddings": 2304,
            "deepstack_visual_indexes": vit["deepstack"],
        },
    }


def tiny(config: dict[str, Any]) -> dict[str, Any]:
    """The same architecture (dense or MoE, tied or not, three-row MRoPE, DeepStack) at toy
    sizes, for proving the benchmark's plumbing on a CPU in seconds."""
    small = copy.deepcopy(config)
    text = small["text_config"]
    text.update(_TINY_TEXT)
    if "num_experts" in text:
        text.update(_TINY_MOE)
    # The interleaved sections must fill head_dim / 2 = 16 rotary slots.
    text["rope_scaling"]["mrope_section"] = [6, 5, 5]
    text["max_position_embeddings"] = 32768
    small["vision_config"].update(_TINY_VISION, out_hidden_size=text["hidden_size"])
    return small

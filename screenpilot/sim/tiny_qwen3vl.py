"""A tiny random Qwen3-VL, built offline: the stand-in for real weights in tests and in the
CPU run of the benchmark.

The architecture is the real one (2-D MRoPE with interleaved sections, DeepStack, the
16 px / 2x2-merge vision tower) at toy sizes: ~0.3 M parameters, loading in well under a
second. The tokenizer is a byte-level BPE trained here on a few lines of agent text, with the
Qwen special tokens. `build()` saves model and processor files into a folder, which is then
loaded back through the same code users run on a real checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
    "<tool_call>",
    "</tool_call>",
    "<think>",
    "</think>",
]

_CORPUS = [
    '<tool_call>\n{"name": "computer_use", "arguments": {"action": "left_click", '
    '"coordinate": [512, 300]}}\n</tool_call>',
    '{"name": "mobile_use", "arguments": {"action": "swipe", "coordinate": [500, 800], '
    '"coordinate2": [500, 200]}}',
    '[{"bbox_2d": [120, 340, 410, 380], "label": "the Submit button"}]',
    '{"point_2d": [250, 731], "label": "Email field"}',
    "Thought: The form needs a name. Action: Type the name into the Name field.",
    "0 1 2 3 4 5 6 7 8 9 10 25 50 100 250 500 750 999 1000",
]


#: The mixture-of-experts text settings of the tiny MoE variant (the 30B-A3B and 235B-A22B
#: layout: every decoder layer sparse, a router choosing `num_experts_per_tok` experts).
_MOE_TEXT = {
    "num_experts": 4,
    "num_experts_per_tok": 2,
    "moe_intermediate_size": 32,
    "decoder_sparse_step": 1,
    "mlp_only_layers": [],
}


def build(folder: str | Path, *, seed: int = 0, moe: bool = False) -> Path:
    """Write a tiny random Qwen3-VL checkpoint (model + processor files) into `folder`; with
    `moe`, a Qwen3-VL-MoE one (model type `qwen3_vl_moe`, as the 30B-A3B is)."""
    import torch
    from transformers import (
        Qwen3VLConfig,
        Qwen3VLForConditionalGeneration,
        Qwen3VLMoeConfig,
        Qwen3VLMoeForConditionalGeneration,
    )

    from screenpilot.models.qwen_processor import ImageOnlyQwen3VLProcessor, image_processor
    from screenpilot.perception.sizing import VisualBudget

    folder = Path(folder)
    tokenizer = build_tokenizer()
    token = tokenizer.convert_tokens_to_ids
    kind, model_class = (
        (Qwen3VLMoeConfig, Qwen3VLMoeForConditionalGeneration)
        if moe
        else (Qwen3VLConfig, Qwen3VLForConditionalGeneration)
    )
    config = kind(
        text_config={
            **(_MOE_TEXT if moe else {}),
            "vocab_size": len(tokenizer),
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 32,
            "max_position_embeddings": 32768,
            "tie_word_embeddings": True,
            "rope_scaling": {
                "rope_type": "default",
                "mrope_section": [6, 5, 5],
                "mrope_interleaved": True,
                "rope_theta": 5_000_000.0,
            },
        },
        vision_config={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "out_hidden_size": 64,
            "num_position_embeddings": 64,
            "deepstack_visual_indexes": [0, 1],
        },
        image_token_id=token("<|image_pad|>"),
        video_token_id=token("<|video_pad|>"),
        vision_start_token_id=token("<|vision_start|>"),
        vision_end_token_id=token("<|vision_end|>"),
        eos_token_id=token("<|im_end|>"),
        pad_token_id=token("<|endoftext|>"),
    )
    torch.manual_seed(seed)
    model = model_class(config)
    model.generation_config.eos_token_id = token("<|im_end|>")
    model.generation_config.pad_token_id = token("<|endoftext|>")
    model.save_pretrained(folder)
    processor = ImageOnlyQwen3VLProcessor(
        image_processor=image_processor(VisualBudget()), tokenizer=tokenizer
    )
    processor.save_pretrained(folder)
    return folder


def build_tokenizer() -> Any:
    """A byte-level BPE trained on `_CORPUS`, with Qwen's special tokens. Numbers are split
    into single digits before any merge, as Qwen's pre-tokenizer does: `[120, 340]` is one
    token per digit, and the confidence of a coordinate is read digit by digit."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=800,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(_CORPUS * 20, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[3:],
    )
    return tokenizer

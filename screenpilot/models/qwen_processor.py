"""Qwen3-VL's processor without torchvision, and loading it with a budget that takes effect.

transformers' `Qwen3VLProcessor` always builds a video processor, which needs torchvision,
and no CPU build of torchvision imports next to CPU torch 2.13. Screenshots are images, so
`ImageOnlyQwen3VLProcessor` leaves video out: its constructor takes an image processor and a
tokenizer only (transformers derives a processor's parts from its constructor's signature).
It uses the PIL image processor, which needs no torchvision either.

`from_pretrained(..., max_pixels=...)` is silently ignored by transformers (issue #41955);
the budget is set on the image processor's `size` instead, where it does take effect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from screenpilot.perception.sizing import PATCH_SIZE, VisualBudget

try:  # transformers is an optional extra ("local"); this module is imported only with it
    from transformers.models.qwen3_vl.processing_qwen3_vl import Qwen3VLProcessor
    from transformers.processing_utils import ProcessorMixin
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "the local Qwen3-VL runtime needs transformers: pip install 'screenpilot[local]'"
    ) from error

_TOKENS = {
    "image_token": "<|image_pad|>",
    "video_token": "<|video_pad|>",
    "vision_start_token": "<|vision_start|>",
    "vision_end_token": "<|vision_end|>",
}


class ImageOnlyQwen3VLProcessor(Qwen3VLProcessor):  # type: ignore[misc]
    """Qwen3VLProcessor for images: an image processor and a tokenizer, no video processor."""

    def __init__(
        self,
        image_processor: Any = None,
        tokenizer: Any = None,
        chat_template: str | None = None,
        **kwargs: Any,
    ) -> None:
        for name, token in _TOKENS.items():
            setattr(self, name, token)
            setattr(self, f"{name}_id", tokenizer.convert_tokens_to_ids(token))
        ProcessorMixin.__init__(self, image_processor, tokenizer, chat_template=chat_template)


def image_processor(budget: VisualBudget, **overrides: Any) -> Any:
    """The PIL Qwen2-VL image processor with Qwen3-VL's numbers (patch 16, merge 2, mean and
    std 0.5) - the bare class defaults to Qwen2-VL's patch 14."""
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    settings: dict[str, Any] = {
        "patch_size": PATCH_SIZE,
        "merge_size": budget.merge_size,
        "temporal_patch_size": 2,
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
        "size": budget.processor_size(),
    }
    settings.update(overrides)
    return Qwen2VLImageProcessorPil(**settings)


def load_processor(source: str | Path, budget: VisualBudget) -> ImageOnlyQwen3VLProcessor:
    """The processor of a checkpoint (hub id or folder), with `budget` in force.

    The image processor is built from the checkpoint's own settings but always as the PIL
    class (a real checkpoint names the torchvision one) and with the budget's `size`.
    """
    from transformers import AutoTokenizer
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    tokenizer = AutoTokenizer.from_pretrained(source)
    config, _ = Qwen2VLImageProcessorPil.get_image_processor_dict(source)
    keep = ("patch_size", "merge_size", "temporal_patch_size", "image_mean", "image_std")
    images = image_processor(budget, **{k: config[k] for k in keep if k in config})
    return ImageOnlyQwen3VLProcessor(image_processor=images, tokenizer=tokenizer)

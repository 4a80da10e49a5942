"""Qwen3-VL image sizing, checked against transformers' own implementation."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from screenpilot.perception.geometry import Size
from screenpilot.perception.sizing import VisualBudget, smart_resize

SIDES = sorted(
    {1, 2, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 100, 200, 255, 256, 257, 480, 511, 512}
    | {720, 736, 768, 800, 1000, 1023, 1024, 1080, 1200, 1280, 1440, 1600, 1920, 2160, 2400}
    | {2560, 3000, 3200, 3840, 4096, 5000, 7680, 10000, 20000}
    | set(range(300, 3000, 97))
)
BUDGETS = [(64, 16384), (4, 1280), (64, 2048), (256, 256), (1, 64), (1000, 4000)]


def _reference() -> Any:
    """transformers' Qwen2-VL image processor module (the PIL flavour, which Qwen3-VL uses,
    imports without torchvision and carries the same smart_resize). transformers is part of
    the test extra; importing it takes seconds, so the tests that compare against it are in
    the slow tier and import it themselves."""
    from transformers.models.qwen2_vl import image_processing_pil_qwen2_vl

    return image_processing_pil_qwen2_vl


def _reference_or_error(h: int, w: int, mn: int, mx: int) -> tuple[int, int] | str:
    try:
        return tuple(_reference().smart_resize(h, w, factor=32, min_pixels=mn, max_pixels=mx))
    except ValueError:
        return "error"


def _ours_or_error(h: int, w: int, mn: int, mx: int) -> tuple[int, int] | str:
    try:
        return smart_resize(h, w, 32, mn, mx)
    except ValueError:
        return "error"


@pytest.mark.integration  # against transformers (seconds to import)
@pytest.mark.parametrize(("min_tokens", "max_tokens"), BUDGETS)
def test_smart_resize_equals_transformers_over_a_wide_grid(
    min_tokens: int, max_tokens: int
) -> None:
    mn, mx = min_tokens * 1024, max_tokens * 1024
    mismatches = [
        (h, w, ours, ref)
        for h, w in itertools.product(SIDES, SIDES)
        if (ours := _ours_or_error(h, w, mn, mx)) != (ref := _reference_or_error(h, w, mn, mx))
    ]
    assert len(SIDES) ** 2 > 3000
    assert mismatches == []


def test_smart_resize_uses_bankers_rounding_like_the_processor() -> None:
    # 720 / 32 = 22.5 rounds to 22, so 1280x720 is sent at 1280x704.
    assert smart_resize(720, 1280) == (704, 1280)


@pytest.mark.parametrize(
    ("size", "budget", "seen", "tokens"),
    [
        ("1280x720", VisualBudget(), "1280x704", 880),
        ("1920x1080", VisualBudget(), "1920x1088", 2040),
        ("2560x1440", VisualBudget(), "2560x1440", 3600),
        ("1080x2400", VisualBudget(), "1088x2400", 2550),
        ("1920x1080", VisualBudget(max_tokens=1280), "1504x832", 1222),
    ],
)
def test_token_counts_of_common_screens(
    size: str, budget: VisualBudget, seen: str, tokens: int
) -> None:
    assert str(budget.resize(Size.parse(size))) == seen
    assert budget.tokens(Size.parse(size)) == tokens


@pytest.mark.integration  # against transformers (seconds to import)
@pytest.mark.parametrize("size", ["1920x1080", "1080x2400", "333x777", "50x40", "4000x100"])
@pytest.mark.parametrize("max_tokens", [16384, 1280, 300])
def test_grid_matches_the_image_processor_output(size: str, max_tokens: int) -> None:
    budget = VisualBudget(max_tokens=max_tokens)
    processor = _reference().Qwen2VLImageProcessorPil(
        patch_size=16, merge_size=2, temporal_patch_size=2, size=budget.processor_size()
    )
    shot = Size.parse(size)
    image = Image.new("RGB", (shot.width, shot.height), "white")
    out = processor(images=image, return_tensors="np")
    assert tuple(int(v) for v in np.asarray(out["image_grid_thw"])[0]) == budget.grid_thw(shot)
    assert out["pixel_values"].shape[0] // 4 == budget.tokens(shot)


def test_bad_sizes_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="positive size"):
        smart_resize(0, 100)
    with pytest.raises(ValueError, match="more elongated"):
        smart_resize(10, 2100)
    with pytest.raises(ValueError, match="min_tokens <= max_tokens"):
        VisualBudget(min_tokens=100, max_tokens=10)


def test_readme_token_table_matches_the_code() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| (\d+x\d+)[^|]* \| (\d+x\d+) \| (\d+) \| (\d+x\d+) \| (\d+) \|$",
        readme,
        flags=re.MULTILINE,
    )
    assert len(rows) == 3
    for screen, seen, tokens, seen_small, tokens_small in rows:
        size = Size.parse(screen)
        assert str(VisualBudget().resize(size)) == seen
        assert VisualBudget().tokens(size) == int(tokens)
        small = VisualBudget(max_tokens=1280)
        assert (str(small.resize(size)), small.tokens(size)) == (seen_small, int(tokens_small))

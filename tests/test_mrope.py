"""MRoPE positions and the interleaved frequency layout, against transformers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from screenpilot.models.qwen_processor import load_processor
from screenpilot.perception.geometry import ScreenGeometry, Size
from screenpilot.perception.mrope import frequency_axes, rope_positions, token_boxes
from screenpilot.perception.sizing import VisualBudget

IMAGE = 99


def test_the_worked_example() -> None:
    ids = [1, 2, 3, 4] + [IMAGE] * 6 + [5, 6, 7, 8, 9]
    result = rope_positions(ids, [(1, 4, 6)], IMAGE)
    assert result.positions[0].tolist() == [0, 1, 2, 3, 4, 4, 4, 4, 4, 4, 7, 8, 9, 10, 11]
    assert result.positions[1].tolist() == [0, 1, 2, 3, 4, 4, 4, 5, 5, 5, 7, 8, 9, 10, 11]
    assert result.positions[2].tolist() == [0, 1, 2, 3, 4, 5, 6, 4, 5, 6, 7, 8, 9, 10, 11]
    assert result.delta == -3


def test_image_tokens_must_match_their_grids() -> None:
    with pytest.raises(ValueError, match="needs 6 image tokens"):
        rope_positions([1] + [IMAGE] * 5 + [2], [(1, 4, 6)], IMAGE)
    with pytest.raises(ValueError, match="more images than grids"):
        rope_positions([IMAGE] * 6, [], IMAGE)


@pytest.fixture(scope="module")
def processor_and_model(tiny_qwen: Path):  # type: ignore[no-untyped-def]
    # torch and transformers take seconds to import: only the slow tier's tests pay for it.
    import torch
    from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration

    config = Qwen3VLConfig.from_pretrained(tiny_qwen)
    with torch.device("meta"):
        model = Qwen3VLForConditionalGeneration(config)
    return tiny_qwen, model


SHOT = "<|vision_start|><|image_pad|><|vision_end|>"


@pytest.mark.parametrize(
    ("sizes", "template", "max_tokens"),
    [
        (
            [(1920, 1080)],
            "<|im_start|>user\n{0}Click Submit<|im_end|>\n<|im_start|>assistant\n",
            1280,
        ),
        ([(1080, 2400)], "{0}", 16384),
        ([(1280, 720)], "a long instruction before the screenshot, then {0} and after", 16384),
        ([(333, 777), (640, 480)], "first {0} second {1} done", 512),
        ([(2560, 1440), (100, 3000)], "{0}{1}", 800),
        ([(64, 64)], "tiny {0}", 16384),
    ],
)
def test_positions_equal_transformers_get_rope_index(
    processor_and_model,
    sizes: list[tuple[int, int]],
    template: str,
    max_tokens: int,  # type: ignore[no-untyped-def]
) -> None:
    folder, model = processor_and_model
    processor = load_processor(folder, VisualBudget(max_tokens=max_tokens))
    images = [Image.new("RGB", size, "white") for size in sizes]
    text = template.format(*[SHOT] * len(sizes))
    inputs = processor(images=images, text=[text], return_tensors="pt")
    expected, delta = model.model.get_rope_index(
        inputs["input_ids"],
        inputs["mm_token_type_ids"],
        inputs["image_grid_thw"],
        None,
        inputs["attention_mask"],
    )
    ours = rope_positions(
        inputs["input_ids"][0].tolist(),
        [tuple(g) for g in inputs["image_grid_thw"].tolist()],
        processor.image_token_id,
    )
    assert np.array_equal(ours.positions, expected[:, 0].numpy())
    assert ours.delta == int(delta[0, 0])


@pytest.mark.integration  # against transformers' rotary embedding (torch)
def test_interleaved_frequency_layout_equals_transformers() -> None:
    import torch
    from transformers.models.qwen3_vl.configuration_qwen3_vl import Qwen3VLTextConfig
    from transformers.models.qwen3_vl.modeling_qwen3_vl import Qwen3VLTextRotaryEmbedding

    config = Qwen3VLTextConfig(
        head_dim=128,
        hidden_size=256,
        num_attention_heads=2,
        rope_parameters={
            "rope_type": "default",
            "rope_theta": 5e6,
            "mrope_section": [24, 20, 20],
            "mrope_interleaved": True,
        },
    )
    rotary = Qwen3VLTextRotaryEmbedding(config)
    marked = torch.stack([torch.full((1, 1, 64), float(axis)) for axis in range(3)])
    layout = rotary.recomposition_frequencies(marked)[0, 0, :64].tolist()
    ours = frequency_axes()
    assert [("t", "h", "w")[int(v)] for v in layout] == ours
    assert (ours.count("t"), ours.count("h"), ours.count("w")) == (24, 20, 20)


def test_token_boxes_tile_the_screen_one_per_visual_token() -> None:
    budget = VisualBudget(max_tokens=1280)
    geometry = ScreenGeometry.for_screen(1920, 1080).with_image(
        budget.resize(Size(width=1920, height=1080))
    )
    cells = token_boxes(geometry)
    assert len(cells) == budget.tokens(Size(width=1920, height=1080)) == 1222
    first, last = cells[0], cells[-1]
    assert (first.box.x1, first.box.y1) == (0, 0)
    assert last.box.x2 == pytest.approx(1919) and last.box.y2 == pytest.approx(1079)
    assert (last.row, last.col) == (25, 46)
    # each token covers 1920/1504 x 1080/832 screen pixels
    assert first.box.width == pytest.approx(32 * 1920 / 1504)


def test_the_overlay_draws_the_token_grid_and_the_box() -> None:
    from screenpilot.perception.geometry import ScreenBox
    from screenpilot.perception.overlay import BOX, grounding_overlay

    budget = VisualBudget(max_tokens=256)
    geometry = ScreenGeometry.for_screen(1280, 720).with_image(
        budget.resize(Size(width=1280, height=720))
    )
    picture = grounding_overlay(
        Image.new("RGB", (1280, 720), "white"),
        geometry,
        [ScreenBox(x1=100, y1=100, x2=300, y2=200)],
        label="Submit",
    )
    pixels = np.asarray(picture)
    assert pixels[100, 200].tolist() == list(BOX)  # the box's top edge
    cell = token_boxes(geometry)[1].box  # second cell of the first row: its left edge is a line
    column = int(cell.x1)  # Pillow truncates fractional coordinates
    assert (pixels[5:60, column] != 255).any()
    assert (pixels[400:500, 640:700] != 255).any(axis=2).mean() < 0.2  # mostly still white

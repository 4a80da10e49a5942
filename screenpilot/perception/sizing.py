"""How big a screenshot is when Qwen3-VL sees it, and how many visual tokens it costs.

Qwen3-VL cuts an image into 16 px patches and merges 2x2 of them into one visual token, so
each token covers 32x32 px and both sides of the image are resized to multiples of 32. The
resize rule ("smart resize") keeps the aspect ratio as well as it can while keeping the pixel
count between a minimum and a maximum; it must match the model's processor exactly, or the
positions we compute for the screenshot's tokens are wrong. `tests/test_sizing.py` checks it
against transformers' own function over a wide grid of sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from screenpilot.perception.geometry import Size

PATCH_SIZE = 16
MERGE_SIZE = 2
#: Side of the square one visual token covers, in pixels of the resized image.
TOKEN_SIDE = PATCH_SIZE * MERGE_SIZE
#: Released checkpoints: `size = {"shortest_edge": 65536, "longest_edge": 16777216}`.
DEFAULT_MIN_PIXELS = 64 * TOKEN_SIDE * TOKEN_SIDE
DEFAULT_MAX_PIXELS = 16384 * TOKEN_SIDE * TOKEN_SIDE
#: The processor refuses images more elongated than this.
MAX_ASPECT_RATIO = 200


def smart_resize(
    height: int,
    width: int,
    factor: int = TOKEN_SIDE,
    min_pixels: int = DEFAULT_MIN_PIXELS,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> tuple[int, int]:
    """The (height, width) the Qwen3-VL processor resizes a `height` x `width` image to.

    Argument order and defaults follow the processor's function (height first).
    Each side is first rounded to the nearest multiple of `factor` - with Python's
    round-half-to-even, so 720 px (22.5 tokens) becomes 704, not 736. If that is too many
    pixels, both sides shrink by the same ratio and are floored to multiples of `factor`
    (never below one `factor`); if too few, they grow and are ceiled.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"an image needs a positive size, got {width}x{height}")
    if max(height, width) / min(height, width) > MAX_ASPECT_RATIO:
        raise ValueError(
            f"a {width}x{height} image is more elongated than Qwen3-VL accepts "
            f"(aspect ratio above {MAX_ASPECT_RATIO}); crop it first"
        )
    new_h = round(height / factor) * factor
    new_w = round(width / factor) * factor
    if new_h * new_w > max_pixels:
        shrink = math.sqrt(height * width / max_pixels)
        new_h = max(factor, math.floor(height / shrink / factor) * factor)
        new_w = max(factor, math.floor(width / shrink / factor) * factor)
    elif new_h * new_w < min_pixels:
        grow = math.sqrt(min_pixels / (height * width))
        new_h = math.ceil(height * grow / factor) * factor
        new_w = math.ceil(width * grow / factor) * factor
    return new_h, new_w


@dataclass(frozen=True)
class VisualBudget:
    """Bounds on how many visual tokens one screenshot may cost.

    The default is what the released checkpoints ship (64 to 16384 tokens). A smaller
    `max_tokens` trades detail for speed: 1920x1080 costs 2040 tokens at the default and
    1222 with `max_tokens=1280` (the image becomes 1504x832).
    """

    min_tokens: int = 64
    max_tokens: int = 16384
    patch_size: int = PATCH_SIZE
    merge_size: int = MERGE_SIZE

    def __post_init__(self) -> None:
        if self.min_tokens < 1 or self.max_tokens < self.min_tokens:
            raise ValueError(
                f"a visual-token budget needs 1 <= min_tokens <= max_tokens, got "
                f"{self.min_tokens}..{self.max_tokens}"
            )

    @property
    def token_side(self) -> int:
        return self.patch_size * self.merge_size

    @property
    def min_pixels(self) -> int:
        return self.min_tokens * self.token_side**2

    @property
    def max_pixels(self) -> int:
        return self.max_tokens * self.token_side**2

    def resize(self, size: Size) -> Size:
        """The size the model sees an image of `size` at."""
        h, w = smart_resize(
            size.height, size.width, self.token_side, self.min_pixels, self.max_pixels
        )
        return Size(width=w, height=h)

    def tokens(self, size: Size) -> int:
        """Visual tokens an image of `size` costs (after the resize)."""
        seen = self.resize(size)
        return (seen.width // self.token_side) * (seen.height // self.token_side)

    def grid_thw(self, size: Size) -> tuple[int, int, int]:
        """The processor's `image_grid_thw` for one still image: (1, patch rows, patch cols)."""
        seen = self.resize(size)
        return (1, seen.height // self.patch_size, seen.width // self.patch_size)

    def processor_size(self) -> dict[str, int]:
        """The `size` dict to set on the image processor for this budget to take effect
        (passing `max_pixels` to `from_pretrained` is silently ignored)."""
        return {"shortest_edge": self.min_pixels, "longest_edge": self.max_pixels}

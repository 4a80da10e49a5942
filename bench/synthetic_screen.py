"""A desktop-like screenshot drawn from a seed, for the model benchmarks (PIL only)."""

from __future__ import annotations

import random

from PIL import Image, ImageDraw


def screenshot(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Windows, a title bar and labelled buttons. The processor's cost does not depend on the
    content, but a flat image would hide a cost that did; a different `seed` per request keeps
    a server's image cache from answering for the model."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (236, 238, 242))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0], 36), fill=(40, 44, 52))
    for _ in range(40):
        x, y = rng.randrange(size[0] - 200), rng.randrange(40, size[1] - 60)
        shade = tuple(rng.randrange(160, 255) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(80, 400), y + rng.randrange(24, 200)), fill=shade)
        draw.text((x + 6, y + 4), f"Button {rng.randrange(1000)}", fill=(20, 20, 20))
    return image

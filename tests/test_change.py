"""Change detection and the wait for a stable screen."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from screenpilot.perception.change import (
    _components,
    changed_fraction,
    changed_fraction_outside,
    changed_regions,
    wait_for_change,
    wait_until_stable,
)
from screenpilot.perception.geometry import Rect


def frame(h: int = 1080, w: int = 1920, value: int = 200) -> np.ndarray:
    return np.full((h, w, 3), value, dtype=np.uint8)


def test_equal_frames_have_no_change() -> None:
    a = frame()
    assert changed_fraction(a, a.copy()) == 0.0
    assert changed_regions(a, a.copy()) == []


def test_jitter_within_tolerance_is_not_change() -> None:
    a = frame()
    b = a.copy()
    b[100:200, 100:200] += 5
    assert changed_regions(a, b) == []
    assert changed_fraction(a, b) == 0.0


def test_regions_cover_each_change_and_stay_small() -> None:
    a = frame()
    b = a.copy()
    b[500:520, 300:400] = 0  # a word typed into a field
    b[1070:1080, 1910:1920] = 0  # a corner of the screen, at the partial last tile row
    regions = changed_regions(a, b)
    assert len(regions) == 2
    first, second = sorted(regions, key=lambda r: r.top)
    assert first.left <= 300 and first.left + first.width >= 400
    assert first.top <= 500 and first.top + first.height >= 520
    assert first.width * first.height < 0.02 * 1920 * 1080
    assert second.left + second.width == 1920 and second.top + second.height == 1080


def test_touching_changes_merge_and_a_resize_is_all_change() -> None:
    a = frame(256, 256)
    b = a.copy()
    b[10:20, 10:20] = 0
    b[40:50, 40:50] = 0
    assert len(changed_regions(a, b)) == 1
    assert changed_regions(a, frame(128, 256)) == [Rect(width=256, height=128)]
    assert changed_fraction(a, frame(128, 256)) == 1.0


class FakeScreen:
    """Frames that change for a while then hold still, and a clock that advances by sleeps."""

    def __init__(self, changes: int) -> None:
        self.changes, self.now, self.grabs = changes, 0.0, 0

    def capture(self) -> np.ndarray:
        self.grabs += 1
        value = min(self.grabs, self.changes + 1) * 10
        return frame(64, 64, value)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_wait_until_stable_returns_once_frames_repeat() -> None:
    screen = FakeScreen(changes=3)
    settled = wait_until_stable(
        screen.capture, timeout=5, interval=0.1, clock=screen.clock, sleep=screen.sleep
    )
    assert settled.stable
    assert settled.frames == 5  # 4 changing frames, then one repeat
    assert settled.waited == 0.4


def test_wait_until_stable_gives_up_at_the_timeout() -> None:
    screen = FakeScreen(changes=1000)
    settled = wait_until_stable(
        screen.capture, timeout=1, interval=0.1, clock=screen.clock, sleep=screen.sleep
    )
    assert not settled.stable
    assert 1.0 <= settled.waited < 1.2


def test_an_unchanged_screen_is_not_settled_before_the_app_had_time_to_react() -> None:
    screen = FakeScreen(changes=0)
    settled = wait_until_stable(
        screen.capture, timeout=5, interval=0.05, react=0.3, clock=screen.clock, sleep=screen.sleep
    )
    assert settled.stable and settled.waited >= 0.3
    moving = FakeScreen(changes=2)
    quick = wait_until_stable(
        moving.capture, timeout=5, interval=0.05, react=0.3, clock=moving.clock, sleep=moving.sleep
    )
    assert quick.stable and quick.waited < 0.3  # a change was seen: no need to wait it out


def scanned_components(grid: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The reference: a plain 8-neighbour flood fill from each unseen cell in scan order."""
    seen = np.zeros_like(grid)
    boxes = []
    for r, c in zip(*np.nonzero(grid), strict=True):
        if seen[r, c]:
            continue
        seen[r, c] = True
        todo, box = [(int(r), int(c))], [int(r), int(c), int(r), int(c)]
        while todo:
            y, x = todo.pop()
            box = [min(box[0], y), min(box[1], x), max(box[2], y), max(box[3], x)]
            for ny in range(max(0, y - 1), min(grid.shape[0], y + 2)):
                for nx in range(max(0, x - 1), min(grid.shape[1], x + 2)):
                    if grid[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        todo.append((ny, nx))
        boxes.append((box[0], box[1], box[2], box[3]))
    return boxes


def test_tile_groups_touch_diagonally_and_come_in_scan_order() -> None:
    grid = np.zeros((8, 9), dtype=bool)
    grid[0, 3] = True  # met first by a row-by-row scan
    for row, column in enumerate([8, 8, 7, 6, 5, 4, 3, 2]):
        grid[row, column] = True  # one group, corners touching; it reaches further left
    grid[6:8, 7:9] = True
    assert _components(grid) == [(0, 3, 0, 3), (0, 2, 7, 8), (6, 7, 7, 8)]
    assert _components(grid) == scanned_components(grid)
    assert _components(np.zeros((3, 3), dtype=bool)) == []
    assert _components(np.ones((3, 4), dtype=bool)) == [(0, 0, 2, 3)]


@given(arrays(np.bool_, st.tuples(st.integers(1, 24), st.integers(1, 24))))
def test_tile_groups_are_those_a_flood_fill_finds(grid: np.ndarray) -> None:
    assert _components(grid) == scanned_components(grid)


class FadingField:
    """A still screen but for one field whose focus ring fades in over `fade` frames, and
    something else (a popup) that shows at frame `popup` when given."""

    def __init__(self, fade: int, popup: int | None = None) -> None:
        self.fade, self.popup, self.now, self.grabs = fade, popup, 0.0, 0

    def capture(self) -> np.ndarray:
        self.grabs += 1
        shown = frame(100, 200)
        shown[40:60, 50:150] = 20 + 10 * min(self.grabs, self.fade)  # the ring fading in
        if self.popup is not None and self.grabs >= self.popup:
            shown[70:90, 50:150] = 0
        return shown

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


FIELD = Rect(left=40, top=30, width=120, height=40)


def test_changes_outside_a_region_are_counted_over_the_rest_of_the_frame() -> None:
    a = frame(100, 200)
    b = a.copy()
    b[40:60, 50:150] = 0  # inside the field
    assert changed_fraction_outside(a, b, [FIELD]) == 0.0
    b[0:10, 0:10] = 0  # 100 pixels outside it, of 200 x 100 - 120 x 40
    assert changed_fraction_outside(a, b, [FIELD]) == 100 / (200 * 100 - 120 * 40)
    assert changed_fraction_outside(a, b, []) == changed_fraction(a, b)
    whole = Rect(left=-5, top=-5, width=300, height=300)  # reaching past the frame
    assert changed_fraction_outside(a, b, [whole]) == 0.0


def test_a_field_still_fading_does_not_hold_the_screen_back_but_counts_as_a_reaction() -> None:
    fading = FadingField(fade=20)
    kept = wait_until_stable(
        fading.capture, timeout=5, interval=0.05, react=0.3, clock=fading.clock,
        sleep=fading.sleep,
    )  # fmt: skip
    assert kept.stable and kept.frames == 21  # the whole fade, then one repeat
    fading = FadingField(fade=20)
    left_aside = wait_until_stable(
        fading.capture, timeout=5, interval=0.05, react=0.3, changing=[FIELD],
        clock=fading.clock, sleep=fading.sleep,
    )  # fmt: skip
    # The ring's change lifted the react floor, and nothing else moved.
    assert left_aside.stable and left_aside.frames == 2 and left_aside.waited < 0.3
    popup = FadingField(fade=20, popup=2)
    seen = wait_until_stable(
        popup.capture, timeout=5, interval=0.05, react=0.3, changing=[FIELD],
        clock=popup.clock, sleep=popup.sleep,
    )  # fmt: skip
    assert seen.stable and seen.frames == 3  # the popup outside the field is waited for


def test_waiting_for_a_change_ends_at_the_first_one_or_at_the_timeout() -> None:
    screen = FakeScreen(changes=3)
    first = screen.capture()
    seen = wait_for_change(
        screen.capture, first, timeout=1, interval=0.02, clock=screen.clock, sleep=screen.sleep
    )
    assert seen.stable and seen.frames == 1 and seen.waited == 0.02
    still = FakeScreen(changes=0)
    nothing = wait_for_change(
        still.capture, still.capture(), timeout=0.1, interval=0.02, clock=still.clock,
        sleep=still.sleep,
    )  # fmt: skip
    assert not nothing.stable and 0.1 <= nothing.waited < 0.13


def test_a_change_made_before_the_wait_began_counts_as_the_reaction() -> None:
    typed = frame(64, 64, 10)  # the text was drawn before the first capture
    still = FakeScreen(changes=0)
    settled = wait_until_stable(
        lambda: typed, timeout=5, interval=0.05, react=0.3, since=frame(64, 64, 200),
        clock=still.clock, sleep=still.sleep,
    )  # fmt: skip
    assert settled.stable and settled.frames == 2 and settled.waited == 0.05
    unchanged = wait_until_stable(
        lambda: typed, timeout=5, interval=0.05, react=0.3, since=typed,
        clock=still.clock, sleep=still.sleep,
    )  # fmt: skip
    assert unchanged.stable and unchanged.waited >= 0.3  # nothing happened yet: the floor holds


def test_a_region_is_its_change_and_a_margin_not_whole_tiles() -> None:
    """A word typed at x=300 must not reach into a label ending 40 px to its left (a tile's
    rectangle did, and the label was read again every step); a dot grows to a crop OCR can
    read; a group the caller calls empty is left out."""
    from screenpilot.perception.change import DEFAULT_MARGIN, MIN_SIDE

    a = frame()
    b = a.copy()
    b[500:520, 300:400] = 0
    b[800:802, 1000:1002] = 0
    word, dot = changed_regions(a, b)
    assert word == Rect(
        left=300 - DEFAULT_MARGIN,
        top=500 - DEFAULT_MARGIN,
        width=100 + 2 * DEFAULT_MARGIN,
        height=20 + 2 * DEFAULT_MARGIN,
    )
    assert (dot.width, dot.height) == (MIN_SIDE, MIN_SIDE)
    assert dot.left <= 1000 and dot.left + dot.width >= 1002
    seen: list[tuple[tuple[int, ...], Rect]] = []

    def thin(mask: np.ndarray, where: Rect) -> bool:
        seen.append((mask.shape, where))
        return bool(mask.shape[0] <= 2)

    assert changed_regions(a, b, unless=thin) == [word]
    assert sorted(seen, key=lambda s: s[1].top) == [  # each group's changed pixels, cropped
        ((20, 100), Rect(left=300, top=500, width=100, height=20)),
        ((2, 2), Rect(left=1000, top=800, width=2, height=2)),
    ]

"""Coordinate frames: the conversions, their clamping, and the corner guard."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from screenpilot.errors import GeometryError
from screenpilot.perception.geometry import (
    ImagePoint,
    ModelBox,
    ModelPoint,
    Rect,
    ScreenBox,
    ScreenGeometry,
    ScreenPoint,
    Size,
)
from screenpilot.perception.sizing import VisualBudget
from tests.strategies import finite, geometries, shown_points


def test_model_point_lands_where_the_model_meant_on_a_resized_screenshot() -> None:
    # 1920x1080 is sent at 1504x832 under a 1280-token budget; the model still answers 0..1000.
    g = ScreenGeometry.for_screen(1920, 1080).with_image(Size(width=1504, height=832))
    p = g.model_to_screen(ModelPoint(x=500, y=300))
    assert (p.x, p.y) == pytest.approx((960.0, 324.0))


def test_monitor_offset_is_added_for_a_second_monitor() -> None:
    g = ScreenGeometry.for_screen(1920, 1080, left=1920, top=-200)
    p = g.model_to_screen(ModelPoint(x=250, y=500))
    assert (p.x, p.y) == pytest.approx((1920 + 480.0, -200 + 540.0))


def test_hidpi_scale_maps_physical_pixels_to_logical_points() -> None:
    g = ScreenGeometry.for_screen(1440, 900, scale=2.0)
    assert g.capture == Size(width=2880, height=1800)
    g = g.with_image(VisualBudget().resize(g.capture))
    p = g.model_to_screen(ModelPoint(x=500, y=500))
    assert (p.x, p.y) == pytest.approx((720.0, 450.0))
    # A point in image pixels: physical pixel (1000, 600) of an unresized capture is (500, 300).
    raw = ScreenGeometry.for_screen(1440, 900, scale=2.0)
    q = raw.image_to_screen(ImagePoint(x=1000, y=600))
    assert (q.x, q.y) == pytest.approx((500.0, 300.0))


def test_android_display_override_uses_the_override_as_the_touch_frame() -> None:
    # Physical 1440x3200 panel with `wm size 1080x2400`: input takes override coordinates
    # while this (old) screenshot still has physical pixels.
    g = ScreenGeometry(
        screen=Rect(width=1080, height=2400),
        capture=Size(width=1440, height=3200),
        image=Size(width=1440, height=3200),
    )
    p = g.image_to_screen(ImagePoint(x=720, y=1600))
    assert (p.x, p.y) == pytest.approx((540.0, 1200.0))
    # The phone tool's 999 divisor: its right edge is the last touch column.
    edge = g.model_to_screen(ModelPoint(x=999, y=500), scale=999)
    assert (edge.x, edge.y) == pytest.approx((1079.0, 500 / 999 * 2400))


def test_crop_maps_back_into_the_cropped_region() -> None:
    g = ScreenGeometry.for_screen(1920, 1080).with_image(Size(width=1504, height=832))
    region = ScreenBox(x1=800, y1=400, x2=1000, y2=500)
    zoomed = g.cropped(region, image=Size(width=800, height=400))
    centre = zoomed.model_to_screen(ModelPoint(x=500, y=500))
    assert (centre.x, centre.y) == pytest.approx((900.0, 450.0))
    assert zoomed.shows(ScreenPoint(x=850, y=450))
    assert not zoomed.shows(ScreenPoint(x=100, y=100))


def test_model_frame_refuses_coordinates_outside_0_to_1000() -> None:
    with pytest.raises(ValidationError, match="less than or equal to 1000"):
        ModelPoint(x=1001, y=5)
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        ModelPoint(x=3, y=-1)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "12", True, None])
def test_coordinates_must_be_finite_numbers(bad: object) -> None:
    with pytest.raises(ValidationError) as info:
        ScreenPoint(x=bad, y=1)  # type: ignore[arg-type]
    assert info.value.errors()[0]["loc"] == ("x",)


def test_box_corners_must_be_ordered() -> None:
    with pytest.raises(ValidationError, match="x1 <= x2"):
        ScreenBox(x1=10, y1=0, x2=5, y2=5)


def test_crop_outside_the_capture_is_refused() -> None:
    with pytest.raises(ValidationError, match="outside the 100x100 capture"):
        ScreenGeometry(
            screen=Rect(width=100, height=100),
            capture=Size(width=100, height=100),
            crop=Rect(left=50, top=50, width=60, height=10),
            image=Size(width=60, height=10),
        )


def test_corner_targets_are_moved_off_the_corner() -> None:
    g = ScreenGeometry.for_screen(1920, 1080)
    assert g.model_to_screen(ModelPoint(x=0, y=0)) == ScreenPoint(x=4, y=4)
    assert g.model_to_screen(ModelPoint(x=1000, y=1000)) == ScreenPoint(x=1915, y=1075)
    # Along an edge but away from a corner a point is only clamped.
    assert g.model_to_screen(ModelPoint(x=500, y=1000)) == ScreenPoint(x=960, y=1079)


def test_geometry_round_trips_through_json() -> None:
    g = ScreenGeometry.for_screen(2560, 1440, left=-2560, scale=1.5).cropped(
        ScreenBox(x1=-2550, y1=20, x2=-1960, y2=400)
    )
    again = ScreenGeometry.model_validate_json(g.model_dump_json())
    assert again == g
    assert json.loads(g.model_dump_json())["crop"] == {
        "left": 15,
        "top": 30,
        "width": 885,
        "height": 570,
    }


def test_crop_that_misses_the_screen_is_refused() -> None:
    g = ScreenGeometry.for_screen(2560, 1440, left=-2560)
    with pytest.raises(GeometryError, match="does not overlap the screen"):
        g.cropped(ScreenBox(x1=10, y1=20, x2=600, y2=400))


def test_size_parse_reads_and_refuses() -> None:
    assert Size.parse("1080X2400") == Size(width=1080, height=2400)
    with pytest.raises(ValueError, match="1920x1080"):
        Size.parse("1920 by 1080")


# ---------------------------------------------------------------- properties
@given(st.data())
def test_screen_to_model_to_screen_stays_within_one_pixel(data: st.DataObject) -> None:
    g = data.draw(geometries())
    p = data.draw(shown_points(g))
    for scale in (1000, 999):
        back = g.model_to_screen(g.screen_to_model(p, scale), scale)
        assert abs(back.x - p.x) <= 1 and abs(back.y - p.y) <= 1
        # In fact the frames are exact up to float rounding.
        assert back.x == pytest.approx(p.x, abs=1e-6)
        assert back.y == pytest.approx(p.y, abs=1e-6)


@given(st.data())
def test_clamping_never_leaves_the_screen_or_parks_on_a_corner(data: st.DataObject) -> None:
    g = data.draw(geometries())
    screen = g.screen_box
    model = ModelPoint(x=data.draw(st.floats(0, 1000)), y=data.draw(st.floats(0, 1000)))
    image = ImagePoint(x=data.draw(finite), y=data.draw(finite))
    wild = ScreenPoint(x=data.draw(finite), y=data.draw(finite))
    for p in (g.model_to_screen(model), g.image_to_screen(image), g.guard(wild)):
        assert screen.contains(p)
        m = g.corner_margin
        near_x = min(p.x - screen.x1, screen.x2 - p.x) < m
        near_y = min(p.y - screen.y1, screen.y2 - p.y) < m
        assert not (near_x and near_y), p
    c = g.clamp(wild)
    assert screen.contains(c)


@given(st.data())
def test_model_boxes_map_inside_the_screen(data: st.DataObject) -> None:
    g = data.draw(geometries())
    xs = sorted(data.draw(st.lists(st.floats(0, 1000), min_size=2, max_size=2)))
    ys = sorted(data.draw(st.lists(st.floats(0, 1000), min_size=2, max_size=2)))
    box = g.model_box_to_screen(ModelBox(x1=xs[0], y1=ys[0], x2=xs[1], y2=ys[1]))
    screen = g.screen_box
    assert screen.contains(ScreenPoint(x=box.x1, y=box.y1))
    assert screen.contains(ScreenPoint(x=box.x2, y=box.y2))

"""Hypothesis strategies shared by the tests: geometries, screen points, actions, tool calls."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from screenpilot.actions.keys import KEY_NAMES
from screenpilot.perception.geometry import Rect, ScreenGeometry, ScreenPoint
from screenpilot.perception.sizing import VisualBudget

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def geometries(draw: st.DrawFn, *, allow_crop: bool = True) -> ScreenGeometry:
    """Screens of many sizes and offsets, HiDPI scales, optional crops, model-sized images."""
    width = draw(st.integers(64, 4000))
    height = draw(st.integers(64, 4000))
    scale = draw(st.sampled_from([1.0, 1.0, 1.25, 1.5, 2.0]))
    left = draw(st.integers(-3000, 3000))
    top = draw(st.integers(-3000, 3000))
    g = ScreenGeometry.for_screen(width, height, left=left, top=top, scale=scale)
    if allow_crop and draw(st.booleans()):
        cw = draw(st.integers(32, g.capture.width))
        ch = draw(st.integers(32, g.capture.height))
        cl = draw(st.integers(0, g.capture.width - cw))
        ct = draw(st.integers(0, g.capture.height - ch))
        g = ScreenGeometry.model_validate(
            {**dict(g), "crop": Rect(left=cl, top=ct, width=cw, height=ch)}
        )
    crop = g.crop_rect.size
    if max(crop.width, crop.height) / min(crop.width, crop.height) > 200:
        return g.with_image(crop)
    budget = VisualBudget(max_tokens=draw(st.sampled_from([256, 1280, 2048, 16384])))
    return g.with_image(budget.resize(crop))


@st.composite
def shown_points(draw: st.DrawFn, geometry: ScreenGeometry) -> ScreenPoint:
    """A screen point the geometry's image shows, outside the corner zones."""
    box = geometry.shown_box
    x = draw(st.floats(box.x1, box.x2, allow_nan=False))
    y = draw(st.floats(box.y1, box.y2, allow_nan=False))
    p = ScreenPoint(x=x, y=y)
    if geometry.in_corner_zone(p):
        m = geometry.corner_margin
        s = geometry.screen_box
        p = ScreenPoint(x=min(max(x, s.x1 + m), s.x2 - m), y=min(max(y, s.y1 + m), s.y2 - m))
        if not geometry.shows(p):
            # A crop wholly inside a corner zone: nothing is left to draw from.
            from hypothesis import reject

            reject()
    return p


def _point_json(p: ScreenPoint) -> dict[str, Any]:
    return {"kind": "point", "x": p.x, "y": p.y}


texts = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf", "Co", "Cn")),
    min_size=1,
    max_size=40,
)
typed_texts = st.one_of(texts, st.text(st.sampled_from("ab \n\t;$`'\"%s"), min_size=1))
seconds = st.floats(0.001, 3600, allow_nan=False)
gesture_seconds = st.floats(0.001, 60, allow_nan=False)
chords = st.lists(
    st.sampled_from(sorted(KEY_NAMES) + list("abcXYZ019/+-")), min_size=1, max_size=4, unique=True
)


@st.composite
def any_target(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["point", "box", "element", "description"]))
    if kind == "point":
        return {"kind": "point", "x": draw(finite), "y": draw(finite)}
    if kind == "box":
        x1, x2 = sorted((draw(finite), draw(finite)))
        y1, y2 = sorted((draw(finite), draw(finite)))
        return {"kind": "box", "x1": x1, "y1": y1, "x2": x2, "y2": y2}
    if kind == "element":
        return {"kind": "element", "id": draw(st.text(min_size=1, max_size=20))}
    return {"kind": "description", "text": draw(texts.filter(lambda t: t.strip() == t))}


@st.composite
def any_action(draw: st.DrawFn) -> dict[str, Any]:
    """Any valid action, as the JSON-ready dict a task file or a planner would write."""
    target = any_target()
    maybe_target = st.none() | target
    kind = draw(
        st.sampled_from(
            [
                "click",
                "hover",
                "long_press",
                "drag",
                "scroll",
                "swipe",
                "type",
                "key",
                "system_button",
                "open_app",
                "wait",
                "answer",
                "finish",
            ]
        )
    )
    d: dict[str, Any] = {"type": kind}
    if kind == "click":
        d |= {
            "target": draw(maybe_target),
            "button": draw(st.sampled_from(["left", "right", "middle"])),
            "count": draw(st.sampled_from([1, 2, 3])),
        }
    elif kind == "hover":
        d |= {"target": draw(target)}
    elif kind == "long_press":
        d |= {"target": draw(target), "duration": draw(gesture_seconds)}
    elif kind == "drag":
        d |= {
            "start": draw(maybe_target),
            "end": draw(target),
            "duration": draw(st.none() | gesture_seconds),
        }
    elif kind == "scroll":
        d |= {
            "direction": draw(st.sampled_from(["up", "down", "left", "right"])),
            "amount": draw(st.integers(1, 1000)),
            "target": draw(maybe_target),
        }
    elif kind == "swipe":
        if draw(st.booleans()):
            d |= {"start": draw(target), "end": draw(target)}
        else:
            d |= {
                "start": draw(maybe_target),
                "direction": draw(st.sampled_from(["up", "down", "left", "right"])),
                "distance": draw(st.none() | st.floats(0.01, 1)),
            }
        d |= {"duration": draw(st.none() | gesture_seconds)}
    elif kind == "type":
        d |= {
            "text": draw(typed_texts),
            "target": draw(maybe_target),
            "clear_first": draw(st.booleans()),
            "press_enter": draw(st.booleans()),
        }
    elif kind == "key":
        d |= {"keys": draw(chords)}
    elif kind == "system_button":
        d |= {"button": draw(st.sampled_from(["back", "home", "recents", "enter"]))}
    elif kind == "open_app":
        d |= {"app": draw(texts.filter(lambda t: t.strip() == t))}
    elif kind == "wait":
        which = draw(st.sampled_from(["seconds", "until_text", "until_element"]))
        if which == "seconds":
            d |= {"seconds": draw(seconds)}
        else:
            d |= {which: draw(texts), "timeout": draw(st.none() | seconds)}
    elif kind == "answer":
        d |= {"text": draw(texts)}
    else:
        d |= {"status": draw(st.sampled_from(["success", "failure"])), "message": draw(texts)}
    return d

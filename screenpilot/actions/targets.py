"""What an action points at: a place on the screen, an element of the observation, or words.

A target is one of
- `ScreenPoint` / `ScreenBox`: already in the screen frame (device input coordinates);
- `ElementRef`: an element of the current observation's list (accessibility tree,
  uiautomator dump or OCR), by its id;
- `Description`: words ("the Email field") that a grounder places on the newest screenshot
  just before the action runs, so a plan survives layout changes;
- `WindowPoint`: a point relative to the active window's top-left corner, which a recording
  keeps only when nothing on the screen names the place (a drawing area, an unlabelled icon).

In JSON each carries a `kind`. Hand-written task files may use shorthands, which are read
into the same types: a string is a description, `[x, y]` a point, `[x1, y1, x2, y2]` a box,
`{"element": "e7"}` an element reference.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from screenpilot.perception.geometry import ScreenBox, ScreenPoint


class ElementRef(BaseModel):
    """An element of the current observation's element list, by id."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["element"] = "element"
    id: Annotated[str, Field(min_length=1, max_length=200)]


class Description(BaseModel):
    """A target described in words, to be grounded on the newest screenshot."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["description"] = "description"
    text: Annotated[str, Field(max_length=500)]

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        text = text.strip()
        if not text:
            raise ValueError("a description needs some words, e.g. 'the Submit button'")
        return text


class WindowPoint(BaseModel):
    """A point `x`, `y` pixels from the top-left corner of the active window (the window
    named `window` when it was recorded), placed wherever that window is at run time."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    kind: Literal["window_point"] = "window_point"
    x: Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)]
    y: Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)]
    window: Annotated[str, Field(max_length=500)] = ""


def _expand_shorthand(value: Any) -> Any:
    if isinstance(value, str):
        return {"kind": "description", "text": value}
    if isinstance(value, list | tuple):
        if len(value) == 2:
            return {"kind": "point", "x": value[0], "y": value[1]}
        if len(value) == 4:
            return {"kind": "box", "x1": value[0], "y1": value[1], "x2": value[2], "y2": value[3]}
        raise ValueError(
            f"a target list must be [x, y] or [x1, y1, x2, y2], got {len(value)} numbers"
        )
    if isinstance(value, dict) and "kind" not in value and set(value) == {"element"}:
        return {"kind": "element", "id": str(value["element"])}
    return value


Target = Annotated[
    ScreenPoint | ScreenBox | ElementRef | Description | WindowPoint,
    Field(discriminator="kind"),
    BeforeValidator(_expand_shorthand),
]

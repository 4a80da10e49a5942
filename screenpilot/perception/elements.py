"""UI elements: what an observation knows is on the screen, whatever found it.

Accessibility trees (AT-SPI), uiautomator dumps, OCR and the pixel field detector all produce
the same `Element`, so grounding and verification do not care where an element came from.
Roles are normalised to a small set so that "the Email field" means the same on every source.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from screenpilot.perception.geometry import ScreenBox

#: Roles after normalisation. "text" is static text (a label, OCR'd words); "field" is an
#: input found in pixels whose kind is unknown; "other" is anything else with a box.
Role = Literal[
    "button", "entry", "checkbox", "radio", "combo", "link", "menu", "tab", "text",
    "field", "window", "other",
]  # fmt: skip

#: Roles a person types into or picks a value in.
INPUT_ROLES: frozenset[Role] = frozenset({"entry", "combo", "field"})

Source = Literal["a11y", "uiautomator", "ocr", "pixels"]


class Element(BaseModel):
    """One thing on the screen with a box in the screen frame."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Unique within one observation, e.g. 'ocr-3' or 'a11y-12'.")
    role: Role
    name: str = Field(default="", description="Accessible name, label or the OCR'd text.")
    value: str = Field(default="", description="Current text of an input, if known.")
    states: frozenset[str] = Field(
        default=frozenset(),
        description="e.g. checked, focused, editable, enabled, password; 'active-window' when it"
        " belongs to the focused, topmost window.",
    )
    placeholder: str = Field(
        default="", description="Hint text an empty input shows (a11y, or OCR'd dim text)."
    )
    window: str = Field(
        default="", description="The top-level window it belongs to, when the source knows it."
    )
    box: ScreenBox
    source: Source
    score: float = Field(default=1.0, ge=0, le=1, description="Detector confidence (OCR).")

    @property
    def checked(self) -> bool | None:
        """True/False for a checkable element whose state is known, else None."""
        if "checkable" not in self.states and self.role not in ("checkbox", "radio"):
            return None
        return "checked" in self.states


def numbered(elements: Iterable[Element], prefix: str) -> list[Element]:
    """The elements with ids `prefix-0`, `prefix-1`, ... in reading order (top, then left)."""
    ordered = sorted(elements, key=lambda e: (round(e.box.y1 / 8), e.box.x1))
    return [e.model_copy(update={"id": f"{prefix}-{i}"}) for i, e in enumerate(ordered)]

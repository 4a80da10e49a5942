"""Model families the native policy can drive: what each is told, how it answers, and in
which frame its coordinates are.

A `Family` owns the three things that differ between models trained for GUI work: the
prompt (system prompt and the user turn sent with each screenshot), the answer format it
reads back into the project's actions, and the coordinate frame of those answers. The rest
- the screenshot, the steps so far, the loop - is the policy's and stays the same.

- `qwen3-vl` (`qwen.QWEN3_VL`): `computer_use` / `mobile_use` tool calls in `<tool_call>`
  JSON, coordinates 0..1000 (0..999 on the phone) of the image. What the project always did.
- `qwen2.5-vl` (`qwen.QWEN25_VL`): the same tool calls, but coordinates are absolute pixels
  of the image after Qwen2.5-VL's smart resize (sides multiples of 28), and the tool states
  that size as the screen's resolution.
- `ui-tars` (`ui_tars.UI_TARS`): UI-TARS-1.5's `Thought: ...` / `Action: click(start_box=
  '(x,y)')` text, coordinates in the same resized pixels.

A family is named on the command line (`run --family`) or found from the model's name or
its checkpoint's `config.json` (`detect_family`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

if TYPE_CHECKING:
    from screenpilot.actions.vocabulary import Action
    from screenpilot.models.tool_calls import ToolName
    from screenpilot.perception.geometry import ScreenGeometry, Size
    from screenpilot.perception.sizing import VisualBudget

log = logging.getLogger(__name__)

FamilyName = Literal["qwen3-vl", "qwen2.5-vl", "ui-tars"]
FAMILIES: tuple[FamilyName, ...] = get_args(FamilyName)
DEFAULT_FAMILY: FamilyName = "qwen3-vl"


class Family(Protocol):
    """One model family behind the native policy's prompt / answer seam."""

    @property
    def name(self) -> FamilyName:
        """The family's name, as `run --family` takes it."""
        ...

    @property
    def frame(self) -> str:
        """Where its coordinates live, in words (for logs and documentation)."""
        ...

    def visual_budget(self, budget: VisualBudget) -> VisualBudget:
        """`budget` with this family's patch size: the screenshot is resized the way the
        family's own processor would, so the server leaves it as it is and the pixels the
        model names are the pixels that were sent."""
        ...

    def system_prompt(self, tool: ToolName, image: Size) -> str:
        """The system prompt for a screenshot sent at `image` size."""
        ...

    def user_turn(self, tool: ToolName, instruction: str, history: str) -> str:
        """The words sent with each screenshot: the task and the steps so far."""
        ...

    def tools_text(self, tool: ToolName, image: Size) -> str:
        """What a prompt file's {tools} placeholder becomes: the actions the model may use."""
        ...

    def thought(self, answer: str) -> str:
        """The part of an answer that explains the action (kept as the step's thought)."""
        ...

    def actions(self, answer: str, tool: ToolName, geometry: ScreenGeometry) -> list[Action]:
        """The actions an answer asks for, placed on the screen `geometry` maps to.

        Raises `ModelParseError` (keeping the raw answer) for anything it cannot read, and
        `InvalidInputError` for a well-formed call asking what screenpilot refuses."""
        ...

    def past_call(
        self, action: Action, tool: ToolName, geometry: ScreenGeometry
    ) -> dict[str, Any] | str | None:
        """A step already taken, written as this family would have asked for it on the
        image of `geometry` (whole numbers in its frame); None when it has no way to."""
        ...

    def call_words(self, call: dict[str, Any] | str) -> str:
        """A short sentence of ours for a `past_call`, for a step the model did not word."""
        ...

    def tool_label(self, tool: ToolName) -> str:
        """What a refusal calls the tool ("computer_use", "UI-TARS's action space")."""
        ...


def family_named(name: FamilyName) -> Family:
    """The family of this name."""
    from screenpilot.models.families.qwen import QWEN3_VL, QWEN25_VL
    from screenpilot.models.families.ui_tars import UI_TARS

    families: dict[str, Family] = {
        "qwen3-vl": QWEN3_VL,
        "qwen2.5-vl": QWEN25_VL,
        "ui-tars": UI_TARS,
    }
    if name not in families:
        raise ValueError(f"{name!r} is not a model family; one of {', '.join(FAMILIES)}")
    return families[name]


def family_of_name(name: str) -> FamilyName | None:
    """The family a model's name says it is (`ByteDance-Seed/UI-TARS-1.5-7B`,
    `Qwen/Qwen2.5-VL-7B-Instruct`), or None when the name does not say."""
    folded = name.lower().replace("_", "-")
    if "ui-tars" in folded or "uitars" in folded:
        return "ui-tars"
    if any(s in folded for s in ("qwen2.5-vl", "qwen2.5vl", "qwen2-5-vl")):
        return "qwen2.5-vl"
    if "qwen3-vl" in folded or "qwen3vl" in folded:
        return "qwen3-vl"
    return None


#: Checkpoint model types (config.json's `model_type`) and the family each one is.
MODEL_TYPE_FAMILIES: dict[str, FamilyName] = {
    "qwen2_5_vl": "qwen2.5-vl",
    "qwen3_vl": "qwen3-vl",
    "qwen3_vl_moe": "qwen3-vl",
}


def detect_family(model: str | None, *, server: str | None = None) -> FamilyName:
    """The family of the model a run names: a name with "UI-TARS" in it is UI-TARS (whose
    checkpoints are Qwen2.5-VL underneath); then, for a local checkpoint folder, its
    config's `model_type` (`qwen2_5_vl` is Qwen2.5-VL); then what the name says (a hub id,
    or the model a `server` serves); else Qwen3-VL."""
    if not model:
        return DEFAULT_FAMILY
    named = family_of_name(Path(model.rstrip("/")).name) or family_of_name(model)
    if named == "ui-tars":
        return named
    if not server:
        config = Path(model) / "config.json"
        if config.is_file():
            kind = _model_type(config)
            if kind in MODEL_TYPE_FAMILIES:
                return MODEL_TYPE_FAMILIES[kind]
    return named or DEFAULT_FAMILY


def _model_type(config: Path) -> str:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        log.debug("cannot read %s: %s", config, error)
        return ""
    return str(data.get("model_type", "")) if isinstance(data, dict) else ""

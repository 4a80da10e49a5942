"""The exceptions screenpilot raises on purpose, each with a sentence a user can act on."""

from __future__ import annotations

from typing import Any


class ScreenpilotError(Exception):
    """Base of every error screenpilot raises deliberately."""


class NoEquivalentError(ScreenpilotError, ValueError):
    """An action has no exact counterpart in the other vocabulary (or the reverse).

    Raised instead of guessing: the message says what is missing and, where there is one,
    how to express the same intent in a form that does convert.
    """


class GeometryError(ScreenpilotError, ValueError):
    """A coordinate cannot be placed in the requested frame (for example, outside a crop)."""


class InvalidInputError(ScreenpilotError, ValueError):
    """An action, tool call or other structured input failed validation.

    `problems` holds one (field path, reason) pair per failure; the message lists them in
    plain words, e.g. ``invalid swipe action: `start.x`: Input should be a finite number``.
    """

    def __init__(self, what: str, problems: list[tuple[str, str]]) -> None:
        self.what = what
        self.problems = problems
        lines = [f"`{path}`: {reason}" if path else reason for path, reason in problems]
        super().__init__(f"invalid {what}: " + "; ".join(lines))

    @classmethod
    def from_validation(cls, what: str, error: Any, *, tagged: bool = False) -> InvalidInputError:
        """Build from a pydantic `ValidationError`. With `tagged`, the first step of each
        location is a union tag (the action type) and goes into `what` instead of the path."""
        problems: list[tuple[str, str]] = []
        tags: list[str] = []
        for item in error.errors(include_url=False):
            loc = [str(part) for part in item["loc"]]
            if tagged and loc:
                tags.append(loc.pop(0))
            reason = str(item["msg"]).removeprefix("Value error, ")
            ctx = item.get("ctx") or {}
            if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
                # The tag itself is wrong: name the tag field, not the union.
                loc.append(str(ctx.get("discriminator", "")).strip("'"))
                reason = (
                    "is missing"
                    if item["type"] == "union_tag_not_found"
                    else (f"{ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}")
                )
            problems.append((".".join(loc), reason))
        if tags and len(set(tags)) == 1:
            what = f"{tags[0]} {what}"
        return cls(what, problems)


class EnvironmentLostError(ScreenpilotError):
    """What the agent works with is gone: the X server, the phone, the model server.

    Unlike a step that failed (a target not found, an effect not seen), nothing is gained by
    trying again: the loop ends the run as `error` at once, with everything recorded so far.
    """


class DeviceLostError(EnvironmentLostError):
    """The device stopped answering: the X display closed, the phone was unplugged."""


class ModelUnavailableError(EnvironmentLostError):
    """The model server cannot be reached (or keeps failing after its retries)."""

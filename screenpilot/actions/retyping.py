"""What a typing step sends to the device: its text as written, or, when the same step is
tried again after its verification failed, only what the field still lacks.

Typing is not idempotent: typed twice into a field that already took it, "Bob Stone"
becomes "Bob StoneBob Stone". So a retry first reads the field (its accessible value, else
what OCR reads there) and compares it with the value the first try aimed at:
- it holds that value already (the text showed after verification gave up): type nothing;
- it holds the start of it (keys were dropped): type only the rest, at the end;
- it holds anything else: clear it and type the whole value.
A password field cannot be read (it shows mask characters): its retry clears it and types
the text again. A field that cannot be read at all gets the step as written (its first try
changed nothing anyone could see).
"""

from __future__ import annotations

from dataclasses import dataclass

from screenpilot.actions.placement import Placed
from screenpilot.actions.verification import TREE_SOURCES, intended_value
from screenpilot.actions.vocabulary import TypeText


@dataclass(frozen=True)
class Typing:
    """What to send: clear the field first or not, the text to type, and the value the
    field should hold afterwards (None when it cannot be known). `note` says why a retry
    types differently from its step ("" for a first try)."""

    clear: bool
    text: str
    intended: str | None
    note: str = ""


def first_try(action: TypeText, placed: Placed | None, read_before: str | None) -> Typing:
    """The step as written. `read_before` is what OCR read in the field before typing, for a
    field with no accessible value."""
    intended = intended_value(action, placed)
    if intended is None and read_before is not None and not _secret(placed):
        intended = read_before.strip() + action.text
    return Typing(action.clear_first, action.text, intended)


def retry(
    action: TypeText, placed: Placed | None, intended: str | None, read_now: str | None
) -> Typing:
    """The retry of `action` whose first try aimed at `intended`, the field now holding its
    accessible value or, without one, `read_now` (what OCR reads there; None: unreadable)."""
    if _secret(placed):
        return Typing(True, action.text, action.text, "retry: cleared the password field first")
    now = _held(placed)
    if now is None:
        now = read_now.strip() if read_now is not None else None
    if intended is None or now is None:
        return Typing(action.clear_first, action.text, intended)
    if now == intended:
        return Typing(False, "", intended, "retry: the field already held the text; typed nothing")
    if now and intended.startswith(now):
        return Typing(
            False, intended[len(now) :], intended, "retry: typed only the part the field lacked"
        )
    return Typing(True, intended, intended, "retry: cleared the field and typed it again")


def _held(placed: Placed | None) -> str | None:
    element = placed.element if placed is not None else None
    if element is not None and element.source in TREE_SOURCES and element.role == "entry":
        return element.value
    return None


def _secret(placed: Placed | None) -> bool:
    return placed is not None and placed.element is not None and "password" in placed.element.states

"""Secrets out of everything a run records or shows: each secret value is replaced by a mask
wherever it appears, once, before any record leaves the loop."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel

MASK = "•••"

Model = TypeVar("Model", bound=BaseModel)


class Redactor:
    """Replaces every secret value wherever it appears in text, data or a record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(v) for v in values)) if values else None

    @property
    def active(self) -> bool:
        """Whether there is any secret to mask."""
        return self._pattern is not None

    def text(self, value: str) -> str:
        return self._pattern.sub(MASK, value) if self._pattern else value

    def data(self, value: Any) -> Any:
        """Redact every string inside a JSON-ready structure."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value

    def record(self, record: Model) -> Model:
        """The same record (a pydantic model, nested ones too) with every secret masked in
        its free text. Fixed words of the format (a record's kind, an action's type, a
        status: any `Literal` field) are left as they are, whatever a secret spells."""
        if not self.active:
            return record
        changes: dict[str, Any] = {}
        for name, spec in type(record).model_fields.items():
            value = getattr(record, name)
            masked = value if _fixed(spec.annotation) else self._value(value)
            if masked is not value:
                changes[name] = masked
        return record.model_copy(update=changes) if changes else record

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            masked = self.text(value)
            return masked if masked != value else value
        if isinstance(value, BaseModel):
            return self.record(value)
        if isinstance(value, list | tuple):
            items = [self._value(v) for v in value]
            if any(a is not b for a, b in zip(items, value, strict=True)):
                return type(value)(items)
        return value


def _fixed(annotation: Any) -> bool:
    """Whether a field holds only fixed words (a Literal, or an optional one)."""
    if get_origin(annotation) is Literal:
        return True
    args = get_args(annotation)
    return bool(args) and all(get_origin(a) is Literal or a is type(None) for a in args)

"""Secrets out of everything a run records or shows: each secret value is replaced by a mask
wherever it appears, once, before any record leaves the loop."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar

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
        """The same record (a pydantic model) with every secret masked."""
        if not self.active:
            return record
        return type(record).model_validate(self.data(record.model_dump(mode="json")))

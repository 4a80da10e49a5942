"""Hand-written YAML files (task files, evaluation suites) read into pydantic models.

A file is parsed into plain data and a table of the line every value starts on, so a
validation problem can be told as a sentence naming the file, the line and the field:
``task.yaml:7: invalid click step: `target`: ... (step 3)``. The models themselves (in
`policies.task_file` and `agent.suites`) say what a file may hold; this module only reads
and reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from screenpilot.policies.base import PolicyError

#: The reason given for a key a model does not take.
UNKNOWN_KEY = "unknown key"
#: What a secret's value is replaced by in an error.
MASK = "•••"
#: A place in a document's data: the keys and list indices leading to a value.
DataPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a document: where (the data path, the union tags pydantic passed
    through on the way, the line) and why."""

    path: DataPath
    tags: tuple[str, ...]
    reason: str
    line: int | None

    def field(self, start: int = 0) -> str:
        """The dotted field name from `path[start:]` ("target.x", "phrasings.2")."""
        return ".".join(str(part) for part in self.path[start:])


@dataclass(frozen=True)
class YamlDocument:
    """A YAML file's data and the line (1-based) each value in it starts on."""

    source: Path
    data: Any
    lines: Mapping[DataPath, int]

    @classmethod
    def read(cls, path: str | Path, what: str) -> YamlDocument:
        """Parse `path`; `what` ("task file", "suite") names it in the PolicyError raised
        when it cannot be read or is not YAML."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise PolicyError(f"cannot read the {what} {path}: {error}") from None
        try:
            data = yaml.safe_load(text)
            lines = _lines(yaml.compose(text, Loader=yaml.SafeLoader))
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            problem = getattr(error, "problem", None) or error
            raise PolicyError(f"{where}: not valid YAML: {problem}") from None
        return cls(path, data, lines)

    def line_of(self, path: DataPath) -> int | None:
        """The line of the value at `path`, or of the nearest enclosing value known."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def problems(self, error: ValidationError, data: Any = None) -> list[Problem]:
        """Each failure of a validation of `data` (default: this document's data), placed.

        Pydantic's locations also hold the tags of the unions it went through (a step's
        kind, an action's type); walking the data alongside tells those apart from keys: a
        part is a tag when the mapping there has it as its `type` or `kind` (a `type: type`
        step), or when the data has no such key."""
        data = self.data if data is None else data
        found = []
        for item in error.errors(include_url=False):
            named = item["type"] in ("missing", "extra_forbidden")
            path, tags = _data_path(data, item["loc"], names_a_key=named)
            reason = str(item["msg"]).removeprefix("Value error, ")
            ctx = item.get("ctx") or {}
            if item["type"] == "missing":
                reason = "is missing"
            elif item["type"] == "extra_forbidden":
                reason = UNKNOWN_KEY
            elif item["type"] == "union_tag_invalid":
                # The tag itself is wrong: name the tag's field, not the union.
                path += (str(ctx.get("discriminator", "")).strip("'"),)
                reason = f"{ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}"
            elif item["type"] == "union_tag_not_found":
                path += (str(ctx.get("discriminator", "")).strip("'"),)
                reason = "is missing"
            found.append(Problem(path, tags, reason, self.line_of(path)))
        return found

    def fail(
        self,
        error: ValidationError,
        describe: Callable[[Problem], str],
        *,
        data: Any = None,
        hide: Iterable[str] = (),
    ) -> PolicyError:
        """One PolicyError for a failed validation: a line per problem, ``file:line: ...``
        with the rest of each line written by `describe`; values in `hide` (secrets) are
        masked wherever a reason quotes them."""
        lines = []
        for problem in sorted(self.problems(error, data), key=lambda p: p.line or 0):
            where = f"{self.source}:{problem.line}" if problem.line else str(self.source)
            lines.append(f"{where}: {mask(describe(problem), hide)}")
        return PolicyError("\n".join(dict.fromkeys(lines)))


def mask(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value replaced by the mask (longest first)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _lines(node: yaml.Node | None, path: DataPath = ()) -> dict[DataPath, int]:
    """The start line of every value in a composed YAML tree (aliases share their anchor's)."""
    if node is None:
        return {}
    found = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                found.update(_lines(value, (*path, key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.update(_lines(item, (*path, index)))
    return found


_MISSING = object()
#: The keys whose value tags a union in the models read (an action's, a target's).
_TAGGED_BY = ("type", "kind")


def _data_path(
    data: Any, loc: Sequence[str | int], *, names_a_key: bool
) -> tuple[DataPath, tuple[str, ...]]:
    """Split a pydantic location into the path through `data` and the union tags.

    A part is a key when the data holds it (or, with `names_a_key`, when it is the last part:
    the name of a missing or unknown field); anything else is a tag."""
    path: list[str | int] = []
    tags: list[str] = []
    here: Any = data
    for number, part in enumerate(loc):
        last = names_a_key and number == len(loc) - 1
        inside: Any = _MISSING
        if isinstance(here, Mapping):
            if any(here.get(key) == part for key in _TAGGED_BY):
                tags.append(str(part))
                continue
            inside = here.get(part, _MISSING)
        elif isinstance(here, list) and isinstance(part, int) and 0 <= part < len(here):
            inside = here[part]
        if inside is not _MISSING or (last and isinstance(here, Mapping)):
            path.append(part)
            here = inside
        else:
            tags.append(str(part))
    return tuple(path), tuple(tags)


def field_reason(field: str, reason: str) -> str:
    """``"`field`: reason"``, or the reason alone when it has no field or names it itself."""
    if not field or reason.startswith(f"`{field}`"):
        return reason
    return f"`{field}`: {reason}"

"""UI-TARS' action text, read as data: `Action: click(start_box='(412,318)')` and its kin.

`read_calls` is a small scanner over `name(key='value', ...)` - identifiers, `=`, single-
or double-quoted strings with backslash escapes, commas - and refuses anything else (an
expression, a bare number, an unclosed quote) as a `ModelParseError` that keeps the raw
answer. Nothing is ever passed to `eval` or `ast`. `read_point` reads the point forms the
UI-TARS variants write: `'(x,y)'`, inside `<|box_start|>...<|box_end|>`, `<point>x y</point>`,
or a box `(x1,y1,x2,y2)` whose middle is meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from screenpilot.models.parsing import MAX_ANSWER_CHARS, ModelParseError, split_thinking
from screenpilot.perception.geometry import ImagePoint, Size

#: The most calls read from one answer.
MAX_CALLS = 8
#: The longest point text read (`'<|box_start|>(1234,567)<|box_end|>'` is 34).
_MAX_POINT_CHARS = 80


# ------------------------------------------------------------------------ reading calls
@dataclass(frozen=True)
class ActionCall:
    """One call of an answer: its name and its keyword arguments, as text."""

    name: str
    arguments: dict[str, str]


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
# A type/finished whose content holds quotes the model did not escape ('I'm in'): the
# only `')` is the closing one, so the content is all that lies between.
_LOOSE_CONTENT = re.compile(r"\s*(type|finished)\(content=(['\"])(.*)\2\)\s*", re.DOTALL)


class _Scanner:
    """Reads `name(key='value', ...)` calls; `fail` raises with what was expected where."""

    def __init__(self, text: str, raw: str) -> None:
        self.text, self.raw, self.i = text, raw, 0

    def fail(self, expected: str) -> ModelParseError:
        near = self.text[self.i : self.i + 20]
        where = f"at {near!r}" if near else "at the end"
        return ModelParseError(
            f"the action text is not a call: expected {expected} {where}", self.raw
        )

    def skip_space(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def identifier(self, what: str) -> str:
        match = _IDENT.match(self.text, self.i)
        if match is None:
            raise self.fail(what)
        self.i = match.end()
        return match.group()

    def expect(self, char: str) -> None:
        self.skip_space()
        if not self.text.startswith(char, self.i):
            raise self.fail(f"{char!r}")
        self.i += 1

    def quoted(self) -> str:
        quote = self.text[self.i] if self.i < len(self.text) else ""
        if quote not in ("'", '"'):
            raise self.fail("a quoted value")
        self.i += 1
        out: list[str] = []
        while self.i < len(self.text):
            char = self.text[self.i]
            if char == quote:
                self.i += 1
                return "".join(out)
            if char == "\\" and self.i + 1 < len(self.text):
                follower = self.text[self.i + 1]
                out.append(_ESCAPES.get(follower, "\\" + follower))
                self.i += 2
                continue
            out.append(char)
            self.i += 1
        raise ModelParseError("the action text has a quote that is never closed", self.raw)

    def call(self) -> ActionCall:
        name = self.identifier("an action name")
        self.expect("(")
        arguments: dict[str, str] = {}
        self.skip_space()
        if self.text.startswith(")", self.i):
            self.i += 1
            return ActionCall(name, arguments)
        while True:
            self.skip_space()
            key = self.identifier("an argument name")
            self.expect("=")
            self.skip_space()
            if key in arguments:
                raise ModelParseError(f"{name}() names `{key}` twice", self.raw)
            arguments[key] = self.quoted()
            self.skip_space()
            if self.text.startswith(",", self.i):
                self.i += 1
                continue
            self.expect(")")
            return ActionCall(name, arguments)


def read_calls(text: str, raw: str | None = None) -> list[ActionCall]:
    """The calls in an action text (whitespace between them), or `ModelParseError`."""
    raw = text if raw is None else raw
    scanner = _Scanner(text, raw)
    calls: list[ActionCall] = []
    try:
        scanner.skip_space()
        while scanner.i < len(text):
            calls.append(scanner.call())
            if len(calls) > MAX_CALLS:
                raise ModelParseError(f"the answer has over {MAX_CALLS} actions", raw)
            scanner.skip_space()
    except ModelParseError:
        loose = _LOOSE_CONTENT.fullmatch(text)
        if loose is None or f"{loose.group(2)})" in loose.group(3):
            raise
        content = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group()), loose.group(3))
        return [ActionCall(loose.group(1), {"content": content})]
    if not calls:
        raise ModelParseError("the answer's Action holds no call", raw)
    return calls


_ACTION_LABEL = re.compile(r"(?:^|\n)[ \t]*Action[ \t]*:[ \t]*")


def action_text(answer: str) -> tuple[str, str]:
    """(thought, action text) of an answer: what comes before and after its last
    `Action:` label."""
    _, body = split_thinking(answer)
    if len(body) > MAX_ANSWER_CHARS:
        raise ModelParseError(
            f"the answer is {len(body)} characters long (at most {MAX_ANSWER_CHARS} are read)",
            answer,
        )
    labels = list(_ACTION_LABEL.finditer(body))
    if not labels:
        raise ModelParseError("the answer has no `Action:` line", answer)
    last = labels[-1]
    return body[: last.start()].strip(), body[last.end() :].strip()


# ------------------------------------------------------------------------ points
_NUMBER = r"(\d{1,6}(?:\.\d{1,6})?)"
_POINT_FORMS = (
    re.compile(rf"<point>\s*{_NUMBER}\s+{_NUMBER}\s*</point>"),
    re.compile(rf"<bbox>\s*{_NUMBER}\s+{_NUMBER}\s+{_NUMBER}\s+{_NUMBER}\s*</bbox>"),
    re.compile(rf"[(\[]\s*{_NUMBER}\s*,\s*{_NUMBER}\s*(?:,\s*{_NUMBER}\s*,\s*{_NUMBER}\s*)?[)\]]"),
)
#: Argument spellings of the variants, and the one they mean.
ARGUMENT_ALIASES = {"point": "start_box", "start_point": "start_box", "end_point": "end_box"}


def read_point(text: str, image: Size, raw: str) -> ImagePoint:
    """A point of the action text, in pixels of the image the model was shown."""
    value = text.replace("<|box_start|>", "").replace("<|box_end|>", "").strip()
    match = None
    if len(value) <= _MAX_POINT_CHARS:
        match = next((m for form in _POINT_FORMS if (m := form.fullmatch(value))), None)
    if match is None:
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise ModelParseError(f"{shown!r} is not a point like '(x,y)'", raw)
    numbers = [float(n) for n in match.groups() if n is not None]
    if len(numbers) == 4:  # a box: its middle is meant
        numbers = [(numbers[0] + numbers[2]) / 2, (numbers[1] + numbers[3]) / 2]
    x, y = numbers
    if not (0 <= x <= image.width and 0 <= y <= image.height):
        raise ModelParseError(
            f"({x:g},{y:g}) lies outside the {image} image the model was shown", raw
        )
    return ImagePoint(x=x, y=y)

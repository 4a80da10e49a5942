"""Readers of the verbs that type (type, enter, write, put, fill, set, change, replace,
clear, append, search), and what they share with select/check/tick: where the text goes
(`fill`) and the items of a list (`items`).

Typing into a named field replaces what it holds: "enter 42 in the Age box" means the box
should hold 42. Typing where the focus is (no target, "into the terminal") keeps what is
there, and so does appending.
"""

from __future__ import annotations

import re
from typing import Literal

from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import Click, Key, TypeText
from screenpilot.policies.base import Step
from screenpilot.policies.clauses import (
    Choice,
    Clause,
    ClauseError,
    EachField,
    Part,
    Readers,
    focus_word,
    has_role,
    many_fields,
    names_a_place,
    ordinal,
    trim,
    typing_effect,
)
from screenpilot.policies.fields import (
    FIELD,
    OWNER,
    TEXT_NOUNS,
    field_then_value,
    is_list_field,
    is_text_field,
    possessive_free,
    value_pairs,
)

READERS = Readers()


def fill(
    clause: Clause, span: str | None, text: str, *, clear: bool | None, choice: bool = False
) -> list[Part]:
    """Type `text` into what `span` names: nothing or a focus word (where the focus is),
    "both"/"all" fields of a kind, or one described element.

    `clear` None clears a named target only; `choice` also reads the clause as picking
    `text` from a list named `span` ("set Country to France"), tried first."""
    span = span or ""
    many = many_fields(span) if trim(span) else None
    replace = True if clear is None else clear
    if many is not None:
        kind, role = many
        if kind == "both":
            return [
                _typed(clause, text, Description(text=f"the {ordinal(n)} {role}"), replace)
                for n in (1, 2)
            ]
        return [EachField(text=text, role=role, clause=clause, clear=replace)]
    if not trim(span) or focus_word(span):
        return [_typed(clause, text, None, bool(clear))]
    target = clause.target(span)
    typed = _typed(clause, text, target, replace)
    if not choice:
        return [typed]
    # A list is tried first: a click on a text field only focuses it, and a missing option
    # fails without side effects, while typing into a closed list leaves it open. Last, the
    # value is clicked where it is (radio buttons, a list already shown).
    option = Description(text=text)
    opener = as_list(clause, span)
    pick = (
        clause.step(Click(target=opener), f"{opener.text} opens"),
        clause.step(Click(target=option), f"{text} is chosen in {opener.text}"),
    )
    direct = (clause.step(Click(target=option, ensure="checked"), f"{text} is selected"),)
    return [Choice(readings=(pick, (typed,), direct))]


_DETERMINER = re.compile(r"^(?:the|a|an|this|that|my|your|its|our)\s+", re.I)


def as_list(clause: Clause, span: str) -> Description:
    """What holds the options, described as a list ("the Country list") so that grounding
    looks for the combo, unless the words name a role already ("the Size dropdown")."""
    words = clause.words(span)
    if not words:
        raise ClauseError("it names nothing to pick from")
    if has_role(words):
        return Description(text=words)
    return Description(text=f"the {_DETERMINER.sub('', words)} list")


def _typed(clause: Clause, text: str, target: Description | None, clear: bool) -> Step:
    action = TypeText(text=text, target=target, clear_first=clear)
    return clause.step(action, typing_effect(action))


_CHOICE = re.compile(r"[^\W\d_]+(?:[ '’&-]+[^\W\d_]+){0,2}")  # noqa: RUF001


def looks_like_choice(value: str) -> bool:
    """Whether a value could be an option in a list: one to three words of letters
    ("France", "Dark mode"); numbers, addresses and sentences are typed."""
    return bool(_CHOICE.fullmatch(value.strip()))


_LIST = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|&)\s+", re.I)
# Labels with "and" inside that people tick or pick whole.
_IDIOMS = re.compile(
    r"\b(?:terms(?:\s+of\s+(?:use|service))?\s+(?:and|&)\s+(?:conditions|privacy)|"
    r"privacy\s+(?:and|&)\s+(?:security|terms|cookies)|save\s+(?:and|&)\s+\w+|"
    r"read\s+(?:and|&)\s+(?:accept|agree|understood)|black\s+(?:and|&)\s+white|"
    r"(?:accept|agree)\s+(?:and|&)\s+continue)\b",
    re.I,
)
_SENTENCE = re.compile(r"^(?:i|i'm|i've|i’m|i’ve|we|you)\b", re.I)  # noqa: RUF001


def items(span: str) -> list[str]:
    """The things a select/check/tick clause names, one click each.

    "Red, Green and Blue" and "Red and Blue" are lists. A span stays whole when an item
    would be longer than three words ("I agree to the Terms and Conditions"), when it
    starts like a sentence ("I have read and accept"), when it holds a known label with
    "and" in it ("Terms and Conditions", "Save and Close"), or when two items without a
    comma read as one sentence-case label ("Black and white")."""
    parts = [p for p in (trim(p) for p in _LIST.split(span)) if p]
    if len(parts) < 2 or _IDIOMS.search(span) or _SENTENCE.match(trim(span)):
        return [span]
    if any(len(p.split()) > 3 for p in parts):
        return [span]
    if "," not in span and len(parts) == 2 and parts[0][:1].isupper() and parts[1][:1].islower():
        return [span]
    return parts


#: What a clause's wanted state asks the click to make sure of ("toggled" just clicks).
_ENSURE: dict[str, Literal["checked", "unchecked"]] = {
    "checked": "checked", "on": "checked", "unchecked": "unchecked", "off": "unchecked",
}  # fmt: skip


def toggles(clause: Clause, span: str, state: str) -> list[Part]:
    """One click per item on its checkbox (or the switch, radio... the words name)."""
    out: list[Part] = []
    for item in items(span):
        words = clause.words(item)
        if not words:
            raise ClauseError("say what to check, e.g. 'check Subscribe'")
        target = Description(text=words if has_role(item) else f"{words} checkbox")
        ensure = _ENSURE.get(state)
        out.append(clause.step(Click(target=target, ensure=ensure), f"{words} is {state}"))
    return out


@READERS(
    r"^search\s+(?:for\s+)?(?P<v>.+?)(?:\s+(?:in|on|using|with)\s+(?P<x>(?:the|a|an|this)\s+.+))?$"
)
def _search(clause: Clause, m: re.Match[str]) -> list[Part]:
    text = clause.value(m["v"])
    target = clause.target(m["x"]) if m["x"] else Description(text="the search box")
    action = TypeText(text=text, target=target, clear_first=True, press_enter=True)
    return [clause.step(action, f"results for {text!r} show")]


@READERS(
    r"^(?:clear|empty|erase|wipe)(?:\s+out)?(?:\s+(?:the\s+(?:text|contents?|value)\s+"
    r"(?:of|in)\s+)?(?P<x>.+))?$"
)
def _clear(clause: Clause, m: re.Match[str]) -> list[Part]:
    return fill(clause, m["x"], "", clear=True)


@READERS(
    r"^replace\s+(?:the\s+(?:text|contents?|value)\s+(?:of|in)\s+)?(?P<x>.+?)\s+with\s+(?P<v>.+)$"
)
def _replace(clause: Clause, m: re.Match[str]) -> list[Part]:
    return fill(clause, m["x"], clause.value(m["v"]), clear=True)


@READERS(
    r"^(?:set|change|update|switch)\s+(?:the\s+value\s+of\s+)?(?P<x>.+?)\s+(?:to|as)\s+(?P<v>.+)$"
)
def _set(clause: Clause, m: re.Match[str]) -> list[Part]:
    value = clause.value(m["v"])
    choice = looks_like_choice(value) and not is_text_field(m["x"])
    return fill(clause, m["x"], value, clear=True, choice=choice)


@READERS(r"^fill(?:\s+(?:in|out))?\s+(?P<x>.+?)\s+with\s+(?P<v>.+)$")
def _fill(clause: Clause, m: re.Match[str]) -> list[Part]:
    # "Fill in Ada Lovelace (first name Ada, last name Lovelace) with ...": no field's name
    # has brackets or commas; the words describe a person, not where to type.
    if re.search(r"[(),]", m["x"]):
        raise ClauseError(
            "the words before 'with' do not name one field; say 'fill <field> with <value>' "
            "for each field"
        )
    out: list[Part] = []
    for place, value in value_pairs(m["x"], m["v"]):
        if field_then_value(value) is not None:
            raise ClauseError(
                "the value after 'with' starts with a field's name; say 'fill <field> with "
                "<value>' for each field"
            )
        out += fill(clause, place, clause.value(value), clear=True)
    return out


@READERS(r"^(?:append|add)\s+(?P<rest>.+)$")
def _append(clause: Clause, m: re.Match[str]) -> list[Part]:
    rest = m["rest"]
    ends = list(re.finditer(r"\s+(?:to|at)\s+the\s+end\s+of\s+|\s+to\s+", rest, re.I))
    if not ends:
        raise ClauseError("say where it goes: 'append milk to Notes'")
    end = ends[-1]
    place, text = rest[end.end() :], clause.value(rest[: end.start()])
    if "end" in end.group().lower() and _DOCUMENT.match(trim(place)):
        # "add a line at the end of the file": to the end of the document, then type there.
        go = clause.step(Key(keys=["ctrl", "end"]), "the caret is at the end of the document")
        return [go, *fill(clause, None, text, clear=False)]
    return fill(clause, place, text, clear=False)


_DOCUMENT = re.compile(
    r"^(?:(?:the|this|my)\s+)?(?:file|document|text|note|page|editor|buffer)$|^it$", re.I
)


_STRONG_INTO = re.compile(r"\s+(?:into|onto)\s+(?=\S)", re.I)
_WEAK_INTO = re.compile(r"\s+(?:in|inside|on|within)\s+(?=\S)", re.I)


@READERS(r"^(?P<verb>type|enter|write|input|put|insert|key\s+in)\b\s*(?P<rest>.*)$")
def _type(clause: Clause, m: re.Match[str]) -> list[Part]:
    verb, rest = " ".join(m["verb"].lower().split()), m["rest"]
    if not trim(rest):
        if verb == "enter":
            return [clause.step(Key(keys=["enter"]), "the screen reacts to enter")]
        raise ClauseError(f"say what to {verb}, e.g. '{verb} hello into Name'")
    if re.match(r"in\s", rest, re.I) and _STRONG_INTO.search(rest):
        rest = rest[3:]  # "type in bob into Name"
    if re.search(r"(?:^|\s)(?:into|onto|in)$", trim(rest), re.I):
        raise ClauseError(f"say what to {verb} into, e.g. '{verb} hello into Name'")
    padded = " " + rest
    place: str | None = None
    strong = list(_STRONG_INTO.finditer(padded))
    if strong:
        padded, place = padded[: strong[-1].start()], padded[strong[-1].end() :]
    else:
        for weak in reversed(list(_WEAK_INTO.finditer(padded))):
            if names_a_place(padded[weak.end() :], capitalised=True):
                padded, place = padded[: weak.start()], padded[weak.end() :]
                break
    if not trim(padded):
        raise ClauseError(f"nothing to {verb} before {trim(rest).split()[0]!r}")
    if place is None and verb == "put":
        raise ClauseError("say where to put it, e.g. 'put 42 in the Age box'")
    # Only the verbs of forms: "write the date 2025-06-15" in a document is text.
    by_name = place is None and verb in ("type", "enter", "input", "key in")
    named = field_then_value(padded) if by_name else None
    if named is not None:
        # "enter the username bob": the field's name, then its value.
        field, value = named
        return fill(clause, f"{field} field", clause.value(value), clear=None)
    return fill(clause, place, clause.value(padded), clear=None)


# "Name is Bob Stone", "my email is bob@example.org", "Name: Bob Stone".
@READERS(
    rf"^(?P<f>(?:the\s+|{OWNER})?{FIELD})\s*(?::|\s(?:is|should\s+be|will\s+be|=))\s*"
    r"(?P<v>\S.*)$"
)
def _statement(clause: Clause, m: re.Match[str]) -> list[Part]:
    return _state(clause, m["f"], m["v"])


_ONLY_A_VALUE = re.compile(r"^(?:[^\s@]+@[^\s@]+\.\w+|\+?\d[\d\s().-]*|https?://\S+)$", re.I)


# "email bob@example.org", "age 42": a field's noun, then what can only be a value.
@READERS(rf"^(?P<f>(?:the\s+|{OWNER})?(?:{TEXT_NOUNS}))\s+(?P<v>\S.*)$")
def _bare_statement(clause: Clause, m: re.Match[str]) -> list[Part]:
    field = trim(m["f"])
    if not _ONLY_A_VALUE.match(trim(m["v"])):
        raise ClauseError(
            f"it names the field {field!r} but no plain value for it (an address, a number); "
            f"say '{field} is ...' or 'type ... into {field}'"
        )
    return _state(clause, field, m["v"])


def _state(clause: Clause, field: str, value: str) -> list[Part]:
    words = possessive_free(field)
    text = clause.value(value)
    return fill(
        clause, words, text, clear=True, choice=is_list_field(words) and looks_like_choice(text)
    )

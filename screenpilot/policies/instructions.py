"""Plain instructions read without a model: "type Bob Stone into Name, check Subscribe and
click OK" becomes typed steps with targets in words, grounded later on the screen.

The instruction is split into clauses (never inside quotes) and each clause is read by the
verb readers in `verbs`. Splitting is where plain words are most ambiguous ("click Save and
Close" is one button), so the rule is strict:

- ";", ", then", "and then" and "after that" always end a clause;
- ",", a sentence end (". ", a new line) and a bare "then" end one where the next piece
  starts with a verb; a verb that is also a button's word ("save", "accept", "sign in")
  counts only when the piece reads as a clause by itself;
- "and" ends one only where the pieces on both sides read as clauses by themselves, the
  right one is more than a lone verb ("Save and Close", "Save and continue" stay whole;
  "wait", "scroll" and "enter" alone do split, and so do "confirm", "save", "submit",
  "send" and "apply" after anything but a click: "mark it as a gift and confirm"), and it
  does not go on with accept/agree after a click ("tap I have read and accept the terms"
  is one label);
- after typing into a field, a piece without a verb that types into a place carries the
  verb over ("type Bob into Name and bob@x.org into Email"), and a comma ends the clause
  anyway (a field's name has no comma; a value may: "type Hello, world into Greeting");
  after "fill X with V", ", the Y with W" carries "fill" over;
- "when done" and the like at a clause's end say nothing ("press OK when done").

"I want cheese and olives. Select them" reads as "select cheese and olives"; a wish that
no clause acts on is an error. "save" right after typing where the focus is (a document)
is Ctrl+S, not a click on a Save button.

A clause that cannot be read is a PolicyError naming it and what was understood before it.
"Press Enter" right after a typing clause becomes that typing's `press_enter`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pydantic import ValidationError

from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import (
    Action,
    Click,
    Key,
    OpenApp,
    Scroll,
    Swipe,
    SystemButton,
    TypeText,
    Wait,
)
from screenpilot.errors import InvalidInputError
from screenpilot.policies.base import PolicyError, Step
from screenpilot.policies.clauses import (
    Choice,
    Clause,
    ClauseError,
    EachField,
    Part,
    first_steps,
    mask_quotes,
    typing_effect,
    verb_kind,
)
from screenpilot.policies.verbs import read

__all__ = [
    "Choice",
    "EachField",
    "Part",
    "describe",
    "read_clause",
    "read_instruction",
    "read_parts",
    "split_clauses",
]

_SEPARATOR = re.compile(
    r"(?P<strong>\s*;\s*|\s*,\s*(?:and\s+)?then\b,?\s*|\s+and\s+then\b,?\s*|"
    r"\s*,?\s+(?:and\s+)?after\s+that\b,?\s*)"
    r"|(?P<sentence>(?<=[.!?])\s+|\s*\n\s*)"
    r"|(?P<comma>\s*,\s*(?:and\s+)?)"
    r"|(?P<then>\s+then\s+)"
    r"|(?P<and>\s+and\s+)",
    re.I,
)
_LEAD = re.compile(
    r"^(?:(?:\d+[.)]|[-*•])\s+)?(?:(?:please|kindly|now|first(?:ly)?|then|finally|lastly|also|"
    r"and|next,|after\s+that,?|afterwards,?)\s+)*",
    re.I,
)
_TAIL = re.compile(
    r"(?:[\s.!?;:,]+|\s+(?:please|and|then)|"
    r"\s+(?:when|once)\s+(?:(?:you(?:'re|\u2019re|\s+are)|it's|it\s+is)\s+)?(?:done|finished|ready))$",
    re.I,
)
_LONE_VERBS = frozenset({"wait", "scroll", "enter"})
# Lone verbs that end what came before ("..., mark it as a gift and confirm"), unless that
# was a click, whose label they may end ("click Save and Submit").
_LONE_ENDINGS = frozenset({"confirm", "save", "submit", "send", "apply"})
_POINTS = re.compile(r"^(?:click|tap|touch|press|hit|push|double|triple|right|middle)\b", re.I)
_FILLS_WITH = re.compile(r"^fill\b.*\swith\s", re.I)
_PAIR = re.compile(r"^(?:the|my|your)\s+[^,]+?\s+with\s+\S", re.I)
_GOES_ON_WITH_LABEL = re.compile(r"^(?:accept|agree|consent|acknowledge)\b", re.I)
_TYPES_INTO = re.compile(r"\s(?:into|onto)\s+\S", re.I)

HINT = (
    'Try phrases like "click Submit", "type bob@example.org into Email", "check Subscribe", '
    '"select Blue from Color", "press Enter", "scroll down", "go back", "wait for Saved"'
)


Quotes = tuple[tuple[str, str], ...]


def tidy(text: str) -> str:
    """A clause without list markers, "please"/"then"/"now" in front, and sentence
    punctuation or a dangling "and" behind; spaces single."""
    text = " ".join(text.split())
    if re.fullmatch(r"\d+[.)]?", text):
        return ""  # the number of a numbered list
    text = _LEAD.sub("", text)
    while (stripped := _TAIL.sub("", text)) != text:
        text = stripped
    return text


def _reads(text: str, quotes: Quotes) -> list[Part] | None:
    try:
        return read(Clause(text, quotes))
    except (ClauseError, ValueError):  # pydantic's ValidationError is a ValueError
        return None


def _last_action(parts: list[Part] | None) -> Action | None:
    if not parts:
        return None
    last = parts[-1]
    return last.action if isinstance(last, Step) else first_steps(last)[-1].action


def _split_here(kind: str, left: str, right: str, quotes: Quotes) -> str | None:
    """The clause that starts at `right` when the separator between ends one, else None."""
    if kind == "strong":
        return right
    verb = verb_kind(right)
    if verb is None:
        typed = _last_action(_reads(left, quotes)) if kind in ("comma", "and") else None
        if not (isinstance(typed, TypeText) and typed.target is not None):
            return None  # "type Hello, world into Greeting", "Terms and Conditions"
        if kind == "comma" and _FILLS_WITH.match(left) and _PAIR.match(right):
            return f"fill {right}"  # "fill in the name with Bob, the email with bob@x.org"
        carried = f"type {right}"
        if _TYPES_INTO.search(f" {right}") and _reads(carried, quotes):
            return carried
        # A field's name has no comma in it: after "into Name", a comma starts a clause
        # (which then has to read), rather than stretching the name.
        return right if kind == "comma" else None
    if kind != "and":
        return right if verb == "strong" or _reads(right, quotes) else None
    if _reads(right, quotes) is None:
        return None
    left_parts = _reads(left, quotes)
    if left_parts is None:
        return None
    lone = right.lower()
    ending = lone in _LONE_ENDINGS and not _POINTS.match(left)
    if " " not in right and lone not in _LONE_VERBS and not ending:
        return None
    if _GOES_ON_WITH_LABEL.match(right) and isinstance(_last_action(left_parts), Click):
        return None
    return right


def _clauses(instruction: str) -> list[Clause]:
    masked, quotes = mask_quotes(instruction)
    pieces: list[tuple[str, str, str]] = []
    kind, separator, last = "", "", 0
    for m in _SEPARATOR.finditer(masked):
        pieces.append((kind, separator, masked[last : m.start()]))
        kind, separator, last = m.lastgroup or "", m.group(), m.end()
    pieces.append((kind, separator, masked[last:]))
    done: list[str] = []
    current = pieces[0][2]  # as written: a piece glued back keeps its punctuation ("Mr. Smith")
    for kind, separator, piece in pieces[1:]:
        left, right = tidy(current), tidy(piece)
        if not right:
            if kind in ("comma", "and", "then") and piece.strip(" .,;:!?"):
                current = current + separator + piece  # "add 2.5 and 1": a number, no list's
            continue  # "click OK and", "wait;;"
        started = _split_here(kind, left, right, quotes) if left else right
        if started is not None:
            done.append(current)
            current = started
        else:
            current = current + separator + piece
    done.append(current)
    return [Clause(text, quotes) for text in map(tidy, done) if text]


def split_clauses(instruction: str) -> list[str]:
    """The clauses of an instruction, as written."""
    return [clause.written() for clause in _clauses(instruction)]


def _read(clause: Clause, before: list[Part]) -> list[Part]:
    try:
        return read(clause)
    except ClauseError as why:
        problem = str(why)
    except ValidationError as error:
        problem = str(InvalidInputError.from_validation("action", error))
    raise _unreadable(clause, problem, before)


def _unreadable(clause: Clause, problem: str, before: list[Part]) -> PolicyError:
    understood = "; ".join(describe(s.action) for p in before for s in first_steps(p))
    return PolicyError(
        f"cannot read {clause.written()!r}: {problem} "
        f"(understood so far: {understood or 'nothing yet'}). {HINT}"
    )


_WANTS = re.compile(
    r"^(?:i|we)(?:'d|\u2019d|\s+would)?\s+(?:want|like|need|prefer)\s+(?P<x>.+)$", re.I
)
_THEM = re.compile(
    r"^(?P<verb>select|choose|pick|tick|check)\s+(?:them|those|these|both(?:\s+of\s+them)?|"
    r"it|that|this)$",
    re.I,
)


def _referred(clauses: list[Clause], parts: list[Part]) -> list[Clause]:
    """The clauses with "I want cheese and olives. Select them" read as "select cheese and
    olives"; a wish that no later clause acts on is PolicyError."""
    out: list[Clause] = []
    taken = -1  # the clause read into the wish before it
    for n, clause in enumerate(clauses):
        wish = _WANTS.match(clause.text)
        if wish is None:
            if n != taken:
                out.append(clause)
            continue
        then = _THEM.match(clauses[n + 1].text) if n + 1 < len(clauses) else None
        if then is None:
            problem = "it says what is wanted but not what to do with it; go on with 'select them'"
            raise _unreadable(clause, problem, parts)
        out.append(Clause(f"{then['verb']} {wish['x']}", clause.quotes))
        taken = n + 1
    return out


_SAVES = re.compile(r"^save(?:\s+(?:it|this|now|the\s+changes|changes))?$", re.I)


def _in_a_document(clause: Clause, part: Part, previous: Part | None) -> Part:
    """ "save" after typing where the focus is (a document, an editor) is Ctrl+S: there is
    no Save button to click in most editors, and a form's fields are typed into by name."""
    if not (
        _SAVES.match(clause.text)
        and isinstance(part, Step)
        and isinstance(part.action, Click)
        and isinstance(previous, Step)
        and isinstance(previous.action, TypeText)
        and previous.action.target is None
    ):
        return part
    return replace(part, action=Key(keys=["ctrl", "s"]), expect="the document is saved")


def read_parts(instruction: str) -> list[Part]:
    """Every part of an instruction, including those only the run can settle (a value that
    may be picked from a list or typed, "all fields"); PolicyError for the first clause it
    cannot read."""
    clauses = _clauses(instruction)
    if not clauses:
        raise PolicyError("the instruction is empty: say what to do, e.g. 'click Submit'")
    parts: list[Part] = []
    for clause in _referred(clauses, parts):
        for read_part in _read(clause, parts):
            previous = parts[-1] if parts else None
            part = _in_a_document(clause, read_part, previous)
            if (
                isinstance(part, Step)
                and isinstance(part.action, Key)
                and part.action.keys == ["enter"]
                and isinstance(previous, Step)
                and isinstance(previous.action, TypeText)
                and not previous.action.press_enter
            ):
                # "type hello and press Enter": one typing that ends with Enter.
                typed = previous.action.model_copy(update={"press_enter": True})
                effect = f"{typing_effect(typed)}, then Enter is pressed"
                parts[-1] = replace(previous, action=typed, expect=effect)
                continue
            parts.append(part)
    return parts


def read_instruction(instruction: str) -> list[Step]:
    """Every step of an instruction as it reads before the run (a value that may be a list's
    option reads as picked; "all fields" as the first field), or PolicyError naming the
    first clause it cannot read and what it understood before it."""
    return [step for part in read_parts(instruction) for step in first_steps(part)]


def read_clause(clause: str) -> list[Step]:
    """The steps one clause asks for; PolicyError when it cannot be read."""
    masked, quotes = mask_quotes(clause)
    return [step for part in _read(Clause(tidy(masked), quotes), []) for step in first_steps(part)]


def describe(action: Action) -> str:
    """A few words for an action, without the text it types (it may be a secret)."""
    target = getattr(action, "target", None)
    where = f" {target.text!r}" if isinstance(target, Description) else ""
    match action:
        case Click(button=button, count=count):
            verb = {2: "double-click", 3: "triple-click"}.get(count, "click")
            return f"{button}-{verb}{where}" if button != "left" else f"{verb}{where}"
        case TypeText(text=text):
            return f"{'type into' if text else 'clear'}{where or ' the focus'}"
        case Key():
            return f"press {action.chord}"
        case Scroll(direction=direction) | Swipe(direction=direction):
            return f"{action.type} {direction}"
        case SystemButton(button=button):
            return f"system button {button}"
        case OpenApp(app=app):
            return f"open {app!r}"
        case Wait(seconds=seconds, until_text=text, until_element=element):
            return f"wait {seconds:g} s" if seconds else f"wait for {text or element!r}"
    return f"{action.type}{where}"

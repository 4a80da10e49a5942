# ruff: noqa: RUF001, RUF002  (the typographic quotes and close signs are the point here)
"""The words of a plain instruction as the readers see them: quoted spans set aside, the
verbs a clause may start with, the role words of a description, and what a reading is.

Quoted spans ('…', "…", “…”, ‘…’, «…», `…`) are replaced by one private-use character each
before anything else looks at the text, so a verb, a preposition or a separator inside
quotes is never seen. `Clause` keeps them and puts them back: as the plain text to type, as a
quoted name inside a description (grounding reads 'the link "lorem"' as role and name), or
as written, for messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from screenpilot.actions.targets import Description
from screenpilot.actions.vocabulary import Action, TypeText
from screenpilot.policies.base import PolicyError, Step

_MASK = 0xE000
_MASK_LIMIT = 0xE000 + 0x1000
MASKED = re.compile("[\ue000-\uefff]")
_CLOSERS = {'"': '"', "“": "”", "„": "“", "«": "»", "‘": "’", "'": "'", "`": "`"}
# Quote marks that double as apostrophes: unmatched, they are just letters.
_SOFT = frozenset("'‘`")


class ClauseError(Exception):
    """A clause a reader recognised by its verb but could not read; says why."""


@dataclass(frozen=True)
class Clause:
    """One clause, its quoted spans masked (`text`), with what they held.

    `quotes` holds (content, as written) for every quote of the whole instruction; the
    mask character's offset from U+E000 is its index."""

    text: str
    quotes: tuple[tuple[str, str], ...] = ()

    def written(self, span: str | None = None) -> str:
        """A span (default: the clause) as the person wrote it, quote marks and all."""
        text = self.text if span is None else span
        return MASKED.sub(lambda m: self.quotes[ord(m.group()) - _MASK][1], text)

    def value(self, span: str) -> str:
        """Text to type: one quoted span is exactly what it holds, anything else as written."""
        span = span.strip()
        if MASKED.fullmatch(span):
            return self.quotes[ord(span) - _MASK][0]
        return self.written(span)

    def words(self, span: str) -> str:
        """A description: quoted names in straight double quotes, a wholly quoted one bare."""
        span = trim(span)
        if MASKED.fullmatch(span):
            return self.quotes[ord(span) - _MASK][0].strip()
        return MASKED.sub(lambda m: f'"{self.quotes[ord(m.group()) - _MASK][0].strip()}"', span)

    def target(self, span: str) -> Description:
        words = self.words(span)
        if not words:
            raise ClauseError("it names nothing to act on")
        return Description(text=words)

    def step(self, action: Action, expect: str) -> Step:
        """A step of this clause; its thought is the clause as written, for the record."""
        return Step(action, expect=expect, thought=self.written())


def mask_quotes(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The text with each quoted span replaced by one mask character, and the spans."""
    if any(_MASK <= ord(ch) < _MASK_LIMIT for ch in text):
        raise PolicyError("the instruction holds private-use characters (U+E000-U+EFFF)")
    out: list[str] = []
    quotes: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        end = _closing(text, i) if ch in _CLOSERS else None
        if end is None:
            if ch in _CLOSERS and ch not in _SOFT and _opens(text, i):
                raise PolicyError(
                    f"cannot read {text!r}: the quote at {text[i:]!r} is never closed "
                    f"(end the quoted words with {_CLOSERS[ch]})"
                )
            out.append(ch)
            i += 1
            continue
        if len(quotes) >= _MASK_LIMIT - _MASK:
            raise PolicyError("the instruction holds too many quotes")
        quotes.append((text[i + 1 : end], text[i : end + 1]))
        out.append(chr(_MASK + len(quotes) - 1))
        i = end + 1
    return "".join(out), tuple(quotes)


def _opens(text: str, i: int) -> bool:
    # A quote opens a span only at the start of a word: the ' of "don't" opens nothing.
    return i == 0 or not text[i - 1].isalnum()


def _closing(text: str, i: int) -> int | None:
    if not _opens(text, i):
        return None
    closer = _CLOSERS[text[i]]
    j = text.find(closer, i + 1)
    if text[i] in _SOFT or closer == "’":
        # An apostrophe inside the span ("'Bob's car'") is not its end: the end is
        # followed by a space, punctuation or nothing.
        while j != -1 and j + 1 < len(text) and text[j + 1].isalnum():
            j = text.find(closer, j + 1)
    return None if j == -1 else j


# Verbs a clause may start with. "Label" verbs are also the words on buttons ("Save",
# "Accept", "Sign in"); splitting is more careful around them.
STRONG_VERBS = (
    r"click|tap|touch|press|hit|push|double[- ]?(?:click|tap)|triple[- ]?click|"
    r"right[- ]?click|middle[- ]?click|long[- ]?(?:press|tap)|hover|drag|select|choose|pick|"
    r"check|tick|uncheck|untick|enable|disable|activate|deactivate|toggle|turn|switch|type|"
    r"enter|write|input|put|insert|fill|focus|open|launch|start|run|close|exit|quit|scroll|"
    r"swipe|go|navigate|return|wait|clear|empty|erase|replace|change|set|update|append|add|"
    r"verify|ensure|make\s+sure"
)
LABEL_VERBS = (
    r"sign\s+(?:in|up|out)|log\s+(?:in|out)|login|logout|register|submit|save|continue|"
    r"confirm|cancel|search|accept|agree|allow|deny|reject|decline|dismiss|skip|apply|send|"
    r"refresh|reload|retry"
)
# Verbs of everyday phrasings read whole ("answer yes", "mark it as a gift", "what is 7
# plus 5"); like label verbs, they start a clause only where the piece reads by itself.
TASK_VERBS = (
    r"answer|reply|respond|say|mark|subscribe|create|calculate|compute|multiply|divide|"
    r"subtract|take|what\s+is|what's|how\s+much\s+is"
)
_STRONG_START = re.compile(rf"^(?:{STRONG_VERBS})\b", re.I)
_LABEL_START = re.compile(rf"^(?:{LABEL_VERBS}|{TASK_VERBS})\b", re.I)


def verb_kind(text: str) -> str | None:
    """What kind of verb the text starts with: "strong", "label" or None."""
    if _STRONG_START.match(text):
        return "strong"
    if _LABEL_START.match(text):
        return "label"
    return None


ROLE = (
    r"(?:text\s+(?:field|box|area|input)|textbox|input\s+(?:box|field)|search\s+(?:box|field|bar)|"
    r"field|box|input|entr(?:y|ie)|button|check\s?box|tick\s?box|switch|toggle|radio(?:\s+button)?|"
    r"option|combo(?:\s?box)?|drop[- ]?down(?:\s+(?:list|menu))?|list(?:\s?box)?|menu|link|tab|"
    r"label|icon|slider)"
)
_DETERMINER = r"(?:the|a|an|this|that|my|your|its|our)"
_ORDINAL = (
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|\d+(?:st|nd|rd|th))"
)
_ENDS_ROLE = re.compile(rf"\b{ROLE}e?s?$", re.I)
_LEADS_ROLE = re.compile(rf"^{_DETERMINER}\s+(?:{_ORDINAL}\s+)?{ROLE}\b", re.I)
_STARTS_DETERMINER = re.compile(rf"^{_DETERMINER}\s", re.I)


def has_role(span: str) -> bool:
    """Whether a description names its role: at its end ("the Wi-Fi switch") or right after
    its article ("the checkbox next to Remember me"). Role words inside a name ("Tab
    completion", "Option A") do not count."""
    span = trim(span)
    return bool(_ENDS_ROLE.search(span) or _LEADS_ROLE.match(span))


def names_a_place(span: str, *, capitalised: bool) -> bool:
    """Whether the words after a weak preposition ("in", "on") read as a target rather
    than as more of the value: an article, a role word, a quoted name, or (`capitalised`)
    a single capitalised word ("enter 42 in Age")."""
    span = trim(span)
    if not span:
        return False
    if MASKED.fullmatch(span) or _STARTS_DETERMINER.match(span) or has_role(span):
        return True
    if focus_word(span) or many_fields(span):
        return True
    return capitalised and " " not in span and span[:1].isupper()


_FOCUS = re.compile(
    r"^(?:(?:the|a|this|that|my)\s+)?(?:terminal|console|shell|command\s+line|prompt|document|"
    r"editor|text\s+editor|text|page|screen|window|app|keyboard|focused\s+(?:field|element|input)|"
    r"current\s+(?:field|input))$|^(?:it|there|here)$",
    re.I,
)


def focus_word(span: str) -> bool:
    """Whether a typing target means "where the focus is" ("into the terminal")."""
    return bool(_FOCUS.match(trim(span)))


_MANY = re.compile(
    r"^(?P<many>both|all|each|every|all\s+(?:of\s+)?the)\s+(?:the\s+)?(?P<role>.+?)$", re.I
)


def many_fields(span: str) -> tuple[str, str] | None:
    """("both" | "all", singular role) for "both text fields", "all the boxes"..."""
    m = _MANY.match(trim(span))
    if m is None or not _ENDS_ROLE.search(m["role"]):
        return None
    many = "both" if m["many"].lower() == "both" else "all"
    return many, singular(m["role"])


def singular(words: str) -> str:
    for plural, one in (("ies", "y"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if words.lower().endswith(plural):
            return words[: -len(plural)] + one
    return words[:-1] if words.lower().endswith("s") and not words.endswith("ss") else words


_ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def ordinal(n: int) -> str:
    """1 -> "first", 12 -> "12th"."""
    if n <= len(_ORDINAL_WORDS):
        return _ORDINAL_WORDS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def typing_effect(action: TypeText) -> str:
    """What a typing step should leave behind, in words."""
    where = action.target.text if isinstance(action.target, Description) else "the focused field"
    if not action.text:
        return f"{where} is empty"
    if action.clear_first:
        return f"{where} holds {action.text!r}"
    return f"{where} ends with {action.text!r}" if action.target else f"{action.text!r} is typed"


def trim(span: str) -> str:
    """Without surrounding spaces and sentence punctuation."""
    return span.strip().strip(".,;:!?").strip()


@dataclass(frozen=True)
class Choice:
    """A clause that reads two ways ("set Country to France": pick it from a list, or type
    it into a field). The policy runs the first reading and falls back to the next when a
    step of it fails for good."""

    readings: tuple[tuple[Step, ...], ...]


@dataclass(frozen=True)
class EachField:
    """Type one text into every field of a kind ("into all text fields"): as many as the
    screen has, which only the run can tell."""

    text: str
    role: str
    clause: Clause
    clear: bool = True

    def step(self, index: int) -> Step:
        target = Description(text=f"the {ordinal(index + 1)} {self.role}")
        action = TypeText(text=self.text, target=target, clear_first=self.clear)
        return self.clause.step(action, typing_effect(action))


#: What reading a clause gives: plain steps, or parts only the run can settle.
Part = Step | Choice | EachField


def first_steps(part: Part) -> list[Step]:
    """The steps a part stands for before the run settles it (first reading, first field)."""
    if isinstance(part, Step):
        return [part]
    if isinstance(part, Choice):
        return list(part.readings[0])
    return [part.step(0)]


Reader = Callable[[Clause, "re.Match[str]"], list[Part]]


class Readers:
    """Clause readers in the order they are tried, each with the pattern that picks it;
    `@readers(pattern)` adds one."""

    def __init__(self) -> None:
        self.entries: list[tuple[re.Pattern[str], Reader]] = []

    def __call__(self, pattern: str) -> Callable[[Reader], Reader]:
        def add(reader: Reader) -> Reader:
            self.entries.append((re.compile(pattern, re.I), reader))
            return reader

        return add


MAX_REPEATS = 100
_TIMES = re.compile(r"\s+(?:(?P<word>once|twice|thrice)|(?P<n>\d+)\s*(?:x|times?))$", re.I)


def times(span: str) -> tuple[str, int]:
    """The span without a trailing "twice" / "3 times", and that count."""
    m = _TIMES.search(span)
    if m is None:
        return span, 1
    n = {"once": 1, "twice": 2, "thrice": 3}.get((m["word"] or "").lower()) or int(m["n"])
    if not 1 <= n <= MAX_REPEATS:
        raise ClauseError(f"repeat an action 1 to {MAX_REPEATS} times")
    return span[: m.start()], n

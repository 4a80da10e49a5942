# ruff: noqa: RUF001, RUF002, RUF003  (the look-alike signs and quotes are the point here)
"""Target descriptions in words, taken apart, and how well a name matches them.

"the second text field", 'the link "lorem"', "the button below the Email field", "=" are
read into a `Query`: an optional role ("field", "button", "checkbox"...), a name, an
optional ordinal (first, 2nd, last) and an optional layout relation to another description.
A role word that is part of an element's own name ("Entry 1", "Tab 2") is not lost: the
query keeps the whole text as a second reading (`whole`), and grounding tries both.

Names are compared by `name_similarity`: same words, contained words, or fuzzy. Names made
only of symbols ("=", "*", "<-", "×") are compared exactly, with a few equivalents a person
types for the sign they see (x for ×, - for −), so "-" never matches "<-". A screen of
thousands of OCR'd words is not compared name by name: `NameIndex` narrows it to the names
that can come close (a shared word, a length and letters a fuzzy match needs), with no loss.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from screenpilot.perception.elements import INPUT_ROLES, Role

# Words that name a role, longest first so "text box" wins over "box".
ROLE_WORDS: list[tuple[str, frozenset[Role]]] = [
    ("radio button", frozenset({"radio"})),
    ("combo box", frozenset({"combo"})),
    ("text field", frozenset({"entry", "field"})),
    ("text area", frozenset({"entry", "field"})),
    ("text input", frozenset({"entry", "field"})),
    ("text box", frozenset({"entry", "field"})),
    ("input field", frozenset({"entry", "field", "combo"})),
    ("input box", frozenset({"entry", "field"})),
    ("search field", frozenset({"entry", "field"})),
    ("search box", frozenset({"entry", "field"})),
    ("check box", frozenset({"checkbox"})),
    ("tick box", frozenset({"checkbox"})),
    ("drop down", frozenset({"combo"})),
    ("drop-down", frozenset({"combo"})),
    ("list box", frozenset({"combo"})),
    ("spin button", frozenset({"entry", "field"})),
    ("checkbox", frozenset({"checkbox"})),
    ("tickbox", frozenset({"checkbox"})),
    ("textbox", frozenset({"entry", "field"})),
    ("dropdown", frozenset({"combo"})),
    ("combobox", frozenset({"combo"})),
    ("field", frozenset({"entry", "field", "combo"})),
    ("input", frozenset({"entry", "field", "combo"})),
    ("entry", frozenset({"entry", "field"})),
    ("box", frozenset({"entry", "field", "checkbox"})),
    ("button", frozenset({"button"})),
    ("toggle", frozenset({"checkbox"})),
    ("switch", frozenset({"checkbox"})),
    ("combo", frozenset({"combo"})),
    ("select", frozenset({"combo"})),
    ("list", frozenset({"combo"})),
    ("menu", frozenset({"combo", "menu"})),
    ("radio", frozenset({"radio"})),
    ("option", frozenset({"radio", "checkbox", "menu"})),
    ("link", frozenset({"link"})),
    ("tab", frozenset({"tab"})),
    ("label", frozenset({"text"})),
    ("dialog", frozenset({"window"})),
    ("window", frozenset({"window"})),
    ("popup", frozenset({"window"})),
    ("pop-up", frozenset({"window"})),
    ("modal", frozenset({"window"})),
]
# "search box" names the role and also what the box is for.
_ROLE_NAMES = {"search field": "search", "search box": "search"}
RELATIONS = {
    "to the right of": "right", "right of": "right", "next to": "right", "beside": "right",
    "after": "right", "to the left of": "left", "left of": "left", "below": "below",
    "under": "below", "underneath": "below", "beneath": "below", "above": "above",
    "over": "above", "in": "in", "inside": "in", "within": "in", "of": "in",
}  # fmt: skip
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "last": -1,
}  # fmt: skip
_ORDINAL = re.compile(r"^(?:(?P<word>[a-z]+)|(?P<n>\d+)(?:st|nd|rd|th))\s+", re.I)
_ARTICLES = re.compile(r"^(?:the|a|an)\s+", re.I)
_DAY = re.compile(r"^(?P<n>\d{1,2})(?:st|nd|rd|th)$", re.I)
_QUOTED = re.compile(r"(?:^|(?<=\s))[\"“'‘](?P<name>[^\"”'’]+)[\"”'’](?=\s|$)")
#: A sign and the other signs a person may type for it.
_SYMBOL_EQUIVALENTS = [
    {"×", "*", "x", "✕", "✖"},
    {"÷", "/"},
    {"-", "−", "–"},
    {"<-", "←", "⌫"},
    {"+", "＋"},
    {"=", "＝"},
]
#: What a person may call a window's or dialog's close control.
CLOSE_NAMES = frozenset({"close", "x", "×", "✕", "✖", "╳"})


@dataclass(frozen=True)
class Query:
    """A description, taken apart."""

    text: str
    name: str
    roles: frozenset[Role] = frozenset()
    relation: str | None = None
    anchor: Query | None = None
    ordinal: int | None = None  # 1-based; -1 is "last"
    #: The words as one name, when a role word was taken out of them ("Entry 1").
    whole: str = ""


def parse_description(text: str) -> Query:
    """Split "the second field right of Name" into ordinal, role, name and relation."""
    clean = " ".join(text.strip().split())
    if len(clean) > 1 and clean[0] in "\"“'‘" and clean[-1] in "\"”'’":
        clean = clean[1:-1].strip()
    quoted = _QUOTED.search(clean)
    if quoted is not None and quoted.group(0).strip() != clean:
        # 'the link "lorem"': the quoted words are the name, the rest may name a role.
        rest = (clean[: quoted.start()] + " " + clean[quoted.end() :]).strip()
        outer = parse_description(rest) if rest else Query(text="", name="")
        return Query(
            text=clean,
            name=quoted.group("name").strip(),
            roles=outer.roles,
            ordinal=outer.ordinal,
        )
    low = clean.lower()
    for phrase, relation in sorted(RELATIONS.items(), key=lambda kv: -len(kv[0])):
        # Words on both sides: "Sign in" and "Log in" are names, not relations.
        m = re.search(rf"\s+{re.escape(phrase)}\s+(?=\S)", low)
        if m and m.start() > 0:
            head = clean[: m.start()]
            tail = clean[m.end() :]
            head_query = parse_description(head)
            return Query(
                text=clean,
                name=head_query.name,
                roles=head_query.roles,
                relation=relation,
                anchor=parse_description(tail),
                ordinal=head_query.ordinal,
            )
    words = _ARTICLES.sub("", clean)
    ordinal = None
    m = _ORDINAL.match(words)
    if m is not None:
        n = _ORDINALS.get((m.group("word") or "").lower()) if m.group("word") else int(m["n"])
        if n:
            ordinal, words = n, words[m.end() :]
    roles, name = _take_role(words)
    if not roles:
        # "the 15th" of a calendar is the day that reads 15.
        day = _DAY.match(words.strip())
        return Query(text=clean, name=day["n"] if day else words.strip(), ordinal=ordinal)
    return Query(text=clean, name=name, roles=roles, ordinal=ordinal, whole=words.strip())


def _take_role(words: str) -> tuple[frozenset[Role], str]:
    """A role word at the start or end of `words` and what is left of them."""
    low = words.lower()
    bare = low[:-1] if low.endswith("s") else low  # "the fields"
    for phrase, roles in ROLE_WORDS:
        if low == phrase or bare == phrase:
            return roles, _ROLE_NAMES.get(phrase, "")
    for phrase, roles in ROLE_WORDS:
        for pattern in (rf"^{re.escape(phrase)}s?\b\s*", rf"\s*\b{re.escape(phrase)}s?$"):
            m = re.search(pattern, low)
            if m and m.group(0).strip():
                rest = (words[: m.start()] + " " + words[m.end() :]).strip()
                rest = _ARTICLES.sub("", rest).strip()
                return roles, " ".join(filter(None, [_ROLE_NAMES.get(phrase, ""), rest]))
    return frozenset(), words


def wants_input(roles: frozenset[Role]) -> bool:
    """Whether these roles are things a person types into or picks a value in."""
    return bool(roles & INPUT_ROLES)


_NOT_WORD = re.compile(r"[^\w\s@.+-]")


def normal(text: str) -> str:
    """Lower case, words only (keeping @ . + - inside them), single spaces."""
    return " ".join(_NOT_WORD.sub(" ", text.lower()).split())


def _symbols(text: str) -> str:
    # NFKC: OCR reads a lone parenthesis as the full-width one of CJK text.
    return "".join(unicodedata.normalize("NFKC", text).split())


def is_symbolic(text: str) -> bool:
    """A name made only of signs ("=", "<-", "×"), no letters or digits."""
    squeezed = _symbols(text)
    if squeezed.lower() == "x":  # what a person types for the × of a close button
        return True
    return bool(squeezed) and not any(ch.isalnum() for ch in squeezed)


def _same_symbol(a: str, b: str) -> bool:
    a, b = _symbols(a).lower(), _symbols(b).lower()
    if a == b:
        return True
    return any(a in group and b in group for group in _SYMBOL_EQUIVALENTS)


def name_similarity(wanted: str, name: str) -> float:
    """1.0 for the same words, 0.9 when all wanted words appear in the name (or the name's
    words in what is wanted), otherwise the fuzzy ratio scaled below 0.85. Names of signs
    match only the same sign (or its equivalent)."""
    if not wanted.strip() or not name.strip():
        return 0.0
    if is_symbolic(wanted) or is_symbolic(name):
        if _same_symbol(wanted, name):
            return 1.0
        if normal(wanted) in ("close", "x") and _symbols(name).lower() in CLOSE_NAMES:
            return 0.95
        return 0.0
    a, b = normal(wanted), normal(name)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    aw, bw = a.split(), b.split()
    if set(aw) <= set(bw):
        return 0.9 * (0.9 + 0.1 * len(aw) / len(bw))
    if set(bw) <= set(aw):
        return 0.85 * len(bw) / len(aw) + 0.05
    return 0.85 * difflib.SequenceMatcher(None, a, b).ratio()


#: `name_similarity` scales a fuzzy ratio by this.
_FUZZY_WEIGHT = 0.85


class NameIndex:
    """The names on one screen, indexed so that a wanted name meets only those that may come
    close to it by `name_similarity`.

    `candidates(wanted, at_least)` returns every name whose similarity to `wanted` can reach
    `at_least`, and perhaps a few that cannot; every name it leaves out is certain to score
    below. It follows `name_similarity` branch by branch: the same or contained words share a
    word (an inverted index over words); a fuzzy ratio of at least r needs a length within
    r/(2-r) of the wanted one and enough of its letters (difflib matches letters in order, so
    a name cannot match more of them than it holds); signs match only signs of the same
    group. Character n-grams would be quicker but are not safe: difflib pairs "abcd" with
    "axbxcxd" at 0.73 with no two-letter run in common.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self._names = list(names)
        self._normal = [normal(n) for n in self._names]
        self._words: dict[str, list[int]] = {}
        self._by_length: dict[int, list[int]] = {}
        for i, text in enumerate(self._normal):
            if not text:
                continue
            for word in set(text.split()):
                self._words.setdefault(word, []).append(i)
            self._by_length.setdefault(len(text), []).append(i)
        self._squeezed: list[str] | None = None

    def __len__(self) -> int:
        return len(self._names)

    def normal(self, i: int) -> str:
        """The i-th name as `normal` writes it."""
        return self._normal[i]

    def same_words(self, text: str) -> list[int]:
        """Indices, in order, of the names whose `normal` form is `normal(text)`."""
        wanted = normal(text)
        return [i for i, t in enumerate(self._normal) if t == wanted]

    def candidates(self, wanted: str, at_least: float) -> list[int]:
        """Indices, in order, of the names `name_similarity(wanted, name)` may score at
        `at_least` or more; all the others score less."""
        if at_least <= 0:
            return list(range(len(self._names)))
        if not wanted.strip():
            return []
        found: set[int] = set()
        signs = _symbols(wanted).lower()
        a = normal(wanted)
        symbolic = is_symbolic(wanted)
        if (
            symbolic
            or a in ("close", "x")
            or not any(ch.isalnum() for ch in signs)
            or any(signs in group for group in _SYMBOL_EQUIVALENTS)
        ):
            # A sign, or words that may name one: compare the squeezed forms. Otherwise a
            # name of signs cannot match, for lower() never makes a letter of a sign.
            allowed = {signs}.union(*(g for g in _SYMBOL_EQUIVALENTS if signs in g))
            if a in ("close", "x"):
                allowed |= CLOSE_NAMES
            found.update(i for i, s in enumerate(self._squeezed_names()) if s in allowed)
        if symbolic or not a:
            return sorted(found)
        for word in set(a.split()):
            found.update(self._words.get(word, ()))
        found.update(self._fuzzy(a, at_least, found))
        return sorted(found)

    def _fuzzy(self, a: str, at_least: float, found: set[int]) -> list[int]:
        """Names that may reach `at_least` by the fuzzy ratio: 2M/(la+lb), where M, the
        letters difflib matches, is at most the shorter length and at most the wanted letters
        the name holds."""
        r = at_least / _FUZZY_WEIGHT
        if r > 1:
            return []
        la = len(a)
        shortest = math.floor(r * la / (2 - r)) - 1  # a little slack for rounding
        longest = math.ceil(la * (2 - r) / r) + 1
        letters = list(Counter(a).items())
        near: list[int] = []
        for length, indices in self._by_length.items():
            if not shortest <= length <= longest:
                continue
            need = at_least * (la + length) * (1 - 1e-9)
            most = 2 * _FUZZY_WEIGHT * min(la, length)
            if most < need:
                continue
            for i in indices:
                if i in found:
                    continue
                text = self._normal[i]
                held = sum(n for ch, n in letters if ch in text)
                if 2 * _FUZZY_WEIGHT * min(held, la, length) >= need:
                    near.append(i)
        return near

    def _squeezed_names(self) -> list[str]:
        if self._squeezed is None:
            self._squeezed = [_symbols(n).lower() for n in self._names]
        return self._squeezed

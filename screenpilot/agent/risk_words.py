"""The words and chords the safety policy asks about, read from `risk_words.yaml`, and how a
label on the screen is matched against them.

A label and a term are normalised alike before they are compared: NFKC, format characters
(zero-width spaces and joiners, bidi marks, soft hyphens) and accents dropped, casefolded.
A word that mixes scripts, or that is written wholly in letters that look like Latin ones
(the words file's `look_alikes`: Cyrillic and Greek letters), is also read with those
letters folded to Latin, so "Delete" spelled with a Cyrillic e is "delete"; a plain Russian
or Greek word is left as it is. Words
match by stem with the endings of the term's language ("Deleting", "gelöscht", "Удалено"),
a term of several words matches them in a row or written as one ("Log-out", "Logout"), and
a term in Chinese, Japanese or Korean script matches anywhere in the label.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from screenpilot.actions.keys import normalise_chord, split_chord

WORDS_FILE = Path(__file__).with_name("risk_words.yaml")

_WORD = re.compile(r"[^\W_]+")
#: Hangul, kana, CJK ideographs: scripts written without spaces between words.
_CJK = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)
_VOWELS = frozenset("aeiou")


def _plain(text: str) -> str:
    """NFKC, without format characters and combining marks, casefolded."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _unmarked(_unmarked(text).casefold())


def _unmarked(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    )


def _folded_word(word: str) -> str:
    """The word with look-alike letters read as Latin, when it mixes them with Latin letters
    or is made of nothing else; else the word as it is."""
    look_alikes = _look_alikes()
    if not any(ord(ch) in look_alikes for ch in word):
        return word
    if any("a" <= ch.lower() <= "z" for ch in word) or all(
        ord(ch) in look_alikes for ch in word if ch.isalpha()
    ):
        return word.translate(look_alikes)
    return word


@cache
def _look_alikes() -> dict[int, str]:
    return {ord(k): str(v) for k, v in load_data()["look_alikes"].items()}


@dataclass(frozen=True)
class Label:
    """A text from the screen or a target, normalised for matching: its words (as read, and
    with look-alike letters folded) and its text without spaces (for CJK terms)."""

    readings: tuple[tuple[str, ...], ...]
    joined: str
    #: The first two letters of every word, also after a two-letter prefix ("ge-"): a term
    #: whose first word starts otherwise cannot match.
    heads: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Label:
        nfkc = unicodedata.normalize("NFKC", text)
        nfkc = "".join(ch for ch in nfkc if unicodedata.category(ch) != "Cf")
        bare = _unmarked(nfkc)
        as_read = tuple(_plain(w) for w in _WORD.findall(bare))
        folded = tuple(_plain(_folded_word(w)) for w in _WORD.findall(bare))
        readings = (as_read,) if folded == as_read else (as_read, folded)
        heads = {w[i : i + 2] for words in readings for w in words for i in (0, 2)}
        return cls(readings, "".join(_plain(bare).split()), frozenset(heads))


@dataclass(frozen=True)
class Inflection:
    """How a language's words take endings (see the `languages` section of the words file)."""

    stem_endings: tuple[str, ...] = ()
    endings: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    double_final: bool = False

    def stems(self, word: str) -> tuple[str, ...]:
        found = [word]
        for ending in self.stem_endings:
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                found.append(word[: -len(ending)])
        if (
            self.double_final
            and len(word) >= 3
            and word[-1].isalpha()
            and word[-1] not in _VOWELS | {"w", "x", "y"}
            and word[-2] in _VOWELS
        ):
            found.append(word + word[-1])
        return tuple(dict.fromkeys(found))

    def matches(self, stems: tuple[str, ...], word: str) -> bool:
        """Whether `word` is one of the stems' forms (the term itself among them)."""
        if word == stems[0]:
            return True
        for prefix in ("", *self.prefixes):
            if not word.startswith(prefix):
                continue
            rest = word[len(prefix) :]
            if rest == stems[0] or any(
                rest.startswith(stem) and rest[len(stem) :] in self.endings for stem in stems
            ):
                return True
        return False


EXACT = Inflection()


@dataclass(frozen=True)
class RiskTerm:
    """One risky term: the concept it belongs to ("delete"), the term as written in the words
    file ("Löschen"), and how a label's words are matched against it."""

    concept: str
    text: str
    words: tuple[tuple[str, ...], ...]  # each word's stems, the word itself first
    cjk: str  # the whole term, when it is written in a CJK script
    inflection: Inflection

    @classmethod
    def of(cls, concept: str, text: str, inflection: Inflection) -> RiskTerm:
        plain = _plain(text)
        if _CJK.search(plain):
            return cls(concept, text, (), "".join(plain.split()), inflection)
        words = tuple(inflection.stems(w) for w in _WORD.findall(plain))
        return cls(concept, text, words, "", inflection)

    def found_in(self, label: Label) -> bool:
        if self.cjk:
            return self.cjk in label.joined
        if not self.words or self.words[0][0][:2] not in label.heads:
            return False
        return any(self._in_words(words) for words in label.readings)

    def _in_words(self, words: tuple[str, ...]) -> bool:
        n, match = len(self.words), self.inflection.matches
        for i in range(len(words) - n + 1):
            if all(match(stems, words[i + k]) for k, stems in enumerate(self.words)):
                return True
        if n > 1:
            # "log out" written as one word: "logout", "Log-out" read as "log", "out" above.
            whole = self.inflection.stems("".join(stems[0] for stems in self.words))
            return any(match(whole, w) for w in words)
        return False


@dataclass(frozen=True)
class RiskWords:
    """Every risky term in the order the words file lists them, and the asked-about chords."""

    terms: tuple[RiskTerm, ...]
    chords: tuple[frozenset[str], ...]

    def first_in(self, texts: Iterable[str], allowed: Iterable[str] = ()) -> RiskTerm | None:
        """The first term found in any of `texts`, skipping terms and concepts in `allowed`."""
        labels = [Label.of(t) for t in texts if t.strip()]
        if not labels:
            return None
        skip = {_plain(a) for a in allowed}
        for term in self.terms:
            if _plain(term.text) in skip or _plain(term.concept) in skip:
                continue
            if any(term.found_in(label) for label in labels):
                return term
        return None

    def chord_in(self, keys: Iterable[str]) -> frozenset[str] | None:
        """The listed chord whose keys are all among `keys`, if any."""
        pressed = set(keys)
        return next((chord for chord in self.chords if chord <= pressed), None)


def plain_words(words: Iterable[str]) -> RiskWords:
    """A vocabulary of just these words (English endings), no chords: a policy's own list."""
    english = _inflections(load_data()).get("en", EXACT)
    return RiskWords(tuple(RiskTerm.of(w, w, english) for w in words), ())


@cache
def default_words() -> RiskWords:
    """The vocabulary of the words file, read once."""
    data = load_data()
    inflections = _inflections(data)
    terms = [
        RiskTerm.of(str(concept), str(text), inflections.get(str(lang), EXACT))
        for concept, languages in data["risks"].items()
        for lang, texts in languages.items()
        for text in texts
    ]
    chords = tuple(frozenset(normalise_chord(split_chord(str(c)))) for c in data["chords"])
    return RiskWords(tuple(terms), chords)


@cache
def load_data() -> dict[str, Any]:
    """The words file as data."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with WORDS_FILE.open(encoding="utf-8") as file:
        data: dict[str, Any] = yaml.load(file, Loader=loader)
    return data


def _inflections(data: Mapping[str, Any]) -> dict[str, Inflection]:
    return {
        str(lang): Inflection(
            stem_endings=tuple(_plain(e) for e in rules.get("stem_endings", ())),
            endings=frozenset(_plain(e) for e in rules.get("endings", ())),
            prefixes=tuple(_plain(p) for p in rules.get("prefixes", ())),
            double_final=bool(rules.get("double_final", False)),
        )
        for lang, rules in data["languages"].items()
    }

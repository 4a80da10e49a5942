"""Fields named by what they hold: "the username", "the email address", "the country".

People name a form's fields by a few common nouns, and that is what lets plain sentences
say which words are the field and which the value, without a model:

- "enter the username bob": `the <field> <value>` after type/enter, where the field words
  end in a field noun ("username", "password", "full name", "code"...) and the value has
  no words that go on a sentence ("enter the name of the file" stays text to type);
- "fill in the name with Bob Stone and the email with bob@example.org": a value ends where
  "and the <words> with" (or ", the <words> with") starts the next field and value;
- statements (read in `filling`): "Name is Bob Stone", "My email: bob@example.org", and a
  field noun followed by what can only be a value ("email bob@example.org", "age 42").

Nouns of text fields type; nouns of lists ("country", "size", "plan") pick the value from
the list first, like "set Country to France".
"""

from __future__ import annotations

import re

from screenpilot.policies.clauses import MASKED, trim

TEXT_NOUNS = (
    r"(?:(?:first|last|full|given|family|middle|user|display|company|account|nick)\s*)?name|"
    r"surname|username|login|e-?mail(?:\s+address)?|password|passcode|passphrase|pin|"
    r"(?:phone|mobile|telephone)(?:\s+number)?|street(?:\s+address)?|address|city|town|"
    r"(?:zip|post(?:al)?)\s*code|postcode|zip|age|(?:verification|security|promo|coupon|"
    r"discount)?\s*code|website|url|subject|title|company|birthday|date(?:\s+of\s+birth)?"
)
LIST_NOUNS = r"country|state|region|province|language|size|colou?r|plan|topic|currency|gender"
FIELD = rf"(?:[\w-]+\s+){{0,2}}?(?:{TEXT_NOUNS}|{LIST_NOUNS})"
OWNER_WORDS = r"my|your|our|his|her|their"
OWNER = rf"(?:(?:{OWNER_WORDS})\s+)"
# Words that go on a sentence, never a value after a field's name: "the name of the file".
_GOES_ON = re.compile(
    r"^(?:of|for|to|from|in|into|on|at|with|by|and|or|as|is|the|a|an|this|that|it|again|"
    r"now|here|there|below|above|field|box)$",
    re.I,
)


def is_list_field(field: str) -> bool:
    """Whether a field's words end in the noun of something picked from a list."""
    return bool(re.search(rf"\b(?:{LIST_NOUNS})$", trim(field), re.I))


def is_text_field(field: str) -> bool:
    """Whether a field's words end in the noun of a text field ("the full name")."""
    return bool(re.search(rf"\b(?:{TEXT_NOUNS})$", trim(field), re.I))


_FIELD_VALUE = re.compile(rf"^(?P<f>(?:the|{OWNER_WORDS})\s+{FIELD})\s+(?P<v>\S.*)$", re.I)


def field_then_value(span: str) -> tuple[str, str] | None:
    """("the username", "bob") for "the username bob"; None when the words after the
    field's noun go on a sentence ("the name of the file") or no field noun is there."""
    m = _FIELD_VALUE.match(trim(span))
    if m is None or not is_text_field(m["f"]):
        return None
    value = m["v"]
    if not MASKED.fullmatch(value) and any(_GOES_ON.match(w) for w in value.split()):
        return None
    return m["f"], value


_NEXT_PAIR = re.compile(
    rf"(?:\s*,\s*(?:and\s+)?|\s+and\s+)(?=(?:the|{OWNER_WORDS})\s+{FIELD}\s+with\s+\S)", re.I
)


_PAIR_HEAD = re.compile(rf"^(?P<f>(?:the|{OWNER_WORDS})\s+{FIELD})\s+with\s+", re.I)


def value_pairs(field: str, value: str) -> list[tuple[str, str]]:
    """[("the name", "Bob Stone"), ("the email", "bob@example.org")] for "the name" and
    "Bob Stone and the email with bob@example.org"."""
    pairs: list[tuple[str, str]] = []
    while (m := _NEXT_PAIR.search(value)) is not None:
        head = _PAIR_HEAD.match(value[m.end() :])
        assert head is not None  # the look-ahead saw it
        pairs.append((field, value[: m.start()]))
        field, value = head["f"], value[m.end() + head.end() :]
    pairs.append((field, value))
    return pairs


def possessive_free(field: str) -> str:
    """The field's words without "my"/"your" ("my email" -> "email")."""
    return re.sub(rf"^{OWNER}", "", trim(field), flags=re.I)

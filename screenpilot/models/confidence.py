"""How sure a grounding answer is, read from the digits of its coordinates.

Qwen's tokenizer spells a number one digit per token, and a doubt in a hundreds digit moves
the box a hundred times as far as one in the units digit. So each coordinate of the first
`bbox_2d` / `point_2d` gets its possible errors - (probability, distance in the 0..1000
frame) - from the alternatives the model weighed at each of its digits:

- another digit d' for the picked d, at place value p (100, 10, 1 in a 3-digit number):
  |d' - d| * p;
- an alternative that is no digit, or gives the number another length (a separator where
  a digit was, a digit right after the number's last one): `LOST`, the whole frame;
- probability the listed alternatives leave unaccounted for - all of 1 - p_picked when the
  runtime gave no alternatives: one step at the digit's place, p.

The confidence is a lower bound on the chance that the box's centre still lies inside the
element. With h the box's half width (height) - `POINT_TOLERANCE` for a point - and e the
centre's error on that axis (half of each of the box's two coordinates' errors; a point's
own), Markov's inequality on min(|e|, h) per axis and a union bound over both axes give

    confidence = max(0, 1 - E[min(|e_x|, h_x)] / h_x - E[min(|e_y|, h_y)] / h_y)

Capping each error at h means a rare wild alternative costs its probability, not its distance.
It is a bound under the model's own probabilities, read along the answer it gave, and only as
good as the guess that unlisted alternatives are neighbours.
"""

from __future__ import annotations

import math
import re
from itertools import accumulate

from screenpilot.models.runtime import TokenLogprob

_REGION = re.compile(r'"(bbox_2d|point_2d)"\s*:\s*\[([^\]]*)\]')
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DIGITS = re.compile(r"[0-9]+")

#: The error of a coordinate that lost or gained a digit: it may land anywhere on the frame.
LOST = 1000.0
#: How far (0..1000 frame) a point answer's centre may move and still hit its element: 1% of
#: the screen, 19 x 11 px on 1920x1080 - about half the height of a button or text field,
#: the smallest targets a point usually names.
POINT_TOLERANCE = 10.0
#: The smallest half size a box is given: the answer's own resolution, one unit.
_MIN_HALF = 1.0

#: One way a coordinate may be wrong: (probability, absolute error in the 0..1000 frame).
Doubt = tuple[float, float]


def coordinate_confidence(tokens: list[TokenLogprob] | None) -> float | None:
    """A lower bound, in 0..1, on the chance that the centre of the first `bbox_2d` /
    `point_2d` answered lies inside the element (see the module's docstring); None without
    log-probabilities or coordinates."""
    if not tokens:
        return None
    text = "".join(t.text for t in tokens)
    match = _REGION.search(text, text.find("</think>") + 1)
    if match is None:
        return None
    numbers = list(_NUMBER.finditer(text, match.start(2), match.end(2)))
    starts = list(accumulate((len(t.text) for t in tokens), initial=0))
    doubts = [_coordinate_doubts(n, tokens, starts) for n in numbers]
    values = [float(n.group()) for n in numbers]
    if match.group(1) == "bbox_2d" and len(numbers) == 4:
        half_w = max(abs(values[2] - values[0]) / 2, _MIN_HALF)
        half_h = max(abs(values[3] - values[1]) / 2, _MIN_HALF)
        # The centre moves by half of each coordinate's error.
        miss = _miss(doubts[0] + doubts[2], 0.5, half_w) + _miss(doubts[1] + doubts[3], 0.5, half_h)
    elif match.group(1) == "point_2d" and len(numbers) == 2:
        miss = _miss(doubts[0], 1.0, POINT_TOLERANCE) + _miss(doubts[1], 1.0, POINT_TOLERANCE)
    else:
        return None
    return max(0.0, 1.0 - miss)


def _coordinate_doubts(
    number: re.Match[str], tokens: list[TokenLogprob], starts: list[int]
) -> list[Doubt]:
    """The ways the number matched in the tokens' joined text (`starts`: each token's offset
    in it) may be wrong, read from the tokens that spell it and the one after it."""
    digits = number.group()
    whole = digits.find(".") if "." in digits else len(digits)
    doubts: list[Doubt] = []
    for token, start in zip(tokens, starts, strict=False):
        end = start + len(token.text)
        if end <= number.start():
            continue
        if start >= number.end():
            if start == number.end():  # a digit here would have made the number longer
                doubts += [(math.exp(lp), LOST) for alt, lp in token.top if _DIGITS.match(alt)]
            break
        first = max(start, number.start()) - number.start()
        last = first + len(digits[first : end - number.start()].rstrip(".")) - 1
        if last < first:
            continue  # the decimal point alone
        place = 10.0 ** (whole - 1 - last if last < whole else whole - last)
        rest = 1.0 - math.exp(token.logprob)
        if _DIGITS.fullmatch(token.text):
            for alt, lp in token.top:
                if alt == token.text:
                    continue
                q = math.exp(lp)
                same_length = _DIGITS.fullmatch(alt) and len(alt) == len(token.text)
                doubts.append((q, abs(int(alt) - int(token.text)) * place if same_length else LOST))
                rest -= q
        # A token that also carries other characters has alternatives that cannot be read
        # digit by digit: all its doubt is spread like a runtime's that gave none.
        doubts.append((max(0.0, rest), place))
    return doubts


def _miss(doubts: list[Doubt], share: float, half: float) -> float:
    """Markov's bound on the chance that the centre moves `half` or more, when it moves by
    `share` of each error."""
    return sum(q * min(share * error, half) for q, error in doubts) / half

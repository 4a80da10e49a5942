"""The grounding confidence follows place value: a doubt in a hundreds digit weighs a hundred
times one in a units digit. Token lists are spelled as Qwen's tokenizer spells an answer, one
token per digit; the last test reads them from the tiny Qwen3-VL itself."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from screenpilot.models.confidence import POINT_TOLERANCE, coordinate_confidence
from screenpilot.models.grounder import Qwen3VLGrounder
from screenpilot.models.runtime import (
    GREEDY,
    TOP_LOGPROBS,
    Generation,
    Message,
    Sampling,
    TokenLogprob,
)
from screenpilot.perception.geometry import ScreenGeometry
from screenpilot.perception.screenshot import Screenshot

BOX = [412, 220, 498, 251]  # half width 43, half height 15.5
#: A digit's token: (which coordinate, which of its digits, the digit) -> its TokenLogprob.
Spelling = Callable[[int, int, str], TokenLogprob | None]


def digit(d: str, p: float, alternatives: dict[str, float] | None = None) -> TokenLogprob:
    """A digit picked with probability `p`; `alternatives` None means the runtime gave only
    the picked token's log-probability."""
    if alternatives is None:
        return TokenLogprob(d, math.log(p))
    top = sorted([(d, p), *alternatives.items()], key=lambda t: -t[1])[:TOP_LOGPROBS]
    return TokenLogprob(d, math.log(p), tuple((t, math.log(q)) for t, q in top))


def sure(_coordinate: int, _index: int, d: str) -> TokenLogprob:
    return digit(d, 0.999, {str((int(d) + 1) % 10): 0.0009})


def answer(
    coordinates: Sequence[int], *, key: str = "bbox_2d", spell: Spelling = sure
) -> list[TokenLogprob]:
    """`[{"<key>": [...], "label": "OK"}]` as Qwen tokenizes it. The tokens around the numbers
    are unlikely on purpose: only the coordinates' digits may count."""
    name, _, tail = key.partition("_")
    tokens = [TokenLogprob(t, -2.0) for t in ['[{"', name, "_", tail[0], tail[1:], '":', " ["]]
    for i, number in enumerate(coordinates):
        if i:
            tokens += [TokenLogprob(",", -2.0), TokenLogprob(" ", -2.0)]
        tokens += [spell(i, k, d) or sure(i, k, d) for k, d in enumerate(str(number))]
    tail_tokens = ["],", ' "', "label", '":', ' "', "OK", '"}]']
    return tokens + [TokenLogprob(t, -2.0) for t in tail_tokens]


def jitter(_coordinate: int, index: int, d: str) -> TokenLogprob | None:
    """Every units digit a coin toss between the picked one and its neighbours."""
    if index != 2:  # the units of a 3-digit number
        return None
    near = [str(n) for n in (int(d) - 1, int(d) + 1) if 0 <= n <= 9]
    return digit(d, 0.5, {n: 0.49 / len(near) for n in near})


def leading_doubt(coordinate: int, index: int, d: str) -> TokenLogprob | None:
    """x1 may be 512, not 412: less doubt than the jitter's, at the hundreds."""
    return digit("4", 0.75, {"5": 0.24}) if (coordinate, index) == (0, 0) else None


def geometric_mean(tokens: list[TokenLogprob], first: int, last: int) -> float:
    """The score this replaced: every digit token alike."""
    digits = [t.logprob for t in tokens[first:last] if t.text.isdigit()]
    return math.exp(sum(digits) / len(digits))


def test_jitter_in_the_units_digits_scores_higher_than_doubt_in_a_leading_digit() -> None:
    jittery, doubtful = answer(BOX, spell=jitter), answer(BOX, spell=leading_doubt)
    units, hundreds = coordinate_confidence(jittery), coordinate_confidence(doubtful)
    assert units is not None and hundreds is not None and units > hundreds
    # Each units digit may be one off: the centre moves half a unit on average.
    assert units == pytest.approx(1 - 0.5 / 43 - 0.5 / 15.5, abs=0.01)
    # x1 at 512 would put the centre 50 to the right, out of a box reaching 43 either side.
    assert hundreds == pytest.approx(0.75, abs=0.01)
    # The per-token mean ranked them the other way round.
    assert geometric_mean(jittery, 7, -7) < geometric_mean(doubtful, 7, -7)


def test_a_confident_answer_scores_near_one() -> None:
    confidence = coordinate_confidence(answer(BOX))
    assert confidence is not None and 0.98 < confidence <= 1.0


def test_without_alternatives_the_missing_mass_still_follows_place_value() -> None:
    certain: Spelling = lambda i, k, d: digit(d, 1.0, None)  # noqa: E731

    def bare(doubt: Spelling) -> list[TokenLogprob]:
        return answer(BOX, spell=lambda i, k, d: doubt(i, k, d) or certain(i, k, d))

    units = bare(lambda i, k, d: digit(d, 0.5, None) if k == 2 else None)
    hundreds = bare(lambda i, k, d: digit(d, 0.75, None) if (i, k) == (0, 0) else None)
    assert all(not t.top for t in units + hundreds)
    # The missing half at each units digit is one unit of error.
    assert coordinate_confidence(units) == pytest.approx(1 - 0.5 / 43 - 0.5 / 15.5)
    # A quarter at x1's hundreds moves the centre 50, out of the box: the quarter is lost.
    assert coordinate_confidence(hundreds) == pytest.approx(0.75)


def test_an_alternative_that_changes_the_numbers_length_counts_as_lost() -> None:
    def at_x1_units(alternative: str) -> Spelling:
        return lambda i, k, d: digit(d, 0.9, {alternative: 0.1}) if (i, k) == (0, 2) else None

    one_off = coordinate_confidence(answer(BOX, spell=at_x1_units("3")))
    cut_short = coordinate_confidence(answer(BOX, spell=at_x1_units(",")))
    assert one_off is not None and cut_short is not None
    # x1 = 41 is as good as anywhere: its tenth of probability is gone, but no more.
    assert one_off > 0.98 and cut_short == pytest.approx(one_off - 0.1 * (1 - 0.5 / 43), abs=1e-3)
    # A digit where the number ended (x1 = 4120) is lost too.
    longer = answer(BOX)
    after_x1 = 7 + 3
    longer[after_x1] = TokenLogprob(
        ",", math.log(0.9), ((",", math.log(0.9)), ("0", math.log(0.1)))
    )
    assert coordinate_confidence(longer) == pytest.approx(cut_short, abs=0.01)


def test_a_point_answer_is_judged_against_a_small_tolerance() -> None:
    point = [455, 236]
    assert coordinate_confidence(answer(point, key="point_2d")) == pytest.approx(1.0, abs=0.01)
    jittery = coordinate_confidence(answer(point, key="point_2d", spell=jitter))
    assert jittery == pytest.approx(1 - 2 * 0.51 / POINT_TOLERANCE, abs=0.01)
    tens = coordinate_confidence(
        answer(
            point,
            key="point_2d",
            spell=lambda i, k, d: digit("3", 0.7, {"4": 0.3}) if (i, k) == (1, 1) else None,
        )
    )
    assert tens == pytest.approx(0.7, abs=0.01)


def test_only_the_coordinates_count_and_merged_digits_fall_back_by_their_last_place() -> None:
    def spelled(outside: float) -> list[TokenLogprob]:
        return [
            TokenLogprob(t, lp)
            for t, lp in [
                ('[{"', outside),
                ("point_2d", outside),
                ('": [', outside),
                ("4", -0.1),
                ("00", -0.1),  # a tokenizer that merges digits: "00" sits at the units
                (", ", outside),
                ("30", -0.3),
                ("0", -0.1),
                ("]}]", outside),
            ]
        ]

    miss_4, miss_30 = 1 - math.exp(-0.1), 1 - math.exp(-0.3)
    # x: the hundreds' doubt is capped at the tolerance, the units' one unit; y: tens, units.
    expected = 1 - (miss_4 + miss_4 / 10) - (miss_30 + miss_4 / 10)
    assert coordinate_confidence(spelled(-5.0)) == pytest.approx(expected)
    assert coordinate_confidence(spelled(-0.01)) == pytest.approx(expected)


@pytest.mark.parametrize(
    "tokens",
    [
        None,
        [],
        [TokenLogprob("no box", -1.0)],
        [TokenLogprob('{"label": "OK"}', -0.1)],
        [TokenLogprob('{"bbox_2d": [412, 220, 498]}', -0.1)],
        [
            TokenLogprob("<think>", -0.1),
            TokenLogprob('"point_2d": [1, 2]', -0.1),
            TokenLogprob("</think>no box", -0.1),
        ],
    ],
)
def test_no_coordinates_or_no_logprobs_give_none(tokens: list[TokenLogprob] | None) -> None:
    assert coordinate_confidence(tokens) is None


class Answers:
    """A runtime that answers each call with the next token list given."""

    def __init__(self, *answers: list[TokenLogprob]) -> None:
        self.answers, self.calls = list(answers), 0

    def generate(
        self, messages: Any, sampling: Sampling = GREEDY, *, logprobs: bool = False
    ) -> Any:
        self.calls += 1
        tokens = self.answers.pop(0)
        return Generation.from_raw("".join(t.text for t in tokens), tokens=tokens)


def screenshot() -> Screenshot:
    pixels = np.full((1080, 1920, 3), 255, dtype=np.uint8)
    return Screenshot(raw=pixels, geometry=ScreenGeometry.for_screen(1920, 1080), taken_at=0.0)


def test_the_zoom_re_ask_waits_for_doubt_that_can_miss_the_element() -> None:
    jittery = Answers(answer(BOX, spell=jitter))
    found = Qwen3VLGrounder(jittery).ground(screenshot(), "OK")
    assert jittery.calls == 1 and not found.zoomed

    # The zoomed crop's answer is sure: it is the one kept.
    doubtful = Answers(answer(BOX, spell=leading_doubt), answer([330, 310, 660, 690]))
    found = Qwen3VLGrounder(doubtful).ground(screenshot(), "OK")
    assert doubtful.calls == 2 and found.zoomed
    assert found.confidence is not None and found.confidence > 0.98


@pytest.mark.integration
def test_the_tiny_qwen3vl_spells_each_digit_alone_with_its_alternatives(tiny_qwen: Path) -> None:
    from screenpilot.models.local import LocalRuntime

    runtime = LocalRuntime(tiny_qwen)
    tokenizer = runtime.processor.tokenizer
    assert tokenizer.tokenize("[120, 340]") == ["[", "1", "2", "0", ",", "Ġ", "3", "4", "0", "]"]
    text = '[{"bbox_2d": [412, 220, 498, 251], "label": "OK"}]'
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")

    class Forced:
        def generate(self, messages: Any, sampling: Sampling = GREEDY, **options: Any) -> Any:
            forced = lambda step, _ids: [ids[step]] if step < len(ids) else [eos]  # noqa: E731
            return runtime.generate(messages, sampling, **options, constraint=forced)

    found = Qwen3VLGrounder(Forced(), zoom=False).ground(screenshot(), "OK")
    assert found.raw == text
    assert found.confidence is not None and 0.0 <= found.confidence <= 1.0
    generated = (
        Forced()
        .generate(
            [Message.user("Where is OK?")], Sampling(max_new_tokens=len(ids) + 1), logprobs=True
        )
        .tokens
    )
    assert generated is not None
    digits = [t for t in generated if any(c.isdigit() for c in t.text)]
    assert [t.text for t in digits] == list("2" + "412220498251")  # bbox_2d's own 2 first
    assert all(len(t.top) == TOP_LOGPROBS for t in generated)
    assert all(a[1] >= b[1] for t in generated for a, b in zip(t.top, t.top[1:], strict=False))

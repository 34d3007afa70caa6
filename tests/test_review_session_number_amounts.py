"""Review of c3de561/b2e1b97 (the number-piece cap): an amount with its magnitude ("ten thousand", "2 million") is the
number the evidence writes in full ("10,000", "2,000,000"), not a piece of it. The cap read "ten" of "ten thousand" as
"10", a piece of "10,000", and capped faithful paraphrases at 0.1 (below the LLM judge's band): "Twenty thousand troops"
against "20,000 troops" scored .71 (supported) before the session and .1 after."""
from __future__ import annotations

import pytest

from app.answer.alignment import NUMBER_PIECES
from app.answer.support import NUMBER_PIECE_CAP, SupportChecker


@pytest.fixture(scope="module")
def checker():
    return SupportChecker()


@pytest.mark.parametrize("claim, evidence", [
    ("Twenty thousand troops were sent to the border.", "The ministry said 20,000 troops were sent to the border."),
    ("Ten thousand people attended the rally in the capital.", "About 10,000 people attended the rally in the capital."),
    ("About 10 thousand people attended the rally.", "About 10,000 people attended the rally."),
    ("About two million people live in the region.", "About 2,000,000 people live in the region."),
])
def test_an_amount_with_its_magnitude_is_no_piece_of_the_same_number_in_full(checker, claim, evidence):
    result = checker.check(claim, [evidence])
    assert result.features[NUMBER_PIECES] == 0, (result.score, claim, evidence)


def test_twenty_thousand_for_20000_is_still_supported(checker):
    result = checker.check("Twenty thousand troops were sent to the border.",
                           ["The ministry said 20,000 troops were sent to the border."])
    assert result.supported and result.score > NUMBER_PIECE_CAP, result.score


@pytest.mark.parametrize("claim, evidence", [
    ("The company lost five billion dollars last year.", "The company lost 1.5 billion dollars last year."),
    ("Ten thousand people attended the rally.", "About 10,500 people attended the rally."),
])
def test_an_amount_that_is_a_piece_is_still_capped(checker, claim, evidence):
    result = checker.check(claim, [evidence])
    assert result.features[NUMBER_PIECES] >= 1 and result.score <= NUMBER_PIECE_CAP

"""Bug hunt (faithfulness checker): each test fails on the code it was written against."""
from __future__ import annotations

import pytest

from app.answer.support import SupportChecker


@pytest.fixture(scope="module")
def checker():
    return SupportChecker()


@pytest.mark.parametrize("claim, evidence", [
    ("The company lost 5 billion dollars last year.", "The company lost 1.5 billion dollars last year."),
    ("The company lost 1 billion dollars last year.", "The company lost 1.5 billion dollars last year."),
    ("Inflation rose to 5% in March.", "Inflation rose to 3.5% in March."),
    ("The central bank raised rates by 25 basis points.", "The central bank raised rates by 0.25 basis points."),
    ("The rocket reached an altitude of 100 kilometres.", "The rocket reached an altitude of 3,100 kilometres."),
    ("The stock fell 4 percent to 120 dollars.", "The stock fell 4.1 percent to 120 dollars."),
])
def test_a_number_is_not_supported_by_a_number_that_merely_contains_its_digits(checker, claim, evidence):
    """alignment._TOKEN splits "1.5" into "1" and "5" and "3,100" into "3" and "100", so the claim's "5" or "100"
    aligns exactly with a fragment: frac_exact, sentence_coverage and the window features read 1.0 and the score
    is .67-.82, above the threshold .65 (with "7 billion" instead, .17). unaligned_number is 1 each time."""
    result = checker.check(claim, [evidence])
    assert not result.supported, (result.score, claim, evidence)

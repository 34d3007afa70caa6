"""Review of b2e1b97 (checker 1.4.2, the number-piece cap): the cap fired on faithful claims whose number the evidence
writes with trailing zeros or another separator ("$5" of "$5.00", "magnitude 7" of "7.0", "10:30" of "10.30"), all
supported (.69-.85) before; and the conflict search's `worded` dropped every digit, so a count against a date's day
("5 people" / "on March 5") became a conflict note."""
from __future__ import annotations

import pytest

from app.answer.alignment import NUMBER_PIECES
from app.answer.support import SupportChecker
from app.summarize.conflicts import find_conflicts


@pytest.fixture(scope="module")
def checker():
    return SupportChecker()


@pytest.mark.parametrize("claim, evidence", [
    ("Tickets cost $5 each.", "Tickets cost $5.00 each, the organisers said."),
    ("The earthquake had a magnitude of 7.", "The earthquake had a magnitude of 7.0, the survey said."),
    ("Inflation rose to 3 percent in March.", "Inflation rose to 3.0 percent in March."),
    ("The train leaves at 9 am.", "The train leaves at 9.00 am."),
    ("The meeting starts at 10:30 on Monday.", "The meeting starts at 10.30 on Monday."),
    ("The 10 000 tickets sold out.", "The 10,000 tickets sold out."),
])
def test_the_same_number_written_otherwise_is_not_a_piece(checker, claim, evidence):
    result = checker.check(claim, [evidence])
    assert result.features[NUMBER_PIECES] == 0 and result.supported, (result.score, claim, evidence)


def test_a_piece_is_still_capped(checker):
    for claim, evidence in [("The company lost 5 billion dollars.", "The company lost 1.5 billion dollars."),
                            ("Tickets cost $5 each.", "Tickets cost $5.50 each."),
                            ("The meeting starts at 10:15.", "The meeting starts at 10.30.")]:
        assert checker.check(claim, [evidence]).features[NUMBER_PIECES] >= 1, claim


@pytest.mark.parametrize("a, b", [
    ("Police said 5 people were arrested in Paris after the protest on Monday.",
     "Police said dozens of people were arrested in Paris after the protest on March 5."),
    ("The storm killed 8 people in the coastal towns of Florida, officials said.",
     "The storm hit the coastal towns of Florida on Oct. 8, officials said."),
])
def test_a_count_against_a_dates_day_is_no_conflict(a, b):
    assert find_conflicts([a, b], ["x", "y"]) == []


def test_the_same_price_written_with_cents_is_no_conflict():
    a = "Tickets for the concert in Oslo cost $5.00 each, the organisers said."
    assert find_conflicts([a, a.replace("$5.00", "$5")], ["x", "y"]) == []

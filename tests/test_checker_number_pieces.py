"""A claim number that the evidence holds only as a piece of a longer number ("5" of "1.5", "100" of "3,100") is not
supported: the word pattern splits decimals and thousands, the piece aligned exactly, and a fabricated figure passed
the guard (.67 against the threshold .65; a bug hunt, 2026-11-29). The checker now caps such a claim at
NUMBER_PIECE_CAP (app/answer/support.py; measured in benchmarks/checker_number_pieces.py)."""
from __future__ import annotations

import pytest

from app.answer.alignment import NUMBER_PIECES, number_pieces
from app.answer.support import NUMBER_PIECE_CAP, SupportChecker


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
    ("The company lost five billion dollars last year.", "The company lost 1.5 billion dollars last year."),
    ("Inflation rose by three percent in March.", "Inflation rose by 0.3 percent in March."),
])
def test_a_number_is_not_supported_by_a_number_that_merely_contains_its_digits(checker, claim, evidence):
    result = checker.check(claim, [evidence])
    assert not result.supported and result.score <= NUMBER_PIECE_CAP, (result.score, claim, evidence)
    assert result.features[NUMBER_PIECES] >= 1


@pytest.mark.parametrize("claim, evidence", [
    ("The company lost 1.5 billion dollars last year.", "The company lost 1.5 billion dollars last year."),
    ("The rocket reached an altitude of 3,100 kilometres.", "The rocket reached an altitude of 3100 kilometres."),
    ("The rocket reached an altitude of 3100 kilometres.", "The rocket reached an altitude of 3,100 kilometres."),
    # the number stands on its own too: the claim says what the evidence says
    ("Five of the 1.5 million voters said no, and 5 voters abstained.",
     "Five of the 1.5 million voters said no, and 5 voters abstained."),
])
def test_a_number_the_evidence_states_is_not_capped(checker, claim, evidence):
    result = checker.check(claim, [evidence])
    assert result.features.get(NUMBER_PIECES, 0) == 0 and result.supported, (result.score, claim)


def test_the_cap_needs_the_piece_to_be_missing_as_a_number_of_its_own(checker):
    """"5" of "1.5" is no piece when the evidence also states 5 on its own; a claim number written as a whole that the
    evidence writes in pieces (QAGS's tokenised "3, 800" for "3,800") is not capped either."""
    evidence = "The company lost 1.5 billion dollars last year and cut 5 plants."
    assert checker.check("The company cut 5 plants.", [evidence]).features[NUMBER_PIECES] == 0
    spaced = checker.check("The fortress is about 3,800 km from Moscow.", ["The fortress is about 3, 800 km from Moscow."])
    assert spaced.features[NUMBER_PIECES] == 0


def test_a_bare_count_in_words_is_no_amount(checker):
    """"the two leaders" paraphrases a passage naming both; a decimal elsewhere in it ("2.5%") does not cap it."""
    evidence = "Kim and Putin met on Wednesday at the cosmodrome. Inflation in Russia is 2.5% this year."
    assert checker.check("The two leaders met on Wednesday.", [evidence]).features[NUMBER_PIECES] == 0


def test_number_pieces_reads_decimals_and_thousands():
    assert number_pieces("lost 1.5 billion, 3,100 km, version 2.0.1, in 2023.") == {"1", "5", "3", "100", "2", "0"}
    assert number_pieces("in 2023, 300 people and 12 more.") == frozenset()

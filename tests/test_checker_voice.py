"""Active/passive rewording is kept, a subject/object swap is flagged in either voice (checker 1.3.0).
Examples written for these tests, not drawn from any training set."""

from __future__ import annotations

import pytest

from app.answer.voice import active_order

ENDORSEMENT = ["The Riverside school board met on Thursday to discuss the budget. Senator Lena Ortiz was endorsed "
               "by Governor Mark Reyes at a rally in Fresno on Friday. The endorsement surprised party officials."]
MATCH_REPORT = ["Coach Dana Whitfield praised striker Omar Haddad after the match in Leeds. The club will play its "
                "next game on Sunday."]

# (evidence, claim): the evidence says it in one voice, the claim in the other.
VOICE_CHANGED = {
    "passive evidence, active claim": (
        ENDORSEMENT, "Governor Mark Reyes endorsed Senator Lena Ortiz at a rally in Fresno on Friday."),
    "active evidence, passive claim": (
        MATCH_REPORT, "Striker Omar Haddad was praised by coach Dana Whitfield after the match in Leeds."),
    "same voice, shortened": (ENDORSEMENT, "Senator Lena Ortiz was endorsed by Governor Mark Reyes on Friday."),
}

SWAPPED = {
    "active claim, roles swapped": (
        ENDORSEMENT, "Senator Lena Ortiz endorsed Governor Mark Reyes at a rally in Fresno on Friday."),
    "passive claim, roles swapped": (
        ENDORSEMENT, "Governor Mark Reyes was endorsed by Senator Lena Ortiz at a rally in Fresno on Friday."),
    "passive claim over active evidence, roles swapped": (
        MATCH_REPORT, "Coach Dana Whitfield was praised by striker Omar Haddad after the match in Leeds."),
    "active claim over active evidence, roles swapped": (
        MATCH_REPORT, "Striker Omar Haddad praised coach Dana Whitfield after the match in Leeds."),
}


@pytest.fixture(scope="module")
def checker():
    from app.answer.support import SupportChecker

    return SupportChecker()


def test_passive_clause_is_read_in_active_order():
    assert active_order("Senator Ortiz was endorsed by Governor Reyes at a rally.") == \
        "Governor Reyes endorsed Senator Ortiz at a rally."
    assert active_order("Police said the suspect was arrested by state troopers near Dayton.") == \
        "Police said state troopers arrested the suspect near Dayton."
    assert active_order("The bill has been signed by the president, aides said.") == \
        "the president signed The bill, aides said."


def test_text_without_a_passive_or_with_a_negated_one_is_left_as_written():
    for text in ("Reyes endorsed Ortiz.", "The loan was not approved by the bank.", "It rained by noon.",
                 "Prices rose by 5% in May."):
        assert active_order(text) == text


@pytest.mark.parametrize("case", sorted(VOICE_CHANGED))
def test_voice_change_is_supported(checker, case):
    evidence, claim = VOICE_CHANGED[case]
    verdict = checker.check(claim, evidence)
    assert verdict.supported, (case, verdict.score)
    assert verdict.features["role_swaps"] == 0 and verdict.features["inversions"] == 0


@pytest.mark.parametrize("case", sorted(SWAPPED))
def test_subject_object_swap_is_flagged_in_either_voice(checker, case):
    evidence, claim = SWAPPED[case]
    verdict = checker.check(claim, evidence)
    assert not verdict.supported, (case, verdict.score)
    assert verdict.features["role_swaps"] >= 1

"""Active/passive rewording is kept, a subject/object swap is flagged in either voice (checker 1.3.0).
Examples written for these tests, not drawn from any training set."""

from __future__ import annotations

import pytest

from app.answer.voice import active_order, leading_name

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


# A pronoun subject of a passive (checker 1.4.0): "he is played by X" names its patient by a pronoun that
# points at the name opening the sentence or the one before. Written for these tests.
VIDEO = ["Elton John released a video for his 1973 Christmas classic on Monday. In the video he is played by "
         "actress Cara Delevingne, who sings along."]
TAKEOVER = ["Harbor Trust announced the takeover on Monday. It was criticised by union leader Maria Lopez, who "
            "called the deal reckless."]
CLASSIC = ["Elton John has a new video for his Christmas classic, in which he is played by none other than "
           "actress Cara Delevingne."]

PRONOUN_VOICE_CHANGED = {
    "pronoun patient, the name a sentence before": (VIDEO, "Actress Cara Delevingne plays Elton John in the video."),
    "pronoun patient 'it', a company": (TAKEOVER, "Union leader Maria Lopez criticised Harbor Trust."),
    "pronoun patient, 'by none other than'": (
        CLASSIC, "Cara Delevingne plays Elton John in a new video for his Christmas classic."),
}
PRONOUN_SWAPPED = {
    "pronoun patient, roles swapped": (VIDEO, "Elton John plays actress Cara Delevingne in the video."),
    "pronoun patient 'it', roles swapped": (TAKEOVER, "Harbor Trust criticised union leader Maria Lopez."),
}
# Known miss of 1.4.0 (docs/faithfulness.md, "Where it fails"): with the antecedent read into the sentence,
# the trees score this swap .66, just above the threshold .65 (1.3.0: .47, below its .69); the mutual swap
# check only keeps the full-sentence rule from lifting it further. Capping every mutual swap below the threshold
# would fail it, but measured on held-out items that rule gains nowhere and loses on sales_call (docs, 1.4.1).
KNOWN_MISSES = {"pronoun patient, roles swapped"}


def test_a_pronoun_is_the_whole_patient_and_reads_as_its_antecedent():
    sentence = "In the video he is played by actress Cara Delevingne, who sings along."
    assert active_order(sentence) == "In the video actress Cara Delevingne played he, who sings along."
    assert active_order(sentence, "Elton John") == \
        "In the video actress Cara Delevingne played Elton John, who sings along."
    assert active_order("a video in which he is played by none other than Cara Delevingne.", "Elton John") == \
        "a video in which Cara Delevingne played Elton John."
    # Only a pronoun patient is replaced: a named patient stays what it is.
    assert active_order("Senator Ortiz was endorsed by Governor Reyes.", "Elton John") == \
        "Governor Reyes endorsed Senator Ortiz."


def test_leading_name_is_the_capitalised_opening_only():
    assert leading_name("Elton John released a video.") == "Elton John"
    assert leading_name("Elton John's new video, in which he sings.") == "Elton John"
    assert leading_name("Harbor Trust, the lender, said so.") == "Harbor Trust"
    for sentence in ("The museum reopened.", "In the video he sings.", "He was cheered.", "reporters said"):
        assert leading_name(sentence) is None


# Every sentence opens with a capital: before 1.5.0 any opening word was a pronoun's antecedent, so "It was
# designed by architect Ana Ruiz" after "Officials unveiled …" read "Ana Ruiz designed Officials". Written for
# these tests.
BRIDGE = ["Officials unveiled the new bridge on Monday. It was designed by architect Ana Ruiz, who won an award "
          "for it."]


def test_leading_name_is_a_name_not_any_opening_word():
    for sentence in ("Officials unveiled the new bridge.", "Police arrested two men on Monday.",
                     "Despite the storm, the festival opened.", "However, the plan changed.",
                     "Despite Okafor's warning, it went ahead.", "Reporters waited outside."):
        assert leading_name(sentence) is None, sentence
    assert leading_name("Okafor thanked the crowd.") == "Okafor"  # no dictionary word: a name
    # "Rose" is a word too: a name where the text also capitalises it inside a sentence (proper_names).
    assert leading_name("Rose thanked the crowd.") is None
    assert leading_name("Rose thanked the crowd.", {"rose", "okafor"}) == "Rose"


def test_a_pronoun_is_not_read_as_an_opening_common_word():
    from app.answer.alignment import Aligner

    aligner = Aligner(None)
    assert "officials" not in aligner.prepare(BRIDGE).sentence_words[1]
    named = aligner.prepare(["Mayor Rose Okafor opened the bridge. It was designed by architect Ana Ruiz."])
    assert named.sentence_words[1][-3:] == ["mayor", "rose", "okafor"]  # a real name still resolves
    told = aligner.prepare(["Rose opened the bridge with Mayor Rose Okafor. It was designed by Ana Ruiz."])
    assert told.sentence_words[1][-1] == "rose"  # capitalised mid-sentence too: a name


@pytest.mark.parametrize("claim", ["Architect Ana Ruiz designed officials.",
                                   "Officials were designed by architect Ana Ruiz."])
def test_a_claim_built_on_a_wrong_antecedent_is_not_supported(checker, claim):
    verdict = checker.check(claim, BRIDGE)  # 1.4.0 scored these .91 and .92: every word in one sentence
    assert not verdict.supported, verdict.score


def test_the_faithful_claim_over_an_unresolved_pronoun_still_passes(checker):
    assert checker.check("Architect Ana Ruiz designed the new bridge.", BRIDGE).supported


@pytest.mark.parametrize("case", sorted(PRONOUN_VOICE_CHANGED))
def test_voice_change_with_a_pronoun_patient_is_supported(checker, case):
    evidence, claim = PRONOUN_VOICE_CHANGED[case]
    verdict = checker.check(claim, evidence)
    assert verdict.supported, (case, verdict.score)
    assert verdict.features["mutual_role_swaps"] == 0


@pytest.mark.parametrize("case", [
    pytest.param(case, marks=pytest.mark.xfail(strict=True, reason="known miss, see KNOWN_MISSES"))
    if case in KNOWN_MISSES else case for case in sorted(PRONOUN_SWAPPED)])
def test_subject_object_swap_over_a_pronoun_patient_is_flagged(checker, case):
    evidence, claim = PRONOUN_SWAPPED[case]
    verdict = checker.check(claim, evidence)
    assert verdict.features["mutual_role_swaps"] >= 1  # so the full-sentence rule does not floor it
    assert not verdict.supported, (case, verdict.score)

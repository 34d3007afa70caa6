"""Quantifier rewordings are kept ("all of the X" / "every X" / "the Xs all"), a universal claim over a
partial passage is not; and the local-support features see an entity of the document put beside words it
does not stand with (checker 1.4.0). Examples written for these tests, not drawn from any training set."""

from __future__ import annotations

import pytest

from app.answer.alignment import _unaligned_relations, claim_tokens

RESCUE = ["All of the passengers were rescued by the coast guard on Sunday."]
JURY = ["The twelve jurors all voted to convict the former mayor, the court said."]
FLIGHTS = ["The airline said on Monday it had suspended its flights to Tel Aviv. The suspension will last until Friday."]

REWORDED = {
    "'all of the X' as 'every X'": (RESCUE, "Every passenger was rescued by the coast guard on Sunday."),
    "'the Xs all' as 'every one of the Xs'": (JURY, "Every one of the twelve jurors voted to convict the former mayor."),
    "'its Xs' as 'all Xs'": (FLIGHTS, "The airline suspended all flights to Tel Aviv until Friday."),
}


@pytest.fixture(scope="module")
def checker():
    from app.answer.support import SupportChecker

    return SupportChecker()


def test_universal_quantifiers_are_one_relation_word():
    assert "every" not in {t.word for t in claim_tokens("Every passenger was rescued.")}
    assert _unaligned_relations({"every", "passenger"}, {"all", "of", "the", "passengers"}) == 0
    assert _unaligned_relations({"all", "trade"}, {"halted", "bilateral", "trade"}) == 0  # a bare noun: no clash
    assert _unaligned_relations({"all", "passengers"}, {"some", "of", "the", "passengers"}) == 1
    assert _unaligned_relations({"before", "all"}, {"after", "every"}) == 1  # other relation words unchanged


@pytest.mark.parametrize("case", sorted(REWORDED))
def test_quantifier_rewording_is_supported(checker, case):
    evidence, claim = REWORDED[case]
    verdict = checker.check(claim, evidence)
    assert verdict.supported, (case, verdict.score)
    assert verdict.features["unaligned_relation"] == 0


def test_universal_claim_over_a_partial_passage_keeps_its_relation_flag_and_no_full_sentence_floor(checker):
    # Every word stands in the sentence, so the full-sentence rule would floor it at .75; a missing relation
    # word ("all" against "some", "before" against "after") now keeps the rule from firing (1.4.0).
    values, _ = checker.features("All of the passengers were rescued by the coast guard on Sunday.",
                                 ["Some of the passengers were rescued by the coast guard on Sunday."])
    assert values["unaligned_relation"] == 1 and values["sentence_coverage"] == 1.0
    assert checker.score(values) == checker.model.probability(values)
    values, _ = checker.features("Every school in the district closed on Monday.",
                                 ["Only a few schools in the district closed on Monday."])
    assert values["unaligned_relation"] == 1


def test_local_support_sees_an_entity_of_the_document_beside_words_it_does_not_stand_with(checker):
    chat = ["Lola: how do I submit the expenses paperwork? Pat: email Jessica from HR or use the website. "
            "Pat: but don't make it a habit. Cassie: if the website is not working, contact IT."]
    from app.answer.alignment import Aligner

    # Every feature, as training computes them: the shipped checker skips these (no tree reads them).
    aligner = Aligner(checker.embedder)
    faithful = aligner.features("Cassie suggests contacting IT if the website is not working.", chat)[0]
    swapped = aligner.features("Cassie suggests contacting HR if the website is not working.", chat)[0]
    assert faithful["local_anchor_min"] == 1.0 and faithful["local_min"] == 1.0
    assert swapped["local_anchor_min"] < 0.5 and swapped["local_min"] < 0.5
    assert swapped["local_mean"] < faithful["local_mean"]

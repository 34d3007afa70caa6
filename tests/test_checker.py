"""The faithfulness checker tells paraphrase from fabrication: one example per perturbation type,
written for these tests (not taken from any training set), plus the guard on the issue's example."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED_ARTICLES, needs_shared

EVIDENCE = [
    "The Millbrook city council voted 7 to 2 on Tuesday to approve a new public library on Harbor Street. "
    "Mayor Elena Ruiz said construction will begin in March and will cost about $12 million. "
    "The council did not approve the proposed parking garage, which opponents called too expensive. "
    "Ruiz thanked councillor David Okafor for backing the library after months of debate. "
    "Okafor warned that property taxes could rise if the project runs over budget."
]

SUPPORTED = {
    "copy": "Mayor Elena Ruiz said construction will begin in March and will cost about $12 million.",
    "compression": "The Millbrook city council voted to approve a new public library.",
    "fusion": "The council voted 7 to 2 to approve a new library on Harbor Street, and construction will begin "
              "in March.",
    "reorder": "Construction will begin in March, Mayor Elena Ruiz said.",
    "synonym": "Mayor Elena Ruiz said construction will start in March and will cost roughly $12 million.",
}

# The evidence sentence each fabrication was made from.
ORIGINAL = {
    "entity_swap": 1, "number_change": 1, "date_change": 1, "negation_inserted": 0, "negation_removed": 2,
    "antonym": 0, "subject_object_swap": 3, "addition": 1,
}

UNSUPPORTED = {
    "entity_swap": "Mayor David Okafor said construction will begin in March and will cost about $12 million.",
    "number_change": "Mayor Elena Ruiz said construction will begin in March and will cost about $19 million.",
    "date_change": "Mayor Elena Ruiz said construction will begin in October and will cost about $12 million.",
    "negation_inserted": "The Millbrook city council did not approve a new public library on Harbor Street.",
    "negation_removed": "The council approved the proposed parking garage, which opponents called too expensive.",
    "antonym": "The Millbrook city council voted 7 to 2 on Tuesday to reject a new public library on Harbor Street.",
    "subject_object_swap": "Okafor thanked Ruiz for backing the library after months of debate.",
    "addition": "Mayor Elena Ruiz said construction will begin in March, funded by a grant from the Carnegie "
                "Foundation.",
}

# A second story, business news, with its own rewordings and fabrications.
EVIDENCE_2 = [
    "Harlow Biotech said on Wednesday that its quarterly revenue rose 14% to $380 million, beating analysts' "
    "forecasts. Chief executive Priya Nandakumar told investors the company would open a second plant in Ohio "
    "next year. The firm has not yet received approval from regulators for its new diabetes drug. Nandakumar "
    "praised chief scientist Tomas Berg for leading the drug's trials. Shares of Harlow climbed 6% in early "
    "trading."
]

SUPPORTED_2 = {
    "copy": "Shares of Harlow climbed 6% in early trading.",
    "compression": "Harlow Biotech said its quarterly revenue rose 14% to $380 million.",
    "fusion": "Harlow Biotech's quarterly revenue rose 14% to $380 million, and chief executive Priya Nandakumar "
              "said the company would open a second plant in Ohio next year.",
    "reorder": "The company would open a second plant in Ohio next year, chief executive Priya Nandakumar told "
               "investors.",
    "synonym": "Chief executive Priya Nandakumar told investors the firm would open a second factory in Ohio next "
               "year.",
}

ORIGINAL_2 = {
    "entity_swap": 1, "number_change": 0, "date_change": 0, "negation_inserted": 1, "negation_removed": 2,
    "antonym": 4, "subject_object_swap": 3, "addition": 4,
}

UNSUPPORTED_2 = {
    "entity_swap": "Chief executive Tomas Berg told investors the company would open a second plant in Ohio next "
                   "year.",
    "number_change": "Harlow Biotech said on Wednesday that its quarterly revenue rose 41% to $380 million, beating "
                     "analysts' forecasts.",
    "date_change": "Harlow Biotech said on Friday that its quarterly revenue rose 14% to $380 million, beating "
                   "analysts' forecasts.",
    "negation_inserted": "Chief executive Priya Nandakumar told investors the company would not open a second plant "
                         "in Ohio next year.",
    "negation_removed": "The firm has received approval from regulators for its new diabetes drug.",
    "antonym": "Shares of Harlow fell 6% in early trading.",
    "subject_object_swap": "Berg praised chief scientist Nandakumar for leading the drug's trials.",
    "addition": "Shares of Harlow climbed 6% in early trading after the company announced layoffs in Texas.",
}

STORIES = {"council": (EVIDENCE, SUPPORTED, UNSUPPORTED, ORIGINAL),
           "biotech": (EVIDENCE_2, SUPPORTED_2, UNSUPPORTED_2, ORIGINAL_2)}


@pytest.fixture(scope="module")
def checker():
    from app.answer.support import SupportChecker
    from app.embed.wordllama import WordLlamaEmbedder

    return SupportChecker(WordLlamaEmbedder.shared())


# Both stories' rewordings pass since 1.2.0, the biotech synonym ('factory' for 'plant' and 'firm' for
# 'company' in one sentence, .68 with 1.1.0) included: WordNet aligns what word vectors placed apart.
@pytest.mark.parametrize(("story", "kind"), [(story, kind) for story in sorted(STORIES) for kind in sorted(SUPPORTED)])
def test_faithful_rewording_is_supported(checker, story, kind):
    evidence, supported, _, _ = STORIES[story]
    verdict = checker.check(supported[kind], evidence)
    assert verdict.supported, (kind, verdict.score, verdict.features)


def _sentences(evidence):
    from app.answer.alignment import split_sentences

    return split_sentences(evidence[0])


@pytest.mark.parametrize("story", sorted(STORIES))
@pytest.mark.parametrize("kind", sorted(UNSUPPORTED))
def test_fabrication_scores_below_the_sentence_it_perturbs(checker, story, kind):
    evidence, _, unsupported, original = STORIES[story]
    source = _sentences(evidence)[original[kind]]
    assert checker.check(unsupported[kind], evidence).score < checker.check(source, evidence).score - 0.15


@pytest.mark.parametrize("story", sorted(STORIES))
@pytest.mark.parametrize("kind", sorted(UNSUPPORTED))
def test_fabrication_is_not_supported(checker, story, kind):
    evidence, _, unsupported, _ = STORIES[story]
    verdict = checker.check(unsupported[kind], evidence)
    assert not verdict.supported, (kind, verdict.score, verdict.features)


def test_scores_are_probabilities_and_a_multi_sentence_claim_is_as_weak_as_its_weakest_sentence(checker):
    good = checker.check(SUPPORTED["copy"], EVIDENCE)
    bad = checker.check(UNSUPPORTED["number_change"], EVIDENCE)
    both = checker.check(f"{SUPPORTED['copy']} {UNSUPPORTED['number_change']}", EVIDENCE)
    assert 0.0 <= bad.score < good.score <= 1.0
    assert both.score == pytest.approx(bad.score) and not both.supported


def test_no_evidence_supports_nothing(checker):
    assert not checker.check(SUPPORTED["copy"], []).supported
    assert not checker.check(SUPPORTED["copy"], [""]).supported


def test_checker_reports_its_name_and_version(checker):
    from app.answer.checker_model import load_model

    assert checker.name == "citewire-align-gbt"
    assert checker.version == load_model().version and not checker.version.endswith("-quick")


# --- the guard on the example -------------------------------------------------------------

PARAPHRASE = "Kim pledged full and unconditional support for Russia's fight"
INVENTED = "Kim also agreed to send 20,000 North Korean troops to fight in Ukraine by October"


def _passage(text: str, title: str = ""):
    from app.retrieval.service import Passage

    return Passage(chunk_id="a:0:x", article_id="a", chunk_index=0, title=title, source="test", url="",
                   published_at=None, text=text, char_start=0, char_end=len(text), score=1.0)


# The paraphrase scored .65 with checker 1.1.0 ('pledged', whose word vector sits far from 'promised'),
# under its threshold: dropped. Since 1.2.0 WordNet relates 'pledge' to 'promise' (docs/faithfulness.md).


def _guarded(passages):
    from app.answer.guard import FaithfulnessGuard
    from app.answer.support import SupportChecker
    from app.embed.wordllama import WordLlamaEmbedder

    guard = FaithfulnessGuard(SupportChecker(WordLlamaEmbedder.shared()))
    return guard.apply(f"{PARAPHRASE} [1]. {INVENTED} [1].", passages)


def test_guard_keeps_paraphrase_and_drops_invented_sentence_self_contained():
    text = ("North Korean leader Kim Jong Un has promised Russian President Vladimir Putin that his country will "
            "give the war in Ukraine its \"full and unconditional support\". Kim called the war the \"sacred "
            "fight\" that Russia is waging to protect its security interests. The two leaders met at a "
            "spaceport in Russia's Far East.")
    answer = _guarded([_passage(text, "Kim promises to support Russia")])
    assert answer.answerable
    assert [s.text for s in answer.sentences] == [PARAPHRASE + "."]
    assert answer.guard["dropped"] == 1


@needs_shared
def test_guard_keeps_paraphrase_and_drops_invented_sentence_on_the_seed_article(shared_services):
    """The issue's case: the passages retrieval gives for the question, as the LLM path would see them."""
    assert (SHARED_ARTICLES / "004_75f1210c1675ddf4.txt").exists()
    passages = shared_services.retrieval.search("What did Kim pledge to Putin?", top_k=3)
    answer = _guarded(passages)
    assert answer.answerable, [(s.text, s.support) for s in answer.sentences]
    assert [s.text for s in answer.sentences] == [PARAPHRASE + "."]
    assert answer.guard["dropped"] == 1


# --- the LLM judge decides the uncertain band, within a budget --------------------------------------

class FixedScoreChecker:
    """Test double: scores each claim by a lookup (the guard's band logic is what is under test)."""

    threshold = 0.5

    def __init__(self, scores):
        self.scores = scores

    def check(self, claim, evidence):
        from app.answer.support import Support

        score = self.scores[claim.rstrip(".")]
        return Support(score, score >= self.threshold, {}, "the best window")


class CountingJudge:
    def __init__(self, p_yes):
        self.p_yes = p_yes
        self.calls = []

    def p_supported(self, claim, evidence):
        self.calls.append((claim, evidence))
        return self.p_yes


def test_judge_decides_only_uncertain_sentences_within_budget():
    from app.answer.guard import FaithfulnessGuard

    scores = {"Sure thing is true": 0.95, "Surely invented claim here": 0.05, "Unsure claim number one": 0.45,
              "Unsure claim number two": 0.6, "Unsure claim number three": 0.3}
    passages = [_passage("Some passage text that is long enough.")]
    raw = " ".join(f"{claim} [1]." for claim in scores)
    judge = CountingJudge(p_yes=0.9)
    guard = FaithfulnessGuard(FixedScoreChecker(scores), judge=judge, judge_band=(0.2, 0.8), judge_budget=2)
    verified, summary = guard.verify(raw, passages)
    # Only in-band sentences reach the judge, the first two of them (the budget), with the best window.
    assert [c for c, _ in judge.calls] == ["Unsure claim number one.", "Unsure claim number two."]
    assert all(evidence == ["the best window"] for _, evidence in judge.calls)
    kept = {v.text: v.support for v in verified}
    assert kept == {"Sure thing is true.": 0.95, "Unsure claim number one.": 0.9, "Unsure claim number two.": 0.9}
    assert summary["dropped"] == 2  # the invented one (out of band) and the third unsure one (no budget left)

    no = CountingJudge(p_yes=0.1)
    verified, _ = FaithfulnessGuard(FixedScoreChecker(scores), judge=no, judge_budget=10).verify(raw, passages)
    assert [v.text for v in verified] == ["Sure thing is true."] and len(no.calls) == 3


# --- the alignment features behind the verdicts ---------------------------------------------------

def test_role_swap_feature_sees_who_did_what_to_whom(checker):
    swapped, _ = checker.features(UNSUPPORTED["subject_object_swap"], EVIDENCE)
    kept, _ = checker.features("Ruiz thanked councillor David Okafor for backing the library.", EVIDENCE)
    assert swapped["role_swaps"] >= 1 and kept["role_swaps"] == 0


def test_substitution_similarity_is_one_when_every_word_is_aligned_and_lower_for_an_invented_word(checker):
    copy, _ = checker.features(SUPPORTED["copy"], EVIDENCE)
    added, _ = checker.features(UNSUPPORTED["addition"], EVIDENCE)
    assert copy["swap_sim"] == 1.0 and added["swap_sim"] < 0.5

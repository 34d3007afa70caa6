"""The checker computes only the feature families its trees read (checker 1.5.0: the local-support columns
are skipped when no tree splits on them), and that changes no score: every verdict is the same as with
every feature computed. Claims: the test stories' sentences, a word dropped from each, and the fabrications
written in tests/test_checker.py."""

from __future__ import annotations

import dataclasses

import pytest

from app.answer.alignment import FEATURES, LOCAL_SUPPORT_FEATURES, Aligner
from tests.test_checker import EVIDENCE, EVIDENCE_2, SUPPORTED, SUPPORTED_2, UNSUPPORTED


@pytest.fixture(scope="module")
def checkers():
    from app.answer.support import SupportChecker

    shipped = SupportChecker()
    everything = SupportChecker(shipped.embedder)
    everything.aligner = Aligner(shipped.embedder)  # reads=None: every feature, as training computes them
    return shipped, everything


def _claims() -> list[tuple[str, list[str]]]:
    from app.answer.alignment import split_sentences

    out = []
    for evidence, written in ((EVIDENCE, [*SUPPORTED.values(), *UNSUPPORTED.values()]), (EVIDENCE_2, SUPPORTED_2.values())):
        sentences = split_sentences(evidence[0])
        dropped = [" ".join(s.split()[:2] + s.split()[3:]) for s in sentences]
        out += [(claim, evidence) for claim in [*sentences, *dropped, *written]]
    return out


def test_the_shipped_model_reads_no_local_support_column_so_they_are_skipped(checkers):
    shipped, everything = checkers
    reads = shipped.model.reads
    assert reads <= set(FEATURES) and "window_order" in reads
    assert shipped.aligner.local_support == (not reads.isdisjoint(LOCAL_SUPPORT_FEATURES))
    assert everything.aligner.local_support


def test_skipping_unread_columns_changes_no_score(checkers):
    shipped, everything = checkers
    computed = 0
    for claim, evidence in _claims():
        fast, full = shipped.check(claim, evidence), everything.check(claim, evidence)
        # the unrounded probability too, to the bit
        assert shipped.score(shipped.features(claim, evidence)[0]) == shipped.score(everything.features(claim, evidence)[0])
        assert (fast.score, fast.supported, fast.best_window) == (full.score, full.supported, full.best_window), claim
        for name in FEATURES:
            if name in LOCAL_SUPPORT_FEATURES and not shipped.aligner.local_support:
                assert fast.features[name] == 0.0  # not computed: left at 0.0
                computed += full.features[name] != 0.0
            else:
                assert fast.features[name] == full.features[name], (claim, name)
    assert computed > 0  # the full checker did compute them, so the comparison compared something


def test_a_model_that_reads_a_local_column_gets_it_computed(checkers):
    shipped, _ = checkers
    trees = shipped.model.trees
    reading = dataclasses.replace(trees[0], feature=(FEATURES.index("local_min"),) + trees[0].feature[1:])
    model = dataclasses.replace(shipped.model, trees=(reading, *trees[1:]))
    assert "local_min" in model.reads
    from app.answer.support import SupportChecker

    assert SupportChecker(shipped.embedder, model=model).aligner.local_support

"""The WordNet lexicon the checker aligns with: what it says, how the features use it, and that the
shipped file is what training/build_lexicon.py makes from Debian's wordnet-base."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from app.text import stem
from tests.conftest import REPO

WORDNET = Path("/usr/share/wordnet")


@pytest.fixture(scope="module")
def lexicon():
    from app.answer import lexicon

    return lexicon.shared()


@pytest.mark.parametrize(("a", "b"), [("pledged", "promised"), ("big", "large"), ("begin", "started"),
                                      ("backed", "supported"), ("factory", "plant")])
def test_synonyms_and_near_senses_are_related(lexicon, a, b):
    assert lexicon.related(stem(a), stem(b)) and lexicon.related(stem(b), stem(a))


@pytest.mark.parametrize(("a", "b"), [("Monday", "Tuesday"), ("Russia", "Ukraine"), ("bought", "painted"),
                                      ("approved", "rejected")])
def test_other_words_are_not_related(lexicon, a, b):
    """Co-hyponyms (two weekdays, two countries) are different facts, not rewordings."""
    assert not lexicon.related(stem(a.lower()), stem(b.lower()))


@pytest.mark.parametrize(("a", "b"), [("rose", "fell"), ("won", "lost"), ("increased", "decreased"),
                                      ("approved", "rejected")])
def test_antonyms_both_ways_including_irregular_forms(lexicon, a, b):
    assert stem(b) in lexicon.antonyms(stem(a)) and stem(a) in lexicon.antonyms(stem(b))


def test_shipped_file_carries_the_wordnet_licence():
    from app.answer.lexicon import LEXICON_PATH

    with gzip.open(LEXICON_PATH, "rt", encoding="utf-8") as f:
        payload = json.load(f)
    assert "Princeton University" in payload["licence"] and payload["built_by"] == "training/build_lexicon.py"


EVIDENCE = ["The mayor promised the union a pay rise. Factory output rose 4% in March, the ministry said."]


@pytest.fixture(scope="module")
def aligner():
    from app.answer.alignment import Aligner
    from app.embed.wordllama import WordLlamaEmbedder

    return Aligner(WordLlamaEmbedder.shared())


def test_a_wordnet_synonym_aligns_a_word_the_vectors_miss(aligner):
    values, _ = aligner.features("The mayor pledged the union a pay rise.", EVIDENCE)
    assert values["unaligned_content"] == 1  # 'pledged' is in no evidence sentence
    assert values["wordnet_related"] == 1 and values["wordnet_unaligned"] == 0 and values["wordnet_swap_sim"] == 1


def test_an_antonym_in_the_window_is_flagged_and_an_invented_word_stays_unaligned(aligner):
    flipped, _ = aligner.features("Factory output fell 4% in March, the ministry said.", EVIDENCE)
    assert flipped["wordnet_antonyms"] == 1 and flipped["wordnet_related"] == 0
    invented, _ = aligner.features("The mayor promised the union a free helicopter.", EVIDENCE)
    assert invented["wordnet_unaligned"] >= 1 and invented["wordnet_antonyms"] == 0


@pytest.mark.skipif(not (WORDNET / "data.noun").exists(), reason="Debian's wordnet-base is not installed")
def test_build_script_reproduces_the_shipped_lexicon(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "training"))
    import build_lexicon

    out = tmp_path / "lexicon.json.gz"
    assert build_lexicon.main(["--wordnet", str(WORDNET), "--out", str(out)]) == 0
    # the content, not the gzip bytes: another zlib build compresses the same JSON differently
    built = json.loads(gzip.decompress(out.read_bytes()))
    assert built == json.loads(gzip.decompress((REPO / "app" / "answer" / "lexicon.json.gz").read_bytes()))


def test_build_script_fails_cleanly_without_wordnet(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "training"))
    import build_lexicon

    assert build_lexicon.main(["--wordnet", str(tmp_path), "--out", str(tmp_path / "x.gz")]) == 1
    assert capsys.readouterr().err.startswith("error: no WordNet database")

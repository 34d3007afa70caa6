"""Irregular forms in the answer features' synonym coverage ("won" compared as "win"): the exception-list file
app/answer/lemmas.json.gz, that only the answer features read it, and that training/build_lemmas.py rebuilds it
from Debian's wordnet-base (docs/answers.md, "Synonyms and recency")."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from app.lexicon import LEMMAS_PATH, lemma_stems, shared
from app.retrieval.features import coverage, question_terms, synonym_coverage, text_terms
from app.text import stem
from tests.conftest import REPO

WORDNET = Path("/usr/share/wordnet")


@pytest.mark.parametrize(("form", "base"), [("went", "go"), ("won", "win"), ("men", "man"), ("took", "take"),
                                            ("children", "child"), ("worse", "bad")])
def test_an_irregular_form_maps_to_its_base(form, base):
    assert stem(base) in lemma_stems(stem(form))


@pytest.mark.parametrize("word", ["pledged", "Putin", "earthquake", "2023"])
def test_regular_words_and_names_have_no_lemma(word):
    assert lemma_stems(stem(word.lower())) == ()


def test_the_base_form_earns_coverage_the_irregular_form_alone_does_not():
    """'won' and 'took' share no WordNet sense, 'win' and 'take' do; the checker's lexicon is left as it is."""
    q = question_terms("Who won the Hart Trophy?", None)
    terms = text_terms("Theodore took home the trophy.").stem_set
    assert not shared().related(stem("won"), stem("took")) and shared().related("win", "take")
    assert coverage(q, terms) == pytest.approx(1 / 3)
    assert synonym_coverage(q, terms) == pytest.approx(2 / 3)


def test_only_the_answer_features_read_the_lemmas():
    """The checker must read the lexicon as it was trained on: only the answer features and the topic refusal's
    dictionary test ("women" is a dictionary word through "woman") read the irregular forms."""
    readers = {p.relative_to(REPO).as_posix() for p in (REPO / "app").rglob("*.py") if "lemma_stems" in p.read_text()}
    assert readers == {"app/lexicon.py", "app/retrieval/features.py", "app/summarize/topics.py"}


def test_shipped_file_carries_the_wordnet_licence():
    with gzip.open(LEMMAS_PATH, "rt", encoding="utf-8") as f:
        payload = json.load(f)
    assert "Princeton University" in payload["licence"] and payload["built_by"] == "training/build_lemmas.py"


@pytest.mark.skipif(not (WORDNET / "verb.exc").exists(), reason="Debian's wordnet-base is not installed")
def test_build_script_reproduces_the_shipped_lemmas(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "training"))
    import build_lemmas

    out = tmp_path / "lemmas.json.gz"
    assert build_lemmas.main(["--wordnet", str(WORDNET), "--out", str(out)]) == 0
    # the content, not the gzip bytes: another zlib build compresses the same JSON differently
    assert json.loads(gzip.decompress(out.read_bytes())) == json.loads(gzip.decompress(LEMMAS_PATH.read_bytes()))


def test_build_script_fails_cleanly_without_wordnet(tmp_path, capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "training"))
    import build_lemmas

    assert build_lemmas.main(["--wordnet", str(tmp_path), "--out", str(tmp_path / "x.gz")]) == 1
    assert capsys.readouterr().err.startswith("error: no WordNet exception lists")

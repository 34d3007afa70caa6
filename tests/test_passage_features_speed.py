"""The faster passage-ranker features (the new-name test stopping at the first name, no set unions per row,
no set of the text's word pairs) give exactly the rows the plain versions gave. The plain versions are
kept here, and only here, as the reference."""

from __future__ import annotations

import math

import pytest

from app.retrieval import features
from app.retrieval.features import (
    TextTerms,
    coverage,
    name_coverage,
    pair_overlap,
    passage_row,
    proximity,
    question_terms,
)
from app.text import (
    QUESTION_WORDS,
    STOPWORDS,
    clear_caches,
    has_new_name,
    name_tokens,
    numbers,
    proper_names,
    stem,
    words,
)


def plain_name_tokens(text: str) -> set[str]:
    out: set[str] = set()
    for word in words(text):
        word = word.removesuffix("'s")
        if "-" in word:
            out.update(part for part in word.split("-") if part)
        else:
            out.add(word)
    return out


def plain_text_terms(text: str) -> TextTerms:
    tokens = [stem(w) for w in words(text)]
    return TextTerms(tokens, set(tokens), plain_name_tokens(text))


def plain_type_present(kind: str, text: str, q) -> float:
    if kind in ("name", "what"):
        return float(bool(proper_names(" " + text) - q.names))
    return features.type_present(kind, text, q)


def plain_passage_row(q, text, title, chunk_index, bm25_rel, bm25_rank, dense_score, dense_rank, fused, days_before):
    body = plain_text_terms(text)
    head = plain_text_terms(title)
    return [
        bm25_rel,
        1.0 / bm25_rank if bm25_rank else 0.0,
        dense_score,
        1.0 / dense_rank if dense_rank else 0.0,
        fused,
        math.log1p(max(days_before, 0.0)) if days_before is not None else math.nan,
        float(days_before is not None and days_before <= 30),
        float(days_before is None),
        coverage(q, head.stem_set),
        coverage(q, body.stem_set | head.stem_set),
        name_coverage(q, body.names | head.names),
        proximity(q, body.tokens),
        pair_overlap(q, head.tokens + ["§"] + body.tokens),
        float(min(chunk_index, 20)),
        float(len(q.stems)),
        plain_type_present(q.kind, text, q),
    ]


QUESTIONS = [
    "How many people died in the Turkey-Syria earthquake?",
    "When did Apple's Vision Pro go on sale?",
    "Who won the Hart Trophy this year?",
    "Where did the U.S. Open final take place?",
    "Why did the Writers Guild of America go on strike?",
    "How did scientists detect the signal?",
    "What did Kim Jong Un pledge at the party congress?",
    "Which company bought Activision Blizzard?",
]

PASSAGES = [
    ("Turkey-Syria quake: death toll passes 41,000", "The death toll from the Turkey-Syria earthquake rose to "
     "41,020 on Sunday, officials said. Rescuers pulled survivors from the rubble in Antakya's old town, and "
     "Erdogan's government promised rebuilding within a year. Died, dying, deaths: the toll keeps rising."),
    ("Apple’s headset", "Apple’s Vision Pro went on sale Feb. 2, 2024, at $3,499. Tim Cook’s keynote in June 2023 "
     "called it a “spatial computer”. Pre-orders opened Jan. 19."),
    ("NHL awards", "Connor McDavid won the Hart Trophy on Thursday in Nashville. He beat Matthew Tkachuk and David "
     "Pastrnak. McDavid's 153 points were the most since Mario Lemieux's 161 in 1988-89."),
    ("", "In New York, at the Arthur Ashe Stadium, the U.S. Open final drew 23,000 fans."),
    ("Hollywood strike", "The writers walked out because the studios refused to limit AI and residuals fell amid "
     "streaming's rise. The Writers Guild of America (WGA) said the strike led to talks. Over concerns about pay, "
     "they struck."),
    ("Signal", "Using a network of radio telescopes, scientists detected the signal through pulsar timing via "
     "data from the NANOGrav collaboration."),
    ("North Korea", "Kim Jong Un pledged to expand the nuclear arsenal \"exponentially\" at the ruling party's "
     "plenary meeting. Kim's sister, Kim Yo-jong, spoke too. It's the third such pledge."),
    ("Deals", "Microsoft completed its $69 billion acquisition of Activision Blizzard on Oct. 13 after the U.K.'s "
     "CMA approved a restructured deal. Xbox-maker Microsoft's shares rose 1.2%."),
    ("Short", "Nothing here."),
    ("capitalised function words", "after that, He left and They stayed; When it ended, Which one of Them knew?"),
    ("Empty", ""),
    ("Ünïcödé Straße", "Zürich's Straße-Bahn and São Paulo's metro: résumé, naïve, co-operate, well-known, "
     "state-of-the-art, O'Neill's, rock'n'roll -- and 1,000.5 km."),
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_optimised_passage_rows_equal_the_plain_ones(question):
    clear_caches()
    features.text_terms.cache_clear()
    q = question_terms(question, None)
    for i, (title, text) in enumerate(PASSAGES):
        args = (q, text, title, i, 0.5 + i / 20, i or None, 0.3, (i % 3) or None, 0.02 * i,
                None if i % 4 == 0 else float(i * 9))
        expected = plain_passage_row(*args)
        for _ in range(2):  # cold, then from the memos
            assert repr(passage_row(*args)) == repr(expected), (question, title)


@pytest.mark.parametrize("title,text", PASSAGES)
def test_name_tokens_and_new_names_unchanged(title, text):
    for piece in (text, title, text * 3, title + " " + text):  # short (memoised) and long texts
        assert name_tokens(piece) == plain_name_tokens(piece)
        for question in QUESTIONS:
            known = proper_names(question)
            assert has_new_name(" " + piece, known) == bool(proper_names(" " + piece) - known)
    assert not has_new_name(" " + text, proper_names(" " + text) | STOPWORDS | QUESTION_WORDS)


def test_the_passages_exercise_every_branch():
    """The reference set holds possessives, hyphens, numbers and names, so the comparison above means something."""
    joined = " ".join(t + " " + x for t, x in PASSAGES)
    assert any("-" in w for w in words(joined)) and any(w.endswith("'s") for w in words(joined))
    assert numbers(joined) and proper_names(joined)
    assert not has_new_name(" after that, He left and They stayed", set())  # capitalised, but stopwords
    assert {features.question_kind(q) for q in QUESTIONS} == set(features.QUESTION_KINDS)

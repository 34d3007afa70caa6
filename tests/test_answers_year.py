"""A question about a year is answered only from articles that speak of that year (docs/answers.md, *A year the
question names*)."""

from __future__ import annotations

import numpy as np
import pytest

from app.answer.extractive import Candidate
from app.answer.selection import Selection, of_years, question_years, speaks_of
from app.evals.realtimeqa import WRONG_YEAR, Question, summarise, wrong_year_questions
from app.retrieval.service import Passage


@pytest.mark.parametrize(("question", "years"), [
    ("Who won the 2022 World Cup?", {"2022"}),
    ("What happened on August 20, 2023, in Sydney?", {"2023"}),  # a year followed by a comma is still a year
    ("Who won the 2023-24 title?", {"2023"}),
    ("Which word was chosen for 2022.", {"2022"}),
    ("Which 1990s toy is back?", set()),  # a decade
    ("The first missile over Japan since 2017?", set()),  # a reference point, not the time asked about
    ("Polio is back since early 1979?", set()),
    ("How did 2,023 people vote?", set()),  # figures
    ("Was it $2023 or 20234 or 2023,456 or 1.2023?", set()),
    ("In 2023, and since 2017, who led?", {"2023"}),
])
def test_the_years_a_question_is_about(question, years):
    assert question_years(question) == years


def _passage(article_id: str, text: str, published_at: str | None, title: str = "Report") -> Passage:
    return Passage(chunk_id=f"{article_id}:0", article_id=article_id, chunk_index=0, title=title, source="s", url="",
                   published_at=published_at, text=text, char_start=0, char_end=len(text), score=1.0)


def test_an_article_speaks_of_a_year_it_says_or_was_published_in():
    says = _passage("a", "The 2022 final was played in Qatar.", "2023-01-05")
    dated = _passage("b", "The final was played on Sunday.", "2022-12-19")
    other = _passage("c", "Spain won the final on August 20, 2023, in Sydney.", "2023-08-20")
    undated_review = _passage("d", "Gas prices are expected to stay above $4 next year.", "2022-12-28")
    passages = [says, dated, other, undated_review]
    assert speaks_of("a", {"2022"}, passages)
    assert speaks_of("b", {"2022"}, passages)
    assert not speaks_of("c", {"2022"}, passages)  # it names another year: about that one
    assert speaks_of("d", {"2023"}, passages)  # names no year: within a year of publication counts
    assert not speaks_of("d", {"2018"}, passages)
    assert not speaks_of("a", {"2022", "2019"}, passages)  # every year the question names


def test_of_years_keeps_the_sentences_of_articles_that_speak_of_the_year_in_their_order():
    wrong = _passage("wrong", "Spain won the Women's World Cup on August 20, 2023.", "2023-08-20")
    right = _passage("right", "Argentina won the 2022 World Cup on penalties.", "2022-12-18")
    candidates = [Candidate(p, p.char_start, p.char_end, p.text, rank) for rank, p in enumerate((wrong, right))]
    selection = Selection(candidates, np.array([3.0, 1.0]), [[0.0], [1.0]], {"p": 1.0})
    kept = of_years(selection, {"2022"}, [wrong, right])
    assert [c.passage.article_id for c in kept.candidates] == ["right"]
    assert kept.logits.tolist() == [1.0] and kept.rows == [[1.0]]
    assert of_years(selection, {"2019"}, [wrong, right]).candidates == []
    assert of_years(selection, {"2023"}, [wrong, right]).candidates[0].passage.article_id == "wrong"


def test_a_question_about_a_year_no_article_speaks_of_is_refused_by_name(corpus_services):
    asked = corpus_services.answers.ask("Who won the 2022 World Cup?")
    assert not asked.answerable
    assert "2022" in asked.refusal_reason
    answered = corpus_services.answers.ask("Who won the 2023 Women's World Cup?")
    assert answered.answerable and "Spain" in answered.answer


def test_wrong_year_questions_move_only_the_years_asked_about_and_are_scored_apart():
    from datetime import date

    asked = [Question("q1", "Who won the 2023 final, the first since 2017?", "Spain", "2023", date(2023, 8, 21), {"a"}),
             Question("q2", "Who won the final?", "Spain", "2023", date(2023, 8, 21), {"a"})]
    moved = wrong_year_questions(asked)
    assert [q.question for q in moved] == ["Who won the 2018 final, the first since 2017?"]
    assert moved[0].id == "q1" + WRONG_YEAR and moved[0].unanswerable
    rows = [{"id": "q1", "unanswerable": False, "hit@1": True, "hit@5": True, "hit@10": True, "rr@10": 1.0,
             "contained": True, "false_refusal": False, "answer_in_top5": True, "citations": 1,
             "relevant_citations": 1, "latency_ms": 1.0},
            {"id": "u1:excluded", "unanswerable": True, "refused": False, "latency_ms": 1.0},
            {"id": "q1" + WRONG_YEAR, "unanswerable": True, "refused": True, "latency_ms": 1.0}]
    summary = summarise(rows)
    assert summary["refusal"][0] == 0.0 and summary["refusal_wrong_year"][0] == 1.0
    assert summary["n_unanswerable"][0] == 1 and summary["n_wrong_year"][0] == 1


@pytest.fixture(scope="module")
def llm_services(tmp_path_factory):
    """The sample articles with the in-process fake LLM (``fake://``), which quotes whatever passage it is given."""
    from app.config import Settings
    from app.samples import index_samples
    from app.services import build_services

    built = build_services(Settings(data_dir=tmp_path_factory.mktemp("llm") / "data", llm_base_url="fake://"))
    index_samples(built.ingest)
    yield built
    built.close()


def test_the_llm_path_answers_a_year_only_from_articles_that_speak_of_it(llm_services):
    # the fake model answers from any passage it is shown: without the rule it quoted 2023's final for 2022
    wrong = llm_services.answers.ask("Who won the 2022 World Cup?")
    assert not wrong.answerable and wrong.citations == []
    assert "no passage speaks of 2022" in wrong.refusal_reason
    right = llm_services.answers.ask("Who won the 2023 Women's World Cup?")
    assert right.answerable and "Spain" in right.answer
    assert {c.published_at[:4] for c in right.citations} == {"2023"}
    streamed = [value for kind, value in llm_services.answers.stream("Who won the 2022 World Cup?") if kind == "answer"]
    assert len(streamed) == 1 and not streamed[0].answerable and "2022" in streamed[0].refusal_reason

from __future__ import annotations

from datetime import date

import pytest

from app.retrieval.service import start_of_day_ts
from app.store.models import Filters


def test_hybrid_finds_the_story(corpus_services):
    results = corpus_services.retrieval.search("earthquake Morocco Marrakech", top_k=3)
    assert results[0].article_id == "morocco-earthquake-2023"
    assert results[0].bm25_rank is not None and results[0].dense_rank is not None


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_every_mode_returns_ranked_passages(corpus_services, mode):
    results = corpus_services.retrieval.search("Women's World Cup final Sydney", top_k=4, mode=mode)
    assert results and results[0].article_id == "womens-world-cup-final-2023"
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_as_of_excludes_later_articles(corpus_services):
    later = corpus_services.retrieval.search("Kim Shoigu Pyongyang support", top_k=10)
    assert "kim-shoigu-pyongyang-2025" in {p.article_id for p in later}
    earlier = corpus_services.retrieval.search("Kim Shoigu Pyongyang support", top_k=10, as_of=date(2024, 12, 31))
    assert earlier and all((p.published_at or "") <= "2024-12-31" for p in earlier)
    assert "kim-shoigu-pyongyang-2025" not in {p.article_id for p in earlier}


def test_source_and_date_filters(corpus_services):
    only_sport = corpus_services.retrieval.search("final", filters=Filters(sources=["Citewire Sport"]), top_k=10)
    assert only_sport and {p.source for p in only_sport} == {"Citewire Sport"}
    window = Filters(published_from_ts=start_of_day_ts(date(2023, 9, 1)), published_to_ts=start_of_day_ts(date(2023, 9, 30)))
    dated = corpus_services.retrieval.search("Kim Putin", filters=window, top_k=10, mode="dense")
    assert dated and all("2023-09-01" <= p.published_at <= "2023-09-30" for p in dated)


def test_unknown_mode_is_an_error(corpus_services):
    with pytest.raises(ValueError):
        corpus_services.retrieval.search("x", mode="magic")

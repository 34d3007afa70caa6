"""The topic anchor rules benchmarks/topic_summaries.py measures (not shipped: docs/summaries.md): which words may
anchor a topic, and that the anchor is the rarest one a retrieved article mentions."""

from __future__ import annotations

import pytest

from app.summarize.topics import anchor_words, topic_anchor
from app.text import stem


def _freq(counts: dict[str, int]):
    return lambda raw: ({w: counts.get(w, 0) for w in raw}, 1000)


def test_names_include_a_capitalised_first_word():
    assert set(anchor_words("Derna floods death toll", "name")) == {"derna"}
    assert set(anchor_words("floods in Derna and Benghazi", "name")) == {"derna", "benghazi"}


def test_a_lower_case_topic_has_no_name_but_name_word_falls_back_to_its_content_words():
    assert anchor_words("derna floods death toll", "name") == []
    assert anchor_words("derna floods death toll", "name-word") == anchor_words("derna floods death toll", "word")
    assert "derna" in anchor_words("derna floods death toll", "word")


def test_the_anchor_is_the_rarest_word_a_retrieved_article_mentions():
    counts = _freq({"derna": 3, "flood": 40, "floods": 40, "death": 90, "toll": 60})
    words = anchor_words("derna floods death toll", "word")
    assert topic_anchor(words, counts, {stem(w) for w in words}) == "derna"
    # no retrieved article says "derna": the next rarest that one does
    assert topic_anchor(words, counts, {stem("floods"), stem("death")}) == "floods"
    assert topic_anchor(words, counts, set()) is None


def test_a_word_the_index_never_holds_is_no_anchor():
    words = anchor_words("dernaa death toll", "word")
    assert topic_anchor(words, _freq({"death": 90, "toll": 60}), {stem(w) for w in words}) == "toll"


def test_an_unknown_anchor_rule_is_refused_not_read_as_another():
    import pytest

    from app.summarize.service import SummarizeService

    for rule in ("bogus", "word:prefr"):
        with pytest.raises(ValueError, match="unknown topic anchor rule"):
            SummarizeService(None, None, None, topic_anchor=rule)
    assert SummarizeService(None, None, None, topic_anchor="word:prefer").topic_anchor == "word:prefer"


def test_coverage_rules_are_parsed_and_bad_ratios_refused():
    import pytest
    from pydantic import ValidationError

    from app.config import Settings
    from app.summarize.service import SummarizeService

    def ratio(rule: str) -> float | None:
        """The ratio the service reads from ``rule``; None when it refuses the rule."""
        try:
            return SummarizeService(None, None, None, topic_anchor=rule)._coverage  # noqa: SLF001
        except ValueError:
            return None

    assert ratio("coverage-0.75") == 0.75 and ratio("coverage-1") == 1.0 and ratio("coverage-1.0:prefer") == 1.0
    for rule in ("coverage-0.75", "coverage-1.0:prefer", "coverage-.5", "coverage-2"):  # one rule for both readers
        try:
            Settings(topic_anchor=rule)
            accepted = True
        except ValidationError:
            accepted = False
        assert accepted == (ratio(rule) is not None), rule
    for rule in ("coverage", "coverage-0", "coverage-1.5", "coverage-x", "coverage-.5", "coverage-5e-1"):
        assert ratio(rule) is None
    assert SummarizeService(None, None, None, topic_anchor="word")._coverage is None  # noqa: SLF001 - not coverage
    for rule in ("coverage-0", "coverage-2", "coverage-half"):
        with pytest.raises(ValueError, match="unknown topic anchor rule"):
            SummarizeService(None, None, None, topic_anchor=rule)


def _summaries(corpus_services, rule: str):
    from app.summarize.service import SummarizeService

    base = corpus_services.summaries
    return SummarizeService(base.records, base.retrieval, base.embedder, topic_anchor=rule)


def test_coverage_drops_articles_that_share_one_common_word_with_a_short_topic(corpus_services):
    """The sample corpus's off-topic summaries: Kim's "security interests" for "interest rates", Marrakech's
    "World Heritage site" for "Women's World Cup final". (Morocco's "The death toll rose…" for Derna's toll no longer
    comes without the rule: a sentence naming nothing waits for its article's naming one, test_summaries.py.)"""
    off, coverage = _summaries(corpus_services, "off"), _summaries(corpus_services, "coverage-0.75")
    # the Kim story's articles: the sample's, and (when present) the two real ones, which say "security interests" too
    kim = {"kim-putin-vostochny-2023", "000_57a3efacce82a580", "004_75f1210c1675ddf4"}
    for topic, intruders, owner in (("interest rates", kim, "fed-holds-rates-sept-2023"),
                                    ("Women's World Cup final", {"morocco-earthquake-2023"}, "womens-world-cup-final-2023")):
        before = {c.article_id for c in off.summarize_topic(topic).citations}
        assert intruders & before, (topic, before)  # what the rule is for: an intruder is there without it
        after = coverage.summarize_topic(topic)
        cited = {c.article_id for c in after.citations}
        assert after.answerable and owner in cited and not intruders & cited, (topic, after.summary)


def test_coverage_keeps_every_article_that_covers_the_topic_as_well_as_the_best(corpus_services):
    """Two articles naming both Kim and Putin: neither is dropped, and no topic is refused by the rule."""
    summary = _summaries(corpus_services, "coverage-0.75").summarize_topic("Kim Putin")
    cited = {c.article_id for c in summary.citations}
    assert {"kim-putin-vostochny-2023", "putin-pyongyang-treaty-2024"} <= cited, summary.summary


def test_the_topic_anchor_setting_reaches_the_http_summary_and_a_bad_one_is_refused(tmp_path):
    """CITEWIRE_TOPIC_ANCHOR=coverage-0.75: a server's topic summary leaves the Kim article out of "interest rates"."""
    import pytest
    from fastapi.testclient import TestClient
    from pydantic import ValidationError

    from app.config import Settings
    from app.main import create_app

    with pytest.raises(ValidationError, match="coverage-R"):
        Settings(data_dir=tmp_path / "bad", topic_anchor="coverage-2")
    app = create_app(Settings(data_dir=tmp_path / "data", index_samples=True, topic_anchor="coverage-0.75"))
    with TestClient(app) as client:
        body = client.post("/v1/summarize", json={"topic": "interest rates"}).json()
    cited = {c["article_id"] for c in body["citations"]}
    assert body["answerable"] and cited == {"fed-holds-rates-sept-2023"}, body


def test_distinctive_words_are_those_holding_a_large_share_of_the_topics_idf():
    from app.summarize.topics import distinctive_words

    # 1,000 chunks: "interest" in 400 (IDF 0.92), "rates" in 10 (IDF 4.6): "rates" holds 0.83 of the topic's IDF
    counts = _freq({"interest": 400, "rates": 10, "derna": 3, "floods": 40, "death": 90, "toll": 60})
    assert distinctive_words("interest rates", counts, 0.3) == {"rates": 10}
    assert set(distinctive_words("Derna floods death toll", counts, 0.3)) == {"derna"}
    assert set(distinctive_words("Derna floods death toll", counts, 0.2)) == {"derna", "floods"}
    # a word no chunk holds counts as held by half a chunk: the most distinctive of all
    assert set(distinctive_words("measles outbreak", _freq({"outbreak": 50}), 0.3)) == {"measles"}
    # a word as the index holds it, and no year or count
    assert set(distinctive_words("Women's World Cup 2023", _freq({"women": 5, "world": 300, "cup": 40}), 0.5)) == {
        "women"}
    assert distinctive_words("the 2023", counts, 0.1) == {}
    # a hyphenated word through its parts: as a whole no chunk holds it, and it passed for the rarest of all
    # (8 of 12 new 2024 refusals: "roll-away", "runner-up", "year-on-year"; docs/summaries.md)
    parts = _freq({"roll": 400, "away": 900, "car": 20})
    assert distinctive_words("roll-away car", parts, 0.3) == {"car": 20}


def test_distinctive_rules_are_parsed_and_bad_shares_refused():
    from pydantic import ValidationError

    from app.config import Settings
    from app.summarize.service import SummarizeService

    def share(rule: str) -> float | None:
        try:
            return SummarizeService(None, None, None, topic_anchor=rule)._distinctive_share  # noqa: SLF001
        except ValueError:
            return None

    assert share("distinctive-0.3") == 0.3 and share("distinctive-1") == 1.0 and share("coverage-0.75") is None
    for rule in ("distinctive-0.3", "distinctive-1.0:prefer", "distinctive-0", "distinctive-.3", "distinctive-1.5",
                 "distinctive"):
        try:
            Settings(topic_anchor=rule)
            accepted = True
        except ValidationError as exc:
            assert "distinctive-S" in str(exc)
            accepted = False
        assert accepted == (share(rule) is not None), rule



@pytest.fixture(scope="module")
def sample_services(tmp_path_factory):
    """The bundled samples alone (`citewire samples`): distinctiveness reads the index's document frequencies, so
    corpus_services' two extra real articles would change what is distinctive."""
    from app.config import Settings
    from app.samples import index_samples
    from app.services import build_services

    built = build_services(Settings(data_dir=tmp_path_factory.mktemp("samples") / "data"))
    assert index_samples(built.ingest).counts["failed"] == 0
    yield built
    built.close()


def test_distinctive_keeps_the_event_and_refuses_a_topic_no_article_mentions(sample_services):
    """distinctive-0.3 over the samples: "earthquake death toll" cites Morocco only (Derna's toll shares "death
    toll"); "measles death toll" is refused naming measles (without the rule it summarised Derna's floods); the
    on-topic Derna and Fed summaries still cite their article."""
    off, distinctive = _summaries(sample_services, "off"), _summaries(sample_services, "distinctive-0.3")
    assert {c.article_id for c in off.summarize_topic("earthquake death toll").citations} == {
        "morocco-earthquake-2023", "libya-derna-floods-2023"}
    assert {c.article_id for c in distinctive.summarize_topic("earthquake death toll").citations} == {
        "morocco-earthquake-2023"}

    assert off.summarize_topic("measles death toll").answerable  # what the rule is for
    refused = distinctive.summarize_topic("measles death toll")
    assert not refused.answerable and refused.citations == [] and refused.refusal_reason == (
        "no indexed article mentions measles"), refused.refusal_reason

    for topic, owner in (("Derna floods death toll", "libya-derna-floods-2023"),
                         ("Federal Reserve", "fed-holds-rates-sept-2023")):
        summary = distinctive.summarize_topic(topic)
        assert summary.answerable and {c.article_id for c in summary.citations} == {owner}, (topic, summary.summary)


@pytest.mark.xfail(strict=True, reason="over the 9 chunks of the samples 'interest' holds 0.41 of the topic's IDF, so "
                   "it is distinctive at 0.3 and Kim's 'security interests' stays; coverage-0.75 removes it")
def test_distinctive_does_not_drop_kim_from_interest_rates_over_the_samples(sample_services):
    summary = _summaries(sample_services, "distinctive-0.3").summarize_topic("interest rates")
    assert "kim-putin-vostochny-2023" not in {c.article_id for c in summary.citations}


def test_a_distinctive_refusal_reaches_http_with_its_reason(tmp_path):
    """CITEWIRE_TOPIC_ANCHOR=distinctive-0.3: the refusal keeps the response's fields, reason naming the word."""
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    app = create_app(Settings(data_dir=tmp_path / "data", index_samples=True, topic_anchor="distinctive-0.3"))
    with TestClient(app) as client:
        body = client.post("/v1/summarize", json={"topic": "measles death toll"}).json()
    assert body["answerable"] is False and body["citations"] == [], body
    assert body["refusal_reason"] == "no indexed article mentions measles", body


def test_a_hyphenated_topic_word_is_read_through_its_parts():
    from app.summarize.topics import parted_terms

    assert parted_terms("Kim-Putin meeting", whole=False) == {"kim", "putin", stem("meeting")}
    assert {"kim-putin", "kim", "putin"} <= parted_terms("the Kim-Putin summit")
    # a compound that is not a pair of names stays whole in a topic: "year" alone would match most sentences
    assert parted_terms("year-on-year inflation", whole=False) == {stem("year-on-year"), stem("inflation")}


def test_a_topic_with_a_hyphenated_name_pair_is_summarised_not_refused(sample_services):
    """"Kim-Putin meeting" was refused over the samples ("no passage mentions what the topic is about"): its one
    term "kim-putin" is in no article, which write "Kim" and "Putin" apart."""
    summary = sample_services.summaries.summarize_topic("Kim-Putin meeting")
    assert summary.answerable, summary.refusal_reason
    assert "kim-putin-vostochny-2023" in {c.article_id for c in summary.citations}
    assert not {"fed-holds-rates-sept-2023", "libya-derna-floods-2023"} & {c.article_id for c in summary.citations}


def test_a_hyphenated_word_with_a_stopword_part_is_not_never_indexed():
    """"2018 World Cup runner-up" was refused ("no indexed article mentions runner-up"): its part "up" is a
    stopword, which the index never holds. A part the index lacks still counts."""
    from app.summarize.topics import never_indexed

    held = _freq({"runner": 3, "world": 40, "cup": 30, "year": 80})
    assert never_indexed("2018 World Cup runner-up", held) == []
    assert never_indexed("year-on-year inflation", held) == ["inflation"]
    assert never_indexed("Rhein-Main airport", held) == ["rhein-main", "airport"]

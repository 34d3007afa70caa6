"""Article summaries cover distinct facts (who, what, where, when, consequences), each said once, each cited."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.answer.extractive import near_duplicate
from app.cli import cli
from app.config import Settings
from app.ingest.article import ArticleIn
from app.main import create_app
from app.summarize.facts import FACETS, facts_of, place_names

FILLER = [
    "Many observers said the situation was being watched very closely.",
    "The situation remains complex and difficult for everyone who is involved.",
    "It is a story that has drawn a great deal of attention from many people.",
    "There were many questions and very few clear answers at first.",
    "Some people said they were worried, while others said they were hopeful.",
    "The details of what happened are still being discussed by many people.",
    "It was not immediately clear what would happen next in the situation.",
]
FACTS = {
    "what": "A road bridge collapsed into the river during the morning rush hour.",
    "who": "Transport Minister Elena Marquez ordered an inquiry into the bridge's maintenance.",
    "where": "The bridge spanned the Tagus river in Lisbon, linking two busy districts.",
    "when": "The collapse happened at 8:15 a.m. on Tuesday, March 5, 2024.",
    "consequence": "At least 14 people were killed and 40 were injured, and the crossing will stay closed for a year.",
}
BRIDGE = "\n".join([FACTS["what"], FILLER[0], FILLER[1], FACTS["who"], FILLER[2], FILLER[3], FACTS["where"],
                    FILLER[4], FACTS["when"], FILLER[5], FILLER[6], FACTS["consequence"]])

QUAKE = """- A magnitude 6.2 earthquake struck off the coast of Chile on Monday.
- At least 12 people died in the coastal town of Arica.
- The government declared a state of emergency in three regions.
A magnitude 6.2 earthquake struck off the northern coast of Chile on Monday, officials said.
At least 12 people died in the coastal town of Arica, where several buildings collapsed.
The government declared a state of emergency in three regions on Tuesday.
President Gabriel Boric visited the area and promised aid to the families.
Rescue teams searched for survivors late into the night.
The quake was felt as far away as La Paz in Bolivia."""


def _verbatim(services, summary):
    for c in summary.citations:
        text = services.records.get_article(c.article_id).text
        assert text[c.char_start:c.char_end] == c.quote
    for sentence in summary.sentences:  # each sentence is the quote it cites
        assert [summary.citations[n - 1].quote for n in sentence.citations] == [sentence.text]


def test_facts_of_reads_each_facet():
    event = facts_of(FACTS["what"], frozenset({"bridg", "collaps"}))
    assert "what" in event.facets
    assert "who" in facts_of(FACTS["who"]).facets and "name:marquez" in facts_of(FACTS["who"]).items
    assert "where" in facts_of(FACTS["where"]).facets and "Lisbon" in place_names(FACTS["where"])
    assert "when" in facts_of(FACTS["when"]).facets
    assert {"consequence"} <= facts_of(FACTS["consequence"]).facets
    assert not facts_of(FILLER[1]).facets
    assert "Vladimir" not in place_names("Kim met Russian President Vladimir Putin at the Vostochny Cosmodrome.")


def test_constructed_article_gets_every_facet_covered(services):
    services.ingest.ingest([ArticleIn(id="bridge", title="Bridge collapses in Lisbon", text=BRIDGE,
                                      published_at="2024-03-05")])
    budget = sum(len(s.split()) for s in FACTS.values()) + 5
    summary = services.summaries.summarize_articles(["bridge"], max_words=budget)
    chosen = [s.text for s in summary.sentences]
    assert set(chosen) == set(FACTS.values()), chosen  # the fact sentences, no filler
    assert chosen == [s for s in BRIDGE.splitlines() if s in chosen]  # article order
    assert set(summary.facets) == set(FACTS)
    for facet, indexes in summary.facets.items():
        assert all(0 <= i < len(chosen) for i in indexes)
    assert summary.facets["when"] == [chosen.index(FACTS["when"])]
    _verbatim(services, summary)


def test_bullet_highlights_restating_the_body_are_said_once(services):
    services.ingest.ingest([ArticleIn(id="quake", title="Earthquake strikes Chile", text=QUAKE)])
    summary = services.summaries.summarize_articles(["quake"], max_words=300)  # room for every sentence
    sentences = [s.text for s in summary.sentences]
    assert not any(s.startswith("- ") for s in sentences), sentences  # the body says it: quote the body
    for fact in ("6.2", "12 people", "state of emergency"):
        assert sum(fact in s for s in sentences) == 1, (fact, sentences)
    for i, a in enumerate(sentences):
        assert not any(near_duplicate(a, b) for b in sentences[i + 1:])
    assert "Gabriel Boric" in summary.summary and "La Paz" in summary.summary  # the rest is still there
    _verbatim(services, summary)


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path / "d", index_samples=True))) as test_client:
        yield test_client


def test_api_reports_the_facets_each_article_summary_covers(client):
    body = client.post("/v1/summarize", json={"article_id": "kim-putin-vostochny-2023", "max_words": 120}).json()
    assert set(body["facets"]) <= set(FACETS) and {"who", "what", "where", "when"} <= set(body["facets"])
    assert all(0 <= i < len(body["sentences"]) for indexes in body["facets"].values() for i in indexes)
    article = client.get("/v1/articles/kim-putin-vostochny-2023").json()["text"]
    assert all(article[c["char_start"]:c["char_end"]] == c["quote"] for c in body["citations"])
    topic = client.post("/v1/summarize", json={"topic": "Kim Jong Un and Russia"}).json()
    assert topic["facets"] is None and topic["summary"]


def test_cli_summarizes_an_article_with_its_facets(tmp_path, monkeypatch):
    monkeypatch.setenv("CITEWIRE_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "bridge.json"
    path.write_text(json.dumps({"id": "bridge", "title": "Bridge collapses in Lisbon", "text": BRIDGE}))
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "-q", str(path)]).exit_code == 0
    result = runner.invoke(cli, ["summarize", "--article", "bridge", "--max-words", "80"])
    assert result.exit_code == 0, result.output
    assert "Marquez" in result.stdout and "[1]" in result.stdout and "Sources:" in result.stdout
    assert "Covers: who, what, where, when, consequence" in result.stdout


def _bridge_candidates(third: str):
    from app.summarize.facts import Candidate

    texts = [
        "Mayor Ana Ruiz opened the new Harbour Bridge in Porto on Tuesday, May 7, 2024.",
        "Ruiz, who has led the city since 2017 and campaigned on transport for many years before her election, "
        "praised the engineers and the workers who built it over six long years of delays and disputes.",
        third,
    ]
    return [Candidate(text, "porto-bridge", i) for i, text in enumerate(texts)]


def test_a_sentence_opening_with_a_pronoun_comes_only_after_the_one_it_leans_on():
    import numpy as np

    from app.summarize.facts import select_facts

    dangling = _bridge_candidates("She also said 3,000 vehicles would cross it every day from June.")
    chosen, _ = select_facts(dangling, np.eye(3), 30)  # sentence 1 does not fit 30 words
    assert chosen == [0]  # never "She also said…" without the sentence naming her
    chosen, _ = select_facts(dangling, np.eye(3), 70)  # with room for both, she comes after it
    assert chosen == [0, 1, 2]
    # the same fact said without a pronoun fits the 30-word budget and is taken: the rule, not the budget, held it
    standalone = _bridge_candidates("City officials said 3,000 vehicles would cross the bridge daily from June.")
    chosen, _ = select_facts(standalone, np.eye(3), 30)
    assert chosen == [0, 2]


def test_across_articles_a_sentence_naming_nothing_waits_for_one_of_its_article_that_names_something():
    """Morocco's lead then Derna's "Thousands of people were killed…" read as Morocco's toll (max_words 40)."""
    import numpy as np

    from app.summarize.facts import Candidate, names_something, read_facts, select_facts

    candidates = [
        Candidate("A strong earthquake struck Morocco late on Friday near the city of Marrakech.", "quake", 0),
        Candidate("Heavy rain broke two dams above the Libyan city of Derna on Sunday night, flooding it.", "flood", 0),
        Candidate("Thousands of people were killed and many more were reported missing.", "flood", 1),
    ]
    facts = read_facts(candidates)
    assert [names_something(f) for f in facts] == [True, True, False]
    # 13 + 11 words fit 25 but Derna's opening (16) does not: before, the toll sentence followed Morocco's lead
    chosen, _ = select_facts(candidates, np.eye(3), 25, each_group=True)
    assert chosen == [0]
    # with room for Derna's opening the toll sentence may follow it: the rule, not the budget, held it back
    chosen, _ = select_facts(candidates, np.eye(3), 45, each_group=True)
    assert chosen == [0, 1, 2]
    # one article: nothing to misattribute, so the rule does not apply
    chosen, _ = select_facts(candidates[1:], np.eye(2), 12)
    assert chosen == [1]


def test_topic_selection_holds_back_an_unnamed_sentence_until_its_article_is_named_before_it():
    import numpy as np

    from app.summarize.candidates import mmr_select

    texts = ["A strong earthquake struck Morocco late on Friday near the city of Marrakech.",
             "Thousands of people were killed and many more were reported missing.",
             "Heavy rain broke two dams above the Libyan city of Derna on Sunday night, flooding it."]
    vectors = np.eye(3)
    relevance = np.array([1.0, 2.0, 0.0])  # the toll sentence is the most relevant to "death toll"
    anchoring = [("quake", 0, True), ("flood", 5, False), ("flood", 0, True)]
    assert sorted(mmr_select(texts, [0, 1, 0], vectors, 25, relevance)) == [0, 1]  # unconstrained: misattributable
    assert sorted(mmr_select(texts, [0, 1, 0], vectors, 25, relevance, anchoring)) == [0]
    assert sorted(mmr_select(texts, [0, 1, 0], vectors, 45, relevance, anchoring)) == [0, 1, 2]
    # named after it, not before: a later sentence of its article does not name its subject for it
    later = [("quake", 0, True), ("flood", 0, False), ("flood", 5, True)]
    assert 1 not in mmr_select(texts, [0, 1, 0], vectors, 45, relevance, later)

"""Summary and conflict-note findings of a bug hunt (2026-11-29). Fixed: a conflict note as the whole summary,
max_words over unspaced scripts, a bullet restating the body in digits, counts in words. Known and not fixed (strict
xfails, so a fix shows): full names against short forms read as a conflict, and "1.5 billion" against "5 billion"
missed (the checker reads "5" as aligned to the "5" of "1.5": tests/test_checker_number_pieces.py)."""
from __future__ import annotations

import random
import re

import pytest

from app.ingest.article import ArticleIn
from app.summarize.conflicts import find_conflicts

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def test_a_conflict_note_is_never_the_whole_summary(services):
    """A note alone says numbers without what they count ("Wire A reports 5,300; Wire B reports 11,300."). The notes'
    room is checked against the shortest *unit*, and a two-word heading ("Derna update") is one, so the note was kept
    while no sentence fit beside it: at 20, 25 and 30 words the summary was the note and nothing else."""
    body = ("Officials in the eastern city said on Wednesday evening that the floods after the two dams burst had "
            "killed {} people in total.")
    services.ingest.ingest([
        ArticleIn(id="x1", title="Toll", source="Wire A", published_at="2023-09-14", text="Derna update\n\n" + body.format("5,300")),
        ArticleIn(id="x2", title="Toll", source="Wire B", published_at="2023-09-15", text="Derna update\n\n" + body.format("11,300")),
    ])
    for max_words in (20, 25, 30):
        summary = services.summaries.summarize_articles(["x1", "x2"], max_words=max_words)
        if summary.answerable:
            assert any(s.status != "conflict" for s in summary.sentences), (max_words, summary.summary)
        assert sum(len(s.text.split()) for s in summary.sentences) <= max_words


def test_max_words_bounds_a_summary_of_an_unspaced_script(services):
    """max_words is counted with str.split(): a Chinese (or Japanese) sentence is one "word", so max_words=20 quoted
    20 whole sentences (476 characters) and 120 the whole 60-sentence article. Counted as CJK word counters do (a
    character a word), the budget is generous at 4 characters a word here."""
    rng = random.Random(0)
    pool = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    text = "".join("".join(rng.choice(pool) for _ in range(rng.randint(15, 30))) + "。" for _ in range(60))
    services.ingest.ingest([ArticleIn(id="zh", title="暴雨", source="X", text=text)])
    for max_words in (20, 120):
        summary = services.summaries.summarize_articles(["zh"], max_words=max_words)
        quoted = sum(len(_CJK.findall(s.text)) for s in summary.sentences)
        assert quoted <= 4 * max_words, (max_words, quoted, len(summary.sentences))


def test_a_bullet_that_restates_the_body_with_a_digit_is_dropped(services):
    """docs/summaries.md rule 1: a highlight whose fact a body sentence states is dropped. "7" against "seven" keeps the
    word overlap under 0.5, and "7" is a new number item, so both were quoted."""
    text = ("Storm batters coast\n\n- Storm Ciaran hit the coast of Brittany on Thursday.\n- At least 7 people were killed.\n"
            "- Power was cut to 1.2 million homes.\n\nStorm Ciaran hit the coast of Brittany on Thursday with winds of "
            "200 km/h. At least seven people were killed across France and Belgium, officials said. Power was cut to "
            "1.2 million homes in western France. Schools in Brittany will remain closed on Friday.")
    services.ingest.ingest([ArticleIn(id="bul", title="Storm batters coast", source="W", text=text)])
    summary = services.summaries.summarize_articles(["bul"], max_words=120)
    quoted = [s.text for s in summary.sentences]
    assert "- At least 7 people were killed." not in quoted, quoted


def test_no_conflict_between_a_full_name_and_its_short_form():
    """"Kim Jong Un … Vladimir Putin" against "North Korean leader Kim … Russian President Putin": the same people;
    a note read "A reports Kim Jong Un, Vladimir Putin; B reports North Korean, Russian President"."""
    a = "Kim Jong Un met Vladimir Putin at the Vostochny Cosmodrome in Russia's Far East."
    b = "North Korean leader Kim met Russian President Putin at the Vostochny Cosmodrome in Russia's Far East."
    assert find_conflicts([a, b], ["x", "y"]) == []


def test_no_conflict_between_the_fed_and_the_federal_reserve():
    a = "The Federal Reserve held its benchmark rate at 5.25% to 5.5% on Wednesday."
    b = "The Fed held its benchmark rate at 5.25% to 5.5% on Wednesday."
    assert find_conflicts([a, b], ["x", "y"]) == []
    c = "The candidates take the stage at the Ronald Reagan Presidential Library in Simi Valley, Calif. on Wednesday."
    assert find_conflicts([c, c.replace("Calif.", "California")], ["x", "y"]) == []


@pytest.mark.parametrize("first, second", [
    ("John Smith", "Mary Smith"),  # two people who share a surname
    ("Russian forces", "Ukrainian forces"),  # a nationality alone says who
    ("the Canadian Grand Prix", "the Bahrain Grand Prix"),
    ("President Biden", "President Trump"),
])
def test_different_names_that_share_a_word_still_disagree(first, second):
    """The short-form rule (app/summarize/name_forms.py) reads two runs as one name only when at most one of them has
    words of its own beyond titles (and nationalities beside a title)."""
    text = "{} won the regional contest on Sunday after a close finish, officials said."
    assert find_conflicts([text.format(first), text.format(second)], ["x", "y"]), (first, second)


def test_a_count_in_words_against_another_in_digits_is_a_conflict():
    """"twelve" against "12" agrees (no note, rightly); "twelve" against "20" is an obvious disagreement, missed:
    a number written in words is no number to the conflict search."""
    a = "The storm killed twelve people in the coastal city overnight, officials said."
    assert find_conflicts([a, a.replace("twelve", "12")], ["x", "y"]) == []
    assert find_conflicts([a, a.replace("twelve", "20")], ["x", "y"]), "twelve vs 20 not surfaced"


def test_a_decimal_against_its_last_digits_is_a_conflict():
    """"lost 1.5 billion" against "lost 5 billion": the checker read "5" as aligned to the "5" of "1.5"
    (tests/test_checker_number_pieces.py) and called the pair supported, and the conflict search counted the "5" of
    "1.5" as a word the other statement writes; no note was written."""
    a = "The company lost 1.5 billion dollars last year, its annual report showed."
    assert find_conflicts([a, a.replace("1.5", "5")], ["x", "y"]), "1.5 vs 5 billion not surfaced"


def test_the_name_form_comparisons_of_one_search_are_bounded(monkeypatch):
    """1,500 statements of one pattern, the two ways of writing the names alternating between two articles, made
    560,000 pairs for the short-form rule (4 s); the search stops after MAX_NAME_FORM_PAIRS of them, as it stops after
    MAX_CONFLICT_CHECKS checker calls. Counted, not timed."""
    import app.summarize.conflicts as conflicts

    a = "Kim Jong Un met Vladimir Putin at the Vostochny Cosmodrome in Russia's Far East on Wednesday {i}."
    b = "North Korean leader Kim met Russian President Putin at the Vostochny Cosmodrome in Russia's Far East on Wednesday {i}."
    statements = [(a if k % 2 else b).format(i=k % 7) for k in range(600)]
    calls = []
    real = conflicts.same_entity_words

    def counted(text, other):
        calls.append(1)
        return real(text, other)

    monkeypatch.setattr(conflicts, "same_entity_words", counted)
    assert find_conflicts(statements, [f"o{k % 2}" for k in range(600)], max_name_pairs=500) == []
    assert len(calls) == 2 * 500

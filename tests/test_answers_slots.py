"""Answer-slot typing (app/retrieval/slots.py): what a question asks for, and which sentence offers it."""

from __future__ import annotations

import pytest

from app.retrieval.features import SENTENCE_FEATURES, question_terms, sentence_slot_row
from app.retrieval.slots import SLOT_FEATURES, fillers, question_slot


@pytest.mark.parametrize("question, kind, head", [
    ("Which automaker recalled more than 112,000 vehicles?", "organisation", "automak"),
    ("Which country launched a successful mission to the moon?", "country", "countri"),
    ("The prime minister of which country resigned?", "country", "countri"),
    ("Which US state raises the most turkeys?", "state", "state"),
    ("The fire grew larger than which city?", "city", "citi"),
    ("How many hate crimes were reported in Delaware in 2022?", "number", "crime"),
    ("How many NASA astronauts were on board?", "number", "astronaut"),
    ("Who beat Luke Littler to become the world champion?", "person", ""),
    ("Which British racing driver launched a karting championship?", "person", "driver"),
    ("When will the eclipse be visible?", "date", ""),
    ("Where did the debate take place?", "place", ""),
    ("What is the name of the baby penguin that went viral?", "name", "name"),
    ("What did Kim pledge?", "other", ""),
])
def test_question_slot_kind_and_head(question, kind, head):
    slot = question_slot(question)
    assert (slot.kind, slot.head) == (kind, head)


def test_a_country_slot_is_filled_by_a_country_not_an_agency():
    slot = question_slot("Which country launched a successful mission to the moon?")
    assert [f.text for f in fillers(slot, "Japan became the fifth country to land on the moon.")] == ["Japan"]
    assert fillers(slot, "NASA said its lander touched down near the south pole.") == []


def test_names_the_question_already_holds_fill_nothing():
    slot = question_slot("Who beat Luke Littler to become the PDC world champion?")
    assert [f.text for f in fillers(slot, "Luke Humphries beat Luke Littler 7-4.")] == ["Luke Humphries"]
    assert fillers(slot, "Luke Littler lost the final.") == []


def test_a_person_who_shares_a_citys_name_is_still_a_person():
    slot = question_slot("Who scored the only goal of the Women's World Cup final?")
    text = "Captain Olga Carmona scored the only goal in the 29th minute."
    assert [f.text for f in fillers(slot, text)] == ["Captain Olga Carmona"]
    assert fillers(slot, "Spain won the Women's World Cup for the first time.") == []


def test_numbers_in_the_question_fill_nothing():
    slot = question_slot("How many hate crimes were reported in Delaware in 2022?")
    assert [f.text for f in fillers(slot, "Delaware reported 29 hate crimes in 2022.")] == ["29"]


def test_the_number_beside_the_focus_noun_is_marked_near():
    q = question_terms("How many hate crimes were reported in Delaware in 2022?", None)
    col = {name: i for i, name in enumerate(SLOT_FEATURES)}
    near = sentence_slot_row(q, "Delaware reported 29 hate crimes in 2022.")
    far = sentence_slot_row(q, "Hate crimes were reported in Delaware in 2022, a year in which 11 states joined.")
    empty = sentence_slot_row(q, "Hate crimes were reported in Delaware in 2022.")
    assert near[col["slot_head_near"]] == 1.0 and far[col["slot_head_near"]] == 0.0
    assert near[col["slot_fillers"]] > 0 and empty[col["slot_fillers"]] == 0
    assert empty[col["slot_focus_distance"]] == 1.0


def test_an_untyped_question_is_filled_by_any_new_name():
    slot = question_slot("What did Kim pledge?")
    assert [f.text for f in fillers(slot, "Kim pledged Moscow full support.")] == ["Moscow"]
    q = question_terms("What did Kim pledge?", None)
    typed, count, _, near = sentence_slot_row(q, "Kim pledged full support.")
    assert (typed, count, near) == (0.0, 0.0, 0.0)


def test_slot_features_follow_the_heuristic_scorers_columns():
    start = SENTENCE_FEATURES.index("heuristic_type") + 1
    assert list(SENTENCE_FEATURES[start:start + len(SLOT_FEATURES)]) == list(SLOT_FEATURES)

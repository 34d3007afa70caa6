"""Review of 4b1669f (one name written two ways is no conflict): the rule also hid real disagreements. Two runs that
each carry their own nationality or office word ("the Russian Defense Ministry" / "the Ukrainian Defense Ministry",
"the State Department" / "the Defense Department") were read as one body, since a title beside them made every
nationality descriptive; and a weekday glued to a place ("landfall in Florida Monday") made the place one entity with
the other statement's bare "Monday". All of these were conflict notes before the rule."""
from __future__ import annotations

import pytest

from app.summarize.conflicts import find_conflicts
from app.summarize.name_forms import same_entity_words


@pytest.mark.parametrize("a, b", [
    ("The Russian Defense Ministry said 40 soldiers were killed in the strike overnight.",
     "The Ukrainian Defense Ministry said 40 soldiers were killed in the strike overnight."),
    ("The Russian President said the talks in Geneva would resume in May.",
     "The Ukrainian President said the talks in Geneva would resume in May."),
    ("The State Department imposed the new sanctions on Monday, officials said.",
     "The Defense Department imposed the new sanctions on Monday, officials said."),
    ("The storm made landfall in Florida Monday with winds of 100 mph, forecasters said.",
     "The storm made landfall in Georgia on Monday with winds of 100 mph, forecasters said."),
    ("Former President Donald Trump was arraigned in Manhattan Tuesday on federal charges, officials said.",
     "Former President Donald Trump was arraigned in Miami on Tuesday on federal charges, officials said."),
])
def test_two_bodies_or_places_still_disagree(a, b):
    assert len(find_conflicts([a, b], ["x", "y"])) == 1


def test_the_short_forms_the_rule_is_for_are_still_one_entity():
    assert {"jong", "un"} <= same_entity_words("Kim Jong Un met Vladimir Putin.",
                                               "North Korean leader Kim met Russian President Putin.")
    assert "russian" in same_entity_words("North Korean leader Kim met Russian President Putin.",
                                          "Kim Jong Un met Vladimir Putin.")
    assert "fed" in same_entity_words("The Fed raised rates.", "The Federal Reserve raised rates.")

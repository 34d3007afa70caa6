"""The compact lexicon (shared ints, ints and tuples instead of frozensets) answers exactly what the plain
construction from the same file answers: every stem for synsets/near/antonyms, sampled pairs for related/synonym."""

from __future__ import annotations

import gzip
import json
import random

import pytest

from app.lexicon import LEXICON_PATH, Lexicon

_EMPTY: frozenset = frozenset()


class PlainLexicon:
    """The straightforward form the lexicon had before issue 14: frozensets and lists, as JSON gives them."""

    def __init__(self, payload: dict) -> None:
        self._synsets = {k: frozenset(v) for k, v in payload["synsets"].items()}
        self._hypernyms = {int(k): v for k, v in payload["hypernyms"].items()}
        self._antonyms = {k: frozenset(v) for k, v in payload["antonyms"].items()}

    def synsets(self, stem: str) -> frozenset[int]:
        return self._synsets.get(stem, _EMPTY)

    def near(self, stem: str) -> frozenset[int]:
        own = self.synsets(stem)
        return own.union(h for s in own for h in self._hypernyms.get(s, ()))

    def synonym(self, a: str, b: str) -> bool:
        return a != b and not self.synsets(a).isdisjoint(self.synsets(b))

    def related(self, a: str, b: str) -> bool:
        return a != b and (not self.near(a).isdisjoint(self.synsets(b)) or not self.near(b).isdisjoint(self.synsets(a)))

    def antonyms(self, stem: str) -> frozenset[str]:
        return self._antonyms.get(stem, _EMPTY)


@pytest.fixture(scope="module")
def both():
    with gzip.open(LEXICON_PATH, "rt", encoding="utf-8") as f:
        payload = json.load(f)
    compact, plain = Lexicon(payload), PlainLexicon(payload)
    yield compact, plain
    Lexicon.near.cache_clear()  # drop this instance's entries (the cache is per class)


def _stems(plain: PlainLexicon) -> list[str]:
    """Every stem with synsets or antonyms, every antonym, and words WordNet lacks."""
    words = set(plain._synsets) | set(plain._antonyms)
    words |= {w for v in plain._antonyms.values() for w in v}
    return sorted(words | {"", "zzzqx", "biden", "2024"})


def test_every_stem_has_the_same_synsets_near_senses_and_antonyms(both):
    compact, plain = both
    stems = _stems(plain)
    assert len(stems) > 60_000
    for s in stems:
        assert compact.synsets(s) == plain.synsets(s), s
        assert type(compact.synsets(s)) is frozenset
        assert compact.near(s) == plain.near(s), s
        assert compact.antonyms(s) == plain.antonyms(s), s
        assert type(compact.antonyms(s)) is frozenset


def test_sampled_pairs_are_related_and_synonyms_alike(both):
    """20,000 random pairs (mostly unrelated) and 20,000 neighbours (a shared synset or one hypernym
    step), both orders, including a stem with itself and stems WordNet lacks."""
    compact, plain = both
    rng = random.Random(14)
    stems = _stems(plain)
    by_synset: dict[int, list[str]] = {}
    for k, v in plain._synsets.items():
        for s in v:
            by_synset.setdefault(s, []).append(k)
    pairs = [(rng.choice(stems), rng.choice(stems)) for _ in range(20_000)]
    for a in rng.sample(sorted(plain._synsets), 20_000):
        near = sorted(plain.near(a))
        pairs.append((a, rng.choice(by_synset.get(rng.choice(near), [a])) if near else a))
    pairs += [(a, a) for a in stems[:100]] + [("zzzqx", "big"), ("big", "zzzqx")]
    counts = {"related": 0, "synonym": 0}
    for a, b in pairs:
        for x, y in ((a, b), (b, a)):
            assert compact.related(x, y) is plain.related(x, y), (x, y)
            assert compact.synonym(x, y) is plain.synonym(x, y), (x, y)
            counts["related"] += plain.related(x, y)
            counts["synonym"] += plain.synonym(x, y)
    assert counts["related"] > 10_000 and counts["synonym"] > 5_000  # the sample reaches both answers

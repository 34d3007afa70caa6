"""Whether a topic is covered and which sentences are on it: the refusal rules a topic summary adds to a question's,
the anchor rules (CITEWIRE_TOPIC_ANCHOR) and the on-topic sentence filter."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from app.lexicon import lemma_stems
from app.lexicon import shared as shared_lexicon
from app.retrieval.features import starts_with_pronoun
from app.summarize.candidates import Unit
from app.text import STOPWORDS, content_terms, content_words, name_tokens, proper_names, stem, words

# Added to an anchored sentence's relevance in "prefer": more than any other sentence's whole MMR score, so the
# ordering is lexicographic (anchored first, MMR among each group), not a tuned weight.
PREFERRED = 100.0
# distinctive-S: the share of a topic's total IDF that makes a word distinctive; 0.3 was chosen on 2023 questions only
# (docs/summaries.md, fifth round). CITEWIRE_TOPIC_ANCHOR=distinctive-0.3 is this value.
DISTINCTIVE_SHARE = 0.3


def in_dictionary(word: str) -> bool:
    """Whether WordNet knows the word (its lexicon, app/lexicon.py): "measles", "deadly"; not "Bundesliga". A plural
    or irregular form counts through its base: the stem of "buses" ("buse") or "women" is no lexicon key (a review),
    and so does a compound of two dictionary words ("ceasefire", "airstrikes")."""
    lexicon, word = shared_lexicon(), word.lower()
    if _known(lexicon, word):
        return True
    # a compound of two dictionary words ("ceasefire", "airstrikes") is a dictionary word WordNet lacks
    # (parts of 4+ letters: with 3, names split too, "newsom" as "new" + "som", "desantis" as "des" + "antis")
    return any(_known(lexicon, word[:i]) and _known(lexicon, word[i:]) for i in range(4, len(word) - 3))


def _known(lexicon, word: str) -> bool:
    forms = {word, word[:-1] if word.endswith("s") else word, word[:-2] if word.endswith("es") else word,
             word[:-3] + "y" if word.endswith("ies") else word, word[:-3] + "man" if word.endswith("men") else word}
    stems = {stem(f) for f in forms if f}
    stems |= {base for s in list(stems) for base in lemma_stems(s)}
    return any(lexicon.synsets(s) for s in stems)


def never_indexed(topic: str, doc_freq: Callable[[list[str]], tuple[dict[str, int], int]]) -> list[str]:
    """The topic's content words that no indexed chunk holds ("Bundesliga", "measles", a typo): a summary without
    them is about something else. A hyphenated word counts through its parts (the index holds "covid" and "19")."""
    wanted: dict[str, str] = {}  # the word to look up -> the topic's word, as written
    for word in content_words(topic):
        for part in (p for p in re.split(r"[-–]", word) if p) if "-" in word or "–" in word else [word]:
            looked_up = re.split(r"['’]", part)[0]  # "trump's" as "trump", as the index holds it
            # a stopword part is no word the index holds: "runner-up" was refused as never indexed, through "up"
            if looked_up and not looked_up.isdigit() and looked_up not in STOPWORDS:
                wanted.setdefault(looked_up, word)
    if not wanted:
        return []
    frequencies, _ = doc_freq(list(wanted))
    return list(dict.fromkeys(word for looked_up, word in wanted.items() if frequencies.get(looked_up, 0) == 0))


def index_forms(word: str) -> list[str]:
    """The forms the lexical index holds a topic word under: "women's" as "women", a hyphenated word through its
    parts ("roll-away" as "roll", "away": as a whole no chunk holds it, so it passed for the rarest word of all,
    docs/summaries.md fifth round); none for a number."""
    base = re.split(r"['’]", word)[0]
    parts = [p for p in re.split(r"[-–]", base) if p] if re.search(r"[-–]", base) else [base]
    parts = [p for p in parts if p and not p.isdigit() and p not in STOPWORDS]
    return parts


def distinctive_words(topic: str, doc_freq: Callable[[list[str]], tuple[dict[str, int], int]],
                      share: float) -> dict[str, int]:
    """The topic's distinctive words, each with the number of indexed chunks that hold it: the content words whose
    IDF (log of chunks / chunks holding it; a word no chunk holds counts as held by half a chunk) is at least
    ``share`` of the topic's total IDF. "interest rates" over an index where "interest" is common and "rates" rare:
    "rates". A word every chunk holds has IDF 0 and is never distinctive; a topic whose IDF is all 0 has none.
    A word is looked up as the index holds it (``index_forms``; a hyphenated word counts as held by as many chunks
    as its rarest part) and keyed by its form before any apostrophe ("women's" as "women"); numbers are no word here."""
    forms: dict[str, list[str]] = {}  # the word, before any apostrophe -> its forms in the index
    for word in content_words(topic):
        looked_up = index_forms(word)
        if looked_up:
            forms.setdefault(re.split(r"['’]", word)[0], looked_up)
    if not forms:
        return {}
    frequencies, chunks = doc_freq(list(dict.fromkeys(f for fs in forms.values() for f in fs)))
    if chunks <= 0:
        return {}
    held = {w: min(frequencies.get(f, 0) for f in fs) for w, fs in forms.items()}
    idf = {w: max(0.0, math.log(chunks / max(held[w], 0.5))) for w in forms}
    total = sum(idf.values())
    if total <= 0:
        return {}
    return {w: held[w] for w in forms if idf[w] / total >= share - 1e-9}


def anchor_words(topic: str, rule: str) -> list[str]:
    """The topic's words that may anchor it. "word": any content word; "name": its names (capitalised words
    past the first, and a capitalised first word: "Derna floods death toll"); "name-word": its names, or any
    content word when it has none."""
    content = content_words(topic)
    if rule == "word":
        return content
    names = proper_names(topic)
    stripped = topic.lstrip()
    if stripped[:1].isupper():
        names |= name_tokens(stripped.split()[0])
    named = [w for w in content if w in names]
    return named or (content if rule == "name-word" else [])


def topic_anchor(candidates: list[str], doc_freq: Callable[[list[str]], tuple[dict[str, int], int]],
                 mentioned: set[str]) -> str | None:
    """Of ``candidates``, the word that the fewest indexed chunks hold among those whose stem is in ``mentioned``
    (ties: the first); None without one."""
    candidates = [w for w in candidates if stem(w) in mentioned]
    if not candidates:
        return None
    frequencies, _ = doc_freq(candidates)
    held = [w for w in candidates if frequencies.get(w, 0) > 0]
    return min(held, key=lambda w: frequencies[w]) if held else None


_HYPHENATED_NAMES = re.compile(r"\b[A-Z][\w’']*(?:-[A-Z][\w’']*)+")


def parted_terms(text: str, whole: bool = True) -> set[str]:
    """Content terms with a hyphenated word read through its parts too ("Kim-Putin" as "kim" and "putin"). For a
    topic (``whole=False``) only names joined by a hyphen are read as their parts, instead of whole: "Kim-Putin
    meeting" was refused over articles that write "Kim" and "Putin" apart, while "year-on-year" or "long-term" split
    would match every sentence saying "year" or "term"."""
    terms = set(content_terms(text))
    if whole:
        return terms | {stem(part) for term in terms if "-" in term for part in term.split("-")
                        if part and part not in STOPWORDS}
    for name in _HYPHENATED_NAMES.finditer(text):
        parts = [p for p in words(name.group(0).replace("-", " ")) if p not in STOPWORDS]
        terms.discard(stem(name.group(0).lower()))
        terms |= {stem(p) for p in parts}
    return terms


def on_topic(topic: str, units: list[Unit], headlines: bool = False) -> list[Unit]:
    """Sentences that state something about the topic: they (or, for a sentence opening with a pronoun,
    the sentence before; with ``headlines``, their article's headline) share a content term with it.
    Unrelated sentences of a retrieved passage go."""
    wanted, acronyms = parted_terms(topic, whole=False), topic_acronyms(topic)
    if not wanted and not acronyms:
        return units

    def mentions(text: str) -> bool:
        return bool(parted_terms(text) & wanted) or any(re.search(rf"\b{a}\b", text) for a in acronyms)

    def headline_names_it(title: str) -> bool:  # every word of the topic, not one: a headline says little else
        return bool(wanted or acronyms) and wanted <= parted_terms(title) and all(
            re.search(rf"\b{a}\b", title) for a in acronyms)

    out = []
    for i, unit in enumerate(units):
        if mentions(unit.text) or (starts_with_pronoun(unit.text) and i and units[i - 1].passage is unit.passage
                                   and mentions(units[i - 1].text)) or (headlines and headline_names_it(unit.passage.title)):
            out.append(unit)
    return out


# acronyms in the news spelt like a stopword or question word; a shouted "THE" or "WHAT IS IT ABOUT?" is none
_STOPWORD_ACRONYMS = frozenset({"WHO", "IT", "IS"})


def topic_acronyms(topic: str) -> set[str]:
    """Capitals spelling a common word ("WHO", "IT"): content_terms lower-cases them into stopwords, so they are
    matched as written instead (a topic "WHO" is about the organisation, not every "who"). Only known ones, and
    not in a topic typed all in capitals (unless it is one word)."""
    if topic.upper() == topic and len(words(topic)) > 1:
        return set()
    return {w for w in re.findall(r"\b[A-Z]{2,}\b", topic) if w in _STOPWORD_ACRONYMS}

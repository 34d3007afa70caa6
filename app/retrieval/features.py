"""What a learned model sees of a question and a passage: plain numbers, cheap to compute per query.

One module for the passage reranker and the answer-sentence selector, so training
(training/train_answers.py) and serving compute exactly the same features.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from app.lexicon import lemma_stems
from app.lexicon import shared as shared_lexicon
from app.retrieval.slots import SLOT_FEATURES, question_slot, slot_row
from app.text import (
    QUESTION_WORDS,
    STOPWORDS,
    content_words,
    has_new_name,
    name_tokens,
    numbers,
    proper_names,
    stem,
    word_tuple,
    words,
)

DocFreq = Callable[[list[str]], tuple[dict[str, float], float]]  # counts may be blended (background.py)
PROXIMITY_WINDOW = 24  # tokens: about one sentence, the span in which an answer's context sits
_MONTHS = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d|\b(1[89]|20)\d\d\b|"
                     r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
_PLACE = re.compile(r"\b(?:at|in|near|inside|outside|from|to)\s+(?:the\s+)?[A-Z]")
_CAUSAL = re.compile(r"\b(because|due to|after|amid|since|as a result|so that|in order to|caused|led to|"
                     r"following|over concerns?|reason|blamed|prompted|to protest|in response)\b", re.I)
_MEANS = re.compile(r"\b(by|through|using|via|with the help of)\b", re.I)
_PRONOUN_START = re.compile(r"^\W*(he|she|it|they|this|that|these|those|his|her|their|its|the move|the company|"
                            r"the group|the agency|the decision)\b", re.I)
QUESTION_KINDS = ("number", "date", "name", "place", "why", "how", "what")
SYNONYM_FEATURES = ("syn_coverage", "syn_combined")
RECENCY_FEATURES = ("age_vs_newest", "freshest", "undated_passage")


@lru_cache(maxsize=300_000)
def cached_stem(word: str) -> str:
    return stem(word)


class _StemTable(dict):
    """word -> ``stem(word)``, filled on a miss: ``map(table.__getitem__, words)`` looks a passage's words up in C,
    half the time of calling ``cached_stem`` per word (16 -> 8 µs a passage, docs/performance.md). Emptied when it
    reaches ``LIMIT`` words (the vocabulary of news is far smaller), so it cannot grow without bound."""

    LIMIT = 300_000

    def __missing__(self, word: str) -> str:
        if len(self) >= self.LIMIT:
            self.clear()
        found = self[word] = stem(word)
        return found

    def cache_clear(self) -> None:  # the benchmarks' cold path clears it as they clear the lru caches
        self.clear()


_stems = _StemTable()


def question_kind(question: str) -> str:
    """The kind of thing a question asks for; drives the answer-type features."""
    q = question.lower()
    if re.search(r"\bhow (many|much|long|old|far|big|high)\b|\bwhat (number|percentage|share|amount)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\bwhat (date|day|year|month)\b|\bwhich (day|year|month)\b", q):
        return "date"
    if re.search(r"\bwho\b|\bwhom\b|\bwhose\b|\bwhich (person|man|woman|company|team|player|actor)\b", q):
        return "name"
    if re.search(r"\bwhere\b|\bwhich (city|state|country|region|nation|island|continent)\b|\bin what (city|country)\b", q):
        return "place"
    if re.search(r"\bwhy\b|\bwhat (caused|prompted|led)\b", q):
        return "why"
    if re.search(r"\bhow\b", q):
        return "how"
    return "what"


@dataclass(slots=True)
class QuestionTerms:
    """The question as the features need it: content stems with IDF weights, names, kind."""

    text: str
    stems: list[str]
    idf: dict[str, float]
    names: set[str]
    numbers: set[str]
    kind: str
    pairs: set[tuple[str, str]]

    @property
    def total_idf(self) -> float:
        return sum(self.idf.values()) or 1.0


def question_terms(question: str, doc_freq: DocFreq | None) -> QuestionTerms:
    raw = content_words(question)
    stems = list(dict.fromkeys(cached_stem(w) for w in raw))
    idf: dict[str, float] = {}
    if doc_freq is not None and raw:
        df, total = doc_freq(raw)
        total = max(total, 1)
        for w in raw:
            s = cached_stem(w)
            value = math.log(1 + (total - df.get(w, 0) + 0.5) / (df.get(w, 0) + 0.5))
            idf[s] = max(idf.get(s, 0.0), value)
    else:
        idf = {s: 1.0 for s in stems}
    seq = [cached_stem(w) for w in words(question) if w not in STOPWORDS and w not in QUESTION_WORDS]
    return QuestionTerms(question, stems, idf, proper_names(question), numbers(question), question_kind(question),
                         set(zip(seq, seq[1:])))


@dataclass(slots=True)
class TextTerms:
    tokens: list[str]  # stems of every word, in order (stopwords kept so distances are real)
    stem_set: set[str]
    names: set[str]


@lru_cache(maxsize=2048)
def text_terms(text: str) -> TextTerms:
    """Cached: a passage's headline and the sentence before each sentence recur many times per question
    (read-only result). 2,048 entries hit as often as 8,192 (68 % against 70 % of calls over 400 asks and
    searches) and keep a 233k-chunk server ~80 MB smaller (docs/performance.md *Memory*)."""
    tokens = list(map(_stems.__getitem__, word_tuple(text)))
    return TextTerms(tokens, set(tokens), name_tokens(text))


def coverage(q: QuestionTerms, terms: set[str]) -> float:
    """IDF-weighted share of the question's content stems present."""
    return sum(q.idf[s] for s in q.stems if s in terms) / q.total_idf


def coverage_of_either(q: QuestionTerms, terms: set[str], more: set[str]) -> float:
    """``coverage(q, terms | more)`` without building the union (the same sum, in the same order)."""
    return sum(q.idf[s] for s in q.stems if s in terms or s in more) / q.total_idf


def name_coverage(q: QuestionTerms, names: set[str]) -> float:
    if not q.names:
        return 1.0
    return sum(n in names for n in q.names) / len(q.names)


def proximity(q: QuestionTerms, tokens: list[str], window: int = PROXIMITY_WINDOW) -> float:
    """Best IDF-weighted coverage of the question inside any ``window``-token span: terms close together."""
    wanted = set(q.stems)
    hits = [(i, t) for i, t in enumerate(tokens) if t in wanted]
    if not hits:
        return 0.0
    best, left = 0.0, 0
    counts: dict[str, int] = {}
    for right, (pos, term) in enumerate(hits):
        counts[term] = counts.get(term, 0) + 1
        while pos - hits[left][0] >= window:
            old = hits[left][1]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            left += 1
        best = max(best, sum(q.idf[t] for t in counts) / q.total_idf)
    return best


def pair_overlap(q: QuestionTerms, tokens: list[str]) -> float:
    """Share of the question's adjacent content-word pairs found adjacent (stopwords skipped) in the text."""
    if not q.pairs:
        return 0.0
    seq = [t for t in tokens if t not in STOPWORDS]
    return len(q.pairs.intersection(zip(seq, seq[1:]))) / len(q.pairs)  # no set of the text's pairs built


PASSAGE_FEATURES = (
    "bm25_rel", "bm25_rr", "dense_score", "dense_rr", "fused", "log_days", "recent30", "undated",
    "title_cov", "text_cov", "name_cov", "proximity", "pairs", "chunk_index", "n_q_terms", "type_present",
    # the passage's article as a whole, over the candidate pool: an article several of whose chunks
    # match is more likely the one the question is about than a lone chunk that shares its words
    "art_chunks", "art_best_bm25", "art_best_dense", "art_best_text_cov", "art_best_proximity", "art_sum_fused",
)
_ARTICLE_OF = {name: PASSAGE_FEATURES.index(name) for name in ("bm25_rel", "dense_score", "text_cov", "proximity", "fused")}


def type_present(kind: str, text: str, q: QuestionTerms) -> float:
    """Whether the text holds the kind of thing the question asks for (a new number, a date, a name...)."""
    if kind == "number":
        return float(bool(numbers(text) - q.numbers))
    if kind == "date":
        return float(bool(_MONTHS.search(text)))
    if kind in ("name", "what"):
        return float(has_new_name(" " + text, q.names))
    if kind == "place":
        return float(bool(_PLACE.search(text)))
    if kind == "why":
        return float(bool(_CAUSAL.search(text)))
    if kind == "how":
        return float(bool(_MEANS.search(text)) or bool(_CAUSAL.search(text)))
    return 0.0


def with_article_features(rows: list[list[float]], articles: list[str]) -> list[list[float]]:
    """Append the article-level features to each passage row (``articles``: each row's article id)."""
    grouped: dict[str, list[list[float]]] = {}
    for row, article in zip(rows, articles):
        grouped.setdefault(article, []).append(row)
    out = []
    for row, article in zip(rows, articles):
        siblings = grouped[article]
        best = {name: max(r[i] for r in siblings) for name, i in _ARTICLE_OF.items()}
        out.append(row + [math.log1p(len(siblings)), best["bm25_rel"], best["dense_score"], best["text_cov"],
                          best["proximity"], sum(r[_ARTICLE_OF["fused"]] for r in siblings)])
    return out


# Passage-level forms of the selector's slot and synonym evidence, and multi-word phrase matches (issue 8:
# "which country/automaker" passages without a filler of that kind; "pledge" ~ "promised"). Computed for
# training, and when serving only if the shipped ranker reads them (docs/answers.md, "Slot and synonym
# features for the passage ranker").
PASSAGE_EXTRA_FEATURES = (
    "p_slot_fillers", "p_slot_distance", "p_slot_head_near", "p_syn_cov", "p_phrases",
    "art_best_syn_cov", "art_best_slot_distance", "art_slot_head_near",
)
ALL_PASSAGE_FEATURES = PASSAGE_FEATURES + PASSAGE_EXTRA_FEATURES
_QUOTED = re.compile(r"[\"“”‘’]([^\"“”‘’]{2,80})[\"“”‘’]|(?<![\w])'([^']{2,80})'(?![\w])")
_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w’'.&-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w’'.&-]*)+")


def question_phrases(question: str) -> tuple[tuple[str, ...], ...]:
    """Multi-word phrases a passage should hold verbatim: quoted spans ("'Squid Game'") and runs of two or
    more capitalised words ("Luke Combs", "Bank of America"), as lower-cased word tuples."""
    found = [m.group(1) or m.group(2) for m in _QUOTED.finditer(question)]
    found += [m.group(0) for m in _CAPITALISED_RUN.finditer(question)]
    out = []
    for phrase in found:
        tokens = [w.removesuffix("'s").removesuffix("’s") for w in words(phrase)]
        while tokens and (tokens[0] in QUESTION_WORDS or tokens[0] in STOPWORDS):  # "Which NFL team"
            tokens.pop(0)
        tokens = tuple(tokens)
        if len(tokens) >= 2 and tokens not in out:
            out.append(tokens)
    return tuple(out)


def phrase_share(phrases: tuple[tuple[str, ...], ...], text: str) -> float:
    """Share of the question's phrases whose words appear in ``text`` consecutively (possessives dropped);
    0 when the question has none."""
    if not phrases:
        return 0.0
    joined = " " + " ".join(w.removesuffix("'s").removesuffix("’s") for w in words(text)) + " "
    return sum(f" {' '.join(p)} " in joined for p in phrases) / len(phrases)


def passage_extra_row(q: QuestionTerms, text: str, title: str) -> list[float]:
    """PASSAGE_EXTRA_FEATURES of one passage before the article aggregates: the slot's fillers in the passage
    (log count; token distance from the nearest filler to the nearest question term, /30, 1 = none; a filler
    within 4 tokens of the slot's head noun), WordNet-synonym coverage of the question by passage and
    headline, and the share of the question's phrases found verbatim."""
    body = text_terms(text)
    slot = slot_row(question_slot(q.text), text, body.tokens, set(q.stems))
    return [slot[1], slot[2], slot[3], synonym_coverage(q, body.stem_set | text_terms(title).stem_set),
            phrase_share(question_phrases(q.text), title + " \n " + text)]


def passage_extra_rows(q: QuestionTerms, passages: list[tuple[str, str, str]]) -> list[list[float]]:
    """PASSAGE_EXTRA_FEATURES for (text, title, article id) triples: each passage's own columns, then over its
    article's candidates the best synonym coverage, the smallest filler distance and any filler by the head."""
    rows = [passage_extra_row(q, text, title) for text, title, _ in passages]
    grouped: dict[str, list[list[float]]] = {}
    for row, (_, _, article) in zip(rows, passages):
        grouped.setdefault(article, []).append(row)
    out = []
    for row, (_, _, article) in zip(rows, passages):
        siblings = grouped[article]
        out.append(row + [max(r[3] for r in siblings), min(r[1] for r in siblings), max(r[2] for r in siblings)])
    return out


def passage_row(q: QuestionTerms, text: str, title: str, chunk_index: int, bm25_rel: float, bm25_rank: int | None,
                dense_score: float, dense_rank: int | None, fused: float, days_before: float | None) -> list[float]:
    body = text_terms(text)
    head = text_terms(title)
    return [
        bm25_rel,
        1.0 / bm25_rank if bm25_rank else 0.0,
        dense_score,
        1.0 / dense_rank if dense_rank else 0.0,
        fused,
        math.log1p(max(days_before, 0.0)) if days_before is not None else math.nan,  # LightGBM: missing
        float(days_before is not None and days_before <= 30),
        float(days_before is None),
        coverage(q, head.stem_set),
        coverage_of_either(q, body.stem_set, head.stem_set),
        name_coverage(q, body.names | head.names) if q.names else 1.0,
        proximity(q, body.tokens),
        pair_overlap(q, head.tokens + ["§"] + body.tokens),
        float(min(chunk_index, 20)),
        float(len(q.stems)),
        type_present(q.kind, text, q),
    ]


SENTENCE_FEATURES = (
    "passage_score", "passage_rank", "coverage", "own_coverage", "prev_coverage", "title_coverage", "proximity",
    "similarity", "name_cov", *(f"kind_{k}" for k in QUESTION_KINDS), "type_present", "focus_distance",
    "pronoun_start", "log_words", "sentence_index", "is_question", "quote_start", "n_numbers_new",
    # the earlier hand-weighted scorer's parts (app/answer/scoring.py): embedding-softened coverage
    # ("died" ~ "death toll") and its type match, as evidence the model weighs
    "heuristic_score", "soft_coverage", "context_coverage", "heuristic_type",
    # the answer slot (app/retrieval/slots.py): a filler of the asked kind that the question lacks, how
    # close it sits to the question's words, and whether it is next to the slot's head noun
    *SLOT_FEATURES,
    # WordNet synonyms count as coverage ("pledge" ~ "promised"), and the passage's age against the newest
    # of the answer passages (not against as_of or now: a corpus may be old, as_of may be absent)
    *SYNONYM_FEATURES, *RECENCY_FEATURES,
)


def focus_distance(q: QuestionTerms, tokens: list[str], raw: list[str]) -> float:
    """Tokens between the nearest question term and the nearest thing of the asked kind (number, name);
    "How many people died?" wants the number next to "died", not the magnitude two clauses away."""
    wanted = set(q.stems)
    anchors = [i for i, t in enumerate(tokens) if t in wanted]
    if not anchors:
        return 1.0
    if q.kind == "number":
        targets = [i for i, w in enumerate(raw) if any(c.isdigit() for c in w) and w.replace(",", "") not in q.numbers]
        targets += [i for i, w in enumerate(raw) if w in _NUMBER_WORDS]
    elif q.kind == "date":
        targets = [i for i, w in enumerate(raw) if w[:3] in _MONTH_PREFIXES or (w.isdigit() and len(w) == 4)]
    else:
        return 0.5
    if not targets:
        return 1.0
    best = min(abs(a - t) for a in anchors for t in targets)
    return min(best, 30) / 30


_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve dozen dozens hundred "
                          "hundreds thousand thousands million millions billion billions percent half".split())
_MONTH_PREFIXES = frozenset("jan feb mar apr may jun jul aug sep oct nov dec".split())


def sentence_row(q: QuestionTerms, text: str, previous: str, title: str, passage_score: float, passage_rank: int,
                 similarity: float, sentence_index: int) -> list[float]:
    raw = words(text)
    own = text_terms(text)
    before = text_terms(previous)
    head = text_terms(title)
    own_cov = coverage(q, own.stem_set)
    prev_cov = coverage(q, before.stem_set)
    title_cov = coverage(q, head.stem_set)
    pronoun = starts_with_pronoun(text)
    combined = with_context(own_cov, prev_cov, title_cov, pronoun)
    stripped = text.lstrip()
    return [
        passage_score,
        float(passage_rank),
        combined,
        own_cov,
        prev_cov,
        title_cov,
        proximity(q, own.tokens),
        similarity,
        name_coverage(q, own.names | (before.names if pronoun else set()) | head.names) if q.names else 1.0,
        *(float(q.kind == k) for k in QUESTION_KINDS),
        type_present(q.kind, text, q),
        focus_distance(q, own.tokens, raw),
        float(pronoun),
        math.log1p(len(raw)),
        float(min(sentence_index, 40)),
        float(text.rstrip("\"'”’) ").endswith("?")),
        float(stripped[:1] in "\"“'‘"),
        float(len(numbers(text) - q.numbers)),
    ]


def sentence_slot_row(q: QuestionTerms, text: str) -> list[float]:
    """The slot features of one sentence (SLOT_FEATURES), appended after the heuristic scorer's parts."""
    return slot_row(question_slot(q.text), text, text_terms(text).tokens, set(q.stems))


def starts_with_pronoun(text: str) -> bool:
    return bool(_PRONOUN_START.search(text))


def with_context(own: float, previous: float, title: float, pronoun: bool) -> float:
    """A sentence's coverage topped up from its context: a sentence opening with a pronoun leans on the one
    before it, any other a little on the one before or the headline."""
    return own + (1 - own) * (0.6 * previous if pronoun else 0.3 * max(previous, title))


def synonym_coverage(q: QuestionTerms, terms: set[str]) -> float:
    """IDF-weighted share of the question's stems present as such or as a WordNet synonym or near sense
    (one hypernym step: "pledge" reaches "promise"); names and numbers only match exactly. Irregular forms
    are compared through their base forms too ("went" as "go", "won" as "win": ``lemma_stems``)."""
    total = 0.0
    for s, covered in zip(q.stems, synonym_covered(q, terms)):
        if covered:
            total += q.idf[s]
    return total / q.total_idf


def synonym_covered(q: QuestionTerms, terms: set[str]) -> list[bool]:
    """Per question stem (in order): present in ``terms`` as such, through an irregular form's base, or as a
    WordNet synonym or near sense (``synonym_coverage``'s test)."""
    out = []
    wide: set[str] | None = None
    senses: tuple[frozenset[int], frozenset[int]] | None = None
    for s in q.stems:
        if s in terms:
            out.append(True)
            continue
        if not s.isalpha():
            out.append(False)
            continue
        if wide is None:
            wide = {f for t in terms if t.isalpha() for f in (t, *lemma_stems(t))}
        forms = (s, *lemma_stems(s))
        if any(f in wide for f in forms):
            out.append(True)
            continue
        if senses is None:
            senses = _text_senses(wide)
        out.append(any(_related_to_any(f, *senses) for f in forms))
    return out


def _text_senses(wide: set[str]) -> tuple[frozenset[int], frozenset[int]]:
    """The union of a text's synsets, and of its near senses (synsets and one hypernym step). ``related(f, t)``
    for some ``t`` is ``near(f)`` meeting some ``synsets(t)`` or ``near(t)`` meeting ``synsets(f)``, so two
    set tests against these unions give the pair loop's answer at once (``f`` is never in the text here)."""
    senses = [_senses(t) for t in wide]
    own = frozenset().union(*(synsets for synsets, _ in senses))
    near = frozenset().union(*(near for _, near in senses))
    return own, near


@lru_cache(maxsize=16384)
def _senses(stem: str) -> tuple[frozenset[int], frozenset[int]]:
    """A stem's synsets and near senses (the lexicon builds a new set of synsets per call): the same sets,
    looked up once per stem; ~35 sentences × ~20 words per ask (docs/performance.md)."""
    lexicon = shared_lexicon()
    return lexicon.synsets(stem), lexicon.near(stem)


def _related_to_any(form: str, own: frozenset[int], near: frozenset[int]) -> bool:
    lexicon = shared_lexicon()
    return not lexicon.near(form).isdisjoint(own) or not lexicon.synsets(form).isdisjoint(near)


@lru_cache(maxsize=4096)
def _text_synonym_coverage(stems: tuple[str, ...], idf: tuple[tuple[str, float], ...], text: str) -> float:
    """``synonym_coverage`` memoised per question and text: a sentence is the next one's previous sentence,
    and a headline serves every sentence of its passage."""
    q = QuestionTerms("", list(stems), dict(idf), set(), set(), "", set())
    return synonym_coverage(q, text_terms(text).stem_set)


def sentence_synonym_row(q: QuestionTerms, text: str, previous: str, title: str) -> list[float]:
    """SYNONYM_FEATURES: own synonym coverage, and the same combined with the sentence before and the headline
    exactly as ``coverage`` is in ``sentence_row``."""
    stems, idf = tuple(q.stems), tuple(q.idf.items())
    own = _text_synonym_coverage(stems, idf, text)
    prev = _text_synonym_coverage(stems, idf, previous)
    head = _text_synonym_coverage(stems, idf, title)
    return [own, with_context(own, prev, head, starts_with_pronoun(text))]


def published_day(published_at: str | None) -> int | None:
    """The day number (proleptic Gregorian ordinal) of an ISO date or datetime string; None when missing or
    unreadable."""
    from datetime import date

    try:
        return date.fromisoformat((published_at or "")[:10]).toordinal()
    except ValueError:
        return None


def recency_rows(published: list[str | None]) -> list[list[float]]:
    """RECENCY_FEATURES per passage: log days before the newest dated passage among these, whether it is
    that newest one (ties count), and whether it is undated (then age 0, not freshest). With no dated
    passage at all (a corpus of plain .txt files) every passage counts as the freshest, as the ranker's
    age feature counts every candidate fresh then: undated news must not look like old news."""
    days = [published_day(p) for p in published]
    newest = max((d for d in days if d is not None), default=None)
    if newest is None:
        return [[0.0, 1.0, 1.0] for _ in days]
    return [[math.log1p(newest - d), float(d == newest), 0.0] if d is not None else [0.0, 0.0, 1.0] for d in days]

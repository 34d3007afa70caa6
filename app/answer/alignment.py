"""Token alignment between a claim and its evidence: the features the trained checker reads.

Each content token of the claim gets its best match in the evidence (same word, same stem, or
nearest word vector) and a kind (number, date, name, negation, other content word). Paraphrase
leaves few tokens unaligned and those it leaves are near synonyms; fabrication leaves a name, a
number or a date unaligned, or aligns everything but in another sentence, another order or with
the opposite polarity. The features say which.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from app.answer import lexicon
from app.answer.voice import active_order, leading_name
from app.embed import Embedder
from app.text import COUNT_WORDS, NUMBER, STOPWORDS, counts_in_words, numbers, proper_names, stem

NEGATIONS = frozenset({"not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "without", "cannot",
                       "n't", "nowhere", "fail", "fails", "failed", "refused", "refuses", "denied", "denies"})
MONTHS = frozenset("january february march april may june july august september october november december "
                   "jan feb mar apr jun jul aug sep sept oct nov dec".split())
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday "
                     "yesterday today tomorrow weekend".split())
NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                         "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
                         "hundred thousand million billion trillion dozen half double triple first second third "
                         "fourth fifth percent".split())
# Function words that carry a relation (time, direction, amount): swapping one ('before' for 'after',
# 'fewer' for 'more') changes the claim although no content word changes.
RELATION_WORDS = frozenset("before after more less fewer most least up down over under above below against "
                           "into out off since until during without within than only all both each".split())
# "All of the X", "every X", "each X", "the Xs all": one universal quantifier, worded three ways. A claim's
# universal stands for the window's bare plural too ("halted all trade" for "halted trade"); it counts as an
# unaligned relation only where the window holds none of them and a quantifier that says less (some, most).
UNIVERSAL = frozenset({"all", "every", "each"})
PARTIAL = frozenset("some most many few several half part partly partial partially majority minority certain "
                    "only".split())
# Not a model feature: what the full-sentence rule (app/answer/support.py) checks besides the features.
MUTUAL_ROLE_SWAPS = "mutual_role_swaps"
# Not a model feature either: the claim's numbers that the evidence holds only as a piece of a longer number ("5" of
# "1.5", "100" of "3,100"), which the word pattern splits, so the piece aligns exactly (support.py caps the score).
NUMBER_PIECES = "number_pieces"
_SEPARATOR = re.compile(r"[.,]")
_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_YEAR = re.compile(r"^(1[89]|20)\d\d$")
# A fast sentence splitter: pysbd (what quotes use) costs ~20 ms per passage, the checker's whole budget.
# Window features need rough boundaries only: a stop, then space, then an upper-case letter or quote,
# unless the stop ends a common abbreviation or an initial.
_BOUNDARY = re.compile(r"(?<=[.!?])([\"”’)\]]?)\s+(?=[\"“(\[]?[A-Z0-9])")
_ABBREVIATION = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Col|Lt|Sgt|St|Jr|Sr|Inc|Corp|Co|Ltd|No|vs|"
                           r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Adm|Capt|Mt|Ft|etc|approx)|\b[A-Z])\.$")

FEATURES = (
    "n_content", "frac_exact", "frac_stem", "mean_sim", "min_sim", "low_sim", "near_miss",
    "unaligned_content", "unaligned_name", "unaligned_number", "unaligned_date",
    "names", "numbers", "dates",
    "window_coverage", "sentence_coverage", "window_missing_name", "window_missing_number", "window_missing_date",
    "window_order", "window_pairs", "inversions", "anchor_coverage", "anchor_gap",
    "claim_negation", "window_negation", "negation_mismatch", "evidence_negation", "sentence_negation_mismatch",
    "cosine", "cosine_max", "claim_words",
    "swap_sim", "swap_mean", "role_swaps", "scoped_negation_mismatch", "unaligned_relation",
    "wordnet_synonyms", "wordnet_related", "wordnet_unaligned", "wordnet_swap_sim", "wordnet_antonyms",
    "local_min", "local_mean", "local_anchor_min",
)
# Computed only for a model that reads one of them (and always for training): about 0.4 ms a cold passage.
LOCAL_SUPPORT_FEATURES = ("local_min", "local_mean", "local_anchor_min")


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` (lines first: headlines and bullets carry no full stop)."""
    out: list[str] = []
    for line in text.splitlines():
        start = 0
        for match in _BOUNDARY.finditer(line):
            if _ABBREVIATION.search(line[start : match.start()]):
                continue
            piece = line[start : match.end(1)].strip()
            if piece:
                out.append(piece)
            start = match.end()
        piece = line[start:].strip()
        if piece:
            out.append(piece)
    return [part for piece in out for part in _cap_length(piece)]


def _cap_length(sentence: str, limit: int = 60) -> list[str]:
    """Transcripts run on without full stops: cut a 'sentence' over ``limit`` words into pieces."""
    tokens = sentence.split()
    if len(tokens) <= limit:
        return [sentence]
    size = -(-len(tokens) // -(-len(tokens) // limit))  # near-equal pieces of at most ``limit`` words
    return [" ".join(tokens[i : i + size]) for i in range(0, len(tokens), size)]


def number_pieces(text: str) -> frozenset[str]:
    """The parts of the numbers ``text`` writes with a decimal point or a thousands separator: "1", "5" of "1.5"
    and "3", "100" of "3,100" (as ``numbers`` normalises them, so "05" of "1.05" is "05")."""
    pieces: set[str] = set()
    for match in NUMBER.finditer(text):  # a number as written, separators kept
        written = match.group(0).rstrip(".,")
        if _SEPARATOR.search(written):
            pieces.update(part for part in _SEPARATOR.split(written) if part)
    return frozenset(pieces)


# A claim's number written apart that the evidence writes as one: "10:30" for "10.30", "10 000" for "10,000".
_GROUPED = re.compile(r"(?<!\d)\d+(?:(?::|[ \u00a0\u202f](?=\d{3}(?!\d)))\d+)+")
_GROUP_SEPARATOR = re.compile(r"[:\s]")


def _value(number: str) -> float | None:
    try:
        return float(number)
    except ValueError:
        return None


def stated_numbers(text: str) -> set[str]:
    """The numbers ``text`` states, in digits or as a count in words ("five" as "5")."""
    return numbers(text) | counts_in_words(text)


# A count in words before a magnitude ("five billion", "three percent"): an amount, which the claim states as surely as
# "5 billion". A bare "two" is not read so: "the two leaders met" paraphrases a passage that names both.
_AMOUNT_IN_WORDS = re.compile(r"\b(" + "|".join(COUNT_WORDS) + r")\s+(?=(?:hundred|thousand|million|billion|trillion|"
                              r"percent|per cent|percentage points?)\b)", re.I)


_SCALE = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
# An amount with its magnitude in words, in digits or words: its value is what the evidence may write in full.
_SCALED_AMOUNT = re.compile(r"\b((?<![\d,.])\d[\d,.]*|" + "|".join(COUNT_WORDS) + r")\s+(" + "|".join(_SCALE) + r")\b", re.I)


def claimed_numbers(claim: str) -> set[str]:
    """The claim's numbers in digits, and its amounts in words ("five billion" as "5")."""
    return numbers(claim) | {COUNT_WORDS[m.group(1).lower()] for m in _AMOUNT_IN_WORDS.finditer(claim)}


def missing_number_pieces(claim: str, evidence_numbers: set[str], pieces: frozenset[str]) -> set[str]:
    """The claim's numbers (``claimed_numbers``) that the evidence (``evidence_numbers``: its ``stated_numbers``)
    holds only as a piece of a longer number ("5" or "five billion" against "1.5 billion"): not those the evidence
    states with other digits ("5" of "$5.00", "7" of "7.0": the same value) or writes with another separator ("10"
    and "30" of "10:30" against "10.30")."""
    missing = (claimed_numbers(claim) - evidence_numbers) & pieces
    if not missing:
        return missing
    values = {_value(n) for n in evidence_numbers}
    missing = {n for n in missing if _value(n) not in values}
    for match in _SCALED_AMOUNT.finditer(claim):  # "ten thousand" or "2 million" against "10,000", "2,000,000"
        number = COUNT_WORDS.get(match.group(1).lower()) or match.group(1).rstrip(".,").replace(",", "")
        scaled = (_value(number) or 0.0) * _SCALE[match.group(2).lower()]
        if any(v is not None and math.isclose(v, scaled) for v in values):
            missing.discard(number)
    for match in _GROUPED.finditer(claim):
        written = match.group(0)
        if {_GROUP_SEPARATOR.sub(".", written), _GROUP_SEPARATOR.sub("", written)} & evidence_numbers:
            missing -= set(_GROUP_SEPARATOR.split(written))
    return missing


def _is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't")


@dataclass(slots=True)
class ClaimToken:
    word: str  # lower-cased, possessive dropped
    stem: str
    kind: str  # number | date | name | negation | content


def claim_tokens(text: str) -> list[ClaimToken]:
    """Content tokens of the claim with their kind; stopwords are skipped (negations are not)."""
    out = []
    previous = ""
    for index, match in enumerate(_TOKEN.finditer(text)):
        raw = match.group(0).replace("’", "'")
        word = raw.lower()
        previous, quantified = word, previous in UNIVERSAL
        if quantified and word == "one":  # "every one of the jurors": the quantifier, not a number
            continue
        if _is_negation(word):
            out.append(ClaimToken(word, word, "negation"))
            continue
        word = word.removesuffix("'s")
        if word in STOPWORDS or word in UNIVERSAL:
            continue
        if word in MONTHS or word in WEEKDAYS or _YEAR.match(word):
            kind = "date"
        elif any(c.isdigit() for c in word) or word in NUMBER_WORDS:
            kind = "number"
        elif raw[0].isupper() and (index > 0 or any(c.isupper() for c in raw[1:])):
            kind = "name"
        else:
            kind = "content"
        out.append(ClaimToken(word, stem(word), kind))
    return out


@dataclass(slots=True)
class PreparedEvidence:
    """Evidence split into sentences and indexed once; reused for every claim checked against it."""
    sentences: list[str]
    sentence_words: list[list[str]]
    sentence_stems: list[list[str]]
    words: set[str]
    stems: set[str]
    numbers: set[str]
    sentence_numbers: list[set[str]]
    vocab: list[str]
    vocab_vectors: np.ndarray
    vocab_index: dict[str, int]
    windows: list[slice]
    window_stems: list[list[str]]
    window_sets: list[frozenset[str]]
    window_words: list[frozenset[str]]
    window_vectors: dict[int, np.ndarray]
    sentence_sets: list[frozenset[str]]  # these two: for the local-support features only (empty without them)
    stem_sentences: dict[str, list[int]]
    number_pieces: frozenset[str] = frozenset()  # the parts of its numbers written with a separator ("1", "5" of "1.5")
    stated_numbers: frozenset[str] = frozenset()  # its numbers in digits or counted in words (stated_numbers)


def _windows(sentence_counts: list[int], max_size: int = 3) -> list[slice]:
    """Windows of 1..max_size consecutive sentences inside each evidence text, single sentences first."""
    out: list[slice] = []
    for size in range(1, max_size + 1):
        start = 0
        for count in sentence_counts:
            out.extend(slice(start + i, start + i + size) for i in range(0, count - size + 1))
            start += count
    return out


def lcs_length(a: list[str], b: list[str]) -> int:
    """Longest common subsequence: word order is what tells "X backed Y" from "Y backed X"."""
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


class Aligner:
    """Computes FEATURES for (claim, evidence); caches word vectors and prepared evidence.

    ``reads``: the features the model reads (``CheckerModel.reads``); a feature family no tree reads is left at
    0.0 instead of computed (the local-support columns), as the passage ranker skips its unread columns. None
    (training, benchmarks) computes every feature."""

    def __init__(self, embedder: Embedder | None, cache_size: int = 256, reads: Collection[str] | None = None) -> None:
        self.embedder = embedder
        self.local_support = reads is None or not set(LOCAL_SUPPORT_FEATURES).isdisjoint(reads)
        self._vectors: dict[str, np.ndarray] = {}
        self._prepared: OrderedDict[tuple[str, ...], PreparedEvidence] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def word_vectors(self, vocabulary: list[str]) -> np.ndarray:
        dim = getattr(self.embedder, "dim", 0) or 1
        if self.embedder is None or not vocabulary:
            return np.zeros((len(vocabulary), dim), dtype=np.float32)
        # This call's vectors are kept apart from the cache: the cache may be emptied (by this call, at the limit,
        # or by another request's) between looking a word up and reading the result (a KeyError, a 500).
        found: dict[str, np.ndarray] = {}
        missing = []
        for word in dict.fromkeys(vocabulary):
            vector = self._vectors.get(word)
            if vector is None:
                missing.append(word)
            else:
                found[word] = vector
        if missing:
            if len(self._vectors) > 200_000:
                self._vectors.clear()
            for word, vector in zip(missing, self.embedder.embed(missing)):
                self._vectors[word] = found[word] = vector
        return np.stack([found[w] for w in vocabulary])

    def prepare(self, evidence: list[str]) -> PreparedEvidence:
        key = tuple(evidence)
        with self._lock:
            if key in self._prepared:
                self._prepared.move_to_end(key)
                return self._prepared[key]
        sentences: list[str] = []
        antecedents: list[str | None] = []
        counts = []
        for text in evidence:
            found = split_sentences(text)
            sentences.extend(found)
            counts.append(len(found))
            # A pronoun patient of a passive reads as the name opening its sentence, else the one before; a
            # lone opening word counts as a name only if the text capitalises it mid-sentence too or it is no word.
            known = proper_names(text)
            antecedents.extend(leading_name(s, known) or (leading_name(found[i - 1], known) if i else None)
                               for i, s in enumerate(found))
        # Words in active order ("X was V by Y" as "Y V X"): the order features compare roles, not voice.
        sentence_words = [[m.group(0).lower().replace("’", "'").removesuffix("'s")
                           for m in _TOKEN.finditer(active_order(s, a))] for s, a in zip(sentences, antecedents)]
        sentence_stems = [[stem(w) for w in ws] for ws in sentence_words]
        all_words = {w for ws in sentence_words for w in ws}
        vocab = sorted(w for w in all_words if w not in STOPWORDS)
        windows = _windows(counts)
        window_stems = [[s for part in sentence_stems[w] for s in part] for w in windows]
        prepared = PreparedEvidence(
            sentences=sentences, sentence_words=sentence_words, sentence_stems=sentence_stems,
            words=all_words, stems={s for ss in sentence_stems for s in ss},
            numbers=numbers(" ".join(evidence)), sentence_numbers=[numbers(s) for s in sentences],
            vocab=vocab, vocab_vectors=self.word_vectors(vocab), vocab_index={w: i for i, w in enumerate(vocab)},
            windows=windows, window_stems=window_stems,
            window_sets=[frozenset(ws) for ws in window_stems],
            window_words=[frozenset(w for part in sentence_words[span] for w in part) for span in windows],
            window_vectors={},
            sentence_sets=[frozenset(ss) for ss in sentence_stems] if self.local_support else [],
            stem_sentences=_stem_index(sentence_stems) if self.local_support else {},
            number_pieces=number_pieces(" ".join(evidence)), stated_numbers=frozenset(stated_numbers(" ".join(evidence))),
        )
        with self._lock:
            self._prepared[key] = prepared
            if len(self._prepared) > self._cache_size:
                self._prepared.popitem(last=False)
        return prepared

    def features(self, claim: str, evidence: list[str]) -> tuple[dict[str, float], str]:
        """FEATURES of one claim against its evidence, and the best-covering evidence window."""
        prepared = self.prepare(evidence)
        return self.features_prepared(claim, prepared)

    def features_prepared(self, claim: str, ev: PreparedEvidence) -> tuple[dict[str, float], str]:
        tokens = claim_tokens(claim)
        content = [t for t in tokens if t.kind != "negation"]
        values = dict.fromkeys(FEATURES, 0.0)
        values["claim_words"] = float(len(_TOKEN.findall(claim)))
        claim_negations = sum(t.kind == "negation" for t in tokens)
        values["claim_negation"] = float(claim_negations)
        if not content or not ev.windows:
            values["low_sim"] = float(len(content))
            values["unaligned_content"] = 1.0 if content else 0.0
            return values, ""
        n = len(content)
        exact = np.array([t.word in ev.words for t in content])
        stemmed = np.array([t.stem in ev.stems for t in content]) | exact
        sims = np.ones(n, dtype=np.float32)
        unmatched = [i for i in range(n) if not stemmed[i]]
        claim_vectors = None
        if unmatched and len(ev.vocab):
            claim_vectors = self.word_vectors([content[i].word for i in unmatched])
            best = (claim_vectors @ ev.vocab_vectors.T).max(axis=1)
            sims[unmatched] = np.clip(best, -1.0, 1.0)
        elif unmatched:
            sims[unmatched] = 0.0
        kinds = np.array([t.kind for t in content])
        claim_numbers = numbers(claim)
        values[NUMBER_PIECES] = float(len(missing_number_pieces(claim, ev.stated_numbers, ev.number_pieces)))
        values.update({
            "n_content": float(n), "frac_exact": float(exact.mean()), "frac_stem": float(stemmed.mean()),
            "mean_sim": float(sims.mean()), "min_sim": float(sims.min()),
            "low_sim": float(((~stemmed) & (sims < 0.5)).sum()), "near_miss": float(((~stemmed) & (sims >= 0.5)).sum()),
            "unaligned_content": float(((~stemmed) & (kinds == "content")).sum()),
            "unaligned_name": float(((~exact) & (kinds == "name")).sum()),
            "unaligned_number": float(len(claim_numbers - ev.numbers)),
            "unaligned_date": float(((~exact) & (kinds == "date")).sum()),
            "names": float((kinds == "name").sum()), "numbers": float(len(claim_numbers)),
            "dates": float((kinds == "date").sum()),
        })
        # The window (1-3 adjacent sentences) that covers most of the claim: where a faithful claim comes from.
        claim_stems = [t.stem for t in content]
        ordered, opening = _active_content(claim, content)
        order_stems = [t.stem for t in ordered]
        claim_stem_set = set(claim_stems)
        coverage = [len(claim_stem_set & ws) / len(claim_stem_set) for ws in ev.window_sets]
        best = int(np.argmax(coverage))
        window = ev.windows[best]
        best_stems = ev.window_stems[best]
        best_words = {w for part in ev.sentence_words[window] for w in part}
        best_numbers = set().union(*ev.sentence_numbers[window])
        singles = sum(1 for w in ev.windows if w.stop - w.start == 1)
        values["window_coverage"] = coverage[best]
        values["sentence_coverage"] = max(coverage[:singles]) if singles else coverage[best]
        values["window_missing_name"] = float(sum(1 for t in content if t.kind == "name" and t.word in ev.words
                                                  and t.word not in best_words))
        values["window_missing_number"] = float(len((claim_numbers & ev.numbers) - best_numbers))
        values["window_missing_date"] = float(sum(1 for t in content if t.kind == "date" and t.word in ev.words
                                                  and t.word not in best_words))
        values["window_order"] = lcs_length(order_stems, best_stems) / n
        claim_pairs = set(zip(order_stems, order_stems[1:]))
        plain_window = [s for s in best_stems if s not in STOPWORDS]
        if claim_pairs:
            values["window_pairs"] = len(claim_pairs & set(zip(plain_window, plain_window[1:]))) / len(claim_pairs)
        else:
            values["window_pairs"] = coverage[best]
        positions = {}
        for i, s in enumerate(best_stems):
            positions.setdefault(s, i)
        placed = [positions[s] for s in dict.fromkeys(order_stems) if s in positions]
        pairs = len(placed) * (len(placed) - 1) / 2
        if pairs:
            inverted = sum(1 for i in range(len(placed)) for j in range(i + 1, len(placed)) if placed[i] > placed[j])
            values["inversions"] = inverted / pairs
        # Anchors (names, numbers, dates) must sit beside the rest of the claim: the best 1-2-sentence
        # window holding each anchor should cover the claim as well as the best window does.
        anchors = {t.word for t in content if t.kind in ("name", "number", "date") and t.word in ev.words}
        if anchors:
            near = [i for i, w in enumerate(ev.windows) if w.stop - w.start <= 2]
            anchor_coverage = min(max((coverage[i] for i in near if anchor in ev.window_words[i]), default=0.0)
                                  for anchor in anchors)
            values["anchor_coverage"] = anchor_coverage
            values["anchor_gap"] = coverage[best] - anchor_coverage
        else:
            values["anchor_coverage"] = coverage[best]
        single = max(range(singles), key=coverage.__getitem__) if singles else best
        sentence_negations = sum(_is_negation(w) for part in ev.sentence_words[ev.windows[single]] for w in part)
        values["sentence_negation_mismatch"] = float((claim_negations % 2) != (sentence_negations % 2))
        window_words = [w for part in ev.sentence_words[window] for w in part]
        window_negations = sum(_is_negation(w) for w in window_words)
        values["window_negation"] = float(window_negations)
        values["negation_mismatch"] = float((claim_negations % 2) != (window_negations % 2))
        values["evidence_negation"] = float(any(_is_negation(w) for w in ev.words))
        swaps_by_token = _swap_similarities(ev, window, claim_stem_set, len(unmatched), claim_vectors)
        values.update(_swap_summary(swaps_by_token, len(unmatched)))
        values.update(_wordnet_features(content, unmatched, swaps_by_token, set(best_stems)))
        first = _TOKEN.search(opening)
        opener = ordered[0].stem if first and first.group(0)[0].isupper() and ordered[0].word == \
            first.group(0).lower().replace("’", "'").removesuffix("'s") else None
        swaps, mutual = _role_swaps(ordered, ev.sentence_words[window], ev.sentence_stems[window], opener)
        values["role_swaps"] = float(swaps)
        values[MUTUAL_ROLE_SWAPS] = float(mutual)
        claim_words = [m.group(0).lower().replace("’", "'").removesuffix("'s") for m in _TOKEN.finditer(claim)]
        claim_scoped = _scoped_negations([claim_words], [[stem(w) for w in claim_words]], set(best_stems))
        window_scoped = _scoped_negations(ev.sentence_words[window], ev.sentence_stems[window], claim_stem_set)
        values["scoped_negation_mismatch"] = float((claim_scoped % 2) != (window_scoped % 2))
        values["unaligned_relation"] = float(_unaligned_relations(set(claim_words), best_words))
        if self.local_support:
            values.update(_local_support(content, ev))
        window_text = " ".join(ev.sentences[window])
        if self.embedder is not None:
            top = sorted(range(len(ev.windows)), key=lambda i: coverage[i], reverse=True)[:8]
            missing = [i for i in top if i not in ev.window_vectors]
            texts = [claim, *(" ".join(ev.sentences[ev.windows[i]]) for i in missing)]
            vectors = self.embedder.embed(texts)
            ev.window_vectors.update(zip(missing, vectors[1:]))
            similarity = np.stack([ev.window_vectors[i] for i in top]) @ vectors[0]
            values["cosine"] = float(similarity[0])
            values["cosine_max"] = float(similarity.max())
        return values, window_text


def _stem_index(sentence_stems: list[list[str]]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for i, stems in enumerate(sentence_stems):
        for s in dict.fromkeys(stems):
            if s not in STOPWORDS:
                index.setdefault(s, []).append(i)
    return index


def _unaligned_relations(claim_words: set[str], window_words: set[str]) -> int:
    """Relation words of the claim the window lacks; the universal quantifiers count as one word, missing
    only where the window has none of them and a partial one instead ("all" against "some")."""
    count = sum(1 for w in claim_words if w in RELATION_WORDS and w not in UNIVERSAL and w not in window_words)
    if claim_words & UNIVERSAL and window_words.isdisjoint(UNIVERSAL) and not window_words.isdisjoint(PARTIAL):
        count += 1
    return count


def _local_support(content: list[ClaimToken], ev: PreparedEvidence, reach: int = 2) -> dict[str, float]:
    """Whether each claim word the evidence holds stands there beside the claim's neighbouring words: an
    entity or number swapped for another one of the same document ("contact HR" where the document says
    "contact IT" and "Jessica from HR" elsewhere) is in the evidence, but in a sentence about something
    else. Per word found in the evidence: the largest share of its claim neighbours (up to ``reach``
    content words either side, themselves found in the evidence) that one evidence sentence holding the word
    also holds. local_min / local_mean over those words, local_anchor_min over names, numbers and dates;
    1.0 where no word has a neighbour to check."""
    found = [i for i, t in enumerate(content) if t.stem in ev.stem_sentences]
    placed = set(found)
    shares: list[float] = []
    anchors: list[float] = []
    for i in found:
        token = content[i]
        around = {content[j].stem for j in range(i - reach, i + reach + 1)
                  if j != i and j in placed and content[j].stem != token.stem}
        if not around:
            continue
        share = max(len(around & ev.sentence_sets[k]) for k in ev.stem_sentences[token.stem]) / len(around)
        shares.append(share)
        if token.kind in ("name", "number", "date"):
            anchors.append(share)
    return {"local_min": min(shares, default=1.0), "local_mean": float(np.mean(shares)) if shares else 1.0,
            "local_anchor_min": min(anchors, default=1.0)}


def _active_content(claim: str, content: list[ClaimToken]) -> tuple[list[ClaimToken], str]:
    """The claim's content tokens in active order (kinds as in the claim as written), and that text."""
    active = active_order(claim)
    if active == claim:
        return content, claim
    kinds = {t.word: t.kind for t in content}
    ordered = [ClaimToken(t.word, t.stem, kinds.get(t.word, t.kind)) for t in claim_tokens(active)
               if t.kind != "negation"]
    if sorted(t.word for t in ordered) != sorted(t.word for t in content):
        return content, claim  # the rewrite lost or added a word: keep the order as written
    return ordered, active


def _swap_similarities(ev: PreparedEvidence, window: slice, claim_stems: set[str], unaligned: int,
                       claim_vectors: np.ndarray | None) -> np.ndarray:
    """How close each unaligned claim word is to a word of the best window that the claim left out: a
    substitution. A synonym sits near the word it replaces ('pledged' for 'promised'), an antonym or an
    invented word does not ('reject' for 'approve'). One value per unaligned word (0 when nothing is
    left out to compare with)."""
    if not unaligned:
        return np.zeros(0, dtype=np.float32)
    left_out = sorted({w for words_, stems in zip(ev.sentence_words[window], ev.sentence_stems[window])
                       for w, s in zip(words_, stems) if w in ev.vocab_index and s not in claim_stems})
    if claim_vectors is None or not left_out:
        return np.zeros(unaligned, dtype=np.float32)
    best = (claim_vectors @ ev.vocab_vectors[[ev.vocab_index[w] for w in left_out]].T).max(axis=1)
    return np.clip(best, 0.0, 1.0)


def _swap_summary(best: np.ndarray, unaligned: int) -> dict[str, float]:
    """``swap_sim`` (the weakest substitution) and ``swap_mean``; 1.0 when every claim word is aligned."""
    if not unaligned:
        return {"swap_sim": 1.0, "swap_mean": 1.0}
    return {"swap_sim": float(best.min()), "swap_mean": float(best.mean())}


def _wordnet_features(content: list[ClaimToken], unmatched: list[int], swaps: np.ndarray,
                      window_stems: set[str]) -> dict[str, float]:
    """WordNet as an alignment kind and a contradiction flag (app/answer/lexicon.py), for the claim's
    content words that the evidence lacks: a synonym or a word one hypernym step away in the best window
    aligns the word ('pledged' for 'promised'), which word vectors miss; an antonym in the window that
    the claim's own word is not beside ('fell' for 'rose') marks a flipped fact.

    wordnet_synonyms / wordnet_related: unaligned words with a synonym / a synonym or near sense in the
    window; wordnet_unaligned: content words still unaligned after that; wordnet_swap_sim: the weakest
    substitution once WordNet-aligned words count as aligned (1.0 when none is left); wordnet_antonyms:
    claim words whose antonym the window holds while the word itself is not there."""
    lex = lexicon.shared()
    window = sorted(s for s in window_stems if s not in STOPWORDS)
    synonyms = related = unaligned = 0
    remaining: list[float] = []
    for position, i in enumerate(unmatched):
        token = content[i]
        if token.kind != "content":
            remaining.append(float(swaps[position]) if len(swaps) else 0.0)
            continue
        opposite = lex.antonyms(token.stem)
        candidates = [s for s in window if s not in opposite]
        if any(lex.synonym(token.stem, s) for s in candidates):
            synonyms += 1
            related += 1
        elif any(lex.related(token.stem, s) for s in candidates):
            related += 1
        else:
            unaligned += 1
            remaining.append(float(swaps[position]) if len(swaps) else 0.0)
    antonyms = sum(1 for t in content if t.kind == "content" and t.stem not in window_stems
                   and not lex.antonyms(t.stem).isdisjoint(window_stems))
    return {"wordnet_synonyms": float(synonyms), "wordnet_related": float(related),
            "wordnet_unaligned": float(unaligned), "wordnet_swap_sim": min(remaining, default=1.0),
            "wordnet_antonyms": float(antonyms)}


def _role_swaps(content: list[ClaimToken], window_words: list[list[str]], window_stems: list[list[str]],
                opener: str | None = None) -> tuple[int, int]:
    """Names of the claim that stand where another name stands in the best window: who did what to whom.
    'Okafor thanked Ruiz' for 'Ruiz thanked Okafor' keeps every word, but the claim's neighbours of
    'Okafor' are the window's neighbours of 'Ruiz'. Counts names whose claim neighbours (adjacent
    content words that are not names) match another name's window neighbours better than their own.
    ``opener``: the claim's capitalised first word, a name or not (a subject often opens the sentence).
    Returns (names placed so, pairs of names that swapped places both ways)."""
    names = {t.stem for t in content if t.kind == "name"} | ({opener} if opener else set())
    if len(names) < 2:
        return 0, 0

    def neighbours(sequence: list[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for i, s in enumerate(sequence):
            if s in names:
                out.setdefault(s, set()).update(x for x in sequence[max(0, i - 1) : i + 2] if x not in names)
        return out

    claim = neighbours([t.stem for t in content])
    window: dict[str, set[str]] = {}
    for words_, stems in zip(window_words, window_stems):
        for name, found in neighbours([s for w, s in zip(words_, stems) if w not in STOPWORDS]).items():
            window.setdefault(name, set()).update(found)
    swaps, mutual = 0, set()
    for name, around in claim.items():
        if name not in window:
            continue
        own = len(around & window[name])
        others = [other for other in window if other != name and len(around & window[other]) > own]
        swaps += bool(others)
        # Mutual: the other name's claim neighbours also stand beside this name in the window.
        mutual.update(frozenset((name, other)) for other in others if claim.get(other, set()) & window[name])
    return swaps, len(mutual | _reversed_roles(content, names, window_stems))


def _reversed_roles(content: list[ClaimToken], names: set[str], window_stems: list[list[str]]) -> set[frozenset]:
    """Pairs of names A, B where the claim says "A V … B" and a window sentence says "B V … A" (both read in
    active order; V the content word right after A in the claim): "Harbor Trust criticised union leader Maria
    Lopez" against "union leader Maria Lopez criticised Harbor Trust". Catches the swap whose names keep
    their titles as neighbours, which the neighbour test above misses. A clause moved whole ("A said B won" /
    "B won, A said") keeps V after A; "Spain beat England in the World Cup final" against "Spain won the
    World Cup, beating England" has "Cup beating" but Spain before it. For the full-sentence rule only."""
    stems = [t.stem for t in content]
    found: set[frozenset] = set()
    for i in range(len(stems) - 1):
        a, verb = stems[i], stems[i + 1]
        if a not in names or verb in names:
            continue
        later = {b for b in stems[i + 2:] if b in names and b != a}
        for sentence in window_stems:
            plain = [s for s in sentence if s not in STOPWORDS]
            for j in range(len(plain) - 1):
                if plain[j] in later and plain[j + 1] == verb and a in plain[j + 2:] and a not in plain[:j]:
                    found.add(frozenset((a, plain[j])))
    return found


def _scoped_negations(sentence_words: list[list[str]], sentence_stems: list[list[str]], targets: set[str],
                      scope: int = 4) -> int:
    """Negations whose next few words hold one of ``targets`` (the other side's content stems): a 'not' in
    a window sentence about something else does not flip the claim ('has not yet received approval' says
    nothing against 'would open a plant'). Counted per side; their parity decides the mismatch."""
    count = 0
    for words_, stems in zip(sentence_words, sentence_stems):
        for i, w in enumerate(words_):
            if _is_negation(w) and any(s in targets for s in stems[i + 1 : i + 1 + scope]):
                count += 1
    return count

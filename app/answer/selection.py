"""The learned answerer: a trained model picks the sentence that answers, a calibrated probability
decides whether to answer at all. Every quoted sentence is verbatim and cited, as before.

Features live in app/retrieval/features.py; the models and the refusal threshold come from
training/train_answers.py (trained on 2022–2023 RealTimeQA questions, measured on 2024: docs/answers.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from app.answer.alignment import MONTHS, WEEKDAYS
from app.answer.citations import CitationBook
from app.answer.extractive import (
    Candidate,
    acronyms,
    candidate_sentences,
    missing_names,
    near_duplicate,
    refusal,
    restates,
)
from app.answer.models import Answer, AnswerSentence
from app.answer.scoring import QuestionScorer
from app.embed import Embedder
from app.retrieval.features import (
    RECENCY_FEATURES,
    SENTENCE_FEATURES,
    SYNONYM_FEATURES,
    DocFreq,
    QuestionTerms,
    cached_stem,
    question_terms,
    recency_rows,
    sentence_row,
    sentence_slot_row,
    sentence_synonym_row,
    starts_with_pronoun,
    synonym_covered,
    text_terms,
)
from app.retrieval.learned import AnswerModels
from app.retrieval.service import Passage
from app.text import QUESTION_WORDS, STOPWORDS, content_words, named, names_with_known, proper_names, words

SENTENCE_PASSAGES = 5  # passages whose sentences compete (the reranked top 5 hold an answer for most questions)
HEURISTIC_WEIGHT = 5.0  # measured on 2022–2023 questions (docs/answers.md, "Choosing the constants")
_HEURISTIC = SENTENCE_FEATURES.index("heuristic_score")
_EXTRA_READERS = {*SYNONYM_FEATURES, *RECENCY_FEATURES, "top_syn_coverage", "top_syn_combined", "top_age_vs_newest",
                  "top_freshest", "top5_freshest"}
_NO_EXTRA = [0.0] * (len(SYNONYM_FEATURES) + len(RECENCY_FEATURES))
MISSING_TERMS_FEATURES = ("top5_missing_idf", "top5_missing_max")  # missing_terms_features' keys
EXTRA_SENTENCE_MARGIN = 1.5  # a further sentence is quoted when its score is within this of the best (same doc)


@dataclass(slots=True)
class Selection:
    """Scored sentences (best first) and the answerability features of the question."""

    candidates: list[Candidate]
    logits: np.ndarray
    rows: list[list[float]]
    answerability: dict[str, float]


def _sigmoid(x: float) -> float:
    return float(1 / (1 + np.exp(-x)))


class SentenceSelector:
    def __init__(self, models: AnswerModels, embedder: Embedder, doc_freq: DocFreq | None = None) -> None:
        self.models = models
        self.embedder = embedder
        self.doc_freq = doc_freq
        self.heuristic = QuestionScorer(embedder, doc_freq)
        # the selector may read a subset of the computed features (training/train_answers.py SELECTOR_FEATURES)
        self.columns = [SENTENCE_FEATURES.index(n) for n in models.sentences.features] if models else []
        # The synonym and recency columns cost about 0.1 ms a sentence: computed for training (no models) and
        # when a shipped model reads them, zeros otherwise (docs/answers.md, "Synonyms and recency").
        reads = set(models.sentences.features) | set(models.answerability.features) if models else None
        self.extra_columns = reads is None or bool(reads & _EXTRA_READERS)
        # question terms no passage mentions: for training, or a model that reads them (the shipped one does not)
        self.missing_terms = reads is None or bool(reads & set(MISSING_TERMS_FEATURES))

    def index_chunks(self) -> int | None:
        """Chunks in the index the question is asked over, for the threshold by index size; None (the full
        index's threshold) without document frequencies, and when background word frequencies are blended in:
        the blend lifts the answerability inputs of a small index, and the size thresholds were measured without
        it (docs/answers.md, *Small indexes: a threshold that follows the index's size*)."""
        if self.doc_freq is None or hasattr(self.doc_freq, "local"):
            return None
        return int(self.doc_freq([])[1])

    def candidates_and_rows(self, question: str, passages: list[Passage], terms: QuestionTerms | None = None
                            ) -> tuple[list[Candidate], list[list[float]], QuestionTerms]:
        """Sentences of the top passages with their selector features (training reads the same rows)."""
        terms = terms or question_terms(question, self.doc_freq)
        top = passages[:SENTENCE_PASSAGES]
        candidates = [c for c in candidate_sentences(top) if not restates(c.text, question)]
        if not candidates:
            return [], [], terms
        heuristic = self.heuristic.score(question, [c.text for c in candidates], [c.passage.title for c in candidates],
                                         [c.previous for c in candidates], [c.passage.text for c in candidates])
        index_in_passage: dict[str, int] = {}
        recency = (dict(zip((p.chunk_id for p in top), recency_rows([p.published_at for p in top])))
                   if self.extra_columns else {})
        rows = []
        for c, h in zip(candidates, heuristic):
            i = index_in_passage.get(c.passage.chunk_id, 0)
            index_in_passage[c.passage.chunk_id] = i + 1
            rows.append(sentence_row(terms, c.text, c.previous, c.passage.title, c.passage.score, c.rank,
                                     h.similarity, i + c.passage.chunk_index * 8)
                        + [h.score, h.coverage, h.context_coverage, h.type_match]
                        + sentence_slot_row(terms, c.text)
                        + (sentence_synonym_row(terms, c.text, c.previous, c.passage.title)
                           + recency[c.passage.chunk_id] if self.extra_columns else _NO_EXTRA))
        return candidates, rows, terms

    def select(self, question: str, passages: list[Passage]) -> Selection:
        candidates, rows, terms = self.candidates_and_rows(question, passages)
        logits = blended_logits(self.models.sentences.score([[r[i] for i in self.columns] for r in rows]), rows)
        order = np.argsort(-logits, kind="stable")
        candidates = [candidates[i] for i in order]
        rows = [rows[i] for i in order]
        logits = logits[order]
        features = answerability_features(len(terms.stems), [p.score for p in passages], rows, logits)
        # A name the question asks about that no passage mentions: strong evidence, not a hard rule.
        features["names_missing"] = float(bool(missing_names(question, passages[:SENTENCE_PASSAGES])))
        if self.missing_terms:
            features.update(missing_terms_features(terms, passages[:SENTENCE_PASSAGES], self.doc_freq))
        return Selection(candidates, logits, rows, features)


def missing_terms_features(terms: QuestionTerms, passages: list[Passage], doc_freq: DocFreq | None = None
                           ) -> dict[str, float]:
    """How much of the question no answer passage mentions (text or headline): the IDF-weighted share of its
    content words found in none of them, and the largest such IDF against the question's largest. A constructed
    unanswerable keeps the event's coverage but often loses the article holding the question's rarest words
    (docs/answers.md, "Missing question terms": measured, not shipped)."""
    units = question_units(terms, doc_freq)
    seen: set[str] = set()
    us = False
    for p in passages:
        for text in (p.text, p.title):
            seen |= text_terms(text).stem_set
            # a passage's hyphenated words mention their parts too ("US-supplied" mentions "supplied")
            seen.update(cached_stem(part) for w in words(text) if "-" in w for part in w.split("-") if part)
            us = us or "us" in acronyms(text)
    if us:  # "U.S." or "United States" in a passage: the question's "US" is mentioned (the name check's rule)
        seen.add("us")
    stems = list(units)
    # a stem counts as mentioned through an irregular form's base or a WordNet synonym too ("went" ~ "accompanied",
    # "met" as "meet"): exact stems refused the sample articles' spec questions
    covered = synonym_covered(replace(terms, stems=stems), seen)
    missing = [units[s] for s, found in zip(stems, covered) if not found]
    total, rarest = sum(units.values()), max(units.values(), default=0.0)
    if total <= 0:
        return {"top5_missing_idf": 0.0, "top5_missing_max": 0.0}
    return {"top5_missing_idf": sum(missing) / total,
            "top5_missing_max": max(missing, default=0.0) / rarest if rarest > 0 else 0.0}


def question_units(terms: QuestionTerms, doc_freq: DocFreq | None) -> dict[str, float]:
    """The question's content stems with the IDF weight ``missing_terms_features`` gives them. A hyphenated word
    counts through its parts ("roll-away" as "roll" and "away": the index holds no compound as one word, so the
    whole would always read as missing), and a word the corpus never holds counts for nothing (no passage can
    mention it, answerable or not: 2024's "misbehaviour", "Botswanan"). Without document frequencies every stem
    keeps the question's own weight (1 each, or what ``question_terms`` gave), parts 1 each."""
    raw = content_words(terms.text)
    pieces: list[tuple[str, str, bool]] = []  # (stem, word to look up, is a part of a hyphenated word)
    for w in raw:
        if "-" in w:
            pieces += [(cached_stem(part), part, True) for part in w.split("-")
                       if part and part not in STOPWORDS and part not in QUESTION_WORDS]
        else:  # "trump's" is looked up as "trump" (its stem; the index holds no apostrophe compound as one word)
            pieces.append((cached_stem(w), re.split(r"['’]", w)[0] or w, False))
    looked_up = [word for _, word, _ in pieces]
    df, total = doc_freq(looked_up) if doc_freq is not None and pieces else ({}, 0)
    # held by an indexed chunk: the index's own counts, also when the weights blend in news's
    # (app/retrieval/background.py), whose count for a word no chunk holds is small but not 0
    own = getattr(doc_freq, "local", None)
    held = own(looked_up)[0] if own is not None and pieces else df
    total = max(total, 1)
    units: dict[str, float] = {}
    for stem, word, part in pieces:
        if doc_freq is None:
            weight = 1.0 if part else terms.idf.get(stem, 1.0)
        else:
            n = df.get(word, 0)
            weight = math.log(1 + (total - n + 0.5) / (n + 0.5)) if held.get(word, 0) > 0 else 0.0
        units[stem] = max(units.get(stem, 0.0), weight)
    return units


def blended_logits(logits: np.ndarray, rows: list[list[float]] | np.ndarray) -> np.ndarray:
    """The selector's margin plus HEURISTIC_WEIGHT × the hand-weighted scorer's score: the trees learn a
    strong lead-sentence prior from news, and the heuristic's soft question matching keeps a sentence
    that answers the question ahead of a lead that only shares its topic (docs/answers.md)."""
    if not len(rows):
        return logits
    heuristic = np.asarray(rows, dtype=float)[:, _HEURISTIC]
    return logits + HEURISTIC_WEIGHT * heuristic


def answerability_features(n_terms: int, passage_scores: list[float], rows: list[list[float]],
                           logits: np.ndarray) -> dict[str, float]:
    """Question-level evidence that the passages hold an answer: how sure the selector and ranker are, how
    well the best sentence fills the slot the question asks about, and whether other passages agree.
    ``rows``/``logits``: the selector's sentences, best first (training reads the same numbers)."""
    top = rows[0] if rows else None
    col = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
    scores = passage_scores

    def best(name: str, default: float = 0.0) -> float:
        return top[col[name]] if top else default

    confident = [i for i, x in enumerate(logits) if x >= 0.0]  # blended score ≥ 0 (as trained)
    top5 = rows[:5]
    return {
        "top_logit": float(logits[0]) if len(logits) else -10.0,
        "second_logit": float(logits[1]) if len(logits) > 1 else -10.0,
        "top_passage": float(scores[0]) if scores else -10.0,
        "passage_margin": float(scores[0] - scores[min(4, len(scores) - 1)]) if scores else 0.0,
        "top_coverage": best("coverage"),
        "top_name_cov": best("name_cov"),
        "top_type": best("type_present"),
        "n_q_terms": float(n_terms),
        "top_heuristic": max((r[col["heuristic_score"]] for r in rows), default=0.0),
        "top_focus": best("focus_distance", 1.0),
        "top_proximity": best("proximity"),
        "top_soft_coverage": best("soft_coverage"),
        "top_similarity": best("similarity"),
        "top_own_coverage": best("own_coverage"),
        "n_confident": math.log1p(len(confident)),
        "passages_agreeing": float(len({rows[i][col["passage_rank"]] for i in confident})),
        "mean_top3_logit": float(np.mean(logits[:3])) if len(logits) else -10.0,
        # the answer slot: does the best sentence (do the 5 best) hold a filler of the asked kind?
        "slot_typed": best("slot_typed"),
        "top_slot_filled": float(best("slot_fillers") > 0),
        "top_slot_distance": best("slot_focus_distance", 1.0),
        "top5_slot_filled": float(np.mean([r[col["slot_fillers"]] > 0 for r in top5])) if top5 else 0.0,
        "top5_slot_head_near": max((r[col["slot_head_near"]] for r in top5), default=0.0),
        # WordNet-synonym coverage of the best sentence ("pledge" ~ "promised"), and how fresh its passage is
        # among the answer passages (a question asked as of a date is usually answered by the newest report)
        "top_syn_coverage": best("syn_coverage"),
        "top_syn_combined": best("syn_combined"),
        "top_age_vs_newest": best("age_vs_newest"),
        "top_freshest": best("freshest"),
        "top5_freshest": float(np.mean([r[col["freshest"]] for r in top5])) if top5 else 0.0,
    }


def _below(p: float, threshold: float) -> str:
    """"0.22 < 0.29"; three decimals where two would print the two equal ("0.314 < 0.315", a bar between anchors)."""
    digits = 2 if f"{p:.2f}" != f"{threshold:.2f}" else 3
    return f"{p:.{digits}f} < {threshold:.{digits}f}"


class LearnedAnswerer:
    """Quote the selected sentence(s) when P(answerable) clears the threshold chosen on 2022–2023 data."""

    def __init__(self, selector: SentenceSelector, max_sentences: int = 3, by_index_size: bool = True) -> None:
        self.selector = selector
        self.max_sentences = max_sentences
        self.by_index_size = by_index_size

    @property
    def threshold(self) -> float:
        """The refusal threshold for this index's size: over a few dozen articles the answerability inputs run
        lower than over the full index the model was fitted on (app/models/answerability_by_size.json)."""
        return self.selector.models.threshold(self.selector.index_chunks() if self.by_index_size else None)

    def answer(self, question: str, passages: list[Passage]) -> Answer:
        if not passages:
            return refusal("no passage in the index matches the question")
        selection = self.selector.select(question, passages)
        if not selection.candidates:
            return refusal("the passages only restate the question")
        p = self.selector.models.answerability.probability(selection.answerability)
        threshold = self.threshold
        if not p >= threshold:  # also refuses a NaN probability (e.g. a question of no words)
            missing = missing_names(question, passages[:SENTENCE_PASSAGES])
            why = (f"the passages never mention {named(sorted(missing))}" if missing
                   else "the passages do not seem to hold an answer")
            return refusal(f"{why} (answerability {_below(p, threshold)})")
        years = question_years(question)
        if years:
            # "Who won the 2022 World Cup?" over a 2023 final: only sentences of articles that speak of that year,
            # and answered only when they, without the others, still clear the threshold
            of_year = of_years(selection, years, passages[:SENTENCE_PASSAGES])
            if not of_year.candidates:
                return refusal(f"no passage speaks of {', '.join(sorted(years))}")
            if of_year is not selection:
                p = self.selector.models.answerability.probability({**selection.answerability, **answerability_features(
                    int(selection.answerability["n_q_terms"]), [c.passage.score for c in of_year.candidates],
                    of_year.rows, of_year.logits)})
                if not p >= threshold:
                    return refusal(f"no passage that speaks of {', '.join(sorted(years))} seems to hold an answer"
                                   f" (answerability {_below(p, threshold)})")
                selection = of_year
        return compose(selection, self.max_sentences, p)

    def best_passages(self, question: str, passages: list[Passage], n: int) -> tuple[list[Passage], float]:
        """The passages holding the best sentences (fewer, better: the LLM's context) and P(answerable)."""
        selection = self.selector.select(question, passages)
        if not selection.candidates:
            return passages[:n], 0.0
        p = self.selector.models.answerability.probability(selection.answerability)
        chosen: list[Passage] = []
        for c in selection.candidates:
            if c.passage not in chosen:
                chosen.append(c.passage)
            if len(chosen) >= n:
                break
        return chosen, p


# A year the question names: four digits 1900–2099, not inside a figure ("2,023", "$2023", "20234") nor a decade
# ("the 1920s"); "since 2017" is a reference point the answer need not repeat ("for the first time in five years").
YEAR = re.compile(r"(?<![\d$])(?<!\d[,.])(?:19|20)\d\d(?!\d|[,.]\d|s\b)")
_SINCE_YEAR = re.compile(r"\bsince\s+(?:(?:early|late|mid|the\s+end\s+of)\s+)?((?:19|20)\d\d)\b", re.I)


# A figure that only looks like a year: a count of people or things ("2000 people", "1998 homes"), one of two
# figures of its size the other of which is no year ("2000 or 3000"), or one after "more than", "nearly" ("no passage
# speaks of 2000" refused "How many died in Morocco, 2000 or 3000?"). After "in", "since", "by" … it is a year
# ("in 2015 to 40 people"), and so is one beside a small figure ("in 2015 or 10 years later").
_COUNTED = re.compile(r"\s+(?:people|persons|residents|deaths|dead|victims|soldiers|troops|homes|houses|buildings|"
                      r"migrants|refugees|children|families|patients|civilians|casualties|lives|flats)\b", re.I)
_SIZED = r"(?:\d{3,}|\d{1,3}(?:,\d{3})+)(?:\.\d+)?"  # a figure a year could be mistaken for, or be: 3+ digits
_OTHER_FIGURE_AFTER = re.compile(rf"\s*(?:or|to)\s+(?!(?:19|20)\d\d(?!\d|[,.]\d)){_SIZED}(?![\d,.]*\d)", re.I)
_OTHER_FIGURE_BEFORE = re.compile(rf"(?<![\d,.])({_SIZED})\s*(?:or|to)\s+$", re.I)
_COUNT_BEFORE = re.compile(r"\b(?:(?:more|fewer|less)\s+than|at\s+least|nearly|almost|roughly|approximately)\s+$",
                           re.I)
_YEAR_BEFORE = re.compile(r"\b(?:in|since|during|by|until|before|after|of|from|between)\s+$", re.I)


def _counts(question: str, match: re.Match) -> bool:
    before, after = question[:match.start()], question[match.end():]
    if _YEAR_BEFORE.search(before):
        return False
    if _COUNTED.match(after) or _COUNT_BEFORE.search(before) or _OTHER_FIGURE_AFTER.match(after):
        return True
    other = _OTHER_FIGURE_BEFORE.search(before)
    return bool(other) and not YEAR.fullmatch(other.group(1).rstrip(",."))


def question_years(question: str) -> set[str]:
    """The years a question is about ("the 2022 World Cup", "in 2023"), as strings."""
    years = {m.group(0) for m in YEAR.finditer(question) if not _counts(question, m)}
    return years - set(_SINCE_YEAR.findall(question))


def speaks_of(article_id: str, years: set[str], passages: list[Passage]) -> bool:
    """Whether the article's retrieved passages (or their headline) say every year, or it was published in it. When
    its passages name no year at all, within a year of publication counts too (a year-end review, a forecast for
    next year); a text that names other years is about them ("the 2023 final" does not answer "2022")."""
    said: set[str] = set()
    published: set[int] = set()
    for p in passages:
        if p.article_id != article_id:
            continue
        said |= set(YEAR.findall(p.title)) | set(YEAR.findall(p.text))
        if (p.published_at or "")[:4].isdigit():
            published.add(int(p.published_at[:4]))
    dated = {str(y + d) for y in published for d in ((-1, 0, 1) if not said else (0,))}
    return years <= said | dated


def of_years(selection: Selection, years: set[str], passages: list[Passage]) -> Selection:
    """Only the sentences whose article speaks of the question's years, in the same order. Without it "Which city
    will host the 2019 Democratic National Convention?" quoted 2024's and "Who won Best Director at the 2018 Golden
    Globes?" 2023's winner: on 2022–2023 questions with their year moved five years back, 0 of 25 were refused;
    with it 20 of 25, for one right answer lost of 373 (docs/answers.md, *A year the question names*)."""
    spoken = {a: speaks_of(a, years, passages) for a in {c.passage.article_id for c in selection.candidates}}
    keep = [i for i, c in enumerate(selection.candidates) if spoken[c.passage.article_id]]
    if len(keep) == len(selection.candidates):
        return selection
    return Selection([selection.candidates[i] for i in keep], selection.logits[keep],
                     [selection.rows[i] for i in keep], selection.answerability)


def _quote_start(candidate: Candidate) -> int:
    """Where the candidate's quote starts: at the sentence before it when it opens with a pronoun."""
    if starts_with_pronoun(candidate.text) and candidate.previous_start is not None:
        return candidate.previous_start
    return candidate.start


def _inside(article_id: str, start: int, end: int, spans: list[tuple[str, int, int]]) -> bool:
    return any(a == article_id and s <= start and end <= e for a, s, e in spans)


def _unnamed_elsewhere(candidate: Candidate, chosen: list[Candidate]) -> bool:
    """A further sentence from an article no quoted sentence comes from that names no one and nowhere: read after
    the quotes before it, "The death toll rose to nearly 3,000…" (Morocco's) answered "What was the death toll in
    Derna?" as if it were Derna's (a README walkthrough; the summaries' rule, app/summarize/facts.py). What is read
    is the quote (a pronoun sentence arrives with the one before it). A capitalised first word counts as a name when
    the passage also capitalises it mid-sentence, as ``facts_of`` reads names ("Libya says …" names Libya;
    "Thousands …" names nothing); weekdays and months never count ("The toll rose on Friday …")."""
    if any(c.passage.article_id == candidate.passage.article_id for c in chosen):
        return False
    passage = candidate.passage
    quote = passage.text[_quote_start(candidate) - passage.char_start: candidate.end - passage.char_start]
    return not (names_with_known(quote, proper_names(passage.text)) - WEEKDAYS - MONTHS)


def compose(selection: Selection, max_sentences: int, probability: float) -> Answer:
    """Best sentence first; more only when nearly as likely. A sentence opening with a pronoun is quoted
    with the sentence before it, so "He said…" arrives with who "he" is; a sentence that quote already
    holds is not quoted again."""
    best = selection.logits[0]
    chosen: list[tuple[Candidate, float, int]] = []  # candidate, P(holds the answer), where its quote starts
    for candidate, logit, row in zip(selection.candidates, selection.logits, selection.rows):
        prob = _sigmoid(logit - HEURISTIC_WEIGHT * row[_HEURISTIC])  # the selector's own P(holds the answer)
        if len(chosen) >= max_sentences or (chosen and logit < best - EXTRA_SENTENCE_MARGIN):
            break
        if candidate.text.rstrip("\"'”’) ").endswith("?"):
            continue
        if any(near_duplicate(candidate.text, other.text) for other, _, _ in chosen):
            continue
        if chosen and _unnamed_elsewhere(candidate, [c for c, _, _ in chosen]):
            continue
        # the same words are not cited twice ([153,295) beside [153,213)): a pronoun sentence whose antecedent is
        # quoted already stands alone, and a sentence a chosen quote holds is left out (a cut sentence and its
        # whole, from two chunks, are both kept: the whole says more)
        article, start = candidate.passage.article_id, _quote_start(candidate)
        quoted = [(c.passage.article_id, s, c.end) for c, _, s in chosen]
        if start != candidate.start and any(_inside(a, s, e, [(article, start, candidate.end)]) for a, s, e in quoted):
            start = candidate.start
        if not _inside(article, start, candidate.end, quoted):
            chosen.append((candidate, prob, start))
    if not chosen:
        return refusal("no sentence states an answer")
    book = CitationBook()
    sentences = []
    for c, prob, start in chosen:
        text = c.passage.text[start - c.passage.char_start: c.end - c.passage.char_start] if start != c.start else c.text
        sentences.append(AnswerSentence(text, [book.cite(c.passage, start, c.end)], support=round(prob, 4)))
    answer_text = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
    return Answer(answer=answer_text, answerable=True, citations=book.citations, sentences=sentences)

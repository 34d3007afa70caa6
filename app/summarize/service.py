"""Extractive summaries, in reading (or date) order, each sentence cited.

Article summaries pick sentences that cover distinct facts (who, what, where, when, consequences;
app/summarize/facts.py), so a bullet highlight that restates a body sentence is chosen at most once.
Topic summaries retrieve across articles, keep on-topic sentences, select central non-redundant ones
(MMR), order by publication date, and state disagreements between sources explicitly.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from app.answer.citations import CitationBook
from app.answer.extractive import missing_names
from app.answer.models import AnswerSentence, Citation
from app.answer.service import within_filters
from app.config import ANCHOR_RULES, TOPIC_ANCHOR_RULE
from app.embed import Embedder
from app.llm.status import LLMStatus
from app.request_types import blank, search_text
from app.retrieval.features import starts_with_pronoun
from app.retrieval.service import Passage, RetrievalService
from app.store.models import Filters, StoredArticle
from app.store.records import RecordStore
from app.summarize.candidates import (
    MAX_SUMMARY_CANDIDATES,
    SENTENCE_END,
    Unit,
    dedupe_spans,
    first_per_article,
    in_date_order,
    mmr_select,
    order_key,
    summary_candidates,
    word_count,
)
from app.summarize.conflicts import as_written, find_conflicts
from app.summarize.facts import Candidate, covered, names_something, read_facts, select_facts
from app.summarize.llm import LLMSummarizer
from app.summarize.topics import (
    PREFERRED,
    anchor_words,
    distinctive_words,
    in_dictionary,
    index_forms,
    never_indexed,
    on_topic,
    topic_acronyms,
    topic_anchor,
)
from app.text import content_terms, content_words, named, sentence_spans, stem

# What one summary request may ask for (the API, the CLI, the MCP tool and Slack check them): a topic is read like a
# question, and its words are searched and scored, so it is capped as questions are; a summary of more articles
# than this would cite at most a sentence or two of each.
MAX_TOPIC_CHARS = 2000
MAX_SUMMARY_ARTICLES = 100
MIN_SUMMARY_WORDS, MAX_SUMMARY_WORDS = 20, 1000
# How much article text one summary reads. Selection compares every sentence with every other one, so its time and
# memory grow with the square of the sentences: an accepted 860 KB article took 5 minutes and a 15 MB one crashed
# the server. Its first 100,000 characters (about 16,000 words, far beyond any news story) summarise in under a
# second (docs/summaries.md, "Long articles"); the articles of one summary share MAX_SUMMARY_CHARS, each reading at
# least MIN_ARTICLE_SUMMARY_CHARS (its lead), so 100 articles read 500,000.
MAX_ARTICLE_SUMMARY_CHARS = 100_000
MAX_SUMMARY_CHARS = 300_000
MIN_ARTICLE_SUMMARY_CHARS = 5_000
MAX_CONFLICT_STATEMENTS = 1_500
_CUT_LOOKAHEAD = 2_000  # text split past the cut, so that the sentence the cut runs through can be told and left out


def article_summary_chars(n_articles: int) -> int:
    """The characters of each article that a summary of ``n_articles`` articles reads."""
    return max(MIN_ARTICLE_SUMMARY_CHARS, min(MAX_ARTICLE_SUMMARY_CHARS, MAX_SUMMARY_CHARS // max(n_articles, 1)))


class ArticleNotFound(LookupError):
    """Ids no stored article has; ``str`` is the ids (the API's 404 detail), ``message`` the sentence the CLI and
    MCP say ("no article with id 'nope'", quoted as `delete` quotes it)."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = list(ids)
        super().__init__(", ".join(self.ids))

    def __reduce__(self):  # rebuilt from the ids, not from the joined string (a copy or a pickle)
        return type(self), (self.ids,)

    @property
    def message(self) -> str:
        if len(self.ids) == 1:
            return f"no article with id {self.ids[0]!r}"
        return f"no articles with ids {', '.join(repr(i) for i in self.ids)}"


class InvalidSummaryRequest(ValueError):
    """A summary request outside the caps below: every adapter shows this message as its bad-input error (a 422,
    an MCP tool error, a CLI ``error:`` line), so they refuse the same requests in the same words."""


def checked_topic(topic: str) -> str:
    """The topic as it is searched: NFKC (app/request_types.search_text), stripped, not empty, at most
    MAX_TOPIC_CHARS (counted after both); control characters alone are empty."""
    topic = search_text(topic).strip()
    if blank(topic):
        raise InvalidSummaryRequest("the topic is empty")
    if len(topic) > MAX_TOPIC_CHARS:
        raise InvalidSummaryRequest(f"the topic is longer than {MAX_TOPIC_CHARS} characters ({len(topic)})")
    return topic


def checked_article_ids(article_ids: list[str]) -> list[str]:
    if not article_ids:
        raise InvalidSummaryRequest("no article ids given")
    if len(article_ids) > MAX_SUMMARY_ARTICLES:
        raise InvalidSummaryRequest(f"at most {MAX_SUMMARY_ARTICLES} article ids in one summary, not {len(article_ids)}")
    return article_ids


def checked_max_words(max_words: int) -> int:
    if isinstance(max_words, bool) or not MIN_SUMMARY_WORDS <= max_words <= MAX_SUMMARY_WORDS:
        raise InvalidSummaryRequest(f"max_words must be a whole number from {MIN_SUMMARY_WORDS} to "
                                    f"{MAX_SUMMARY_WORDS}, not {max_words!r}")
    return max_words


def summary_target(article_ids: list[str] | None, topic: str | None, narrowed: str = ""
                   ) -> tuple[list[str] | None, str | None]:
    """The one check of what a summary request asks for (the API, the MCP tool and the CLI call it): article ids or
    a topic, not both; an empty list, null or "" counts as not given beside article ids, and a topic of "" or
    spaces alone is an empty topic.
    ``narrowed``: the filters or as_of given (their names), which only a topic summary reads: with article ids they
    were ignored with a 200, as if applied. Returns (the ids, None) or (None, the stripped topic);
    InvalidSummaryRequest otherwise."""
    has_topic = topic not in (None, "")
    if article_ids and has_topic:
        raise InvalidSummaryRequest("give article ids or a topic, not both")
    if article_ids and narrowed:
        them = "them" if " and " in narrowed else "it"
        raise InvalidSummaryRequest(f"{narrowed}: only a topic summary reads {them}; a summary of articles takes the "
                                    f"ids given (leave {them} out, or give a topic)")
    if article_ids:
        return checked_article_ids(list(article_ids)), None
    if topic == "":  # nothing else asked for: "" is an empty topic, as "   " is ("give article ids or a topic" misled)
        raise InvalidSummaryRequest("the topic is empty")
    if not has_topic:
        raise InvalidSummaryRequest("give article ids or a topic")
    return None, checked_topic(topic)


@dataclass
class Summary:
    summary: str
    citations: list[Citation]
    sentences: list[AnswerSentence]
    article_ids: list[str]
    conflicts: list[dict] = field(default_factory=list)
    mode: str = "extractive"
    guard: dict | None = None
    usage: dict | None = None
    answerable: bool = True
    refusal_reason: str | None = None
    facets: dict[str, list[int]] | None = None  # extractive article summaries: facet -> indexes into sentences
    truncated: list[str] = field(default_factory=list)  # articles summarised from their first part only
    fallback: dict | None = None  # {from: "llm", reason, tried}: the LLM failed or was cooling down, as for answers


TOPIC_REFUSAL = "No indexed article covers this topic, so there is nothing to summarise without guessing."


def nothing_fits(max_words: int) -> Summary:
    """No sentence could be quoted within the word budget (each is longer, or leans on a longer one before it: "He
    said…"): an empty summary marked answerable read as "nothing to say", so it is a refusal that says why
    (sentences are quoted whole, never cut)."""
    return Summary(summary=f"No sentence could be quoted whole within {max_words} words.", citations=[], sentences=[],
                   article_ids=[], answerable=False,
                   refusal_reason=f"no sentence could be quoted whole within max_words={max_words}")
class SummarizeService:
    def __init__(self, records: RecordStore, retrieval: RetrievalService, embedder: Embedder,
                 llm: LLMSummarizer | None = None, llm_fallback: bool = True, *, topic_anchor: str = "off",
                 headline_mentions: bool = True, llm_status: LLMStatus | None = None) -> None:
        self.records = records
        self.llm_status = llm_status or LLMStatus("extractive")
        self.retrieval = retrieval
        self.embedder = embedder
        self.llm = llm
        self.llm_fallback = llm_fallback  # CITEWIRE_LLM_FALLBACK_EXTRACTIVE, as for answers
        # which topic words may anchor it (ANCHOR_RULES); "off": the rule before (benchmarks/topic_summaries.py)
        self.topic_anchor = topic_anchor
        # a sentence of an article whose headline names the topic is about it ("floods": the Derna article's
        # headline says "Floods", its text never does); docs/summaries.md, benchmarks/topic_summaries.py "no-headline"
        self.headline_mentions = headline_mentions
        parsed = TOPIC_ANCHOR_RULE.fullmatch(topic_anchor)
        if parsed is None:
            raise ValueError(f"unknown topic anchor rule {topic_anchor!r}: one of {ANCHOR_RULES}, coverage-R "
                             "(0 < R <= 1) or distinctive-S (0 < S <= 1), optionally ':prefer'")
        self._anchor_rule, self._anchor_mode = parsed["rule"], "prefer" if parsed["prefer"] else ""
        self._coverage = float(parsed["ratio"]) if parsed["ratio"] else None
        self._distinctive_share = float(parsed["share"]) if parsed["share"] else None

    # --- entry points ---------------------------------------------------------------------------
    def summarize_articles(self, article_ids: list[str], max_words: int = 120) -> Summary:
        checked_article_ids(article_ids), checked_max_words(max_words)  # any caller: Slack, evals, scripts
        ids = list(dict.fromkeys(article_ids))
        articles, chunks = self._articles_and_chunks(ids)
        read = article_summary_chars(len(ids))
        cut = {a for a in ids if len(articles[a].text) > read}
        # Sentence units feed the extractive selection and, across articles, the conflict notes.
        units = ([u for a in ids for u in self._article_units(articles[a], chunks[a], read)]
                 if (not self.llm or len(ids) > 1) else [])
        # articles whose later sentences the candidate cap leaves out were read in part too
        candidates, capped = first_per_article(summary_candidates(units, cap=None), MAX_SUMMARY_CANDIDATES)
        truncated = [a for a in ids if a in cut or a in capped]
        book = CitationBook()
        notes = self._disagreements(units, max_words) if len(ids) > 1 else []
        budget = max_words - sum(n.words for n in notes)
        def extractive() -> Summary:
            pool = candidates or summary_candidates(
                [u for a in ids for u in self._article_units(articles[a], chunks[a], read)])
            chosen, facets = self._select_facts(pool, budget)
            shown = notes
            if not chosen and notes:  # a note alone says numbers without what they count: the sentences instead
                shown, (chosen, facets) = [], self._select_facts(pool, max_words)
            if not chosen:
                return nothing_fits(max_words)
            summary = self._compose(chosen, ids, book, shown)
            summary.facets = facets
            return summary

        if self.llm:
            ordered = sorted(ids, key=lambda a: (articles[a].published_at or "9999", a))
            passages = [self._chunk_passage(articles[a], c) for a in ordered for c in chunks[a] if c.char_start < read]
            summary = self._compose_llm(passages, budget, ids, book, notes, extractive)
        else:
            summary = extractive()
        summary.truncated = truncated
        return summary

    def summarize_topic(self, topic: str, max_words: int = 150, filters: Filters | None = None,
                        top_k: int = 12, as_of: date | None = None) -> Summary:
        """``as_of`` as for a question: nothing published after it (default: now)."""
        topic, _ = checked_topic(topic), checked_max_words(max_words)
        passages = self.retrieval.search(topic, top_k=top_k, filters=filters, as_of=as_of)
        reason = self._off_topic(topic, passages, self.headline_mentions)
        rule, mode = self._anchor_rule, self._anchor_mode  # "name-word" filters; "name-word:prefer" puts first
        anchored: set[str] | None = None
        texts = self._article_texts(passages) if not reason else {}  # read once: the anchor rules, mid-sentence chunks
        if not reason and rule != "off":
            if self._distinctive_share is not None:  # may refuse: no retrieved article mentions a distinctive word
                kept, reason = self._distinctive(topic, passages, self._distinctive_share, texts)
            elif self._coverage is not None:
                kept = self._covering(topic, passages, self._coverage, texts)
            else:
                kept = self._anchored(topic, passages, rule, texts)
            anchored = {p.chunk_id for p in kept}
            if mode != "prefer":
                passages = [p for p in passages if p.chunk_id in anchored]
        if reason:
            return Summary(summary=TOPIC_REFUSAL, citations=[], sentences=[], article_ids=[], answerable=False,
                           refusal_reason=reason + within_filters(filters, as_of))
        units: list[Unit] = []
        mid_sentence = self._opening_mid_sentence(passages, texts)
        for passage in passages:
            for position, span in enumerate(sentence_spans(passage.text, offset=passage.char_start)):
                if position == 0 and passage.chunk_id in mid_sentence:
                    continue  # the tail of a sentence longer than a chunk, not a sentence
                text = passage.text[span.start - passage.char_start : span.end - passage.char_start]
                units.append(Unit(passage, span.start, span.end, text, passage.published_at or "", position))
        units = on_topic(topic, dedupe_spans(units), self.headline_mentions)
        relevance = self._relevance(topic, units)
        if anchored is not None and mode == "prefer" and len(units):  # every anchored sentence ranks first
            relevance = relevance + PREFERRED * np.array([u.passage.chunk_id in anchored for u in units])
        book = CitationBook()
        most_relevant = [units[i] for i in np.argsort(-relevance)[:40]] if len(units) else []
        notes = self._disagreements(most_relevant, max_words)
        budget = max_words - sum(n.words for n in notes)
        def extractive() -> Summary:
            chosen, shown = self._select(units, budget, relevance=relevance), notes
            if not chosen and notes:  # a note alone says numbers without what they count: the sentences instead
                chosen, shown = self._select(units, max_words, relevance=relevance), []
            if not chosen:
                return nothing_fits(max_words)
            return self._compose(chosen, None, book, shown)

        if self.llm:  # a topic summary names the articles it cites, not every one retrieval looked at
            # Only the passages that mention the topic, as the extractive summary keeps only such sentences: the
            # model is not told the topic, and from every retrieved passage it summarised whatever they said
            # ("Kim Putin" as of 2023 became the Morocco earthquake and the Fed's rates).
            on_topic_passages = [p for p in passages
                                 if on_topic(topic, [Unit(p, 0, 0, p.text, "", 0)], self.headline_mentions)]
            dated = sorted(on_topic_passages, key=lambda p: (p.published_at or "9999", p.article_id, p.chunk_index))
            return self._compose_llm(dated, budget, None, book, notes, extractive)
        return extractive()

    # --- steps ---
    def _off_topic(self, topic: str, passages: list[Passage], headlines: bool = False) -> str | None:
        """Why no summary can be written: the same refusal rules as a question (nothing retrieved, or a
        name the topic is about appears in no passage: "cryptocurrency regulation in Brazil"), or a word of the
        topic that no indexed article holds and no dictionary knows: a name ("Bundesliga title race" summarised the
        Super Bowl's "title") or a typo. A dictionary word is left to the rules above: "deadly natural disasters"
        over articles that never say "deadly" or "natural" is still about their floods and earthquakes."""
        if not content_terms(topic) and not topic_acronyms(topic):  # "?!", "😀", "the": every sentence would count
            return "the topic names nothing to look for (only punctuation, symbols or common words)"
        if not passages:
            return "no passage in the index matches the topic"
        missing = missing_names(topic, passages)
        if missing:
            return f"the passages never mention {named(sorted(missing))}"
        unknown = [w for w in never_indexed(topic, self.records.document_frequencies) if not in_dictionary(w)]
        if unknown:
            return f"no indexed article mentions {named(unknown)}"
        if not any(on_topic(topic, [Unit(p, 0, 0, p.text, "", 0)], headlines) for p in passages):
            return "no passage mentions what the topic is about"
        return None

    def _article_texts(self, passages: list[Passage]) -> dict[str, str]:
        """The whole text of each retrieved article, in one read."""
        return {a.id: a.text for a in self.records.articles_by_id(p.article_id for p in passages).values()}

    @staticmethod
    def _opening_mid_sentence(passages: list[Passage], texts: dict[str, str]) -> set[str]:
        """The chunks among ``passages`` that open inside a sentence of their article (``starts_sentence``)."""
        return {p.chunk_id for p in passages if p.char_start > 0 and p.article_id in texts
                and not starts_sentence(texts[p.article_id], p.char_start + len(p.text) - len(p.text.lstrip()))}

    @staticmethod
    def _article_terms(passages: list[Passage], texts: dict[str, str]) -> dict[str, set[str]]:
        """Each retrieved article's content terms, title and whole text: a later chunk says "the city"."""
        terms: dict[str, set[str]] = {}
        for passage in passages:
            if passage.article_id not in terms:
                text = texts.get(passage.article_id, passage.text)
                terms[passage.article_id] = set(content_terms(f"{passage.title}\n{text}"))
        return terms

    def _covering(self, topic: str, passages: list[Passage], ratio: float, texts: dict[str, str]) -> list[Passage]:
        """Only passages of articles that mention at least ``ratio`` of the topic terms the best-covering retrieved
        article mentions: "interest rates" kept the Kim article for its "security interests" beside the Fed's,
        "Women's World Cup final" a Marrakech "World Heritage site" sentence. Relative to the best, so quiz
        wording no article uses ("romped") never counts against anyone."""
        wanted = set(content_terms(topic))
        terms = self._article_terms(passages, texts)
        covered = {article_id: len(wanted & held) for article_id, held in terms.items()}
        best = max(covered.values(), default=0)
        if not best:
            return passages
        return [p for p in passages if covered[p.article_id] >= ratio * best]

    def _distinctive(self, topic: str, passages: list[Passage], share: float, texts: dict[str, str]
                     ) -> tuple[list[Passage], str | None]:
        """Only passages of articles (title and whole text: a later chunk says "the city", not "Derna") that mention
        one of the topic's distinctive words (``distinctive_words``: a share of at least ``share`` of the topic's
        IDF). When no retrieved article mentions one, the topic is refused, naming the words: "measles outbreak"
        over articles on bird flu was summarised from "outbreak" alone. A topic without a distinctive word keeps
        every passage."""
        words = distinctive_words(topic, self.records.document_frequencies, share)
        if not words:
            return passages, None
        terms = self._article_terms(passages, texts)
        # an article mentions a word as written ("women's", "roll-away": content_terms keep a hyphenated whole), as
        # looked up ("women"), or through every one of its parts ("roll … away")
        whole = {stem(w) for w in words} | {stem(w) for w in content_words(topic) if re.split(r"['’]", w)[0] in words}
        parts = [{stem(f) for f in index_forms(w)} for w in words]

        def mentions(held: set[str]) -> bool:
            return bool(whole & held) or any(p and p <= held for p in parts)

        kept = [p for p in passages if mentions(terms[p.article_id])]
        if kept:
            return kept, None
        named_words = named(words)
        if not any(words.values()):
            return [], f"no indexed article mentions {named_words}"
        return [], f"none of the articles found for the topic mentions {named_words}"

    def _anchored(self, topic: str, passages: list[Passage], rule: str, texts: dict[str, str]) -> list[Passage]:
        """Only passages of articles that mention the topic's anchor: one shared common word let another event
        in ("Derna floods death toll" quoted the Morocco earthquake's "The death toll rose…", which a reader takes
        for Derna's). The anchor is the topic's rarest indexed word that a retrieved article mentions: a word no
        retrieved article holds ("romped", a typo) cannot be it. Article-level, since a later chunk of the right
        article says "the city", not "Derna"."""
        terms = self._article_terms(passages, texts)
        anchor = topic_anchor(anchor_words(topic, rule), self.records.document_frequencies,
                              set().union(*terms.values()))
        if anchor is None:
            return passages
        return [p for p in passages if stem(anchor) in terms[p.article_id]]

    @staticmethod
    def _chunk_passage(article: StoredArticle, chunk) -> Passage:
        return Passage(chunk_id=chunk.id, article_id=article.id, chunk_index=chunk.index, title=article.title,
                       source=article.source, url=article.url, published_at=article.published_at, text=chunk.text,
                       char_start=chunk.char_start, char_end=chunk.char_end, score=0.0)

    def _compose_llm(self, passages: list[Passage], max_words: int, article_ids: list[str] | None, book: CitationBook,
                     disagreements: list[Disagreement], extractive: Callable[[], Summary]) -> Summary:
        cooling = self.llm_status.cooling()
        if cooling is not None:  # the LLM failed moments ago: the extractive summary, without asking it again
            return self._outage_fallback(extractive, cooling, tried=False)
        try:
            result = self.llm.summarize(passages, max_words, book)  # what the notes leave: at least one sentence
        except Exception as exc:
            reason = self.llm_status.failed(exc)
            if reason is None:  # not an outage, or CITEWIRE_LLM_OUTAGE_FALLBACK=error: the 503/502 as before
                raise
            return self._outage_fallback(extractive, reason, tried=True)
        self.llm_status.succeeded()
        usage = result.usage | {"calls": result.map_calls}
        if not result.sentences:
            return self._or_extractive(result.guard, usage, extractive, article_ids or [])
        notes = _cited_notes(disagreements, book)
        sentences = result.sentences + [note for note, _ in notes]
        return Summary(summary=_render(sentences), citations=book.citations, sentences=sentences,
                       article_ids=article_ids if article_ids is not None else _cited_articles(book),
                       conflicts=[detail for _, detail in notes], mode="llm", guard=result.guard, usage=usage)

    def _outage_fallback(self, extractive: Callable[[], Summary], reason: str, tried: bool) -> Summary:
        """The LLM is down (CITEWIRE_LLM_OUTAGE_FALLBACK=extractive): the extractive summary, saying so."""
        summary = extractive()
        summary.mode = "extractive"
        summary.fallback = self.llm_status.fell_back(reason, tried, call="summary")
        return summary

    def _or_extractive(self, guard: dict, usage: dict, extractive: Callable[[], Summary],
                       article_ids: list[str]) -> Summary:
        """No sentence of the model's summary survived the guard (or it wrote none): as for an answer
        (AnswerService._or_extractive), the verbatim extractive summary, else a refusal; it came back as an
        empty summary with answerable true. The refusal keeps summary "" and guard.dropped, which the web page
        and Slack show as "Nothing verified"."""
        reason = ("no sentence of the model's summary is supported by the articles" if guard.get("dropped")
                  else "the model wrote no summary of the passages")
        if self.llm_fallback:
            fallback = extractive()
            if any(s.status != "conflict" for s in fallback.sentences):
                fallback.guard = guard | {"fallback": "extractive", "llm_refusal_reason": reason}
                fallback.usage = usage
                return fallback
        return Summary(summary="", citations=[], sentences=[], article_ids=article_ids, mode="llm", guard=guard,
                       usage=usage, answerable=False, refusal_reason=reason)

    def _articles_and_chunks(self, ids: list[str]) -> tuple[dict[str, StoredArticle], dict[str, list]]:
        """Each article with the chunks of the same stored version. The two are read apart, so a DELETE or a
        re-ingest in between could pair a text with no chunks (a 500) or with another version's offsets: such a
        pair is read again, and an article gone meanwhile is not found."""
        for attempt in range(3):
            articles = self.records.articles_by_id(ids)
            missing = [a for a in ids if a not in articles]
            if missing:
                raise ArticleNotFound(missing)
            chunks = {a: self.records.chunks_of(a) for a in ids}
            matching = {a: [c for c in chunks[a] if articles[a].text[c.char_start:c.char_end] == c.text] for a in ids}
            if matching == chunks and all(chunks.values()) or attempt == 2 and all(matching.values()):
                return articles, matching  # on the last try, an article still being rewritten: its chunks that fit
        raise ArticleNotFound([a for a in ids if not matching[a]])

    def _article_units(self, article: StoredArticle, chunks: list, max_chars: int | None = None) -> list[Unit]:
        """The article's sentences, from its first ``max_chars`` characters only when given (a sentence the cut
        runs through is left out, unless it is the only one)."""
        units = []
        if max_chars and len(article.text) > max_chars:
            # split a little past the cut and keep the sentences that end before it (a sentence's span ends at its
            # last word, so a cut inside a sentence's spaces would otherwise keep its first half); one sentence
            # longer than the cut is all there is: its first max_chars
            spans = [span for span in sentence_spans(article.text[:max_chars + _CUT_LOOKAHEAD]) if span.end <= max_chars]
            spans = spans or sentence_spans(article.text[:max_chars])
            chunks = [c for c in chunks if c.char_start < max_chars]  # _within_chunks scans them per sentence
        else:
            spans = sentence_spans(article.text)
        for position, span in enumerate(spans):
            for start, end, chunk in _within_chunks(article.text, span.start, span.end, chunks):
                passage = Passage(
                    chunk_id=chunk.id, article_id=article.id, chunk_index=chunk.index, title=article.title,
                    source=article.source, url=article.url, published_at=article.published_at, text=article.text,
                    char_start=0, char_end=len(article.text), score=0.0,
                )
                units.append(Unit(passage, start, end, article.text[start:end], article.published_at or "", position))
        return units

    def _relevance(self, topic: str, units: list[Unit]) -> np.ndarray:
        if not units:
            return np.zeros(0)
        vectors = self.embedder.embed([topic, *(u.text for u in units)])
        return np.clip(vectors[1:] @ vectors[0], 0, None)

    def _select(self, units: list[Unit], max_words: int, relevance: np.ndarray | None) -> list[Unit]:
        candidates = summary_candidates(units)
        if not candidates:
            return []
        vectors = self.embedder.embed([u.text for u in candidates])
        extra = None
        if relevance is not None:
            index = {id(u): i for i, u in enumerate(units)}
            extra = np.array([relevance[index[id(u)]] for u in candidates])
        anchoring = None
        if len({u.passage.article_id for u in candidates}) > 1:  # one article's sentences cannot be misattributed
            facts = read_facts([Candidate(u.text, u.passage.article_id, u.start) for u in candidates])
            anchoring = [(u.passage.article_id, u.start, names_something(f)) for u, f in zip(candidates, facts)]
        leans_on = _sentences_before(candidates, units)
        chosen = mmr_select([u.text for u in candidates], [u.position for u in candidates], vectors, max_words, extra,
                            anchoring, leans_on)
        if not chosen and anchoring is not None:  # no article names its subject within the budget: the rule would
            # empty a summary that has sentences ("No sentence could be quoted whole…" was a false reason: a review)
            chosen = mmr_select([u.text for u in candidates], [u.position for u in candidates], vectors, max_words,
                                extra, leans_on=leans_on)
        if not chosen and leans_on:  # every sentence that fits leans on one that is no candidate: still no refusal
            chosen = mmr_select([u.text for u in candidates], [u.position for u in candidates], vectors, max_words,
                                extra)
        return in_date_order(candidates[i] for i in chosen)

    def _select_facts(self, candidates: list[Unit], max_words: int) -> tuple[list[Unit], dict[str, list[int]]]:
        """Article summaries: of the candidates (``summary_candidates``), sentences that cover distinct facts
        (app/summarize/facts.py), in article order."""
        if not candidates:
            return [], {}
        vectors = self.embedder.embed([u.text for u in candidates])
        titles = {u.passage.article_id: u.passage.title or "" for u in candidates}
        facts_of = [Candidate(u.text, u.passage.article_id, u.position) for u in candidates]
        chosen, facts = select_facts(facts_of, vectors, max_words, titles, each_group=len(titles) > 1)
        if not chosen and len(titles) > 1:  # as for topics: the naming rule never empties a summary
            chosen, facts = select_facts(facts_of, vectors, max_words, titles, facts=facts, each_group=True,
                                         name_first=False)
        ordered = sorted(chosen, key=lambda i: order_key(candidates[i]))
        return [candidates[i] for i in ordered], covered(facts, ordered)

    def _disagreements(self, units: list[Unit], max_words: int, limit: int = 3) -> list[Disagreement]:
        """Sources that disagree, found before redundancy pruning can merge them; only as many as the word budget
        holds beside the shortest sentence (a summary of 20 words came out at 36 with its notes, and notes alone
        said numbers without what they count)."""
        usable = first_per_article([u for u in units if SENTENCE_END.search(u.text)], MAX_CONFLICT_STATEMENTS)[0]
        found: list[Disagreement] = []
        for conflict in find_conflicts([u.text for u in usable], [u.passage.article_id for u in usable], limit=limit):
            a, b = usable[conflict.first], usable[conflict.second]
            first_says, second_says = conflict.first_says, conflict.second_says
            if (a.published_at, a.passage.article_id) > (b.published_at, b.passage.article_id):
                a, b, first_says, second_says = b, a, second_says, first_says
            found.append(Disagreement(a, b, first_says, second_says))
        kept, words = [], min((word_count(u.text) for u in units), default=0)
        for disagreement in found:
            if words + disagreement.words <= max_words:
                kept.append(disagreement)
                words += disagreement.words
        return kept

    def _compose(self, chosen: list[Unit], article_ids: list[str] | None, book: CitationBook,
                 disagreements: list[Disagreement]) -> Summary:
        sentences = [AnswerSentence(u.text, [book.cite(u.passage, u.start, u.end)]) for u in chosen]
        notes = _cited_notes(disagreements, book)  # after the body: markers run [1], [2], … in reading order
        sentences += [note for note, _ in notes]
        return Summary(summary=_render(sentences), citations=book.citations, sentences=sentences,
                       article_ids=article_ids if article_ids is not None else _cited_articles(book),
                       conflicts=[detail for _, detail in notes])


@dataclass(frozen=True, slots=True)
class Disagreement:
    """Two articles' sentences that say different numbers or names about the same thing."""

    first: Unit
    second: Unit
    first_says: list[str]
    second_says: list[str]
    words: int = field(init=False)  # the note as shown, counted against max_words; computed once

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", word_count(self.text(0, 0)))

    def text(self, first_n: int, second_n: int) -> str:
        first, second = as_written(self.first.text, self.first_says), as_written(self.second.text, self.second_says)
        return (f"Sources disagree: {self.first.passage.source} reports {', '.join(first)} [{first_n}]; "
                f"{self.second.passage.source} reports {', '.join(second)} [{second_n}].")


SENTENCE_GAP_CHARS = 4  # at most this between one sentence's end and the next one's start: spaces, a paragraph break


def _sentences_before(candidates: list[Unit], units: list[Unit]) -> dict[int, int | None]:
    """For each candidate opening with a pronoun, the candidate that is the sentence right before it in its article
    (None: that sentence is not a candidate). Read by article offsets, not within one passage: a chunk's first
    sentence leans on the previous chunk's last, and overlapping chunks keep a sentence under one passage only."""
    index = {id(u): i for i, u in enumerate(candidates)}
    by_article: dict[str, list[Unit]] = {}
    for unit in units:
        by_article.setdefault(unit.passage.article_id, []).append(unit)
    ends = {}
    for article, group in by_article.items():
        group.sort(key=lambda u: u.end)
        ends[article] = [u.end for u in group]
    out: dict[int, int | None] = {}
    for i, unit in enumerate(candidates):
        if not starts_with_pronoun(unit.text):
            continue
        article = unit.passage.article_id
        at = bisect_right(ends[article], unit.start) - 1  # the unit ending last at or before this one's start
        before = by_article[article][at] if at >= 0 else None
        near = before is not None and unit.start - before.end <= SENTENCE_GAP_CHARS
        out[i] = index.get(id(before)) if near else None
    return out


def _cited_notes(disagreements: list[Disagreement], book: CitationBook) -> list[tuple[AnswerSentence, dict]]:
    notes = []
    for d in disagreements:
        na, nb = book.cite(d.first.passage, d.first.start, d.first.end), book.cite(d.second.passage, d.second.start,
                                                                                   d.second.end)
        text = d.text(na, nb)
        detail = {"citations": [na, nb], "first_says": d.first_says, "second_says": d.second_says, "note": text}
        notes.append((AnswerSentence(text, [na, nb], status="conflict"), detail))
    return notes


def _within_chunks(text: str, start: int, end: int, chunks: list) -> list[tuple[int, int, object]]:
    """The sentence [start, end) as spans that each lie inside one chunk, with that chunk: the whole sentence when a
    chunk holds it (the usual case), else its pieces cut at chunk borders. A quote is a span of the chunk it cites,
    as an answer's is; a "sentence" the segmenter ran across a border (two quoted sentences read as one) was cited
    to the chunk it starts in, which ended inside it. A piece without a full stop is no summary candidate
    (summary_candidates), so a sentence cut mid-way is left out while another sentence is available. A piece that
    starts mid-sentence (``starts_sentence``: a sentence longer than a chunk) is not returned: its tail ends with
    the sentence's full stop and was quoted as if it were a whole sentence."""
    whole = next((c for c in chunks if c.char_start <= start and end <= c.char_end), None)
    if whole is not None or not chunks:
        return [(start, end, whole or chunks[0])] if chunks else []
    pieces, position = [], start
    while position < end:
        chunk = next((c for c in chunks if c.char_start <= position < c.char_end), None)
        if chunk is None:  # between two chunks (the spaces the chunker dropped): on to the next one
            position = min((c.char_start for c in chunks if c.char_start > position), default=end)
            continue
        stop = min(end, chunk.char_end)
        piece_start = position + len(text[position:stop]) - len(text[position:stop].lstrip())
        piece_end = stop - (len(text[position:stop]) - len(text[position:stop].rstrip()))
        if piece_start < piece_end and (not pieces or starts_sentence(text, piece_start)):
            pieces.append((piece_start, piece_end, chunk))
        position = stop
    return pieces


def starts_sentence(text: str, at: int) -> bool:
    """Whether ``text[at:]`` starts a sentence as far as the text before it tells: it opens the text or a line, or
    follows a full stop or a colon. A chunk of a sentence longer than a chunk starts mid-sentence (the chunker
    falls back to words), and its first "sentence" is the tail of that one."""
    before = text[:at]
    kept = before.rstrip()
    return not kept or "\n" in before[len(kept):] or kept.endswith(":") or bool(SENTENCE_END.search(kept))


def _cited_articles(book: CitationBook) -> list[str]:
    return list(dict.fromkeys(c.article_id for c in book.citations))


def rendered_sentence(sentence: AnswerSentence) -> str:
    """One sentence as the summary text shows it: with its markers; a conflict note carries its own already.
    The summary is these joined by spaces, and a streamed summary sends them one by one (app/api/ask.py)."""
    if sentence.status == "conflict":
        return sentence.text
    return f"{sentence.text} " + "".join(f"[{n}]" for n in sentence.citations)


def _render(sentences: list[AnswerSentence]) -> str:
    """Summary text: cited sentences with their markers; conflict notes carry theirs already."""
    return " ".join(rendered_sentence(s) for s in sentences)

"""Which sentences may go into a summary, and the MMR pick of topic summaries: sentence units with what is needed
to cite them, the filters for headlines, questions and boilerplate, the per-article cap, date order."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from app.answer.extractive import near_duplicate
from app.retrieval.service import Passage
from app.text import words

# Sentences one summary weighs at most (each article's first ones, shared out), for text that splits into many
# short pieces: 4,000 take about 2 s and a 64 MB similarity matrix (docs/summaries.md, "Long articles"). The
# conflict notes compare sentences of different articles pairwise: 1,500 make about a million pairs, under a second.
MAX_SUMMARY_CANDIDATES = 4_000


@dataclass(slots=True)
class Unit:
    """One sentence that may go into a summary, with what is needed to cite it."""

    passage: Passage
    start: int
    end: int
    text: str
    published_at: str
    position: int


SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")
# A question is a subheading ("What are signs of bird flu?"), not a fact; boilerplate asks the reader to follow,
# subscribe or write in (a walkthrough's summary ended "Follow The Republic … on Facebook, Twitter and Instagram.")
QUESTION_END = re.compile(r"\?[\"'”’)\]]*$")
_BOILERPLATE = re.compile(
    r"^[\"“]?(?:follow (?:\S+ ){0,6}on (?:facebook|twitter|x|instagram|threads|tiktok|linkedin|bluesky)\b|"
    r"(?:sign up|subscribe|register) (?:for|to|now|here|today)\b|(?:contact|reach|email|e-mail) (?:\S+ ){0,4}at \S+@|"
    r"click here\b|(?:reporting|editing|additional reporting) by\b|this (?:story|article) (?:was|has been) "
    r"(?:updated|corrected)\b|editor['’]s note\b|for the latest (?:news|updates|coverage)\b)|\ball rights reserved\b|"
    # after a lead-in: "Start your day smart: Sign up for USA TODAY's Daily Briefing newsletter."
    r":\s*sign up (?:for|to get) (?:\S+ ){0,6}newsletters?\b", re.I)
# Case-sensitive shapes: an author's bio line ("Saman Shafiq is a trending news reporter for USA TODAY."), a
# capitalised kicker with a kicker's word ("NFL STATS CENTRAL: The latest NFL scores…"; not a dateline, "NEW DELHI: …") and a line led by an emoji ("👉 Here's the latest…",
# "🙋🏼‍♀️ I'm Nicole Fallert, Daily Briefing author.")
_BYLINE_SHAPES = re.compile(
    r"^[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){1,3} (?:is|covers \S+ as) (?:an? |the )?(?:[\w-]+ ){0,4}"
    r"(?:reporter|correspondent|writer|editor|columnist|producer|journalist)\b(?: (?:for|at|with) (?:the )?[A-Z][\w.'’&-]*(?: [A-Z][\w.'’&-]*){0,4})?\.?$|"
    r"^(?=[A-Z0-9 &'’-]*\b(?:STATS|LIVE|LATEST|WATCH|READ|MORE|RELATED|VIDEO|PHOTOS?|SUBSCRIBE|NEWSLETTER|PODCAST|"
    r"CENTRAL|UPDATES?|SCORES|ODDS|TICKETS)\b)[A-Z0-9][A-Z0-9 &'’-]{5,}:\s|^[\u2600-\u27bf\U0001f300-\U0001faff]")


# Scripts written without spaces between words (CJK ideographs, kana): str.split() read a whole Chinese sentence as one
# word, so max_words=20 quoted 20 sentences. Each such character counts as a word, as CJK word counters count.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def word_count(text: str) -> int:
    unspaced = len(_UNSPACED.findall(text))
    return unspaced + len(_UNSPACED.sub(" ", text).split()) if unspaced else len(text.split())


def dedupe_spans(units: list[Unit]) -> list[Unit]:
    seen: set[tuple[str, int, int]] = set()
    out = []
    for unit in units:
        key = (unit.passage.article_id, unit.start, unit.end)
        if key not in seen:
            seen.add(key)
            out.append(unit)
    return out


# A data table's row as ingested (app/ingest/html_tables.py): "Party: Labour; Seats: 412; Change: +211." or, under a
# row-header column, "Revenue; Q3 2024: $1,234.5; Change: +22.2%.": cells joined by "; ", each past the first named.
# A row is a figure to quote in an answer, not a sentence to summarise the article with: a 10-row results table took
# 10 of a summary's 12 sentences and left out who won and who conceded.
TABLE_ROW = re.compile(r"^(?:[^;:]{1,60}: )?[^;]{1,300}(?:; [^;:.!?]{1,60}: [^;]{1,300})+$")


def summary_candidates(units: list[Unit], cap: int | None = MAX_SUMMARY_CANDIDATES) -> list[Unit]:
    """Headlines, datelines and boilerplate ("All rights reserved") carry no full stop: skip them, and a table's
    rows while the articles have sentences. At most ``cap`` (``first_per_article``)."""
    sentences = [u for u in units if len(words(u.text)) >= 5 and SENTENCE_END.search(u.text)
                 and not QUESTION_END.search(u.text) and not _BOILERPLATE.search(u.text)
                 and not _BYLINE_SHAPES.search(u.text)]
    candidates = [u for u in sentences if not TABLE_ROW.search(u.text)] or sentences or units
    return candidates if cap is None else first_per_article(candidates, cap)[0]


def first_per_article(units: list[Unit], cap: int) -> tuple[list[Unit], set[str]]:
    """At most ``cap`` units, each article's first ones (units come in reading order within an article), shared
    out evenly: an article with fewer than its share keeps all of them and leaves the rest to the others. Also the
    articles that lost some."""
    counts: dict[str, int] = {}
    for u in units:
        counts[u.passage.article_id] = counts.get(u.passage.article_id, 0) + 1
    if len(units) <= cap:
        return units, set()
    allowed, left = {}, cap
    for i, (article, n) in enumerate(sorted(counts.items(), key=lambda item: item[1])):
        allowed[article] = min(n, left // (len(counts) - i))
        left -= allowed[article]
    taken: dict[str, int] = {}
    kept = []
    for u in units:
        article = u.passage.article_id
        if taken.get(article, 0) < allowed[article]:
            taken[article] = taken.get(article, 0) + 1
            kept.append(u)
    return kept, {a for a, n in counts.items() if allowed[a] < n}


def order_key(unit: Unit) -> tuple:
    """Dated events in date order; undated material after them; within an article, reading order."""
    return (unit.published_at == "", unit.published_at, unit.passage.article_id, unit.start)


def in_date_order(units) -> list[Unit]:
    return sorted(units, key=order_key)


def mmr_select(texts: list[str], positions: list[int], vectors: np.ndarray, max_words: int,
               relevance: np.ndarray | None = None, anchoring: list[tuple[str, int, bool]] | None = None,
               leans_on: dict[int, int | None] | None = None) -> list[int]:
    """Central, non-redundant sentences (MMR with a lead prior): topic summaries, and article summaries
    before app/summarize/facts.py (kept as the baseline of benchmarks/article_summaries.py). ``anchoring``: per
    sentence its article, place in the article and whether it names someone or somewhere; one that names nothing
    waits until a sentence of its article ahead of it is chosen (the rule of ``select_facts`` across articles).
    ``leans_on``: a sentence opening with a pronoun -> the sentence before it (None: not a candidate); it waits for
    that one, and without one it is never chosen ("He also said relations with Russia were the top priority" opened
    a topic summary on the Fed's rates)."""
    if not texts:
        return []
    similarity = vectors @ vectors.T
    centrality = (similarity.sum(axis=1) - 1) / max(len(texts) - 1, 1)
    lead = np.array([1.0 / (1 + 0.15 * p) for p in positions])  # news puts the point first
    score = centrality + 0.15 * lead
    if relevance is not None:
        score = score + 1.5 * relevance
    chosen: list[int] = []
    words_used = 0
    remaining = set(range(len(texts)))
    def waits(i: int) -> bool:
        if leans_on is not None and i in leans_on and leans_on[i] not in chosen:
            return True
        if anchoring is None or anchoring[i][2]:
            return False
        article, place, _ = anchoring[i]
        return not any(anchoring[j][0] == article and anchoring[j][1] < place for j in chosen)

    while remaining:
        def mmr(i: int) -> float:
            redundancy = max((similarity[i, j] for j in chosen), default=0.0)
            return float(0.7 * score[i] - 0.3 * redundancy)

        eligible = [i for i in remaining if not waits(i)]
        if not eligible:
            break
        best = max(eligible, key=mmr)
        remaining.discard(best)
        if any(near_duplicate(texts[best], texts[j]) or similarity[best, j] > 0.92 for j in chosen):
            continue
        if words_used + word_count(texts[best]) > max_words:
            continue  # a shorter sentence may still fit
        chosen.append(best)
        words_used += word_count(texts[best])
    return chosen

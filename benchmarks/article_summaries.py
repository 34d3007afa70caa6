"""Article summaries on RealTimeQA-dev: does the summary keep the facts a news quiz asks about?

    python benchmarks/article_summaries.py --data ../shared/data/realtimeqa-dev            # report (2024)
    python benchmarks/article_summaries.py --data ../shared/data/realtimeqa-dev --tune 1   # grid (2022–2023)

Pairs: an open question (not multiple-choice-dependent) and an article of its qrels with basis
``answer_string_in_doc`` whose text holds the normalised answer string. Each article is
summarised at the same word budget by the old MMR selection (``mmr_select``), by the new
fact-covering selection (``select_facts``) and by the lead (first sentences) for reference, over
the same candidate sentences. Containment: the normalised answer occurs in the normalised summary.
Also: facets covered (of 5, as ``facts_of`` reads them), distinct items (names, places, dates,
numbers) per summary, redundancy (share of summaries holding two sentences that restate each
other: word-set Jaccard >= 0.6 or embedding similarity > 0.85), and dangling pronouns (share of
summaries with a sentence that opens with a pronoun while the sentence before it was left out). Split by question year: weights are
tuned on 2022–2023 (``--tune``), reported on 2024. 95 % intervals: 1,000 bootstrap resamples of
articles (seed 0); the difference new − old is paired.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import pickle
import random
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.answer.extractive import near_duplicate  # noqa: E402
from app.embed.wordllama import WordLlamaEmbedder  # noqa: E402
from app.evals.realtimeqa import normalise  # noqa: E402
from app.retrieval.features import starts_with_pronoun  # noqa: E402
from app.summarize.candidates import SENTENCE_END, mmr_select  # noqa: E402
from app.summarize.facts import DEFAULT_WEIGHTS, FACETS, Candidate, read_facts, select_facts  # noqa: E402
from app.text import sentence_spans, words  # noqa: E402

TRAIN_YEARS = ("2022", "2023")
TEST_YEAR = "2024"
SEED = 0


@dataclass
class Article:
    id: str
    year: str
    answers: list[str]          # normalised answer strings found in the text
    candidates: list[Candidate]
    vectors: np.ndarray
    facts: list


def load_pairs(data: Path) -> dict[str, dict[str, set[str]]]:
    """year → article id → answers of that year's questions whose qrels say the answer is in the article."""
    questions = {}
    with open(data / "questions.jsonl") as handle:
        for line in handle:
            q = json.loads(line)
            if not q["mc_dependent_wording"] and normalise(q["answer_text"]):
                questions[q["question_id"]] = (q["question_date"][:4], normalise(q["answer_text"]))
    pairs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    with open(data / "qrels.tsv") as handle:
        next(handle)
        for line in handle:
            qid, doc_id, basis = line.rstrip("\n").split("\t")
            if basis == "answer_string_in_doc" and qid in questions:
                year, answer = questions[qid]
                pairs[year][doc_id].add(answer)
    return pairs


def candidates_of(doc_id: str, text: str) -> list[Candidate]:
    """The service's candidate rule: sentences of 5+ words that end like a sentence."""
    out = []
    for position, span in enumerate(sentence_spans(text)):
        sentence = text[span.start:span.end]
        if len(words(sentence)) >= 5 and SENTENCE_END.search(sentence):
            out.append(Candidate(sentence, doc_id, position))
    return out


def prepare(data: Path, wanted: dict[str, tuple[str, set[str]]], cache: Path | None) -> list[Article]:
    if cache and cache.exists():  # sentences and vectors; facts are read afresh (facts.py may have changed)
        return [replace(a, facts=read_facts(a.candidates)) for a in pickle.loads(cache.read_bytes())]
    embedder = WordLlamaEmbedder.shared()
    articles = []
    with gzip.open(data / "corpus.jsonl.gz", "rt") as handle:
        for line in handle:
            record = json.loads(line)
            if record["doc_id"] not in wanted:
                continue
            text = record.get("text") or ""
            year, answers = wanted[record["doc_id"]]
            body = f" {normalise(text)} "
            answers = sorted(a for a in answers if f" {a} " in body)
            candidates = candidates_of(record["doc_id"], text)
            if not answers or len(candidates) < 3:
                continue
            vectors = embedder.embed([c.text for c in candidates])
            articles.append(Article(record["doc_id"], year, answers, candidates, vectors, read_facts(candidates)))
    if cache:
        cache.write_bytes(pickle.dumps(articles))
    return articles


def summarise(article: Article, method: str, budget: int, weights=DEFAULT_WEIGHTS) -> list[int]:
    texts = [c.text for c in article.candidates]
    if method == "old":
        return sorted(mmr_select(texts, [c.position for c in article.candidates], article.vectors, budget))
    if method == "lead":
        chosen, used = [], 0
        for i, t in enumerate(texts):
            if used + len(t.split()) <= budget:
                chosen.append(i)
                used += len(t.split())
        return chosen
    return select_facts(article.candidates, article.vectors, budget, weights=weights, facts=article.facts)[0]


def measure(article: Article, chosen: list[int]) -> dict:
    text = " " + normalise(" ".join(article.candidates[i].text for i in chosen)) + " "
    facts = [article.facts[i] for i in chosen]
    redundant = any(near_duplicate(article.candidates[i].text, article.candidates[j].text)
                    or float(article.vectors[i] @ article.vectors[j]) > 0.85 for i, j in itertools.combinations(chosen, 2))
    return {"hits": sum(f" {a} " in text for a in article.answers), "answers": len(article.answers),
            "facets": len(set().union(*(f.facets for f in facts))) if facts else 0,
            "items": len(set().union(*(f.items for f in facts))) if facts else 0,
            "redundant": float(redundant), "dangling": float(dangling(article, chosen)),
            "words": sum(len(article.candidates[i].text.split()) for i in chosen)}


def dangling(article: Article, chosen: list[int]) -> bool:
    """A summary sentence opening with a pronoun ("He also said…") whose sentence before it was left out."""
    taken = {(article.candidates[i].group, article.candidates[i].position) for i in chosen}
    present = {(c.group, c.position) for c in article.candidates}
    return any(starts_with_pronoun(c.text) and (c.group, c.position - 1) in present - taken
               for c in (article.candidates[i] for i in chosen))


def evaluate(articles: list[Article], method: str, budget: int, weights=DEFAULT_WEIGHTS) -> list[dict]:
    return [measure(a, summarise(a, method, budget, weights)) for a in articles]


def containment(rows: list[dict]) -> float:
    return sum(r["hits"] for r in rows) / max(sum(r["answers"] for r in rows), 1)


def interval(rows: list[dict], stat, other: list[dict] | None = None, n: int = 1000) -> tuple[float, float, float]:
    rng = np.random.default_rng(SEED)
    value = stat(rows) - (stat(other) if other else 0.0)
    draws = []
    for _ in range(n):
        pick = rng.integers(0, len(rows), len(rows))
        sample = [rows[i] for i in pick]
        draws.append(stat(sample) - (stat([other[i] for i in pick]) if other else 0.0))
    return value, float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def mean_of(key: str):
    return lambda rows: sum(r[key] for r in rows) / max(len(rows), 1)


def fmt(t: tuple[float, float, float], digits: int = 3) -> str:
    return f"{t[0]:.{digits}f} [{t[1]:.{digits}f}, {t[2]:.{digits}f}]"


def report(articles: list[Article], budgets: list[int], label: str) -> str:
    pairs = sum(len(a.answers) for a in articles)
    lines = [f"### {label}: {len(articles)} articles, {pairs} question–article pairs", "",
             "| words | method | answer containment | new − old | facets (of 5) | distinct items | redundant summaries "
             "| dangling pronoun | words used |",
             "|---|---|---|---|---|---|---|---|---|"]
    for budget in budgets:
        rows = {m: evaluate(articles, m, budget) for m in ("lead", "old", "new")}
        for method in ("lead", "old", "new"):
            r = rows[method]
            delta = fmt(interval(r, containment, rows["old"])) if method != "old" else "–"
            lines.append(f"| {budget} | {method} | {fmt(interval(r, containment))} | {delta} | "
                         f"{fmt(interval(r, mean_of('facets')), 2)} | {fmt(interval(r, mean_of('items')), 1)} | "
                         f"{fmt(interval(r, mean_of('redundant')))} | {fmt(interval(r, mean_of('dangling')))} | "
                         f"{mean_of('words')(r):.0f} |")
    return "\n".join(lines)


GRIDS = {  # round 1: coarse; round 2: around round 1's best (results in benchmarks/results/)
    1: {"facet": (0.0, 0.15, 0.3), "item": (0.0, 0.05, 0.15), "length": (0.0, 0.5), "lead": (0.15, 0.5),
        "lead_first": (True, False)},
    2: {"facet": (0.15,), "item": (0.1, 0.15, 0.25), "length": (0.5, 1.0), "lead": (0.5, 1.0), "restate": (0.4, 0.6)},
    3: {"facts_first": (True, False)},  # at round 2's best
    4: {"novelty": (0.0, 0.1, 0.2, 0.4)},  # at round 3's best
}


def tune(articles: list[Article], budgets: list[int], grid: dict) -> str:
    results = []
    for values in itertools.product(*grid.values()):
        weights = replace(DEFAULT_WEIGHTS, **dict(zip(grid, values)))
        score = sum(containment(evaluate(articles, "new", b, weights)) for b in budgets) / len(budgets)
        results.append((score, dict(zip(grid, values))))
    results.sort(key=lambda r: -r[0])
    old = sum(containment(evaluate(articles, "old", b)) for b in budgets) / len(budgets)
    lines = [f"old MMR mean containment over budgets {budgets}: {old:.4f}", "best 10 settings:"]
    lines += [f"  {score:.4f}  {setting}" for score, setting in results[:10]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/realtimeqa-dev"))
    parser.add_argument("--train-articles", type=int, default=600, help="2022–2023 articles sampled for tuning")
    parser.add_argument("--test-articles", type=int, default=1000, help="2024 articles sampled for the report")
    parser.add_argument("--budgets", default="60,120", help="word budgets (comma-separated)")
    parser.add_argument("--tune", type=int, choices=sorted(GRIDS), default=None,
                        help="grid-search the weights on 2022–2023 (a round of GRIDS)")
    parser.add_argument("--cache", type=Path, default=None, help="folder for prepared articles (pickles)")
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    pairs = load_pairs(args.data)
    rng = random.Random(SEED)
    train_ids = sorted({d for y in TRAIN_YEARS for d in pairs[y]})
    test_ids = sorted(set(pairs[TEST_YEAR]) - set(train_ids))  # an article asked about in both years: train only
    if args.tune is not None:
        ids = sorted(rng.sample(train_ids, min(args.train_articles, len(train_ids))))
        wanted = {d: ("2022–2023", set().union(*(pairs[y].get(d, set()) for y in TRAIN_YEARS))) for d in ids}
        name = "train"
    else:
        ids = sorted(rng.sample(test_ids, min(args.test_articles, len(test_ids))))
        wanted = {d: (TEST_YEAR, pairs[TEST_YEAR][d]) for d in ids}
        name = "test"
    if args.cache:
        args.cache.mkdir(parents=True, exist_ok=True)
    articles = prepare(args.data, wanted, args.cache / f"{name}-{len(ids)}.pkl" if args.cache else None)
    if args.tune is not None:
        print(tune(articles, budgets, GRIDS[args.tune]))
        print()
        print(report(articles, budgets, "2022–2023 (tuning split)"))
    else:
        print(report(articles, budgets, "2024 (never tuned on)"))
    print(f"\nweights: {DEFAULT_WEIGHTS}; facets: {', '.join(FACETS)}")


if __name__ == "__main__":
    main()

"""Candidate answerability features and model classes, cross-fitted on 2022–2023 only (issue 8, docs/answers.md
"Missing question terms"). Not used by the product: it measures what to try before any 2024 run.

    # the passages cache is what `train_answers.py extract --cache PATH` writes (retrieval over the full index)
    python training/answerability_candidates.py --cache /tmp/answers3-passages.pkl

Each question's passages are reordered by the ranker cross-fitted on the other half (as ``extract`` does) and its
sentences by the cross-fitted selector; from the best sentence and the top 5 passages it computes: the best
passage's age against ``as_of`` (and the youngest of the top 5), its age against the newest of the 50 candidates,
date agreement of the top passages, answer-type evidence crossed with the question kind, the IDF share of question
terms missing from the best sentence and its article (its chunks among the candidates), from the article, from all
of the top 5 (exact stems), the two rarest terms' absence, whether the top-2 sentences come from different
articles, the question's own figures missing from the top 5 or the best article, and (with ``--data-dir``, which reads
the index's document frequencies) the shipped code's refined missing-terms pair over the top 5, 10, 20 or all 50. Printed: refusal and false refusal with the threshold chosen on the other half (train_answers' rule),
refusal where 5 % of answerable questions are refused (pooled), AUC, for the logistic model and a small LightGBM,
and paired 95 % bootstrap intervals (1,000 resamples, seed 0) against the shipped features.
"""

from __future__ import annotations

import argparse
import math
import pickle
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training import train_answers as T  # noqa: E402

YEAR = re.compile(r"(19|20)\d\d")


def candidate_features(table: dict, gathered: list, doc_freq=None) -> tuple[np.ndarray, list[str]]:
    from app.answer.extractive import candidate_sentences, restates
    from app.answer.selection import blended_logits, missing_terms_features
    from app.retrieval.features import (
        ALL_PASSAGE_FEATURES,
        PASSAGE_FEATURES,
        QUESTION_KINDS,
        SENTENCE_FEATURES,
        passage_extra_rows,
        published_day,
        text_terms,
    )
    from app.text import numbers

    for q, terms, passages, rows in gathered:  # an older cache lacks the extra columns (as in extract)
        if rows and len(rows[0]) == len(PASSAGE_FEATURES):
            extras = passage_extra_rows(terms, [(p.text, p.title, p.article_id) for p in passages])
            rows[:] = [r + e for r, e in zip(rows, extras)]
    fold_q = table["question_fold"]
    p_y, p_group = table["passage_y"], table["passage_group"]
    p_x = np.asarray([r for q, _, _, rows in gathered if not q.unanswerable for r in rows])
    p_fold = fold_q[p_group]
    rankers = {f: T._booster(T.fit_ranker(p_x[p_fold != f], p_y[p_fold != f], p_group[p_fold != f])) for f in (0, 1)}
    selectors = T.cross_fitted_selectors(table)
    group = table["sentence_group"]
    bounds = np.flatnonzero(np.r_[True, group[1:] != group[:-1], True])
    spans = {int(group[a]): (a, b) for a, b in zip(bounds[:-1], bounds[1:])}
    col = {n: i for i, n in enumerate(SENTENCE_FEATURES)}
    log_days = PASSAGE_FEATURES.index("log_days")
    out = []
    for qi, (q, terms, passages, rows) in enumerate(gathered):
        f = int(fold_q[qi])
        pool = list(zip(passages, rows))
        if rows:
            columns = [ALL_PASSAGE_FEATURES.index(n) for n in rankers[f].features]
            scores = rankers[f].score([[r[i] for i in columns] for r in rows])
            pool = [pool[i] for i in np.argsort(-np.asarray(scores), kind="stable")]
        top = [p for p, _ in pool[:5]]
        row_of = {p.chunk_id: r for p, r in pool}
        cands = [c for c in candidate_sentences(top) if not restates(c.text, q.question)]
        a, b = spans.get(qi, (0, 0))
        feats: dict[str, float] = {}
        if b > a:
            assert len(cands) == b - a, "the cache does not match training/features.npz"
            srows = table["sentence_x"][a:b]
            sel = selectors[f]
            logits = blended_logits(sel.score(srows[:, [col[n] for n in sel.features]].tolist()), srows)
            order = np.argsort(-logits, kind="stable")
            best = cands[order[0]]
            second = cands[order[1]] if len(order) > 1 else None
            as_of = q.as_of.toordinal()

            def age(p):
                d = published_day(p.published_at)
                return None if d is None else max(as_of - d, 0)

            best_age = age(best.passage)
            ages = [v for v in map(age, top) if v is not None]
            feats["best_age_asof"] = math.log1p(best_age) if best_age is not None else 0.0
            feats["min_age5_asof"] = math.log1p(min(ages)) if ages else 0.0
            feats["best_logdays_pool"] = row_of[best.passage.chunk_id][log_days]
            best_day = published_day(best.passage.published_at)
            days = [published_day(p.published_at) for p in top]
            feats["date_agree5"] = float(np.mean([d is not None and best_day is not None and abs(d - best_day) <= 2
                                                  for d in days]))
            top3 = [published_day(cands[i].passage.published_at) for i in order[:3]]
            feats["top3_date_spread"] = math.log1p(max(top3) - min(top3)) if None not in top3 else 0.0
            kind = next((k for k in QUESTION_KINDS if srows[order[0], col[f"kind_{k}"]] > 0), "what")
            for k in QUESTION_KINDS:
                feats[f"type_x_{k}"] = float(srows[order[0], col["type_present"]] > 0 and kind == k)
            sentence = text_terms(best.text).stem_set | text_terms(best.previous).stem_set
            article: set[str] = set()
            for p, _ in pool:
                if p.article_id == best.passage.article_id:
                    article |= text_terms(p.text).stem_set | text_terms(p.title).stem_set
            top5: set[str] = set()
            for p in top:
                top5 |= text_terms(p.text).stem_set | text_terms(p.title).stem_set
            total, rarest = terms.total_idf, max(terms.idf.values(), default=0.0) or 1.0
            miss_article = [terms.idf[s] for s in terms.stems if s not in article]
            miss_top5 = [terms.idf[s] for s in terms.stems if s not in top5]
            feats["miss_sent_art"] = sum(terms.idf[s] for s in terms.stems
                                         if s not in sentence and s not in article) / total
            feats["miss_art"] = sum(miss_article) / total
            feats["miss_art_max"] = max(miss_article, default=0.0) / rarest
            feats["miss_top5"] = sum(miss_top5) / total
            feats["miss_top5_max"] = max(miss_top5, default=0.0) / rarest
            rare2 = sorted(terms.stems, key=lambda s: -terms.idf[s])[:2]
            feats["rare2_missing_art"] = float(sum(s not in article for s in rare2))
            feats["rare2_missing_sent"] = float(sum(s not in sentence for s in rare2))
            # the question's own figures ("112,000 vehicles", "a 48% plunge", "$8.5 billion"; years left out: they
            # hold for most coverage of a year) found in no top-5 passage or headline, and in no chunk of the best
            # sentence's article: a constructed unanswerable keeps related coverage, which rarely repeats the figure
            figures = {n for n in terms.numbers if not YEAR.fullmatch(n)}
            top5_figures = set().union(*(numbers(p.text) | numbers(p.title) for p in top))
            article_figures = set().union(*(numbers(p.text) | numbers(p.title) for p, _ in pool
                                            if p.article_id == best.passage.article_id))
            feats["q_has_figures"] = float(bool(figures))
            feats["figures_missing_top5"] = len(figures - top5_figures) / len(figures) if figures else 0.0
            feats["figures_missing_art"] = len(figures - article_figures) / len(figures) if figures else 0.0
            if doc_freq is not None:  # the shipped-code pair (refined, synonym-aware) over the top 5 and over all 50
                # candidates: a retrieval miss usually keeps the answer's article among the 50 (98 %), while a
                # constructed unanswerable has every answer-bearing article excluded from them too
                for key, where in (("top5", top), ("top10", [p for p, _ in pool[:10]]),
                                   ("top20", [p for p, _ in pool[:20]]), ("pool", [p for p, _ in pool])):
                    pair = missing_terms_features(terms, where, doc_freq)
                    feats[f"{key}_missing_idf"], feats[f"{key}_missing_max"] = pair["top5_missing_idf"], pair["top5_missing_max"]
            feats["top2_diff_article"] = float(second is not None and second.passage.article_id != best.passage.article_id)
            feats["n_articles5"] = float(len({p.article_id for p in top}))
            feats["best_art_chunks_pool"] = float(sum(p.article_id == best.passage.article_id for p, _ in pool))
        out.append(feats)
    names = sorted({k for d in out for k in d})
    return np.asarray([[d.get(k, 0.0) for k in names] for d in out]), names


GROUPS = {
    "best passage's age against as_of": ["best_age_asof"],
    "… and the youngest of the top 5": ["best_age_asof", "min_age5_asof"],
    "best passage's age against the newest candidate": ["best_logdays_pool"],
    "date agreement of the top passages": ["date_agree5", "top3_date_spread"],
    "type evidence × question kind": [f"type_x_{k}" for k in ("date", "how", "name", "number", "place", "what", "why")],
    "missing from the best sentence and its article": ["miss_sent_art"],
    "missing from the best sentence's article": ["miss_art", "miss_art_max"],
    "missing from all of the top 5 (exact stems)": ["miss_top5", "miss_top5_max"],
    "the two rarest terms missing": ["rare2_missing_art", "rare2_missing_sent"],
    "top-2 from different articles, articles in the top 5": ["top2_diff_article", "n_articles5", "best_art_chunks_pool"],
    "the question's figures missing from the top 5": ["q_has_figures", "figures_missing_top5"],
    "the question's figures missing from the best sentence's article": ["q_has_figures", "figures_missing_art"],
    "the question's figures missing, both": ["q_has_figures", "figures_missing_top5", "figures_missing_art"],
    "missing question terms, refined, top 5 (with --data-dir)": ["top5_missing_idf", "top5_missing_max"],
    "missing question terms, refined, top 10 (with --data-dir)": ["top10_missing_idf", "top10_missing_max"],
    "missing question terms, refined, top 20 (with --data-dir)": ["top20_missing_idf", "top20_missing_max"],
    "missing question terms, refined, all 50 candidates (with --data-dir)": ["pool_missing_idf", "pool_missing_max"],
    "missing question terms, refined, top 5 and all 50 (with --data-dir)": ["top5_missing_idf", "top5_missing_max",
                                                                          "pool_missing_idf", "pool_missing_max"],
}


def main() -> None:
    import lightgbm
    from sklearn.metrics import roc_auc_score

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, required=True, help="the passages cache of `extract --cache`")
    parser.add_argument("--features", type=Path, default=T.FEATURES_FILE)
    parser.add_argument("--only", default="", help="only the groups whose label contains this text")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="the full index, read for its document frequencies (the missing-terms groups)")
    args = parser.parse_args()
    table = dict(np.load(args.features))
    services = None
    if args.data_dir:
        from app.config import Settings
        from app.services import build_services

        services = build_services(Settings(data_dir=args.data_dir))
    doc_freq = services.records.document_frequencies if services else None
    extra, names = candidate_features(table, pickle.loads(args.cache.read_bytes()), doc_freq)
    if services:
        services.close()
    groups_ = {k: v for k, v in GROUPS.items() if all(n in names for n in v)}
    if "top5_missing_idf" in names:  # the same pair as the stored column (extract computes it the same way)
        cols = [names.index("top5_missing_idf"), names.index("top5_missing_max")]
        gap = np.abs(extra[:, cols] - table["question_missing_terms"]).max()
        print(f"top-5 pair against training/features.npz: largest difference {gap:.2e}", file=sys.stderr)
    base, y = T.answerability_table(table, T.cross_fitted_selectors(table))
    fold = table["question_fold"]
    answerable = y == 1

    def logistic(x):
        p, refused = np.zeros(len(y)), np.zeros(len(y), bool)
        for f in (0, 1):
            m = T.fit_answerability(x[fold != f], y[fold != f], tuple(map(str, range(x.shape[1]))))
            z = m["intercept"] + ((x[fold == f] - m["mean"]) / m["scale"]) @ np.asarray(m["coef"])
            p[fold == f] = 1 / (1 + np.exp(-z))
            refused[fold == f] = p[fold == f] < m["threshold"]
        return p, refused

    def boosted(x):  # 4 leaves, 150 rounds: ranks only (refusal at 5 % and AUC need no calibration)
        p = np.zeros(len(y))
        params = T._params({"objective": "binary", "learning_rate": 0.03, "num_leaves": 4, "min_data_in_leaf": 30,
                            "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0})
        for f in (0, 1):
            booster = lightgbm.train(params, lightgbm.Dataset(x[fold != f], y[fold != f]), num_boost_round=150)
            p[fold == f] = booster.predict(x[fold == f])
        return p

    def at5(p, i):
        a = y[i] == 1
        return float((p[i][~a] < np.quantile(p[i][a], T.MAX_FALSE_REFUSAL)).mean())

    rng = np.random.default_rng(0)
    samples = [rng.integers(0, len(y), len(y)) for _ in range(1000)]
    every = np.arange(len(y))
    p0, r0 = logistic(base)
    print("| answerability inputs | model | refusal | false refusal | refusal at 5 % false refusal "
          "| its difference [95 %] | AUC | AUC difference [95 %] |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| shipped 16 | logistic | {r0[~answerable].mean():.3f} | {r0[answerable].mean():.3f} | {at5(p0, every):.3f} "
          f"| | {roc_auc_score(y, p0):.3f} | |")
    q0 = boosted(base)
    print(f"| shipped 16 | LightGBM | — | — | {at5(q0, every):.3f} | {at5(q0, every) - at5(p0, every):+.3f} | "
          f"{roc_auc_score(y, q0):.3f} | {roc_auc_score(y, q0) - roc_auc_score(y, p0):+.3f} |")
    groups = {**groups_, "all of the above": names}
    for label, group in groups.items():
        if args.only not in label:
            continue
        x = np.hstack([base, extra[:, [names.index(n) for n in group]]])
        p, refused = logistic(x)
        for model, q, r in (("logistic", p, refused), ("LightGBM", boosted(x), None)):
            d = [at5(q, i) - at5(p0, i) for i in samples]
            da = [roc_auc_score(y[i], q[i]) - roc_auc_score(y[i], p0[i]) for i in samples]
            rates = (f"{r[~answerable].mean():.3f} | {r[answerable].mean():.3f}" if r is not None else "— | —")
            print(f"| + {label} | {model} | {rates} | {at5(q, every):.3f} | {at5(q, every) - at5(p0, every):+.3f} "
                  f"[{np.percentile(d, 2.5):+.3f}, {np.percentile(d, 97.5):+.3f}] | {roc_auc_score(y, q):.3f} | "
                  f"{roc_auc_score(y, q) - roc_auc_score(y, p0):+.3f} [{np.percentile(da, 2.5):+.3f}, "
                  f"{np.percentile(da, 97.5):+.3f}] |", flush=True)


if __name__ == "__main__":
    main()

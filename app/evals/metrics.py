"""Metrics over API responses: correctness, ALCE-style citation precision/recall, faithfulness."""

from __future__ import annotations

import re

import numpy as np

from app.answer.support import SupportChecker
from app.text import words


def normalise(text: str) -> str:
    return " ".join(words(text))


def fact_coverage(answer: str, facts: list[list[str]]) -> float:
    """Share of facts of which at least one alias appears in the answer (normalised containment)."""
    if not facts:
        return 1.0
    text = f" {normalise(answer)} "
    return sum(any(f" {normalise(alias)} " in text for alias in aliases) for aliases in facts) / len(facts)


def answer_sentences(response: dict) -> list[tuple[str, list[int]]]:
    """(sentence without markers, cited numbers) — from the structured field when the server gives it."""
    if response.get("sentences"):
        return [(re.sub(r"\s*\[\d+\]", "", s["text"]).strip(), list(s["citations"])) for s in response["sentences"]
                if s.get("status", "kept") != "dropped"]
    out = []
    for piece in re.split(r"(?<=[.!?\]])\s+", response.get("answer", "")):
        cited = [int(n) for n in re.findall(r"\[(\d+)\]", piece)]
        text = re.sub(r"\s*\[\d+\]", "", piece).strip()
        if text:
            out.append((text, cited))
    return out


def citation_scores(response: dict, checker: SupportChecker) -> dict[str, float | int]:
    """ALCE: recall = sentences supported by their own citations; precision = citations that matter.

    A citation is needless when it does not support its sentence alone while the others still do.
    Faithfulness = sentences supported by the answer's cited evidence as a whole.
    """
    quotes = {c["n"]: c["quote"] for c in response.get("citations", [])}
    sentences = answer_sentences(response)
    supported = relevant = total_citations = faithful = 0
    for text, cited in sentences:
        evidence = [quotes[n] for n in cited if n in quotes]
        if evidence and checker.check(text, evidence).supported:
            supported += 1
        for n in cited:
            total_citations += 1
            if n not in quotes:
                continue  # a citation to nothing never supports anything
            alone = checker.check(text, [quotes[n]]).supported
            others = [quotes[m] for m in cited if m != n and m in quotes]
            rest = bool(others) and checker.check(text, others).supported
            relevant += alone or not rest
        if quotes and checker.check(text, list(quotes.values())).supported:
            faithful += 1
    return {"sentences": len(sentences), "supported": supported, "citations": total_citations,
            "relevant_citations": relevant, "faithful": faithful}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def judged_faithfulness(response: dict, judge, runs: int = 3) -> list[float]:
    """Per run, the share of answer sentences the LLM judge finds supported by their citations."""
    quotes = {c["n"]: c["quote"] for c in response.get("citations", [])}
    sentences = [(t, [quotes[n] for n in cited if n in quotes]) for t, cited in answer_sentences(response)]
    if not sentences:
        return []
    return [sum(bool(ev) and judge.p_supported(t, ev) >= 0.5 for t, ev in sentences) / len(sentences)
            for _ in range(runs)]

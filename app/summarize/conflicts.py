"""Spot sources that disagree: near-identical statements that differ in a number, date or name."""

from __future__ import annotations

from dataclasses import dataclass

from app.text import STOPWORDS, numbers, proper_names, words


@dataclass(slots=True)
class Conflict:
    first: int  # indexes into the statements given
    second: int
    first_says: list[str]
    second_says: list[str]


def _distinctive(text: str) -> set[str]:
    return numbers(text) | proper_names(" " + text)


def find_conflicts(
    statements: list[str], owners: list[str], min_shared: float = 0.5, min_common_words: int = 4
) -> list[Conflict]:
    """Pairs from different owners (articles) that share most words but not their numbers or names.

    ``min_common_words`` (shared non-numeric words) keeps datelines such as "Feb 9, 2021" from
    "disagreeing" with "Feb 7, 2021": they make no claim to disagree about.
    """
    content = [{w for w in words(s) if w not in STOPWORDS} for s in statements]
    distinctive = [_distinctive(s) for s in statements]
    found: list[Conflict] = []
    for i in range(len(statements)):
        for j in range(i + 1, len(statements)):
            if owners[i] == owners[j] or not content[i] or not content[j]:
                continue
            common = content[i] & content[j]
            shared = len(common) / len(content[i] | content[j])
            if shared < min_shared or sum(not w.isdigit() for w in common) < min_common_words:
                continue
            only_i = distinctive[i] - distinctive[j] - content[j]
            only_j = distinctive[j] - distinctive[i] - content[i]
            if only_i and only_j:
                found.append(Conflict(i, j, sorted(only_i), sorted(only_j)))
    return found

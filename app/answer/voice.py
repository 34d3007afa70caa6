"""Passive clauses rewritten in active word order, so word-order features compare who did what to whom.

"Ortiz was endorsed by Reyes" states what "Reyes endorsed Ortiz" states, yet its word order is the one
of the swap "Ortiz endorsed Reyes". The checker's order features (common subsequence, word pairs,
inversions, role swaps) read both the claim and the evidence after ``active_order``: "X was V by Y"
becomes "Y V X" on both sides, so a voice change keeps the order and a true swap still inverts it.
No parser: the agent is the words after "by" up to a clause break, the patient the few words before
the auxiliary; a negated auxiliary ("was not approved by") is left as written. Only the order of
words changes: the text the checker returns and embeds is the original.
"""

from __future__ import annotations

import re

_PASSIVE = re.compile(
    r"\b(?:(?:has|have|had|will)\s+)?"
    r"(?:is|are|was|were|be|been|being)\s+"
    r"(?:(?:also|already|reportedly|recently|later|then|first|once|widely|jointly)\s+)?"
    r"(?P<verb>[A-Za-z][a-z]{2,})\s+by\s+",
)
_WORD = re.compile(r"[^\W_]+(?:[-'’.$][^\W_]+)*")
# Words that end a noun phrase: a clause, a preposition phrase, a reporting verb.
_BREAKS = frozenset(
    "in on at for with to after before during and or but that which who whom whose when where while as from "
    "since because into over under through until last this next said says say told according than if amid "
    "despite without about against among between near outside inside across behind around along toward towards "
    "via upon within throughout beyond onto off up down out including per like then earlier later yesterday today".split())
_PUNCTUATION = re.compile(r"[,;:.!?()\[\]\"“”—–]")
MAX_PHRASE = 6


def _agent_end(text: str, start: int) -> int:
    end, count = start, 0
    for match in _WORD.finditer(text, start):
        gap = text[end:match.start()] if count else ""
        if count >= MAX_PHRASE or _PUNCTUATION.search(gap) or match.group(0).lower() in _BREAKS:
            break
        end, count = match.end(), count + 1
    return end if count else start


def _patient_start(text: str, end: int) -> int:
    words = list(_WORD.finditer(text, 0, end))
    start, count = end, 0
    for match in reversed(words):
        gap = text[match.end():start]
        if count >= MAX_PHRASE - 1 or _PUNCTUATION.search(gap) or match.group(0).lower() in _BREAKS:
            break
        start, count = match.start(), count + 1
    return start if count else end


def active_order(sentence: str) -> str:
    """``sentence`` with each passive "X <be> V by Y" reordered as "Y V X" (unchanged when none)."""
    out, position = sentence, 0
    for _ in range(3):
        match = _PASSIVE.search(out, position)
        if not match:
            break
        agent_end = _agent_end(out, match.end())
        patient_start = _patient_start(out, match.start())
        if agent_end == match.end() or patient_start == match.start():
            position = match.end()
            continue
        agent = out[match.end():agent_end]
        patient = out[patient_start:match.start()].strip()
        rewritten = f"{agent} {match.group('verb')} {patient}"
        out = out[:patient_start] + rewritten + out[agent_end:]
        position = patient_start + len(rewritten)
    return out

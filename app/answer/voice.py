"""Passive clauses rewritten in active word order, so word-order features compare who did what to whom.

"Ortiz was endorsed by Reyes" states what "Reyes endorsed Ortiz" states, yet its word order is the one
of the swap "Ortiz endorsed Reyes". The checker's order features (common subsequence, word pairs,
inversions, role swaps) read both the claim and the evidence after ``active_order``: "X was V by Y"
becomes "Y V X" on both sides, so a voice change keeps the order and a true swap still inverts it.
No parser: the agent is the words after "by" up to a clause break, the patient the few words before
the auxiliary; a negated auxiliary ("was not approved by") is left as written. Only the order of
words changes: the text the checker returns and embeds is the original.

A pronoun patient ("he is played by Cara Delevingne") is the whole patient, not the words before it;
given an ``antecedent`` (the evidence side passes the name that opens the sentence or the one before:
``leading_name``, a real name only, never "Officials" or "However") the pronoun is read as that name, so "Elton John … In the video he is played by Cara
Delevingne" reads "Cara Delevingne played Elton John". "by none other than X" names the agent X.
"""

from __future__ import annotations

import re
from collections.abc import Container

from app.lexicon import shared as lexicon
from app.text import STOPWORDS, stem

_PASSIVE = re.compile(
    r"\b(?:(?:has|have|had|will)\s+)?"
    r"(?:is|are|was|were|be|been|being)\s+"
    r"(?:(?:also|already|reportedly|recently|later|then|first|once|widely|jointly)\s+)?"
    r"(?P<verb>[A-Za-z][a-z]{2,})\s+by\s+(?:(?:none|no)\s+other\s+than\s+)?",
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
# Subject pronouns: a noun phrase on their own, so the patient stops at one.
PRONOUNS = frozenset("he she it they we i you".split())
# Capitalised words that open a sentence without being a name.
_NOT_NAMES = frozenset("a an the in on at for with to after before during and or but that this these those "
                       "it he she they we i you his her its their our my your there here when while as if "
                       "of from by since because although though yet so then".split())


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
        word = match.group(0).lower()
        if count >= MAX_PHRASE - 1 or _PUNCTUATION.search(gap) or word in _BREAKS or (count and word in PRONOUNS):
            break
        start, count = match.start(), count + 1
        if word in PRONOUNS:
            break
    return start if count else end


def leading_name(sentence: str, known: Container[str] = frozenset()) -> str | None:
    """The name that opens ``sentence`` ("Elton John released …" -> "Elton John"), possessive dropped; None
    when it opens with anything else ("The museum …", "In …", "Officials said …", "However, …").

    A run of two or more capitalised words is a name (its later words are capitalised inside the sentence,
    what ``app.text.proper_names`` reads as a name). A single capitalised word opens every sentence, so it
    is a name only when the text capitalises it inside a sentence too (``known``: ``proper_names`` of the
    evidence text, lower-cased) or the WordNet lexicon does not know it as a word ("Okafor" is a name,
    "Police", "Despite", "However" are words)."""
    names = []
    for match in _WORD.finditer(sentence):
        word = match.group(0)
        lower = word.lower()
        if not word[0].isupper() or lower in _NOT_NAMES or lower in _BREAKS or lower in STOPWORDS \
                or len(names) >= 4:
            break
        gap = sentence[match.end():]
        names.append(re.sub(r"['’]s$", "", word))
        if word != names[-1] or not gap.startswith(" "):
            break
    if len(names) == 1 and not _name_word(names[0], known):
        return None
    return " ".join(names) or None


def _name_word(word: str, known: Container[str]) -> bool:
    """A sentence-opening word is a name when the text capitalises it elsewhere or no dictionary sense has it."""
    lower = word.lower().replace("’", "'")
    return lower in known or not lexicon().synsets(stem(lower))


def active_order(sentence: str, antecedent: str | None = None) -> str:
    """``sentence`` with each passive "X <be> V by Y" reordered as "Y V X" (unchanged when none); a pronoun
    patient X is read as ``antecedent`` when one is given."""
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
        if antecedent and patient.lower() in PRONOUNS:
            patient = antecedent
        rewritten = f"{agent} {match.group('verb')} {patient}"
        out = out[:patient_start] + rewritten + out[agent_end:]
        position = patient_start + len(rewritten)
    return out

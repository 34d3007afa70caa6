"""Spot sources that disagree: near-identical statements that differ in a number, date or name,
and that the faithfulness checker (the same one the guard uses) finds do not support each other."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from app.answer.alignment import number_pieces
from app.answer.support import SupportChecker
from app.summarize.name_forms import name_runs, same_entity_words
from app.text import (
    COUNT_WORD,
    COUNT_WORDS,
    NAME_RUN,
    NUMBER,
    STOPWORDS,
    counts_in_words,
    name_tokens,
    numbers,
    proper_names,
    words,
)

# Checker calls one search may make: each costs about 1.5 ms, and statements that all share a pattern ("Officials in
# Oslo said on day 4 that 31 residents…") made 38,000 candidate pairs out of two long articles, a minute's work.
MAX_CONFLICT_CHECKS = 500
# Pairs one search compares for names written two ways (app/summarize/name_forms.py), a few microseconds each: 1,500
# statements of one pattern, the two ways alternating between two articles, made 560,000 such pairs (4 s).
MAX_NAME_FORM_PAIRS = 20_000

_checker: SupportChecker | None = None
_checker_lock = threading.Lock()


def default_checker() -> SupportChecker:
    """One shared checker (its word vectors are always wordllama's: the features were trained on them)."""
    global _checker
    with _checker_lock:
        if _checker is None:
            _checker = SupportChecker()
        return _checker


@dataclass(slots=True)
class Conflict:
    first: int  # indexes into the statements given
    second: int
    first_says: list[str]
    second_says: list[str]


# a weekday is the day of the report ("said on Monday"), not a fact two reports can disagree about
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())


# Words that open news sentences without naming anyone ("Last week, …" disagreed with "Monday, …"). A list, not
# WordNet: WordNet knows "smith", "russia" and "trump" as common words, and "Smith won …" against "Jones won …" is a
# disagreement to keep.
_OPENERS = frozenset("""last next earlier later meanwhile however still now then today yesterday tomorrow tonight
    overnight separately previously instead also officials authorities police experts critics analysts residents
    witnesses researchers scientists investigators prosecutors lawmakers voters""".split())


_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
          r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
# A date is one item ("sep 8"), not its day's number: "struck on September 8" against "September 9" still disagree,
# and the day is never read as a count. A date after a weekday is the day of the report, as a weekday alone is:
# "coverage for Tuesday, Oct. 8." against "… Thursday, Oct. 10." made a note "Sources disagree: reports 8; reports
# 10" under "Hurricane Milton death toll", which reads as two tolls.
_DATE_DAY = re.compile(rf"\b({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b|\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})(?!\w)")
_AFTER_WEEKDAY = re.compile(r"\b(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s*$")
_DATE_ITEM = re.compile(r"^[a-z]{3} \d{1,2}$")


def _dates(text: str) -> Iterator[tuple[re.Match, str | None]]:
    """Each date's match and its item ("sep 8"), None for the day of the report (after a weekday)."""
    for m in _DATE_DAY.finditer(text):
        month, day = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        item = None if _AFTER_WEEKDAY.search(text[:m.start()]) else f"{month[:3].lower()} {int(day)}"
        yield m, item


# A count in words is a number ("killed twelve" against "killed 20" disagree; against "killed 12" they agree).


def _distinctive(text: str) -> set[str]:
    """Numbers, dates and names; the first word counts as a name ("Kim pledged …") unless it is a word that opens news
    sentences without naming anyone. Weekdays, and dates after one, are left out: they say when it was reported."""
    names = proper_names(" " + text)
    first = words(text)[:1]
    if first and first[0] in _OPENERS and first[0] not in proper_names(text):
        names.discard(first[0])
    found = list(_dates(text))
    dates = {item for _, item in found if item}
    in_dates = {w for m, _ in found for w in words(m.group(0))}  # "Oct." and "October" are the date's, not names
    return numbers(_DATE_DAY.sub(" ", text)) | counts_in_words(text) | dates | (names - _WEEKDAYS - in_dates)


_ACRONYM = re.compile(r"\b[A-Z]{2,}s?\b")


def _acronyms(text: str) -> set[str]:
    """The acronyms a statement writes ("USDA", "NGOs" as "ngos" and "ngo"): a pair whose only differing items on
    one side are these does not disagree about them, since they name what the other may spell out ("the
    Agriculture Department")."""
    found = [w.lower() for w in _ACRONYM.findall(text)]
    return set(found) | {w.rstrip("s") for w in found}


def as_written(text: str, says: list[str]) -> list[str]:
    """What a statement says, as the statement writes it, in its order: "11,300" and "Jane Smith" for the
    normalised "11300", "jane", "smith" a conflict is found with (a note read "reports jane, smith")."""
    wanted, shown = set(says), []
    for match in NAME_RUN.finditer(" " + text):
        run = match.group(1)
        if name_tokens(run) & wanted:
            shown.append((match.start(1) - 1, run))
            wanted -= name_tokens(run)
    for match, item in _dates(text):
        if item in wanted:
            shown.append((match.start(), match.group(0)))
            wanted.discard(item)
    undated = _DATE_DAY.sub(lambda m: " " * len(m.group(0)), text)  # a date's day is not a number of its own
    for match in NUMBER.finditer(undated):
        written = match.group(0).rstrip(".,")
        if written.replace(",", "") in wanted:
            shown.append((match.start(), written))
            wanted.discard(written.replace(",", ""))
    for match in COUNT_WORD.finditer(text):  # "twelve", as written
        if COUNT_WORDS[match.group(1).lower()] in wanted:
            shown.append((match.start(), match.group(1)))
            wanted.discard(COUNT_WORDS[match.group(1).lower()])
    return [w for _, w in sorted(shown)] + sorted(wanted)


def find_conflicts(
    statements: list[str], owners: list[str], min_shared: float = 0.5, min_common_words: int = 4,
    checker: SupportChecker | None = None, limit: int | None = None, max_checks: int = MAX_CONFLICT_CHECKS,
    max_name_pairs: int = MAX_NAME_FORM_PAIRS,
) -> list[Conflict]:
    """Pairs from different owners (articles) that share most words but not their numbers or names,
    where neither statement supports the other according to ``checker`` (default: the shared one).

    ``min_common_words`` (shared non-numeric words) keeps datelines such as "Feb 9, 2021" from
    "disagreeing" with "Feb 7, 2021": they make no claim to disagree about. The checker keeps
    statements that differ only in wording ("U.S." against "United States") from disagreeing.

    The search stops at ``limit`` conflicts (the first ones in statement order, as a slice of the full list would
    give), after ``max_checks`` pairs reached the checker, or after ``max_name_pairs`` pairs were compared for names
    written two ways.
    """
    checker = checker or default_checker()
    content = [{w for w in words(s) if w not in STOPWORDS} for s in statements]
    # what a statement writes as a word, so that it is no differing item ("Kremlin" against "the kremlin"); not the
    # pieces of its numbers ("5" of "1.5"), which hid "5 billion" against "1.5 billion". A date's day stays a word:
    # "5 people" against "on March 5" is no disagreement ("reports 5; reports March 5")
    worded = [c - number_pieces(s) for c, s in zip(content, statements)]
    distinctive = [_distinctive(s) for s in statements]
    acronyms = [_acronyms(s) for s in statements]
    found: list[Conflict] = []
    checks = name_pairs = 0
    runs: list[list | None] = [None] * len(statements)  # name_runs, computed when a pair first needs them
    for i in range(len(statements)):
        for j in range(i + 1, len(statements)):
            if owners[i] == owners[j] or not content[i] or not content[j]:
                continue
            common = content[i] & content[j]
            shared = len(common) / len(content[i] | content[j])
            if shared < min_shared or sum(not w.isdigit() for w in common) < min_common_words:
                continue
            only_i = distinctive[i] - distinctive[j] - worded[j]
            only_j = distinctive[j] - distinctive[i] - worded[i]
            if not (only_i and only_j) or only_i <= acronyms[i] or only_j <= acronyms[j]:
                continue
            # one person written two ways is no disagreement ("Kim Jong Un" against "North Korean leader Kim")
            if name_pairs >= max_name_pairs:
                return found
            name_pairs += 1
            if runs[i] is None:
                runs[i] = name_runs(statements[i])
            if runs[j] is None:
                runs[j] = name_runs(statements[j])
            only_i -= same_entity_words(runs[i], runs[j])
            only_j -= same_entity_words(runs[j], runs[i])
            if not (only_i and only_j):
                continue
            if checks >= max_checks:
                return found
            checks += 1
            if checker.check(statements[i], [statements[j]]).supported or \
                    checker.check(statements[j], [statements[i]]).supported:
                continue
            found.append(Conflict(i, j, sorted(only_i), sorted(only_j)))
            if limit is not None and len(found) >= limit:
                return found
    return found

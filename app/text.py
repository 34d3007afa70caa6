"""Shared text primitives: sentence spans with character offsets, content terms, stopwords.

Everything that cites text needs exact offsets into the stored article, so sentence splitting
returns spans, never rewritten strings.
"""

from __future__ import annotations

import importlib
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import pysbd
import Stemmer
from pysbd.lang.english import English
from pysbd.utils import TextSpan

# A compact English stopword list (function words only: content words such as "not" are kept
# because negation matters to faithfulness).
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will
    with would you your yours yourself yourselves also s t said says say tell told according""".split()
)
QUESTION_WORDS = frozenset("what which who whom whose when where why how many much did does do".split())

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
NUMBER = re.compile(r"\d[\d,.]*")  # a number as written: "11,300", "3.5"
_LINE = re.compile(r"[^\n]+")
_stemmer_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _porter() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("porter")


def porter_stem(word: str) -> str:
    """The original Porter algorithm: the one SQLite FTS5's tokenizer uses, for vocabulary look-ups."""
    with _stemmer_lock:
        return _porter().stemWord(word.lower())


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """"1 chunk", "2 chunks": a count as a person writes it (reports printed "1 chunks written")."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def named(items, limit: int = 40) -> str:
    """Words a message names, comma-separated, each cut at ``limit`` characters: a refusal repeated a 2,000-character
    "word" of the topic in full."""
    return ", ".join(w if len(w) <= limit else w[:limit] + "…" for w in items)


def fold_accents(token: str) -> str:
    """"Zürich" -> "Zurich": the letters without their combining marks (ASCII returned as it is, at once)."""
    if token.isascii():
        return token
    return "".join(c for c in unicodedata.normalize("NFKD", token) if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Lower-cased words, curly apostrophes made straight (a fresh list: callers may change it)."""
    return list(_words(text))


def word_tuple(text: str) -> tuple[str, ...]:
    """``words(text)`` as the memoised tuple itself: for callers that only read it (no copy of a passage's words)."""
    return _words(text)


@lru_cache(maxsize=1024)
def _words(text: str) -> tuple[str, ...]:
    """Memoised: one ask splits the same passage and sentence into words several times (ranker features,
    name tokens, selector rows, de-duplication). Lower-cased in one call over the joined words (no word
    holds a space, and lowering never makes one): the same words as lowering each, and faster."""
    found = _WORD.findall(text)
    if not found:
        return ()
    return tuple(" ".join(found).lower().replace("’", "'").split(" "))


@lru_cache(maxsize=32_768)
def stem(word: str) -> str:
    """Snowball English stem; memoised: news reuses a small vocabulary, and the scorers stem the same
    words for every candidate sentence (the stemmer is the lock-free fast path on a hit)."""
    with _stemmer_lock:
        return _stemmer().stemWord(word)


def content_words(text: str) -> list[str]:
    """Distinct non-stopword, non-question words, unstemmed, in order: what a question or topic is about, as the
    lexical index's document frequencies are looked up."""
    return list(dict.fromkeys(w for w in words(text) if w not in STOPWORDS and w not in QUESTION_WORDS))


def content_terms(text: str) -> list[str]:
    """Stemmed non-stopword terms, in order (duplicates kept)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and w not in QUESTION_WORDS]


def numbers(text: str) -> set[str]:
    return {m.group(0).rstrip(".,").replace(",", "") for m in NUMBER.finditer(text)}


# A count in words, as its digits. Not "one": a pronoun as often as a count.
COUNT_WORDS = {w: str(n) for n, w in enumerate("two three four five six seven eight nine ten eleven twelve thirteen "
                                               "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split(),
                                               start=2)}
COUNT_WORD = re.compile(r"\b(" + "|".join(COUNT_WORDS) + r")\b", re.I)


def counts_in_words(text: str) -> set[str]:
    """The counts ``text`` writes in words, as digits ("twelve" -> "12")."""
    return {COUNT_WORDS[m.group(1).lower()] for m in COUNT_WORD.finditer(text)}


NAME_RUN = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*)")


def _name_words(text: str) -> Iterator[str]:
    """The words of capitalised runs that do not start a sentence, lazily (a caller may stop early)."""
    for match in NAME_RUN.finditer(text):
        for token in name_tokens(match.group(1)):
            if token not in STOPWORDS and token not in QUESTION_WORDS:
                yield token


def proper_names(text: str) -> set[str]:
    """Capitalised words that do not start a sentence: a cheap named-entity proxy."""
    return set(_name_words(text))


def names_with_known(text: str, known: set[str] | frozenset[str]) -> set[str]:
    """``proper_names`` plus a capitalised first word that ``known`` holds (the words its article or passage
    capitalises mid-sentence): "Putin sees …" names Putin, "Speaking on …" and "Thousands …" name no one. Summary
    facts and the answer's wrong-article rule read names this way."""
    return proper_names(text) | (proper_names(" " + text) & known)


def has_new_name(text: str, known: set[str]) -> bool:
    """``bool(proper_names(text) - known)``, stopping at the first such name instead of collecting them all."""
    return any(token not in known for token in _name_words(text))


def name_tokens(text: str) -> set[str]:
    """Words with possessives dropped and hyphenated compounds split: Putin's -> putin, Russia-North -> russia, north."""
    return set(_name_tokens(text)) if len(text) <= _SHORT else _name_tokens_of(text)


_SHORT = 200  # characters: name phrases and titles are memoised, whole passages (cached by their callers) not


@lru_cache(maxsize=4096)
def _name_tokens(text: str) -> frozenset[str]:
    """Memoised (callers get a copy): proper_names asks for the same few capitalised phrases all the time."""
    return frozenset(_name_tokens_of(text))


def _name_tokens_of(text: str) -> set[str]:
    out: set[str] = set()
    for word in _words(text):
        word = word.removesuffix("'s")
        if "-" in word:
            out.update(part for part in word.split("-") if part)
        else:
            out.add(word)  # never empty: a word cannot be just "'s"
    return out


class _CachedRe:
    """Stands in for the ``re`` module inside pysbd's modules: the same functions, but with compiled patterns
    kept in an LRU of their own. pysbd builds hundreds of patterns per text (one per abbreviation found), more
    than ``re``'s 512-entry cache, which Python 3.11 evicts first-in-first-out: every call recompiled dozens of
    regular expressions (2,355 compiles for 40 questions, docs/performance.md). Same patterns, same results."""

    def __getattr__(self, name: str):
        return getattr(re, name)

    @staticmethod
    @lru_cache(maxsize=4096)
    def compile(pattern, flags=0):
        return re.compile(pattern, flags)

    def sub(self, pattern, repl, string, count=0, flags=0):
        return self.compile(pattern, flags).sub(repl, string, count)

    def subn(self, pattern, repl, string, count=0, flags=0):
        return self.compile(pattern, flags).subn(repl, string, count)

    def search(self, pattern, string, flags=0):
        return self.compile(pattern, flags).search(string)

    def match(self, pattern, string, flags=0):
        return self.compile(pattern, flags).match(string)

    def fullmatch(self, pattern, string, flags=0):
        return self.compile(pattern, flags).fullmatch(string)

    def findall(self, pattern, string, flags=0):
        return self.compile(pattern, flags).findall(string)

    def finditer(self, pattern, string, flags=0):
        return self.compile(pattern, flags).finditer(string)

    def split(self, pattern, string, maxsplit=0, flags=0):
        return self.compile(pattern, flags).split(string, maxsplit)


_PYSBD_MODULES = ("abbreviation_replacer", "between_punctuation", "exclamation_words", "lists_item_replacer",
                  "processor", "punctuation_replacer", "utils", "lang.common.common")  # those that call re.*
_WHITESPACE_RUN = re.compile(r"\s*")  # pysbd's pattern for an empty sentence (the escaped "" + a whitespace run)


class _Segmenter(pysbd.Segmenter):
    """pysbd's English segmenter, same sentences, without its two slow spots: each sentence's offsets were
    found by compiling the escaped sentence plus a whitespace run (a new pattern per sentence, which also flushed the
    regex cache), and its modules' patterns are now compiled once (``_CachedRe``)."""

    def sentences_with_char_spans(self, sentences):
        """What pysbd's regex search finds, with ``str.find``: each sentence's first non-overlapping occurrence
        (plus the whitespace after it) that ends past the previous one; not found: skipped."""
        text = self.original_text
        spans = []
        prior_end = 0
        for sent in sentences:
            if not sent:  # an empty pattern's matches follow regex rules of their own: pysbd's own loop
                for match in _WHITESPACE_RUN.finditer(text):
                    if match.end() > prior_end:
                        spans.append(TextSpan(match.group(), match.start(), match.end()))
                        prior_end = match.end()
                        break
                continue
            pos = 0
            while (start := text.find(sent, pos)) >= 0:
                end = start + len(sent)
                while end < len(text) and text[end].isspace():  # the same characters as the regex's \s
                    end += 1
                if end > prior_end:
                    spans.append(TextSpan(text[start:end], start, end))
                    prior_end = end
                    break
                pos = end
        return spans


class _AbbreviationReplacer(English.AbbreviationReplacer):
    """pysbd's English abbreviation pass, the same replacements in the same order, without testing every one of its
    188 abbreviations against every line. pysbd checks each abbreviation as a substring of the line, then looks for it
    after a space or at the start (``(?:^|\\s)abbr``, ignoring case) and replaces only around those matches; most
    abbreviations found as substrings ("st" in "first", "no" in "know") have no such match. Here one regex over the
    line finds which abbreviations start a whitespace-separated word (``_starting_abbreviations``), and only those
    (and the few holding a dot, a regex wildcard in pysbd's pattern) go through pysbd's own steps. The replacements
    only turn "." into "∯", which moves no word start, so the words are read once per line."""

    def search_for_abbreviations_in_string(self, text):
        lowered = text.lower()
        for abbr in _starting_abbreviations(text):  # pysbd's loop body from here on, unchanged
            stripped = abbr.strip()
            if stripped not in lowered:
                continue
            abbrev_match = _CachedRe.compile(r"(?:^|\s|\r|\n){}".format(stripped), re.IGNORECASE).findall(text)
            if not abbrev_match:
                continue
            next_word_start = r"(?<={" + str(re.escape(stripped)) + "} ).{1}"
            char_array = _CachedRe.compile(next_word_start).findall(text)
            if not char_array and abbr not in _OTHER_ABBREVIATIONS:
                # every match is then replaced around (no next character to test), and the replacement for one
                # spelling (" No", " no") is the same regex substitution each time, which a second run finds
                # nothing left to change in: it turns "." after the word into "∯", and "." is no part of what its
                # lookbehind or (but for ruling a match out) its lookahead reads. So each spelling once, in order.
                first: dict[str, str] = {}
                for match in abbrev_match:
                    first.setdefault(match.strip(), match)
                abbrev_match = list(first.values())
            for ind, match in enumerate(abbrev_match):
                text = self.scan_for_replacements(text, match, ind, char_array)
        return text

    def replace_abbreviation_as_sentence_boundary(self):
        """pysbd's, with its pattern built once instead of once per line."""
        self.text = _CachedRe.compile(_SENTENCE_BOUNDARY_ABBREVIATION).sub("\\1.", self.text)
        return self.text


_SENTENCE_BOUNDARY_ABBREVIATION = r"(U∯S|U\.S|U∯K|E∯U|E\.U|U∯S∯A|U\.S\.A|I|i.v|I.V)∯({})".format(
    "|".join(r"(?=\s{}\s)".format(word) for word in English.AbbreviationReplacer.SENTENCE_STARTERS))
_ABBREVIATIONS = English.Abbreviation.ABBREVIATIONS
_ABBREVIATION_ORDER = {abbr: i for i, abbr in enumerate(_ABBREVIATIONS)}
_PLAIN_ABBREVIATIONS = [a for a in _ABBREVIATIONS if re.fullmatch(r"[a-z]+", a)]
_OTHER_ABBREVIATIONS = frozenset(_ABBREVIATIONS) - frozenset(_PLAIN_ABBREVIATIONS)  # "u.s", "e.g": always tried
# Longest first, so that the regex's match at a word start is the longest abbreviation the word starts with; the
# shorter ones it starts with are that one's prefixes ("alta" -> "al", "alta").
_WORD_START_ABBREVIATION = re.compile(
    r"(?<!\S)(?:" + "|".join(sorted(_PLAIN_ABBREVIATIONS, key=lambda a: (-len(a), a))) + ")")
_PREFIX_ABBREVIATIONS = {a: frozenset(b for b in _PLAIN_ABBREVIATIONS if a.startswith(b)) for a in _PLAIN_ABBREVIATIONS}
# The characters other than A-Z that a lower-case ASCII letter matches when a regex ignores case (Python's re docs,
# *IGNORECASE*), as that letter: "İnc" is found as pysbd's "(?:^|\s)inc" finds it.
_CASE_FOLDS = str.maketrans({"İ": "i", "ı": "i", "ſ": "s", "K": "k"})  # "K" (Kelvin) is lower-cased to "k" anyway


def _starting_abbreviations(text: str) -> list[str]:
    """The abbreviations (in pysbd's order) that may start a word of ``text``, ignoring case: every plain one that
    does, and every one holding a dot. Whitespace is the regex's ``\\s`` in both (``str.isspace``)."""
    folded = text.lower()
    if "İ" in text or "ı" in text or "ſ" in text:  # rare: translating every line costs more than the search
        folded = text.translate(_CASE_FOLDS).lower()
    found = set(_OTHER_ABBREVIATIONS)
    for longest in set(_WORD_START_ABBREVIATION.findall(folded)):
        found |= _PREFIX_ABBREVIATIONS[longest]
    return sorted(found, key=_ABBREVIATION_ORDER.__getitem__)


class _English(English):
    AbbreviationReplacer = _AbbreviationReplacer


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    cached = _CachedRe()
    for name in _PYSBD_MODULES:
        module = importlib.import_module(f"pysbd.{name}")
        if getattr(module, "re", None) is re:
            module.re = cached
    segmenter = _Segmenter(language="en", clean=False, char_span=True)
    segmenter.language_module = _English
    return segmenter


_seg_lock = threading.Lock()


@lru_cache(maxsize=8192)
def _line_sentences(line: str) -> tuple[tuple[int, int], ...]:
    """Sentence offsets within one line. Memoised: overlapping chunks share most of their lines, and
    popular articles' chunks come back question after question."""
    with _seg_lock:
        pieces = _segmenter().segment(line)
    out = []
    cursor = 0
    for piece in pieces:
        sentence = piece.sent.strip()
        if not sentence:
            continue
        local = line.find(sentence, cursor)
        if local < 0:
            continue
        cursor = local + len(sentence)
        if out and _continues(line[out[-1][0]:out[-1][1]], sentence):  # pysbd ended one at an abbreviation: "D-Md."
            out[-1] = (out[-1][0], cursor)
        else:
            out.append((local, cursor))
    return tuple(out)


# AP-style abbreviations pysbd does not know, which lower-case words continue: states ("D-Md., in Maryland's …"),
# street and title words ("Downing St. in London"); a piece that opens with a comma, semicolon, colon or closing
# bracket always continues (114 "sentences" of 300 AP-style articles opened with ", in Maryland's …"), one that opens
# with a lower-case word only after one of these (a sentence may open with "von der Leyen", "de Blasio", "al-Assad")
_OPENS_AS_CONTINUATION = re.compile(r"[,;:)\]]")
_OPENS_LOWER = re.compile(r"[a-z]+(?![A-Za-z]*[A-Z])\b")  # not "iPhone", "eBay"
_ABBREVIATION_END = re.compile(
    r"(?:^|[\s(-])(?:Ala|Ariz|Ark|Calif|Colo|Conn|Del|Fla|Ga|Ill|Ind|Kan|Ky|La|Md|Mass|Mich|Minn|Miss|Mo|Mont|Neb|"
    r"Nev|Okla|Ore|Pa|Tenn|Vt|Va|Wash|Wis|Wyo|N\.[HJMYCD]|R\.I|S\.[CD]|W\.Va|St|Ave|Blvd|Rd|Mt|Ft|Jr|Sr|Gov|Sen|Rep|"
    r"Lt|Gen|Col|Sgt|Capt|Cmdr|Adm|Corp|Inc|Co|Ltd|Bros|No|Nos|Vol|approx|est|vs)\.,?$")


# A clock time's "p.m." is not a full stop when a time zone follows ("As of 11 p.m. ET, Ernesto …" was cut into
# "As of 11 p.m." and "ET, Ernesto …"), nor "est."/"approx." before a figure ("est. 1,075,000 acres").
_CLOCK_END = re.compile(r"\d(?::\d\d)?\s?[ap]\.m\.$")
_OPENS_TIME_ZONE = re.compile(r"(?:[ECMP][SD]?T|GMT|UTC|BST|CES?T|local time)(?![A-Za-z])")
_ESTIMATE_END = re.compile(r"(?:^|[\s(])(?:est|approx)\.$")


def _continues(previous: str, piece: str) -> bool:
    previous = previous.rstrip()
    return bool(_OPENS_AS_CONTINUATION.match(piece)) or (
        bool(_OPENS_LOWER.match(piece)) and bool(_ABBREVIATION_END.search(previous))) or (
        bool(_OPENS_TIME_ZONE.match(piece)) and bool(_CLOCK_END.search(previous))) or (
        piece[:1].isdigit() and bool(_ESTIMATE_END.search(previous)))


# pysbd rewrites the whole text once per abbreviation it meets, so a line's time grows with the square of its
# length (80,000 characters: 5-7 s). Longer lines are cut into blocks at a full stop after a whole lower-case word
# of 3+ letters (not an abbreviation such as "Mr.", "Prof." or "U.S.") followed by a capital, and split block by block.
_MAX_LINE = 4_000
_SAFE_BREAK = re.compile(r"(?<![A-Za-z.])[a-z]{3,}[.!?][\"'”’)]*\s+(?=[\"'“‘(]*[A-Z])")


def _line_blocks(line: str) -> Iterator[tuple[int, str]]:
    """(offset, block) pieces of ``line``, each at most about ``_MAX_LINE`` long where a safe break allows."""
    start = 0
    while len(line) - start > _MAX_LINE:
        breaks = [m.end() for m in _SAFE_BREAK.finditer(line, start + _MAX_LINE // 2, start + _MAX_LINE)]
        if not breaks:  # no safe break in the window: the next one after it, or the rest whole
            later = _SAFE_BREAK.search(line, start + _MAX_LINE)
            if later is None:
                break
            breaks = [later.end()]
        yield start, line[start:breaks[-1]]
        start = breaks[-1]
    yield start, line[start:]


def clear_caches() -> None:
    """Forget memoised stems, names and sentence offsets (benchmarks measuring the cold path)."""
    for cached in (_words, stem, _name_tokens, _line_sentences):
        cached.cache_clear()


def sentence_spans(text: str, offset: int = 0) -> list[Span]:
    """Sentence spans over ``text`` (shifted by ``offset``), stripped of surrounding whitespace.

    Lines are split first: news text often carries headlines and bullets without a full stop.
    """
    spans: list[Span] = []
    for line in _LINE.finditer(text):
        line_text = line.group(0)
        if not line_text.strip():
            continue
        for block_start, block in _line_blocks(line_text):
            base = offset + line.start() + block_start
            spans.extend(Span(base + start, base + end) for start, end in _line_sentences(block))
    return spans

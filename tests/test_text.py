"""The fast text primitives (app/text.py) must give exactly what the plain versions gave: answers and
citations depend on every offset. benchmarks/sentence_spans_check.py repeats the span check on
thousands of stored chunks."""

from __future__ import annotations

import re

import pysbd
import pytest

from app import text as T

TRICKY = [
    "ΟΔΟΣ Σίσυφος — İstanbul’s mayor, Putin's allies and Russia-North Korea talks (COVID-19).",
    "Dr. Smith met Gov. DeSantis at 5 p.m. on Jan. 3, 2024. He said: \u201cNo.\u201d Then he left!",
    "U.S. officials said the U.N. vote was 12-3.\u00a0The E.U. did not. Mr. A. B. Jones agreed... maybe?",
    "",
    "   ",
    "Ünïcödé wörds, numbers 1,234.5 and don’t-stop co-op’s.",
]


def plain_words(text: str) -> list[str]:
    return [m.group(0).lower().replace("’", "'") for m in T._WORD.finditer(text)]


def plain_name_tokens(text: str) -> set[str]:
    out: set[str] = set()
    for word in plain_words(text):
        word = word.removesuffix("'s")
        out.update(part for part in word.split("-") if part)
    return out


@pytest.mark.parametrize("text", TRICKY)
def test_words_and_names_match_the_plain_versions(text):
    assert T.words(text) == plain_words(text)
    assert T.name_tokens(text) == plain_name_tokens(text)


def test_name_tokens_returns_a_fresh_set_each_time():
    first = T.name_tokens("Vladimir Putin's Kremlin")
    first.add("intruder")
    assert "intruder" not in T.name_tokens("Vladimir Putin's Kremlin")
    assert T.name_tokens("Vladimir Putin's Kremlin") == {"vladimir", "putin", "kremlin"}


def test_stem_is_the_snowball_stem():
    assert [T.stem(w) for w in ("running", "elections", "running")] == ["run", "elect", "run"]


@pytest.mark.parametrize("sentences", [
    ["A b.", "A b.", "C d."],  # a repeated sentence takes the next occurrence
    ["C d.", "A b."],  # found only before the previous one: skipped
    ["missing", "A b."],  # not in the text: skipped
    ["", "A b."],  # an empty sentence: whitespace run rules
    ["A b.", "", "C d."],
    ["b.", "A"],
])
def test_char_spans_match_pysbd_regex_search(sentences):
    text = "A b.\u2009\u00a0 A b.\tC d.\n A b. "
    segmenter = T._Segmenter(language="en", clean=False, char_span=True)
    segmenter.original_text = text
    plain = pysbd.Segmenter(language="en", clean=False, char_span=True)
    plain.original_text = text
    ours = [(s.sent, s.start, s.end) for s in segmenter.sentences_with_char_spans(sentences)]
    theirs = [(s.sent, s.start, s.end) for s in pysbd.Segmenter.sentences_with_char_spans(plain, sentences)]
    assert ours == theirs
    assert ours  # every case finds something


def test_sentence_spans_split_lines_and_abbreviations_like_pysbd():
    text = TRICKY[1] + "\n\nBREAKING: Markets fell 3%\n" + TRICKY[2]
    spans = T.sentence_spans(text, offset=100)
    quoted = [text[s.start - 100: s.end - 100] for s in spans]
    assert quoted[0] == "Dr. Smith met Gov. DeSantis at 5 p.m. on Jan. 3, 2024."
    assert "BREAKING: Markets fell 3%" in quoted
    assert all(q == q.strip() and q for q in quoted)
    # the plain segmenter, line by line, gives the same sentences
    expected = []
    plain = pysbd.Segmenter(language="en", clean=False, char_span=True)
    for line in re.finditer(r"[^\n]+", text):
        expected += [p.sent.strip() for p in plain.segment(line.group(0)) if p.sent.strip()]
    assert quoted == expected
    assert T.sentence_spans(text, offset=100) == spans  # from the memo: the same spans


def test_cached_re_behaves_like_re():
    cached = T._CachedRe()
    assert cached.sub(r"(\w+)@", r"<\1>", "a@ b@", flags=re.I) == re.sub(r"(\w+)@", r"<\1>", "a@ b@", flags=re.I)
    assert cached.findall(r"\d+", "1 22 333") == ["1", "22", "333"]
    assert cached.split(r",\s*", "a, b,c") == ["a", "b", "c"]
    assert cached.escape("a.b") == re.escape("a.b")
    assert cached.IGNORECASE is re.IGNORECASE


def test_a_line_longer_than_a_block_splits_into_the_same_sentences():
    """pysbd's time grows with the square of a line's length, so long lines are split in blocks; the cuts
    fall only between sentences, never after an abbreviation."""
    sentences = [f"Mr. Okafor of the U.S. embassy met Dr. Lind in district {i} on Jan. 3 at 5 p.m. to talk." if i % 3
                 else f"Officials led by Prof. Haile and Capt. Moreno in town {i} said the ferries would run again."
                 for i in range(400)]
    line = " ".join(sentences)
    assert len(line) > 5 * T._MAX_LINE
    blocks = list(T._line_blocks(line))
    assert len(blocks) > 5 and "".join(block for _, block in blocks) == line
    assert all(block.endswith(("talk. ", "again. ")) for _, block in blocks[:-1])
    spans = T.sentence_spans(line)
    assert [line[s.start:s.end] for s in spans] == sentences


def test_a_long_line_without_a_safe_break_is_split_whole():
    line = " ".join(["Dr. X met Mr. Y."] * 600)  # every full stop follows an abbreviation-like short word
    assert [(0, line)] == list(T._line_blocks(line))


@pytest.mark.parametrize("line", [
    "Gen. Smith met Sen. Jones at 5 p.m. on Main St. in the U.S. No. 5 won, no. 6 did not.",
    "The co. said no. It is in Calif. and Mass. now. Inc. is here. KY. Gen. Smith said no.",
    "İnc. since it was sold. ſt. Louis is a city. ıs. it? Kelvin K. says no.",
    "al. alta. Al. Alta. p. 5 v. 6 e.g. this i.e. that u.s. and U.S. Ph.D. holders, Dr. Who",
    "no.. no: no, nos. 5 no.\tthe No. 1 and no. 2 and NO. 3; p. 4, P. 5, pp. 6-7 vs. them.",
    "Mr. and Mrs. Smith went to Washington. They met Rep. Ocasio-Cortez (D-N.Y.) on Jan. 5.",
])
def test_the_faster_abbreviation_pass_segments_as_pysbd(line):
    """app.text's English abbreviation pass (only the abbreviations that start a word; each spelling's substitution
    once) gives pysbd's sentences; benchmarks/answers_fingerprint.py and 75,184 stored lines were checked too."""
    segmenter = T._segmenter()
    try:
        segmenter.language_module = pysbd.lang.english.English
        plain = [(s.sent, s.start, s.end) for s in segmenter.segment(line)]
    finally:
        segmenter.language_module = T._English
    assert [(s.sent, s.start, s.end) for s in segmenter.segment(line)] == plain
